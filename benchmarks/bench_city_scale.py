#!/usr/bin/env python
"""City-scale account benchmark: 1.5 billion 15-minute readings on one machine.

Default: 10,700 buildings x 4 interval electricity meters (1 main + 3 sub-meters, as in
``bench_account.py``) x 35,136 quarter-hours of 2024 (366 days) = 1,503,820,800 readings
(4,300 buildings give 604 M). ``--buildings 214`` is the 1/50 rehearsal (30.1 M readings).

Phases, each in its own process (its peak RSS is sampled over the whole process tree, the
Spark JVM included):

1. ``generate`` - a fresh home; entities and meters imported with ``import_file`` (15-minute
   meters); twelve month files written straight to the lake layout with numpy and pyarrow
   (chunks of 250 buildings, one process per core) and registered as twelve lake
   batches - pending batches first, then every file made live in one registry transaction,
   the same rows ``write_lake_batch`` leaves (``ingest_batches`` committed, ``lake_files``
   live) without its per-batch sort and overlap check.
   The first main meter's readings of one day (LATE_DAY) are left out: they arrive late.
2. ``bare`` - ``SELECT meter_id, month, sum(value), count(*) FROM read_parquet(<live files>)
   GROUP BY ALL`` with and without hive partitioning, 2 threads, under the memory cap.
3. ``account`` - ``run_account`` on DuckDB with ``CARBONPEAK_DUCKDB_MEMORY_LIMIT`` (the cap)
   and ``CARBONPEAK_DUCKDB_TEMP_DIRECTORY`` (spill, its size sampled): the first run (no
   cache: 12 months) and a second with nothing changed (0 months).
4. ``change`` - the late day (96 readings) written as a new lake batch through
   ``write_lake_batch``; it overlaps nothing, so the lake adds one small file to the month.
5. ``incremental`` - ``run_account`` again (only the changed month is scanned), then the
   cache removed and a full run; the electricity totals compared with each other and with
   the first run + the late day.
6. ``rewrite`` - another day of that meter corrected (+10 %): it overlaps live rows, so the
   lake rewrites the whole month into one new file (in memory); then the incremental account.
7. ``spark`` - ``run_account(engine="spark")`` on ``local[2]`` (``--spark-buildings`` runs
   it on a separate lake of fewer buildings, stated as such).

The results JSON (``benchmarks/results/city-scale-<N>.json``, git-ignored) is written after
every phase; ``--deadline HH:MM`` (UTC) kills the phase running then and records it as such.
The data (``--workdir``) is deleted at the end unless ``--keep``.

Rerun: ``nice -n 5 .venv/bin/python benchmarks/bench_city_scale.py --workdir /data/big``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_account import (  # noqa: E402
    DISTRICT,
    SUBMETERS,
    UTC_OFFSET_H,
    _occupancy,
    building_attrs,
    cpu_snapshot,
    cpu_usage,
    digest_of,
    hwm_mib,
    live_readings,
    log,
    open_home,
    reset_hwm,
    rss_peak_mib,
    write_registry_csvs,
)

BENCH_DIR = Path(__file__).resolve().parent
YEAR = 2024
SLOTS_PER_DAY = 96
SLOTS = 366 * SLOTS_PER_DAY  # 35,136 quarter-hours in 2024 (a leap year)
# the first main meter's readings: one day arrives late (left out of the generated lake and
# written by the ``change`` phase), another is corrected (+10 %) by the ``rewrite`` phase
LATE_DAY = "2024-05-20"
CHANGED_DAY = "2024-05-15"


# -- data ------------------------------------------------------------------------------------
def month_slots(month: int, year: int = YEAR) -> tuple[int, int]:
    """[lo, hi) quarter-hour indices (from 1 January 00:00 local) that start in ``month``."""
    start = dt.datetime(year, 1, 1)
    lo = (dt.datetime(year, month, 1) - start) // dt.timedelta(minutes=15)
    nxt = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return lo, (nxt - start) // dt.timedelta(minutes=15)


def day_slots(day: str, year: int = YEAR) -> tuple[int, int]:
    """[lo, hi) quarter-hour indices of a local day."""
    lo = (dt.date.fromisoformat(day) - dt.date(year, 1, 1)).days * SLOTS_PER_DAY
    return lo, lo + SLOTS_PER_DAY


def profile_arrays(year: int = YEAR) -> dict[str, np.ndarray]:
    """Per building type (rows) and quarter-hour of the year (columns): the load shares of
    the sub-meters (lighting_socket f1, hvac f2, power f3) and of the unmetered loads (f0), as
    in ``bench_account.month_values`` (occupancy by type, hour and weekday; seasonal HVAC)."""
    slots = np.arange(SLOTS, dtype=np.int64)
    hod = (slots % SLOTS_PER_DAY) / 4.0  # fractional local hour of the interval start
    doy = slots // SLOTS_PER_DAY
    days = (np.datetime64(f"{year}-01-01") + doy).astype(np.int64)
    dow = (days - 4) % 7  # Monday = 0
    occ = _occupancy(hod, dow)  # (types, slots)
    season = 0.25 + 0.75 * np.abs(np.cos(2 * np.pi * (doy - 20) / 365.0))
    return {"f1": 0.30 * occ, "f2": 0.45 * (0.3 + 0.7 * occ) * season[None, :],
            "f3": 0.15 * (0.6 + 0.4 * occ), "f0": 0.10 * (0.5 + 0.5 * occ)}


#: buildings per generated chunk (one random stream per seed, month and chunk)
CHUNK = 250


def month_chunks(buildings: int, seed: int, month: int, batch_id: int, *,
                 late_day: str | None = LATE_DAY, year: int = YEAR,
                 ) -> Iterator[pa.Table]:
    """One month's lake rows (meter_id, ts, value, month, batch_id) in chunks of ``CHUNK``
    buildings, in meter_id, ts order: kWh per quarter-hour = the building's mean load x the
    type's share x +-8 % uniform noise (the main meter = its sub-meters + unmetered loads),
    rounded to 3 decimals. Deterministic per (seed, month, chunk). The first meter's readings
    of ``late_day`` are left out. meter_id and month are dictionary-encoded Arrow columns, so
    the Parquet writer takes the dictionary as it is (no hashing of 125 M strings)."""
    attrs = building_attrs(buildings, seed)
    prof = profile_arrays(year)
    lo, hi = month_slots(month, year)
    h, k = hi - lo, len(SUBMETERS)
    epoch0 = np.datetime64(f"{year}-01-01T00:00", "us") - np.timedelta64(UTC_OFFSET_H, "h")
    ts = epoch0 + (np.arange(lo, hi, dtype=np.int64) * 900_000_000).astype("m8[us]")
    ids = pa.array([f"B{i + 1:05d}-E{j}" for i in range(buildings) for j in range(k)])
    label = pa.array([f"{year}-{month:02d}"])
    f = {name: v[:, lo:hi] for name, v in prof.items()}
    drop = None
    if late_day and late_day[:7] == f"{year}-{month:02d}":
        a, b = day_slots(late_day, year)
        drop = (a - lo, b - lo)
    for c0 in range(0, buildings, CHUNK):
        c1 = min(buildings, c0 + CHUNK)
        n = c1 - c0
        t = attrs["type"][c0:c1]
        kwq = (attrs["kw"][c0:c1] * 0.25)[:, None]
        noise = np.random.default_rng([seed, month, c0]).uniform(0.92, 1.08, size=(3, n, h))
        out = np.empty((n, k, h))
        out[:, 1] = kwq * f["f1"][t] * noise[0]
        out[:, 2] = kwq * f["f2"][t] * noise[1]
        out[:, 3] = kwq * f["f3"][t] * noise[2]
        out[:, 0] = out[:, 1] + out[:, 2] + out[:, 3] + kwq * f["f0"][t]
        values = out.round(3).reshape(-1)
        # the chunk's own dictionary: each row group stores only the meters it holds
        idx = np.repeat(np.arange(n * k, dtype=np.int32), h)
        table = pa.table({
            "meter_id": pa.DictionaryArray.from_arrays(pa.array(idx), ids[c0 * k:c1 * k]),
            "ts": pa.array(np.tile(ts, n * k)),
            "value": pa.array(values),
            "month": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(len(idx), np.int8)), label),
            "batch_id": pa.array(np.full(len(idx), batch_id, np.int64)),
        })
        if drop is not None and c0 == 0:
            keep = np.ones(len(idx), bool)
            keep[drop[0]:drop[1]] = False  # meter 0 comes first: its slots are the first h
            table = table.filter(pa.array(keep))
        yield table


def late_day_rows(buildings: int, seed: int, day: str = LATE_DAY) -> pa.Table:
    """The late day's readings of the first meter (what ``month_chunks`` leaves out), with
    plain string columns: meter_id, ts, value, month."""
    first = next(month_chunks(buildings, seed, int(day[5:7]), 0, late_day=None))
    a, b = day_slots(day)
    lo = month_slots(int(day[5:7]))[0]
    rows = first.slice(a - lo, b - a)
    return pa.table({"meter_id": rows["meter_id"].cast(pa.string()), "ts": rows["ts"],
                     "value": rows["value"], "month": rows["month"].cast(pa.string())})


def write_month(path: Path, buildings: int, seed: int, month: int, batch_id: int) -> int:
    """Write one month's lake file (zstd, 1 M-row row groups, plain string schema for every
    reader; a .tmp fsynced and renamed, as ``write_parquet_durably``); returns its rows."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    rows = 0
    writer = None
    try:
        for table in month_chunks(buildings, seed, month, batch_id):
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd",
                                          store_schema=False,
                                          use_dictionary=["meter_id", "month", "batch_id"])
            writer.write_table(table, row_group_size=1_000_000)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    return rows


