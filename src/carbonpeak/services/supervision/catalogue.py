"""The district's responsible units and the plan's tasks: load the shipped lists, edit them,
assign tasks, and read them as a role may.

中文：责任单位名录与任务清单：导入、编辑、分派（留痕）、按角色查看。

Who sees what (:class:`SupervisionScope`):

* ``district_admin`` / ``district_analyst``: every task and unit;
* ``department_officer``: the tasks its organisation (``users.org_code``) leads (牵头) or
  supports (配合), and the targets linked to them;
* ``street_officer``: the tasks the plan gives to the streets (各街道) and their targets;
* every other role: none.

A task outside the scope is answered exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.supervision.catalogue_files import read_organisations, read_task_catalogue
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import Organisation, Street, SupervisionTask
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import ANALYST_ROLES, FactorStatus, OrgKind, Role

__all__ = ["STREETS", "SupervisionScope", "add_organisation", "assign_task", "get_task",
           "list_organisations", "list_tasks", "load_catalogue", "supervision_scope",
           "task_dict", "unit_name"]

#: the plans' word for every street (各街道)
STREETS = "各街道"
#: the prefix of a street's unit code (``street:<street code>``)
STREET_UNIT = "street:"


@dataclass(frozen=True)
class SupervisionScope:
    """Which responsible unit a principal acts for (None with ``everything``)."""

    district_id: str
    everything: bool
    org_code: str | None = None
    street_code: str | None = None

    @property
    def unit(self) -> str | None:
        """The unit code the principal reports for."""
        if self.org_code:
            return self.org_code
        return f"{STREET_UNIT}{self.street_code}" if self.street_code else None

    def sees_task(self, t: SupervisionTask) -> bool:
        """Whether task ``t`` is the principal's (lead, support, or a street task)."""
        if t.district_id != self.district_id:
            return False
        if self.everything:
            return True
        if self.org_code:
            return t.lead_org == self.org_code or self.org_code in (t.supporting_orgs or [])
        return self.street_code is not None and bool(t.streets)

    def owns(self, unit: str) -> bool:
        """Whether the principal may answer for ``unit``."""
        return self.everything or (self.unit is not None and unit == self.unit)


def supervision_scope(ws: Workspace, p: Principal) -> SupervisionScope:
    """The supervision scope of a principal."""
    if p.role in ANALYST_ROLES:
        return SupervisionScope(p.district_id, everything=True)
    if p.role == Role.DEPARTMENT_OFFICER and p.org_code:
        return SupervisionScope(p.district_id, everything=False, org_code=p.org_code)
    if p.role == Role.STREET_OFFICER and p.street_id is not None:
        with ws.registry.session() as s:
            st = s.get(Street, p.street_id)
            code = st.code if st is not None and st.district_id == p.district_id else None
        return SupervisionScope(p.district_id, everything=False, street_code=code)
    return SupervisionScope(p.district_id, everything=False)


def load_catalogue(ws: Workspace, *, district: str | None = None) -> dict[str, int]:
    """Load the shipped organisation list and task catalogue of the district's profile;
    what is already there is kept (an office's edits and assignments are not overwritten).
    Returns the counts created."""
    d = ws.district(district)
    orgs = read_organisations(d.id)
    cat = read_task_catalogue(d.id)
    created = {"organisations": 0, "tasks": 0}
    with ws.registry.session() as s:
        have = {o.code for o in repo.organisations_of_district(s, d.id)}
        for o in orgs:
            if o["code"] in have:
                continue
            s.add(Organisation(district_id=d.id, code=o["code"], name_zh=o["name_zh"],
                               name_en=o["name_en"], kind=o["kind"], source=o["source"],
                               status=o["status"]))
            created["organisations"] += 1
        s.flush()
        by_name = {o.name_zh: o.code for o in repo.organisations_of_district(s, d.id)}
        tasks = {t.code for t in repo.tasks_of_district(s, d.id)}
        for t in cat["tasks"]:
            if t["code"] in tasks:
                continue
            names = [n for n in [t["lead"], *t["supporting"]] if n]
            units = "、".join(names)
            s.add(SupervisionTask(
                district_id=d.id, code=t["code"], section=t["section"], title=t["title"],
                quote=t["quote"], units_text=units, lead_org=by_name.get(t["lead"]),
                supporting_orgs=[by_name[n] for n in t["supporting"] if n in by_name],
                streets=STREETS in names, milestones=t["milestones"],
                target_codes=t["targets"], source=cat["source"]))
            created["tasks"] += 1
        if any(created.values()):
            audit(s, ws.actor, "create", "supervision_catalogue", d.id, created,
                  district=d.id)
    return created


