"""Verifying reference values: an admin cites the document a value was checked against.

中文：参考值核实——管理员注明核对所依据的文件（文号、日期、条款或页码），可附原件。

A factor row, a quota-table row or a rule ships with a status (verified / secondary /
unverified / default) that says how far its value was checked. An admin who has checked a value
against its source records a *verification*: the document's number, date and clause (or page),
an optional note and an optional attached file (kept in the home under ``verifications/``,
at most :data:`MAX_FILE_BYTES`, named by its sha256). The verification keeps the values it
checked: a row reloaded with other values is not verified by it.

The status shown everywhere (dashboard, API, white paper, workbooks, new account runs) is
*derived*: ``verified`` while a current (not withdrawn) verification of the same values exists,
else the shipped status (:func:`derived_status`). Each verification and each withdrawal is
audit-logged.

Targets
-------
``factor_row``
    ``<set_id>/<carrier>/<quantity>/<year_from>`` (``year_from`` empty when open): the row as
    its own set ships it (sets that include it inherit the verification).
``quota_row``
    ``<table_id>/<region>/<quota_class>`` in the newest version of the table.
``rule``
    ``<district>/<section>.<key>``: an entry of the district profile's ``[buildings]`` or
    ``[key_units]`` table (the audit rule, the key-unit obligations), or
    ``<district>/commissioning.thresholds`` (the commissioning thresholds), or
    ``<district>/key_unit_rules.<metric>`` (a key-unit rule: its threshold).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from carbonpeak.domain.commissioning import CommissioningOptions
from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.storage.registry.models import (
    District,
    FactorRowRecord,
    QuotaRowRecord,
    ReferenceVerification,
    utcnow,
)
from carbonpeak.storage.registry.repositories import accounting as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import VerifiedKind

__all__ = [
    "MAX_FILE_BYTES",
    "RULE_SECTIONS",
    "VerificationIndex",
    "current_verifications",
    "commissioning_source",
    "derived_status",
    "district_profile",
    "factor_target",
    "factor_values",
    "list_verifications",
    "quota_target",
    "quota_values",
    "verified_profile",
    "verify",
    "withdraw",
]

#: the largest attached document
MAX_FILE_BYTES = 20 * 1024 * 1024
#: the district-profile tables whose entries (value, source, status) can be verified
RULE_SECTIONS = ("buildings", "key_units")
VERIFIED = "verified"
_SAFE_NAME = re.compile(r"[^\w.\-]+")

#: (kind, target) -> the current verification's checked values and citation
VerificationIndex = dict[tuple[str, str], dict[str, Any]]


def _row(v: ReferenceVerification) -> dict[str, Any]:
    return {"id": v.id, "kind": v.kind, "target": v.target,
            "checked_values": v.checked_values, "document_no": v.document_no,
            "document_date": v.document_date, "clause": v.clause, "note": v.note,
            "file_name": v.file_name, "file_sha256": v.file_sha256, "file_size": v.file_size,
            "verified_by": v.verified_by, "verified_at": v.verified_at,
            "withdrawn_by": v.withdrawn_by, "withdrawn_at": v.withdrawn_at,
            "current": v.withdrawn_at is None}


def current_verifications(s: Session) -> VerificationIndex:
    """The newest current verification of every target (one query)."""
    out: VerificationIndex = {}
    for v in repo.current_reference_verifications(s):
        out[(v.kind, v.target)] = _row(v)
    return out


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def norm(x: Any) -> Any:
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, (list, tuple)):
            return [norm(y) for y in x]
        return x
    return {k: norm(v) for k, v in a.items()} == {k: norm(v) for k, v in b.items()}


def derived_status(index: VerificationIndex, kind: str, target: str, shipped: str,
                   values: Mapping[str, Any]) -> str:
    """``verified`` when a current verification of ``target`` checked these ``values``,
    else the shipped status."""
    v = index.get((kind, target))
    return VERIFIED if v is not None and _same(v["checked_values"], values) else shipped


# -- targets ---------------------------------------------------------------------------------
def quota_target(table_id: str, region: str, quota_class: str) -> str:
    """The target of a quota-table row."""
    return f"{table_id}/{region}/{quota_class}"


def quota_values(r: QuotaRowRecord) -> dict[str, Any]:
    """The values of a quota row a verification checks."""
    return {"constraint_value": r.constraint_value, "guide_value": r.guide_value,
            "electricity_kgce_per_kwh": r.electricity_kgce_per_kwh, "unit": r.unit,
            "convention": r.convention}


def factor_target(set_id: str, carrier: str, quantity: str, year_from: int | None) -> str:
    """The target of a factor row (in the set it comes from)."""
    return f"{set_id}/{carrier}/{quantity}/{'' if year_from is None else year_from}"


def factor_values(r: FactorRowRecord) -> dict[str, Any]:
    """The values of a factor row a verification checks."""
    return {"value": r.value, "per_unit": r.per_unit}


def commissioning_defaults() -> dict[str, Any]:
    """The commissioning thresholds the platform ships (checked as a whole)."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(CommissioningOptions()).items()}


