"""Day-ahead PV forecasts per site and for the district, and their errors once measured.

中文：光伏日前功率预测（分站点及全区），以及实测到达后的预测误差（按装机容量归一化）。

The forecast is the modelled chain (:mod:`.model`) run over a weather *forecast* in the hourly
weather's format (mid-hour local stamps; GHI alone is decomposed by Erbs), for the sites in
operation on the day. Hourly values are mean AC power [kW] = energy [kWh] of the hour.

The virtual power plant calls :func:`district_forecast`.

Errors (NB/T 32011): per site and for the district, over the hours that have a measurement,
nMAE and nRMSE normalised by the AC capacity in operation
(:func:`~carbonpeak.domain.energy.pv.forecast_errors`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.domain.energy import pv as rules
from carbonpeak.services.energy.pv.fleet import measured_hourly, pv_settings
from carbonpeak.services.energy.pv.registry import load_sites
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["day_weather", "district_forecast", "forecast", "forecast_errors"]


def day_weather(weather: pd.DataFrame, day: dt.date, tz: str) -> pd.DataFrame:
    """The hours of ``day`` (local) from a weather frame (naive or tz-aware local index)."""
    w = weather.copy()
    idx = pd.DatetimeIndex(w.index)
    w.index = idx.tz_localize(tz) if idx.tz is None else idx.tz_convert(tz)
    lo = pd.Timestamp(day).tz_localize(tz)
    sel = w[(w.index >= lo) & (w.index < lo + pd.Timedelta(days=1))]
    if sel.empty:
        msg = f"the weather has no hour on {day}"
        raise ValueError(msg)
    return sel


def forecast(ws: Workspace, d: District, day: dt.date, weather: pd.DataFrame) -> pd.DataFrame:
    """Hourly AC power [kW] per site in operation on ``day`` (columns) for the day's hours of
    ``weather`` (rows: the naive local start of each hour); column ``district`` the sum."""
    tz = d.timezone or "Asia/Shanghai"
    w = day_weather(weather, day, tz)
    sites = load_sites(ws, d)
    sites = sites[sites["commissioned_on"] <= day].reset_index(drop=True)
    hours = pd.DatetimeIndex(w.index).tz_localize(None).floor("h")
    if sites.empty:
        return pd.DataFrame({"district": np.zeros(len(hours))}, index=hours)
    from carbonpeak.services.energy.pv.model import (  # noqa: PLC0415
        model_sites,  # pvlib only when a yield is modelled
    )

    res = model_sites(sites, w, pv_settings(d).climate.location, hourly=True)
    assert res.hourly_ac_kw is not None
    out = pd.DataFrame(res.hourly_ac_kw.to_numpy(), index=hours,
                       columns=list(res.hourly_ac_kw.columns))
    out["district"] = out.sum(axis=1)
    out.attrs["kw_ac"] = dict(zip(sites["site_id"].astype(str), sites["kw_ac"].astype(float),
                                  strict=True))
    out.attrs["meters"] = {str(s): str(m) for s, m in zip(sites["site_id"], sites["meter_id"],
                                                          strict=True) if m}
    return out


def district_forecast(ws: Workspace, district: str | None, date: dt.date,
                      weather: pd.DataFrame) -> pd.Series:
    """The district's day-ahead PV generation: mean AC power [kW] per local hour of ``date``
    (index: the naive local start of each hour), from a weather forecast in the hourly
    weather's format (see :func:`forecast`). For the virtual power plant."""
    d = ws.district(district)
    return forecast(ws, d, date, weather)["district"].rename("pv_kw")


def forecast_errors(ws: Workspace, d: District, day: dt.date,
                    fc: pd.DataFrame) -> dict[str, Any]:
    """nMAE and nRMSE of a forecast (:func:`forecast`'s frame) against the metered hours of
    the day, per metered site and for the metered sites together (capacity: their AC
    kW); empty when nothing was measured."""
    meters: dict[str, str] = fc.attrs.get("meters", {})
    kw_ac: dict[str, float] = fc.attrs.get("kw_ac", {})
    start = dt.datetime.combine(day, dt.time())
    measured = measured_hourly(ws, d, sorted(set(meters.values())), start,
                               start + dt.timedelta(days=1))
    out: dict[str, Any] = {"date": str(day), "sites": [], "district": None}
    if measured.empty:
        return out
    measured = measured.reindex(fc.index)
    tot_m = np.zeros(len(fc))
    tot_f = np.zeros(len(fc))
    have = np.zeros(len(fc), dtype=bool)
    cap = 0.0
    for sid, meter in sorted(meters.items()):
        m = measured[meter].to_numpy(float) if meter in measured.columns else None
        if m is None or np.isnan(m).all():
            continue
        e = rules.forecast_errors(list(m), list(fc[sid].to_numpy(float)), kw_ac[sid])
        out["sites"].append({"site_id": sid, "hours": e.n, "capacity_kw": e.capacity_kw,
                             "nmae": e.nmae, "nrmse": e.nrmse})
        ok = ~np.isnan(m)
        tot_m[ok] += m[ok]
        tot_f[ok] += fc[sid].to_numpy(float)[ok]
        have |= ok
        cap += kw_ac[sid]
    if cap > 0:
        e = rules.forecast_errors(list(np.where(have, tot_m, np.nan)), list(tot_f), cap)
        out["district"] = {"sites": len(out["sites"]), "hours": e.n, "capacity_kw": cap,
                           "nmae": e.nmae, "nrmse": e.nrmse}
    return out
