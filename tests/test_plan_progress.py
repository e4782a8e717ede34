"""A plan target's status and progress (carbonpeak.domain.plan.progress): hand-worked cases.

Every expected number is typed as a literal; the arithmetic is written in the comments.
"""

from __future__ import annotations

import pytest

from carbonpeak.domain.plan.progress import TargetSpec, judge_target, latest_value
from carbonpeak.i18n import render
from carbonpeak.vocabulary import TargetKind, TargetState

# 600 charging piles by 2025 in 十四五 (baseline year 2020 = the year before the period), none
# counted at the start: the path is linear from 0 (a geometric path needs a baseline > 0), so
# in 2023 it needs 0 + 600 · (2023 − 2020) / (2025 − 2020) = 360; the at-risk margin is
# 10 % of the change asked, 0.10 · |600 − 0| = 60.
PILES = TargetSpec(kind=TargetKind.COUNT, comparator=">=", unit="个 piles", target_value=600.0,
                   target_year=2025, period_baseline_year=2020)


@pytest.mark.parametrize(("value", "status", "progress"), [
    # 400 is above the path (gap 360 − 400 = −40 ≤ 0); progress 400 / 600 = 66.67 %
    (400.0, TargetState.ON_TRACK, 66.666666667),
    # 300: gap 360 − 300 = 60, exactly the margin → still at risk; progress 300 / 600 = 50 %
    (300.0, TargetState.AT_RISK, 50.0),
    # 299: gap 61 > 60 → off track; progress 299 / 600 = 49.83 %
    (299.0, TargetState.OFF_TRACK, 49.833333333),
], ids=["on-track", "at-risk-at-the-bound", "off-track-past-the-bound"])
def test_count_from_zero_against_the_linear_path(value: float, status: TargetState,
                                                 progress: float) -> None:
    p = judge_target(PILES, {2023: value})
    assert p.status == status
    assert p.path_value == pytest.approx(360.0)
    assert p.progress_pct == pytest.approx(progress)
    assert (p.baseline_year, p.baseline_value) == (2020, 0.0)
    assert (p.value_year, p.value) == (2023, value)


def test_count_at_the_target_year_is_achieved_or_missed() -> None:
    # from the target year on the value is compared with the target itself: 610 ≥ 600
    assert judge_target(PILES, {2025: 610.0}).status == TargetState.ACHIEVED
    # 590 < 600; progress 590 / 600 = 98.33 %
    missed = judge_target(PILES, {2025: 590.0})
    assert missed.status == TargetState.MISSED
    assert missed.progress_pct == pytest.approx(98.333333333)


def test_reduction_takes_its_baseline_from_the_period_and_reports_progress() -> None:
    # energy per GDP −13.5 % by 2025 against 2020 (the year before 十四五); the 2020 value
    # 0.200 is the baseline. 2023: 0.180, a reduction of (0.200 − 0.180) / 0.200 = 10.0 %;
    # progress = 10.0 / 13.5 = 74.07 %. The target is 0.200 · 0.865 = 0.173 and the geometric
    # path needs 0.200 · (0.173 / 0.200) ** (3/5) = 0.200 · 0.91666 = 0.18333 in 2023, a
    # reduction of (0.200 − 0.18333) / 0.200 = 8.3 %: 0.180 is below the path → on track.
    spec = TargetSpec(kind=TargetKind.REDUCTION_VS_BASELINE, comparator="<=",
                      target_value=13.5, target_year=2025, period_baseline_year=2020)
    p = judge_target(spec, {2020: 0.200, 2023: 0.180})
    assert p.status == TargetState.ON_TRACK
    assert (p.baseline_year, p.baseline_value) == (2020, 0.200)
    assert p.progress_pct == pytest.approx(74.074074074)
    assert p.path_value == pytest.approx(0.183333, abs=1e-6)
    assert render(p.reason, "en") == "10.0 % below 2020 by 2023; the path needs 8.3 %; on track"


def test_reduction_with_a_stated_baseline_ignores_the_baseline_years_record() -> None:
    # stated 0.250 (the plan's figure) wins over the recorded 0.200: (0.250 − 0.200) / 0.250
    # = 20 % below by 2024 against a 10 % target by 2025 → progress 20 / 10 = 200 %
    spec = TargetSpec(kind=TargetKind.REDUCTION_VS_BASELINE, comparator="<=", target_value=10.0,
                      target_year=2025, baseline_year=2020, baseline_value=0.250)
    p = judge_target(spec, {2020: 0.200, 2024: 0.200})
    assert p.baseline_value == 0.250
    assert p.progress_pct == pytest.approx(200.0)
    assert p.status == TargetState.ON_TRACK


