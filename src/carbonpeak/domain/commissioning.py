"""Commissioning candidates from hourly electricity data (base load, schedules, HVAC, plant COP).

中文：既有建筑调适（commissioning）候选筛查——由逐时电耗数据计算夜间基础负荷比、非工作日与
工作日日均用电比、节假日浪费电量、负荷率、同时供冷供热小时数与冷站系统能效比（COP），按阈值
给出问题清单，估算可避免电量，并按可避免电量与评分排序。

Inputs are (n_buildings, n_hours) arrays of energy per hour [kWh], NaN = missing. Hour ``j``
is the interval ``start + j h`` to ``start + (j + 1) h`` of local, timezone-naive time
(hour-beginning labels), ``start`` is a local midnight and ``n_hours`` a whole number of days.
An hourly kWh value is also the mean power of that hour [kW]. A day is a **working day** when
it is Monday–Friday and not a public holiday, or when it is in ``workdays_override`` (调休
working weekend days); every other day is a **non-working day**.

Per building ``b`` (sets of hours ``j`` with data; ``P_j`` the hourly kWh = mean kW):

1. base load ratio    ``q_base(P_j : j in night hours) / median(P_j : j in occupied hours)``
2. weekend ratio      ``mean non-working-day kWh / mean working-day kWh`` (complete days)
3. holiday waste      ``Σ_{j non-working} max(0, P_j − base_kw)`` [kWh], and ÷ total kWh
4. load factor        ``mean_j P_j / q_peak(P_j)``
5. simultaneous heating and cooling: hours with ``H_j > f·peak(H)`` and ``C_j > f·peak(C)``,
   and ``Σ min(H_j, C_j)`` over them [kWh]
6. cooling plant COP  ``Σ Q_j / Σ E_j`` over hours with ``Q_j > 0`` and ``E_j > 0``, in total
   and per calendar month

:func:`rank_buildings` flags indicators beyond the thresholds of
:class:`CommissioningOptions`, scores each building, estimates its avoidable energy (holiday
waste plus base load above a target ratio) and orders the buildings. **The thresholds and the
target ratio are our own unverified defaults, not values from a standard: the district sets
them.** :func:`commissioning_candidates` does both steps. Every step is vectorised over
buildings; see ``docs/commissioning.md``.

References
----------
None: the indicators are common screens of interval-data analysis for existing-building
commissioning; the formulas and thresholds here are ours and were not checked against a
published method or standard.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "FINDING_CODES",
    "CommissioningIndicators",
    "CommissioningOptions",
    "CommissioningResult",
    "Finding",
    "HourCalendar",
    "commissioning_candidates",
    "commissioning_indicators",
    "hour_calendar",
    "rank_buildings",
    "simultaneous_mask",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
IntArray: TypeAlias = npt.NDArray[np.int64]
DateLike: TypeAlias = str | dt.date | np.datetime64
DateSet: TypeAlias = Iterable[DateLike] | npt.NDArray[np.datetime64]

_HOURS_PER_DAY = 24
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


# -- options --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommissioningOptions:
    """Time windows, statistics and flag thresholds of the commissioning screen.

    Hour windows are ``[start, end)`` in hours of the local day with hour-beginning labels
    (``(0, 5)`` = 00:00–05:00 = hours 0 … 4); ``start > end`` wraps past midnight
    (``(22, 5)`` = 22:00–05:00).

    **The thresholds** (``max_*``, ``min_*``) **and** ``target_base_load_ratio`` **are our own
    unverified defaults, not values from a standard: to be set by the district.**

    Attributes
    ----------
    night_hours
        Unoccupied night window of every day, for the base load (default 00:00–05:00).
    occupied_hours
        Occupied window of working days, for the occupied load (default 09:00–17:00).
    base_load_quantile
        Quantile of the night kW taken as base load: 0.5 = median (default), 0.1 = 10th
        percentile. Linear interpolation (numpy's default method).
    peak_quantile
        Quantile of the hourly kW taken as peak, for the load factor and the sub-meter peaks:
        1.0 = maximum (default), 0.99 = 99th percentile (robust to single spikes).
    simultaneous_fraction
        Heating and cooling both count as on above this fraction of their own peak (10 %).
    max_base_load_ratio
        Flag ``commissioning.base_load_high`` above this base load ratio (0.5).
    max_weekend_ratio
        Flag ``commissioning.weekend_ratio_high`` above this weekend ratio (0.7).
    min_load_factor
        Flag ``commissioning.load_factor_low`` below this load factor (0.25).
    max_simultaneous_hours
        Flag ``commissioning.simultaneous_heating_cooling`` above this many hours (50).
    min_cop
        Flag ``commissioning.cop_low`` below this cooling plant COP (3.0).
    target_base_load_ratio
        Base load ratio a well-run building reaches (0.3): base load above
        ``target × occupied load`` counts as avoidable in unoccupied hours.
    """

    night_hours: tuple[int, int] = (0, 5)
    occupied_hours: tuple[int, int] = (9, 17)
    base_load_quantile: float = 0.5
    peak_quantile: float = 1.0
    simultaneous_fraction: float = 0.10
    max_base_load_ratio: float = 0.5
    max_weekend_ratio: float = 0.7
    min_load_factor: float = 0.25
    max_simultaneous_hours: float = 50.0
    min_cop: float = 3.0
    target_base_load_ratio: float = 0.3

    def __post_init__(self) -> None:
        for name in ("night_hours", "occupied_hours"):
            start, end = getattr(self, name)
            if not (0 <= start <= 23 and 1 <= end <= 24 and start != end):
                msg = (f"CommissioningOptions.{name} must be (start, end) with 0 ≤ start ≤ 23, "
                       f"1 ≤ end ≤ 24 and start ≠ end, got {(start, end)}")
                raise ValueError(msg)
        hours = np.arange(_HOURS_PER_DAY)
        if np.any(_in_window(hours, self.night_hours) & _in_window(hours, self.occupied_hours)):
            msg = "CommissioningOptions: night_hours and occupied_hours overlap"
            raise ValueError(msg)
        for name in ("base_load_quantile", "peak_quantile"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                msg = f"CommissioningOptions.{name} must be in [0, 1], got {getattr(self, name)}"
                raise ValueError(msg)
        if not 0.0 <= self.simultaneous_fraction < 1.0:
            msg = "CommissioningOptions.simultaneous_fraction must be in [0, 1)"
            raise ValueError(msg)
        for name in ("max_base_load_ratio", "max_weekend_ratio", "min_load_factor",
                     "max_simultaneous_hours", "min_cop"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                msg = f"CommissioningOptions.{name} must be finite and > 0, got {value}"
                raise ValueError(msg)
        if not (math.isfinite(self.target_base_load_ratio) and self.target_base_load_ratio >= 0):
            msg = "CommissioningOptions.target_base_load_ratio must be finite and ≥ 0"
            raise ValueError(msg)


# -- calendar -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HourCalendar:
    """Local calendar of consecutive whole days of hourly data (from :func:`hour_calendar`).

    Attributes
    ----------
    dates
        The days, ``datetime64[D]``, shape (n_days,).
    working_day
        Whether each day is a working day, shape (n_days,).
    """

    dates: npt.NDArray[np.datetime64]
    working_day: BoolArray

    @property
    def n_days(self) -> int:
        """Number of days."""
        return int(self.dates.shape[0])

    @property
    def n_hours(self) -> int:
        """Number of hours, ``24 × n_days``."""
        return _HOURS_PER_DAY * self.n_days

    @property
    def hour_of_day(self) -> IntArray:
        """Hour of the local day (0 … 23) of each hour, shape (n_hours,)."""
        return np.tile(np.arange(_HOURS_PER_DAY, dtype=np.int64), self.n_days)

    @property
    def working_hour(self) -> BoolArray:
        """Whether each hour falls on a working day, shape (n_hours,)."""
        return np.repeat(self.working_day, _HOURS_PER_DAY)

    def window(self, hours: tuple[int, int]) -> BoolArray:
        """Hours inside the daily window ``[start, end)`` (wrapping past midnight when
        ``start > end``), shape (n_hours,)."""
        return _in_window(self.hour_of_day, hours)

    def months(self) -> tuple[tuple[str, ...], IntArray]:
        """Calendar months ``YYYY-MM`` and the index of each one's first hour."""
        m = self.dates.astype("datetime64[M]")
        first = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
        return tuple(str(x) for x in m[first]), first.astype(np.int64) * _HOURS_PER_DAY


def _in_window(hour: IntArray, hours: tuple[int, int]) -> BoolArray:
    start, end = hours
    if start < end:
        return np.asarray((hour >= start) & (hour < end))
    return np.asarray((hour >= start) | (hour < end))


def _day(x: DateLike, *, what: str, midnight: bool) -> np.datetime64:
    if isinstance(x, dt.datetime) and x.tzinfo is not None:
        msg = f"{what}: expected timezone-naive local time, got {x!r}"
        raise ValueError(msg)
    t = np.datetime64(x)
    if np.isnat(t):
        msg = f"{what}: not a date: {x!r}"
        raise ValueError(msg)
    d: np.datetime64 = t.astype("datetime64[D]")
    if midnight and d != t:
        msg = f"{what} must be a local midnight (days start at 00:00), got {x!r}"
        raise ValueError(msg)
    return d


def _date_set(x: DateSet, *, what: str) -> npt.NDArray[np.datetime64]:
    if isinstance(x, str | dt.date | np.datetime64):
        x = [x]
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.datetime64):
        return np.unique(x.astype("datetime64[D]"))
    return np.unique(np.array([_day(d, what=what, midnight=False) for d in x], "datetime64[D]"))


