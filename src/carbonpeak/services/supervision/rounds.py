"""Dispatch rounds (调度): the office opens a round, each responsible unit answers its items,
the office accepts or returns each answer; an accepted value becomes the target's
observation with the submission as its source.

中文：定期调度：开启调度轮次，责任单位报送进展与指标值（附佐证材料），牵头办公室审核（通过或退回），
通过的指标值记为目标观测值并注明来源；逾期标记、催报提醒、历史留痕。

Who answers an item (its *owner*): for a task, its lead unit (牵头) and, for a task the plan
gives to every street (各街道), each street; for a target, the lead unit of the task that names
it, else the first unit its ``responsible_units`` names, else the office (the leading group's
office, kind ``office``). An item without an owner is listed as unassigned and not asked.
How often rounds are opened is the district's choice (the plans say 定期 only).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonpeak.domain.supervision.timeliness import (
    TimelinessRule,
    is_overdue,
    submitted_late,
    timeliness,
)
from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Text, dumps, msg, render_both
from carbonpeak.intake.supervision.evidence import check_evidence, store_evidence
from carbonpeak.services.plan.notify import Notifier
from carbonpeak.services.plan.targets import add_observation
from carbonpeak.services.supervision.catalogue import STREET_UNIT, SupervisionScope
from carbonpeak.storage.registry.models import DispatchRound, RoundSubmission, utcnow
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import OrgKind, RoundStatus, SubmissionStatus, TaskProgress

__all__ = ["EVIDENCE_TYPES", "EvidenceDownload", "evidence_file", "list_rounds", "open_round",
           "remind", "review", "round_board", "round_items", "submit", "target_owners"]

#: the media type of each evidence kind (:data:`carbonpeak.intake.supervision.evidence
#: .EVIDENCE_KINDS`)
EVIDENCE_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class EvidenceDownload:
    """An evidence file to send: its name as uploaded, its media type, where it is kept."""

    name: str
    media_type: str
    path: Path


def _names(s: Any, district_id: str) -> dict[str, str]:
    names = {o.code: o.name_zh for o in repo.organisations_of_district(s, district_id)}
    names.update({f"{STREET_UNIT}{st.code}": st.name_zh
                  for st in repo.streets_of_district(s, district_id)})
    return names


def _unit_text(s: Any, district_id: str, unit: str, names: dict[str, str]) -> Text:
    """A unit's name in both languages: an organisation's from the district's list (its
    English name, else its Chinese one), a street's from the street list."""
    if unit.startswith(STREET_UNIT):
        st = repo.street_by_code(s, district_id, unit[len(STREET_UNIT):])
        if st is not None:
            return Text(st.name_zh, st.name_en or st.name_zh)
    else:
        o = repo.organisation_by_code(s, district_id, unit)
        if o is not None:
            return Text(o.name_zh, o.name_en or o.name_zh)
    zh = names.get(unit, unit)
    return Text(zh, zh)


def target_owners(s: Any, district_id: str) -> dict[str, str]:
    """Target code -> the unit that owes its value (see the module's rules)."""
    orgs = repo.active_organisations(s, district_id)
    by_name = {o.name_zh: o.code for o in orgs}
    office = next((o.code for o in orgs if o.kind == OrgKind.OFFICE), None)
    owners: dict[str, str] = {}
    for t in repo.tasks_by_code(s, district_id):
        for code in t.target_codes or []:
            if t.lead_org and code not in owners:
                owners[code] = t.lead_org
    for tg in repo.active_targets(s, district_id):
        if tg.code in owners:
            continue
        first = tg.responsible_units.replace("，", "、").split("、")[0].strip()
        owner = by_name.get(first) or office
        if owner:
            owners[tg.code] = owner
    return owners


