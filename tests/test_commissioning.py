"""Commissioning screen (carbonpeak.domain.commissioning): hand-worked indicators, findings,
ranking, calendar, missing data, validation, vectorisation and scaling properties."""

from __future__ import annotations

import datetime as dt
import json
import math

import holidays as holiday_calendars
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from carbonpeak.domain.commissioning import (
    FINDING_CODES,
    CommissioningIndicators,
    CommissioningOptions,
    commissioning_candidates,
    commissioning_indicators,
    hour_calendar,
    rank_buildings,
)

NAN = math.nan
MONDAY = "2024-06-03"  # a Monday; 2024-06-03 … 2024-06-09 has no public holiday


def office_day(night_kw: float = 10.0, office_kw: float = 50.0) -> list[float]:
    """``night_kw`` all day except 09:00–17:00 (hours 9 … 16) at ``office_kw``."""
    return [night_kw] * 9 + [office_kw] * 8 + [night_kw] * 7


def office_week() -> list[float]:
    """Monday–Friday office days, then a weekend at the 10 kW night load."""
    return office_day() * 5 + [10.0] * 48


def flat(kw: float, days: int = 7) -> list[float]:
    return [kw] * 24 * days


# --- reference cases worked by hand --------------------------------------------------------

def test_office_week_by_hand():
    ind = commissioning_indicators([office_week()], MONDAY)
    # night hours 00:00-05:00: 5 a day x 7 days = 35 values, all 10 kW -> median 10
    assert ind.base_load_kw[0] == 10.0
    assert ind.n_night_hours[0] == 35
    # occupied: 09:00-17:00 of the 5 working days = 40 hours of 50 kW
    assert ind.occupied_load_kw[0] == 50.0
    assert ind.n_occupied_hours[0] == 40
    assert ind.base_load_ratio[0] == 0.2  # 10 / 50
    # working day 8 x 50 + 16 x 10 = 560 kWh; weekend day 24 x 10 = 240 kWh
    assert ind.working_day_kwh[0] == 560.0
    assert ind.nonworking_day_kwh[0] == 240.0
    assert (ind.n_working_days[0], ind.n_nonworking_days[0]) == (5, 2)
    assert ind.weekend_ratio[0] == pytest.approx(3 / 7, rel=1e-15)  # 240 / 560
    # weekend hours all at the base load: nothing above it
    assert ind.holiday_waste_kwh[0] == 0.0
    assert ind.n_nonworking_hours[0] == 48
    # total 5 x 560 + 2 x 240 = 3280 kWh in 168 h; peak 50 -> 3280 / (168 x 50) = 41/105
    assert ind.total_kwh[0] == 3280.0
    assert ind.n_hours[0] == 168
    assert ind.mean_kw[0] == pytest.approx(3280 / 168, rel=1e-15)
    assert ind.peak_kw[0] == 50.0
    assert ind.load_factor[0] == pytest.approx(41 / 105, rel=1e-15)
    # target base 0.3 x 50 = 15 kW is above the 10 kW base: no excess; 168 - 40 unoccupied h
    assert ind.base_load_excess_kwh[0] == 0.0
    assert ind.n_unoccupied_hours[0] == 128
    # no sub-meters
    assert math.isnan(ind.simultaneous_hours[0])
    assert math.isnan(ind.cop[0])
    assert ind.n_submeter_hours[0] == 0
    assert ind.n_cop_hours[0] == 0
    assert ind.months == ("2024-06",)