def task_dict(t: SupervisionTask, names: dict[str, str]) -> dict[str, Any]:
    """A task as JSON-safe fields (unit codes with their names)."""
    return {"code": t.code, "section": t.section, "title": t.title, "quote": t.quote,
            "units_text": t.units_text, "lead_org": t.lead_org,
            "lead_name": names.get(t.lead_org or "", ""),
            "supporting_orgs": list(t.supporting_orgs or []),
            "supporting_names": [names.get(c, c) for c in t.supporting_orgs or []],
            "streets": bool(t.streets), "milestones": list(t.milestones or []),
            "target_codes": list(t.target_codes or []),
            "assigned": t.lead_org is not None, "source": t.source}


def _names(ws: Workspace, district_id: str) -> dict[str, str]:
    with ws.registry.session() as s:
        return {o.code: o.name_zh for o in repo.organisations_of_district(s, district_id)}


def unit_name(names: dict[str, str], unit: str) -> str:
    """A unit's name: an organisation's Chinese name, or ``street:<code>`` as it is."""
    return names.get(unit, unit)


def list_tasks(ws: Workspace, scope: SupervisionScope) -> list[dict[str, Any]]:
    """The tasks ``scope`` may see, in the plan's order."""
    with ws.registry.session() as s:
        rows = [t for t in repo.tasks_by_code(s, scope.district_id) if scope.sees_task(t)]
        s.expunge_all()
    names = _names(ws, scope.district_id)
    return [task_dict(t, names) for t in rows]


def get_task(ws: Workspace, scope: SupervisionScope, code: str) -> dict[str, Any]:
    """One task; NotFoundError when it does not exist or is outside ``scope``."""
    with ws.registry.session() as s:
        t = repo.task_by_code(s, scope.district_id, code)
        if t is None or not scope.sees_task(t):
            msg_ = f"no task {code!r}"
            raise NotFoundError(msg_)
        s.expunge(t)
    return task_dict(t, _names(ws, scope.district_id))


def list_organisations(ws: Workspace, *, district: str | None = None) -> list[dict[str, Any]]:
    """The district's responsible units."""
    d = ws.district(district)
    with ws.registry.session() as s:
        return [{"code": o.code, "name_zh": o.name_zh, "name_en": o.name_en, "kind": o.kind,
                 "source": o.source, "status": o.status, "active": o.active}
                for o in repo.organisations_by_code(s, d.id)]


def add_organisation(ws: Workspace, code: str, name_zh: str, *, name_en: str = "",
                     kind: str = OrgKind.DEPARTMENT, district: str | None = None) -> None:
    """Add a unit to the district's list (audit-logged); an existing code is refused."""
    d = ws.district(district)
    errors = []
    if not code.strip() or len(code) > 64:
        errors.append(RowError("(request)", None, "code", code,
                               msg("supervision.org.bad_code")))
    if kind not in set(OrgKind):
        errors.append(RowError("(request)", None, "kind", kind, msg(
            "intake.cell.not_one_of", allowed=", ".join(OrgKind))))
    with ws.registry.session() as s:
        if repo.organisation_id(s, d.id, code):
            errors.append(RowError("(request)", None, "code", code,
                                   msg("supervision.org.exists")))
        if errors:
            raise InputValidationError(errors)
        s.add(Organisation(district_id=d.id, code=code, name_zh=name_zh, name_en=name_en,
                           kind=kind, source="entered by the office", status=FactorStatus.USER))
        audit(s, ws.actor, "create", "organisation", code,
              {"name_zh": name_zh, "name_en": name_en, "kind": kind}, district=d.id)


def assign_task(ws: Workspace, code: str, *, lead: str | None,
                supporting: list[str] | None = None, streets: bool | None = None,
                district: str | None = None) -> dict[str, Any]:
    """Give a task its lead and supporting units (codes of the district's list);
    audit-logged with the change."""
    d = ws.district(district)
    with ws.registry.session() as s:
        known = set(repo.active_organisation_codes(s, d.id))
        bad = [c for c in [lead, *(supporting or [])] if c and c not in known]
        if bad:
            raise InputValidationError([RowError("(request)", None, "org", c, msg(
                "supervision.org.unknown", code=c)) for c in bad])
        t = repo.task_by_code(s, d.id, code)
        if t is None:
            msg_ = f"no task {code!r}"
            raise NotFoundError(msg_)
        before = {"lead_org": t.lead_org, "supporting_orgs": list(t.supporting_orgs or []),
                  "streets": t.streets}
        t.lead_org = lead
        if supporting is not None:
            t.supporting_orgs = [c for c in dict.fromkeys(supporting) if c != lead]
        if streets is not None:
            t.streets = streets
        after = {"lead_org": t.lead_org, "supporting_orgs": list(t.supporting_orgs or []),
                 "streets": t.streets}
        if before != after:
            audit(s, ws.actor, "update", "supervision_task", code,
                  {"changes": {k: [before[k], after[k]] for k in before
                               if before[k] != after[k]}}, district=d.id)
        s.flush()
        s.expunge(t)
    return task_dict(t, _names(ws, d.id))
