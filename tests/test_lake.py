"""The lake: a batch twice changes nothing, later batches win, a crash leaves no partial batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.i18n import render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import run_account
from carbonpeak.storage.lake.store import Lake
from carbonpeak.storage.registry.models import IngestBatch, LakeFile
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import STARTUP_WAIT_S, write

# the registry is the lake's commit point: on both databases
pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[1]


def _live_rows(ws: Workspace, dataset: str = "readings") -> list[tuple]:
    files = [str(p) for p in ws.lake.live_files("huangpu", dataset)]
    if not files:
        return []
    return duckdb.connect().sql(
        f"SELECT meter_id, ts, value, batch_id FROM read_parquet({files!r}) ORDER BY 1, 2"
    ).fetchall()


def test_same_file_twice_changes_nothing(ws, tmp_path):
    files = reference_district.load(ws, tmp_path / "in")
    before = _live_rows(ws) + _live_rows(ws, "registers")
    r = import_file(ws, "readings", files["readings"])
    assert r.status == "duplicate"
    assert r.batch_id == 3
    assert _live_rows(ws) + _live_rows(ws, "registers") == before
    with ws.registry.session() as s:
        assert len(s.scalars(select(IngestBatch)).all()) == 5


def test_same_rows_in_another_file_change_nothing(ws, tmp_path):
    files = reference_district.load(ws, tmp_path / "in")
    copy = tmp_path / "copy.csv"
    copy.write_text(files["readings"].read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = ws.lake.live_files("huangpu", "readings")
    r = import_file(ws, "readings", copy)
    assert r.status == "no_change"
    assert r.overlapping == r.rows == 14
    assert ws.lake.live_files("huangpu", "readings") == before


def test_later_batch_wins_and_says_so(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    first = run_account(ws, year=2024)
    fix = write(tmp_path, "fix.csv", """
        meter_id,ts,value
        M1,2024-01-01T01:00:00,60
        M1,2024-01-01T02:00:00,10
    """)
    r = import_file(ws, "readings", fix)
    assert (r.status, r.overlapping, r.replaced, r.overlapped_batches) == ("committed", 1, 1, [3])
    assert "1 with a different value now replaced by this batch" in render(r.messages[-1], "en")
    rows = {(m, v, b) for m, _ts, v, b in _live_rows(ws) if m == "M1"}
    # 00:00 keeps batch 3's value; 01:00 replaced (50 -> 60); 02:00 new
    assert rows == {("M1", 100.0, 3), ("M1", 60.0, 6), ("M1", 10.0, 6)}
    with ws.registry.session() as s:
        superseded = s.scalars(select(LakeFile).where(LakeFile.status == "superseded")).all()
        assert [f.superseded_by for f in superseded] == [6]
    # B1 January is a ledger month (ledger wins), so totals are unchanged there; B1 has no
    # other metered month: the account is unchanged, but the readings changed underneath
    second = run_account(ws, year=2024)
    assert second.totals["tco2"] == pytest.approx(first.totals["tco2"])


def test_failed_commit_discards_files(ws, tmp_path, monkeypatch):
    reference_district.load(ws, tmp_path / "in")
    before = _live_rows(ws)
    files_before = set((ws.lake.root).rglob("*.parquet"))

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(Lake, "commit_files", staticmethod(boom))
    path = write(tmp_path, "more.csv", "meter_id,ts,value\nM1,2024-06-01T00:00:00,5")
    with pytest.raises(OSError, match="disk full"):
        import_file(ws, "readings", path)
    assert set(ws.lake.root.rglob("*.parquet")) == files_before
    assert _live_rows(ws) == before
    with ws.registry.session() as s:
        assert s.scalars(select(IngestBatch.status).order_by(IngestBatch.id.desc())).first() \
            == "failed"


def test_a_full_disk_mid_batch_sweeps_the_batch_at_once(ws, tmp_path, monkeypatch):
    """ENOSPC while the second month of a batch is written: the month already written and the
    partial temporary file are removed and the batch is failed, with a message, at once (not
    only when the next writer recovers the lake)."""
    import errno

    import pyarrow.parquet as pq

    from carbonpeak.storage.lake import store

    reference_district.load(ws, tmp_path / "in")
    files_before = set(ws.lake.root.rglob("*.parquet*"))
    real = pq.write_table
    calls = []

    def fill_the_disk(table, where, **kw):
        calls.append(where)
        if len(calls) == 1:
            return real(table, where, **kw)
        Path(where).write_bytes(b"PAR1 half a file")  # the disk filled up mid-write
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.pq, "write_table", fill_the_disk)
    path = write(tmp_path, "two-months.csv", """
        meter_id,ts,value
        M1,2024-06-01T00:00:00,5
        M1,2024-07-01T00:00:00,6
    """)
    with pytest.raises(OSError, match="No space left") as full:
        import_file(ws, "readings", path)
    assert full.value.errno == errno.ENOSPC
    assert len(calls) == 2  # one month written, the second cut off
    assert set(ws.lake.root.rglob("*.parquet*")) == files_before  # nothing of the batch left
    with ws.registry.session() as s:
        b = s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc())).first()
        assert (b.source_name, b.status) == ("two-months.csv", "failed")
        assert "No space left" in (b.message or "")


def test_orphan_files_of_a_crash_are_removed(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    with ws.registry.session() as s:  # a writer died after creating its batch and files
        dead = IngestBatch(district_id="huangpu", kind="readings", source_name="x.csv",
                           sha256="0" * 64, status="pending", actor="test")
        s.add(dead)
        s.flush()
        dead_id = dead.id
    folder = ws.lake.root / "readings" / "district=huangpu" / "month=2024-07"
    folder.mkdir(parents=True)
    orphan = folder / f"b{dead_id:08d}-deadbeef.parquet"
    orphan.write_bytes(b"PAR1 partial")
    tmp = folder / f"b{dead_id:08d}-0a1b2c3d.parquet.tmp"
    tmp.write_bytes(b"partial")
    foreign = folder / "b00000999-abcdef12.parquet"  # another registry's file in this folder
    foreign.write_bytes(b"PAR1 someone else's")
    path = write(tmp_path, "more.csv", "meter_id,ts,value\nM1,2024-06-01T00:00:00,5")
    import_file(ws, "readings", path)
    assert not orphan.exists()
    assert not tmp.exists()
    assert foreign.exists()
    with ws.registry.session() as s:
        assert s.get(IngestBatch, dead_id).status == "interrupted"


KILL_SCRIPT = """
import sys
from pathlib import Path
from carbonpeak.config import Settings
from carbonpeak.intake.imports import import_file
from carbonpeak.storage.workspace import Workspace
ws = Workspace.open(Settings(home=Path(sys.argv[1]), database_url=sys.argv[2]))
print("ready", flush=True)
import_file(ws, "readings", Path(sys.argv[3]))
print("done", flush=True)
"""


def _wait_for_pending(ws: Workspace, proc: subprocess.Popen,
                      timeout: float = STARTUP_WAIT_S) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        with ws.registry.session() as s:
            if s.scalars(select(IngestBatch).where(IngestBatch.status == "pending")).first():
                return
        time.sleep(0.02)
    pytest.fail("the import never reached its write phase")


def test_kill_9_mid_import_leaves_all_or_nothing(tmp_path, database_url):
    """SIGKILL an import while it writes its batch; afterwards the batch is all there or absent.
    At once on SQLite, after 0.5 s on PostgreSQL: each moment once (the suite's time)."""
    delay = 0.5 if database_url.startswith("postgresql") else 0.0
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test")
    reference_district.load(ws, tmp_path / "in")
    minutes = pd.date_range("2024-01-01", "2024-03-31 23:59", freq="min").strftime(
        "%Y-%m-%dT%H:%M:%S")
    big = tmp_path / "big.csv"
    pd.DataFrame({
        "meter_id": np.repeat(["M1", "M1a", "M4"], len(minutes)),
        "ts": np.tile(minutes, 3),
        "value": np.tile(np.arange(len(minutes)) % 7 + 0.5, 3),
    }).to_csv(big, index=False)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(settings.home), database_url, str(big)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src"), str(REPO)])})
    _wait_for_pending(ws, proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # the next import recovers the lake; then check the all-or-nothing invariant
    import_file(ws, "readings", write(tmp_path, "after.csv",
                                      "meter_id,ts,value\nM5,2024-02-01T00:00:00,20"))
    with ws.registry.session() as s:
        big_batch = s.scalars(select(IngestBatch).where(
            IngestBatch.source_name == "big.csv")).first()
        live_paths = set(s.scalars(select(LakeFile.path)))
    on_disk = {str(p.relative_to(ws.lake.root)) for p in ws.lake.root.rglob("*.parquet*")}
    assert on_disk == live_paths  # no orphan files, no missing files
    rows = _live_rows(ws)
    keys = [(m, ts) for m, ts, _v, _b in rows]
    assert len(keys) == len(set(keys))  # each reading once
    from_big = [r for r in rows if big_batch is not None and r[3] == big_batch.id]
    print(f"killed {delay}s into the write: big batch {big_batch.status}")
    if big_batch is not None and big_batch.status == "committed":
        assert len(from_big) == big_batch.rows_in
    else:
        assert big_batch.status == "interrupted"
        assert from_big == []
    ws.close()
