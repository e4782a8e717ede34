"""The account on a reference district worked out by hand (tests/reference_district.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.i18n import loads, render
from carbonpeak.intake.bootstrap import init_workspace, load_factor_set
from carbonpeak.reference import read_factor_set, reference_dir
from carbonpeak.services.accounting.account import AccountResult, run_account
from carbonpeak.storage.registry.models import AccountRun, AuditLog, Entity, IngestBatch
from carbonpeak.storage.workspace import Workspace, latest_factor_set
from tests import reference_district

# Electricity per entity, 2024 [kWh]:
#   B1: Jan ledger 1,000 (wins over its meter: M1 (100 + 50) x multiplier 2 = 300, and the
#       hvac sub-meter M1a is never added to a main meter) + Feb ledger 1.5 万kWh = 15,000
#       -> 16,000
#   B2: cumulative M2 x 10, full scale 9,999 (wraps at 9,999 + 1 = 10,000): Jan intervals
#       9995->5 = 5 + 10000 - 9995 = 10
#       and 5->25 = 20 -> 30 x 10 = 300 (the 23:00-24:00 Dec-31 interval belongs to 2023)
#   B3: ledger 1 万kWh in each of Jan..Nov = 110,000 (December missing, flagged)
#   B4: cumulative M5 100->110 = 10, 110->5 reset (excluded), 5->15 = 10 -> 20
ELEC = {"B1": 16_000.0, "B2": 300.0, "B3": 110_000.0, "B4": 20.0}
ELEC_TOTAL = 126_320.0
# Gas: M3 1000 -> 1100 m3 over 48 h from 2024-01-31 00:00 to 2024-02-02 00:00 local,
#      half in January and half in February -> 50 + 50 = 100 m3
GAS = 100.0
DIESEL_T = 1000 * 0.84 / 1000  # 1,000 L x 0.84 t/m3 = 0.84 t
HEAT_GJ = 100.0
PV_KWH = 40.0
TCO2 = {
    "electricity": ELEC_TOTAL * 0.42 / 1000,  # 53.0544
    "natural_gas": GAS * 21.6219 / 1e4,  # 0.216219
    "diesel": DIESEL_T * 3.0959,  # 2.600556
    "heat": HEAT_GJ * 0.06,  # 6.0
}
TCE_EQUIVALENT = {
    "electricity": ELEC_TOTAL * 0.1229 / 1000,  # 15.524728
    "natural_gas": GAS * 1.33 / 1000,  # 0.133
    "diesel": DIESEL_T * 1000 * 1.4571 / 1000,  # 1.223964
    "heat": HEAT_GJ * 1000 * 0.03412 / 1000,  # 3.412
}
# equal value 2024: the previous year's thermal coal rate (GB/T 2589-2020); the series carries
# the 2022 figure 300.7 gce/kWh forward to 2024: 126,320 x 0.3007 / 1000 = 37.984424
TCE_EQUAL = {**TCE_EQUIVALENT, "electricity": ELEC_TOTAL * 0.3007 / 1000}  # 37.984424


@dataclass(frozen=True)
class Reference:
    """The reference district's home, its account and the folder the account wrote."""

    ws: Workspace
    result: AccountResult
    out: Path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """The reference district imported and accounted once for the module (SQLite): the tests
    that take it only read it; those that change a home build their own with ``ws``."""
    folder = tmp_path_factory.mktemp("reference")
    settings = Settings(home=folder / "home",
                        database_url=f"sqlite:///{folder / 'registry.sqlite'}")
    workspace, _ = init_workspace(settings, profiles=["huangpu"], actor="test",
                                  load_targets=False)
    reference_district.load(workspace, folder / "in")
    yield Reference(workspace, run_account(workspace, year=2024, out_dir=folder / "out"),
                    folder / "out")
    workspace.close()


@pytest.fixture
def result(reference: Reference) -> AccountResult:
    return reference.result


def _year(res, level="entity"):
    return res.tables[f"inventory_{level}_year"]


def test_entity_electricity_by_hand(result):
    ey = _year(result)
    elec = ey[ey["carrier"] == "electricity"].set_index("entity_id")["quantity"]
    assert elec.to_dict() == pytest.approx(ELEC)


