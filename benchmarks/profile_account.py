#!/usr/bin/env python
"""Where the account's time goes: each SQL step timed, and EXPLAIN ANALYZE of the heaviest.

Replays the DuckDB pipeline of :func:`carbonpeak.services.accounting.account.run_account` on a lake
kept
by ``bench_account.py --keep`` (same inputs, same steps, same settings as
:func:`carbonpeak.services.accounting.engines.run_duckdb`), timing every ``CREATE TEMP TABLE``
step, then
prints DuckDB's ``EXPLAIN ANALYZE`` of the heaviest steps and the bare GROUP BY for comparison.

``--mode lean`` is an experiment, not what the product does: steps that are neither outputs nor
read by more than one later step become views instead of temporary tables.

It uses private helpers of ``carbonpeak.services.accounting.account`` to build the inputs; it is a
profiling aid and may need updating when those change.

Usage::

    .venv/bin/python benchmarks/bench_account.py --buildings 5000 --keep
    .venv/bin/python benchmarks/profile_account.py --buildings 5000 [--mode lean] [--explain 2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

import duckdb

BENCH_DIR = Path(__file__).resolve().parent


def build(home: Path, year: int) -> tuple[Any, list[tuple[str, str]], list[str], list[str]]:
    from carbonpeak.config import Settings
    from carbonpeak.domain.factors import resolve_factors
    from carbonpeak.services.accounting import account as acc
    from carbonpeak.services.accounting.account_sql import account_steps
    from carbonpeak.storage.workspace import Workspace, latest_factor_set

    ws = Workspace.open(Settings(home=home, database_url=None), actor="bench")
    d = ws.district(None)
    with ws.registry.session() as s:
        fs = latest_factor_set(s, d.default_factor_set)
        label = f"{fs.set_id}@v{fs.version}"
        rows = [acc._row(r) for r in fs.rows]
    inputs, carriers = acc._inputs(ws, d, year)
    factors = resolve_factors(rows, year, carriers=carriers, set_id=label)
    inputs.tables["factors"] = acc._factor_table(factors)
    steps = list(account_steps(year))
    ws.close()
    return inputs, steps, list(acc.OUTPUTS), inputs.files["readings"]


def connect(inputs: Any, threads: int) -> duckdb.DuckDBPyConnection:
    from carbonpeak.services.accounting.engines import EMPTY_SCHEMAS

    con = duckdb.connect()
    con.execute(f"SET threads TO {threads}")
    con.execute("SET TimeZone = 'UTC'")
    for name, files in inputs.files.items():
        if files:
            con.read_parquet(files, union_by_name=True, hive_partitioning=False).create_view(name)
        else:
            con.register(name, EMPTY_SCHEMAS[name].empty_table())
    for name, table in inputs.tables.items():
        con.register(name, table)
    return con


def as_views(steps: list[tuple[str, str]], outputs: list[str]) -> set[str]:
    """Steps that are no output and are read by at most one later step."""
    out = set()
    for i, (name, _sql) in enumerate(steps):
        readers = sum(1 for _n, sql in steps[i + 1 :] if re.search(rf"\b{name}\b", sql))
        if name not in outputs and readers <= 1:
            out.add(name)
    return out


def run_once(
    inputs: Any, steps: list[tuple[str, str]], outputs: list[str], threads: int, views: set[str]
) -> tuple[dict[str, float], float, duckdb.DuckDBPyConnection]:
    t0 = time.perf_counter()
    con = connect(inputs, threads)
    times = {"(connect, register)": time.perf_counter() - t0}
    for name, sql in steps:
        t = time.perf_counter()
        kind = "VIEW" if name in views else "TABLE"
        con.execute(f"CREATE TEMP {kind} {name} AS {sql}")
        times[name] = time.perf_counter() - t
    t = time.perf_counter()
    for name in outputs:
        con.sql(f"SELECT * FROM {name}").to_arrow_table()
    times["(fetch outputs)"] = time.perf_counter() - t
    return times, time.perf_counter() - t0, con


def compact(plan: str) -> str:
    """DuckDB's plan boxes are padded to the widest line: squeeze the padding."""
    lines = (re.sub(r"[ ─]{3,}", "  ", line).rstrip() for line in plan.splitlines())
    return "\n".join(line for line in lines if line.strip("│ ╭╮╰╯┌┐└┘┬┴┒┎┚┖"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--buildings", type=int, default=500)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--year", type=int, default=2024)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--mode", choices=["tables", "lean"], default="tables")
    p.add_argument("--explain", type=int, default=1, help="EXPLAIN ANALYZE the N heaviest steps")
    args = p.parse_args()
    workdir = args.workdir or BENCH_DIR / "data" / str(args.buildings)
    inputs, steps, outputs, files = build(workdir / "home", args.year)
    views = as_views(steps, outputs) if args.mode == "lean" else set()
    runs: list[dict[str, float]] = []
    totals, cpus = [], []
    con = None
    for _ in range(args.reps):
        if con is not None:
            con.close()
        c0 = os.times()
        times, total, con = run_once(inputs, steps, outputs, args.threads, views)
        c1 = os.times()
        runs.append(times)
        totals.append(total)
        cpus.append(c1.user + c1.system - c0.user - c0.system)
    print(
        f"mode {args.mode}: pipeline {min(totals):.3f} s min, {statistics.median(totals):.3f} s "
        f"median; CPU {min(cpus):.2f} s min"
        + (f"; views: {', '.join(sorted(views))}" if views else "")
    )
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    for k, v in sorted(med.items(), key=lambda kv: -kv[1]):
        print(f"  {k:32s} {v:7.3f} s")
    heavy = [k for k, _ in sorted(med.items(), key=lambda kv: -kv[1]) if not k.startswith("(")][
        : args.explain
    ]
    assert con is not None
    for name in heavy:
        sql = dict(steps)[name]
        plan = con.sql(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1]
        print(f"\nEXPLAIN ANALYZE {name}\n{compact(plan)}")
    con.close()
    bare = duckdb.connect()
    bare.execute(f"SET threads TO {args.threads}")
    for opts in ("", ", hive_partitioning = false"):
        plan = bare.sql(
            "EXPLAIN ANALYZE SELECT meter_id, month, sum(value), count(*) FROM "
            f"read_parquet($f{opts}) GROUP BY ALL",
            params={"f": files},
        ).fetchall()
        print(f"\nEXPLAIN ANALYZE bare GROUP BY{opts}\n{compact(plan[0][1])}")
    bare.close()


if __name__ == "__main__":
    main()
