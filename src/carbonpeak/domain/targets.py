"""Targets of a carbon-peak plan: comparison, the path to the target, progress, decomposition.

中文：目标、进度、分解。能耗双控/碳排放双控（总量与强度）的目标值比较、达标路径（几何/线性）、
年度进度评估（进度正常、略有滞后、严重滞后、已完成、未完成）、目标分解到街道和重点用能单位
（按基期占比、按强度标杆、混合），以及强度达标单位的弹性总量管理（弹性管理）。

Conventions
-----------
* Rates (``required_annual_rate``, ``achieved_annual_rate``) are fractions per year:
  ``-0.02`` is a 2 % fall a year. Reductions (``reduction_vs_baseline``) are percentages:
  ``12.5`` is 12.5 % below the baseline.
* Indicators keep their own unit (tce/10^4 CNY, tCO2, MW, a count ...); the functions here
  never convert units.
* Reason texts use the Unicode minus sign (−) and thousands separators.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

import numpy as np
import pandas as pd

from carbonpeak.i18n import Message, render
from carbonpeak.i18n import msg as _m
from carbonpeak.vocabulary import BudgetMethod, TargetState

__all__ = [
    "ALLOCATION_METHODS",
    "COMPARATORS",
    "Comparator",
    "Shape",
    "Status",
    "TargetAssessment",
    "allocate",
    "allocate_baseline_share",
    "allocate_intensity_benchmark",
    "allocate_mixed",
    "assess_reduction_target",
    "assess_trajectory",
    "elastic_budgets",
    "format_value",
    "meets",
    "path_value",
    "reduction_vs_baseline",
    "required_annual_rate",
    "round_half_away",
    "status_message",
    "valued",
    "unit_message",
]

Comparator = Literal[">=", "<=", "=", ">", "<"]
Shape = Literal["geometric", "linear"]
Status = TargetState

#: The valid comparators, in the order of :data:`Comparator`.
COMPARATORS: tuple[Comparator, ...] = (">=", "<=", "=", ">", "<")
#: The valid decomposition methods of :func:`allocate`.
ALLOCATION_METHODS: tuple[str, ...] = (
    BudgetMethod.BASELINE_SHARE, BudgetMethod.INTENSITY_BENCHMARK, BudgetMethod.MIXED)

#: Relative float-noise guard used by :func:`assess_trajectory`: values this close (relative to
#: the indicator's scale) to the path or the target count as equal to it.
_REL_EPS = 1e-9

_SYMBOL: dict[str, str] = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}
_CJK_WORD = re.compile(r"^(\S*[\u3000-\u9fff\uff00-\uffef]\S*)\s+(\S.*)$")


# ---------------------------------------------------------------------------------------------
# Comparison and formulas
# ---------------------------------------------------------------------------------------------

def meets(value: float, target: float, comparator: Comparator, *,
          tolerance: float = 0.0) -> bool:
    """Whether ``value`` satisfies ``value <comparator> target``.

    Parameters
    ----------
    value, target
        The indicator's value and its target, in the same unit.
    comparator
        ``">="``, ``"<="``, ``"="``, ``">"`` or ``"<"``.
    tolerance
        Relative tolerance: values within ``tolerance · |target|`` of the target count as
        *equal* to it. So ``"="`` passes inside the band, ``">="``/``"<="`` also pass inside
        it, and ``">"``/``"<"`` need the value beyond the band. Default 0: exact comparison.

    Returns
    -------
    bool
        ``False`` when either number is NaN.

    Examples
    --------
    >>> meets(0.170, 0.173, "<=")
    True
    >>> meets(5.04, 5.0, "=", tolerance=0.01)
    True
    """
    if comparator not in COMPARATORS:
        msg = f"unknown comparator {comparator!r}; valid: {', '.join(COMPARATORS)}"
        raise ValueError(msg)
    if not (math.isfinite(tolerance) and tolerance >= 0):
        msg = f"tolerance must be a finite number >= 0, got {tolerance!r}"
        raise ValueError(msg)
    if math.isnan(value) or math.isnan(target):
        return False
    within = abs(value - target) <= tolerance * abs(target)
    if comparator == "=":
        return within
    if comparator == ">=":
        return value >= target or within
    if comparator == "<=":
        return value <= target or within
    if comparator == ">":
        return value > target and not within
    return value < target and not within


def reduction_vs_baseline(baseline: float, current: float) -> float:
    """Reduction below the baseline in percent: ``(baseline − current) / baseline · 100``.

    Negative when ``current`` is above the baseline.

    Raises
    ------
    ValueError
        If ``baseline`` is not a finite number > 0.

    Examples
    --------
    >>> round(reduction_vs_baseline(0.200, 0.175), 6)
    12.5
    """
    if not (math.isfinite(baseline) and baseline > 0):
        msg = f"baseline must be a finite number > 0, got {baseline!r}"
        raise ValueError(msg)
    return (baseline - current) / baseline * 100.0


def required_annual_rate(current: float, current_year: int, target: float,
                         target_year: int) -> float:
    """The constant yearly relative change ``r`` that takes ``current`` to ``target``.

    ``current · (1 + r) ** (target_year − current_year) = target``, so
    ``r = (target / current) ** (1 / (target_year − current_year)) − 1``; negative for declines.

    Raises
    ------
    ValueError
        If ``target_year <= current_year``, or ``current`` or ``target`` is not a finite
        number > 0.

    Examples
    --------
    >>> round(required_annual_rate(100.0, 2020, 121.0, 2022), 12)
    0.1
    """
    if target_year <= current_year:
        msg = f"target_year ({target_year}) must be after current_year ({current_year})"
        raise ValueError(msg)
    for name, number in (("current", current), ("target", target)):
        if not (math.isfinite(number) and number > 0):
            msg = f"{name} must be a finite number > 0 for a yearly rate, got {number!r}"
            raise ValueError(msg)
    return float((target / current) ** (1.0 / (target_year - current_year)) - 1.0)


def path_value(baseline: float, baseline_year: int, target: float, target_year: int,
               year: int, *, shape: Shape = "geometric") -> float:
    """The value the straight path from baseline to target requires in ``year``.

    * ``"geometric"``: constant yearly rate,
      ``baseline · (target/baseline) ** ((year − baseline_year)/(target_year − baseline_year))``.
      Needs a baseline and a target > 0.
    * ``"linear"``: constant yearly step,
      ``baseline + (target − baseline) · (year − baseline_year)/(target_year − baseline_year)``.

    Before ``baseline_year`` the path is the baseline; after ``target_year`` it is the target.

    Raises
    ------
    ValueError
        If ``target_year <= baseline_year``, the shape is unknown, or a geometric path has a
        baseline or target that is not > 0.

    Examples
    --------
    >>> round(path_value(100.0, 2020, 121.0, 2022, 2021), 9)
    110.0
    >>> path_value(0.0, 2021, 600.0, 2025, 2023, shape="linear")
    300.0
    """
    if target_year <= baseline_year:
        msg = f"target_year ({target_year}) must be after baseline_year ({baseline_year})"
        raise ValueError(msg)
    if shape not in ("geometric", "linear"):
        msg = f"unknown path shape {shape!r}; valid: geometric, linear"
        raise ValueError(msg)
    if year <= baseline_year:
        return float(baseline)
    if year >= target_year:
        return float(target)
    fraction = (year - baseline_year) / (target_year - baseline_year)
    if shape == "linear":
        return float(baseline + (target - baseline) * fraction)
    if not (baseline > 0 and target > 0):
        msg = (f"a geometric path needs a baseline and a target > 0 (got {baseline!r} and "
               f"{target!r}); use shape='linear'")
        raise ValueError(msg)
    return float(baseline * (target / baseline) ** fraction)


# ---------------------------------------------------------------------------------------------
# Progress (进度评估)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetAssessment:
    """Where an indicator stands against its target (目标进度评估).

    Attributes
    ----------
    status
        ``on_track`` (进度正常), ``at_risk`` (进度略有滞后), ``off_track`` (进度严重滞后),
        ``achieved`` (已完成), ``missed`` (未完成) or ``no_data`` (暂无数据).
    value, year
        The latest observation (``None`` without data).
    path_value
        The value the path requires in ``year`` (the target itself from the target year on).
    required_annual_rate
        The yearly rate (fraction) that takes ``value`` to the target over the remaining years;
        ``None`` from the target year on, without data, or when value or target is not > 0.
    achieved_annual_rate
        The average yearly rate (fraction) from the baseline to ``value``; ``None`` when
        ``year <= baseline_year`` or the baseline or value is not > 0.
    gap
        How far the value is *behind* the path, in the indicator's unit: **positive = worse**.
        ``value − path_value`` for ``<=``/``<`` targets (lower is better), ``path_value − value``
        for ``>=``/``>`` targets; for ``=`` targets the direction of the path decides
        (falling path: as ``<=``; rising: as ``>=``; flat: ``|value − path_value|``).
        Negative means ahead of the path. ``None`` without data.
    reason
        Plain-language explanation with the figures, a catalogue message (``reason_en`` and
        ``reason_zh`` render it).
    shape
        The path shape actually used (``geometric`` falls back to ``linear`` when the baseline
        or the target is not > 0).
    """

    status: Status
    value: float | None
    year: int | None
    path_value: float | None
    required_annual_rate: float | None
    achieved_annual_rate: float | None
    gap: float | None
    reason: Message
    shape: Shape = "geometric"

    @property
    def reason_en(self) -> str:
        """The reason in English."""
        return render(self.reason, "en")

    @property
    def reason_zh(self) -> str:
        """The reason in Chinese."""
        return render(self.reason, "zh")


def assess_trajectory(*, baseline: float, baseline_year: int, target: float, target_year: int,
                      comparator: Comparator, observations: Sequence[tuple[int, float]],
                      at_risk_margin: float = 0.10, shape: Shape = "geometric",
                      tolerance: float = 0.0, unit: str | Message = "") -> TargetAssessment:
    """Assess the latest observation of an indicator against the path to its target.

    The indicator is the quantity itself (energy per GDP in tce/10^4 CNY, total tCO2, PV
    capacity in MW, a count of charging piles ...). A target without a baseline (a count
    "600 charging piles by 2025") is assessed from ``baseline=0`` at the plan's start year.

    Notes
    -----
    Status rules. Let ``y`` be the latest observation year and ``v`` its value (NaN values
    are ignored).

    1. No observation → ``no_data``.
    2. ``y >= target_year`` → ``achieved`` if ``meets(v, target, comparator)`` else ``missed``
       (``tolerance`` is passed on; a 1e-9 relative guard absorbs float noise).
    3. Otherwise ``p = path_value(y)`` and ``gap`` = how far ``v`` is behind ``p`` (positive =
       behind; the good side is below the path for ``<=``/``<``, above for ``>=``/``>``):

       * ``gap <= 0`` (on the good side of the path, or on it) → ``on_track``;
       * ``0 < gap <= at_risk_margin · |target − baseline|`` → ``at_risk``;
       * larger gaps → ``off_track``.

       The margin is a share of the total change the plan asks for; for a flat target
       (``target == baseline``) it is a share of ``|target|``.

    Parameters
    ----------
    baseline, baseline_year
        The indicator in the base year (0 and the plan's start year for counts).
    target, target_year
        The target value and the year it is due.
    comparator
        How the value must compare with the target (``"<="`` for caps and intensities).
    observations
        ``(year, value)`` pairs, in any order. Duplicate years raise ``ValueError``.
    at_risk_margin
        Share of the total change a value may lag the path and still be ``at_risk``.
    shape
        ``"geometric"`` (constant yearly rate; the default) or ``"linear"``. A geometric path
        needs a baseline and a target > 0; otherwise the linear path is used (see ``shape`` of
        the result).
    tolerance
        Relative tolerance of the final comparison (see :func:`meets`).
    unit
        Appended to the figures in the reason texts (e.g. ``"MW"``); empty by default.

    Returns
    -------
    TargetAssessment

    Examples
    --------
    >>> a = assess_trajectory(baseline=0.0, baseline_year=2021, target=600.0, target_year=2025,
    ...                       comparator=">=", observations=[(2023, 280.0)])
    >>> a.status, a.path_value, a.gap
    ('at_risk', 300.0, 20.0)
    """
    _check_plan(baseline, baseline_year, target, target_year, comparator, at_risk_margin)
    if shape not in ("geometric", "linear"):
        msg = f"unknown path shape {shape!r}; valid: geometric, linear"
        raise ValueError(msg)
    used: Shape = shape if baseline > 0 and target > 0 else "linear"
    symbol = _SYMBOL[comparator]
    u = unit if isinstance(unit, Message) else unit_message(unit)
    goal = _m("plan.target.goal", year=target_year, symbol=symbol, value=valued(target, u))
    latest = _latest(observations)
    if latest is None:
        return TargetAssessment(TargetState.NO_DATA, None, None, None, None, None, None,
                                _m("plan.target.no_observations", target=goal), used)
    year, value = latest
    direction = _direction(comparator, baseline, target)
    achieved_rate = _rate_or_none(baseline, baseline_year, value, year)
    if year >= target_year:
        ok = meets(value, target, comparator, tolerance=max(tolerance, _REL_EPS))
        status: Status = TargetState.ACHIEVED if ok else TargetState.MISSED
        return TargetAssessment(
            status, value, year, float(target), None, achieved_rate,
            _gap(value, float(target), direction),
            _m("plan.target.final", year=year, value=valued(value, u), target=goal,
                status=_m(f"plan.target.status.{status}")), used)
    path = path_value(baseline, baseline_year, target, target_year, year, shape=used)
    gap = _gap(value, path, direction)
    status = _progress_status(gap, baseline, target, path, at_risk_margin)
    required = _rate_or_none(value, year, target, target_year)
    return TargetAssessment(
        status, value, year, path, required, achieved_rate, gap,
        _m("plan.target.progress", year=year, value=valued(value, u),
            path=valued(path, u), target=goal,
            status=status_message(status, required, target_year)), used)


def assess_reduction_target(*, baseline_value: float, baseline_year: int, reduction_pct: float,
                            target_year: int, observations: Sequence[tuple[int, float]],
                            at_risk_margin: float = 0.10,
                            shape: Shape = "geometric") -> TargetAssessment:
    """Assess a "reduce X by p % against the baseline" target (e.g. 单位GDP能耗下降13.5%).

    The target value is ``baseline_value · (1 − reduction_pct/100)`` with comparator ``"<="``;
    the status rules are those of :func:`assess_trajectory`. The reasons speak in reductions:
    the reduction achieved by the latest year and the reduction the path needs that year (the
    target reduction from the target year on), e.g. "13.0 % below 2020 by 2024; the path needs
    10.8 %; on track" / "2024年较2020年下降13.0%，按路径应下降10.8%，进度正常".

    Raises
    ------
    ValueError
        If ``baseline_value`` is not > 0 or ``reduction_pct`` is not a finite number < 100.

    Examples
    --------
    >>> a = assess_reduction_target(baseline_value=0.200, baseline_year=2020, reduction_pct=13.5,
    ...                             target_year=2025, observations=[(2023, 0.180)])
    >>> a.status, a.reason_en
    ('on_track', '10.0 % below 2020 by 2023; the path needs 8.3 %; on track')
    """
    if not (math.isfinite(baseline_value) and baseline_value > 0):
        msg = f"baseline_value must be a finite number > 0, got {baseline_value!r}"
        raise ValueError(msg)
    if not (math.isfinite(reduction_pct) and reduction_pct < 100):
        msg = f"reduction_pct must be a finite number < 100, got {reduction_pct!r}"
        raise ValueError(msg)
    target = baseline_value * (1.0 - reduction_pct / 100.0)
    result = assess_trajectory(baseline=baseline_value, baseline_year=baseline_year,
                               target=target, target_year=target_year, comparator="<=",
                               observations=observations, at_risk_margin=at_risk_margin,
                               shape=shape)
    if result.value is None or result.year is None or result.path_value is None:
        return replace(result, reason=_m(
            "plan.target.reduction.no_observations", pct=_pct(reduction_pct),
            baseline_year=baseline_year, target_year=target_year))
    done = reduction_vs_baseline(baseline_value, result.value)
    needed = reduction_vs_baseline(baseline_value, result.path_value)
    y, by = result.year, baseline_year
    done_msg = _m("plan.target.reduction.below" if done >= 0
                   else "plan.target.reduction.above", pct=_pct(abs(done)), year=y,
                   baseline_year=by)
    if result.status in (TargetState.ACHIEVED, TargetState.MISSED):
        need = _m("plan.target.reduction.target_is", pct=_pct(reduction_pct))
    elif needed >= 0:
        need = _m("plan.target.reduction.path_needs", pct=_pct(needed))
    else:
        need = _m("plan.target.reduction.path_allows", pct=_pct(-needed))
    return replace(result, reason=_m(
        "plan.target.reduction", done=done_msg, need=need,
        status=status_message(result.status, result.required_annual_rate, target_year)))


def _check_plan(baseline: float, baseline_year: int, target: float, target_year: int,
                comparator: str, at_risk_margin: float) -> None:
    """Validate the plan parameters shared by the assessments."""
    if comparator not in COMPARATORS:
        msg = f"unknown comparator {comparator!r}; valid: {', '.join(COMPARATORS)}"
        raise ValueError(msg)
    if target_year <= baseline_year:
        msg = f"target_year ({target_year}) must be after baseline_year ({baseline_year})"
        raise ValueError(msg)
    if not (math.isfinite(baseline) and math.isfinite(target)):
        msg = f"baseline and target must be finite, got {baseline!r} and {target!r}"
        raise ValueError(msg)
    if not (math.isfinite(at_risk_margin) and at_risk_margin >= 0):
        msg = f"at_risk_margin must be a finite number >= 0, got {at_risk_margin!r}"
        raise ValueError(msg)


def _latest(observations: Sequence[tuple[int, float]]) -> tuple[int, float] | None:
    """The observation with the latest year among those with a finite value."""
    seen: set[int] = set()
    latest: tuple[int, float] | None = None
    for year, value in observations:
        if year in seen:
            msg = f"duplicate observation year {year}"
            raise ValueError(msg)
        seen.add(year)
        if value is None or not math.isfinite(value):
            continue
        if latest is None or year > latest[0]:
            latest = (int(year), float(value))
    return latest


def _direction(comparator: str, baseline: float, target: float) -> int:
    """+1 when higher values are better, −1 when lower are, 0 for a flat "=" target."""
    if comparator in (">=", ">"):
        return 1
    if comparator in ("<=", "<"):
        return -1
    return (target > baseline) - (target < baseline)


def _gap(value: float, reference: float, direction: int) -> float:
    """How far ``value`` is behind ``reference`` (positive = worse)."""
    if direction > 0:
        return float(reference - value)
    if direction < 0:
        return float(value - reference)
    return float(abs(value - reference))


def _progress_status(gap: float, baseline: float, target: float, path: float,
                     at_risk_margin: float) -> Status:
    """on_track / at_risk / off_track from the gap to the path (rule 3)."""
    noise = _REL_EPS * max(abs(baseline), abs(target), abs(path), 1e-300)
    change = abs(target - baseline) or abs(target)
    if gap <= noise:
        return TargetState.ON_TRACK
    if gap <= at_risk_margin * change + noise:
        return TargetState.AT_RISK
    return TargetState.OFF_TRACK


def _rate_or_none(start: float, start_year: int, end: float, end_year: int) -> float | None:
    """The constant yearly rate from start to end, or None when it is not defined."""
    if end_year <= start_year or not (start > 0 and end > 0):
        return None
    return required_annual_rate(start, start_year, end, end_year)


def status_message(status: str, rate: float | None, target_year: int) -> Message:
    """Status words, with the required yearly rate for at_risk and off_track."""
    words = _m(f"plan.target.status.{status}")
    if status in (TargetState.AT_RISK, TargetState.OFF_TRACK) and rate is not None:
        return _m("plan.target.status_fall" if rate < 0 else "plan.target.status_rise",
                   status=words, pct=_pct(abs(rate) * 100), year=target_year)
    return words


#: plain units of the plan file with their own catalogue code (``m2`` is 平方米 / m²)
_UNIT_CODES = {"m2": "plan.unit.m2", "tce": "plan.unit.tce", "tCO2": "plan.unit.tco2",
               "kWh": "plan.unit.kwh", "MWh": "plan.unit.mwh", "m3": "plan.unit.m3",
               "GJ": "plan.unit.gj", "kW": "plan.unit.kw", "MW": "plan.unit.mw",
               "10^4 kWh": "plan.unit.10k_kwh"}


def unit_message(unit: str) -> Message:
    """A target's unit as a message: the plan's ``个 piles`` (Chinese, then English) is
    ``个`` in Chinese and ``piles`` in English; a unit of :data:`_UNIT_CODES` (``m2``) is
    its catalogue entry (平方米 / m²); any other unit is the same in both."""
    m = _CJK_WORD.match(unit)
    if m:
        return _m("plan.unit.pair", unit={"zh": m.group(1), "en": m.group(2)})
    if unit in _UNIT_CODES:
        return _m(_UNIT_CODES[unit])
    return _m("plan.unit.other", unit=unit)


def valued(x: float, unit: Message) -> Message:
    """``format_value(x)`` with its unit (a :func:`unit_message`; none when it is empty)."""
    if unit.code == "plan.unit.other" and not unit.params.get("unit"):
        return _m("plan.unit.other", unit=format_value(x))
    return _m("plan.target.value", value=format_value(x), unit=unit)


def round_half_away(x: float, places: int = 0) -> Decimal:
    """``x`` rounded to ``places`` decimals, halves away from zero, on its decimal value.

    The float is first read as the decimal it stands for, to 12 significant digits, so that
    float noise does not decide a half: ``(1.075 − 1) · 100`` is 7.499999999999996 as a float,
    7.5 as a decimal, and rounds to 8.

    Examples
    --------
    >>> round_half_away((1.075 - 1.0) * 100.0), round_half_away(-2.5), round_half_away(12.25, 1)
    (Decimal('8'), Decimal('-3'), Decimal('12.3'))
    """
    if not math.isfinite(x):
        msg = f"cannot round {x!r}"
        raise ValueError(msg)
    exact = Decimal(f"{x:.12g}")
    context = Context(prec=max(28, exact.adjusted() + places + 2), rounding=ROUND_HALF_UP)
    rounded = exact.quantize(Decimal(1).scaleb(-places), context=context)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "−0"


def _pct(x: float) -> str:
    """A percentage with one decimal, halves away from zero (callers pass magnitudes)."""
    return str(round_half_away(x, 1))


def format_value(x: float) -> str:
    """A number for reason texts: thousands separators, decimals by magnitude.

    * ``|x| >= 100`` or a whole number: no decimals (``4,210``; ``45``);
    * ``10 <= |x| < 100``: one decimal (``12.5``);
    * ``1 <= |x| < 10``: two decimals (``9.60``);
    * ``|x| < 1``: three significant digits (``0.173``, ``0.00420``).

    Negative numbers use the Unicode minus sign (−); NaN and infinities give ``"n/a"``.

    Examples
    --------
    >>> format_value(4210.4), format_value(0.18333), format_value(-3.0)
    ('4,210', '0.183', '−3')
    """
    if not math.isfinite(x):
        return "n/a"
    a = abs(float(x))
    if a >= 100 or a.is_integer():
        text = f"{a:,.0f}"
    elif a >= 10:
        text = f"{a:.1f}"
    elif a >= 1:
        text = f"{a:.2f}"
    else:
        decimals = min(2 - math.floor(math.log10(a)), 12)
        text = f"{a:.{decimals}f}"
    if x < 0 and text.strip("0.,") != "":
        text = "−" + text
    return text


# ---------------------------------------------------------------------------------------------
# Decomposition (目标分解)
# ---------------------------------------------------------------------------------------------

def allocate(total: float, units: pd.DataFrame, *, method: str,
             weight: float = 0.5) -> pd.DataFrame:
    """Decompose a budget ``total`` (目标分解) to units (streets or key energy-using units).

    Parameters
    ----------
    total
        The budget to share out (tce, tCO2 ...), >= 0.
    units
        One row per unit, indexed by unit id, with the columns the method needs.
    method
        ``"baseline_share"`` (:func:`allocate_baseline_share`), ``"intensity_benchmark"``
        (:func:`allocate_intensity_benchmark`) or ``"mixed"`` (:func:`allocate_mixed`).
    weight
        The baseline-share weight of ``"mixed"`` (ignored by the other methods).

    Returns
    -------
    pandas.DataFrame
        A copy of ``units`` with ``budget`` (sums to ``total``), ``share`` (sums to 1) and
        ``method``.

    Raises
    ------
    ValueError
        For an unknown method (the message lists the valid ones), a missing column, a unit
        with a missing, non-finite or negative input (named with its column), inputs that sum
        to 0, or an invalid ``total``.
    """
    if method == BudgetMethod.BASELINE_SHARE:
        return allocate_baseline_share(total, units)
    if method == BudgetMethod.INTENSITY_BENCHMARK:
        return allocate_intensity_benchmark(total, units)
    if method == BudgetMethod.MIXED:
        return allocate_mixed(total, units, weight=weight)
    msg = f"unknown allocation method {method!r}; valid: {', '.join(ALLOCATION_METHODS)}"
    raise ValueError(msg)


def allocate_baseline_share(total: float, units: pd.DataFrame) -> pd.DataFrame:
    """Budgets in proportion to the base-year values (按基期占比): ``B_i = T · E_i0 / Σ E_0``.

    Needs the column ``baseline`` (the unit's base-year energy or emissions).

    Examples
    --------
    >>> u = pd.DataFrame({"baseline": [500.0, 300.0, 200.0]}, index=["A", "B", "C"])
    >>> allocate_baseline_share(900.0, u)["budget"].round(6).tolist()
    [450.0, 270.0, 180.0]
    """
    _check_total(total, units)
    share = _shares(_column(units, "baseline"), "baseline")
    return _finish(total, units, share, BudgetMethod.BASELINE_SHARE)


def allocate_intensity_benchmark(total: float, units: pd.DataFrame) -> pd.DataFrame:
    """Budgets in proportion to benchmark needs (按强度标杆): ``B_i ∝ I_i* · A_i``, ``Σ B = T``.

    ``B_i = T · I_i* A_i / Σ_j I_j* A_j``, with the columns ``activity`` (``A_i``: floor area
    in m², value added in 10^4 CNY ...) and ``benchmark_intensity`` (``I_i*``: the benchmark
    EUI per m², the benchmark tce per 10^4 CNY ..., in units matching ``activity``).
    """
    _check_total(total, units)
    need = _column(units, "activity") * _column(units, "benchmark_intensity")
    share = _shares(need, "activity × benchmark_intensity")
    return _finish(total, units, share, BudgetMethod.INTENSITY_BENCHMARK)


def allocate_mixed(total: float, units: pd.DataFrame, *, weight: float = 0.5) -> pd.DataFrame:
    """A weighted blend: ``share_i = w · baseline share_i + (1 − w) · benchmark share_i``.

    Needs the columns of both methods; ``weight`` (``w``) in [0, 1].
    """
    if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
        msg = f"weight must be in [0, 1], got {weight!r}"
        raise ValueError(msg)
    _check_total(total, units)
    by_baseline = _shares(_column(units, "baseline"), "baseline")
    need = _column(units, "activity") * _column(units, "benchmark_intensity")
    by_benchmark = _shares(need, "activity × benchmark_intensity")
    share = weight * by_baseline + (1.0 - weight) * by_benchmark
    return _finish(total, units, share, BudgetMethod.MIXED)


def _check_total(total: float, units: pd.DataFrame) -> None:
    """A finite total >= 0 and at least one unit."""
    if not (math.isfinite(total) and total >= 0):
        msg = f"total must be a finite number >= 0, got {total!r}"
        raise ValueError(msg)
    if len(units) == 0:
        msg = "no units to allocate to"
        raise ValueError(msg)


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64; ValueError naming the units with missing/negative values."""
    if column not in frame.columns:
        msg = f"missing column {column!r}; the frame has {', '.join(map(str, frame.columns))}"
        raise ValueError(msg)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64",
                                                                     na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        ids = ", ".join(str(i) for i in frame.index[bad])
        msg = f"column {column!r}: missing, non-finite or negative value for unit(s) {ids}"
        raise ValueError(msg)
    return values


def _shares(values: np.ndarray, what: str) -> np.ndarray:
    """``values / Σ values``; ValueError when the sum is 0."""
    total = float(values.sum())
    if not total > 0:
        msg = f"{what} sums to 0 over all units: no shares can be formed"
        raise ValueError(msg)
    return values / total


def _finish(total: float, units: pd.DataFrame, share: np.ndarray, method: str) -> pd.DataFrame:
    """Copy of ``units`` with budget, share and method."""
    out = units.copy()
    out["budget"] = total * share
    out["share"] = share
    out["method"] = method
    return out


# ---------------------------------------------------------------------------------------------
# Elastic totals (弹性管理)
# ---------------------------------------------------------------------------------------------

def elastic_budgets(frame: pd.DataFrame) -> pd.DataFrame:
    """Elastic total budgets for units that meet their intensity target (弹性总量管理).

    A unit that keeps its intensity at or below its intensity target may use more energy when
    its activity grows: its effective budget is the larger of its budget and what its intensity
    target allows at its actual activity.

    Needs the columns ``budget`` (total budget), ``actual`` (actual total), ``activity``
    (value added in 10^4 CNY, floor area in m² ...) and ``intensity_target`` (per unit of
    activity); all must be present, finite and >= 0 (ValueError naming the unit and column).

    Adds:

    * ``intensity_actual`` = ``actual / activity`` (NaN when ``activity`` is 0);
    * ``meets_intensity`` = ``intensity_actual <= intensity_target`` (False when NaN);
    * ``effective_budget`` = ``max(budget, intensity_target · activity)`` for units that meet
      it, else ``budget``;
    * ``elastic``: True when the elastic rule raised the budget
      (meets it and ``intensity_target · activity > budget``);
    * ``over_budget`` = ``actual > effective_budget``.

    A unit that meets its intensity target is never over budget, since then
    ``actual <= intensity_target · activity <= effective_budget`` (the code states this
    directly, so float rounding of ``actual / activity`` cannot flag such a unit).

    Examples
    --------
    >>> f = pd.DataFrame({"budget": [1000.0], "actual": [1100.0], "activity": [60000.0],
    ...                   "intensity_target": [0.02]}, index=["U1"])
    >>> out = elastic_budgets(f)
    >>> float(out.at["U1", "effective_budget"]), bool(out.at["U1", "elastic"])
    (1200.0, True)
    """
    budget = _column(frame, "budget")
    actual = _column(frame, "actual")
    activity = _column(frame, "activity")
    intensity_target = _column(frame, "intensity_target")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        intensity = np.where(activity > 0, actual / activity, np.nan)
    meets_intensity = intensity <= intensity_target
    allowance = intensity_target * activity
    effective = np.where(meets_intensity, np.maximum(budget, allowance), budget)
    out = frame.copy()
    out["intensity_actual"] = intensity
    out["meets_intensity"] = meets_intensity
    out["effective_budget"] = effective
    out["elastic"] = meets_intensity & (allowance > budget)
    # Exactly: meets → actual <= allowance <= effective; "& ~meets" only drops float noise.
    out["over_budget"] = (actual > effective) & ~meets_intensity
    return out
