"""Import use cases: a file in, a committed batch (or a clear refusal) out.

The same file imported twice is recognised by its SHA-256 and changes nothing; a batch whose
rows are all already live with the same values changes nothing either; a batch that overlaps
earlier ones wins and says which. Every change to accounting inputs is audit-logged.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping, Sequence, Set
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy.orm import Session

from carbonpeak.errors import ConflictError, InputValidationError, RowError
from carbonpeak.i18n import Message, dumps, loads, msg
from carbonpeak.intake.batches import (
    BatchResult,
    Outcome,
    Tally,
    audited_upsert,
    close_batch,
    file_sha256,
    find_duplicate,
    new_batch,
    rejected_rows,
)
from carbonpeak.intake.formats import csvfiles
from carbonpeak.intake.formats.readings import ValidatedReadings
from carbonpeak.intake.formats.vocab import COLUMNS
from carbonpeak.intake.plan_records import import_plan_records
from carbonpeak.intake.plausibility import (
    HeldRow,
    ledger_history,
    meter_limits,
    screen_readings,
)
from carbonpeak.storage.lake.store import PreparedBatch
from carbonpeak.storage.registry.models import (
    District,
    DistrictStatistics,
    Entity,
    HeldValue,
    IngestBatch,
    LedgerRemark,
    Meter,
    utcnow,
)
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import (
    IMPORT_KINDS,
    PLAN_KINDS,
    BatchChannel,
    BatchStatus,
    HeldStatus,
)

__all__ = ["IMPORT_KINDS", "ImportResult", "file_sha256", "import_file", "write_lake_batch"]

OBJECT_TYPES = {"entities": "entity", "meters": "meter", "statistics": "statistics"}

logger = logging.getLogger(__name__)


#: what an import did: the intake kernel's one batch result
ImportResult = BatchResult


def import_file(ws: Workspace, kind: str, path: Path, *, district: str | None = None,
                tables: dict[str, pa.Table] | None = None,
                skip_bad_rows: bool = False, dry_run: bool = False,
                rename: Mapping[str, str] | None = None,
                writable: Set[str] | None = None,
                channel: str = BatchChannel.FILE) -> ImportResult:
    """Import ``path`` (CSV, .xlsx or .xls) as ``kind`` into the district.

    With ``skip_bad_rows`` the good rows are imported as the batch and the refused ones go to
    a quarantine file ``$CARBONPEAK_HOME/quarantine/b<batch>-<stem>.csv`` (recorded with the
    batch, each problem as a :class:`BatchRejection`). File-level problems are never skipped.

    ``dry_run`` reads and validates the file exactly as an import does and stores nothing: it
    answers ``validated`` (or ``duplicate``, or raises the same refusal). ``rename`` maps the
    file's headers to the contract's columns (a column-mapping step; see
    :func:`carbonpeak.intake.formats.csvfiles.read_import_file`). ``writable`` limits the rows
    of a ledger or readings file to these entities (a writer's scope): a row of another entity
    is refused by row, naming it. ``channel`` records how a lake batch arrived.

    Raises
    ------
    InputValidationError
        The file was refused; nothing was stored. The error lists every bad row (and, with
        ``skip_bad_rows``, when no good row is left).
    """
    if kind not in IMPORT_KINDS:
        text = f"unknown import kind {kind!r}; one of {', '.join(IMPORT_KINDS)}"
        raise ValueError(text)
    d = ws.district(district)
    digest = file_sha256(path)
    duplicate = find_duplicate(ws, d.id, kind, digest, path.name)
    if duplicate is not None:
        return duplicate
    pf = csvfiles.read_import_file(path, kind, rename=rename)
    notes = [msg("intake.batch.ignored_columns", columns=", ".join(pf.ignored_columns))] \
        if pf.ignored_columns else []
    quarantine = _Quarantine(ws.settings.home, path, pf, kind) if skip_bad_rows else None
    outside = _out_of_scope(ws, d.id, kind, pf, writable) if writable is not None else []
    if outside and quarantine is not None:
        pf = quarantine.take(pf, outside)
    elif outside:  # the other rows are still validated, so the report lists every problem
        pf = replace(pf, frame=pf.frame[~pf.frame["_line"].isin(
            {e.row for e in outside})].reset_index(drop=True))
    check_only = dry_run or bool(outside and quarantine is None)
    for _round in range(_SKIP_ROUNDS):
        try:
            if kind in ("readings", "ledger"):
                result = _import_lake(ws, d.id, d.timezone, kind, pf, digest, quarantine,
                                      dry_run=check_only, channel=channel)
            elif kind in PLAN_KINDS:
                result = _import_plan(ws, d, kind, pf, digest, quarantine,
                                      dry_run=check_only)
            else:
                result = _import_registry(ws, d.id, kind, pf, digest, quarantine,
                                          dry_run=check_only)
            break
        except InputValidationError as exc:
            errors = _with_sheet(exc.errors, pf)
            if quarantine is None:
                raise InputValidationError(_by_row(outside + errors)) from None
            pf = quarantine.take(pf, errors)
    else:
        assert quarantine is not None
        raise InputValidationError(quarantine.errors)
    if outside and quarantine is None:
        raise InputValidationError(outside)
    if quarantine is not None and quarantine.errors:
        result = replace(result, rejected=quarantine.rows, quarantine_path=quarantine.path,
                         errors=list(quarantine.errors)).with_messages(after=[
                             msg("intake.batch.quarantined", rows=quarantine.rows,
                                      path=str(quarantine.path))])
    return result.with_messages(*notes)


_SKIP_ROUNDS = 6  # dropping bad rows can uncover others (a parent only a dropped row defined)


def _by_row(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.row or 0, e.column or ""))


def _validated(kind: str, pf: csvfiles.ParsedFile, rows: int,
               messages: Sequence[Message] = ()) -> ImportResult:
    """The answer of a dry run: the file would be stored as a batch of ``rows`` rows."""
    return BatchResult(kind, pf.name, None, "validated", rows_in=rows, added=rows,
                       messages=list(messages))


def _out_of_scope(ws: Workspace, district_id: str, kind: str, pf: csvfiles.ParsedFile,
                  writable: Set[str]) -> list[RowError]:
    """Rows of a ledger or readings file for an entity outside ``writable``, each named."""
    if kind == "ledger":
        cells = pf.frame["entity_id"]
        bad = (cells != "") & ~cells.isin(sorted(writable))
        return [RowError(pf.name, int(line), "entity_id", str(e),
                         msg("intake.upload.not_in_scope", entity=str(e)), pf.sheet)
                for line, e in zip(pf.frame.loc[bad, "_line"], cells[bad], strict=True)]
    if kind != "readings":
        return []
    with ws.registry.session() as s:
        owner = {str(r[0]): str(r[1]) for r in repo.meter_owners_in(
            s, district_id, sorted(set(pf.frame["meter_id"].tolist())))}
    cells = pf.frame["meter_id"]
    bad = cells.map(lambda m: m in owner and owner[m] not in writable).astype(bool)
    return [RowError(pf.name, int(line), "meter_id", str(m),
                     msg("intake.upload.meter_not_in_scope", meter=str(m), entity=owner[m]),
                     pf.sheet)
            for line, m in zip(pf.frame.loc[bad, "_line"], cells[bad], strict=True)]


def _with_sheet(errors: list[RowError], pf: csvfiles.ParsedFile) -> list[RowError]:
    """Name the sheet of a spreadsheet in errors the parsers made without it."""
    if pf.sheet is None:
        return errors
    return [replace(e, sheet=pf.sheet) if e.sheet is None and e.file == pf.name else e
            for e in errors]


class _Quarantine:
    """Rows refused under ``--skip-bad-rows``: their cells and problems, then their file."""

    def __init__(self, home: Path, source: Path, pf: csvfiles.ParsedFile, kind: str) -> None:
        self.home, self.stem = home, source.stem
        self.columns = [c for c in COLUMNS[kind] if c in pf.present_columns]
        self.sheet = pf.sheet
        self.errors: list[RowError] = []
        self.frames: list[pd.DataFrame] = []
        self.path: str | None = None

    @property
    def rows(self) -> int:
        """Number of rows refused."""
        return len({(e.sheet, e.row) for e in self.errors})

    def take(self, pf: csvfiles.ParsedFile, errors: list[RowError]) -> csvfiles.ParsedFile:
        """Move the rows named by ``errors`` aside; the file is refused if any is not a row's."""
        lines = set(pf.frame["_line"].tolist())
        if any(e.row not in lines or e.file != pf.name for e in errors):
            raise InputValidationError(self.errors + errors)
        bad = pf.frame["_line"].isin({e.row for e in errors})
        self.errors.extend(errors)
        self.frames.append(pf.frame[bad])
        kept = pf.frame[~bad].reset_index(drop=True)
        if kept.empty:
            raise InputValidationError(self.errors + [RowError(
                pf.name, None, None, None, msg("intake.file.no_good_row"), pf.sheet)])
        return replace(pf, frame=kept)

    def write(self, batch_id: int) -> str:
        """Write the refused rows (original cells, sheet, row, reasons) for batch ``batch_id``."""
        folder = self.home / "quarantine"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"b{batch_id}-{self.stem}.csv"
        by_line: dict[int, list[RowError]] = {}
        for e in self.errors:
            by_line.setdefault(int(e.row or 0), []).append(e)
        frame = pd.concat(self.frames).sort_values("_line")
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([*self.columns, "sheet", "row", "原因", "reason"])
            for rec in frame.to_dict("records"):
                line = int(rec["_line"])
                problems = by_line.get(line, [])
                w.writerow([*(rec.get(c, "") for c in self.columns), self.sheet or "", line,
                            "；".join(_where(e) + e.text("zh") for e in problems),
                            "; ".join(_where(e) + e.text("en") for e in problems)])
        self.path = str(path)
        return self.path

    def record(self, batch: IngestBatch) -> None:
        """Write the quarantine file and record it with the batch (whose rejections the
        kernel recorded when it opened the batch)."""
        batch.quarantine_path = self.write(batch.id)


def _where(e: RowError) -> str:
    if e.column is None:
        return ""
    return f"{e.column} = {e.value!r}: " if e.value is not None else f"{e.column}: "


# -- registry kinds -----------------------------------------------------------------------
def _preload(s: Session, model: Any, ids: list[str]) -> dict[str, Any]:
    """Existing rows by id, fetched in chunks (one query per 1,000 ids, not one per row)."""
    return repo.rows_by_id(s, model, ids)


def _import_plan(ws: Workspace, d: District, kind: str, pf: csvfiles.ParsedFile, digest: str,
                 quarantine: _Quarantine | None, *, dry_run: bool = False) -> ImportResult:
    def on_batch(_s: Session, batch: IngestBatch) -> None:
        if quarantine is not None and quarantine.errors:
            quarantine.record(batch)

    return import_plan_records(ws, d, kind, pf, digest,
                               quarantine.errors if quarantine is not None else (),
                               on_batch=on_batch, dry_run=dry_run)


def _import_registry(ws: Workspace, district_id: str, kind: str, pf: csvfiles.ParsedFile,
                     digest: str, quarantine: _Quarantine | None = None, *,
                     dry_run: bool = False) -> ImportResult:
    with ws.registry.session() as s, s.no_autoflush:
        if kind == "entities":
            streets = _street_lookup(s, district_id)
            known = set(repo.entity_ids_of_district(s, district_id))
            recs = csvfiles.parse_entities(pf, streets=streets, known_entities=known)
            _check_cycles(s, recs, pf.name)
        elif kind == "meters":
            names = _entity_names(s, district_id)
            recs = csvfiles.parse_meters(pf, known_entities=set(names), entity_names=names)
        else:
            recs = csvfiles.parse_statistics(pf)
        model: Any = {"entities": Entity, "meters": Meter}.get(kind, DistrictStatistics)
        existing = _preload(s, model, [r["id"] for r in recs]) if kind != "statistics" else {}
        given = _given_fields(pf, kind)
        if kind != "statistics":
            _check_other_districts(s, kind, district_id, recs, pf.name)
        if kind == "meters":
            _check_meter_changes(existing, recs, pf.name)
            _check_meter_rescaling(ws, existing, recs, given, pf.name)
        if dry_run:
            return _validated(kind, pf, len(recs))
        batch = new_batch(s, ws, district_id, kind, pf.name, digest, rows_in=len(recs),
                          rejections=quarantine.errors if quarantine is not None else ())
        if quarantine is not None and quarantine.errors:
            quarantine.record(batch)
        tally = Tally()
        for rec in recs:
            line = rec.pop("_line", None)
            if kind == "statistics":
                rec.update(district_id=district_id, batch_id=batch.id)
                obj = repo.statistics_of_year(s, district_id, rec["year"])
                key = str(rec["year"])
            else:
                if kind == "entities":
                    rec["district_id"] = district_id
                obj = existing.get(rec["id"])
                key = rec["id"]
            tally.count(_upsert(s, ws.actor, model, kind, key, obj, rec, ignore=("batch_id",),
                                given=given.get(line) if line is not None else None,
                                district_id=district_id))
        return close_batch(s, ws, batch, tally, details={"quarantine": batch.quarantine_path})


# record field -> the file column it comes from (when the names differ); meters'
# commissioned_on has the same name as its column
_FIELD_COLUMN = {"entities": {"id": "entity_id", "street_id": "street"},
                 "meters": {"id": "meter_id"}, "statistics": {}}


def _given_fields(pf: csvfiles.ParsedFile, kind: str) -> dict[int, set[str]]:
    """Per file line, the record fields whose cell is filled in."""
    columns = {v: k for k, v in _FIELD_COLUMN[kind].items()}
    present = [c for c in pf.present_columns if c in pf.frame.columns]
    out: dict[int, set[str]] = {}
    values = pf.frame[present].to_dict("records")
    for line, row in zip(pf.frame["_line"].tolist(), values, strict=True):
        out[int(line)] = {columns.get(str(c), str(c)) for c, v in row.items() if v != ""}
    return out


def _upsert(s: Session, actor: str, model: Any, kind: str, key: str, obj: Any,
            rec: dict[str, Any], *, ignore: tuple[str, ...], district_id: str,
            given: set[str] | None = None) -> Outcome:
    """Insert, or update the fields the file gives: a blank or absent cell never erases."""
    if obj is not None and given is not None:
        rec = {k: v for k, v in rec.items() if k in given or k in ignore
               or k in ("district_id",)}
    return audited_upsert(
        s, actor, obj, {k: v for k, v in rec.items() if k not in ignore},
        create=lambda: model(**rec), object_type=OBJECT_TYPES[kind], key=key,
        district_id=district_id, always={k: v for k, v in rec.items() if k in ignore})


def _street_lookup(s: Session, district_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for st in repo.streets_of_district(s, district_id):
        for spelling in (st.name_zh, st.name_en, st.code, st.name_zh.removesuffix("街道")):
            out[spelling] = st.id
            out[spelling.lower()] = st.id
    return out


def _check_cycles(s: Session, recs: list[dict[str, Any]], name: str) -> None:
    parents = {e.id: e.parent_id for e in repo.all_entities(s)}
    parents.update({r["id"]: r["parent_id"] for r in recs})
    errors = []
    for r in recs:
        seen, cur = {r["id"]}, r["parent_id"]
        while cur is not None:
            if cur in seen:
                errors.append(RowError(name, r["_line"], "parent_id", r["parent_id"],
                                       msg("intake.entity.parent_loop")))
                break
            seen.add(cur)
            cur = parents.get(cur)
    if errors:
        raise InputValidationError(errors)


def _check_other_districts(s: Session, kind: str, district_id: str,
                           recs: list[dict[str, Any]], name: str) -> None:
    """Ids are global: refuse an id another district already uses (never move it)."""
    ids = [r["id"] for r in recs]
    if kind == "entities":
        taken = {str(r[0]): str(r[1])
                 for r in repo.other_district_entities(s, ids, district_id)}
        column = "entity_id"
    else:
        taken = {str(r[0]): str(r[1])
                 for r in repo.other_district_meters(s, ids, district_id)}
        column = "meter_id"
    errors = [RowError(name, r["_line"], column, r["id"],
                       msg("intake.id.other_district", district=taken[r["id"]]))
              for r in recs if r["id"] in taken]
    if errors:
        raise InputValidationError(errors)


def _check_meter_rescaling(ws: Workspace, existing: dict[str, Any], recs: list[dict[str, Any]],
                           given: dict[int, set[str]], name: str) -> None:
    """Refuse a unit or multiplier change on a meter that has readings (it would rescale them)."""
    changing = {}
    for r in recs:
        m = existing.get(r["id"])
        if m is None:
            continue
        for col in ("unit", "multiplier"):
            if col in given.get(r["_line"], set()) and getattr(m, col) != r[col]:
                changing[(r["id"], col)] = (r["_line"], getattr(m, col), r[col])
    if not changing:
        return
    with_data = ws.lake.meters_with_data(sorted({mid for mid, _ in changing}))
    errors = [RowError(name, line, col, str(new),
                       msg("intake.meter.rescale", meter=mid, column=col, old=str(old)))
              for (mid, col), (line, old, new) in changing.items() if mid in with_data]
    if errors:
        raise InputValidationError(errors)


def _check_meter_changes(existing: dict[str, Any], recs: list[dict[str, Any]],
                         name: str) -> None:
    errors = []
    for r in recs:
        m = existing.get(r["id"])
        if m is None:
            continue
        for col in ("carrier", "register", "entity_id"):
            if getattr(m, col) != r[col]:
                errors.append(RowError(
                    name, r["_line"], col, str(r[col]),
                    msg("intake.meter.immutable", meter=m.id, column=col,
                        old=str(getattr(m, col)))))
    if errors:
        raise InputValidationError(errors)


# -- lake kinds ---------------------------------------------------------------------------
def _import_lake(ws: Workspace, district_id: str, tz: str, kind: str,
                 pf: csvfiles.ParsedFile, digest: str,
                 quarantine: _Quarantine | None = None, *, dry_run: bool = False,
                 channel: str = BatchChannel.FILE) -> ImportResult:
    with ws.registry.session() as s:
        if kind == "readings":
            meters = {str(r[0]): str(r[1])
                      for r in repo.meter_registers_of_district(s, district_id)}
        else:
            names = _entity_names(s, district_id)
    messages: list[Message] = []
    held: list[HeldRow] = []
    if kind == "readings":
        limits = meter_limits(ws, district_id)

        def screen(checked: ValidatedReadings) -> None:
            held[:] = screen_readings(ws, district_id, tz, checked, limits, source=pf.name,
                                      sheet=pf.sheet)

        tables, collapsed = csvfiles.parse_readings(pf, meters=meters, tz=tz, screen=screen)
        if collapsed:
            messages.append(msg("intake.batch.collapsed", rows=collapsed))
    remarks: list[dict[str, str]] = []
    if kind != "readings":
        tables = {"ledger": csvfiles.parse_ledger(
            pf, known_entities=set(names), history=ledger_history(ws, district_id),
            ceilings=ws.settings.plausibility_ceilings, entity_names=names)}
        remarks = csvfiles.ledger_remarks(pf, tables["ledger"])
    if dry_run:
        return _validated(kind, pf, sum(t.num_rows for t in tables.values()), messages)
    if quarantine is None or not quarantine.errors:
        return write_lake_batch(ws, district_id, kind, pf.name, digest, tables, messages,
                                held=held, channel=channel, remarks=remarks)
    result = write_lake_batch(ws, district_id, kind, pf.name, digest, tables, messages,
                              rejections=quarantine.errors, held=held, channel=channel,
                              remarks=remarks)
    assert result.batch_id is not None
    with ws.registry.session() as s:  # the batch's rejections are stored; add their file
        b = s.get(IngestBatch, result.batch_id)
        assert b is not None
        quarantine.record(b)
    return result


def _remark(s: Session, district_id: str, batch_id: int,
            remarks: Sequence[dict[str, str]]) -> int:
    """Keep the remarks (备注) of a ledger batch's rows in ``ledger_remarks``, in the batch's
    own transaction; a remark equal to the current one of its (entity, period, carrier) adds
    nothing, so a batch sent again changes nothing. Returns the number added."""
    added = 0
    for r in remarks:
        current = repo.latest_remark_note(s, district_id, r["entity_id"], r["period"],
                                          r["carrier"])
        if current != r["note"]:
            s.add(LedgerRemark(district_id=district_id, batch_id=batch_id, **r))
            added += 1
    return added


def _entity_names(s: Session, district_id: str) -> dict[str, str]:
    """Code → name of the district's entities: a file may name an entity either way."""
    return {str(e): str(n) for e, n in repo.entity_names_of_district(s, district_id)}


def write_lake_batch(ws: Workspace, district_id: str, kind: str, source_name: str,
                     digest: str, tables: dict[str, pa.Table],
                     messages: list[Message] | None = None, *, channel: str = BatchChannel.FILE,
                     idempotency_key: str | None = None,
                     rejections: Sequence[RowError] = (), held: Sequence[HeldRow] = (),
                     sender: str | None = None,
                     remarks: Sequence[dict[str, str]] = ()) -> ImportResult:
    """Write validated rows as one atomic lake batch (files durable before the commit).

    ``held`` readings (suspicious, :mod:`carbonpeak.intake.plausibility`) are stored with the
    rest and recorded as held values of the batch in the same transaction (once: a value
    already held is not held again). ``sender`` records the gateway of a machine batch.
    ``remarks`` (a ledger's 备注) are kept in the same transaction, so an acknowledged batch
    has them.

    ``rejections`` (rows refused by validation) are recorded with the batch in the same
    transaction. With an ``idempotency_key``, a batch the same actor already sent under that
    key is answered again (status ``replayed``) and nothing is written; the same key with a
    different body raises :class:`ConflictError`. The check runs under the lake lock, so
    concurrent senders of one key store it once.
    """
    messages = list(messages or [])
    rows = sum(t.num_rows for t in tables.values())
    with ws.lake.locked():
        if idempotency_key is not None:
            replay = _replay(ws, idempotency_key, digest)
            if replay is not None:
                return replay
        ws.lake.recover()
        with ws.registry.session() as s:
            pending = new_batch(s, ws, district_id, kind, source_name, digest, rows_in=rows,
                                status="pending", channel=channel,
                                idempotency_key=idempotency_key, rejections=rejections)
            pending.sender = sender
            batch_id = pending.id
        prepared: list[PreparedBatch] = []
        try:
            for dataset, table in tables.items():
                if table.num_rows:
                    prepared.append(ws.lake.prepare(batch_id, district_id, dataset, table))
            with ws.registry.session() as s:
                b = s.get(IngestBatch, batch_id)
                assert b is not None
                for p in prepared:
                    ws.lake.commit_files(s, p)
                nothing = all(p.changes_nothing for p in prepared)
                overlapping = sum(p.overlapping for p in prepared)
                replaced = sum(p.replaced for p in prepared)
                overlapped = sorted({x for p in prepared for x in p.overlapped_batches})
                b.status = (BatchStatus.REJECTED if not rows else BatchStatus.NO_CHANGE if nothing
                            else BatchStatus.COMMITTED)
                b.rows_overlapping, b.rows_replaced = overlapping, replaced
                b.rows_written = 0 if nothing else rows
                b.committed_at = utcnow()
                summary = _overlap_message(rows, overlapping, replaced, overlapped, nothing)
                b.message = dumps(summary)
                n_held = _hold(s, district_id, batch_id, held)
                _remark(s, district_id, batch_id, remarks)
                audit(s, ws.actor, "import", f"{kind}_batch", str(batch_id), {
                    "file": source_name, "sha256": digest, "rows": rows,
                    "overlapping": b.rows_overlapping, "replaced": b.rows_replaced,
                    "overlapped_batches": overlapped, "status": b.status,
                    "rows_rejected": b.rows_rejected, "held": n_held, "sender": sender,
                    "months": sorted({m.month for p in prepared for m in p.months}),
                }, district=b.district_id)
                status = b.status
        except BaseException as exc:
            _fail_batch(ws, batch_id, prepared, exc)
            raise
    messages.append(summary)
    return BatchResult(kind, source_name, batch_id, status,
                       rows_in=rows + rejected_rows(rejections),
                       added=0 if status == "no_change" else rows,
                       unchanged=rows if status == "no_change" else 0,
                       rejected=rejected_rows(rejections), errors=list(rejections),
                       overlapping=overlapping, replaced=replaced,
                       overlapped_batches=list(overlapped), messages=list(messages))


def _fail_batch(ws: Workspace, batch_id: int, prepared: Sequence[PreparedBatch],
                exc: BaseException) -> None:
    """Sweep a batch that failed before its commit (a full disk, a lost database), at once:
    its files go (the written months, a half-written ``.tmp``) and it is marked ``failed``
    with the reason. When even that cannot be written, the batch stays ``pending`` and the
    next writer's :meth:`~carbonpeak.storage.lake.store.Lake.recover` marks it
    ``interrupted`` and removes what is left; the original error is raised either way."""
    try:
        for p in prepared:
            ws.lake.discard(p)
        ws.lake.sweep_batch(batch_id)
        with ws.registry.session() as s:
            b = s.get(IngestBatch, batch_id)
            if b is not None:
                b.status = BatchStatus.FAILED
                b.message = dumps(msg("intake.batch.failed", error=str(exc)[:800]))
    except Exception:  # noqa: BLE001 - the original error matters; recover() finishes the job
        logger.exception("could not sweep failed batch %d; the next import will", batch_id)


def _hold(s: Session, district_id: str, batch_id: int, held: Sequence[HeldRow]) -> int:
    """Record ``held`` with the batch; a value already held (same meter, time and value) is
    not held twice."""
    n = 0
    for h in held:
        ts = h.ts.replace(tzinfo=None) if getattr(h.ts, "tzinfo", None) else h.ts
        known = repo.held_value_id(s, district_id, h.meter_id, ts, h.value)
        if known is None:
            s.add(HeldValue(district_id=district_id, batch_id=batch_id, meter_id=h.meter_id,
                            ts=ts, month=h.month, value=h.value,
                            reason_code=h.reason_code, details=h.details,
                            status=HeldStatus.HELD))
            n += 1
    return n


def _overlap_message(rows: int, overlapping: int, replaced: int, batches: list[int],
                     nothing: bool) -> Message:
    if nothing:
        return msg("intake.batch.all_stored", rows=rows)
    if not overlapping:
        return msg("intake.batch.stored", rows=rows)
    return msg("intake.batch.stored_overlap", rows=rows, overlapping=overlapping,
                    batches=", ".join(str(b) for b in batches), replaced=replaced,
                    identical=overlapping - replaced)


def _replay(ws: Workspace, key: str, digest: str) -> ImportResult | None:
    """The answer already given to this actor's batch ``key`` (None: a new key)."""
    with ws.registry.session() as s:
        prev = repo.batch_by_idempotency_key(s, ws.actor, key)
        if prev is None:
            return None
        if prev.sha256 != digest:
            text = (f"Idempotency-Key {key!r} was used for batch {prev.id} with a different "
                    "body; use a new key for new data")
            raise ConflictError(text)
        if prev.status in (BatchStatus.PENDING, BatchStatus.INTERRUPTED, BatchStatus.FAILED):
            # never acknowledged: forget the key so the client's retry is stored
            prev.idempotency_key = None
            return None
        return BatchResult(prev.kind, prev.source_name, prev.id, "replayed",
                           rows_in=prev.rows_in, added=prev.rows_in - prev.rows_rejected,
                           rejected=prev.rows_rejected, overlapping=prev.rows_overlapping,
                           replaced=prev.rows_replaced,
                           messages=[msg("intake.batch.replayed", batch=prev.id,
                                              previous=_stored_message(prev.message))])


def _stored_message(value: str | None) -> Message:
    """A batch's stored message (an old one written as plain text given as it is)."""
    return loads(value) or msg("intake.text", text=value or "")
