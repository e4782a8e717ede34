"""Every quantified plan target: its value, progress, the path it needs and its status.

中文：规划目标跟踪：每个量化目标的当前值、进度、所需路径与状态。

Values come from the account (targets with a ``metric``: energy and CO2 intensity, monitoring
coverage, public institutions' energy per m², electricity share, GDP shares, the peak) or from
observations entered with their date and source (PV capacity, charging piles, retrofitted
area, ...). Status and progress are the domain's (:mod:`carbonpeak.domain.plan.progress`:
the path, ``met``/``not_met`` for ongoing targets without a year, ``no_target_value`` when the
plan gives no number, e.g. 市下达目标, ``qualitative``); this use case loads the target and its
values, calls it and shows the result, and adds ``applied`` (a threshold the account applies,
e.g. the key-unit rule) and the peak year's status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from carbonpeak.domain.accounting import RuleConfigError, key_unit_rules
from carbonpeak.domain.plan.progress import TargetSpec, judge_target
from carbonpeak.domain.statistics import statistics_year
from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Message, label, label_text, loads, msg, render, render_both
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.plan_files import (
    COMPARATORS,
    TARGET_METRICS,
    period_baseline_year,
    target_problems,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.verifications import district_profile
from carbonpeak.services.plan.indicators import (
    STATISTICS_METRICS,
    computed_metric,
    district_series,
)
from carbonpeak.storage.registry.models import AuditLog, District, Target, TargetObservation
from carbonpeak.storage.registry.repositories import plan as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import TargetState

#: yearly values a target metric computes, and their source (None when nothing is computed)
Computed = tuple[list[tuple[int, float]], Message | None]

__all__ = ["EDITABLE_FIELDS", "TargetStatus", "add_observation", "evaluate_targets",
           "find_target", "target_history", "target_row", "update_target"]

EDITABLE_FIELDS = ("indicator_zh", "indicator_en", "metric", "baseline_year", "baseline_value",
                   "target_year", "target_value", "target_text", "unit", "comparator",
                   "responsible_units", "notes", "active")


@dataclass
class TargetStatus:
    """A target and where it stands."""

    id: int
    code: str
    scope_type: str
    scope_id: str
    section: str
    indicator_zh: str
    indicator_en: str
    kind: str
    metric: str | None
    unit: str
    comparator: str
    baseline_year: int | None
    baseline_value: float | None
    target_year: int | None
    target_value: float | None
    target_text: str
    responsible_units: str
    status: str
    value: float | None = None
    value_year: int | None = None
    value_source: str = ""
    value_source_zh: str = ""
    progress_pct: float | None = None
    path_value: float | None = None
    required_annual_rate: float | None = None
    achieved_annual_rate: float | None = None
    reason_en: str = ""
    reason_zh: str = ""
    n_observations: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)
    #: why, as a catalogue message; ``reason_en``/``reason_zh`` are its rendering (:func:`explain`)
    reason: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (history as ``[[year, value], ...]``)."""
        out = asdict(replace(self, reason=None))
        out.pop("reason")
        out["history"] = [list(h) for h in self.history]
        out["status_en"] = label_text("target_state", self.status, "en")
        out["status_zh"] = label_text("target_state", self.status, "zh")
        return out


def evaluate_targets(ws: Workspace, *, district: str | None = None, year: int | None = None,
                     codes: list[str] | None = None,
                     scope: tuple[str, str] | None = None,
                     viewer: AccessScope | None = None) -> list[TargetStatus]:
    """Assess every active target of the district (or those in ``codes`` / of ``scope``);
    ``viewer``: as a role without district-wide sight sees them (the account's small cells
    suppressed, :func:`~carbonpeak.services.plan.indicators.district_series`).

    ``year`` ignores data after that year (the state as it was at the end of it).
    """
    d = ws.district(district)
    with ws.registry.session() as s:
        targets = repo.targets_to_evaluate(s, d.id, codes=codes, scope=scope)
        obs = repo.observations_of_targets(s, [t.id for t in targets])
        s.expunge_all()
    by_target: dict[int, list[TargetObservation]] = {}
    for o in obs:
        by_target.setdefault(o.target_id, []).append(o)
    series = district_series(ws, d, viewer)
    cache: dict[str, Computed] = {}
    memo: dict[str, Any] = {}  # shared by the computed metrics (the VPP's capability once)
    out = []
    for t in targets:
        computed: Computed = ([], None)
        if t.metric and t.metric not in ("key_unit_rule", "co2_peak_year"):
            if t.metric not in cache:
                cache[t.metric] = computed_metric(ws, d, t.metric, series, memo)
            computed = cache[t.metric]
        out.append(_assess(ws, d, t, by_target.get(t.id, []), computed, year, series))
    return out


