"""The demo's dispatch round (调度): departments and streets answer it, the office accepts
their answers, one department is late; then the office issues the year's assessment.

中文：演示调度：各部门、各街道报送，牵头办公室审核通过；一个部门逾期未报。

The values are invented (a seeded share of each target's value: the plan's progress by the
demo year, never a real figure); each accepted value becomes its target's observation with
the submission as its source. Reduction targets need their baseline year's value: the demo
returns that one to its unit, asking for the baseline, which leaves it owed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from carbonpeak.errors import ConflictError
from carbonpeak.i18n import Message
from carbonpeak.services.plan.targets import TargetStatus, evaluate_targets
from carbonpeak.services.supervision.assessment import issue_assessment, owed_reasons
from carbonpeak.services.supervision.catalogue import SupervisionScope, load_catalogue
from carbonpeak.services.supervision.rounds import open_round, review, round_items, submit
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import TargetKind, TargetState

__all__ = ["DemoRound", "demo_round"]

#: the department that does not answer the demo round (区生态环境局, Huangpu's list)
LATE_UNIT = "sthj"


@dataclass
class DemoRound:
    """What the demo round did: targets without data before and after, and why."""

    period: str
    before: int
    after: int
    total: int
    late_unit: str
    owed: list[tuple[str, Message]] = field(default_factory=list)


def _value(st: TargetStatus, rng: random.Random) -> float | None:
    v = st.target_value
    if v is None:
        return None
    if st.kind == TargetKind.FREQUENCY:
        return v
    if st.kind == TargetKind.DEADLINE:
        return v  # the deadline passed and the unit reports it done
    if st.kind == TargetKind.LEVEL:
        return round(v * (0.9 if st.comparator == "<=" else 1.05), 2)
    share = rng.uniform(0.55, 0.95)
    return round(v * share, 1 if v < 100 else 0)


def _no_data(statuses: list[TargetStatus]) -> int:
    return sum(st.status == TargetState.NO_DATA for st in statuses
               if st.scope_type == "district")


def demo_round(ws: Workspace, district: str, year: int, *, seed: int = 7) -> DemoRound:
    """Load the catalogue, open the round of ``year``'s fourth quarter, answer it as each
    unit, review it as the office; the late unit answers nothing."""
    rng = random.Random(seed)  # noqa: S311 - demo values, not secrets
    load_catalogue(ws, district=district)
    before = evaluate_targets(ws, district=district, year=year)
    period = f"{year}-Q4"
    opened, due = dt.date(year, 12, 1), dt.date(year, 12, 20)
    try:
        r = open_round(ws, period=period, opened_on=opened, due_on=due, district=district)
    except ConflictError:  # the demo ran before into this home
        return DemoRound(period, _no_data(before), _no_data(before), len(before), LATE_UNIT)
    by_code = {st.code: st for st in before if st.scope_type == "district"}
    everyone = SupervisionScope(ws.district(district).id, everything=True)
    items = round_items(ws, everyone, int(r["id"]), today=due)
    for i, it in enumerate(items):
        if it["unit"] == LATE_UNIT:
            continue
        when = dt.datetime(year, 12, 5 + i % 12, 10, 0)
        kind, code = it["item"].split(":", 1)
        fields: dict[str, Any]
        if kind == "task":
            pct = float(rng.choice((40, 55, 60, 70, 80, 90, 100)))
            fields = {"progress": "completed" if pct == 100 else "in_progress",
                      "completion_pct": pct, "narrative": "按计划推进（演示数据）"}
        else:
            st = by_code.get(code)
            value = _value(st, rng) if st is not None else None
            if value is None:
                continue
            fields = {"value": value, "observed_on": dt.date(year, 11, 30),
                      "narrative": "台账统计（演示数据）"}
        row = submit(ws, everyone, int(r["id"]), unit=it["unit"], item=it["item"], now=when,
                     **fields)
        st = by_code.get(code)
        needs_base = st is not None and st.kind == TargetKind.REDUCTION_VS_BASELINE
        review(ws, row["id"], accept=not needs_base, district=district,
               comment="请补报基期（2020 年）数值" if needs_base else "",
               now=when + dt.timedelta(days=1))
    after = evaluate_targets(ws, district=district, year=year)
    # the office issues the year's assessment: the value of the targets on the assessment
    # itself (HP-56/57 分解落实、报告; metric supervision_assessment)
    issue_assessment(ws, year=year, on=dt.date(year, 12, 31), district=district,
                     statuses=after)
    after = evaluate_targets(ws, district=district, year=year)
    why = owed_reasons(ws, after, district=district)
    return DemoRound(period, _no_data(before), _no_data(after), len(after), LATE_UNIT,
                     [(code, m) for code, (_u, m) in sorted(why.items())])
