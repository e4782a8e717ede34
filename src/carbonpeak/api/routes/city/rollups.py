"""The city roll-ups: ``GET /api/v1/cities/{city}/districts[/{district}]`` and
``GET /api/v1/cities/{city}/totals``, for a city analyst of that city only (read-only).

Every other role is refused (403): districts stay apart. Another city, or a district not in
the caller's city, answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace
from carbonpeak.api.responses import JSONRoute, fast_json
from carbonpeak.api.schemas.city.rollups import (
    CityDistrictPublic,
    CityDistrictsPublic,
    CityTotalsPublic,
)
from carbonpeak.errors import NotFoundError
from carbonpeak.services.city import city_of, city_totals, district_comparison
from carbonpeak.services.figures import year_end

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/cities", tags=["city"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "not a city analyst"},
    404: {"description": "no such city or district, or not the caller's"},
    422: {"description": "invalid parameters"},
}
_CODE = r"^[A-Za-z0-9_.\-]+$"
CityPath = Annotated[str, Path(max_length=64, pattern=_CODE, description="the city's code")]
DistrictPath = Annotated[str, Path(max_length=64, pattern=_CODE,
                                   description="a district of the city")]
YearQuery = Annotated[int, Query(ge=1990, le=2100, description="the figures' year")]
AsOfQuery = Annotated[dt.date | None, Query(
    description="as-of date of the figures; default 31 December of the year")]


@router.get("/{city}/districts", response_model=CityDistrictsPublic, responses=_RESPONSES)
def get_city_districts(ws: CurrentWorkspace, principal: CurrentPrincipal, city: CityPath,
                       year: YearQuery, as_of: AsOfQuery = None) -> Response:
    """各区对比 — every district of the city with its catalogue figures (metered account and
    statistics, each with its own basis, as-of and provenance)."""
    c = city_of(ws, principal, city)
    rows = district_comparison(ws, c, year=year, as_of=as_of)
    return fast_json({"city": c.id, "name_zh": c.name_zh, "name_en": c.name_en, "year": year,
                      "items": [r.to_dict() for r in rows]})


@router.get("/{city}/districts/{district}", response_model=CityDistrictPublic,
            responses=_RESPONSES)
def get_city_district(ws: CurrentWorkspace, principal: CurrentPrincipal, city: CityPath,
                      district: DistrictPath, year: YearQuery,
                      as_of: AsOfQuery = None) -> Response:
    """One district of the city in the comparison (404 for a district not in the city)."""
    c = city_of(ws, principal, city)
    for r in district_comparison(ws, c, year=year, as_of=as_of):
        if r.district_id == district:
            return fast_json(r.to_dict())
    msg = f"no district {district}"
    raise NotFoundError(msg)


@router.get("/{city}/totals", response_model=CityTotalsPublic, responses=_RESPONSES)
def get_city_totals(ws: CurrentWorkspace, principal: CurrentPrincipal, city: CityPath,
                    year: YearQuery, as_of: AsOfQuery = None) -> Response:
    """全市合计 — each total the sum of the districts' own values of one figure (核算口径 with
    核算口径, 统计口径 with 统计口径); None, naming the districts missing, unless every district
    has a value."""
    c = city_of(ws, principal, city)
    totals = city_totals(ws, c, year=year, as_of=as_of)
    return fast_json({"city": c.id, "name_zh": c.name_zh, "name_en": c.name_en, "year": year,
                      "as_of": (as_of or year_end(year)).isoformat(),
                      "items": [t.to_dict() for t in totals]})
