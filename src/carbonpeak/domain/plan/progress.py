"""A plan target's status and progress from its definition and its yearly values.

中文：规划目标的状态与进度——由目标定义（类型、比较符、基准、目标值与年份）和逐年数值判定。

The use case (:mod:`carbonpeak.services.plan.targets`) loads a target and its values (the
account's computed values and the recorded observations, one per year), calls
:func:`judge_target` and shows the result. The path and the status thresholds themselves are
:mod:`carbonpeak.domain.targets`'s (:func:`~carbonpeak.domain.targets.assess_trajectory`,
:func:`~carbonpeak.domain.targets.assess_reduction_target`); this module chooses which rule a
target is judged by and works out its baseline and its progress:

* a reduction against the baseline (``reduction_vs_baseline``): the baseline is the stated
  value, else the value of the baseline year; progress = reduction achieved / reduction asked;
* no target value: ``qualitative`` (a level or a deadline, or no values) or ``no_target_value``;
* no target year (an ongoing target): ``met``/``not_met``; progress = value / target;
* otherwise the path from the baseline to the target; progress = (value − baseline) /
  (target − baseline). A count without a baseline starts from 0; a share or level without one
  starts from its first record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from carbonpeak.domain.targets import (
    Comparator,
    TargetAssessment,
    assess_reduction_target,
    assess_trajectory,
    format_value,
    meets,
    reduction_vs_baseline,
    round_half_away,
    unit_message,
    valued,
)
from carbonpeak.i18n import Message, msg
from carbonpeak.vocabulary import TargetKind, TargetState

__all__ = ["TargetProgress", "TargetSpec", "judge_target", "latest_value"]

_SYMBOL = {">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class TargetSpec:
    """What a plan target asks (its stored definition).

    ``baseline_year`` and ``baseline_value`` are as the plan states them (``None`` when it
    gives none); ``period_baseline_year`` is the year before the target's plan period starts
    (十四五 2021-2025 → 2020), the baseline year of a target that states none.
    """

    kind: str
    comparator: str
    unit: str = ""
    target_value: float | None = None
    target_year: int | None = None
    baseline_year: int | None = None
    baseline_value: float | None = None
    period_baseline_year: int | None = None
    target_text: str = ""


@dataclass(frozen=True)
class TargetProgress:
    """Where a target stands: its status, the reason (a catalogue message), the value judged
    and its year, the baseline used, the progress in percent and, for a path, the value the
    path needs and the yearly rates (fractions)."""

    status: TargetState
    reason: Message
    value: float | None = None
    value_year: int | None = None
    baseline_year: int | None = None
    baseline_value: float | None = None
    progress_pct: float | None = None
    path_value: float | None = None
    required_annual_rate: float | None = None
    achieved_annual_rate: float | None = None


def latest_value(values: Mapping[int, float]) -> tuple[int | None, float | None]:
    """The latest year's value, ``(None, None)`` without values."""
    if not values:
        return None, None
    year = max(values)
    return year, values[year]


def judge_target(spec: TargetSpec, values: Mapping[int, float]) -> TargetProgress:
    """The status and progress of the target ``spec`` given its values by year.

    Raises
    ------
    ValueError
        A target the method cannot judge (e.g. a reduction of 100 % or more, a target year
        not after its baseline year): the caller shows it as ``invalid``.
    """
    year, value = latest_value(values)
    stated = TargetProgress(TargetState.NO_DATA, msg("plan.status.no_observations"), value,
                            year, spec.baseline_year, spec.baseline_value)
    if spec.kind == TargetKind.REDUCTION_VS_BASELINE:
        return _reduction(spec, values, stated)
    if spec.target_value is None:
        return _unquantified(spec, values, stated)
    if spec.target_year is None:
        return _ongoing(spec, stated)
    return _trajectory(spec, values, stated)


def _baseline(spec: TargetSpec, values: Mapping[int, float]) -> tuple[int | None, float | None]:
    """The stated baseline, else the value of the baseline year (stated or the period's)."""
    by = spec.baseline_year if spec.baseline_year is not None else spec.period_baseline_year
    if spec.baseline_value is not None:
        return by, spec.baseline_value
    return by, (values.get(by) if by is not None else None)


def _with(p: TargetProgress, **changes: Any) -> TargetProgress:  # noqa: ANN401
    return replace(p, **changes)


def _assessed(p: TargetProgress, a: TargetAssessment, progress: float | None) -> TargetProgress:
    """``p`` with the assessment's status, reason, path, rates and (when it has one) value."""
    value, year = (a.value, a.year) if a.value is not None else (p.value, p.value_year)
    return _with(p, status=a.status, reason=a.reason, path_value=a.path_value,
                 required_annual_rate=a.required_annual_rate,
                 achieved_annual_rate=a.achieved_annual_rate, value=value, value_year=year,
                 progress_pct=progress)


