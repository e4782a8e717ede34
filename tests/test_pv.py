"""Rooftop PV: the rules worked by hand, the modelled yield against pvlib's own ModelChain."""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.errors import Pandas4Warning

from carbonpeak.domain.energy import pv as rules
from carbonpeak.i18n import render
from carbonpeak.vocabulary import RoofCohort as C

D = dt.date


# -- the rules, by hand ----------------------------------------------------------------------
def test_potential_is_usable_area_times_module_power_per_m2():
    # 1,200 m² roof, 55 % usable = 660 m²; 20 % efficient modules give 200 W/m² -> 132 kWp
    assert rules.potential_kwp(1200 * 0.55, 0.20) == pytest.approx(132.0)
    # 22 %: 660 × 0.22 = 145.2 kWp
    assert rules.potential_kwp(660, 0.22) == pytest.approx(145.2)
    with pytest.raises(ValueError, match="efficiency"):
        rules.potential_kwp(100, 1.5)


def test_pilot_share_potential_per_cohort():
    gov = rules.Roof("g1", C.GOVERNMENT, False, 1000.0, 0.8)
    school = rules.Roof("s1", C.SCHOOL_HOSPITAL, False, 1000.0, 0.8)
    shop = rules.Roof("c1", C.COMMERCIAL, False, 1000.0, 0.2)
    # government: 50 % of 1,000 m² = 500 m² × 0.2 kW/m² = 100 kWp
    assert rules.pilot_potential_kwp(gov) == pytest.approx(100.0)
    # schools and hospitals: 40 % -> 400 m² -> 80 kWp
    assert rules.pilot_potential_kwp(school) == pytest.approx(80.0)
    # commercial 30 % but only 20 % usable: min -> 200 m² -> 40 kWp
    assert rules.pilot_potential_kwp(shop) == pytest.approx(40.0)
    assert rules.PILOT_SHARES[C.RESIDENTIAL].value == 0.20
    assert all(s.status == "secondary" and "2021" in s.source
               for s in rules.PILOT_SHARES.values())


SITES = [
    rules.Site("p0", "e0", 50.0, 40.0, D(2019, 6, 1)),    # before the plan period
    rules.Site("p1", "e1", 100.0, 80.0, D(2021, 1, 1)),   # first day of 十四五
    rules.Site("p2", "e2", 200.0, 160.0, D(2023, 12, 31)),
    rules.Site("p3", "e3", 30.0, 25.0, D(2024, 1, 1)),
    rules.Site("p4", "e1", 20.0, 20.0, D(2022, 5, 1)),    # a second site on e1's roof
]


def test_capacity_in_operation_and_new_since_base_year():
    # end of 2023: p0 + p1 + p2 + p4 = 50 + 100 + 200 + 20 = 370 kWp; AC 40+80+160+20 = 300
    assert rules.capacity_in_operation(SITES, 2023) == rules.CapacityTotals(370.0, 300.0, 4)
    # new since base year 2020, to 2023: p1 + p2 + p4 = 320 kWp DC, 260 kW AC
    assert rules.new_capacity(SITES, 2020, 2023) == rules.CapacityTotals(320.0, 260.0, 3)
    # to 2024: + p3 -> 350 / 285
    assert rules.new_capacity(SITES, 2020, 2024) == rules.CapacityTotals(350.0, 285.0, 4)


def test_roof_shares_by_count_and_area():
    roofs = [
        rules.Roof("e1", C.GOVERNMENT, True, 1000.0, 0.7),
        rules.Roof("e2", C.PUBLIC_INSTITUTION, True, 500.0, 0.7),
        rules.Roof("e3", C.SCHOOL_HOSPITAL, True, 2000.0, 0.7),
        rules.Roof("e4", C.SCHOOL_HOSPITAL, False, 800.0, 0.7),
        rules.Roof("e5", C.COMMERCIAL, True, 900.0, 0.7),
    ]
    public = (C.GOVERNMENT, C.PUBLIC_INSTITUTION, C.SCHOOL_HOSPITAL)
    sh = rules.roof_share(roofs, SITES, 2023, cohorts=public, is_new=True)
    # new public roofs: e1, e2, e3 (3); with PV by end 2023: e1 (p1+p4), e2 (p2) -> 2 of 3
    assert (sh.roofs, sh.roofs_with_pv) == (3, 2)
    assert sh.count_share == pytest.approx(2 / 3)
    # areas: e1 120 kWp / 0.2 kW/m² = 600 m² (≤ 1,000); e2 200 kWp -> 1,000 m² capped at 500
    # -> (600 + 500) / (1000 + 500 + 2000) = 1100 / 3500
    assert sh.area_share == pytest.approx(1100 / 3500)
    # 2024 adds p3 on e3: 30 kWp -> 150 m²: (1100 + 150) / 3500, and 3 of 3
    sh24 = rules.roof_share(roofs, SITES, 2024, cohorts=public, is_new=True)
    assert sh24.count_share == 1.0
    assert sh24.area_share == pytest.approx(1250 / 3500)
    existing = rules.roof_share(roofs, SITES, 2024, cohorts=public, is_new=False)
    assert (existing.roofs, existing.roofs_with_pv, existing.count_share) == (1, 0, 0.0)
    none = rules.roof_share(roofs, SITES, 2024, cohorts=[C.INDUSTRIAL])
    assert none.count_share is None
    assert none.area_share is None


