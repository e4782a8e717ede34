"""Carbon-peak trajectory: Kaya-style projection, Monte Carlo, required intensity decline, C40 test.

中文：碳达峰路径——基于Kaya恒等式的排放预测、蒙特卡洛不确定性分析、达峰所需的单位GDP能耗
年均下降率、C40达峰判定。

Notes
-----
Years are counted from the base year, ``t = year − base.year``. For a base year with GDP
``Y_0`` [10^4 CNY], purchased electricity ``P_0`` [kWh], on-site PV ``V_0`` [kWh], other final
energy ``U_0`` [tce], grid factor ``f_0`` [tCO2/kWh] and fuel factor ``φ`` [tCO2/tce], and a
scenario (:class:`ScenarioParams`) with GDP growth ``g``, intensity decline ``d``, grid-factor
decline ``γ``, electrification ``e``, added PV ``p`` [kWp/a] with yield ``y`` [kWh/kWp] and
retrofit savings ``R`` [tce/a]::

    k     = 0.0001229 tce/kWh   (0.1229 kgce/kWh, equivalent value 当量值, GB/T 2589-2020)
    D_0   = (P_0 + V_0) · k + U_0                       final energy, tce equivalent
    s_0   = (P_0 + V_0) · k / D_0                       electricity share of final energy
    Y_t   = Y_0 · (1 + g)^t
    D_t   = max(D_0 · (1 + g)^t · (1 − d)^t − R · t, 0)
    s_t   = min(1, max(0, s_0 + e · t))
    elec_t = s_t · D_t / k      [kWh]     fuel_t = (1 − s_t) · D_t      [tce]
    f_t   = f_0 · (1 − γ)^t
    pv_t  = V_0 + p · y · t     [kWh]
    CO2_t = max(elec_t − pv_t, 0) · f_t + fuel_t · φ                       [tCO2]

Electricity demand ``elec_t`` includes the electricity the PV supplies; PV offsets purchased
electricity down to zero, and a surplus (export) earns no credit. Retrofit savings are
cumulative (``R`` more each year) and reduce electricity and fuel in proportion to the share.
``t = 0`` reproduces the base year's CO2 ``P_0 · f_0 + U_0 · φ`` exactly (the code evaluates
the same equations as increments over the base year, which are exactly zero at ``t = 0``).

The model is deliberately small: every parameter is a single yearly rate a district can
argue about. It is a planning aid, not a forecast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt
import pandas as pd

from carbonpeak.vocabulary import C40Status as C40

__all__ = [
    "C40_CRITERIA",
    "ELECTRICITY_TCE_PER_KWH",
    "PLAN_INTENSITY_DECLINE",
    "PROJECTION_COLUMNS",
    "BaseYear",
    "C40Result",
    "MonteCarloResult",
    "PeakResult",
    "ScenarioParams",
    "Uncertainty",
    "c40_peak_test",
    "default_scenarios",
    "min_intensity_decline",
    "monte_carlo",
    "peak_of",
    "project",
]

#: Electricity in tce by the equivalent (calorific) value, 当量值: 0.1229 kgce/kWh (GB/T 2589).
ELECTRICITY_TCE_PER_KWH = 0.0001229
#: Yearly decline matching −13.5 % energy per GDP over five years (十四五 target): ≈ 2.86 %/a.
PLAN_INTENSITY_DECLINE = 1.0 - (1.0 - 0.135) ** (1.0 / 5.0)
#: Columns of :func:`project`, in order.
PROJECTION_COLUMNS: tuple[str, ...] = (
    "gdp_10k_cny", "energy_tce", "electricity_kwh", "pv_kwh", "fuel_tce",
    "grid_factor_tco2_per_kwh", "tco2", "tco2_per_10k_cny",
)
#: C40 peaking criteria codes, in the order they are evaluated.
C40_CRITERIA: tuple[str, ...] = ("min_years", "peak_age", "data_recency", "below_peak")

_FloatArray = npt.NDArray[np.float64]
_INTENSITY_BRACKET = (-0.2, 0.5)


def _finite(owner: str, name: str, value: float) -> float:
    """``value`` as a float, or ValueError when it is not a finite number."""
    number = float(value)
    if not np.isfinite(number):
        msg = f"{owner}.{name} must be a finite number, got {value!r}"
        raise ValueError(msg)
    return number


@dataclass(frozen=True)
class BaseYear:
    """The district's base year (基准年).

    Attributes
    ----------
    year
        Calendar year.
    gdp_10k_cny
        GDP (地区生产总值) at comparable prices [10^4 CNY]; > 0.
    electricity_kwh
        Purchased (grid) electricity [kWh]; ≥ 0.
    fuel_tce
        All other final energy (fuels, heat) in standard coal, equivalent value [tce]; ≥ 0.
    grid_factor_tco2_per_kwh
        Grid electricity CO2 factor [tCO2/kWh] (e.g. 0.42 tCO2/MWh = 0.00042); ≥ 0.
    fuel_factor_tco2_per_tce
        Average CO2 factor of ``fuel_tce`` [tCO2/tce] (natural gas ≈ 1.64, coal ≈ 2.66); ≥ 0.
    pv_generation_kwh
        Existing on-site PV generation, used on site [kWh]; ≥ 0, default 0. Kept constant in
        projections; new PV comes from :class:`ScenarioParams`.

    Raises
    ------
    ValueError
        On a non-finite or negative value, GDP ≤ 0, or no energy at all.
    """

    year: int
    gdp_10k_cny: float
    electricity_kwh: float
    fuel_tce: float
    grid_factor_tco2_per_kwh: float
    fuel_factor_tco2_per_tce: float
    pv_generation_kwh: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "year":
                continue
            if _finite("BaseYear", f.name, getattr(self, f.name)) < 0:
                msg = f"BaseYear.{f.name} must be ≥ 0, got {getattr(self, f.name)!r}"
                raise ValueError(msg)
        if self.gdp_10k_cny <= 0:
            msg = f"BaseYear.gdp_10k_cny must be > 0, got {self.gdp_10k_cny!r}"
            raise ValueError(msg)
        if self.energy_tce <= 0:
            msg = "BaseYear: electricity_kwh + pv_generation_kwh + fuel_tce must be > 0"
            raise ValueError(msg)

    @property
    def energy_tce(self) -> float:
        """Final energy ``D_0`` incl. PV used on site, equivalent value [tce]."""
        return ((self.electricity_kwh + self.pv_generation_kwh) * ELECTRICITY_TCE_PER_KWH
                + self.fuel_tce)

    @property
    def tco2(self) -> float:
        """Base-year CO2: purchased electricity × grid factor + fuel × fuel factor [tCO2]."""
        return (self.electricity_kwh * self.grid_factor_tco2_per_kwh
                + self.fuel_tce * self.fuel_factor_tco2_per_tce)


@dataclass(frozen=True)
class ScenarioParams:
    """Yearly rates of one scenario (情景参数).

    Attributes
    ----------
    name
        Scenario label.
    gdp_growth
        Real GDP growth per year [fraction/a], e.g. 0.05 for 5 %/a; > −1.
    intensity_decline
        Yearly relative decline of final energy per GDP (单位GDP能耗下降率) [fraction/a],
        e.g. 0.03; < 1. Negative values mean rising intensity.
    grid_factor_decline
        Yearly relative decline of the grid CO2 factor [fraction/a], e.g. 0.03; ≤ 1.
    electrification
        Yearly increase of electricity's share of final energy (tce equivalent) [fraction of
        final energy per year], e.g. 0.005 = +0.5 percentage points a year. The share stays in
        [0, 1].
    pv_added_kwp_per_year
        New on-site PV capacity each year [kWp/a]; ≥ 0, default 0.
    pv_yield_kwh_per_kwp
        Yearly PV yield [kWh/kWp·a]; ≥ 0, default 1000 (typical of eastern China).
    retrofit_savings_tce_per_year
        Energy saved by retrofits, added each year [tce/a]: savings are ``R · t`` in year
        ``t``; ≥ 0, default 0.

    Raises
    ------
    ValueError
        On a non-finite value or a value outside the bounds above.
    """

    name: str
    gdp_growth: float
    intensity_decline: float
    grid_factor_decline: float
    electrification: float
    pv_added_kwp_per_year: float = 0.0
    pv_yield_kwh_per_kwp: float = 1000.0
    retrofit_savings_tce_per_year: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "name":
                _check_rate(f.name, getattr(self, f.name))


_RATE_BOUNDS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "gdp_growth": ("> -1", lambda v: v > -1),
    "intensity_decline": ("< 1", lambda v: v < 1),
    "grid_factor_decline": ("≤ 1", lambda v: v <= 1),
    "pv_added_kwp_per_year": ("≥ 0", lambda v: v >= 0),
    "pv_yield_kwh_per_kwp": ("≥ 0", lambda v: v >= 0),
    "retrofit_savings_tce_per_year": ("≥ 0", lambda v: v >= 0),
}


def _check_rate(name: str, value: float, owner: str = "ScenarioParams") -> None:
    """ValueError unless ``value`` is finite and within the bounds of parameter ``name``."""
    number = _finite(owner, name, value)
    if name in _RATE_BOUNDS:
        bound, ok = _RATE_BOUNDS[name]
        if not ok(number):
            msg = f"{owner}.{name} must be {bound}, got {value!r}"
            raise ValueError(msg)


_UNCERTAIN: tuple[str, ...] = (
    "gdp_growth", "intensity_decline", "grid_factor_decline", "electrification",
    "pv_added_kwp_per_year", "retrofit_savings_tce_per_year",
)


@dataclass(frozen=True)
class Uncertainty:
    """Triangular distributions ``(low, mode, high)`` of uncertain scenario parameters.

    Each attribute has the unit of the :class:`ScenarioParams` attribute of the same name;
    ``None`` (the default) keeps the scenario's value fixed. ``low == high`` is allowed (a
    fixed value). Each parameter is drawn from its own random stream, so adding or removing one
    distribution leaves the draws of the others unchanged.

    Raises
    ------
    ValueError
        Unless ``low ≤ mode ≤ high``, all finite, with ``low`` and ``high`` within the bounds
        of :class:`ScenarioParams` (e.g. ``gdp_growth`` > −1).
    """

    gdp_growth: tuple[float, float, float] | None = None
    intensity_decline: tuple[float, float, float] | None = None
    grid_factor_decline: tuple[float, float, float] | None = None
    electrification: tuple[float, float, float] | None = None
    pv_added_kwp_per_year: tuple[float, float, float] | None = None
    retrofit_savings_tce_per_year: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        for name in _UNCERTAIN:
            spec = getattr(self, name)
            if spec is None:
                continue
            if len(spec) != 3:
                msg = f"Uncertainty.{name} must be (low, mode, high), got {spec!r}"
                raise ValueError(msg)
            low, mode, high = (float(v) for v in spec)
            if not (np.isfinite([low, mode, high]).all() and low <= mode <= high):
                msg = f"Uncertainty.{name} must satisfy low ≤ mode ≤ high, got {spec!r}"
                raise ValueError(msg)
            _check_rate(name, low, "Uncertainty")
            _check_rate(name, high, "Uncertainty")


@dataclass(frozen=True)
class PeakResult:
    """Peak of a series.

    Attributes
    ----------
    peak_year
        First year of the maximum.
    peak_tco2
        The maximum [tCO2].
    peaked_within_horizon
        True when the maximum is not in the last year of the series (it falls afterwards).
    """

    peak_year: int
    peak_tco2: float
    peaked_within_horizon: bool


@dataclass(frozen=True)
class MonteCarloResult:
    """Distribution of the peak over random draws of the scenario parameters.

    Attributes
    ----------
    n, seed
        Number of draws and the seed that reproduces them.
    deadline_year, end_year
        Peaking deadline and last projected year.
    peak_year_p5, peak_year_p50, peak_year_p95
        Percentiles of the peak year (the first year of each draw's maximum), taken as
        observed years (inverted-CDF method). A draw that has not peaked within the horizon
        counts as ``end_year``, so a percentile equal to ``end_year`` reads "not before".
    peak_tco2_p5, peak_tco2_p50, peak_tco2_p95
        Percentiles of each draw's maximum [tCO2] (linear interpolation).
    share_peaked_by_deadline
        Share of draws that peaked within the horizon in a year ≤ ``deadline_year`` [0-1].
    share_peaked_within_horizon
        Share of draws whose maximum is before ``end_year`` [0-1].
    bands
        Indexed by year: columns ``p5``, ``p50``, ``p95`` of the yearly CO2 [tCO2] over draws.
    """

    n: int
    seed: int
    deadline_year: int
    end_year: int
    peak_year_p5: int
    peak_year_p50: int
    peak_year_p95: int
    peak_tco2_p5: float
    peak_tco2_p50: float
    peak_tco2_p95: float
    share_peaked_by_deadline: float
    share_peaked_within_horizon: float
    bands: pd.DataFrame


C40Status = C40


@dataclass(frozen=True)
class C40Result:
    """Outcome of the C40 peaking test.

    Attributes
    ----------
    status
        ``peaked`` (all criteria pass), ``not_peaked``, or ``insufficient_data`` (fewer than 3
        years of data).
    peak_year, peak_tco2
        First year of the maximum and the maximum [tCO2]; ``None`` without data.
    latest_year, latest_tco2
        Most recent year with data and its emissions [tCO2]; ``None`` without data.
    below_peak_share
        ``(peak − latest) / peak`` [fraction]; 0 when the peak is 0; ``None`` without data.
    criteria
        ``(code, passed, message_en, message_zh)`` for each of :data:`C40_CRITERIA`.
    """

    status: C40Status
    peak_year: int | None
    peak_tco2: float | None
    latest_year: int | None
    latest_tco2: float | None
    below_peak_share: float | None
    criteria: tuple[tuple[str, bool, str, str], ...]


def _trajectory(base: BaseYear, rates: Mapping[str, _FloatArray | float],
                t: _FloatArray) -> dict[str, _FloatArray]:
    """The model of the module Notes for parameters (floats or arrays shaped ``(n, 1)``).

    ``t`` holds the ``m`` year offsets. Returns arrays shaped ``(n, m)``, ``n = 1`` when every
    parameter is a float. Quantities are computed as increments over
    the base year so that ``t = 0`` gives the base year's values exactly.
    """
    k = ELECTRICITY_TCE_PER_KWH
    t = np.asarray(t, dtype=np.float64).reshape(1, -1)
    g = rates["gdp_growth"]
    d = rates["intensity_decline"]
    gamma = rates["grid_factor_decline"]
    e = rates["electrification"]
    pv_kwp = rates["pv_added_kwp_per_year"]
    pv_yield = rates["pv_yield_kwh_per_kwp"]
    savings = rates["retrofit_savings_tce_per_year"]
    d0 = base.energy_tce
    elec0 = base.electricity_kwh + base.pv_generation_kwh
    s0 = elec0 * k / d0
    growth = np.power(1.0 + g, t)
    # D_t / D_0: exactly 1 at t = 0.
    ratio = np.maximum(growth * np.power(1.0 - d, t) - savings * t / d0, 0.0)
    shift = np.clip(s0 + e * t, 0.0, 1.0) - s0  # s_t − s_0: exactly 0 at t = 0.
    electricity = np.maximum(ratio * (elec0 + shift * d0 / k), 0.0)
    fuel = np.maximum(ratio * (base.fuel_tce - shift * d0), 0.0)
    pv_added = pv_kwp * pv_yield * t
    purchased = np.maximum(base.electricity_kwh + (electricity - elec0) - pv_added, 0.0)
    grid = base.grid_factor_tco2_per_kwh * np.power(1.0 - gamma, t)
    co2 = purchased * grid + fuel * base.fuel_factor_tco2_per_tce
    gdp = base.gdp_10k_cny * growth
    shape = np.broadcast_shapes(np.shape(co2), np.shape(gdp), np.shape(grid),
                                np.shape(pv_added))
    out = {
        "gdp_10k_cny": gdp,
        "energy_tce": ratio * d0,
        "electricity_kwh": electricity,
        "pv_kwh": base.pv_generation_kwh + pv_added,
        "fuel_tce": fuel,
        "grid_factor_tco2_per_kwh": grid,
        "tco2": co2,
        "tco2_per_10k_cny": co2 / gdp,
    }
    return {name: np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
            for name, v in out.items()}


def _rates(params: ScenarioParams) -> dict[str, _FloatArray | float]:
    """The scenario's numeric parameters by name."""
    return {f.name: float(getattr(params, f.name)) for f in fields(params) if f.name != "name"}


def _years(base: BaseYear, end_year: int) -> npt.NDArray[np.int64]:
    """Projection years ``base.year .. end_year``."""
    if end_year < base.year:
        msg = f"end_year {end_year} is before the base year {base.year}"
        raise ValueError(msg)
    return np.arange(base.year, end_year + 1, dtype=np.int64)


def project(base: BaseYear, params: ScenarioParams, *, end_year: int = 2035) -> pd.DataFrame:
    """Yearly projection from the base year to ``end_year`` (inclusive).

    Parameters
    ----------
    base
        The base year.
    params
        The scenario.
    end_year
        Last projected year, ≥ ``base.year``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``, columns :data:`PROJECTION_COLUMNS`: ``gdp_10k_cny`` [10^4 CNY],
        ``energy_tce`` (final energy, equivalent value) [tce], ``electricity_kwh`` (demand
        incl. PV used on site) [kWh], ``pv_kwh`` (PV generation) [kWh], ``fuel_tce`` [tce],
        ``grid_factor_tco2_per_kwh`` [tCO2/kWh], ``tco2`` [tCO2], ``tco2_per_10k_cny``
        [tCO2/10^4 CNY]. The first row reproduces the base year.

    Raises
    ------
    ValueError
        If ``end_year`` is before the base year.

    Examples
    --------
    >>> b = BaseYear(2020, 1.0e6, 1.0e8, 2.0e4, 0.0005, 2.0)
    >>> p = ScenarioParams("flat", 0.0, 0.0, 0.0, 0.0)
    >>> project(b, p, end_year=2022)["tco2"].tolist()
    [90000.0, 90000.0, 90000.0]
    """
    years = _years(base, end_year)
    paths = _trajectory(base, _rates(params), (years - base.year).astype(np.float64))
    return pd.DataFrame({name: paths[name][0] for name in PROJECTION_COLUMNS},
                        index=pd.Index(years, name="year"))


def default_scenarios(base: BaseYear) -> dict[str, ScenarioParams]:
    """Illustrative scenarios ``bau``, ``plan`` and ``enhanced`` for ``base``.

    These are **illustrative defaults** for a first look; replace them with the district's own
    parameters (its plan's targets, its grid's outlook, its PV and retrofit programmes).

    ================================  =========  ==============  =============
    parameter                         ``bau``    ``plan``        ``enhanced``
    ================================  =========  ==============  =============
    gdp_growth                        0.05       0.05            0.05
    intensity_decline                 0.02       0.0286 [1]_     0.04
    grid_factor_decline               0.01       0.03            0.05
    electrification                   0.003      0.005           0.008
    PV added per year [2]_            0.1 %      0.5 %           1 %
    retrofit savings per year [3]_    0          0.2 %           0.5 %
    ================================  =========  ==============  =============

    Parameters
    ----------
    base
        The base year; PV and retrofit programmes are sized on it.

    Returns
    -------
    dict of str to ScenarioParams
        Keys ``bau`` (recent trend: intensity −2 %/a, slow grid decarbonisation), ``plan``
        (the 14th-FYP-style −13.5 % energy per GDP in five years plus grid decarbonisation),
        ``enhanced`` (stronger on every lever). PV yield 1000 kWh/kWp in all three.

    References
    ----------
    .. [1] :data:`PLAN_INTENSITY_DECLINE` ``= 1 − (1 − 0.135)^(1/5) ≈ 0.0286``.
    .. [2] kWp per year whose generation equals this share of the base year's electricity
       demand (purchased + PV), at 1000 kWh/kWp.
    .. [3] tce per year equal to this share of the base year's final energy; cumulative.
    """
    elec_kwh = base.electricity_kwh + base.pv_generation_kwh
    yield_kwh_per_kwp = 1000.0

    def make(name: str, d: float, gamma: float, e: float, pv_share: float,
             retrofit_share: float) -> ScenarioParams:
        return ScenarioParams(
            name=name, gdp_growth=0.05, intensity_decline=d, grid_factor_decline=gamma,
            electrification=e, pv_added_kwp_per_year=pv_share * elec_kwh / yield_kwh_per_kwp,
            pv_yield_kwh_per_kwp=yield_kwh_per_kwp,
            retrofit_savings_tce_per_year=retrofit_share * base.energy_tce)

    return {
        "bau": make("bau", 0.02, 0.01, 0.003, 0.001, 0.0),
        "plan": make("plan", PLAN_INTENSITY_DECLINE, 0.03, 0.005, 0.005, 0.002),
        "enhanced": make("enhanced", 0.04, 0.05, 0.008, 0.01, 0.005),
    }


def peak_of(years: npt.ArrayLike, tco2: npt.ArrayLike) -> PeakResult:
    """The first year of the maximum of ``tco2``.

    Parameters
    ----------
    years
        Years, ascending.
    tco2
        Emissions in those years [tCO2], finite.

    Returns
    -------
    PeakResult
        ``peaked_within_horizon`` is False when the maximum is in the last year.

    Raises
    ------
    ValueError
        On empty or unequal-length inputs, non-finite emissions or years not ascending.

    Examples
    --------
    >>> peak_of([2020, 2021, 2022], [1.0, 3.0, 2.0])
    PeakResult(peak_year=2021, peak_tco2=3.0, peaked_within_horizon=True)
    """
    y = np.asarray(years, dtype=np.int64)
    c = np.asarray(tco2, dtype=np.float64)
    if y.ndim != 1 or y.shape != c.shape or y.size == 0:
        msg = "peak_of: years and tco2 must be non-empty 1-D sequences of equal length"
        raise ValueError(msg)
    if not np.isfinite(c).all():
        msg = "peak_of: tco2 must be finite"
        raise ValueError(msg)
    if np.any(np.diff(y) <= 0):
        msg = "peak_of: years must be strictly ascending"
        raise ValueError(msg)
    i = int(np.argmax(c))
    return PeakResult(peak_year=int(y[i]), peak_tco2=float(c[i]),
                      peaked_within_horizon=i < y.size - 1)


def monte_carlo(base: BaseYear, params: ScenarioParams, uncertainty: Uncertainty, *,
                n: int = 10_000, seed: int = 0, end_year: int = 2035,
                deadline_year: int = 2030,
                history_peak: tuple[int, float] | None = None) -> MonteCarloResult:
    """Peak distribution under triangular uncertainty of the scenario parameters.

    Parameters
    ----------
    base
        The base year.
    params
        The scenario; parameters without a distribution in ``uncertainty`` stay fixed.
    uncertainty
        ``(low, mode, high)`` per uncertain parameter.
    n
        Number of draws, ≥ 1.
    seed
        Seed of :func:`numpy.random.default_rng` (via one spawned stream per parameter); the
        same seed gives the same result.
    end_year
        Last projected year.
    deadline_year
        Peaking deadline (2030年前达峰: peak year ≤ 2030).
    history_peak
        ``(year, tCO2)`` of the highest year before the base year, if any: a draw whose
        projected maximum does not exceed it peaks in that year (as the scenario's own peak
        and the C40 test read the history).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    ValueError
        If ``n < 1`` or ``end_year`` is before the base year.

    Notes
    -----
    All draws are projected at once as arrays shaped ``(n, years)``.
    """
    if n < 1:
        msg = f"monte_carlo: n must be ≥ 1, got {n}"
        raise ValueError(msg)
    years = _years(base, end_year)
    t = (years - base.year).astype(np.float64)
    streams = np.random.SeedSequence(seed).spawn(len(_UNCERTAIN))
    rates: dict[str, _FloatArray | float] = dict(_rates(params))
    for name, stream in zip(_UNCERTAIN, streams, strict=True):
        spec = getattr(uncertainty, name)
        if spec is None:
            continue
        low, mode, high = (float(v) for v in spec)
        if low == high:
            rates[name] = np.full((n, 1), low)
        else:
            rates[name] = np.random.default_rng(stream).triangular(low, mode, high,
                                                                   size=(n, 1))
    co2 = np.broadcast_to(_trajectory(base, rates, t)["tco2"], (n, years.size))
    first_max = np.argmax(co2, axis=1)
    peak_years = years[first_max]
    peak_tco2 = co2.max(axis=1)
    peaked = first_max < years.size - 1
    if history_peak is not None:
        before = peak_tco2 <= float(history_peak[1])
        peak_years = np.where(before, int(history_peak[0]), peak_years)
        peak_tco2 = np.where(before, float(history_peak[1]), peak_tco2)
        peaked = peaked | before
    by_deadline = peaked & (peak_years <= deadline_year)
    q = [5.0, 50.0, 95.0]
    year_pct = np.percentile(peak_years, q, method="inverted_cdf")
    tco2_pct = np.percentile(peak_tco2, q)
    bands = pd.DataFrame(np.percentile(co2, q, axis=0).T, index=pd.Index(years, name="year"),
                         columns=["p5", "p50", "p95"])
    return MonteCarloResult(
        n=n, seed=seed, deadline_year=deadline_year, end_year=end_year,
        peak_year_p5=int(year_pct[0]), peak_year_p50=int(year_pct[1]),
        peak_year_p95=int(year_pct[2]), peak_tco2_p5=float(tco2_pct[0]),
        peak_tco2_p50=float(tco2_pct[1]), peak_tco2_p95=float(tco2_pct[2]),
        share_peaked_by_deadline=float(by_deadline.mean()),
        share_peaked_within_horizon=float(peaked.mean()), bands=bands)


def min_intensity_decline(base: BaseYear, params: ScenarioParams, *, deadline_year: int = 2030,
                          end_year: int = 2035, tol: float = 1e-5) -> float | None:
    """Smallest yearly intensity decline that makes CO2 peak by ``deadline_year``.

    All other parameters stay at ``params``. A decline ``d`` *suffices* when the projection's
    first maximum is in a year ≤ ``deadline_year`` (2030年前达峰 read as peak year ≤ 2030);
    since ``deadline_year < end_year`` the CO2 is then lower in every later year of the horizon.

    Parameters
    ----------
    base, params
        The base year and the scenario.
    deadline_year
        Peaking deadline; ``base.year ≤ deadline_year < end_year``.
    end_year
        Last projected year.
    tol
        Width of the final bisection interval [fraction/a].

    Returns
    -------
    float or None
        The smallest sufficient decline found by bisection on [−0.2, 0.5], within ``tol`` above
        the exact threshold; ``None`` when even 0.5 (−50 %/a) does not suffice. 0.0 or a
        negative value is a valid answer: the district peaks in time even with constant (or
        rising) energy per GDP. −0.2 means "−0.2 or less".

    Raises
    ------
    ValueError
        If the years are out of order or ``tol`` is not positive.

    Notes
    -----
    The bisection assumes a larger decline never delays the peak. This holds exactly without
    PV and retrofit savings (CO2 is then ``((1 + g)(1 − d))^t`` times a sequence independent
    of ``d``); with them it holds in practice.
    """
    if not base.year <= deadline_year < end_year:
        msg = (f"min_intensity_decline: need base year {base.year} ≤ deadline_year "
               f"{deadline_year} < end_year {end_year}")
        raise ValueError(msg)
    if not tol > 0:
        msg = f"min_intensity_decline: tol must be > 0, got {tol!r}"
        raise ValueError(msg)
    years = _years(base, end_year)
    t = (years - base.year).astype(np.float64)
    rates = _rates(params)

    def suffices(d: float) -> bool:
        co2 = _trajectory(base, {**rates, "intensity_decline": d}, t)["tco2"][0]
        result = peak_of(years, co2)
        return result.peaked_within_horizon and result.peak_year <= deadline_year

    lo, hi = _INTENSITY_BRACKET
    if suffices(lo):
        return lo
    if not suffices(hi):
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if suffices(mid):
            hi = mid
        else:
            lo = mid
    return hi


def c40_peak_test(years: npt.ArrayLike, tco2: npt.ArrayLike, *,
                  current_year: int) -> C40Result:
    """Has the district peaked by the C40 definition (C40 达峰判定)?

    Criteria, after C40 Cities' definition of a city whose emissions have peaked (Deadline 2020,
    2016; announcements of peaked cities, 2018-2019):

    ``min_years``
        At least 3 years of inventory data.
    ``peak_age``
        The peak is at least 5 years before the latest year of data.
    ``data_recency``
        The latest data is no older than 5 years before ``current_year``.
    ``below_peak``
        The latest emissions are more than 10 % below the peak.

    Parameters
    ----------
    years
        Inventory years (any order, no repeats; gaps allowed).
    tco2
        Emissions in those years [tCO2], finite and ≥ 0.
    current_year
        The year the test is made; not before the latest data year.

    Returns
    -------
    C40Result
        ``insufficient_data`` with fewer than 3 years, ``peaked`` when every criterion passes,
        ``not_peaked`` otherwise. The criteria are reported in every case.

    Raises
    ------
    ValueError
        On unequal lengths, repeated years, non-finite or negative emissions, or data after
        ``current_year``.

    Examples
    --------
    >>> r = c40_peak_test([2010, 2012, 2015, 2018], [100, 120, 110, 100], current_year=2020)
    >>> r.status, [c[1] for c in r.criteria]
    ('peaked', [True, True, True, True])
    """
    y = np.asarray(years, dtype=np.int64).ravel()
    c = np.asarray(tco2, dtype=np.float64).ravel()
    if y.shape != c.shape:
        msg = "c40_peak_test: years and tco2 must have equal length"
        raise ValueError(msg)
    if np.unique(y).size != y.size:
        msg = "c40_peak_test: repeated years"
        raise ValueError(msg)
    if not (np.isfinite(c).all() and (c >= 0).all()):
        msg = "c40_peak_test: tco2 must be finite and ≥ 0"
        raise ValueError(msg)
    if y.size and int(y.max()) > current_year:
        msg = f"c40_peak_test: data for {int(y.max())} is after current_year {current_year}"
        raise ValueError(msg)
    order = np.argsort(y)
    y, c = y[order], c[order]
    count = int(y.size)
    criteria = [("min_years", count >= 3,
                 f"at least 3 years of inventory data (have {count})",
                 f"至少3年的排放清单数据（现有{count}年）")]
    if count == 0:
        criteria += [
            ("peak_age", False, "peak at least 5 years before the latest data (no data)",
             "峰值年份早于最新数据年份至少5年（无数据）"),
            ("data_recency", False, "latest data no older than 5 years (no data)",
             "最新数据不早于5年前（无数据）"),
            ("below_peak", False, "latest emissions more than 10 % below the peak (no data)",
             "最新排放量比峰值低10%以上（无数据）"),
        ]
        return C40Result(C40.INSUFFICIENT_DATA, None, None, None, None, None, tuple(criteria))
    i = int(np.argmax(c))
    peak_year, peak_tco2 = int(y[i]), float(c[i])
    latest_year, latest_tco2 = int(y[-1]), float(c[-1])
    below = (peak_tco2 - latest_tco2) / peak_tco2 if peak_tco2 > 0 else 0.0
    age = latest_year - peak_year
    stale = current_year - latest_year
    criteria += [
        ("peak_age", age >= 5,
         f"peak ({peak_year}) at least 5 years before the latest data ({latest_year}): "
         f"{age} years",
         f"峰值年份（{peak_year}年）早于最新数据年份（{latest_year}年）至少5年：相差{age}年"),
        ("data_recency", stale <= 5,
         f"latest data ({latest_year}) no older than 5 years before {current_year}: "
         f"{stale} years",
         f"最新数据（{latest_year}年）不早于{current_year}年前5年：相差{stale}年"),
        ("below_peak", below > 0.10,
         f"latest emissions more than 10 % below the peak: {below:.1%} below",
         f"最新排放量比峰值低10%以上：低{below:.1%}"),
    ]
    status: C40Status
    if count < 3:
        status = C40.INSUFFICIENT_DATA
    elif all(passed for _, passed, _, _ in criteria):
        status = C40.PEAKED
    else:
        status = C40.NOT_PEAKED
    return C40Result(status, peak_year, peak_tco2, latest_year, latest_tco2, below,
                     tuple(criteria))
