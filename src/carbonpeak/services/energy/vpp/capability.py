"""Demand-response capability against the plan's targets (HP-41..45, TH-12).

中文：需求响应能力对照规划目标——覆盖楼宇数、签约容量、经实测验证的响应能力、自动响应能力、
调频资格容量、占尖峰负荷比例。

Per year with events (the registry as it stands now; the verified figures from that year's
events):

* ``dr_buildings`` (HP-41): distinct entities with a registered resource;
* ``dr_contracted_mw`` (HP-42, the VPP's scale): Σ contracted kW / 1000 (registry, contracted,
  not verified);
* ``dr_verified_mw`` (HP-43): Σ over resources of its largest effective measured response of
  the year's events (mean kW over the window, execution ratio ≥ the programme's minimum),
  at most its contracted kW, / 1000;
* ``adr_verified_mw`` (HP-44): the same over automated resources (a VEN);
* ``frequency_regulation_mw`` (HP-45): Σ contracted kW of the resources qualified for
  frequency regulation (the qualification registry; the regulation performance metric is not
  computed);
* ``dr_peak_share_pct`` (TH-12): 100 × ``dr_verified_mw`` / the year's peak load (MW), with
  the basis of that peak (:func:`peak_load`): the **metered peak** (basis
  ``metered_15min``, or ``metered_60min`` when some meter reads only hourly) — the largest
  quarter-hour (hourly) mean kW of the sum over the district's main (no sub-meter)
  electricity interval meters (5-minute readings summed into their quarter hour), the metered
  entities' coincident peak, not the whole district's maximum load (最大负荷) as the grid or
  the statistics bureau would state it. Verified over metered: like with like. When the
  district's peak load of the year is entered as a statistic (:func:`enter_peak_load`, with
  its source and status; ``carbonpeak dr peak set``, ``POST /api/v1/vpp/peak-loads``), the
  share is of that one (basis ``statistic``) — what TH-12 and the national rules (3–5 % of
  the maximum load) mean — and the metered peak is still shown beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select

from carbonpeak.domain.units import unit_factor
from carbonpeak.errors import InputValidationError, RowError, UnitError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.batches import audited_upsert
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.results import event_results
from carbonpeak.storage.registry.models import (
    District,
    DrEvent,
    DrPeakLoad,
    DrResource,
    Entity,
    Meter,
)
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import EnergyCarrier, FactorStatus, MeterRegister

__all__ = ["CAPABILITY_METRICS", "PEAK_SLOT_MINUTES", "PeakLoad", "capability",
           "enter_peak_load", "metered_peak_kw", "metric_series", "peak_load"]

#: the computed target metrics of the VPP -> (basis code, unit)
CAPABILITY_METRICS: dict[str, tuple[str, str]] = {
    "dr_buildings": ("registry", "buildings"),
    "dr_contracted_mw": ("contracted", "MW"),
    "dr_verified_mw": ("verified", "MW"),
    "adr_verified_mw": ("verified_automated", "MW"),
    "frequency_regulation_mw": ("qualified", "MW"),
    "dr_peak_share_pct": ("verified_over_metered_peak", "%"),
}


#: the metered peak's finest interval: the quarter hour of China's load metering
PEAK_SLOT_MINUTES = 15


@dataclass(frozen=True)
class PeakLoad:
    """A year's peak load with its basis (口径).

    ``basis``: ``metered_<n>min`` (:func:`metered_peak_kw`: ``at`` the local start of the
    peak interval, ``meters`` the meters summed (with a reading in the year), ``left_out``
    the interval meters whose interval does not divide an hour, not summed) or ``statistic``
    (entered: ``source``, ``status``, ``as_of``)."""

    kw: float | None
    basis: str
    at: dt.datetime | None = None
    meters: int = 0
    left_out: int = 0
    source: str = ""
    status: str = ""
    as_of: dt.date | None = None


def metered_peak_kw(ws: Workspace, d: District, year: int) -> PeakLoad:
    """The year's metered peak: the largest mean kW over one interval (local year) of the sum
    of the district's main (no sub-meter) electricity interval meters.

    The interval is the quarter hour when every meter with a reading in the year reads every
    15 minutes or finer (5-minute readings are summed into their quarter hour), else the
    coarsest of them (an hourly meter cannot be split, so the sum is hourly: basis
    ``metered_60min``); kW = the interval's kWh / its hours. A meter whose interval does not
    divide an hour (daily) is left out (``left_out``)."""
    with ws.registry.session() as s:
        rows = list(s.scalars(select(Meter).join(Entity, Entity.id == Meter.entity_id).where(
            Entity.district_id == d.id, Meter.carrier == EnergyCarrier.ELECTRICITY,
            Meter.submeter.is_(None), Meter.register == MeterRegister.INTERVAL)))
    facts: dict[str, float] = {}
    minutes: dict[str, int] = {}
    left_out = 0
    for m in rows:
        if m.interval_minutes <= 0 or 60 % m.interval_minutes:  # noqa: PLR2004 - an hour
            left_out += 1
            continue
        try:
            facts[m.id] = m.multiplier * unit_factor(m.unit, EnergyCarrier.ELECTRICITY)
        except UnitError:
            continue
        minutes[m.id] = m.interval_minutes
    files = [str(p) for p in ws.lake.live_files(d.id, "readings",
                                                [f"{year:04d}-{k:02d}" for k in range(1, 13)])]
    if not files or not facts:
        return PeakLoad(None, f"metered_{PEAK_SLOT_MINUTES}min", left_out=left_out)
    zone = ZoneInfo(d.timezone)
    t0 = dt.datetime(year, 1, 1, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    t1 = dt.datetime(year + 1, 1, 1, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    link = pd.DataFrame({"meter_id": list(facts), "factor": list(facts.values())})
    con = ws.lake.connect()
    try:
        con.register("peak_meters", link)
        con.execute("""