def test_performance_ratio_specific_yield_and_flags():
    # 10 kWp, 1,000 kWh AC in a month with 130 kWh/m² on the plane: Yf = 100 kWh/kWp,
    # Yr = 130 h -> PR = 100 / 130 = 0.769
    m = rules.MonthCheck(measured_kwh=1000.0, modelled_kwh=1100.0, kwp_dc=10.0, kw_ac=8.0,
                         poa_kwh_m2=130.0, intervals_received=744, intervals_expected=744,
                         hours_at_limit=3, productive_hours=372)
    f = rules.monitoring_flags(m)
    assert f.performance_ratio == pytest.approx(100 / 130)
    assert f.specific_yield == pytest.approx(100.0)
    assert f.measured_over_modelled == pytest.approx(1000 / 1100)
    assert not (f.underperforming)
    assert not (f.data_gap)
    assert not (f.clipping_suspected)
    # 800 kWh = 72.7 % of the modelled 1,100 < 85 %: underperforming (PR 80 / 130 = 0.615)
    low = rules.monitoring_flags(rules.MonthCheck(800.0, 1100.0, 10.0, 8.0, 130.0, 744, 744,
                                                  0, 372))
    assert low.underperforming
    assert low.performance_ratio == pytest.approx(80 / 130)
    # 700 of 744 intervals = 94.1 % < 95 %: a gap, and not judged for underperformance
    gap = rules.monitoring_flags(rules.MonthCheck(800.0, 1100.0, 10.0, 8.0, 130.0, 700, 744,
                                                  0, 372))
    assert gap.data_gap
    assert not gap.underperforming
    # 19 of 372 productive hours at the limit = 5.1 % ≥ 5 %: clipping suspected; 18 is 4.8 %
    assert rules.monitoring_flags(rules.MonthCheck(1000.0, 1100.0, 10.0, 8.0, 130.0, 744, 744,
                                                   19, 372)).clipping_suspected
    assert not rules.monitoring_flags(rules.MonthCheck(1000.0, 1100.0, 10.0, 8.0, 130.0, 744,
                                                       744, 18, 372)).clipping_suspected


def test_underperformance_is_judged_against_the_model_with_its_clipping():
    # A site of 120 kWp DC on a 100 kW inverter (DC:AC 1.2) in a hot, sunny month: 180 kWh/m²
    # on the plane; the model, clipping at 100 kW, gives 14,000 kWh -> modelled PR
    # = 14,000 / (120 × 180) = 14,000 / 21,600 = 0.648.
    # The meter reads 13,720 kWh (98 % of the model): PR = 13,720 / 21,600 = 0.635, under a
    # fixed 0.70 threshold, but the site does what it can: 13,720 / 14,000 = 0.98 ≥ 0.85.
    hot = rules.monitoring_flags(rules.MonthCheck(13_720.0, 14_000.0, 120.0, 100.0, 180.0,
                                                  744, 744, 60, 400))
    assert hot.performance_ratio == pytest.approx(13_720 / 21_600)
    assert hot.performance_ratio < 0.70
    assert hot.modelled_pr == pytest.approx(14_000 / 21_600)
    assert hot.measured_over_modelled == pytest.approx(0.98)
    assert not hot.underperforming
    assert hot.clipping_suspected  # 60 of 400 productive hours at the limit = 15 % ≥ 5 %
    # a real fault on the same site: 10,500 kWh = 75 % of the model < 85 % -> flagged
    # (PR 10,500 / 21,600 = 0.486 = 0.75 × the modelled 0.648)
    fault = rules.monitoring_flags(rules.MonthCheck(10_500.0, 14_000.0, 120.0, 100.0, 180.0,
                                                    744, 744, 0, 400))
    assert fault.underperforming
    assert fault.performance_ratio == pytest.approx(0.75 * hot.modelled_pr)
    # the threshold is the district's: at 0.70 the 75 % month passes
    assert not rules.monitoring_flags(rules.MonthCheck(10_500.0, 14_000.0, 120.0, 100.0,
                                                       180.0, 744, 744, 0, 400),
                                      fault_ratio=0.70).underperforming
    # nothing modelled (a month before any sun, or no irradiation): not judged
    dark = rules.monitoring_flags(rules.MonthCheck(0.0, 0.0, 120.0, 100.0, 0.0, 744, 744, 0, 0))
    assert dark.measured_over_modelled is None
    assert dark.modelled_pr is None
    assert not dark.underperforming
    assert rules.DEFAULT_FAULT_RATIO.status == "unverified"
    assert "clipping" in rules.DEFAULT_FAULT_RATIO.source


def test_forecast_errors_normalised_by_capacity():
    measured = [0.0, 40.0, 80.0, math.nan, 20.0]
    forecast = [0.0, 50.0, 60.0, 70.0, 20.0]
    e = rules.forecast_errors(measured, forecast, capacity_kw=100.0)
    # 4 measured hours; |errors| 0, 10, 20, 0 -> MAE 7.5 -> nMAE 0.075
    # squares 0, 100, 400, 0 -> mean 125 -> RMSE 11.18 -> nRMSE 0.1118
    assert e.n == 4
    assert e.nmae == pytest.approx(0.075)
    assert e.nrmse == pytest.approx(math.sqrt(125) / 100)
    with pytest.raises(ValueError, match="no measured"):
        rules.forecast_errors([math.nan], [1.0], 10.0)


# -- the model chain against pvlib's own ---------------------------------------------------
@pytest.fixture(scope="module")
def shanghai():
    from pvlib.location import Location

    loc = Location(31.23, 121.47, tz="Asia/Shanghai", altitude=4)
    times = pd.date_range("2024-01-01 00:30", "2024-12-31 23:30", freq="h", tz="Asia/Shanghai")
    with warnings.catch_warnings():  # pvlib 0.16 reads DatetimeIndex.dayofyear (pandas 3)
        warnings.simplefilter("ignore", Pandas4Warning)
        cs = loc.get_clearsky(times)
    k = np.random.default_rng(7).uniform(0.3, 1.0, len(times))
    weather = pd.DataFrame({"ghi": cs["ghi"] * k, "dni": cs["dni"] * k, "dhi": cs["dhi"],
                            "temp_air": 16 + 10 * np.sin(2 * np.pi * (np.arange(len(times))
                                                                      / 8760 - 0.3)),
                            "wind_speed": 1.5}, index=times)
    return loc, weather