def _reduction(spec: TargetSpec, values: Mapping[int, float],
               p: TargetProgress) -> TargetProgress:
    by, base = _baseline(spec, values)
    if by is None or base is None or base <= 0:
        return _with(p, status=TargetState.NO_DATA, reason=msg(
            "plan.status.no_baseline", year=by or msg("plan.status.baseline_year")))
    p = _with(p, baseline_year=by, baseline_value=base)
    later = [(y, v) for y, v in sorted(values.items()) if y > by]
    if spec.target_value is None or spec.target_year is None:
        shown = spec.target_text or "—"
        done = reduction_vs_baseline(base, later[-1][1]) if later else None
        if done is None:
            why = msg("plan.status.target_unset", text=shown)
        else:
            why = msg("plan.status.target_unset_done", text=shown,
                      pct=str(round_half_away(done, 1)), year=later[-1][0], baseline_year=by)
        return _with(p, status=TargetState.NO_TARGET_VALUE, reason=why)
    a = assess_reduction_target(baseline_value=base, baseline_year=by,
                                reduction_pct=spec.target_value, target_year=spec.target_year,
                                observations=later)
    progress = (100.0 * reduction_vs_baseline(base, a.value) / spec.target_value
                if a.value is not None and spec.target_value else None)
    return _assessed(p, a, progress)


def _unquantified(spec: TargetSpec, values: Mapping[int, float],
                  p: TargetProgress) -> TargetProgress:
    """A target without a number: a level or deadline (or one without values) is qualitative;
    any other waits for its number (市下达目标)."""
    status = TargetState.QUALITATIVE if spec.kind in (TargetKind.LEVEL, TargetKind.DEADLINE) \
        or not values else TargetState.NO_TARGET_VALUE
    shown = spec.target_text or "—"
    why = msg("plan.status.qualitative" if status == TargetState.QUALITATIVE
              else "plan.status.no_number", text=shown)
    if values:
        why = msg("plan.status.latest_record", reason=why, year=p.value_year,
                  value=format_value(p.value or 0))
    else:
        why = msg("plan.status.record_evidence", reason=why)
    return _with(p, status=status, reason=why)


def _ongoing(spec: TargetSpec, p: TargetProgress) -> TargetProgress:
    """A target without a year: met or not by the latest value."""
    assert spec.target_value is not None  # noqa: S101 - judge_target's order
    if p.value is None:
        return _with(p, status=TargetState.NO_DATA, reason=msg("plan.status.no_observations"))
    cmp_: Comparator = spec.comparator  # type: ignore[assignment]
    ok = meets(p.value, spec.target_value, cmp_)
    unit = unit_message(spec.unit)
    why = msg("plan.status.met" if ok else "plan.status.not_met", year=p.value_year,
              symbol=_SYMBOL.get(spec.comparator, spec.comparator),
              value=valued(p.value, unit), target=valued(spec.target_value, unit))
    return _with(p, status=TargetState.MET if ok else TargetState.NOT_MET, reason=why,
                 progress_pct=100.0 * p.value / spec.target_value if spec.target_value
                 else None)


def _trajectory(spec: TargetSpec, values: Mapping[int, float],
                p: TargetProgress) -> TargetProgress:
    """The path from the baseline to the target value in the target year."""
    assert spec.target_value is not None  # noqa: S101 - judge_target's order
    assert spec.target_year is not None  # noqa: S101
    by, base = _baseline(spec, values)
    if base is None and spec.kind in (TargetKind.SHARE, TargetKind.LEVEL) and len(values) > 1:
        by, base = min(values.items())  # the first record is the starting point
    if base is None:
        base = 0.0  # counts, capacities and cumulative areas start from 0 at the plan's start
    if by is None:
        by = min(values) if values else spec.target_year - 5
    by = min(by, spec.target_year - 1)
    p = _with(p, baseline_year=by, baseline_value=base)
    cmp_: Comparator = spec.comparator  # type: ignore[assignment]
    a = assess_trajectory(baseline=base, baseline_year=by, target=spec.target_value,
                          target_year=spec.target_year, comparator=cmp_,
                          observations=[(y, v) for y, v in values.items() if y > by],
                          unit=spec.unit if spec.unit != "%" else " %")
    if a.status == TargetState.NO_DATA and values and max(values) <= by:
        # a later period's target (十五五): the values so far precede its baseline year
        return _with(p, status=TargetState.PERIOD_NOT_STARTED, reason=msg(
            "plan.status.period_not_started", start=by + 1, year=p.value_year,
            value=format_value(p.value or 0.0)))
    progress = (100.0 * (a.value - base) / (spec.target_value - base)
                if a.value is not None and spec.target_value != base else None)
    return _assessed(p, a, progress)
