"""The demo's rooftop PV: a roof for every building, a few dozen metered PV sites (one
underperforming), a year of hourly weather and a forecast day.

中文：演示数据——每栋建筑的屋顶、数十个带计量表的光伏电站（其中一个低效）、逐时气象与预测日。

Everything here is generated (seeded, deterministic) and says so: the "measured" weather is
the synthetic year of :mod:`carbonpeak.services.energy.pv.climate` with random daily
cloudiness; each site's meter reads the modelled output times a site factor (about 0.97; one
site 0.62, a soiled or partly failed array) with hourly noise; the weather forecast of the
forecast day is the day's weather with hour-to-hour errors, stored as a forecast issued at
noon the day before (so the white paper reports its accuracy).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.i18n import Message, msg
from carbonpeak.intake.batches import file_sha256
from carbonpeak.intake.imports import import_file
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv.climate import synthetic_year
from carbonpeak.services.energy.pv.forecast import forecast, forecast_errors, store_forecast
from carbonpeak.services.energy.pv.registry import (
    import_pv_sites,
    import_roofs,
    import_weather_hourly,
    read_weather_file,
)
from carbonpeak.storage.registry.repositories import demo as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["UNDERPERFORMING_FACTOR", "demo_pv"]

#: the one underperforming site's output against its model
UNDERPERFORMING_FACTOR = 0.62
_FLOORS = {"office": 12, "hotel": 10, "mall": 5, "hospital": 8, "school": 4, "government": 6,
           "data_centre": 3, "mixed": 15, "other": 4}
_USABLE = {"government": 0.6, "public_institution": 0.55, "school_hospital": 0.5,
           "commercial": 0.4, "industrial": 0.7, "residential": 0.3}


def _cohort(kind: str, building_type: str | None) -> str:
    if building_type == "government":
        return "government"
    if building_type in ("school", "hospital"):
        return "school_hospital"
    if kind == "public_institution":
        return "public_institution"
    if building_type in ("data_centre", "other"):
        return "industrial"
    return "commercial"


def _roofs(ws: Workspace, district: str, rng: np.random.Generator) -> pd.DataFrame:
    with ws.registry.session() as s:
        rows = repo.roof_entity_rows(s, district)
    out = []
    for eid, kind, btype, area in rows:
        cohort = _cohort(str(kind), btype)
        floors = _FLOORS.get(str(btype or "other"), 6)
        roof = max(200.0, round(float(area or 5000.0) / floors, -1))
        usable = round(float(np.clip(_USABLE[cohort] + rng.normal(0, 0.08), 0.1, 0.85)), 2)
        reason = ""
        if rng.random() < 0.08:
            usable, reason = 0.0, "屋面设备密集、结构荷载不足"
        out.append({"entity_id": eid, "roof_area_m2": roof, "usable_share": usable,
                    "cohort": cohort, "is_new": "新建" if rng.random() < 0.25 else "既有",
                    "not_feasible_reason": reason})
    return pd.DataFrame(out)


def demo_pv(ws: Workspace, district: str, year: int, out_dir: Path, seed: int) -> list[Message]:
    """Generate and import the demo's PV data for ``year``; lines to print (potential,
    progress, PR, the forecast day's errors)."""
    rng = np.random.default_rng([seed, 18])
    out_dir.mkdir(parents=True, exist_ok=True)
    d = ws.district(district)
    cfg = fleet.pv_settings(d)
    roofs = _roofs(ws, district, rng)
    roofs.to_csv(out_dir / "pv-roofs.csv", index=False)
    import_roofs(ws, out_dir / "pv-roofs.csv", district=district)
    # sites: on feasible roofs, public and new roofs first, about 60 % of the buildings
    feasible = roofs[roofs["usable_share"] > 0].copy()
    feasible["rank"] = rng.random(len(feasible)) - 0.3 * feasible["cohort"].isin(
        ["government", "public_institution", "school_hospital"]) - 0.2 * (
        feasible["is_new"] == "新建")
    chosen = feasible.sort_values("rank").head(max(3, min(36, round(0.6 * len(roofs)))))
    kwp = np.round(np.minimum(chosen["roof_area_m2"] * chosen["usable_share"]
                              * cfg.module_efficiency * rng.uniform(0.5, 0.9, len(chosen)),
                              400.0) / 5.0) * 5.0
    kwp = np.maximum(kwp, 10.0)
    sites = pd.DataFrame({
        "site_id": [f"PV-{e}" for e in chosen["entity_id"]],
        "entity_id": chosen["entity_id"].to_numpy(),
        "kwp_dc": kwp, "kw_ac": np.round(kwp / rng.choice([1.0, 1.1, 1.2], len(kwp)), 1),
        "tilt_deg": rng.choice([5.0, 10.0, 15.0, 20.0, 25.0], len(kwp)),
        "azimuth_deg": rng.choice([135.0, 160.0, 180.0, 180.0, 200.0], len(kwp)),
        "commissioned_on": [dt.date(int(y), int(m), 1).isoformat() for y, m in zip(
            rng.integers(year - 5, year + 1, len(kwp)), rng.integers(1, 13, len(kwp)),
            strict=True)],
        "meter_id": [f"PVM-{e}" for e in chosen["entity_id"]]})
    meters = pd.DataFrame({"meter_id": sites["meter_id"], "entity_id": sites["entity_id"],
                           "carrier": "pv_generation", "unit": "kWh", "submeter": "",
                           "register": "interval", "multiplier": 1, "interval_minutes": 60})
    meters.to_csv(out_dir / "pv-meters.csv", index=False)
    import_file(ws, "meters", out_dir / "pv-meters.csv", district=district)
    sites.to_csv(out_dir / "pv-sites.csv", index=False)
    import_pv_sites(ws, out_dir / "pv-sites.csv", district=district)
    # the year's "measured" weather: the synthetic year with random daily cloudiness
    w = synthetic_year(cfg.climate, year)
    days = len(w) // 24
    cloud = np.repeat(np.clip(rng.beta(4.0, 2.0, days) * 1.45, 0.15, 1.25), 24)
    w["ghi"] = (w["ghi"] * cloud).clip(upper=1300.0)
    stamps = pd.DatetimeIndex(w.index)
    weather = pd.DataFrame({"ts": stamps.tz_localize(None).strftime("%Y-%m-%d %H:%M"),
                            "ghi_w_m2": w["ghi"].round(1), "temp_air_c": w["temp_air"].round(1),
                            "wind_speed_m_s": 1.5})
    weather.to_csv(out_dir / f"pv-weather-{year}.csv", index=False)
    import_weather_hourly(ws, out_dir / f"pv-weather-{year}.csv", district=district)
    # meters: modelled output × the site's factor, from commissioning; one underperforms
    measured_w = read_weather_file(out_dir / f"pv-weather-{year}.csv")
    measured_w.index = pd.DatetimeIndex(measured_w.index).tz_localize(cfg.climate.tz)
    from carbonpeak.services.energy.pv.model import (  # noqa: PLC0415
        model_sites,  # pvlib only when a yield is modelled
    )

    res = model_sites(sites, measured_w, cfg.climate.location, hourly=True)
    assert res.hourly_ac_kw is not None
    factor = rng.normal(0.97, 0.02, len(sites))
    bad = int(rng.integers(0, len(sites)))
    factor[bad] = UNDERPERFORMING_FACTOR
    hours = pd.DatetimeIndex(res.hourly_ac_kw.index).tz_localize(None).floor("h")
    noise = rng.normal(1.0, 0.03, res.hourly_ac_kw.shape)
    gen = np.clip(res.hourly_ac_kw.to_numpy() * factor[None, :] * noise, 0, None)
    frames = []
    for k, r in enumerate(sites.itertuples()):
        start = pd.Timestamp(str(r.commissioned_on))
        keep = hours >= start
        frames.append(pd.DataFrame({"meter_id": r.meter_id,
                                    "ts": hours[keep].strftime("%Y-%m-%dT%H:%M"),
                                    "value": np.round(gen[keep, k], 3)}))
    pd.concat(frames).to_csv(out_dir / f"pv-readings-{year}.csv", index=False)
    import_file(ws, "readings", out_dir / f"pv-readings-{year}.csv", district=district)
    return _summary(ws, d, year, out_dir, w, sites["site_id"].iloc[bad], rng)


