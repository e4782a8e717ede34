"""Files handed in through the browser: a pending upload, its preview, its mapping, its import.

中文：网页上传与填报——待确认的上传、预览、列映射、确认入库。

An upload is kept in the home's pending area (``$CARBONPEAK_HOME/uploads/pending/u<user>/<id>``),
never in the registry or the lake, until its user confirms it. Its preview is the import's own
validation (:func:`carbonpeak.intake.imports.import_file` with ``dry_run``): the same checks, the
same row errors. Confirming runs the same import for real, as the user (audit log, batches);
confirming again, or uploading the same bytes again, changes nothing. A pending upload is its
user's only (any other id is "not found") and is swept a day after it was made.

Who may upload what (:data:`UPLOAD_KINDS`, the rows' scope in :func:`upload_scope`): district
admins and analysts every import kind, energy audits and filings; entity managers ledgers,
readings and filings of their entities; street officers ledgers of the entities of their
street. Street boundaries (GeoJSON, admins and analysts) go through the same flow: the
preview is :func:`carbonpeak.intake.boundaries.import_boundaries` with ``dry_run`` (one row per
feature: the street it was matched to, how, its area), confirming imports them (audit-logged;
boundaries are not a batch).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from carbonpeak.domain.units import CARRIERS
from carbonpeak.errors import AccessDenied, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Lang, msg
from carbonpeak.intake.batches import BatchResult, messages_dict
from carbonpeak.intake.boundaries import import_boundaries
from carbonpeak.intake.formats import csvfiles, excel
from carbonpeak.intake.formats.vocab import COLUMNS, canonical_column
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.plausibility import ledger_history
from carbonpeak.storage.lake.store import folder_lock
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import Entity, UploadMapping, utcnow
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import IMPORT_KINDS, BatchChannel, BatchKind, Role

__all__ = [
    "BOUNDARIES",
    "BOUNDARY_COLUMNS",
    "PENDING_TTL_S",
    "PREVIEW_ROWS",
    "UPLOAD_KINDS",
    "confirm_upload",
    "in_lang",
    "create_upload",
    "discard_upload",
    "file_shape",
    "ledger_form",
    "preview_upload",
    "register_uploader",
    "set_mapping",
    "submit_ledger_form",
    "sweep_pending",
    "upload_scope",
]

#: the kinds each role may upload (everything else is refused, 403); energy audits, filings,
#: retrofit projects and weather are imported by an uploader the services register
#: (:func:`register_uploader`)
#: street boundaries: a GeoJSON upload (not a batch kind), previewed feature by feature
BOUNDARIES = "boundaries"
#: the columns of a boundaries preview (one row per feature)
BOUNDARY_COLUMNS = ("feature", "street", "name_zh", "name_en", "matched_by", "area_km2",
                    "changed")
UPLOAD_KINDS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_ADMIN: (*IMPORT_KINDS, BatchKind.ENERGY_AUDITS, BatchKind.OBLIGATION_FILINGS,
                          BatchKind.RETROFITS, BatchKind.WEATHER, BOUNDARIES),
    Role.DISTRICT_ANALYST: (*IMPORT_KINDS, BatchKind.ENERGY_AUDITS,
                            BatchKind.OBLIGATION_FILINGS, BatchKind.RETROFITS,
                            BatchKind.WEATHER, BOUNDARIES),
    Role.ENTITY_MANAGER: ("ledger", "readings", BatchKind.OBLIGATION_FILINGS),
    Role.STREET_OFFICER: ("ledger",),
}
#: imports a kind the intake kernel does not own: called as ``uploader(ws, path,
#: district=…, dry_run=…, rename=…, writable=…, unit_side=…)``, with the rules of
#: :func:`carbonpeak.intake.imports.import_file`
Uploader = Callable[..., BatchResult]
_UPLOADERS: dict[str, Uploader] = {}


def register_uploader(kind: str, uploader: Uploader) -> None:
    """Let uploads of ``kind`` be imported (and dry-run) by ``uploader``."""
    _UPLOADERS[kind] = uploader


def _run_import(ws: Workspace, p: Principal, kind: str, path: Path, *, dry_run: bool,
                rename: Mapping[str, str] | None,
                channel: str = BatchChannel.FILE) -> BatchResult:
    """The import of ``path`` as ``p`` (the kernel's, or a registered uploader's)."""
    as_p = dataclasses.replace(ws, actor=p.actor)
    if kind in _UPLOADERS:
        return _UPLOADERS[kind](as_p, path, district=p.district_id, dry_run=dry_run,
                                rename=rename, writable=upload_scope(ws, p),
                                unit_side=p.role == Role.ENTITY_MANAGER)
    return import_file(as_p, kind, path, district=p.district_id, dry_run=dry_run,
                       rename=rename, writable=upload_scope(ws, p), channel=channel)
#: a pending upload is swept this long after it was made
PENDING_TTL_S = 24 * 3600
#: data rows a preview shows (besides every row an error names)
PREVIEW_ROWS = 20
_ERROR_ROWS = 200
_ID = re.compile(r"^[0-9a-f]{32}$")
_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
_GEO_SUFFIXES = (".geojson", ".json")
_FEATURE = re.compile(r"^features\[(\d+)\]\.(properties|geometry)")


# -- who may upload what ---------------------------------------------------------------------
def _known(kind: str) -> bool:
    return kind in IMPORT_KINDS or kind in _UPLOADERS or kind == BOUNDARIES


def kind_columns(kind: str) -> list[dict[str, Any]]:
    """The columns of ``kind`` (a boundaries preview's own columns, none required)."""
    if kind == BOUNDARIES:
        return [{"column": c, "required": False} for c in BOUNDARY_COLUMNS]
    return [{"column": c, "required": req} for c, (req, _a) in COLUMNS[kind].items()]


def allowed_kinds(p: Principal) -> tuple[str, ...]:
    """The kinds ``p`` may upload."""
    return tuple(k for k in UPLOAD_KINDS.get(p.role, ()) if _known(k))


def _require_kind(p: Principal, kind: str) -> None:
    if not _known(kind):
        kinds = [*IMPORT_KINDS, *_UPLOADERS]
        raise InputValidationError([RowError(kind, None, None, kind,
                                             msg("intake.upload.unknown_kind",
                                                 kinds=", ".join(kinds)))])
    if kind not in allowed_kinds(p):
        msg_ = f"role {p.role} may not upload {kind} files"
        raise AccessDenied(msg_)


def upload_scope(ws: Workspace, p: Principal) -> set[str] | None:
    """The entities whose rows ``p`` may upload (``None``: all of its district)."""
    if p.role in (Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST):
        return None
    with ws.registry.session() as s:
        rows = [(str(r[0]), r[1], r[2]) for r in repo.entity_hierarchy_rows(s, p.district_id)]
    if p.role == Role.STREET_OFFICER:
        allowed = {e for e, _, st in rows if p.street_id is not None and st == p.street_id}
    elif p.role == Role.ENTITY_MANAGER:
        allowed = set(p.entity_ids)
    else:
        return set()
    grew = True
    while grew:  # an enterprise's buildings belong to it
        more = {e for e, parent, _ in rows if parent in allowed and e not in allowed}
        allowed |= more
        grew = bool(more)
    return allowed


# -- the pending area ------------------------------------------------------------------------
def _user_dir(ws: Workspace, p: Principal) -> Path:
    return ws.settings.home / "uploads" / "pending" / f"u{p.user_id}"


def _folder(ws: Workspace, p: Principal, upload_id: str) -> Path:
    """The folder of ``p``'s upload ``upload_id``; another user's, or none: not found."""
    folder = _user_dir(ws, p) / upload_id
    if not _ID.match(upload_id) or not (folder / "meta.json").is_file():
        msg_ = f"no upload {upload_id[:40]!r}"
        raise NotFoundError(msg_)
    return folder


def _meta(folder: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta


def _write_meta(folder: Path, meta: Mapping[str, Any]) -> None:
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "meta.json")


def _safe_name(filename: str) -> str:
    """The file's own name, as a batch records it: no folders, no control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")[:120]
    return name or "upload.csv"


def sweep_pending(ws: Workspace, *, now: float | None = None) -> int:
    """Remove pending uploads older than :data:`PENDING_TTL_S`; how many were removed."""
    root = ws.settings.home / "uploads" / "pending"
    if not root.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - PENDING_TTL_S
    n = 0
    for folder in root.glob("u*/*"):
        meta = folder / "meta.json"
        with contextlib.suppress(OSError):
            if (meta.stat().st_mtime if meta.exists() else folder.stat().st_mtime) < limit:
                shutil.rmtree(folder, ignore_errors=True)
                n += 1
    return n


def create_upload(ws: Workspace, p: Principal, kind: str, filename: str,
                  data: bytes) -> dict[str, Any]:
    """Keep ``data`` as ``p``'s pending upload of ``kind`` and answer its preview.

    Raises
    ------
    AccessDenied
        ``p``'s role may not upload ``kind``.
    InputValidationError
        An unknown kind, an empty file or one whose name is not .csv, .xlsx or .xls.
    """
    _require_kind(p, kind)
    name = _safe_name(filename)
    suffixes = _GEO_SUFFIXES if kind == BOUNDARIES else _SUFFIXES
    if not name.lower().endswith(suffixes) or not data:
        raise InputValidationError([RowError(name, None, None, None, msg(
            "intake.upload.bad_geo_file" if kind == BOUNDARIES else "intake.upload.bad_file"))])
    sweep_pending(ws)
    upload_id = secrets.token_hex(16)
    folder = _user_dir(ws, p) / upload_id
    folder.mkdir(parents=True)
    (folder / "file").mkdir()
    (folder / "file" / name).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    meta = {"id": upload_id, "user_id": p.user_id, "actor": p.actor,
            "district_id": p.district_id, "kind": kind, "filename": name, "size": len(data),
            "sha256": digest, "created_at": utcnow().isoformat() + "Z", "mapping": None,
            "result": None}
    _write_meta(folder, meta)
    with ws.registry.session() as s:
        audit(s, p.actor, "upload", "upload", upload_id,
              {"kind": kind, "file": name, "sha256": digest, "bytes": len(data)},
              district=p.district_id)
    return preview_upload(ws, p, upload_id)


def discard_upload(ws: Workspace, p: Principal, upload_id: str) -> None:
    """Discard ``p``'s pending upload (nothing of it was stored)."""
    folder = _folder(ws, p, upload_id)
    meta = _meta(folder)
    shutil.rmtree(folder, ignore_errors=True)
    with ws.registry.session() as s:
        audit(s, p.actor, "discard", "upload", upload_id,
              {"kind": meta["kind"], "file": meta["filename"]}, district=p.district_id)


# -- headers, shapes and mappings ------------------------------------------------------------
def _raw_table(path: Path, kind: str) -> tuple[list[str], list[list[str]], list[int], str | None]:
    """The file's headers, rows (as text), their line numbers, and its sheet."""
    fmt = excel.spreadsheet_format(path)
    if fmt is not None:
        t = excel.read_spreadsheet(path, kind, fmt)
        return t.headers, t.rows, t.lines, t.sheet
    text, _enc = csvfiles.decode_text(path.read_bytes(), path.name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputValidationError([RowError(path.name, None, None, None,
                                             msg("intake.file.bad_csv", detail=str(exc)))]
                                   ) from None
    headers = [str(c) for c in frame.columns]
    rows = [[str(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    return headers, rows, list(range(2, len(rows) + 2)), None


def file_shape(kind: str, headers: list[str]) -> str:
    """A file's shape: its kind and ordered headers, hashed (how a mapping is remembered)."""
    return hashlib.sha256("\x1f".join([kind, *headers]).encode("utf-8")).hexdigest()


def _remembered(ws: Workspace, p: Principal, kind: str, shape: str) -> dict[str, str] | None:
    with ws.registry.session() as s:
        m = repo.upload_mapping(s, p.user_id, kind, shape)
        return {str(k): str(v) for k, v in m.mapping.items()} if m is not None else None


def set_mapping(ws: Workspace, p: Principal, upload_id: str,
                mapping: Mapping[str, str]) -> dict[str, Any]:
    """Map the upload's headers to the kind's columns (``""``: ignore), remember the mapping for
    ``p`` and this file shape, and answer the new preview.

    Raises
    ------
    InputValidationError
        A header not in the file, a column not in the kind's contract, or a column chosen twice.
    """
    folder = _folder(ws, p, upload_id)
    meta = _meta(folder)
    kind = meta["kind"]
    if kind == BOUNDARIES:  # a GeoJSON file has no columns to map
        raise InputValidationError([RowError(meta["filename"], None, None, None,
                                             msg("intake.upload.no_mapping"))])
    headers, _rows, _lines, _sheet = _raw_table(_file(folder, meta), kind)
    errors = []
    chosen: dict[str, str] = {}
    for header, column in mapping.items():
        if header not in headers:
            errors.append(RowError(meta["filename"], None, header, None,
                                   msg("intake.upload.no_such_header")))
        elif column and column not in COLUMNS[kind]:
            errors.append(RowError(meta["filename"], None, header, column,
                                   msg("intake.upload.no_such_column",
                                       columns=", ".join(COLUMNS[kind]))))
        elif column and column in chosen.values():
            errors.append(RowError(meta["filename"], None, header, column,
                                   msg("intake.file.duplicate_column", column=column)))
        else:
            chosen[header] = column
    if errors:
        raise InputValidationError(errors)
    shape = file_shape(kind, headers)
    with ws.registry.session() as s:
        m = repo.upload_mapping(s, p.user_id, kind, shape)
        if m is None:
            s.add(UploadMapping(user_id=p.user_id, kind=kind, shape=shape, mapping=chosen))
        else:
            m.mapping = chosen
        audit(s, p.actor, "map", "upload", upload_id, {"mapping": chosen, "shape": shape},
              district=p.district_id)
    meta["mapping"] = chosen
    _write_meta(folder, meta)
    return preview_upload(ws, p, upload_id)


def _file(folder: Path, meta: Mapping[str, Any]) -> Path:
    return folder / "file" / str(meta["filename"])


def _proposed(kind: str, headers: list[str], chosen: Mapping[str, str] | None
              ) -> dict[str, str]:
    """Per header, the column it is read as (``""``: ignored)."""
    out: dict[str, str] = {}
    for h in headers:
        if chosen is not None and h in chosen:
            out[h] = chosen[h]
        else:
            out[h] = canonical_column(kind, h) or ""
    return out


# -- preview and confirm ---------------------------------------------------------------------
def _error_dict(e: RowError, header_of: Mapping[str, str]) -> dict[str, Any]:
    return {"sheet": e.sheet, "row": e.row, "column": e.column,
            "header": header_of.get(e.column or "", e.column), "value": e.value,
            "code": e.code, "message": e.text("en"), "message_zh": e.text("zh")}


def _result_dict(r: BatchResult) -> dict[str, Any]:
    return {"batch_id": r.batch_id, "status": r.status, "rows_in": r.rows_in,
            "accepted": r.accepted, "rejected": r.rejected, **messages_dict(r.messages, "en")}


def in_lang(body: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """An upload's answer with its ``messages`` (and its result's) in ``lang``, the request's
    language (the answers are built, and a confirmed upload's result kept, with both)."""
    for part in (body, body.get("result")):
        if isinstance(part, dict) and "messages_zh" in part:
            part["messages"] = list(part["messages_zh" if lang == "zh" else "messages_en"])
    return body


def preview_upload(ws: Workspace, p: Principal, upload_id: str) -> dict[str, Any]:
    """The upload's preview: headers and the columns they map to, the first rows and every
    row an error names, and the import's own validation of it (nothing stored)."""
    folder = _folder(ws, p, upload_id)
    meta = _meta(folder)
    kind, path = meta["kind"], _file(folder, meta)
    out: dict[str, Any] = {
        "upload_id": upload_id, "kind": kind, "filename": meta["filename"],
        "size": meta["size"], "created_at": meta["created_at"],
        "columns": kind_columns(kind),
        "headers": [], "mapping": {}, "mapping_source": "aliases", "needs_mapping": False,
        "sheet": None, "rows": [], "rows_total": 0, "errors": [], "status": "refused",
        "result": meta.get("result"),
    }
    if kind == BOUNDARIES:
        return _boundaries_preview(ws, p, path, out)
    try:
        headers, rows, lines, sheet = _raw_table(path, kind)
    except InputValidationError as exc:
        out["errors"] = [_error_dict(e, {}) for e in exc.errors]
        return out
    shape = file_shape(kind, headers)
    chosen = meta.get("mapping")
    source = "user" if chosen is not None else "aliases"
    if chosen is None:
        chosen = _remembered(ws, p, kind, shape)
        source = "remembered" if chosen is not None else "aliases"
    mapping = _proposed(kind, headers, chosen)
    required = [c for c, (req, _a) in COLUMNS[kind].items() if req]
    unmatched = [h for h in headers if h and not mapping[h]]
    needs = (bool(unmatched) and source == "aliases") or any(
        c not in mapping.values() for c in required)
    header_of = {c: h for h, c in mapping.items() if c}
    errors: list[RowError] = []
    status = "refused"
    try:
        res = _run_import(ws, p, kind, path, dry_run=True, rename=chosen)
        status = res.status  # validated or duplicate
        out.update(messages_dict(res.messages, "en"))
        out["would_store"] = res.rows_in
        if res.status == "duplicate":
            out["duplicate_of"] = res.batch_id
    except InputValidationError as exc:
        errors = list(exc.errors)
    named = {e.row for e in errors if e.row is not None}
    shown = [(ln, r) for i, (ln, r) in enumerate(zip(lines, rows, strict=True))
             if i < PREVIEW_ROWS or ln in named][:PREVIEW_ROWS + _ERROR_ROWS]
    out.update(headers=headers, mapping=mapping, mapping_source=source, needs_mapping=needs,
               sheet=sheet, shape=shape, rows_total=len(rows), status=status,
               rows=[{"row": ln, "cells": r} for ln, r in shown],
               errors=[_error_dict(e, header_of) for e in errors[:1000]],
               error_count=len(errors))
    return out


def _boundary_error(e: RowError) -> dict[str, Any]:
    """A boundary error placed on its feature's row (1-based) and column of the preview."""
    out = _error_dict(e, {})
    m = _FEATURE.match(e.column or "")
    if m is not None:
        out["row"] = int(m.group(1)) + 1
        out["header"] = "area_km2" if m.group(2) == "geometry" else "street"
    return out


def _boundaries_preview(ws: Workspace, p: Principal, path: Path,
                        out: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON upload's preview: its dry run, one row per feature (the feature's number from
    1, the street it matched, by which property, its area in km², whether it changes)."""
    as_p = dataclasses.replace(ws, actor=p.actor)
    headers = list(BOUNDARY_COLUMNS)
    out.update(headers=headers, mapping={h: h for h in headers})
    try:
        res = import_boundaries(as_p, path, district=p.district_id, dry_run=True)
    except InputValidationError as exc:
        out.update(errors=[_boundary_error(e) for e in exc.errors[:1000]],
                   error_count=len(exc.errors))
        return out
    rows = [{"row": f["feature"] + 1, "cells": [
        str(f["feature"] + 1), f["street"], f["name_zh"], f["name_en"],
        str(f["matched_by"]), f"{f['area_km2']:.3f}", "1" if f["changed"] else "0"]}
        for f in res["features"]]
    out.update(rows=rows[:PREVIEW_ROWS + _ERROR_ROWS], rows_total=len(rows),
               status="validated" if res["updated"] else "duplicate",
               would_store=res["updated"], error_count=0, messages=[])
    return out


def _confirm_boundaries(ws: Workspace, p: Principal, path: Path) -> dict[str, Any]:
    res = import_boundaries(dataclasses.replace(ws, actor=p.actor), path,
                            district=p.district_id, note=f"{path.name} (upload by {p.actor})")
    n = res["updated"] + res["unchanged"]
    return {"batch_id": None, "status": "committed" if res["updated"] else "duplicate",
            "rows_in": n, "accepted": res["updated"], "rejected": 0,
            **messages_dict([msg("intake.batch.boundaries", stored=res["updated"],
                                 unchanged=res["unchanged"])], "en")}


def confirm_upload(ws: Workspace, p: Principal, upload_id: str) -> dict[str, Any]:
    """Import ``p``'s pending upload as ``p`` (durable before this answers). Confirming again
    answers the same batch; the same bytes confirmed in another upload are a ``duplicate``.

    Raises
    ------
    InputValidationError
        The file is refused (the same errors as its preview); nothing stored.
    """
    folder = _folder(ws, p, upload_id)
    with folder_lock(folder):
        meta = _meta(folder)
        if meta.get("result") is not None:
            return {"upload_id": upload_id, **meta["result"], "again": True}
        kind, path = meta["kind"], _file(folder, meta)
        _require_kind(p, kind)
        if kind == BOUNDARIES:
            meta["result"] = _confirm_boundaries(ws, p, path)
            _write_meta(folder, meta)
            with ws.registry.session() as s:
                audit(s, p.actor, "confirm", "upload", upload_id,
                      {"kind": kind, "file": meta["filename"], "batch": None,
                       "status": meta["result"]["status"]}, district=p.district_id)
            return {"upload_id": upload_id, **meta["result"], "again": False}
        chosen = meta.get("mapping")
        if chosen is None:  # as the preview read it: the user's mapping of this shape
            chosen = _remembered(ws, p, kind, file_shape(kind, _raw_table(path, kind)[0]))
        res = _run_import(ws, p, kind, path, dry_run=False, rename=chosen)
        meta["result"] = _result_dict(res)
        _write_meta(folder, meta)
        with ws.registry.session() as s:
            audit(s, p.actor, "confirm", "upload", upload_id,
                  {"kind": meta["kind"], "file": meta["filename"], "batch": res.batch_id,
                   "status": res.status}, district=p.district_id)
    return {"upload_id": upload_id, **meta["result"], "again": False}


# -- a month's ledger in a form --------------------------------------------------------------
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _entity_in_scope(ws: Workspace, p: Principal, entity_id: str) -> Entity:
    if "ledger" not in allowed_kinds(p):
        msg_ = f"role {p.role} may not enter ledgers"
        raise AccessDenied(msg_)
    scope = upload_scope(ws, p)
    with ws.registry.session() as s:
        e = s.get(Entity, entity_id)
        if e is None or e.district_id != p.district_id or (
                scope is not None and entity_id not in scope):
            msg_ = f"no entity {entity_id[:64]!r} you may enter a ledger for"
            raise NotFoundError(msg_)
        s.expunge(e)
        return e


def _check_month(month: str) -> tuple[int, int]:
    m = _MONTH.match(month)
    if m is None:
        raise InputValidationError([RowError("form", None, "period", month,
                                             msg("intake.cell.month", example="2024-03"))])
    return int(m.group(1)), int(m.group(2))


def ledger_form(ws: Workspace, p: Principal, entity_id: str, month: str) -> dict[str, Any]:
    """The ledger form of ``entity_id`` for ``month``: per carrier its canonical unit, the
    quantity stored for the month and for the same month a year before (for a plausibility
    check), as stored (canonical unit)."""
    e = _entity_in_scope(ws, p, entity_id)
    year, mon = _check_month(month)
    last = f"{year - 1}-{mon:02d}"
    history = ledger_history(ws, p.district_id)
    fields = []
    for code, c in CARRIERS.items():
        months = history.get((entity_id, code), {})
        fields.append({"carrier": code, "unit": c.canonical_unit,
                       "name_zh": c.name_zh, "name_en": c.name_en,
                       "current": months.get(month), "last_year": months.get(last)})
    return {"entity_id": e.id, "entity_name": e.name, "month": month, "last_year_month": last,
            "fields": fields}


def submit_ledger_form(ws: Workspace, p: Principal, entity_id: str, month: str,
                       entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Store a month's ledger entries of one entity as a ledger batch of channel ``web``,
    through the same import as a file (validation, plausibility, audit, idempotency).

    Raises
    ------
    InputValidationError
        An entry is refused (row = its place in the form, from 2 as in a file): nothing stored.
    """
    _entity_in_scope(ws, p, entity_id)
    _check_month(month)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["entity_id", "period", "carrier", "quantity", "unit"])
    for ent in entries:
        w.writerow([entity_id, month, str(ent.get("carrier", "")),
                    str(ent.get("quantity", "")), str(ent.get("unit", ""))])
    data = buf.getvalue().encode("utf-8")
    sweep_pending(ws)
    folder = _user_dir(ws, p) / "forms"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"ledger-form-{_safe_name(entity_id)}-{month}-{stamp}.csv"
    path.write_bytes(data)
    try:
        res = _run_import(ws, p, "ledger", path, dry_run=False, rename=None,
                          channel=BatchChannel.WEB)
    finally:
        path.unlink(missing_ok=True)
    return _result_dict(res)
