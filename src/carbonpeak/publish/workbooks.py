"""The bureau's xlsx exports (报送表格): inventory tables, key-unit list, disclosure list,
the targets table and the year's published figures (口径目录), with Chinese headers.

中文：报送用 Excel 表格——能耗与碳排放清单、重点用能单位名单、能效公示名单、规划目标表、
口径目录（中文表头）。

The published figures (and the key-unit list's own and consolidated energy and budgets) are
the figure catalogue's stored values (:mod:`carbonpeak.services.figures`), at the catalogue's
precision, each with its basis (口径), period and as-of date.

Every figure comes from the official account run of the year (the same tables as
``carbonpeak account --out``), the benchmark of the year (disclosure) or the targets'
evaluation: nothing is recomputed here. Each header is ``中文 English`` (the Chinese name
first, as in the disclosure workbook); codes that identify (entity id, sector letter) keep
their own column next to the Chinese label. A sheet ``说明 About`` says where the figures
come from (district, year, account run, factor set, time of export). Text cells are never
formulas: a name beginning with ``=``, ``+``, ``-`` or ``@`` is written as text.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from carbonpeak.errors import ConfigError, NotFoundError
from carbonpeak.i18n import Lang, label_text, msg, render, stored_text
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.publish.render import report_time
from carbonpeak.publish.whitepaper.document import BUILDING_TYPES, CARRIERS, SECTORS
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.benchmarking import benchmark, disclosure_workbook
from carbonpeak.services.figures import figures, round_value
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.storage.registry.models import AccountRun, FactorSetRecord
from carbonpeak.storage.workspace import Workspace

__all__ = ["EXPORTS", "Export", "ExportKind", "export_workbook"]

ExportKind = Literal["inventory", "key-units", "disclosure", "targets", "figures"]
EXPORTS: tuple[str, ...] = get_args(ExportKind)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TOTAL_FILL = PatternFill("solid", fgColor="EEF2F7")


@dataclass(frozen=True)
class Export:
    """An export: the workbook's bytes and its file name."""

    data: bytes
    filename: str
    rows: int


@dataclass(frozen=True)
class _Sheet:
    title: str
    columns: Sequence[tuple[str, str, int]]  # heading code ``wb.col.<code>``, key, width
    rows: Sequence[dict[str, Any]]
    total: dict[str, Any] | None = None


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        v = v.item()
    v = xlsx_value(v)  # control characters older data may hold
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v  # text, never a formula
    return v


def _t(lang: Lang, code: str, /, **params: Any) -> str:  # noqa: ANN401
    return render(msg(code, **params), lang)


def _write(sheets: Sequence[_Sheet], about: Sequence[tuple[str, Any]],
           when: dt.datetime, lang: Lang) -> tuple[bytes, int]:
    wb = Workbook()
    first = wb.active
    assert first is not None  # noqa: S101 - a new workbook always has a sheet
    wb.remove(first)
    n = 0
    for sh in sheets:
        ws = wb.create_sheet(_t(lang, f"wb.sheet.{sh.title}")[:31])
        ws.append([_t(lang, f"wb.col.{h}") for h, _, _ in sh.columns])
        for c in ws[1]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for r in sh.rows:
            ws.append([_cell(r.get(k)) for _, k, _ in sh.columns])
            n += 1
        if sh.total is not None:
            ws.append([_cell(sh.total.get(k)) for _, k, _ in sh.columns])
            row: tuple[Cell, ...] = ws[ws.max_row]
            for c in row:
                c.font = Font(bold=True)
                c.fill = _TOTAL_FILL
        ws.freeze_panes = "A2"
        for i, (_, _, width) in enumerate(sh.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
    info = wb.create_sheet(_t(lang, "wb.sheet.about"))
    info.append([_t(lang, "wb.col.item"), _t(lang, "wb.col.content")])
    for c in info[1]:
        c.font = Font(bold=True)
    for k, v in about:
        info.append([_t(lang, f"wb.about.{k}"), _cell(v)])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 90
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.created = naive
    wb.properties.creator = "carbonpeak"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


def _label(table: dict[str, tuple[str, str]], code: object, lang: Lang = "zh") -> str:
    key = "(none)" if code is None or (isinstance(code, float) and math.isnan(code)) \
        else str(code)
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "zh" else 1]


def _run(ws: Workspace, district_id: str, year: int) -> tuple[AccountRun, str]:
    with ws.registry.session() as s:
        run = official_run(s, district_id, year)
        if run is None:
            raise NotFoundError(msg("wb.no_official_account", district=district_id, year=year))
        s.expunge(run)
        fs = s.get(FactorSetRecord, run.factor_set_pk)
        label = f"{fs.set_id}@v{fs.version}" if fs else ""
    return run, label


_QTY = [("quantity", "quantity", 16), ("unit", "unit", 8),
        ("tce_equivalent", "tce_equivalent", 14), ("tce_equal", "tce_equal", 14),
        ("tco2", "tco2", 14), ("scope", "scope", 10), ("coverage", "coverage", 10)]


