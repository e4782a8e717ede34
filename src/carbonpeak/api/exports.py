"""The report-ready exports of the list routes: ``format=xlsx`` (with ``lang=zh|en``) is a
report (:mod:`carbonpeak.publish.tables`: labelled headers with units, rounded numbers,
labels for codes, a totals row and a 说明 / About sheet); ``format=csv`` stays the
machine-readable table of the JSON's field names and raw values.

中文：列表接口的导出——xlsx 为报表版（中英文表头、按显示精度取整、代码显示为名称、合计行与说明页），
CSV 保持机器可读（字段名与原始值）。
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from carbonpeak.api.responses import XLSX, table_response
from carbonpeak.i18n import Lang
from carbonpeak.publish.tables import (
    TABLES,
    About,
    Sheet,
    account_about,
    report_workbook,
    scope_text,
)
from carbonpeak.services.access.scope import scope_of
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.queries import street_english_names
from carbonpeak.storage.workspace import Workspace

__all__ = ["ExportLang", "about_for", "report_response", "xlsx_response"]

ExportLang = Annotated[Literal["zh", "en"], Query(
    description="the language of an xlsx export's headers, labels and 说明 sheet")]


def about_for(ws: Workspace, principal: Principal, lang: Lang, *, year: int | None = None,
              filters: Mapping[str, Any] | None = None, run_id: int | None = None) -> About:
    """The 说明 of an export by ``principal``: district, the caller's scope, and (with a
    ``year``) the year's official account run, factor set and as-of date."""
    return account_about(ws, principal.district_id, year,
                         scope_text(ws, scope_of(ws, principal), lang), lang=lang,
                         filters=filters, run_id=run_id)


def _safe(filename: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in filename) or "export"


def xlsx_response(sheets: Sequence[Sheet], about: About, lang: Lang, filename: str) -> Response:
    """The report workbook as a download named ``filename`` (without extension)."""
    data = report_workbook(sheets, about, lang)
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{_safe(filename)}-{lang}.xlsx"'})


def _english_streets(ws: Workspace, district_id: str,
                     rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with ``street_en``: the English name the registry gives the row's street (by
    its Chinese name or code); a name it does not know stays as written."""
    names = street_english_names(ws, district_id)
    return [r | {"street_en": names.get(str(r["street"]), r["street"])}
            if r.get("street") is not None else r for r in rows]


def report_response(ws: Workspace, principal: Principal, table: str,
                    rows: Sequence[dict[str, Any]], fmt: str, filename: str, *,
                    lang: Lang = "zh", year: int | None = None,
                    filters: Mapping[str, Any] | None = None, run_id: int | None = None,
                    columns: Sequence[str] | None = None) -> Response:
    """``rows`` of the table ``table`` (:data:`carbonpeak.publish.tables.TABLES`) as the
    raw CSV (``columns``: its header, default every key) or the xlsx report."""
    if fmt == "csv":
        return table_response(rows, fmt, filename, columns=columns)
    if lang == "en" and any("street" in r for r in rows[:1]):
        rows = _english_streets(ws, principal.district_id, rows)
    about = about_for(ws, principal, lang, year=year, filters=filters, run_id=run_id)
    return xlsx_response([Sheet(TABLES[table], rows)], about, lang, filename)