def test_flat_building_by_hand():
    result = commissioning_candidates([flat(30.0)], MONDAY)
    ind = result.indicators
    assert ind.base_load_ratio[0] == 1.0
    assert ind.weekend_ratio[0] == 1.0
    assert ind.load_factor[0] == 1.0
    assert ind.holiday_waste_kwh[0] == 0.0
    # target 0.3 x 30 = 9 kW, band 30 - 9 = 21 kW in each of the 128 unoccupied hours
    assert ind.base_load_excess_kwh[0] == 128 * 21.0 == 2688.0
    assert result.avoidable_kwh[0] == 2688.0
    found = result.findings(0)
    assert [f.code for f in found] == ["commissioning.base_load_high",
                                       "commissioning.weekend_ratio_high"]
    # severities: min(1, (1 - 0.5) / 0.5) = 1; (1 - 0.7) / 0.7 = 3/7
    assert found[0].value == 1.0
    assert found[0].threshold == 0.5
    assert found[0].severity == 1.0
    assert found[1].severity == pytest.approx(3 / 7, rel=1e-15)
    assert result.score[0] == pytest.approx(2 + 1 + 3 / 7, rel=1e-15)
    assert result.n_findings[0] == 2
    assert "100%" in found[0].message_zh
    assert "50%" in found[0].message_en


def test_holiday_waste_by_hand():
    # Monday 2024-09-30 (working) and Tuesday 2024-10-01 (National Day)
    day1 = office_day(20.0, 100.0)  # 8 x 100 + 16 x 20 = 1120 kWh
    day2 = [20.0] * 24
    day2[9:12] = [60.0] * 3  # AHU left on 09:00-12:00 of the holiday: 3 x 60 + 21 x 20 = 600
    ind = commissioning_indicators([day1 + day2], "2024-09-30", holidays={dt.date(2024, 10, 1)})
    assert ind.base_load_kw[0] == 20.0  # 10 night values, all 20
    assert ind.occupied_load_kw[0] == 100.0  # only Monday is occupied
    assert ind.n_occupied_hours[0] == 8
    assert ind.base_load_ratio[0] == 0.2
    # waste = 3 h x (60 - 20) = 120 kWh; total 1120 + 600 = 1720; 120 / 1720 = 3/43
    assert ind.holiday_waste_kwh[0] == 120.0
    assert ind.n_nonworking_hours[0] == 24
    assert ind.total_kwh[0] == 1720.0
    assert ind.holiday_waste_fraction[0] == pytest.approx(3 / 43, rel=1e-15)
    assert ind.weekend_ratio[0] == pytest.approx(15 / 28, rel=1e-15)  # 600 / 1120


def test_base_load_excess_by_hand():
    day1 = office_day(20.0, 100.0)
    day2 = [20.0] * 24
    day2[9:12] = [60.0] * 3
    opt = CommissioningOptions(target_base_load_ratio=0.1)
    result = commissioning_candidates([day1 + day2], "2024-09-30", holidays=["2024-10-01"],
                                      options=opt)
    ind = result.indicators
    # target 0.1 x 100 = 10 kW; band = 20 - 10 = 10 kW per unoccupied hour, capped by P - 10:
    # Monday's 16 unoccupied hours at 20 kW: 16 x 10 = 160
    # holiday: 21 h at 20 kW -> 21 x 10 = 210; 3 h at 60 kW -> min(50, 10) = 10 each -> 30
    assert ind.n_unoccupied_hours[0] == 40
    assert ind.base_load_excess_kwh[0] == 160.0 + 210.0 + 30.0
    # avoidable = waste above the base (120) + the band below it (400): disjoint
    assert result.avoidable_kwh[0] == 520.0
    assert result.findings(0) == ()


def test_base_load_quantile_and_peak_quantile():
    day = [10.0] * 24
    day[0] = 40.0  # one high night hour of five: 10, 10, 10, 10, 40
    day[12] = 100.0
    opt = CommissioningOptions(base_load_quantile=0.9, peak_quantile=0.99)
    ind = commissioning_indicators([day], MONDAY, options=opt)
    # night sorted 10 10 10 10 40: position 0.9 x 4 = 3.6 -> 10 + 0.6 x 30 = 28
    assert ind.base_load_kw[0] == pytest.approx(28.0, rel=1e-12)
    # 24 values, sorted 22 x 10, 40, 100: position 0.99 x 23 = 22.77 -> 40 + 0.77 x 60 = 86.2
    assert ind.peak_kw[0] == pytest.approx(86.2, rel=1e-12)
    # mean (22 x 10 + 40 + 100) / 24 = 15
    assert ind.load_factor[0] == pytest.approx(15 / 86.2, rel=1e-12)
    default = commissioning_indicators([day], MONDAY)
    assert default.base_load_kw[0] == 10.0  # the median
    assert default.load_factor[0] == 15 / 100  # max


