#!/usr/bin/env python
"""Account benchmark: lake load, CSV import rate, and the account against a bare DuckDB query.

One run, on the same synthetic data:

1. **Lake load** - N buildings x 4 interval electricity meters (one main meter and the
   sub-meters lighting_socket, hvac, power) x ``--hours`` hourly readings of ``--year``,
   written month by month (one lake batch per month) through
   :func:`carbonpeak.intake.imports.write_lake_batch`, after importing the entities and
   meters CSV files with :func:`carbonpeak.intake.imports.import_file`.
2. **CSV import rate** - one month of the first M buildings' readings written to a CSV file
   and imported with ``import_file(ws2, "readings", path)`` into a separate fresh home that has
   the same registry (entities, meters).
3. **Account vs bare query** - ``run_account(ws, year=...)`` and a bare
   ``SELECT meter_id, month, sum(value), count(*) FROM read_parquet(files) GROUP BY ALL``
   over the same live Parquet files, interleaved, ``--reps`` repetitions each (min, median);
   the incremental account's cache is removed before each run, so each run scans every month.
4. **Memory** - each phase runs in its own process; the peak RSS of each is reported, and
   within the account phase the high-water mark of each single run (Linux: VmHWM after
   resetting it through /proc/self/clear_refs).

Results: a rich table on stdout, ``benchmarks/results/account-<N>.json`` and a row (plus a
detail section) in ``docs/benchmarks.md``.

Rerun: ``make bench BENCH_ARGS="--buildings 5000"`` or
``.venv/bin/python benchmarks/bench_account.py --buildings 5000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOC = REPO / "docs" / "benchmarks.md"
DISTRICT = "huangpu"
UTC_OFFSET_H = 8  # Asia/Shanghai (no daylight saving time since 1991)
SUBMETERS = ("", "lighting_socket", "hvac", "power")  # meter 0 is the main meter
BUILDING_TYPES = ("office", "mall", "hotel", "hospital", "school", "government")
SECTORS = {
    "office": "L72",
    "mall": "F52",
    "hotel": "H61",
    "hospital": "Q84",
    "school": "P83",
    "government": "S92",
}
DOC_DATE = "2026-11-21"
MACHINE = "2 cores (AMD EPYC, KVM), 24 GiB RAM, Linux"
BEGIN, END = "<!-- bench_account:begin -->", "<!-- bench_account:end -->"


# -- synthetic data -------------------------------------------------------------------------
def building_ids(n: int) -> list[str]:
    return [f"B{i:05d}" for i in range(1, n + 1)]


def meter_ids(n: int) -> list[str]:
    """Meter ids in sorted order: building-major, main meter (-E0) first."""
    return [f"{b}-E{k}" for b in building_ids(n) for k in range(len(SUBMETERS))]


def building_attrs(n: int, seed: int) -> dict[str, np.ndarray]:
    """Deterministic building attributes: type index, floor area, mean electric load (kW)."""
    rng = np.random.default_rng([seed, 0])
    btype = np.arange(n) % len(BUILDING_TYPES)
    area = np.clip(rng.lognormal(np.log(25_000), 0.8, n), 2_000, 300_000).round(0)
    eui = np.array([110, 160, 150, 180, 60, 90])[btype] * rng.uniform(0.7, 1.3, n)  # kWh/m2/y
    return {"type": btype, "area": area, "kw": area * eui / 8760.0}


def _occupancy(hod: np.ndarray, dow: np.ndarray) -> np.ndarray:
    """Occupancy shape per building type (rows) and hour (columns), 0.1..1."""
    weekday = dow < 5
    day = (hod >= 8) & (hod < 19)
    evening = (hod >= 10) & (hod < 22)
    office = np.where(weekday & day, 1.0, np.where(weekday, 0.25, 0.15))
    mall = np.where(evening, 0.9 + 0.1 * ~weekday, 0.2)
    hotel = 0.6 + 0.25 * np.sin(np.pi * (hod - 6) / 24) ** 2
    hospital = np.where(day, 0.95, 0.7) + 0 * dow
    school = np.where(weekday & (hod >= 8) & (hod < 17), 1.0, 0.1)
    government = np.where(weekday & (hod >= 9) & (hod < 18), 1.0, 0.2)
    return np.stack([office, mall, hotel, hospital, school, government]).astype(np.float64)


def month_hours(year: int, hours: int, month: int) -> np.ndarray:
    """Hour indices (from 1 January 00:00 local time) whose interval starts in ``month``."""
    start = dt.datetime(year, 1, 1)
    lo = (dt.datetime(year, month, 1) - start) // dt.timedelta(hours=1)
    nxt = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    hi = min((nxt - start) // dt.timedelta(hours=1), hours)
    return np.arange(lo, max(lo, hi), dtype=np.int64)


def month_values(
    attrs: dict[str, np.ndarray],
    year: int,
    hrs: np.ndarray,
    month: int,
    seed: int,
    n: int | None = None,
) -> np.ndarray:
    """kWh per building, meter and hour, shape (buildings, 4, hours), rounded to 3 decimals.

    Deterministic per (seed, month) and independent of ``n`` (a prefix of the buildings gets
    the same values), so the CSV phase can re-create exactly what the lake holds.
    """
    total = len(attrs["kw"])
    n = total if n is None else n
    local = np.datetime64(f"{year}-01-01T00", "h") + hrs
    hod = (hrs % 24).astype(np.int64)
    days = local.astype("datetime64[D]").astype(np.int64)
    dow = (days - 4) % 7  # 1970-01-01 was a Thursday; Monday = 0
    doy = (local.astype("datetime64[D]") - np.datetime64(f"{year}-01-01")).astype(np.int64)
    occ = _occupancy(hod, dow)[attrs["type"][:n]]  # (n, H)
    season = 0.25 + 0.75 * np.abs(np.cos(2 * np.pi * (doy - 20) / 365.0))  # summer and winter
    kw = attrs["kw"][:n, None]
    rng = np.random.default_rng([seed, month])
    noise = rng.lognormal(0.0, 0.08, size=(total, 3, len(hrs)))[:n]
    lighting = 0.30 * kw * occ * noise[:, 0]
    hvac = 0.45 * kw * (0.3 + 0.7 * occ) * season * noise[:, 1]
    power = 0.15 * kw * (0.6 + 0.4 * occ) * noise[:, 2]
    other = 0.10 * kw * (0.5 + 0.5 * occ)  # unmetered special loads: the main meter sees them
    out = np.empty((n, 4, len(hrs)))
    out[:, 1], out[:, 2], out[:, 3] = lighting, hvac, power
    out[:, 0] = lighting + hvac + power + other
    return out.round(3)


def month_table(
    attrs: dict[str, np.ndarray], args: argparse.Namespace, month: int, n: int | None = None
) -> pa.Table:
    """Lake rows of one month: meter_id, ts (naive UTC interval start), value, month."""
    n = len(attrs["kw"]) if n is None else n
    hrs = month_hours(args.year, args.hours, month)
    values = month_values(attrs, args.year, hrs, month, args.seed, n)
    n_meters, h = n * len(SUBMETERS), len(hrs)
    ids = pa.array(meter_ids(n), pa.string())
    idx = pa.array(np.repeat(np.arange(n_meters, dtype=np.int32), h))
    ts = (np.datetime64(f"{args.year}-01-01T00", "h") + hrs - UTC_OFFSET_H).astype("M8[us]")
    return pa.table(
        {
            "meter_id": ids.take(idx),
            "ts": pa.array(np.tile(ts, n_meters), pa.timestamp("us")),
            "value": pa.array(values.reshape(-1), pa.float64()),
            "month": pa.repeat(pa.scalar(f"{args.year}-{month:02d}", pa.string()), n_meters * h),
        }
    )


def write_registry_csvs(folder: Path, n: int, seed: int) -> tuple[Path, Path]:
    """entities.csv and meters.csv of the import contract (README / ingest.vocab.COLUMNS)."""
    from carbonpeak.reference import read_profile

    streets = read_profile(DISTRICT)["streets"]
    attrs = building_attrs(n, seed)
    rng = np.random.default_rng([seed, 99])
    folder.mkdir(parents=True, exist_ok=True)
    ent = ["entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code"]
    met = ["meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes"]
    jitter = rng.uniform(-0.004, 0.004, size=(n, 2))
    for i, b in enumerate(building_ids(n)):
        st = streets[i % len(streets)]
        bt = BUILDING_TYPES[int(attrs["type"][i])]
        ent.append(
            f"{b},Benchmark building {i + 1},building,{st['name_zh']},{bt},"
            f"{attrs['area'][i]:.0f},{st['lat'] + jitter[i, 0]:.5f},"
            f"{st['lon'] + jitter[i, 1]:.5f},,{SECTORS[bt]}"
        )
        for k, sub in enumerate(SUBMETERS):
            met.append(f"{b}-E{k},{b},electricity,kWh,{sub},interval,1,60")
    entities, meters = folder / "entities.csv", folder / "meters.csv"
    entities.write_text("\n".join(ent) + "\n", encoding="utf-8")
    meters.write_text("\n".join(met) + "\n", encoding="utf-8")
    return entities, meters


def write_readings_csv(path: Path, table: pa.Table) -> None:
    """meter_id,ts,value with ISO local times without offset (Asia/Shanghai), 3 decimals."""
    import pyarrow.csv as pcsv

    ts = table["ts"].to_numpy() + np.timedelta64(UTC_OFFSET_H, "h")
    values = table["value"].to_numpy()
    out = pa.table(
        {
            "meter_id": table["meter_id"],
            "ts": pa.array(np.datetime_as_string(ts, unit="s")),
            "value": pa.array(np.char.mod("%.3f", values)),
        }
    )
    pcsv.write_csv(out, path, pcsv.WriteOptions(quoting_style="none"))


# -- measuring helpers ----------------------------------------------------------------------
def rss_peak_mib() -> float:
    """Peak RSS of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_hwm() -> bool:
    """Reset the RSS high-water mark (VmHWM) of this process; False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def hwm_mib(field: str = "VmHWM") -> float | None:
    """VmHWM (high-water mark since the last reset) or VmRSS (now) of this process, MiB."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) / 1024.0 if m else None


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall clock, busy CPU seconds of the whole machine, CPU seconds of this process)."""
    busy = 0.0
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
        busy = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4))
        busy /= os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system


def cpu_usage(before: tuple[float, float, float]) -> dict[str, float]:
    """CPU seconds of this process since ``before``, and the share of the machine's CPUs
    that other processes used meanwhile (0 = quiet machine; 1 = all cores busy elsewhere)."""
    after = cpu_snapshot()
    wall, own = after[0] - before[0], after[2] - before[2]
    others = max(0.0, (after[1] - before[1]) - own)
    return {"cpu_s": own, "others_cpu_share": others / (wall * (os.cpu_count() or 1))}


def digest_of(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def open_home(home: Path, *, init: bool) -> Any:
    from carbonpeak.config import Settings
    from carbonpeak.intake.bootstrap import init_workspace
    from carbonpeak.storage.workspace import Workspace

    settings = Settings(home=home, database_url=None)
    if init:
        ws, _ = init_workspace(settings, profiles=[DISTRICT], actor="bench")
        return ws
    return Workspace.open(settings, actor="bench")


def live_readings(ws: Any, months: list[str] | None) -> list[str]:
    """The live readings files the account reads (Lake.live_files, with or without the
    district argument that newer versions of the lake take)."""
    import inspect

    if "district_id" in inspect.signature(ws.lake.live_files).parameters:
        paths = ws.lake.live_files(DISTRICT, "readings", months)
    else:
        paths = ws.lake.live_files("readings", months)
    return [str(p) for p in paths]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- phases (each runs in its own process) --------------------------------------------------
def phase_load(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from carbonpeak.intake.imports import import_file, write_lake_batch

    t0 = time.perf_counter()
    ws = open_home(workdir / "home", init=True)
    entities, meters = write_registry_csvs(workdir / "csv", args.buildings, args.seed)
    r_ent = import_file(ws, "entities", entities)
    r_met = import_file(ws, "meters", meters)
    t_registry = time.perf_counter() - t0
    log(f"registry: {r_ent.rows} entities, {r_met.rows} meters imported in {t_registry:.1f} s")
    attrs = building_attrs(args.buildings, args.seed)
    rows = gen_s = write_s = 0.0
    sums = {"all": 0.0, "main": 0.0}
    months = []
    cpu = cpu_snapshot()
    for month in range(1, 13):
        g0 = time.perf_counter()
        table = month_table(attrs, args, month)
        if not table.num_rows:
            continue
        values = table["value"].to_numpy().reshape(args.buildings, len(SUBMETERS), -1)
        sums["all"] += float(values.sum())
        sums["main"] += float(values[:, 0].sum())
        del values
        g1 = time.perf_counter()
        label = f"{args.year}-{month:02d}"
        res = write_lake_batch(
            ws,
            DISTRICT,
            "readings",
            f"bench-readings-{label}",
            digest_of("bench", args.buildings, args.seed, label),
            {"readings": table},
        )
        g2 = time.perf_counter()
        assert res.status == "committed", res.messages
        rows += table.num_rows
        gen_s += g1 - g0
        write_s += g2 - g1
        months.append(
            {
                "month": label,
                "rows": table.num_rows,
                "batch_id": res.batch_id,
                "generate_s": g1 - g0,
                "write_s": g2 - g1,
            }
        )
        log(
            f"lake {label}: {table.num_rows:,} rows, generated {g1 - g0:.1f} s, "
            f"written {g2 - g1:.1f} s ({table.num_rows / (g2 - g1):,.0f} rows/s)"
        )
        del table
    usage = cpu_usage(cpu)
    ws.close()
    lake_bytes = sum(p.stat().st_size for p in (workdir / "home" / "lake").rglob("*.parquet"))
    return {
        "rows": int(rows),
        "registry_s": t_registry,
        "generate_s": gen_s,
        "write_s": write_s,
        "rows_per_s": rows / write_s if write_s else None,
        "rows_per_s_incl_generation": rows / (gen_s + write_s) if write_s else None,
        "months": months,
        "sum_all_kwh": sums["all"],
        "sum_main_kwh": sums["main"],
        "lake_bytes": lake_bytes,
        "cpu_s": usage["cpu_s"],
        "others_cpu_share": usage["others_cpu_share"],
        "peak_rss_mib": rss_peak_mib(),
    }


def phase_csv(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import duckdb

    from carbonpeak.intake.imports import import_file

    m = min(args.csv_import_buildings, args.buildings)
    home2 = workdir / "home_csv"
    if home2.exists():
        shutil.rmtree(home2)
    ws2 = open_home(home2, init=True)
    entities, meters = write_registry_csvs(workdir / "csv", args.buildings, args.seed)
    import_file(ws2, "entities", entities)
    import_file(ws2, "meters", meters)
    table = month_table(building_attrs(args.buildings, args.seed), args, 1, n=m)
    path = workdir / "csv" / f"readings-{args.year}-01-first{m}.csv"
    w0 = time.perf_counter()
    write_readings_csv(path, table)
    write_s = time.perf_counter() - w0
    rss_before = rss_peak_mib()
    os.sync()  # flush what the load phase left dirty, so its write-back does not slow the fsyncs
    idle = wait_idle(args.wait_idle) if args.wait_idle else {}
    cpu = cpu_snapshot()
    t0 = time.perf_counter()
    res = import_file(ws2, "readings", path)
    seconds = time.perf_counter() - t0
    usage = cpu_usage(cpu)
    assert res.status == "committed", res.messages
    files = live_readings(ws2, None)
    con = duckdb.connect()
    got = con.execute("SELECT count(*), sum(value) FROM read_parquet(?)", [files]).fetchone()
    con.close()
    assert got is not None
    expected = float(np.sum(table["value"].to_numpy()))
    ws2.close()
    log(f"CSV import: {res.rows:,} rows in {seconds:.2f} s ({res.rows / seconds:,.0f} rows/s)")
    return {
        "buildings": m,
        "rows": res.rows,
        "file_bytes": path.stat().st_size,
        "csv_write_s": write_s,
        "seconds": seconds,
        "rows_per_s": res.rows / seconds,
        "check_rows": int(got[0]) == table.num_rows,
        "check_sum_rel_err": abs(float(got[1]) - expected) / abs(expected),
        "peak_rss_mib": rss_peak_mib(),
        "peak_rss_before_import_mib": rss_before,
        **usage,
        **idle,
    }


BARE_SQL = (
    "SELECT meter_id, month, sum(value) AS kwh, count(*) AS n "
    "FROM read_parquet($files{opts}) GROUP BY ALL"
)
# The SQL read_parquet() detects hive partitioning from the lake's month=YYYY-MM folders and
# then takes `month` from the path, which costs ~1.35x CPU; the account reads the files through
# the relation API (con.read_parquet), which does not. "bare_nohive" is the like-for-like query.
BARE_VARIANTS = {"bare": "", "bare_nohive": ", hive_partitioning = false"}


def run_bare(files: list[str], opts: str = "") -> tuple[float, pa.Table]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        out = con.sql(BARE_SQL.format(opts=opts), params={"files": files}).to_arrow_table()
    finally:
        con.close()
    return time.perf_counter() - t0, out


def wait_idle(max_wait: float, threshold: float = 0.15) -> dict[str, float]:
    """Wait (up to ``max_wait`` s) until other processes use < ``threshold`` of the CPUs over
    one second; the machine is shared. Returns the seconds waited and the last share seen."""
    t0 = time.perf_counter()
    share = 0.0
    while True:
        snap = cpu_snapshot()
        time.sleep(1.0)
        share = cpu_usage(snap)["others_cpu_share"]
        if share < threshold or time.perf_counter() - t0 >= max_wait:
            return {"waited_s": time.perf_counter() - t0, "others_before": share}


def phase_account(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from carbonpeak.services.accounting.account import run_account

    ws = open_home(workdir / "home", init=False)
    months = [f"{args.year}-{m:02d}" for m in range(1, 13)]
    files = live_readings(ws, months)
    hwm_ok = reset_hwm()
    runs: dict[str, list[dict[str, Any]]] = {"account": [], **{k: [] for k in BARE_VARIANTS}}
    bare_table: pa.Table | None = None
    result: Any = None

    def one_bare(kind: str) -> None:
        nonlocal bare_table
        idle = wait_idle(args.wait_idle) if args.wait_idle else {}
        reset_hwm()
        before = hwm_mib("VmRSS")
        cpu = cpu_snapshot()
        seconds, table = run_bare(files, BARE_VARIANTS[kind])
        usage = cpu_usage(cpu)
        runs[kind].append(
            {
                "seconds": seconds,
                **usage,
                **idle,
                "rss_before_mib": before,
                "hwm_mib": hwm_mib() if hwm_ok else None,
            }
        )
        if kind == "bare":
            bare_table = table
        log(
            f"{kind}: {seconds:.2f} s (CPU {usage['cpu_s']:.2f} s; other processes "
            f"{usage['others_cpu_share']:.0%} of the CPUs), {table.num_rows:,} groups"
        )

    def one_account(_kind: str) -> None:
        nonlocal result
        marks: list[tuple[str, float]] = []
        # every run scans all months: without this the incremental account (2nd run on)
        # would take meter_month from the previous run's cache and skip the scan
        shutil.rmtree(ws.lake.root / "account_cache", ignore_errors=True)
        idle = wait_idle(args.wait_idle) if args.wait_idle else {}
        reset_hwm()
        before = hwm_mib("VmRSS")
        cpu = cpu_snapshot()
        t0 = time.perf_counter()
        result = run_account(
            ws,
            year=args.year,
            out_dir=None,
            progress=lambda name: marks.append((name, time.perf_counter())),
        )
        t_end = time.perf_counter()
        usage = cpu_usage(cpu)
        sec = dict(result.seconds)
        # step durations from the progress marks (the last step includes fetching the outputs)
        pipe_end = t0 + sec["inputs"] + sec["pipeline"]
        steps = {}
        for i, (name, t) in enumerate(marks):
            steps[name] = (marks[i + 1][1] if i + 1 < len(marks) else pipe_end) - t
        if marks:
            steps["(connect, register inputs)"] = marks[0][1] - (t0 + sec["inputs"])
        runs["account"].append(
            {
                "seconds": sec,
                "wall_s": t_end - t0,
                **usage,
                **idle,
                "steps": steps,
                "run_id": result.run_id,
                "rss_before_mib": before,
                "hwm_mib": hwm_mib() if hwm_ok else None,
            }
        )
        log(
            f"account: pipeline {sec['pipeline']:.2f} s, total {sec['total']:.2f} s "
            f"(inputs {sec['inputs']:.2f}, outputs {sec['outputs']:.2f}; "
            f"CPU {usage['cpu_s']:.2f} s; other processes {usage['others_cpu_share']:.0%} "
            "of the CPUs)"
        )

    kinds = ["bare", "account", "bare_nohive"]
    for rep in range(args.reps):  # interleaved; the order rotates so each kind goes first once
        for kind in kinds[rep % 3 :] + kinds[: rep % 3]:
            (one_account if kind == "account" else one_bare)(kind)
    bare, account = runs["bare"], runs["account"]
    assert bare_table is not None
    assert result is not None
    dy = result.tables["inventory_district_year"]
    account_kwh = float(dy.loc[dy["carrier"] == "electricity", "quantity"].sum())
    is_main = np.char.endswith(
        bare_table["meter_id"].to_numpy(zero_copy_only=False).astype(str), "-E0"
    )
    kwh = bare_table["kwh"].to_numpy()
    bare_main = float(kwh[is_main].sum())
    readings = int(np.sum(bare_table["n"].to_numpy()))
    ws.close()
    return {
        "files": len(files),
        "readings": readings,
        "bare": bare,
        "bare_nohive": runs["bare_nohive"],
        "account": account,
        "bare_sum_all_kwh": float(kwh.sum()),
        "bare_sum_main_kwh": bare_main,
        "account_electricity_kwh": account_kwh,
        "check_rel_err": abs(account_kwh - bare_main) / abs(bare_main) if bare_main else None,
        "account_totals": result.totals,
        "account_notes": result.notes,
        "peak_rss_mib": rss_peak_mib(),
        "hwm_supported": hwm_ok,
    }


PHASES: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
    "load": phase_load,
    "csv": phase_csv,
    "account": phase_account,
}


# -- driver ---------------------------------------------------------------------------------
def run_phase(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Run one phase in a child process (its own peak RSS) and read its JSON result."""
    out = workdir / f"phase-{name}.json"
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        name,
        "--buildings",
        str(args.buildings),
        "--hours",
        str(args.hours),
        "--year",
        str(args.year),
        "--workdir",
        str(workdir),
        "--csv-import-buildings",
        str(args.csv_import_buildings),
        "--reps",
        str(args.reps),
        "--seed",
        str(args.seed),
        "--wait-idle",
        str(args.wait_idle),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    data = json.loads(out.read_text())
    data["process_wall_s"] = time.perf_counter() - t0
    return data


