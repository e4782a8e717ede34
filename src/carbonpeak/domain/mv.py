"""Measured savings against a weather-normalised daily baseline (CalTRACK 2.0 daily, G14 metrics).

中文：节能量测量与验证（M&V）——以改造前 365 天的日用能与日均气温拟合变基准温度的度日回归
基线模型（CalTRACK 2.0 日度方法），外推到报告期，节能量 = 调整后基线 − 实测；拟合优度按
ASHRAE Guideline 14 的 CV(RMSE) 与 NMBE，节能量不确定度按 G14 的分数节能不确定度（FSU）。

Method, per building (``b``) and day (``d``), usage ``U`` [kWh/day] and daily mean outdoor
temperature ``T`` [°C]::

    HDD_d(h) = max(h − T_d, 0)          CDD_d(c) = max(T_d − c, 0)              [°C·day]
    intercept_only   U_d = μ
    heating          U_d = μ + β_H · HDD_d(h)
    cooling          U_d = μ + β_C · CDD_d(c)
    heating_cooling  U_d = μ + β_H · HDD_d(h) + β_C · CDD_d(c),   c ≥ h

1. **Data sufficiency** (:func:`baseline_sufficiency`) on the 365 days before the intervention,
   before any fit (rules in :class:`MvOptions`, CalTRACK 2.0 §2.2).
2. **Candidates**: every balance point ``h`` of the heating grid and ``c`` of the cooling grid
   (CalTRACK §3.2.1: 30–90 °F; the default 1 °C grid from −1 to 32 °C covers it with steps
   below the 3 °F maximum of §3.2.3), fitted by ordinary least squares (§3.4.1).
3. **Qualification**: enough degree days (§3.2.2.2: ≥ 10 days with non-zero degree days and
   ≥ 20 °F·day = 11.1 °C·day), ``c ≥ h`` (§3.2.2.1), ``β > 0`` and ``μ ≥ 0`` (§3.4.3.2) and, by
   default, slopes significant at ``p < 0.1`` (the p-value screen of CalTRACK 1 and of the
   daily savings guideline; CalTRACK 2.0 §3.4.3.2 dropped it: ``max_p_value=None``).
4. **Selection**: the largest adjusted R² (§3.4.3.3, ``df_e = n − c − 1``); the intercept-only
   model has adjusted R² 0 by definition and is the fallback.
5. **Savings** (avoided energy use, §3.6.1): ``Σ_d (Û_d − U_d)`` over reporting days with both a
   usage and a temperature value (§3.5), fractional savings = savings ÷ ``Σ_d Û_d``.

Fitting is vectorised across buildings: each candidate's OLS is solved in closed form from
weighted sums (a matrix product of the validity mask and the degree-day matrix of every grid
point), and on ``c ≥ h`` the product ``HDD · CDD`` is zero every day, so the combined model's
normal equations need no sum over days per balance-point pair.

References
----------
CalTRACK Methods, version 2.0 (2018), sections 2.2, 3.2–3.6, and its technical appendix
(§3.4.3.2 on the removed p-value screen).

ASHRAE Guideline 14-2014, *Measurement of Energy, Demand, and Water Savings*: CV(RMSE) and
NMBE with ``n − p`` degrees of freedom; savings uncertainty (Annex B, after Reddy & Claridge
2000). The acceptance limits in :class:`MvOptions` could not be checked against the text of the
guideline: see the attribute notes and ``docs/mv.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt
from scipy import stats

from carbonpeak.i18n import Lang, Message, render
from carbonpeak.vocabulary import MvModelType

__all__ = [
    "DEFAULT_BALANCE_POINTS_C",
    "MODEL_TYPES",
    "BaselineFits",
    "BaselineModel",
    "BaselineSufficiency",
    "Issue",
    "ModelType",
    "MvOptions",
    "SavingsResult",
    "baseline_sufficiency",
    "cv_rmse",
    "fit_baseline",
    "fractional_savings_uncertainty",
    "measure_savings",
    "nmbe",
    "student_t_cdf",
    "student_t_ppf",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
DateLike: TypeAlias = str | dt.date | np.datetime64
ModelType = MvModelType

#: Model types, in the order of their integer codes in :class:`BaselineFits`.
MODEL_TYPES: tuple[ModelType, ...] = tuple(MvModelType)
#: −1 … 32 °C by 1 °C: CalTRACK's 30–90 °F range (−1.1 … 32.2 °C), steps of 1.8 °F ≤ 3 °F.
DEFAULT_BALANCE_POINTS_C: tuple[float, ...] = tuple(float(t) for t in range(-1, 33))
_N_SLOPES = np.array([0, 1, 1, 2])  # regressors besides the intercept, per model code
_N_PARAMS = np.array([1, 3, 3, 5])  # G14's p: coefficients and balance points, per model code
_CHUNK_CELLS = 2_000_000  # candidate cells (or degree-day cells) per chunk of buildings
_SSE_FLOOR = 1e-12  # relative precision of the closed-form residual sum of squares


# -- options and small results -------------------------------------------------------------
@dataclass(frozen=True)
class MvOptions:
    """Grids, qualification rules, sufficiency rules and G14 limits of the M&V engine.

    Attributes
    ----------
    heating_balance_points_c, cooling_balance_points_c
        Candidate balance points [°C] (CalTRACK §3.2.1, §3.2.3).
    fit_heating, fit_cooling
        Whether heating (HDD) and cooling (CDD) terms are tried. CalTRACK §3.2.1.1 tries no
        CDD models for natural gas: pass ``fit_cooling=False`` for gas.
    min_nonzero_degree_days
        Days with non-zero degree days a candidate needs (CalTRACK §3.2.2.2.1: 10).
    min_total_degree_days_c
        Sum of degree days a candidate needs [°C·day] (§3.2.2.2.2: 20 °F·day = 11.1 °C·day).
    max_p_value
        Slopes must be significant at this level (two-sided t test); ``None`` for CalTRACK 2.0,
        which qualifies on the signs alone.
    baseline_days
        Length of the baseline window ending the day before the intervention (§2.2.1.1: 365).
    max_missing_fraction
        Largest share of baseline days without both usage and temperature (§2.2.1.2: 10 %,
        "should not exceed 37 days"): ``ceil(0.10 × 365) = 37`` days may be missing.
    min_month_fraction
        Share of each calendar month's days in the window that must have data. Not a CalTRACK
        daily rule (OpenDSM asks 90 % of temperature days per month): a project rule so that a
        missing season cannot hide inside the 37 missing days.
    zero_is_missing
        Treat a usage of exactly 0 as missing (CalTRACK §2.2.1.4: electricity, not gas).
    max_cv_rmse, max_abs_nmbe
        ASHRAE G14 acceptance limits for the baseline model, as fractions. **Unverified** against
        the guideline's text: the defaults are the values commonly cited for whole-building
        regression baselines (CV(RMSE) ≤ 25 % with 12–60 months of reporting data, 20 % below
        12, 30 % above 60; NMBE within ±0.5 %). The 15 %/±5 % (monthly) and 30 %/±10 % (hourly)
        pairs are G14's criteria for calibrated simulation, not for these models.
    fsu_factor
        The empirical 1.26 of G14's savings-uncertainty approximation.
    max_fsu_68
        G14: savings uncertainty below 50 % of the savings at 68 % confidence.
    """

    heating_balance_points_c: tuple[float, ...] = DEFAULT_BALANCE_POINTS_C
    cooling_balance_points_c: tuple[float, ...] = DEFAULT_BALANCE_POINTS_C
    fit_heating: bool = True
    fit_cooling: bool = True
    min_nonzero_degree_days: int = 10
    min_total_degree_days_c: float = 20.0 / 1.8
    max_p_value: float | None = 0.1
    baseline_days: int = 365
    max_missing_fraction: float = 0.10
    min_month_fraction: float = 0.5
    zero_is_missing: bool = False
    max_cv_rmse: float = 0.25
    max_abs_nmbe: float = 0.005
    fsu_factor: float = 1.26
    max_fsu_68: float = 0.5

    def __post_init__(self) -> None:
        for name in ("heating_balance_points_c", "cooling_balance_points_c"):
            grid = np.asarray(getattr(self, name), dtype=np.float64)
            if grid.ndim != 1 or not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
                msg = f"MvOptions.{name} must be finite and strictly increasing"
                raise ValueError(msg)
        if self.max_p_value is not None and not 0.0 < self.max_p_value < 1.0:
            msg = f"MvOptions.max_p_value must be in (0, 1) or None, got {self.max_p_value}"
            raise ValueError(msg)
        if self.baseline_days < 30 or not 0.0 <= self.max_missing_fraction < 1.0:
            msg = "MvOptions: baseline_days must be ≥ 30 and max_missing_fraction in [0, 1)"
            raise ValueError(msg)

    @property
    def max_missing_days(self) -> int:
        """Missing baseline days allowed: ``ceil(max_missing_fraction × baseline_days)``."""
        return math.ceil(round(self.max_missing_fraction * self.baseline_days, 9))


@dataclass(frozen=True)
class Issue:
    """A data-sufficiency failure or warning: a catalogue ``code`` (``mv.*``) and its numbers,
    rendered in either language only when shown (:meth:`text`, :func:`issue_text`)."""

    code: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang) -> str:
        """The sentence in ``lang``."""
        return issue_text(self.to_dict(), lang)

    @property
    def message(self) -> str:
        """The sentence in English."""
        return self.text("en")

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict: the code and its numbers (the stored form)."""
        return {"code": self.code, "data": dict(self.data)}