def test_base_load_quantile_matches_numpy():
    rng = np.random.default_rng(7)
    load = rng.uniform(5, 80, (6, 24 * 14))
    load[rng.random(load.shape) < 0.2] = NAN
    ind = commissioning_indicators(load, MONDAY,
                                   options=CommissioningOptions(base_load_quantile=0.1))
    night = np.tile(np.arange(24) < 5, 14)
    np.testing.assert_allclose(ind.base_load_kw, np.nanquantile(load[:, night], 0.1, axis=1),
                               rtol=1e-13)
    np.testing.assert_array_equal(ind.n_night_hours, np.sum(~np.isnan(load[:, night]), axis=1))


def test_simultaneous_heating_cooling_by_hand():
    heating = np.zeros((2, 24))
    cooling = np.zeros((2, 24))
    heating[0, :5] = [100, 20, 8, 30, 11]  # peak 100 -> on above 10
    cooling[0, :5] = [0, 6, 50, 4, 40]  # peak 50 -> on above 5
    heating[0, 5] = NAN
    heating[1] = NAN  # no sub-meters
    cooling[1] = NAN
    # hour 0: cooling 0 ≤ 5; hour 1: 20 > 10 and 6 > 5 -> on, min 6; hour 2: 8 ≤ 10;
    # hour 3: 4 ≤ 5; hour 4: 11 > 10 and 40 > 5 -> on, min 11. 2 h, 6 + 11 = 17 kWh
    result = commissioning_candidates(np.array([office_day()] * 2), MONDAY, heating_kwh=heating,
                                      cooling_kwh=cooling,
                                      options=CommissioningOptions(max_simultaneous_hours=1))
    ind = result.indicators
    assert ind.simultaneous_hours[0] == 2.0
    assert ind.simultaneous_kwh[0] == 17.0
    assert ind.n_submeter_hours[0] == 23  # the NaN heating hour is not counted
    assert math.isnan(ind.simultaneous_hours[1])
    assert math.isnan(ind.simultaneous_kwh[1])
    assert ind.n_submeter_hours[1] == 0
    (finding,) = result.findings(0)
    assert finding.code == "commissioning.simultaneous_heating_cooling"
    assert finding.value == 2.0
    assert finding.severity == 1.0  # min(1, (2 - 1) / 1)
    assert "2 h" in finding.message_en
    assert "2 小时" in finding.message_zh
    assert result.findings(1) == ()


def test_simultaneous_fraction_option():
    heating = np.zeros((1, 24))
    cooling = np.zeros((1, 24))
    heating[0, :3] = [100, 60, 40]
    cooling[0, :3] = [100, 60, 40]
    # at 50 %: on above 50 -> hours 0 and 1, min 100 + 60 = 160
    ind = commissioning_indicators(np.full((1, 24), 1.0), MONDAY, heating_kwh=heating,
                                   cooling_kwh=cooling,
                                   options=CommissioningOptions(simultaneous_fraction=0.5))
    assert ind.simultaneous_hours[0] == 2.0
    assert ind.simultaneous_kwh[0] == 160.0


