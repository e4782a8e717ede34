"""Green-creation programmes (绿色创建, C14): applications and approvals per street and
organisation (low-carbon communities, 节约型机关, green malls, green schools, demonstration
projects), and the counts that feed their targets.

中文：绿色创建登记：按街道、单位登记申报与认定，认定数计入相应目标。

Which counts feed which target (:data:`PROGRAMME_TARGETS`): HP-54 (每个街道至少创建一个低碳
社区) takes the least number of approved low-carbon communities over the district's streets,
so that ≥ 1 holds only when every street has one. The share targets (TH-47 节约型机关, TH-48
绿色商场) need the number of eligible institutions and malls, which the registry does not
hold: their counts are listed, not fed (see docs/supervision.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.services.plan.targets import add_observation, find_target
from carbonpeak.storage.registry.models import GreenProgramme, Organisation, Street
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import ProgrammeKind, ProgrammeStatus

__all__ = ["PROGRAMME_TARGETS", "apply_programme", "decide_programme", "feed_targets",
           "list_programmes"]

#: target code -> (programme kind, rule)
PROGRAMME_TARGETS = {"HP-54": (ProgrammeKind.LOW_CARBON_COMMUNITY, "least_per_street")}


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
        if street and not s.scalars(select(Street.id).where(
                Street.district_id == d.id, Street.code == street)).first():
            errors.append(RowError("(request)", None, "street", street,
                                   msg("supervision.programme.unknown_street")))
        if org and not s.scalars(select(Organisation.id).where(
                Organisation.district_id == d.id, Organisation.code == org)).first():
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
                for p in s.scalars(select(GreenProgramme).where(
                    GreenProgramme.district_id == d.id).order_by(GreenProgramme.id))]
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
    """Record the counts of :data:`PROGRAMME_TARGETS` as their targets' observations."""
    d = ws.district(district)
    out: dict[str, float] = {}
    with ws.registry.session() as s:
        streets = list(s.scalars(select(Street.code).where(Street.district_id == d.id)))
        approved = list(s.scalars(select(GreenProgramme).where(
            GreenProgramme.district_id == d.id,
            GreenProgramme.status == ProgrammeStatus.APPROVED,
            GreenProgramme.approved_on <= observed_on)))
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
    return out