def _yearly(obs: list[TargetObservation], computed: list[tuple[int, float]],
            year: int | None) -> dict[int, float]:
    """Observations by year (the latest date of each year wins); computed values win."""
    values: dict[int, tuple[dt.date, float]] = {}
    for o in sorted(obs, key=lambda o: o.observed_on):
        values[o.observed_on.year] = (o.observed_on, o.value)
    merged = {y: v for y, (_d, v) in values.items()}
    merged.update(dict(computed))
    return {y: v for y, v in sorted(merged.items()) if year is None or y <= year}


def explain(st: TargetStatus, reason: Message) -> TargetStatus:
    """Give ``st`` its reason (a message) and the reason's texts in both languages."""
    st.reason = reason
    st.reason_zh, st.reason_en = render_both(reason)
    return st


def target_row(t: Target, status: str = "no_data", *, reason_en: str = "",
               reason_zh: str = "", reason: Message | None = None) -> TargetStatus:
    """A target's fields as a :class:`TargetStatus` (not assessed: ``status`` as given)."""
    st = TargetStatus(
        id=t.id, code=t.code, scope_type=t.scope_type, scope_id=t.scope_id, section=t.section,
        indicator_zh=t.indicator_zh, indicator_en=t.indicator_en, kind=t.kind, metric=t.metric,
        unit=t.unit, comparator=t.comparator, baseline_year=t.baseline_year,
        baseline_value=t.baseline_value, target_year=t.target_year,
        target_value=t.target_value, target_text=t.target_text,
        responsible_units=t.responsible_units, status=status, reason_en=reason_en,
        reason_zh=reason_zh)
    return st if reason is None else explain(st, reason)


def _assess(ws: Workspace, d: District, t: Target, obs: list[TargetObservation],
            computed: Computed, year: int | None,
            series: pd.DataFrame) -> TargetStatus:
    try:
        return _assess_one(ws, d, t, obs, computed, year, series)
    except ValueError as exc:  # a target the method cannot judge; the others still are
        return target_row(t, "invalid", reason=msg("plan.status.invalid", error=str(exc)))


def _assess_one(ws: Workspace, d: District, t: Target, obs: list[TargetObservation],
                computed: Computed, year: int | None,
                series: pd.DataFrame) -> TargetStatus:
    st = target_row(t)
    st.n_observations = len(obs)
    if t.metric == "key_unit_rule":
        return _applied(ws, st, d)
    if t.metric == "co2_peak_year":
        return _peak(ws, d, st, year, series)
    values = _yearly(obs, computed[0], year)
    if t.metric in STATISTICS_METRICS:
        return _on_statistics(st, t, obs, computed, values, year, series)
    return _judged(st, t, obs, computed, values)


def _on_statistics(st: TargetStatus, t: Target, obs: list[TargetObservation],
                   computed: Computed, values: dict[int, float],
                   year: int | None, series: pd.DataFrame) -> TargetStatus:
    """Like with like: an intensity or total target judged on the statistics of the year asked
    (``year``, or the latest year with statistics or an account), else on the last year that
    has them, said so; with none, not judged."""
    asked = year if year is not None else (int(max(series.index)) if len(series) else None)
    basis = statistics_year(values, asked)
    if basis.used is None:
        st.status = TargetState.NO_DATA
        return explain(st, basis.basis)
    judged = _judged(st, t, obs, computed, values)
    if basis.used != asked and judged.reason is not None:
        explain(judged, msg("plan.status.with_basis", reason=judged.reason, basis=basis.basis))
    return judged