def test_district_totals_by_hand(result):
    dy = _year(result, "district").set_index("carrier")
    assert dy.loc["electricity", "quantity"] == pytest.approx(ELEC_TOTAL)
    assert dy.loc["natural_gas", "quantity"] == pytest.approx(GAS)
    assert dy.loc["diesel", "quantity"] == pytest.approx(DIESEL_T)
    assert dy.loc["heat", "quantity"] == pytest.approx(HEAT_GJ)
    for carrier, t in TCO2.items():
        assert dy.loc[carrier, "tco2"] == pytest.approx(t)
        assert dy.loc[carrier, "tce_equivalent"] == pytest.approx(TCE_EQUIVALENT[carrier])
        assert dy.loc[carrier, "tce_equal"] == pytest.approx(TCE_EQUAL[carrier])
    assert dy.loc["diesel", "scope"] == "1"
    assert dy.loc["electricity", "scope"] == "2"
    tot = result.totals
    assert tot["tco2"] == pytest.approx(sum(TCO2.values()))  # 61.871175
    assert tot["tco2_scope1"] == pytest.approx(TCO2["natural_gas"] + TCO2["diesel"])
    assert tot["tce_equal"] == pytest.approx(sum(TCE_EQUAL.values()))  # 42.753388


def test_pv_is_reported_apart(result):
    dy = _year(result, "district").set_index("carrier")
    assert dy.loc["pv_generation", "quantity"] == pytest.approx(PV_KWH)
    assert dy.loc["pv_generation", "scope"] == "generation"
    assert dy.loc["pv_generation", "tco2"] == 0
    assert result.totals["pv_generation_kwh"] == pytest.approx(PV_KWH)
    assert result.totals["tce_equivalent"] == pytest.approx(sum(TCE_EQUIVALENT.values()))


def test_streets_and_no_double_counting(result):
    sy = _year(result, "street")
    by_street = sy[sy["carrier"] == "electricity"].set_index("street")["quantity"]
    # 外滩街道: B1 16,000 + B4 20 (E1 has no electricity); 豫园街道: B2 300 + B3 110,000
    assert by_street.to_dict() == pytest.approx({"外滩街道": 16_020.0, "豫园街道": 110_300.0})
    for level in ("street", "building_type", "sector", "district"):
        roll = _year(result, level)
        assert roll["tco2"].sum() == pytest.approx(_year(result)["tco2"].sum())


def test_enterprise_consolidated_once(result):
    ku = result.tables["key_units"].set_index("entity_id")
    # E1 own diesel 1.223964 tce + its building B1 16,000 kWh x 0.1229 = 1.9664 tce
    assert ku.loc["E1", "energy_tce_equivalent"] == pytest.approx(1.223964 + 1.9664)
    assert ku.loc["B1", "energy_tce_equivalent"] == pytest.approx(1.9664)
    assert ku.loc["E1", "n_children"] == 1


def test_missing_months_are_flagged_not_zero(result):
    em = result.tables["inventory_entity_month"]
    dec = em[(em["entity_id"] == "B3") & (em["carrier"] == "electricity")
             & (em["month"] == "2024-12")].iloc[0]
    assert dec["flags"] == "missing"
    assert pd.isna(dec["quantity"])
    assert dec["coverage"] == 0
    ey = _year(result).set_index(["entity_id", "carrier"])
    assert ey.loc[("B3", "electricity"), "missing_months"] == 1
    assert "missing_months=1" in ey.loc[("B3", "electricity"), "flags"]


def test_resets_and_rollovers_flagged(result):
    ey = _year(result).set_index(["entity_id", "carrier"])
    assert ey.loc[("B4", "electricity"), "n_resets"] == 1
    assert "register_resets=1" in ey.loc[("B4", "electricity"), "flags"]
    assert ey.loc[("B2", "electricity"), "n_rollovers"] == 1


