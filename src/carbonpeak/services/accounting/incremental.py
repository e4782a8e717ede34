"""The incremental account: recompute only the months whose inputs changed.

中文：增量核算——只重算输入发生变化的月份，其余月份沿用上次核算的逐表月度结果。

The expensive step of the account is the scan of the readings into ``meter_month`` (one row
per meter and month). Each month's inputs are summed up in a **snapshot** (:func:`snapshot`):
the month's live interval-reading files (the lake rewrites a month into new files when a
batch touches it, so a changed day gives the month new file names) and what every month
shares — the meters, the months' boundaries, the unit factors and every live file of the
cumulative registers (their intervals cross month boundaries, so a register change
recomputes every month). The next run of the same district and year recomputes
``meter_month`` only for the months whose snapshot differs from the cached one, takes the
other months' rows from the cache (:func:`reuse_steps`), and then runs every later step
(ledgers, consolidation, factors, roll-ups, key units) in full: they are small, and so the
result equals a full run's (``tests/test_incremental_account.py``).

It applies on DuckDB without gap filling and without held values (the gap filler reads
across month boundaries, and held values run the pipeline twice); otherwise every month is
recomputed. The cache is derived data in the lake, ``account_cache/district=/year=/
meter_month.parquet``, its snapshot in the file's metadata, replaced atomically.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from carbonpeak.services.accounting.engines import PipelineInputs
from carbonpeak.storage.lake.store import month_of_path, write_parquet_durably

__all__ = ["SNAPSHOT_KEY", "cache_path", "changed_months", "read_cache", "restrict_inputs",
           "reuse_steps", "snapshot", "write_cache"]

#: the Parquet metadata key of the cached table's snapshot
SNAPSHOT_KEY = b"carbonpeak.month_snapshot"


def _digest(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue()).digest()


def snapshot(inputs: PipelineInputs, months: Sequence[str], root: Path) -> dict[str, str]:
    """Each month's input snapshot: SHA-256 of what every month shares (meters, months,
    unit factors, the registers' live files) and of the month's live reading files (their
    paths under the lake ``root``, which change whenever a batch rewrites the month)."""
    shared = hashlib.sha256()
    for name in ("meters", "months", "unit_factors"):
        shared.update(name.encode())
        shared.update(_digest(inputs.tables[name]))
    for p in sorted(_rel(f, root) for f in inputs.files.get("registers", [])):
        shared.update(b"r:" + p.encode())
    by_month: dict[str, list[str]] = {m: [] for m in months}
    for f in inputs.files.get("readings", []):
        month = month_of_path(f)
        if month in by_month:
            by_month[month].append(_rel(f, root))
    out: dict[str, str] = {}
    for month, files in by_month.items():
        h = shared.copy()
        h.update(month.encode())
        for p in sorted(files):
            h.update(b"i:" + p.encode())
        out[month] = h.hexdigest()
    return out


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def changed_months(now: dict[str, str], before: dict[str, str] | None) -> list[str]:
    """The months whose snapshot differs (all of them without a previous snapshot)."""
    if before is None:
        return sorted(now)
    return sorted(m for m, h in now.items() if before.get(m) != h)


def cache_path(root: Path, district_id: str, year: int) -> Path:
    """Where the cached ``meter_month`` of a district and year lives in the lake."""
    return root / "account_cache" / f"district={district_id}" / f"year={year}" / \
        "meter_month.parquet"


def read_cache(path: Path) -> tuple[pa.Table, dict[str, str]] | None:
    """The cached ``meter_month`` and its snapshot; None without a usable cache."""
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return None
    meta = table.schema.metadata or {}
    if SNAPSHOT_KEY not in meta:
        return None
    snap = json.loads(meta[SNAPSHOT_KEY])
    return table.replace_schema_metadata(None), {str(k): str(v) for k, v in snap.items()}


def write_cache(path: Path, meter_month: pa.Table, snap: dict[str, str]) -> None:
    """Replace the cache atomically with ``meter_month`` and its snapshot."""
    meta = {SNAPSHOT_KEY: json.dumps(snap, sort_keys=True).encode()}
    write_parquet_durably(meter_month.replace_schema_metadata(meta), path)


def restrict_inputs(inputs: PipelineInputs, changed: Sequence[str]) -> PipelineInputs:
    """The pipeline's inputs with only the changed months' interval-reading files (the
    registers stay whole)."""
    keep = set(changed)
    files = dict(inputs.files)
    files["readings"] = [f for f in inputs.files.get("readings", []) if month_of_path(f) in keep]
    return PipelineInputs(files=files, tables=dict(inputs.tables))


def reuse_steps(steps: Sequence[tuple[str, str]],
                changed: Sequence[str]) -> list[tuple[str, str]]:
    """The account's steps with ``meter_month`` made of the recomputed months
    (``meter_month_fresh``) and the cached rows of the others (input ``meter_month_cache``)."""
    months = ", ".join(f"'{m}'" for m in changed if re.fullmatch(r"\d{4}-\d{2}", m))
    fresh = f"SELECT * FROM meter_month_fresh WHERE month IN ({months}) UNION ALL " \
        if months else ""
    out: list[tuple[str, str]] = []
    for name, sql in steps:
        if name == "meter_month":
            out.append(("meter_month_fresh", sql))
            out.append(("meter_month", f"{fresh}SELECT * FROM meter_month_cache"))
        else:
            out.append((name, sql))
    if not any(n == "meter_month_fresh" for n, _ in out):
        msg = "the account's steps have no meter_month step to reuse"
        raise ValueError(msg)
    return out
