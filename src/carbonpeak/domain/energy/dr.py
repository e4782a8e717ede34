"""Demand response: day types, customer baselines, the verified response, execution and settlement.

中文：需求响应——日类型（含调休）、基线负荷、实际响应量、执行率与补偿结算（纯函数）。

Every baseline works on arrays shaped ``(resources, days, intervals)`` of mean kW per interval
(``kW = kWh / hours`` of the interval, :func:`kw_from_kwh`); the days are the candidate days
(the working days before the event, oldest first, see :func:`candidate_days`) and the
intervals are those of the event window, so one call computes every resource at once
(numpy, no Python loop over resources).

Rules and their sources (``status`` as in :class:`~carbonpeak.vocabulary.RuleStatus`):

* ``high5of10`` — Beijing: the 10 working days before the event (weekends and holidays left
  out), the 5 with the highest load, their mean. We rank a day by its mean load over the
  event window. Source: 中国智能电网 2015-10-19 "需求响应政策量化设计" summarising 北京市
  (secondary report of the rule, not the Beijing notice itself) → ``unverified``.
* ``last5`` — Jiangsu: the load curve of the last 5 normal working days before the
  invitation day, their mean per interval. Source: the same article summarising
  《江苏省电力需求响应实施细则（试行）》(2015) → ``unverified``.
* ``10in10_adjusted`` — PG&E (CBP/BIP style): the mean of the last 10 working days, times a
  day-of adjustment: the event day's actual load over the adjustment window (by default the
  first three of the four hours before the event) over the baseline's, capped at ±40 %.
  Not read from PG&E's tariff here (the corpus holds advice letters, not the baseline
  section) → ``unverified``.
* ``regression`` — our own CalTRACK-style simplification: per resource and interval of day,
  an ordinary least squares line of load on cooling degrees ``max(T − 18 °C, 0)`` over the
  candidate days, evaluated at the event day's temperature; with no spread of cooling degrees
  it falls back to the days' mean → ``default``.
* Execution ratio and settlement (:class:`SettlementRule`): ratio = mean response kW over the
  window / declared kW; below ``min_ratio`` nothing is paid; the paid response is capped at
  ``cap_ratio`` × declared kW; paid energy = paid kW × window hours; amount = energy ×
  price. The thresholds are defaults in the shape of provincial rules we could not read
  (Shanghai's and Guangdong's rules were not found) → ``default``, configurable per programme.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import holidays
import numpy as np
import numpy.typing as npt

from carbonpeak.vocabulary import DrBaselineMethod, DrDayType, RuleStatus

__all__ = ["ADJUSTMENT_CAP", "BASELINES", "CANDIDATE_DAYS", "COOLING_BASE_C", "RULES",
           "BaselineRule", "ResponseResult", "SettlementRule", "baseline",
           "baseline_10in10_adjusted", "baseline_high5of10", "baseline_last5",
           "baseline_regression", "candidate_days", "day_type", "kw_from_kwh", "response",
           "settle"]

FloatArray = npt.NDArray[np.float64]
#: how many working days each method looks back over
CANDIDATE_DAYS: dict[str, int] = {
    DrBaselineMethod.HIGH5OF10: 10, DrBaselineMethod.LAST5: 5,
    DrBaselineMethod.TEN_IN_TEN_ADJUSTED: 10, DrBaselineMethod.REGRESSION: 10,
}
#: PG&E's day-of adjustment cap (±40 %)
ADJUSTMENT_CAP = 0.4
#: the balance point of the regression baseline's cooling degrees, °C
COOLING_BASE_C = 18.0


@dataclass(frozen=True)
class BaselineRule:
    """A baseline method with its source and how far we checked it."""

    method: str
    source: str
    status: str


RULES: dict[str, BaselineRule] = {
    DrBaselineMethod.HIGH5OF10: BaselineRule(
        DrBaselineMethod.HIGH5OF10,
        "北京市需求响应基线（前10个工作日中负荷最高的5天平均），转述自中国智能电网 "
        "2015-10-19《需求响应政策量化设计》", RuleStatus.UNVERIFIED),
    DrBaselineMethod.LAST5: BaselineRule(
        DrBaselineMethod.LAST5,
        "《江苏省电力需求响应实施细则（试行）》(2015)：邀约日前最近5个正常生产工作日，"
        "转述自中国智能电网 2015-10-19", RuleStatus.UNVERIFIED),
    DrBaselineMethod.TEN_IN_TEN_ADJUSTED: BaselineRule(
        DrBaselineMethod.TEN_IN_TEN_ADJUSTED,
        "PG&E 10-in-10 baseline with a day-of adjustment capped at ±40 % (CBP/BIP; "
        "tariff section not read)", RuleStatus.UNVERIFIED),
    DrBaselineMethod.REGRESSION: BaselineRule(
        DrBaselineMethod.REGRESSION,
        "carbonpeak: OLS of load on cooling degrees max(T − 18 °C, 0) per interval of day "
        "(CalTRACK-style simplification)", RuleStatus.DEFAULT),
}


# -- day types ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    cal: holidays.HolidayBase = holidays.country_holidays("CN", years=(year - 1, year, year + 1))
    return cal


def day_type(day: dt.date) -> DrDayType:
    """The day's type in the Chinese calendar (``holidays``): a public holiday, a weekend
    worked in exchange (调休上班), a weekend, or a working day.

    >>> day_type(dt.date(2026, 1, 4)).value   # Sunday worked for the New Year holiday
    'adjusted_working'
    """
    cal = _calendar(day.year)
    if day in cal:
        return DrDayType.HOLIDAY
    if day in cal.weekend_workdays:
        return DrDayType.ADJUSTED_WORKING
    return DrDayType.WEEKEND if day.weekday() >= 5 else DrDayType.WORKING


def candidate_days(event_day: dt.date, n: int, *,
                   exclude: Sequence[dt.date] = ()) -> list[dt.date]:
    """The ``n`` working days before ``event_day`` (調休 weekends count as working days;
    holidays and weekends do not; ``exclude``: earlier event days), oldest first."""
    out: list[dt.date] = []
    skip = set(exclude)
    day = event_day
    while len(out) < n:
        day -= dt.timedelta(days=1)
        if day not in skip and day_type(day) in (DrDayType.WORKING,
                                                 DrDayType.ADJUSTED_WORKING):
            out.append(day)
        if (event_day - day).days > 366:
            break
    return out[::-1]


def kw_from_kwh(kwh: FloatArray | float, minutes: float) -> FloatArray | float:
    """Mean kW over an interval: its kWh divided by its length in hours (15 min: × 4)."""
    return kwh / (minutes / 60.0)


# -- baselines ----------------------------------------------------------------------------


def _nanmean(a: FloatArray, axis: int) -> FloatArray:
    """``np.nanmean`` where an all-missing slice is NaN without a warning (a resource without
    readings on a day is missing data, reported by the caller, not an error)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        return np.asarray(np.nanmean(a, axis=axis), dtype=np.float64)


