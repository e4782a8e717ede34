"""M&V engine (carbonpeak.domain.mv): hand-worked fits, savings, metrics, sufficiency, batching."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from carbonpeak.domain.mv import (
    DEFAULT_BALANCE_POINTS_C,
    BaselineModel,
    BaselineSufficiency,
    MvOptions,
    baseline_sufficiency,
    cv_rmse,
    fit_baseline,
    fractional_savings_uncertainty,
    measure_savings,
    nmbe,
    student_t_cdf,
    student_t_ppf,
)

DAYS = np.arange("2023-01-01", "2025-01-01", dtype="datetime64[D]")  # 365 + 366 days
BASE = slice(0, 365)  # 2023: the baseline when the intervention is 2024-01-01
INTERVENTION = "2024-01-01"


def temperature(seed: int | None = None, n: int = DAYS.size) -> np.ndarray:
    """A Guangzhou-like year, 4 … 28 °C, plus optional day-to-day noise [°C]."""
    d = np.arange(n)
    t = 16.0 - 12.0 * np.cos(2 * np.pi * (d - 15) / 365.0)
    if seed is not None:
        t = t + np.random.default_rng(seed).normal(0.0, 2.5, n)
    return np.asarray(t, dtype=np.float64)


def hdd(t: np.ndarray, h: float | np.ndarray) -> np.ndarray:
    return np.maximum(h - t, 0.0)


def cdd(t: np.ndarray, c: float | np.ndarray) -> np.ndarray:
    return np.maximum(t - c, 0.0)


def num(x: float | None) -> float:
    """The value of an optional model field that must be present."""
    assert x is not None
    return x


# --- Student t ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("q", "df", "expected"), [
    (0.95, 10, 1.8124611228107335),     # t-tables: 1.812
    (0.975, 10, 2.2281388519649385),    # 2.228
    (0.95, math.inf, 1.6448536269514722),  # the normal quantile z(0.95)
    (0.84, math.inf, 0.9944578832097497),  # z(0.84), used for the 68 % interval
    (0.975, 1, 12.706204736174698),     # Cauchy: tan(π · 0.475)
    (0.95, 2, 2.919985580355516),       # ν = 2: (2q − 1) / sqrt(2q(1 − q)) = 0.9 / sqrt(0.095)
    (0.995, 5, 4.032142983557536),      # 4.032
    (0.9, 30, 1.3104150253913950),      # 1.310
    (0.975, 120, 1.9799304050824413),   # 1.980
    (0.75, 1, 1.0),                     # tan(π/4)
    (0.5, 7, 0.0),
    (0.05, 10, -1.8124611228107335),    # symmetry
], ids=lambda v: str(v))
def test_student_t_ppf_matches_tables(q: float, df: float, expected: float) -> None:
    assert student_t_ppf(q, df) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_student_t_closed_forms_and_arrays() -> None:
    qs = np.array([0.6, 0.8, 0.9, 0.99, 0.9999])
    # ν = 1 (Cauchy): t = tan(π(q − ½)); ν = 2: t = (2q − 1) / sqrt(2q(1 − q))
    np.testing.assert_allclose(student_t_ppf(qs, 1), np.tan(np.pi * (qs - 0.5)), rtol=1e-10)
    np.testing.assert_allclose(student_t_ppf(qs, 2), (2 * qs - 1) / np.sqrt(2 * qs * (1 - qs)),
                               rtol=1e-10)
    out = student_t_ppf(np.array([0.95, 0.95]), np.array([10.0, np.inf]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [1.8124611228107335, 1.6448536269514722], rtol=1e-10)
    assert math.isnan(student_t_ppf(0.9, math.nan))
    assert student_t_cdf(0.0, 3) == 0.5
    assert student_t_cdf(math.inf, 3) == 1.0
    assert student_t_cdf(-1.8124611228107335, 10) == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize(("q", "df"), [(0.0, 5), (1.0, 5), (0.5, 0.0), (0.9, -1.0)])
def test_student_t_rejects_bad_inputs(q: float, df: float) -> None:
    with pytest.raises(ValueError, match="Student t|probabilities"):
        student_t_ppf(q, df)


@settings(max_examples=200, deadline=None)
@given(q=st.floats(0.001, 0.999), df=st.floats(0.5, 5000.0))
# found by CI against the earlier hand-written CDF: off by 2.1e-11 near the median
@example(q=0.49925873090160844, df=1331.0)
def test_student_t_cdf_inverts_ppf(q: float, df: float) -> None:
    assert student_t_cdf(student_t_ppf(q, df), df) == pytest.approx(q, abs=1e-11)


# --- G14 metrics by hand -----------------------------------------------------------------------

def test_cv_rmse_and_nmbe_by_hand() -> None:
    # y = 10, 12, 14, 16 (ȳ = 13); ŷ = 11, 11, 15, 15: residuals −1, 1, −1, 1, SSE = 4
    # p = 2: CV(RMSE) = sqrt(4 / (4 − 2)) / 13 = 1.4142135623730951 / 13 = 0.10878565864408424
    assert cv_rmse([10, 12, 14, 16], [11, 11, 15, 15], n_parameters=2) == pytest.approx(
        0.10878565864408424, rel=1e-12)
    # ŷ = 9, 12, 14, 15: residuals 1, 0, 0, 1 → NMBE = 2 / ((4 − 2) · 13) = 1/13
    assert nmbe([10, 12, 14, 16], [9, 12, 14, 15], n_parameters=2) == pytest.approx(1 / 13)
    # NaN pairs are dropped: the same as the four finite pairs
    assert nmbe([10, 12, np.nan, 14, 16], [9, 12, 3.0, 14, 15], n_parameters=2) == pytest.approx(
        1 / 13)
    with pytest.raises(ValueError, match="n_parameters"):
        cv_rmse([1, 2], [1, 2], n_parameters=2)
    with pytest.raises(ValueError, match="same length"):
        nmbe([1, 2, 3], [1, 2], n_parameters=1)


def test_fractional_savings_uncertainty_by_hand() -> None:
    # CV = 0.1, F = 0.1, n = m = 365, p = 3, ρ = 0, 90 %: t(0.95, 362) = 1.6490737923400725
    # FSU = 1.26 · 1.64907 · 0.1 · sqrt((1 + 2/365) / 365) / 0.1
    #     = 2.0778329783484913 · sqrt(0.0027547382248076564) = 2.07783 · 0.052485 = 0.109056
    t = student_t_ppf(0.95, 362)
    assert t == pytest.approx(1.6490737923400725, rel=1e-10)
    expected = 1.26 * t * 0.1 * math.sqrt((1 + 2 / 365) / 365) / 0.1
    assert expected == pytest.approx(0.10905631091377199, rel=1e-12)
    got = fractional_savings_uncertainty(cv_rmse=0.1, fractional_savings=0.1, n_baseline=365,
                                         n_reporting=365, n_parameters=3, confidence=0.90)
    assert got == pytest.approx(expected, rel=1e-12)
    # ρ = 0.5: n' = 365 · 0.5 / 1.5 = 121.667; df = round(121.667 − 3) = 119
    # FSU = 1.26 · t(0.95, 119) · 0.1 · sqrt((365 / 121.667) · (1 + 2/121.667) / 365) / 0.1
    n_eff = 365 * 0.5 / 1.5
    expected_rho = (1.26 * student_t_ppf(0.95, 119) * 0.1
                    * math.sqrt((365 / n_eff) * (1 + 2 / n_eff) / 365) / 0.1)
    got_rho = fractional_savings_uncertainty(
        cv_rmse=0.1, fractional_savings=0.1, n_baseline=365, n_reporting=365, n_parameters=3,
        autocorrelation=0.5, confidence=0.90)
    assert got_rho == pytest.approx(expected_rho, rel=1e-12)
    assert got_rho > got  # autocorrelation means fewer independent points, more uncertainty
    # 68 % is narrower than 90 %; halving the savings doubles the fraction; F = 0 → NaN
    assert fractional_savings_uncertainty(cv_rmse=0.1, fractional_savings=0.1, n_baseline=365,
                                          n_reporting=365, n_parameters=3) < got
    half = fractional_savings_uncertainty(cv_rmse=0.1, fractional_savings=-0.05, n_baseline=365,
                                          n_reporting=365, n_parameters=3, confidence=0.9)
    assert half == pytest.approx(2 * got, rel=1e-12)
    assert math.isnan(fractional_savings_uncertainty(
        cv_rmse=0.1, fractional_savings=0.0, n_baseline=365, n_reporting=365, n_parameters=3))
    with pytest.raises(ValueError, match="confidence"):
        fractional_savings_uncertainty(cv_rmse=0.1, fractional_savings=0.1, n_baseline=10,
                                       n_reporting=10, n_parameters=1, confidence=1.0)


TINY = MvOptions(heating_balance_points_c=(12.0,), fit_cooling=False, min_nonzero_degree_days=2,
                 min_total_degree_days_c=1.0)
TINY_T = np.array([5.0, 7.0, 9.0, 11.0, 13.0, 15.0])  # HDD(12) = 7, 5, 3, 1, 0, 0


def test_tiny_heating_fit_by_hand() -> None:
    # y = 10 + 3·HDD + e, e = +1, −1, 0, 0, +1, −1 → y = 32, 24, 19, 13, 11, 9
    # x = HDD: x̄ = 16/6 = 2.6667, ȳ = 108/6 = 18
    # Sxx = 84 − 6·2.6667² = 41.3333;  Sxy = 414 − 6·2.6667·18 = 126
    # β = 126 / 41.3333 = 3.0483871;  μ = 18 − β·2.6667 = 9.8709677
    # SST = 196+36+1+25+49+81 = 388;  SSE = 388 − β·Sxy = 388 − 384.0967742 = 3.9032258
    # G14 p = 3 (μ, β, balance point): RMSE = sqrt(3.9032258 / 3) = 1.1406477, CV = RMSE/18
    # R² = 1 − 3.9032258/388;  adjusted (CalTRACK df n − 2): 1 − (3.9032258/4)/(388/5)
    # t = β / sqrt(SSE/4 / Sxx) = 3.0483871 / 0.1536491 = 19.84
    y = np.array([32.0, 24.0, 19.0, 13.0, 11.0, 9.0])
    fits = fit_baseline(y, TINY_T, options=TINY)
    m = fits.model(0)
    assert m.model_type == "heating"
    assert m.heating_balance_point_c == 12.0
    assert m.heating_slope_kwh_per_degc_day == pytest.approx(126 / (124 / 3), rel=1e-12)
    assert m.intercept_kwh_per_day == pytest.approx(9.870967741935484, rel=1e-12)
    assert m.r_squared == pytest.approx(1 - 3.903225806451613 / 388, rel=1e-10)
    assert m.adj_r_squared == pytest.approx(1 - (3.903225806451613 / 4) / (388 / 5), rel=1e-10)
    assert m.n_parameters == 3
    assert m.rmse_kwh_per_day == pytest.approx(math.sqrt(3.903225806451613 / 3), rel=1e-10)
    assert m.cv_rmse == pytest.approx(math.sqrt(3.903225806451613 / 3) / 18, rel=1e-10)
    assert m.nmbe == pytest.approx(0.0, abs=1e-14)  # OLS with an intercept: residuals sum to 0
    t = (126 / (124 / 3)) / math.sqrt(3.903225806451613 / 4 / (124 / 3))
    assert t == pytest.approx(19.84, abs=0.01)
    assert m.heating_p_value == pytest.approx(2 * student_t_cdf(-t, 4), rel=1e-8)
    assert num(m.heating_p_value) < 1e-4
    assert m.cooling_balance_point_c is None
    assert m.cooling_slope_kwh_per_degc_day is None
    # the metric functions agree with the model's statistics
    assert cv_rmse(y, m.predict(TINY_T), n_parameters=3) == pytest.approx(m.cv_rmse)


def test_p_value_screen_on_a_weak_slope() -> None:
    # y = 12, 11, 13, 9, 11, 9 on the same HDD: ȳ = 65/6, Sxy = 187 − 16·65/6 = 13.6667
    # β = 13.6667/41.3333 = 0.330645; SSE = 12.8333 − β·13.6667 = 8.314516
    # t = 0.330645 / sqrt(8.314516/4/41.3333) = 1.4744 → p = 0.21 (df 4): not significant,
    # but adjusted R² = 1 − (8.314516/4)/(12.8333/5) = 0.1901 > 0 (t² > 1)
    y = np.array([12.0, 11.0, 13.0, 9.0, 11.0, 9.0])
    screened = fit_baseline(y, TINY_T, options=TINY).model(0)
    assert screened.model_type == "intercept_only"
    assert screened.intercept_kwh_per_day == pytest.approx(65 / 6)
    assert screened.adj_r_squared == 0.0  # by definition (CalTRACK 3.4.3.1.4)
    caltrack2 = MvOptions(heating_balance_points_c=(12.0,), fit_cooling=False,
                          min_nonzero_degree_days=2, min_total_degree_days_c=1.0,
                          max_p_value=None)
    m = fit_baseline(y, TINY_T, options=caltrack2).model(0)
    assert m.model_type == "heating"
    assert m.adj_r_squared == pytest.approx(0.19014453288646, rel=1e-9)
    assert m.heating_p_value == pytest.approx(0.214, abs=0.001)


# --- exact synthetic models -------------------------------------------------------------------

@pytest.mark.parametrize(("usage", "kind", "h", "c", "bh", "bc", "mu"), [
    (lambda t: 100 + 5 * hdd(t, 15), "heating", 15.0, None, 5.0, None, 100.0),
    (lambda t: 80 + 4 * cdd(t, 22), "cooling", None, 22.0, None, 4.0, 80.0),
    (lambda t: 100 + 5 * hdd(t, 12) + 3 * cdd(t, 24), "heating_cooling", 12.0, 24.0, 5.0, 3.0,
     100.0),
    (lambda t: 100 + 0 * t, "intercept_only", None, None, None, None, 100.0),
], ids=["heating", "cooling", "heating_cooling", "flat"])
def test_exact_model_is_recovered(usage: Callable[[np.ndarray], np.ndarray], kind: str,
                                  h: float | None, c: float | None, bh: float | None,
                                  bc: float | None, mu: float) -> None:
    t = temperature(seed=3)[BASE]
    m = fit_baseline(usage(t), t).model(0)
    assert m.model_type == kind
    assert m.heating_balance_point_c == h
    assert m.cooling_balance_point_c == c
    for got, want in ((m.heating_slope_kwh_per_degc_day, bh),
                      (m.cooling_slope_kwh_per_degc_day, bc)):
        assert got is None if want is None else got == pytest.approx(want, rel=1e-9)
    assert m.intercept_kwh_per_day == pytest.approx(mu, rel=1e-9)
    assert m.cv_rmse == pytest.approx(0.0, abs=1e-9)
    assert m.n_days == 365
    assert m.meets_g14


def test_ten_percent_cut_gives_ten_percent_savings() -> None:
    t = temperature(seed=4)
    use = 100 + 5 * hdd(t, 15) + 2 * cdd(t, 25)
    use[365:] *= 0.9
    r = measure_savings(use, t, DAYS, intervention_date=INTERVENTION)[0]
    assert r.sufficiency.passed
    predicted = (100 + 5 * hdd(t, 15) + 2 * cdd(t, 25))[365:]
    # savings = Σ (predicted − 0.9·predicted) = 0.1 · Σ predicted over the 366 reporting days
    assert r.n_reporting_days == 366
    assert r.adjusted_baseline_kwh == pytest.approx(predicted.sum(), rel=1e-9)
    assert r.savings_kwh == pytest.approx(0.1 * predicted.sum(), rel=1e-9)
    assert r.fractional_savings == pytest.approx(0.1, rel=1e-9)
    assert r.savings_kwh == pytest.approx(r.adjusted_baseline_kwh - r.reporting_kwh, rel=1e-12)
    assert (r.reporting_start, r.reporting_end) == ("2024-01-01", "2024-12-31")
    # a perfect baseline has no uncertainty
    assert r.fsu_68 == pytest.approx(0.0, abs=1e-6)
    assert r.meets_g14


def test_noisy_meter_savings_and_uncertainty() -> None:
    rng = np.random.default_rng(7)
    t = temperature(seed=5)
    use = 300 + 8 * hdd(t, 14) + 6 * cdd(t, 24) + rng.normal(0, 15, DAYS.size)
    use[365:] -= 30  # 30 kWh/day less, about 8.6 % of the reporting-period use
    r = measure_savings(use, t, DAYS, intervention_date=INTERVENTION)[0]
    m = r.model
    assert m is not None
    assert m.model_type == "heating_cooling"
    assert abs(num(m.heating_balance_point_c) - 14) <= 1
    assert abs(num(m.cooling_balance_point_c) - 24) <= 1
    assert r.savings_kwh == pytest.approx(30 * 366, rel=0.1)
    # G14: the 68 % and 90 % intervals, in kWh, are fsu · |savings|
    assert 0 < r.fsu_68 < r.fsu_90 < 0.5
    assert r.savings_uncertainty_68_kwh == pytest.approx(r.fsu_68 * r.savings_kwh)
    assert m.cv_rmse == pytest.approx(15 / m.mean_kwh_per_day, rel=0.15)
    assert num(m.heating_p_value) < 0.1
    assert num(m.cooling_p_value) < 0.1
    assert -0.3 < m.autocorrelation < 0.3


def test_gas_fits_no_cooling_models() -> None:
    t = temperature(seed=6)[BASE]
    use = 100 + 5 * hdd(t, 15) + 4 * cdd(t, 22)
    m = fit_baseline(use, t, options=MvOptions(fit_cooling=False)).model(0)
    assert m.model_type == "heating"


def test_disabled_terms_and_temperature_per_building() -> None:
    # three buildings, each with its own temperature (shifted by 0, +1, −1 °C)
    t = temperature(seed=10)
    temps = np.stack([t, t + 1.0, t - 1.0])
    use = 100 + 3 * hdd(temps, 14) + 5 * cdd(temps, 22)
    both_terms = measure_savings(use, temps, DAYS, intervention_date=INTERVENTION)
    assert [(r.model.model_type, r.model.heating_balance_point_c,
             r.model.cooling_balance_point_c) for r in both_terms if r.model] == [
        ("heating_cooling", 14.0, 22.0)] * 3
    cooling = fit_baseline(use[:, BASE], temps[:, BASE], options=MvOptions(fit_heating=False))
    assert {cooling.model(i).model_type for i in range(3)} == {"cooling"}
    none = fit_baseline(use[:, BASE], temps[:, BASE],
                        options=MvOptions(fit_heating=False, fit_cooling=False))
    assert {none.model(i).model_type for i in range(3)} == {"intercept_only"}


# --- vectorised = per building; temperature per building; NaN --------------------------------

def random_panel(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = temperature(seed=seed)
    base = rng.uniform(50, 500, (n, 1))
    use: np.ndarray = (base + rng.uniform(0, 8, (n, 1)) * hdd(t, rng.uniform(10, 18, (n, 1)))
                       + rng.uniform(0, 8, (n, 1)) * cdd(t, rng.uniform(20, 27, (n, 1))))
    use = use * rng.choice([0, 1], (n, 1)) + base  # some flat meters
    use = use + rng.normal(0, 1, use.shape) * rng.uniform(0.01, 0.2, (n, 1)) * base
    use[rng.random(use.shape) < 0.03] = np.nan
    return use, t


def assert_same_model(a: BaselineModel, b: BaselineModel) -> None:
    """Same model and balance points; numbers equal up to the summation order of BLAS."""
    da, db = a.to_dict(), b.to_dict()
    for key, va in da.items():
        vb = db[key]
        if isinstance(va, float) and isinstance(vb, float):
            assert va == pytest.approx(vb, rel=1e-9, abs=1e-12), key
        else:
            assert va == vb, key


def test_batched_fit_equals_per_building_fit() -> None:
    use, t = random_panel(24, seed=11)
    y = use[:, BASE]
    batch = fit_baseline(y, t[BASE])
    types = set()
    for i in range(y.shape[0]):
        one = fit_baseline(y[i], t[BASE]).model(0)
        assert_same_model(batch.model(i), one)
        types.add(one.model_type)
    assert types == {"intercept_only", "heating", "cooling", "heating_cooling"}
    # one temperature row per building gives the same fits
    per_building = fit_baseline(y, np.broadcast_to(t[BASE], y.shape))
    for i in range(y.shape[0]):
        assert_same_model(per_building.model(i), batch.model(i))


def test_chunking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    use, t = random_panel(10, seed=12)
    whole = fit_baseline(use[:, BASE], t[BASE])
    monkeypatch.setattr("carbonpeak.domain.mv._CHUNK_CELLS", 1)  # one building per chunk
    chunked = fit_baseline(use[:, BASE], t[BASE])
    for i in range(10):
        assert_same_model(chunked.model(i), whole.model(i))


def test_missing_days_are_left_out_of_fit_and_savings() -> None:
    t = temperature(seed=8)
    clean = 100 + 5 * hdd(t, 15)
    use = clean.copy()
    use[365:] *= 0.9
    use[[3, 50, 51, 200, 400, 401, 700]] = np.nan
    temp = t.copy()
    temp[[10, 420, 421]] = np.nan  # a day without temperature counts for neither
    r = measure_savings(use, temp, DAYS, intervention_date=INTERVENTION)[0]
    assert r.model is not None
    assert r.model.n_days == 365 - 4 - 1
    assert r.sufficiency.n_valid_days == 360
    reporting = np.isfinite(use[365:]) & np.isfinite(temp[365:])
    assert r.n_reporting_days == reporting.sum() == 366 - 5
    assert r.adjusted_baseline_kwh == pytest.approx(clean[365:][reporting].sum(), rel=1e-9)
    assert r.fractional_savings == pytest.approx(0.1, rel=1e-9)
    assert not r.warnings


# --- data sufficiency ---------------------------------------------------------------------------

def with_gaps(days_missing: list[int] | np.ndarray) -> np.ndarray:
    use = 100 + 5 * hdd(temperature(), 15)
    use[np.asarray(days_missing, dtype=int)] = np.nan
    return use


def check(use: np.ndarray, temp: np.ndarray | None = None,
          options: MvOptions | None = None) -> BaselineSufficiency:
    return baseline_sufficiency(use, temperature() if temp is None else temp, DAYS,
                                intervention_date=INTERVENTION, options=options)[0]


def codes(s: BaselineSufficiency) -> list[str]:
    return [i.code for i in s.reasons]


def test_sufficiency_passes_and_reports_the_window() -> None:
    s = check(with_gaps([]))
    assert s.passed
    assert (s.baseline_start, s.baseline_end) == ("2023-01-01", "2023-12-31")
    assert (s.n_days, s.n_valid_days, s.n_missing_days, s.n_days_not_covered) == (365, 365, 0, 0)
    assert s.lowest_month_coverage == 1.0
    assert s.to_dict()["reasons"] == []


def test_sufficiency_allows_37_missing_days_not_38() -> None:
    # CalTRACK 2.2.1.2: at most 37 days (10 %) missing; spread one every ~9 days so that
    # no calendar month loses half its days
    assert check(with_gaps(np.arange(0, 365, 9)[:37])).passed  # 37 missing
    s = check(with_gaps(np.arange(0, 365, 9)[:38]))
    assert codes(s) == ["mv.baseline.too_many_missing_days"]
    assert s.n_missing_days == 38
    assert s.reasons[0].data["max_missing_days"] == 37
    assert "38 of 365" in s.reasons[0].message
    assert s.reasons[0].text("zh") == ("基准期365天中有38天缺少用电量或气温（至多允许37天，"
                                       "CalTRACK 2.2.1.2）")
    assert s.to_dict()["reasons"][0] == {  # stored as code and numbers, never as a sentence
        "code": "mv.baseline.too_many_missing_days",
        "data": {"n_missing_days": 38, "max_missing_days": 37, "n_days_not_covered": 0,
                 "baseline_days": 365}}


def test_sufficiency_rejects_a_sparse_month() -> None:
    # 20 of February's 28 days missing: only 20 missing days in all, but February has 8/28 < 50 %
    s = check(with_gaps(np.arange(31, 51)))
    assert codes(s) == ["mv.baseline.month_coverage_too_low"]
    assert s.reasons[0].data["months"] == ["2023-02"]
    assert s.reasons[0].text("zh") == "以下月份有数据的天数不足其基准期天数的50%：2023-02"
    assert s.reasons[0].message == ("months with data on fewer than 50% of their baseline "
                                    "days: 2023-02")
    assert s.lowest_month_coverage == pytest.approx(8 / 28)
    # 14 of 28 is exactly 50 %: passes
    assert check(with_gaps(np.arange(31, 45))).passed


def test_sufficiency_missing_temperature_counts_as_missing() -> None:
    temp = temperature()
    temp[100:140] = np.nan  # 40 days without temperature
    s = check(with_gaps([]), temp)
    assert set(codes(s)) == {"mv.baseline.too_many_missing_days",
                             "mv.baseline.month_coverage_too_low"}


def test_sufficiency_window_not_covered_by_data() -> None:
    # data from 2023-01-31: the first 30 window days are not covered: missing, still ≤ 37
    use, temp = with_gaps([])[30:], temperature()[30:]
    s = baseline_sufficiency(use, temp, DAYS[30:], intervention_date=INTERVENTION)[0]
    assert s.n_days_not_covered == 30
    assert not s.passed  # January then has 0 % of its days
    assert codes(s) == ["mv.baseline.month_coverage_too_low"]
    # the intervention a year and 9 days later: 9 uncovered days in January 2023 would fail
    # the month rule too; a window starting 2023-01-10 with data from 2023-01-01 is covered
    s2 = baseline_sufficiency(with_gaps([]), temperature(), DAYS,
                              intervention_date="2024-01-10")[0]
    assert s2.passed
    assert s2.baseline_start == "2023-01-10"
    # data that ends 50 days before the intervention
    s3 = baseline_sufficiency(with_gaps([])[:315], temperature()[:315], DAYS[:315],
                              intervention_date=INTERVENTION)[0]
    assert s3.n_days_not_covered == 50
    assert "mv.baseline.too_many_missing_days" in codes(s3)


def test_sufficiency_negative_no_data_zeros_and_extremes() -> None:
    use = with_gaps([])
    use[5] = -3.0
    assert codes(check(use)) == ["mv.baseline.negative_usage"]
    empty = check(np.full(DAYS.size, np.nan))
    assert codes(empty) == ["mv.baseline.no_data"]
    assert empty.lowest_month_coverage == 0.0
    zeros = with_gaps([])
    zeros[:40] = 0.0
    assert check(zeros).passed  # gas: zero is a reading
    s = check(zeros, options=MvOptions(zero_is_missing=True))  # electricity (CalTRACK 2.2.1.4)
    assert "mv.baseline.too_many_missing_days" in codes(s)
    spike = with_gaps([])
    spike[200] = 1e5
    s = check(spike)
    assert s.passed
    assert [w.code for w in s.warnings] == ["mv.baseline.extreme_values"]
    assert s.warnings[0].data["n_extreme_days"] == 1


def test_failed_buildings_are_not_fitted() -> None:
    good = 100 + 5 * hdd(temperature(), 15)
    bad = good.copy()
    bad[:100] = np.nan
    results = measure_savings(np.stack([good, bad]), temperature(), DAYS,
                              intervention_date=INTERVENTION, building_ids=["B1", "B2"])
    assert [r.building_id for r in results] == ["B1", "B2"]
    assert results[0].model is not None
    assert results[1].model is None
    assert math.isnan(results[1].savings_kwh)
    d = results[1].to_dict()
    assert d["model"] is None
    assert d["savings_kwh"] is None
    assert d["meets_g14"] is False
    assert d["sufficiency"]["reasons"][0]["code"] == "mv.baseline.too_many_missing_days"
    json.dumps(d, allow_nan=False)
    # no building passes: still a result per building
    none = measure_savings(bad, temperature(), DAYS, intervention_date=INTERVENTION)
    assert none[0].model is None


def test_reporting_warnings() -> None:
    use = 100 + 5 * hdd(temperature(), 15)
    gappy = use.copy()
    gappy[365:600] = np.nan
    r = measure_savings(gappy, temperature(), DAYS, intervention_date=INTERVENTION)[0]
    assert [w.code for w in r.warnings] == ["mv.reporting.low_coverage"]
    assert r.n_reporting_days == 131
    blank = use.copy()
    blank[365:] = np.nan
    r = measure_savings(blank, temperature(), DAYS, intervention_date=INTERVENTION)[0]
    assert [w.code for w in r.warnings] == ["mv.reporting.no_data"]
    assert r.n_reporting_days == 0
    assert math.isnan(r.savings_kwh)


def test_intervention_period_and_reporting_end() -> None:
    t = temperature(seed=9)
    use = 100 + 5 * hdd(t, 15)
    use[365:] *= 0.8
    use[365:395] = 1e4  # installation month: ignored
    r = measure_savings(use, t, DAYS, intervention_date=INTERVENTION,
                        reporting_start="2024-01-31", reporting_end="2024-06-30")[0]
    assert (r.reporting_start, r.reporting_end) == ("2024-01-31", "2024-06-30")
    assert r.n_reporting_days == 152
    assert r.fractional_savings == pytest.approx(0.2, rel=1e-9)
    with pytest.raises(ValueError, match="reporting period"):
        measure_savings(use, t, DAYS, intervention_date=INTERVENTION,
                        reporting_start="2023-12-01")


# --- results, options, errors ------------------------------------------------------------------

def test_result_dicts_are_json_safe_and_models_round_trip() -> None:
    use, t = random_panel(5, seed=13)
    use[:, 365:] *= 0.95
    for r in measure_savings(use, t, DAYS, intervention_date=INTERVENTION):
        d = r.to_dict()
        text = json.dumps(d, allow_nan=False)
        assert json.loads(text)["building_id"] == r.building_id
        for key in ("model_type", "heating_balance_point_c", "cooling_balance_point_c",
                    "intercept_kwh_per_day", "n_days", "adj_r_squared", "cv_rmse", "nmbe",
                    "meets_g14"):
            assert key in d["model"]
        for key in ("savings_kwh", "fractional_savings", "fsu_68", "fsu_90",
                    "adjusted_baseline_kwh", "reporting_kwh", "n_reporting_days"):
            assert key in d
        assert r.model is not None
        back = BaselineModel.from_dict(json.loads(json.dumps(r.model.to_dict())))
        np.testing.assert_allclose(back.predict(t), r.model.predict(t))


def test_predict_matches_between_batch_and_model() -> None:
    use, t = random_panel(6, seed=14)
    fits = fit_baseline(use[:, BASE], t[BASE])
    pred = fits.predict(t)
    assert pred.shape == (6, DAYS.size)
    for i in range(6):
        np.testing.assert_allclose(pred[i], fits.model(i).predict(t), rtol=1e-12)
    t_nan = t.copy()
    t_nan[0] = np.nan
    assert np.isnan(fits.predict(t_nan)[:, 0]).all()
    assert len(fits) == 6


def test_default_grid_covers_caltrack_range() -> None:
    # CalTRACK 3.2.1: 30–90 °F = −1.1 … 32.2 °C; 3.2.3: steps ≤ 3 °F = 1.67 °C
    grid = np.array(DEFAULT_BALANCE_POINTS_C)
    assert grid[0] <= (30 - 32) / 1.8 + 1
    assert grid[-1] >= (90 - 32) / 1.8 - 0.5
    assert np.diff(grid).max() * 1.8 <= 3.0
    assert MvOptions().max_missing_days == 37
    assert MvOptions().min_total_degree_days_c == pytest.approx(20 / 1.8)


@pytest.mark.parametrize("kwargs", [
    {"heating_balance_points_c": (15.0, 12.0)},
    {"cooling_balance_points_c": (float("nan"),)},
    {"max_p_value": 1.5},
    {"baseline_days": 10},
], ids=["unsorted", "nan", "p", "days"])
def test_options_are_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="MvOptions"):
        MvOptions(**kwargs)


def test_input_errors() -> None:
    t = temperature()
    with pytest.raises(ValueError, match="shape"):
        fit_baseline(np.ones((2, 10)), t)
    with pytest.raises(ValueError, match="at least 3 days"):
        fit_baseline(np.array([1.0, np.nan, np.nan, np.nan]), np.ones(4))
    with pytest.raises(ValueError, match="consecutive"):
        baseline_sufficiency(np.ones(3), np.ones(3), DAYS[[0, 1, 3]],
                             intervention_date="2023-01-04")
    with pytest.raises(ValueError, match="dates must have shape"):
        baseline_sufficiency(np.ones(3), np.ones(3), DAYS[:4], intervention_date="2023-01-04")
    with pytest.raises(ValueError, match="building_ids"):
        measure_savings(np.ones((2, DAYS.size)), t, DAYS, intervention_date=INTERVENTION,
                        building_ids=["only-one"])


# --- properties ----------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 1000.0), cut=st.floats(-0.2, 0.5))
def test_savings_properties(seed: int, scale: float, cut: float) -> None:
    rng = np.random.default_rng(seed)
    t = temperature(seed=seed)
    use = (rng.uniform(20, 200) + rng.uniform(0, 6) * hdd(t, rng.uniform(10, 18))
           + rng.uniform(0, 6) * cdd(t, rng.uniform(20, 27)) + rng.normal(0, 5, DAYS.size))
    use = np.abs(use)
    use[365:] *= 1 - cut
    r1 = measure_savings(use, t, DAYS, intervention_date=INTERVENTION)[0]
    r2 = measure_savings(scale * use, t, DAYS, intervention_date=INTERVENTION)[0]
    assert r1.model is not None
    assert r2.model is not None
    # savings = adjusted baseline − actual use
    assert r1.savings_kwh == pytest.approx(r1.adjusted_baseline_kwh - r1.reporting_kwh,
                                           rel=1e-9, abs=1e-6)
    # the fit is unit-free: scaling usage scales savings, keeps the model and the fractions
    assert r2.model.model_type == r1.model.model_type
    assert r2.model.heating_balance_point_c == r1.model.heating_balance_point_c
    assert r2.model.cooling_balance_point_c == r1.model.cooling_balance_point_c
    assert r2.savings_kwh == pytest.approx(scale * r1.savings_kwh, rel=1e-7, abs=1e-6 * scale)
    assert r2.fractional_savings == pytest.approx(r1.fractional_savings, rel=1e-7, abs=1e-9)
    assert r2.model.cv_rmse == pytest.approx(r1.model.cv_rmse, rel=1e-7)
    # the selected model is at least as good as the intercept-only model
    assert r1.model.adj_r_squared >= 0.0