def _judged(st: TargetStatus, t: Target, obs: list[TargetObservation],
            computed: Computed,
            values: dict[int, float]) -> TargetStatus:
    """The domain's judgement (:func:`~carbonpeak.domain.plan.progress.judge_target`) of the
    target's values, with where its latest value comes from."""
    st.history = list(values.items())
    if values:
        latest = max(values)
        _source(st, computed[1] if latest in dict(computed[0]) else _obs_source(obs, latest))
    p = judge_target(_spec(t), values)
    st.status, st.value, st.value_year = p.status, p.value, p.value_year
    st.baseline_year, st.baseline_value = p.baseline_year, p.baseline_value
    st.progress_pct, st.path_value = p.progress_pct, p.path_value
    st.required_annual_rate = p.required_annual_rate
    st.achieved_annual_rate = p.achieved_annual_rate
    return explain(st, p.reason)


def _spec(t: Target) -> TargetSpec:
    """What the stored target asks, for the domain."""
    return TargetSpec(kind=t.kind, comparator=t.comparator, unit=t.unit,
                      target_value=t.target_value, target_year=t.target_year,
                      baseline_year=t.baseline_year, baseline_value=t.baseline_value,
                      period_baseline_year=period_baseline_year(t.period),
                      target_text=t.target_text)


def _source(st: TargetStatus, source: Message | str | None) -> None:
    """Where the target's value comes from, in both languages: a computed value's source is a
    message, and so is an observation's that the platform recorded (an accepted dispatch
    submission: its stored message); an observation's source typed by a person is the text
    written (the same in both)."""
    if isinstance(source, Message):
        st.value_source_zh, st.value_source = render_both(source)
    else:
        st.value_source = st.value_source_zh = source or ""


def _obs_source(obs: list[TargetObservation], year: int) -> Message | str:
    same = sorted((o for o in obs if o.observed_on.year == year), key=lambda o: o.observed_on)
    if not same:
        return ""
    last = same[-1]
    m = loads(last.source)
    if m is not None:  # recorded by the platform as a message: rendered in each language
        return msg("plan.value_source.dated", source=m, on=str(last.observed_on))
    return f"{last.source} ({last.observed_on})"


def _applied(ws: Workspace, st: TargetStatus, d: District) -> TargetStatus:
    """The key-unit rules the account applies, each with its source and status (the national
    definition when the district configures none)."""
    try:
        rules = key_unit_rules(district_profile(ws, d).get("key_unit_rules", []))
    except RuleConfigError as exc:
        st.status = TargetState.INVALID
        return explain(st, msg("plan.status.invalid", error=exc.reason))
    each = [msg("plan.status.applied_rule", rule={"zh": r.label_zh, "en": r.label_en},
                source=r.source, status=label("factor_status", r.status)
                if r.status != "default" else msg("plan.status.rule_default"))
            for r in rules]
    st.status = TargetState.APPLIED
    return explain(st, msg("plan.status.applied", rules={
        "zh": "；".join(render(m, "zh") for m in each),
        "en": "; ".join(render(m, "en") for m in each)}))


def _peak(ws: Workspace, d: District, st: TargetStatus, year: int | None,
          series: pd.DataFrame) -> TargetStatus:
    from carbonpeak.services.plan.trajectory import peak_target_status

    deadline = st.target_year or 2030
    res = peak_target_status(ws, d, deadline_year=deadline, up_to_year=year, series=series)
    st.status, st.value, st.value_year = res["status"], res["value"], res["year"]
    _source(st, res["source"])
    return explain(st, res["reason"])


# -- editing ------------------------------------------------------------------------------
def _find(ws: Workspace, d: District, code: str, scope_id: str | None) -> int:
    with ws.registry.session() as s:
        ids = repo.target_ids(s, d.id, code, scope_id=scope_id)
    if not ids:
        raise NotFoundError(i18n_msg("plan.error.no_target", code=code, district=d.id))
    if len(ids) > 1:
        raise InputValidationError([RowError("(request)", None, "scope_id", None, i18n_msg(
            "intake.request.ambiguous_target", code=code))])
    return ids[0]


