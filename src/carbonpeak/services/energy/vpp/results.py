"""An event's baselines from metered load, the verified response and the settlement.

中文：响应事件的基线负荷（来自计量数据）、实际响应量、执行率与补偿结算（按资源、聚合商）。

* **Load**: each participant's meter (a main electricity interval meter of its entity, given
  in the resource registry) read from the lake's ``readings``: ``value × multiplier × unit
  factor`` kWh per interval, local time of the district, kW = kWh / interval hours
  (:func:`carbonpeak.services.energy.vpp.baselines.cube`). Resources are computed in groups
  of the same interval length (15 or 5 minutes), every resource of a group at once.
* **Days**: the working days before the event (调休 included, holidays and weekends out,
  earlier event days of the district out: :func:`carbonpeak.domain.energy.dr.candidate_days`).
* **Method**: the one asked, else the event's, else the programme's (:data:`PROGRAMME_METHODS`).
* **Results**: per resource ``baseline_kw``, ``actual_kw``, ``response_kw`` (means over the
  window), ``declared_kw``, ``execution_ratio``, settlement; opted-out participants are
  listed without a result; per aggregator the sums (ratio = Σ response / Σ declared).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import select

from carbonpeak.domain.energy.dr import (
    CANDIDATE_DAYS,
    RULES,
    SettlementRule,
    baseline,
    candidate_days,
    settle,
)
from carbonpeak.domain.units import unit_factor
from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.weather import temperature_series
from carbonpeak.services.energy.vpp.baselines import cube
from carbonpeak.services.energy.vpp.registry import EventInfo, event_of, participants_of
from carbonpeak.storage.registry.models import DrEvent, Meter
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import (
    DrBaselineMethod,
    DrOptStatus,
    DrProgramme,
    DrResourceKind,
    EnergyCarrier,
)

__all__ = ["ADJUSTMENT_HOURS", "PROGRAMME_METHODS", "PROGRAMME_RULES", "PV_FORECAST_HOOK",
           "EventBaseline", "event_baseline", "event_results", "intervals_of"]

#: the baseline of each programme when the event names none (ours: docs/vpp.md)
PROGRAMME_METHODS: dict[str, str] = {
    DrProgramme.INVITATION: DrBaselineMethod.HIGH5OF10,
    DrProgramme.REAL_TIME: DrBaselineMethod.TEN_IN_TEN_ADJUSTED,
    DrProgramme.FREQUENCY_REGULATION: DrBaselineMethod.LAST5,
}
#: the settlement rule of each programme (defaults, status ``default``; price CNY/kWh)
PROGRAMME_RULES: dict[str, SettlementRule] = {
    DrProgramme.INVITATION: SettlementRule(price_cny_per_kwh=3.0),
    DrProgramme.REAL_TIME: SettlementRule(price_cny_per_kwh=4.0),
    DrProgramme.FREQUENCY_REGULATION: SettlementRule(price_cny_per_kwh=0.0),
}
#: the 10-in-10 day-of adjustment window: the first three of the four hours before the event
ADJUSTMENT_HOURS = (4, 1)
#: THE HOOK for the district PV forecast (rooftop PV, ``services/energy/pv``, issue 18; not
#: imported here: that package is built in parallel). When set to a callable
#: ``(ws, district_id, resource_id, stamps) -> kW per interval or None``, the baseline of a
#: ``pv_curtailment`` resource is that forecast (what its panels would have produced), not an
#: X-of-Y average of past days. Unset (today): a PV-curtailment resource gets the method's
#: baseline like any load, and ``EventBaseline.pv_forecast`` lists no resource.
PV_FORECAST_HOOK: Callable[[Workspace, str, str, list[dt.datetime]],
                           npt.NDArray[np.float64] | None] | None = None


@dataclass(frozen=True)
class EventBaseline:
    """Per resource: the window's interval starts, baseline and actual kW."""

    event: EventInfo
    method: str
    days: list[dt.date]
    participants: list[dict[str, Any]]
    stamps: dict[str, list[dt.datetime]]
    baseline_kw: dict[str, npt.NDArray[np.float64]]
    actual_kw: dict[str, npt.NDArray[np.float64]]
    interval_minutes: dict[str, int]
    missing: list[str]
    pv_forecast: tuple[str, ...] = ()
    #: with ``around_hours``: per resource the window ± those hours (clipped to the event
    #: day): interval starts, baseline and actual kW, and the window's [first, end) index in
    #: them (the chart's shaded band). The days are chosen by the window (``high5of10``
    #: ranks days by their window mean), so inside the window it is the window's baseline.
    span_stamps: dict[str, list[dt.datetime]] = field(default_factory=dict)
    span_baseline_kw: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    span_actual_kw: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    span_window: dict[str, tuple[int, int]] = field(default_factory=dict)