def test_coverage(result):
    em = result.tables["inventory_entity_month"].set_index(["entity_id", "carrier", "month"])
    # B2 electricity Jan: valid register intervals cover 2 h of 744 h
    assert em.loc[("B2", "electricity", "2024-01"), "coverage"] == pytest.approx(2 / 744)
    # B2 gas Jan: the 48 h read interval covers the 24 h of 31 January
    assert em.loc[("B2", "natural_gas", "2024-01"), "coverage"] == pytest.approx(24 / 744)
    # B4: of three 1-hour intervals one is a reset, so 2 h are known
    assert em.loc[("B4", "electricity", "2024-01"), "coverage"] == pytest.approx(2 / 744)
    assert em.loc[("B3", "electricity", "2024-01"), "coverage"] == 1.0  # ledger
    assert em.loc[("B3", "electricity", "2024-01"), "source"] == "ledger"


def test_intensity_metered_share_and_eui(result):
    tot = result.totals
    tce_equal = sum(TCE_EQUAL.values())
    # like with like: the metered account is never divided by the district's GDP
    assert not any(k.endswith("_per_10k_cny") for k in tot)
    assert tot["metered_share"] == pytest.approx(tce_equal / 100)
    eui = result.tables["eui_building_year"].set_index("entity_id")
    assert eui.loc["B2", "electricity_kwh_per_m2"] == pytest.approx(300 / 60_000)
    # B3: 110,000 kWh x 0.1229 + 100 GJ x 34.12 kgce/GJ = 13,519 + 3,412 = 16,931 kgce / 5,000 m2
    assert eui.loc["B3", "eui_kgce_per_m2_equivalent"] == pytest.approx(16_931 / 5_000)
    assert "E1" not in eui.index  # enterprises have no floor area of their own


def test_key_units_flagged_with_rule(reference):
    with reference.ws.registry.session() as s:
        b2 = s.get(Entity, "B2")
        assert b2.is_key_unit
        # stored as its message (code and parameters), rendered at the edge
        rule = loads(b2.key_unit_rule)
        assert rule is not None
        assert rule.code == "accounting.key_unit.rule"
        assert render(rule, "zh") == ("2024年：建筑面积≥5万平方米"
                                      "（建筑面积60,000，门槛50,000平方米）")
        assert render(rule, "en").startswith("2024: ")
        assert render(rule, "en").endswith("(floor area = 60,000 ≥ 50,000 m²)")
        assert not s.get(Entity, "B1").is_key_unit
        changes = s.scalars(select(AuditLog).where(AuditLog.object_id == "B2",
                                                   AuditLog.action == "update")).all()
        assert changes


def test_output_files_and_columns(reference):
    out = reference.out
    for name in ("inventory_entity_month", "inventory_entity_year", "inventory_street_year",
                 "inventory_district_year"):
        df = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        cols = list(df.columns)
        assert cols[1] in ("month", "year")
        assert cols[2] == "carrier"
        assert cols[3:11] == ["quantity", "unit", "tce_equivalent", "tce_equal", "tco2",
                              "scope", "coverage", "factor_set"]
        assert (df["factor_set"] == "shanghai_local@v1").all()
    assert (out / "manifest.json").is_file()


def test_unverified_factor_is_said(result):
    assert any("UNVERIFIED" in n and "Electricity (kgce, equal value)" in n for n in result.notes)


def test_restatement_keeps_old_set_until_asked(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    first = run_account(ws, year=2024)
    assert first.official
    assert first.factor_set == "shanghai_local@v1"
    # a new version of the set is published: electricity 0.42 -> 0.40
    folder = tmp_path / "fs"
    folder.mkdir()
    src = reference_dir() / "factor_sets"
    for ext in ("toml", "csv"):
        shutil.copy(src / f"shanghai_local.{ext}", folder / f"shanghai_local.{ext}")
    csv_path = folder / "shanghai_local.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace(
        "electricity,tco2,0.42,", "electricity,tco2,0.40,"), encoding="utf-8")
    rec, created = load_factor_set(ws, read_factor_set(folder / "shanghai_local.toml"))
    assert created
    assert rec.version == 2

    kept = run_account(ws, year=2024)
    assert kept.factor_set == "shanghai_local@v1"
    assert kept.totals["tco2"] == pytest.approx(first.totals["tco2"])
    assert any("--restate" in n for n in kept.notes)

    restated = run_account(ws, year=2024, restate=True)
    assert restated.factor_set == "shanghai_local@v2"
    assert restated.totals["tco2"] == pytest.approx(
        first.totals["tco2"] - ELEC_TOTAL * 0.02 / 1000)

    variant = run_account(ws, year=2024, factor_set="national_average")
    assert not variant.official
    assert variant.factor_set == "national_average@v1"
    with ws.registry.session() as s:
        runs = {r.id: r for r in s.scalars(select(AccountRun))}
    assert runs[kept.run_id].restated_by_run_id == restated.run_id
    assert runs[restated.run_id].restates_run_id == kept.run_id
    assert runs[first.run_id].official  # both recorded


