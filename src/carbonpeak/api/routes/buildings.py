"""Public buildings: quota tables, benchmarking, disclosure and quota cases (公共建筑能耗管理).

Every role reads its own scope: analysts the district, a street officer its street's
buildings, an entity role its own. Rank and percentile are within the whole district's
buildings of the same type (the district's own distribution), whoever reads them. Opening and
reviewing cases is for analysts and admins; notices are issued by admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.exports import ExportLang, report_response
from carbonpeak.api.listing import ListSpec, Order, Search, Sort, sort_filter
from carbonpeak.api.responses import (
    EXPORTS,
    XLSX,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    file_responses,
    page,
    table_response,
)
from carbonpeak.api.schemas.buildings import (
    BenchmarkingPublic,
    CasesChangedPublic,
    CasesNotifiedPublic,
    CasesOpenedPublic,
    QuotaCasesPublic,
    QuotaTableDetailPublic,
    QuotaTablesPublic,
)
from carbonpeak.domain.benchmarking import RATINGS
from carbonpeak.errors import NotFoundError
from carbonpeak.publish import Lang, dashboard
from carbonpeak.publish.disclosure import disclosure_pdf, report_names
from carbonpeak.services.access.scope import ANALYST_ROLES, AccessScope, scope_of
from carbonpeak.services.buildings.benchmarking import (
    BENCHMARK_COLUMNS,
    DEFAULT_TABLE,
    Benchmark,
    benchmark,
    case_dict,
    disclosure_workbook,
    list_cases,
    notify_cases,
    open_cases,
    quota_table,
    quota_tables,
    review_cases,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["public buildings"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters"},
}
# who may do what: the one role check (carbonpeak.api.deps.requires)
CaseOpener = Annotated[Principal, requires(*ANALYST_ROLES, what="open quota cases")]
CaseNotifier = Annotated[Principal, requires("district_admin",
                                             what="issue rectification notices")]
CaseReviewer = Annotated[Principal, requires(*ANALYST_ROLES, what="review quota cases")]

TableId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                               description="quota table id")]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100,
                                        description="default: the latest accounted year")]
Rating = Literal["meets_guide", "meets_constraint", "over_constraint", "no_quota", "no_data",
                 "incomplete_data"]
assert set(RATINGS) == set(get_args(Rating))  # noqa: S101 - one list of ratings
CaseStatus = Literal["open", "notified", "closed", "escalated"]


def _year(ws: Workspace, district_id: str, year: int | None) -> int:
    if year is not None:
        return year
    years = dashboard.account_years(ws, district_id)
    if not years:
        msg = "no official account yet"
        raise NotFoundError(msg)
    return years[-1]


def _benchmark(ws: Workspace, scope: AccessScope, year: int | None, table: str) -> Benchmark:
    y = _year(ws, scope.district_id, year)
    return dashboard.cached(ws, ("benchmark", scope.key(), y, table),
                            lambda: benchmark(ws, scope.district_id, y, table_id=table,
                                              scope=scope))


@router.get("/quota-tables", response_model=QuotaTablesPublic, responses=_RESPONSES)
def get_quota_tables(ws: CurrentWorkspace, _principal: CurrentPrincipal) -> dict[str, Any]:
    """限额表 — the loaded quota tables (newest version) with their rows' statuses."""
    items = quota_tables(ws)
    return page(items, 500, 0)


