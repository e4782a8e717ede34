"""Tests of the synthetic demo district generator (carbonpeak.demo)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from carbonpeak.demo import (
    DemoFiles,
    build_registry,
    generate_demo,
    iter_reading_tables,
    load_profile,
)
from carbonpeak.demo.generator import BUILDING_TYPES, EUI_TARGET_KWH_M2, SUBMETERS
from carbonpeak.i18n import render

N_BUILDINGS = 16
YEARS = (2024, 2024)
SEED = 7

ENTITY_COLUMNS = [
    "entity_id",
    "name",
    "kind",
    "street",
    "building_type",
    "floor_area_m2",
    "lat",
    "lon",
    "parent_id",
    "sector_code",
]
METER_COLUMNS = [
    "meter_id",
    "entity_id",
    "carrier",
    "unit",
    "submeter",
    "register",
    "multiplier",
    "interval_minutes",
]


@pytest.fixture(scope="module")
def profile() -> dict:
    return load_profile("huangpu")


@pytest.fixture(scope="module")
def demo(profile, tmp_path_factory) -> DemoFiles:
    out = tmp_path_factory.mktemp("demo_a")
    return generate_demo(profile, buildings=N_BUILDINGS, years=YEARS, seed=SEED, out_dir=out)


@pytest.fixture(scope="module")
def entities(demo) -> pd.DataFrame:
    return pd.read_csv(demo.entities, dtype={"parent_id": str, "building_type": str})


@pytest.fixture(scope="module")
def meters(demo) -> pd.DataFrame:
    return pd.read_csv(demo.meters, dtype={"submeter": str})


def _regular_reading_files(demo: DemoFiles) -> list[Path]:
    return [p for p in demo.readings if "resend" not in p.name and "correction" not in p.name]


@pytest.fixture(scope="module")
def readings(demo, meters) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in _regular_reading_files(demo)]
    r = pd.concat(frames, ignore_index=True)
    r["ts"] = pd.to_datetime(r["ts"], format="%Y-%m-%dT%H:%M:%S")
    return r.merge(meters, on="meter_id", how="left", validate="many_to_one")


def _all_files(demo: DemoFiles) -> list[Path]:
    return sorted(p for p in demo.out_dir.iterdir() if p.is_file())


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(profile, demo, tmp_path):
    again = generate_demo(
        profile, buildings=N_BUILDINGS, years=YEARS, seed=SEED, out_dir=tmp_path / "b"
    )
    names_a = [p.name for p in _all_files(demo)]
    names_b = [p.name for p in _all_files(again)]
    assert names_a == names_b
    for p in _all_files(demo):
        assert p.read_bytes() == (again.out_dir / p.name).read_bytes(), p.name
    assert again.notes == demo.notes
    assert [p.name for p in again.readings] == [p.name for p in demo.readings]


def test_different_seed_differs(profile, demo, tmp_path):
    other = generate_demo(
        profile, buildings=N_BUILDINGS, years=YEARS, seed=SEED + 1, out_dir=tmp_path / "c"
    )
    assert other.entities.read_bytes() != demo.entities.read_bytes()
    first = _regular_reading_files(demo)[0]
    assert (other.out_dir / first.name).read_bytes() != first.read_bytes()


def test_build_registry_matches_files(profile, entities, meters):
    ent, met = build_registry(profile, buildings=N_BUILDINGS, seed=SEED)
    assert list(ent.columns) == ENTITY_COLUMNS
    assert list(met.columns) == METER_COLUMNS
    assert list(ent["entity_id"]) == list(entities["entity_id"])
    assert list(met["meter_id"]) == list(meters["meter_id"])
    assert list(met["entity_id"]) == list(meters["entity_id"])
    np.testing.assert_allclose(
        ent["floor_area_m2"].to_numpy(dtype=float),
        entities["floor_area_m2"].to_numpy(dtype=float),
    )


def test_invalid_arguments(profile, tmp_path):
    with pytest.raises(ValueError, match="buildings"):
        build_registry(profile, buildings=3, seed=SEED)
    with pytest.raises(ValueError, match="years"):
        generate_demo(profile, buildings=N_BUILDINGS, years=(2024, 2023), out_dir=tmp_path)
    with pytest.raises(ValueError, match="invalid profile code"):
        load_profile("../etc")
    with pytest.raises(FileNotFoundError):
        load_profile("atlantis")


# --------------------------------------------------------------------------------------
# Registry contract
# --------------------------------------------------------------------------------------


def test_entities_contract(profile, entities):
    assert list(entities.columns) == ENTITY_COLUMNS
    assert entities["entity_id"].is_unique
    assert entities["name"].is_unique
    assert set(entities["kind"]) == {"building", "enterprise", "public_institution"}
    buildings = entities[entities["kind"] != "enterprise"]
    assert len(buildings) == N_BUILDINGS
    assert all(re.fullmatch(r"HP-B\d{4}", e) for e in buildings["entity_id"])
    assert set(buildings["building_type"]) == set(BUILDING_TYPES)
    public = buildings["building_type"].isin(["hospital", "school", "government"])
    assert (buildings.loc[public, "kind"] == "public_institution").all()
    assert (buildings.loc[~public, "kind"] == "building").all()
    assert (buildings["floor_area_m2"] >= 5_000).all()
    assert (buildings["floor_area_m2"] > 50_000).sum() >= 1
    assert all(re.fullmatch(r"[A-Z]\d{2}", s) for s in entities["sector_code"])

    enterprises = entities[entities["kind"] == "enterprise"]
    assert len(enterprises) >= 2
    assert all(re.fullmatch(r"HP-E\d{3}", e) for e in enterprises["entity_id"])
    assert enterprises["building_type"].isna().all()
    assert enterprises["floor_area_m2"].isna().all()
    owned = buildings["parent_id"].dropna().value_counts()
    assert set(owned.index) == set(enterprises["entity_id"])
    assert owned.between(2, 4).all()
    assert (buildings.loc[buildings["parent_id"].notna(), "kind"] == "building").all()


def test_every_entity_on_a_profile_street(profile, entities):
    streets = {s["name_zh"]: (s["lat"], s["lon"]) for s in profile["streets"]}
    assert set(entities["street"]) <= set(streets)
    for row in entities.itertuples():
        lat, lon = streets[row.street]
        assert abs(row.lat - lat) <= 0.0041
        assert abs(row.lon - lon) <= 0.0041


def test_meters_contract(entities, meters):
    assert list(meters.columns) == METER_COLUMNS
    assert meters["meter_id"].is_unique
    assert all(re.fullmatch(r"HP-M\d{5}", m) for m in meters["meter_id"])
    assert set(meters["entity_id"]) <= set(entities["entity_id"])
    assert set(meters["carrier"]) <= {
        "electricity",
        "natural_gas",
        "heat",
        "diesel",
        "gasoline",
        "lpg",
        "pv_generation",
    }
    assert set(meters["submeter"].dropna()) == set(SUBMETERS)
    assert set(meters["register"]) == {"interval", "cumulative"}
    main = meters[(meters["carrier"] == "electricity") & meters["submeter"].isna()]
    n_buildings = (entities["kind"] != "enterprise").sum()
    assert 0.6 * n_buildings <= len(main) <= 0.9 * n_buildings
    assert (main["register"] == "cumulative").sum() >= 1
    assert (main["multiplier"] > 1).any()
    subs = meters[meters["submeter"].notna()]
    assert (subs.groupby("entity_id").size() == 4).all()
    assert set(subs["entity_id"]) <= set(main["entity_id"])
    gas = meters[meters["carrier"] == "natural_gas"]
    assert (gas["interval_minutes"] == 1440).all()
    assert (gas["register"] == "cumulative").all()
    assert (meters["carrier"] == "pv_generation").sum() >= 1


# --------------------------------------------------------------------------------------
# Realism
# --------------------------------------------------------------------------------------


def test_submeters_sum_to_main(readings):
    elec = readings[readings["carrier"] == "electricity"]
    main = elec[elec["submeter"].isna() & (elec["register"] == "interval")]
    main_kwh = (main["value"] * main["multiplier"]).groupby([main["entity_id"], main["ts"]]).sum()
    subs = elec[elec["submeter"].notna()]
    sub_kwh = subs.groupby(["entity_id", "ts"])["value"].sum()
    joined = pd.concat([main_kwh.rename("main"), sub_kwh.rename("subs")], axis=1, join="inner")
    assert len(joined) > 8760
    rel = (joined["subs"] - joined["main"]).abs() / joined["main"]
    assert rel.max() < 0.01


def _annual_electricity(readings, demo, meters) -> pd.Series:
    """Annual electricity [kWh] per building from main meters and ledgers."""
    elec = readings[(readings["carrier"] == "electricity") & readings["submeter"].isna()]
    interval = elec[elec["register"] == "interval"]
    totals = (interval["value"] * interval["multiplier"]).groupby(interval["entity_id"]).sum()
    out = totals.to_dict()
    cumulative = elec[elec["register"] == "cumulative"].sort_values(["meter_id", "ts"])
    for _, g in cumulative.groupby("meter_id"):
        diffs = np.diff(g["value"].to_numpy())
        diffs = np.where(diffs < 0, 0.0, diffs)  # the register reset
        out[g["entity_id"].iloc[0]] = float(diffs.sum() * g["multiplier"].iloc[0])
    ledger = pd.concat([pd.read_csv(p) for p in demo.ledger])
    le = ledger[ledger["carrier"] == "electricity"]
    kwh = np.where(le["unit"] == "万kWh", le["quantity"] * 1e4, le["quantity"])
    assert set(le["unit"]) <= {"kWh", "万kWh"}
    for eid, value in pd.Series(kwh, index=le["entity_id"]).groupby(level=0).sum().items():
        out[eid] = float(value)
    return pd.Series(out)


def test_annual_eui_within_25_percent_of_target(readings, demo, meters, entities):
    annual = _annual_electricity(readings, demo, meters)
    buildings = entities[entities["kind"] != "enterprise"].set_index("entity_id")
    assert set(annual.index) == set(buildings.index)
    eui = annual / buildings["floor_area_m2"]
    target = buildings["building_type"].map(EUI_TARGET_KWH_M2)
    ratio = eui / target
    assert ratio.between(0.75, 1.25).all(), ratio[~ratio.between(0.75, 1.25)]


def test_office_schedule_and_pv(readings, entities):
    types = entities.set_index("entity_id")["building_type"]
    elec = readings[(readings["carrier"] == "electricity") & readings["submeter"].isna()]
    offices = elec[(elec["register"] == "interval") & (elec["entity_id"].map(types) == "office")]
    by_hour = offices.groupby(offices["ts"].dt.hour)["value"].mean()
    assert 0.2 < by_hour[3] / by_hour[14] < 0.45
    pv = readings[readings["carrier"] == "pv_generation"]
    assert (pv["value"] >= 0).all()
    night = pv[pv["ts"].dt.hour.isin([0, 1, 2, 3, 22, 23])]
    assert (night["value"] == 0).all()
    assert pv["value"].max() > 0


def test_ledger_files(demo, entities):
    assert [p.name for p in demo.ledger] == [
        f"ledger_{y}.csv" for y in range(YEARS[0], YEARS[1] + 1)
    ]
    ledger = pd.concat([pd.read_csv(p) for p in demo.ledger])
    assert list(ledger.columns) == ["entity_id", "period", "carrier", "quantity", "unit"]
    assert set(ledger["entity_id"]) <= set(entities["entity_id"])
    assert ledger["period"].str.fullmatch(r"\d{4}-\d{2}").all()
    units = ledger.groupby("carrier")["unit"].agg(set).to_dict()
    assert units["electricity"] <= {"kWh", "万kWh"}
    assert units["gasoline"] == {"t"}
    assert units.get("natural_gas", {"m³"}) <= {"m³", "万m³"}
    assert units.get("diesel", {"L"}) <= {"L", "t"}
    enterprises = set(entities.loc[entities["kind"] == "enterprise", "entity_id"])
    assert set(ledger.loc[ledger["carrier"] == "gasoline", "entity_id"]) <= enterprises
    assert (ledger["quantity"] >= 0).all()
    # zeros are stated (a missing row means "no data"), only for stand-by diesel
    assert set(ledger.loc[ledger["quantity"] == 0, "carrier"]) <= {"diesel"}


def test_statistics_and_weather(demo, profile):
    stats = pd.read_csv(demo.statistics)
    assert list(stats.columns) == ["year", "gdp_10k_cny", "population", "energy_tce", "co2_t"]
    assert list(stats["year"]) == list(range(2020, YEARS[1] + 1))
    assert stats.loc[stats["year"] == 2020, "gdp_10k_cny"].iloc[0] == pytest.approx(
        profile["demo"]["gdp_2020_10k_cny"]
    )
    assert stats["gdp_10k_cny"].is_monotonic_increasing
    assert (stats["energy_tce"] > 0).all()
    # back-cast years: energy per GDP falls 3 %/a (profile default) up to the first metered year
    first = YEARS[0]
    per_gdp = (stats["energy_tce"] / stats["gdp_10k_cny"]).to_numpy()
    back = per_gdp[: first - 2020 + 1]
    assert back[1:] / back[:-1] == pytest.approx([1 / 1.03] * (first - 2020), rel=1e-4)
    # CO2 per tce falls 1 %/a (profile default) and is 1.42 in the last year
    ratio = (stats["co2_t"] / stats["energy_tce"]).to_numpy()
    assert ratio[-1] == pytest.approx(1.42, rel=1e-4)
    assert ratio[:-1] / ratio[1:] == pytest.approx([1.01] * (len(ratio) - 1), rel=1e-4)
    sectors = pd.read_csv(demo.sector_statistics)
    by_year = sectors.groupby("year")["value_added_10k_cny"].sum()
    # sector value added sums to GDP (each rounded to 1 CNY 10^4)
    assert by_year.to_numpy() == pytest.approx(stats.set_index("year")["gdp_10k_cny"]
                                               .to_numpy(), abs=len(set(sectors["sector"])))
    weather = pd.read_csv(demo.weather)
    assert list(weather.columns) == ["date", "temp_mean_c"]
    assert len(weather) == 366
    month = weather["date"].str[5:7].astype(int)
    means = weather.groupby(month)["temp_mean_c"].mean().to_numpy()
    normals = np.array(profile["demo"]["monthly_mean_temp_c"])
    assert np.abs(means - normals).max() < 3.5


# --------------------------------------------------------------------------------------
# Dirt
# --------------------------------------------------------------------------------------


def test_resend_is_byte_identical_and_listed_twice(demo):
    names = [p.name for p in demo.readings]
    last = YEARS[1]
    assert names[-2:] == [f"readings_{last}H2.csv", f"readings_{last}H2_resend.csv"]
    assert demo.readings[-1].read_bytes() == demo.readings[-2].read_bytes()
    corr = names.index(f"readings_{last}_correction.csv")
    assert names[corr - 1] == f"readings_{last}H1.csv"


def _notes(demo):
    """The dirt notes (catalogue messages) as their English text."""
    return [render(n, "en") for n in demo.notes]


def test_dirt_notes_present(demo):
    text = "\n".join(_notes(demo))
    for word in ("gap", "reset", "re-send", "correction", "missing ledger month"):
        assert word in text, word
    assert len(_notes(demo)) == 5


def test_gap_is_three_days(demo, readings):
    match = re.search(r"meter (\S+) has no readings from (\S+ \S+) to (\S+ \S+)", _notes(demo)[0])
    assert match is not None
    meter, start, end = match.groups()
    ts = readings.loc[readings["meter_id"] == meter, "ts"]
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    assert (end_ts - start_ts) == pd.Timedelta(hours=71)
    assert not ts.between(start_ts, end_ts).any()
    assert len(ts) == 366 * 24 - 72


def test_cumulative_reset(demo, readings):
    note = next(n for n in _notes(demo) if "reset" in n)
    meter = re.search(r"meter (\S+) reset", note).group(1)
    values = readings[readings["meter_id"] == meter].sort_values("ts")["value"].to_numpy()
    diffs = np.diff(values)
    assert (diffs < 0).sum() == 1
    assert values[np.argmin(diffs) + 1] < 25


def test_correction_batch(demo, readings):
    path = next(p for p in demo.readings if "correction" in p.name)
    corr = pd.read_csv(path)
    assert corr["ts"].str.endswith("+08:00").all()
    assert len(corr) == 48
    assert corr["meter_id"].nunique() == 1
    corr["ts"] = pd.to_datetime(corr["ts"]).dt.tz_localize(None)
    merged = corr.merge(readings[["meter_id", "ts", "value"]], on=["meter_id", "ts"])
    assert len(merged) == 48
    np.testing.assert_allclose(merged["value_x"], merged["value_y"] * 1.05, rtol=1e-3, atol=2e-3)


def test_missing_ledger_month(demo):
    note = next(n for n in _notes(demo) if "missing ledger month" in n)
    eid, period = re.search(r"(\S+) has no electricity ledger for (\d{4}-\d{2})", note).groups()
    ledger = pd.concat([pd.read_csv(p) for p in demo.ledger])
    rows = ledger[(ledger["entity_id"] == eid) & (ledger["carrier"] == "electricity")]
    assert period not in set(rows["period"])
    assert len(rows) == 12 * (YEARS[1] - YEARS[0] + 1) - 1


# --------------------------------------------------------------------------------------
# Streaming tables
# --------------------------------------------------------------------------------------


def test_iter_reading_tables(profile, meters, readings):
    months = []
    interval_elec = meters[
        (meters["carrier"] == "electricity") & (meters["register"] == "interval")
    ]
    expected_ids = set(interval_elec["meter_id"])
    schema = pa.schema(
        [("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("value", pa.float64())]
    )
    first = None
    for month, table in iter_reading_tables(profile, buildings=N_BUILDINGS, years=YEARS, seed=SEED):
        months.append(month)
        assert table.schema == schema
        assert set(table.column("meter_id").to_pylist()) == expected_ids
        if first is None:
            first = table.to_pandas()
    assert months == [f"{YEARS[0]}-{m:02d}" for m in range(1, 13)]
    # Naive UTC = local - 8 h, and the values equal those of the demo files.
    assert first["ts"].min() == pd.Timestamp(f"{YEARS[0] - 1}-12-31 16:00")
    first["ts"] = first["ts"] + pd.Timedelta(hours=8)
    merged = first.merge(readings[["meter_id", "ts", "value"]], on=["meter_id", "ts"])
    assert len(merged) == len(first)
    np.testing.assert_allclose(merged["value_x"], merged["value_y"], atol=1e-9)


def test_tianhe_profile_prefix():
    tianhe = load_profile("tianhe")
    ent, met = build_registry(tianhe, buildings=N_BUILDINGS, seed=SEED)
    assert ent["entity_id"].str.startswith("TH-").all()
    assert met["meter_id"].str.startswith("TH-M").all()
    assert set(ent["street"]) <= {s["name_zh"] for s in tianhe["streets"]}