def update_target(ws: Workspace, target_id: int, changes: dict[str, Any]) -> Target:
    """Change fields of a target (:data:`EDITABLE_FIELDS`); every change is audit-logged."""
    errors = [RowError("(request)", None, k, str(v), i18n_msg("intake.request.not_editable"))
              for k, v in changes.items() if k not in EDITABLE_FIELDS]
    if "comparator" in changes and changes["comparator"] not in COMPARATORS:
        errors.append(RowError("(request)", None, "comparator", str(changes["comparator"]),
                               i18n_msg("intake.cell.not_one_of",
                                        allowed=", ".join(COMPARATORS))))
    metric = changes.get("metric")
    if metric and metric not in TARGET_METRICS and not str(metric).startswith("gdp_share:"):
        errors.append(RowError("(request)", None, "metric", str(metric),
                               i18n_msg("intake.request.unknown_metric")))
    if errors:
        raise InputValidationError(errors)
    with ws.registry.session() as s:
        t = s.get(Target, target_id)
        if t is None:
            raise NotFoundError(i18n_msg("error.no.target", id=target_id))
        problems = target_problems(t.kind, {f: changes.get(f, getattr(t, f)) for f in (
            "target_value", "target_year", "baseline_year")}, t.period)
        if problems:
            raise InputValidationError([RowError("(request)", None, c, None, m)
                                        for c, m in problems])
        diff = {k: [getattr(t, k), v] for k, v in changes.items() if getattr(t, k) != v}
        for k, v in changes.items():
            setattr(t, k, v)
        if diff:
            audit(s, ws.actor, "update", "target", f"{t.code}@{t.scope_type}:{t.scope_id}",
                  {"changes": diff}, district=t.district_id)
        s.flush()
        s.expunge(t)
        return t


def add_observation(ws: Workspace, target_id: int, *, observed_on: dt.date, value: float,
                    source: str) -> tuple[TargetObservation, str]:
    """Record (or correct) the observation of a target on a date; returns it and
    ``created``/``updated``/``unchanged``. A source is required."""
    if not source.strip():
        raise InputValidationError([RowError("(request)", None, "source", source,
                                             i18n_msg("intake.plan.source_required"))])
    if not pd.notna(value) or value in (float("inf"), float("-inf")):
        raise InputValidationError([RowError("(request)", None, "value", str(value),
                                             i18n_msg("intake.request.not_finite"))])
    with ws.registry.session() as s:
        t = s.get(Target, target_id)
        if t is None:
            raise NotFoundError(i18n_msg("error.no.target", id=target_id))
        o = repo.observation_on(s, target_id, observed_on)
        key = f"{t.code}@{observed_on}"
        if o is None:
            o = TargetObservation(target_id=target_id, observed_on=observed_on, value=value,
                                  source=source, actor=ws.actor)
            s.add(o)
            audit(s, ws.actor, "create", "target_observation", key,
                  {"value": value, "source": source}, district=t.district_id)
            state = "created"
        elif (o.value, o.source) != (value, source):
            audit(s, ws.actor, "update", "target_observation", key, {"changes": {
                "value": [o.value, value], "source": [o.source, source]}}, district=t.district_id)
            o.value, o.source, o.actor = value, source, ws.actor
            state = "updated"
        else:
            state = "unchanged"
        s.flush()
        s.expunge(o)
        return o, state


def find_target(ws: Workspace, code: str, *, district: str | None = None,
                scope_id: str | None = None) -> int:
    """The id of target ``code`` of the district (optionally of one scope)."""
    return _find(ws, ws.district(district), code, scope_id)



def target_history(ws: Workspace, t: Target) -> tuple[list[TargetObservation], list[AuditLog]]:
    """A target's observations (by date) and the audit log of its changes (by time)."""
    with ws.registry.session() as s:
        obs = repo.observations_by_date(s, t.id)
        changes = repo.target_audit_log(s, f"{t.code}@{t.scope_type}:{t.scope_id}")
        s.expunge_all()
    return obs, changes
