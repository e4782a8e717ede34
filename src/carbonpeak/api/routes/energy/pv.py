"""API: rooftop PV — the sites, expected yield and monitoring in scope; roof potential and
progress against the plans' targets for the district's analysts.

Sites, their modelled yield and their monitoring are per building: every role reads those of
its own scope (a street officer its street's buildings, an entity role its own; organisation
roles none). The roof potential per street and cohort and the district's progress (capacity,
roof shares) are district-wide aggregates of a few sites each, so only the district's
analysts and admins read them (403 for the others).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, requires
from carbonpeak.api.responses import JSONRoute, fast_json
from carbonpeak.api.schemas.common import Public
from carbonpeak.api.schemas.metrics import FigurePublic
from carbonpeak.publish import dashboard
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv.registry import load_sites
from carbonpeak.services.figures import PV_FIGURES, figures
from carbonpeak.storage.principals import Principal

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/pv", tags=["rooftop PV"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not read this"},
    422: {"description": "invalid parameters"},
}
Analyst = Annotated[Principal, requires(*ANALYST_ROLES, what="read the district's PV totals")]
Year = Annotated[int, Query(ge=1990, le=2100, description="calendar year")]


class PvSitePublic(Public):
    """A PV site of the asset registry, with its modelled yield of the year."""

    site_id: str
    entity_id: str
    kwp_dc: float
    kw_ac: float
    tilt_deg: float
    azimuth_deg: float
    commissioned_on: str
    meter_id: str | None
    ac_kwh: float | None
    specific_yield_kwh_kwp: float | None


class PvSitesPublic(Public):
    """The sites in scope; ``weather``: measured or synthetic (the year's modelled yield)."""

    year: int
    weather: str
    synthetic: bool
    items: list[PvSitePublic]


class PvMonthPublic(Public):
    """One metered site's month, measured against modelled."""

    site_id: str
    entity_id: str
    meter_id: str
    month: str
    measured_kwh: float
    modelled_kwh: float
    performance_ratio: float | None
    specific_yield_kwh_kwp: float
    measured_over_modelled: float | None
    coverage: float
    underperforming: bool
    data_gap: bool
    clipping_suspected: bool


class PvMonitoringPublic(Public):
    """Monitoring of the metered sites in scope."""

    year: int
    weather: str
    synthetic: bool
    pr_threshold: float
    rows: list[PvMonthPublic]


class PvPotentialRowPublic(Public):
    """Roof potential of one street and cohort."""

    street: str
    cohort: str
    roofs: int
    not_feasible: int
    roof_area_m2: float
    usable_area_m2: float
    potential_kwp: float
    pilot_kwp: float
    installed_kwp: float


class PvPotentialPublic(Public):
    """Roof potential per street and cohort, with the defaults' sources."""

    module_efficiency: float
    efficiency_source: str
    efficiency_status: str
    pilot_shares: dict[str, float]
    pilot_source: str
    pilot_status: str
    rows: list[PvPotentialRowPublic]
    total_potential_kwp: float
    total_pilot_kwp: float
    total_installed_kwp: float
    #: the figure catalogue's PV figures of ``year`` (with its basis and as-of), when asked
    figures: list[FigurePublic] = []


class PvGroupPublic(Public):
    """Roofs of a plan group with PV at a year end."""

    roofs: int
    roofs_with_pv: int
    roof_area_m2: float
    pv_area_m2: float
    count_share: float | None
    area_share: float | None


class PvYearPublic(Public):
    """Capacity and roof shares at a year end."""

    year: int
    kwp_dc: float
    kw_ac: float
    sites: int
    new_kwp_dc: float
    new_kw_ac: float
    new_sites: int
    groups: dict[str, PvGroupPublic]


class PvProgressPublic(Public):
    """Progress since the base year."""

    base_year: int
    years: list[PvYearPublic]
    #: the figure catalogue's PV figures of ``year`` (the targets' values), when asked
    figures: list[FigurePublic] = []


@router.get("/sites", response_model=PvSitesPublic, responses=_RESPONSES)
def get_sites(ws: CurrentWorkspace, principal: CurrentPrincipal, year: Year) -> Response:
    """光伏电站 — the PV sites in scope with their modelled AC energy of ``year``."""
    scope = scope_of(ws, principal)
    d = ws.district(principal.district_id)

    def build() -> dict[str, Any]:
        exp = fleet.expected(ws, d, year)
        by = {r["site_id"]: r for r in exp["sites"]}
        sites = load_sites(ws, d)
        items = []
        for r in sites.to_dict("records"):
            if not scope.sees_entity(str(r["entity_id"])):
                continue
            e = by.get(str(r["site_id"]), {})
            items.append({"site_id": str(r["site_id"]), "entity_id": str(r["entity_id"]),
                          "kwp_dc": float(r["kwp_dc"]), "kw_ac": float(r["kw_ac"]),
                          "tilt_deg": float(r["tilt_deg"]),
                          "azimuth_deg": float(r["azimuth_deg"]),
                          "commissioned_on": str(r["commissioned_on"]),
                          "meter_id": r["meter_id"] or None, "ac_kwh": e.get("ac_kwh"),
                          "specific_yield_kwh_kwp": e.get("specific_yield_kwh_kwp")})
        return {"year": year, "weather": exp["weather"], "synthetic": exp["synthetic"],
                "items": items}

    return fast_json(dashboard.cached(ws, ("pv_sites", scope.key(), year), build))


@router.get("/monitoring", response_model=PvMonitoringPublic, responses=_RESPONSES)
def get_monitoring(ws: CurrentWorkspace, principal: CurrentPrincipal, year: Year) -> Response:
    """运行监测 — the metered sites in scope: measured against modelled per month, PR,
    specific yield, the flags."""
    scope = scope_of(ws, principal)
    d = ws.district(principal.district_id)

    def build() -> dict[str, Any]:
        mon = fleet.monitoring(ws, d, year)
        mon["rows"] = [r for r in mon["rows"] if scope.sees_entity(str(r["entity_id"]))]
        return mon

    return fast_json(dashboard.cached(ws, ("pv_monitoring", scope.key(), year), build))


@router.get("/potential", response_model=PvPotentialPublic, responses=_RESPONSES)
def get_potential(ws: CurrentWorkspace, principal: Analyst,
                  year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> Response:
    """屋顶潜力 — per street and cohort (district analysts and admins); with ``year``, the
    figure catalogue's PV figures of that year (the totals as published)."""
    d = ws.district(principal.district_id)
    out = dict(dashboard.cached(ws, ("pv_potential", d.id), lambda: fleet.potential(ws, d)))
    if year is not None:
        out["figures"] = figures(ws, year=year, district=d.id).dicts(*PV_FIGURES)
    return fast_json(out)


@router.get("/progress", response_model=PvProgressPublic, responses=_RESPONSES)
def get_progress(ws: CurrentWorkspace, principal: Analyst,
                 year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> Response:
    """目标进度 — capacity (DC, AC), new capacity since the base year and the plans' roof
    shares per year (district analysts and admins); with ``year``, the figure catalogue's PV
    figures of that year: the values the targets (HP-33, HP-37..39, TH-06/07/33) use."""
    d = ws.district(principal.district_id)
    out = dict(dashboard.cached(ws, ("pv_progress", d.id, year),
                                lambda: fleet.progress(ws, d, year)))
    if year is not None:
        out["figures"] = figures(ws, year=year, district=d.id).dicts(*PV_FIGURES)
    return fast_json(out)