def _write_month_job(job: tuple[str, int, int, int, int]) -> tuple[int, float]:
    path, buildings, seed, month, batch_id = job
    t0 = time.perf_counter()
    rows = write_month(Path(path), buildings, seed, month, batch_id)
    return rows, time.perf_counter() - t0


# -- measuring ------------------------------------------------------------------------------
def dir_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, f)).st_size
    return total


class DirSampler:
    """The largest size a folder reaches while the ``with`` block runs (sampled)."""

    def __init__(self, path: Path, every: float = 0.25) -> None:
        self.path, self.every, self.peak = path, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, dir_bytes(self.path))
            self._stop.wait(self.every)

    def __enter__(self) -> DirSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, dir_bytes(self.path))


def tree_rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, KiB (0 when gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next((int(x.split()[1]) for x in status.splitlines()
                           if x.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo.extend(int(k) for k in kids)
        except (OSError, ValueError):
            continue
    return total


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return float("nan")


def phase_env(args: argparse.Namespace, workdir: Path) -> None:
    """The account's DuckDB settings for this process (the knobs of carbonpeak.config)."""
    os.environ["CARBONPEAK_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    os.environ["CARBONPEAK_DUCKDB_TEMP_DIRECTORY"] = str(workdir / "spill")


# -- phases (each runs in its own process) --------------------------------------------------
def phase_generate(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from carbonpeak.intake.batches import new_batch
    from carbonpeak.intake.imports import import_file
    from carbonpeak.storage.registry.models import IngestBatch, LakeFile
    from carbonpeak.vocabulary import BatchStatus, LakeFileStatus

    home = workdir / "home"
    t0 = time.perf_counter()
    ws = open_home(home, init=True)
    entities, meters = write_registry_csvs(workdir / "csv", args.buildings, args.seed)
    # bench_account's meters are hourly: these are 15-minute meters
    lines = meters.read_text(encoding="utf-8").splitlines()
    meters.write_text("\n".join([lines[0], *(ln.rsplit(",", 1)[0] + ",15" for ln in lines[1:])])
                      + "\n", encoding="utf-8")
    r_ent = import_file(ws, "entities", entities)
    r_met = import_file(ws, "meters", meters)
    registry_s = time.perf_counter() - t0
    log(f"registry: {r_ent.rows} entities, {r_met.rows} meters in {registry_s:.1f} s")
    n_meters = args.buildings * len(SUBMETERS)
    spill = workdir / "spill"
    cpu = cpu_snapshot()
    g0 = time.perf_counter()
    months: list[dict[str, Any]] = []
    with ws.lake.locked():
        # 1. twelve pending batches in one transaction (their ids name the files)
        with ws.registry.session() as s:
            ids = []
            for month in range(1, 13):
                lo, hi = month_slots(month)
                label = f"{YEAR}-{month:02d}"
                b = new_batch(s, ws, DISTRICT, "readings", f"bench-city-{label}",
                              digest_of("city", args.buildings, args.seed, label),
                              rows_in=n_meters * (hi - lo), status=BatchStatus.PENDING)
                ids.append(b.id)
        # 2. the month files, two months at a time (one process per core)
        jobs = []
        for month, bid in zip(range(1, 13), ids, strict=True):
            label = f"{YEAR}-{month:02d}"
            rel = Path("readings") / f"district={DISTRICT}" / f"month={label}" / \
                f"b{bid:08d}-city0000.parquet"
            jobs.append((label, bid, rel))
        ch0 = os.times()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            done = pool.map(_write_month_job, [
                (str(ws.lake.root / rel), args.buildings, args.seed, int(label[5:]), bid)
                for label, bid, rel in jobs])
            for (label, bid, rel), (rows, sec) in zip(jobs, done, strict=True):
                months.append({"month": label, "batch_id": bid, "rows": rows, "seconds": sec,
                               "path": str(rel), "bytes": (ws.lake.root / rel).stat().st_size})
                log(f"{label}: {rows:,} rows in {sec:.1f} s ({rows / sec:,.0f} rows/s)")
        ch1 = os.times()
        workers_cpu = (ch1.children_user + ch1.children_system
                       - ch0.children_user - ch0.children_system)
        gen_s = time.perf_counter() - g0
        # 3. every file live and every batch committed, in one transaction
        c0 = time.perf_counter()
        with ws.registry.session() as s:
            for m in months:
                s.add(LakeFile(batch_id=m["batch_id"], district_id=DISTRICT,
                               dataset="readings", month=m["month"], path=m["path"],
                               row_count=m["rows"], status=LakeFileStatus.LIVE))
                b = s.get(IngestBatch, m["batch_id"])
                assert b is not None
                b.status, b.rows_written = BatchStatus.COMMITTED, m["rows"]
                b.committed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        commit_s = time.perf_counter() - c0
    usage = cpu_usage(cpu)
    ws.close()
    rows_total = sum(m["rows"] for m in months)
    lake_bytes = sum(m["bytes"] for m in months)
    return {
        "rows": rows_total,
        "registry_s": registry_s,
        "generate_s": gen_s,
        "commit_s": commit_s,
        "workers": args.workers,
        "workers_cpu_s": workers_cpu,
        "rows_per_s": rows_total / gen_s,
        "lake_bytes": lake_bytes,
        "bytes_per_row": lake_bytes / rows_total,
        "months": months,
        "spill_bytes_after": dir_bytes(spill) if spill.exists() else 0,
        **usage,
        "peak_rss_mib": rss_peak_mib(),
    }


BARE_SQL = ("SELECT meter_id, month, sum(value) AS kwh, count(*) AS n "
            "FROM read_parquet($files{opts}) GROUP BY ALL")
BARE_VARIANTS = {"bare": "", "bare_nohive": ", hive_partitioning = false"}


def phase_bare(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import duckdb

    ws = open_home(workdir / "home", init=False)
    files = live_readings(ws, None)
    ws.close()
    hwm_ok = reset_hwm()
    out: dict[str, Any] = {"files": len(files)}
    for kind, opts in BARE_VARIANTS.items():
        runs = []
        for _ in range(args.reps):
            reset_hwm()
            cpu = cpu_snapshot()
            spill = workdir / "spill"
            with DirSampler(spill) as ds:
                t0 = time.perf_counter()
                con = duckdb.connect()
                con.execute("SET threads TO 2")
                con.execute("SET memory_limit = $v", {"v": args.memory_limit})
                con.execute("SET temp_directory = $v", {"v": str(spill)})
                table = con.sql(BARE_SQL.format(opts=opts),
                                params={"files": files}).to_arrow_table()
                con.close()
                sec = time.perf_counter() - t0
            usage = cpu_usage(cpu)
            runs.append({"seconds": sec, **usage, "spill_peak_bytes": ds.peak,
                         "hwm_mib": hwm_mib() if hwm_ok else None})
            log(f"{kind}: {sec:.1f} s (CPU {usage['cpu_s']:.1f} s), {table.num_rows:,} groups")
        kwh = table["kwh"].to_numpy()
        main = np.char.endswith(table["meter_id"].to_numpy(zero_copy_only=False).astype(str),
                                "-E0")
        out[kind] = {"runs": runs, "seconds": min(r["seconds"] for r in runs),
                     "readings": int(np.sum(table["n"].to_numpy())),
                     "sum_all_kwh": float(kwh.sum()), "sum_main_kwh": float(kwh[main].sum())}
    out["peak_rss_mib"] = rss_peak_mib()
    return out


def _electricity(result: Any) -> float:
    dy = result.tables["inventory_district_year"]
    return float(dy.loc[dy["carrier"] == "electricity", "quantity"].sum())


def _tco2(result: Any) -> float:
    dy = result.tables["inventory_district_year"]
    return float(dy["tco2"].sum())


def one_account(ws: Any, workdir: Path, label: str, **kw: Any) -> dict[str, Any]:
    from carbonpeak.services.accounting.account import run_account

    marks: list[tuple[str, float]] = []
    reset_hwm()
    cpu = cpu_snapshot()
    with DirSampler(workdir / "spill") as ds:
        t0 = time.perf_counter()
        res = run_account(ws, year=YEAR, out_dir=None,
                          progress=lambda n: marks.append((n, time.perf_counter())), **kw)
        wall = time.perf_counter() - t0
    usage = cpu_usage(cpu)
    steps: dict[str, float] = {}
    end = t0 + res.seconds["inputs"] + res.seconds["pipeline"]
    for i, (name, t) in enumerate(marks):
        steps[name] = (marks[i + 1][1] if i + 1 < len(marks) else end) - t
    top = dict(sorted(steps.items(), key=lambda kv: -kv[1])[:4])
    out = {"label": label, "seconds": dict(res.seconds), "wall_s": wall, **usage,
           "recomputed_months": list(res.recomputed_months),
           "reused_months": list(res.reused_months), "electricity_kwh": _electricity(res),
           "tco2": _tco2(res), "run_id": res.run_id, "slowest_steps": top,
           "spill_peak_bytes": ds.peak, "hwm_mib": hwm_mib()}
    log(f"account ({label}): total {res.seconds['total']:.1f} s, pipeline "
        f"{res.seconds['pipeline']:.1f} s, {len(res.recomputed_months)} months recomputed, "
        f"spill {ds.peak / 2**20:.0f} MiB, HWM {out['hwm_mib']:.0f} MiB")
    return out


def phase_account(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    phase_env(args, workdir)
    ws = open_home(workdir / "home", init=False)
    assert ws.settings.duckdb_memory_limit == args.memory_limit
    first = one_account(ws, workdir, "first (no cache)")
    again = one_account(ws, workdir, "unchanged (cache)")
    ws.close()
    return {"memory_limit": args.memory_limit, "first": first, "unchanged": again,
            "peak_rss_mib": rss_peak_mib()}


def phase_change(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The late day: the first main meter's readings of LATE_DAY, one new lake batch."""
    from carbonpeak.intake.imports import write_lake_batch

    ws = open_home(workdir / "home", init=False)
    table = late_day_rows(args.buildings, args.seed)
    reset_hwm()
    cpu = cpu_snapshot()
    t0 = time.perf_counter()
    res = write_lake_batch(ws, DISTRICT, "readings", f"bench-city-late-{LATE_DAY}",
                           digest_of("city-late", args.buildings, LATE_DAY),
                           {"readings": table})
    sec = time.perf_counter() - t0
    usage = cpu_usage(cpu)
    assert res.status == "committed", res.messages
    after = live_readings(ws, [LATE_DAY[:7]])
    log(f"late day: {table.num_rows} readings of {table['meter_id'][0]} on {LATE_DAY}: batch "
        f"{res.batch_id} in {sec:.1f} s ({res.overlapping} overlapping); "
        f"{len(after)} live files in the month")
    ws.close()
    return {"meter": str(table["meter_id"][0]), "day": LATE_DAY, "rows": table.num_rows,
            "overlapping": res.overlapping, "delta_kwh": float(np.sum(table["value"])),
            "batch_id": res.batch_id, "seconds": sec, **usage,
            "live_files_in_month": len(after),
            "hwm_mib": hwm_mib(), "peak_rss_mib": rss_peak_mib()}


def phase_rewrite(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """A corrected day: the first main meter's CHANGED_DAY +10 %, overlapping live rows, so
    the lake rewrites the whole month into a new file; then the incremental account."""
    import duckdb
    import pyarrow.parquet as pq

    from carbonpeak.intake.imports import write_lake_batch

    phase_env(args, workdir)
    ws = open_home(workdir / "home", init=False)
    meter = "B00001-E0"
    local0 = dt.datetime.fromisoformat(CHANGED_DAY)
    utc0 = local0 - dt.timedelta(hours=UTC_OFFSET_H)
    label = local0.strftime("%Y-%m")
    files = live_readings(ws, [label])
    con = duckdb.connect()
    old = con.sql(
        "SELECT meter_id, ts, value FROM read_parquet($f, hive_partitioning = false) "
        "WHERE meter_id = $m AND ts >= $a AND ts < $b ORDER BY ts",
        params={"f": files, "m": meter, "a": utc0,
                "b": utc0 + dt.timedelta(days=1)}).to_arrow_table()
    con.close()
    new_values = np.round(old["value"].to_numpy() * 1.10, 3)
    table = pa.table({"meter_id": old["meter_id"], "ts": old["ts"],
                      "value": pa.array(new_values, pa.float64()),
                      "month": pa.repeat(pa.scalar(label, pa.string()), old.num_rows)})
    delta = float(new_values.sum() - old["value"].to_numpy().sum())
    reset_hwm()
    cpu = cpu_snapshot()
    t0 = time.perf_counter()
    res = write_lake_batch(ws, DISTRICT, "readings", f"bench-city-change-{CHANGED_DAY}",
                           digest_of("city-change", args.buildings, CHANGED_DAY),
                           {"readings": table})
    sec = time.perf_counter() - t0
    usage = cpu_usage(cpu)
    hwm_write = hwm_mib()
    assert res.status == "committed", res.messages
    log(f"rewrite: {table.num_rows} readings of {meter} on {CHANGED_DAY} (+10 %): batch "
        f"{res.batch_id} in {sec:.1f} s, {res.replaced} replaced")
    after = live_readings(ws, [label])
    out = {"meter": meter, "day": CHANGED_DAY, "rows": table.num_rows, "replaced": res.replaced,
           "delta_kwh": delta, "batch_id": res.batch_id, "seconds": sec, **usage,
           "month_file_rows_rewritten": sum(pq.ParquetFile(f).metadata.num_rows
                                            for f in after),
           "hwm_mib": hwm_write}
    out["incremental"] = one_account(ws, workdir, "incremental (after the rewrite)")
    ws.close()
    out["peak_rss_mib"] = rss_peak_mib()
    return out


def phase_incremental(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from carbonpeak.services.accounting.incremental import cache_path

    phase_env(args, workdir)
    ws = open_home(workdir / "home", init=False)
    inc = one_account(ws, workdir, "incremental (after the late day)")
    cache_path(ws.lake.root, DISTRICT, YEAR).unlink()
    full = one_account(ws, workdir, "full (cache removed)")
    ws.close()
    return {"incremental": inc, "full": full,
            "rel_diff_electricity": abs(inc["electricity_kwh"] - full["electricity_kwh"])
            / full["electricity_kwh"],
            "rel_diff_tco2": abs(inc["tco2"] - full["tco2"]) / full["tco2"],
            "peak_rss_mib": rss_peak_mib()}


def phase_spark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from carbonpeak.services.accounting.spark import spark_session
    from carbonpeak.vocabulary import AccountEngine

    home_dir = workdir / ("home" if not args.spark_buildings else "home_spark")
    ws = open_home(home_dir, init=False)
    t0 = time.perf_counter()
    spark = spark_session("local[2]", {"spark.driver.memory": args.spark_driver_memory,
                                       "spark.local.dir": str(workdir / "spark-tmp"),
                                       "spark.ui.showConsoleProgress": "false"})
    start_s = time.perf_counter() - t0
    log(f"spark session in {start_s:.1f} s")
    try:
        run = one_account(ws, workdir, "spark local[2]", engine=AccountEngine.SPARK,
                          spark=spark)
    finally:
        spark.stop()
        ws.close()
    return {"session_start_s": start_s, "run": run, "driver_memory": args.spark_driver_memory,
            "buildings": args.spark_buildings or args.buildings,
            "peak_rss_mib": rss_peak_mib()}


PHASES: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
    "generate": phase_generate,
    "bare": phase_bare,
    "account": phase_account,
    "change": phase_change,
    "incremental": phase_incremental,
    "rewrite": phase_rewrite,
    "spark": phase_spark,
}


# -- summary ---------------------------------------------------------------------------------
def summarise(res: dict[str, Any]) -> dict[str, Any]:
    """Ratios and checks from the phases that finished."""
    ph = res["phases"]
    out: dict[str, Any] = {}
    bare, acc = ph.get("bare", {}), ph.get("account", {})
    if "bare" in bare and "first" in acc:
        b, nh = bare["bare"]["seconds"], bare["bare_nohive"]["seconds"]
        sec = acc["first"]["seconds"]
        out["ratio_bare_pipeline"] = b / sec["pipeline"]
        out["ratio_bare_total"] = b / sec["total"]
        out["ratio_nohive_pipeline"] = nh / sec["pipeline"]
        out["ratio_nohive_total"] = nh / sec["total"]
        main = bare["bare"]["sum_main_kwh"]
        out["account_vs_bare_rel_err"] = abs(acc["first"]["electricity_kwh"] - main) / main
        out["readings_seen_by_bare"] = bare["bare"]["readings"]
    inc, chg = ph.get("incremental", {}), ph.get("change", {})
    if "incremental" in inc and "delta_kwh" in chg and "first" in acc:
        want = acc["first"]["electricity_kwh"] + chg["delta_kwh"]
        out["incremental_vs_first_plus_change_rel_err"] = \
            abs(inc["incremental"]["electricity_kwh"] - want) / want
        out["incremental_vs_full_rel_err"] = inc["rel_diff_electricity"]
    rw = ph.get("rewrite", {})
    if "incremental" in rw and "full" in inc:
        want = inc["full"]["electricity_kwh"] + rw["delta_kwh"]
        out["rewrite_incremental_vs_before_plus_change_rel_err"] = \
            abs(rw["incremental"]["electricity_kwh"] - want) / want
    sp = ph.get("spark", {})
    if "run" in sp and "bare" in bare:
        out["spark_readings"] = sp["buildings"] * len(SUBMETERS) * SLOTS
        out["spark_readings_per_s_pipeline"] = out["spark_readings"] / \
            sp["run"]["seconds"]["pipeline"]
        if sp["buildings"] == res["buildings"] and "first" in acc:
            out["spark_vs_duckdb_rel_err"] = abs(
                sp["run"]["electricity_kwh"] - inc.get("full", acc["first"])["electricity_kwh"]
            ) / acc["first"]["electricity_kwh"]
    return out


def fmt_bytes(n: float | None) -> str:
    if not n:
        return "0"
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def report(res: dict[str, Any]) -> str:
    """The markdown table of docs/benchmarks.md (phases that finished)."""
    ph, n = res["phases"], res["readings"]
    bare = ph.get("bare", {})
    b = bare.get("bare", {}).get("seconds")
    nh = bare.get("bare_nohive", {}).get("seconds")
    rows = ["| phase | time s | readings/s | peak RSS (process tree) | disk | "
            "ratio bare/this | ratio no-hive/this |", "|---|---:|---:|---:|---:|---:|---:|"]

    def row(name: str, sec: float | None, readings: float | None, rss: float | None,
            disk: str, ratios: bool = True) -> None:
        rate = f"{readings / sec:,.0f}" if sec and readings else ""
        rb = f"{b / sec:.2f}" if ratios and b and sec else ""
        rn = f"{nh / sec:.2f}" if ratios and nh and sec else ""
        r = f"{rss / 1024:.2f} GiB" if rss else ""
        rows.append(f"| {name} | {sec:,.1f} | {rate} | {r} | {disk} | {rb} | {rn} |"
                    if sec is not None else f"| {name} | not run | | | | | |")

    g = ph.get("generate", {})
    if "rows" in g:
        row("generate (numpy + pyarrow, 12 month files)", g["generate_s"], g["rows"],
            g["tree_peak_rss_mib"], f"lake {fmt_bytes(g['lake_bytes'])}", ratios=False)
    if b:
        row("bare GROUP BY (hive)", b, n, bare["tree_peak_rss_mib"], "spill " + fmt_bytes(
            max(r["spill_peak_bytes"] for r in bare["bare"]["runs"])))
        row("bare GROUP BY, no-hive", nh, n, bare["tree_peak_rss_mib"], "spill " + fmt_bytes(
            max(r["spill_peak_bytes"] for r in bare["bare_nohive"]["runs"])))
    acc = ph.get("account", {})
    for key, name in (("first", "account, DuckDB, 12 months (pipeline)"),):
        if key in acc:
            a = acc[key]
            row(name, a["seconds"]["pipeline"], n, acc["tree_peak_rss_mib"],
                "spill " + fmt_bytes(a["spill_peak_bytes"]))
            row("account, DuckDB, 12 months (whole run)", a["seconds"]["total"], n,
                acc["tree_peak_rss_mib"], "")
    if "unchanged" in acc:
        a = acc["unchanged"]
        row("account, nothing changed (0 months)", a["seconds"]["total"], None,
            acc["tree_peak_rss_mib"], "", ratios=False)
    c = ph.get("change", {})
    if "seconds" in c:
        row(f"late day: {c['rows']} readings, new lake batch", c["seconds"], None,
            c["tree_peak_rss_mib"], "", ratios=False)
    elif c:
        rows.append(f"| late day | failed: {c.get('killed') or c.get('returncode')} | | | | | |")
    inc = ph.get("incremental", {})
    if "incremental" in inc:
        a = inc["incremental"]
        row(f"account, incremental ({len(a['recomputed_months'])} month, whole run)",
            a["seconds"]["total"], None, inc["tree_peak_rss_mib"], "", ratios=False)
        a = inc["full"]
        row("account, full after the late day (whole run)", a["seconds"]["total"], n,
            inc["tree_peak_rss_mib"], "")
    rw = ph.get("rewrite", {})
    if "seconds" in rw:
        row(f"corrected day: {rw['rows']} readings, the month rewritten "
            f"({rw['month_file_rows_rewritten']:,} rows)", rw["seconds"], None,
            rw["tree_peak_rss_mib"], "", ratios=False)
        a = rw["incremental"]
        row(f"account, incremental after it ({len(a['recomputed_months'])} month)",
            a["seconds"]["total"], None, rw["tree_peak_rss_mib"], "", ratios=False)
    elif rw:
        rows.append(f"| corrected day (month rewrite) | failed: "
                    f"{rw.get('killed') or rw.get('returncode')} | | | | | |")
    sp = ph.get("spark", {})
    if "run" in sp:
        sn = sp["buildings"] * len(SUBMETERS) * SLOTS
        a = sp["run"]
        row(f"account, Spark local[2], {sn:,} readings (pipeline)", a["seconds"]["pipeline"],
            sn, sp["tree_peak_rss_mib"], "", ratios=sn == n)
    elif sp:
        rows.append("| account, Spark local[2] | not finished | | | | | |")
    return "\n".join(rows)


# -- driver ----------------------------------------------------------------------------------
def run_phase(name: str, args: argparse.Namespace, workdir: Path, deadline: float | None,
              extra: list[str] | None = None) -> dict[str, Any]:
    """Run one phase in a child process (own session, so a kill takes the JVM too); sample
    its process tree's RSS, the spill folder and the load; kill it at ``deadline``."""
    out = workdir / f"phase-{name}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name,
           "--buildings", str(args.buildings), "--seed", str(args.seed),
           "--workdir", str(workdir), "--memory-limit", args.memory_limit,
           "--reps", str(args.reps), "--workers", str(args.workers),
           "--spark-driver-memory", args.spark_driver_memory,
           *(extra or [])]
    if args.spark_buildings:
        cmd += ["--spark-buildings", str(args.spark_buildings)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True)
    peak, loads, killed = 0, [], ""
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        loads.append(loadavg())
        if deadline is not None and time.time() >= deadline:
            killed = "deadline"
        elif peak > args.rss_cap_gib * 2**20:
            killed = f"RSS above {args.rss_cap_gib:g} GiB"
        if killed:
            log(f"{killed}: killing phase {name}")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    data: dict[str, Any] = {}
    if not killed and proc.returncode == 0 and out.exists():
        data = json.loads(out.read_text())
    else:
        data = {"failed": True, "killed": killed, "returncode": proc.returncode}
    data.update({"process_wall_s": wall, "tree_peak_rss_mib": peak / 1024.0,
                 "loadavg_1min": {"min": min(loads, default=0), "max": max(loads, default=0),
                                  "mean": float(np.mean(loads)) if loads else 0}})
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--buildings", type=int, default=10700)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--workdir", type=Path, default=None,
                   help="data folder (default benchmarks/data/city-<N>)")
    p.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit (the cap)")
    p.add_argument("--workers", type=int, default=2, help="processes writing month files")
    p.add_argument("--reps", type=int, default=1, help="repetitions of each bare query")
    p.add_argument("--phases", default=",".join(PHASES), help="comma-separated phases")
    p.add_argument("--spark-buildings", type=int, default=0,
                   help="run Spark on a separate lake of this many buildings (0: the full lake)")
    p.add_argument("--spark-driver-memory", default="4g")
    p.add_argument("--deadline", default=None, help="HH:MM UTC: kill the phase running then")
    p.add_argument("--rss-cap-gib", type=float, default=14.0,
                   help="kill a phase whose process tree's RSS exceeds this (the machine is "
                   "shared: fail the phase, not the neighbours)")
    p.add_argument("--keep", action="store_true", help="keep the data at the end")
    p.add_argument("--report", type=Path, default=None,
                   help="print the markdown table of a results JSON and exit")
    p.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.report:
        res = json.loads(args.report.read_text())
        res["summary"] = summarise(res)
        print(report(res))
        print(json.dumps(res["summary"], indent=2))
        return 0
    workdir = (args.workdir or BENCH_DIR / "data" / f"city-{args.buildings}").resolve()
    if args.phase:
        data = PHASES[args.phase](args, workdir)
        (workdir / f"phase-{args.phase}.json").write_text(json.dumps(data, indent=2, default=str))
        return 0
    deadline = None
    if args.deadline:
        hh, mm = (int(x) for x in args.deadline.split(":"))
        now = dt.datetime.now(dt.UTC)
        at = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        # a time already past today is tomorrow's (a run started before midnight)
        deadline = (at if at > now else at + dt.timedelta(days=1)).timestamp()
    phases = [x for x in args.phases.split(",") if x]
    if "generate" in phases and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out = BENCH_DIR / "results" / f"city-scale-{args.buildings}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    import duckdb

    res: dict[str, Any] = {
        "benchmark": "city-scale", "date": dt.date.today().isoformat(),
        "buildings": args.buildings, "meters": args.buildings * len(SUBMETERS),
        "intervals_per_meter": SLOTS, "readings": args.buildings * len(SUBMETERS) * SLOTS,
        "memory_limit": args.memory_limit, "seed": args.seed,
        "spark_buildings": args.spark_buildings or args.buildings,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30},
        "versions": {"duckdb": duckdb.__version__, "pyarrow": pa.__version__},
        "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "phases": {},
    }
    for name in phases:
        if deadline is not None and time.time() >= deadline:
            res["phases"][name] = {"skipped": "deadline"}
            continue
        log(f"phase {name}")
        if name == "spark" and args.spark_buildings:
            log(f"spark lake: {args.spark_buildings} buildings")
            sub = run_phase("generate", argparse.Namespace(**{
                **vars(args), "buildings": args.spark_buildings}), workdir / "spark-lake",
                deadline)
            res["phases"]["spark_generate"] = sub
            (workdir / "home_spark").unlink(missing_ok=True)
            (workdir / "home_spark").symlink_to(workdir / "spark-lake" / "home")
        res["phases"][name] = run_phase(name, args, workdir, deadline)
        res["phases"][name]["disk_bytes_workdir"] = dir_bytes(workdir)
        res["finished_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        res["summary"] = summarise(res)
        out.write_text(json.dumps(res, indent=2, default=str))
        log(f"phase {name}: {res['phases'][name]['process_wall_s']:.1f} s -> {out}")
    print(report(res))
    print(json.dumps(res.get("summary", {}), indent=2))
    if not args.keep:
        shutil.rmtree(workdir)
        log(f"removed {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
