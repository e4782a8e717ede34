"""The measure step of a retrofit's measured savings (M&V): its periods and its result.

中文：节能改造实测节能量（M&V）的测量步骤：基准期与报告期、与同楼其他项目的重叠、逐月表与结果。

The use case (:func:`carbonpeak.services.buildings.retrofits.measure`) loads the projects, the
buildings' daily usage and the weather; this module says which days each project is measured
on, and turns the savings model's result (:func:`carbonpeak.domain.mv.measure_savings`) into
the stored result; the use case then stores it. The periods:

* the baseline is the :data:`BASELINE_DAYS` days before the works start;
* the reporting period starts on the day the works end and lasts at most
  :data:`REPORTING_DAYS` days, up to the last day that counts (``as_of``, else yesterday) and
  the last day with both usage and weather.

The savings model itself (scipy) is imported only when a result is made, not with this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from carbonpeak.vocabulary import RetrofitStatus

if TYPE_CHECKING:  # scipy only when measuring
    from carbonpeak.domain.mv import Issue, SavingsResult

__all__ = ["BASELINE_DAYS", "REPORTING_DAYS", "ProjectDates", "baseline_overlaps",
           "last_reporting_day", "missing_inputs", "monthly", "project_result",
           "reporting_period"]

BASELINE_DAYS = 365
REPORTING_DAYS = 365  # at most: end_date … end_date + 364


@dataclass(frozen=True)
class ProjectDates:
    """A project as the measurement sees it: its building, status and dates (``end_date``:
    the day the works end, ``None`` while they go on)."""

    code: str
    entity_id: str
    status: str
    start_date: dt.date
    end_date: dt.date | None = None


def reporting_period(p: ProjectDates, limit: dt.date) -> tuple[dt.date, dt.date]:
    """``(first baseline day, last reporting day)`` of a completed project: the baseline
    starts :data:`BASELINE_DAYS` days before the works; the reporting period ends
    :data:`REPORTING_DAYS` − 1 days after they end, or at ``limit`` (the last day that
    counts), but never before the end of the works."""
    if p.end_date is None:
        msg = f"project {p.code} has no end date: it cannot be measured"
        raise ValueError(msg)
    first = p.start_date - dt.timedelta(days=BASELINE_DAYS)
    r_end = min(p.end_date + dt.timedelta(days=REPORTING_DAYS - 1), limit)
    return first, max(r_end, p.end_date)


def last_reporting_day(r_end: dt.date, end_date: dt.date, day0: dt.date,
                       usage: npt.NDArray[np.float64],
                       temp: npt.NDArray[np.float64]) -> dt.date:
    """The reporting period's last day: ``r_end``, or the last day with usage (≠ 0) and weather
    when that is earlier, but not before ``end_date``. ``usage`` and ``temp`` are daily from
    ``day0``."""
    both = np.flatnonzero(np.isfinite(usage) & np.isfinite(temp) & (usage != 0))
    if not both.size:
        return end_date
    last_data = day0 + dt.timedelta(days=int(both[-1]))
    return max(min(r_end, last_data), end_date)


def baseline_overlaps(p: ProjectDates, others: Sequence[ProjectDates]) -> list[Issue]:
    """Warnings ``mv.baseline.overlaps_project``: another project of the same building (begun:
    in progress or completed) whose works (start … end − 1) or reporting year (end … end +
    364; open-ended while in progress) fall in ``p``'s baseline (the 365 days before its
    start). The whole-building meter then carries the other project's effect in ``p``'s
    baseline, and ``p``'s measured savings are not its own."""
    from carbonpeak.domain.mv import Issue  # noqa: PLC0415 - scipy only when measuring

    b0 = p.start_date - dt.timedelta(days=BASELINE_DAYS)
    b1 = p.start_date - dt.timedelta(days=1)
    out = []
    for o in sorted(others, key=lambda x: (x.start_date, x.code)):
        if o.code == p.code or o.entity_id != p.entity_id or o.status == RetrofitStatus.PLANNED:
            continue
        o_end = (o.end_date + dt.timedelta(days=REPORTING_DAYS - 1) if o.end_date is not None
                 else dt.date.max)
        if o.start_date <= b1 and o_end >= b0:
            shown = "…" if o.end_date is None else o_end.isoformat()
            out.append(Issue(
                "mv.baseline.overlaps_project",
                {"project": o.code, "start_date": o.start_date.isoformat(),
                 "end_date": o.end_date.isoformat() if o.end_date else None,
                 "period_end": shown, "baseline_start": b0.isoformat(),
                 "baseline_end": b1.isoformat(),
                 "baseline": [b0.isoformat(), b1.isoformat()]}))
    return out


