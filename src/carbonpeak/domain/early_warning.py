"""Early warning for one year: budget spread, year-end projection, green/yellow/red levels.

中文：分析预警。把年度能耗（或碳排放）预算按上年月度分布分解到各月，按同期比例法预测全年，
与预算比较给出绿/黄/红预警等级，并指出同比增幅最大的月份。适用于区、街道和重点用能单位。

The arithmetic is vectorised over units (one row per unit); only the reason texts are built
row by row. Ratios are fractions (``1.08`` = 8 % over budget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from carbonpeak.domain.targets import format_value, round_half_away
from carbonpeak.i18n import Message, msg, render
from carbonpeak.vocabulary import WarningLevel

__all__ = [
    "DAYS_IN_MONTH",
    "LEVELS",
    "Level",
    "ProjectionMethod",
    "SpreadBasis",
    "Thresholds",
    "evaluate",
    "monthly_weights",
    "project_year_end",
    "projection_method",
    "reason",
    "rollup_complete",
    "sort_by_severity",
    "spread_budget",
]

Level = WarningLevel
SpreadBasis = Literal["prior_year", "days_in_month"]
ProjectionMethod = Literal["ratio", "run_rate", "none"]

#: Days in each month of a non-leap year (the default spread profile).
DAYS_IN_MONTH: tuple[int, ...] = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: Levels from the most to the least severe (the order of :func:`sort_by_severity`).
LEVELS: tuple[Level, ...] = WarningLevel.by_severity()

_MONTHS = 12
#: Units with a name in the catalogue (``plan.unit.<code>``).
_UNIT_CODE: dict[str, str] = {
    "tce": "tce", "kgce": "kgce", "tCO2": "tco2", "tco2": "tco2_lower", "kWh": "kwh",
    "MWh": "mwh", "10^4 kWh": "10k_kwh", "m3": "m3", "GJ": "gj",
}


# ---------------------------------------------------------------------------------------------
# Budget spread (预算分月)
# ---------------------------------------------------------------------------------------------

def monthly_weights(prior_monthly: Sequence[float] | np.ndarray | None, *,
                    days_in_month: Sequence[float] | np.ndarray | None = None,
                    ) -> tuple[np.ndarray, SpreadBasis]:
    """The 12 monthly shares (summing to 1) used to spread an annual budget, and their basis.

    * ``"prior_year"``: the unit's own prior-year monthly profile, ``prior_m / Σ prior``, when
      ``prior_monthly`` has 12 finite values >= 0 with a positive sum;
    * ``"days_in_month"``: otherwise (no profile, a NaN, a negative value, or a zero sum),
      ``days_m / Σ days`` with ``days_in_month`` (default: a non-leap year,
      :data:`DAYS_IN_MONTH`; pass the leap-year days for a leap year).

    Raises
    ------
    ValueError
        If ``prior_monthly`` is given but does not have 12 values, or ``days_in_month`` does
        not have 12 positive values.
    """
    days = _days(days_in_month)
    if prior_monthly is None:
        return days / days.sum(), "days_in_month"
    prior = np.asarray(prior_monthly, dtype="float64")
    if prior.shape != (_MONTHS,):
        msg = f"prior_monthly must have 12 values, got shape {prior.shape}"
        raise ValueError(msg)
    weights, from_prior = _weights(prior[np.newaxis, :], days)
    return weights[0], "prior_year" if bool(from_prior[0]) else "days_in_month"


def spread_budget(annual_budget: float, prior_monthly: Sequence[float] | np.ndarray | None, *,
                  days_in_month: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """The annual budget spread over the 12 months: ``annual_budget · monthly_weights``.

    The profile is the unit's prior-year months, or the days in each month when that profile
    is missing or unusable; :func:`monthly_weights` says which.

    Raises
    ------
    ValueError
        If ``annual_budget`` is not a finite number >= 0 (and see :func:`monthly_weights`).

    Examples
    --------
    >>> spread_budget(365.0, None).tolist()[:3]
    [31.0, 28.0, 31.0]
    """
    if not (math.isfinite(annual_budget) and annual_budget >= 0):
        msg = f"annual_budget must be a finite number >= 0, got {annual_budget!r}"
        raise ValueError(msg)
    weights, _basis = monthly_weights(prior_monthly, days_in_month=days_in_month)
    return annual_budget * weights


def _days(days_in_month: Sequence[float] | np.ndarray | None) -> np.ndarray:
    """The 12 days-in-month values as float64, validated."""
    days = np.asarray(DAYS_IN_MONTH if days_in_month is None else days_in_month,
                      dtype="float64")
    if days.shape != (_MONTHS,) or not (np.isfinite(days).all() and (days > 0).all()):
        msg = f"days_in_month must be 12 positive numbers, got {days.tolist()!r}"
        raise ValueError(msg)
    return days


def _weights(prior: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise monthly shares (n × 12) and whether each row used its prior-year profile."""
    usable = np.isfinite(prior).all(axis=1) & (prior >= 0).all(axis=1)
    sums = np.where(usable, np.where(np.isfinite(prior), prior, 0.0).sum(axis=1), 0.0)
    from_prior = usable & (sums > 0) & np.isfinite(sums)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        own = prior / sums[:, np.newaxis]
    weights = np.where(from_prior[:, np.newaxis], own, (days / days.sum())[np.newaxis, :])
    return weights, from_prior


