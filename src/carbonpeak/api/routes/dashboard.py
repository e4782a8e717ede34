"""The dashboard's and the carbon map's endpoints (驾驶舱与碳排放地图).

Each answer is computed from the official account in the caller's scope
(:mod:`carbonpeak.publish.dashboard`) and cached until the data changes.
"""

from __future__ import annotations

import gzip
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace
from carbonpeak.api.exports import ExportLang, about_for, report_response, xlsx_response
from carbonpeak.api.listing import ListSpec, Order, Search, Sort, sort_filter
from carbonpeak.api.responses import (
    EXPORTS,
    GEOJSON,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    file_responses,
    geojson_response,
    page,
    table_response,
)
from carbonpeak.api.schemas.dashboard import (
    EntityPagePublic,
    KeyUnitsPublic,
    MapPublic,
    OverviewPublic,
    StreetComparisonPublic,
    StreetPagePublic,
)
from carbonpeak.errors import NotFoundError
from carbonpeak.publish import dashboard, drilldown
from carbonpeak.publish.basemap import basemap_info, basemap_path
from carbonpeak.publish.tables import entity_page_sheets
from carbonpeak.services.access.scope import scope_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["dashboard and map"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters"},
}
YearQuery = Annotated[int | None, Query(ge=1990, le=2100,
                                        description="default: the latest accounted year")]
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                         description="YYYY-MM; default the whole year")]


@router.get("/dashboard/overview", response_model=OverviewPublic, responses=_RESPONSES)
def get_overview(ws: CurrentWorkspace, principal: CurrentPrincipal,
                 year: YearQuery = None) -> Response:
    """总览 — energy and CO2 this year and last, intensity against the target path, monthly
    by carrier and sector, key units, warnings and data coverage, in the caller's scope."""
    data = dashboard.overview(ws, scope_of(ws, principal), year)
    return fast_json(data)


@router.get("/dashboard/streets", response_model=StreetComparisonPublic,
            responses=_RESPONSES | EXPORTS)
def get_street_comparison(ws: CurrentWorkspace, principal: CurrentPrincipal,
                          year: YearQuery = None, format: Format = "json",  # noqa: A002
                          lang: ExportLang = "zh") -> Response:
    """街道对比 — energy, CO2, floor area, kgce/m², change against last year and the worst
    warning of each street in scope."""
    data = dashboard.street_comparison(ws, scope_of(ws, principal), year)
    if format == "xlsx":
        return report_response(ws, principal, "streets", data["items"], format,
                               f"streets-{data['year']}", lang=lang, year=data["year"],
                               run_id=data.get("account_run_id"), filters={"year": year})
    if format != "json":
        return table_response(data["items"], format, f"streets-{data['year']}")
    return fast_json(data)


@router.get("/dashboard/streets/{street_id}", response_model=StreetPagePublic,
            responses=_RESPONSES | EXPORTS)
def get_street_page(ws: CurrentWorkspace, principal: CurrentPrincipal,
                    street_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                    year: YearQuery = None, format: Format = "json",  # noqa: A002
                    lang: ExportLang = "zh") -> Response:
    """街道页 — every entity of a street in scope (not only key units): kind, building type,
    floor area, meters, the year's energy (tce) and CO2 from the official account; a street
    outside the caller's scope answers 404 like an unknown one."""
    data = drilldown.street_page(ws, scope_of(ws, principal), street_id, year)
    if format == "xlsx":
        return report_response(ws, principal, "street-entities", data["items"], format,
                               f"street-{data['street']['code']}-{data['year']}", lang=lang,
                               year=data["year"], run_id=data.get("account_run_id"),
                               filters={"street": data["street"]["code"], "year": year})
    if format != "json":
        return table_response(data["items"], format,
                              f"street-{data['street']['code']}-{data['year']}",
                              columns=drilldown.STREET_ENTITY_COLUMNS)
    return fast_json(data)


@router.get("/dashboard/entities/{entity_id}", response_model=EntityPagePublic,
            responses=_RESPONSES | file_responses(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "with format=xlsx: the page's tables as sheets"))
