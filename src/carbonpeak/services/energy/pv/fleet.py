"""The PV fleet: modelled yield, roof potential, progress against the targets, monitoring.

中文：光伏总体情况——理论发电量、屋顶潜力、目标进度与运行监测。

* **Expected** yield per site for a year: the chain of :mod:`.model` over the year's measured
  hourly weather when at least 95 % of its hours were imported, else over the synthetic year
  of :mod:`.climate` (the answer's ``weather`` says which; synthetic is always marked).
* **Potential** per street and cohort: usable area × module power per m²
  (:func:`~carbonpeak.domain.energy.pv.potential_kwp`) and the NEA pilot shares' kWp.
* **Progress**: capacity (DC and AC), new capacity since the base year, and the roof shares
  of the plans' groups (:data:`GROUPS`), per year; the target metrics (:data:`METRICS`)
  feed the targets module through :func:`metric_series`.
* **Monitoring**: each metered site's month against its model: measured energy from the
  lake's ``pv_generation`` readings (metered, compared with the model only, never with
  statistics), PR, specific yield and the flags of
  :func:`~carbonpeak.domain.energy.pv.monitoring_flags`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import select

from carbonpeak.domain.energy import pv as rules
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.plan_files import TARGET_METRICS
from carbonpeak.services.energy.pv.climate import Climate, district_climate, synthetic_year
from carbonpeak.services.energy.pv.registry import load_roofs, load_sites, stored_weather
from carbonpeak.storage.registry.models import District, Entity
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import PvSiteStatus
from carbonpeak.vocabulary import RoofCohort as C

__all__ = ["GROUPS", "METRICS", "PvSettings", "expected", "map_features", "measured_hourly",
           "metric_series", "monitoring", "potential", "progress", "pv_settings",
           "site_status", "year_weather"]

PUBLIC = (C.GOVERNMENT, C.PUBLIC_INSTITUTION, C.SCHOOL_HOSPITAL)
#: the plans' roof groups: cohorts and new (True), existing (False) or both (None)
GROUPS: dict[str, tuple[tuple[C, ...], bool | None]] = {
    "public_new": (PUBLIC, True),                  # HP-37: 新建公共机构屋顶
    "public_existing": (PUBLIC, False),            # HP-38: 既有公共机构屋顶
    "other_public_new": ((C.COMMERCIAL,), True),   # HP-39: 新建其他类型公共建筑
    "public_industrial_new": ((*PUBLIC, C.INDUSTRIAL), True),  # TH-33: 新建公共机构、厂房
}
#: target metric -> (what, unit); computed per year by :func:`metric_series`
METRICS: dict[str, str] = {k: v for k, v in TARGET_METRICS.items()
                           if k.startswith("pv_") and k != "pv_generation_mwh"}
#: the share of a year's hours of measured weather from which it is used (else synthetic)
MIN_WEATHER_HOURS = 0.95


@dataclass(frozen=True)
class PvSettings:
    """A district's PV settings (profile ``[pv]``; defaults from the rules)."""

    base_year: int
    module_efficiency: float
    fault_ratio: float
    climate: Climate


def pv_settings(d: District) -> PvSettings:
    """The district's settings: profile ``[pv]`` ``base_year`` (default 2020, the plans'
    baseline), ``module_efficiency``, ``fault_ratio`` (a month is underperforming below this
    share of its modelled energy), location."""
    pv = (d.profile or {}).get("pv") or {}
    return PvSettings(int(pv.get("base_year", 2020)),
                      float(pv.get("module_efficiency", rules.DEFAULT_MODULE_EFFICIENCY.value)),
                      float(pv.get("fault_ratio", rules.DEFAULT_FAULT_RATIO.value)),
                      district_climate(d.profile))


def year_weather(ws: Workspace, d: District, year: int) -> tuple[pd.DataFrame, str]:
    """The year's hourly weather and its basis: ``measured`` (imported hours, when at least
    95 % of the year's) or ``synthetic`` (:func:`~.climate.synthetic_year`)."""
    start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    w = stored_weather(ws, d, start, end)
    hours = (end - start).total_seconds() / 3600
    if len(w) >= MIN_WEATHER_HOURS * hours:
        return w, "measured"
    return synthetic_year(pv_settings(d).climate, year), "synthetic"