def summarise(
    args: argparse.Namespace, load: dict[str, Any], csv: dict[str, Any], acc: dict[str, Any]
) -> dict[str, Any]:
    def mm(xs: list[float]) -> dict[str, Any]:
        return {"min": min(xs), "median": statistics.median(xs), "runs": xs}

    bare = mm([r["seconds"] for r in acc["bare"]])
    nohive = mm([r["seconds"] for r in acc["bare_nohive"]])
    pipe = mm([r["seconds"]["pipeline"] for r in acc["account"]])
    total = mm([r["seconds"]["total"] for r in acc["account"]])
    cpu = {k: mm([r["cpu_s"] for r in acc[k]]) for k in ("bare", "bare_nohive", "account")}
    others = max(r["others_cpu_share"] for k in ("bare", "bare_nohive", "account") for r in acc[k])
    n = acc["readings"]
    best = min(acc["account"], key=lambda r: r["seconds"]["pipeline"])
    phase_rss = {
        "load": load["peak_rss_mib"],
        "csv": csv["peak_rss_mib"],
        "account": acc["peak_rss_mib"],
    }

    def ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
        return {"min": a["min"] / b["min"], "median": a["median"] / b["median"]}

    return {
        "bare_s": bare,
        "bare_nohive_s": nohive,
        "pipeline_s": pipe,
        "total_s": total,
        "cpu_s": cpu,
        "ratio_bare_pipeline": ratio(bare, pipe),
        "ratio_bare_total": ratio(bare, total),
        "ratio_nohive_pipeline": ratio(nohive, pipe),
        "ratio_nohive_total": ratio(nohive, total),
        "readings_per_s": {
            "bare": n / bare["min"],
            "bare_nohive": n / nohive["min"],
            "pipeline": n / pipe["min"],
            "total": n / total["min"],
        },
        "steps_of_fastest_run": best["steps"],
        "seconds_of_fastest_run": best["seconds"],
        "max_others_cpu_share": others,
        "peak_rss_mib": max(phase_rss.values()),
        "peak_rss_by_phase_mib": phase_rss,
        "hwm_bare_mib": max((r["hwm_mib"] or 0) for r in acc["bare"]) or None,
        "hwm_account_mib": max((r["hwm_mib"] or 0) for r in acc["account"]) or None,
        "aim_ratio_met": bare["min"] / pipe["min"] >= 0.5,
        "aim_ratio_met_nohive": nohive["min"] / pipe["min"] >= 0.5,
        "totals_agree": acc["check_rel_err"] is not None and acc["check_rel_err"] <= 1e-6,
        "expected_readings": args.buildings * len(SUBMETERS) * args.hours,
    }


