"""The yearly assessment (考核) of the responsible units and the streets, and why a target has
no data (who owes it).

中文：年度考核（部门与街道得分、等次、通报）及"暂无数据"目标的欠报单位。

The scheme is the district's (profile ``[supervision.assessment]``: ``target_weights``,
``task_weights``, ``veto_targets``, ``bands`` as ``[[min, grade], ...]``, ``late_penalty``);
without one, the defaults of :mod:`carbonpeak.domain.supervision.assessment` with the targets
on energy per GDP as the veto (能耗强度 is the binding target of both plans; a default, status
``unverified``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from carbonpeak.domain.supervision.assessment import (
    DEFAULT_BANDS,
    SCHEME_SOURCE,
    Scheme,
    UnitItem,
    score_units,
    tongbao,
)
from carbonpeak.domain.supervision.timeliness import is_overdue, submitted_late
from carbonpeak.i18n import Message, msg, render_both
from carbonpeak.services.plan.indicators import ASSESSMENT_ISSUED
from carbonpeak.services.plan.targets import TargetStatus, evaluate_targets
from carbonpeak.services.supervision.catalogue import STREET_UNIT
from carbonpeak.services.supervision.programmes import SHARE_TARGETS, eligible_count
from carbonpeak.services.supervision.rounds import target_owners
from carbonpeak.storage.registry.models import RoundSubmission
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import SubmissionStatus, TargetState

__all__ = ["assess", "district_scheme", "issue_assessment", "owed_reasons"]


def district_scheme(ws: Workspace, *, district: str | None = None) -> Scheme:
    """The district's scoring scheme (its profile's, else the defaults)."""
    d = ws.district(district)
    conf = ((d.profile or {}).get("supervision") or {}).get("assessment") or {}
    veto = conf.get("veto_targets")
    if veto is None:
        with ws.registry.session() as s:
            veto = repo.energy_per_gdp_target_codes(s, d.id)
    bands = tuple((float(b[0]), str(b[1])) for b in conf["bands"]) if "bands" in conf \
        else DEFAULT_BANDS
    return Scheme(target_weights={str(k): float(v) for k, v in
                                  (conf.get("target_weights") or {}).items()},
                  task_weights={str(k): float(v) for k, v in
                                (conf.get("task_weights") or {}).items()},
                  veto_targets=tuple(veto), bands=bands,
                  late_penalty=float(conf.get("late_penalty", 2.0)),
                  source=(str(conf["source"]), str(conf.get("status", "user")))
                  if "source" in conf else Scheme().source)


def assess(ws: Workspace, *, year: int, district: str | None = None,
           today: dt.date | None = None,
           statuses: list[TargetStatus] | None = None) -> dict[str, Any]:
    """Every unit's score, grade and breakdown for ``year``: the targets it owes (their
    state at the end of the year), the tasks it leads (their accepted completion in the
    year's rounds), late and overdue submissions; and the 通报 lists. ``today``: the date
    overdue is judged on; ``statuses``: the year's target statuses when already evaluated
    (the figure catalogue's)."""
    d = ws.district(district)
    day = today or dt.date.today()
    scheme = district_scheme(ws, district=d.id)
    if statuses is None:
        statuses = evaluate_targets(ws, district=d.id, year=year)
    states = {st.code: st.status for st in statuses if st.scope_type == "district"}
    items: list[UnitItem] = []
    with ws.registry.session() as s:
        owners = target_owners(s, d.id)
        names = {o.code: o.name_zh for o in repo.organisations_of_district(s, d.id)}
        names.update({f"{STREET_UNIT}{st.code}": st.name_zh
                      for st in repo.streets_of_district(s, d.id)})
        rounds = {r.id: r for r in repo.rounds_of_district(s, d.id)
                  if r.opened_on.year == year}
        subs = repo.submissions_of_rounds(s, list(rounds))
        tasks = repo.tasks_of_district(s, d.id)
    done: dict[tuple[str, str], float] = {}
    late: dict[tuple[str, str], int] = {}
    owed: dict[tuple[str, str], int] = {}
    for sub in subs:
        r = rounds[sub.round_id]
        key = (sub.unit, sub.item)
        if sub.status == SubmissionStatus.ACCEPTED and sub.completion_pct is not None:
            done[key] = sub.completion_pct
        sent = sub.submitted_at.date() if sub.submitted_at else None
        late[key] = late.get(key, 0) + int(submitted_late(sent, r.due_on))
        owed[key] = owed.get(key, 0) + int(is_overdue(sub.status, r.due_on, day))
    for code, unit in owners.items():
        if code in states:
            k = (unit, f"target:{code}")
            items.append(UnitItem(unit, "target", code, state=states[code],
                                  late=late.get(k, 0), owed=owed.get(k, 0)))
    asked = set(late)
    for t in tasks:
        units = [t.lead_org] if t.lead_org else []
        units += sorted({u for (u, it) in asked if it == f"task:{t.code}"
                         and u.startswith(STREET_UNIT)})
        for u in units:
            k = (u, f"task:{t.code}")
            items.append(UnitItem(u, "task", t.code, completion_pct=done.get(k),
                                  late=late.get(k, 0), owed=owed.get(k, 0)))
    scores = score_units(items, scheme)
    lists = tongbao(scores, scheme.bands)
    out = []
    for us in scores:
        row = asdict(us)
        row["unit_name"] = names.get(us.unit, us.unit)
        row["grade_zh"], row["grade_en"] = render_both(msg(f"supervision.grade.{us.grade}")) \
            if us.grade in {b[1] for b in DEFAULT_BANDS} else (us.grade, us.grade)
        row["items"] = [asdict(i) for i in us.items]
        out.append(row)
    if scheme.source == SCHEME_SOURCE:
        source_zh, source_en = render_both(msg("supervision.scheme.default_source"))
    else:
        source_zh = source_en = scheme.source[0]  # the district's own text, as written
    return {"district": d.id, "year": year, "units": out,
            "commended": lists["commended"], "criticised": lists["criticised"],
            "scheme": {"bands": [list(b) for b in scheme.bands],
                       "veto_targets": list(scheme.veto_targets),
                       "late_penalty": scheme.late_penalty,
                       "source": source_en, "source_zh": source_zh,
                       "status": scheme.source[1]}}


def issue_assessment(ws: Workspace, *, year: int, on: dt.date, district: str | None = None,
                     statuses: list[TargetStatus] | None = None) -> dict[str, Any]:
    """Issue (印发) the assessment of ``year`` on ``on``: :func:`assess` judged on that day,
    recorded in the audit log with the units scored and graded, those vetoed and the 通报
    lists. The issue is what the
    plans' yearly targets on the assessment count (HP-56 分解落实, HP-57 报告, TH-50 跟踪评估:
    1 次/年, metric ``supervision_assessment``); re-issuing a year corrects it and counts
    once."""
    out = assess(ws, year=year, district=district, today=on, statuses=statuses)
    units = out["units"]
    details = {"year": year, "issued_on": str(on), "units": len(units),
               "vetoed": sum(1 for u in units if u["vetoed"]),
               "commended": len(out["commended"]), "criticised": len(out["criticised"])}
    with ws.registry.session() as s:
        audit(s, ws.actor, ASSESSMENT_ISSUED[1], ASSESSMENT_ISSUED[0], str(year), details,
              district=out["district"])
    out["issued"] = details
    return out


def owed_reasons(ws: Workspace, statuses: list[TargetStatus], *,
                 district: str | None = None,
                 today: dt.date | None = None) -> dict[str, tuple[str, Message]]:
    """For each district target in ``statuses`` without data: the unit that owes it and why
    (the latest round that asks for it, else its owner, else nobody)."""
    d = ws.district(district)
    day = today or dt.date.today()
    missing = {st.code for st in statuses
               if st.status == TargetState.NO_DATA and st.scope_type == "district"}
    reasons = {st.code: st.reason for st in statuses if st.code in missing}
    out: dict[str, tuple[str, Message]] = {}
    with ws.registry.session() as s:
        owners = target_owners(s, d.id)
        names = {o.code: o.name_zh for o in repo.organisations_of_district(s, d.id)}
        rounds = {r.id: r for r in repo.rounds_of_district(s, d.id)}
        latest: dict[str, RoundSubmission] = {}
        for sub in repo.target_submissions(s, d.id, [f"target:{c}" for c in missing]):
            latest[sub.item.split(":", 1)[1]] = sub
    for code in sorted(missing):
        got = latest.get(code)
        if got is not None:
            sub = got
            r = rounds[sub.round_id]
            name = names.get(sub.unit, sub.unit)
            if sub.status == SubmissionStatus.ACCEPTED:
                m = msg("supervision.owed.accepted", unit=name, period=r.period,
                        reason=reasons.get(code) or "")
            elif sub.status == SubmissionStatus.RETURNED:
                m = msg("supervision.owed.returned", unit=name, period=r.period)
            elif sub.status == SubmissionStatus.SUBMITTED:
                m = msg("supervision.owed.submitted", unit=name, period=r.period)
            else:
                m = msg("supervision.owed.round", unit=name, period=r.period,
                        due=str(r.due_on), overdue=msg("supervision.owed.overdue")
                        if is_overdue(sub.status, r.due_on, day) else "")
            out[code] = (sub.unit, m)
        elif code in SHARE_TARGETS and eligible_count(ws, code, day, district=d.id) is None:
            owner = owners.get(code, "")
            what = msg(f"sup.owed.eligible.{code.lower().replace('-', '_')}")
            out[code] = (owner, msg("sup.owed.eligible", code=code, what=what,
                                    unit=names.get(owner) or msg("sup.owed.office")))
        elif code in owners:
            out[code] = (owners[code], msg("supervision.owed.owner",
                                           unit=names.get(owners[code], owners[code])))
        else:
            out[code] = ("", msg("supervision.owed.nobody"))
    return out
