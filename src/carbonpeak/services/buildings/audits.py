"""Energy audits, the audit schedule and key units' obligations: the use cases.

中文：能源审计记录、审计周期表（到期/逾期/从未审计）与重点用能单位义务清单。

* Audit records (能源审计/节能诊断) come from files (:func:`import_audits`) or one at a time
  (:func:`record_audit`); key units' filings likewise (:func:`import_filings`,
  :func:`record_filing`). Upserts by natural key: (entity, date, kind) for audits, (entity,
  obligation, year) for filings; a record equal to the stored one changes nothing, a file
  already imported (same SHA-256) is reported as a duplicate and writes nothing, every change
  is audit-logged. A filing recorded by the district (an analyst, an admin, a file import) is
  not changed by a unit's entity manager.
* :func:`audit_schedule` applies the district profile's ``[buildings]`` rule (Huangpu: public
  buildings ≥ 10,000 m² at least once every 5 years) to the buildings in scope on a date.
* :func:`obligations` is the checklist of every key unit (``Entity.is_key_unit``) for a year:
  monitoring coverage in the official account, the filings the district's profile lists,
  the audit of its covered buildings and its open quota cases.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbonpeak.domain.audits import (
    CHECK_STATUSES,
    OBLIGATIONS,
    SCHEDULE_STATUSES,
    AuditRule,
    KeyUnitRules,
    ScheduleEntry,
    add_years,
    audit_item_status,
    coverage_share,
    filing_status,
    monitoring_status,
    quota_item_status,
    schedule_status,
)
from carbonpeak.errors import (
    AccessDenied,
    ConfigError,
    InputValidationError,
    NotFoundError,
    RowError,
)
from carbonpeak.i18n import (
    LANGS,
    Lang,
    Message,
    Text,
    catalogue,
    label,
    label_text,
    render,
    stored_text,
)
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.audit_files import (
    check_audit,
    check_filing,
    parse_audits,
    parse_filings,
    raw_headers,
    savings_scale,
)
from carbonpeak.intake.batches import (
    BatchResult,
    Tally,
    audited_upsert,
    close_batch,
    file_sha256,
    find_duplicate,
    new_batch,
)
from carbonpeak.intake.formats import csvfiles
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.accounting.verifications import district_profile
from carbonpeak.storage.registry.models import (
    District,
    EnergyAudit,
    Entity,
    IngestBatch,
    ObligationFiling,
    QuotaCase,
)
from carbonpeak.storage.registry.repositories import buildings as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import (
    BatchKind,
    QuotaCaseStatus,
)

__all__ = [
    "AUDIT_COLUMNS_OUT",
    "CHECKLIST_COLUMNS",
    "SCHEDULE_COLUMNS",
    "audit_dict",
    "audit_min_counts",
    "audit_schedule",
    "checklist_rows",
    "district_today",
    "filing_dict",
    "import_audits",
    "import_filings",
    "list_audits",
    "obligations",
    "obligations_workbook",
    "record_audit",
    "record_filing",
    "resolve_street",
    "schedule_workbook",
]

AUDIT_COLUMNS_OUT = ["id", "entity_id", "name", "street", "kind", "kind_zh", "audit_date",
                     "auditor", "report_ref", "findings", "recommended_measures",
                     "estimated_savings_tce", "created_by"]
SCHEDULE_COLUMNS = ["entity_id", "name", "street", "kind", "building_type", "floor_area_m2",
                    "is_key_unit", "n_audits", "last_audit_date", "last_audit_kind",
                    "last_auditor", "next_due", "status", "status_zh", "status_en",
                    "days_overdue"]
CHECKLIST_COLUMNS = ["entity_id", "name", "street", "item", "code", "label_zh", "label_en",
                     "status", "status_zh", "status_en", "deadline", "evidence", "evidence_zh"]
_STATUS_ORDER = {s: i for i, s in enumerate(SCHEDULE_STATUSES)}
_CHECK_ORDER = {s: i for i, s in enumerate(CHECK_STATUSES)}


def district_today(d: District) -> dt.date:
    """Today in the district's time zone (what "a date in the future" means there)."""
    return dt.datetime.now(ZoneInfo(d.timezone or "Asia/Shanghai")).date()


# -- imports ---------------------------------------------------------------------------------


def _with_sheet(errors: list[RowError], pf: csvfiles.ParsedFile) -> list[RowError]:
    if pf.sheet is None:
        return errors
    return [replace(e, sheet=pf.sheet) if e.sheet is None else e for e in errors]


def _check_entities(s: Session, district_id: str, recs: list[dict[str, Any]], file: str,
                    sheet: str | None) -> None:
    ids = sorted({r["entity_id"] for r in recs})
    where: dict[str, str] = repo.entity_districts(s, ids)
    errors = []
    for r in recs:
        home = where.get(r["entity_id"])
        if home is None:
            errors.append(RowError(file, r["_line"], "entity_id", r["entity_id"],
                                   i18n_msg("intake.cell.unregistered_entity"), sheet))
        elif home != district_id:
            errors.append(RowError(file, r["_line"], "entity_id", r["entity_id"],
                                   i18n_msg("intake.audit.entity_of_other_district", home=home,
                                       district=district_id), sheet))
    if errors:
        raise InputValidationError(errors)