def _carrier_rows(df: pd.DataFrame, lang: Lang) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for rec in df.to_dict("records"):
        r = {str(k): v for k, v in rec.items()}
        r["carrier_zh"] = _label(CARRIERS, r.get("carrier"), lang)
        if r.get("scope") == "generation":
            r["scope"] = _t(lang, "wb.scope.generation")
        rows.append(r)
    return rows


def _inventory(ws: Workspace, district_id: str, year: int,
               when: dt.datetime, lang: Lang) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    t = load_run_tables(ws, run, ["inventory_district_year", "inventory_sector_year",
                                  "inventory_building_type_year", "inventory_street_year",
                                  "inventory_entity_year"])
    tot = (run.summary or {}).get("totals", {})
    carrier = ("carrier", "carrier_zh", 12)
    district = _carrier_rows(t["inventory_district_year"].sort_values(["scope", "carrier"]),
                             lang)
    sectors = _carrier_rows(t["inventory_sector_year"].sort_values(["sector", "carrier"]),
                            lang)
    for r in sectors:
        r["sector_zh"] = _label(SECTORS, r.get("sector"), lang)
    types = _carrier_rows(t["inventory_building_type_year"].sort_values(
        ["building_type", "carrier"]), lang)
    for r in types:
        r["type_zh"] = _label(BUILDING_TYPES, r.get("building_type"), lang)
    streets = _carrier_rows(t["inventory_street_year"].sort_values(["street", "carrier"]),
                            lang)
    entities = _carrier_rows(t["inventory_entity_year"].sort_values(["entity_id", "carrier"]),
                             lang)
    for r in entities:
        r["type_zh"] = _label(BUILDING_TYPES, r.get("building_type"), lang) \
            if r.get("building_type") else ""
    sheets = [
        _Sheet("district", [carrier, *_QTY, ("n_entities", "n_entities", 8),
                            ("missing_months", "missing_months", 10)],
               district, total={"carrier_zh": _t(lang, "wb.total_excl_pv"),
                                "tce_equivalent": tot.get("tce_equivalent"),
                                "tce_equal": tot.get("tce_equal"), "tco2": tot.get("tco2"),
                                "scope": "1+2", "coverage": tot.get("coverage")}),
        _Sheet("sectors", [("sector", "sector", 8), ("sector_name", "sector_zh", 24), carrier,
                           *_QTY], sectors),
        _Sheet("building_types", [("building_type", "type_zh", 12), carrier, *_QTY], types),
        _Sheet("streets", [("street", "street", 14), carrier, *_QTY], streets),
        _Sheet("entities", [("entity_id", "entity_id", 14), ("name", "name", 28),
                            ("street", "street", 14), ("building_type", "type_zh", 12), carrier,
                            *_QTY, ("missing_months", "missing_months", 10),
                            ("source", "source", 10)], entities),
    ]
    return _write(sheets, _about(district_id, year, run, fs, when, lang, "inventory"),
                  when, lang)


def _about(district_id: str, year: int, run: AccountRun, fs: str, when: dt.datetime,
           lang: Lang, what: str) -> list[tuple[str, Any]]:
    """The about sheet's rows: ``(code of wb.about.<code>, value)``."""
    return [("export", _t(lang, f"wb.export.{what}")), ("district", district_id),
            ("year", year), ("run", run.id), ("factor_set", fs),
            ("batches", ", ".join(str(b) for b in run.input_batches or [])),
            ("exported", when.strftime("%Y-%m-%d %H:%M:%S")),
            ("convention", _t(lang, "wb.convention"))]


def _key_units(ws: Workspace, district_id: str, year: int,
               when: dt.datetime, lang: Lang) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    t = load_run_tables(ws, run, ["key_units", "inventory_entity_year"])
    ku = t["key_units"]
    ku = ku[ku["is_key_unit"].astype(bool)].sort_values("energy_tce_equal", ascending=False)
    info = t["inventory_entity_year"].drop_duplicates("entity_id").set_index("entity_id")
    rows = []
    for r in ku.to_dict("records"):
        eid = str(r["entity_id"])
        row = {str(k): v for k, v in r.items()}
        row["key_unit_rule"] = stored_text(row.get("key_unit_rule"), lang)
        for col in ("name", "street", "kind"):
            row[col] = info[col].get(eid) if col in info else None
        bt = info["building_type"].get(eid) if "building_type" in info else None
        row["type_zh"] = _label(BUILDING_TYPES, bt, lang) if isinstance(bt, str) else ""
        rows.append(row)
    published = figures(ws, year=year, district=district_id)
    for code, key in (("key_unit.energy.consolidated", "energy_tce_equal"),
                      ("key_unit.energy.own", "energy_own_tce"),
                      ("key_unit.budget", "budget_tce"),
                      ("key_unit.budget.elastic", "budget_elastic_tce")):
        found = published.by_subject(code)
        for row in rows:
            f = found.get(str(row["entity_id"]))
            if f is not None or key != "energy_tce_equal":
                row[key] = _rounded(f.value, f.definition.digits) if f is not None else None
    total = {"entity_id": _t(lang, "wb.total_units", n=len(rows)),
             "energy_tce_equal": float(ku["energy_tce_equal"].sum()),
             "energy_tce_equivalent": float(ku["energy_tce_equivalent"].sum()),
             "tco2": float(ku["tco2"].sum()), "electricity_kwh": float(
                 ku["electricity_kwh"].sum())}
    sheet = _Sheet("key_units", [
        ("entity_id", "entity_id", 16), ("name", "name", 30), ("street", "street", 14),
        ("building_type", "type_zh", 12), ("energy_tce_equal", "energy_tce_equal", 18),
        ("energy_tce_equivalent", "energy_tce_equivalent", 16), ("tco2", "tco2", 14),
        ("electricity_kwh", "electricity_kwh", 16), ("floor_area_m2", "floor_area_m2", 14),
        ("n_children", "n_children", 10), ("key_unit_rule", "key_unit_rule", 50),
        ("energy_own_tce", "energy_own_tce", 16), ("budget_tce", "budget_tce", 14),
        ("budget_elastic_tce", "budget_elastic_tce", 14)], rows, total=total)
    return _write([sheet], _about(district_id, year, run, fs, when, lang, "key_units"),
                  when, lang)