CREATE TEMP TABLE r AS
SELECT r.meter_id, r.ts, r.value * m.factor AS kwh
FROM read_parquet(?, hive_partitioning=false, union_by_name=true) r
JOIN peak_meters m ON m.meter_id = r.meter_id
WHERE r.ts >= ? AND r.ts < ?""", [files, t0, t1])
        read = [str(x[0]) for x in con.execute("SELECT DISTINCT meter_id FROM r").fetchall()]
        slot = max([PEAK_SLOT_MINUTES, *(minutes[m] for m in read)])
        got = con.execute(f"""
SELECT time_bucket(INTERVAL {slot} MINUTE, ts) AS slot, SUM(kwh) AS kwh
FROM r GROUP BY 1 ORDER BY kwh DESC, slot LIMIT 1""").fetchone()  # noqa: S608 - an int
    finally:
        con.close()
    basis = f"metered_{slot}min"
    if got is None or got[1] is None:
        return PeakLoad(None, basis, left_out=left_out)
    at = got[0].replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
    return PeakLoad(float(got[1]) * 60.0 / slot, basis, at, len(read), left_out)


def _statistic(ws: Workspace, d: District, year: int) -> PeakLoad | None:
    with ws.registry.session() as s:
        row = s.scalars(select(DrPeakLoad).where(DrPeakLoad.district_id == d.id,
                                                 DrPeakLoad.year == year)).first()
        if row is None:
            return None
        return PeakLoad(row.peak_mw * 1000.0, "statistic", source=row.source,
                        status=row.status, as_of=row.as_of)


def peak_load(ws: Workspace, d: District, year: int) -> PeakLoad:
    """The peak load TH-12's share is of, with its basis: the entered statistic of the year
    when there is one, else the metered peak (see the module's notes)."""
    return _statistic(ws, d, year) or metered_peak_kw(ws, d, year)


def enter_peak_load(ws: Workspace, year: int, peak_mw: float, source: str, *,
                    status: str = FactorStatus.SECONDARY, as_of: dt.date | None = None,
                    district: str | None = None, where: str = "request") -> dict[str, Any]:
    """Enter (or change) the district's peak load of ``year`` as a statistic, with its
    source and status; audit-logged with the old and new values.

    Raises
    ------
    InputValidationError
        A year outside 1990–2100, a peak not above 0 MW, no source, an unknown status
        (``where`` names the input: the request, the command's options).
    """
    d = ws.district(district)
    errors = []
    if not 1990 <= year <= 2100:  # noqa: PLR2004 - a plausible plan year
        errors.append(RowError(where, None, "year", str(year), msg("vpp.peak.year")))
    if not (peak_mw > 0 and peak_mw < float("inf")):
        errors.append(RowError(where, None, "peak_mw", str(peak_mw), msg("vpp.peak.positive")))
    if not source.strip():
        errors.append(RowError(where, None, "source", source, msg("vpp.peak.source_required")))
    if status not in set(FactorStatus):
        errors.append(RowError(where, None, "status", status, msg(
            "vpp.peak.status", allowed=", ".join(FactorStatus))))
    if errors:
        raise InputValidationError(errors)
    values = {"peak_mw": float(peak_mw), "source": source.strip(), "status": status,
              "as_of": as_of}
    with ws.registry.session() as s:
        have = s.scalars(select(DrPeakLoad).where(DrPeakLoad.district_id == d.id,
                                                  DrPeakLoad.year == year)).first()
        outcome = audited_upsert(
            s, ws.actor, have, values,
            create=lambda: DrPeakLoad(district_id=d.id, year=year, created_by=ws.actor,
                                      **values),
            object_type="dr_peak_load", key=f"{d.id}/{year}", district_id=d.id,
            context={"source_of_entry": where}, log=audit)
    return {"district": d.id, "year": year, **values,
            "as_of": as_of.isoformat() if as_of else None, "outcome": outcome}


def _verified(ws: Workspace, d: District, year: int) -> dict[str, float]:
    """Per resource id: its largest effective response of the year (kW), ≤ contracted."""
    scope = AccessScope(d.id, everything=True)
    with ws.registry.session() as s:
        events = list(s.scalars(select(DrEvent.event_id).where(
            DrEvent.district_id == d.id, DrEvent.day >= dt.date(year, 1, 1),
            DrEvent.day <= dt.date(year, 12, 31))))
    best: dict[str, float] = {}
    for e in events:
        for r in event_results(ws, scope, e)["resources"]:
            if r["data"] == "ok" and r["effective"] and r["response_kw"] is not None:
                best[r["resource_id"]] = max(best.get(r["resource_id"], 0.0), r["response_kw"])
    return best


def capability(ws: Workspace, district_id: str) -> dict[str, Any]:
    """Every capability metric per event year, with its basis (CLI, API)."""
    d = ws.district(district_id)
    with ws.registry.session() as s:
        res = list(s.scalars(select(DrResource).where(DrResource.district_id == d.id)))
        years = sorted({x.year for x in s.scalars(select(DrEvent.day).where(
            DrEvent.district_id == d.id))})
        s.expunge_all()
    out: list[dict[str, Any]] = []
    for y in years:
        best = _verified(ws, d, y)
        verified = sum(min(v, r.contracted_kw) for r in res
                       if (v := best.get(r.resource_id)) is not None)
        adr = sum(min(v, r.contracted_kw) for r in res
                  if r.automated and (v := best.get(r.resource_id)) is not None)
        peak = peak_load(ws, d, y)
        peak_kw = peak.kw
        values = {
            "dr_buildings": float(len({r.entity_id for r in res})),
            "dr_contracted_mw": sum(r.contracted_kw for r in res) / 1000.0,
            "dr_verified_mw": verified / 1000.0,
            "adr_verified_mw": adr / 1000.0,
            "frequency_regulation_mw": sum(r.contracted_kw for r in res
                                           if r.frequency_regulation) / 1000.0,
            "dr_peak_share_pct": (100.0 * verified / peak_kw) if peak_kw else None,
        }
        metered = peak if peak.basis != "statistic" else metered_peak_kw(ws, d, y)
        for metric, value in values.items():
            basis, unit = CAPABILITY_METRICS[metric]
            share = metric == "dr_peak_share_pct"
            if share and peak.basis == "statistic":
                basis = "verified_over_statistic_peak"
            out.append({"year": y, "metric": metric, "value": value, "unit": unit,
                        "basis": basis, "peak_kw": peak_kw if share else None,
                        "peak_meters": metered.meters if share else None,
                        "peak_basis": peak.basis if share else None,
                        "peak_source": peak.source or None if share else None,
                        "peak_status": peak.status or None if share else None,
                        "metered_peak_kw": metered.kw if share else None,
                        "peak_at": (metered.at.isoformat(timespec="minutes")
                                    if share and metered.at else None)})
    return {"district": d.id, "metrics": out}


def metric_series(ws: Workspace, d: District, metric: str,
                  computed: dict[str, Any] | None = None,
                  ) -> tuple[list[tuple[int, float]], Message | None]:
    """Yearly values of a capability metric for the targets assessment, and its source
    (``computed``: :func:`capability`'s answer when the caller has it already)."""
    cap = computed if computed is not None else capability(ws, d.id)
    rows = [m for m in cap["metrics"] if m["metric"] == metric and m["value"] is not None]
    if not rows:
        return [], None
    # the basis of the latest year's value (TH-12: of the statistic when one is entered)
    return ([(int(m["year"]), float(m["value"])) for m in rows],
            msg(f"vpp.value_source.{rows[-1]['basis']}"))