def _check(days_kw: FloatArray) -> FloatArray:
    arr = np.asarray(days_kw, dtype=np.float64)
    if arr.ndim != 3:
        msg = f"expected (resources, days, intervals), got shape {arr.shape}"
        raise ValueError(msg)
    return arr


def baseline_high5of10(days_kw: FloatArray, *, top: int = 5,
                       rank_kw: FloatArray | None = None) -> FloatArray:
    """Mean, per interval, of the ``top`` days with the highest mean load over the window.

    ``days_kw``: ``(resources, days, intervals)``; a day with a missing interval (NaN) ranks
    by the intervals it has. ``rank_kw``: the same days over the event window when
    ``days_kw`` spans more (the hours around the event, for the chart): the days are chosen
    by the window, whatever the span. Returns ``(resources, intervals)``.
    """
    arr = _check(days_kw)
    k = min(top, arr.shape[1])
    level = _nanmean(arr if rank_kw is None else _check(rank_kw), 2)   # (r, d)
    level = np.where(np.isnan(level), -np.inf, level)
    best = np.argsort(-level, axis=1, kind="stable")[:, :k]  # (r, k)
    chosen = np.take_along_axis(arr, best[:, :, None], axis=1)
    return np.asarray(_nanmean(chosen, 1), dtype=np.float64)