# ---------------------------------------------------------------------------------------------
# Projection (全年预测)
# ---------------------------------------------------------------------------------------------

def project_year_end(ytd_actual: Sequence[float] | np.ndarray,
                     prior_monthly: Sequence[float] | np.ndarray) -> float:
    """Projected annual total from the months so far (同期比例法).

    With ``k`` observed months (the non-NaN values of ``ytd_actual``, which holds months
    1..m in order):

    * **ratio method** (default): ``projected = ytd + Σ prior(other months) · ytd /
      Σ prior(observed months)``, i.e. the months still to come (and any elapsed month without
      a value) are expected to run at this year's ratio to last year;
    * **run rate** when the prior-year profile is unusable (not 12 finite values >= 0) or the
      prior observed months sum to 0: ``projected = ytd + ytd/k · (12 − k)`` (= ``ytd/k · 12``).

    With all 12 months observed both give ``ytd`` exactly. Without any observed month the
    result is NaN. :func:`projection_method` tells which method applies.

    Raises
    ------
    ValueError
        If ``ytd_actual`` has more than 12 values or ``prior_monthly`` does not have 12.

    Examples
    --------
    >>> prior = [120, 100, 90, 80, 70, 90, 110, 120, 90, 50, 40, 40]
    >>> round(project_year_end([132, 121, 88], prior), 6)
    1100.0
    """
    actual, prior, elapsed = _one_unit(ytd_actual, prior_monthly)
    projected, _method = _project(actual, prior, elapsed)
    return float(projected[0])


def projection_method(ytd_actual: Sequence[float] | np.ndarray,
                      prior_monthly: Sequence[float] | np.ndarray) -> ProjectionMethod:
    """Which method :func:`project_year_end` uses: ``ratio``, ``run_rate`` or ``none``."""
    actual, prior, elapsed = _one_unit(ytd_actual, prior_monthly)
    _projected, method = _project(actual, prior, elapsed)
    return cast("ProjectionMethod", str(method[0]))


