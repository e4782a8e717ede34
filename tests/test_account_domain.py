"""The account's results computed from the SQL steps' tables (carbonpeak.domain.accounting):
building EUI, district totals and the key-unit table, on hand-worked cases.

Every expected number is typed as a literal; the arithmetic is written in the comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from carbonpeak.domain.accounting import (
    KWH_PER_KGCE,
    KeyUnitRule,
    YearStatistics,
    account_totals,
    building_eui,
    interval_coverage,
    key_unit_table,
)
from carbonpeak.i18n import loads, render


def _entity_year(rows: list[tuple[str, str, str, float, float, float, float]]) -> pd.DataFrame:
    """(entity, carrier, scope, quantity, tce equivalent, tce equal, tCO2) rows."""
    return pd.DataFrame(rows, columns=["entity_id", "carrier", "scope", "quantity",
                                       "tce_equivalent", "tce_equal", "tco2"]).assign(
        coverage=1.0)


def _entities(rows: list[tuple[str, str, float | None, str | None]]) -> pd.DataFrame:
    """(entity, kind, floor area m², parent) rows."""
    return pd.DataFrame({
        "entity_id": [r[0] for r in rows], "name": [r[0] for r in rows],
        "kind": [r[1] for r in rows], "building_type": "office", "street": "S1",
        "floor_area_m2": [r[2] for r in rows], "parent_id": [r[3] for r in rows]})


def test_kwh_per_kgce_is_29_3076_mj_over_3_6() -> None:
    # 29.3076 MJ / 3.6 MJ per kWh = 8.141 kWh
    assert pytest.approx(8.141) == KWH_PER_KGCE


def test_building_eui_is_kwh_per_square_metre() -> None:
    # B1: 1,000,000 kWh of electricity = 122.9 tce (equivalent value, 0.1229 kgce/kWh) and
    # 50 tce of gas; 10,000 m². Site energy = (122.9 + 50) · 1000 · 8.141 = 1,407,578.9 kWh,
    # EUI = 1,407,578.9 / 10,000 = 140.75789 kWh/m²; electricity 1,000,000 / 10,000 = 100 kWh/m²;
    # 172.9 tce · 1000 / 10,000 = 17.29 kgce/m²; tCO2 (500 + 100) / 10,000 = 0.06 t/m².
    # The PV generation row (scope "generation") is not counted.
    ey = _entity_year([
        ("B1", "electricity", "2", 1_000_000.0, 122.9, 300.0, 500.0),
        ("B1", "natural_gas", "1", 37_000.0, 50.0, 50.0, 100.0),
        ("B1", "pv", "generation", 20_000.0, 2.458, 6.0, 0.0),
        ("B2", "electricity", "2", 10.0, 1.0, 1.0, 1.0),
    ])
    ents = _entities([("B1", "building", 10_000.0, None), ("B2", "building", 0.0, None),
                      ("E1", "enterprise", 5_000.0, None), ("B3", "building", None, None)])
    eui = building_eui(ey, ents, factor_set="national@v1", year=2024).set_index("entity_id")
    # only buildings and public institutions with a floor area: B1 and B2 (area 0)
    assert sorted(eui.index) == ["B1", "B2"]
    b1 = eui.loc["B1"]
    assert b1["site_energy_kwh"] == pytest.approx(172.9 * 1000 * 29.3076 / 3.6)
    assert b1["eui_kwh_per_m2"] == pytest.approx(140.75789, abs=1e-5)
    assert b1["electricity_kwh_per_m2"] == pytest.approx(100.0)
    assert b1["eui_kgce_per_m2_equivalent"] == pytest.approx(17.29)
    # equal value: (300 + 50) · 1000 / 10,000 = 35 kgce/m²
    assert b1["eui_kgce_per_m2_equal"] == pytest.approx(35.0)
    assert b1["tco2_per_m2"] == pytest.approx(0.06)
    assert (b1["year"], b1["factor_set"]) == (2024, "national@v1")
    # an area of 0 gives no intensity, not a division by zero
    assert math.isnan(eui.loc["B2", "eui_kwh_per_m2"])


def _month(flags: list[str], expected: list[float], received: list[int],
           filled: list[int], coverage: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"flags": flags, "intervals_expected": expected,
                         "intervals_received": received, "intervals_filled": filled,
                         "coverage": coverage})


def test_interval_coverage_is_received_over_expected_at_most_one() -> None:
    # (2,880 + 2,976) expected, (2,800 + 2,976) received: 5,776 / 5,856 = 0.98634
    em = _month(["", ""], [2880.0, 2976.0], [2800, 2976], [10, 0], [1.0, 1.0])
    cov = interval_coverage(em)
    assert cov["interval_coverage"] == pytest.approx(0.986339, abs=1e-6)
    assert (cov["intervals_received"], cov["intervals_filled"]) == (5776, 10)
    # more received than expected (a meter reporting twice) is capped at 1
    assert interval_coverage(_month([""], [96.0], [100], [0], [1.0]))["interval_coverage"] == 1.0
    assert interval_coverage(_month([], [], [], [], []))["interval_coverage"] is None


def test_totals_add_scopes_one_and_two_and_say_the_metered_share() -> None:
    dy = pd.DataFrame({"scope": ["1", "2", "generation"], "quantity": [1.0, 2.0, 50_000.0],
                       "tce_equivalent": [100.0, 300.0, 6.0], "tce_equal": [100.0, 900.0, 15.0],
                       "tco2": [200.0, 1_500.0, 0.0]})
    em = _month(["", "missing", "", ""], [96.0] * 4, [96, 0, 96, 96], [0] * 4,
                [1.0, 0.0, 1.0, 0.5])
    ey = pd.DataFrame({"entity_id": ["A", "A", "B"]})
    totals, notes = account_totals(dy, em, ey, YearStatistics(gdp_10k_cny=None,
                                                              energy_tce=4_000.0), 2024)
    # 100 + 300 = 400 tce equivalent; 100 + 900 = 1,000 tce equal; 200 + 1,500 = 1,700 tCO2
    assert (totals["tce_equivalent"], totals["tce_equal"], totals["tco2"]) == (400.0, 1000.0,
                                                                               1700.0)
    assert (totals["tco2_scope1"], totals["tco2_scope2"]) == (200.0, 1500.0)
    assert totals["pv_generation_kwh"] == 50_000.0
    # coverage (1 + 0 + 1 + 0.5) / 4 = 0.625; one entity-month missing; entities A, B
    assert totals["coverage"] == 0.625
    assert (totals["missing_entity_months"], totals["entities"]) == (1, 2)
    # the metered share: 1,000 / 4,000 = 25 % of the statistics' energy
    assert totals["metered_share"] == 0.25
    assert [n.code for n in notes] == ["accounting.note.no_gdp", "accounting.note.metered_share",
                                       "accounting.note.missing_months"]
    assert notes[1].params == {"share": 0.25, "energy": 4000.0}


def test_totals_without_statistics_have_no_share() -> None:
    dy = pd.DataFrame({"scope": ["2"], "quantity": [1.0], "tce_equivalent": [1.0],
                       "tce_equal": [3.0], "tco2": [5.0]})
    em = _month([""], [96.0], [96], [0], [1.0])
    totals, notes = account_totals(dy, em, pd.DataFrame({"entity_id": ["A"]}),
                                   YearStatistics(gdp_10k_cny=1.0e5), 2024)
    assert totals["metered_share"] is None
    assert totals["gdp_10k_cny"] == 1.0e5
    assert notes == []


RULE = KeyUnitRule("energy_tce_equivalent", 10_000.0, "年综合能源消费量≥1万吨标准煤",
                   "≥ 10,000 tce", "令第15号", "verified")


def test_key_unit_threshold_is_met_at_exactly_the_bound() -> None:
    # A uses exactly 10,000 tce (≥ 10,000: a key unit); B 9,999.9 tce (not)
    ey = _entity_year([("A", "natural_gas", "1", 1.0, 10_000.0, 10_000.0, 1.0),
                       ("B", "natural_gas", "1", 1.0, 9_999.9, 9_999.9, 1.0)])
    ents = _entities([("A", "enterprise", None, None), ("B", "enterprise", None, None)])
    ku = key_unit_table(ey, ents, [RULE], 2024).set_index("entity_id")
    assert ku["is_key_unit"].to_dict() == {"A": True, "B": False}
    why = loads(ku.loc["A", "key_unit_rule"])
    assert why is not None
    assert render(why, "en") == ("2024: ≥ 10,000 tce "
                                 "(energy, equivalent value = 10,000 ≥ 10,000 tce)")
    assert ku.loc["B", "key_unit_rule"] is None


def test_key_units_are_judged_on_consolidated_figures_once() -> None:
    # enterprise E uses 4,000 tce itself and owns B1 (5,000) and B2 (1,500): consolidated
    # 4,000 + 5,000 + 1,500 = 10,500 ≥ 10,000 → E is a key unit; B1 (5,000) is not; a
    # building of 12,000 tce under E would meet the rule itself but answers through E.
    # Scope "generation" is left out of the figures.
    ey = _entity_year([("E", "natural_gas", "1", 1.0, 4_000.0, 4_000.0, 10.0),
                       ("B1", "electricity", "2", 40_000.0, 5_000.0, 12_000.0, 30.0),
                       ("B2", "electricity", "2", 10_000.0, 1_500.0, 3_000.0, 5.0),
                       ("B2", "pv", "generation", 9_999.0, 9_999.0, 9_999.0, 0.0),
                       ("B3", "natural_gas", "1", 1.0, 12_000.0, 12_000.0, 1.0)])
    ents = _entities([("E", "enterprise", None, None), ("B1", "building", 8_000.0, "E"),
                      ("B2", "building", 2_000.0, "E"), ("B3", "building", 1_000.0, "E")])
    ku = key_unit_table(ey, ents, [RULE], 2024).set_index("entity_id")
    # 4,000 + 5,000 + 1,500 + 12,000 = 22,500 tce
    assert ku.loc["E", "energy_tce_equivalent"] == 22_500.0
    # electricity 40,000 + 10,000 = 50,000 kWh; floor area 8,000 + 2,000 + 1,000 = 11,000 m²
    assert ku.loc["E", "electricity_kwh"] == 50_000.0
    assert ku.loc["E", "floor_area_m2"] == 11_000.0
    assert ku["is_key_unit"].to_dict() == {"E": True, "B1": False, "B2": False, "B3": False}
    assert ku["n_children"].to_dict() == {"E": 3, "B1": 0, "B2": 0, "B3": 0}
    assert set(ku["year"]) == {2024}