def test_a_chinese_source_alone_makes_no_new_factor_version(ws):
    """Adding or correcting the Chinese text beside a citation changes no factor: the newest
    version keeps its number and checksum, its texts are updated in place, audit-logged, and
    the account asks for no restatement."""
    spec = read_factor_set("shanghai_local")
    first = spec.rows[0]
    texts = replace(spec, description_zh="上海市本地因子（测试）", rows=[
        replace(first, source_zh="测试来源"), *spec.rows[1:]])
    assert texts.checksum == spec.checksum
    rec, created = load_factor_set(ws, texts)
    assert not created
    assert rec.version == 1
    with ws.registry.session() as s:
        stored = latest_factor_set(s, "shanghai_local")
        assert stored is not None
        assert stored.version == 1
        assert stored.description_zh == "上海市本地因子（测试）"
        by_source = [r for r in stored.rows if r.source_zh == "测试来源"]
        assert [(r.carrier, r.quantity) for r in by_source] == [(first.carrier, first.quantity)]
        logged = s.scalars(select(AuditLog).where(
            AuditLog.object_id == "shanghai_local@v1", AuditLog.action == "update")).all()
    assert [a.details["chinese_texts"] for a in logged] == [{"rows": 1, "description": True}]
    # loading the same texts again changes nothing and logs nothing
    load_factor_set(ws, texts)
    with ws.registry.session() as s:
        assert len(s.scalars(select(AuditLog).where(
            AuditLog.object_id == "shanghai_local@v1", AuditLog.action == "update")).all()) == 1


def test_account_records_its_input_batches(reference):
    result = reference.result
    with reference.ws.registry.session() as s:
        run = s.get(AccountRun, result.run_id)
        inputs = list(s.scalars(select(IngestBatch.id).where(IngestBatch.kind.in_(
            ["entities", "meters", "readings", "ledger", "statistics"])).order_by(IngestBatch.id)))
        # the five files of the reference district
        assert inputs == [1, 2, 3, 4, 5]
        assert run.input_batches == inputs


def test_factor_set_outside_its_effective_dates_is_said(ws, tmp_path):
    reference_district.load(ws, tmp_path / "in")
    res = run_account(ws, year=2024, factor_set="shanghai_local_pre2022")
    assert any("effective until 2022-02-10" in n for n in res.notes)
    # 0.788 tCO2/MWh instead of 0.42: electricity CO2 rises by 126,320 kWh x 0.368 / 1000
    assert res.totals["tco2"] - sum(TCO2.values()) == pytest.approx(
        ELEC_TOTAL * 0.368 / 1000 + HEAT_GJ * (0.11 - 0.06))