def test_cooling_plant_cop_by_hand():
    chilled = np.zeros((2, 24))
    plant = np.zeros((2, 24))
    chilled[:, 8:18] = 300.0  # 10 hours
    plant[0, 8:18] = 100.0
    plant[1, 8:18] = 125.0
    chilled[:, 18], plant[:, 18] = 50.0, 0.0  # no electricity read: left out
    chilled[:, 7], plant[:, 7] = 0.0, 20.0  # pumps without cooling: left out
    chilled[:, 19], plant[:, 19] = NAN, 30.0  # missing: left out
    result = commissioning_candidates(np.array([office_day()] * 2), MONDAY,
                                      chilled_water_kwh_th=chilled, plant_kwh=plant)
    ind = result.indicators
    assert ind.cop[0] == 3.0  # 3000 / 1000
    assert ind.cooling_kwh_th[0] == 3000.0
    assert ind.plant_kwh[0] == 1000.0
    assert ind.n_cop_hours[0] == 10
    assert ind.cop[1] == 2.4  # 3000 / 1250
    assert result.findings(0) == ()  # 3.0 is not below 3.0
    (finding,) = result.findings(1)
    assert finding.code == "commissioning.cop_low"
    assert finding.severity == pytest.approx(0.2, rel=1e-12)  # (3.0 - 2.4) / 3.0
    assert "2.40" in finding.message_zh


def test_cop_by_month():
    chilled = np.zeros((1, 48))
    plant = np.zeros((1, 48))
    chilled[0, 10:20], plant[0, 10:20] = 300.0, 100.0  # 2024-06-30: 3000 / 1000
    chilled[0, 34:44], plant[0, 34:44] = 200.0, 100.0  # 2024-07-01: 2000 / 1000
    ind = commissioning_indicators(np.full((1, 48), 5.0), "2024-06-30",
                                   chilled_water_kwh_th=chilled, plant_kwh=plant)
    assert ind.months == ("2024-06", "2024-07")
    np.testing.assert_array_equal(ind.cop_by_month, [[3.0, 2.0]])
    assert ind.cop[0] == 2.5  # 5000 / 2000, not the mean of the months


# --- calendar ---------------------------------------------------------------------------------

def test_calendar_weekends_holidays_and_workday_override():
    # National Day 2024 from the holidays package: Oct 1-7 off; 调休 Sunday 9-29, Saturday 10-12
    cn = holiday_calendars.China(years=2024)
    cal = hour_calendar(dt.datetime(2024, 9, 28), 24 * 16, holidays=cn,
                        workdays_override=[dt.date(2024, 9, 29), "2024-10-12"])
    working = {str(d) for d, w in zip(cal.dates, cal.working_day, strict=True) if w}
    assert working == {"2024-09-29", "2024-09-30", "2024-10-08", "2024-10-09", "2024-10-10",
                       "2024-10-11", "2024-10-12"}
    assert cal.n_days == 16
    assert cal.n_hours == 384
    assert cal.working_hour.sum() == 7 * 24


def test_workday_override_changes_indicators():
    load = office_day() * 3  # Saturday, Sunday, Monday all with office hours
    plain = commissioning_indicators([load], "2024-09-28")
    override = commissioning_indicators([load], "2024-09-28",
                                        workdays_override=np.array(["2024-09-29"],
                                                                   dtype="datetime64[D]"))
    assert (plain.n_working_days[0], plain.n_occupied_hours[0]) == (1, 8)
    assert (override.n_working_days[0], override.n_occupied_hours[0]) == (2, 16)
    # plain: the two weekend days are office days: waste 2 x 8 h x (50 - 10) = 640 kWh
    assert plain.holiday_waste_kwh[0] == 640.0
    assert override.holiday_waste_kwh[0] == 320.0


def test_wrapping_night_window():
    opt = CommissioningOptions(night_hours=(22, 5), occupied_hours=(9, 17))
    cal = hour_calendar("2024-06-03", 48)
    assert cal.window(opt.night_hours)[:24].nonzero()[0].tolist() == [0, 1, 2, 3, 4, 22, 23]
    ind = commissioning_indicators([flat(8.0, 2)], "2024-06-03", options=opt)
    assert ind.n_night_hours[0] == 14
    assert ind.base_load_kw[0] == 8.0


# --- missing data -----------------------------------------------------------------------------