def issue_text(issue: Mapping[str, Any], lang: Lang) -> str:
    """The sentence of a stored issue (``{"code", "data"}``) in ``lang``, from the catalogue; a
    list in the numbers is joined. An issue stored before its code had a catalogue text keeps
    the ``message`` it was stored with."""
    sep = "、" if lang == "zh" else ", "
    params = {k: sep.join(map(str, v)) if isinstance(v, list | tuple) else v
              for k, v in dict(issue.get("data") or {}).items()}
    try:
        return render(Message(str(issue.get("code")), params), lang)
    except KeyError:
        return str(issue.get("message") or issue.get("code") or "")


@dataclass(frozen=True)
class BaselineSufficiency:
    """Whether one building's baseline window may be fitted (CalTRACK 2.0 §2.2).

    Attributes
    ----------
    passed
        No failure in ``reasons``.
    baseline_start, baseline_end
        First and last day of the window (ISO dates, inclusive).
    n_days, n_valid_days, n_missing_days
        Days in the window; days with both usage and temperature; the rest.
    n_days_not_covered
        Window days outside the data given (counted as missing).
    lowest_month_coverage
        Smallest share of a calendar month's window days with data.
    reasons, warnings
        Failures (``mv.baseline.*``) and warnings (``mv.baseline.extreme_values``).
    """

    passed: bool
    baseline_start: str
    baseline_end: str
    n_days: int
    n_valid_days: int
    n_missing_days: int
    n_days_not_covered: int
    lowest_month_coverage: float
    reasons: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict."""
        return {
            "passed": self.passed, "baseline_start": self.baseline_start,
            "baseline_end": self.baseline_end, "n_days": self.n_days,
            "n_valid_days": self.n_valid_days, "n_missing_days": self.n_missing_days,
            "n_days_not_covered": self.n_days_not_covered,
            "lowest_month_coverage": _plain(self.lowest_month_coverage),
            "reasons": [i.to_dict() for i in self.reasons],
            "warnings": [i.to_dict() for i in self.warnings],
        }


# -- Student t (scipy) ---------------------------------------------------------------------
def _t_args(x: npt.ArrayLike, df: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa, da = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(df, dtype=np.float64))
    if np.any(da <= 0):
        msg = "Student t: degrees of freedom must be > 0"
        raise ValueError(msg)
    return xa, da


def _t_result(out: FloatArray, x: npt.ArrayLike, df: npt.ArrayLike) -> float | FloatArray:
    if np.ndim(x) == 0 and np.ndim(df) == 0:
        return float(out)
    return np.asarray(out, dtype=np.float64)


@overload
def student_t_ppf(q: float, df: float) -> float: ...
@overload
def student_t_ppf(q: npt.ArrayLike, df: npt.ArrayLike) -> float | FloatArray: ...
def student_t_ppf(q: npt.ArrayLike, df: npt.ArrayLike) -> float | FloatArray:
    """Quantile of Student's t distribution (``scipy.stats.t.ppf``, with input checks).

    Parameters
    ----------
    q
        Probabilities in (0, 1); NaN gives NaN.
    df
        Degrees of freedom > 0, real or ``inf`` (the normal distribution); NaN gives NaN.

    Returns
    -------
    float or numpy.ndarray
        ``t`` with ``P(T ≤ t) = q``: a float when both inputs are scalars.

    Raises
    ------
    ValueError
        If a probability is outside (0, 1) or a ``df`` is ≤ 0.

    Examples
    --------
    >>> round(student_t_ppf(0.95, 10), 4)
    1.8125
    >>> round(student_t_ppf(0.95, float("inf")), 4)
    1.6449
    """
    qa, da = _t_args(q, df)
    if np.any((qa <= 0) | (qa >= 1)):
        msg = "student_t_ppf: probabilities must be in (0, 1)"
        raise ValueError(msg)
    return _t_result(stats.t.ppf(qa, da), q, df)


@overload
def student_t_cdf(t: float, df: float) -> float: ...
@overload
def student_t_cdf(t: npt.ArrayLike, df: npt.ArrayLike) -> float | FloatArray: ...
def student_t_cdf(t: npt.ArrayLike, df: npt.ArrayLike) -> float | FloatArray:
    """CDF of Student's t distribution, ``P(T ≤ t)`` (see :func:`student_t_ppf`).

    Examples
    --------
    >>> round(student_t_cdf(2.228138851986, 10), 6)
    0.975
    """
    ta, da = _t_args(t, df)
    return _t_result(stats.t.cdf(ta, da), t, df)


# -- G14 metrics -----------------------------------------------------------------------------
def _pairs(observed: npt.ArrayLike, predicted: npt.ArrayLike,
           n_parameters: int) -> tuple[FloatArray, FloatArray, int]:
    y = np.asarray(observed, dtype=np.float64).ravel()
    yhat = np.asarray(predicted, dtype=np.float64).ravel()
    if y.shape != yhat.shape:
        msg = "observed and predicted must have the same length"
        raise ValueError(msg)
    keep = np.isfinite(y) & np.isfinite(yhat)
    n = int(keep.sum())
    if n - n_parameters < 1:
        msg = f"need more than n_parameters={n_parameters} points, got {n}"
        raise ValueError(msg)
    return y[keep], yhat[keep], n


def cv_rmse(observed: npt.ArrayLike, predicted: npt.ArrayLike, *, n_parameters: int) -> float:
    """Coefficient of variation of the RMSE (ASHRAE G14), as a fraction.

    ``CV(RMSE) = sqrt(Σ (y_i − ŷ_i)² / (n − p)) / ȳ``, over the pairs where both are finite.

    Examples
    --------
    >>> round(cv_rmse([10, 12, 14, 16], [11, 11, 15, 15], n_parameters=2), 6)
    0.108786
    """
    y, yhat, n = _pairs(observed, predicted, n_parameters)
    return float(math.sqrt(float(np.sum((y - yhat) ** 2)) / (n - n_parameters)) / y.mean())


def nmbe(observed: npt.ArrayLike, predicted: npt.ArrayLike, *, n_parameters: int) -> float:
    """Normalised mean bias error (ASHRAE G14), as a fraction.

    ``NMBE = Σ (y_i − ŷ_i) / ((n − p) · ȳ)``: positive when the model under-predicts.

    Examples
    --------
    >>> round(nmbe([10, 12, 14, 16], [9, 12, 14, 15], n_parameters=2), 6)
    0.076923
    """
    y, yhat, n = _pairs(observed, predicted, n_parameters)
    return float(np.sum(y - yhat) / ((n - n_parameters) * y.mean()))


@overload
def fractional_savings_uncertainty(
    *, cv_rmse: float, fractional_savings: float, n_baseline: float, n_reporting: float,
    n_parameters: float, autocorrelation: float = ..., confidence: float = ...,
    factor: float = ...) -> float: ...
@overload
def fractional_savings_uncertainty(
    *, cv_rmse: npt.ArrayLike, fractional_savings: npt.ArrayLike, n_baseline: npt.ArrayLike,
    n_reporting: npt.ArrayLike, n_parameters: npt.ArrayLike, autocorrelation: npt.ArrayLike = ...,
    confidence: float = ..., factor: float = ...) -> float | FloatArray: ...
def fractional_savings_uncertainty(
    *, cv_rmse: npt.ArrayLike, fractional_savings: npt.ArrayLike, n_baseline: npt.ArrayLike,
    n_reporting: npt.ArrayLike, n_parameters: npt.ArrayLike, autocorrelation: npt.ArrayLike = 0.0,
    confidence: float = 0.68, factor: float = 1.26) -> float | FloatArray:
    """Fractional savings uncertainty of ASHRAE Guideline 14 (Annex B), as a fraction of savings.

    Parameters
    ----------
    cv_rmse
        CV(RMSE) of the baseline model (fraction, ``n − p`` degrees of freedom).
    fractional_savings
        Savings ÷ adjusted baseline over the reporting period, ``F``.
    n_baseline, n_reporting
        Baseline points ``n`` used in the fit and reporting points ``m``.
    n_parameters
        ``p``, the parameters of the baseline model.
    autocorrelation
        Lag-1 autocorrelation ``ρ`` of the baseline residuals (clipped at 0).
    confidence
        Two-sided confidence level, e.g. 0.68 or 0.90.
    factor
        G14's empirical 1.26.

    Returns
    -------
    float or numpy.ndarray
        ``ΔE_save / E_save``; NaN where ``F = 0`` or ``n' − p < 1``.

    Notes
    -----
    ::

        n' = n (1 − ρ) / (1 + ρ)
        FSU = factor · t((1 + confidence)/2, n' − p) · CV · sqrt((n/n') (1 + 2/n') / m) / |F|

    with the degrees of freedom ``n' − p`` rounded to an integer as G14 tabulates ``t``.

    Examples
    --------
    >>> round(fractional_savings_uncertainty(cv_rmse=0.1, fractional_savings=0.1,
    ...     n_baseline=365, n_reporting=365, n_parameters=3, confidence=0.90), 6)
    0.109056
    """
    if not 0.0 < confidence < 1.0:
        msg = f"confidence must be in (0, 1), got {confidence}"
        raise ValueError(msg)
    cv, f, n, m, p, rho = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (
        cv_rmse, fractional_savings, n_baseline, n_reporting, n_parameters, autocorrelation)))
    rho = np.clip(rho, 0.0, 0.999999)
    n_eff = n * (1.0 - rho) / (1.0 + rho)
    dof = np.round(n_eff - p)
    ok = (dof >= 1) & (f != 0) & np.isfinite(f) & np.isfinite(cv) & (m > 0)
    t = np.asarray(student_t_ppf(np.full(dof.shape, (1.0 + confidence) / 2.0),
                                 np.where(ok, dof, np.nan)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        fsu = factor * t * cv * np.sqrt((n / n_eff) * (1.0 + 2.0 / n_eff) / m) / np.abs(f)
    out = np.where(ok, fsu, np.nan)
    if all(np.ndim(v) == 0 for v in (cv_rmse, fractional_savings, n_baseline, n_reporting,
                                     n_parameters, autocorrelation)):
        return float(out)
    return out


# -- the baseline model ----------------------------------------------------------------------
def _plain(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class BaselineModel:
    """One building's selected daily baseline model and its fit statistics.

    Attributes
    ----------
    model_type
        ``intercept_only``, ``heating``, ``cooling`` or ``heating_cooling``.
    intercept_kwh_per_day
        ``μ``, base load [kWh/day].
    heating_slope_kwh_per_degc_day, cooling_slope_kwh_per_degc_day
        ``β_H``, ``β_C`` [kWh per °C·day]; None when the model has no such term.
    heating_balance_point_c, cooling_balance_point_c
        ``h``, ``c`` [°C]; None when the model has no such term.
    heating_p_value, cooling_p_value
        Two-sided p-values of the slopes.
    n_days
        Baseline days used (usage and temperature present).
    n_parameters
        G14's ``p``: coefficients plus balance points (1, 3, 3 or 5).
    r_squared, adj_r_squared
        R² and CalTRACK's adjusted R² (``df_e = n − c − 1``).
    rmse_kwh_per_day, cv_rmse, nmbe
        G14 statistics with ``n − p`` degrees of freedom; CV(RMSE) and NMBE as fractions.
    mean_kwh_per_day
        Mean baseline usage ``ȳ`` [kWh/day].
    autocorrelation
        Lag-1 autocorrelation of the residuals on consecutive days.
    meets_g14
        ``cv_rmse ≤ max_cv_rmse`` and ``|nmbe| ≤ max_abs_nmbe`` (:class:`MvOptions`).
    """

    model_type: ModelType
    intercept_kwh_per_day: float
    heating_slope_kwh_per_degc_day: float | None
    cooling_slope_kwh_per_degc_day: float | None
    heating_balance_point_c: float | None
    cooling_balance_point_c: float | None
    heating_p_value: float | None
    cooling_p_value: float | None
    n_days: int
    n_parameters: int
    r_squared: float
    adj_r_squared: float
    rmse_kwh_per_day: float
    cv_rmse: float
    nmbe: float
    mean_kwh_per_day: float
    autocorrelation: float
    meets_g14: bool

    def predict(self, temperature_c: npt.ArrayLike) -> FloatArray:
        """Daily usage [kWh/day] predicted for daily mean temperatures [°C] (NaN stays NaN)."""
        t = np.asarray(temperature_c, dtype=np.float64)
        out = np.full(t.shape, self.intercept_kwh_per_day, dtype=np.float64)
        if self.heating_balance_point_c is not None and self.heating_slope_kwh_per_degc_day:
            out += self.heating_slope_kwh_per_degc_day * np.maximum(
                self.heating_balance_point_c - t, 0.0)
        if self.cooling_balance_point_c is not None and self.cooling_slope_kwh_per_degc_day:
            out += self.cooling_slope_kwh_per_degc_day * np.maximum(
                t - self.cooling_balance_point_c, 0.0)
        return np.where(np.isfinite(t), out, np.nan)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict (NaN becomes None); :meth:`from_dict` reads it back."""
        return {k: (_plain(v) if isinstance(v, float) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineModel:
        """Inverse of :meth:`to_dict` (None statistics become NaN)."""
        kw = dict(data)
        for name in ("r_squared", "adj_r_squared", "rmse_kwh_per_day", "cv_rmse", "nmbe",
                     "mean_kwh_per_day", "autocorrelation"):
            kw[name] = math.nan if kw.get(name) is None else float(kw[name])
        return cls(**kw)


@dataclass(frozen=True, eq=False)
class BaselineFits:
    """Selected models of many buildings, as arrays over buildings (from :func:`fit_baseline`).

    ``model_code`` indexes :data:`MODEL_TYPES`; absent terms have slope 0 and balance point
    NaN. Every other attribute is the array of the :class:`BaselineModel` field of that name.
    """

    model_code: npt.NDArray[np.int64]
    intercept: FloatArray
    heating_slope: FloatArray
    cooling_slope: FloatArray
    heating_balance_point_c: FloatArray
    cooling_balance_point_c: FloatArray
    heating_p_value: FloatArray
    cooling_p_value: FloatArray
    n_days: npt.NDArray[np.int64]
    n_parameters: npt.NDArray[np.int64]
    r_squared: FloatArray
    adj_r_squared: FloatArray
    rmse: FloatArray
    cv_rmse: FloatArray
    nmbe: FloatArray
    mean_usage: FloatArray
    autocorrelation: FloatArray
    meets_g14: BoolArray

    def __len__(self) -> int:
        return int(self.model_code.shape[0])

    def predict(self, temperature_c: npt.ArrayLike) -> FloatArray:
        """Predicted usage [kWh/day], shape (n_buildings, n_days), for temperatures [°C] of
        shape (n_days,) (one weather station) or (n_buildings, n_days)."""
        params = np.stack([self.model_code.astype(np.float64), self.intercept,
                           self.heating_slope, self.cooling_slope,
                           self.heating_balance_point_c, self.cooling_balance_point_c], axis=1)
        return _predict(params, np.asarray(temperature_c, dtype=np.float64))

    def model(self, i: int) -> BaselineModel:
        """The :class:`BaselineModel` of building ``i``."""
        code = int(self.model_code[i])
        heats, cools = code in (1, 3), code in (2, 3)

        def opt(a: FloatArray, present: bool) -> float | None:
            return float(a[i]) if present else None

        return BaselineModel(
            model_type=MODEL_TYPES[code], intercept_kwh_per_day=float(self.intercept[i]),
            heating_slope_kwh_per_degc_day=opt(self.heating_slope, heats),
            cooling_slope_kwh_per_degc_day=opt(self.cooling_slope, cools),
            heating_balance_point_c=opt(self.heating_balance_point_c, heats),
            cooling_balance_point_c=opt(self.cooling_balance_point_c, cools),
            heating_p_value=opt(self.heating_p_value, heats),
            cooling_p_value=opt(self.cooling_p_value, cools),
            n_days=int(self.n_days[i]), n_parameters=int(self.n_parameters[i]),
            r_squared=float(self.r_squared[i]), adj_r_squared=float(self.adj_r_squared[i]),
            rmse_kwh_per_day=float(self.rmse[i]), cv_rmse=float(self.cv_rmse[i]),
            nmbe=float(self.nmbe[i]), mean_kwh_per_day=float(self.mean_usage[i]),
            autocorrelation=float(self.autocorrelation[i]), meets_g14=bool(self.meets_g14[i]))


def _predict(params: FloatArray, t: FloatArray) -> FloatArray:
    """``μ + β_H·HDD(h) + β_C·CDD(c)`` for rows ``(code, μ, β_H, β_C, h, c)``; NaN h/c = absent."""
    t2 = t[None, :] if t.ndim == 1 else t
    hbp, cbp = params[:, 4:5], params[:, 5:6]
    hdd = np.where(np.isnan(hbp), 0.0, np.maximum(np.nan_to_num(hbp) - t2, 0.0))
    cdd = np.where(np.isnan(cbp), 0.0, np.maximum(t2 - np.nan_to_num(cbp), 0.0))
    out = params[:, 1:2] + params[:, 2:3] * hdd + params[:, 3:4] * cdd
    return np.where(np.isfinite(t2), out, np.nan)


def _panel(usage_kwh: npt.ArrayLike,
           temperature_c: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(usage_kwh, dtype=np.float64)
    y = y[None, :] if y.ndim == 1 else y
    t = np.asarray(temperature_c, dtype=np.float64)
    if y.ndim != 2 or t.shape not in ((y.shape[1],), y.shape):
        msg = (f"usage must be (n_buildings, n_days) and temperature (n_days,) or the same "
               f"shape; got {y.shape} and {t.shape}")
        raise ValueError(msg)
    return y, t


def _dd_sums(w: FloatArray, yc: FloatArray, t: FloatArray, grid: FloatArray,
             heating: bool) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Σ w·dd, Σ w·dd², Σ yc·dd and Σ w·[dd > 0] per building and grid point, shape (B, K)."""
    if t.ndim == 1:
        dd = np.maximum(grid[:, None] - t[None, :], 0.0) if heating else np.maximum(
            t[None, :] - grid[:, None], 0.0)
        return w @ dd.T, w @ (dd * dd).T, yc @ dd.T, w @ (dd > 0).T.astype(np.float64)
    dd3 = np.maximum(grid[None, :, None] - t[:, None, :], 0.0) if heating else np.maximum(
        t[:, None, :] - grid[None, :, None], 0.0)
    return (np.einsum("bn,bkn->bk", w, dd3), np.einsum("bn,bkn->bk", w, dd3 * dd3),
            np.einsum("bn,bkn->bk", yc, dd3), np.einsum("bn,bkn->bk", w, (dd3 > 0) * 1.0))


def _select_chunk(y: FloatArray, t: FloatArray, valid: BoolArray, hgrid: FloatArray,
                  cgrid: FloatArray, opt: MvOptions) -> FloatArray:
    """Closed-form OLS of every candidate; returns (B, 6): code, μ, β_H, β_C, h, c."""
    n_b = y.shape[0]
    w = valid.astype(np.float64)
    n = w.sum(axis=1)
    ybar0 = np.where(valid, y, 0.0).sum(axis=1) / n
    yc = np.where(valid, y - ybar0[:, None], 0.0)  # centred for precision
    sy = yc.sum(axis=1)
    ybar = ybar0 + sy / n
    syy = (yc * yc).sum(axis=1) - sy * sy / n
    tf = np.where(np.isfinite(t), t, 0.0)
    hs, hss, hsy, hnz = _dd_sums(w, yc, tf, hgrid, heating=True)
    cs, css, csy, cnz = _dd_sums(w, yc, tf, cgrid, heating=False)
    nn = n[:, None]
    hxx, hxy = hss - hs * hs / nn, hsy - hs * sy[:, None] / nn
    cxx, cxy = css - cs * cs / nn, csy - cs * sy[:, None] / nn
    min_dd = opt.min_total_degree_days_c
    dd_ok_h = (hnz >= opt.min_nonzero_degree_days) & (hs >= min_dd) & (hxx > 0) & opt.fit_heating
    dd_ok_c = (cnz >= opt.min_nonzero_degree_days) & (cs >= min_dd) & (cxx > 0) & opt.fit_cooling
    t2, t3 = _critical_t(n - 2, opt), _critical_t(n - 3, opt)
    with np.errstate(divide="ignore", invalid="ignore"):
        heat = _one_term(hxx, hxy, hs, n, syy, ybar, t2, dd_ok_h)
        cool = _one_term(cxx, cxy, cs, n, syy, ybar, t2, dd_ok_c)
        both = _two_terms(hxx, hxy, hs, cxx, cxy, cs, n, syy, ybar, t3,
                          dd_ok_h[:, :, None] & dd_ok_c[:, None, :],
                          cgrid[None, :] >= hgrid[:, None])
    zero, nan = np.zeros((n_b, 1)), np.full((n_b, 1), np.nan)
    score = np.concatenate([zero, heat[0], cool[0], both[0]], axis=1)
    best = np.argmax(score, axis=1)[:, None]
    kh, kc = hgrid.size, cgrid.size

    def pick(*parts: FloatArray) -> FloatArray:
        return np.take_along_axis(np.concatenate(parts, axis=1), best, axis=1)[:, 0]

    ones_h, ones_c = np.ones((n_b, kh)), np.ones((n_b, kc))
    return np.stack([
        pick(zero, ones_h, 2 * ones_c, np.full((n_b, kh * kc), 3.0)),
        pick(ybar[:, None], heat[1], cool[1], both[1]),
        pick(zero, heat[2], 0 * ones_c, both[2]),
        pick(zero, 0 * ones_h, cool[2], both[3]),
        pick(nan, hgrid[None, :] * ones_h, np.nan * ones_c,
             np.broadcast_to(hgrid[None, :, None], (n_b, kh, kc)).reshape(n_b, -1)),
        pick(nan, np.nan * ones_h, cgrid[None, :] * ones_c,
             np.broadcast_to(cgrid[None, None, :], (n_b, kh, kc)).reshape(n_b, -1)),
    ], axis=1)


def _critical_t(dof: FloatArray, opt: MvOptions) -> FloatArray:
    if opt.max_p_value is None:
        return np.zeros(dof.shape)
    ok = dof >= 1
    q = np.full(dof.shape, 1.0 - opt.max_p_value / 2.0)
    crit = np.asarray(student_t_ppf(q, np.where(ok, dof, np.nan)), dtype=np.float64)
    return np.where(ok, crit, np.inf)


def _one_term(sxx: FloatArray, sxy: FloatArray, s: FloatArray, n: FloatArray, syy: FloatArray,
              ybar: FloatArray, tcrit: FloatArray,
              dd_ok: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Score (adjusted R² or −inf), μ and β of every one-term candidate, each (B, K)."""
    dof = (n - 2)[:, None]
    beta = sxy / sxx
    # the closed form is exact to ~1e-12 of the total sum of squares: an exact fit must not
    # make a zero slope look significant
    sse = np.maximum(syy[:, None] - beta * sxy, _SSE_FLOOR * syy[:, None])
    tstat = beta / np.sqrt(sse / dof / sxx)
    mu = ybar[:, None] - beta * s / n[:, None]
    adj = 1.0 - (sse / dof) / (syy / (n - 1))[:, None]
    ok = dd_ok & (beta > 0) & (mu >= 0) & np.isfinite(adj) & (tstat > tcrit[:, None])
    return np.where(ok, adj, -np.inf), mu, beta


def _two_terms(hxx: FloatArray, hxy: FloatArray, hs: FloatArray, cxx: FloatArray,
               cxy: FloatArray, cs: FloatArray, n: FloatArray, syy: FloatArray, ybar: FloatArray,
               tcrit: FloatArray, dd_ok: BoolArray,
               pair: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Score, μ, β_H, β_C of every (h, c) candidate, each (B, Kh·Kc)."""
    n_b = n.shape[0]
    n3, dof = n[:, None, None], (n - 3)[:, None, None]
    s11, s1y, s22, s2y = hxx[:, :, None], hxy[:, :, None], cxx[:, None, :], cxy[:, None, :]
    s12 = -hs[:, :, None] * cs[:, None, :] / n3  # centred; Σ HDD·CDD = 0 when c ≥ h
    det = s11 * s22 - s12 * s12
    b1 = (s22 * s1y - s12 * s2y) / det
    b2 = (s11 * s2y - s12 * s1y) / det
    sse = np.maximum(syy[:, None, None] - b1 * s1y - b2 * s2y, _SSE_FLOOR * syy[:, None, None])
    sigma2 = sse / dof
    t1, t2 = b1 / np.sqrt(sigma2 * s22 / det), b2 / np.sqrt(sigma2 * s11 / det)
    mu = ybar[:, None, None] - b1 * hs[:, :, None] / n3 - b2 * cs[:, None, :] / n3
    adj = 1.0 - sigma2 / (syy / (n - 1))[:, None, None]
    tc = tcrit[:, None, None]
    ok = (pair[None] & dd_ok & (det > 0) & (b1 > 0) & (b2 > 0) & (mu >= 0) & np.isfinite(adj)
          & (t1 > tc) & (t2 > tc))
    return (np.where(ok, adj, -np.inf).reshape(n_b, -1), mu.reshape(n_b, -1),
            b1.reshape(n_b, -1), b2.reshape(n_b, -1))


def fit_baseline(usage_kwh: npt.ArrayLike, temperature_c: npt.ArrayLike, *,
                 options: MvOptions | None = None) -> BaselineFits:
    """Fit and select the CalTRACK-style daily model of every building at once.

    Parameters
    ----------
    usage_kwh
        Baseline daily usage [kWh/day], shape (n_buildings, n_days) or (n_days,); NaN = missing.
    temperature_c
        Daily mean outdoor temperature [°C], shape (n_days,) or (n_buildings, n_days); NaN =
        missing. A day counts when both values are present.
    options
        Grids and qualification rules (:class:`MvOptions`).

    Returns
    -------
    BaselineFits
        The selected model of each building, in input order, with its G14 statistics.

    Raises
    ------
    ValueError
        If shapes disagree or a building has fewer than 3 days with data. (Run
        :func:`baseline_sufficiency` first: this function fits whatever it is given.)

    Notes
    -----
    See the module docstring for the models, qualification and selection. Buildings are
    processed in chunks so that the (buildings × heating grid × cooling grid) arrays of the
    combined model stay near 2 million cells.
    """
    opt = options or MvOptions()
    y, t = _panel(usage_kwh, temperature_c)
    if opt.zero_is_missing:
        y = np.where(y == 0, np.nan, y)
    valid = np.isfinite(y) & np.isfinite(t)
    if np.any(valid.sum(axis=1) < 3):
        msg = "fit_baseline: every building needs at least 3 days with usage and temperature"
        raise ValueError(msg)
    hgrid = np.asarray(opt.heating_balance_points_c if opt.fit_heating else (), dtype=np.float64)
    cgrid = np.asarray(opt.cooling_balance_points_c if opt.fit_cooling else (), dtype=np.float64)
    cells = max(1, hgrid.size * cgrid.size, (hgrid.size + cgrid.size) * y.shape[1] * (t.ndim - 1))
    step = max(1, _CHUNK_CELLS // cells)
    chosen = np.concatenate([
        _select_chunk(y[i:i + step], t if t.ndim == 1 else t[i:i + step], valid[i:i + step],
                      hgrid, cgrid, opt) for i in range(0, y.shape[0], step)])
    return _final_statistics(y, t, valid, chosen, opt)


def _final_statistics(y: FloatArray, t: FloatArray, valid: BoolArray, chosen: FloatArray,
                      opt: MvOptions) -> BaselineFits:
    code = chosen[:, 0].astype(np.int64)
    resid = np.where(valid, y - _predict(chosen, t), np.nan)
    n = valid.sum(axis=1)
    p, slopes = _N_PARAMS[code], _N_SLOPES[code]
    ybar = np.nanmean(np.where(valid, y, np.nan), axis=1)
    sse = np.nansum(resid * resid, axis=1)
    sst = np.nansum((np.where(valid, y, np.nan) - ybar[:, None]) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rmse = np.sqrt(sse / (n - p))
        cv = rmse / ybar
        bias = np.nansum(resid, axis=1) / ((n - p) * ybar)
        r2 = np.where(sst > 0, 1.0 - sse / sst, 0.0)
        adj = np.where(sst > 0, 1.0 - (sse / (n - slopes - 1)) / (sst / (n - 1)), 0.0)
    tstats = _slope_t_stats(y, t, valid, chosen, sse, n - slopes - 1)
    pvals = [2.0 * np.asarray(student_t_cdf(-np.abs(ts), np.maximum(n - slopes - 1, 1)),
                              dtype=np.float64) for ts in tstats]
    return BaselineFits(
        model_code=code, intercept=chosen[:, 1], heating_slope=chosen[:, 2],
        cooling_slope=chosen[:, 3], heating_balance_point_c=chosen[:, 4],
        cooling_balance_point_c=chosen[:, 5], heating_p_value=pvals[0],
        cooling_p_value=pvals[1], n_days=n.astype(np.int64), n_parameters=p.astype(np.int64),
        r_squared=r2, adj_r_squared=adj, rmse=rmse, cv_rmse=cv, nmbe=bias, mean_usage=ybar,
        autocorrelation=_lag1_autocorrelation(resid),
        meets_g14=(cv <= opt.max_cv_rmse) & (np.abs(bias) <= opt.max_abs_nmbe))


def _slope_t_stats(y: FloatArray, t: FloatArray, valid: BoolArray, chosen: FloatArray,
                   sse: FloatArray, dof: FloatArray) -> tuple[FloatArray, FloatArray]:
    """t statistics of the chosen slopes, from the chosen design matrix (NaN when absent)."""
    t2 = np.broadcast_to(t[None, :] if t.ndim == 1 else t, y.shape)
    w = valid.astype(np.float64)
    n = w.sum(axis=1)
    with np.errstate(invalid="ignore"):
        h = np.where(valid & ~np.isnan(chosen[:, 4:5]), np.maximum(chosen[:, 4:5] - t2, 0.0), 0.0)
        c = np.where(valid & ~np.isnan(chosen[:, 5:6]), np.maximum(t2 - chosen[:, 5:6], 0.0), 0.0)
    hm, cm = h.sum(axis=1) / n, c.sum(axis=1) / n
    s11 = (w * (h - hm[:, None]) ** 2).sum(axis=1)
    s22 = (w * (c - cm[:, None]) ** 2).sum(axis=1)
    s12 = (w * (h - hm[:, None]) * (c - cm[:, None])).sum(axis=1)
    code = chosen[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = sse / dof
        det = np.where(code == 3, s11 * s22 - s12 * s12, 1.0)
        var_h = np.where(code == 3, sigma2 * s22 / det, sigma2 / s11)
        var_c = np.where(code == 3, sigma2 * s11 / det, sigma2 / s22)
        th = np.where(np.isin(code, (1, 3)), chosen[:, 2] / np.sqrt(var_h), np.nan)
        tc = np.where(np.isin(code, (2, 3)), chosen[:, 3] / np.sqrt(var_c), np.nan)
    return th, tc


def _lag1_autocorrelation(resid: FloatArray) -> FloatArray:
    """Pearson correlation of residuals on consecutive days (pairs with both days present)."""
    a, b = resid[:, 1:], resid[:, :-1]
    m = np.isfinite(a) & np.isfinite(b)
    cnt = m.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        am = np.where(m, a, 0.0).sum(axis=1) / cnt
        bm = np.where(m, b, 0.0).sum(axis=1) / cnt
        da, db = np.where(m, a - am[:, None], 0.0), np.where(m, b - bm[:, None], 0.0)
        rho = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    return np.where(np.isfinite(rho), rho, 0.0)


# -- sufficiency, savings ----------------------------------------------------------------------
def _day(x: DateLike) -> np.datetime64:
    if isinstance(x, dt.datetime):
        x = x.date()
    text = x.isoformat() if isinstance(x, dt.date) else str(x)[:10]
    return np.datetime64(text, "D")


def _dates(dates: npt.ArrayLike, n_days: int) -> npt.NDArray[np.datetime64]:
    d = np.asarray(dates).astype("datetime64[D]")
    if d.shape != (n_days,):
        msg = f"dates must have shape ({n_days},), got {d.shape}"
        raise ValueError(msg)
    if n_days > 1 and np.any(np.diff(d) != np.timedelta64(1, "D")):
        msg = "dates must be consecutive days (one column per day, gaps as NaN)"
        raise ValueError(msg)
    return d


def _window(values: FloatArray, dates: npt.NDArray[np.datetime64], start: np.datetime64,
            n_days: int) -> tuple[FloatArray, BoolArray]:
    """Columns of ``values`` for ``n_days`` days from ``start``; NaN outside the data."""
    idx = (start - dates[0]).astype(np.int64) + np.arange(n_days)
    inside = (idx >= 0) & (idx < dates.shape[0])
    out = np.full(values.shape[:-1] + (n_days,), np.nan)
    out[..., inside] = values[..., idx[inside]]
    return out, inside


def _baseline_arrays(usage_kwh: npt.ArrayLike, temperature_c: npt.ArrayLike,
                     dates: npt.ArrayLike, intervention_date: DateLike,
                     opt: MvOptions) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray,
                                              npt.NDArray[np.datetime64]]:
    y, t = _panel(usage_kwh, temperature_c)
    d = _dates(dates, y.shape[1])
    start = _day(intervention_date) - np.timedelta64(opt.baseline_days, "D")
    yw, inside = _window(y, d, start, opt.baseline_days)
    tw, _ = _window(t, d, start, opt.baseline_days)
    if opt.zero_is_missing:
        yw = np.where(yw == 0, np.nan, yw)
    valid = np.isfinite(yw) & np.isfinite(tw)
    return yw, tw, valid, inside, start + np.arange(opt.baseline_days)


def baseline_sufficiency(usage_kwh: npt.ArrayLike, temperature_c: npt.ArrayLike,
                         dates: npt.ArrayLike, *, intervention_date: DateLike,
                         options: MvOptions | None = None) -> list[BaselineSufficiency]:
    """Check every building's baseline window before any fit (CalTRACK 2.0 §2.2, daily).

    Parameters
    ----------
    usage_kwh
        Daily usage [kWh/day], shape (n_buildings, n_days) or (n_days,); NaN = missing.
    temperature_c
        Daily mean temperature [°C], shape (n_days,) or (n_buildings, n_days).
    dates
        The local calendar day of each column (consecutive), shape (n_days,).
    intervention_date
        First day of the intervention: the window is the ``baseline_days`` days before it.
    options
        Thresholds (:class:`MvOptions`).

    Returns
    -------
    list of BaselineSufficiency
        One per building. Failures: ``mv.baseline.no_data``,
        ``mv.baseline.too_many_missing_days`` (§2.2.1.2), ``mv.baseline.month_coverage_too_low``
        (project rule), ``mv.baseline.negative_usage`` (§2.3.5 asks for review; net metering is
        out of scope, §2.2.6). Warning: ``mv.baseline.extreme_values`` (§2.3.6: usage more than
        three interquartile ranges above the median).
    """
    opt = options or MvOptions()
    yw, _, valid, inside, wdates = _baseline_arrays(usage_kwh, temperature_c, dates,
                                                    intervention_date, opt)
    n_valid = valid.sum(axis=1)
    months = wdates.astype("datetime64[M]")
    month_ids, month_idx = np.unique(months, return_inverse=True)
    onehot = np.zeros((wdates.size, month_ids.size))
    onehot[np.arange(wdates.size), month_idx] = 1.0
    month_cov = (valid @ onehot) / onehot.sum(axis=0)
    ysafe = np.where(valid, yw, np.nan)
    q = _row_quartiles(ysafe, n_valid)
    with np.errstate(invalid="ignore"):
        n_extreme = np.sum(ysafe > (q[1] + 3.0 * (q[2] - q[0]))[:, None], axis=1)
        n_negative = np.sum(ysafe < 0, axis=1)
    return [_sufficiency_one(
        opt, str(wdates[0]), str(wdates[-1]), int(n_valid[b]), int((~inside).sum()),
        month_cov[b], [str(m) for m in month_ids], int(n_extreme[b]), int(n_negative[b]),
        q[:, b]) for b in range(yw.shape[0])]


def _row_quartiles(x: FloatArray, n: npt.NDArray[np.int64]) -> FloatArray:
    """25th, 50th, 75th percentiles of each row's finite values (numpy's linear method), (3, B).

    Vectorised: ``np.nanpercentile`` loops over rows in Python.
    """
    srt = np.sort(x, axis=1)  # NaN last
    pos = np.clip(n - 1, 0, None)[None, :] * np.array([0.25, 0.5, 0.75])[:, None]
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.clip(n - 1, 0, None)[None, :])
    a = np.take_along_axis(srt, lo.T, axis=1).T
    b = np.take_along_axis(srt, hi.T, axis=1).T
    return np.where(n[None, :] > 0, a + (pos - lo) * (b - a), np.nan)


def _sufficiency_one(opt: MvOptions, start: str, end: str, n_valid: int, not_covered: int,
                     month_cov: FloatArray, months: list[str], n_extreme: int, n_negative: int,
                     quartiles: FloatArray) -> BaselineSufficiency:
    reasons: list[Issue] = []
    warnings: list[Issue] = []
    missing = opt.baseline_days - n_valid
    if n_valid == 0:
        reasons.append(Issue("mv.baseline.no_data",
                             {"baseline_start": start, "baseline_end": end}))
    elif missing > opt.max_missing_days:
        reasons.append(Issue(
            "mv.baseline.too_many_missing_days",
            {"n_missing_days": missing, "max_missing_days": opt.max_missing_days,
             "n_days_not_covered": not_covered, "baseline_days": opt.baseline_days}))
    low = [m for m, c in zip(months, month_cov.tolist(), strict=True)
           if c < opt.min_month_fraction]
    if n_valid and low:
        reasons.append(Issue(
            "mv.baseline.month_coverage_too_low",
            {"months": low, "min_month_fraction": opt.min_month_fraction}))
    if n_negative:
        reasons.append(Issue("mv.baseline.negative_usage", {"n_negative_days": n_negative}))
    if n_extreme:
        warnings.append(Issue(
            "mv.baseline.extreme_values",
            {"n_extreme_days": n_extreme, "median": float(quartiles[1]),
             "iqr": float(quartiles[2] - quartiles[0])}))
    return BaselineSufficiency(
        passed=not reasons, baseline_start=start, baseline_end=end, n_days=opt.baseline_days,
        n_valid_days=n_valid, n_missing_days=missing, n_days_not_covered=not_covered,
        lowest_month_coverage=float(month_cov.min()) if month_cov.size else math.nan,
        reasons=tuple(reasons), warnings=tuple(warnings))


@dataclass(frozen=True)
class SavingsResult:
    """One building's measured savings (中文：节能量) over the reporting period.

    Attributes
    ----------
    building_id
        The caller's id (or the row index as a string).
    sufficiency
        The baseline check; when it failed, ``model`` and every figure below are None/NaN.
    model
        The selected :class:`BaselineModel`.
    reporting_start, reporting_end
        First and last reporting day (ISO dates, inclusive).
    n_reporting_days
        Reporting days with both usage and temperature (the only days counted, CalTRACK 3.5).
    adjusted_baseline_kwh, reporting_kwh
        ``Σ Û_d`` (the baseline model on reporting weather) and ``Σ U_d`` on those days [kWh].
    savings_kwh
        Avoided energy use ``Σ (Û_d − U_d)`` [kWh]; positive = less energy used.
    fractional_savings
        ``savings_kwh / adjusted_baseline_kwh``.
    fsu_68, fsu_90
        G14 fractional savings uncertainty at 68 % and 90 % confidence (fraction of savings).
    savings_uncertainty_68_kwh, savings_uncertainty_90_kwh
        ``fsu · |savings_kwh|`` [kWh].
    meets_g14
        The model meets the CV(RMSE) and NMBE limits and ``fsu_68 ≤ max_fsu_68``.
    warnings
        ``mv.reporting.*`` and the baseline warnings.
    """

    building_id: str
    sufficiency: BaselineSufficiency
    model: BaselineModel | None
    reporting_start: str
    reporting_end: str
    n_reporting_days: int
    adjusted_baseline_kwh: float
    reporting_kwh: float
    savings_kwh: float
    fractional_savings: float
    fsu_68: float
    fsu_90: float
    savings_uncertainty_68_kwh: float
    savings_uncertainty_90_kwh: float
    meets_g14: bool
    warnings: tuple[Issue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict (NaN becomes None) for the API."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if k == "sufficiency":
                out[k] = self.sufficiency.to_dict()
            elif k == "model":
                out[k] = None if self.model is None else self.model.to_dict()
            elif k == "warnings":
                out[k] = [i.to_dict() for i in self.warnings]
            else:
                out[k] = _plain(v) if isinstance(v, float) else v
        return out


def measure_savings(usage_kwh: npt.ArrayLike, temperature_c: npt.ArrayLike,
                    dates: npt.ArrayLike, *, intervention_date: DateLike,
                    reporting_start: DateLike | None = None, reporting_end: DateLike | None = None,
                    building_ids: Sequence[str] | None = None,
                    options: MvOptions | None = None) -> list[SavingsResult]:
    """Savings of many buildings: sufficiency, baseline fit, prediction, savings, FSU.

    Parameters
    ----------
    usage_kwh
        Daily usage [kWh/day] of each building, shape (n_buildings, n_days) or (n_days,),
        baseline and reporting periods together; NaN = missing.
    temperature_c
        Daily mean outdoor temperature [°C], shape (n_days,) or (n_buildings, n_days).
    dates
        Local calendar day of each column, consecutive, shape (n_days,).
    intervention_date
        Project start: the baseline is the ``options.baseline_days`` days before it.
    reporting_start
        First reporting day (the intervention's completion); default ``intervention_date``.
        Days between the two (the intervention period) are ignored (CalTRACK 1.4.4).
    reporting_end
        Last reporting day, inclusive; default the last date.
    building_ids
        Ids for the results; default the row numbers.
    options
        :class:`MvOptions`.

    Returns
    -------
    list of SavingsResult
        One per building, in input order. Buildings that fail the sufficiency check are not
        fitted: their result carries the reasons and NaN figures.

    Examples
    --------
    >>> days = np.arange("2023-01-01", "2025-01-01", dtype="datetime64[D]")
    >>> temp = 15 + 10 * np.sin(2 * np.pi * np.arange(days.size) / 365)
    >>> use = 100 + 5 * np.maximum(15 - temp, 0)
    >>> use[365:] *= 0.9
    >>> r = measure_savings(use, temp, days, intervention_date="2024-01-01")[0]
    >>> r.model.model_type, r.model.heating_balance_point_c, round(r.fractional_savings, 6)
    ('heating', 15.0, 0.1)
    """
    opt = options or MvOptions()
    y, t = _panel(usage_kwh, temperature_c)
    d = _dates(dates, y.shape[1])
    ids = [str(i) for i in range(y.shape[0])] if building_ids is None else list(building_ids)
    if len(ids) != y.shape[0]:
        msg = f"building_ids has {len(ids)} ids for {y.shape[0]} buildings"
        raise ValueError(msg)
    suff = baseline_sufficiency(y, t, d, intervention_date=intervention_date, options=opt)
    yw, tw, _, _, _ = _baseline_arrays(y, t, d, intervention_date, opt)
    r_start = _day(reporting_start if reporting_start is not None else intervention_date)
    r_end = _day(reporting_end) if reporting_end is not None else d[-1]
    if r_start < _day(intervention_date) or r_end < r_start:
        msg = f"reporting period {r_start}..{r_end} must start on or after the intervention"
        raise ValueError(msg)
    n_rep = int((r_end - r_start).astype(np.int64)) + 1
    yr, _ = _window(y, d, r_start, n_rep)
    tr, _ = _window(t, d, r_start, n_rep)
    if opt.zero_is_missing:
        yr = np.where(yr == 0, np.nan, yr)
    ok = np.array([s.passed for s in suff])
    fits = fit_baseline(yw[ok], tw if tw.ndim == 1 else tw[ok], options=opt) if ok.any() else None
    figures = _savings_figures(fits, yr[ok], tr if tr.ndim == 1 else tr[ok], opt)
    rows = np.cumsum(ok) - 1
    results = []
    for b in range(y.shape[0]):
        fig = {k: (float(v[rows[b]]) if ok[b] else math.nan) for k, v in figures.items()}
        n_days = int(fig.pop("n_reporting_days")) if ok[b] else 0
        model = fits.model(int(rows[b])) if ok[b] and fits is not None else None
        warnings = list(suff[b].warnings)
        if ok[b] and n_days == 0:
            warnings.append(Issue("mv.reporting.no_data"))
        elif ok[b] and n_days < 0.9 * n_rep:
            warnings.append(Issue("mv.reporting.low_coverage",
                                  {"n_reporting_days": n_days, "n_days": n_rep}))
        meets = bool(model is not None and model.meets_g14 and fig["fsu_68"] <= opt.max_fsu_68)
        results.append(SavingsResult(
            building_id=ids[b], sufficiency=suff[b], model=model, reporting_start=str(r_start),
            reporting_end=str(r_end), n_reporting_days=n_days,
            adjusted_baseline_kwh=fig["adjusted_baseline_kwh"], reporting_kwh=fig["reporting_kwh"],
            savings_kwh=fig["savings_kwh"], fractional_savings=fig["fractional_savings"],
            fsu_68=fig["fsu_68"], fsu_90=fig["fsu_90"],
            savings_uncertainty_68_kwh=fig["savings_uncertainty_68_kwh"],
            savings_uncertainty_90_kwh=fig["savings_uncertainty_90_kwh"], meets_g14=meets,
            warnings=tuple(warnings)))
    return results


def _savings_figures(fits: BaselineFits | None, yr: FloatArray, tr: FloatArray,
                     opt: MvOptions) -> dict[str, FloatArray]:
    names = ("n_reporting_days", "adjusted_baseline_kwh", "reporting_kwh", "savings_kwh",
             "fractional_savings", "fsu_68", "fsu_90", "savings_uncertainty_68_kwh",
             "savings_uncertainty_90_kwh")
    if fits is None:
        return {k: np.empty(0) for k in names}
    pred = fits.predict(tr)
    valid = np.isfinite(yr) & np.isfinite(pred)
    m = valid.sum(axis=1).astype(np.float64)
    adjusted = np.where(valid, pred, 0.0).sum(axis=1)
    observed = np.where(valid, yr, 0.0).sum(axis=1)
    savings = adjusted - observed
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(m > 0, savings / adjusted, np.nan)
    fsu = [np.asarray(fractional_savings_uncertainty(
        cv_rmse=fits.cv_rmse, fractional_savings=frac, n_baseline=fits.n_days,
        n_reporting=m, n_parameters=fits.n_parameters, autocorrelation=fits.autocorrelation,
        confidence=c, factor=opt.fsu_factor), dtype=np.float64) for c in (0.68, 0.90)]
    nan_if_empty = np.where(m > 0, 1.0, np.nan)
    return dict(zip(names, (m, adjusted * nan_if_empty, observed * nan_if_empty,
                            savings * nan_if_empty, frac, fsu[0], fsu[1],
                            fsu[0] * np.abs(savings), fsu[1] * np.abs(savings)), strict=True))
