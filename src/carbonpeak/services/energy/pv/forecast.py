"""Day-ahead PV forecasts per site and for the district, and their errors once measured.

中文：光伏日前功率预测（分站点及全区），以及实测到达后的预测误差（按装机容量归一化）。

The forecast is the modelled chain (:mod:`.model`) run over a weather *forecast* in the hourly
weather's format (mid-hour local stamps; GHI alone is decomposed by Erbs), for the sites in
operation on the day. Hourly values are mean AC power [kW] = energy [kWh] of the hour.

The virtual power plant calls :func:`district_forecast`.

Errors (NB/T 32011): per site and for the district, over the hours that have a measurement,
nMAE and nRMSE normalised by the AC capacity in operation
(:func:`~carbonpeak.domain.energy.pv.forecast_errors`).

**Stored forecasts** (:func:`store_forecast`, table ``pv_forecasts``): one per district and
day, audit-logged, so the accuracy is reported when the measured day arrives
(:func:`stored_forecast`, :func:`year_accuracy`) from the forecast as it was issued, never
recomputed. Its ``issued_at`` is the weather forecast's issue time as declared (default: when
it was stored); one issued after the day began is marked ``day_ahead: false``. A stored
forecast is not replaced once its day has measurements (that would grade a forecast made
after the fact).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.domain.energy import pv as rules
from carbonpeak.errors import ConflictError
from carbonpeak.i18n import msg
from carbonpeak.services.energy.pv.fleet import measured_hourly, pv_settings
from carbonpeak.services.energy.pv.registry import load_sites
from carbonpeak.storage.registry.models import District, PvForecast, utcnow
from carbonpeak.storage.registry.repositories import energy as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["day_weather", "district_forecast", "forecast", "forecast_errors",
           "forecast_summary", "store_forecast", "stored_forecast", "year_accuracy"]


def day_weather(weather: pd.DataFrame, day: dt.date, tz: str) -> pd.DataFrame:
    """The hours of ``day`` (local) from a weather frame (naive or tz-aware local index)."""
    w = weather.copy()
    idx = pd.DatetimeIndex(w.index)
    w.index = idx.tz_localize(tz) if idx.tz is None else idx.tz_convert(tz)
    lo = pd.Timestamp(day).tz_localize(tz)
    sel = w[(w.index >= lo) & (w.index < lo + pd.Timedelta(days=1))]
    if sel.empty:
        text = f"the weather has no hour on {day}"
        raise ValueError(text)
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


def _hourly(fc: pd.DataFrame) -> dict[str, Any]:
    sites = [c for c in fc.columns if c != "district"]
    return {"hours": [f"{t:%H:%M}" for t in pd.DatetimeIndex(fc.index)],
            "district": [round(float(v), 4) for v in fc["district"]],
            "sites": {c: [round(float(v), 4) for v in fc[c]] for c in sites},
            "kw_ac": {k: float(v) for k, v in fc.attrs.get("kw_ac", {}).items()},
            "meters": dict(fc.attrs.get("meters", {}))}


def _frame(day: dt.date, hourly: dict[str, Any]) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(f"{day} {h}") for h in hourly["hours"]])
    out = pd.DataFrame({**hourly["sites"],
                        "district": hourly["district"]}, index=index, dtype=float)
    out.attrs["kw_ac"] = dict(hourly.get("kw_ac", {}))
    out.attrs["meters"] = dict(hourly.get("meters", {}))
    return out


def _day_start_utc(d: District, day: dt.date) -> dt.datetime:
    tz = d.timezone or "Asia/Shanghai"
    start = pd.Timestamp(day).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    return start.to_pydatetime()


def store_forecast(ws: Workspace, d: District, day: dt.date, fc: pd.DataFrame, *,
                   weather_file: str, weather_sha256: str,
                   issued_at: dt.datetime | None = None) -> str:
    """Store ``fc`` (:func:`forecast`'s frame) as the district's forecast of ``day``;
    ``issued_at`` (UTC, naive) the weather forecast's issue time, default now. Returns
    ``added``, ``replaced`` or ``unchanged`` (the same weather file's digest again).

    Raises
    ------
    ConflictError
        When a forecast of ``day`` is stored and the day already has measurements.
    """
    hourly = _hourly(fc)
    now = utcnow()
    issued = issued_at or now
    total_kwh = float(fc["district"].sum())
    values: dict[str, Any] = {"issued_at": issued, "weather_file": weather_file,
                              "weather_sha256": weather_sha256, "sites": len(hourly["sites"]),
                              "kw_ac": float(sum(hourly["kw_ac"].values())),
                              "total_kwh": total_kwh, "hourly": hourly}
    with ws.registry.session() as s:
        old = repo.pv_forecast(s, d.id, day)
        if old is not None and old.weather_sha256 == weather_sha256 and \
                old.hourly == hourly:
            return "unchanged"
        if old is not None and forecast_errors(ws, d, day, _frame(day, old.hourly))["district"]:
            raise ConflictError(msg("pv.forecast.measured_already", day=str(day)))
        details = {"day": str(day), "weather_file": weather_file,
                   "issued_at": issued.isoformat(timespec="seconds"),
                   "total_kwh": round(total_kwh, 3), "sites": len(hourly["sites"])}
        if old is None:
            s.add(PvForecast(district_id=d.id, day=day, stored_at=now, actor=ws.actor,
                             **values))
            status = "added"
        else:
            details["old_total_kwh"] = round(old.total_kwh, 3)
            details["old_weather_file"] = old.weather_file
            for k, v in values.items():
                setattr(old, k, v)
            old.stored_at, old.actor = now, ws.actor
            status = "replaced"
        audit(s, ws.actor, "store" if status == "added" else "replace", "pv_forecast",
              f"{d.id}/{day}", details, district=d.id)
        s.commit()
    return status


def stored_forecast(ws: Workspace, d: District, day: dt.date) -> pd.DataFrame | None:
    """The stored forecast of ``day`` as :func:`forecast`'s frame (``attrs``: ``kw_ac``,
    ``meters``, ``issued_at``, ``stored_at``, ``weather_file``, ``day_ahead``); None without
    one."""
    with ws.registry.session() as s:
        row = repo.pv_forecast(s, d.id, day)
        if row is None:
            return None
        out = _frame(day, row.hourly)
        out.attrs.update({"issued_at": row.issued_at, "stored_at": row.stored_at,
                          "weather_file": row.weather_file,
                          "day_ahead": row.issued_at < _day_start_utc(d, day)})
    return out


def forecast_summary(ws: Workspace, d: District, day: dt.date,
                     fc: pd.DataFrame) -> dict[str, Any]:
    """A stored forecast's facts and its errors against the meters (``errors``: as
    :func:`forecast_errors`; its ``district`` None until the day is measured)."""
    issued = fc.attrs.get("issued_at")
    return {"date": str(day), "total_kwh": float(fc["district"].sum()),
            "sites": len([c for c in fc.columns if c != "district"]),
            "kw_ac": float(sum(fc.attrs.get("kw_ac", {}).values())),
            "issued_at": issued.isoformat(timespec="seconds") if issued else None,
            "day_ahead": bool(fc.attrs.get("day_ahead", False)),
            "weather_file": fc.attrs.get("weather_file", ""),
            "errors": forecast_errors(ws, d, day, fc)}


def year_accuracy(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """The stored forecasts of ``year`` with their errors, and over the measured days the mean
    nMAE and the root of the mean squared nRMSE (hours weighted alike: each day has 24)."""
    with ws.registry.session() as s:
        days = repo.pv_forecast_days_between(s, d.id, dt.date(year, 1, 1),
                                             dt.date(year, 12, 31))
    rows = []
    for day in days:
        fc = stored_forecast(ws, d, day)
        if fc is not None:
            rows.append(forecast_summary(ws, d, day, fc))
    measured = [r["errors"]["district"] for r in rows if r["errors"]["district"]]
    hours = sum(e["hours"] for e in measured)
    mean = None
    if hours:
        mean = {"days": len(measured), "hours": hours,
                "nmae": sum(e["nmae"] * e["hours"] for e in measured) / hours,
                "nrmse": math.sqrt(sum(e["nrmse"] ** 2 * e["hours"] for e in measured)
                                   / hours)}
    return {"year": year, "forecasts": rows, "measured": mean,
            "limit_nrmse": rules.FORECAST_ACCURACY.value,
            "limit_source": rules.FORECAST_ACCURACY.source,
            "limit_status": rules.FORECAST_ACCURACY.status}