def baseline_last5(days_kw: FloatArray, *, last: int = 5) -> FloatArray:
    """Mean, per interval, of the last ``last`` days (oldest first in ``days_kw``)."""
    arr = _check(days_kw)
    return np.asarray(_nanmean(arr[:, -last:, :], 1), dtype=np.float64)


def baseline_10in10_adjusted(days_kw: FloatArray, adj_days_kw: FloatArray,
                             adj_event_kw: FloatArray, *,
                             cap: float = ADJUSTMENT_CAP) -> FloatArray:
    """The mean of the days times the day-of adjustment, capped at ``1 ± cap``.

    ``adj_days_kw`` ``(resources, days, k)``: the same days over the adjustment window;
    ``adj_event_kw`` ``(resources, k)``: the event day over it. Factor = mean(event day) /
    mean(days' mean) over the adjustment window, clipped to ``[1 − cap, 1 + cap]`` (1 when the
    baseline there is zero or missing).
    """
    arr = _check(days_kw)
    unadjusted = _nanmean(arr, 1)
    base_adj = _nanmean(_nanmean(_check(adj_days_kw), 1), 1)   # (r,)
    actual_adj = _nanmean(np.asarray(adj_event_kw, dtype=np.float64), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = actual_adj / base_adj
    factor = np.where(np.isfinite(factor), np.clip(factor, 1.0 - cap, 1.0 + cap), 1.0)
    return np.asarray(unadjusted * factor[:, None], dtype=np.float64)


def baseline_regression(days_kw: FloatArray, days_temp_c: FloatArray,
                        event_temp_c: FloatArray, *,
                        base_c: float = COOLING_BASE_C) -> FloatArray:
    """OLS of load on cooling degrees per resource and interval, at the event's temperature.

    ``days_temp_c`` ``(days, intervals)`` and ``event_temp_c`` ``(intervals,)``: the
    district's temperature (one weather station). ``y = a + b·x``, ``x = max(T − base, 0)``;
    ``b = cov(x, y) / var(x)``, ``a = ȳ − b·x̄``; where ``var(x) = 0`` the baseline is ``ȳ``.
    """
    arr = _check(days_kw)
    x = np.maximum(np.asarray(days_temp_c, dtype=np.float64) - base_c, 0.0)   # (d, t)
    x_event = np.maximum(np.asarray(event_temp_c, dtype=np.float64) - base_c, 0.0)
    x_mean = x.mean(axis=0)                                                  # (t,)
    dx = x - x_mean
    var = (dx * dx).mean(axis=0)                                             # (t,)
    y_mean = _nanmean(arr, 1)                                         # (r, t)
    cov = _nanmean((arr - y_mean[:, None, :]) * dx[None, :, :], 1)    # (r, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(var > 0, cov / np.where(var > 0, var, 1.0), 0.0)
    return np.asarray(y_mean + slope * (x_event - x_mean)[None, :], dtype=np.float64)


BASELINES: dict[str, Callable[..., FloatArray]] = {
    DrBaselineMethod.HIGH5OF10: baseline_high5of10,
    DrBaselineMethod.LAST5: baseline_last5,
    DrBaselineMethod.TEN_IN_TEN_ADJUSTED: baseline_10in10_adjusted,
    DrBaselineMethod.REGRESSION: baseline_regression,
}


def baseline(method: str, days_kw: FloatArray, *, adj_days_kw: FloatArray | None = None,
             adj_event_kw: FloatArray | None = None, days_temp_c: FloatArray | None = None,
             event_temp_c: FloatArray | None = None,
             rank_kw: FloatArray | None = None) -> FloatArray:
    """The baseline of ``method`` (a :class:`~carbonpeak.vocabulary.DrBaselineMethod`).

    ``rank_kw``: the days over the event window when ``days_kw`` spans more (only
    ``high5of10`` ranks days; the other methods work interval by interval)."""
    if method == DrBaselineMethod.HIGH5OF10:
        return baseline_high5of10(days_kw, rank_kw=rank_kw)
    if method == DrBaselineMethod.LAST5:
        return baseline_last5(days_kw)
    if method == DrBaselineMethod.TEN_IN_TEN_ADJUSTED:
        if adj_days_kw is None or adj_event_kw is None:
            msg = "10in10_adjusted needs the adjustment window's load"
            raise ValueError(msg)
        return baseline_10in10_adjusted(days_kw, adj_days_kw, adj_event_kw)
    if method == DrBaselineMethod.REGRESSION:
        if days_temp_c is None or event_temp_c is None:
            msg = "regression needs the days' and the event's temperature"
            raise ValueError(msg)
        return baseline_regression(days_kw, days_temp_c, event_temp_c)
    msg = f"unknown baseline method {method!r}"
    raise ValueError(msg)


# -- response and settlement ----------------------------------------------------------------


@dataclass(frozen=True)
class SettlementRule:
    """How a programme judges and pays a response (defaults: ours, status ``default``).

    ``min_ratio``: below it the response is not effective and earns nothing; ``cap_ratio``:
    the paid response is at most this × declared kW; ``price_cny_per_kwh``: per kWh of paid
    response energy.
    """

    price_cny_per_kwh: float = 3.0
    min_ratio: float = 0.5
    cap_ratio: float = 1.2
    source: str = "carbonpeak default (provincial rules not read)"
    status: str = RuleStatus.DEFAULT


@dataclass(frozen=True)
class ResponseResult:
    """Per resource: means over the event window, the ratio and the settlement."""

    baseline_kw: FloatArray
    actual_kw: FloatArray
    response_kw: FloatArray
    declared_kw: FloatArray
    execution_ratio: FloatArray
    effective: npt.NDArray[np.bool_]
    response_kwh: FloatArray
    paid_kwh: FloatArray
    amount_cny: FloatArray


def response(baseline_kw: FloatArray, actual_kw: FloatArray) -> FloatArray:
    """Response per interval: baseline − actual (kW; negative when the load rose)."""
    return np.asarray(baseline_kw, dtype=np.float64) - np.asarray(actual_kw, dtype=np.float64)


def settle(baseline_kw: FloatArray, actual_kw: FloatArray, declared_kw: FloatArray, *,
           interval_minutes: float, rule: SettlementRule | None = None) -> ResponseResult:
    """The verified response and its settlement, per resource.

    ``baseline_kw``, ``actual_kw``: ``(resources, intervals)`` of the window;
    ``declared_kw``: ``(resources,)``. ratio = mean response / declared (NaN without a
    declared kW); effective when ratio ≥ ``min_ratio``; paid kW = min(mean response,
    ``cap_ratio`` × declared) when effective, else 0; paid kWh = paid kW × window hours;
    amount = paid kWh × price.
    """
    rule = rule or SettlementRule()
    base = np.asarray(baseline_kw, dtype=np.float64)
    act = np.asarray(actual_kw, dtype=np.float64)
    declared = np.asarray(declared_kw, dtype=np.float64)
    hours = base.shape[1] * interval_minutes / 60.0
    b_mean, a_mean = _nanmean(base, 1), _nanmean(act, 1)
    resp = b_mean - a_mean
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(declared > 0, resp / np.where(declared > 0, declared, 1.0), np.nan)
    effective = np.nan_to_num(ratio, nan=-np.inf) >= rule.min_ratio
    paid_kw = np.where(effective, np.minimum(resp, rule.cap_ratio * declared), 0.0)
    paid_kwh = paid_kw * hours
    return ResponseResult(b_mean, a_mean, resp, declared, ratio, effective, resp * hours,
                          paid_kwh, paid_kwh * rule.price_cny_per_kwh)
