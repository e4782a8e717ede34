"""API: Commissioning candidates (调适) from stored interval data, with the evidence per building.

Every role reads its own scope: analysts and admins the district, a street officer its
street's buildings, an entity role its own; ranks are within the reader's scope. A building
outside the scope is answered exactly like one that does not exist (404). Answers are cached
per scope and year until the data change (:func:`carbonpeak.publish.dashboard.cached`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace
from carbonpeak.api.exports import ExportLang, report_response
from carbonpeak.api.listing import ListSpec, Order, Search, Sort, sort_filter
from carbonpeak.api.responses import (
    EXPORTS,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    file_responses,
    page,
    table_response,
)
from carbonpeak.api.schemas.commissioning import (
    CommissioningPublic,
    EvidencePublic,
)
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg
from carbonpeak.publish import dashboard
from carbonpeak.services.access.scope import AccessScope, scope_of
from carbonpeak.services.buildings.commissioning import (
    COMMISSIONING_COLUMNS,
    Commissioning,
    commissioning,
    readings_years,
)
from carbonpeak.storage.workspace import Workspace

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["public buildings"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    404: {"description": "not found, outside the caller's scope, or no hourly data"},
    422: {"description": "invalid parameters"},
    400: {"description": "no Chinese font for the chart, or bad thresholds in the profile"},
}
YearQuery = Annotated[int | None, Query(ge=1990, le=2100, description=(
    "year of the hourly data; default the latest year with interval readings"))]
EntityPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


def _screen(ws: Workspace, scope: AccessScope, year: int | None) -> Commissioning:
    if year is None:
        years = readings_years(ws, scope.district_id)
        if not years:
            raise NotFoundError(msg("error.commissioning.no_readings"))
        year = years[-1]
    y = year
    return dashboard.cached(ws, ("commissioning", scope.key(), y),
                            lambda: commissioning(ws, scope.district_id, y, scope=scope))


def _png(ws: Workspace, scope: AccessScope, year: int | None, entity_id: str) -> bytes:
    from carbonpeak.publish.commissioning_charts import evidence_png

    c = _screen(ws, scope, year)
    evidence = c.evidence(entity_id)  # NotFoundError before any drawing
    return dashboard.cached(ws, ("commissioning.png", scope.key(), c.year, entity_id),
                            lambda: evidence_png(evidence))


COMMISSIONING_LIST = ListSpec(
    sortable={"rank": "num", "entity_id": "text", "name": "text", "building_type": "text",
              "street_name_zh": "text", "floor_area_m2": "num", "score": "num",
              "avoidable_kwh": "num", "avoidable_kwh_per_m2": "num",
              "base_load_ratio": "num", "weekend_ratio": "num", "load_factor": "num",
              "n_findings": "num"},
    search=("entity_id", "name", "street_name_zh", "street_code"))


@router.get("/commissioning", response_model=CommissioningPublic, responses=_RESPONSES | EXPORTS)
def get_commissioning(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    q: Search = None, sort: Sort = None, order: Order = "asc", limit: Limit = 100,
    offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """调适候选 — buildings in scope ranked by avoidable energy (holiday waste and night base
    load above the target), with night/occupied load, non-working-day ratio, load factor,
    simultaneous heating/cooling and plant COP where measurable, and findings (zh/en).
    ``without_data`` lists the buildings in scope that could not be screened, and why."""
    c = _screen(ws, scope_of(ws, principal), year)
    if format == "xlsx":
        return report_response(ws, principal, "commissioning", c.rows(), format,
                               f"commissioning-{c.district_id}-{c.year}", lang=lang,
                               year=c.year)
    if format != "json":
        return table_response(c.rows(), format, f"commissioning-{c.district_id}-{c.year}",
                              COMMISSIONING_COLUMNS)
    items = sort_filter(c.items, COMMISSIONING_LIST, sort=sort, order=order, q=q)
    return fast_json(page(items, limit, offset, **c.header()))


@router.get("/commissioning/{entity_id}", response_model=EvidencePublic, responses=_RESPONSES)
def get_commissioning_evidence(
    ws: CurrentWorkspace, principal: CurrentPrincipal, entity_id: EntityPath,
    year: YearQuery = None,
) -> Response:
    """调适证据 — one building's figures and evidence series (ECharts-ready): mean 24-hour
    profile of working and non-working days [kW], night base load and occupied load by month
    [kW], daily energy [kWh], and where measured simultaneous heating/cooling hours and plant
    COP by month."""
    data = _screen(ws, scope_of(ws, principal), year).evidence(entity_id)
    return fast_json(data)


@router.get("/commissioning/{entity_id}/chart.png", response_class=Response,
            responses=_RESPONSES | file_responses("image/png", "the evidence chart"))
def get_commissioning_chart(
    ws: CurrentWorkspace, principal: CurrentPrincipal, entity_id: EntityPath,
    year: YearQuery = None,
) -> Response:
    """调适证据图 — the building's evidence as a PNG (Chinese titles, units)."""
    data = _png(ws, scope_of(ws, principal), year, entity_id)
    return Response(data, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=300"})