def fmt_s(d: dict[str, float]) -> str:
    return f"{d['min']:.2f} / {d['median']:.2f}"


def fmt_r(d: dict[str, float]) -> str:
    return f"{d['min']:.2f} / {d['median']:.2f}"


def fmt_n(x: float) -> str:
    return f"{x:,.0f}"


def fmt_mib(x: float | None) -> str:
    return "n/a" if x is None else f"{x / 1024:.2f} GiB" if x >= 1024 else f"{x:.0f} MiB"


def print_table(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    s, load, csv, acc = res["summary"], res["load"], res["csv"], res["account"]
    t = Table(
        title=f"Account benchmark: {res['buildings']:,} buildings, {acc['readings']:,} readings"
    )
    t.add_column("measure")
    t.add_column("value", justify="right")
    rows = [
        ("meters (1 main + 3 sub-meters per building)", fmt_n(res["meters"])),
        ("readings in the lake", fmt_n(acc["readings"])),
        ("lake size on disk", f"{load['lake_bytes'] / 2**20:,.0f} MiB"),
        ("lake load rows/s (write_lake_batch)", fmt_n(load["rows_per_s"])),
        ("lake load rows/s incl. generation", fmt_n(load["rows_per_s_incl_generation"])),
        (f"CSV import rows/s ({csv['rows']:,} rows)", fmt_n(csv["rows_per_s"])),
        ("bare GROUP BY s (min / median)", fmt_s(s["bare_s"])),
        ("bare GROUP BY, hive_partitioning=false s", fmt_s(s["bare_nohive_s"])),
        ("account pipeline s (min / median)", fmt_s(s["pipeline_s"])),
        ("account total s (min / median)", fmt_s(s["total_s"])),
        (
            "CPU s bare / bare no-hive / account (min)",
            " / ".join(f"{s['cpu_s'][k]['min']:.2f}" for k in ("bare", "bare_nohive", "account")),
        ),
        ("ratio bare / pipeline (min / median)", fmt_r(s["ratio_bare_pipeline"])),
        ("ratio bare / total (min / median)", fmt_r(s["ratio_bare_total"])),
        ("ratio bare no-hive / pipeline", fmt_r(s["ratio_nohive_pipeline"])),
        ("ratio bare no-hive / total", fmt_r(s["ratio_nohive_total"])),
        ("readings/s bare", fmt_n(s["readings_per_s"]["bare"])),
        ("readings/s bare no-hive", fmt_n(s["readings_per_s"]["bare_nohive"])),
        ("readings/s account pipeline", fmt_n(s["readings_per_s"]["pipeline"])),
        ("readings/s account total", fmt_n(s["readings_per_s"]["total"])),
        ("electricity: account vs bare main-meter sum (rel. err)", f"{acc['check_rel_err']:.1e}"),
        (
            "peak RSS load / csv / account",
            " / ".join(fmt_mib(v) for v in s["peak_rss_by_phase_mib"].values()),
        ),
        (
            "high-water mark of one bare / one account run",
            f"{fmt_mib(s['hwm_bare_mib'])} / {fmt_mib(s['hwm_account_mib'])}",
        ),
        ("max CPU share used by other processes in a run", f"{s['max_others_cpu_share']:.0%}"),
        ("aim bare/pipeline >= 0.5", "met" if s["aim_ratio_met"] else "NOT met"),
        ("aim bare no-hive/pipeline >= 0.5", "met" if s["aim_ratio_met_nohive"] else "NOT met"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)
    steps = Table(title="Fastest account run: seconds per part")
    steps.add_column("part")
    steps.add_column("s", justify="right")
    sec = s["seconds_of_fastest_run"]
    for k in ("inputs", "outputs"):
        steps.add_row(f"({k})", f"{sec[k]:.3f}")
    for k, v in sorted(s["steps_of_fastest_run"].items(), key=lambda kv: -kv[1]):
        if v >= 0.005:
            steps.add_row(k, f"{v:.3f}")
    Console().print(steps)


# -- docs/benchmarks.md ---------------------------------------------------------------------
HEADER = f"""# Benchmarks

Measured on {DOC_DATE}; machine: {MACHINE}. The machine is shared: other
sessions' tests (pytest, a Spark JVM) ran at the same time, so single timings vary by up to 2x;
the benchmark waits for a quiet second before each timed run (`--wait-idle`), reports minima
and medians, records the CPU share other processes took, and CPU seconds as a steadier measure.

## Account benchmark (`benchmarks/bench_account.py`)

Rerun (the default is 500 buildings; the generated lake under `benchmarks/data/<N>` is
git-ignored and deleted at the end unless `--keep`):

```sh
make bench BENCH_ARGS="--buildings 5000"
# or
.venv/bin/python benchmarks/bench_account.py --buildings 5000
```

Data: N buildings of the Huangpu profile, each with 4 hourly interval electricity meters (one
main meter and the sub-meters lighting_socket, hvac, power; the main meter = sub-meters +
unmetered loads), 8,760 hourly readings per meter from 2024-01-01 00:00 Asia/Shanghai (2024 is a
leap year: 8,760 hours end on 30 December, so December is 97% covered and flagged partial).
Values: a daily/weekly occupancy shape per building type x seasonal HVAC x building size x
log-normal noise, rounded to 3 decimals, seed 2024. Loaded month by month (one lake batch per
month) through `carbonpeak.intake.imports.write_lake_batch` after importing the entities and
meters CSV files with `import_file`.

Columns: *lake load* = rows / seconds in `write_lake_batch` (data generation excluded);
*CSV import* = `import_file(ws, "readings", csv)` of one month of the first 50 buildings into a
fresh home (parse, validate, write); *bare GROUP BY* = `SELECT meter_id, month, sum(value),
count(*) FROM read_parquet(<live files>) GROUP BY ALL` (DuckDB, 2 threads), fetched to Arrow;
*no-hive* = the same with `hive_partitioning = false` (see below); *account pipeline* =
`AccountResult.seconds["pipeline"]` (the SQL steps); *account total* = inputs + pipeline +
outputs + registry record; "min / median" over the interleaved repetitions (the detail
sections give their number); ratios use the minima; readings/s = readings / min seconds; peak
RSS = the largest of the three phase processes (load, CSV import, account + bare queries). The
aim: ratio bare/pipeline >= 0.5, and no out-of-memory at 175 M readings.

Why two bare queries: the SQL `read_parquet()` detects hive partitioning from the lake's
`district=…/month=YYYY-MM` folders and then takes `month` (and `district`) from the file path,
which costs about 1.35x the CPU of reading the column from the files. The account reads the
files with hive partitioning off (`con.read_parquet(..., hive_partitioning=False)` in
`carbonpeak.services.accounting.engines.run_duckdb`), so the no-hive query is the like-for-like
baseline
and the stricter test of the aim.
"""

TABLE_HEAD = (
    "| buildings | meters | readings | lake load rows/s | CSV import rows/s "
    "| bare GROUP BY s | bare no-hive s | account pipeline s | account total s "
    "| ratio bare/pipeline | ratio bare/total | ratio no-hive/pipeline | ratio no-hive/total "
    "| readings/s bare | readings/s no-hive | readings/s pipeline | readings/s total "
    "| peak RSS |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def doc_row(res: dict[str, Any]) -> str:
    s, acc = res["summary"], res["account"]
    cells = [
        fmt_n(res["buildings"]),
        fmt_n(res["meters"]),
        fmt_n(acc["readings"]),
        fmt_n(res["load"]["rows_per_s"]),
        fmt_n(res["csv"]["rows_per_s"]),
        fmt_s(s["bare_s"]),
        fmt_s(s["bare_nohive_s"]),
        fmt_s(s["pipeline_s"]),
        fmt_s(s["total_s"]),
        f"{s['ratio_bare_pipeline']['min']:.2f}",
        f"{s['ratio_bare_total']['min']:.2f}",
        f"{s['ratio_nohive_pipeline']['min']:.2f}",
        f"{s['ratio_nohive_total']['min']:.2f}",
        fmt_n(s["readings_per_s"]["bare"]),
        fmt_n(s["readings_per_s"]["bare_nohive"]),
        fmt_n(s["readings_per_s"]["pipeline"]),
        fmt_n(s["readings_per_s"]["total"]),
        fmt_mib(s["peak_rss_mib"]),
    ]
    return "| " + " | ".join(cells) + " |"


def doc_details(res: dict[str, Any]) -> str:
    s, load, csv, acc = res["summary"], res["load"], res["csv"], res["account"]
    sec = s["seconds_of_fastest_run"]
    top = sorted(s["steps_of_fastest_run"].items(), key=lambda kv: -kv[1])[:4]
    rss = s["peak_rss_by_phase_mib"]
    cpu = s["cpu_s"]
    lines = [
        f"<!-- details:{res['buildings']} -->",
        f"### {res['buildings']:,} buildings ({acc['readings']:,} readings), run {res['date']}",
        "",
        f"- Lake: {acc['files']} live Parquet files, {load['lake_bytes'] / 2**20:,.0f} MiB; "
        f"load {load['write_s']:.1f} s in `write_lake_batch` + {load['generate_s']:.1f} s "
        f"generating the data; registry set-up (init, entities, meters) "
        f"{load['registry_s']:.1f} s.",
        f"- CSV import: {csv['rows']:,} rows ({csv['file_bytes'] / 2**20:.1f} MiB) in "
        f"{csv['seconds']:.2f} s.",
        f"- Seconds per run ({res['reps']} interleaved repetitions): bare "
        + ", ".join(f"{x:.2f}" for x in s["bare_s"]["runs"])
        + "; no-hive "
        + ", ".join(f"{x:.2f}" for x in s["bare_nohive_s"]["runs"])
        + "; account pipeline "
        + ", ".join(f"{x:.2f}" for x in s["pipeline_s"]["runs"])
        + f". CPU seconds (min): bare {cpu['bare']['min']:.2f}, no-hive "
        f"{cpu['bare_nohive']['min']:.2f}, account (whole run) {cpu['account']['min']:.2f}. "
        f"Other processes took up to {s['max_others_cpu_share']:.0%} of the CPUs during a run.",
        f"- Fastest account run: inputs {sec['inputs']:.2f} s, pipeline {sec['pipeline']:.2f} s, "
        f"outputs {sec['outputs']:.2f} s"
        + (f" (of which the registry record {sec['record']:.2f} s)" if "record" in sec else "")
        + "; outputs per run "
        + ", ".join(f"{r['seconds']['outputs']:.2f}" for r in acc["account"])
        + " s; slowest steps: "
        + ", ".join(f"`{k}` {v:.2f} s" for k, v in top)
        + " (the last step's time includes fetching the outputs).",
        f"- Check: electricity in `inventory_district_year` = "
        f"{acc['account_electricity_kwh']:,.1f} kWh; bare sum over main meters = "
        f"{acc['bare_sum_main_kwh']:,.1f} kWh; relative difference {acc['check_rel_err']:.1e} "
        f"({'agree' if s['totals_agree'] else 'DISAGREE'} to 1e-6).",
        f"- Peak RSS per phase process: load {fmt_mib(rss['load'])}, CSV import "
        f"{fmt_mib(rss['csv'])}, account + bare {fmt_mib(rss['account'])}; high-water mark of a "
        f"single bare query {fmt_mib(s['hwm_bare_mib'])}, of a single account run "
        f"{fmt_mib(s['hwm_account_mib'])} (process RSS, including ~200 MiB of imported modules).",
        f"- Aim bare/pipeline >= 0.5: **{'met' if s['aim_ratio_met'] else 'not met'}** "
        f"({s['ratio_bare_pipeline']['min']:.2f}; against the no-hive query "
        f"{s['ratio_nohive_pipeline']['min']:.2f}, "
        f"{'met' if s['aim_ratio_met_nohive'] else 'not met'}).",
        f"- Aim whole account >= 0.7x the no-hive query: "
        f"**{'met' if s['ratio_nohive_total']['min'] >= 0.7 else 'not met'}** "
        f"({s['ratio_nohive_total']['min']:.2f}; medians "
        f"{s['ratio_nohive_total']['median']:.2f}; CPU seconds no-hive / account "
        f"{cpu['bare_nohive']['min'] / cpu['account']['min']:.2f}).",
        f"<!-- /details:{res['buildings']} -->",
    ]
    return "\n".join(lines)


def update_doc(res: dict[str, Any], path: Path = DOC) -> None:
    """Insert or replace this N's row and detail section; keep everything else."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER + "\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        inner, after = rest.split(END, 1)
    else:
        before, inner, after = text.rstrip("\n") + "\n\n", "", "\n"
    rows: dict[int, str] = {}
    if TABLE_HEAD.splitlines()[0] in inner:  # rows of an older layout are dropped
        for line in inner.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells[0].replace(",", "").isdigit():
                rows[int(cells[0].replace(",", ""))] = line
    details = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r"<!-- details:(\d+) -->.*?<!-- /details:\1 -->", inner, re.DOTALL)
    }
    details = {k: v for k, v in details.items() if k in rows}
    rows[res["buildings"]] = doc_row(res)
    details[res["buildings"]] = doc_details(res)
    block = "\n".join([TABLE_HEAD, *(rows[k] for k in sorted(rows))])
    body = "\n\n".join([block, *(details[k] for k in sorted(details))])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{before}{BEGIN}\n{body}\n{END}{after}", encoding="utf-8")


# -- main -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--buildings", type=int, default=500, help="N buildings")
    p.add_argument(
        "--meters-per-building",
        type=int,
        default=4,
        help="meters per building (fixed: 1 main + 3 sub-meters)",
    )
    p.add_argument("--hours", type=int, default=8760, help="hourly readings per meter")
    p.add_argument("--year", type=int, default=2024)
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="data folder (default benchmarks/data/<N>, git-ignored)",
    )
    p.add_argument(
        "--csv-import-buildings",
        type=int,
        default=50,
        help="buildings whose January readings go through the CSV import",
    )
    p.add_argument("--reps", type=int, default=3, help="repetitions of account and bare query")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument(
        "--wait-idle",
        type=float,
        default=30.0,
        help="before each timed account/bare run, wait up to this many seconds for other "
        "processes to leave the CPUs (< 15%% busy over 1 s); 0 = do not wait",
    )
    p.add_argument("--keep", action="store_true", help="keep the workdir (lake) at the end")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the lake of a previous --keep run (skip the load phase)",
    )
    p.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    p.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.meters_per_building != len(SUBMETERS):
        p.error("--meters-per-building: only 4 (1 main + 3 sub-meters) is supported")
    if args.workdir is None:
        args.workdir = BENCH_DIR / "data" / str(args.buildings)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir.resolve()
    if args.phase:
        data = PHASES[args.phase](args, workdir)
        (workdir / f"phase-{args.phase}.json").write_text(json.dumps(data, indent=2, default=str))
        return 0
    t0 = time.perf_counter()
    free = shutil.disk_usage(workdir.parent if workdir.parent.exists() else REPO).free
    need = args.buildings * len(SUBMETERS) * args.hours * 8  # lake ~4 bytes/row, x2 headroom
    if free < need:
        log(f"warning: {free / 2**30:.1f} GiB free, the lake needs about {need / 2**30:.1f} GiB")
    if args.reuse and (workdir / "phase-load.json").exists():
        load = json.loads((workdir / "phase-load.json").read_text())
        log(f"reusing the lake in {workdir}")
    else:
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        log(f"phase load: {args.buildings:,} buildings -> {workdir}")
        load = run_phase("load", args, workdir)
    log("phase csv")
    csv = run_phase("csv", args, workdir)
    log("phase account")
    acc = run_phase("account", args, workdir)
    res: dict[str, Any] = {
        "benchmark": "account",
        "date": dt.date.today().isoformat(),
        "buildings": args.buildings,
        "meters": args.buildings * len(SUBMETERS),
        "meters_layout": "1 main + 3 sub-meters (lighting_socket, hvac, power) per building",
        "hours": args.hours,
        "year": args.year,
        "seed": args.seed,
        "reps": args.reps,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        },
        "versions": versions(),
        "load": load,
        "csv": csv,
        "account": acc,
    }
    res["summary"] = summarise(args, load, csv, acc)
    res["driver_wall_s"] = time.perf_counter() - t0
    out = BENCH_DIR / "results" / f"account-{args.buildings}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str))
    print_table(res)
    if not args.no_doc:
        update_doc(res)
    log(f"results: {out}" + ("" if args.no_doc else f"; {DOC}"))
    if not args.keep:
        shutil.rmtree(workdir)
        log(f"removed {workdir} (use --keep to keep it)")
    ok = res["summary"]["totals_agree"] and acc["readings"] == res["summary"]["expected_readings"]
    if not ok:
        log("ERROR: the account's electricity total or the reading count does not match")
    return 0 if ok else 1


def versions() -> dict[str, str]:
    import duckdb
    import pandas as pd

    return {
        "duckdb": duckdb.__version__,
        "pyarrow": pa.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    sys.exit(main())
