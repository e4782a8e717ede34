"""Early warning (carbonpeak.domain.early_warning): worked examples by hand.

Every expected number is typed as a literal; the arithmetic is written in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonpeak.domain.early_warning import (
    Thresholds,
    evaluate,
    monthly_weights,
    project_year_end,
    projection_method,
    sort_by_severity,
    spread_budget,
)

# A prior-year profile summing to 1000: 120+100+90+80+70+90+110+120+90+50+40+40.
PRIOR = [120.0, 100.0, 90.0, 80.0, 70.0, 90.0, 110.0, 120.0, 90.0, 50.0, 40.0, 40.0]
NAN = float("nan")
DAYS = [31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0]


def _frame(rows: dict[str, tuple[float, list[float], list[float]]]) -> pd.DataFrame:
    """Units as (budget, actual months (padded with NaN), prior months)."""
    records = {}
    for unit, (budget, actual, prior) in rows.items():
        rec = {"budget": budget}
        padded = list(actual) + [NAN] * (12 - len(actual))
        rec.update({f"actual_{m}": padded[m - 1] for m in range(1, 13)})
        rec.update({f"prior_{m}": prior[m - 1] for m in range(1, 13)})
        records[unit] = rec
    return pd.DataFrame.from_dict(records, orient="index")


# --- budget spread ----------------------------------------------------------------------------

def test_spread_budget_by_prior_profile():
    # 900 · prior/1000 = 0.9 · prior
    got = spread_budget(900.0, PRIOR)
    assert got.tolist() == pytest.approx([108.0, 90.0, 81.0, 72.0, 63.0, 81.0, 99.0, 108.0,
                                          81.0, 45.0, 36.0, 36.0])
    _weights, basis = monthly_weights(PRIOR)
    assert basis == "prior_year"


@pytest.mark.parametrize(
    "prior",
    [None, [NAN, *PRIOR[1:]], [0.0] * 12, [-10.0, *PRIOR[1:]]],
    ids=["missing", "has-nan", "zero-sum", "negative"],
)
def test_spread_budget_falls_back_to_days(prior):
    # 365 · days/365 = days of a non-leap year
    assert spread_budget(365.0, prior).tolist() == pytest.approx(DAYS)
    _weights, basis = monthly_weights(prior)
    assert basis == "days_in_month"


def test_spread_budget_leap_year_days():
    leap = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]   # Σ 366
    got = spread_budget(366.0, None, days_in_month=leap)
    assert got.tolist() == pytest.approx([31.0, 29.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0,
                                          31.0, 30.0, 31.0])


@pytest.mark.parametrize(
    ("budget", "prior", "days", "match"),
    [(-1.0, PRIOR, None, "annual_budget"), (NAN, PRIOR, None, "annual_budget"),
     (10.0, PRIOR[:11], None, "12 values"), (10.0, None, [30] * 11, "days_in_month"),
     (10.0, None, [0] * 12, "days_in_month")],
    ids=["negative", "nan", "eleven-months", "eleven-days", "zero-days"],
)
def test_spread_budget_rejects(budget, prior, days, match):
    with pytest.raises(ValueError, match=match):
        spread_budget(budget, prior, days_in_month=days)


@given(
    budget=st.floats(min_value=0.0, max_value=1e9, allow_nan=False),
    prior=st.lists(st.one_of(st.floats(min_value=0.0, max_value=1e6), st.just(NAN)),
                   min_size=12, max_size=12),
)
def test_spread_budgets_sum_to_the_annual_budget(budget, prior):
    got = spread_budget(budget, prior)
    assert math.fsum(got) == pytest.approx(budget, rel=1e-9, abs=1e-9)
    assert (got >= 0).all()


# --- projection -------------------------------------------------------------------------------

def test_projection_ratio_method():
    # ytd 132 + 121 + 88 = 341; prior of Jan–Mar 120 + 100 + 90 = 310 → ratio 1.1;
    # prior of Apr–Dec 1000 − 310 = 690 → 341 + 690 · 1.1 = 341 + 759 = 1100
    assert project_year_end([132.0, 121.0, 88.0], PRIOR) == pytest.approx(1100.0)
    assert projection_method([132.0, 121.0, 88.0], PRIOR) == "ratio"


@pytest.mark.parametrize(
    "prior",
    [[NAN] * 12, [0.0, 0.0, 0.0, *[100.0] * 9], [*PRIOR[:11], NAN]],
    ids=["no-prior", "prior-elapsed-zero", "prior-remaining-missing"],
)
def test_projection_run_rate_fallback(prior):
    # (100 + 110 + 90)/3 · 12 = 100 · 12 = 1200
    assert project_year_end([100.0, 110.0, 90.0], prior) == pytest.approx(1200.0)
    assert projection_method([100.0, 110.0, 90.0], prior) == "run_rate"


def test_projection_with_a_gap_in_the_elapsed_months():
    # observed Jan 130 and Mar 99: ytd 229 against prior 120 + 90 = 210;
    # the other months (Feb and Apr–Dec) have prior 1000 − 210 = 790
    # → 229 + 790 · 229/210 = 229 + 861.476190 = 1090.476190
    assert project_year_end([130.0, NAN, 99.0], PRIOR) == pytest.approx(1090.476190)


@pytest.mark.parametrize("ytd", [[], [NAN, NAN]], ids=["no-months", "all-missing"])
def test_projection_without_data_is_nan(ytd):
    assert math.isnan(project_year_end(ytd, PRIOR))
    assert projection_method(ytd, PRIOR) == "none"


def test_projection_rejects_thirteen_months():
    with pytest.raises(ValueError, match="at most 12"):
        project_year_end([1.0] * 13, PRIOR)


@given(
    actual=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=12, max_size=12),
    prior=st.lists(st.one_of(st.floats(min_value=0.0, max_value=1e6), st.just(NAN)),
                   min_size=12, max_size=12),
)
def test_projection_equals_actual_after_twelve_months(actual, prior):
    assert project_year_end(actual, prior) == pytest.approx(math.fsum(actual), rel=1e-12,
                                                            abs=1e-9)


# --- thresholds -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("ratio", "level"),
    [(0.9499, "green"), (0.95, "yellow"), (0.99, "yellow"), (1.0, "yellow"),
     (1.0001, "red"), (NAN, "no_data")],
    ids=["below-yellow", "at-yellow", "inside", "at-red", "above-red", "nan"],
)
def test_default_threshold_boundaries(ratio, level):
    assert Thresholds().level(ratio) == level


@pytest.mark.parametrize(
    ("total", "thresholds", "level"),
    [
        # budget 100, twelve months observed: ratio = total/100
        (94.0, Thresholds(), "green"),
        (95.0, Thresholds(), "yellow"),    # 0.95 = yellow_at → yellow
        (100.0, Thresholds(), "yellow"),   # 1.00 = red_at → still yellow
        (101.0, Thresholds(), "red"),
        (89.0, Thresholds(0.9, 1.1), "green"),
        (90.0, Thresholds(0.9, 1.1), "yellow"),
        (110.0, Thresholds(0.9, 1.1), "yellow"),
        (111.0, Thresholds(0.9, 1.1), "red"),
    ],
    ids=["green", "at-yellow", "at-red", "red", "custom-green", "custom-at-yellow",
         "custom-at-red", "custom-red"],
)
def test_threshold_boundaries_in_evaluate(total, thresholds, level):
    frame = _frame({"U": (100.0, [total] + [0.0] * 11, [10.0] * 12)})
    out = evaluate(frame, months_elapsed=12, thresholds=thresholds)
    assert out.at["U", "level"] == level


@pytest.mark.parametrize(
    ("yellow", "red"),
    [(1.0, 1.0), (1.1, 1.0), (0.0, 1.0), (-0.5, 1.0), (NAN, 1.0), (0.9, math.inf)],
    ids=["equal", "inverted", "zero", "negative", "nan", "infinite"],
)
def test_thresholds_reject(yellow, red):
    with pytest.raises(ValueError, match="yellow_at"):
        Thresholds(yellow, red)


# --- evaluate ---------------------------------------------------------------------------------

@pytest.fixture
def march():
    """Units after three months (months_elapsed = 3)."""
    return _frame({
        # actual_4 = 999 lies after months_elapsed and must be ignored
        "A": (1000.0, [132.0, 121.0, 88.0, 999.0], PRIOR),
        "B": (2000.0, [150.0, 140.0, 160.0], [NAN] * 12),
        "C": (NAN, [100.0, 100.0, 100.0], PRIOR),
        "D": (500.0, [], PRIOR),
        "E": (1200.0, [130.0, NAN, 99.0], PRIOR),
    })


def test_evaluate_after_three_months(march):
    out = evaluate(march, months_elapsed=3, thresholds=Thresholds())
    # A: ytd 132 + 121 + 88 = 341; ytd budget 1000 · 310/1000 = 310; projected 1100 (ratio
    #    method, see test_projection_ratio_method); 1100/1000 = 1.10 > 1.00 → red;
    #    Jan 132/120 − 1 = +10 %, Feb 121/100 − 1 = +21 %, Mar 88/90 − 1 = −2.2 % → February
    # B: no prior → days: 2000 · (31 + 28 + 31)/365 = 493.150685; run rate 450/3 · 12 = 1800;
    #    1800/2000 = 0.90 → green; no month to compare
    # C: no budget; projected 300 + 690 · 300/310 = 967.741935
    # D: no data; ytd budget 500 · 0.31 = 155
    # E: Jan and Mar only: 229 + 790 · 229/210 = 1090.476190; /1200 = 0.908730 → green;
    #    Jan 130/120 − 1 = +8.3 %, Mar 99/90 − 1 = +10 % → March
    assert out["ytd_actual"].tolist() == pytest.approx([341.0, 450.0, 300.0, NAN, 229.0],
                                                       nan_ok=True)
    assert out["ytd_budget"].tolist() == pytest.approx([310.0, 493.150685, NAN, 155.0, 372.0],
                                                       nan_ok=True)
    assert out["projected"].tolist() == pytest.approx(
        [1100.0, 1800.0, 967.741935, NAN, 1090.476190], nan_ok=True)
    assert out["ratio"].tolist() == pytest.approx([1.1, 0.9, NAN, NAN, 0.908730], nan_ok=True)
    assert out["level"].tolist() == ["red", "green", "no_budget", "no_data", "green"]
    # C: Jan 100/120 − 1 = −16.7 %, Feb 100/100 − 1 = 0 %, Mar 100/90 − 1 = +11.1 % → March
    assert out["worst_month"].tolist() == pytest.approx([2.0, NAN, 3.0, NAN, 3.0], nan_ok=True)
    assert out["worst_month_change"].tolist() == pytest.approx(
        [0.21, NAN, 0.111111, NAN, 0.1], nan_ok=True, abs=1e-6)
    assert out["spread_basis"].tolist() == ["prior_year", "days_in_month", "prior_year",
                                            "prior_year", "prior_year"]
    assert out["projection_method"].tolist() == ["ratio", "run_rate", "ratio", "none", "ratio"]


def test_evaluate_reasons_after_three_months(march):
    out = evaluate(march, months_elapsed=3, thresholds=Thresholds())
    assert out["reason_en"].to_dict() == {
        "A": "projected 1,100 tce against a budget of 1,000 tce: +10 %; "
             "February +21 % against February last year",
        "B": "projected 1,800 tce against a budget of 2,000 tce: −10 %; "
             "run-rate projection (no usable prior-year months)",
        "C": "no budget set; projected 968 tce",
        "D": "no data this year; budget 500 tce",
        "E": "projected 1,090 tce against a budget of 1,200 tce: −9 %; "
             "March +10 % against March last year",
    }
    assert out["reason_zh"].to_dict() == {
        "A": "预计全年1,100吨标准煤，预算1,000吨标准煤，超出10%；2月同比增长21%",
        "B": "预计全年1,800吨标准煤，预算2,000吨标准煤，低于预算10%；"
             "按月均值外推（上年同期数据不可用）",
        "C": "未设定预算；预计全年968吨标准煤",
        "D": "本年暂无数据；预算500吨标准煤",
        "E": "预计全年1,090吨标准煤，预算1,200吨标准煤，低于预算9%；3月同比增长10%",
    }


@pytest.fixture
def december():
    """Units after twelve months: projected = actual."""
    return _frame({
        # 10 · 350 + Jul 363 + Dec 347 = 4210; 4210/3900 = 1.0795 → +8 %;
        # Jul 363/300 − 1 = +21 % beats 350/300 − 1 = +16.7 %
        "brief": (3900.0, [350.0] * 6 + [363.0] + [350.0] * 4 + [347.0], [300.0] * 12),
        # 11 · 80 + Dec 92 = 972; 972/1000 = 0.972 → −2.8 % → −3 %, yellow; Dec 92/80 = +15 %
        "under": (1000.0, [80.0] * 11 + [92.0], [80.0] * 12),
        # 12 · 0.8 = 9.6 against 12.5: 0.768 → −23.2 % → −23 %; every month 0.8/1 − 1 = −20 %,
        # the earliest (January) on the tie
        "small": (12.5, [0.8] * 12, [1.0] * 12),
        # 12 · 100 = 1200 = budget → ratio 1.00 → yellow, 0 %; every month 0 %
        "even": (1200.0, [100.0] * 12, [100.0] * 12),
        "no budget, no data": (NAN, [], [100.0] * 12),
    })


def test_evaluate_after_twelve_months(december):
    out = evaluate(december, months_elapsed=12, thresholds=Thresholds())
    assert out["projected"].tolist() == pytest.approx([4210.0, 972.0, 9.6, 1200.0, NAN],
                                                      nan_ok=True)
    assert out["ratio"].tolist() == pytest.approx([1.0794872, 0.972, 0.768, 1.0, NAN],
                                                  nan_ok=True)
    assert out["level"].tolist() == ["red", "yellow", "green", "yellow", "no_budget"]
    assert out["worst_month"].tolist() == pytest.approx([7.0, 12.0, 1.0, 1.0, NAN],
                                                        nan_ok=True)
    # all twelve months are in: the year's figure is actual, and the reason says so
    assert out["reason_en"].tolist() == [
        "actual for the year 4,210 tce against a budget of 3,900 tce: +8 %; July +21 % "
        "against July last year",
        "actual for the year 972 tce against a budget of 1,000 tce: −3 %; December +15 % "
        "against December last year",
        "actual for the year 9.60 tce against a budget of 12.5 tce: −23 %; January −20 % "
        "against January last year",
        "actual for the year 1,200 tce against a budget of 1,200 tce: 0 %; January 0 % "
        "against January last year",
        "no budget set; no data this year",
    ]
    assert out["reason_zh"].tolist() == [
        "全年实际4,210吨标准煤，预算3,900吨标准煤，超出8%；7月同比增长21%",
        "全年实际972吨标准煤，预算1,000吨标准煤，低于预算3%；12月同比增长15%",
        "全年实际9.60吨标准煤，预算12.5吨标准煤，低于预算23%；1月同比下降20%",
        "全年实际1,200吨标准煤，预算1,200吨标准煤，与预算持平；1月同比持平",
        "未设定预算；本年暂无数据",
    ]


def test_evaluate_other_unit():
    frame = _frame({"S1": (1000.0, [1100.0] + [0.0] * 11, [50.0] * 12)})
    out = evaluate(frame, months_elapsed=12, thresholds=Thresholds(), unit="tCO2")
    # 1100/1000 = +10 %; Jan 1100/50 − 1 = +2,100 % (thousands separator); twelve months in
    assert out.at["S1", "reason_en"] == ("actual for the year 1,100 tCO2 against a budget of "
                                         "1,000 tCO2: +10 %; January +2,100 % against January "
                                         "last year")
    assert out.at["S1", "reason_zh"] == ("全年实际1,100吨二氧化碳，预算1,000吨二氧化碳，"
                                         "超出10%；1月同比增长2,100%")


def test_evaluate_keeps_input(march):
    before = march.copy()
    out = evaluate(march, months_elapsed=3, thresholds=Thresholds())
    pd.testing.assert_frame_equal(march, before)
    assert list(out.index) == ["A", "B", "C", "D", "E"]
    assert out["actual_4"].tolist()[0] == 999.0


@pytest.mark.parametrize("months", [0, 13, True], ids=["zero", "thirteen", "bool"])
def test_evaluate_rejects_months_elapsed(march, months):
    with pytest.raises(ValueError, match="months_elapsed"):
        evaluate(march, months_elapsed=months, thresholds=Thresholds())


def test_evaluate_rejects_missing_columns(march):
    with pytest.raises(ValueError, match="prior_12"):
        evaluate(march.drop(columns=["prior_12"]), months_elapsed=3, thresholds=Thresholds())


@pytest.mark.parametrize("budget", [0.0, -5.0], ids=["zero", "negative"])
def test_evaluate_rejects_non_positive_budget(march, budget):
    march.loc["B", "budget"] = budget
    with pytest.raises(ValueError, match=r"budget.*\bB\b"):
        evaluate(march, months_elapsed=3, thresholds=Thresholds())


@given(
    budget=st.floats(min_value=1.0, max_value=1e6),
    actual=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=12, max_size=12),
    prior=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=12, max_size=12),
)
def test_evaluate_full_year_ratio_is_actual_over_budget(budget, actual, prior):
    out = evaluate(_frame({"U": (budget, actual, prior)}), months_elapsed=12,
                   thresholds=Thresholds())
    assert out.at["U", "projected"] == pytest.approx(math.fsum(actual), rel=1e-12, abs=1e-9)
    assert out.at["U", "ytd_budget"] == pytest.approx(budget, rel=1e-9)
    assert out.at["U", "ratio"] == pytest.approx(math.fsum(actual) / budget, rel=1e-9,
                                                 abs=1e-12)


# --- severity ---------------------------------------------------------------------------------

def test_sort_by_severity():
    frame = pd.DataFrame(
        {"level": ["green", "red", "yellow", "red", "no_data", "no_budget", "green", "yellow"],
         "ratio": [0.5, 1.05, 0.97, 1.20, NAN, NAN, 0.9, 0.99]},
        index=["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"])
    # red by ratio desc (u4 1.20, u2 1.05), yellow (u8 0.99, u3 0.97), green (u7 0.9,
    # u1 0.5), then no_data, no_budget
    assert list(sort_by_severity(frame).index) == ["u4", "u2", "u8", "u3", "u7", "u1", "u5",
                                                   "u6"]


def test_sort_evaluated_units(march, december):
    out = evaluate(march, months_elapsed=3, thresholds=Thresholds())
    # A red 1.10; E green 0.908730 before B green 0.90; D no_data; C no_budget
    assert list(sort_by_severity(out).index) == ["A", "E", "B", "D", "C"]
    out = evaluate(december, months_elapsed=12, thresholds=Thresholds())
    assert list(sort_by_severity(out).index) == ["brief", "even", "under", "small",
                                                 "no budget, no data"]


def test_sort_by_severity_needs_level_and_ratio():
    with pytest.raises(ValueError, match="ratio"):
        sort_by_severity(pd.DataFrame({"level": ["red"]}))


def test_weights_are_a_profile():
    weights, _basis = monthly_weights(PRIOR)
    assert isinstance(weights, np.ndarray)
    assert weights.tolist() == pytest.approx([0.12, 0.10, 0.09, 0.08, 0.07, 0.09, 0.11, 0.12,
                                              0.09, 0.05, 0.04, 0.04])


def test_unit_rows_are_keyed_even_when_there_are_none() -> None:
    """A district without key units has no entity rows: their (kind, id) key is an empty
    two-level index that concatenates with the district's rows (it used to raise, and
    `carbonpeak demo --profile tianhe` with 20 buildings crashed in the warnings step)."""
    import pandas as pd

    from carbonpeak.services.plan.warnings import _keyed

    none = pd.DataFrame({"m01": []}, index=pd.Index([], dtype=object))
    none.index = _keyed("entity", none.index)
    assert (none.index.nlevels, len(none)) == (2, 0)
    district = pd.DataFrame({"m01": [1.0]}, index=["huangpu"])
    district.index = _keyed("district", district.index)
    both = pd.concat([district, none])
    assert both.index.tolist() == [("district", "huangpu")]