def _summary(ws: Workspace, d: Any, year: int, out_dir: Path,  # noqa: ANN401 - a District
             w: pd.DataFrame, bad_site: str, rng: np.random.Generator) -> list[Message]:
    pot = fleet.potential(ws, d)
    prog = fleet.progress(ws, d, year)["years"]
    last = prog[-1] if prog else None
    mon = pd.DataFrame(fleet.monitoring(ws, d, year)["rows"])
    lines = [msg("demo.pv.potential", potential=f"{pot['total_potential_kwp']:,.0f}",
                 pilot=f"{pot['total_pilot_kwp']:,.0f}",
                 installed=f"{pot['total_installed_kwp']:,.0f}")]
    if last is not None:
        g = last["groups"]
        lines.append(msg(
            "demo.pv.progress", year=year, kwp=f"{last['kwp_dc']:,.0f}",
            kw=f"{last['kw_ac']:,.0f}", base=fleet.pv_settings(d).base_year,
            new_kwp=f"{last['new_kwp_dc']:,.0f}", new_kw=f"{last['new_kw_ac']:,.0f}",
            new_share=_pct(g["public_new"]["count_share"]),
            existing_share=_pct(g["public_existing"]["count_share"])))
    if not mon.empty:
        full = mon[~mon["data_gap"]]
        site_pr = full.groupby("site_id")["performance_ratio"].median()
        flagged = sorted(set(mon.loc[mon["underperforming"], "site_id"]))
        lines.append(msg("demo.pv.pr", median=f"{site_pr.median():.2f}",
                         lowest=f"{site_pr.min():.2f}", site=str(site_pr.idxmin()),
                         flagged=", ".join(flagged) or "—", bad=bad_site))
    # the forecast day: a clear-ish summer day, the forecast's GHI off by hour-to-hour errors
    day = dt.date(year, 7, 16)
    idx = pd.DatetimeIndex(w.index)
    fw = w[(idx >= pd.Timestamp(day).tz_localize(idx.tz))
           & (idx < pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(idx.tz))]
    fw = fw.assign(ghi=(fw["ghi"] * rng.normal(1.0, 0.15, len(fw))).clip(0, 1300))
    path = out_dir / f"pv-forecast-{day}.csv"
    pd.DataFrame({"ts": pd.DatetimeIndex(fw.index).tz_localize(None).strftime("%Y-%m-%d %H:%M"),
                  "ghi_w_m2": fw["ghi"].round(1), "temp_air_c": fw["temp_air"].round(1)}).to_csv(
        path, index=False)
    fc = forecast(ws, d, day, read_weather_file(path))
    # stored as if issued at noon (Beijing) the day before, as a day-ahead forecast is: the
    # demo's forecast file is generated, and the white paper grades it against the meters
    store_forecast(ws, d, day, fc, weather_file=path.name, weather_sha256=file_sha256(path),
                   issued_at=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(4, 0)))
    errs = forecast_errors(ws, d, day, fc)
    if errs["district"]:
        e = errs["district"]
        lines.append(msg("demo.pv.forecast", day=str(day), file=path.name,
                         kwh=f"{fc['district'].sum():,.0f}", nmae=f"{e['nmae']:.1%}",
                         nrmse=f"{e['nrmse']:.1%}", capacity=f"{e['capacity_kw']:,.0f}",
                         sites=e["sites"]))
    return lines


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.0f}%"
