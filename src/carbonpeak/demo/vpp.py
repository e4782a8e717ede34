"""The demo's virtual power plant: 210 resources under two aggregators, one summer-afternoon
event with measured response, one resource that fails its declared kW, one automated VEN.

中文：演示虚拟电厂——两家负荷聚合商的 210 个可调节资源、一次夏季午后邀约响应事件（实测响应）、
一个未达申报量的资源、一个自动响应网关（VEN）。

Everything goes through the real pipeline: a 15-minute sub-meter (``special``) per resource
on buildings that have a main interval meter (so the account, which takes main meters, is
unchanged), its readings through the readings import, the resources, the event and its
participants through the VPP imports. Readings cover 10:00–18:00 local of the ten working
days before the event and of the event day (the baselines' days and the adjustment window).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carbonpeak.domain.energy.dr import candidate_days
from carbonpeak.errors import ConflictError
from carbonpeak.intake.imports import import_file
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.access.users import DEMO_PASSWORD, create_user
from carbonpeak.services.energy.vpp.capability import metered_peak_kw
from carbonpeak.services.energy.vpp.registry import (
    import_events,
    import_participants,
    import_resources,
)
from carbonpeak.services.energy.vpp.results import event_results
from carbonpeak.storage.registry.repositories import demo as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import DrResourceKind, Role

__all__ = ["AGGREGATORS", "DEMO_EVENT", "FAILING_RESOURCE", "VEN_ID", "DemoVpp", "demo_vpp"]

N_RESOURCES = 210
AGGREGATORS = ("AGG01", "AGG02")
DEMO_EVENT = "DR-DEMO-1"
VEN_ID = "VEN-AGG01-001"
#: the resource whose response falls short of its declared kW (about 30 % of it)
FAILING_RESOURCE = "DR0007"
_KINDS = (DrResourceKind.HVAC, DrResourceKind.HVAC, DrResourceKind.LIGHTING,
          DrResourceKind.STORAGE, DrResourceKind.EV_CHARGING, DrResourceKind.PROCESS)
_FROM, _TO = 10 * 60, 18 * 60  # minutes of the local day with readings
_START, _END = dt.time(14, 0), dt.time(16, 0)


@dataclass(frozen=True)
class DemoVpp:
    """What the demo made, and the event's results."""

    resources: int
    event_id: str
    event_day: dt.date
    results: dict[str, Any]
    seconds: float = 0.0


def _event_day(year: int) -> dt.date:
    """The third Wednesday of July of ``year`` (a working day)."""
    day = dt.date(year, 7, 15)
    while day.weekday() != 2:  # noqa: PLR2004
        day += dt.timedelta(days=1)
    return day


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def demo_vpp(ws: Workspace, district: str, out_dir: Path, year: int, seed: int) -> DemoVpp:
    """Build and import the demo VPP of ``district``; the event's results."""
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, 19])
    with ws.registry.session() as s:
        hosts = repo.vpp_host_entity_ids(s, district)
    if not hosts:
        return DemoVpp(0, DEMO_EVENT, _event_day(year), {})
    day = _event_day(year)
    days = candidate_days(day, 10)
    ids = [f"DR{k:04d}" for k in range(N_RESOURCES)]
    host = [hosts[k % len(hosts)] for k in range(N_RESOURCES)]
    meters = [f"{r}-M" for r in ids]
    # the VPP's contracted total is about 8 % of the district's metered peak (so its resources
    # are of the size of the demo's buildings), split at random among the resources
    peak_kw = metered_peak_kw(ws, ws.district(district), year).kw
    share = rng.uniform(1.0, 10.0, N_RESOURCES)
    contracted = np.maximum(np.round(0.08 * (peak_kw or 60_000.0) * share / share.sum(), 0),
                            5.0)
    declared = np.round(contracted * rng.uniform(0.5, 0.9, N_RESOURCES), 0)
    base = contracted * rng.uniform(1.6, 2.6, N_RESOURCES)  # kW in the afternoon
    achieved = rng.uniform(0.85, 1.25, N_RESOURCES)
    fail = ids.index(FAILING_RESOURCE)
    achieved[fail] = 0.3
    automated = [k < 4 for k in range(N_RESOURCES)]  # four resources behind one VEN
    _write(out_dir / "vpp_meters.csv",
           ["meter_id", "entity_id", "carrier", "unit", "submeter", "register",
            "multiplier", "interval_minutes"],
           [[m, h, "electricity", "kWh", "special", "interval", 1, 15]
            for m, h in zip(meters, host, strict=True)])
    import_file(ws, "meters", out_dir / "vpp_meters.csv", district=district)
    minutes = np.arange(_FROM, _TO, 15)
    in_window = (minutes >= _START.hour * 60) & (minutes < _END.hour * 60)
    shape = 1.0 + 0.08 * np.sin((minutes - _FROM) / (_TO - _FROM) * np.pi)  # afternoon hump
    rows: list[list[Any]] = []
    for d in [*days, day]:
        level = rng.uniform(0.95, 1.05, N_RESOURCES)
        kw = base[:, None] * level[:, None] * shape[None, :]
        if d == day:
            kw = kw - np.where(in_window[None, :], (declared * achieved)[:, None], 0.0)
        kwh = np.round(kw / 4.0, 3)
        stamps = [f"{d.isoformat()}T{m // 60:02d}:{m % 60:02d}:00" for m in minutes]
        rows += [[meters[k], stamps[t], kwh[k, t]] for k in range(N_RESOURCES)
                 for t in range(minutes.size)]
    _write(out_dir / "vpp_readings.csv", ["meter_id", "ts", "value"], rows)
    import_file(ws, "readings", out_dir / "vpp_readings.csv", district=district)
    res_path = _write(
        out_dir / "vpp_resources.csv",
        ["resource_id", "entity_id", "kind", "contracted_kw", "automated", "ven_id",
         "meter_id", "aggregator", "frequency_regulation"],
        [[r, h, _KINDS[k % len(_KINDS)], f"{contracted[k]:g}", "yes" if automated[k] else "no",
          VEN_ID if automated[k] else "", m, AGGREGATORS[0] if k % 3 else AGGREGATORS[1],
          "yes" if _KINDS[k % len(_KINDS)] == DrResourceKind.STORAGE else "no"]
         for k, (r, h, m) in enumerate(zip(ids, host, meters, strict=True))])
    import_resources(ws, res_path, district=district)
    import_events(ws, _write(
        out_dir / "vpp_events.csv",
        ["event_id", "programme", "date", "start", "end", "target_kw"],
        [[DEMO_EVENT, "invitation", day.isoformat(), _START.strftime("%H:%M"),
          _END.strftime("%H:%M"), f"{round(float(declared.sum()) * 0.9, -2):g}"]]),
        district=district)
    import_participants(ws, _write(
        out_dir / "vpp_participants.csv", ["event_id", "resource_id", "declared_kw"],
        [[DEMO_EVENT, r, f"{declared[k]:g}"] for k, r in enumerate(ids)]), district=district)
    for k, org in enumerate(AGGREGATORS):
        with contextlib.suppress(ConflictError):  # the demo ran before into this home
            create_user(ws, f"aggregator{k + 1}", Role.AGGREGATOR, district=district,
                        org=org, display_name=f"负荷聚合商 {org}", password=DEMO_PASSWORD)
    results = event_results(ws, AccessScope(district, everything=True), DEMO_EVENT)
    return DemoVpp(N_RESOURCES, DEMO_EVENT, day, results, time.perf_counter() - t0)