def monthly(days: npt.NDArray[np.datetime64], usage: npt.NDArray[np.float64],
            temp: npt.NDArray[np.float64], predicted: npt.NDArray[np.float64] | None,
            start: dt.date, end: dt.date, zero_is_missing: bool) -> list[dict[str, Any]]:
    """Per month of the baseline (before ``start``) and of the reporting period (from ``end``):
    valid days (usage and weather), actual kWh and the baseline model's kWh on the same days,
    and the mean temperature."""
    y = np.where(usage == 0, np.nan, usage) if zero_is_missing else usage
    valid = np.isfinite(y) & np.isfinite(temp)
    s64, e64 = np.datetime64(start.isoformat()), np.datetime64(end.isoformat())
    period = np.where(days < s64, "baseline", np.where(days >= e64, "reporting", ""))
    months = days.astype("datetime64[M]").astype(str)
    out: list[dict[str, Any]] = []
    for key in dict.fromkeys(zip(period.tolist(), months.tolist(), strict=True)):
        if not key[0]:
            continue
        sel = (period == key[0]) & (months == key[1])
        ok = sel & valid
        out.append({
            "month": key[1], "period": key[0], "n_days": int(sel.sum()),
            "n_valid_days": int(ok.sum()),
            "actual_kwh": float(y[ok].sum()) if ok.any() else None,
            "baseline_kwh": (float(predicted[ok].sum()) if predicted is not None and ok.any()
                             else None),
            "temp_mean_c": float(np.nanmean(temp[sel])) if np.isfinite(temp[sel]).any()
            else None})
    return out


def missing_inputs(usage: npt.NDArray[np.float64],
                   temp: npt.NDArray[np.float64]) -> list[dict[str, Any]]:
    """Which input a failed baseline lacks: days without weather, days without usage."""
    from carbonpeak.domain.mv import Issue  # noqa: PLC0415 - scipy only when measuring

    out = []
    no_t, no_u = int((~np.isfinite(temp)).sum()), int((~np.isfinite(usage) | (usage == 0)).sum())
    if no_t:
        out.append(Issue("mv.weather.missing",
                         {"n_days": no_t, "baseline_days": usage.size}).to_dict())
    if no_u:
        out.append(Issue("mv.usage.missing",
                         {"n_days": no_u, "baseline_days": usage.size}).to_dict())
    return out


def _unmeasured(code: str, issue: Issue, start: dt.date, end: dt.date) -> dict[str, Any]:
    return {"building_id": code, "sufficiency": None, "model": None,
            "reporting_start": end.isoformat(), "reporting_end": None,
            "n_reporting_days": 0, "adjusted_baseline_kwh": None, "reporting_kwh": None,
            "savings_kwh": None, "fractional_savings": None, "fsu_68": None, "fsu_90": None,
            "savings_uncertainty_68_kwh": None, "savings_uncertainty_90_kwh": None,
            "meets_g14": False, "warnings": [], "reasons": [issue.to_dict()],
            "baseline_start": (start - dt.timedelta(days=BASELINE_DAYS)).isoformat(),
            "baseline_end": (start - dt.timedelta(days=1)).isoformat()}


def project_result(code: str, result: SavingsResult | None, problem: Issue | None,
                   days: npt.NDArray[np.datetime64], usage: npt.NDArray[np.float64],
                   temp: npt.NDArray[np.float64], start: dt.date, end: dt.date,
                   zero_is_missing: bool) -> dict[str, Any]:
    """A project's stored result: the savings model's ``result`` with its reasons (why the
    baseline is not sufficient, with the inputs it lacks; no reporting data yet) and its
    monthly table (:func:`monthly`); without a result (a usage ``problem``, or no usage), an
    empty result saying why. ``days``, ``usage`` and ``temp`` are daily from the baseline's
    first day."""
    from carbonpeak.domain.mv import Issue  # noqa: PLC0415 - scipy only when measuring

    if result is None:
        res = _unmeasured(code, problem or Issue("mv.usage.no_data"), start, end)
        res["monthly"] = monthly(days, usage, temp, None, start, end, zero_is_missing)
        return res
    res = result.to_dict()
    reasons = [i.to_dict() for i in result.sufficiency.reasons]
    if result.sufficiency.passed and result.n_reporting_days == 0:
        reasons.append(Issue("mv.reporting.no_data_yet",
                             {"reporting_start": end.isoformat()}).to_dict())
    if not result.sufficiency.passed:
        reasons += missing_inputs(usage[:BASELINE_DAYS], temp[:BASELINE_DAYS])
    res["reasons"] = reasons
    res["baseline_start"] = result.sufficiency.baseline_start
    res["baseline_end"] = result.sufficiency.baseline_end
    pred = result.model.predict(temp) if result.model is not None else None
    res["monthly"] = monthly(days, usage, temp, pred, start, end, zero_is_missing)
    return res
