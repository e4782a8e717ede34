"""The measure step of a retrofit's M&V (carbonpeak.domain.buildings.measurement): periods,
overlapping projects, the monthly table and the stored result, on hand-worked cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from carbonpeak.domain.buildings.measurement import (
    BASELINE_DAYS,
    REPORTING_DAYS,
    ProjectDates,
    baseline_overlaps,
    last_reporting_day,
    missing_inputs,
    monthly,
    project_result,
    reporting_period,
)

D = dt.date


def test_periods_are_a_year_before_and_at_most_a_year_after() -> None:
    # works 2023-03-01 … 2023-06-01: baseline 2023-03-01 − 365 days = 2022-03-01; reporting
    # 2023-06-01 + 364 days = 2024-05-30, cut at the limit when that is earlier
    p = ProjectDates("R1", "B1", "completed", D(2023, 3, 1), D(2023, 6, 1))
    assert (BASELINE_DAYS, REPORTING_DAYS) == (365, 365)
    assert reporting_period(p, D(2030, 1, 1)) == (D(2022, 3, 1), D(2024, 5, 30))
    assert reporting_period(p, D(2023, 12, 31)) == (D(2022, 3, 1), D(2023, 12, 31))
    # a limit before the end of the works: the period is the end day itself (nothing yet)
    assert reporting_period(p, D(2023, 5, 1))[1] == D(2023, 6, 1)
    with pytest.raises(ValueError, match="no end date"):
        reporting_period(ProjectDates("R2", "B1", "in_progress", D(2023, 3, 1)), D(2024, 1, 1))


def test_reporting_ends_at_the_last_day_with_usage_and_weather() -> None:
    # days from 2024-01-01; usage on days 0…5, weather on days 0…3, usage 0 on day 3:
    # the last day with both and usage ≠ 0 is day 2 = 2024-01-03
    usage = np.array([5.0, 5.0, 5.0, 0.0, 5.0, 5.0])
    temp = np.array([1.0, 1.0, 1.0, 1.0, np.nan, np.nan])
    day0 = D(2024, 1, 1)
    assert last_reporting_day(D(2024, 1, 6), D(2024, 1, 1), day0, usage, temp) == D(2024, 1, 3)
    # not before the end of the works
    assert last_reporting_day(D(2024, 1, 6), D(2024, 1, 5), day0, usage, temp) == D(2024, 1, 5)
    # not after the period's own end
    assert last_reporting_day(D(2024, 1, 2), D(2024, 1, 1), day0, usage, temp) == D(2024, 1, 2)
    # no data at all: the end of the works
    none = np.full(6, np.nan)
    assert last_reporting_day(D(2024, 1, 6), D(2024, 1, 1), day0, none, temp) == D(2024, 1, 1)


def test_a_project_in_the_baseline_is_a_warning() -> None:
    # P's baseline: 2024-03-01 − 365 days = 2023-03-02 … 2024-02-29
    p = ProjectDates("P", "B1", "completed", D(2024, 3, 1), D(2024, 6, 1))
    # Q's reporting year 2022-03-02 + 364 = 2023-03-01 ends the day before P's baseline: none
    q = ProjectDates("Q", "B1", "completed", D(2022, 1, 1), D(2022, 3, 2))
    # R's reporting year 2022-03-03 + 364 = 2023-03-02 reaches its first day: a warning
    r = ProjectDates("R", "B1", "completed", D(2022, 1, 1), D(2022, 3, 3))
    # another building, a planned project and P itself do not count
    s = ProjectDates("S", "B2", "completed", D(2023, 6, 1), D(2023, 7, 1))
    t = ProjectDates("T", "B1", "planned", D(2023, 6, 1), D(2023, 7, 1))
    # works in progress (no end) from 2024-01-01: open-ended, in the baseline
    u = ProjectDates("U", "B1", "in_progress", D(2024, 1, 1))
    found = baseline_overlaps(p, [u, t, s, r, q, p])
    assert [i.data["project"] for i in found] == ["R", "U"]
    assert found[0].code == "mv.baseline.overlaps_project"
    assert found[0].data["period_end"] == "2023-03-02"
    assert found[0].data["baseline"] == ["2023-03-02", "2024-02-29"]
    assert found[1].data["period_end"] == "…"


def test_monthly_table_sums_valid_days_per_period() -> None:
    # 2024-01-30 … 2024-02-03, works 2024-02-01 … 2024-02-02: Jan 30, 31 are the baseline,
    # Feb 1 is the works (left out), Feb 2, 3 the reporting period
    days = np.arange(np.datetime64("2024-01-30"), np.datetime64("2024-02-04"))
    usage = np.array([10.0, 0.0, 99.0, 8.0, 6.0])
    temp = np.array([2.0, 4.0, 5.0, np.nan, 3.0])
    pred = np.array([11.0, 12.0, 13.0, 14.0, 15.0])
    rows = monthly(days, usage, temp, pred, D(2024, 2, 1), D(2024, 2, 2), zero_is_missing=True)
    # baseline Jan: 2 days; Jan 31's 0 kWh is missing → 1 valid day, 10 kWh, model 11 kWh;
    # mean temperature (2 + 4) / 2 = 3 °C
    assert rows[0] == {"month": "2024-01", "period": "baseline", "n_days": 2,
                       "n_valid_days": 1, "actual_kwh": 10.0, "baseline_kwh": 11.0,
                       "temp_mean_c": 3.0}
    # reporting Feb: Feb 2 has no weather → only Feb 3 is valid: 6 kWh against 15 kWh
    assert rows[1] == {"month": "2024-02", "period": "reporting", "n_days": 2,
                       "n_valid_days": 1, "actual_kwh": 6.0, "baseline_kwh": 15.0,
                       "temp_mean_c": 3.0}
    assert len(rows) == 2
    # a 0 counted as a reading (gas, say): Jan has 2 valid days, 10 + 0 = 10 kWh, 11 + 12 = 23
    kept = monthly(days, usage, temp, pred, D(2024, 2, 1), D(2024, 2, 2), zero_is_missing=False)
    assert (kept[0]["n_valid_days"], kept[0]["baseline_kwh"]) == (2, 23.0)


def test_missing_inputs_count_the_days_without_weather_or_usage() -> None:
    usage = np.array([1.0, 0.0, np.nan, 2.0])
    temp = np.array([1.0, np.nan, 1.0, 1.0])
    # one day without weather; two without usage (a 0 and a NaN), of 4 baseline days
    assert missing_inputs(usage, temp) == [
        {"code": "mv.weather.missing", "data": {"n_days": 1, "baseline_days": 4}},
        {"code": "mv.usage.missing", "data": {"n_days": 2, "baseline_days": 4}}]
    assert missing_inputs(np.array([1.0]), np.array([1.0])) == []


def test_a_project_without_a_result_says_why() -> None:
    from carbonpeak.domain.mv import Issue

    days = np.arange(np.datetime64("2024-01-30"), np.datetime64("2024-02-01"))
    res = project_result("R1", None, Issue("mv.usage.no_meter"), days, np.full(2, np.nan),
                         np.full(2, 1.0), D(2024, 3, 1), D(2024, 4, 1), zero_is_missing=True)
    assert res["reasons"] == [{"code": "mv.usage.no_meter", "data": {}}]
    assert (res["n_reporting_days"], res["meets_g14"], res["savings_kwh"]) == (0, False, None)
    # the baseline it would have had: 2024-03-01 − 365 days = 2023-03-02 … 2024-02-29
    assert (res["baseline_start"], res["baseline_end"]) == ("2023-03-02", "2024-02-29")
    assert res["reporting_start"] == "2024-04-01"
    assert [m["n_valid_days"] for m in res["monthly"]] == [0]
    # no problem named: no usage at all
    none = project_result("R1", None, None, days, np.full(2, np.nan), np.full(2, 1.0),
                          D(2024, 3, 1), D(2024, 4, 1), zero_is_missing=True)
    assert none["reasons"] == [{"code": "mv.usage.no_data", "data": {}}]


def test_a_measured_project_keeps_the_models_result_and_its_reasons() -> None:
    from carbonpeak.domain.mv import MvOptions, measure_savings

    # a year of baseline (2023-01-01 … 2023-12-31) at 100 kWh a day and 10 °C, works from
    # 2024-01-01 to 2024-02-01, nothing reported yet: the baseline is sufficient and the
    # result says that no reporting data has come in since 2024-02-01
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2024-01-01"))
    usage = np.full(days.size, 100.0)
    temp = np.full(days.size, 10.0)
    (r,) = measure_savings(usage, temp, days, intervention_date="2024-01-01",
                           reporting_start="2024-02-01", reporting_end="2024-02-01",
                           building_ids=["R1"], options=MvOptions(zero_is_missing=True))
    assert r.sufficiency.passed
    res = project_result("R1", r, None, days, usage, temp, D(2024, 1, 1), D(2024, 2, 1),
                         zero_is_missing=True)
    assert res["reasons"] == [{"code": "mv.reporting.no_data_yet",
                               "data": {"reporting_start": "2024-02-01"}}]
    assert (res["baseline_start"], res["baseline_end"]) == ("2023-01-01", "2023-12-31")
    # the monthly table: 12 baseline months, January 31 days · 100 kWh = 3,100 kWh, and the
    # flat model predicts the same 3,100 kWh
    assert len(res["monthly"]) == 12
    jan = res["monthly"][0]
    assert (jan["n_valid_days"], jan["actual_kwh"]) == (31, 3100.0)
    assert jan["baseline_kwh"] == pytest.approx(3100.0)
