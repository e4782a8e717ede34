#!/usr/bin/env python
"""Peak memory of a correction that rewrites a month of the lake (issue 21).

One month (May 2024) of ``--buildings`` x 4 15-minute meters in one live lake file
(``bench_city_scale.write_month``: 840 buildings give 9,999,264 rows), then one day (96
readings) of the first meter corrected (+10 %) through ``write_lake_batch``: the batch
overlaps live rows, so the lake rewrites the whole month into one new file.

Each variant runs in its own process on its own copy of the home; the figure is the
process's RSS high-water mark (VmHWM, reset just before ``write_lake_batch``) and the RSS
before it (interpreter, imports, registry, the corrected day):

* ``before`` - the code given by ``--before-src`` (the lake before the streamed rewrite: the
  month materialised with ``to_arrow_table``, then written);
* ``after`` - this checkout, DuckDB's default ``memory_limit`` (80 % of the RAM);
* ``after-cap`` - this checkout with ``CARBONPEAK_DUCKDB_MEMORY_LIMIT=--memory-limit`` and
  ``CARBONPEAK_DUCKDB_TEMP_DIRECTORY`` (the sort spills; the spill folder's peak is sampled).

The rewritten files of every variant are compared row group by row group (rows, order, row
group sizes). Results: ``benchmarks/results/month-rewrite-<rows>.json`` (git-ignored).

Rerun (before = the commit before the streamed rewrite)::

    git archive 461792b src | tar -x -C /tmp/mr-before
    nice .venv/bin/python benchmarks/bench_month_rewrite.py --before-src /tmp/mr-before/src
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_account import (  # noqa: E402
    DISTRICT,
    UTC_OFFSET_H,
    digest_of,
    hwm_mib,
    log,
    open_home,
    reset_hwm,
    rss_peak_mib,
)
from bench_city_scale import DirSampler, loadavg, write_month  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MONTH = 5
LABEL = f"2024-{MONTH:02d}"
CHANGED_DAY = "2024-05-15"
METER = "B00001-E0"


def setup(home: Path, buildings: int, seed: int) -> dict[str, Any]:
    """A home whose May is one live file of ``buildings`` x 4 meters."""
    from carbonpeak.intake.batches import new_batch
    from carbonpeak.storage.registry.models import IngestBatch, LakeFile
    from carbonpeak.vocabulary import BatchStatus, LakeFileStatus

    t0 = time.perf_counter()
    ws = open_home(home, init=True)
    with ws.lake.locked():
        with ws.registry.session() as s:
            b = new_batch(s, ws, DISTRICT, "readings", f"bench-month-{LABEL}",
                          digest_of("month-rewrite", buildings, seed, LABEL), rows_in=0,
                          status=BatchStatus.PENDING)
            bid = b.id
        rel = Path("readings") / f"district={DISTRICT}" / f"month={LABEL}" / \
            f"b{bid:08d}-month000.parquet"
        rows = write_month(ws.lake.root / rel, buildings, seed, MONTH, bid)
        with ws.registry.session() as s:
            s.add(LakeFile(batch_id=bid, district_id=DISTRICT, dataset="readings", month=LABEL,
                           path=str(rel), row_count=rows, status=LakeFileStatus.LIVE))
            batch = s.get(IngestBatch, bid)
            assert batch is not None
            batch.status, batch.rows_in, batch.rows_written = BatchStatus.COMMITTED, rows, rows
            batch.committed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ws.close()
    size = (home / "lake" / rel).stat().st_size if (home / "lake" / rel).exists() else None
    return {"rows": rows, "file_bytes": size, "seconds": time.perf_counter() - t0}


def child(home: Path) -> dict[str, Any]:
    """In its own process: correct one day of the first meter and measure the write."""
    import duckdb

    from carbonpeak.intake.imports import write_lake_batch

    ws = open_home(home, init=False)
    files = ws.lake.live_files(DISTRICT, "readings", [LABEL])
    utc0 = dt.datetime.fromisoformat(CHANGED_DAY) - dt.timedelta(hours=UTC_OFFSET_H)
    con = duckdb.connect()
    old = con.sql(
        "SELECT meter_id::VARCHAR AS meter_id, ts, value, month::VARCHAR AS month "
        "FROM read_parquet($f, hive_partitioning = false) "
        "WHERE meter_id = $m AND ts >= $a AND ts < $b ORDER BY ts",
        params={"f": [str(f) for f in files], "m": METER, "a": utc0,
                "b": utc0 + dt.timedelta(days=1)}).to_arrow_table()
    con.close()
    table = old.set_column(2, "value", pa.array(np.round(old["value"].to_numpy() * 1.10, 3)))
    rss_before = hwm_mib("VmRSS")
    reset_hwm()
    c0, t0 = os.times(), time.perf_counter()
    # the spill folder's peak (the lake before the streamed rewrite has no such setting)
    spill: Path | None = getattr(ws.lake, "temp_directory", None)
    sampler = DirSampler(spill) if spill else None
    if spill:
        spill.mkdir(parents=True, exist_ok=True)
    with sampler or contextlib.nullcontext():
        res = write_lake_batch(ws, DISTRICT, "readings", f"fix-{CHANGED_DAY}",
                               digest_of("fix", CHANGED_DAY), {"readings": table})
    sec = time.perf_counter() - t0
    c1 = os.times()
    assert res.status == "committed", res.messages
    after = ws.lake.live_files(DISTRICT, "readings", [LABEL])
    ws.close()
    return {"rows_corrected": table.num_rows, "replaced": res.replaced,
            "rss_before_mib": rss_before, "hwm_mib": hwm_mib(), "seconds": sec,
            "cpu_s": (c1.user + c1.system) - (c0.user + c0.system),
            "spill_peak_bytes": sampler.peak if sampler else None,
            "new_file": str(after[0]) if len(after) == 1 else None,
            "peak_rss_mib": rss_peak_mib()}


def run_variant(name: str, base: Path, work: Path, src: Path, env: dict[str, str]) -> dict[
        str, Any]:
    home = work / name
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(base, home)
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(REPO)]), **env}
    load0 = loadavg()
    proc = subprocess.run([sys.executable, __file__, "--child", str(home)], env=full_env,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        msg = f"variant {name} failed ({proc.returncode})"
        raise RuntimeError(msg)
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update({"src": str(src), "env": env, "load_before": load0, "load_after": loadavg()})
    log(f"{name}: HWM {out['hwm_mib']:.0f} MiB (RSS before {out['rss_before_mib']:.0f} MiB), "
        f"{out['seconds']:.1f} s, {out['cpu_s']:.1f} CPU-s, spill peak "
        f"{out['spill_peak_bytes']}, load {load0:.1f}")
    return out


def same_file(a: str, b: str) -> dict[str, Any]:
    """Compare two Parquet files row group by row group (never whole in memory)."""
    import pyarrow.parquet as pq

    fa, fb = pq.ParquetFile(a), pq.ParquetFile(b)
    ga = [fa.metadata.row_group(i).num_rows for i in range(fa.metadata.num_row_groups)]
    gb = [fb.metadata.row_group(i).num_rows for i in range(fb.metadata.num_row_groups)]
    equal = ga == gb and fa.schema_arrow == fb.schema_arrow and all(
        fa.read_row_group(i).equals(fb.read_row_group(i)) for i in range(len(ga)))
    return {"equal": equal, "row_groups": len(ga), "rows": sum(ga)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--buildings", type=int, default=840)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bench-month-rewrite"))
    p.add_argument("--before-src", type=Path, default=None)
    p.add_argument("--memory-limit", default="256MB")
    p.add_argument("--variants", default="before,after,after-cap",
                   help="which to run (before needs --before-src)")
    p.add_argument("--child", type=Path, default=None)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base"
    if base.exists():
        shutil.rmtree(base)
    res: dict[str, Any] = {"buildings": args.buildings, "cpus": os.cpu_count(),
                           "memory_limit": args.memory_limit,
                           "setup": setup(base, args.buildings, args.seed), "variants": {}}
    log(f"setup: {res['setup']['rows']:,} rows in May in {res['setup']['seconds']:.1f} s")
    here = REPO / "src"
    plan: list[tuple[str, Path, dict[str, str]]] = []
    if args.before_src:
        plan.append(("before", args.before_src, {}))
    plan += [("after", here, {}),
             ("after-cap", here, {"CARBONPEAK_DUCKDB_MEMORY_LIMIT": args.memory_limit,
                                  "CARBONPEAK_DUCKDB_TEMP_DIRECTORY": str(work / "spill")})]
    wanted = set(args.variants.split(","))
    for name, src, env in plan:
        if name in wanted:
            res["variants"][name] = run_variant(name, base, work, src, env)
    files = {n: v["new_file"] for n, v in res["variants"].items()}
    first = next(iter(files))
    res["same_file_as"] = {n: same_file(files[first], f) | {"reference": first}
                           for n, f in files.items() if n != first}
    res["same_file_as"][first] = same_file(files[first], files[first]) | {"reference": first}
    log(f"rewritten files equal to {first}'s: "
        f"{ {n: c['equal'] for n, c in res['same_file_as'].items()} }")
    out = BENCH_DIR / "results" / f"month-rewrite-{res['setup']['rows']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str))
    log(f"results: {out}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