def _target_values(s: Session, kind: VerifiedKind, target: str) -> tuple[dict[str, Any],
                                                                           str | None]:
    """The values ``target`` holds now, and the district it belongs to (None: shared)."""
    parts = target.split("/")
    if kind == VerifiedKind.QUOTA_ROW and len(parts) == 3:
        rec = repo.latest_quota_table_version(s, parts[0])
        row = next((r for r in (rec.rows if rec else [])
                    if r.region == parts[1] and r.quota_class == parts[2]), None)
        if row is not None:
            return quota_values(row), None
    elif kind == VerifiedKind.FACTOR_ROW and len(parts) == 4:
        fs = repo.latest_factor_set_version(s, parts[0])
        fr = next((r for r in (fs.rows if fs else [])
                   if r.origin_set == parts[0] and r.carrier == parts[1]
                   and r.quantity == parts[2]
                   and (str(r.year_from) if r.year_from is not None else "") == parts[3]), None)
        if fr is not None:
            return factor_values(fr), None
    elif kind == VerifiedKind.RULE and len(parts) == 2:
        d = s.get(District, parts[0])
        section, _, key = parts[1].partition(".")
        if d is not None and section == "commissioning" and key == "thresholds":
            if (d.profile or {}).get("commissioning"):
                msg = "the district's profile sets its own commissioning thresholds"
                raise ConflictError(msg)
            return commissioning_defaults(), d.id
        if d is not None and section == "key_unit_rules":
            rule = next((r for r in (d.profile or {}).get("key_unit_rules", [])
                         if isinstance(r, Mapping) and r.get("metric") == key), None)
            if rule is not None:
                return {"threshold": rule.get("threshold")}, d.id
        entry = ((d.profile or {}).get(section) or {}).get(key) if d is not None else None
        if section in RULE_SECTIONS and isinstance(entry, Mapping) and "status" in entry:
            return {"value": entry.get("value")}, d.id if d is not None else None
    msg = f"no {kind} {target!r}"
    raise NotFoundError(msg)


def verified_profile(s: Session, d: District) -> dict[str, Any]:
    """The district's profile with the statuses of its verified rule entries derived."""
    profile = dict(d.profile or {})
    index = current_verifications(s)
    for section in RULE_SECTIONS:
        table = profile.get(section)
        if not isinstance(table, Mapping):
            continue
        new = dict(table)
        for key, entry in table.items():
            if isinstance(entry, Mapping) and "status" in entry:
                st = derived_status(index, VerifiedKind.RULE, f"{d.id}/{section}.{key}",
                                    str(entry["status"]), {"value": entry.get("value")})
                new[key] = {**entry, "status": st}
        profile[section] = new
    # the key-unit rules: a list, one rule per metric (<district>/key_unit_rules.<metric>)
    rules = profile.get("key_unit_rules")
    if isinstance(rules, list):
        profile["key_unit_rules"] = [
            {**r, "status": derived_status(index, VerifiedKind.RULE,
                                           f"{d.id}/key_unit_rules.{r.get('metric')}",
                                           str(r["status"]), {"threshold": r.get("threshold")})}
            if isinstance(r, Mapping) and "status" in r else r for r in rules]
    return profile


