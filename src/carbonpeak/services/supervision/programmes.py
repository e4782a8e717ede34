"""Green-creation programmes (绿色创建, C14): applications and approvals per street and
organisation (low-carbon communities, 节约型机关, green malls, green schools, demonstration
projects), and the counts that feed their targets.

中文：绿色创建登记：按街道、单位登记申报与认定，认定数计入相应目标。

Which counts feed which target (:data:`PROGRAMME_TARGETS`): HP-54 (每个街道至少创建一个低碳
社区) takes the least number of approved low-carbon communities over the district's streets,
so that ≥ 1 holds only when every street has one. The share targets (:data:`SHARE_TARGETS`:
TH-47 处级及以上党政机关节约型机关, TH-48 10万m²及以上大型商场绿色商场) divide the approved
count by the eligible count (应创建数), which no register of the platform holds: the office
enters it with its source (:func:`set_eligible`, audit-logged); until it does, the target is
fed nothing and says that the office owes the eligible count (see docs/supervision.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import dumps, label, msg
from carbonpeak.services.plan.targets import add_observation, find_target
from carbonpeak.storage.registry.models import (
    EligibleCount,
    GreenProgramme,
)
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import ProgrammeKind, ProgrammeStatus

__all__ = ["PROGRAMME_TARGETS", "SHARE_TARGETS", "apply_programme", "decide_programme",
           "eligible_count", "feed_targets", "list_programmes", "set_eligible",
           "share_pct"]

#: target code -> (programme kind, rule)
PROGRAMME_TARGETS = {"HP-54": (ProgrammeKind.LOW_CARBON_COMMUNITY, "least_per_street")}
#: share targets: code -> the programme whose approvals are counted over the eligible count
SHARE_TARGETS = {"TH-47": ProgrammeKind.CONSERVING_INSTITUTION,
                 "TH-48": ProgrammeKind.GREEN_MALL}


def share_pct(approved: int, eligible: int) -> float:
    """Approved over eligible, in % (e.g. 3 of 12 organs: 100 × 3 / 12 = 25 %)."""
    if eligible <= 0:
        why = "the eligible count must be positive"
        raise ValueError(why)
    return 100.0 * approved / eligible


def set_eligible(ws: Workspace, code: str, *, count: int, as_of: dt.date, source: str,
                 district: str | None = None) -> str:
    """Enter (or correct) the eligible count of share target ``code`` as of a date, with its
    source; audit-logged. Returns ``created``/``updated``/``unchanged``."""
    d = ws.district(district)
    errors = []
    if code not in SHARE_TARGETS:
        errors.append(RowError("(request)", None, "target", code, msg(
            "intake.cell.not_one_of", allowed=", ".join(SHARE_TARGETS))))
    if count < 1:
        errors.append(RowError("(request)", None, "count", str(count),
                               msg("sup.eligible.positive")))
    if not source.strip():
        errors.append(RowError("(request)", None, "source", source,
                               msg("intake.plan.source_required")))
    if errors:
        raise InputValidationError(errors)
    with ws.registry.session() as s:
        row = repo.eligible_count_as_of(s, d.id, code, as_of)
        key = f"{code}@{as_of}"
        if row is None:
            s.add(EligibleCount(district_id=d.id, target_code=code, as_of=as_of, count=count,
                                source=source.strip(), actor=ws.actor))
            audit(s, ws.actor, "create", "eligible_count", key,
                  {"count": count, "source": source.strip()}, district=d.id)
            return "created"
        if (row.count, row.source) == (count, source.strip()):
            return "unchanged"
        audit(s, ws.actor, "update", "eligible_count", key, {"changes": {
            "count": [row.count, count], "source": [row.source, source.strip()]}},
            district=d.id)
        row.count, row.source, row.actor = count, source.strip(), ws.actor
        return "updated"


def eligible_count(ws: Workspace, code: str, on: dt.date, *,
                   district: str | None = None) -> tuple[int, str, dt.date] | None:
    """The latest eligible count of ``code`` as of ``on``: (count, source, as of), or None."""
    d = ws.district(district)
    with ws.registry.session() as s:
        row = repo.latest_eligible_count(s, d.id, code, on)
        return None if row is None else (row.count, row.source, row.as_of)


def apply_programme(ws: Workspace, kind: str, name: str, *, applied_on: dt.date,
                    street: str | None = None, org: str | None = None, level: str = "",
                    district: str | None = None) -> int:
    """Register an application (by a street or an organisation); audit-logged."""
    d = ws.district(district)
    errors = []
    if kind not in set(ProgrammeKind):
        errors.append(RowError("(request)", None, "kind", kind, msg(
            "intake.cell.not_one_of", allowed=", ".join(ProgrammeKind))))
    if not name.strip():
        errors.append(RowError("(request)", None, "name", name,
                               msg("supervision.programme.name_required")))
    with ws.registry.session() as s:
        if street and not repo.street_id(s, d.id, street):
            errors.append(RowError("(request)", None, "street", street,
                                   msg("supervision.programme.unknown_street")))
        if org and not repo.organisation_id(s, d.id, org):
            errors.append(RowError("(request)", None, "org", org,
                                   msg("supervision.org.unknown", code=org)))
        if errors:
            raise InputValidationError(errors)
        p = GreenProgramme(district_id=d.id, kind=kind, name=name.strip(), street_code=street,
                           org_code=org, status=ProgrammeStatus.APPLIED,
                           applied_on=applied_on, level=level, actor=ws.actor)
        s.add(p)
        s.flush()
        audit(s, ws.actor, "create", "green_programme", str(p.id),
              {"kind": kind, "name": name, "street": street, "org": org}, district=d.id)
        return int(p.id)


def decide_programme(ws: Workspace, programme_id: int, *, approve: bool, on: dt.date,
                     district: str | None = None) -> None:
    """Approve (认定) or reject an application; audit-logged."""
    d = ws.district(district)
    with ws.registry.session() as s:
        p = s.get(GreenProgramme, programme_id)
        if p is None or p.district_id != d.id:
            msg_ = f"no programme application {programme_id}"
            raise NotFoundError(msg_)
        before = p.status
        p.status = ProgrammeStatus.APPROVED if approve else ProgrammeStatus.REJECTED
        p.approved_on = on if approve else None
        audit(s, ws.actor, "update", "green_programme", str(p.id),
              {"changes": {"status": [before, p.status]}}, district=d.id)


def list_programmes(ws: Workspace, *, district: str | None = None) -> dict[str, Any]:
    """Every application, and the counts per kind, street and organisation."""
    d = ws.district(district)
    with ws.registry.session() as s:
        rows = [{"id": p.id, "kind": p.kind, "name": p.name, "street": p.street_code,
                 "org": p.org_code, "status": p.status, "applied_on": str(p.applied_on),
                 "approved_on": str(p.approved_on) if p.approved_on else None,
                 "level": p.level}
                for p in repo.programmes_of_district(s, d.id)]
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for r in rows:
        for by in ("street", "org"):
            if r[by]:
                c = counts.setdefault(str(r["kind"]), {}).setdefault(f"{by}:{r[by]}", {
                    "applied": 0, "approved": 0, "rejected": 0})
                c[str(r["status"])] += 1
    return {"applications": rows, "counts": counts}


def feed_targets(ws: Workspace, *, observed_on: dt.date,
                 district: str | None = None) -> dict[str, float]:
    """Record the counts of :data:`PROGRAMME_TARGETS` and the shares of
    :data:`SHARE_TARGETS` (those with an eligible count) as their targets' observations."""
    d = ws.district(district)
    out: dict[str, float] = {}
    with ws.registry.session() as s:
        streets = repo.street_codes(s, d.id)
        approved = repo.approved_programmes(s, d.id, observed_on)
    for code, (kind, _rule) in PROGRAMME_TARGETS.items():
        try:
            target_id = find_target(ws, code, district=d.id)
        except NotFoundError:
            continue
        per = dict.fromkeys(streets, 0)
        for p in approved:
            if p.kind == kind and p.street_code in per:
                per[p.street_code] += 1
        value = float(min(per.values())) if per else 0.0
        add_observation(ws, target_id, observed_on=observed_on, value=value, source=(
            f"绿色创建登记：{len(per)} 个街道中认定数最少为 {value:g} 个（截至 {observed_on}）"))
        out[code] = value
    for code, kind in SHARE_TARGETS.items():
        try:
            target_id = find_target(ws, code, district=d.id)
        except NotFoundError:
            continue
        got = eligible_count(ws, code, observed_on, district=d.id)
        if got is None:
            continue  # owed: the office enters the eligible count (owed_reasons says so)
        eligible, source, as_of = got
        n = sum(1 for p in approved if p.kind == kind)
        value = share_pct(n, eligible)
        add_observation(ws, target_id, observed_on=observed_on, value=value, source=dumps(msg(
            "sup.value_source.eligible_share", kind=label("programme_kind", kind),
            approved=n, eligible=eligible, as_of=str(as_of), source=source,
            on=str(observed_on))))
        out[code] = value
    return out
