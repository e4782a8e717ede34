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


#: account sets that apply to named years only (the ETS factor: the years its notice names)
_YEARS_NAMED = {"national_ets_2022": range(2023, 2026)}


@pytest.mark.parametrize("set_id", [s for s in shipped_factor_sets()
                                    if read_factor_set(s).kind == "account"])
def test_account_sets_cover_every_carrier_2020_to_2030(set_id):
    spec = read_factor_set(set_id)
    for year in _YEARS_NAMED.get(set_id, range(2020, 2031)):
        f = resolve_factors(spec.rows, year, carriers=list(CARRIERS), set_id=set_id)
        assert set(f) == set(CARRIERS)


def test_ets_factor_applies_only_to_the_years_its_notice_names():
    # 0.5703 tCO2/MWh, the 2022 national grid average the MEE notice on ETS reporting
    # 2023-2025 names: 2023..2025, not 2022 or 2026 (this test asserted every year before)
    rows = read_factor_set("national_ets_2022").rows
    for year in (2023, 2024, 2025):
        elec = resolve_factors(rows, year, carriers=["electricity"])["electricity"]
        assert elec.tco2 == pytest.approx(0.0005703)
    for year in (2022, 2026):
        with pytest.raises(FactorError, match=f"electricity: no tco2 factor applies to {year}"):
            resolve_factors(rows, year, carriers=["electricity"], set_id="national_ets_2022")


def test_factor_statuses_follow_the_legend():
    # heat equal value set equal to the equivalent value: a platform assumption → unverified
    gbt = {(r.carrier, r.quantity): r for r in read_factor_set("gbt2589_2020").rows}
    assert gbt[("heat", "kgce_equal")].status == "unverified"
    assert "platform assumption" in gbt[("heat", "kgce_equal")].source
    assert gbt[("heat", "kgce_equivalent")].status == "secondary"
    # heat 0.11 tCO2/GJ, read only in a secondary copy of the NDRC guideline → secondary
    for set_id in ("national_average", "east_china_grid", "south_china_grid",
                   "guangdong_provincial", "shanghai_provincial", "national_ets_2022"):
        (heat,) = [r for r in read_factor_set(set_id).rows
                   if (r.carrier, r.quantity) == ("heat", "tco2")]
        assert (heat.value, heat.status) == (0.11, "secondary")
    # the Shanghai notice's values (0.06 now, 0.11 before 2022) were read: verified
    (sh,) = [r for r in read_factor_set("shanghai_local").rows
             if (r.carrier, r.quantity) == ("heat", "tco2")]
    assert (sh.value, sh.status) == (0.06, "verified")


def test_db31_783_quota_rows_use_the_coefficient_their_source_states():
    from carbonpeak.intake.quota_files import read_quota_file
    from carbonpeak.reference import shipped_quota_tables

    (path,) = [p for p in shipped_quota_tables() if p.stem == "db31-shanghai"]
    rows = read_quota_file(path).rows
    by_source = {}
    for r in rows:
        by_source.setdefault(r.source.split(" ")[0] + " " + r.source.split(" ")[1], set()).add(
            r.electricity_kgce_per_kwh)
    # DB31/T 1341 the equivalent value; DB31/T 552 and 783 the equal values they state
    assert by_source["DB31/T 1341-2021"] == {0.1229}
    assert by_source["DB31/T 552-2017"] == {0.28232}
    assert by_source["DB31/T 783"] == {0.28078}


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
