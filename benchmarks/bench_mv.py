#!/usr/bin/env python
"""M&V benchmark: carbonpeak's vectorised CalTRACK-style engine against OpenDSM, same meters.

One run, on the same synthetic data:

1. **Data** - ``--meters`` daily meters (default 1,000), 2023-01-01 … 2024-12-31 (365 baseline
   + 366 reporting days, intervention 2024-01-01), one weather station (a Guangzhou-like year:
   4 … 28 °C seasonal cycle + 2.5 °C day-to-day noise). Each meter: base load 50–500 kWh/day,
   a random model (flat, heating, cooling or both; balance points 10–18 / 20–26 °C; slopes
   1–5 % of the base load per °C·day), 3–12 % noise, 2 % of days missing, and a saving of
   0–20 % from the intervention on. Seed ``--seed``.
2. **carbonpeak** - :func:`carbonpeak.domain.mv.measure_savings` on all meters at once
   (sufficiency, fit, prediction, savings, FSU), ``--reps`` times, half before and half after
   OpenDSM; min and median wall seconds and CPU seconds.
3. **OpenDSM** - ``tools/opendsm/run_opendsm.py`` in ``.venv-opendsm`` (opendsm 1.2.7, pandas
   2.3.3): ``DailyModel(model="legacy")`` per meter on the first ``--opendsm-meters`` meters
   (default all), after an untimed warm-up fit (numba JIT). Its fit loop's wall seconds per meter
   give the time for all meters (extrapolated when a subset is timed, and said so).
4. **Agreement** - |our savings − OpenDSM's| as a share of OpenDSM's adjusted baseline, on the
   meters both fitted.

Results: a rich table, ``benchmarks/results/mv-<N>-<stamp>.json`` (git-ignored) and the table
between the ``bench_mv`` markers of ``docs/benchmarks.md``. The aim: at least 50x faster.

Rerun: ``make opendsm-env`` once, then
``.venv/bin/python benchmarks/bench_mv.py --meters 1000`` (``--opendsm-meters 50`` for a
quick run; ``--no-doc`` leaves docs/benchmarks.md alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOC = REPO / "docs" / "benchmarks.md"
RESULTS = BENCH_DIR / "results"
OPENDSM_PYTHON = REPO / ".venv-opendsm" / "bin" / "python"
RUNNER = REPO / "tools" / "opendsm" / "run_opendsm.py"
BEGIN, END = "<!-- bench_mv:begin -->", "<!-- bench_mv:end -->"
INTERVENTION = "2024-01-01"
AIM = 50.0
TOLERANCE = 0.005  # of adjusted baseline use, as in tests/test_mv_opendsm.py


# -- data -----------------------------------------------------------------------------------
def synthetic(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    days = np.arange("2023-01-01", "2025-01-01", dtype="datetime64[D]")
    d = np.arange(days.size)
    temp = 16.0 - 12.0 * np.cos(2 * np.pi * (d - 15) / 365.0) + rng.normal(0, 2.5, days.size)
    base = rng.uniform(50, 500, (n, 1))
    kind = rng.integers(0, 4, (n, 1))  # 0 flat, 1 heating, 2 cooling, 3 both
    bh = np.where(np.isin(kind, [1, 3]), rng.uniform(0.01, 0.05, (n, 1)) * base, 0.0)
    bc = np.where(np.isin(kind, [2, 3]), rng.uniform(0.01, 0.05, (n, 1)) * base, 0.0)
    h, c = rng.uniform(10, 18, (n, 1)), rng.uniform(20, 26, (n, 1))
    use = base + bh * np.maximum(h - temp, 0) + bc * np.maximum(temp - c, 0)
    use = use + rng.normal(0, 1, use.shape) * rng.uniform(0.03, 0.12, (n, 1)) * base
    cut = rng.uniform(0.0, 0.2, n)
    use[:, 365:] *= 1 - cut[:, None]
    use[rng.random(use.shape) < 0.02] = np.nan
    kinds = np.array(["intercept_only", "heating", "cooling", "heating_cooling"])[kind[:, 0]]
    return {"days": days, "temp": temp, "use": use, "cut": cut, "kind": kinds,
            "ids": [f"M{i:05d}" for i in range(n)]}


# -- machine and CPU accounting --------------------------------------------------------------
def cpu_snapshot() -> tuple[float, float, float]:
    """(wall clock, busy CPU seconds of the machine, CPU seconds of this process + children)."""
    busy = 0.0
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4))
        busy /= os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system + t.children_user + t.children_system


def others_share(before: tuple[float, float, float]) -> float:
    """Share of the machine's CPUs other processes used since ``before``."""
    after = cpu_snapshot()
    wall, own = after[0] - before[0], after[2] - before[2]
    return max(0.0, (after[1] - before[1]) - own) / (wall * (os.cpu_count() or 1))