def test_missing_hours():
    load = np.array([office_week()])
    load[0, 10] = NAN  # Monday 10:00: Monday is no longer a complete day
    load[0, 24 * 5 + 3] = NAN  # Saturday 03:00: a night hour of a weekend day
    ind = commissioning_indicators(load, MONDAY)
    assert ind.n_night_hours[0] == 34
    assert ind.n_occupied_hours[0] == 39
    assert ind.n_working_days[0] == 4
    assert ind.n_nonworking_days[0] == 1
    assert ind.working_day_kwh[0] == 560.0
    assert ind.nonworking_day_kwh[0] == 240.0
    assert ind.n_hours[0] == 166
    assert ind.total_kwh[0] == 3280.0 - 50.0 - 10.0
    assert ind.n_nonworking_hours[0] == 47
    assert ind.base_load_ratio[0] == 0.2


def test_all_missing_and_partly_missing_buildings():
    load = np.array([office_week(), [NAN] * 168, office_week()])
    load[2, np.tile(np.arange(24) < 5, 7)] = NAN  # no night data at all
    result = commissioning_candidates(load, MONDAY, building_ids=["A", "B", "C"])
    ind = result.indicators
    assert np.isnan(ind.base_load_kw[1:]).all()
    assert ind.n_hours[1] == 0
    assert math.isnan(ind.total_kwh[1])
    assert math.isnan(ind.load_factor[1])
    assert math.isnan(ind.weekend_ratio[1])
    # C: occupied load and load factor still computable; base-load figures are not
    assert ind.occupied_load_kw[2] == 50.0
    assert math.isnan(ind.base_load_ratio[2])
    assert math.isnan(ind.holiday_waste_kwh[2])
    assert math.isnan(ind.base_load_excess_kwh[2])
    assert ind.n_nonworking_hours[2] == 48 - 10
    assert math.isnan(result.avoidable_kwh[1])
    assert math.isnan(result.avoidable_kwh[2])
    assert result.order.tolist() == [0, 1, 2]  # A has 0 kWh; B and C are NaN, input order
    records = result.to_records()
    json.dumps(records, allow_nan=False)  # NaN became None
    assert records[1]["building_id"] == "B"
    assert records[1]["base_load_ratio"] is None
    assert records[1]["n_hours"] == 0
    assert records[1]["avoidable_kwh"] is None
    assert records[1]["findings"] == []
    assert records[0]["avoidable_kwh"] == 0.0
    assert records[0]["cop_by_month"] == {"2024-06": None}


# --- ranking and records -----------------------------------------------------------------------

def test_ranking_order_and_records():
    leaky = flat(10.0)  # base ratio 1 -> findings, but avoidable only 128 x 7 = 896 kWh
    loads = [office_week(), flat(30.0), flat(30.0), leaky]
    result = commissioning_candidates(loads, MONDAY, building_ids=["off", "f1", "f2", "lk"])
    np.testing.assert_allclose(result.avoidable_kwh, [0.0, 2688.0, 2688.0, 896.0])
    # f1 and f2 tie on avoidable kWh and score: input order; then lk, then off
    assert result.order.tolist() == [1, 2, 3, 0]
    records = result.to_records()
    assert [r["rank"] for r in records] == [4, 1, 2, 3]
    assert records[1]["findings"][0] == {
        "code": "commissioning.base_load_high", "value": 1.0, "threshold": 0.5,
        "severity": 1.0,
        "message_zh": "夜间基础负荷为工作时段负荷的 100%（阈值 50%）：设备可能夜间未关闭",
        "message_en": "Night base load is 100% of the occupied load (threshold 50%): "
                      "equipment may be left on overnight"}
    assert records[0]["load_factor"] == pytest.approx(41 / 105)
    assert records[0]["n_findings"] == 0
    assert records[0]["score"] == 0.0
    assert json.loads(json.dumps(records, allow_nan=False)) == records