def _pvlib_reference(loc, weather, kwp, kw_ac, tilt, az):
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import Array, FixedMount, PVSystem
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    arr = Array(FixedMount(tilt, az), module_parameters={"pdc0": kwp, "gamma_pdc": -0.004},
                temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"][
                    "open_rack_glass_polymer"])
    system = PVSystem(arrays=[arr], inverter_parameters={"pdc0": kw_ac / 0.96,
                                                         "eta_inv_nom": 0.96})
    mc = ModelChain.with_pvwatts(system, loc)
    with warnings.catch_warnings():  # pvlib 0.16 reads DatetimeIndex.dayofyear (pandas 3)
        warnings.simplefilter("ignore", Pandas4Warning)
        mc.run_model(weather)
    return mc.results.ac


def test_modelled_yield_matches_a_pvlib_modelchain_run_within_half_a_percent(shanghai):
    from carbonpeak.services.energy.pv.model import model_sites

    loc, weather = shanghai
    sites = pd.DataFrame([
        {"site_id": "A", "kwp_dc": 100.0, "kw_ac": 80.0, "tilt_deg": 22.0, "azimuth_deg": 180.0},
        {"site_id": "B", "kwp_dc": 50.0, "kw_ac": 50.0, "tilt_deg": 10.0, "azimuth_deg": 135.0},
        {"site_id": "C", "kwp_dc": 30.0, "kw_ac": 25.0, "tilt_deg": 22.0, "azimuth_deg": 180.0},
    ])
    got = model_sites(sites, weather, loc, hourly=True)
    for sid, kwp, kw_ac, tilt, az in (("A", 100.0, 80.0, 22, 180), ("B", 50.0, 50.0, 10, 135),
                                       ("C", 30.0, 25.0, 22, 180)):
        ref = _pvlib_reference(loc, weather, kwp, kw_ac, tilt, az)
        assert float(got.annual_ac_kwh[sid]) == pytest.approx(float(ref.sum()), rel=0.005)
        # hour by hour too (the same chain), and the inverter clips at kw_ac
        assert np.allclose(got.hourly_ac_kw[sid].to_numpy(), ref.to_numpy(), rtol=0.005,
                           atol=1e-6)
        assert got.hourly_ac_kw[sid].max() <= kw_ac + 1e-9
    # the year is Jan..Dec and sums to the annual figure
    assert list(got.monthly_ac_kwh.index) == [f"2024-{m:02d}" for m in range(1, 13)]
    yield_a = float(got.annual_ac_kwh["A"]) / 100.0
    assert 700 < yield_a < 2000  # kWh/kWp: a plausible (clear-ish) Shanghai year


def test_ghi_only_weather_is_decomposed_by_erbs(shanghai):
    from pvlib.irradiance import erbs

    from carbonpeak.services.energy.pv.model import model_sites, prepare_weather

    loc, weather = shanghai
    w = prepare_weather(weather.drop(columns=["dni", "dhi"]), loc)
    parts = erbs(weather["ghi"], w["zenith"], weather.index.day_of_year)
    assert np.allclose(w["dni"], parts["dni"])
    assert np.allclose(w["dhi"], parts["dhi"])
    sites = pd.DataFrame([{"site_id": "A", "kwp_dc": 10.0, "kw_ac": 9.0, "tilt_deg": 20.0,
                           "azimuth_deg": 180.0}])
    a = float(model_sites(sites, w, loc).annual_ac_kwh["A"])
    b = float(model_sites(sites, weather, loc).annual_ac_kwh["A"])
    assert a != b
    assert 0.7 < a / b < 1.3


