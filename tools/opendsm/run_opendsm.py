#!/usr/bin/env python
"""Fit OpenDSM's daily model per meter and write savings as JSON (runs inside .venv-opendsm).

The carbonpeak side (tests/test_mv_opendsm.py, benchmarks/bench_mv.py) writes the input file,
runs this script with ``.venv-opendsm/bin/python`` (opendsm 1.2.7 needs pandas<3, the project
is on pandas 3) and compares the savings with ``carbonpeak.domain.mv``.

Input (JSON)::

    {"dates": ["2023-01-01", ...],            # consecutive local days
     "intervention_date": "2024-01-01",       # baseline = the 365 days before, reporting = after
     "timezone": "Asia/Shanghai",
     "is_electricity_data": true,
     "meters": [{"id": "m0", "usage_kwh": [..., null, ...], "temperature_c": [...]}]}

Output (JSON): versions, import and warm-up seconds, and per meter and model ("legacy" =
CalTRACK 2.0-style HDD/CDD with fixed settings, "current" = OpenDSM's default): savings,
adjusted baseline, reporting use (over reporting days with both values), model type, balance
points [°C], coefficients [kWh/day, kWh per °C·day], seconds for data preparation, fit and
prediction, and OpenDSM's disqualifications and warnings.

Temperatures are converted to °F for OpenDSM and its balance points back to °C. Numba caches its
JIT code in ``$NUMBA_CACHE_DIR`` (default ``<this environment>/numba-cache``, inside the
git-ignored .venv-opendsm), so only the first run on a machine pays the compilation.

Usage::

    .venv-opendsm/bin/python tools/opendsm/run_opendsm.py IN.json OUT.json \
        [--models legacy,current] [--warmup] [--progress]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(sys.prefix) / "numba-cache"))

MODEL_TYPES = {"tidd": "intercept_only", "hdd_tidd": "heating", "tidd_cdd": "cooling",
               "hdd_tidd_cdd": "heating_cooling"}


def f_to_c(t_f: float | None) -> float | None:
    return None if t_f is None else (t_f - 32.0) / 1.8


def fit_one(meter: dict[str, Any], spec: dict[str, Any], model_name: str,
            api: dict[str, Any]) -> dict[str, Any]:
    pd = api["pd"]
    index = pd.DatetimeIndex(pd.to_datetime(spec["dates"])).tz_localize(spec["timezone"])
    usage = pd.Series([math.nan if v is None else float(v) for v in meter["usage_kwh"]],
                      index=index, dtype="float64")
    temp_f = pd.Series([math.nan if v is None else float(v) * 1.8 + 32.0
                        for v in meter["temperature_c"]], index=index, dtype="float64")
    cut = pd.Timestamp(spec["intervention_date"]).tz_localize(spec["timezone"])
    start = cut - pd.Timedelta(days=365)
    base, rep = (index >= start) & (index < cut), index >= cut
    out: dict[str, Any] = {"id": meter["id"], "model": model_name, "error": None}
    t0 = time.perf_counter()
    baseline = api["DailyBaselineData"].from_series(
        usage[base], temp_f[base], is_electricity_data=spec["is_electricity_data"])
    reporting = api["DailyReportingData"].from_series(
        usage[rep], temp_f[rep], is_electricity_data=spec["is_electricity_data"])
    t1 = time.perf_counter()
    model = api["DailyModel"](model=model_name).fit(baseline, ignore_disqualification=True)
    t2 = time.perf_counter()
    pred = model.predict(reporting, ignore_disqualification=True)
    t3 = time.perf_counter()
    ok = pred["observed"].notna() & pred["predicted"].notna()
    adjusted = float(pred.loc[ok, "predicted"].sum())
    observed = float(pred.loc[ok, "observed"].sum())
    submodels = model.to_dict()["submodels"]
    if len(submodels) > 1:  # the default model may split by season and weekday
        co: dict[str, Any] = {}
        mtype = ";".join(f"{k}:{getattr(v['coefficients']['model_type'], 'value', '?')}"
                         for k, v in submodels.items())
    else:
        co = next(iter(submodels.values()))["coefficients"]
        mtype = str(getattr(co["model_type"], "value", co["model_type"]))
    out.update({
        "split": sorted(submodels), "opendsm_model_type": mtype,
        "model_type": MODEL_TYPES.get(mtype.replace("_smooth", ""), "split" if co == {} else mtype),
        "intercept_kwh_per_day": co.get("intercept"),
        "heating_balance_point_c": f_to_c(co.get("hdd_bp")),
        "cooling_balance_point_c": f_to_c(co.get("cdd_bp")),
        "heating_slope_kwh_per_degc_day": None if co.get("hdd_beta") is None
        else 1.8 * co["hdd_beta"],
        "cooling_slope_kwh_per_degc_day": None if co.get("cdd_beta") is None
        else 1.8 * co["cdd_beta"],
        "n_reporting_days": int(ok.sum()), "adjusted_baseline_kwh": adjusted,
        "reporting_kwh": observed, "savings_kwh": adjusted - observed,
        "fractional_savings": (adjusted - observed) / adjusted if adjusted else None,
        "baseline_cvrmse_adj": model.baseline_metrics.cvrmse_adj,
        "seconds_data": t1 - t0, "seconds_fit": t2 - t1, "seconds_predict": t3 - t2,
        "seconds_total": t3 - t0,
        "disqualification": [w.qualified_name for w in model.disqualification],
        "warnings": sorted({w.qualified_name for w in model.warnings}),
    })
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--models", default="legacy", help="comma list of legacy,current")
    ap.add_argument("--warmup", action="store_true",
                    help="fit the first meter once, untimed, before the timed fits (JIT)")
    ap.add_argument("--progress", action="store_true", help="'PROGRESS i n' lines on stderr")
    args = ap.parse_args()
    logging.getLogger("eemeter").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    from opendsm import __version__ as opendsm_version
    from opendsm.eemeter import DailyBaselineData, DailyModel, DailyReportingData
    api = {"np": np, "pd": pd, "DailyBaselineData": DailyBaselineData,
           "DailyReportingData": DailyReportingData, "DailyModel": DailyModel}
    import_s = time.perf_counter() - t0
    spec = json.loads(args.input.read_text())
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    warmup: dict[str, float] = {}
    if args.warmup and spec["meters"]:
        for m in models:
            t = time.perf_counter()
            fit_one(spec["meters"][0], spec, m, api)
            warmup[m] = time.perf_counter() - t
    results = []
    total = len(spec["meters"]) * len(models)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for meter in spec["meters"]:
        for m in models:
            try:
                results.append(fit_one(meter, spec, m, api))
            except Exception as exc:  # noqa: BLE001 - report per meter, keep going
                results.append({"id": meter["id"], "model": m,
                                "error": f"{type(exc).__name__}: {exc}"})
            if args.progress:
                sys.stderr.write(f"PROGRESS {len(results)} {total}\n")
                sys.stderr.flush()
    doc = {
        "opendsm_version": opendsm_version, "pandas_version": pd.__version__,
        "numpy_version": np.__version__, "python": sys.version.split()[0],
        "numba_cache_dir": os.environ["NUMBA_CACHE_DIR"], "import_seconds": import_s,
        "warmup_seconds": warmup, "models": models, "n_meters": len(spec["meters"]),
        "wall_seconds": time.perf_counter() - wall0, "cpu_seconds": time.process_time() - cpu0,
        "results": results,
    }
    args.output.write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