def test_score_breaks_ties_in_avoidable_energy():
    # both have 0 avoidable kWh (office pattern); the second also has a low COP
    chilled = np.zeros((2, 168))
    plant = np.zeros((2, 168))
    chilled[1, 10], plant[1, 10] = 200.0, 100.0  # COP 2
    result = commissioning_candidates([office_week(), office_week()], MONDAY,
                                      chilled_water_kwh_th=chilled, plant_kwh=plant)
    assert result.avoidable_kwh.tolist() == [0.0, 0.0]
    assert result.score[1] == pytest.approx(1 + 1 / 3)  # severity (3 - 2) / 3
    assert result.order.tolist() == [1, 0]


def test_load_factor_finding():
    day = [1.0] * 23 + [100.0]  # mean 123/24 = 5.125, peak 100 -> 0.05125
    result = commissioning_candidates([day], MONDAY)
    (finding,) = [f for f in result.findings(0) if f.code == "commissioning.load_factor_low"]
    assert finding.value == pytest.approx(0.05125, rel=1e-15)
    assert finding.severity == pytest.approx((0.25 - 0.05125) / 0.25, rel=1e-12)
    assert finding.message_en == ("Load factor 0.05 is below 0.25: a peaky load, check "
                                  "start-up sequencing and demand")


def test_thresholds_are_options():
    strict = CommissioningOptions(max_base_load_ratio=0.1, max_weekend_ratio=0.3,
                                  min_load_factor=0.5)
    result = rank_buildings(commissioning_indicators([office_week()], MONDAY), options=strict)
    assert [f.code for f in result.findings(0)] == list(FINDING_CODES[:3])


def test_inputs_are_not_modified_and_one_dimensional_input():
    load = np.array(office_week())
    before = load.copy()
    ind = commissioning_indicators(load, MONDAY)
    np.testing.assert_array_equal(load, before)
    assert len(ind) == 1
    assert ind.building_ids == ("0",)
    assert ind.base_load_ratio[0] == 0.2


def test_no_buildings():
    result = commissioning_candidates(np.empty((0, 48)), MONDAY)
    assert len(result) == 0
    assert result.order.tolist() == []
    assert result.to_records() == []
    assert result.indicators.cop_by_month.shape == (0, 1)


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "match"), [
    ({"load_kwh": np.ones((2, 30))}, "not a whole number of days"),
    ({"load_kwh": np.ones((2, 0))}, "not a whole number of days"),
    ({"load_kwh": np.ones((2, 2, 24))}, "3 dimensions"),
    ({"start": dt.datetime(2024, 6, 3, 1)}, "local midnight"),
    ({"start": "2024-06-03T00:30"}, "local midnight"),
    ({"start": dt.datetime(2024, 6, 3, tzinfo=dt.UTC)}, "timezone-naive"),
    ({"start": "NaT"}, "not a date"),
    ({"heating_kwh": np.ones((2, 48))}, "both heating_kwh and cooling_kwh"),
    ({"plant_kwh": np.ones((2, 48))}, "both chilled_water_kwh_th and plant_kwh"),
    ({"heating_kwh": np.ones((2, 24)), "cooling_kwh": np.ones((2, 24))},
     r"heating_kwh has shape \(2, 24\), load_kwh has \(2, 48\)"),
    ({"building_ids": ["a"]}, "1 building_ids for 2 buildings"),
    ({"holidays": ["2024-06-04"], "workdays_override": {dt.date(2024, 6, 4)}},
     "both in holidays and workdays_override"),
], ids=["hours", "no-hours", "3d", "start-hour", "start-str", "tz", "nat", "heating-alone",
        "plant-alone", "shape", "ids", "conflict"])
def test_validation_errors(kwargs, match):
    args = {"load_kwh": np.ones((2, 48)), "start": MONDAY} | kwargs
    with pytest.raises(ValueError, match=match):
        commissioning_indicators(args.pop("load_kwh"), args.pop("start"), **args)


