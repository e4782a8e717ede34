"""A correction rewrites its month as a stream (issue 21): the file it writes is the one the
in-memory rewrite wrote (same rows, same order, same row groups), a failure half-way through
leaves nothing, and the lake's DuckDB takes the memory cap and spill folder of the settings.

The S3 lake runs the same cases (tests/test_lake_s3.py imports :func:`check_rewrite` and
:func:`check_failed_rewrite`).
"""

from __future__ import annotations

import datetime as dt
import errno
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from carbonpeak.intake.imports import write_lake_batch
from carbonpeak.storage.lake import objects as lake_objects
from carbonpeak.storage.lake import store
from carbonpeak.storage.lake.objects import write_parquet_durably
from carbonpeak.storage.lake.store import Lake
from carbonpeak.storage.registry.models import IngestBatch, LakeFile
from carbonpeak.storage.workspace import Workspace

DISTRICT = "huangpu"
MONTH = "2024-03"
HOURS = 240  # ten days of hourly readings per meter
SMALL_GROUP = 100  # row groups of 100 rows: the month's file spans twenty of them


def _readings(meters: list[str], start: dt.datetime, hours: int, scale: float = 1.0,
              month: str = MONTH) -> pa.Table:
    ts = [start + dt.timedelta(hours=h) for h in range(hours)]
    return pa.table({
        "meter_id": pa.array([m for m in meters for _ in ts], pa.string()),
        "ts": pa.array(ts * len(meters), pa.timestamp("us")),
        "value": pa.array([round((i % 17 + 1) * scale * (k + 1), 3)
                           for k in range(len(meters)) for i in range(hours)], pa.float64()),
        "month": pa.array([month] * (hours * len(meters)), pa.string()),
    })


def _batch(ws: Workspace, name: str, table: pa.Table) -> Any:
    res = write_lake_batch(ws, DISTRICT, "readings", name, name.ljust(64, "0"),
                           {"readings": table})
    assert res.status == "committed", res.messages
    return res


def _live(ws: Workspace, month: str) -> list[str]:
    return ws.lake.live_files(DISTRICT, "readings", [month])


def _two_live_files(ws: Workspace) -> tuple[list[str], tuple[int, int]]:
    """March 2024 in two live files whose meters interleave (R1, R3 | R2, R4): each file is
    sorted, their union is not."""
    march = dt.datetime(2024, 3, 1)
    a = _batch(ws, "a.csv", _readings(["R1", "R3"], march, HOURS))
    b = _batch(ws, "b.csv", _readings(["R2", "R4"], march, HOURS, scale=2.0))
    files = _live(ws, MONTH)
    assert len(files) == 2
    return files, (a.batch_id, b.batch_id)


def _correction() -> pa.Table:
    """R2's 5 March corrected (+10 %: 24 rows replaced), R1's 5 March re-sent unchanged
    (24 rows overlapping), R5 new (24 rows), and a day of April (a month with no live file:
    the incoming rows are the file)."""
    day = dt.datetime(2024, 3, 5)
    r1 = _readings(["R1", "R3"], dt.datetime(2024, 3, 1), HOURS).slice(4 * 24, 24)
    r2 = _readings(["R2", "R4"], dt.datetime(2024, 3, 1), HOURS, scale=2.0).slice(4 * 24, 24)
    r2 = r2.set_column(2, "value", pa.array([round(v * 1.1, 3)
                                             for v in r2["value"].to_pylist()], pa.float64()))
    april = _readings(["R1"], dt.datetime(2024, 4, 2), 24, month="2024-04")
    # shuffled on purpose: the lake sorts a month by its keys
    return pa.concat_tables([_readings(["R5"], day, 24), r2, april, r1])


def _in_memory_rewrite(ws: Workspace, old_files: list[str], correction: pa.Table,
                       batch_id: int) -> pa.Table:
    """The month as ``Lake._prepare_month`` built it before the rewrite was streamed: the
    whole month materialised with ``to_arrow_table`` (the same statements)."""
    incoming = correction.append_column(
        "batch_id", pa.repeat(pa.scalar(batch_id, pa.int64()), correction.num_rows))
    con = ws.lake.connect()
    try:
        con.register("incoming", incoming)
        new = con.sql("SELECT * FROM incoming WHERE month = $m ORDER BY meter_id, ts",
                      params={"m": MONTH}).to_arrow_table()
        con.register("new_rows", new)
        return con.sql(
            "SELECT * FROM (SELECT o.* FROM read_parquet($f, hive_partitioning=false) o "
            "ANTI JOIN new_rows n ON o.meter_id = n.meter_id AND o.ts = n.ts "
            "UNION ALL SELECT * FROM new_rows) ORDER BY meter_id, ts",
            params={"f": old_files}).to_arrow_table()
    finally:
        con.close()


def _small_row_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lake_objects, "ROW_GROUP", SMALL_GROUP)
    monkeypatch.setattr(store, "ROW_GROUP", SMALL_GROUP)


