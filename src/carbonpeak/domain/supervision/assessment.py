"""The yearly assessment (考核): a unit's score from the items it leads, its grade and the
commendation and criticism list (通报).

中文：年度考核：按牵头事项计分、评定等次、形成通报名单。

Score of a unit = the weighted mean of its item scores (0–100), less ``late_penalty`` points
for each submission sent after its round's due date and each item still owed, bounded to
0–100. An item's score:

* a target: the score of its state (``state_scores``: achieved / met 100, on track 100,
  at risk 80, off track 40, missed / not met / no data 0); states the scheme does not score
  (qualitative, applied, no target value) are left out;
* a task: its accepted completion % (0 when nothing was accepted).

A veto target (一票否决) the unit leads that is missed or off track makes its grade the lowest
whatever its score. Grades: the first band whose minimum the score reaches.

The defaults follow common district score sheets (≥ 95 超额完成, 80–94 完成, 60–79 基本完成,
< 60 未完成); they are not taken from a document we could read (status ``unverified``): every
one of them is a setting of the district.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_BANDS", "SCHEME_SOURCE", "ItemScore", "Scheme", "UnitItem", "UnitScore",
           "grade_of", "score_units", "tongbao"]

#: (minimum score, grade code) from the best down
DEFAULT_BANDS: tuple[tuple[float, str], ...] = (
    (95.0, "exceeded"), (80.0, "completed"), (60.0, "basically_completed"),
    (0.0, "not_completed"))
SCHEME_SOURCE = ("common district 考核 score sheets (grade bands ≥95 / 80–94 / 60–79 / <60); "
                 "defaults, configurable", "unverified")
DEFAULT_STATE_SCORES: dict[str, float] = {
    "achieved": 100.0, "met": 100.0, "on_track": 100.0, "at_risk": 80.0, "off_track": 40.0,
    "missed": 0.0, "not_met": 0.0, "no_data": 0.0}


@dataclass(frozen=True)
class Scheme:
    """A scoring scheme: weights per target and per task (1 when not named), the veto
    targets, the grade bands, the score of each target state and the late penalty."""

    target_weights: dict[str, float] = field(default_factory=dict)
    task_weights: dict[str, float] = field(default_factory=dict)
    veto_targets: tuple[str, ...] = ()
    bands: tuple[tuple[float, str], ...] = DEFAULT_BANDS
    state_scores: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STATE_SCORES))
    late_penalty: float = 2.0
    source: tuple[str, str] = SCHEME_SOURCE

    def __post_init__(self) -> None:
        mins = [b[0] for b in self.bands]
        if not mins or mins != sorted(mins, reverse=True) or mins[-1] != 0.0:
            msg = "grade bands must run from the best down and end at 0"
            raise ValueError(msg)
        if any(w < 0 for w in [*self.target_weights.values(), *self.task_weights.values()]):
            msg = "weights must not be negative"
            raise ValueError(msg)


@dataclass(frozen=True)
class UnitItem:
    """One item a unit leads: ``kind`` target or task, its code, the target's state or the
    task's accepted completion %, and how many of its submissions were late or are owed."""

    unit: str
    kind: str
    code: str
    state: str | None = None
    completion_pct: float | None = None
    late: int = 0
    owed: int = 0


@dataclass(frozen=True)
class ItemScore:
    """An item's part of a unit's score."""

    kind: str
    code: str
    weight: float
    score: float
    note: str = ""


@dataclass(frozen=True)
class UnitScore:
    """A unit's score, grade and breakdown."""

    unit: str
    score: float
    grade: str
    vetoed: bool
    penalty: float
    items: tuple[ItemScore, ...]


def grade_of(score: float, bands: tuple[tuple[float, str], ...] = DEFAULT_BANDS) -> str:
    """The grade of ``score``: the first band whose minimum it reaches."""
    for minimum, grade in bands:
        if score >= minimum:
            return grade
    return bands[-1][1]


def _item(scheme: Scheme, it: UnitItem) -> ItemScore | None:
    if it.kind == "target":
        if it.state not in scheme.state_scores:
            return None
        return ItemScore("target", it.code, scheme.target_weights.get(it.code, 1.0),
                         scheme.state_scores[it.state], it.state)
    pct = 0.0 if it.completion_pct is None else max(0.0, min(100.0, it.completion_pct))
    return ItemScore("task", it.code, scheme.task_weights.get(it.code, 1.0), pct,
                     "accepted" if it.completion_pct is not None else "none accepted")


def score_units(items: list[UnitItem], scheme: Scheme) -> list[UnitScore]:
    """Each unit's score, in descending order of score (then unit code)."""
    by_unit: dict[str, list[UnitItem]] = {}
    for it in items:
        by_unit.setdefault(it.unit, []).append(it)
    out = []
    for unit, its in by_unit.items():
        scored = [s for s in (_item(scheme, i) for i in its) if s is not None]
        weight = sum(s.weight for s in scored)
        base = sum(s.weight * s.score for s in scored) / weight if weight > 0 else 0.0
        penalty = scheme.late_penalty * sum(i.late + i.owed for i in its)
        score = round(max(0.0, min(100.0, base - penalty)), 2)
        vetoed = any(i.kind == "target" and i.code in scheme.veto_targets
                     and i.state in ("missed", "off_track", "not_met") for i in its)
        grade = scheme.bands[-1][1] if vetoed else grade_of(score, scheme.bands)
        out.append(UnitScore(unit, score, grade, vetoed, penalty, tuple(scored)))
    return sorted(out, key=lambda u: (-u.score, u.unit))


def tongbao(scores: list[UnitScore],
            bands: tuple[tuple[float, str], ...] = DEFAULT_BANDS) -> dict[str, list[str]]:
    """The commendation list (the best grade) and the criticism list (the lowest grade,
    a veto included)."""
    return {"commended": [u.unit for u in scores if u.grade == bands[0][1]],
            "criticised": [u.unit for u in scores if u.grade == bands[-1][1]]}