def open_round(ws: Workspace, *, period: str, due_on: dt.date,
               opened_on: dt.date | None = None, tasks: list[str] | None = None,
               targets: list[str] | None = None,
               district: str | None = None) -> dict[str, Any]:
    """Open a round for ``period`` (e.g. ``2024-Q4``) due on ``due_on``, asking for ``tasks``
    (default: every assigned task) and ``targets`` (default: every active district target
    the account does not compute). Returns the round with its items and the unassigned."""
    d = ws.district(district)
    opened = opened_on or dt.date.today()
    if due_on < opened:
        raise InputValidationError([RowError("(request)", None, "due_on", str(due_on),
                                             msg("supervision.round.due_before_open"))])
    with ws.registry.session() as s:
        if repo.round_id_of_period(s, d.id, period):
            why = f"a round for {period} exists"
            raise ConflictError(why)
        all_tasks = repo.tasks_by_code(s, d.id)
        known_t = {t.code for t in all_tasks}
        all_targets = repo.active_district_targets(s, d.id)
        known_g = {t.code for t in all_targets}
        bad = [RowError("(request)", None, "tasks", c, msg("supervision.task.unknown", code=c))
               for c in tasks or [] if c not in known_t]
        bad += [RowError("(request)", None, "targets", c, msg("supervision.target.unknown", code=c))
                for c in targets or [] if c not in known_g]
        if bad:
            raise InputValidationError(bad)
        task_rows = [t for t in all_tasks if (t.code in tasks if tasks is not None
                                               else t.lead_org is not None)]
        target_codes = targets if targets is not None else [
            t.code for t in all_targets if not t.metric]
        streets = [st.code for st in repo.streets_by_code(s, d.id)]
        owners = target_owners(s, d.id)
        r = DispatchRound(district_id=d.id, period=period, opened_on=opened, due_on=due_on,
                          status=RoundStatus.OPEN, task_codes=[t.code for t in task_rows],
                          target_codes=list(target_codes), opened_by=ws.actor)
        s.add(r)
        s.flush()
        pairs: list[tuple[str, str]] = []
        unassigned: list[str] = []
        for t in task_rows:
            units = ([t.lead_org] if t.lead_org else []) + (
                [f"{STREET_UNIT}{c}" for c in streets] if t.streets else [])
            if not units:
                unassigned.append(f"task:{t.code}")
            pairs += [(u, f"task:{t.code}") for u in units]
        for code in target_codes:
            if code in owners:
                pairs.append((owners[code], f"target:{code}"))
            else:
                unassigned.append(f"target:{code}")
        for unit, item in pairs:
            s.add(RoundSubmission(round_id=r.id, district_id=d.id, unit=unit, item=item,
                                  status=SubmissionStatus.PENDING, history=[]))
        audit(s, ws.actor, "create", "dispatch_round", period,
              {"due_on": str(due_on), "items": len(pairs), "unassigned": unassigned},
              district=d.id)
        rid = r.id
    return {"id": rid, "period": period, "opened_on": str(opened), "due_on": str(due_on),
            "items": len(pairs), "unassigned": unassigned}


def _round(s: Any, district_id: str, round_id: int) -> DispatchRound:
    r: DispatchRound | None = s.get(DispatchRound, round_id)
    if r is None or r.district_id != district_id:
        msg_ = f"no round {round_id}"
        raise NotFoundError(msg_)
    return r


def _row(sub: RoundSubmission, r: DispatchRound, names: dict[str, str], today: dt.date,
         rule: TimelinessRule) -> dict[str, Any]:
    sent = sub.submitted_at.date() if sub.submitted_at else None
    return {"id": sub.id, "round_id": r.id, "period": r.period, "due_on": str(r.due_on),
            "unit": sub.unit, "unit_name": names.get(sub.unit, sub.unit), "item": sub.item,
            "status": sub.status, "progress": sub.progress,
            "completion_pct": sub.completion_pct, "narrative": sub.narrative,
            "value": sub.value,
            "observed_on": str(sub.observed_on) if sub.observed_on else None,
            "evidence": list(sub.evidence or []),
            "submitted_at": sub.submitted_at.isoformat() if sub.submitted_at else None,
            "review_comment": sub.review_comment,
            "overdue": is_overdue(sub.status, r.due_on, today),
            "late": submitted_late(sent, r.due_on),
            "timeliness": timeliness(sent, today, rule).value,
            "history": list(sub.history or [])}


def round_items(ws: Workspace, scope: SupervisionScope, round_id: int, *,
                today: dt.date | None = None,
                rule: TimelinessRule | None = None) -> list[dict[str, Any]]:
    """The items of a round ``scope`` may see (a unit: its own), with overdue and late
    flags and timeliness."""
    day = today or dt.date.today()
    rule = rule or TimelinessRule()
    with ws.registry.session() as s:
        r = _round(s, scope.district_id, round_id)
        unit = None
        if not scope.everything:
            if scope.unit is None:
                return []
            unit = scope.unit
        names = _names(s, scope.district_id)
        return [_row(sub, r, names, day, rule)
                for sub in repo.submissions_of_round(s, r.id, unit=unit)]