def hour_calendar(start: DateLike, n_hours: int, *, holidays: DateSet = (),
                  workdays_override: DateSet = ()) -> HourCalendar:
    """Calendar of ``n_hours`` consecutive local hours from the midnight ``start``.

    中文：逐时数据的日历——工作日为周一至周五且非法定节假日，或为调休上班日。

    Parameters
    ----------
    start
        First day (a date, a datetime at 00:00, ``datetime64`` or ISO string), local time.
    n_hours
        Number of hours, a positive multiple of 24.
    holidays
        Public holidays (dates, ``datetime64`` or ISO strings; a ``holidays.China`` object
        works): non-working even on a weekday.
    workdays_override
        调休 working days: working even on a weekend. A date may not be in both sets.

    Returns
    -------
    HourCalendar

    Raises
    ------
    ValueError
        If ``start`` is not a naive local midnight, ``n_hours`` is not a positive multiple of
        24, or a date is both a holiday and a working day.

    Examples
    --------
    >>> cal = hour_calendar("2024-09-28", 72, holidays=["2024-10-01"],
    ...                     workdays_override=["2024-09-29"])
    >>> cal.working_day.tolist()  # Saturday, Sunday (调休), Monday
    [False, True, True]
    """
    if n_hours <= 0 or n_hours % _HOURS_PER_DAY:
        msg = f"n_hours = {n_hours} is not a whole number of days (a positive multiple of 24)"
        raise ValueError(msg)
    first = _day(start, what="start", midnight=True)
    dates = first + np.arange(n_hours // _HOURS_PER_DAY)
    off = _date_set(holidays, what="holidays")
    on = _date_set(workdays_override, what="workdays_override")
    both = np.intersect1d(off, on)
    if both.size:
        msg = f"dates both in holidays and workdays_override: {[str(d) for d in both]}"
        raise ValueError(msg)
    weekday = (dates.astype(np.int64) + _EPOCH_WEEKDAY) % 7
    working = ((weekday < 5) & ~np.isin(dates, off)) | np.isin(dates, on)
    return HourCalendar(dates=dates, working_day=np.asarray(working, dtype=np.bool_))


# -- inputs and row statistics --------------------------------------------------------------
def _hourly(name: str, values: npt.ArrayLike, shape: tuple[int, ...] | None) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        msg = f"{name} must be (n_buildings, n_hours), got {x.ndim} dimensions"
        raise ValueError(msg)
    if shape is not None and x.shape != shape:
        msg = f"{name} has shape {x.shape}, load_kwh has {shape}"
        raise ValueError(msg)
    bad = (x < 0) | np.isinf(x)
    if bad.any():
        b, h = (int(i) for i in np.argwhere(bad)[0])
        msg = (f"{name}: {x[b, h]} at building {b}, hour {h}: kWh must be finite and ≥ 0 "
               "(NaN for missing)")
        raise ValueError(msg)
    return x


def _row_quantile(x: FloatArray, q: float) -> tuple[FloatArray, IntArray]:
    """Quantile of each row over its non-NaN values (numpy's linear method), and their count."""
    n = np.count_nonzero(~np.isnan(x), axis=1).astype(np.int64)
    out = np.full(x.shape[0], np.nan)
    has = n > 0
    if not has.any():
        return out, n
    s = np.sort(x[has], axis=1)  # NaN sort last, so the first n[b] values are the data
    pos = q * (n[has] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n[has] - 1)
    a = np.take_along_axis(s, lo[:, None], axis=1)[:, 0]
    b = np.take_along_axis(s, hi[:, None], axis=1)[:, 0]
    out[has] = a + (b - a) * (pos - lo)
    return out, n


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` where both are finite and ``den > 0``, else NaN."""
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    out[ok] = num[ok] / den[ok]
    return out


def _masked_sum(x: FloatArray, mask: BoolArray) -> tuple[FloatArray, IntArray]:
    """Row sums of ``x`` where ``mask`` (and ``x`` is not NaN); NaN when nothing counts."""
    use = mask & ~np.isnan(x)
    n = np.count_nonzero(use, axis=1).astype(np.int64)
    total = np.where(use, x, 0.0).sum(axis=1)
    return np.where(n > 0, total, np.nan), n


# -- indicators -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CommissioningIndicators:
    """Commissioning indicators of many buildings, as arrays over buildings.

    Every float is NaN when it cannot be computed; the ``n_*`` counts say how many hours (or
    complete days) with data each figure used. Built by :func:`commissioning_indicators`.

    Attributes
    ----------
    building_ids
        Identifiers, input order.
    months
        Calendar months ``YYYY-MM`` of the period (columns of ``cop_by_month``).
    base_load_kw, n_night_hours
        Base load: ``base_load_quantile`` of the night kW [kW]; night hours with data.
    occupied_load_kw, n_occupied_hours
        Median kW of the occupied hours of working days [kW]; those hours with data.
    base_load_ratio
        ``base_load_kw / occupied_load_kw``.
    working_day_kwh, n_working_days
        Mean energy of a complete working day [kWh/day]; complete working days.
    nonworking_day_kwh, n_nonworking_days
        The same for non-working days (weekends and holidays).
    weekend_ratio
        ``nonworking_day_kwh / working_day_kwh``.
    holiday_waste_kwh, n_nonworking_hours
        ``Σ max(0, P − base_load_kw)`` over hours of non-working days [kWh]; those hours with
        data.
    total_kwh, n_hours
        Energy over all hours with data [kWh]; those hours.
    holiday_waste_fraction
        ``holiday_waste_kwh / total_kwh`` (the annual share when the period is a year).
    base_load_excess_kwh, n_unoccupied_hours
        Base load above ``target_base_load_ratio × occupied_load_kw`` in unoccupied hours
        (every hour but the occupied hours of working days) [kWh]; those hours with data.
    mean_kw, peak_kw, load_factor
        Mean and peak (``peak_quantile``) kW, and ``mean_kw / peak_kw``.
    simultaneous_hours, simultaneous_kwh, n_submeter_hours
        Hours with heating and cooling both on, ``Σ min(H, C)`` over them [kWh]; hours with
        both sub-meters read.
    cop, cooling_kwh_th, plant_kwh, n_cop_hours
        Cooling plant COP ``cooling_kwh_th / plant_kwh``, the sums over hours with both > 0
        [kWh thermal, kWh electric], and those hours.
    cop_by_month
        COP per calendar month, shape (n_buildings, n_months).
    """

    building_ids: tuple[str, ...]
    months: tuple[str, ...]
    base_load_kw: FloatArray
    n_night_hours: IntArray
    occupied_load_kw: FloatArray
    n_occupied_hours: IntArray
    base_load_ratio: FloatArray
    working_day_kwh: FloatArray
    n_working_days: IntArray
    nonworking_day_kwh: FloatArray
    n_nonworking_days: IntArray
    weekend_ratio: FloatArray
    holiday_waste_kwh: FloatArray
    n_nonworking_hours: IntArray
    total_kwh: FloatArray
    n_hours: IntArray
    holiday_waste_fraction: FloatArray
    base_load_excess_kwh: FloatArray
    n_unoccupied_hours: IntArray
    mean_kw: FloatArray
    peak_kw: FloatArray
    load_factor: FloatArray
    simultaneous_hours: FloatArray
    simultaneous_kwh: FloatArray
    n_submeter_hours: IntArray
    cop: FloatArray
    cooling_kwh_th: FloatArray
    plant_kwh: FloatArray
    n_cop_hours: IntArray
    cop_by_month: FloatArray

    def __len__(self) -> int:
        return len(self.building_ids)


def _load_indicators(x: FloatArray, cal: HourCalendar,
                     opt: CommissioningOptions) -> dict[str, Any]:
    """Indicators 1–4 and the base-load excess, from the whole-building load."""
    base, n_night = _row_quantile(x[:, cal.window(opt.night_hours)], opt.base_load_quantile)
    occupied_mask = cal.window(opt.occupied_hours) & cal.working_hour
    occupied, n_occupied = _row_quantile(x[:, occupied_mask], 0.5)
    # a day with a missing hour has no daily total, so it would bias the mean day
    daily = x.reshape(x.shape[0], cal.n_days, _HOURS_PER_DAY).sum(axis=2)
    on_day, n_on_days = _masked_sum(daily, cal.working_day[np.newaxis, :])
    off_day, n_off_days = _masked_sum(daily, ~cal.working_day[np.newaxis, :])
    on_day = _ratio(on_day, n_on_days.astype(np.float64))
    off_day = _ratio(off_day, n_off_days.astype(np.float64))
    # NaN base or target -> 0 here and NaN result below, so that the counts stay those of x
    nonworking = ~cal.working_hour[np.newaxis, :]
    waste, n_off = _masked_sum(np.maximum(x - np.nan_to_num(base)[:, None], 0.0), nonworking)
    waste = np.where(np.isnan(base), np.nan, waste)
    # unoccupied hours: the band between the target base load and the actual base load
    target = opt.target_base_load_ratio * occupied
    band = np.maximum(base - target, 0.0)
    above_target = np.maximum(x - np.nan_to_num(target)[:, None], 0.0)
    excess, n_unocc = _masked_sum(np.minimum(above_target, np.nan_to_num(band)[:, None]),
                                  ~occupied_mask[np.newaxis, :])
    excess = np.where(np.isnan(band), np.nan, excess)
    total, n_hours = _masked_sum(x, np.ones((1, x.shape[1]), dtype=np.bool_))
    peak, _ = _row_quantile(x, opt.peak_quantile)
    mean = _ratio(total, n_hours.astype(np.float64))
    return {
        "base_load_kw": base, "n_night_hours": n_night, "occupied_load_kw": occupied,
        "n_occupied_hours": n_occupied, "base_load_ratio": _ratio(base, occupied),
        "working_day_kwh": on_day, "n_working_days": n_on_days,
        "nonworking_day_kwh": off_day, "n_nonworking_days": n_off_days,
        "weekend_ratio": _ratio(off_day, on_day), "holiday_waste_kwh": waste,
        "n_nonworking_hours": n_off, "total_kwh": total, "n_hours": n_hours,
        "holiday_waste_fraction": _ratio(waste, total), "base_load_excess_kwh": excess,
        "n_unoccupied_hours": n_unocc, "mean_kw": mean, "peak_kw": peak,
        "load_factor": _ratio(mean, peak),
    }


def simultaneous_mask(heating_kwh: npt.ArrayLike, cooling_kwh: npt.ArrayLike, *,
                      options: CommissioningOptions | None = None) -> BoolArray:
    """Which hours count as simultaneous heating and cooling (indicator 5), per building.

    ``H_j > f · peak(H)`` and ``C_j > f · peak(C)`` with both read, ``f`` the
    ``simultaneous_fraction`` and the peaks the ``peak_quantile`` of each row over the whole
    period given: the hours :func:`commissioning_indicators` counts in ``simultaneous_hours``
    (for a breakdown by month, say).

    Parameters
    ----------
    heating_kwh, cooling_kwh
        (n_buildings, n_hours) or (n_hours,) [kWh per hour], NaN = missing, same shape.
    options
        :class:`CommissioningOptions` (``simultaneous_fraction``, ``peak_quantile``).

    Returns
    -------
    numpy.ndarray
        Boolean, (n_buildings, n_hours).

    Examples
    --------
    >>> simultaneous_mask([[0.0, 5.0, 10.0]], [[10.0, 10.0, 0.5]]).tolist()
    [[False, True, False]]
    """
    opt = options if options is not None else CommissioningOptions()
    heating = _hourly("heating_kwh", heating_kwh, None)
    cooling = _hourly("cooling_kwh", cooling_kwh, heating.shape)
    return _simultaneous_on(heating, cooling, opt)


def _simultaneous_on(heating: FloatArray, cooling: FloatArray,
                     opt: CommissioningOptions) -> BoolArray:
    f = opt.simultaneous_fraction
    h_peak, _ = _row_quantile(heating, opt.peak_quantile)
    c_peak, _ = _row_quantile(cooling, opt.peak_quantile)
    both = ~np.isnan(heating) & ~np.isnan(cooling)
    return np.asarray(both & (heating > f * h_peak[:, None]) & (cooling > f * c_peak[:, None]))


def _simultaneous(heating: FloatArray, cooling: FloatArray,
                  opt: CommissioningOptions) -> dict[str, Any]:
    """Indicator 5: hours (and kWh) with heating and cooling both above their threshold."""
    both = ~np.isnan(heating) & ~np.isnan(cooling)
    n = np.count_nonzero(both, axis=1).astype(np.int64)
    on = _simultaneous_on(heating, cooling, opt)
    hours = np.where(n > 0, np.count_nonzero(on, axis=1), np.nan)
    kwh = np.where(n > 0, np.where(on, np.minimum(heating, cooling), 0.0).sum(axis=1), np.nan)
    return {"simultaneous_hours": hours.astype(np.float64), "simultaneous_kwh": kwh,
            "n_submeter_hours": n}


def _plant_cop(chilled: FloatArray, plant: FloatArray, month_starts: IntArray) -> dict[str, Any]:
    """Indicator 6: ``Σ Q / Σ E`` over hours with both > 0, in total and per month."""
    ok = (chilled > 0) & (plant > 0)  # NaN compares False
    q = np.where(ok, chilled, 0.0)
    e = np.where(ok, plant, 0.0)
    n = np.count_nonzero(ok, axis=1).astype(np.int64)
    q_sum = np.where(n > 0, q.sum(axis=1), np.nan)
    e_sum = np.where(n > 0, e.sum(axis=1), np.nan)
    by_month = _ratio(np.add.reduceat(q, month_starts, axis=1),
                      np.add.reduceat(e, month_starts, axis=1))
    return {"cop": _ratio(q_sum, e_sum), "cooling_kwh_th": q_sum, "plant_kwh": e_sum,
            "n_cop_hours": n, "cop_by_month": by_month}


def _pair(names: tuple[str, str], a: npt.ArrayLike | None, b: npt.ArrayLike | None,
          shape: tuple[int, int]) -> tuple[FloatArray, FloatArray]:
    if (a is None) != (b is None):
        msg = f"give both {names[0]} and {names[1]}, or neither"
        raise ValueError(msg)
    if a is None or b is None:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    return _hourly(names[0], a, shape), _hourly(names[1], b, shape)


def commissioning_indicators(
    load_kwh: npt.ArrayLike,
    start: DateLike,
    *,
    holidays: DateSet = (),
    workdays_override: DateSet = (),
    heating_kwh: npt.ArrayLike | None = None,
    cooling_kwh: npt.ArrayLike | None = None,
    chilled_water_kwh_th: npt.ArrayLike | None = None,
    plant_kwh: npt.ArrayLike | None = None,
    building_ids: Sequence[str] | None = None,
    options: CommissioningOptions | None = None,
) -> CommissioningIndicators:
    """Commissioning indicators of every building (see the module docstring for formulas).

    Parameters
    ----------
    load_kwh
        Whole-building electricity per hour [kWh], (n_buildings, n_hours) or (n_hours,) for
        one building; NaN = missing. ``n_hours`` is a multiple of 24.
    start
        Local midnight of the first hour (timezone-naive).
    holidays, workdays_override
        Public holidays and 调休 working days (see :func:`hour_calendar`).
    heating_kwh, cooling_kwh
        Heating and cooling sub-meters per hour [kWh], same shape as ``load_kwh`` (rows of NaN
        for buildings without them); both or neither.
    chilled_water_kwh_th, plant_kwh
        Chilled-water cooling energy [kWh thermal] and cooling plant electricity [kWh] per
        hour, same shape; both or neither.
    building_ids
        One identifier per building; default ``"0"``, ``"1"``, …
    options
        Windows and statistics (:class:`CommissioningOptions`).

    Returns
    -------
    CommissioningIndicators

    Raises
    ------
    ValueError
        On shapes that differ, ``n_hours`` not a whole number of days, a negative or infinite
        kWh (the message names the building and hour index), or a bad ``start`` or calendar.

    Examples
    --------
    >>> day = [10.0] * 9 + [50.0] * 8 + [10.0] * 7  # 10 kW except 09:00-17:00
    >>> week = day * 5 + [10.0] * 48  # Monday to Friday, then 10 kW all weekend
    >>> ind = commissioning_indicators([week], "2024-06-03")  # 2024-06-03 is a Monday
    >>> float(ind.base_load_ratio[0]), round(float(ind.weekend_ratio[0]), 4)
    (0.2, 0.4286)
    """
    opt = options if options is not None else CommissioningOptions()
    x = _hourly("load_kwh", load_kwh, None)
    shape = (int(x.shape[0]), int(x.shape[1]))
    cal = hour_calendar(start, shape[1], holidays=holidays, workdays_override=workdays_override)
    ids = tuple(str(i) for i in (range(shape[0]) if building_ids is None else building_ids))
    if len(ids) != shape[0]:
        msg = f"{len(ids)} building_ids for {shape[0]} buildings"
        raise ValueError(msg)
    heating, cooling = _pair(("heating_kwh", "cooling_kwh"), heating_kwh, cooling_kwh, shape)
    chilled, plant = _pair(("chilled_water_kwh_th", "plant_kwh"), chilled_water_kwh_th,
                           plant_kwh, shape)
    months, month_starts = cal.months()
    return CommissioningIndicators(
        building_ids=ids, months=months, **_load_indicators(x, cal, opt),
        **_simultaneous(heating, cooling, opt), **_plant_cop(chilled, plant, month_starts))


# -- findings and ranking -------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One indicator beyond its threshold.

    ``severity`` = ``min(1, |value − threshold| / threshold)``, in (0, 1].
    """

    code: str
    value: float
    threshold: float
    severity: float
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict."""
        return {"code": self.code, "value": _plain(self.value),
                "threshold": _plain(self.threshold), "severity": _plain(self.severity),
                "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass(frozen=True)
class _Rule:
    code: str
    indicator: str
    option: str
    direction: Literal["above", "below"]
    message_zh: str
    message_en: str


_RULES: tuple[_Rule, ...] = (
    _Rule("commissioning.base_load_high", "base_load_ratio", "max_base_load_ratio", "above",
          "夜间基础负荷为工作时段负荷的 {v:.0%}（阈值 {t:.0%}）：设备可能夜间未关闭",
          "Night base load is {v:.0%} of the occupied load (threshold {t:.0%}): equipment "
          "may be left on overnight"),
    _Rule("commissioning.weekend_ratio_high", "weekend_ratio", "max_weekend_ratio", "above",
          "非工作日日均用电为工作日的 {v:.0%}（阈值 {t:.0%}）：节假日运行时间表可能未生效",
          "A non-working day uses {v:.0%} of a working day (threshold {t:.0%}): weekend and "
          "holiday schedules may not be applied"),
    _Rule("commissioning.load_factor_low", "load_factor", "min_load_factor", "below",
          "负荷率 {v:.2f}，低于 {t:.2f}：负荷峰谷差大，检查设备启停顺序与需量",
          "Load factor {v:.2f} is below {t:.2f}: a peaky load, check start-up sequencing "
          "and demand"),
    _Rule("commissioning.simultaneous_heating_cooling", "simultaneous_hours",
          "max_simultaneous_hours", "above",
          "同时供热与供冷 {v:.0f} 小时（阈值 {t:.0f} 小时）：检查控制设定与阀门",
          "Heating and cooling ran together for {v:.0f} h (threshold {t:.0f} h): check "
          "set points, dead bands and valves"),
    _Rule("commissioning.cop_low", "cop", "min_cop", "below",
          "冷站系统能效比 COP {v:.2f}，低于 {t:.2f}：检查冷机、水泵与冷却塔运行",
          "Cooling plant COP {v:.2f} is below {t:.2f}: check chillers, pumps and towers"),
)

#: Finding codes, in the order :meth:`CommissioningResult.findings` lists them.
FINDING_CODES: tuple[str, ...] = tuple(r.code for r in _RULES)


def _rule_flags(ind: CommissioningIndicators, opt: CommissioningOptions,
                rule: _Rule) -> tuple[BoolArray, FloatArray]:
    """Which buildings break ``rule`` and the severity of each (0 when not flagged)."""
    value: FloatArray = getattr(ind, rule.indicator)
    t = float(getattr(opt, rule.option))
    flagged = value > t if rule.direction == "above" else value < t  # NaN is never flagged
    severity = np.where(flagged, np.minimum(np.abs(np.nan_to_num(value) - t) / t, 1.0), 0.0)
    return np.asarray(flagged, dtype=np.bool_), severity


@dataclass(frozen=True, eq=False)
class CommissioningResult:
    """Indicators, findings, scores, avoidable energy and ranking (from :func:`rank_buildings`).

    Attributes
    ----------
    indicators
        The :class:`CommissioningIndicators`.
    options
        The options used (thresholds of the findings).
    score
        ``Σ (1 + severity)`` over the building's findings; 0 without findings.
    n_findings
        Number of findings per building.
    avoidable_kwh
        ``holiday_waste_kwh + base_load_excess_kwh`` [kWh], a part that cannot be computed
        counted as 0; NaN when neither can.
    order
        Building indices, most avoidable energy first, then highest score, then input order;
        NaN avoidable energy last.
    """

    indicators: CommissioningIndicators
    options: CommissioningOptions
    score: FloatArray
    n_findings: IntArray
    avoidable_kwh: FloatArray
    order: IntArray

    def __len__(self) -> int:
        return len(self.indicators)

    def findings(self, i: int) -> tuple[Finding, ...]:
        """Findings of building ``i`` (input order), in the order of :data:`FINDING_CODES`."""
        out = []
        for rule in _RULES:
            v = float(getattr(self.indicators, rule.indicator)[i])
            t = float(getattr(self.options, rule.option))
            if v > t if rule.direction == "above" else v < t:  # NaN is never flagged
                out.append(Finding(rule.code, v, t, min(abs(v - t) / t, 1.0),
                                   rule.message_zh.format(v=v, t=t),
                                   rule.message_en.format(v=v, t=t)))
        return tuple(out)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain, JSON-safe dict per building, input order (NaN → None).

        Keys: every field of :class:`CommissioningIndicators` but ``building_ids`` and
        ``months`` (``cop_by_month`` as ``{month: cop}``), plus ``building_id``, ``rank``
        (1 = first in ``order``), ``score``, ``n_findings``, ``avoidable_kwh`` and
        ``findings`` (list of :meth:`Finding.to_dict`).
        """
        ind = self.indicators
        rank = np.empty(len(self), dtype=np.int64)
        rank[self.order] = np.arange(1, len(self) + 1)
        names = [f.name for f in fields(ind) if f.name not in
                 ("building_ids", "months", "cop_by_month")]
        records = []
        for i, building_id in enumerate(ind.building_ids):
            rec: dict[str, Any] = {"building_id": building_id, "rank": int(rank[i]),
                                   "score": _plain(float(self.score[i])),
                                   "n_findings": int(self.n_findings[i]),
                                   "avoidable_kwh": _plain(float(self.avoidable_kwh[i]))}
            for name in names:
                value = getattr(ind, name)[i]
                rec[name] = int(value) if name.startswith("n_") else _plain(float(value))
            rec["cop_by_month"] = {m: _plain(float(c))
                                   for m, c in zip(ind.months, ind.cop_by_month[i], strict=True)}
            rec["findings"] = [f.to_dict() for f in self.findings(i)]
            records.append(rec)
        return records


def _plain(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def rank_buildings(indicators: CommissioningIndicators, *,
                   options: CommissioningOptions | None = None) -> CommissioningResult:
    """Flag, score and order buildings for commissioning.

    中文：按阈值判定问题、评分并按可避免电量排序（阈值为未经核实的默认值，由区里确定）。

    Parameters
    ----------
    indicators
        From :func:`commissioning_indicators`.
    options
        Thresholds (:class:`CommissioningOptions`). **Unverified defaults, to be set by the
        district.** Pass the same options as for the indicators: ``avoidable_kwh`` uses the
        indicators' base-load excess, computed with their ``target_base_load_ratio``.

    Returns
    -------
    CommissioningResult

    Notes
    -----
    A rule flags ``value > threshold`` (base load ratio, weekend ratio, simultaneous hours) or
    ``value < threshold`` (load factor, COP); NaN is never flagged. Each finding has severity
    ``min(1, |value − threshold| / threshold)``; ``score = Σ (1 + severity)``, so a building
    with more findings never scores below one with fewer.

    Examples
    --------
    >>> office = ([10.0] * 9 + [50.0] * 8 + [10.0] * 7) * 5 + [10.0] * 48
    >>> loads = [office, [30.0] * 24 * 7]  # one week from Monday 2024-06-03
    >>> result = rank_buildings(commissioning_indicators(loads, "2024-06-03"))
    >>> [f.code for f in result.findings(1)]  # flat 30 kW: ratios 1.0 and 1.0
    ['commissioning.base_load_high', 'commissioning.weekend_ratio_high']
    >>> result.score.round(4).tolist(), result.order.tolist()
    ([0.0, 3.4286], [1, 0])
    """
    opt = options if options is not None else CommissioningOptions()
    n = len(indicators)
    score, n_findings = np.zeros(n), np.zeros(n, dtype=np.int64)
    for rule in _RULES:
        flagged, severity = _rule_flags(indicators, opt, rule)
        score += np.where(flagged, 1.0 + severity, 0.0)
        n_findings += flagged
    waste, excess = indicators.holiday_waste_kwh, indicators.base_load_excess_kwh
    avoidable = np.where(np.isnan(waste) & np.isnan(excess), np.nan,
                         np.nan_to_num(waste) + np.nan_to_num(excess))
    # lexsort: the last key is the primary one
    order = np.lexsort((np.arange(n), -score, np.where(np.isnan(avoidable), np.inf, -avoidable)))
    return CommissioningResult(indicators=indicators, options=opt, score=score,
                               n_findings=n_findings, avoidable_kwh=avoidable,
                               order=order.astype(np.int64))


def commissioning_candidates(
    load_kwh: npt.ArrayLike,
    start: DateLike,
    *,
    holidays: DateSet = (),
    workdays_override: DateSet = (),
    heating_kwh: npt.ArrayLike | None = None,
    cooling_kwh: npt.ArrayLike | None = None,
    chilled_water_kwh_th: npt.ArrayLike | None = None,
    plant_kwh: npt.ArrayLike | None = None,
    building_ids: Sequence[str] | None = None,
    options: CommissioningOptions | None = None,
) -> CommissioningResult:
    """Indicators, findings and ranking in one call.

    :func:`commissioning_indicators` then :func:`rank_buildings` with the same ``options``;
    the parameters are those of :func:`commissioning_indicators`.

    Examples
    --------
    >>> result = commissioning_candidates([[30.0] * 48], "2024-06-08", building_ids=["B1"])
    >>> rec = result.to_records()[0]
    >>> rec["building_id"], rec["load_factor"], rec["weekend_ratio"], rec["findings"]
    ('B1', 1.0, None, [])
    """
    opt = options if options is not None else CommissioningOptions()
    indicators = commissioning_indicators(
        load_kwh, start, holidays=holidays, workdays_override=workdays_override,
        heating_kwh=heating_kwh, cooling_kwh=cooling_kwh,
        chilled_water_kwh_th=chilled_water_kwh_th, plant_kwh=plant_kwh,
        building_ids=building_ids, options=opt)
    return rank_buildings(indicators, options=opt)
