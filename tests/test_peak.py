"""Peak trajectory: projection, peak, Monte Carlo, required intensity decline, C40 test."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from carbonpeak.domain.peak import (
    C40_CRITERIA,
    PLAN_INTENSITY_DECLINE,
    PROJECTION_COLUMNS,
    BaseYear,
    ScenarioParams,
    Uncertainty,
    c40_peak_test,
    default_scenarios,
    min_intensity_decline,
    monte_carlo,
    peak_of,
    project,
)

# GDP 2·10^6 ×10^4 CNY, 1·10^8 kWh purchased, 3·10^4 tce fuel, 0.5 kgCO2/kWh, 2 tCO2/tce,
# 1·10^7 kWh existing PV.
BASE = BaseYear(year=2020, gdp_10k_cny=2.0e6, electricity_kwh=1.0e8, fuel_tce=3.0e4,
                grid_factor_tco2_per_kwh=0.0005, fuel_factor_tco2_per_tce=2.0,
                pv_generation_kwh=1.0e7)
PLAN = ScenarioParams("plan", gdp_growth=0.05, intensity_decline=0.03, grid_factor_decline=0.03,
                      electrification=0.005, pv_added_kwp_per_year=5000.0,
                      pv_yield_kwh_per_kwp=1100.0, retrofit_savings_tce_per_year=200.0)


# The same without PV, for the closed forms (existing PV is a constant offset).
BASE_NO_PV = dataclasses.replace(BASE, pv_generation_kwh=0.0)


def geometric(g: float, d: float) -> ScenarioParams:
    """Only GDP and intensity change: CO2_t = CO2_0 · ((1 + g)(1 − d))^t."""
    return ScenarioParams("geo", gdp_growth=g, intensity_decline=d, grid_factor_decline=0.0,
                          electrification=0.0)


# --- projection -------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [PLAN, geometric(0.0, 0.0), geometric(0.3, -0.1)])
def test_base_year_is_reproduced_exactly(params):
    # CO2_0 = 1e8 kWh × 0.0005 tCO2/kWh + 3e4 tce × 2 tCO2/tce = 50 000 + 60 000 = 110 000 tCO2
    # D_0   = (1e8 + 1e7) kWh × 0.0001229 tce/kWh + 3e4 tce = 13 519 + 30 000 = 43 519 tce
    # intensity = 110 000 / 2e6 = 0.055 tCO2 per 10^4 CNY
    df = project(BASE, params, end_year=2035)
    first = df.loc[2020]
    assert first["tco2"] == BASE.tco2
    assert first["tco2"] == pytest.approx(110_000.0, rel=1e-15)
    assert first["energy_tce"] == pytest.approx(43_519.0, rel=1e-15)
    assert first["electricity_kwh"] == 1.1e8
    assert first["pv_kwh"] == 1.0e7
    assert first["fuel_tce"] == 3.0e4
    assert first["gdp_10k_cny"] == 2.0e6
    assert first["grid_factor_tco2_per_kwh"] == 0.0005
    assert first["tco2_per_10k_cny"] == pytest.approx(0.055, rel=1e-15)


def test_projection_shape_and_columns():
    df = project(BASE, PLAN, end_year=2035)
    assert list(df.columns) == list(PROJECTION_COLUMNS)
    assert df.index.name == "year"
    assert df.index.tolist() == list(range(2020, 2036))
    assert (df.to_numpy() >= 0).all()
    assert project(BASE, PLAN, end_year=2020).shape == (1, len(PROJECTION_COLUMNS))
    with pytest.raises(ValueError, match="before the base year"):
        project(BASE, PLAN, end_year=2019)


def test_projection_second_year_by_hand():
    # t = 1, PLAN: D_1 = 43 519 × 1.05 × 0.97 − 200 = 43 519 × 1.0185 − 200
    #                  = 44 324.1015 − 200 = 44 124.1015 tce
    # s_0 = 13 519 / 43 519, s_1 = s_0 + 0.005
    # elec_1 = s_1 · D_1 / 0.0001229; fuel_1 = (1 − s_1) · D_1
    # pv_1 = 1e7 + 5000 kWp × 1100 kWh/kWp = 1.55e7 kWh; f_1 = 0.0005 × 0.97 = 0.000485
    d1 = 43_519.0 * 1.05 * 0.97 - 200.0
    s1 = 13_519.0 / 43_519.0 + 0.005
    elec1 = s1 * d1 / 0.0001229
    fuel1 = (1 - s1) * d1
    co2 = (elec1 - 1.55e7) * 0.000485 + fuel1 * 2.0
    row = project(BASE, PLAN, end_year=2021).loc[2021]
    assert row["energy_tce"] == pytest.approx(44_124.1015, rel=1e-12)
    assert row["electricity_kwh"] == pytest.approx(elec1, rel=1e-12)
    assert row["fuel_tce"] == pytest.approx(fuel1, rel=1e-12)
    assert row["pv_kwh"] == pytest.approx(1.55e7, rel=1e-15)
    assert row["tco2"] == pytest.approx(co2, rel=1e-12)
    assert row["gdp_10k_cny"] == pytest.approx(2.1e6, rel=1e-15)


def test_pv_never_makes_purchased_electricity_negative_and_demand_floor():
    big_pv = dataclasses.replace(PLAN, pv_added_kwp_per_year=1e6, retrofit_savings_tce_per_year=0)
    df = project(BASE, big_pv, end_year=2030)
    # PV ≥ demand from 2021 on: only fuel emits
    later = df.loc[2021:]
    assert (later["tco2"] == later["fuel_tce"] * 2.0).all()
    huge_retrofit = dataclasses.replace(PLAN, retrofit_savings_tce_per_year=1e6)
    df = project(BASE, huge_retrofit, end_year=2025)
    assert (df.loc[2021:, ["energy_tce", "tco2"]] == 0).all().all()


def test_electrification_share_caps_at_one():
    p = dataclasses.replace(geometric(0.0, 0.0), electrification=0.5)
    df = project(BASE, p, end_year=2025)
    assert (df.loc[2022:, "fuel_tce"] == 0).all()
    assert df.loc[2025, "electricity_kwh"] == pytest.approx(43_519.0 / 0.0001229, rel=1e-12)


# --- peak with a known answer -----------------------------------------------------------------

@pytest.mark.parametrize(("g", "d", "peak_year", "peaked"), [
    (0.05, 0.05, 2020, True),    # 1.05 × 0.95 = 0.9975 < 1: falls from year 0
    (0.05, 0.04, 2035, False),   # 1.05 × 0.96 = 1.008 > 1: still rising in 2035
    (0.0, 0.01, 2020, True),     # 1 × 0.99 < 1
    (0.02, -0.01, 2035, False),  # 1.02 × 1.01 > 1
])
def test_geometric_case_peaks_at_year_zero_iff_factor_below_one(g, d, peak_year, peaked):
    df = project(BASE_NO_PV, geometric(g, d), end_year=2035)
    r = peak_of(df.index, df["tco2"])
    assert (r.peak_year, r.peaked_within_horizon) == (peak_year, peaked)
    ratio = (1 + g) * (1 - d)
    assert df.loc[2035, "tco2"] == pytest.approx(110_000.0 * ratio**15, rel=1e-12)


def test_interior_peak_known_by_hand():
    # Fuel only (no electricity, s_0 = 0), zero-carbon grid, GDP +30 %/a, d = 0,
    # electrification +0.1/a:  CO2_t = 1000 tce × 2 × (1 − 0.1 t) × 1.3^t.
    # CO2_{t+1}/CO2_t = 1.3 (0.9 − 0.1 t)/(1 − 0.1 t) < 1  ⇔  1.17 − 0.13 t < 1 − 0.1 t
    #                 ⇔  t > 5.67, so the peak is t = 6 (year 2026):
    # CO2_5 = 2000 × 0.5 × 1.3^5 = 2000 × 0.5 × 3.71293   = 3712.93
    # CO2_6 = 2000 × 0.4 × 1.3^6 = 2000 × 0.4 × 4.826809  = 3861.4472
    # CO2_7 = 2000 × 0.3 × 1.3^7 = 2000 × 0.3 × 6.2748517 = 3764.91102
    base = BaseYear(2020, 1.0e5, 0.0, 1000.0, 0.0, 2.0)
    params = ScenarioParams("x", gdp_growth=0.3, intensity_decline=0.0, grid_factor_decline=0.0,
                            electrification=0.1)
    df = project(base, params, end_year=2035)
    r = peak_of(df.index, df["tco2"])
    assert r.peak_year == 2026
    assert r.peaked_within_horizon
    assert r.peak_tco2 == pytest.approx(3861.4472, rel=1e-12)
    assert df.loc[2025, "tco2"] == pytest.approx(3712.93, rel=1e-12)
    assert df.loc[2027, "tco2"] == pytest.approx(3764.91102, rel=1e-12)
    assert (df.loc[2030:, "tco2"] == 0).all()  # share reaches 1 at t = 10


def test_peak_of_first_maximum_and_errors():
    assert peak_of([1, 2, 3, 4], [1.0, 5.0, 5.0, 2.0]).peak_year == 2
    last = peak_of([2020, 2021], [1.0, 2.0])
    assert (last.peak_year, last.peak_tco2, last.peaked_within_horizon) == (2021, 2.0, False)
    assert peak_of([2020], [3.0]).peaked_within_horizon is False
    with pytest.raises(ValueError, match="equal length"):
        peak_of([2020, 2021], [1.0])
    with pytest.raises(ValueError, match="equal length"):
        peak_of([], [])
    with pytest.raises(ValueError, match="ascending"):
        peak_of([2021, 2020], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        peak_of([2020, 2021], [1.0, float("nan")])


# --- default scenarios ------------------------------------------------------------------------

def test_default_scenarios():
    s = default_scenarios(BASE)
    assert list(s) == ["bau", "plan", "enhanced"]
    assert abs(PLAN_INTENSITY_DECLINE - 0.0286) < 5e-5
    assert (1 - s["plan"].intensity_decline) ** 5 == pytest.approx(1 - 0.135, rel=1e-12)
    assert (s["bau"].intensity_decline < s["plan"].intensity_decline
            < s["enhanced"].intensity_decline)
    assert (s["bau"].grid_factor_decline < s["plan"].grid_factor_decline
            < s["enhanced"].grid_factor_decline)
    # plan PV: 0.5 % of the base electricity demand (1.1e8 kWh) a year at 1000 kWh/kWp = 550 kWp
    assert s["plan"].pv_added_kwp_per_year == pytest.approx(550.0, rel=1e-12)
    # plan retrofit: 0.2 % of 43 519 tce = 87.038 tce a year
    assert s["plan"].retrofit_savings_tce_per_year == pytest.approx(87.038, rel=1e-12)
    peaks = {k: peak_of(df.index, df["tco2"]).peak_tco2
             for k, df in ((k, project(BASE, p)) for k, p in s.items())}
    assert peaks["bau"] >= peaks["plan"] >= peaks["enhanced"]


# --- Monte Carlo ------------------------------------------------------------------------------

UNC = Uncertainty(gdp_growth=(0.03, 0.05, 0.07), intensity_decline=(0.01, 0.03, 0.05),
                  grid_factor_decline=(0.0, 0.03, 0.05), electrification=(0.0, 0.005, 0.01),
                  pv_added_kwp_per_year=(0.0, 5000.0, 20000.0),
                  retrofit_savings_tce_per_year=(0.0, 200.0, 400.0))


def test_monte_carlo_is_deterministic_for_a_seed():
    a = monte_carlo(BASE, PLAN, UNC, n=2000, seed=42)
    b = monte_carlo(BASE, PLAN, UNC, n=2000, seed=42)
    c = monte_carlo(BASE, PLAN, UNC, n=2000, seed=43)
    pd.testing.assert_frame_equal(a.bands, b.bands)
    assert dataclasses.replace(a, bands=None) == dataclasses.replace(b, bands=None)
    assert not a.bands.equals(c.bands)


def test_monte_carlo_percentiles_ordered_and_shares_in_range():
    r = monte_carlo(BASE, PLAN, UNC, n=5000, seed=1)
    assert r.n == 5000
    assert r.peak_year_p5 <= r.peak_year_p50 <= r.peak_year_p95
    assert r.peak_year_p5 >= 2020
    assert r.peak_year_p95 <= 2035
    assert r.peak_tco2_p5 <= r.peak_tco2_p50 <= r.peak_tco2_p95
    assert r.peak_tco2_p5 >= BASE.tco2  # the peak is at least the base year
    assert 0.0 <= r.share_peaked_by_deadline <= r.share_peaked_within_horizon <= 1.0
    assert 0.0 < r.share_peaked_by_deadline < 1.0  # these ranges straddle the deadline
    assert r.bands.index.tolist() == list(range(2020, 2036))
    assert list(r.bands.columns) == ["p5", "p50", "p95"]
    assert (r.bands["p5"] <= r.bands["p50"]).all()
    assert (r.bands["p50"] <= r.bands["p95"]).all()
    assert r.bands.loc[2020].tolist() == [BASE.tco2] * 3


def test_degenerate_uncertainty_gives_the_deterministic_projection():
    det = project(BASE, PLAN, end_year=2035)
    peak = peak_of(det.index, det["tco2"])
    for unc in (Uncertainty(), Uncertainty(gdp_growth=(0.05, 0.05, 0.05))):
        r = monte_carlo(BASE, PLAN, unc, n=300, seed=7)
        for col in ("p5", "p50", "p95"):
            np.testing.assert_allclose(r.bands[col], det["tco2"], rtol=1e-13, atol=0)
        assert r.peak_year_p5 == r.peak_year_p50 == r.peak_year_p95 == peak.peak_year
        assert r.peak_tco2_p5 == pytest.approx(peak.peak_tco2, rel=1e-13)
        assert r.peak_tco2_p95 == pytest.approx(peak.peak_tco2, rel=1e-13)
        expected = float(peak.peaked_within_horizon and peak.peak_year <= 2030)
        assert r.share_peaked_by_deadline == expected


def test_monte_carlo_draws_below_a_higher_history_peak_in_that_year():
    """The deterministic plan projection from 2020; a history year 2019 higher than its
    maximum makes every draw of a degenerate run peak in 2019 (with that value), and a
    history year lower than it changes nothing."""
    det = project(BASE, PLAN, end_year=2035)
    peak = peak_of(det.index, det["tco2"])
    high = (2019, peak.peak_tco2 * 1.01)
    r = monte_carlo(BASE, PLAN, Uncertainty(), n=50, seed=7, history_peak=high)
    assert r.peak_year_p5 == r.peak_year_p95 == 2019
    assert r.peak_tco2_p50 == pytest.approx(high[1])
    assert r.share_peaked_by_deadline == 1.0
    low = monte_carlo(BASE, PLAN, Uncertainty(), n=50, seed=7,
                      history_peak=(2019, peak.peak_tco2 * 0.5))
    assert low.peak_year_p50 == peak.peak_year


def test_monte_carlo_large_n_is_fast_enough_to_be_vectorised():
    r = monte_carlo(BASE, PLAN, UNC, n=200_000, seed=0)
    assert r.n == 200_000


def test_monte_carlo_and_uncertainty_validation():
    with pytest.raises(ValueError, match="n must be"):
        monte_carlo(BASE, PLAN, UNC, n=0)
    with pytest.raises(ValueError, match="low ≤ mode ≤ high"):
        Uncertainty(gdp_growth=(0.05, 0.03, 0.07))
    with pytest.raises(ValueError, match="gdp_growth must be > -1"):
        Uncertainty(gdp_growth=(-1.5, 0.0, 0.1))
    with pytest.raises(ValueError, match="pv_added_kwp_per_year must be ≥ 0"):
        Uncertainty(pv_added_kwp_per_year=(-1.0, 0.0, 1.0))


# --- minimum intensity decline ----------------------------------------------------------------

def _suffices(base: BaseYear, params: ScenarioParams, d: float, deadline: int = 2030) -> bool:
    df = project(base, dataclasses.replace(params, intensity_decline=d), end_year=2035)
    r = peak_of(df.index, df["tco2"])
    return r.peaked_within_horizon and r.peak_year <= deadline


@pytest.mark.parametrize("params", [
    geometric(0.05, 0.0),
    dataclasses.replace(geometric(0.06, 0.0), grid_factor_decline=0.02, electrification=0.01),
])
@pytest.mark.parametrize("deadline", [2025, 2030])
def test_min_intensity_decline_is_the_threshold(params, deadline):
    tol = 1e-5
    d = min_intensity_decline(BASE, params, deadline_year=deadline, end_year=2035, tol=tol)
    assert d is not None
    assert _suffices(BASE, params, d, deadline)
    assert not _suffices(BASE, params, d - 2 * tol, deadline)


def test_min_intensity_decline_geometric_closed_form():
    # CO2_t ∝ (1.05 (1 − d))^t peaks at year 0 iff 1.05 (1 − d) < 1 ⇔ d > 1 − 1/1.05 = 0.047619…
    d = min_intensity_decline(BASE_NO_PV, geometric(0.05, 0.0), tol=1e-7)
    assert d == pytest.approx(1 - 1 / 1.05, abs=2e-7)


def test_min_intensity_decline_can_be_negative_or_none():
    # A fast-falling grid factor and no growth: peaks in time even with rising intensity.
    easy = ScenarioParams("easy", gdp_growth=0.0, intensity_decline=0.0, grid_factor_decline=0.2,
                          electrification=0.0)
    d = min_intensity_decline(BASE, easy)
    assert d is not None
    assert d < 0
    assert _suffices(BASE, easy, d)
    # GDP tripling each year: even −50 %/a intensity leaves 1.5^t growth.
    assert min_intensity_decline(BASE, geometric(2.0, 0.0)) is None


def test_min_intensity_decline_validation():
    with pytest.raises(ValueError, match="deadline_year"):
        min_intensity_decline(BASE, PLAN, deadline_year=2035, end_year=2035)
    with pytest.raises(ValueError, match="deadline_year"):
        min_intensity_decline(BASE, PLAN, deadline_year=2019)
    with pytest.raises(ValueError, match="tol"):
        min_intensity_decline(BASE, PLAN, tol=0.0)


# --- C40 peaking test -------------------------------------------------------------------------

def _passed(result) -> dict[str, bool]:
    return {code: ok for code, ok, _, _ in result.criteria}


def test_c40_peaked():
    # peak 2010 (100), latest 2018 (85): 8 years after the peak, 15 % below, 2 years old
    r = c40_peak_test([2008, 2010, 2012, 2015, 2018], [90.0, 100.0, 98.0, 92.0, 85.0],
                      current_year=2020)
    assert r.status == "peaked"
    assert (r.peak_year, r.peak_tco2, r.latest_year, r.latest_tco2) == (2010, 100.0, 2018, 85.0)
    assert r.below_peak_share == pytest.approx(0.15, rel=1e-12)
    assert [c[0] for c in r.criteria] == list(C40_CRITERIA)
    assert all(_passed(r).values())
    assert all(en and zh for _, _, en, zh in r.criteria)


def test_c40_insufficient_data():
    r = c40_peak_test([2010, 2018], [100.0, 50.0], current_year=2020)
    assert r.status == "insufficient_data"
    assert _passed(r) == {"min_years": False, "peak_age": True, "data_recency": True,
                          "below_peak": True}
    empty = c40_peak_test([], [], current_year=2020)
    assert empty.status == "insufficient_data"
    assert empty.peak_year is None
    assert not any(_passed(empty).values())


def test_c40_fails_peak_age():
    # peak 2015, latest 2018: only 3 years
    r = c40_peak_test([2012, 2015, 2018], [90.0, 100.0, 80.0], current_year=2020)
    assert r.status == "not_peaked"
    assert _passed(r) == {"min_years": True, "peak_age": False, "data_recency": True,
                          "below_peak": True}


def test_c40_fails_data_recency():
    # latest data 2014, tested in 2020: 6 years old
    r = c40_peak_test([2005, 2008, 2014], [100.0, 95.0, 80.0], current_year=2020)
    assert r.status == "not_peaked"
    assert _passed(r) == {"min_years": True, "peak_age": True, "data_recency": False,
                          "below_peak": True}
    # exactly 5 years old passes
    assert c40_peak_test([2005, 2008, 2015], [100.0, 95.0, 80.0], current_year=2020).status == (
        "peaked")


def test_c40_fails_below_peak():
    # exactly 10 % below is not "more than 10 %"
    r = c40_peak_test([2010, 2013, 2018], [100.0, 95.0, 90.0], current_year=2020)
    assert r.status == "not_peaked"
    assert r.below_peak_share == pytest.approx(0.10)
    assert _passed(r) == {"min_years": True, "peak_age": True, "data_recency": True,
                          "below_peak": False}


def test_c40_rising_series_and_unsorted_input():
    r = c40_peak_test([2019, 2015, 2017], [120.0, 100.0, 110.0], current_year=2020)
    assert r.status == "not_peaked"
    assert (r.peak_year, r.latest_year, r.below_peak_share) == (2019, 2019, 0.0)
    assert _passed(r)["peak_age"] is False


def test_c40_errors():
    with pytest.raises(ValueError, match="repeated"):
        c40_peak_test([2010, 2010, 2012], [1.0, 2.0, 3.0], current_year=2020)
    with pytest.raises(ValueError, match="after current_year"):
        c40_peak_test([2010, 2015, 2021], [1.0, 2.0, 3.0], current_year=2020)
    with pytest.raises(ValueError, match="equal length"):
        c40_peak_test([2010, 2015], [1.0], current_year=2020)
    with pytest.raises(ValueError, match="finite"):
        c40_peak_test([2010, 2015, 2016], [1.0, -2.0, 1.0], current_year=2020)


# --- validation of the inputs -----------------------------------------------------------------

def test_base_year_and_params_validation():
    with pytest.raises(ValueError, match="gdp_10k_cny must be > 0"):
        BaseYear(2020, 0.0, 1.0, 1.0, 0.0005, 2.0)
    with pytest.raises(ValueError, match="fuel_tce must be ≥ 0"):
        BaseYear(2020, 1.0, 1.0, -1.0, 0.0005, 2.0)
    with pytest.raises(ValueError, match="must be > 0"):
        BaseYear(2020, 1.0, 0.0, 0.0, 0.0005, 2.0)
    with pytest.raises(ValueError, match="finite"):
        BaseYear(2020, 1.0, float("nan"), 1.0, 0.0005, 2.0)
    with pytest.raises(ValueError, match="intensity_decline must be < 1"):
        geometric(0.05, 1.0)
    with pytest.raises(ValueError, match="gdp_growth must be > -1"):
        geometric(-1.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        geometric(float("inf"), 0.0)
