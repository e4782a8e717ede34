"""Targets, progress and decomposition (carbonpeak.domain.targets): worked examples by hand.

Every expected number is typed as a literal; the arithmetic is written in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonpeak.domain.targets import (
    allocate,
    allocate_baseline_share,
    allocate_intensity_benchmark,
    allocate_mixed,
    assess_reduction_target,
    assess_trajectory,
    elastic_budgets,
    format_value,
    meets,
    path_value,
    reduction_vs_baseline,
    required_annual_rate,
)

# HP-01 (Huangpu): energy per GDP 2020 = 0.200 tce/10^4 CNY, −13.5 % by 2025
# → target 0.200 · (1 − 0.135) = 0.173.
HP01 = {"baseline_value": 0.200, "baseline_year": 2020, "reduction_pct": 13.5,
        "target_year": 2025}


# --- meets ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "target", "comparator", "tolerance", "expected"),
    [
        (5.0, 5.0, ">=", 0.0, True),
        (4.9, 5.0, ">=", 0.0, False),
        (5.0, 5.0, ">", 0.0, False),
        (5.1, 5.0, ">", 0.0, True),
        (5.0, 5.0, "<", 0.0, False),
        (4.9, 5.0, "<=", 0.0, True),
        (5.1, 5.0, "<=", 0.0, False),
        (5.0, 5.0, "=", 0.0, True),
        (5.0000001, 5.0, "=", 0.0, False),
        # band = 0.01 · |5| = 0.05: |5.04 − 5| = 0.04 ≤ 0.05 → equal
        (5.04, 5.0, "=", 0.01, True),
        # |5.06 − 5| = 0.06 > 0.05
        (5.06, 5.0, "=", 0.01, False),
        # 5.04 is inside the band → counts as equal → ≤ passes, < fails
        (5.04, 5.0, "<=", 0.01, True),
        (4.96, 5.0, "<", 0.01, False),
        (4.90, 5.0, "<", 0.01, True),
        (float("nan"), 5.0, "<=", 0.0, False),
    ],
    ids=["ge-equal", "ge-below", "gt-equal", "gt-above", "lt-equal", "le-below", "le-above",
         "eq-exact", "eq-off", "eq-in-band", "eq-out-of-band", "le-in-band", "lt-in-band",
         "lt-beyond-band", "nan"],
)
def test_meets(value, target, comparator, tolerance, expected):
    assert meets(value, target, comparator, tolerance=tolerance) is expected


@pytest.mark.parametrize(("comparator", "tolerance"), [("=>", 0.0), ("<=", -0.1)],
                         ids=["bad-comparator", "negative-tolerance"])
def test_meets_rejects(comparator, tolerance):
    with pytest.raises(ValueError, match="comparator|tolerance"):
        meets(1.0, 1.0, comparator, tolerance=tolerance)


# --- formulas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (0.200, 0.180, 10.0),   # (0.2 − 0.18)/0.2 = 10 %
        (0.200, 0.175, 12.5),   # 0.025/0.2 = 12.5 %
        (0.200, 0.210, -5.0),   # (0.2 − 0.21)/0.2 = −5 % (an increase)
    ],
    ids=["hp01-2023", "twelve-and-a-half", "increase"],
)
def test_reduction_vs_baseline(baseline, current, expected):
    assert reduction_vs_baseline(baseline, current) == pytest.approx(expected)


@pytest.mark.parametrize("baseline", [0.0, -1.0, float("nan")], ids=["zero", "negative", "nan"])
def test_reduction_vs_baseline_rejects(baseline):
    with pytest.raises(ValueError, match="baseline"):
        reduction_vs_baseline(baseline, 1.0)


@pytest.mark.parametrize(
    ("current", "current_year", "target", "target_year", "expected"),
    [
        # 100 · 1.1² = 121 → r = 0.10
        (100.0, 2020, 121.0, 2022, 0.10),
        # 121 · 0.9² = 98.01 → r = −0.10
        (121.0, 2020, 98.01, 2022, -0.10),
        # HP-01 from 2023: (0.173/0.180)^(1/2) − 1 = 0.961111^0.5 − 1 = −0.0196373
        (0.180, 2023, 0.173, 2025, -0.0196373),
    ],
    ids=["growth", "decline", "hp01-remaining"],
)
def test_required_annual_rate(current, current_year, target, target_year, expected):
    got = required_annual_rate(current, current_year, target, target_year)
    assert got == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize(
    ("current", "current_year", "target", "target_year"),
    [(1.0, 2025, 2.0, 2025), (1.0, 2026, 2.0, 2025), (0.0, 2020, 2.0, 2025),
     (1.0, 2020, 0.0, 2025), (-1.0, 2020, 2.0, 2025)],
    ids=["same-year", "target-before", "current-zero", "target-zero", "current-negative"],
)
def test_required_annual_rate_rejects(current, current_year, target, target_year):
    with pytest.raises(ValueError, match="year|current|target"):
        required_annual_rate(current, current_year, target, target_year)


@pytest.mark.parametrize(
    ("shape", "year", "expected"),
    [
        # geometric: 100 · (121/100)^(1/2) = 100 · 1.1 = 110
        ("geometric", 2021, 110.0),
        # linear: 100 + (121 − 100) · 1/2 = 110.5
        ("linear", 2021, 110.5),
        ("geometric", 2019, 100.0),  # before the baseline year → baseline
        ("linear", 2020, 100.0),
        ("geometric", 2022, 121.0),
        ("linear", 2030, 121.0),     # after the target year → target
    ],
    ids=["geometric-mid", "linear-mid", "before", "at-baseline", "at-target", "after"],
)
def test_path_value(shape, year, expected):
    assert path_value(100.0, 2020, 121.0, 2022, year, shape=shape) == pytest.approx(expected)


def test_path_value_hp01():
    # geometric 2023: 0.2 · 0.865^(3/5) = 0.2 · exp(0.6 · ln 0.865) = 0.2 · 0.9166629 = 0.1833326
    assert path_value(0.200, 2020, 0.173, 2025, 2023) == pytest.approx(0.1833326, abs=1e-7)
    # linear 2023: 0.2 − 0.027 · 3/5 = 0.1838
    assert path_value(0.200, 2020, 0.173, 2025, 2023, shape="linear") == pytest.approx(0.1838)


@pytest.mark.parametrize(
    ("args", "shape", "match"),
    [((0.0, 2021, 600.0, 2025, 2023), "geometric", "geometric"),
     ((1.0, 2025, 2.0, 2025, 2025), "linear", "target_year"),
     ((1.0, 2020, 2.0, 2025, 2023), "cubic", "shape")],
    ids=["geometric-from-zero", "no-span", "unknown-shape"],
)
def test_path_value_rejects(args, shape, match):
    with pytest.raises(ValueError, match=match):
        path_value(*args, shape=shape)


# --- reduction targets (HP-01) -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "status", "gap", "required", "reason_en", "reason_zh"),
    [
        # path 2023 = 0.1833326 (geometric, above); reduction (0.2 − 0.18)/0.2 = 10.0 %,
        # path reduction (0.2 − 0.1833326)/0.2 = 8.3 %; gap 0.180 − 0.1833326 = −0.0033326 ≤ 0
        (0.180, "on_track", -0.0033326, -0.0196373,
         "10.0 % below 2020 by 2023; the path needs 8.3 %; on track",
         "2023年较2020年下降10.0%，按路径应下降8.3%，进度正常"),
        # gap 0.185 − 0.1833326 = 0.0016674; margin 0.10 · |0.173 − 0.2| = 0.0027 → at risk;
        # required (0.173/0.185)^(1/2) − 1 = 0.9351351^0.5 − 1 = −0.0329761 → 3.3 % a year
        (0.185, "at_risk", 0.0016674, -0.0329761,
         "7.5 % below 2020 by 2023; the path needs 8.3 %; at risk; "
         "needs a 3.3 % fall a year to 2025",
         "2023年较2020年下降7.5%，按路径应下降8.3%，进度略有滞后，至2025年需年均下降3.3%"),
        # gap 0.190 − 0.1833326 = 0.0066674 > 0.0027 → off track;
        # required (0.173/0.190)^(1/2) − 1 = 0.9105263^0.5 − 1 = −0.0457850 → 4.6 %
        (0.190, "off_track", 0.0066674, -0.0457850,
         "5.0 % below 2020 by 2023; the path needs 8.3 %; off track; "
         "needs a 4.6 % fall a year to 2025",
         "2023年较2020年下降5.0%，按路径应下降8.3%，进度严重滞后，至2025年需年均下降4.6%"),
        # 0.210 is (0.2 − 0.21)/0.2 = −5 %: 5.0 % above the baseline;
        # required (0.173/0.21)^(1/2) − 1 = 0.8238095^0.5 − 1 = −0.0923605 → 9.2 %
        (0.210, "off_track", 0.0266674, -0.0923605,
         "5.0 % above 2020 by 2023; the path needs 8.3 %; off track; "
         "needs a 9.2 % fall a year to 2025",
         "2023年较2020年上升5.0%，按路径应下降8.3%，进度严重滞后，至2025年需年均下降9.2%"),
    ],
    ids=["on-track", "at-risk", "off-track", "above-baseline"],
)
def test_hp01_in_progress(value, status, gap, required, reason_en, reason_zh):
    a = assess_reduction_target(**HP01, observations=[(2021, 0.195), (2023, value)])
    assert a.status == status
    assert a.year == 2023
    assert a.value == value
    assert a.path_value == pytest.approx(0.1833326, abs=1e-7)
    assert a.gap == pytest.approx(gap, abs=1e-7)
    assert a.required_annual_rate == pytest.approx(required, abs=1e-7)
    assert a.shape == "geometric"
    assert a.reason_en == reason_en
    assert a.reason_zh == reason_zh


def test_hp01_achieved_rate():
    # achieved since 2020: (0.180/0.200)^(1/3) − 1 = 0.9^(1/3) − 1 = 0.9654894 − 1 = −0.0345106
    a = assess_reduction_target(**HP01, observations=[(2023, 0.180)])
    assert a.achieved_annual_rate == pytest.approx(-0.0345106, abs=1e-7)


def test_hp01_linear_path_reason_of_the_brief():
    # linear path 2024: 0.2 − 0.027 · 4/5 = 0.1784 → path reduction 0.0216/0.2 = 10.8 %;
    # 0.174 is (0.2 − 0.174)/0.2 = 13.0 % below 2020; 0.174 < 0.1784 → on track
    a = assess_reduction_target(**HP01, observations=[(2024, 0.174)], shape="linear")
    assert a.status == "on_track"
    assert a.path_value == pytest.approx(0.1784)
    assert a.gap == pytest.approx(-0.0044)
    assert a.reason_en == "13.0 % below 2020 by 2024; the path needs 10.8 %; on track"
    assert a.reason_zh == "2024年较2020年下降13.0%，按路径应下降10.8%，进度正常"


@pytest.mark.parametrize(
    ("value", "status", "reason_en", "reason_zh"),
    [
        # (0.2 − 0.170)/0.2 = 15.0 % ≥ 13.5 %
        (0.170, "achieved", "15.0 % below 2020 by 2025; the target is 13.5 %; achieved",
         "2025年较2020年下降15.0%，目标为下降13.5%，已完成"),
        # exactly on target: 0.173 ≤ 0.2 · 0.865
        (0.173, "achieved", "13.5 % below 2020 by 2025; the target is 13.5 %; achieved",
         "2025年较2020年下降13.5%，目标为下降13.5%，已完成"),
        # (0.2 − 0.175)/0.2 = 12.5 % < 13.5 %
        (0.175, "missed", "12.5 % below 2020 by 2025; the target is 13.5 %; missed",
         "2025年较2020年下降12.5%，目标为下降13.5%，未完成"),
    ],
    ids=["achieved", "exactly-on-target", "missed"],
)
def test_hp01_final_year(value, status, reason_en, reason_zh):
    # observations unsorted: the latest year (2025) decides
    a = assess_reduction_target(**HP01, observations=[(2025, value), (2022, 0.19), (2024, 0.18)])
    assert a.status == status
    assert a.year == 2025
    assert a.path_value == pytest.approx(0.173)
    assert a.required_annual_rate is None
    assert a.reason_en == reason_en
    assert a.reason_zh == reason_zh


def test_hp01_no_data():
    # NaN values are ignored; nothing else → no_data
    a = assess_reduction_target(**HP01, observations=[(2023, float("nan"))])
    assert a.status == "no_data"
    assert (a.value, a.year, a.path_value, a.gap) == (None, None, None, None)
    assert a.reason_en == "no observations; target 13.5 % below 2020 by 2025"
    assert a.reason_zh == "暂无数据，目标2025年较2020年下降13.5%"


@pytest.mark.parametrize("pct", [100.0, 120.0, float("nan")], ids=["hundred", "over", "nan"])
def test_reduction_target_rejects(pct):
    with pytest.raises(ValueError, match="reduction_pct"):
        assess_reduction_target(baseline_value=1.0, baseline_year=2020, reduction_pct=pct,
                                target_year=2025, observations=[])


# --- generic trajectories ---------------------------------------------------------------------

PILES = {"baseline": 0.0, "baseline_year": 2021, "target": 600.0, "target_year": 2025,
         "comparator": ">="}


@pytest.mark.parametrize(
    ("value", "status", "gap", "reason_en", "reason_zh"),
    [
        # linear path 2023: 0 + 600 · 2/4 = 300; 320 ≥ 300 → on track, gap 300 − 320 = −20
        (320.0, "on_track", -20.0,
         "320 in 2023; path 300; target ≥ 600 by 2025; on track",
         "2023年为320，路径值300，目标2025年≥600，进度正常"),
        # gap 300 − 280 = 20 ≤ margin 0.10 · 600 = 60 → at risk;
        # required (600/280)^(1/2) − 1 = 2.142857^0.5 − 1 = 0.4638501 → 46.4 % a year
        (280.0, "at_risk", 20.0,
         "280 in 2023; path 300; target ≥ 600 by 2025; at risk; "
         "needs a 46.4 % rise a year to 2025",
         "2023年为280，路径值300，目标2025年≥600，进度略有滞后，至2025年需年均增长46.4%"),
        # boundary: gap 300 − 240 = 60 = margin → still at risk;
        # required (600/240)^(1/2) − 1 = 1.5811388 − 1 = 0.5811388 → 58.1 %
        (240.0, "at_risk", 60.0,
         "240 in 2023; path 300; target ≥ 600 by 2025; at risk; "
         "needs a 58.1 % rise a year to 2025",
         "2023年为240，路径值300，目标2025年≥600，进度略有滞后，至2025年需年均增长58.1%"),
        # gap 300 − 200 = 100 > 60 → off track; required 3^(1/2) − 1 = 0.7320508 → 73.2 %
        (200.0, "off_track", 100.0,
         "200 in 2023; path 300; target ≥ 600 by 2025; off track; "
         "needs a 73.2 % rise a year to 2025",
         "2023年为200，路径值300，目标2025年≥600，进度严重滞后，至2025年需年均增长73.2%"),
    ],
    ids=["on-track", "at-risk", "at-risk-boundary", "off-track"],
)
def test_count_target_from_zero(value, status, gap, reason_en, reason_zh):
    # baseline 0 at the plan start: the geometric default falls back to the linear path
    a = assess_trajectory(**PILES, observations=[(2023, value)])
    assert a.shape == "linear"
    assert a.status == status
    assert a.path_value == pytest.approx(300.0)
    assert a.gap == pytest.approx(gap)
    assert a.achieved_annual_rate is None  # no rate from a zero baseline
    assert a.reason_en == reason_en
    assert a.reason_zh == reason_zh


def test_count_target_reasons_with_unit():
    a = assess_trajectory(**PILES, observations=[(2025, 610.0)], unit="piles")
    assert a.status == "achieved"
    assert a.gap == pytest.approx(-10.0)  # 600 − 610: ahead of the target
    assert a.reason_en == "610 piles in 2025; target ≥ 600 piles by 2025; achieved"
    assert a.reason_zh == "2025年为610piles，目标2025年≥600piles，已完成"


@pytest.mark.parametrize(
    ("value", "status", "gap"),
    [
        # linear 100 → 80 over 2020–2025: path 2023 = 100 − 20 · 3/5 = 88;
        # margin 0.10 · |80 − 100| = 2; gap = value − 88 (lower is better)
        (87.0, "on_track", -1.0),
        (88.0, "on_track", 0.0),    # on the path counts as on track
        (90.0, "at_risk", 2.0),     # exactly at the margin
        (90.5, "off_track", 2.5),   # beyond it
    ],
    ids=["below-path", "on-path", "margin-boundary", "beyond-margin"],
)
def test_margin_boundaries_for_a_cap(value, status, gap):
    a = assess_trajectory(baseline=100.0, baseline_year=2020, target=80.0, target_year=2025,
                          comparator="<=", observations=[(2023, value)], shape="linear")
    assert a.status == status
    assert a.gap == pytest.approx(gap)


@pytest.mark.parametrize(
    ("observations", "tolerance", "status"),
    [
        # flat "=" target 50: margin 0.10 · |50| = 5; gap |50.5 − 50| = 0.5 → at risk
        ([(2023, 50.5)], 0.0, "at_risk"),
        ([(2023, 50.0)], 0.0, "on_track"),
        ([(2023, 56.0)], 0.0, "off_track"),  # gap 6 > 5
        # final year with tolerance 0.02: band 0.02 · 50 = 1 ≥ |50.5 − 50|
        ([(2025, 50.5)], 0.02, "achieved"),
        ([(2025, 50.5)], 0.0, "missed"),
    ],
    ids=["flat-at-risk", "flat-on-path", "flat-off", "final-in-band", "final-exact"],
)
def test_hold_target_with_equal_comparator(observations, tolerance, status):
    a = assess_trajectory(baseline=50.0, baseline_year=2020, target=50.0, target_year=2025,
                          comparator="=", observations=observations, tolerance=tolerance)
    assert a.status == status


def test_geometric_achieved_and_required_rates():
    # 100 → 121 by 2022 (geometric): path 2021 = 110; 111 is 1 ahead (gap 110 − 111 = −1);
    # achieved 111/100 − 1 = 0.11; required 121/111 − 1 = 0.0900901
    a = assess_trajectory(baseline=100.0, baseline_year=2020, target=121.0, target_year=2022,
                          comparator=">=", observations=[(2021, 111.0)])
    assert a.status == "on_track"
    assert a.gap == pytest.approx(-1.0)
    assert a.achieved_annual_rate == pytest.approx(0.11)
    assert a.required_annual_rate == pytest.approx(0.0900901, abs=1e-7)


def test_no_observations_is_no_data():
    a = assess_trajectory(**PILES, observations=[])
    assert a.status == "no_data"
    assert a.reason_en == "no observations; target ≥ 600 by 2025"
    assert a.reason_zh == "暂无数据，目标2025年≥600"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [({"observations": [(2023, 1.0), (2023, 2.0)]}, "duplicate"),
     ({"at_risk_margin": -0.1}, "at_risk_margin"),
     ({"target_year": 2021}, "target_year"),
     ({"comparator": "=="}, "comparator"),
     ({"shape": "s-curve"}, "shape")],
    ids=["duplicate-year", "negative-margin", "no-span", "bad-comparator", "bad-shape"],
)
def test_assess_trajectory_rejects(overrides, match):
    kwargs = {**PILES, "observations": [(2023, 1.0)], **overrides}
    with pytest.raises(ValueError, match=match):
        assess_trajectory(**kwargs)


@pytest.mark.parametrize(
    ("x", "text"),
    [(4210.4, "4,210"), (45.0, "45"), (12.5, "12.5"), (9.6, "9.60"), (0.18333, "0.183"),
     (0.0042, "0.00420"), (-3.0, "−3"), (0.0, "0"), (float("nan"), "n/a")],
    ids=["thousands", "whole", "tens", "units", "fraction", "small", "negative", "zero", "nan"],
)
def test_format_value(x, text):
    assert format_value(x) == text


# --- decomposition ----------------------------------------------------------------------------

@pytest.fixture
def streets():
    return pd.DataFrame(
        {"baseline": [500.0, 300.0, 200.0],            # tce in the base year
         "activity": [10_000.0, 20_000.0, 5_000.0],    # floor area, m²
         "benchmark_intensity": [0.02, 0.01, 0.08]},   # benchmark tce/m²
        index=pd.Index(["A", "B", "C"], name="street"))


@pytest.mark.parametrize(
    ("method", "budgets", "shares"),
    [
        # 900 · (500, 300, 200)/1000 = 450, 270, 180
        ("baseline_share", [450.0, 270.0, 180.0], [0.5, 0.3, 0.2]),
        # needs 0.02·10000 = 200, 0.01·20000 = 200, 0.08·5000 = 400; Σ 800
        # → shares 0.25, 0.25, 0.5 → 225, 225, 450
        ("intensity_benchmark", [225.0, 225.0, 450.0], [0.25, 0.25, 0.5]),
        # 0.5 · (0.5, 0.3, 0.2) + 0.5 · (0.25, 0.25, 0.5) = 0.375, 0.275, 0.35
        # → 337.5, 247.5, 315
        ("mixed", [337.5, 247.5, 315.0], [0.375, 0.275, 0.35]),
    ],
    ids=["baseline-share", "intensity-benchmark", "mixed"],
)
def test_allocate_by_hand(streets, method, budgets, shares):
    out = allocate(900.0, streets, method=method)
    assert out["budget"].tolist() == pytest.approx(budgets)
    assert out["share"].tolist() == pytest.approx(shares)
    assert (out["method"] == method).all()
    assert list(out.index) == ["A", "B", "C"]
    assert out["baseline"].tolist() == [500.0, 300.0, 200.0]   # input columns kept
    assert "budget" not in streets.columns                     # input not modified


def test_allocate_mixed_weight(streets):
    # w = 0.8: 0.8 · 0.5 + 0.2 · 0.25 = 0.45; 0.8 · 0.3 + 0.2 · 0.25 = 0.29;
    # 0.8 · 0.2 + 0.2 · 0.5 = 0.26 → 1000 · shares = 450, 290, 260
    out = allocate_mixed(1000.0, streets, weight=0.8)
    assert out["budget"].tolist() == pytest.approx([450.0, 290.0, 260.0])


def test_allocate_functions_match_dispatcher(streets):
    pd.testing.assert_frame_equal(allocate_baseline_share(900.0, streets),
                                  allocate(900.0, streets, method="baseline_share"))
    pd.testing.assert_frame_equal(allocate_intensity_benchmark(900.0, streets),
                                  allocate(900.0, streets, method="intensity_benchmark"))


def test_allocate_unknown_method_lists_valid_names(streets):
    with pytest.raises(ValueError, match="baseline_share, intensity_benchmark, mixed"):
        allocate(900.0, streets, method="grandfathering")


@pytest.mark.parametrize(
    ("column", "value", "method"),
    [("baseline", float("nan"), "baseline_share"),
     ("baseline", -1.0, "baseline_share"),
     ("activity", None, "intensity_benchmark"),
     ("benchmark_intensity", -0.01, "mixed")],
    ids=["nan-baseline", "negative-baseline", "missing-activity", "negative-benchmark"],
)
def test_allocate_bad_input_names_unit_and_column(streets, column, value, method):
    bad = streets.astype({column: "object"})
    bad.loc["B", column] = value
    with pytest.raises(ValueError, match=rf"'{column}'.*\bB\b"):
        allocate(900.0, bad, method=method)


@pytest.mark.parametrize(
    ("frame", "total", "weight", "method", "match"),
    [
        (pd.DataFrame({"baseline": [1.0]}), 10.0, 0.5, "intensity_benchmark", "activity"),
        (pd.DataFrame({"baseline": [0.0, 0.0]}), 10.0, 0.5, "baseline_share", "sums to 0"),
        (pd.DataFrame({"baseline": [1.0]}), -10.0, 0.5, "baseline_share", "total"),
        (pd.DataFrame({"baseline": []}), 10.0, 0.5, "baseline_share", "no units"),
        (pd.DataFrame({"baseline": [1.0]}), 10.0, 1.5, "mixed", "weight"),
    ],
    ids=["missing-column", "zero-sum", "negative-total", "empty", "bad-weight"],
)
def test_allocate_rejects(frame, total, weight, method, match):
    with pytest.raises(ValueError, match=match):
        allocate(total, frame, method=method, weight=weight)


_amount = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


@given(
    total=st.floats(min_value=0.0, max_value=1e9, allow_nan=False),
    rows=st.lists(st.tuples(_amount, _amount, _amount), min_size=1, max_size=20).filter(
        lambda r: sum(b for b, _, _ in r) > 0 and sum(a * i for _, a, i in r) > 0),
    method=st.sampled_from(["baseline_share", "intensity_benchmark", "mixed"]),
    weight=st.floats(min_value=0.0, max_value=1.0),
)
def test_allocations_sum_to_total_and_are_non_negative(total, rows, method, weight):
    units = pd.DataFrame(rows, columns=["baseline", "activity", "benchmark_intensity"])
    out = allocate(total, units, method=method, weight=weight)
    assert math.fsum(out["budget"]) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert math.fsum(out["share"]) == pytest.approx(1.0, rel=1e-9)
    assert (out["budget"] >= 0).all()


# --- elastic totals ---------------------------------------------------------------------------

def test_elastic_budgets_by_hand():
    frame = pd.DataFrame(
        {"budget": [1000.0, 1000.0, 1000.0, 1000.0],
         "actual": [1100.0, 1100.0, 900.0, 500.0],
         "activity": [60_000.0, 50_000.0, 40_000.0, 20_000.0],   # value added, 10^4 CNY
         "intensity_target": [0.02, 0.02, 0.025, 0.03]},         # tce per 10^4 CNY
        index=["U1", "U2", "U3", "U4"])
    out = elastic_budgets(frame)
    # U1: 1100/60000 = 0.018333 ≤ 0.02 → meets; 0.02 · 60000 = 1200 > 1000 → 1200, elastic;
    #     1100 ≤ 1200 → not over budget (a plain budget would have flagged it)
    # U2: 1100/50000 = 0.022 > 0.02 → no elastic total; 1100 > 1000 → over
    # U3: 900/40000 = 0.0225 ≤ 0.025 → meets; 0.025 · 40000 = 1000 = budget → not raised
    # U4: 500/20000 = 0.025 ≤ 0.03 → meets; 0.03 · 20000 = 600 < 1000 → budget stays 1000
    assert out["intensity_actual"].tolist() == pytest.approx([0.0183333, 0.022, 0.0225, 0.025],
                                                             abs=1e-7)
    assert out["meets_intensity"].tolist() == [True, False, True, True]
    assert out["effective_budget"].tolist() == pytest.approx([1200.0, 1000.0, 1000.0, 1000.0])
    assert out["elastic"].tolist() == [True, False, False, False]
    assert out["over_budget"].tolist() == [False, True, False, False]


def test_elastic_budgets_zero_activity_is_not_elastic():
    frame = pd.DataFrame({"budget": [10.0], "actual": [12.0], "activity": [0.0],
                          "intensity_target": [1.0]}, index=["Z"])
    out = elastic_budgets(frame)
    assert math.isnan(out.at["Z", "intensity_actual"])
    assert not out.at["Z", "meets_intensity"]
    assert out.at["Z", "over_budget"]


def test_elastic_budgets_names_bad_unit():
    frame = pd.DataFrame({"budget": [10.0, float("nan")], "actual": [1.0, 1.0],
                          "activity": [1.0, 1.0], "intensity_target": [1.0, 1.0]},
                         index=["ok", "broken"])
    with pytest.raises(ValueError, match="'budget'.*broken"):
        elastic_budgets(frame)


@given(st.lists(st.tuples(_amount, _amount, _amount, _amount), min_size=1, max_size=20))
def test_meeting_the_intensity_target_is_never_over_budget(rows):
    frame = pd.DataFrame(rows, columns=["budget", "actual", "activity", "intensity_target"])
    out = elastic_budgets(frame)
    assert not (out["meets_intensity"] & out["over_budget"]).any()
    assert (out["effective_budget"] >= out["budget"]).all()
