#!/usr/bin/env python
"""Demand-response baselines: N resources × 15-minute data × 10 working days, vectorised.

One run: synthetic interval kWh in long form (resource, timestamp, kWh: the lake's shape),
then (1) the reshape into a ``(resources, days, intervals)`` kW cube
(:func:`carbonpeak.services.energy.vpp.baselines.cube`, the service's own code) and (2) each
baseline method of :mod:`carbonpeak.domain.energy.dr` over the whole day (96 intervals).
Times are wall-clock seconds of one run each (the machine may be shared: say so when you
record them).

Rerun: ``.venv/bin/python benchmarks/bench_dr.py --resources 10000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from carbonpeak.domain.energy.dr import (
    baseline_10in10_adjusted,
    baseline_high5of10,
    baseline_last5,
    baseline_regression,
    candidate_days,
)
from carbonpeak.services.energy.vpp.baselines import cube


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", type=int, default=10_000)
    args = ap.parse_args()
    n = args.resources
    event = dt.date(2026, 7, 15)
    days = candidate_days(event, 10)
    rng = np.random.default_rng(0)
    per_day = 96
    t0 = time.perf_counter()
    stamps = pd.DatetimeIndex([pd.Timestamp(d) + pd.Timedelta(minutes=15 * i)
                               for d in days for i in range(per_day)])
    ids = np.array([f"R{i:05d}" for i in range(n)])
    long = pd.DataFrame({
        # categorical, as the service's lake read hands it over (results._readings)
        "resource_id": pd.Categorical.from_codes(np.repeat(np.arange(n), stamps.size),
                                                  dtype=pd.CategoricalDtype(list(ids))),
        "ts": np.tile(stamps.values, n),
        "kwh": rng.uniform(20.0, 60.0, n * stamps.size),
    })
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    kw, _order = cube(long, list(ids), days, interval_minutes=15)
    t_cube = time.perf_counter() - t0
    temps = rng.uniform(26.0, 36.0, (len(days), per_day))
    timings: dict[str, float] = {}
    methods: tuple[tuple[str, Callable[[], npt.NDArray[np.float64]]], ...] = (
        ("high5of10", lambda: baseline_high5of10(kw)),
        ("last5", lambda: baseline_last5(kw)),
        ("10in10_adjusted", lambda: baseline_10in10_adjusted(kw, kw[:, :, 40:52],
                                                             kw[:, -1, 40:52])),
        ("regression", lambda: baseline_regression(kw, temps, temps[-1])),
    )
    for name, fn in methods:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t0
        assert out.shape == (n, per_day)
    print(f"{platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"resources {n:,}, days {len(days)}, intervals/day {per_day}, "
          f"values {kw.size:,}")
    print(f"generate long frame {t_gen:.2f} s; reshape to cube {t_cube:.2f} s")
    for name, sec in timings.items():
        print(f"  {name:16s} {sec:.3f} s")
    print(f"total (reshape + 4 methods) {t_cube + sum(timings.values()):.2f} s")


if __name__ == "__main__":
    main()