def round_board(ws: Workspace, round_id: int, *, district: str | None = None,
                today: dt.date | None = None) -> dict[str, Any]:
    """Who is late: per unit, the items asked, answered, accepted, owed and overdue."""
    d = ws.district(district)
    rows = round_items(ws, SupervisionScope(d.id, everything=True), round_id, today=today)
    units: dict[str, dict[str, Any]] = {}
    for row in rows:
        u = units.setdefault(row["unit"], {
            "unit": row["unit"], "unit_name": row["unit_name"], "items": 0, "submitted": 0,
            "accepted": 0, "returned": 0, "owed": 0, "overdue": 0, "late": 0})
        u["items"] += 1
        u[row["status"] if row["status"] != SubmissionStatus.PENDING else "owed"] += 1
        if row["status"] == SubmissionStatus.RETURNED:
            u["owed"] += 1
        u["overdue"] += int(row["overdue"])
        u["late"] += int(row["late"])
    with ws.registry.session() as s:
        r = _round(s, d.id, round_id)
        head = {"id": r.id, "period": r.period, "opened_on": str(r.opened_on),
                "due_on": str(r.due_on), "status": r.status}
    board = sorted(units.values(), key=lambda u: (-u["overdue"], -u["owed"], u["unit"]))
    return {**head, "units": board, "late_units": [u["unit"] for u in board if u["overdue"]]}


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def submit(ws: Workspace, scope: SupervisionScope, round_id: int, *, unit: str, item: str,
           progress: str | None = None, completion_pct: float | None = None,
           narrative: str = "", value: float | None = None,
           observed_on: dt.date | None = None,
           evidence: list[tuple[str, bytes]] | None = None,
           now: dt.datetime | None = None) -> dict[str, Any]:
    """A unit answers an item: a task's progress (status, completion %, narrative) or a
    target's value (with the date it refers to), with evidence files. Audit-logged; refused
    once accepted or when the round is closed."""
    errors: list[RowError] = []
    if item.startswith("task:"):
        if progress not in set(TaskProgress):
            errors.append(RowError("(request)", None, "progress", str(progress), msg(
                "intake.cell.not_one_of", allowed=", ".join(TaskProgress))))
        if completion_pct is not None and not (
                _finite(completion_pct) and 0 <= completion_pct <= 100):
            errors.append(RowError("(request)", None, "completion_pct", str(completion_pct),
                                   msg("supervision.submission.bad_pct")))
    elif not _finite(value):
        errors.append(RowError("(request)", None, "value", str(value),
                               msg("supervision.submission.value_required")))
    checked = [(check_evidence(name, data), data) for name, data in evidence or []]
    if errors:
        raise InputValidationError(errors)
    when = now or utcnow()
    with ws.registry.session() as s:
        r = _round(s, scope.district_id, round_id)
        sub = repo.submission_of_item(s, r.id, unit, item)
        if sub is None or not scope.owns(unit):
            msg_ = f"no item {item!r} of {unit!r} in round {round_id}"
            raise NotFoundError(msg_)
        if r.status != RoundStatus.OPEN:
            why = f"round {r.period} is closed"
            raise ConflictError(why)
        if sub.status in (SubmissionStatus.ACCEPTED, SubmissionStatus.SUBMITTED):
            why = f"item {item} of {unit} is {sub.status}"
            raise ConflictError(why)
        files = []
        for ev, data in checked:
            store_evidence(ws.settings.home / "evidence", ev, data)
            files.append({"name": ev.name, "kind": ev.kind, "size": ev.size,
                          "sha256": ev.sha256})
        sub.progress, sub.completion_pct, sub.narrative = progress, completion_pct, narrative
        sub.value, sub.observed_on = value, observed_on
        sub.evidence = [*list(sub.evidence or []), *files]
        sub.status, sub.submitted_at, sub.submitted_by = SubmissionStatus.SUBMITTED, when, \
            ws.actor
        sub.history = [*list(sub.history or []), {
            "at": when.isoformat(), "by": ws.actor, "action": "submit",
            "value": value, "completion_pct": completion_pct, "files": len(files)}]
        audit(s, ws.actor, "submit", "round_submission", f"{r.period}/{unit}/{item}",
              {"value": value, "progress": progress, "completion_pct": completion_pct,
               "evidence": files}, district=scope.district_id)
        s.flush()
        return _row(sub, r, _names(s, scope.district_id), when.date(), TimelinessRule())


