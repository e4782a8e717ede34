"""When dispatch rounds (调度) open: the periods a frequency makes, each round's opening day
and due day.

中文：定期调度排程：按频次划分报送期，期末次日开启，开启后若干天截止。

The plans say 定期 (periodically) and nothing more, so the rule is a platform default
(:data:`SCHEDULE_SOURCE`, status ``unverified``) a district sets in its profile
(``[supervision] dispatch_frequency``, ``dispatch_due_days``, ``dispatch_since``): a round
reports on a finished period, so it opens the day after the period ends and is due
``due_days`` later (default 15). A round opened late (the schedule was not run on its day)
keeps the full window: due ``due_days`` after the day it actually opens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carbonpeak.vocabulary import DispatchFrequency

__all__ = ["DEFAULT_DUE_DAYS", "SCHEDULE_SOURCE", "ScheduledRound", "due_rounds",
           "period_of"]

#: days from a round's opening to its due date when the profile sets none (platform default)
DEFAULT_DUE_DAYS = 15
SCHEDULE_SOURCE = ("platform default: the plans say 定期 only; a round opens the day after "
                   "its period ends, due 15 days later (configurable)", "unverified")
_MONTHS = {DispatchFrequency.MONTHLY: 1, DispatchFrequency.QUARTERLY: 3,
           DispatchFrequency.HALF_YEARLY: 6, DispatchFrequency.YEARLY: 12}


@dataclass(frozen=True)
class ScheduledRound:
    """A period's round: its label (``2024-11``, ``2024-Q4``, ``2024-H2``, ``2024``), the
    period's first and last day, and the day the round opens (the day after the last)."""

    period: str
    starts: dt.date
    ends: dt.date
    opens_on: dt.date

    def due_on(self, opened_on: dt.date, due_days: int) -> dt.date:
        """Due ``due_days`` after the scheduled opening, or after ``opened_on`` if later."""
        return max(self.opens_on, opened_on) + dt.timedelta(days=due_days)


def _label(freq: DispatchFrequency, year: int, index: int) -> str:
    if freq == DispatchFrequency.MONTHLY:
        return f"{year}-{index + 1:02d}"
    if freq == DispatchFrequency.QUARTERLY:
        return f"{year}-Q{index + 1}"
    if freq == DispatchFrequency.HALF_YEARLY:
        return f"{year}-H{index + 1}"
    return str(year)


def period_of(freq: DispatchFrequency, day: dt.date) -> ScheduledRound:
    """The period of ``freq`` that contains ``day``."""
    step = _MONTHS[freq]
    index = (day.month - 1) // step
    starts = dt.date(day.year, index * step + 1, 1)
    after = (dt.date(day.year + 1, 1, 1) if index * step + step == 12
             else dt.date(day.year, index * step + step + 1, 1))
    return ScheduledRound(_label(freq, day.year, index), starts,
                          after - dt.timedelta(days=1), after)


def due_rounds(freq: DispatchFrequency, today: dt.date,
               since: dt.date | None = None) -> list[ScheduledRound]:
    """The rounds due to be open on ``today``: those of the periods that end before it,
    from the period containing ``since`` on; without ``since``, the latest one only."""
    latest = period_of(freq, today)
    latest = period_of(freq, latest.starts - dt.timedelta(days=1))  # the last finished one
    if since is None or since > latest.ends:
        return [latest] if since is None else []
    out = []
    p = period_of(freq, since)
    while p.opens_on <= today:
        out.append(p)
        p = period_of(freq, p.opens_on)
    return out
