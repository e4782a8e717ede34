"""Update timeliness and overdue submissions.

中文：数据更新时效与逾期判定。

Timeliness follows Kausal Watch's indicator anchors (fresh within 30 days, acceptable within
60, stale after 180; between 60 and 180 late). The thresholds are a setting; the defaults are
Kausal Watch's (open-source action-plan monitoring, kausal.tech; read as documentation, not
a regulation; as issue 17 quotes them, not checked against Kausal's documentation: status
``unverified``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carbonpeak.vocabulary import SubmissionStatus, Timeliness

__all__ = ["TIMELINESS_SOURCE", "TimelinessRule", "is_overdue", "submitted_late", "timeliness"]

TIMELINESS_SOURCE = ("Kausal Watch indicator timeliness: fresh ≤ 30 d, acceptable ≤ 60 d, "
                     "stale > 180 d (configurable; as issue 17 quotes them)", "unverified")


@dataclass(frozen=True)
class TimelinessRule:
    """Days since the last update up to which a value is fresh / acceptable / late."""

    fresh_days: int = 30
    acceptable_days: int = 60
    stale_after_days: int = 180

    def __post_init__(self) -> None:
        if not 0 <= self.fresh_days <= self.acceptable_days <= self.stale_after_days:
            msg = "timeliness thresholds must be 0 ≤ fresh ≤ acceptable ≤ stale"
            raise ValueError(msg)


def timeliness(last_update: dt.date | None, today: dt.date,
               rule: TimelinessRule = TimelinessRule()) -> Timeliness:
    """How recent ``last_update`` is on ``today``: fresh, acceptable, late or stale (none
    without an update)."""
    if last_update is None:
        return Timeliness.NONE
    age = (today - last_update).days
    if age <= rule.fresh_days:
        return Timeliness.FRESH
    if age <= rule.acceptable_days:
        return Timeliness.ACCEPTABLE
    if age <= rule.stale_after_days:
        return Timeliness.LATE
    return Timeliness.STALE


def is_overdue(status: str, due_on: dt.date, today: dt.date) -> bool:
    """An item still owed (pending, or returned and not sent again) after its due date."""
    return status in (SubmissionStatus.PENDING, SubmissionStatus.RETURNED) and today > due_on


def submitted_late(submitted_on: dt.date | None, due_on: dt.date) -> bool:
    """A submission sent after the due date (it counts against timeliness in the
    assessment)."""
    return submitted_on is not None and submitted_on > due_on