def _sites_in_operation(sites: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    return sites[sites["commissioned_on"] <= day].reset_index(drop=True)


def expected(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """Modelled AC energy and specific yield per site for ``year`` (every registered site,
    as if it ran the whole year), with the weather's basis."""
    cfg = pv_settings(d)
    sites = load_sites(ws, d)
    weather, basis = year_weather(ws, d, year)
    rows: list[dict[str, Any]] = []
    if not sites.empty:
        from carbonpeak.services.energy.pv.model import (  # noqa: PLC0415
            model_sites,  # pvlib only when a yield is modelled
        )

        res = model_sites(sites, weather, cfg.climate.location)
        ac, poa = res.annual_ac_kwh, res.annual_poa_kwh_m2
        for r in cast("list[dict[str, Any]]", sites.to_dict("records")):
            sid = str(r["site_id"])
            kwh = float(ac[sid])
            rows.append({"site_id": sid, "entity_id": r["entity_id"],
                         "kwp_dc": float(r["kwp_dc"]), "kw_ac": float(r["kw_ac"]),
                         "ac_kwh": kwh,
                         "specific_yield_kwh_kwp": rules.specific_yield(kwh, float(r["kwp_dc"])),
                         "poa_kwh_m2": float(poa[sid])})
    total_kwp = float(sites["kwp_dc"].sum()) if not sites.empty else 0.0
    total = sum(r["ac_kwh"] for r in rows)
    return {"year": year, "weather": basis, "synthetic": basis == "synthetic",
            "climate_source": cfg.climate.source if basis == "synthetic" else "",
            "sites": rows, "total_ac_kwh": total, "total_kwp_dc": total_kwp,
            "specific_yield_kwh_kwp": total / total_kwp if total_kwp else None}


def _roofs(frame: pd.DataFrame) -> list[rules.Roof]:
    records = cast("list[dict[str, Any]]", frame.to_dict("records"))
    return [rules.Roof(str(r["entity_id"]), C(r["cohort"]), bool(r["is_new"]),
                       float(r["roof_area_m2"]), float(r["usable_share"]), str(r["street"]))
            for r in records]


def _sites(frame: pd.DataFrame) -> list[rules.Site]:
    records = cast("list[dict[str, Any]]", frame.to_dict("records"))
    return [rules.Site(str(r["site_id"]), str(r["entity_id"]), float(r["kwp_dc"]),
                       float(r["kw_ac"]), r["commissioned_on"]) for r in records]


def potential(ws: Workspace, d: District) -> dict[str, Any]:
    """Roof potential per street and cohort (new and existing together): roofs, roof and
    usable area, technical potential (usable area), the NEA pilot shares' kWp, and the DC
    capacity installed on those roofs."""
    cfg = pv_settings(d)
    roofs = load_roofs(ws, d)
    sites = load_sites(ws, d)
    installed = sites.groupby("entity_id")["kwp_dc"].sum() if not sites.empty else pd.Series()
    rows: list[dict[str, Any]] = []
    if not roofs.empty:
        roofs = roofs.assign(
            usable_m2=roofs["roof_area_m2"] * roofs["usable_share"],
            pilot_kwp=[rules.pilot_potential_kwp(r, cfg.module_efficiency)
                       for r in _roofs(roofs)],
            installed_kwp=roofs["entity_id"].map(installed).fillna(0.0))
        g = roofs.groupby(["street", "cohort"], sort=True).agg(
            roofs=("entity_id", "count"), roof_area_m2=("roof_area_m2", "sum"),
            usable_area_m2=("usable_m2", "sum"), pilot_kwp=("pilot_kwp", "sum"),
            installed_kwp=("installed_kwp", "sum"),
            not_feasible=("usable_share", lambda s: int((s == 0).sum())))
        for key, r in g.iterrows():
            street, cohort = cast("tuple[str, str]", key)
            rows.append({"street": street, "cohort": cohort, "roofs": int(r["roofs"]),
                         "not_feasible": int(r["not_feasible"]),
                         "roof_area_m2": float(r["roof_area_m2"]),
                         "usable_area_m2": float(r["usable_area_m2"]),
                         "potential_kwp": rules.potential_kwp(float(r["usable_area_m2"]),
                                                              cfg.module_efficiency),
                         "pilot_kwp": float(r["pilot_kwp"]),
                         "installed_kwp": float(r["installed_kwp"])})
    return {"module_efficiency": cfg.module_efficiency,
            "efficiency_source": rules.DEFAULT_MODULE_EFFICIENCY.source,
            "efficiency_status": rules.DEFAULT_MODULE_EFFICIENCY.status,
            "pilot_shares": {c.value: s.value for c, s in rules.PILOT_SHARES.items()},
            "pilot_source": rules.PILOT_SHARES[C.GOVERNMENT].source,
            "pilot_status": rules.PILOT_SHARES[C.GOVERNMENT].status,
            "rows": rows,
            "total_potential_kwp": sum(r["potential_kwp"] for r in rows),
            "total_pilot_kwp": sum(r["pilot_kwp"] for r in rows),
            "total_installed_kwp": sum(r["installed_kwp"] for r in rows)}


def _years(sites: list[rules.Site], base_year: int, year: int | None) -> list[int]:
    if not sites:
        return []
    last = year if year is not None else max(s.commissioned_on.year for s in sites)
    return list(range(base_year + 1, last + 1))


def progress(ws: Workspace, d: District, year: int | None = None) -> dict[str, Any]:
    """Per year since the base year: capacity (DC, AC), new capacity, the groups' shares."""
    cfg = pv_settings(d)
    roofs, sites = _roofs(load_roofs(ws, d)), _sites(load_sites(ws, d))
    out: list[dict[str, Any]] = []
    for y in _years(sites, cfg.base_year, year):
        cap = rules.capacity_in_operation(sites, y)
        new = rules.new_capacity(sites, cfg.base_year, y)
        groups = {}
        for name, (cohorts, is_new) in GROUPS.items():
            sh = rules.roof_share(roofs, sites, y, cohorts=cohorts, is_new=is_new,
                                  efficiency=cfg.module_efficiency)
            groups[name] = {"roofs": sh.roofs, "roofs_with_pv": sh.roofs_with_pv,
                            "roof_area_m2": sh.roof_area_m2, "pv_area_m2": sh.pv_area_m2,
                            "count_share": sh.count_share, "area_share": sh.area_share}
        out.append({"year": y, "kwp_dc": cap.kwp_dc, "kw_ac": cap.kw_ac, "sites": cap.sites,
                    "new_kwp_dc": new.kwp_dc, "new_kw_ac": new.kw_ac, "new_sites": new.sites,
                    "groups": groups})
    return {"base_year": cfg.base_year, "years": out}


def metric_series(ws: Workspace, d: District,
                  metric: str) -> tuple[list[tuple[int, float]], Message | None]:
    """Yearly values of a PV target metric (:data:`METRICS`) and their source; empty without
    registered sites (a target then keeps its reported observations)."""
    prog = progress(ws, d)
    out: list[tuple[int, float]] = []
    for y in prog["years"]:
        v: float | None
        if metric.startswith("pv_capacity_mw_") or metric.startswith("pv_new_capacity_mw_"):
            key = ("new_" if "new" in metric else "") + (
                "kwp_dc" if metric.endswith("dc") else "kw_ac")
            v = y[key] / 1000.0
        else:
            group = metric.removeprefix("pv_roof_area_share_").removeprefix("pv_roof_share_")
            share = y["groups"][group]["area_share" if "area" in metric else "count_share"]
            v = None if share is None else 100.0 * share
        if v is not None:
            out.append((int(y["year"]), float(v)))
    if not out:
        return [], None
    return out, msg("pv.value_source", base_year=prog["base_year"])


def measured_hourly(ws: Workspace, d: District, meters: list[str], start: dt.datetime,
                    end: dt.datetime) -> pd.DataFrame:
    """Measured energy [kWh] per local hour (rows, naive local start of the hour) and meter
    (columns) from the lake's interval readings in [start, end) local time; the count of
    readings per hour is in ``attrs["counts"]``."""
    tz = d.timezone or "Asia/Shanghai"
    lo = pd.Timestamp(start).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    hi = pd.Timestamp(end).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    months = pd.period_range(lo - pd.Timedelta(days=1), hi, freq="M").strftime("%Y-%m").tolist()
    files = ws.lake.live_files(d.id, "readings", months)
    empty = pd.DataFrame(columns=meters, dtype=float)
    if not files or not meters:
        empty.attrs["counts"] = empty.copy()
        return empty
    from carbonpeak.storage.registry.models import Meter

    with ws.registry.session() as s:
        scale = {m.id: m.multiplier * (1000.0 if m.unit.lower() == "mwh" else 1.0)
                 for m in s.scalars(select(Meter).where(Meter.id.in_(meters)))}
    con = ws.lake.connect()
    try:
        df: pd.DataFrame = con.execute(
            "SELECT meter_id, ts, value FROM read_parquet(?, union_by_name=true) "
            "WHERE meter_id IN (SELECT unnest(?)) AND ts >= ? AND ts < ?",
            [[str(f) for f in files], meters, lo.to_pydatetime(), hi.to_pydatetime()]).df()
    finally:
        con.close()
    if df.empty:
        empty.attrs["counts"] = empty.copy()
        return empty
    local = pd.to_datetime(df["ts"]).dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    df = df.assign(hour=local.dt.floor("h"),
                   kwh=df["value"] * df["meter_id"].map(scale).astype(float))
    kwh = df.pivot_table(index="hour", columns="meter_id", values="kwh", aggfunc="sum")
    counts = df.pivot_table(index="hour", columns="meter_id", values="kwh", aggfunc="count")
    kwh = kwh.reindex(columns=meters)
    kwh.attrs["counts"] = counts.reindex(columns=meters).fillna(0)
    return kwh


def monitoring(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """Each metered site's months of ``year`` (from its commissioning): measured and modelled
    kWh, PR, specific yield, the ratio to the model and the flags."""
    cfg = pv_settings(d)
    sites = load_sites(ws, d)
    sites = sites[sites["meter_id"].notna() & (sites["meter_id"] != "")].reset_index(drop=True)
    weather, basis = year_weather(ws, d, year)
    rows: list[dict[str, Any]] = []
    if sites.empty:
        return {"year": year, "weather": basis, "synthetic": basis == "synthetic", "rows": [],
                **_fault_rule(cfg)}
    from carbonpeak.services.energy.pv.model import (  # noqa: PLC0415
        model_sites,  # pvlib only when a yield is modelled
    )

    res = model_sites(sites, weather, cfg.climate.location, hourly=True)
    assert res.hourly_ac_kw is not None
    meters = [str(m) for m in sites["meter_id"]]
    measured = measured_hourly(ws, d, meters, dt.datetime(year, 1, 1),
                               dt.datetime(year + 1, 1, 1))
    counts = measured.attrs["counts"]
    # model hours stand at mid-hour: the hour they belong to starts 30 minutes earlier
    hours = pd.DatetimeIndex(res.hourly_ac_kw.index).tz_localize(None).floor("h")
    for i, r in sites.iterrows():
        sid, meter = str(r["site_id"]), str(r["meter_id"])
        modelled = pd.Series(res.hourly_ac_kw[sid].to_numpy(), index=hours)
        poa = pd.Series(res.hourly_poa_w_m2[sid].to_numpy() / 1000.0, index=hours) \
            if res.hourly_poa_w_m2 is not None else modelled * 0
        got = measured[meter].reindex(hours) if meter in measured.columns else \
            pd.Series(np.nan, index=hours)
        n = counts[meter].reindex(hours).fillna(0) if meter in counts.columns else \
            pd.Series(0.0, index=hours)
        start = pd.Timestamp(r["commissioned_on"])
        for month, idx in pd.Series(hours, index=hours).groupby(hours.strftime("%Y-%m")).groups \
                .items():
            sel = pd.DatetimeIndex(idx)
            sel = sel[sel >= start]
            if len(sel) == 0:
                continue
            m_kwh = float(got.reindex(sel).fillna(0).sum())
            mod = float(modelled.reindex(sel).sum())
            productive = int((modelled.reindex(sel) > 0.01 * r["kw_ac"]).sum())
            at_limit = int((got.reindex(sel).fillna(0) >= rules.DEFAULT_CLIPPING.value
                            * r["kw_ac"]).sum())
            check = rules.MonthCheck(
                measured_kwh=m_kwh, modelled_kwh=mod, kwp_dc=float(r["kwp_dc"]),
                kw_ac=float(r["kw_ac"]), poa_kwh_m2=float(poa.reindex(sel).sum()),
                intervals_received=int((n.reindex(sel) > 0).sum()),
                intervals_expected=len(sel), hours_at_limit=at_limit,
                productive_hours=productive)
            f = rules.monitoring_flags(check, fault_ratio=cfg.fault_ratio)
            rows.append({"site_id": sid, "entity_id": r["entity_id"], "meter_id": meter,
                         "month": month, "measured_kwh": m_kwh, "modelled_kwh": mod,
                         "performance_ratio": f.performance_ratio,
                         "specific_yield_kwh_kwp": f.specific_yield,
                         "measured_over_modelled": f.measured_over_modelled,
                         "modelled_pr": f.modelled_pr,
                         "coverage": f.coverage, "underperforming": f.underperforming,
                         "data_gap": f.data_gap, "clipping_suspected": f.clipping_suspected})
        del i
    return {"year": year, "weather": basis, "synthetic": basis == "synthetic", "rows": rows,
            **_fault_rule(cfg)}


def _fault_rule(cfg: PvSettings) -> dict[str, Any]:
    """The underperformance rule in force, with its source and status."""
    default = rules.DEFAULT_FAULT_RATIO
    source = default.source if cfg.fault_ratio == default.value else (
        f"district profile [pv] fault_ratio = {cfg.fault_ratio:g} (default {default.value:g}: "
        f"{default.source})")
    return {"fault_ratio": cfg.fault_ratio, "fault_rule_source": source,
            "fault_rule_status": default.status}


def site_status(rows: list[dict[str, Any]], *, metered: bool,
                in_operation: bool) -> PvSiteStatus:
    """A site's state for the map from its monitoring rows of a year: not in operation by the
    year's end, unmetered, else the worst month (underperforming, then a data gap)."""
    if not in_operation:
        return PvSiteStatus.NOT_IN_OPERATION
    if not metered:
        return PvSiteStatus.UNMETERED
    if any(r["underperforming"] for r in rows):
        return PvSiteStatus.UNDERPERFORMING
    if not rows or any(r["data_gap"] for r in rows):
        return PvSiteStatus.DATA_GAP
    return PvSiteStatus.OK


def map_features(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """The carbon map's PV layers for ``year`` (the whole district; the caller scopes them by
    ``entity_id``): ``sites`` (points at their building: kWp, kW AC, commissioning, the
    year's status and median monthly PR of the months without a gap) and ``roofs`` (one
    point per surveyed building: potential kWp, NEA pilot kWp, installed kWp, cohort)."""
    cfg = pv_settings(d)
    with ws.registry.session() as s:
        ents = {str(r.id): r for r in s.execute(select(
            Entity.id, Entity.name, Entity.lat, Entity.lon, Entity.street_id).where(
            Entity.district_id == d.id)).all()}
    sites = load_sites(ws, d)
    roofs = load_roofs(ws, d)
    mon = monitoring(ws, d, year) if not sites.empty else {"rows": []}
    by_site: dict[str, list[dict[str, Any]]] = {}
    for r in mon["rows"]:
        by_site.setdefault(str(r["site_id"]), []).append(r)
    end = dt.date(year, 12, 31)

    def point(eid: str) -> dict[str, Any] | None:
        e = ents.get(eid)
        if e is None or e.lat is None or e.lon is None:
            return None
        return {"type": "Point", "coordinates": [float(e.lon), float(e.lat)]}

    site_features = []
    for r in cast("list[dict[str, Any]]", sites.to_dict("records")):
        eid, sid = str(r["entity_id"]), str(r["site_id"])
        geom = point(eid)
        if geom is None:
            continue
        rows = by_site.get(sid, [])
        prs = [float(x["performance_ratio"]) for x in rows
               if not x["data_gap"] and x["performance_ratio"] is not None]
        metered = r["meter_id"] is not None and pd.notna(r["meter_id"]) and r["meter_id"] != ""
        status = site_status(rows, metered=bool(metered),
                             in_operation=r["commissioned_on"] <= end)
        site_features.append({"type": "Feature", "geometry": geom, "properties": {
            "site_id": sid, "entity_id": eid, "name": ents[eid].name,
            "kwp_dc": float(r["kwp_dc"]), "kw_ac": float(r["kw_ac"]),
            "commissioned_on": str(r["commissioned_on"]), "status": status.value,
            "median_pr": float(np.median(prs)) if prs else None,
            "months_flagged": sum(1 for x in rows if x["underperforming"])}})
    installed = sites.groupby("entity_id")["kwp_dc"].sum() if not sites.empty else pd.Series()
    roof_features = []
    for roof in _roofs(roofs):
        geom = point(roof.entity_id)
        if geom is None:
            continue
        roof_features.append({"type": "Feature", "geometry": geom, "properties": {
            "entity_id": roof.entity_id, "name": ents[roof.entity_id].name,
            "cohort": roof.cohort.value, "is_new": roof.is_new,
            "roof_area_m2": roof.roof_area_m2, "usable_share": roof.usable_share,
            "potential_kwp": rules.potential_kwp(roof.roof_area_m2 * roof.usable_share,
                                                 cfg.module_efficiency),
            "pilot_kwp": rules.pilot_potential_kwp(roof, cfg.module_efficiency),
            "installed_kwp": float(installed.get(roof.entity_id, 0.0))}})
    return {"year": year, "weather": mon.get("weather"),
            "sites": {"type": "FeatureCollection", "features": site_features},
            "roofs": {"type": "FeatureCollection", "features": roof_features}}