def _targets(ws: Workspace, district_id: str, year: int,
             when: dt.datetime, lang: Lang) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    rows = []
    for st in evaluate_targets(ws, district=district_id, year=year):
        r = st.to_dict()
        r["status_label"] = label_text("target_state", r["status"], lang)
        rows.append(r)
    sheet = _Sheet("targets", [
        ("code", "code", 9), ("section", "section", 24),
        ("indicator", f"indicator_{lang}", 30),
        ("unit", "unit", 12), ("comparator", "comparator", 8),
        ("target_year", "target_year", 10), ("target_value", "target_value", 12),
        ("target_text", "target_text", 16), ("value", "value", 12),
        ("value_year", "value_year", 10), ("progress_pct", "progress_pct", 10),
        ("status", "status_label", 12), ("status_code", "status", 12),
        ("reason", f"reason_{lang}", 40), ("responsible_units", "responsible_units", 40)],
        rows)
    return _write([sheet], _about(district_id, year, run, fs, when, lang, "targets"), when,
                  lang)


def _rounded(v: float | None, digits: int) -> float | None:
    """A catalogue value at the catalogue's precision (what every surface prints)."""
    return round_value(v, digits)


def _figures(ws: Workspace, district_id: str, year: int,
             when: dt.datetime, lang: Lang) -> tuple[bytes, int]:
    run, fs_label = _run(ws, district_id, year)
    fs = figures(ws, year=year, district=district_id)
    rows = [{"code": f.code, "name": f.definition.name_text(lang),
             "subject": "" if f.subject_type == "district" else
             f"{f.subject_id} {f.provenance.get('subject_name') or ''}".strip(),
             "value": _rounded(f.value, f.definition.digits),
             "unit": f.definition.unit, "basis": f.label(lang).split(" · ")[0],
             "period": f.period, "as_of": f.as_of.isoformat(),
             "provenance": ", ".join(f"{k}={v}" for k, v in f.provenance_in(lang).items()
                                     if k not in ("subject_name", "subject_name_en", "rule"))}
            for f in fs.items]
    sheet = _Sheet("figures", [
        ("figure_code", "code", 30), ("figure", "name", 36), ("subject", "subject", 24),
        ("published_value", "value", 16), ("unit", "unit", 14), ("basis", "basis", 10),
        ("period", "period", 12), ("as_of", "as_of", 12), ("provenance", "provenance", 60)],
        rows)
    return _write([sheet], _about(district_id, year, run, fs_label, when, lang, "figures"),
                  when, lang)


def export_workbook(ws: Workspace, what: str, *, year: int, district: str | None = None,
                    generated: dt.datetime | None = None, out: Path | None = None,
                    lang: Lang = "zh") -> Export:
    """One of :data:`EXPORTS` for the district and year as xlsx (written to ``out`` too),
    in ``lang``: every sheet name, heading, label and note (the Chinese edition all Chinese,
    the English all English; ids, codes and the data's own names as they are).

    Raises
    ------
    ConfigError
        For an unknown export.
    NotFoundError
        When the year has no official account (or, for the disclosure, no quota table).
    """
    if what not in EXPORTS:
        msg = f"unknown export {what!r}; one of {', '.join(EXPORTS)}"
        raise ConfigError(msg)
    d = ws.district(district)
    when = report_time(generated)
    if what == "disclosure":
        bm = benchmark(ws, d.id, year)
        data, n = disclosure_workbook(bm, lang=lang), len(bm.frame)
    elif what == "inventory":
        data, n = _inventory(ws, d.id, year, when, lang)
    elif what == "key-units":
        data, n = _key_units(ws, d.id, year, when, lang)
    elif what == "figures":
        data, n = _figures(ws, d.id, year, when, lang)
    else:
        data, n = _targets(ws, d.id, year, when, lang)
    name = f"{what}-{d.id}-{year}.xlsx"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return Export(data, name, n)
