"""The intake repository's dialect-sensitive queries, on SQLite and (contract) PostgreSQL: the
multi-row INSERT of rejections and their order, a held value found again by its naive UTC
time and float value, the newest ledger remark, a batch found by its key or its bytes."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonpeak.storage.registry.models import HeldValue, IngestBatch, LedgerRemark
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace


def _batch(ws: Workspace, *, sha: str = "a" * 64, key: str | None = None,
           status: str = "committed") -> int:
    with ws.registry.session() as s:
        b = IngestBatch(district_id=ws.district(None).id, kind="readings", source_name="f.csv",
                        sha256=sha, status=status, rows_in=3, actor=ws.actor, channel="http",
                        idempotency_key=key)
        s.add(b)
        s.flush()
        return b.id


@pytest.mark.contract
def test_rejections_are_inserted_at_once_and_read_by_row(ws: Workspace) -> None:
    batch = _batch(ws)
    rows = [{"batch_id": batch, "sheet": None, "row": r, "column": "value", "value": v,
             "message": "{}"} for r, v in ((5, "x"), (2, "y"), (5, "z"))]
    with ws.registry.session() as s:
        repo.add_rejections(s, rows)
    with ws.registry.session() as s:
        assert [(r.row, r.value) for r in repo.rejections_by_row(s, batch)] == [
            (2, "y"), (5, "x"), (5, "z")]
        assert [r.value for r in repo.rejections_of_batch(s, batch, 2)] == ["x", "y"]
        assert repo.rejection_count(s, batch) == 3
        assert repo.rejection_count(s, batch + 1) == 0


@pytest.mark.contract
def test_a_held_value_is_found_by_its_naive_time_and_value(ws: Workspace) -> None:
    batch = _batch(ws)
    district = ws.district(None).id
    ts = dt.datetime(2024, 3, 1, 8, 15)
    with ws.registry.session() as s:
        s.add(HeldValue(district_id=district, batch_id=batch, meter_id="M-1", ts=ts,
                        month="2024-03", value=1234.5, reason_code="plausibility.spike",
                        details={}, status="held"))
    with ws.registry.session() as s:
        found = repo.held_value_id(s, district, "M-1", ts, 1234.5)
        assert found is not None
        assert repo.held_value_id(s, district, "M-1", ts, 1234.0) is None
        assert repo.held_value_id(s, district, "M-1", ts + dt.timedelta(minutes=15),
                                  1234.5) is None
        assert repo.held_value_id(s, "elsewhere", "M-1", ts, 1234.5) is None


@pytest.mark.contract
def test_the_newest_remark_is_the_current_one(ws: Workspace) -> None:
    batch = _batch(ws)
    district = ws.district(None).id
    with ws.registry.session() as s:
        for note in ("first", "second"):
            s.add(LedgerRemark(district_id=district, batch_id=batch, entity_id="E-1",
                               period="2024-01", carrier="electricity", note=note))
            s.flush()
    with ws.registry.session() as s:
        assert repo.latest_remark_note(s, district, "E-1", "2024-01", "electricity") == "second"
        assert repo.latest_remark_note(s, district, "E-1", "2024-02", "electricity") is None


@pytest.mark.contract
def test_a_batch_is_found_by_its_key_or_its_committed_bytes(ws: Workspace) -> None:
    failed = _batch(ws, sha="b" * 64, status="failed")
    first = _batch(ws, sha="b" * 64, key="k-1")
    _batch(ws, sha="b" * 64)
    district = ws.district(None).id
    with ws.registry.session() as s:
        keyed = repo.batch_by_idempotency_key(s, ws.actor, "k-1")
        assert keyed is not None
        assert keyed.id == first
        assert repo.batch_by_idempotency_key(s, "someone else", "k-1") is None
        dup = repo.first_batch_with_digest(s, district, "readings", "b" * 64)
        assert dup is not None
        assert dup.id == first != failed
        assert repo.first_batch_with_digest(s, district, "ledger", "b" * 64) is None