# -- the registry, the fleet, the targets, a forecast: one small world ------------------------
ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
G1,区政府大楼,public_institution,外滩街道,government,12000,31.238,121.487,,S92
S1,新建学校,public_institution,豫园街道,school,8000,31.228,121.488,,P83
H1,既有医院,public_institution,豫园街道,hospital,20000,31.228,121.488,,Q84
M1,新建商场,building,外滩街道,mall,30000,31.238,121.487,,F52
"""
METERS = """
meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes
PVG1,G1,pv_generation,kWh,,interval,1,60
PVS1,S1,pv_generation,kWh,,interval,1,60
EM1,M1,electricity,kWh,,interval,1,60
"""
ROOFS = """
建筑编号,屋顶面积,可利用比例,屋顶类别,新建或既有,不可行原因
G1,1000,0.6,党政机关,既有,
S1,2000,0.5,学校,新建,
H1,1500,0,医院,既有,屋顶设备密集
M1,4000,0.4,商业,新建,
"""
SITES_CSV = """
site_id,entity_id,kwp_dc,kw_ac,tilt_deg,azimuth_deg,commissioned_on,meter_id
PV-G1,G1,100,80,20,180,2021-03-01,PVG1
PV-S1,S1,150,150,10,180,2022-07-01,PVS1
PV-M1,M1,200,170,15,160,2024-06-01,
"""


@dataclass
class World:
    ws: Any
    d: Any
    folder: Any
    weather: Any


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from carbonpeak.config import Settings
    from carbonpeak.intake.bootstrap import init_workspace
    from carbonpeak.intake.imports import import_file
    from carbonpeak.services.energy.pv import registry
    from carbonpeak.services.energy.pv.climate import CLIMATES, synthetic_year
    from tests.conftest import write

    folder = tmp_path_factory.mktemp("pv")
    ws, _ = init_workspace(Settings(home=folder / "home",
                                    database_url=f"sqlite:///{folder / 'r.sqlite'}"),
                           profiles=["huangpu"], actor="test")
    import_file(ws, "entities", write(folder, "e.csv", ENTITIES))
    import_file(ws, "meters", write(folder, "m.csv", METERS))
    registry.import_roofs(ws, write(folder, "roofs.csv", ROOFS))
    registry.import_pv_sites(ws, write(folder, "sites.csv", SITES_CSV))
    # a "measured" 2024: the synthetic year with cloudy days (a test's weather, not Shanghai's)
    w = synthetic_year(CLIMATES["上海市"], 2024)
    cloud = np.repeat(np.random.default_rng(3).uniform(0.4, 1.1, 366), 24)
    w["ghi"] = (w["ghi"] * cloud).clip(upper=1400)
    w = w.drop(columns=["dni", "dhi"])  # as stored: GHI only (Erbs splits it)
    frame = pd.DataFrame({"ts": w.index.tz_localize(None).strftime("%Y-%m-%d %H:%M"),
                          "ghi_w_m2": w["ghi"].round(2), "temp_air_c": w["temp_air"].round(2),
                          "wind_speed_m_s": 1.0})
    path = folder / "weather-2024.csv"
    frame.to_csv(path, index=False)
    registry.import_weather_hourly(ws, path)
    d = ws.district()
    yield World(ws, d, folder, w)
    ws.close()


def test_roof_and_site_imports_are_audited_and_idempotent(world):
    from sqlalchemy import func, select

    from carbonpeak.services.energy.pv import registry
    from carbonpeak.storage.registry.models import AuditLog, PvRoof, PvSite

    again = registry.import_pv_sites(world.ws, world.folder / "sites.csv")
    assert again.status == "duplicate"
    with world.ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(PvSite)) == 3
        assert s.scalar(select(func.count()).select_from(PvRoof)) == 4
        logged = set(s.scalars(select(AuditLog.object_id).where(
            AuditLog.object_type == "pv_site")))
    assert logged == {"huangpu/PV-G1", "huangpu/PV-S1", "huangpu/PV-M1"}
    # the same rows in a new file: nothing changes; one changed capacity: one update
    from tests.conftest import write

    same = registry.import_pv_sites(world.ws, write(world.folder, "sites2.csv",
                                                    SITES_CSV.replace("site_id", "电站编号")))
    assert (same.status, same.unchanged) == ("no_change", 3)


def test_bad_rows_are_named_and_nothing_is_stored(world):
    from carbonpeak.errors import InputValidationError
    from carbonpeak.services.energy.pv import registry
    from tests.conftest import write

    bad = """
    site_id,entity_id,kwp_dc,kw_ac,tilt_deg,azimuth_deg,commissioned_on,meter_id
    X1,NOPE,100,80,20,180,2021-03-01,
    X2,G1,-5,80,20,180,2021-03-01,
    X3,G1,100,20,95,180,2021-02-30,EM1
    X3,G1,100,80,20,180,2021-03-01,PVS1
    """
    with pytest.raises(InputValidationError) as exc:
        registry.import_pv_sites(world.ws, write(world.folder, "bad.csv", bad))
    got = {(e.row, e.column) for e in exc.value.errors}
    assert {(2, "entity_id"), (3, "kwp_dc"), (4, "kw_ac"), (4, "tilt_deg"),
            (4, "commissioned_on"), (4, "meter_id"), (5, "meter_id"), (4, "site_id"),
            (5, "site_id")} <= got
    roofs_bad = ("entity_id,roof_area_m2,usable_share,cohort,is_new\n"
                 "G1,0,1.2,宫殿,也许\nH1,10,0,医院,既有\n")
    with pytest.raises(InputValidationError) as exc:
        registry.import_roofs(world.ws, write(world.folder, "roofs-bad.csv", roofs_bad))
    got = {(e.row, e.column) for e in exc.value.errors}
    assert got == {(2, "roof_area_m2"), (2, "usable_share"), (2, "cohort"), (2, "is_new"),
                   (3, "not_feasible_reason")}


def test_weather_csv_and_epw_stamps(world, tmp_path):
    from carbonpeak.services.energy.pv.registry import read_weather_file

    stored = __import__("carbonpeak.services.energy.pv.registry", fromlist=["x"])
    w = stored.stored_weather(world.ws, world.d, dt.datetime(2024, 1, 1),
                              dt.datetime(2025, 1, 1))
    assert len(w) == 8784
    assert str(w.index[0]) == "2024-01-01 00:30:00+08:00"
    # an EPW's hour-ending 01:00 becomes 00:30 (mid-hour)
    header = ("LOCATION,Shanghai,SH,CHN,CSWD,583670,31.17,121.43,8.0,7.0\n"
              + "".join(f"L{i}\n" for i in range(7)))
    rows = []
    for h in range(1, 25):
        ghi = max(0, 500 - 60 * abs(h - 12.5))
        fields = ["2024", "6", "1", str(h), "0", "?"] + ["25.0", "20.0", "80", "101325",
                                                          "0", "0", "400", str(ghi), "100",
                                                          "50"] + ["0"] * 4 + ["180", "2.0"] \
            + ["0"] * 13  # 35 fields: ... dhi, 4 illuminances, wind direction and speed, ...
        rows.append(",".join(fields) + "\n")
    path = tmp_path / "x.epw"
    path.write_text(header + "".join(rows), encoding="utf-8")
    epw = read_weather_file(path)
    assert str(epw.index[0]) == "2024-06-01 00:30:00"
    assert epw["ghi"].iloc[12] == pytest.approx(max(0, 500 - 60 * abs(13 - 12.5)))


def test_expected_yield_progress_and_the_targets(world):
    from carbonpeak.services.energy.pv import fleet
    from carbonpeak.services.plan.targets import evaluate_targets

    exp = fleet.expected(world.ws, world.d, 2024)
    assert exp["weather"] == "measured"
    by = {r["site_id"]: r for r in exp["sites"]}
    assert 600 < by["PV-G1"]["specific_yield_kwh_kwp"] < 1600
    exp23 = fleet.expected(world.ws, world.d, 2023)
    assert exp23["synthetic"] is True
    pot = fleet.potential(world.ws, world.d)
    # usable: G1 600 m², S1 1000, H1 0, M1 1600 = 3,200 m² × 0.2 kW/m² = 640 kWp
    assert pot["total_potential_kwp"] == pytest.approx(640.0)
    # pilot: G1 min(.5,.6)×1000 = 500 m²; S1 min(.4,.5)×2000 = 800; H1 0; M1 min(.3,.4)×4000
    # = 1200 -> 2,500 m² × 0.2 = 500 kWp
    assert pot["total_pilot_kwp"] == pytest.approx(500.0)
    prog = {y["year"]: y for y in fleet.progress(world.ws, world.d)["years"]}
    assert sorted(prog) == [2021, 2022, 2023, 2024]
    assert prog[2022]["new_kwp_dc"] == 250.0
    assert prog[2024]["kw_ac"] == 400.0
    # new public roofs: S1 only -> with PV from 2022; existing public: G1 (PV), H1 -> 1 of 2
    assert prog[2021]["groups"]["public_new"]["count_share"] == 0.0
    assert prog[2022]["groups"]["public_new"]["count_share"] == 1.0
    assert prog[2024]["groups"]["public_existing"]["count_share"] == 0.5
    # M1: 200 kWp -> 1,000 m² of 4,000 = 25 %
    assert prog[2024]["groups"]["other_public_new"]["area_share"] == pytest.approx(0.25)
    targets = {t.code: t for t in evaluate_targets(world.ws, codes=[
        "HP-33", "HP-37", "HP-38", "HP-39"])}
    assert targets["HP-33"].value == pytest.approx(0.45)   # 450 kWp new since 2020
    assert targets["HP-33"].value_year == 2024
    assert targets["HP-38"].value == pytest.approx(50.0)
    assert targets["HP-39"].value == pytest.approx(25.0)
    assert "光伏电站台账" in targets["HP-33"].value_source_zh


def _meter_readings(world, site_factor):
    """Readings for the world's two PV meters in January 2024: modelled × a factor."""
    from carbonpeak.intake.imports import import_file
    from carbonpeak.services.energy.pv.fleet import pv_settings
    from carbonpeak.services.energy.pv.model import model_sites
    from carbonpeak.services.energy.pv.registry import load_sites

    sites = load_sites(world.ws, world.d)
    sites = sites[sites["meter_id"].notna()].reset_index(drop=True)
    jan = world.weather[world.weather.index.month == 1]
    res = model_sites(sites, jan, pv_settings(world.d).climate.location, hourly=True)
    hours = res.hourly_ac_kw.index.tz_localize(None).floor("h")
    rows = []
    for sid, meter in zip(sites["site_id"], sites["meter_id"], strict=True):
        for t, v in zip(hours, res.hourly_ac_kw[sid].to_numpy() * site_factor[sid], strict=True):
            rows.append(f"{meter},{t:%Y-%m-%dT%H:%M},{v:.4f}")
    path = world.folder / "pv-readings.csv"
    path.write_text("meter_id,ts,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_file(world.ws, "readings", path)
    return res


@pytest.fixture(scope="module")
def metered(world):
    return _meter_readings(world, {"PV-G1": 0.98, "PV-S1": 0.6})


def test_monitoring_flags_the_underperforming_site_and_the_gaps(world, metered):
    from carbonpeak.services.energy.pv import fleet

    mon = fleet.monitoring(world.ws, world.d, 2024)
    rows = {(r["site_id"], r["month"]): r for r in mon["rows"]}
    g, s = rows[("PV-G1", "2024-01")], rows[("PV-S1", "2024-01")]
    assert g["measured_over_modelled"] == pytest.approx(0.98, rel=1e-3)
    assert s["measured_over_modelled"] == pytest.approx(0.60, rel=1e-3)
    assert g["coverage"] == 1.0
    assert not g["underperforming"]
    assert s["underperforming"]
    # PR = E / (P0 × H_POA / 1 kW/m²): 0.6 × the modelled January kWh over 150 kWp × POA kWh/m²
    e = 0.6 * float(metered.hourly_ac_kw["PV-S1"].sum())
    h = float(metered.hourly_poa_w_m2["PV-S1"].sum()) / 1000.0
    assert s["performance_ratio"] == pytest.approx(e / (150.0 * h), rel=1e-3)
    assert 0.4 < s["performance_ratio"] < 0.6
    # the modelled PR is the model's own energy over the same irradiation: PR / ratio
    assert s["modelled_pr"] == pytest.approx(s["performance_ratio"] / 0.60, rel=1e-3)
    assert mon["fault_ratio"] == 0.85
    assert mon["fault_rule_status"] == "unverified"
    # February has no readings: a gap, not an underperformance
    assert rows[("PV-G1", "2024-02")]["data_gap"]
    assert not rows[("PV-G1", "2024-02")]["underperforming"]


def test_forecast_and_its_capacity_normalised_errors(world, metered):
    from carbonpeak.services.energy.pv.forecast import (
        district_forecast,
        forecast,
        forecast_errors,
    )

    day = dt.date(2024, 1, 15)
    fc = forecast(world.ws, world.d, day, world.weather)
    assert len(fc) == 24
    assert set(fc.columns) == {"PV-G1", "PV-S1", "district"}  # PV-M1 starts in June
    assert fc["district"].to_numpy() == pytest.approx((fc["PV-G1"] + fc["PV-S1"]).to_numpy())
    series = district_forecast(world.ws, None, day, world.weather)
    assert series.to_numpy() == pytest.approx(fc["district"].to_numpy())
    errs = forecast_errors(world.ws, world.d, day, fc)
    by = {e["site_id"]: e for e in errs["sites"]}
    # the meter reads 0.98 × the model: |error| = 0.02 × forecast -> nMAE = 0.02 Σf / (n × C)
    f = fc["PV-G1"].to_numpy()
    assert by["PV-G1"]["nmae"] == pytest.approx(0.02 * f.sum() / (24 * 80.0), rel=1e-3)
    assert by["PV-S1"]["nmae"] > by["PV-G1"]["nmae"]
    assert errs["district"]["capacity_kw"] == 230.0
    with pytest.raises(ValueError, match="no hour"):
        forecast(world.ws, world.d, dt.date(2030, 1, 1), world.weather)


def _forecast_file(world, day, factor, name):
    """The day's hours of the world's weather, GHI × ``factor``, as a forecast CSV."""
    idx = world.weather.index
    w = world.weather[(idx >= pd.Timestamp(day).tz_localize(idx.tz))
                      & (idx < pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(idx.tz))]
    path = world.folder / name
    pd.DataFrame({"ts": w.index.tz_localize(None).strftime("%Y-%m-%d %H:%M"),
                  "ghi_w_m2": (w["ghi"] * factor).round(2),
                  "temp_air_c": w["temp_air"].round(2)}).to_csv(path, index=False)
    return path


def test_forecasts_are_stored_graded_when_measured_and_not_rewritten(world, metered):
    from sqlalchemy import select

    from carbonpeak.errors import ConflictError
    from carbonpeak.intake.batches import file_sha256
    from carbonpeak.services.energy.pv.forecast import (
        forecast,
        forecast_errors,
        store_forecast,
        stored_forecast,
        year_accuracy,
    )
    from carbonpeak.services.energy.pv.registry import read_weather_file
    from carbonpeak.storage.registry.models import AuditLog

    # 15 January is metered (the meters read 0.98 × and 0.6 × the model of the weather)
    jan = dt.date(2024, 1, 15)
    path = _forecast_file(world, jan, 1.1, "fc-0115.csv")
    fc = forecast(world.ws, world.d, jan, read_weather_file(path))
    issued = dt.datetime(2024, 1, 14, 4, 0)  # 12:00 Beijing time the day before
    assert store_forecast(world.ws, world.d, jan, fc, weather_file=path.name,
                          weather_sha256=file_sha256(path), issued_at=issued) == "added"
    assert store_forecast(world.ws, world.d, jan, fc, weather_file=path.name,
                          weather_sha256=file_sha256(path), issued_at=issued) == "unchanged"
    got = stored_forecast(world.ws, world.d, jan)
    assert got["district"].to_numpy() == pytest.approx(fc["district"].to_numpy(), abs=1e-3)
    assert got.attrs["day_ahead"]
    # graded as stored, against the meters: the same errors as the forecast's own
    want = forecast_errors(world.ws, world.d, jan, fc)["district"]
    acc = year_accuracy(world.ws, world.d, 2024)
    day = next(r for r in acc["forecasts"] if r["date"] == "2024-01-15")
    assert day["errors"]["district"]["nmae"] == pytest.approx(want["nmae"], rel=1e-4)
    assert day["errors"]["district"]["capacity_kw"] == 230.0  # PV-G1 80 + PV-S1 150 kW AC
    # another forecast of a measured day is refused: it would be graded after the fact
    other = forecast(world.ws, world.d, jan, read_weather_file(
        _forecast_file(world, jan, 0.9, "fc-0115-b.csv")))
    with pytest.raises(ConflictError):
        store_forecast(world.ws, world.d, jan, other, weather_file="fc-0115-b.csv",
                       weather_sha256="b" * 64)
    # 10 March has no readings: stored without errors, and may be replaced (audit-logged)
    mar = dt.date(2024, 3, 10)
    for k, factor in enumerate((1.0, 0.8)):
        p = _forecast_file(world, mar, factor, f"fc-0310-{k}.csv")
        status = store_forecast(world.ws, world.d, mar, forecast(
            world.ws, world.d, mar, read_weather_file(p)), weather_file=p.name,
            weather_sha256=file_sha256(p))
        assert status == ("added", "replaced")[k]
    late = stored_forecast(world.ws, world.d, mar)
    assert not late.attrs["day_ahead"]  # stored now (2026), long after the day
    acc = year_accuracy(world.ws, world.d, 2024)
    assert [r["date"] for r in acc["forecasts"]] == ["2024-01-15", "2024-03-10"]
    assert acc["forecasts"][1]["errors"]["district"] is None
    # the mean over measured days is the one measured day's
    assert acc["measured"]["days"] == 1
    assert acc["measured"]["nmae"] == pytest.approx(want["nmae"], rel=1e-4)
    assert acc["measured"]["nrmse"] == pytest.approx(want["nrmse"], rel=1e-4)
    with world.ws.registry.session() as s:
        logged = list(s.scalars(select(AuditLog.action).where(
            AuditLog.object_type == "pv_forecast").order_by(AuditLog.id)))
    assert logged == ["store", "store", "replace"]


def test_the_renewables_chapter_reports_the_stored_forecasts(world, metered):
    from carbonpeak.intake.batches import file_sha256
    from carbonpeak.publish.whitepaper import document
    from carbonpeak.publish.whitepaper.content import _pv_forecast
    from carbonpeak.services.energy.pv.forecast import forecast, store_forecast, year_accuracy
    from carbonpeak.services.energy.pv.registry import read_weather_file

    assert _pv_forecast(world.ws, world.d, 2019)["not_done"]  # nothing stored in 2019
    jan = dt.date(2024, 1, 15)  # a measured day (stored by the test above, or here)
    path = _forecast_file(world, jan, 1.1, "fc-0115.csv")
    store_forecast(world.ws, world.d, jan, forecast(world.ws, world.d, jan,
                                                    read_weather_file(path)),
                   weather_file=path.name, weather_sha256=file_sha256(path),
                   issued_at=dt.datetime(2024, 1, 14, 4, 0))
    acc = year_accuracy(world.ws, world.d, 2024)
    sec = _pv_forecast(world.ws, world.d, 2024)
    assert sec["available"]
    assert [r["date"] for r in sec["days"]] == [r["date"] for r in acc["forecasts"]]
    m = acc["measured"]
    assert sec["measured"] == m
    section = {"available": True, "pv_generation_kwh": 1000.0, "pv_sites": 2,
               "pv_tce_equivalent": 0.1, "forecast": sec}
    zh = document._renewables({"year": 2024, "renewables": section}, document._Words("zh"))
    text = " ".join(str(b.get("text", "")) for b in zh["blocks"])
    assert "未开展" not in text
    assert f"平均绝对误差为{100 * m['nmae']:.1f}%" in text
    assert f"均方根误差为{100 * m['nrmse']:.1f}%" in text
    assert f"已有实测的{m['days']}天" in text
    table = next(b for b in zh["blocks"] if b["kind"] == "table")
    assert len(table["rows"]) == len(acc["forecasts"])
    # the Chinese edition: no English word outside the standard's number (NB/T 32011)
    cells = " ".join(c for r in table["rows"] for c in r["cells"]) + text
    assert not re.search(r"[A-Za-z]{2,}", cells.replace("NB/T", "")), cells
    en = document._renewables({"year": 2024, "renewables": section}, document._Words("en"))
    assert "nRMSE" in " ".join(str(b.get("text", "")) for b in en["blocks"])


def test_the_forecast_api_is_scoped_and_stores(world, metered):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.services.access.users import create_user, issue_token

    for user, role, kw in (("fc_analyst", "district_analyst", {}),
                           ("fc_officer", "street_officer", {"street": "外滩街道"}),
                           ("fc_manager", "entity_manager", {"entities": ["S1"]})):
        create_user(world.ws, user, role, **kw)
    client = TestClient(create_app(workspace=world.ws))
    tokens = {u: issue_token(world.ws, u).token for u in ("fc_analyst", "fc_officer",
                                                          "fc_manager")}

    def auth(user):
        return {"Authorization": f"Bearer {tokens[user]}"}

    day = dt.date(2024, 1, 16)
    path = _forecast_file(world, day, 1.05, "fc-0116.csv")
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    form = {"date": str(day), "issued_at": "2024-01-15T04:00:00Z"}
    refused = client.post("/api/v1/pv/forecast", data=form, files=files,
                          headers=auth("fc_manager"))
    assert refused.status_code == 403
    made = client.post("/api/v1/pv/forecast", data=form, files=files, headers=auth("fc_analyst"))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["whole_district"]
    assert body["day_ahead"]
    assert {s["site_id"] for s in body["sites"]} == {"PV-G1", "PV-S1"}
    # the total is the sum of the sites, hour by hour
    assert body["total_kw"] == pytest.approx(
        [a + b for a, b in zip(body["sites"][0]["kw"], body["sites"][1]["kw"], strict=True)],
        abs=2e-3)
    assert body["district_errors"]["capacity_kw"] == 230.0
    mine = client.get(f"/api/v1/pv/forecast?date={day}", headers=auth("fc_manager")).json()
    assert [s["site_id"] for s in mine["sites"]] == ["PV-S1"]
    assert mine["district_errors"] is None
    assert not mine["whole_district"]
    s1 = next(s for s in body["sites"] if s["site_id"] == "PV-S1")
    assert mine["total_kwh"] == pytest.approx(s1["kwh"])
    assert mine["sites"][0]["errors"]["nmae"] == pytest.approx(s1["errors"]["nmae"])
    street = client.get(f"/api/v1/pv/forecast?date={day}", headers=auth("fc_officer")).json()
    assert [s["site_id"] for s in street["sites"]] == ["PV-G1"]  # 外滩街道: G1 (M1 from June)
    assert client.get("/api/v1/pv/forecast?date=2024-01-17",
                      headers=auth("fc_analyst")).status_code == 404
    assert client.get("/api/v1/pv/forecasts?year=2024",
                      headers=auth("fc_officer")).status_code == 403
    listed = client.get("/api/v1/pv/forecasts?year=2024", headers=auth("fc_analyst")).json()
    assert "2024-01-16" in [r["date"] for r in listed["forecasts"]]
    assert listed["limit_status"] == "unverified"
    # a weather file without the day: the row error names the file
    bad = client.post("/api/v1/pv/forecast", data={"date": "2024-05-01"}, files=files,
                      headers=auth("fc_analyst"))
    assert bad.status_code == 422
    assert "fc-0116.csv" in bad.text


def test_the_api_is_scoped_by_role(world, metered):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.services.access.users import create_user, issue_token

    create_user(world.ws, "pv_analyst", "district_analyst")
    create_user(world.ws, "pv_officer", "street_officer", street="外滩街道")
    create_user(world.ws, "pv_manager", "entity_manager", entities=["S1"])
    client = TestClient(create_app(workspace=world.ws))
    tokens = {u: issue_token(world.ws, u).token for u in ("pv_analyst", "pv_officer",
                                                          "pv_manager")}

    def get(user, path):
        return client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})

    sites = get("pv_analyst", "/api/v1/pv/sites?year=2024").json()
    assert {s["site_id"] for s in sites["items"]} == {"PV-G1", "PV-S1", "PV-M1"}
    mine = get("pv_manager", "/api/v1/pv/sites?year=2024").json()
    assert [s["site_id"] for s in mine["items"]] == ["PV-S1"]
    street = get("pv_officer", "/api/v1/pv/sites?year=2024").json()
    assert {s["entity_id"] for s in street["items"]} == {"G1", "M1"}  # 外滩街道
    mon = get("pv_manager", "/api/v1/pv/monitoring?year=2024").json()
    assert {r["site_id"] for r in mon["rows"]} == {"PV-S1"}
    for user in ("pv_officer", "pv_manager"):
        assert get(user, "/api/v1/pv/potential").status_code == 403
        assert get(user, "/api/v1/pv/progress").status_code == 403
    pot = get("pv_analyst", "/api/v1/pv/potential").json()
    assert pot["total_potential_kwp"] == pytest.approx(640.0)
    assert get("pv_analyst", "/api/v1/pv/progress?year=2024").json()["years"][-1]["year"] == 2024


