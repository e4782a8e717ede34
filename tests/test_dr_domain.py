"""Demand-response domain (domain.energy.dr): day types, baselines, settlement by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from carbonpeak.domain.energy.dr import (
    RULES,
    SettlementRule,
    baseline,
    baseline_10in10_adjusted,
    baseline_high5of10,
    baseline_last5,
    baseline_regression,
    candidate_days,
    day_type,
    kw_from_kwh,
    response,
    settle,
)
from carbonpeak.vocabulary import DrBaselineMethod, DrDayType, RuleStatus

WINDOWS = [900.0, 950.0, 1000.0, 980.0, 920.0, 1010.0, 990.0, 970.0, 940.0, 960.0]


def flat(values: list[float], intervals: int = 4) -> np.ndarray:
    """One resource whose days are flat at ``values`` kW over ``intervals`` intervals."""
    return np.repeat(np.asarray(values)[None, :, None], intervals, axis=2)


def test_day_types_follow_the_chinese_calendar_with_working_weekends():
    assert day_type(dt.date(2026, 1, 4)) == DrDayType.ADJUSTED_WORKING  # Sunday, 调休上班
    assert day_type(dt.date(2026, 1, 1)) == DrDayType.HOLIDAY
    assert day_type(dt.date(2026, 1, 10)) == DrDayType.WEEKEND
    assert day_type(dt.date(2026, 1, 5)) == DrDayType.WORKING
    assert day_type(dt.date(2025, 10, 1)) == DrDayType.HOLIDAY  # 国庆
    assert day_type(dt.date(2025, 9, 28)) == DrDayType.ADJUSTED_WORKING


def test_candidate_days_skip_holidays_and_weekends_and_keep_working_weekends():
    # event Wed 2026-01-07: before it Tue 6, Mon 5, Sun 4 (调休上班), then 3, 2, 1 are off
    # (Sat, the 2nd is a day off in exchange, New Year), then Wed 2025-12-31, Tue 30, Mon 29
    days = candidate_days(dt.date(2026, 1, 7), 5)
    assert days == [dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 4),
                    dt.date(2026, 1, 5), dt.date(2026, 1, 6)]
    # an earlier event day is left out
    assert dt.date(2026, 1, 5) not in candidate_days(dt.date(2026, 1, 7), 5,
                                                     exclude=[dt.date(2026, 1, 5)])


def test_kw_is_kwh_over_the_interval_hours():
    assert kw_from_kwh(25.0, 15) == 100.0  # 25 kWh in 0.25 h
    assert kw_from_kwh(10.0, 5) == 120.0   # 10 kWh in 1/12 h


def test_high5of10_hand_case():
    # the 5 highest: 1010, 1000, 990, 980, 970 → (1010+1000+990+980+970)/5 = 4950/5 = 990
    got = baseline_high5of10(flat(WINDOWS))
    assert got.shape == (1, 4)
    assert got[0] == pytest.approx([990.0] * 4)


def test_high5of10_ranks_days_by_their_window_mean_not_by_interval():
    # day A: 100, 300 (mean 200); day B: 250, 250 (mean 250); top 1 is B, not max per interval
    days = np.array([[[100.0, 300.0], [250.0, 250.0]]])
    assert baseline_high5of10(days, top=1)[0] == pytest.approx([250.0, 250.0])


def test_high5of10_over_a_wider_span_chooses_the_days_by_the_window():
    # three days over four intervals: one hour before the event, the window (2 intervals),
    # one after. Window means: day 1 (10+10)/2 = 10, day 2 (30+30)/2 = 30, day 3 (20+20)/2 = 20.
    # Day 1 is high outside the window (100), so ranked over the whole span it would win:
    # span means 55, 15, 10. Top 2 by the window: days 2 and 3 →
    # per interval (0+0)/2 = 0, (30+20)/2 = 25, 25, (0+0)/2 = 0.
    span = np.array([[[100.0, 10.0, 10.0, 100.0],
                      [0.0, 30.0, 30.0, 0.0],
                      [0.0, 20.0, 20.0, 0.0]]])
    window = span[:, :, 1:3]
    got = baseline_high5of10(span, top=2, rank_kw=window)
    assert got[0] == pytest.approx([0.0, 25.0, 25.0, 0.0])
    # inside the window it is the window's own baseline
    assert got[0, 1:3] == pytest.approx(baseline_high5of10(window, top=2)[0])
    # ranked by the span instead: days 1 and 2 → 50, 20, 20, 50 (what rank_kw prevents)
    assert baseline_high5of10(span, top=2)[0] == pytest.approx([50.0, 20.0, 20.0, 50.0])


def test_last5_hand_case():
    # the last 5 of the windows (oldest first): 1010, 990, 970, 940, 960 → 4870/5 = 974
    assert baseline_last5(flat(WINDOWS))[0] == pytest.approx([974.0] * 4)


def test_10in10_adjusted_hand_case_and_cap():
    # mean of 10 days = 9620/10 = 962; adjustment window: the days at 800, event day at 880
    # → factor 880/800 = 1.1 → 962 × 1.1 = 1058.2
    adj_days = np.full((1, 10, 3), 800.0)
    got = baseline_10in10_adjusted(flat(WINDOWS), adj_days, np.full((1, 3), 880.0))
    assert got[0] == pytest.approx([1058.2] * 4)
    # event day at 2000 over 800 = 2.5, capped at 1.4 → 962 × 1.4 = 1346.8
    capped = baseline_10in10_adjusted(flat(WINDOWS), adj_days, np.full((1, 3), 2000.0))
    assert capped[0] == pytest.approx([1346.8] * 4)
    # at 200 over 800 = 0.25, floored at 0.6 → 577.2
    floored = baseline_10in10_adjusted(flat(WINDOWS), adj_days, np.full((1, 3), 200.0))
    assert floored[0] == pytest.approx([577.2] * 4)


def test_regression_hand_case():
    # days at 20, 22, 24, 26 °C → cooling degrees 2, 4, 6, 8; load = 500 + 25·x: 550, 600,
    # 650, 700; the event day at 30 °C (x = 12) → 500 + 25·12 = 800
    temps = np.array([[20.0], [22.0], [24.0], [26.0]])
    days = np.array([[[550.0], [600.0], [650.0], [700.0]]])
    assert baseline_regression(days, temps, np.array([30.0]))[0] == pytest.approx([800.0])
    # all days below 18 °C: no spread of cooling degrees → the days' mean 625
    cold = np.full((4, 1), 10.0)
    assert baseline_regression(days, cold, np.array([30.0]))[0] == pytest.approx([625.0])


def test_baselines_are_vectorised_over_resources():
    rng = np.random.default_rng(1)
    days = rng.uniform(100.0, 200.0, (50, 10, 16))
    one = np.vstack([baseline_high5of10(days[i:i + 1]) for i in range(50)])
    assert np.allclose(baseline_high5of10(days), one)
    assert baseline(DrBaselineMethod.LAST5, days).shape == (50, 16)
    with pytest.raises(ValueError, match="adjustment"):
        baseline(DrBaselineMethod.TEN_IN_TEN_ADJUSTED, days)


def test_response_and_settlement_hand_case():
    # two resources, 4 × 15-min intervals (1 h): baselines 1000 and 500 kW flat
    base = np.array([[1000.0] * 4, [500.0] * 4])
    actual = np.array([[700.0, 720.0, 680.0, 700.0],    # mean 700 → response 300
                       [450.0, 460.0, 440.0, 450.0]])   # mean 450 → response 50
    assert response(base, actual)[0] == pytest.approx([300.0, 280.0, 320.0, 300.0])
    rule = SettlementRule(price_cny_per_kwh=3.0, min_ratio=0.5, cap_ratio=1.2)
    res = settle(base, actual, np.array([200.0, 200.0]), interval_minutes=15, rule=rule)
    # ratios: 300/200 = 1.5 and 50/200 = 0.25 (below 0.5: not effective)
    assert res.execution_ratio == pytest.approx([1.5, 0.25])
    assert res.effective.tolist() == [True, False]
    # paid: min(300, 1.2 × 200 = 240) kW × 1 h = 240 kWh × 3 CNY = 720 CNY; the second 0
    assert res.paid_kwh == pytest.approx([240.0, 0.0])
    assert res.amount_cny == pytest.approx([720.0, 0.0])
    assert res.response_kwh == pytest.approx([300.0, 50.0])
    assert res.baseline_kw == pytest.approx([1000.0, 500.0])
    assert res.actual_kw == pytest.approx([700.0, 450.0])


def test_every_rule_has_a_source_and_an_honest_status():
    assert set(RULES) == set(DrBaselineMethod)
    assert all(r.source for r in RULES.values())
    assert RuleStatus.VERIFIED not in {r.status for r in RULES.values()}


def test_a_resource_without_readings_is_nan_without_a_warning():
    # warnings are errors in the suite: an all-missing resource must simply be NaN
    days = np.full((2, 10, 4), np.nan)
    days[0] = 100.0
    assert np.isnan(baseline_high5of10(days)[1]).all()
    assert baseline_high5of10(days)[0] == pytest.approx([100.0] * 4)
    res = settle(baseline_last5(days), np.full((2, 4), 50.0), np.array([10.0, 10.0]),
                 interval_minutes=15)
    assert res.response_kw[0] == pytest.approx(50.0)
    assert np.isnan(res.response_kw[1])
    assert res.effective.tolist() == [True, False]