def _import(ws: Workspace, kind: str, path: Path, district: str | None,
            parse: Callable[[csvfiles.ParsedFile, District], list[dict[str, Any]]],
            store: Callable[[Session, Workspace, str, IngestBatch | None, dict[str, Any],
                             Tally], None], *, dry_run: bool = False,
            rename: Mapping[str, str] | None = None,
            writable: AbstractSet[str] | None = None) -> BatchResult:
    """Import a file of audits or filings; ``dry_run``, ``rename`` and ``writable`` as for
    :func:`carbonpeak.intake.imports.import_file` (the browser's uploads)."""
    d = ws.district(district)
    if not path.is_file():
        raise InputValidationError([RowError(path.name, None, None, None,
                                             i18n_msg("intake.file.not_found"))])
    digest = file_sha256(path)
    duplicate = find_duplicate(ws, d.id, kind, digest, path.name)
    if duplicate is not None:  # the same bytes again: nothing to do, nothing written
        return duplicate
    pf = csvfiles.read_import_file(path, kind, rename=rename)
    try:
        recs = parse(pf, d)
    except InputValidationError as exc:
        raise InputValidationError(_with_sheet(exc.errors, pf)) from None
    with ws.registry.session() as s:
        _check_entities(s, d.id, recs, pf.name, pf.sheet)
        if writable is not None:
            outside = [RowError(pf.name, r["_line"], "entity_id", r["entity_id"],
                                i18n_msg("intake.upload.not_in_scope", entity=r["entity_id"]),
                                pf.sheet) for r in recs if r["entity_id"] not in writable]
            if outside:
                raise InputValidationError(outside)
        if dry_run:  # validated, nothing stored
            return BatchResult(kind, path.name, None, "validated", rows_in=len(recs),
                               added=len(recs))
        batch = new_batch(s, ws, d.id, kind, path.name, digest, rows_in=len(recs))
        counts = Tally()
        for rec in recs:
            store(s, ws, d.id, batch, rec, counts)
        return close_batch(s, ws, batch, counts)


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [_plain(getattr(obj, k)), _plain(v)] for k, v in values.items()
            if getattr(obj, k) != v}


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _store_audit(s: Session, ws: Workspace, district_id: str, batch: IngestBatch | None,
                 rec: dict[str, Any], counts: Tally) -> None:
    values = {k: rec[k] for k in ("auditor", "report_ref", "findings", "recommended_measures",
                                  "estimated_savings_tce")}
    key = f"{rec['entity_id']}/{rec['audit_date'].isoformat()}/{rec['kind']}"
    where = {"batch": batch.id} if batch is not None else {"channel": "api"}
    obj = repo.audit_by_key(s, rec["entity_id"], rec["audit_date"], rec["kind"])
    counts.count(audited_upsert(
        s, ws.actor, obj, values, object_type="energy_audit", key=key, district_id=district_id,
        create=lambda: EnergyAudit(district_id=district_id, entity_id=rec["entity_id"],
                                   kind=rec["kind"], audit_date=rec["audit_date"],
                                   batch_id=batch.id if batch is not None else None,
                                   created_by=ws.actor, **values),
        context=where, on_change={"batch_id": batch.id if batch is not None else None}))


def _district_hands(s: Session, district_id: str, key: str, obj: ObligationFiling,
                    actor: str) -> list[str]:
    """Who, other than ``actor`` and the units' entity managers, recorded or changed the filing
    (its creator and the audit log's actors): the district's hands, or none."""
    actors = {obj.created_by,
              *repo.audit_log_actors(s, district_id, "obligation_filing", key)} - {actor}
    users = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    managers = repo.entity_manager_usernames(s, users) if users else set()
    return sorted(a for a in actors
                  if not (a.startswith("user:") and a.removeprefix("user:") in managers))


def _store_filing(s: Session, ws: Workspace, district_id: str, batch: IngestBatch | None,
                  rec: dict[str, Any], counts: Tally, *,
                  unit_side: bool = False) -> None:
    """Upsert a filing. ``unit_side``: the writer is a unit's entity manager, who may create a
    filing and change one the unit's managers recorded, not one the district recorded or
    changed (:class:`AccessDenied`)."""
    values = {"filed_on": rec["filed_on"], "reference": rec["reference"], "note": rec["note"]}
    key = f"{rec['entity_id']}/{rec['obligation']}/{rec['year']}"
    where = {"batch": batch.id} if batch is not None else {"channel": "api"}
    obj = repo.filing_by_key(s, rec["entity_id"], rec["obligation"], rec["year"])
    if obj is None:
        s.add(ObligationFiling(district_id=district_id, entity_id=rec["entity_id"],
                               obligation=rec["obligation"], year=rec["year"],
                               batch_id=batch.id if batch is not None else None,
                               created_by=ws.actor, **values))
        audit(s, ws.actor, "create", "obligation_filing", key,
              {k: _plain(v) for k, v in values.items()} | where, district=district_id)
        counts.count("added")
        return
    changes = _changes(obj, values)
    if not changes:
        counts.count("unchanged")
        return
    if unit_side:
        hands = _district_hands(s, district_id, key, obj, ws.actor)
        if hands:
            msg = (f"the filing {key} was recorded by the district ({', '.join(hands)}): an "
                   "entity manager may not change it; ask the district's analysts to correct "
                   f"it 该报送记录由区级用户登记（{', '.join(hands)}），单位用户不能修改")
            raise AccessDenied(msg)
    for k, v in values.items():
        setattr(obj, k, v)
    obj.batch_id = batch.id if batch is not None else None
    audit(s, ws.actor, "update", "obligation_filing", key, {"changes": changes} | where,
          district=district_id)
    counts.count("updated")


def import_audits(ws: Workspace, path: Path, *, district: str | None = None,
                  today: dt.date | None = None, dry_run: bool = False,
                  rename: Mapping[str, str] | None = None,
                  writable: AbstractSet[str] | None = None,
                  unit_side: bool = False) -> BatchResult:
    """Import audit records (CSV, .xlsx, .xls; UTF-8 or GB18030; Chinese or English headers).

    All or nothing: every bad cell, unknown entity or entity of another district is named by
    file, row and column. The savings header's unit is read (tce, 万tce, kgce; any other is
    refused). The same file again is a ``duplicate`` (nothing written); the same rows in
    another file change nothing (``unchanged``).
    """
    def parse(pf: csvfiles.ParsedFile, d: District) -> list[dict[str, Any]]:
        headers, line, sheet = raw_headers(path, "energy_audits")
        scale = savings_scale(headers, pf.name, header_line=line, sheet=sheet)
        return parse_audits(pf, today=today or district_today(d), scale=scale)

    del unit_side  # audits have no unit side (an argument so every uploader is called alike)
    return _import(ws, BatchKind.ENERGY_AUDITS, path, district, parse, _store_audit,
                   dry_run=dry_run, rename=rename, writable=writable)


def import_filings(ws: Workspace, path: Path, *, district: str | None = None,
                   today: dt.date | None = None, dry_run: bool = False,
                   rename: Mapping[str, str] | None = None,
                   writable: AbstractSet[str] | None = None,
                   unit_side: bool = False) -> BatchResult:
    """Import key units' filings; the obligations allowed are the district profile's
    (``[key_units.obligations]``). All or nothing, idempotent, audit-logged. ``unit_side``:
    uploaded by a unit's entity manager (see :func:`record_filing`); ``dry_run``, ``rename``
    and ``writable`` as for :func:`carbonpeak.intake.imports.import_file`."""
    def parse(pf: csvfiles.ParsedFile, d: District) -> list[dict[str, Any]]:
        allowed = KeyUnitRules.from_profile(district_profile(ws, d)).obligations
        return parse_filings(pf, today=today or district_today(d), allowed=allowed)

    return _import(ws, BatchKind.OBLIGATION_FILINGS, path, district, parse,
                   functools.partial(_store_filing, unit_side=unit_side), dry_run=dry_run,
                   rename=rename, writable=writable)