def test_site_status_takes_the_worst_month():
    from carbonpeak.services.energy.pv.fleet import site_status

    ok = {"underperforming": False, "data_gap": False}
    gap = {"underperforming": False, "data_gap": True}
    bad = {"underperforming": True, "data_gap": False}
    assert site_status([ok, ok], metered=True, in_operation=True) == "ok"
    assert site_status([ok, gap], metered=True, in_operation=True) == "data_gap"
    assert site_status([gap, bad], metered=True, in_operation=True) == "underperforming"
    assert site_status([], metered=True, in_operation=True) == "data_gap"  # no month read
    assert site_status([], metered=False, in_operation=True) == "unmetered"
    assert site_status([bad], metered=True, in_operation=False) == "not_in_operation"


def test_the_map_layers_are_scoped_by_role(world, metered):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.services.access.users import create_user, issue_token

    for user, role, kw in (("map_analyst", "district_analyst", {}),
                           ("map_officer", "street_officer", {"street": "外滩街道"}),
                           ("map_manager", "entity_manager", {"entities": ["S1"]})):
        create_user(world.ws, user, role, **kw)
    client = TestClient(create_app(workspace=world.ws))

    def layers(user):
        token = issue_token(world.ws, user).token
        r = client.get("/api/v1/pv/map?year=2024", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        return ({f["properties"]["site_id"]: f["properties"] for f in body["sites"]["features"]},
                {f["properties"]["entity_id"]: f["properties"] for f in body["roofs"]["features"]},
                body)

    sites, roofs, body = layers("map_analyst")
    # PV-S1 reads 0.6 × its model in January: underperforming; PV-G1 reads 0.98 × in January
    # and nothing after: a data gap; PV-M1 has no meter
    assert {k: v["status"] for k, v in sites.items()} == {
        "PV-G1": "data_gap", "PV-S1": "underperforming", "PV-M1": "unmetered"}
    assert sites["PV-S1"]["kwp_dc"] == 150.0
    assert sites["PV-S1"]["months_flagged"] == 1
    # potential = roof × usable share × 200 W/m²: G1 1000 × 0.6 × 0.2 = 120, S1 2000 × 0.5 ×
    # 0.2 = 200, H1 0 (not feasible), M1 4000 × 0.4 × 0.2 = 320
    assert {k: v["potential_kwp"] for k, v in roofs.items()} == pytest.approx(
        {"G1": 120.0, "S1": 200.0, "H1": 0.0, "M1": 320.0})
    assert roofs["M1"]["installed_kwp"] == 200.0
    assert body["sites"]["features"][0]["geometry"]["type"] == "Point"
    scales = body["scales"]
    sites_m, roofs_m, body_m = layers("map_manager")
    assert set(sites_m) == {"PV-S1"}
    assert set(roofs_m) == {"S1"}
    assert body_m["scales"] == scales  # the district's classes, whoever looks
    sites_o, roofs_o, _ = layers("map_officer")
    assert set(sites_o) == {"PV-G1", "PV-M1"}  # 外滩街道: G1 and M1
    assert set(roofs_o) == {"G1", "M1"}


def test_cli_expected_json(world, monkeypatch):
    import json

    from typer.testing import CliRunner

    from carbonpeak.cli import app

    monkeypatch.setenv("CARBONPEAK_HOME", str(world.folder / "home"))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", f"sqlite:///{world.folder / 'r.sqlite'}")
    out = CliRunner().invoke(app, ["pv", "expected", "--year", "2024", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["weather"] == "measured"
    assert {s["site_id"] for s in data["sites"]} == {"PV-G1", "PV-S1", "PV-M1"}
    syn = CliRunner().invoke(app, ["pv", "expected", "--year", "2022"])
    assert "合成气象年" in syn.output


def test_cli_forecast_stores_and_lists(world, metered, monkeypatch):
    import json

    from typer.testing import CliRunner

    from carbonpeak.cli import app

    monkeypatch.setenv("CARBONPEAK_HOME", str(world.folder / "home"))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", f"sqlite:///{world.folder / 'r.sqlite'}")
    path = _forecast_file(world, dt.date(2024, 4, 2), 1.0, "fc-0402.csv")
    args = ["pv", "forecast", "--date", "2024-04-02", "--weather", str(path),
            "--issued-at", "2024-04-01T04:00", "--json"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    first = json.loads(out.output)
    assert first["stored"] == "added"
    # the hours are printed to 0.001 kW: 24 of them sum within 24 × 0.0005 kWh
    assert first["district_kwh"] == pytest.approx(sum(first["district_kw"]), abs=0.012)
    again = json.loads(CliRunner().invoke(app, args).output)
    assert again["stored"] == "unchanged"
    dry = CliRunner().invoke(app, [*args[:-1], "--no-store", "--json"])
    assert json.loads(dry.output)["stored"] == "not_stored"
    bad = CliRunner().invoke(app, [*args[:6], "--issued-at", "yesterday"])
    assert bad.exit_code != 0
    listed = CliRunner().invoke(app, ["pv", "forecasts", "--year", "2024", "--json"])
    assert listed.exit_code == 0, listed.output
    day = next(r for r in json.loads(listed.output)["forecasts"] if r["date"] == "2024-04-02")
    assert day["day_ahead"]
    assert day["total_kwh"] == pytest.approx(first["district_kwh"], rel=1e-4)
    assert day["errors"]["district"] is None  # April has no readings yet


def test_the_white_paper_section(world, metered):
    from carbonpeak.errors import NotFoundError
    from carbonpeak.publish.whitepaper.pv import pv_section

    sec = pv_section()
    assert sec.placement == "programmes"
    out = sec.build(world.ws, world.d, 2024)
    figs = {f["label_en"]: f["value"] for f in out["figures"]}
    # the figure catalogue's values and names (MW): 640 kWp, 450 kWp
    assert figs["technical rooftop PV potential (roof survey)"] == pytest.approx(0.640)
    assert figs["PV in operation at year end (DC)"] == pytest.approx(0.450)
    assert figs["existing public-institution roofs with PV (count share)"] == 50.0
    assert "以上数字取自口径目录（台账记录 · 截至2024-12-31）。" in out["notes_zh"]
    assert {r["cohort"]["zh"] for r in out["table"]["rows"]} == {"党政机关", "学校和医院",
                                                                 "工商业（商业）"}
    assert "2个带计量的光伏电站" in out["text_zh"]
    assert not any(c.isascii() and c.isalpha() for c in "".join(out["notes_zh"]))
    from carbonpeak.config import Settings
    from carbonpeak.intake.bootstrap import init_workspace

    empty, _ = init_workspace(Settings(home=world.folder / "empty",
                                       database_url=f"sqlite:///{world.folder / 'e.sqlite'}"),
                              profiles=["tianhe"], actor="test", load_targets=False)
    with pytest.raises(NotFoundError, match="no roof survey") as refused:
        sec.build(empty, empty.district(), 2024)
    assert refused.value.reason is not None
    assert "屋顶普查" in render(refused.value.reason, "zh")  # the Chinese edition says why
    empty.close()