def test_plant_sub_meters_are_parts_of_hvac_not_added_twice(ws: Workspace,
                                                            tmp_path: Path) -> None:
    """B5 has no main meter: its electricity is the sum of its sub-meters, where the
    cooling-plant meter is a part of the hvac meter. January 2024, one hour each:
    lighting 20 + hvac 80 (of which the cooling plant 50) = 100 kWh, not 150.
    B6 has only a cooling-plant sub-meter: it is all we know of it, so it counts (30 kWh)."""
    from carbonpeak.intake.imports import import_file

    reference_district.load(ws, tmp_path / "in")
    folder = tmp_path / "plant"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "entity_id,name,kind,street,building_type,floor_area_m2\n"
        "B5,外滩三号楼,building,外滩街道,office,9000\n"
        "B6,外滩四号楼,building,外滩街道,office,9000\n", encoding="utf-8")
    (folder / "meters.csv").write_text(
        "meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes\n"
        "S1,B5,electricity,kWh,lighting_socket,interval,1,60\n"
        "S2,B5,electricity,kWh,hvac,interval,1,60\n"
        "S3,B5,electricity,kWh,cooling_plant,interval,1,60\n"
        "S4,B6,electricity,kWh,cooling_plant,interval,1,60\n", encoding="utf-8")
    (folder / "readings.csv").write_text(
        "meter_id,ts,value\nS1,2024-01-10T10:00:00,20\nS2,2024-01-10T10:00:00,80\n"
        "S3,2024-01-10T10:00:00,50\nS4,2024-01-10T10:00:00,30\n", encoding="utf-8")
    for kind in ("entities", "meters", "readings"):
        import_file(ws, kind, folder / f"{kind}.csv")
    ey = _year(run_account(ws, year=2024))
    elec = ey[ey["carrier"] == "electricity"].set_index("entity_id")["quantity"]
    assert elec["B5"] == pytest.approx(100.0)
    assert elec["B6"] == pytest.approx(30.0)


def test_entity_year_source_flags_and_names_are_made_per_row() -> None:
    """``source`` from the ledger and meter months, ``flags`` the non-zero counts in their
    order joined by ';' ('' when none), and the entity's attributes looked up by id."""
    import pyarrow as pa

    from carbonpeak.services.accounting.account import _entity_year_labels

    def counts(*v: int) -> pa.Array:
        return pa.array([Decimal(x) for x in v], pa.decimal128(38, 0))  # DuckDB's SUM type

    t = pa.table({
        "entity_id": ["A", "B", "C", "Z"],
        "ledger_months": counts(12, 3, 0, 0), "meter_months": counts(0, 9, 12, 0),
        "missing_months": counts(0, 0, 2, 12), "partial_months": counts(0, 1, 0, 0),
        "meter_missing_months": counts(0, 0, 0, 0), "n_resets": counts(0, 0, 1, 0),
        "n_rollovers": counts(0, 0, 0, 0), "n_negative": counts(0, 4, 0, 0),
        "intervals_filled": counts(0, 0, 7, 0)})
    entities = pa.table({"entity_id": ["C", "B", "A"], "name": ["丙", "乙", "甲"],
                         "street": ["s3", "s2", "s1"], "building_type": ["office"] * 3,
                         "kind": ["building"] * 3})
    got = _entity_year_labels(t, entities).to_pydict()
    assert "ledger_months" not in got
    assert "meter_months" not in got
    assert got["source"] == ["ledger", "ledger+meter", "meter", "none"]
    assert got["flags"] == ["", "partial_months=1;negative_values=4",
                            "missing_months=2;register_resets=1;estimated_intervals=7",
                            "missing_months=12"]
    # Z is not a registered entity: its attributes are null, never another's
    assert got["name"] == ["甲", "乙", "丙", None]
    assert got["street"] == ["s1", "s2", "s3", None]


def test_a_key_unit_rule_differing_in_a_sums_last_digits_is_the_same_rule() -> None:
    """A rule stored with a sum's every digit equals today's rounded one, and one whose sum
    differs in its last digits (no audit entry); another value, another rule, or no rule
    before, is a change."""
    from carbonpeak.services.accounting.account import _same_rule

    def rule(value: float, code: str = "accounting.key_unit.hit") -> str:
        return ('{"code":"accounting.key_unit.rule","params":{"year":2024,"hits":[{"$message":'
                f'{{"code":"{code}","params":{{"value":{value!r},"threshold":3000.0}}}}}}]}}}}')

    stored = rule(5640.0426943682)
    assert _same_rule(rule(5640.04269437), stored)
    assert _same_rule(rule(5640.042694368201), stored)
    # 2e9 kWh summed in another order: the 12th digit differs, the rule does not
    assert _same_rule(rule(2_000_000_000.0000038), rule(2_000_000_000.0000012))
    assert not _same_rule(rule(5640.05), stored)
    assert not _same_rule(rule(5640.04269437, code="x"), stored)
    assert not _same_rule(rule(5640.04269437), None)
