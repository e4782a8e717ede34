#!/usr/bin/env python
"""PV benchmark: the modelled yield of N rooftop sites over a year of hourly weather.

:func:`carbonpeak.services.energy.pv.model.model_sites` (pvlib's PVWatts chain, vectorised over
sites: irradiance and cell temperature once per orientation group, DC/AC as (hours × sites)
blocks) on ``--sites`` sites (default 5,000) with random orientation (tilt 0-30° in 5° steps,
azimuth 90-270° in 15° steps: 91 groups), 10-500 kWp, DC/AC 1.0-1.3, over the synthetic
Shanghai year (8,784 hours, 2024) from :mod:`carbonpeak.services.energy.pv.climate`; seed
``--seed``. Wall and CPU seconds of ``--reps`` runs (min, median), plus a loop of single-site
pvlib ``ModelChain.with_pvwatts`` runs over ``--loop-sites`` sites for comparison (per-site
time extrapolated to all sites, and said so).

Rerun: ``.venv/bin/python benchmarks/bench_pv.py --sites 5000 --reps 3``. The machine is shared:
the figures in docs/benchmarks.md say so.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from carbonpeak.services.energy.pv.climate import CLIMATES, synthetic_year  # noqa: E402
from carbonpeak.services.energy.pv.model import model_sites, prepare_weather  # noqa: E402


def sites_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kwp = rng.uniform(10, 500, n).round(1)
    return pd.DataFrame({"site_id": [f"S{i:05d}" for i in range(n)], "kwp_dc": kwp,
                         "kw_ac": (kwp / rng.uniform(1.0, 1.3, n)).round(1),
                         "tilt_deg": rng.choice(np.arange(0, 31, 5), n).astype(float),
                         "azimuth_deg": rng.choice(np.arange(90, 271, 15), n).astype(float)})


def loop_pvlib(sites: pd.DataFrame, weather: pd.DataFrame, loc: object) -> float:
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import Array, FixedMount, PVSystem
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    params = TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
    t0 = time.perf_counter()
    for r in sites.itertuples():
        arr = Array(FixedMount(r.tilt_deg, r.azimuth_deg),
                    module_parameters={"pdc0": r.kwp_dc, "gamma_pdc": -0.004},
                    temperature_model_parameters=params)
        mc = ModelChain.with_pvwatts(PVSystem(arrays=[arr], inverter_parameters={
            "pdc0": r.kw_ac / 0.96, "eta_inv_nom": 0.96}), loc)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mc.run_model(weather)
    return (time.perf_counter() - t0) / len(sites)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--loop-sites", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    climate = CLIMATES["上海市"]
    loc = climate.location
    raw = synthetic_year(climate, 2024)
    sites = sites_frame(a.sites, a.seed)
    walls, cpus = [], []
    res = None
    for _ in range(a.reps):
        w0, c0 = time.perf_counter(), time.process_time()
        res = model_sites(sites, prepare_weather(raw, loc), loc)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert res is not None
    per_site = loop_pvlib(sites.head(a.loop_sites), raw[["ghi", "dni", "dhi", "temp_air",
                                                         "wind_speed"]], loc)
    load = os.getloadavg()
    yields = res.annual_ac_kwh.to_numpy() / sites["kwp_dc"].to_numpy()
    groups = sites.groupby(["tilt_deg", "azimuth_deg"]).ngroups
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (shared)")
    print(f"{a.sites:,} sites × {len(raw):,} hours, {groups} orientation groups: wall min "
          f"{min(walls):.2f} s, median {statistics.median(walls):.2f} s; CPU min "
          f"{min(cpus):.2f} s ({a.reps} runs)")
    print(f"pvlib ModelChain loop: {per_site * 1000:.0f} ms per site over {a.loop_sites} "
          f"sites -> {per_site * a.sites:.0f} s for {a.sites:,} (extrapolated); speed-up "
          f"{per_site * a.sites / min(walls):.0f}x")
    print(f"specific yield kWh/kWp: median {np.median(yields):.0f}, "
          f"min {yields.min():.0f}, max {yields.max():.0f}")


if __name__ == "__main__":
    main()