def _one_unit(ytd_actual: Sequence[float] | np.ndarray,
              prior_monthly: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One unit's months as 1 × 12 matrices (actual padded with NaN) and months elapsed."""
    ytd = np.asarray(ytd_actual, dtype="float64").ravel()
    prior = np.asarray(prior_monthly, dtype="float64")
    if ytd.size > _MONTHS:
        msg = f"ytd_actual has {ytd.size} months; at most 12"
        raise ValueError(msg)
    if prior.shape != (_MONTHS,):
        msg = f"prior_monthly must have 12 values, got shape {prior.shape}"
        raise ValueError(msg)
    actual = np.full((1, _MONTHS), np.nan)
    actual[0, : ytd.size] = ytd
    return actual, prior[np.newaxis, :], int(ytd.size)


def _project(actual: np.ndarray, prior: np.ndarray,
             months_elapsed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised projection: (projected, method) per row of the n × 12 matrices."""
    elapsed = np.arange(_MONTHS) < months_elapsed
    observed = np.isfinite(actual) & elapsed[np.newaxis, :]
    k = observed.sum(axis=1)
    ytd = np.where(observed, actual, 0.0).sum(axis=1)
    prior_usable = np.isfinite(prior).all(axis=1) & (prior >= 0).all(axis=1)
    prior_filled = np.where(np.isfinite(prior), prior, 0.0)
    prior_observed = np.where(observed, prior_filled, 0.0).sum(axis=1)
    prior_other = np.where(observed, 0.0, prior_filled).sum(axis=1)
    use_ratio = prior_usable & (prior_observed > 0) & (k > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        by_ratio = ytd + np.where(prior_other > 0, prior_other * (ytd / prior_observed), 0.0)
        by_run_rate = ytd + ytd / k * (_MONTHS - k)
    projected = np.select([k == 0, use_ratio], [np.nan, by_ratio], by_run_rate)
    method = np.select([k == 0, use_ratio], ["none", "ratio"], "run_rate")
    return projected, method


# ---------------------------------------------------------------------------------------------
# Levels (预警等级)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Thresholds:
    """Warning thresholds on ``ratio = projected / budget``.

    * green: ``ratio < yellow_at``;
    * yellow: ``yellow_at <= ratio <= red_at`` (both ends inclusive: exactly on budget is
      still yellow, not red);
    * red: ``ratio > red_at``.

    Both must be finite, > 0, and ``yellow_at < red_at``.

    Examples
    --------
    >>> t = Thresholds()
    >>> t.level(0.95), t.level(1.0), t.level(1.001)
    ('yellow', 'yellow', 'red')
    """

    yellow_at: float = 0.95
    red_at: float = 1.00

    def __post_init__(self) -> None:
        """Validate: finite, positive, yellow below red."""
        ok = all(math.isfinite(x) and x > 0 for x in (self.yellow_at, self.red_at))
        if not ok or not self.yellow_at < self.red_at:
            msg = (f"thresholds need 0 < yellow_at < red_at, got yellow_at={self.yellow_at!r}, "
                   f"red_at={self.red_at!r}")
            raise ValueError(msg)

    def level(self, ratio: float) -> Level:
        """The level of one ratio (NaN gives ``no_data``)."""
        return WarningLevel(str(_levels(np.array([ratio], dtype="float64"), self)[0]))


def _levels(ratio: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """green / yellow / red per ratio; NaN ratios give ``no_data``."""
    return np.select([np.isnan(ratio), ratio > thresholds.red_at, ratio >= thresholds.yellow_at],
                     [WarningLevel.NO_DATA.value, WarningLevel.RED.value,
                      WarningLevel.YELLOW.value], WarningLevel.GREEN.value)


# ---------------------------------------------------------------------------------------------
# Evaluation (预警评估)
# ---------------------------------------------------------------------------------------------

def evaluate(frame: pd.DataFrame, *, months_elapsed: int, thresholds: Thresholds,
             unit: str = "tce", unit_zh: str | None = None,
             days_in_month: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
    """Early-warning levels of many units for one year.

    Parameters
    ----------
    frame
        One row per unit (index = unit key) with ``budget`` (annual; NaN = no budget),
        ``actual_1`` .. ``actual_12`` (this year; months after ``months_elapsed`` are ignored)
        and ``prior_1`` .. ``prior_12`` (last year).
    months_elapsed
        Months of this year with data, 1..12.
    thresholds
        The yellow and red ratios (:class:`Thresholds`).
    unit, unit_zh
        The unit of the figures in the reasons; ``unit_zh`` defaults to the Chinese name of
        well-known units (``tce`` → 吨标准煤, ``tCO2`` → 吨二氧化碳, ``kWh`` → 千瓦时 ...), else
        ``unit``.
    days_in_month
        Days per month for the spread fallback (default a non-leap year).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with:

        * ``ytd_actual``: sum of the observed elapsed months (NaN without any);
        * ``ytd_budget``: the budget spread (:func:`monthly_weights`) summed over the elapsed
          months; ``spread_basis``: ``prior_year`` or ``days_in_month``;
        * ``projected`` (:func:`project_year_end`) and ``projection_method``
          (``ratio``/``run_rate``/``none``);
        * ``ratio`` = ``projected / budget``;
        * ``level``: ``no_budget`` (budget NaN; takes precedence), ``no_data`` (no actual value
          in the elapsed months), else green/yellow/red by ``thresholds``;
        * ``worst_month``: the elapsed month (1..12) with the largest relative change against
          the same month last year (``actual/prior − 1``, months with a value and a prior > 0;
          the earliest on ties; it may be a decrease if every month fell), NaN if none;
          ``worst_month_change``: that change as a fraction;
        * ``reason``: why, as a :class:`~carbonpeak.i18n.Message` (what is stored);
          ``reason_en``, ``reason_zh``: its text from the catalogue, e.g. "projected 4,210 tce
          against a budget of 3,900 tce: +8 %; July +21 % against July last year" /
          "预计全年4,210吨标准煤，预算3,900吨标准煤，超出8%；7月同比增长21%"; once all twelve
          months are in, "actual for the year 4,210 tce …" / "全年实际4,210吨标准煤…".

    Raises
    ------
    ValueError
        If ``months_elapsed`` is not in 1..12, a column is missing, or a budget is <= 0 (the
        message names the units).
    """
    if isinstance(months_elapsed, bool) or months_elapsed not in range(1, _MONTHS + 1):
        msg = f"months_elapsed must be an integer in 1..12, got {months_elapsed!r}"
        raise ValueError(msg)
    actual_cols = [f"actual_{m}" for m in range(1, _MONTHS + 1)]
    prior_cols = [f"prior_{m}" for m in range(1, _MONTHS + 1)]
    missing = [c for c in ["budget", *actual_cols, *prior_cols] if c not in frame.columns]
    if missing:
        msg = f"missing column(s): {', '.join(missing)}"
        raise ValueError(msg)
    budget = _numeric(frame, ["budget"])[:, 0]
    not_positive = np.isfinite(budget) & (budget <= 0)
    if not_positive.any():
        ids = ", ".join(str(i) for i in frame.index[not_positive])
        msg = f"budget must be > 0 (or NaN for no budget); not for unit(s) {ids}"
        raise ValueError(msg)
    actual = _numeric(frame, actual_cols)
    prior = _numeric(frame, prior_cols)
    actual[:, months_elapsed:] = np.nan

    weights, from_prior = _weights(prior, _days(days_in_month))
    projected, method = _project(actual, prior, months_elapsed)
    observed = np.isfinite(actual)
    has_data = observed.any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = projected / budget
        change = actual / prior - 1.0
    comparable = observed & np.isfinite(prior) & (prior > 0)
    change = np.where(comparable, change, -np.inf)
    has_change = comparable.any(axis=1)
    worst_index = np.argmax(change, axis=1)
    worst_change = change[np.arange(len(frame)), worst_index]
    level = np.where(~np.isfinite(budget), WarningLevel.NO_BUDGET.value,
                     np.where(has_data, _levels(ratio, thresholds), WarningLevel.NO_DATA.value))

    out = frame.copy()
    out["ytd_actual"] = np.where(has_data, np.where(observed, actual, 0.0).sum(axis=1), np.nan)
    out["ytd_budget"] = budget * weights[:, :months_elapsed].sum(axis=1)
    out["spread_basis"] = np.where(from_prior, "prior_year", "days_in_month")
    out["projected"] = projected
    out["projection_method"] = method
    out["ratio"] = ratio
    out["level"] = level
    out["worst_month"] = np.where(has_change, worst_index + 1.0, np.nan)
    out["worst_month_change"] = np.where(has_change, worst_change, np.nan)
    unit_msg = _unit(unit, unit_zh)
    complete = observed.sum(axis=1) == _MONTHS  # twelve months in: the year is actual
    reasons = [
        reason(str(lv), float(b), float(p), str(pm), float(wm), float(wc), unit_msg, bool(c))
        for lv, b, p, pm, wm, wc, c in zip(level, budget, projected, method,
                                           out["worst_month"], out["worst_month_change"],
                                           complete, strict=True)
    ]
    out["reason"] = pd.Series(reasons, index=out.index, dtype=object)
    out["reason_en"] = [render(r, "en") for r in reasons]
    out["reason_zh"] = [render(r, "zh") for r in reasons]
    return out


def rollup_complete(present: pd.DataFrame, group_of: Mapping[str, str]) -> pd.DataFrame:
    """Which months of each roll-up (a street, the district) are complete.

    A roll-up's month is complete only if **every** unit in it has that month: the sum of the
    units that reported is not the roll-up's use, so an incomplete month is left out (NaN) and
    the projection treats it as a month without data, the same rule as for one unit.

    Parameters
    ----------
    present
        One row per unit (the units that report in the year), one boolean column per month:
        ``True`` where the unit has data for the month.
    group_of
        unit -> the roll-up it belongs to. Units without a group are left out.

    Returns
    -------
    pandas.DataFrame
        One row per roll-up, the columns of ``present``: ``True`` where every unit of the
        roll-up has the month.

    Examples
    --------
    >>> p = pd.DataFrame({"m1": [True, True, True], "m2": [True, False, True]},
    ...                  index=["A", "B", "C"])
    >>> rollup_complete(p, {"A": "s1", "B": "s1", "C": "s2"}).to_dict("index")
    {'s1': {'m1': True, 'm2': False}, 's2': {'m1': True, 'm2': True}}
    """
    keys = pd.Series({u: group_of.get(str(u)) for u in present.index}, dtype=object)
    grouped = present.astype(bool).groupby(keys.reindex(present.index).to_numpy())
    return grouped.all()


def _unit(unit: str, unit_zh: str | None) -> Message:
    """The unit of the reasons as a message (a known unit's code, else the unit as it is)."""
    if unit_zh is None and unit in _UNIT_CODE:
        return msg(f"plan.unit.{_UNIT_CODE[unit]}")
    if unit_zh is not None and unit_zh != unit:
        return msg("plan.legacy", legacy={"zh": unit_zh, "en": unit})
    return msg("plan.unit.other", unit=unit)


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Columns as an n × len(columns) float64 matrix (non-numeric values become NaN)."""
    if not columns:
        return np.empty((len(frame), 0))
    parts = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
             for c in columns]
    return np.column_stack(parts)


def reason(level: str, budget: float, projected: float, method: str, worst_month: float,
           worst_change: float, unit: Message, complete: bool = False) -> Message:
    """The reason of one unit's level as a message (``complete``: all twelve months are in, so
    the year's figure is actual, not projected)."""
    basis = msg("plan.warning.basis.actual" if complete else "plan.warning.basis.projected")
    value, budget_text = format_value(projected), format_value(budget)
    if level == WarningLevel.NO_BUDGET:
        if math.isnan(projected):
            return msg("plan.warning.no_budget.no_data")
        return msg("plan.warning.no_budget.value", basis=basis, value=value, unit=unit)
    if level == WarningLevel.NO_DATA:
        return msg("plan.warning.no_data", budget=budget_text, unit=unit)
    figures = {"basis": basis, "value": value, "budget": budget_text, "unit": unit}
    if not math.isfinite((projected / budget - 1.0) * 100.0):
        return msg("plan.warning.against", **figures)
    over = _round_pct(projected / budget - 1.0)
    code = "over" if over > 0 else "under" if over < 0 else "even"
    out = msg(f"plan.warning.{code}", pct=abs(over), **figures)
    if math.isfinite(worst_month) and math.isfinite(worst_change * 100.0):
        change = _round_pct(worst_change)
        code = "up" if change > 0 else "down" if change < 0 else "even"
        out = msg(f"plan.warning.month_{code}", reason=out, pct=abs(change),
                  month=msg(f"plan.month.{int(worst_month)}"))
    if method == "run_rate":
        out = msg("plan.warning.run_rate", reason=out)
    return out


def _round_pct(fraction: float) -> int:
    """A fraction as a whole percentage, halves rounded away from zero on the decimal value
    (:func:`~carbonpeak.domain.targets.round_half_away`: 1.075 − 1 is +8 %, not +7 %)."""
    return int(round_half_away(fraction * 100.0))


# ---------------------------------------------------------------------------------------------
# Ordering
# ---------------------------------------------------------------------------------------------

def sort_by_severity(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered red, yellow, green, no_data, no_budget; within a level by ratio descending.

    NaN ratios come last within their level; ties keep their input order (stable). Levels not
    in :data:`LEVELS` come after all others.

    Raises
    ------
    ValueError
        If the frame has no ``level`` or ``ratio`` column.
    """
    missing = [c for c in ("level", "ratio") if c not in frame.columns]
    if missing:
        msg = f"missing column(s): {', '.join(missing)}"
        raise ValueError(msg)
    rank = frame["level"].map({lv.value: WarningLevel.severity(lv) for lv in LEVELS}
                              ).fillna(len(LEVELS))
    ratio = pd.to_numeric(frame["ratio"], errors="coerce").to_numpy(dtype="float64",
                                                                    na_value=np.nan)
    descending = np.where(np.isnan(ratio), np.inf, -ratio)
    order = np.lexsort((descending, rank.to_numpy(dtype="float64")))
    return frame.iloc[order]
