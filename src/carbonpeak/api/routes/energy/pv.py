"""API: rooftop PV — the sites, expected yield and monitoring in scope; roof potential and
progress against the plans' targets for the district's analysts.

Sites, their modelled yield and their monitoring are per building: every role reads those of
its own scope (a street officer its street's buildings, an entity role its own; organisation
roles none). The roof potential per street and cohort and the district's progress (capacity,
roof shares) are district-wide aggregates of a few sites each, so only the district's
analysts and admins read them (403 for the others).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import JSONRoute, fast_json
from carbonpeak.api.schemas.common import GeoJsonGeometry, Public
from carbonpeak.api.schemas.metrics import FigurePublic
from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.publish import dashboard
from carbonpeak.publish.dashboard import class_breaks
from carbonpeak.services.access.scope import ANALYST_ROLES, AccessScope, scope_of
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv import forecast as pv_forecast
from carbonpeak.services.energy.pv.registry import load_sites, read_weather_file
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
Forecaster = Annotated[Principal, requires(*ANALYST_ROLES, what="store PV forecasts")]
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
    modelled_pr: float | None
    coverage: float
    underperforming: bool
    data_gap: bool
    clipping_suspected: bool


class PvMonitoringPublic(Public):
    """Monitoring of the metered sites in scope; a month is underperforming when measured <
    ``fault_ratio`` × modelled (the model clipping at the inverter's kW AC)."""

    year: int
    weather: str
    synthetic: bool
    fault_ratio: float
    fault_rule_source: str
    fault_rule_status: str
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


class PvForecastErrorPublic(Public):
    """nMAE and nRMSE normalised by the AC capacity (NB/T 32011) over the measured hours."""

    hours: int
    capacity_kw: float
    nmae: float
    nrmse: float


class PvSiteForecastPublic(Public):
    """One site's hourly forecast [kW], and its errors once the day is measured."""

    site_id: str
    entity_id: str
    kw_ac: float
    kw: list[float]
    kwh: float
    errors: PvForecastErrorPublic | None


class PvForecastPublic(Public):
    """A stored day-ahead forecast: the sites in the caller's scope, their sum
    (``total_kw``), and for the district's analysts the whole district's errors."""

    date: str
    hours: list[str]
    issued_at: str | None
    day_ahead: bool
    weather_file: str
    whole_district: bool
    sites: list[PvSiteForecastPublic]
    total_kw: list[float]
    total_kwh: float
    district_errors: PvForecastErrorPublic | None


class PvForecastDayPublic(Public):
    """One stored forecast of the year and its district errors (None until measured)."""

    date: str
    total_kwh: float
    sites: int
    kw_ac: float
    issued_at: str | None
    day_ahead: bool
    weather_file: str
    errors: PvForecastErrorPublic | None


class PvForecastMeanPublic(Public):
    """Over the measured days: mean nMAE, root-mean-square nRMSE (hour-weighted)."""

    days: int
    hours: int
    nmae: float
    nrmse: float


class PvForecastsPublic(Public):
    """The year's stored forecasts and their accuracy, with the NB/T 32011 limit's source."""

    year: int
    forecasts: list[PvForecastDayPublic]
    measured: PvForecastMeanPublic | None
    limit_nrmse: float
    limit_source: str
    limit_status: str


def _forecast_answer(ws: Any, scope: AccessScope, d: Any, day: dt.date,  # noqa: ANN401
                     fc: pd.DataFrame) -> dict[str, Any]:
    sites = load_sites(ws, d)
    entity = dict(zip(sites["site_id"].astype(str), sites["entity_id"].astype(str),
                      strict=True))
    summary = pv_forecast.forecast_summary(ws, d, day, fc)
    errs = {e["site_id"]: e for e in summary["errors"]["sites"]}
    kw_ac: dict[str, float] = fc.attrs.get("kw_ac", {})
    shown = [c for c in fc.columns if c != "district" and c in entity
             and scope.sees_entity(entity[c])]
    total = fc[shown].sum(axis=1) if shown else fc["district"] * 0.0
    whole = bool(scope.everything)
    return {"date": str(day), "hours": [f"{t:%H:%M}" for t in pd.DatetimeIndex(fc.index)],
            "issued_at": summary["issued_at"], "day_ahead": summary["day_ahead"],
            "weather_file": summary["weather_file"], "whole_district": whole,
            "sites": [{"site_id": c, "entity_id": entity[c], "kw_ac": float(kw_ac.get(c, 0.0)),
                       "kw": [round(float(v), 3) for v in fc[c]], "kwh": float(fc[c].sum()),
                       "errors": _err(errs.get(c))} for c in shown],
            "total_kw": [round(float(v), 3) for v in total], "total_kwh": float(total.sum()),
            "district_errors": _err(summary["errors"]["district"]) if whole else None}


def _err(e: dict[str, Any] | None) -> dict[str, Any] | None:
    if not e:
        return None
    return {k: e[k] for k in ("hours", "capacity_kw", "nmae", "nrmse")}


@router.get("/forecast", response_model=PvForecastPublic,
            responses=_RESPONSES | {404: {"description": "no forecast stored for the day"}})
def get_forecast(ws: CurrentWorkspace, principal: CurrentPrincipal,
                 date: Annotated[dt.date, Query(description="the forecast day")]) -> Response:
    """光伏日前预测 — the stored day-ahead forecast of ``date``: hourly kW per site in the
    caller's scope and their sum, with nMAE/nRMSE once the meters have the day (the
    district's errors for its analysts)."""
    scope = scope_of(ws, principal)
    d = ws.district(principal.district_id)
    fc = pv_forecast.stored_forecast(ws, d, date)
    if fc is None:
        raise NotFoundError(msg("pv.forecast.none_stored", day=str(date)))
    return fast_json(_forecast_answer(ws, scope, d, date, fc))


@router.post("/forecast", response_model=PvForecastPublic, status_code=201,
             responses=_RESPONSES | {409: {"description": "the day is measured already"}})
async def post_forecast(
        ws: CurrentWorkspace, principal: Forecaster,
        date: Annotated[dt.date, Form(description="the forecast day")],
        file: Annotated[UploadFile, File(description="weather forecast: EPW, CSV or xlsx "
                                         "in the hourly weather's format")],
        issued_at: Annotated[dt.datetime | None, Form(
            description="when the weather forecast was issued (UTC); default now")] = None,
) -> Response:
    """预测并存储 — run the day-ahead forecast of ``date`` from a weather forecast file and
    store it (audit-logged; the same file again changes nothing; refused with 409 once the
    day is measured). District analysts and admins."""
    ws = acting_as(ws, principal)
    d = ws.district(principal.district_id)
    data = await file.read()
    name = Path(file.filename or "forecast.csv").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        weather = read_weather_file(path, d.timezone or "Asia/Shanghai")
    try:
        fc = pv_forecast.forecast(ws, d, date, weather)
    except ValueError as exc:
        raise InputValidationError([RowError(name, None, "ts", str(date), msg(
            "pv.forecast.no_day", day=str(date)))]) from exc
    issued = issued_at.astimezone(dt.UTC).replace(tzinfo=None) \
        if issued_at is not None and issued_at.tzinfo is not None else issued_at
    pv_forecast.store_forecast(ws, d, date, fc, weather_file=name,
                               weather_sha256=hashlib.sha256(data).hexdigest(),
                               issued_at=issued)
    stored = pv_forecast.stored_forecast(ws, d, date)
    assert stored is not None
    return fast_json(_forecast_answer(ws, scope_of(ws, principal), d, date, stored),
                     status=201)


@router.get("/forecasts", response_model=PvForecastsPublic, responses=_RESPONSES)
def get_forecasts(ws: CurrentWorkspace, principal: Analyst, year: Year) -> Response:
    """预测准确率 — the year's stored forecasts and their district nMAE/nRMSE once measured
    (district analysts and admins)."""
    d = ws.district(principal.district_id)
    acc = pv_forecast.year_accuracy(ws, d, year)
    acc["forecasts"] = [{k: r[k] for k in ("date", "total_kwh", "sites", "kw_ac", "issued_at",
                                           "day_ahead", "weather_file")}
                        | {"errors": _err(r["errors"]["district"])} for r in acc["forecasts"]]
    return fast_json(acc)


class PvMapSitePropsPublic(Public):
    """A PV site on the carbon map: ratings, commissioning and the year's status."""

    site_id: str
    entity_id: str
    name: str
    kwp_dc: float
    kw_ac: float
    commissioned_on: str
    status: str
    median_pr: float | None
    months_flagged: int


class PvMapSiteFeaturePublic(Public):
    """A GeoJSON feature: a PV site at its building (WGS84)."""

    type: str
    geometry: GeoJsonGeometry
    properties: PvMapSitePropsPublic


class PvMapRoofPropsPublic(Public):
    """A surveyed roof on the carbon map: its potential and what is installed."""

    entity_id: str
    name: str
    cohort: str
    is_new: bool
    roof_area_m2: float
    usable_share: float
    potential_kwp: float
    pilot_kwp: float
    installed_kwp: float


class PvMapRoofFeaturePublic(Public):
    """A GeoJSON feature: a surveyed roof at its building (WGS84)."""

    type: str
    geometry: GeoJsonGeometry
    properties: PvMapRoofPropsPublic


class PvMapSitesPublic(Public):
    """The PV sites layer (a GeoJSON FeatureCollection)."""

    type: str
    features: list[PvMapSiteFeaturePublic]


class PvMapRoofsPublic(Public):
    """The roof potential layer (a GeoJSON FeatureCollection)."""

    type: str
    features: list[PvMapRoofFeaturePublic]


class PvMapScalePublic(Public):
    """The district's fixed classes of a layer's metric (as the carbon map's)."""

    unit: str
    breaks: list[float]


class PvMapPublic(Public):
    """The carbon map's PV layers in the caller's scope, with the district's fixed scales."""

    year: int
    weather: str | None
    sites: PvMapSitesPublic
    roofs: PvMapRoofsPublic
    scales: dict[str, PvMapScalePublic]


@router.get("/map", response_model=PvMapPublic, responses=_RESPONSES)
def get_pv_map(ws: CurrentWorkspace, principal: CurrentPrincipal, year: Year) -> Response:
    """光伏图层 — the carbon map's PV layers: sites (kWp, commissioning, the year's status
    from monitoring) and roof potential per building, for the buildings in the caller's
    scope; the colour classes are the whole district's (the same for every role)."""
    scope = scope_of(ws, principal)
    d = ws.district(principal.district_id)
    full: dict[str, Any] = dashboard.cached(ws, ("pv_map", d.id, year),
                                            lambda: fleet.map_features(ws, d, year))

    def build() -> dict[str, Any]:
        def mine(layer: str) -> dict[str, Any]:
            return {"type": "FeatureCollection",
                    "features": [f for f in full[layer]["features"]
                                 if scope.sees_entity(str(f["properties"]["entity_id"]))]}

        pot = [float(f["properties"]["potential_kwp"]) for f in full["roofs"]["features"]]
        kwp = [float(f["properties"]["kwp_dc"]) for f in full["sites"]["features"]]
        return {"year": year, "weather": full["weather"], "sites": mine("sites"),
                "roofs": mine("roofs"),
                "scales": {"roofs_potential_kwp": {"unit": "kWp",
                                                   "breaks": class_breaks(pot)},
                           "sites_kwp_dc": {"unit": "kWp", "breaks": class_breaks(kwp)}}}

    return fast_json(dashboard.cached(ws, ("pv_map_scoped", scope.key(), year), build))