def check_rewrite(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A correction of March: the rewritten file equals the in-memory rewrite, row for row
    and in order, in the row groups ``pq.write_table`` cuts."""
    _small_row_groups(monkeypatch)
    old_files, (a, b) = _two_live_files(ws)
    correction = _correction()
    res = _batch(ws, "fix.csv", correction)
    assert (res.overlapping, res.replaced) == (48, 24)

    expected = _in_memory_rewrite(ws, old_files, correction, res.batch_id)
    assert expected.num_rows == 4 * HOURS + 24  # four meters' ten days and R5's day
    (march,) = _live(ws, MONTH)
    written = ws.lake.objects.read_table(march)
    assert written.schema == expected.schema
    assert written.to_pylist() == expected.to_pylist()  # the same rows in the same order
    groups = [rg.num_rows for rg in
              (ws.lake.parquet_file(march).metadata.row_group(i)
               for i in range(ws.lake.parquet_file(march).metadata.num_row_groups))]
    assert groups == [SMALL_GROUP] * 9 + [expected.num_rows - 9 * SMALL_GROUP]
    # the rows the correction sent are its own (R1's re-sent day too); the rest keep theirs
    by_key = {(r["meter_id"], r["ts"]): r for r in written.to_pylist()}
    noon = dt.datetime(2024, 3, 5, 12)
    assert {m: by_key[(m, noon)]["batch_id"] for m in ("R1", "R2", "R3", "R4", "R5")} == {
        "R1": res.batch_id, "R2": res.batch_id, "R3": a, "R4": b, "R5": res.batch_id}
    assert by_key[("R1", noon + dt.timedelta(days=1))]["batch_id"] == a
    assert (by_key[("R2", noon)]["value"], by_key[("R4", noon)]["value"]) == (15.4, 28.0)
    with ws.registry.session() as s:
        rows = s.scalars(select(LakeFile.row_count).where(
            LakeFile.path == ws.lake.relative(march))).one()
    assert rows == expected.num_rows

    # April had no live file: its file is the incoming day, sorted
    (april,) = _live(ws, "2024-04")
    days = ws.lake.objects.read_table(april)
    assert days.num_rows == 24
    assert days["ts"].to_pylist() == sorted(days["ts"].to_pylist())


def check_failed_rewrite(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The disk (or the store) fails after the first row group of the rewritten month: the
    batch fails, no file of it is left and the month's live files are the old ones. Returns
    the lake's files afterwards."""
    _small_row_groups(monkeypatch)
    old_files, _ = _two_live_files(ws)
    before = _files(ws)
    real = pq.ParquetWriter.write_table
    calls: list[int] = []

    def full_disk(self: pq.ParquetWriter, table: pa.Table, *a: Any, **kw: Any) -> None:
        calls.append(table.num_rows)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, table, *a, **kw)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_lake_batch(ws, DISTRICT, "readings", "fix.csv", "f" * 64,
                         {"readings": _correction()})
    assert calls == [SMALL_GROUP, SMALL_GROUP]  # one row group written, the second cut off
    assert _live(ws, MONTH) == old_files
    after = _files(ws)
    assert after == before
    with ws.registry.session() as s:
        b = s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc())).first()
        assert b is not None
        assert (b.source_name, b.status) == ("fix.csv", "failed")
    return after


def _files(ws: Workspace) -> set[str]:
    return set(ws.lake.objects.list_files("readings"))


def test_a_rewritten_month_equals_the_in_memory_rewrite(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    check_rewrite(ws, monkeypatch)
    assert not list(ws.lake.root.rglob("*.tmp"))


def test_a_rewrite_cut_off_half_way_leaves_nothing(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    after = check_failed_rewrite(ws, monkeypatch)
    assert not any(f.endswith(".tmp") for f in after)


def test_a_stream_is_written_in_the_row_groups_of_the_whole_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of uneven sizes (3, 5, 11, 0, 2 rows) in row groups of 4: the file has the row
    groups and rows of ``pq.write_table`` on the whole table."""
    monkeypatch.setattr(lake_objects, "ROW_GROUP", 4)
    table = pa.table({"k": pa.array(range(21), pa.int64()),
                      "v": pa.array([f"r{i}" for i in range(21)], pa.string())})
    cuts = [0, 3, 8, 19, 19, 21]
    batches = [b for lo, hi in zip(cuts, cuts[1:], strict=False)
               for b in table.slice(lo, hi - lo).to_batches() or
               [pa.RecordBatch.from_pylist([], schema=table.schema)]]
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    assert write_parquet_durably(reader, tmp_path / "s.parquet") == 21
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=4, compression="zstd")
    streamed, whole = pq.ParquetFile(tmp_path / "s.parquet"), pq.ParquetFile(tmp_path / "t.parquet")
    sizes = [streamed.metadata.row_group(i).num_rows
             for i in range(streamed.metadata.num_row_groups)]
    assert sizes == [4, 4, 4, 4, 4, 1]
    assert sizes == [whole.metadata.row_group(i).num_rows
                     for i in range(whole.metadata.num_row_groups)]
    assert streamed.read().equals(table)
    assert not (tmp_path / "s.parquet.tmp").exists()


def test_the_lake_takes_the_duckdb_memory_cap_and_spill_folder(
        tmp_path: Path, ws: Workspace) -> None:
    spill = tmp_path / "spill"
    settings = ws.settings.model_copy(update={"duckdb_memory_limit": "512MiB",
                                              "duckdb_temp_directory": spill})
    capped = Workspace.open(settings)
    try:
        assert (capped.lake.memory_limit, capped.lake.temp_directory) == ("512MiB", spill)
        con = capped.lake.connect()
        got = con.sql("SELECT current_setting('memory_limit'), "
                      "current_setting('temp_directory')").fetchall()
        con.close()
        assert got == [("512.0 MiB", str(spill))]
    finally:
        capped.close()
    plain = Lake(tmp_path / "plain", ws.registry).connect()
    assert plain.sql("SELECT current_setting('memory_limit')").fetchall() != [("512.0 MiB",)]
    plain.close()