def district_profile(ws: Workspace, d: District) -> dict[str, Any]:
    """:func:`verified_profile` in its own session."""
    with ws.registry.session() as s:
        return verified_profile(s, d)


def commissioning_source(ws: Workspace, district_id: str, source: str) -> str:
    """The commissioning thresholds' source, ``verified defaults`` once the shipped defaults
    are verified for the district."""
    if source != "unverified defaults":
        return source
    with ws.registry.session() as s:
        st = derived_status(current_verifications(s), VerifiedKind.RULE,
                            f"{district_id}/commissioning.thresholds", "unverified",
                            commissioning_defaults())
    return "verified defaults" if st == VERIFIED else source


# -- writes ----------------------------------------------------------------------------------
def verify(ws: Workspace, kind: VerifiedKind | str, target: str, *, document_no: str,
           document_date: dt.date, clause: str, note: str = "",
           file: tuple[str, bytes] | None = None) -> dict[str, Any]:
    """Record that ``target`` was checked against a document; audit-logged.

    Raises
    ------
    NotFoundError
        No such target.
    InputValidationError
        An empty citation, or an attached file too large.
    """
    kind = VerifiedKind(kind)
    errors = [RowError("verification", None, field, None,
                       i18n_msg("intake.cell.required"))
              for field, v in (("document_no", document_no), ("clause", clause))
              if not v.strip()]
    if file is not None and len(file[1]) > MAX_FILE_BYTES:
        errors.append(RowError("verification", None, "file", None,
                               i18n_msg("intake.mqtt.too_large", limit=MAX_FILE_BYTES)))
    if errors:
        raise InputValidationError(errors)
    sha = size = name = None
    if file is not None:
        name = _SAFE_NAME.sub("_", file[0])[-200:] or "document"
        sha, size = hashlib.sha256(file[1]).hexdigest(), len(file[1])
        folder = ws.settings.home / "verifications"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ("." + name.rsplit(".", 1)[-1])[:10] if "." in name else ""
        path = folder / f"{sha}{suffix}"
        if not path.exists():
            path.write_bytes(file[1])
    with ws.registry.session() as s:
        values, district = _target_values(s, kind, target)
        v = ReferenceVerification(
            kind=kind.value, target=target, checked_values=values,
            document_no=document_no.strip(), document_date=document_date,
            clause=clause.strip(), note=note.strip(), file_name=name, file_sha256=sha,
            file_size=size, verified_by=ws.actor, verified_at=utcnow())
        s.add(v)
        s.flush()
        audit(s, ws.actor, "verify", "reference_value", f"{kind.value}:{target}",
              {"verification_id": v.id, "document_no": v.document_no,
               "document_date": document_date.isoformat(), "clause": v.clause,
               "values": values, "file_sha256": sha}, district=district)
        return _row(v)


def withdraw(ws: Workspace, verification_id: int) -> dict[str, Any]:
    """Withdraw a verification (the shipped status is shown again); audit-logged.

    Raises
    ------
    NotFoundError
        No such verification.
    ConflictError
        Already withdrawn.
    """
    with ws.registry.session() as s:
        v = s.get(ReferenceVerification, verification_id)
        if v is None:
            raise NotFoundError(i18n_msg("error.no.verification", id=verification_id))
        if v.withdrawn_at is not None:
            msg = f"verification {verification_id} was withdrawn on {v.withdrawn_at:%Y-%m-%d}"
            raise ConflictError(msg)
        v.withdrawn_by, v.withdrawn_at = ws.actor, utcnow()
        district = v.target.split("/")[0] if v.kind == VerifiedKind.RULE else None
        audit(s, ws.actor, "withdraw", "reference_value", f"{v.kind}:{v.target}",
              {"verification_id": v.id, "document_no": v.document_no}, district=district)
        return _row(v)


def list_verifications(ws: Workspace, *, kind: str | None = None, target: str | None = None,
                       include_withdrawn: bool = False) -> list[dict[str, Any]]:
    """The verifications, newest first."""
    with ws.registry.session() as s:
        return [_row(v) for v in repo.reference_verifications(
            s, kind=kind, target=target, include_withdrawn=include_withdrawn)]
