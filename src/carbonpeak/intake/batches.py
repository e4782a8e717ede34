"""The intake kernel: one batch result, one place that opens a batch, one audited upsert.

中文：数据入库内核——统一的批次结果、批次登记、拒收记录、幂等规则与带审计日志的写入。

Every way data comes in (files of every kind, HTTP and MQTT feeds, plan records, energy
audits and filings, weather, retrofit projects) is a batch (:class:`IngestBatch`) and answers
with a :class:`BatchResult`. The rules are the same for all kinds:

* **Idempotency** — the same bytes (same SHA-256) of the same kind into the same district again:
  ``duplicate``, nothing is written (:func:`find_duplicate`); a batch whose rows are all stored
  with the same values: ``no_change``, nothing is written but the batch is recorded
  (:func:`close_batch`).
* **Quarantine** — rows refused by validation are recorded with the batch
  (``batch_rejections``, :func:`record_rejections`), counted in ``rows_rejected``.
* **Audit** — every insert and every changed field is written to the audit log with its old
  and new value (:func:`audited_upsert`), and the batch itself once (:func:`close_batch`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from carbonpeak.errors import RowError
from carbonpeak.i18n import Lang, Message, dumps, loads, msg, render, stored_text
from carbonpeak.storage.registry.models import IngestBatch, utcnow
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = [
    "BatchResult",
    "BatchStatus",
    "Outcome",
    "Tally",
    "audited_upsert",
    "close_batch",
    "file_sha256",
    "messages_dict",
    "find_duplicate",
    "new_batch",
    "open_batch",
    "record_rejections",
    "summary_fields",
    "rejected_rows",
]

#: ``committed`` stored; ``duplicate`` the same bytes were imported before, nothing written;
#: ``no_change`` every row already stored with the same values; ``refused`` nothing could be
#: stored (a feed batch all of whose rows were rejected is recorded as ``rejected``);
#: ``replayed`` a feed's Idempotency-Key answered again; ``validated`` a dry run found nothing to
#: refuse (nothing stored).
BatchStatus = Literal["committed", "duplicate", "no_change", "refused", "rejected", "replayed",
                      "validated"]
#: what one upsert did
Outcome = Literal["added", "updated", "unchanged"]

MAX_ERRORS_SHOWN = 100


@dataclass(frozen=True)
class BatchResult:
    """What a batch did, for every kind and channel.

    ``rows_in`` rows were offered; ``added``, ``updated`` and ``unchanged`` count the rows taken
    (for lake kinds every stored row is ``added``, or ``unchanged`` in a ``no_change`` batch),
    ``rejected`` the rows refused (kept in quarantine / ``batch_rejections``, each problem in
    ``errors``). ``overlapping``/``replaced``/``overlapped_batches`` tell how a lake batch met
    earlier ones; ``span`` is the first and last day (weather) it covers.
    """

    kind: str
    source: str
    batch_id: int | None
    status: str
    rows_in: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    messages: list[Message] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    overlapping: int = 0
    replaced: int = 0
    overlapped_batches: list[int] = field(default_factory=list)
    quarantine_path: str | None = None
    span: tuple[str, str] | None = None

    # -- the names the callers of the former result types read --------------------------
    @property
    def file(self) -> str:
        """The file (or source) of the batch."""
        return self.source

    @property
    def rows(self) -> int:
        """Rows taken into the batch (added, updated or unchanged)."""
        return self.added + self.updated + self.unchanged

    @property
    def accepted(self) -> int:
        """Rows taken into the batch (a feed's word for :attr:`rows`)."""
        return self.rows

    @property
    def rows_rejected(self) -> int:
        """Rows refused (a file import's word for :attr:`rejected`)."""
        return self.rejected

    @property
    def rejections(self) -> list[RowError]:
        """Every problem of the refused rows (a file import's word for :attr:`errors`)."""
        return self.errors

    def text(self, lang: Lang) -> str:
        """The messages as one line in ``lang``."""
        return ("；" if lang == "zh" else "; ").join(render(m, lang) for m in self.messages)

    @property
    def first(self) -> str | None:
        """First day covered (weather)."""
        return self.span[0] if self.span else None

    @property
    def last(self) -> str | None:
        """Last day covered (weather)."""
        return self.span[1] if self.span else None

    def with_messages(self, *before: Message, after: Sequence[Message] = ()) -> BatchResult:
        """The same result with ``before`` put first and ``after`` added last."""
        return replace(self, messages=[*before, *self.messages, *after])

    def to_dict(self, lang: Lang = "en") -> dict[str, Any]:
        """JSON-safe form of a feed's answer (at most the first 100 errors; the batch keeps
        them all), each error with its code, English and Chinese text; the summary messages
        in ``lang`` (the request's), with their codes and parameters (:func:`messages_dict`)."""
        return {
            "batch_id": self.batch_id, "status": self.status, "rows_in": self.rows_in,
            "accepted": self.accepted, "rejected": self.rejected,
            "errors": [{"row": e.row, "column": e.column, "value": e.value,
                        "message": e.message, "code": e.code, "message_zh": e.text("zh")}
                       for e in self.errors[:MAX_ERRORS_SHOWN]],
            "errors_truncated": len(self.errors) > MAX_ERRORS_SHOWN,
            **messages_dict(self.messages, lang),
        }


def messages_dict(messages: Sequence[Message], lang: Lang) -> dict[str, Any]:
    """A batch's summary messages in an answer, as the API's errors carry theirs:
    ``messages`` in ``lang``, ``messages_zh``, ``messages_en``, and ``message_codes`` (each
    ``{"code", "params"}``)."""
    zh = [render(m, "zh") for m in messages]
    en = [render(m, "en") for m in messages]
    return {"messages": zh if lang == "zh" else en, "messages_zh": zh, "messages_en": en,
            "message_codes": [m.to_dict() for m in messages]}


@dataclass
class Tally:
    """Counts while a batch is written (frozen into a :class:`BatchResult` at the end)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[Message] = field(default_factory=list)

    def count(self, outcome: Outcome) -> Outcome:
        """Count one upsert's outcome; returns it."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        return outcome

    @property
    def written(self) -> int:
        """Rows inserted or changed."""
        return self.added + self.updated

    def summary(self) -> Message:
        """``a added, u updated, n unchanged`` (新增/更新/未变), as a message."""
        return msg("intake.batch.summary", added=self.added, updated=self.updated,
                   unchanged=self.unchanged)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (a batch's identity: re-sending it is a
    duplicate)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_duplicate(ws: Workspace, district_id: str, kind: str, digest: str,
                   source: str) -> BatchResult | None:
    """The answer to bytes already imported as ``kind`` (same SHA-256): ``duplicate``, naming
    the earlier batch; ``None`` when they are new. Nothing is written either way."""
    with ws.registry.session() as s:
        prev = repo.first_batch_with_digest(s, district_id, kind, digest)
        if prev is None:
            return None
        return BatchResult(kind, source, prev.id, "duplicate", rows_in=prev.rows_in or 0,
                           messages=[msg("intake.batch.duplicate", source=source, batch=prev.id,
                                         at=f"{prev.created_at:%Y-%m-%d %H:%M}")])


def rejected_rows(errors: Sequence[RowError]) -> int:
    """Distinct rows named by ``errors`` (several problems of one row count once)."""
    return len({(e.sheet, e.row) for e in errors})


def _no_nul(text: str) -> str:
    """A rejected cell as text a registry stores (PostgreSQL text cannot hold NUL)."""
    return text.replace("\x00", "\\x00")


def record_rejections(s: Session, batch_id: int, errors: Sequence[RowError]) -> None:
    """Keep every problem of the refused rows with the batch (one multi-row INSERT); the
    reason as its catalogue message (JSON: code and parameters), see :func:`stored_reason`."""
    if errors:
        repo.add_rejections(s, [
            {"batch_id": batch_id, "sheet": e.sheet, "row": e.row, "column": e.column,
             "value": None if e.value is None else _no_nul(str(e.value)[:1000]),
             "message": _no_nul(dumps(e.msg))} for e in errors])


def summary_fields(stored: str | None) -> dict[str, Any]:
    """A batch's stored summary (``ingest_batches.message``) in an answer: ``message`` in
    English, ``message_zh``, and ``message_code`` (its code and parameters; None for a
    summary stored as text before summaries were codes, shown as it is in both)."""
    m = loads(stored)
    return {"message": stored_text(stored, "en"), "message_zh": stored_text(stored, "zh"),
            "message_code": m.to_dict() if m is not None else None}


def stored_reason(text: str) -> Message:
    """The reason of a stored rejection: its message, or (a row refused before reasons were
    stored as messages) the English text it was stored as, shown as it is."""
    return loads(text) or Message("intake.text", {"text": text})


def new_batch(s: Session, ws: Workspace, district_id: str, kind: str, source: str, digest: str,
              *, rows_in: int, status: str = "committed", channel: str = "file",
              idempotency_key: str | None = None,
              rejections: Sequence[RowError] = ()) -> IngestBatch:
    """Register a batch (flushed: it has its id) and its rejected rows, in session ``s``."""
    rejected = rejected_rows(rejections)
    batch = IngestBatch(district_id=district_id, kind=kind, source_name=source[:512],
                        sha256=digest, status=status, rows_in=rows_in + rejected,
                        actor=ws.actor, channel=channel, idempotency_key=idempotency_key,
                        rows_rejected=rejected,
                        committed_at=utcnow() if status == "committed" else None)
    s.add(batch)
    s.flush()
    record_rejections(s, batch.id, rejections)
    return batch


@contextmanager
def open_batch(ws: Workspace, district_id: str, kind: str, source: str, digest: str, *,
               rows_in: int, rejections: Sequence[RowError] = (),
               ) -> Iterator[tuple[Session, IngestBatch]]:
    """A session with a new committed batch of registry rows; all of it commits together."""
    with ws.registry.session() as s:
        yield s, new_batch(s, ws, district_id, kind, source, digest, rows_in=rows_in,
                           rejections=rejections)


def close_batch(s: Session, ws: Workspace, batch: IngestBatch, tally: Tally, *,
                details: Mapping[str, Any] | None = None, message: Message | None = None,
                ) -> BatchResult:
    """Finish a registry batch: rows written, ``no_change`` when nothing was, its message and
    its audit-log entry; the result (messages: the tally's notes, then the summary). The
    batch's message is stored as its code and parameters (JSON), shown with
    :func:`~carbonpeak.i18n.stored_text`."""
    batch.rows_written = tally.written
    if not tally.written:
        batch.status = "no_change"
    summary = message if message is not None else tally.summary()
    batch.message = dumps(summary)
    audit(s, ws.actor, "import", f"{batch.kind}_batch", str(batch.id),
          {"file": batch.source_name, "sha256": batch.sha256, "added": tally.added,
           "updated": tally.updated, "unchanged": tally.unchanged,
           "rows_rejected": batch.rows_rejected, **(details or {})},
          district=batch.district_id)
    return BatchResult(batch.kind, batch.source_name, batch.id, batch.status,
                       rows_in=batch.rows_in, added=tally.added, updated=tally.updated,
                       unchanged=tally.unchanged, rejected=batch.rows_rejected,
                       messages=[*tally.notes, summary])


def _plain(v: Any) -> Any:  # noqa: ANN401 - any column value
    """An audit-log value (JSON): dates as ISO text."""
    return v.isoformat() if hasattr(v, "isoformat") else v


def _equal(a: Any, b: Any) -> bool:  # noqa: ANN401
    return bool(a == b)


def audited_upsert(s: Session, actor: str, obj: Any, values: Mapping[str, Any], *,  # noqa: ANN401
                   create: Callable[[], Any], object_type: str, key: str, district_id: str,
                   context: Mapping[str, Any] | None = None,
                   same: Callable[[Any, Any], bool] = _equal,
                   on_change: Mapping[str, Any] | None = None,
                   always: Mapping[str, Any] | None = None,
                   log: Callable[..., None] = audit) -> Outcome:
    """Insert ``create()`` when ``obj`` is ``None``, else write the ``values`` that differ.

    Every insert (its values) and every change (old and new value of each field) is audit
    logged under ``object_type``/``key`` with ``context`` (the batch, the source). A value
    ``same`` as the stored one is no change. ``on_change`` fields (the batch that last changed
    the row) are set with a change, ``always`` fields on every match. ``log`` writes the audit
    log entry (:func:`~carbonpeak.storage.workspace.audit`; a caller may pass its own name for
    it, which tests replace to interleave a concurrent request).
    """
    context = dict(context or {})
    if obj is None:
        s.add(create())
        log(s, actor, "create", object_type, key,
              {k: _plain(v) for k, v in values.items()} | context, district=district_id)
        return "added"
    changes = {k: [_plain(getattr(obj, k)), _plain(v)] for k, v in values.items()
               if not same(getattr(obj, k), v)}
    for k, v in (always or {}).items():
        setattr(obj, k, v)
    if not changes:
        return "unchanged"
    for k in changes:
        setattr(obj, k, values[k])
    for k, v in (on_change or {}).items():
        setattr(obj, k, v)
    log(s, actor, "update", object_type, key, {"changes": changes} | context,
        district=district_id)
    return "updated"