def test_negative_and_infinite_values_name_building_and_hour():
    load = np.ones((3, 48))
    load[1, 5] = -2.0
    with pytest.raises(ValueError, match=r"load_kwh: -2\.0 at building 1, hour 5"):
        commissioning_indicators(load, MONDAY)
    chilled = np.ones((3, 48))
    chilled[2, 47] = math.inf
    with pytest.raises(ValueError, match=r"chilled_water_kwh_th: inf at building 2, hour 47"):
        commissioning_indicators(np.ones((3, 48)), MONDAY, chilled_water_kwh_th=chilled,
                                 plant_kwh=np.ones((3, 48)))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"night_hours": (0, 10)}, "overlap"),
    ({"occupied_hours": (9, 9)}, "occupied_hours"),
    ({"night_hours": (24, 5)}, "night_hours"),
    ({"base_load_quantile": 1.5}, "base_load_quantile"),
    ({"peak_quantile": -0.1}, "peak_quantile"),
    ({"simultaneous_fraction": 1.0}, "simultaneous_fraction"),
    ({"min_cop": 0.0}, "min_cop"),
    ({"max_weekend_ratio": math.nan}, "max_weekend_ratio"),
    ({"target_base_load_ratio": -0.1}, "target_base_load_ratio"),
], ids=["overlap", "empty-window", "bad-hour", "quantile", "peak", "fraction", "cop", "nan",
        "target"])
def test_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CommissioningOptions(**kwargs)


# --- vectorisation ----------------------------------------------------------------------------

def random_inputs(seed: int, n: int, days: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n, 24 * days)
    out = {name: rng.uniform(0, 100, shape) for name in
           ("load_kwh", "heating_kwh", "cooling_kwh", "chilled_water_kwh_th", "plant_kwh")}
    for a in out.values():
        a[rng.random(shape) < 0.1] = NAN
    out["heating_kwh"][1] = NAN  # a building without sub-meters
    out["load_kwh"][2] = NAN  # a building without data
    return out


def indicator_arrays(ind: CommissioningIndicators) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(ind).items() if isinstance(v, np.ndarray)}


def test_stacked_equals_one_at_a_time():
    data = random_inputs(3, 6, 10)
    kwargs = {"holidays": ["2024-06-10"], "workdays_override": ["2024-06-08"]}
    stacked = commissioning_candidates(start=MONDAY, **kwargs, **data)
    alone = [commissioning_candidates(start=MONDAY, **kwargs,
                                      **{k: v[i:i + 1] for k, v in data.items()})
             for i in range(6)]
    for name, array in indicator_arrays(stacked.indicators).items():
        np.testing.assert_array_equal(
            array, np.concatenate([indicator_arrays(a.indicators)[name] for a in alone]),
            err_msg=name)
    np.testing.assert_array_equal(stacked.score, [a.score[0] for a in alone])
    np.testing.assert_array_equal(stacked.avoidable_kwh, [a.avoidable_kwh[0] for a in alone])
    for i, a in enumerate(alone):
        assert stacked.findings(i) == a.findings(0)
    expected = sorted(range(6), key=lambda i: (
        math.isnan(alone[i].avoidable_kwh[0]), -np.nan_to_num(alone[i].avoidable_kwh[0]),
        -alone[i].score[0], i))
    assert stacked.order.tolist() == expected


# --- properties -------------------------------------------------------------------------------

def loads(shape: tuple[int, int]) -> st.SearchStrategy[np.ndarray]:
    values = st.integers(0, 1000).map(float) | st.just(NAN)
    return hnp.arrays(np.float64, shape, elements=values)


panels = st.tuples(st.integers(1, 3), st.integers(1, 3)).flatmap(
    lambda nd: st.tuples(loads((nd[0], 24 * nd[1])), loads((nd[0], 24 * nd[1])),
                         loads((nd[0], 24 * nd[1]))))

RATIOS = ("base_load_ratio", "weekend_ratio", "holiday_waste_fraction", "load_factor", "cop",
          "cop_by_month", "simultaneous_hours")