def _readings(ws: Workspace, district_id: str, tz: str, meters: dict[str, str],
              first: dt.date, last: dt.date) -> pd.DataFrame:
    """(resource_id, ts local naive, kwh) of the resources' meters, local days first..last."""
    months = sorted({f"{d.year:04d}-{d.month:02d}" for d in
                     (first + dt.timedelta(days=k) for k in range((last - first).days + 1))})
    files = [str(p) for p in ws.lake.live_files(district_id, "readings", months)]
    empty = pd.DataFrame({"resource_id": [], "ts": pd.to_datetime([]), "kwh": []})
    if not files or not meters:
        return empty
    zone = ZoneInfo(tz)
    t0 = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC).replace(tzinfo=None)
    t1 = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(
        dt.UTC).replace(tzinfo=None)
    with ws.registry.session() as s:
        facts = {m.id: m.multiplier * unit_factor(m.unit, EnergyCarrier.ELECTRICITY)
                 for m in s.scalars(select(Meter).where(Meter.id.in_(sorted(set(meters)))))}
    link = pd.DataFrame({"meter_id": list(meters), "resource_id": list(meters.values()),
                         "factor": [facts.get(m, 1.0) for m in meters]})
    con = ws.lake.connect()
    try:
        con.register("dr_link", link)
        out = con.execute("""
SELECT l.resource_id, timezone(?, timezone('UTC', r.ts)) AS ts, r.value * l.factor AS kwh
FROM read_parquet(?, hive_partitioning=false, union_by_name=true) r
JOIN dr_link l ON l.meter_id = r.meter_id
WHERE r.ts >= ? AND r.ts < ?""", [tz, files, t0, t1]).df()
    finally:
        con.close()
    out["ts"] = pd.to_datetime(out["ts"]).dt.tz_localize(None)
    out["resource_id"] = out["resource_id"].astype("category")
    return out


def _slots(t: dt.time, minutes: int) -> int:
    return (t.hour * 60 + t.minute) // minutes


def _regression_kwargs(temps_days: npt.NDArray[np.float64], temp_event: float,
                       n: int) -> dict[str, Any]:
    return {"days_temp_c": np.repeat(temps_days[:, None], n, axis=1),
            "event_temp_c": np.full(n, temp_event)}