def review(ws: Workspace, submission_id: int, *, accept: bool, comment: str = "",
           district: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The office accepts a submitted answer (a target's value becomes its observation, the
    submission its source) or returns it with a comment. Audit-logged."""
    d = ws.district(district)
    when = now or utcnow()
    if not accept and not comment.strip():
        raise InputValidationError([RowError("(request)", None, "comment", comment,
                                             msg("supervision.review.comment_required"))])
    with ws.registry.session() as s:
        sub = s.get(RoundSubmission, submission_id)
        if sub is None or sub.district_id != d.id:
            msg_ = f"no submission {submission_id}"
            raise NotFoundError(msg_)
        if sub.status != SubmissionStatus.SUBMITTED:
            why = f"submission {submission_id} is {sub.status}, not submitted"
            raise ConflictError(why)
        r = _round(s, d.id, sub.round_id)
        names = _names(s, d.id)
        target_id = None
        if accept and sub.item.startswith("target:") and sub.value is not None:
            target_id = repo.district_target_id(s, d.id, sub.item.split(":", 1)[1])
        # kept as a message (code and parameters, the unit's name in both languages from the
        # organisation list): each edition renders it in its own language
        source = dumps(msg("supervision.source", period=r.period,
                           unit=_unit_text(s, d.id, sub.unit, names), id=sub.id))
        value, on = sub.value, sub.observed_on or r.opened_on
    obs_id = None
    if target_id is not None and value is not None:
        obs, _state = add_observation(ws, target_id, observed_on=on, value=value,
                                      source=source)
        obs_id = obs.id
    with ws.registry.session() as s:
        sub = s.get(RoundSubmission, submission_id)
        assert sub is not None
        sub.status = SubmissionStatus.ACCEPTED if accept else SubmissionStatus.RETURNED
        sub.reviewed_at, sub.reviewed_by, sub.review_comment = when, ws.actor, comment
        sub.observation_id = obs_id
        sub.history = [*list(sub.history or []), {
            "at": when.isoformat(), "by": ws.actor,
            "action": "accept" if accept else "return", "comment": comment}]
        audit(s, ws.actor, "accept" if accept else "return", "round_submission",
              f"{r.period}/{sub.unit}/{sub.item}", {"comment": comment,
                                                     "observation_id": obs_id},
              district=d.id)
        s.flush()
        return _row(sub, r, names, when.date(), TimelinessRule())


def evidence_file(ws: Workspace, scope: SupervisionScope, submission_id: int, n: int
                  ) -> EvidenceDownload:
    """The ``n``-th (1-based) evidence file of a submission ``scope`` may see (a unit: its
    own submissions; the office: the district's); any other, or a file no longer kept, is
    :class:`NotFoundError` like one that does not exist. Audit-logged (who read which file)."""
    with ws.registry.session() as s:
        sub = s.get(RoundSubmission, submission_id)
        if sub is None or sub.district_id != scope.district_id or not (
                scope.everything or (scope.unit is not None and sub.unit == scope.unit)):
            msg_ = f"no submission {submission_id}"
            raise NotFoundError(msg_)
        files = list(sub.evidence or [])
        if not 1 <= n <= len(files):
            msg_ = f"no evidence file {n} of submission {submission_id}"
            raise NotFoundError(msg_)
        f = files[n - 1]
        sha = str(f.get("sha256", ""))
        path = ws.settings.home / "evidence" / sha[:2] / sha
        if len(sha) != 64 or not path.is_file() or f.get("kind") not in EVIDENCE_TYPES:
            msg_ = f"evidence file {n} of submission {submission_id} is not kept"
            raise NotFoundError(msg_)
        audit(s, ws.actor, "read", "round_evidence", f"{submission_id}/{n}",
              {"name": f.get("name"), "sha256": sha}, district=scope.district_id)
        return EvidenceDownload(str(f.get("name") or f"evidence-{n}"),
                                EVIDENCE_TYPES[str(f["kind"])], path)


def remind(ws: Workspace, round_id: int, notifier: Notifier | None, *,
           district: str | None = None, today: dt.date | None = None) -> list[dict[str, Any]]:
    """One reminder per unit that still owes items (催报), sent through the plan's notifier
    (webhook / e-mail; none configured: the reminders are returned only)."""
    board = round_board(ws, round_id, district=district, today=today)
    events = []
    for u in board["units"]:
        if not u["owed"]:
            continue
        m = msg("supervision.reminder", unit=u["unit_name"], period=board["period"],
                owed=u["owed"], due=board["due_on"])
        zh, en = render_both(m)
        events.append({"level": "red" if u["overdue"] else "yellow", "scope_type": "unit",
                       "scope_id": u["unit"], "scope_name": u["unit_name"],
                       "year": board["period"], "reason_zh": zh, "reason_en": en,
                       "owed": u["owed"], "overdue": u["overdue"]})
    if notifier is not None and events:
        notifier.send(events)
    return events


def list_rounds(ws: Workspace, district_id: str) -> list[DispatchRound]:
    """The district's dispatch rounds, newest first."""
    with ws.registry.session() as s:
        rows = repo.rounds_newest_first(s, district_id)
        s.expunge_all()
    return rows
