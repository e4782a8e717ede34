"""Machine feeds in: pushed readings and ledgers become batches, durable before the answer.

中文：机器推送数据入库：HTTP 与 MQTT 推送的读数、台账，落盘后才应答。

Used by the HTTP API and the MQTT ingester alike. A feed batch stores every valid row and
records every rejected row with its reason; the same Idempotency-Key from the same sender
answers the stored batch again and stores nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from carbonpeak.errors import AccessDenied, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Message, render
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.batches import (
    MAX_ERRORS_SHOWN,
    BatchResult,
    stored_reason,
    summary_fields,
)
from carbonpeak.intake.formats import csvfiles
from carbonpeak.intake.formats.feed_rows import MeterInfo, parse_body, validate_readings
from carbonpeak.intake.formats.parsing import Refusal
from carbonpeak.intake.formats.readings import NOT_WRITABLE
from carbonpeak.intake.formats.vocab import canonical_column
from carbonpeak.intake.imports import write_lake_batch
from carbonpeak.intake.plausibility import ledger_history, meter_limits, screen_readings
from carbonpeak.storage.principals import Principal, require_writer, writable_entities
from carbonpeak.storage.registry.models import District, IngestBatch
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ANALYST_ROLES, BatchChannel, ImportOutcome

__all__ = [
    "batch_report",
    "ingest_ledger",
    "ingest_readings",
    "ingest_reading_table",
    "writable_meters",
]


def writable_meters(ws: Workspace, p: Principal) -> dict[str, MeterInfo]:
    """Meters ``p`` may push readings for."""
    require_writer(p)
    entities = writable_entities(ws, p)
    with ws.registry.session() as s:
        rows = repo.meter_rows_of_district(s, p.district_id)
    return {str(r[0]): MeterInfo(str(r[2]), str(r[3]), str(r[4]))
            for r in rows if r[1] in entities}


def _as(ws: Workspace, p: Principal) -> Workspace:
    return dataclasses.replace(ws, actor=p.actor)


def _timezone(ws: Workspace, district_id: str) -> str:
    with ws.registry.session() as s:
        d = s.get(District, district_id)
        if d is None:
            msg = f"no district {district_id!r}"
            raise NotFoundError(msg)
        return d.timezone


def ingest_readings(ws: Workspace, p: Principal, body: bytes, content_type: str, *,
                    idempotency_key: str | None = None, source: str = "http",
                    channel: str = BatchChannel.HTTP) -> BatchResult:
    """Validate and store a pushed readings body (JSON array or CSV).

    Raises
    ------
    InputValidationError
        The body as a whole cannot be read (not JSON/CSV, missing columns): nothing stored.
    AccessDenied
        The sender's role never writes, or every row is for a meter it may not write.
    ConflictError
        The Idempotency-Key was used before for a different body.
    """
    raw = parse_body(body, content_type, source)
    digest = hashlib.sha256(b"readings\0" + body).hexdigest()
    return ingest_reading_table(ws, p, raw, digest, idempotency_key=idempotency_key,
                                source=source, channel=channel)


def ingest_reading_table(ws: Workspace, p: Principal, raw: pa.Table, digest: str, *,
                         idempotency_key: str | None = None, source: str = "http",
                         channel: str = BatchChannel.HTTP, deny_if_all_forbidden: bool = True,
                         sender: str | None = None) -> BatchResult:
    """Validate and store raw reading rows (string columns meter_id, ts, value, unit, row).

    With ``deny_if_all_forbidden`` a batch none of whose meters the sender may write is
    refused with :class:`AccessDenied` (HTTP 403); without it (MQTT, where there is nobody
    to answer) it is stored as a rejected batch with every row's reason.
    """
    meters = writable_meters(ws, p)
    tz = _timezone(ws, p.district_id)
    checked = validate_readings(raw, meters, tz=tz, source=source)
    forbidden = [e for e in checked.errors if e.column == "meter_id"
                 and e.code == NOT_WRITABLE.code]
    if deny_if_all_forbidden and raw.num_rows and len({e.row for e in forbidden}) == raw.num_rows:
        msg = ("none of the meters in this batch may be written with this token: "
               + ", ".join(sorted({str(e.value) for e in forbidden})[:20]))
        raise AccessDenied(msg)
    held = screen_readings(ws, p.district_id, tz, checked, meter_limits(ws, p.district_id),
                           source=source)
    notes: list[Message] = []
    if checked.collapsed:
        notes.append(i18n_msg("intake.batch.repeats", rows=checked.collapsed))
    if checked.converted:
        notes.append(i18n_msg("intake.batch.converted", rows=checked.converted))
    res = write_lake_batch(_as(ws, p), p.district_id, "readings", source, digest,
                           checked.tables, notes, channel=channel,
                           idempotency_key=idempotency_key, rejections=checked.errors,
                           held=held, sender=sender)
    if res.status == ImportOutcome.REPLAYED:
        return _replayed(ws, res.batch_id, res.messages)
    return replace(res, source=source, rows_in=checked.rows_in,
                   rejected=checked.rejected_rows, errors=list(checked.errors))


def _replayed(ws: Workspace, batch_id: int | None, messages: Sequence[Message]) -> BatchResult:
    assert batch_id is not None
    with ws.registry.session() as s:
        b = s.get(IngestBatch, batch_id)
        assert b is not None
        errs = [RowError(b.source_name, r.row, r.column, r.value, stored_reason(r.message))
                for r in repo.rejections_of_batch(s, batch_id, MAX_ERRORS_SHOWN + 1)]
        return BatchResult(b.kind, b.source_name, batch_id, "replayed", rows_in=b.rows_in,
                           added=b.rows_in - b.rows_rejected, rejected=b.rows_rejected,
                           errors=list(errs), messages=list(messages))


_LEDGER_COLUMNS = ("entity_id", "period", "carrier", "quantity", "unit", "note")


def ingest_ledger(ws: Workspace, p: Principal, body: bytes, content_type: str, *,
                  idempotency_key: str | None = None, source: str = "http") -> BatchResult:
    """Validate and store pushed ledger (台账) rows; bad rows are rejected with reasons."""
    require_writer(p)
    frame = _ledger_frame(body, content_type, source)
    allowed = writable_entities(ws, p)
    with ws.registry.session() as s:
        names = {str(e): str(n) for e, n in repo.entity_names_in(s, sorted(allowed))}
    # a row may name its entity as the ledger template does ("HP-B0003 商务大厦") or by name;
    # what names no entity this sender may write gets one message, whether unknown or
    # another's (a sender learns nothing of entities not its own), with a suggestion among
    # its own where one is close
    directory = csvfiles.entity_directory(allowed, names)
    resolved = {v: directory.resolve(v) for v in frame["entity_id"].unique().tolist() if v}
    raw_entity = frame["entity_id"].copy()
    frame["entity_id"] = frame["entity_id"].map(
        lambda v: got if isinstance(got := resolved.get(v), str) else v)
    pf = csvfiles.ParsedFile(source, frame, present_columns=set(_LEDGER_COLUMNS))
    not_mine = (frame["entity_id"] != "") & ~frame["entity_id"].isin(sorted(allowed))
    errors = [RowError(source, int(r), "entity_id", str(e), _not_writable(resolved.get(e)))
              for r, e in zip(frame.loc[not_mine, "_line"], raw_entity[not_mine], strict=True)]
    if len(frame) and int(not_mine.sum()) == len(frame):
        msg = "none of the entities in this batch may be written with this token"
        raise AccessDenied(msg)
    controls = csvfiles.control_errors(pf)
    errors += controls
    bad = frame["_line"].isin([e.row for e in controls])
    pf.frame = frame[~not_mine & ~bad].reset_index(drop=True)
    table, more = _parse_keeping_good(pf, allowed, ledger_history(ws, p.district_id),
                                      ws.settings.plausibility_ceilings, names)
    errors = sorted(errors + more, key=lambda e: (e.row or 0, e.column or ""))
    digest = hashlib.sha256(b"ledger\0" + body).hexdigest()
    res = write_lake_batch(_as(ws, p), p.district_id, "ledger", source, digest,
                           {"ledger": table}, [], channel=BatchChannel.HTTP,
                           idempotency_key=idempotency_key, rejections=errors,
                           remarks=csvfiles.ledger_remarks(pf, table))
    if res.status == ImportOutcome.REPLAYED:
        return _replayed(ws, res.batch_id, res.messages)
    return replace(res, rows_in=len(frame), rejected=len({e.row for e in errors}),
                   errors=list(errors))


def _not_writable(refusal: object) -> Message:
    """Why a pushed ledger row's entity is refused: one message for every entity the sender
    may not write; a name several of its own entities hold lists them; a close spelling of one
    of its own is suggested."""
    if isinstance(refusal, Refusal):
        if refusal.code == "intake.entity.ambiguous_name":
            return refusal.why
        if refusal.suggestion is not None:
            return i18n_msg("intake.feed.not_writable_entity_suggest",
                            suggestion=refusal.suggestion)
    return i18n_msg("intake.feed.not_writable_entity")


def _parse_keeping_good(pf: csvfiles.ParsedFile, known: set[str],
                        history: dict[tuple[str, str], dict[str, float]],
                        ceilings: dict[str, float], names: dict[str, str],
                        ) -> tuple[pa.Table, list[RowError]]:
    """Parse, dropping the rows the parser names, until what is left is clean."""
    errors: list[RowError] = []
    for _ in range(4):
        try:
            return csvfiles.parse_ledger(pf, known_entities=known, history=history,
                                         ceilings=ceilings, entity_names=names), errors
        except InputValidationError as exc:
            if any(e.row is None for e in exc.errors):
                raise
            errors.extend(exc.errors)
            bad = {e.row for e in exc.errors}
            pf.frame = pf.frame[~pf.frame["_line"].isin(sorted(bad))].reset_index(drop=True)
    raise InputValidationError(errors)


def _ledger_frame(body: bytes, content_type: str, source: str) -> pd.DataFrame:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("text/csv", "application/csv"):
        text, _enc = csvfiles.decode_text(body, source)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                index_col=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputValidationError([RowError(
                source, None, None, None,
                i18n_msg("intake.feed.bad_csv", detail=str(exc)))]) from None
        records: list[Any] = frame.to_dict("records")
    else:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InputValidationError([RowError(
                source, None, None, None,
                i18n_msg("intake.feed.bad_json", detail=str(exc)))]) from None
        if isinstance(doc, dict) and isinstance(doc.get("ledger"), list):
            doc = doc["ledger"]
        if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
            raise InputValidationError([RowError(
                source, None, None, None, i18n_msg("intake.feed.not_ledger_array"))])
        records = doc
    cols: dict[str, list[str]] = {c: [] for c in _LEDGER_COLUMNS}
    for rec in records:
        named = {canonical_column("ledger", str(k)): v for k, v in rec.items()}
        for c in _LEDGER_COLUMNS:
            v = named.get(c)
            cols[c].append("" if v is None else str(v).strip())
    frame = pd.DataFrame(cols, dtype=str)
    frame["_line"] = range(1, len(frame) + 1)
    return frame


def batch_report(ws: Workspace, p: Principal, batch_id: int) -> dict[str, Any]:
    """A batch's status, counts and every rejected row, if ``p`` may see it.

    District admins and analysts see every batch of their district; other roles see the
    batches they sent. Any other batch is reported as not found (its existence is not told).
    """
    with ws.registry.session() as s:
        b = s.get(IngestBatch, batch_id)
        visible = b is not None and b.district_id == p.district_id and (
            p.role in ANALYST_ROLES or b.actor == p.actor)
        if b is None or not visible:
            msg = f"no batch {batch_id}"
            raise NotFoundError(msg)
        rejections = [
            {"sheet": r.sheet, "row": r.row, "column": r.column, "value": r.value,
             "message": render(why, "en"), "message_zh": render(why, "zh"), "code": why.code}
            for r in repo.rejections_by_row(s, b.id)
            for why in [stored_reason(r.message)]]
        n_rej = repo.rejection_count(s, b.id)
        return {
            "batch_id": b.id, "kind": b.kind, "channel": b.channel, "status": b.status,
            "source": b.source_name, "sent_by": b.actor,
            "idempotency_key": b.idempotency_key,
            "created_at": b.created_at.isoformat() + "Z",
            "committed_at": b.committed_at.isoformat() + "Z" if b.committed_at else None,
            "rows_in": b.rows_in, "rows_accepted": b.rows_in - b.rows_rejected,
            "rows_rejected": b.rows_rejected, "rows_written": b.rows_written,
            "rows_overlapping": b.rows_overlapping, "rows_replaced": b.rows_replaced,
            **summary_fields(b.message), "rejections": rejections, "rejection_count": int(n_rej),
        }
