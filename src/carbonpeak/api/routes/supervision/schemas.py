"""Answers of the plan-supervision endpoints (``routes/supervision``)."""

from __future__ import annotations

from typing import Any

from carbonpeak.api.schemas.common import Public
from carbonpeak.api.schemas.metrics import FigurePublic

__all__ = ["AssessmentPublic", "BoardPublic", "EligiblePublic", "IssuedPublic", "ItemPublic",
           "ItemsPublic", "MilestonePublic", "ScheduledPublic", "SchedulePublic",
           "ScheduleRulePublic",
           "OrganisationPublic", "OrganisationsPublic", "RoundOpenedPublic", "RoundPublic",
           "RoundsPublic", "TaskPublic", "TasksPublic", "UnitScorePublic"]


class MilestonePublic(Public):
    """A dated clause of a task."""

    text: str
    deadline_year: int | None
    yearly: bool


class TaskPublic(Public):
    """A task of the plan with its units (codes and names) and linked targets."""

    code: str
    section: str
    title: str
    quote: str
    units_text: str
    lead_org: str | None
    lead_name: str
    supporting_orgs: list[str]
    supporting_names: list[str]
    streets: bool
    milestones: list[MilestonePublic]
    target_codes: list[str]
    assigned: bool
    source: str


class TasksPublic(Public):
    """The tasks the caller may see."""

    tasks: list[TaskPublic]


class OrganisationPublic(Public):
    """A responsible unit of the district."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    source: str
    status: str
    active: bool


class OrganisationsPublic(Public):
    """The district's responsible units."""

    organisations: list[OrganisationPublic]


class RoundPublic(Public):
    """A dispatch round."""

    id: int
    period: str
    opened_on: str
    due_on: str
    status: str


class RoundsPublic(Public):
    """The district's rounds, newest first."""

    rounds: list[RoundPublic]


class RoundOpenedPublic(Public):
    """A round just opened: how many items it asks, and what has no owner."""

    id: int
    period: str
    opened_on: str
    due_on: str
    items: int
    unassigned: list[str]


class ItemPublic(Public):
    """A unit's answer to one item of a round, with overdue, late and timeliness."""

    id: int
    round_id: int
    period: str
    due_on: str
    unit: str
    unit_name: str
    item: str
    status: str
    progress: str | None
    completion_pct: float | None
    narrative: str
    value: float | None
    observed_on: str | None
    evidence: list[dict[str, Any]]
    submitted_at: str | None
    review_comment: str
    overdue: bool
    late: bool
    timeliness: str
    history: list[dict[str, Any]]


class ItemsPublic(Public):
    """The items of a round the caller may see (a unit: its own)."""

    items: list[ItemPublic]


class UnitBoardPublic(Public):
    """One unit's line on the round board."""

    unit: str
    unit_name: str
    items: int
    submitted: int
    accepted: int
    returned: int
    owed: int
    overdue: int
    late: int


class BoardPublic(Public):
    """Who is late in a round."""

    id: int
    period: str
    opened_on: str
    due_on: str
    status: str
    units: list[UnitBoardPublic]
    late_units: list[str]


class ItemScorePublic(Public):
    """An item's part of a unit's score."""

    kind: str
    code: str
    weight: float
    score: float
    note: str


class UnitScorePublic(Public):
    """A unit's score, grade and breakdown."""

    unit: str
    unit_name: str
    score: float
    grade: str
    grade_zh: str
    grade_en: str
    vetoed: bool
    penalty: float
    items: list[ItemScorePublic]


class SchemePublic(Public):
    """The scoring scheme used, with its source and status."""

    bands: list[list[Any]]
    veto_targets: list[str]
    late_penalty: float
    source: str
    source_zh: str
    status: str


class AssessmentPublic(Public):
    """The yearly assessment (考核)."""

    district: str
    year: int
    units: list[UnitScorePublic]
    commended: list[str]
    criticised: list[str]
    scheme: SchemePublic
    #: the figure catalogue's supervision figures of the year (counts, street scores), judged
    #: on the same as-of date as the scores
    figures: list[FigurePublic] = []


class IssuedPublic(Public):
    """A yearly assessment issued (印发): the value of HP-56/57 and TH-50 for its year."""

    year: int
    issued_on: str
    units: int
    vetoed: int
    commended: int
    criticised: int


class EligiblePublic(Public):
    """A share target's eligible count (应创建数) entered: created, updated or unchanged."""

    target: str
    count: int
    as_of: str
    state: str


class ScheduleRulePublic(Public):
    """How often rounds open, with the rule's source and status."""

    frequency: str
    due_days: int
    since: str | None
    source: str
    source_zh: str
    status: str
    default: bool


class ScheduledPublic(RoundOpenedPublic):
    """A round the schedule opened, and the day it was scheduled for."""

    scheduled_on: str


class SchedulePublic(Public):
    """What a run of the schedule did: the rounds opened and those already there."""

    district: str
    today: str
    rule: ScheduleRulePublic
    opened: list[ScheduledPublic]
    existing: list[str]