def _entity_in(s: Session, district_id: str, entity_id: str, visible: Callable[[str], bool]
               ) -> Entity:
    e = s.get(Entity, entity_id)
    if e is None or e.district_id != district_id or not visible(e.id):
        msg = f"no entity {entity_id!r} in {district_id}"
        raise NotFoundError(msg)
    return e


def _single(ws: Workspace, district_id: str, rec: dict[str, Any],
            visible: Callable[[str], bool],
            store: Callable[[Session, Workspace, str, IngestBatch | None, dict[str, Any],
                             Tally], None],
            kind: str) -> BatchResult:
    for attempt in (1, 2):  # a concurrent insert of the same key: the second try updates it
        counts = Tally()
        try:
            with ws.registry.session() as s:
                _entity_in(s, district_id, rec["entity_id"], visible)
                store(s, ws, district_id, None, rec, counts)
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        return BatchResult(kind, "request", None, "committed" if counts.written else "no_change",
                           rows_in=1, added=counts.added, updated=counts.updated,
                           unchanged=counts.unchanged)
    raise AssertionError  # pragma: no cover - the loop returns or raises


def record_audit(ws: Workspace, district_id: str, body: dict[str, Any], *,
                 visible: Callable[[str], bool] | None = None,
                 today: dt.date | None = None) -> tuple[BatchResult, dict[str, Any]]:
    """Record one audit (the API's POST): the same checks as a file row; an entity outside
    ``visible`` is reported like one that does not exist. Returns the counts and the record."""
    d = ws.district(district_id)
    rec, errors = check_audit(body, ("request", None), today or district_today(d))
    if rec is None:
        raise InputValidationError(errors)
    counts = _single(ws, d.id, rec, visible or (lambda _e: True), _store_audit, "energy_audit")
    with ws.registry.session() as s:
        a = repo.stored_audit(s, rec["entity_id"], rec["audit_date"], rec["kind"])
        return counts, audit_dict(a, *_names(s, [a.entity_id]))


def record_filing(ws: Workspace, district_id: str, body: dict[str, Any], *,
                  visible: Callable[[str], bool] | None = None,
                  today: dt.date | None = None,
                  unit_side: bool = False) -> tuple[BatchResult, dict[str, Any]]:
    """Record one key unit's filing (the API's POST); see :func:`record_audit`.

    ``unit_side``: the writer is the unit's entity manager; a filing the district recorded or
    changed is then not changed (:class:`AccessDenied`), the unit's own are.
    """
    d = ws.district(district_id)
    allowed = KeyUnitRules.from_profile(district_profile(ws, d)).obligations
    rec, errors = check_filing(body, ("request", None), today or district_today(d), allowed)
    if rec is None:
        raise InputValidationError(errors)
    counts = _single(ws, d.id, rec, visible or (lambda _e: True),
                     functools.partial(_store_filing, unit_side=unit_side), "obligation_filing")
    with ws.registry.session() as s:
        f = repo.stored_filing(s, rec["entity_id"], rec["obligation"], rec["year"])
        return counts, filing_dict(f)