@router.get("/quota-tables/{table_id}", response_model=QuotaTableDetailPublic, responses=_RESPONSES)
def get_quota_table(
    ws: CurrentWorkspace, _principal: CurrentPrincipal,
    table_id: Annotated[str, Path(min_length=1, max_length=64,
                                  pattern=r"^[A-Za-z0-9_.\-]+$")],
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    """限额表明细 — every row of a quota table: classes, convention, values, source, status."""
    return quota_table(ws, table_id, version)


BENCHMARK_LIST = ListSpec(
    sortable={"entity_id": "text", "name": "text", "street": "text", "building_type": "text",
              "floor_area_m2": "num", "tce_equal": "num", "eui": "num",
              "eui_kgce_per_m2_equal": "num", "rank_in_type": "num",
              "area_percentile_in_type": "num", "quota_class": "text",
              "constraint_value": "num", "excess_fraction": "num",
              "reduction_required": "num", "rating": "text"},
    search=("entity_id", "name", "street", "quota_label_zh", "quota_label_en"))
QUOTA_CASE_LIST = ListSpec(
    sortable={"id": "num", "entity_id": "text", "name": "text", "year": "num", "eui": "num",
              "constraint_value": "num", "excess_fraction": "num",
              "reduction_required": "num", "status": "text", "notice_date": "date",
              "deadline": "date", "reviewed_on": "date"},
    search=("entity_id", "name", "notice_no", "status"))


@router.get("/benchmarking", response_model=BenchmarkingPublic, responses=_RESPONSES | EXPORTS)
def get_benchmarking(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    table: TableId = DEFAULT_TABLE,
    building_type: Annotated[str | None, Query(max_length=32)] = None,
    rating: Rating | None = None, q: Search = None, sort: Sort = None, order: Order = "asc",
    limit: Limit = 100, offset: Offset = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """能耗对标 — buildings in scope against a quota table: EUI by the table's convention,
    rating, reduction required, rank and floor-area-weighted percentile within type; search
    ``q``, sort by ``sort`` (a column of ``BENCHMARK_LIST``) in ``order``."""
    bm = _benchmark(ws, scope_of(ws, principal), year, table)
    rows = sort_filter(bm.records(), BENCHMARK_LIST, sort=sort, order=order, q=q)
    if building_type is not None:
        rows = [r for r in rows if r["building_type"] == building_type]
    if rating is not None:
        rows = [r for r in rows if r["rating"] == rating]
    if format == "xlsx":
        return report_response(ws, principal, "benchmarking", rows, format,
                               f"benchmark-{bm.table_id}-{bm.year}", lang=lang, year=bm.year,
                               run_id=bm.account_run_id, filters={
                                   "table": f"{bm.table_id}@v{bm.table_version}",
                                   "building_type": building_type, "rating": rating})
    if format != "json":
        return table_response(rows, format, f"benchmark-{bm.table_id}-{bm.year}",
                              BENCHMARK_COLUMNS)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["rating"]] = counts.get(r["rating"], 0) + 1
    return fast_json(page(rows, limit, offset, year=bm.year, table_id=bm.table_id,
                          table_version=bm.table_version, account_run_id=bm.account_run_id,
                          factor_set=bm.factor_set, counts=counts,
                          quota_statuses=sorted({str(r["quota_status"]) for r in rows
                                                 if r["quota_status"]})))


@router.get("/benchmarking/disclosure.xlsx", response_class=Response,
            responses=_RESPONSES | file_responses(XLSX, "the disclosure list (xlsx)"))
def get_disclosure(ws: CurrentWorkspace, principal: CurrentPrincipal,
                   year: YearQuery = None, table: TableId = DEFAULT_TABLE,
                   lang: ExportLang = "zh") -> Response:
    """能效公示 — the disclosure list of the buildings in scope as xlsx (with the quota
    table's version and status on top), in ``lang`` (zh: all Chinese; en: all English)."""
    bm = _benchmark(ws, scope_of(ws, principal), year, table)
    data = disclosure_workbook(bm, lang=lang)
    name = f"disclosure-{bm.district_id}-{bm.year}-{bm.table_id}.xlsx"
    return Response(data, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _data_time(ws: Workspace) -> dt.datetime:
    """The time of the data the disclosure PDF shows: the latest of the rows that make the
    data version (the newest account run, import batch, data audit-log entry and warning
    event), so the cached bytes carry a time that changes only with the data."""
    return dashboard.data_time(ws)


@router.get("/benchmarking/disclosure.pdf", response_class=Response,
            responses=_RESPONSES | file_responses("application/pdf", "the disclosure list (PDF)"))
def get_disclosure_pdf(ws: CurrentWorkspace, principal: CurrentPrincipal,
                       year: YearQuery = None, table: TableId = DEFAULT_TABLE,
                       lang: Annotated[Lang, Query(description="zh (中文) or en")] = "zh",
                       ) -> Response:
    """能效公示 PDF — the disclosure list of the buildings in scope as PDF (A4), with the
    quota table's version and status on the title page. Its time is that of the data (the
    latest account run, import or change), so the same data gives the same bytes (cached)."""
    scope = scope_of(ws, principal)

    def render() -> tuple[Benchmark, bytes]:
        bm = _benchmark(ws, scope, year, table)
        return bm, disclosure_pdf(bm, lang=lang, generated=_data_time(ws),
                                  names=report_names(ws, scope.district_id, scope))

    def compute() -> tuple[Benchmark, bytes]:
        y = _year(ws, scope.district_id, year)
        return dashboard.cached(ws, ("disclosure.pdf", scope.key(), y, table, lang), render)

    bm, data = compute()
    name = f"disclosure-{bm.district_id}-{bm.year}-{bm.table_id}-{lang}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/quota-cases", response_model=QuotaCasesPublic, responses=_RESPONSES | EXPORTS)
def get_quota_cases(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    status: CaseStatus | None = None, q: Search = None, sort: Sort = None,
    order: Order = "asc", limit: Limit = 100, offset: Offset = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """超限额整改 — quota cases in scope (a street officer: its street's buildings); search
    ``q``, sort by ``sort`` (a column of ``QUOTA_CASE_LIST``) in ``order``."""
    rows = sort_filter(list_cases(ws, scope_of(ws, principal), year=year, status=status),
                       QUOTA_CASE_LIST, sort=sort, order=order, q=q)
    if format == "xlsx":
        return report_response(ws, principal, "quota-cases", rows, format, "quota-cases",
                               lang=lang, year=year, filters={"status": status})
    if format != "json":
        return table_response(rows, format, "quota-cases")
    return fast_json(page(rows, limit, offset))


class OpenCasesIn(BaseModel):
    """Open cases for the buildings over their constraint in a year."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1990, le=2100)
    table: str = Field(DEFAULT_TABLE, min_length=1, max_length=64,
                       pattern=r"^[A-Za-z0-9_.\-]+$")


class NotifyIn(BaseModel):
    """Issue rectification notices for the open cases of a year."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1990, le=2100)
    deadline: dt.date
    notice_date: dt.date | None = None
    entity_ids: list[Annotated[str, Field(min_length=1, max_length=64,
                                          pattern=r"^[A-Za-z0-9_.\-]+$")]] | None = Field(
        None, min_length=1, max_length=10_000)


class ReviewIn(BaseModel):
    """Review notified cases against a later year's figures."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=1990, le=2100)
    as_of: dt.date | None = None


@router.post("/quota-cases/open", response_model=CasesOpenedPublic, responses=_RESPONSES)
def post_open_cases(ws: CurrentWorkspace, principal: CaseOpener,
                    body: OpenCasesIn) -> dict[str, Any]:
    """立案 — open a case for each building over its constraint (none twice; audit-logged)."""
    ws = acting_as(ws, principal)
    created = open_cases(ws, principal.district_id, body.year, body.table)
    return {"opened": [case_dict(c) for c in created]}


@router.post("/quota-cases/notify", response_model=CasesNotifiedPublic, responses=_RESPONSES)
def post_notify(ws: CurrentWorkspace, principal: CaseNotifier,
                body: NotifyIn) -> dict[str, Any]:
    """下发整改通知 — notices with a deadline for the open cases of a year (admins)."""
    ws = acting_as(ws, principal)
    cases = notify_cases(ws, principal.district_id, year=body.year, deadline=body.deadline,
                         notice_date=body.notice_date, entity_ids=body.entity_ids)
    return {"notified": [case_dict(c) for c in cases]}


@router.post("/quota-cases/review", response_model=CasesChangedPublic, responses=_RESPONSES)
def post_review(ws: CurrentWorkspace, principal: CaseReviewer,
                body: ReviewIn) -> dict[str, Any]:
    """复核 — close or escalate notified cases on a later year's figures and the deadline."""
    ws = acting_as(ws, principal)
    changed = review_cases(ws, principal.district_id, review_year=body.year, as_of=body.as_of)
    return {"changed": [{**case_dict(c), "previous_status": before} for c, before in changed]}