def get_entity_page(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    entity_id: Annotated[str, Path(min_length=1, max_length=64,
                                   pattern=r"^[A-Za-z0-9_.\-]+$")],
    year: YearQuery = None,
    format: Annotated[Literal["json", "xlsx"], Query(
        description="json, or xlsx: the page's tables as sheets")] = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """主体页 — monthly energy by carrier and sub-meter, EUI and its rank in its building
    type, data quality, warnings and meters of one entity; ``format=xlsx``: its tables as
    sheets, in ``lang``."""
    data = dashboard.entity_page(ws, scope_of(ws, principal), entity_id, year)
    if format == "xlsx":
        sheets, facts = entity_page_sheets(data, lang)
        about = about_for(ws, principal, lang, year=data.get("year"),
                          filters={"entity_id": entity_id, "year": year})
        about.extra = facts
        return xlsx_response(sheets, about, lang, f"entity-{entity_id}-{data.get('year')}")
    return fast_json(data)


KEY_UNIT_LIST = ListSpec(
    sortable={"entity_id": "text", "name": "text", "street_name_zh": "text",
              "building_type": "text", "sector": "text", "tce_equal": "num", "tce_own": "num",
              "tco2": "num", "budget_tce": "num", "budget_elastic_tce": "num",
              "warning_ratio": "num", "key_unit_rule": "text"},
    search=("entity_id", "name", "street_name_zh", "street_name_en"))


@router.get("/key-units", response_model=KeyUnitsPublic, responses=_RESPONSES | EXPORTS)
def get_key_units(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    q: Search = None, sort: Sort = None, order: Order = "asc",
    street_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    sector: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_()]{1,16}$")] = None,
    level: Annotated[str | None, Query(pattern=r"^(red|yellow|green|no_data|no_budget|none)$")]
    = None,
    limit: Limit = 50, offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """重点用能单位 — key units in scope with consolidated energy, CO2, budget and warning;
    search ``q`` in id, name and street, filter by street, sector and warning level, sort by
    ``sort`` (a column of ``KEY_UNIT_LIST``) in ``order``."""

    def run() -> list[dict[str, Any]]:
        rows = sort_filter(dashboard.key_units(ws, scope_of(ws, principal), year),
                           KEY_UNIT_LIST, sort=sort, order=order, q=q)
        if street_id is not None:
            rows = [r for r in rows if r["street_id"] == street_id]
        if sector is not None:
            rows = [r for r in rows if r["sector"] == sector]
        if level is not None:
            rows = [r for r in rows if (r["warning_level"] or "none") == level]
        return rows

    rows = run()
    years = dashboard.account_years(ws, principal.district_id)
    shown = year or (years[-1] if years else None)
    if format == "xlsx":
        return report_response(ws, principal, "key-units", rows, format,
                               f"key-units-{shown}", lang=lang, year=shown, filters={
                                   "q": q, "street_id": street_id, "sector": sector,
                                   "level": level})
    if format != "json":
        return table_response(rows, format, "key-units", columns=dashboard.KEY_UNIT_COLUMNS)
    labels = dashboard.key_unit_labels(ws, scope_of(ws, principal), shown)
    return fast_json(page(rows, limit, offset, year=shown, years=years) | labels)


@router.get("/map", response_model=MapPublic, responses=_RESPONSES)
def get_map(request: Request, ws: CurrentWorkspace, principal: CurrentPrincipal,
            year: YearQuery = None, month: MonthQuery = None) -> Response:
    """碳排放地图 — street polygons and buildings (points) with tCO2 and kgce/m² for a year
    or one month, the months available, and the optional base-map tile URL."""

    def payload() -> tuple[bytes, bytes]:
        # the district map is ~2 MB of JSON: encoded and gzipped once per data version
        scope = scope_of(ws, principal)
        base = basemap_info(ws)
        return dashboard.cached(
            ws, ("map-payload", scope.key(), year, month, ws.settings.map_tile_url,
                 base["version"] if base else None),
            lambda: _encoded(dashboard.map_layers(ws, scope, year, month,
                                                  ws.settings.map_tile_url) | {"basemap": base}))

    body, gz = payload()
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(gz, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(body, media_type="application/json", headers={"Vary": "Accept-Encoding"})


def _encoded(data: Any) -> tuple[bytes, bytes]:
    body = fast_json(data).body
    return bytes(body), gzip.compress(bytes(body), compresslevel=5, mtime=0)


@router.get("/map/basemap.pmtiles", response_class=Response,
            responses=_RESPONSES | file_responses("application/octet-stream",
                                                  "the offline base map (PMTiles)"))
def get_basemap(ws: CurrentWorkspace, _principal: CurrentPrincipal) -> Response:
    """离线底图 — the PMTiles archive the admin imported (``carbonpeak map import-basemap``),
    served with HTTP range requests (206) as the pmtiles protocol reads it; 404 without one."""
    path = basemap_path(ws)
    if not path.is_file():
        msg = "no base map imported (carbonpeak map import-basemap FILE.pmtiles)"
        raise NotFoundError(msg)
    return FileResponse(path, media_type="application/octet-stream")


@router.get("/map/streets.geojson", response_class=Response,
            responses=_RESPONSES | file_responses(GEOJSON, "the street polygons (download)"))
def get_map_streets(ws: CurrentWorkspace, principal: CurrentPrincipal,
                    year: YearQuery = None, month: MonthQuery = None) -> Response:
    """街道图层 (GeoJSON download) — the map's street polygons with their figures."""
    data = dashboard.map_layers(ws, scope_of(ws, principal), year, month, None)
    return geojson_response(data["streets"], f"streets-{month or data['year']}")


@router.get("/map/entities.geojson", response_class=Response,
            responses=_RESPONSES | file_responses(GEOJSON, "the building points (download)"))
def get_map_entities(ws: CurrentWorkspace, principal: CurrentPrincipal,
                     year: YearQuery = None, month: MonthQuery = None) -> Response:
    """建筑图层 (GeoJSON download) — the map's buildings (points) with their figures."""
    data = dashboard.map_layers(ws, scope_of(ws, principal), year, month, None)
    return geojson_response(data["entities"], f"entities-{month or data['year']}")


