"""Entering one project in the browser (节能审查登记): create or edit a project and its
designed energy by carrier, with the checks of the import files.

中文：在浏览器中登记或修改单个固定资产投资项目及其分品种设计年用能（与导入文件相同的校验），
每项新增与修改均留痕；建设单位只能登记和修改本单位的项目。

* the fields are the import file's columns (:func:`carbonpeak.intake.projects.files
  .project_record`, :func:`~carbonpeak.intake.projects.files.energy_records`); a bad field
  is named (``(request)``, the field, the value, the reason);
* a ``project_developer`` enters its own projects only: the developer is its organisation
  (left empty, it is filled in; another organisation's code is refused, naming the field),
  and another developer's project answers like one that does not exist;
* the designed energy given replaces the project's: each carrier added, changed or removed
  is audit-logged (``project_energy``), like each field of the project (``project``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import audited_upsert
from carbonpeak.intake.projects.files import energy_records, project_record
from carbonpeak.services.projects.register import _streets, one_project, project_view
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import Project, ProjectEnergyLine
from carbonpeak.storage.registry.repositories import projects as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["save_project"]

_SOURCE = "(request)"


def save_project(ws: Workspace, record: Mapping[str, Any],
                 energy: Sequence[Mapping[str, Any]] | None, *, create: bool,
                 code: str | None = None, district: str | None = None,
                 principal: Principal | None = None) -> dict[str, Any]:
    """Create (``create``; an existing code: :class:`ConflictError`) or update the project
    ``code`` (not visible or unknown: :class:`NotFoundError`) from ``record`` and, when
    given, replace its designed energy with ``energy``. Returns the project with its
    figures (review level, 两高 flag, budget share)."""
    d = ws.district(district)
    view = project_view(principal)
    rec = dict(record)
    if code is not None:
        rec["project_code"] = code
    if not view.everything:
        if view.developer is None:
            msg_ = "no project for this caller"
            raise NotFoundError(msg_)
        given = str(rec.get("developer") or "").strip()
        if given and given != view.developer:
            raise InputValidationError([RowError(_SOURCE, None, "developer", given, msg(
                "projects.entry.own_developer", org=view.developer))])
        rec["developer"] = view.developer
    spec = project_record(rec, source=_SOURCE)
    lines = energy_records([{**e, "project_code": spec.code} for e in energy],
                           source=_SOURCE) if energy is not None else None
    with ws.registry.session() as s:
        errors = []
        if spec.street and spec.street not in _streets(s, d.id):
            errors.append(RowError(_SOURCE, None, "street", spec.street,
                                   msg("intake.project.unknown_street")))
        if spec.entity_id and repo.entity_of_district(s, d.id, spec.entity_id) is None:
            errors.append(RowError(_SOURCE, None, "entity_id", spec.entity_id,
                                   msg("intake.certificate.unknown_holder")))
        if errors:
            raise InputValidationError(errors)
        existing = repo.project_by_code(s, d.id, spec.code)
        if create and existing is not None:
            # a developer learns nothing of another's project beyond "the code is taken"
            why = f"project {spec.code} exists"
            raise ConflictError(why)
        if not create and (existing is None or not view.sees(existing)):
            msg_ = f"no project {spec.code!r}"
            raise NotFoundError(msg_)
        values = {"name": spec.name, "street": spec.street, "developer": spec.developer,
                  "sector_code": spec.sector_code, "kind": spec.kind, "stage": spec.stage,
                  "value_added_10k_cny": spec.value_added_10k_cny,
                  "new_capacity": spec.new_capacity,
                  "renewable_measures": list(spec.renewable_measures)}
        for key in ("first_full_year", "reviewed_tce_equal", "accepted_tce_equal",
                    "entity_id"):
            if key in record or create:
                values[key] = getattr(spec, key)
        context = {"source": "entered in the browser"}
        audited_upsert(s, ws.actor, existing, values,
                       create=lambda: Project(district_id=d.id, code=spec.code,
                                              created_by=ws.actor, **values),
                       object_type="project", key=spec.code, district_id=d.id,
                       context=context, log=audit)
        s.flush()
        if lines is not None:
            pid = repo.id_of_project(s, d.id, spec.code)
            have = {ln.carrier: ln for ln in repo.energy_lines_of_project(s, pid)}

            for e in lines:
                ev = {"annual_quantity": e.annual_quantity, "unit": e.unit,
                      "quantity": e.quantity, "existing_quantity": e.existing_quantity,
                      "feedstock": e.feedstock}
                audited_upsert(s, ws.actor, have.get(e.carrier), ev,
                               create=lambda e=e, ev=ev: ProjectEnergyLine(  # type: ignore[misc]
                                   project_id=pid, carrier=e.carrier, created_by=ws.actor,
                                   **ev),
                               object_type="project_energy", key=f"{spec.code}:{e.carrier}",
                               district_id=d.id, context=context, log=audit)
            for carrier in set(have) - {e.carrier for e in lines}:
                ln = have[carrier]
                audit(s, ws.actor, "delete", "project_energy", f"{spec.code}:{carrier}",
                      {"annual_quantity": ln.annual_quantity, "unit": ln.unit, **context},
                      district=d.id)
                s.delete(ln)
    return one_project(ws, spec.code, district=d.id, principal=principal)