ENERGIES = ("base_load_kw", "occupied_load_kw", "working_day_kwh", "nonworking_day_kwh",
            "holiday_waste_kwh", "total_kwh", "base_load_excess_kwh", "mean_kw", "peak_kw",
            "simultaneous_kwh")


@settings(max_examples=60, deadline=None, database=None)
@given(panels, st.integers(0, 12))
def test_scaling_by_a_power_of_two_is_exact(panel, j):
    # multiplying by 2**j is exact in floating point: ratios, counts, findings and the order
    # are unchanged and every kWh figure is multiplied by exactly 2**j
    load, sub_a, sub_b = panel
    k = 2.0**j

    def run(s: float):
        return commissioning_candidates(load * s, "2024-09-30", holidays=["2024-10-01"],
                                        heating_kwh=sub_a * s, cooling_kwh=sub_b * s,
                                        chilled_water_kwh_th=sub_a * s, plant_kwh=sub_b * s)

    one, scaled = run(1.0), run(k)
    for name in RATIOS:
        np.testing.assert_array_equal(getattr(scaled.indicators, name),
                                      getattr(one.indicators, name), err_msg=name)
    for name in ENERGIES:
        np.testing.assert_array_equal(getattr(scaled.indicators, name),
                                      k * getattr(one.indicators, name), err_msg=name)
    np.testing.assert_array_equal(scaled.avoidable_kwh, k * one.avoidable_kwh)
    np.testing.assert_array_equal(scaled.score, one.score)
    assert scaled.order.tolist() == one.order.tolist()
    assert [scaled.findings(i) for i in range(len(one))] == [
        one.findings(i) for i in range(len(one))]


@settings(max_examples=60, deadline=None, database=None)
@given(panels, st.floats(0.01, 100.0))
def test_scaling_by_any_factor(panel, k):
    load, sub_a, sub_b = panel
    one = commissioning_indicators(load, MONDAY, chilled_water_kwh_th=sub_a, plant_kwh=sub_b)
    scaled = commissioning_indicators(load * k, MONDAY, chilled_water_kwh_th=sub_a * k,
                                      plant_kwh=sub_b * k)
    for name in ("base_load_ratio", "weekend_ratio", "holiday_waste_fraction", "load_factor",
                 "cop"):
        np.testing.assert_allclose(getattr(scaled, name), getattr(one, name), rtol=1e-12,
                                   atol=1e-12, err_msg=name)
    for name in ("holiday_waste_kwh", "total_kwh", "base_load_excess_kwh", "peak_kw"):
        np.testing.assert_allclose(getattr(scaled, name), k * getattr(one, name), rtol=1e-12,
                                   atol=1e-9, err_msg=name)


@settings(max_examples=60, deadline=None, database=None)
@given(panels)
def test_bounds(panel):
    load = panel[0]
    result = commissioning_candidates(load, "2024-09-30", holidays=["2024-10-01"])
    ind = result.indicators
    nonworking_kwh = np.nansum(load[:, 24:48], axis=1)  # 2024-10-01, when the panel reaches it
    known = ~np.isnan(ind.holiday_waste_kwh)
    assert (ind.holiday_waste_kwh[known] >= 0).all()
    assert (ind.holiday_waste_kwh[known] <= nonworking_kwh[known] + 1e-9).all()
    frac = ind.holiday_waste_fraction[~np.isnan(ind.holiday_waste_fraction)]
    assert ((frac >= 0) & (frac <= 1)).all()
    lf = ind.load_factor[~np.isnan(ind.load_factor)]
    assert ((lf > 0) & (lf <= 1 + 1e-12)).all()
    assert (result.avoidable_kwh[~np.isnan(result.avoidable_kwh)] >= 0).all()
    assert sorted(result.order.tolist()) == list(range(len(result)))
    assert (result.n_findings <= len(FINDING_CODES)).all()
