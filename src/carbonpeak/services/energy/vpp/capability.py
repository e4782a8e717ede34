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
* ``dr_peak_share_pct`` (TH-12): 100 × ``dr_verified_mw`` / the year's metered peak (MW):
  the largest hourly mean of the sum of the district's main electricity interval meters —
  the metered entities' coincident peak, not the whole district's (no peak-load statistic is
  stored). Like with like: metered over metered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
from sqlalchemy import select

from carbonpeak.domain.units import unit_factor
from carbonpeak.errors import UnitError
from carbonpeak.i18n import Message, msg
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.results import event_results
from carbonpeak.storage.registry.models import District, DrEvent, DrResource, Entity, Meter
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import EnergyCarrier, MeterRegister

__all__ = ["CAPABILITY_METRICS", "capability", "metered_peak_kw", "metric_series"]

#: the computed target metrics of the VPP -> (basis code, unit)
CAPABILITY_METRICS: dict[str, tuple[str, str]] = {
    "dr_buildings": ("registry", "buildings"),
    "dr_contracted_mw": ("contracted", "MW"),
    "dr_verified_mw": ("verified", "MW"),
    "adr_verified_mw": ("verified_automated", "MW"),
    "frequency_regulation_mw": ("qualified", "MW"),
    "dr_peak_share_pct": ("verified_over_metered_peak", "%"),
}


def metered_peak_kw(ws: Workspace, d: District, year: int) -> tuple[float | None, int]:
    """The year's largest hourly mean kW of the sum of the district's main (no sub-meter)
    electricity interval meters, local hours; and how many meters it covers."""
    with ws.registry.session() as s:
        rows = list(s.scalars(select(Meter).join(Entity, Entity.id == Meter.entity_id).where(
            Entity.district_id == d.id, Meter.carrier == EnergyCarrier.ELECTRICITY,
            Meter.submeter.is_(None), Meter.register == MeterRegister.INTERVAL)))
    facts: dict[str, float] = {}
    for m in rows:
        try:
            facts[m.id] = m.multiplier * unit_factor(m.unit, EnergyCarrier.ELECTRICITY)
        except UnitError:
            continue
    files = [str(p) for p in ws.lake.live_files(d.id, "readings",
                                                [f"{year:04d}-{k:02d}" for k in range(1, 13)])]
    if not files or not facts:
        return None, 0
    zone = ZoneInfo(d.timezone)
    t0 = dt.datetime(year, 1, 1, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    t1 = dt.datetime(year + 1, 1, 1, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    link = pd.DataFrame({"meter_id": list(facts), "factor": list(facts.values())})
    con = duckdb.connect()
    try:
        con.register("peak_meters", link)
        got = con.execute("""
SELECT MAX(kwh), ANY_VALUE(n) FROM (
  SELECT date_trunc('hour', r.ts) AS hour, SUM(r.value * m.factor) AS kwh,
         COUNT(DISTINCT r.meter_id) AS n
  FROM read_parquet(?, hive_partitioning=false, union_by_name=true) r
  JOIN peak_meters m ON m.meter_id = r.meter_id
  WHERE r.ts >= ? AND r.ts < ?
  GROUP BY 1)""", [files, t0, t1]).fetchone()
    finally:
        con.close()
    if got is None or got[0] is None:
        return None, 0
    return float(got[0]), len(facts)  # kWh in one hour = mean kW over it


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
        peak_kw, n_meters = metered_peak_kw(ws, d, y)
        values = {
            "dr_buildings": float(len({r.entity_id for r in res})),
            "dr_contracted_mw": sum(r.contracted_kw for r in res) / 1000.0,
            "dr_verified_mw": verified / 1000.0,
            "adr_verified_mw": adr / 1000.0,
            "frequency_regulation_mw": sum(r.contracted_kw for r in res
                                           if r.frequency_regulation) / 1000.0,
            "dr_peak_share_pct": (100.0 * verified / peak_kw) if peak_kw else None,
        }
        for metric, value in values.items():
            basis, unit = CAPABILITY_METRICS[metric]
            out.append({"year": y, "metric": metric, "value": value, "unit": unit,
                        "basis": basis, "peak_kw": peak_kw if metric == "dr_peak_share_pct"
                        else None, "peak_meters": n_meters
                        if metric == "dr_peak_share_pct" else None})
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
    return ([(int(m["year"]), float(m["value"])) for m in rows],
            msg(f"vpp.value_source.{CAPABILITY_METRICS[metric][0]}"))
