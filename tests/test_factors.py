"""Factor sets: resolution per year, per canonical unit, and the shipped library."""

from __future__ import annotations

import pytest

from carbonpeak.domain.factors import FactorRow, flatten_factor_rows, resolve_factors
from carbonpeak.domain.units import CARRIERS
from carbonpeak.errors import FactorError
from carbonpeak.reference import read_factor_set, shipped_factor_sets


def test_per_canonical_unit_by_hand():
    # 4.2 tCO2/10^4 kWh = 0.42 tCO2/MWh = 0.00042 tCO2/kWh
    assert FactorRow("electricity", "tco2", 0.42, "MWh", "s", "verified") \
        .per_canonical_unit() == pytest.approx(0.00042)
    # 21.6219 tCO2 per 10^4 Nm3 = 0.00216219 tCO2/m3
    assert FactorRow("natural_gas", "tco2", 21.6219, "10^4 m3", "s", "secondary") \
        .per_canonical_unit() == pytest.approx(0.00216219)
    # 1.4571 kgce/kg = 1457.1 kgce/t (diesel is accounted in t)
    assert FactorRow("diesel", "kgce_equivalent", 1.4571, "kg", "s", "secondary") \
        .per_canonical_unit() == pytest.approx(1457.1)
    # 0.03412 kgce/MJ = 34.12 kgce/GJ
    assert FactorRow("heat", "kgce_equivalent", 0.03412, "MJ", "s", "secondary") \
        .per_canonical_unit() == pytest.approx(34.12)


@pytest.mark.parametrize(("year", "expected"), [(2019, 0.4715), (2021, 0.4715), (2022, 0.4403),
                                                (2023, 0.4419), (2024, 0.4419), (2030, 0.4419)])
def test_guangdong_factor_by_accounting_year(year, expected):
    spec = read_factor_set("guangdong_provincial")
    f = resolve_factors(spec.rows, year, carriers=["electricity"])
    assert f["electricity"].tco2 == pytest.approx(expected / 1000)
    assert f["electricity"].kgce_equivalent == pytest.approx(0.1229)


def test_shanghai_local_values_and_sources():
    spec = read_factor_set("shanghai_local")
    f = resolve_factors(spec.rows, 2024)
    assert f["electricity"].tco2 == pytest.approx(0.00042)
    assert f["heat"].tco2 == pytest.approx(0.06)
    assert f["natural_gas"].tco2 == pytest.approx(0.00216219)  # from cn_fuel_ef_set_a
    elec = {r.quantity: r for r in f["electricity"].rows}
    assert elec["tco2"].status == "verified"
    assert "沪环气〔2022〕34号" in elec["tco2"].source
    assert elec["kgce_equal"].status == "unverified"
    assert elec["tco2"].origin_set == "shanghai_local"
    assert elec["kgce_equivalent"].origin_set == "gbt2589_2020"


def test_fuel_sets_differ_and_a_is_default():
    a = resolve_factors(read_factor_set("cn_fuel_ef_set_a").rows, 2024, carriers=[])
    assert a == {}
    rows_a = {r.carrier: r.value for r in read_factor_set("cn_fuel_ef_set_a").rows}
    rows_b = {r.carrier: r.value for r in read_factor_set("cn_fuel_ef_set_b").rows}
    assert rows_a["lpg"] == 3.1013
    assert rows_b["lpg"] == 2.9538
    assert rows_a["natural_gas"] == rows_b["natural_gas"] == 21.6219
    assert "cn_fuel_ef_set_a" in read_factor_set("shanghai_local").includes


@pytest.mark.parametrize("set_id", [s for s in shipped_factor_sets()
                                    if read_factor_set(s).kind == "account"])
def test_account_sets_cover_every_carrier_2020_to_2030(set_id):
    spec = read_factor_set(set_id)
    for year in range(2020, 2031):
        f = resolve_factors(spec.rows, year, carriers=list(CARRIERS), set_id=set_id)
        assert set(f) == set(CARRIERS)


def test_every_shipped_row_has_a_source_and_status():
    for set_id in shipped_factor_sets():
        for r in read_factor_set(set_id).rows:
            assert r.source.strip()
            assert r.status in {"verified", "secondary", "unverified"}


def test_missing_and_ambiguous_rows_fail_loudly():
    rows = [FactorRow("electricity", "tco2", 0.5, "MWh", "s", "verified", year_to=2022),
            FactorRow("electricity", "tco2", 0.6, "MWh", "s", "verified", year_from=2022)]
    with pytest.raises(FactorError, match="2 rows apply to 2022"):
        resolve_factors(rows, 2022, carriers=["electricity"])
    with pytest.raises(FactorError, match="no kgce_equivalent, kgce_equal factor applies"):
        resolve_factors(rows, 2021, carriers=["electricity"])


def test_own_rows_override_includes_per_carrier_and_quantity():
    base = [FactorRow("electricity", "tco2", 0.5, "MWh", "a", "verified", year_to=2021),
            FactorRow("electricity", "tco2", 0.6, "MWh", "a", "verified", year_from=2022),
            FactorRow("heat", "tco2", 0.11, "GJ", "a", "verified")]
    own = [FactorRow("electricity", "tco2", 0.42, "MWh", "b", "verified")]
    flat = flatten_factor_rows(own, [base])
    assert sorted((r.carrier, r.value) for r in flat) == [("electricity", 0.42), ("heat", 0.11)]
