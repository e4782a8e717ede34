"""API: Retrofit and commissioning projects, daily weather and measured savings (M&V);
plan progress (改造面积, 节能率≥15% 面积, 调适数量).

Every role reads the projects of its own scope (analysts the district, a street officer its
street's buildings, an entity role its own); a project outside the scope answers 404 like one
that does not exist. Plan progress totals and the weather are district-wide figures every
role sees (the progress lists only the projects in scope). Creating or changing a project and
running the measurement are for analysts and admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.exports import ExportLang, report_response
from carbonpeak.api.listing import ListSpec, Order, Search, Sort, sort_filter
from carbonpeak.api.responses import (
    EXPORTS,
    NO_NUL,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    page,
    table_response,
)
from carbonpeak.api.schemas.retrofits import (
    MeasuredPublic,
    ProjectSavedPublic,
    RetrofitDetailPublic,
    RetrofitProgressPublic,
    RetrofitsPublic,
    WeatherPublic,
)
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.retrofit_files import ProjectSpec, check_values
from carbonpeak.publish import dashboard
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.buildings.retrofits import (
    LIST_COLUMNS,
    list_projects,
    measure,
    project_detail,
    retrofit_progress,
    save_project,
)
from carbonpeak.services.buildings.weather import weather_days, weather_summary
from carbonpeak.storage.principals import Principal

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["public buildings"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters"},
}
# who may do what: the one role check (carbonpeak.api.deps.requires)
ProjectEditor = Annotated[Principal, requires(*ANALYST_ROLES, what="register retrofit projects")]
MvRunner = Annotated[Principal, requires(*ANALYST_ROLES, what="run the M&V measurement")]

_CODE = r"^[A-Za-z0-9_.\-]+$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=_CODE)]
Kind = Literal["retrofit", "commissioning"]
Status = Literal["planned", "in_progress", "completed"]
Day = Annotated[dt.date, Field(ge=dt.date(1990, 1, 1), le=dt.date(2100, 12, 31))]
MAX_WEATHER_DAYS = 3700  # about ten years per request


RETROFIT_LIST = ListSpec(
    sortable={"code": "text", "name": "text", "entity_id": "text", "entity_name": "text",
              "kind": "text", "status": "text", "start_date": "date", "end_date": "date",
              "floor_area_m2": "num", "claimed_savings_fraction": "num",
              "mv_savings_kwh": "num", "mv_fractional_savings": "num"},
    search=("code", "name", "entity_id", "entity_name", "street"))


@router.get("/retrofits", response_model=RetrofitsPublic, responses=_RESPONSES | EXPORTS)
def get_retrofits(
    ws: CurrentWorkspace, principal: CurrentPrincipal, kind: Kind | None = None,
    status: Status | None = None, q: Search = None, sort: Sort = None, order: Order = "asc",
    limit: Limit = 100, offset: Offset = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """节能改造/调适项目 — projects in scope, each with its latest measured savings (M&V):
    savings, fractional savings, FSU, CV(RMSE), NMBE, whether it meets ASHRAE G14 and counts
    toward the ≥ 15 % area."""
    scope = scope_of(ws, principal)
    rows = dashboard.cached(
        ws, ("retrofits", scope.key(), kind, status),
        lambda: list_projects(ws, scope, kind=kind, status=status))
    rows = sort_filter(rows, RETROFIT_LIST, sort=sort, order=order, q=q)
    if format == "xlsx":
        return report_response(ws, principal, "retrofits", rows, format,
                               f"retrofits-{principal.district_id}", lang=lang,
                               filters={"kind": kind, "status": status})
    if format != "json":
        return table_response(rows, format, f"retrofits-{principal.district_id}", LIST_COLUMNS)
    return fast_json(page(rows, limit, offset))


@router.get("/retrofits/progress", response_model=RetrofitProgressPublic, responses=_RESPONSES)
def get_retrofit_progress(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=1990, le=2100, description="as of the end of this year")],
) -> Response:
    """规划进度 — retrofitted area (completed retrofits in the plan period) against its target,
    the area with measured savings ≥ 15 % meeting ASHRAE G14 (and the area ≥ 15 % failing G14
    apart), commissioning projects completed per year. Targets come from the district's
    target catalogue."""
    scope = scope_of(ws, principal)
    out = dashboard.cached(
        ws, ("retrofit_progress", scope.key(), year),
        lambda: retrofit_progress(ws, principal.district_id, year, scope))
    return fast_json(out)


@router.get("/retrofits/{code}", response_model=RetrofitDetailPublic, responses=_RESPONSES)
def get_retrofit(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    code: Annotated[str, Path(min_length=1, max_length=64, pattern=_CODE)],
) -> Response:
    """项目详情 — one project in scope, every M&V result (newest first, with the inputs used)
    and the latest result's monthly baseline vs actual kWh (for a chart)."""
    scope = scope_of(ws, principal)
    out = project_detail(ws, scope, code)
    return fast_json(out)


