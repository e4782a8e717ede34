"""Dispatch rounds on a schedule: open every round that is due and not yet opened.

中文：定期调度：按配置的频次开启到期且尚未开启的调度轮次（可由 cron 反复运行）。

The rule is :mod:`carbonpeak.domain.supervision.schedule`'s, set in the district's profile
(``[supervision] dispatch_frequency`` = monthly | quarterly | half_yearly | yearly, default
quarterly; ``dispatch_due_days``, default 15; ``dispatch_since``, a date: open every period
from the one containing it; without it, the latest finished period only). Running it again
opens nothing new (a period that has a round, opened by hand or by the schedule, is left
alone), so it is safe to run from cron. Each round it opens is audit-logged twice: the round
(``create dispatch_round``, as :func:`~carbonpeak.services.supervision.rounds.open_round`
does) and the schedule that opened it (``schedule dispatch_round``, with the rule and its
source).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.domain.supervision.schedule import (
    DEFAULT_DUE_DAYS,
    SCHEDULE_SOURCE,
    due_rounds,
)
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg, render_both
from carbonpeak.services.supervision.rounds import open_round
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import DispatchFrequency, RuleStatus

__all__ = ["schedule_rounds", "schedule_rule"]


def schedule_rule(ws: Workspace, *, district: str | None = None) -> dict[str, Any]:
    """The district's schedule: frequency, due days, since, and the rule's source and
    status (the platform default's, ``unverified``, unless the profile sets the frequency
    or the due days: then its ``dispatch_source`` and ``dispatch_status``, default
    ``unverified``)."""
    d = ws.district(district)
    conf = (d.profile or {}).get("supervision") or {}
    raw = str(conf.get("dispatch_frequency", DispatchFrequency.QUARTERLY))
    errors = []
    if raw not in set(DispatchFrequency):
        errors.append(RowError("profile", None, "supervision.dispatch_frequency", raw, msg(
            "intake.cell.not_one_of", allowed=", ".join(DispatchFrequency))))
    due_days = conf.get("dispatch_due_days", DEFAULT_DUE_DAYS)
    if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 1:
        errors.append(RowError("profile", None, "supervision.dispatch_due_days",
                               str(due_days), msg("sup.schedule.due_days")))
    since = conf.get("dispatch_since")
    if since is not None and not isinstance(since, dt.date):
        try:
            since = dt.date.fromisoformat(str(since))
        except ValueError:
            errors.append(RowError("profile", None, "supervision.dispatch_since", str(since),
                                   msg("sup.schedule.since")))
    if errors:
        raise InputValidationError(errors)
    own = "dispatch_frequency" in conf or "dispatch_due_days" in conf
    if own:  # the district's own text, as written
        source_zh = source_en = str(conf.get("dispatch_source", "")) or "—"
    else:
        source_zh, source_en = render_both(msg("sup.schedule.default_source"))
    status = str(conf.get("dispatch_status", SCHEDULE_SOURCE[1]))
    if status not in set(RuleStatus):
        raise InputValidationError([RowError("profile", None, "supervision.dispatch_status",
                                             status, msg("intake.cell.not_one_of",
                                                         allowed=", ".join(RuleStatus)))])
    return {"frequency": raw, "due_days": int(due_days), "since": since,
            "source": source_en, "source_zh": source_zh, "status": status,
            "default": not own}


def schedule_rounds(ws: Workspace, *, today: dt.date, district: str | None = None,
                    since: dt.date | None = None) -> dict[str, Any]:
    """Open every round due on ``today`` and not yet opened (see the module); ``since``
    overrides the profile's. Returns the rule, the rounds opened and those already there."""
    d = ws.district(district)
    rule = schedule_rule(ws, district=d.id)
    freq = DispatchFrequency(rule["frequency"])
    due = due_rounds(freq, today, since or rule["since"])
    with ws.registry.session() as s:
        have = set(repo.round_periods(s, d.id))
    opened, existing = [], []
    for p in due:
        if p.period in have:
            existing.append(p.period)
            continue
        due_on = p.due_on(today, rule["due_days"])
        r = open_round(ws, period=p.period, opened_on=today, due_on=due_on, district=d.id)
        with ws.registry.session() as s:
            audit(s, ws.actor, "schedule", "dispatch_round", p.period, {
                "frequency": freq.value, "due_days": rule["due_days"],
                "scheduled_on": str(p.opens_on), "opened_on": str(today),
                "due_on": str(due_on), "source": rule["source"], "status": rule["status"]},
                district=d.id)
        opened.append({**r, "scheduled_on": str(p.opens_on)})
    return {"district": d.id, "today": str(today),
            "rule": {**rule, "since": str(rule["since"]) if rule["since"] else None},
            "opened": opened, "existing": existing}