def test_reduction_without_a_baseline_has_no_data() -> None:
    spec = TargetSpec(kind=TargetKind.REDUCTION_VS_BASELINE, comparator="<=", target_value=13.5,
                      target_year=2025, period_baseline_year=2020)
    p = judge_target(spec, {2023: 0.180})  # nothing recorded for 2020
    assert p.status == TargetState.NO_DATA
    assert p.progress_pct is None
    assert (p.baseline_year, p.baseline_value) == (None, None)  # as the plan states them
    assert (p.value_year, p.value) == (2023, 0.180)  # the latest value is still shown


def test_reduction_of_a_hundred_percent_cannot_be_judged() -> None:
    spec = TargetSpec(kind=TargetKind.REDUCTION_VS_BASELINE, comparator="<=",
                      target_value=100.0, target_year=2025, baseline_year=2020,
                      baseline_value=1.0)
    with pytest.raises(ValueError, match="reduction_pct"):
        judge_target(spec, {2023: 0.5})


def test_reduction_without_a_number_says_what_was_achieved() -> None:
    # 市下达目标: no number yet; (0.200 − 0.190) / 0.200 = 5.0 % below 2020 by 2022
    spec = TargetSpec(kind=TargetKind.REDUCTION_VS_BASELINE, comparator="<=",
                      period_baseline_year=2020, target_text="市下达目标")
    p = judge_target(spec, {2020: 0.200, 2022: 0.190})
    assert p.status == TargetState.NO_TARGET_VALUE
    assert p.reason.params["pct"] == "5.0"
    assert p.reason.params["year"] == 2022


def test_ongoing_target_is_met_or_not_by_its_latest_value() -> None:
    # no year: ≥ 30 % every year. 2024's 33 % meets it; progress 33 / 30 = 110 %
    spec = TargetSpec(kind=TargetKind.SHARE, comparator=">=", unit="%", target_value=30.0)
    met = judge_target(spec, {2023: 24.0, 2024: 33.0})
    assert (met.status, met.value_year, met.value) == (TargetState.MET, 2024, 33.0)
    assert met.progress_pct == pytest.approx(110.0)
    # 24 % does not; progress 24 / 30 = 80 %
    not_met = judge_target(spec, {2023: 24.0})
    assert not_met.status == TargetState.NOT_MET
    assert not_met.progress_pct == pytest.approx(80.0)
    # exactly at the bound: 30 ≥ 30 is met, progress 100 %
    assert judge_target(spec, {2024: 30.0}).status == TargetState.MET
    assert judge_target(spec, {}).status == TargetState.NO_DATA


def test_share_without_a_baseline_starts_from_its_first_record() -> None:
    # 50 % by 2025; first record 40 % in 2021 is the start. Geometric path in 2023:
    # 40 · (50 / 40) ** ((2023 − 2021) / (2025 − 2021)) = 40 · 1.25 ** 0.5 = 44.7214;
    # 46 is above it → on track; progress (46 − 40) / (50 − 40) = 60 %
    spec = TargetSpec(kind=TargetKind.SHARE, comparator=">=", unit="%", target_value=50.0,
                      target_year=2025)
    p = judge_target(spec, {2021: 40.0, 2023: 46.0})
    assert (p.baseline_year, p.baseline_value) == (2021, 40.0)
    assert p.path_value == pytest.approx(44.72136, abs=1e-5)
    assert p.status == TargetState.ON_TRACK
    assert p.progress_pct == pytest.approx(60.0)


def test_a_later_periods_target_has_not_started() -> None:
    # 十五五 (baseline year 2025): a 2024 value precedes it
    spec = TargetSpec(kind=TargetKind.CAPACITY, comparator=">=", unit="MW", target_value=80.0,
                      target_year=2030, period_baseline_year=2025)
    p = judge_target(spec, {2024: 12.0})
    assert p.status == TargetState.PERIOD_NOT_STARTED
    assert (p.value_year, p.value) == (2024, 12.0)
    assert p.reason.params["start"] == 2026
    assert p.progress_pct is None


def test_targets_without_a_number() -> None:
    level = TargetSpec(kind=TargetKind.LEVEL, comparator=">=", target_text="国内领先")
    assert judge_target(level, {2024: 1.0}).status == TargetState.QUALITATIVE
    share = TargetSpec(kind=TargetKind.SHARE, comparator=">=", target_text="市下达")
    assert judge_target(share, {}).status == TargetState.QUALITATIVE
    with_values = judge_target(share, {2024: 21.5})
    assert with_values.status == TargetState.NO_TARGET_VALUE
    assert with_values.reason.params["value"] == "21.5"


def test_latest_value() -> None:
    assert latest_value({2022: 1.0, 2024: 3.0, 2023: 2.0}) == (2024, 3.0)
    assert latest_value({}) == (None, None)