def event_baseline(ws: Workspace, scope: AccessScope, event_id: str, *,
                   resource: str | None = None, method: str | None = None,
                   around_hours: int = 0) -> EventBaseline:
    """The baseline and actual load of the event's participants (those the scope sees);
    with ``around_hours`` also over the window ± those hours of the event day (the chart).

    Raises
    ------
    NotFoundError
        The event (or the resource among its participants) is not there or not visible.
    InputValidationError
        An unknown method.
    """
    ev = event_of(ws, scope, event_id)
    chosen = method or ev.baseline_method or PROGRAMME_METHODS[ev.programme]
    if chosen not in RULES:
        raise InputValidationError([RowError("--method", None, "method", chosen,
                                             msg("vpp.intake.method",
                                                 allowed=", ".join(DrBaselineMethod)))])
    parts = participants_of(ws, scope, ev)
    if resource is not None:
        parts = [p for p in parts if p["resource_id"] == resource]
        if not parts:
            text = f"resource {resource!r} not found in event {event_id!r} 未找到该参与资源"
            raise NotFoundError(text)
    d = ws.district(scope.district_id)
    with ws.registry.session() as s:
        earlier = list(s.scalars(select(DrEvent.day).where(
            DrEvent.district_id == d.id, DrEvent.day < ev.day)))
        intervals = {m.id: m.interval_minutes for m in s.scalars(select(Meter).where(
            Meter.id.in_(sorted({p["meter_id"] for p in parts if p["meter_id"]}))))}
    days = candidate_days(ev.day, CANDIDATE_DAYS[chosen], exclude=earlier)
    meters = {p["meter_id"]: p["resource_id"] for p in parts if p["meter_id"]}
    long = _readings(ws, d.id, d.timezone, meters, days[0] if days else ev.day, ev.day)
    temps_days = temps_event = None
    if chosen == DrBaselineMethod.REGRESSION and days:
        t, _b = temperature_series(ws, d.id, days[0], ev.day)
        by_day = {days[0] + dt.timedelta(days=k): float(v) for k, v in enumerate(t)}
        temps_days = np.array([by_day[x] for x in days])
        temps_event = by_day[ev.day]
    out_b: dict[str, npt.NDArray[np.float64]] = {}
    out_a: dict[str, npt.NDArray[np.float64]] = {}
    stamps: dict[str, list[dt.datetime]] = {}
    minutes_of: dict[str, int] = {}
    span_b: dict[str, npt.NDArray[np.float64]] = {}
    span_a: dict[str, npt.NDArray[np.float64]] = {}
    span_t: dict[str, list[dt.datetime]] = {}
    span_w: dict[str, tuple[int, int]] = {}
    missing = [p["resource_id"] for p in parts if not p["meter_id"]]
    groups: dict[int, list[str]] = {}
    for p in parts:
        if p["meter_id"]:
            groups.setdefault(intervals.get(p["meter_id"], 15), []).append(p["resource_id"])
    for minutes, rids in sorted(groups.items()):
        hist, _ = cube(long, rids, days, interval_minutes=minutes)
        today, _ = cube(long, rids, [ev.day], interval_minutes=minutes)
        a, b = _slots(ev.start, minutes), _slots(ev.end, minutes)
        window = slice(a, b)
        kwargs: dict[str, Any] = {}
        if chosen == DrBaselineMethod.TEN_IN_TEN_ADJUSTED:
            per_hour = 60 // minutes
            adj = slice(max(a - ADJUSTMENT_HOURS[0] * per_hour, 0),
                        max(a - ADJUSTMENT_HOURS[1] * per_hour, 0))
            kwargs = {"adj_days_kw": hist[:, :, adj], "adj_event_kw": today[:, 0, adj]}
        if chosen == DrBaselineMethod.REGRESSION and temps_days is not None:
            kwargs = _regression_kwargs(temps_days, float(temps_event or 0.0), b - a)
        base = baseline(chosen, hist[:, :, window], **kwargs)
        start = dt.datetime.combine(ev.day, dt.time())
        times = [start + dt.timedelta(minutes=minutes * k) for k in range(a, b)]
        for i, rid in enumerate(rids):
            out_b[rid], out_a[rid] = base[i], today[i, 0, window]
            stamps[rid], minutes_of[rid] = times, minutes
            if np.isnan(base[i]).all() or np.isnan(today[i, 0, window]).all():
                missing.append(rid)
        if around_hours > 0:
            per_hour = 60 // minutes
            lo = max(a - around_hours * per_hour, 0)
            hi = min(b + around_hours * per_hour, 1440 // minutes)
            wide_kw = dict(kwargs)
            if chosen == DrBaselineMethod.REGRESSION and temps_days is not None:
                wide_kw = _regression_kwargs(temps_days, float(temps_event or 0.0), hi - lo)
            if chosen == DrBaselineMethod.HIGH5OF10:
                wide_kw["rank_kw"] = hist[:, :, window]
            wide = baseline(chosen, hist[:, :, lo:hi], **wide_kw)
            wide_times = [start + dt.timedelta(minutes=minutes * k) for k in range(lo, hi)]
            for i, rid in enumerate(rids):
                span_b[rid], span_a[rid] = wide[i], today[i, 0, lo:hi]
                span_t[rid], span_w[rid] = wide_times, (a - lo, b - lo)
    forecast: list[str] = []
    if PV_FORECAST_HOOK is not None:
        for p in parts:
            rid = p["resource_id"]
            if p["kind"] == DrResourceKind.PV_CURTAILMENT and rid in stamps:
                got = PV_FORECAST_HOOK(ws, d.id, rid, stamps[rid])
                if got is not None:
                    out_b[rid] = np.asarray(got, dtype=np.float64)
                    forecast.append(rid)
                    wide_got = (PV_FORECAST_HOOK(ws, d.id, rid, span_t[rid])
                                if rid in span_t else None)
                    if wide_got is not None:
                        span_b[rid] = np.asarray(wide_got, dtype=np.float64)
    return EventBaseline(ev, chosen, days, parts, stamps, out_b, out_a, minutes_of, missing,
                         tuple(forecast), span_t, span_b, span_a, span_w)


def _kw3(v: float) -> float | None:
    return None if v != v else round(float(v), 3)  # noqa: PLR0124 - NaN


def intervals_of(eb: EventBaseline, rid: str) -> list[dict[str, Any]]:
    """A resource's intervals for a chart or a listing: local start, baseline and actual kW
    (3 decimals, ``None`` when missing) and ``in_window``; the span around the window when
    :func:`event_baseline` was asked for it, else the window."""
    if rid in eb.span_stamps:
        first, end = eb.span_window[rid]
        stamps, base, act = eb.span_stamps[rid], eb.span_baseline_kw[rid], eb.span_actual_kw[rid]
    else:
        stamps, base, act = eb.stamps[rid], eb.baseline_kw[rid], eb.actual_kw[rid]
        first, end = 0, len(stamps)
    return [{"start": t.isoformat(timespec="minutes"), "baseline_kw": _kw3(b),
             "actual_kw": _kw3(a), "in_window": first <= k < end}
            for k, (t, b, a) in enumerate(zip(stamps, base, act, strict=True))]


def event_results(ws: Workspace, scope: AccessScope, event_id: str, *,
                  method: str | None = None, price_cny_per_kwh: float | None = None,
                  ) -> dict[str, Any]:
    """Per resource and per aggregator: baseline, actual and response kW (means over the
    window), declared kW, execution ratio, paid kWh and amount; the totals."""
    eb = event_baseline(ws, scope, event_id, method=method)
    rule = PROGRAMME_RULES[eb.event.programme]
    if price_cny_per_kwh is not None:
        rule = SettlementRule(price_cny_per_kwh=price_cny_per_kwh, min_ratio=rule.min_ratio,
                              cap_ratio=rule.cap_ratio, source="--price", status=rule.status)
    rows: list[dict[str, Any]] = []
    for p in eb.participants:
        rid = p["resource_id"]
        row = {"resource_id": rid, "entity_id": p["entity_id"], "aggregator": p["aggregator"],
               "kind": p["kind"], "automated": p["automated"], "opt_status": p["opt_status"],
               "declared_kw": p["declared_kw"], "baseline_kw": None, "actual_kw": None,
               "response_kw": None, "execution_ratio": None, "effective": False,
               "response_kwh": None, "paid_kwh": 0.0, "amount_cny": 0.0,
               "data": "ok"}
        if p["opt_status"] == DrOptStatus.OPT_OUT:
            row["data"] = "opt_out"
        elif rid in eb.missing or rid not in eb.baseline_kw:
            row["data"] = "no_data"
        else:
            res = settle(eb.baseline_kw[rid][None, :], eb.actual_kw[rid][None, :],
                         np.array([p["declared_kw"]]),
                         interval_minutes=eb.interval_minutes[rid], rule=rule)
            row.update({k: _num(getattr(res, k)[0]) for k in (
                "baseline_kw", "actual_kw", "response_kw", "execution_ratio", "response_kwh",
                "paid_kwh", "amount_cny")})
            row["effective"] = bool(res.effective[0])
        rows.append(row)
    return {"event": _event_dict(eb.event), "method": eb.method,
            "method_source": RULES[eb.method].source, "method_status": RULES[eb.method].status,
            "baseline_days": [x.isoformat() for x in eb.days],
            "rule": {"price_cny_per_kwh": rule.price_cny_per_kwh, "min_ratio": rule.min_ratio,
                     "cap_ratio": rule.cap_ratio, "source": rule.source,
                     "status": rule.status},
            "resources": rows, "aggregators": _by_aggregator(rows), "total": _total(rows)}


def _num(v: Any) -> float | None:  # noqa: ANN401
    f = float(v)
    return None if np.isnan(f) else round(f, 6)


def _event_dict(e: EventInfo) -> dict[str, Any]:
    return {"event_id": e.event_id, "programme": e.programme, "date": e.day.isoformat(),
            "start": e.start.strftime("%H:%M"), "end": e.end.strftime("%H:%M"),
            "target_kw": e.target_kw}


def _sum(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counted = [r for r in rows if r["data"] == "ok"]
    declared = sum(r["declared_kw"] for r in counted)
    resp = sum(r["response_kw"] or 0.0 for r in counted)
    return {"resources": len(rows), "measured": len(counted), "declared_kw": declared,
            "response_kw": round(resp, 6),
            "execution_ratio": round(resp / declared, 6) if declared > 0 else None,
            "effective": sum(1 for r in counted if r["effective"]),
            "paid_kwh": round(sum(r["paid_kwh"] for r in counted), 6),
            "amount_cny": round(sum(r["amount_cny"] for r in counted), 6)}


def _by_aggregator(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    aggs = sorted({r["aggregator"] for r in rows})
    return [{"aggregator": a} | _sum([r for r in rows if r["aggregator"] == a]) for a in aggs]


def _total(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return _sum(rows)