# -- reading ---------------------------------------------------------------------------------
def _names(s: Session, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Entity names and street names (Chinese) of ``ids``."""
    rows = repo.entity_street_names(s, ids)
    return ({str(r[0]): str(r[1]) for r in rows},
            {str(r[0]): str(r[2]) for r in rows if r[2] is not None})


def audit_dict(a: EnergyAudit, names: dict[str, str] | None = None,
               streets: dict[str, str] | None = None) -> dict[str, Any]:
    """An audit record as a JSON-safe dict."""
    return {"id": a.id, "entity_id": a.entity_id, "name": (names or {}).get(a.entity_id),
            "street": (streets or {}).get(a.entity_id), "kind": a.kind,
            "kind_zh": label_text("audit_kind", a.kind, "zh"),
            "audit_date": a.audit_date.isoformat(), "auditor": a.auditor,
            "report_ref": a.report_ref, "findings": a.findings,
            "recommended_measures": list(a.recommended_measures or []),
            "estimated_savings_tce": a.estimated_savings_tce, "created_by": a.created_by}


def filing_dict(f: ObligationFiling) -> dict[str, Any]:
    """A filing as a JSON-safe dict (with the obligation's labels and deadline)."""
    ob = OBLIGATIONS.get(f.obligation)
    return {"id": f.id, "entity_id": f.entity_id, "obligation": f.obligation,
            "label_zh": ob.label_zh if ob else f.obligation,
            "label_en": ob.label_en if ob else f.obligation, "year": f.year,
            "filed_on": f.filed_on.isoformat(),
            "deadline": ob.deadline(f.year).isoformat() if ob else None,
            "reference": f.reference, "note": f.note, "created_by": f.created_by}


def resolve_street(s: Session, scope: AccessScope, street: str) -> int:
    """The id of a street of the scope's district by id, code or name; outside the scope it
    is reported like a street that does not exist."""
    for st in repo.district_streets(s, scope.district_id):
        if street in (str(st.id), st.code, st.name_zh, st.name_en,
                      st.name_zh.removesuffix("街道")) and scope.sees_street(st.id):
            return st.id
    msg = f"no street {street!r} in {scope.district_id}"
    raise NotFoundError(msg)


def list_audits(ws: Workspace, scope: AccessScope, *, entity: str | None = None,
                street: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Audit records in ``scope`` (newest first); an entity or street outside the scope is
    reported like one that does not exist."""
    with ws.registry.session() as s:
        if entity is not None:
            visible = repo.visible_entity(s, entity, scope.entity_condition())
            if visible is None:
                msg = f"no entity {entity!r} in {scope.district_id}"
                raise NotFoundError(msg)
        street_id = resolve_street(s, scope, street) if street is not None else None
        rows = repo.audits_in_scope(s, scope.district_id, scope.entity_condition(),
                                    entity=entity, street_id=street_id, kind=kind)
        names, streets = _names(s, [a.entity_id for a in rows])
        return [audit_dict(a, names, streets) for a in rows]


# -- the schedule ----------------------------------------------------------------------------
def _entities(s: Session, district_id: str) -> pd.DataFrame:
    return pd.DataFrame(repo.district_entity_rows(s, district_id), columns=[
        "entity_id", "name", "kind", "building_type", "floor_area_m2", "street_id", "street",
        "parent_id", "is_key_unit", "key_unit_rule", "key_unit_year"])


def _last_audits(s: Session, district_id: str, rule: AuditRule,
                 as_of: dt.date) -> dict[str, tuple[dt.date, str, str, int]]:
    """Per entity: (date, kind, auditor) of its last audit up to ``as_of`` and how many."""
    out: dict[str, tuple[dt.date, str, str, int]] = {}
    for eid, day, kind, auditor in repo.audits_up_to(s, district_id, rule.kinds, as_of):
        n = out[eid][3] + 1 if eid in out else 1
        out[str(eid)] = (day, str(kind), str(auditor), n)
    return out


def _schedule_frame(ws: Workspace, d: District, rule: AuditRule,
                    as_of: dt.date) -> pd.DataFrame:
    """Every entity of the district with its coverage reason and, when covered, its entry."""
    with ws.registry.session() as s:
        ents = _entities(s, d.id)
        last = _last_audits(s, d.id, rule, as_of)
    area = ents["floor_area_m2"].astype("float64")
    ents["reason"] = [rule.coverage_reason(k, t, None if np.isnan(a) else float(a))
                      for k, t, a in zip(ents["kind"], ents["building_type"], area,
                                         strict=True)]
    entries: list[ScheduleEntry | None] = []
    for eid, reason in zip(ents["entity_id"], ents["reason"], strict=True):
        got = last.get(eid)
        entries.append(schedule_status(got[0] if got else None, as_of,
                                       interval_years=rule.interval_years,
                                       rule_start=rule.rule_start)
                       if reason == "covered" else None)
    ents["entry"] = pd.Series(entries, index=ents.index, dtype=object)
    ents["last"] = pd.Series([last.get(e) for e in ents["entity_id"]], index=ents.index,
                             dtype=object)
    return ents


def _rule_dict(rule: AuditRule) -> dict[str, Any]:
    return {"min_floor_area_m2": rule.min_floor_area_m2, "interval_years": rule.interval_years,
            "building_types": list(rule.building_types), "entity_kinds": list(rule.entity_kinds),
            "kinds": list(rule.kinds), "rule_start": rule.rule_start.isoformat(),
            "entries": rule.entries,
            "statuses": sorted({str(e["status"]) for e in rule.entries.values()})}


def _schedule_item(r: Mapping[Hashable, Any]) -> dict[str, Any]:
    e: ScheduleEntry = r["entry"]
    last = r["last"]
    area = r["floor_area_m2"]
    return {"entity_id": r["entity_id"], "name": r["name"], "street": r["street"],
            "kind": r["kind"], "building_type": r["building_type"],
            "floor_area_m2": None if area is None or area != area else float(area),
            "is_key_unit": bool(r["is_key_unit"]), "n_audits": last[3] if last else 0,
            "last_audit_date": last[0].isoformat() if last else None,
            "last_audit_kind": last[1] if last else None,
            "last_auditor": last[2] if last else None, "next_due": e.next_due.isoformat(),
            "status": e.status, "status_zh": label_text("schedule_status", e.status, "zh"),
            "status_en": label_text("schedule_status", e.status, "en"),
            "days_overdue": e.days_overdue}


def _summary(pairs: list[tuple[dict[str, Any], ScheduleEntry]]) -> dict[str, Any]:
    counts: dict[str, int] = dict.fromkeys(SCHEDULE_STATUSES, 0)
    for it, _ in pairs:
        counts[it["status"]] += 1
    return {"n_covered": len(pairs), "counts": counts,
            "n_within_interval": counts["ok"] + counts["due_this_year"],
            "coverage": coverage_share(e for _, e in pairs)}


def audit_schedule(ws: Workspace, district_id: str, as_of: dt.date, *,
                   scope: AccessScope | None = None) -> dict[str, Any]:
    """The audit schedule of the buildings in ``scope`` on ``as_of``.

    ``items``: every covered building (worst status first) with its last audit, next due
    date, status and days overdue. ``summary``: counts per status, the coverage (share of
    covered buildings audited within the interval), per street, and the buildings left out —
    below the area threshold, of a type the rule does not count, or without a floor area
    (which cannot be judged; listed by id).
    """
    d = ws.district(district_id)
    rule = AuditRule.from_profile(district_profile(ws, d))
    frame = _schedule_frame(ws, d, rule, as_of)
    if scope is not None and not scope.everything:
        with ws.registry.session() as s:
            visible = set(repo.entity_ids_where(s, scope.entity_condition()))
        frame = frame[frame["entity_id"].isin(visible)]
    pairs = sorted(((_schedule_item(r), r["entry"]) for r in
                    frame[frame["reason"] == "covered"].to_dict("records")),
                   key=lambda p: (_STATUS_ORDER[p[0]["status"]], p[0]["next_due"],
                                  p[0]["entity_id"]))
    items = [it for it, _ in pairs]
    summary = _summary(pairs)
    reasons = frame["reason"].value_counts()
    summary["left_out"] = {
        "below_threshold": int(reasons.get("below_threshold", 0)),
        "type_not_counted": int(reasons.get("type_not_counted", 0)),
        "no_floor_area": sorted(frame.loc[frame["reason"] == "no_floor_area",
                                          "entity_id"].astype(str)),
    }
    streets: dict[str, list[tuple[dict[str, Any], ScheduleEntry]]] = {}
    for it, e in pairs:
        streets.setdefault(it["street"] or "(未分配街道)", []).append((it, e))
    summary["by_street"] = [{"street": k} | _summary(v) for k, v in sorted(streets.items())]
    return {"district_id": d.id, "district_name": d.name_zh, "as_of": as_of.isoformat(),
            "rule": _rule_dict(rule), "items": items, "summary": summary}


def audit_min_counts(ws: Workspace, d: District, *,
                     today: dt.date | None = None,
                     ) -> tuple[list[tuple[int, float]], Message | None]:
    """For a target in 次 per audit interval (HP-12): per year, the least number of audits
    any covered building had within the interval before 31 December (today for the current
    year). At least 1 means every covered building was audited within the interval.

    Empty when the profile has no rule, no building is covered or no audit is recorded.
    """
    try:
        rule = AuditRule.from_profile(district_profile(ws, d))
    except ConfigError:  # no rule in the profile: no figure
        return [], None
    today = today or district_today(d)
    with ws.registry.session() as s:
        ents = _entities(s, d.id)
        audits = repo.audit_dates_of_kinds(s, d.id, rule.kinds)
    area = ents["floor_area_m2"].astype("float64")
    covered = {e for e, k, t, a in zip(ents["entity_id"], ents["kind"], ents["building_type"],
                                       area, strict=True)
               if rule.coverage_reason(k, t, None if np.isnan(a) else float(a)) == "covered"}
    if not covered or not audits:
        return [], None
    dates: dict[str, list[dt.date]] = {e: [] for e in covered}
    for eid, day in audits:
        if eid in dates:
            dates[str(eid)].append(day)
    out = []
    for year in range(rule.rule_start.year, today.year + 1):
        end = min(dt.date(year, 12, 31), today)
        start = add_years(end, -rule.interval_years)
        out.append((year, float(min(sum(start <= x <= end for x in v)
                                    for v in dates.values()))))
    kinds = {lang: "/".join(render(f"label.audit_kind.{k}", lang) for k in rule.kinds)
             for lang in LANGS}
    return out, i18n_msg("plan.value_source.audits", kinds=Text(**kinds), n=len(covered),
                         area=rule.min_floor_area_m2, years=rule.interval_years)


# -- the key units' checklist ----------------------------------------------------------------
def _descendants(ents: pd.DataFrame) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for e, p in zip(ents["entity_id"], ents["parent_id"], strict=True):
        if isinstance(p, str) and p:
            children.setdefault(p, []).append(str(e))
    out: dict[str, list[str]] = {}
    for e in ents["entity_id"]:
        seen, todo = [str(e)], [str(e)]
        while todo:
            for c in children.get(todo.pop(), []):
                if c not in seen:
                    seen.append(c)
                    todo.append(c)
        out[str(e)] = seen
    return out


def _monitoring(ws: Workspace, district_id: str, year: int, entities: Iterable[str]
                ) -> tuple[int | None, dict[str, dict[str, float]]]:
    """Per entity: purchased energy (tce, equivalent value) in the official account of ``year``
    by source: meters (interval or register) and ledgers; summed per unit by
    :func:`_unit_figures`."""
    with ws.registry.session() as s:
        run = official_run(s, district_id, year)
        if run is not None:
            s.expunge(run)
    if run is None:
        return None, {}
    try:
        em = load_run_tables(ws, run, ["inventory_entity_month"])["inventory_entity_month"]
    except (NotFoundError, FileNotFoundError):
        return None, {}
    em = em[em["scope"].isin(["1", "2"]) & em["tce_equivalent"].notna()
            & em["entity_id"].isin(set(entities))]
    tce = em["tce_equivalent"].astype("float64")
    meter = em["source"] == "meter"
    m = em.assign(meter=tce.where(meter, 0.0),
                  interval=tce.where(meter & (em["intervals_received"] > 0), 0.0),
                  ledger=tce.where(em["source"] == "ledger", 0.0), total=tce)
    g = m.groupby("entity_id")[["total", "meter", "interval", "ledger"]].sum()
    return run.id, {str(e): {str(k): float(v) for k, v in r.items()} for e, r in g.iterrows()}


def _unit_figures(per_entity: dict[str, dict[str, float]], members: Iterable[str]
                  ) -> dict[str, float] | None:
    """A unit's figures: the sum over its members (None when none has any)."""
    got = [per_entity[m] for m in members if m in per_entity]
    if not got:
        return None
    return {k: sum(g[k] for g in got) for k in ("total", "meter", "interval", "ledger")}


_PARTIAL = ("part of the unit lies outside your scope: the status is the whole unit's; the "
            "figures and ids shown are those of its part in your scope",
            "该单位部分建筑不在您的数据范围内：状态按整个单位判定，所列数据与编号仅为范围内部分")


def _partial(item: dict[str, Any]) -> dict[str, Any]:
    """An item of a unit partly outside the reader's scope: says so in its evidence."""
    item["evidence"] = f"{item['evidence']} ({_PARTIAL[0]})"
    item["evidence_zh"] = f"{item['evidence_zh']}（{_PARTIAL[1]}）"
    item["details"]["partial_scope"] = True
    return item


def _item(item: str, code: str, label_zh: str, label_en: str, status: str,
          deadline: dt.date | None, evidence: str, evidence_zh: str,
          **details: Any) -> dict[str, Any]:
    return {"item": item, "code": code, "label_zh": label_zh, "label_en": label_en,
            "status": status, "status_zh": label_text("check_status", status, "zh"),
            "status_en": label_text("check_status", status, "en"),
            "deadline": deadline.isoformat() if deadline else None, "evidence": evidence,
            "evidence_zh": evidence_zh, "details": details}


def _monitoring_item(fig: dict[str, float] | None, run_id: int | None, year: int,
                     min_share: float, *, shown: dict[str, float] | None = None,
                     partial: bool = False) -> dict[str, Any]:
    """The monitoring item: the status on the whole unit's figures ``fig``; the evidence on
    ``shown`` (the part in the reader's scope) when ``partial``."""
    label = ("能源计量覆盖（在线计量表/台账）", "monitoring coverage (meters vs ledgers)")
    if run_id is None:
        return _item("monitoring", "monitoring", *label, "unknown", None,
                     f"no official account of {year}", f"{year}年无正式核算")
    status = ("unknown" if fig is None or not fig["total"] > 0
              else monitoring_status(fig["meter"] / fig["total"], min_share))
    if partial:
        fig = shown
    if fig is None or not fig["total"] > 0:
        item = _item("monitoring", "monitoring", *label, status, None,
                     f"no purchased energy of the unit in account run {run_id}",
                     f"核算批次 {run_id} 中无该单位外购能源", account_run_id=run_id)
        return _partial(item) if partial else item
    share = fig["meter"] / fig["total"]
    iv, led = fig["interval"] / fig["total"], fig["ledger"] / fig["total"]
    item = _item(
        "monitoring", "monitoring", *label, status, None,
        f"meters {share:.1%} (interval meters {iv:.1%}), ledgers {led:.1%} of "
        f"{fig['total']:,.1f} tce (equivalent value), account run {run_id}; "
        f"required {min_share:.0%}",
        f"计量表 {share:.1%}（其中间隔表 {iv:.1%}），台账 {led:.1%}，共 {fig['total']:,.1f} "
        f"吨标准煤（当量值），核算批次 {run_id}；要求 ≥{min_share:.0%}",
        account_run_id=run_id, meter_share=share, interval_share=iv, ledger_share=led,
        tce_equivalent=fig["total"], min_share=min_share)
    return _partial(item) if partial else item


def _filing_item(code: str, year: int, filings: list[tuple[int, dt.date, str, str]],
                 as_of: dt.date) -> dict[str, Any]:
    """A filing item; ``filings`` are (year, filed on, reference, recorded by)."""
    ob = OBLIGATIONS[code]
    status, deadline, used = filing_status(ob, year, [(y, f) for y, f, _, _ in filings], as_of)
    ref, by = next(((r, b) for y, f, r, b in filings if used and (y, f) == used), ("", ""))
    if used is not None:
        late = (used[1] - deadline).days
        what = (f"filed {used[1].isoformat()} for {used[0]}" + (f" ({ref})" if ref else "")
                + f", recorded by {by}")
        what_zh = (f"{used[1].isoformat()} 已报送 {used[0]} 年度" + (f"（{ref}）" if ref else "")
                   + f"，登记人 {by}")
        ev = (f"{what}, {late} days after the deadline {deadline.isoformat()}"
              if status == "late" else f"{what}; deadline {deadline.isoformat()}")
        ev_zh = (f"{what_zh}，超过期限 {deadline.isoformat()} {late} 天" if status == "late"
                 else f"{what_zh}；期限 {deadline.isoformat()}")
    elif status == "overdue":
        days = (as_of - deadline).days
        ev = f"not filed; the deadline {deadline.isoformat()} passed {days} days ago"
        ev_zh = f"未报送，已超过期限 {deadline.isoformat()} {days} 天"
    else:
        ev = f"not filed yet; due {deadline.isoformat()}"
        ev_zh = f"尚未报送，期限 {deadline.isoformat()}"
    return _item("filing", code, ob.label_zh, ob.label_en, status, deadline, ev, ev_zh,
                 filed_on=used[1].isoformat() if used else None,
                 filing_year=used[0] if used else None, reference=ref,
                 recorded_by=by or None, rule_status=ob.status, rule_source=ob.source)


def _audit_item(rows: Sequence[Mapping[Hashable, Any]], rule: AuditRule, *,
                shown: Sequence[Mapping[Hashable, Any]] | None = None,
                partial: bool = False) -> dict[str, Any]:
    """The audit item: the status on every covered building of the unit (``rows``); the
    evidence on ``shown`` (those in the reader's scope) when ``partial``."""
    label = ("能源审计/节能诊断", "energy audit or diagnosis")
    rule_status = "/".join(sorted({str(e["status"]) for e in rule.entries.values()}))
    status = audit_item_status([r["entry"] for r in rows])
    rows = shown if partial and shown is not None else rows
    if not rows:
        item = _item("audit", "audit", *label, status, None,
                     f"no building of the unit is covered by the audit rule "
                     f"(≥{rule.min_floor_area_m2:,.0f} m², counted types)",
                     f"该单位无适用审计规定的建筑（≥{rule.min_floor_area_m2:,.0f} m²）",
                     rule_status=rule_status, buildings=[])
        return _partial(item) if partial else item
    parts, parts_zh = [], []
    for r in rows:
        e: ScheduleEntry = r["entry"]
        last = r["last"][0].isoformat() if r["last"] else None
        parts.append(f"{r['entity_id']} {label_text('schedule_status', e.status, 'en')} (last "
                     f"{last or 'never'}, due {e.next_due.isoformat()})")
        parts_zh.append(f"{r['entity_id']} {label_text('schedule_status', e.status, 'zh')}（上次 "
                        f"{last or '无'}，应于 {e.next_due.isoformat()}）")
    worst_due = min((r["entry"].next_due for r in rows), default=None)
    item = _item("audit", "audit", *label, status, worst_due, "; ".join(parts),
                 "；".join(parts_zh), rule_status=rule_status,
                 buildings=[r["entity_id"] for r in rows])
    return _partial(item) if partial else item


def _quota_item(cases: list[QuotaCase], as_of: dt.date, *,
                shown: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """The quota item: the status on every case of the unit; with ``shown`` (a scope that
    does not see every member), the evidence and ids of the cases of members it sees."""
    label = ("超限额整改", "quota rectification")
    status = quota_item_status([(c.status, c.deadline) for c in cases], as_of)
    partial = shown is not None
    if shown is not None:
        cases = [c for c in cases if shown(c.entity_id)]
    if not cases:
        item = _item("quota", "quota", *label, status, None, "no quota case", "无超限额整改案件",
                     cases=[], open_cases=[])
        return _partial(item) if partial else item
    pending = [c for c in cases if c.status != QuotaCaseStatus.CLOSED]
    deadline = min((c.deadline for c in pending if c.deadline), default=None)
    ev = "; ".join(f"case {c.id} {c.entity_id} {c.year} {c.status}"
                   + (f", deadline {c.deadline.isoformat()}" if c.deadline else "")
                   for c in cases)
    ev_zh = "；".join(f"案件 {c.id} {c.entity_id} {c.year}年 {c.status}"
                     + (f"，期限 {c.deadline.isoformat()}" if c.deadline else "")
                     for c in cases)
    item = _item("quota", "quota", *label, status, deadline, ev, ev_zh,
                 cases=[c.id for c in cases], open_cases=[c.id for c in pending])
    return _partial(item) if partial else item


def obligations(ws: Workspace, district_id: str, year: int, *, scope: AccessScope | None = None,
                as_of: dt.date | None = None) -> dict[str, Any]:
    """The checklist of every key unit in ``scope`` for ``year``, judged on ``as_of``
    (default the end of ``year``, as the year's published figures are).

    Per unit (``Entity.is_key_unit``; an enterprise with its buildings): monitoring coverage
    (share of its purchased energy measured by meters rather than ledgers in the official
    account of ``year``), each filing the district's profile lists (with who recorded it), the
    audit of its covered buildings (the schedule on ``as_of``) and its quota cases of ``year``
    or before. Each item has a status, a deadline when there is one, and its evidence in
    English and Chinese.

    A unit in ``scope`` whose buildings are partly outside it (a street officer's unit with a
    building in another street) keeps the status of the whole unit; its figures, building ids
    and case ids are those of the part in scope, and the evidence says so (``partial_scope``).
    """
    d = ws.district(district_id)
    ku = KeyUnitRules.from_profile(district_profile(ws, d))
    rule = AuditRule.from_profile(district_profile(ws, d))
    as_of = as_of or dt.date(year, 12, 31)
    frame = _schedule_frame(ws, d, rule, as_of)
    desc = _descendants(frame)
    with ws.registry.session() as s:
        unit_ids = sorted(repo.key_unit_ids(
            s, d.id, condition=scope.entity_condition() if scope is not None else None))
        visible: set[str] | None = None
        if scope is not None and not scope.everything:
            visible = set(repo.entity_ids_where(s, scope.entity_condition()))
        members = sorted({m for u in unit_ids for m in desc.get(u, [u])})
        filings: dict[tuple[str, str], list[tuple[int, dt.date, str, str]]] = {}
        for f in repo.filings_of_units(s, unit_ids, ku.obligations):
            filings.setdefault((f.entity_id, f.obligation), []).append(
                (f.year, f.filed_on, f.reference, f.created_by))
        cases = repo.quota_cases_up_to(s, members, year)

        s.expunge_all()
    units = {u: desc.get(u, [u]) for u in unit_ids}
    run_id, per_entity = _monitoring(ws, d.id, year, members) if units else (None, {})
    rows = frame.set_index("entity_id", drop=False)
    out = []
    for u in unit_ids:
        r = rows.loc[u]
        seen = [m for m in units[u] if visible is None or m in visible]
        partial = len(seen) < len(units[u])
        covered = [rows.loc[m].to_dict() for m in units[u] if rows.loc[m, "reason"] == "covered"]
        items = [_monitoring_item(_unit_figures(per_entity, units[u]), run_id, year,
                                  ku.monitoring_min_share,
                                  shown=_unit_figures(per_entity, seen), partial=partial)]
        items += [_filing_item(code, year, filings.get((u, code), []), as_of)
                  for code in ku.obligations]
        items.append(_audit_item(covered, rule, shown=[c for c in covered
                                                       if c["entity_id"] in seen],
                                 partial=partial))
        items.append(_quota_item([c for c in cases if c.entity_id in units[u]], as_of,
                                 shown=set(seen).__contains__ if partial else None))
        counts = dict.fromkeys(CHECK_STATUSES, 0)
        for it in items:
            counts[it["status"]] += 1
        out.append({"entity_id": u, "name": r["name"], "kind": r["kind"],
                    "street": r["street"], "key_unit_rule": stored_text(r["key_unit_rule"]),
                    "key_unit_year": None if pd.isna(r["key_unit_year"])
                    else int(r["key_unit_year"]),
                    "partial_scope": partial,
                    "worst": min((it["status"] for it in items), key=_CHECK_ORDER.__getitem__),
                    "counts": counts, "items": items})
    by_item: dict[str, dict[str, int]] = {}
    for unit in out:
        for it in unit["items"]:
            by_item.setdefault(it["code"], dict.fromkeys(CHECK_STATUSES, 0))[it["status"]] += 1
    return {"district_id": d.id, "district_name": d.name_zh, "year": year,
            "as_of": as_of.isoformat(), "account_run_id": run_id,
            "monitoring_min_share": ku.monitoring_min_share,
            "obligations": [{"code": c, "label_zh": OBLIGATIONS[c].label_zh,
                             "label_en": OBLIGATIONS[c].label_en,
                             "deadline": OBLIGATIONS[c].deadline(year).isoformat(),
                             "recurrence": OBLIGATIONS[c].recurrence,
                             "status": OBLIGATIONS[c].status,
                             "source": OBLIGATIONS[c].source,
                             "source_zh": OBLIGATIONS[c].source_zh} for c in ku.obligations],
            "rules": {"key_units": ku.entries, "audit": _rule_dict(rule)},
            "units": out,
            "summary": {"n_units": len(out), "by_item": by_item,
                        "units_with_problems": sum(
                            1 for u in out if u["worst"] in ("overdue", "missing", "late"))}}


def checklist_rows(chk: dict[str, Any]) -> list[dict[str, Any]]:
    """The checklist flattened: one row per unit and item (for CSV and xlsx)."""
    return [{"entity_id": u["entity_id"], "name": u["name"], "street": u["street"]}
            | {k: it[k] for k in CHECKLIST_COLUMNS[3:]}
            for u in chk["units"] for it in u["items"]]


# -- workbooks -------------------------------------------------------------------------------
_FILL = {"overdue": "F8D7DA", "never_audited": "F8D7DA", "missing": "FFF3CD",
         "late": "FFF3CD", "due_this_year": "FFF3CD", "unknown": "E2E3E5"}


def _safe(v: Any) -> Any:
    if isinstance(v, list):
        v = "；".join(str(x) for x in v)
    v = xlsx_value(v)
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _sheet(wb: Workbook, title: str, heading: list[str], notes: list[str],
           header: list[str], rows: list[list[Any]], status_col: int | None,
           widths: Iterable[int]) -> None:
    sh = wb.create_sheet(title)
    for line in heading:
        sh.append([line])
    sh["A1"].font = Font(bold=True, size=14)
    for line in notes:
        sh.append([line])
    sh.append(header)
    top = sh.max_row
    for cell in sh[top]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    for row in rows:
        sh.append([_safe(v) for v in row])
        if status_col is not None and row[status_col] in _FILL:
            fill = PatternFill("solid", fgColor=_FILL[str(row[status_col])])
            for cell in sh[sh.max_row]:
                cell.fill = fill
    sh.freeze_panes = f"C{top + 1}"
    for i, width in enumerate(widths):
        sh.column_dimensions[chr(65 + i)].width = width


def _save(wb: Workbook, out: Path | None) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


_RULE_LABELS = {"building_types": "building_type", "entity_kinds": "entity_kind",
                "kinds": "audit_kind"}


def _t(lang: Lang, code: str, /, **params: Any) -> str:  # noqa: ANN401
    return render(i18n_msg(code, **params), lang)


def _rule_notes(entries: dict[str, dict[str, Any]], lang: Lang) -> list[str]:
    out = []
    for key_, e in entries.items():
        k = key_.removeprefix("audit_")
        key = _t(lang, f"audits.rule.{k}") if f"audits.rule.{k}" in catalogue() else key_
        value = e["value"]
        if k in _RULE_LABELS and isinstance(value, list | tuple):
            value = render(i18n_msg("book.list", items=[label(_RULE_LABELS[k], str(v))
                                                   for v in value]), lang)
        out.append(_t(lang, "audits.book.rule_entry", key=key, value=value,
                      status=label("rule_status", str(e["status"])), source=e["source"]))
    return out


def _cell_of(col: str, item: Mapping[str, Any], lang: Lang) -> Any:  # noqa: ANN401
    v = item.get(col)
    if v is None:
        return None
    if col == "kind":
        return _t(lang, "book.value", value=label("entity_kind", str(v)))
    if col == "building_type":
        return _t(lang, "book.value", value=label("building_type", str(v)))
    if col == "last_audit_kind":
        return _t(lang, "book.value", value=label("audit_kind", str(v)))
    if col == "is_key_unit":
        return _t(lang, "book.yes" if v else "book.no")
    return v


def _own(cols: Sequence[str], lang: Lang) -> list[str]:
    """The columns of ``lang``'s edition: ``x_zh`` or ``x_en`` (shown as ``x_label``)."""
    other = "_en" if lang == "zh" else "_zh"
    return [c for c in cols if not c.endswith(other)]


def _head(prefix: str, col: str, lang: Lang) -> str:
    base = col.removesuffix(f"_{lang}")
    if base != col:
        base = "status_label" if base == "status" else base
    return _t(lang, f"{prefix}.{base}")


def schedule_workbook(sched: dict[str, Any], out: Path | None = None, *,
                      lang: Lang = "zh") -> bytes:
    """The audit schedule as xlsx: the rule with its sources and statuses, one row per covered
    building (worst first), and a summary sheet (counts, coverage, per street, left out).
    Every title, note and heading is in ``lang`` (the Chinese edition all Chinese); the
    status code column stays, for filters."""
    wb = Workbook()
    assert wb.active is not None  # noqa: S101 - a new workbook has a sheet
    wb.remove(wb.active)
    rule = sched["rule"]
    cols = _own(SCHEDULE_COLUMNS, lang)
    _sheet(wb, _t(lang, "audits.book.schedule.sheet"),
           [_t(lang, "audits.book.schedule.title", district=sched["district_name"],
               as_of=sched["as_of"])],
           [_t(lang, "audits.book.schedule.rule", area=rule["min_floor_area_m2"],
               years=rule["interval_years"],
               statuses=[label("rule_status", str(x)) for x in rule["statuses"]]),
            *_rule_notes(rule["entries"], lang)],
           [_head("audits.col", c, lang) for c in cols],
           [[_cell_of(c, it, lang) for c in cols] for it in sched["items"]],
           cols.index("status"),
           (10, 24, 14, 12, 10, 12, 8, 8, 12, 10, 24, 12, 14, 10, 14, 10))
    sm = sched["summary"]
    rows: list[list[Any]] = [[_t(lang, "book.all"), sm["n_covered"], *sm["counts"].values(),
                              sm["coverage"]]]
    rows += [[b["street"], b["n_covered"], *b["counts"].values(), b["coverage"]]
             for b in sm["by_street"]]
    left = sm["left_out"]
    _sheet(wb, _t(lang, "book.summary"),
           [_t(lang, "audits.book.summary.title", as_of=sched["as_of"])],
           [_t(lang, "audits.book.summary.left_out", below=left["below_threshold"],
               type_not_counted=left["type_not_counted"],
               no_area=", ".join(left["no_floor_area"]) or "—")],
           [_t(lang, "audits.col.street"), _t(lang, "audits.col.covered"),
            *(_t(lang, "book.value", value=label("schedule_status", str(k)))
              for k in SCHEDULE_STATUSES), _t(lang, "audits.col.coverage")], rows, None,
           (18, 10, 10, 12, 12, 10, 12))
    return _save(wb, out)


def obligations_workbook(chk: dict[str, Any], out: Path | None = None, *,
                         lang: Lang = "zh") -> bytes:
    """The key units' checklist as xlsx: one row per unit and item, the obligations'
    deadlines and sources, and the counts per item; in ``lang`` (the Chinese edition all
    Chinese; the item and status codes stay, for filters)."""
    wb = Workbook()
    assert wb.active is not None  # noqa: S101 - a new workbook has a sheet
    wb.remove(wb.active)
    cols = [c for c in _own(CHECKLIST_COLUMNS, lang)
            if c != "item" and not (lang == "zh" and c == "evidence")]
    notes = [_t(lang, "audits.book.checklist.obligation",
                label=o["label_zh"] if lang == "zh" else o["label_en"],
                deadline=o["deadline"], status=label("rule_status", str(o["status"])),
                source=(o.get("source_zh") if lang == "zh" else None) or o["source"])
             for o in chk["obligations"]]
    notes.append(_t(lang, "audits.book.checklist.monitoring",
                    share=chk["monitoring_min_share"], run=chk["account_run_id"]))
    heads = [_t(lang, "audits.col.evidence") if c in ("evidence", "evidence_zh")
             else _t(lang, "audits.col.label") if c.startswith("label_")
             else _head("audits.col", c, lang) for c in cols]
    _sheet(wb, _t(lang, "audits.book.checklist.sheet"),
           [_t(lang, "audits.book.checklist.title", district=chk["district_name"],
               year=chk["year"], as_of=chk["as_of"])], notes, heads,
           [[_cell_of(c, r, lang) for c in cols] for r in checklist_rows(chk)],
           cols.index("status"), (10, 24, 14, 10, 14, 24, 10, 12, 12, 60))
    names = {it["code"]: it[f"label_{lang}"] for u in chk["units"] for it in u["items"]}
    rows = [[names.get(code, code), *counts.values()]
            for code, counts in chk["summary"]["by_item"].items()]
    _sheet(wb, _t(lang, "book.summary"),
           [_t(lang, "audits.book.checklist.summary_title", year=chk["year"])],
           [_t(lang, "audits.book.checklist.summary_note", units=chk["summary"]["n_units"],
               problems=chk["summary"]["units_with_problems"])],
           [_t(lang, "audits.col.label"),
            *(_t(lang, "book.value", value=label("check_status", str(k)))
              for k in CHECK_STATUSES)], rows, None, (16, 10, 10, 10, 10, 10, 12))
    return _save(wb, out)