def wait_idle(max_wait: float, threshold: float = 0.15) -> float:
    """Wait up to ``max_wait`` s for a second in which others use < threshold of the CPUs."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_wait:
        snap = cpu_snapshot()
        time.sleep(1.0)
        if others_share(snap) < threshold:
            break
    return time.perf_counter() - t0


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "? RAM"
    return f"{os.cpu_count()} cores ({model}), {mem}, {platform.system()}"


# -- the two engines -------------------------------------------------------------------------
def run_ours(data: dict[str, Any], reps: int, wait: float) -> dict[str, Any]:
    from carbonpeak.domain.mv import measure_savings

    walls, cpus, shares = [], [], []
    results = None
    for _ in range(reps):
        if wait:
            wait_idle(wait)
        snap, c0 = cpu_snapshot(), time.process_time()
        t0 = time.perf_counter()
        results = measure_savings(data["use"], data["temp"], data["days"],
                                  intervention_date=INTERVENTION, building_ids=data["ids"])
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        shares.append(others_share(snap))
    assert results is not None
    return {"wall_s": walls, "cpu_s": cpus, "others_cpu_share": shares, "results": results}


def run_opendsm(data: dict[str, Any], n: int, progress: Any) -> dict[str, Any]:
    spec = {"dates": [str(d) for d in data["days"]], "intervention_date": INTERVENTION,
            "timezone": "Asia/Shanghai", "is_electricity_data": True,
            "meters": [{"id": data["ids"][i], "temperature_c": data["temp"].tolist(),
                        "usage_kwh": [None if np.isnan(v) else float(v) for v in data["use"][i]]}
                       for i in range(n)]}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(spec))
        task = progress.add_task("OpenDSM fits", total=n)
        snap = cpu_snapshot()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(OPENDSM_PYTHON), str(RUNNER), str(src), str(dst), "--models", "legacy",
             "--warmup", "--progress"], stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        tail = []
        for line in proc.stderr:
            if line.startswith("PROGRESS "):
                progress.update(task, completed=int(line.split()[1]))
            else:
                tail = [*tail[-20:], line]
        if proc.wait() != 0:
            msg = f"run_opendsm.py failed:\n{''.join(tail)}"
            raise RuntimeError(msg)
        wall = time.perf_counter() - t0
        share = others_share(snap)
        out = json.loads(dst.read_text())
    out["process_wall_s"] = wall
    out["others_cpu_share"] = share
    return out


# -- summary ---------------------------------------------------------------------------------
def summarise(data: dict[str, Any], ours: dict[str, Any], od: dict[str, Any] | None,
              args: argparse.Namespace) -> dict[str, Any]:
    n = len(data["ids"])
    res = {r.building_id: r for r in ours["results"]}
    s: dict[str, Any] = {
        "meters": n, "days": int(data["days"].size), "ours_reps": len(ours["wall_s"]),
        "ours_wall_min_s": min(ours["wall_s"]), "ours_wall_median_s": statistics.median(
            ours["wall_s"]), "ours_cpu_min_s": min(ours["cpu_s"]),
        "ours_others_cpu_share_max": max(ours["others_cpu_share"]),
        "ours_fitted": sum(r.model is not None for r in ours["results"]),
        "ours_model_types": {k: sum(r.model is not None and r.model.model_type == k
                                    for r in ours["results"])
                             for k in ("intercept_only", "heating", "cooling", "heating_cooling")},
        "ours_type_matches_truth": float(np.mean([
            r.model is not None and r.model.model_type == k
            for r, k in zip(ours["results"], data["kind"], strict=True)])),
        "ours_abs_err_vs_true_cut_median": float(np.median([
            abs(r.fractional_savings - c) for r, c in zip(ours["results"], data["cut"],
                                                        strict=True) if r.model is not None])),
    }
    s["ours_ms_per_meter"] = 1000 * s["ours_wall_min_s"] / n
    if od is None:
        return s
    rows = [r for r in od["results"] if r.get("error") is None]
    m = od["n_meters"]
    loop_per_meter = od["wall_seconds"] / m
    diffs = [abs(res[r["id"]].savings_kwh - r["savings_kwh"]) / r["adjusted_baseline_kwh"]
             for r in rows if res[r["id"]].model is not None]
    s.update({
        "opendsm_meters_timed": m, "opendsm_errors": m - len(rows),
        "opendsm_extrapolated": m < n,
        "opendsm_import_s": od["import_seconds"], "opendsm_warmup_s": od["warmup_seconds"],
        "opendsm_loop_wall_s": od["wall_seconds"], "opendsm_loop_cpu_s": od["cpu_seconds"],
        "opendsm_process_wall_s": od["process_wall_s"],
        "opendsm_others_cpu_share": od["others_cpu_share"],
        "opendsm_s_per_meter": loop_per_meter,
        "opendsm_fit_s_median": statistics.median(r["seconds_fit"] for r in rows),
        "opendsm_total_s_per_meter_median": statistics.median(r["seconds_total"] for r in rows),
        "opendsm_s_for_all_meters": loop_per_meter * n,
        "speedup": loop_per_meter * n / s["ours_wall_min_s"],
        "speedup_cpu": (od["cpu_seconds"] / m * n) / s["ours_cpu_min_s"],
        "speedup_incl_startup": (loop_per_meter * n + od["import_seconds"]
                                 + sum(od["warmup_seconds"].values())) / s["ours_wall_min_s"],
        "agreement_compared": len(diffs),
        "agreement_median_pct": 100 * statistics.median(diffs),
        "agreement_p95_pct": 100 * float(np.percentile(diffs, 95)),
        "agreement_max_pct": 100 * max(diffs),
        "agreement_within_tolerance": sum(d <= TOLERANCE for d in diffs),
        "opendsm_versions": {k: od[k] for k in ("opendsm_version", "pandas_version",
                                                "numpy_version", "python")},
    })
    s["aim_met"] = s["speedup"] >= AIM
    return s


def print_table(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"M&V: {s['meters']:,} meters x {s['days']} days")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("carbonpeak measure_savings, all meters (min / median s)",
              f"{s['ours_wall_min_s']:.3f} / {s['ours_wall_median_s']:.3f}")
    t.add_row("carbonpeak per meter", f"{s['ours_ms_per_meter']:.2f} ms")
    t.add_row("carbonpeak model types", json.dumps(s["ours_model_types"]))
    if "speedup" in s:
        sub = " (extrapolated)" if s["opendsm_extrapolated"] else ""
        t.add_row("OpenDSM legacy meters timed", f"{s['opendsm_meters_timed']:,}")
        t.add_row("OpenDSM per meter (loop wall)", f"{s['opendsm_s_per_meter']:.3f} s")
        t.add_row(f"OpenDSM all meters{sub}", f"{s['opendsm_s_for_all_meters']:.1f} s")
        t.add_row("OpenDSM import / warm-up", f"{s['opendsm_import_s']:.1f} / "
                  f"{sum(s['opendsm_warmup_s'].values()):.1f} s")
        t.add_row("speed-up (wall / CPU)", f"{s['speedup']:,.0f}x / {s['speedup_cpu']:,.0f}x")
        t.add_row("aim >= 50x", "met" if s["aim_met"] else "NOT met")
        t.add_row("savings |diff| / baseline: median / p95 / max",
                  f"{s['agreement_median_pct']:.3f} / {s['agreement_p95_pct']:.3f} / "
                  f"{s['agreement_max_pct']:.3f} %")
        t.add_row(f"within {TOLERANCE:.1%} of baseline",
                  f"{s['agreement_within_tolerance']} of {s['agreement_compared']}")
    Console().print(t)


def doc_block(s: dict[str, Any], stamp: str, mach: str) -> str:
    sub = (f"timed on the first {s['opendsm_meters_timed']:,} meters and extrapolated per meter"
           if s.get("opendsm_extrapolated") else "all meters timed")
    lines = [BEGIN, "", f"Run {stamp}; machine: {mach}.", "",
             "| meters | carbonpeak s (min / median) | ms per meter | OpenDSM legacy s per meter "
             "| OpenDSM s, all meters | speed-up (wall) | speed-up (CPU) | aim >= 50x |",
             "|---:|---:|---:|---:|---:|---:|---:|:---|"]
    if "speedup" not in s:
        lines.append(f"| {s['meters']:,} | {s['ours_wall_min_s']:.3f} / "
                     f"{s['ours_wall_median_s']:.3f} | {s['ours_ms_per_meter']:.2f} | – | – | – "
                     "| – | not measured |")
    else:
        lines.append(
            f"| {s['meters']:,} | {s['ours_wall_min_s']:.3f} / {s['ours_wall_median_s']:.3f} | "
            f"{s['ours_ms_per_meter']:.2f} | {s['opendsm_s_per_meter']:.3f} | "
            f"{s['opendsm_s_for_all_meters']:,.0f} | {s['speedup']:,.0f}x | "
            f"{s['speedup_cpu']:,.0f}x | {'**met**' if s['aim_met'] else '**not met**'} |")
        lines += [
            "",
            f"- OpenDSM {s['opendsm_versions']['opendsm_version']} (pandas "
            f"{s['opendsm_versions']['pandas_version']}), `DailyModel(model=\"legacy\")`, {sub}; "
            f"its fit loop took {s['opendsm_loop_wall_s']:.1f} s wall, "
            f"{s['opendsm_loop_cpu_s']:.1f} s CPU (median fit {s['opendsm_fit_s_median']:.3f} s, "
            f"data + fit + predict {s['opendsm_total_s_per_meter_median']:.3f} s); not counted: "
            f"import {s['opendsm_import_s']:.1f} s and one warm-up fit "
            f"{sum(s['opendsm_warmup_s'].values()):.1f} s (with them: "
            f"{s['speedup_incl_startup']:,.0f}x).",
            f"- carbonpeak: `measure_savings` on all meters in one call (sufficiency, fit, "
            f"prediction, savings, FSU), {s['ours_reps']} runs, min {s['ours_wall_min_s']:.3f} s, "
            f"CPU {s['ours_cpu_min_s']:.3f} s; {s['ours_fitted']:,} meters fitted, model types "
            f"{s['ours_model_types']}; the generating model type recovered for "
            f"{s['ours_type_matches_truth']:.0%} (weak terms under the noise fall back to a "
            f"simpler model); median |fractional savings − true cut| "
            f"{s['ours_abs_err_vs_true_cut_median']:.4f}.",
            f"- Savings agreement on {s['agreement_compared']:,} meters: |ours − OpenDSM| / "
            f"OpenDSM's adjusted baseline median {s['agreement_median_pct']:.3f} %, p95 "
            f"{s['agreement_p95_pct']:.3f} %, max {s['agreement_max_pct']:.3f} %; "
            f"{s['agreement_within_tolerance']:,} within the test's 0.5 %.",
            f"- Other processes used up to {s['ours_others_cpu_share_max']:.0%} of the CPUs "
            f"during our runs and {s['opendsm_others_cpu_share']:.0%} during OpenDSM's.",
        ]
    return "\n".join([*lines, "", END])


def update_doc(block: str, path: Path = DOC) -> None:
    text = path.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## M&V engine vs OpenDSM (`benchmarks/bench_mv.py`)\n\n" \
            + block + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    from rich.progress import Progress

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--opendsm-meters", type=int, default=None,
                    help="time OpenDSM on the first N meters only (default: all)")
    ap.add_argument("--reps", type=int, default=6, help="carbonpeak runs (half before OpenDSM)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--wait-idle", type=float, default=20.0,
                    help="wait up to S seconds for a quiet machine before each carbonpeak run")
    ap.add_argument("--skip-opendsm", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args(argv)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    mach = machine()
    data = synthetic(args.meters, args.seed)
    od = None
    with Progress() as progress:
        task = progress.add_task("carbonpeak runs", total=args.reps)
        first = run_ours(data, args.reps // 2, args.wait_idle)
        progress.update(task, completed=args.reps // 2)
        if not args.skip_opendsm:
            if not OPENDSM_PYTHON.exists():
                msg = f"{OPENDSM_PYTHON} missing: run `make opendsm-env` (or --skip-opendsm)"
                raise SystemExit(msg)
            n_od = min(args.opendsm_meters or args.meters, args.meters)
            od = run_opendsm(data, n_od, progress)
        second = run_ours(data, args.reps - args.reps // 2, args.wait_idle)
        progress.update(task, completed=args.reps)
    ours = {k: first[k] + second[k] for k in ("wall_s", "cpu_s", "others_cpu_share")}
    ours["results"] = second["results"]
    s = summarise(data, ours, od, args)
    print_table(s)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"mv-{args.meters}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"summary": s, "machine": mach, "run": stamp, "args": vars(args),
                               "ours_wall_s": ours["wall_s"], "ours_cpu_s": ours["cpu_s"],
                               "opendsm": od}, indent=1, default=str))
    sys.stdout.write(f"results: {out.relative_to(REPO)}\n")
    if not args.no_doc:
        update_doc(doc_block(s, stamp, mach))
    return 0


if __name__ == "__main__":
    sys.exit(main())
