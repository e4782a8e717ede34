"""The annual white paper (年度碳排放状况白皮书) and the bureau's xlsx exports (报送表格).

The white paper and the exports are district documents: analysts and admins of the district
read them; a street officer or an entity role gets 403 (their own figures are in the
dashboard and the scoped disclosure list). The content is computed once per data version
(``dashboard.cached``); a rendered edition too, so it carries the time it was first rendered
(or ``SOURCE_DATE_EPOCH``) until the data change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentWorkspace, requires
from carbonpeak.api.exports import ExportLang
from carbonpeak.api.responses import JSONRoute, fast_json, file_responses
from carbonpeak.api.schemas.reports import (
    WhitePaperPublic,
)
from carbonpeak.errors import NotFoundError
from carbonpeak.publish import Lang, dashboard
from carbonpeak.publish.render import report_time
from carbonpeak.publish.whitepaper.content import white_paper
from carbonpeak.publish.whitepaper.document import report_filename, whitepaper_html, whitepaper_pdf
from carbonpeak.publish.workbooks import XLSX, ExportKind, export_workbook
from carbonpeak.services.access.scope import ANALYST_ROLES
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "only district analysts and admins read district reports"},
    404: {"description": "the year has no official account"},
    422: {"description": "invalid parameters"},
}
# who may read the district's documents: the one role check (carbonpeak.api.deps.requires)
ReportReader = Annotated[Principal, requires(*ANALYST_ROLES,
                                             what="read the district white paper and exports")]

YearQuery = Annotated[int | None, Query(ge=1990, le=2100,
                                        description="default: the latest accounted year")]
LangQuery = Annotated[Lang, Query(description="zh (中文) or en")]


def _year(ws: Workspace, district_id: str, year: int | None) -> int:
    if year is not None:
        return year
    years = dashboard.account_years(ws, district_id)
    if not years:
        msg = "no official account yet"
        raise NotFoundError(msg)
    return years[-1]


def _content(ws: Workspace, district_id: str, year: int) -> dict[str, Any]:
    return dashboard.cached(ws, ("whitepaper", district_id, year),
                            lambda: white_paper(ws, year=year, district=district_id))


def _edition(ws: Workspace, district_id: str, year: int, lang: Lang,
             fmt: Literal["pdf", "html"]) -> tuple[bytes, str]:
    def render() -> tuple[bytes, str]:
        content = _content(ws, district_id, year)
        when = report_time()
        html = whitepaper_html(content, lang=lang, generated=when)
        if fmt == "html":
            return html.encode("utf-8"), report_filename(content, lang, "html")
        return (whitepaper_pdf(content, lang=lang, generated=when, html=html),
                report_filename(content, lang, "pdf"))

    return dashboard.cached(ws, ("whitepaper-edition", district_id, year, lang, fmt), render)


@router.get("/whitepaper.pdf", response_class=Response,
            responses=_RESPONSES | file_responses("application/pdf", "the white paper (A4)"))
def get_whitepaper_pdf(ws: CurrentWorkspace, principal: ReportReader,
                       year: YearQuery = None, lang: LangQuery = "zh") -> Response:
    """年度碳排放状况白皮书 (PDF, A4) — every figure from the year's official account run."""
    y = _year(ws, principal.district_id, year)
    data, name = _edition(ws, principal.district_id, y, lang, "pdf")
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/whitepaper.html", response_class=Response, responses=_RESPONSES | file_responses(
    "text/html", "the white paper as one self-contained HTML file"))
def get_whitepaper_html(ws: CurrentWorkspace, principal: ReportReader,
                        year: YearQuery = None, lang: LangQuery = "zh") -> Response:
    """年度碳排放状况白皮书 (one self-contained HTML file: stylesheet and charts inline)."""
    y = _year(ws, principal.district_id, year)
    data, name = _edition(ws, principal.district_id, y, lang, "html")
    return Response(data, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/whitepaper", response_model=WhitePaperPublic, responses=_RESPONSES)
def get_whitepaper(ws: CurrentWorkspace, principal: ReportReader,
                   year: YearQuery = None) -> Response:
    """白皮书数据 — the white paper's content as JSON (every figure, each section's
    availability and reason)."""
    y = _year(ws, principal.district_id, year)
    return fast_json(_content(ws, principal.district_id, y))


@router.get("/exports/{what}.xlsx", response_class=Response,
            responses=_RESPONSES | file_responses(XLSX, "the table (xlsx)"))
def get_export(
    ws: CurrentWorkspace, principal: ReportReader,
    what: Annotated[ExportKind, Path(description="inventory, key-units, disclosure, "
                                                 "targets or figures")],
    year: YearQuery = None,
    lang: ExportLang = "zh",
) -> Response:
    """报送表格 — inventory tables, key-unit list, disclosure list or targets table as xlsx
    in ``lang`` (zh: all Chinese, the default; en: all English) and a sheet saying where the
    figures come from."""
    y = _year(ws, principal.district_id, year)
    ex = export_workbook(ws, what, year=y, district=principal.district_id, lang=lang)
    return Response(ex.data, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{ex.filename}"'})