class ProjectIn(BaseModel):
    """A retrofit or commissioning project (created, or updated by its code)."""

    model_config = ConfigDict(extra="forbid")
    code: Code
    entity_id: Code
    kind: Kind = "retrofit"
    name: str = Field(min_length=1, max_length=256, pattern=NO_NUL)
    measures: list[Annotated[str, StringConstraints(min_length=1, max_length=200,
                                                    pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=100)
    start_date: Day
    end_date: Day | None = None
    floor_area_m2: float = Field(gt=0, le=1e8, allow_inf_nan=False)
    investment_10k_cny: float | None = Field(None, ge=0, le=1e9, allow_inf_nan=False)
    claimed_savings_kwh: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False)
    claimed_savings_fraction: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False)
    status: Status = "planned"
    note: str = Field("", max_length=2000, pattern=NO_NUL)


@router.post("/retrofits", response_model=ProjectSavedPublic, responses=_RESPONSES | {
    409: {"description": "the project was changed by a concurrent request; try again"}})
def post_retrofit(ws: CurrentWorkspace, principal: ProjectEditor,
                  body: ProjectIn) -> Response:
    """登记/修改项目 — create a project, or update the one with this code (analysts and
    admins; audit-logged field by field; an equal project changes nothing). Two requests
    creating the same new code at once: the later one updates the project (409 if that
    fails too)."""
    errors = check_values(body.model_dump(), "request", None)
    if errors:
        raise InputValidationError(errors)
    spec = ProjectSpec(
        code=body.code, entity_id=body.entity_id, kind=body.kind, name=body.name.strip(),
        measures=tuple(m.strip() for m in body.measures if m.strip()),
        start_date=body.start_date, end_date=body.end_date, floor_area_m2=body.floor_area_m2,
        investment_10k_cny=body.investment_10k_cny,
        claimed_savings_kwh=body.claimed_savings_kwh,
        claimed_savings_fraction=body.claimed_savings_fraction, status=body.status,
        note=body.note)
    ws = acting_as(ws, principal)
    out, what = save_project(ws, principal.district_id, spec,
                             source=f"api by {principal.actor}")
    return fast_json({"result": what, "project": out}, 201 if what == "created" else 200)


class MvRunIn(BaseModel):
    """Which projects to measure, and up to which day."""

    model_config = ConfigDict(extra="forbid")
    codes: list[Code] | None = Field(None, min_length=1, max_length=1000)
    as_of: Day | None = None


@router.post("/mv/run", response_model=MeasuredPublic, responses=_RESPONSES)
def post_mv_run(ws: CurrentWorkspace, principal: MvRunner,
                body: MvRunIn) -> Response:
    """节能量测算 — measure the savings of the completed projects (or ``codes``): one stored
    result per project (analysts and admins)."""
    ws = acting_as(ws, principal)
    rows = measure(ws, principal.district_id, codes=body.codes, as_of=body.as_of)
    return fast_json({"measured": rows})


@router.get("/weather", response_model=WeatherPublic, responses=_RESPONSES | EXPORTS)
def get_weather(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    start: Annotated[dt.date | None, Query(alias="from", description="first day")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="last day (inclusive)")]
    = None,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """日平均气温 — the district's stored daily mean temperatures [°C] from ``from`` to ``to``
    (at most about ten years), with coverage and monthly means."""
    for name, v in (("from", start), ("to", end)):
        if v is not None and not dt.date(1990, 1, 1) <= v <= dt.date(2100, 12, 31):
            raise InputValidationError([RowError("query", None, name, v.isoformat(),
                                                 i18n_msg("intake.weather.day_range",
                                                          first=1990, last=2100))])
    if start is not None and end is not None and (
            end < start or (end - start).days >= MAX_WEATHER_DAYS):
        raise InputValidationError([RowError("query", None, "to", end.isoformat(),
                                             i18n_msg("intake.query.to_range",
                                                      days=MAX_WEATHER_DAYS))])
    rows = weather_days(ws, principal.district_id, start, end)
    rows = rows[-MAX_WEATHER_DAYS:] if start is None else rows[:MAX_WEATHER_DAYS]
    if format == "xlsx":
        return report_response(ws, principal, "weather", rows, format,
                               f"weather-{principal.district_id}", lang=lang,
                               filters={"from": start, "to": end})
    if format != "json":
        return table_response(rows, format, f"weather-{principal.district_id}")
    return fast_json({"items": rows, "total": len(rows),
                      "summary": weather_summary(rows, start, end)})
