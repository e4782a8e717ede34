"""The project gate (节能审查) and the certificate ledger: hand-worked rules, then the services."""

from __future__ import annotations

import pytest

from carbonpeak.domain.factors import CarrierFactors
from carbonpeak.domain.projects import (
    ROUTING,
    DeductionRule,
    EnergyLine,
    budget_impact,
    counted,
    deductions,
    over_reviewed_use,
    project_energy,
    route,
    routing_table,
    scope2_dual,
)

GZ = ROUTING["Guangdong"]


# -- routing: every boundary of Guangzhou's table (粤能规〔2023〕3号), bounds inclusive ---------
@pytest.mark.parametrize(("tce", "kwh", "level"), [
    # 6.0 GWh of electricity only = 6,000,000 kWh × 0.1229 kgce/kWh = 737.4 tce (equivalent):
    # under 1,000 tce but ≥ 5 GWh, so the district reviews it
    (6_000_000 * 0.1229 / 1000, 6_000_000, "district"),
    # exactly 5 GWh (614.5 tce) is ≥ 5 GWh: district; one kWh less and no other energy: none
    (5_000_000 * 0.1229 / 1000, 5_000_000, "district"),
    (4_999_999 * 0.1229 / 1000, 4_999_999, "none"),
    (999.99, 0, "none"),            # gas only, under 1,000 tce and no electricity
    (1_000.0, 0, "district"),       # 1,000 tce is district (及以上)
    (4_999.99, 0, "district"),
    (5_000.0, 0, "city"),           # 5,000 tce is the city
    (9_999.99, 0, "city"),
    (10_000.0, 0, "province"),      # 10,000 tce is the province
    (9_999.99, 80_000_000, "city"),  # 80 GWh alone does not lift it above the city
])
def test_guangzhou_routing_at_each_boundary(tce: float, kwh: float, level: str) -> None:
    assert route(tce, kwh, GZ).level == level
    assert route(tce, kwh, GZ).status == "secondary"


def test_first_example_is_737_4_tce() -> None:
    assert pytest.approx(737.4) == 6_000_000 * 0.1229 / 1000


def test_national_and_shanghai_rules() -> None:
    nat = routing_table("Hainan")  # no table of its own: the national rule
    assert nat.region == "national"
    assert route(10_000.0, 0, nat).level == "province"
    assert route(9_999.0, 0, nat).level == "district"
    assert route(9_999.0, 0, nat).status == "unverified"  # the province sets the lower levels
    sh = ROUTING["Shanghai"]
    assert route(2_000.0, 0, sh).level == "district"
    assert route(2_000.0, 0, sh).status == "unverified"
    assert route(12_000.0, 0, sh).level == "province"


def test_a_rebuild_counts_only_its_increment() -> None:
    # a same-site rebuild from 4,000 to 12,000 tce counts 8,000: the city, not the province
    assert counted("rebuild", 12_000.0, 4_000.0) == 8_000.0
    assert counted("new", 12_000.0, 4_000.0) == 12_000.0
    assert counted("rebuild", 3_000.0, 4_000.0) == 0.0
    assert route(counted("rebuild", 12_000.0, 4_000.0), 0, GZ).level == "city"


def _factors() -> dict[str, CarrierFactors]:
    # per canonical unit: electricity kgce/kWh (0.1229 equivalent, 0.3007 equal) and
    # tCO2/kWh (0.4419 t/MWh); natural gas 1.2143 kgce/m³, 0.0021622 tCO2/m³
    return {"electricity": CarrierFactors("electricity", 2025, 0.1229, 0.3007, 0.0004419, ()),
            "natural_gas": CarrierFactors("natural_gas", 2025, 1.2143, 1.2143, 0.0021622, ())}


def test_equivalent_and_equal_value() -> None:
    pe = project_energy([EnergyLine("electricity", 6_000_000.0),
                         EnergyLine("natural_gas", 100_000.0, feedstock=True)], _factors())
    # equivalent: 6e6 × 0.1229/1000 = 737.4; gas 1e5 × 1.2143/1000 = 121.43; Σ 858.83
    assert pe.tce_equivalent == pytest.approx(858.83)
    # equal: 6e6 × 0.3007/1000 = 1,804.2; + 121.43 = 1,925.63
    assert pe.tce_equal == pytest.approx(1_925.63)
    # CO2: 6e6 × 0.0004419 = 2,651.4; 1e5 × 0.0021622 = 216.22; Σ 2,867.62
    assert pe.tco2 == pytest.approx(2_867.62)
    assert pe.feedstock_tce_equal == pytest.approx(121.43)
    assert route(pe.counted_tce_equivalent, pe.counted_electricity_kwh, GZ).level == "district"
    rebuild = project_energy([EnergyLine("electricity", 60_000_000.0, existing=20_000_000.0)],
                             _factors(), kind="rebuild")
    # counted: (6e7 − 2e7) × 0.1229/1000 = 4,916 tce → district, while the whole is 7,374
    assert rebuild.counted_tce_equivalent == pytest.approx(4_916.0)
    assert rebuild.tce_equivalent == pytest.approx(7_374.0)


def test_budget_share_and_headroom() -> None:
    # budget 100,000 tce, base use 90,000 → 10,000 remain; the project's 1,925.63 is 19.2563 %
    imp = budget_impact(1_925.63, 100_000.0, 90_000.0, [1_925.63, 5_000.0, 4_000.0])
    assert imp.remaining == 10_000.0
    assert imp.share == pytest.approx(0.192563)
    # pipeline 10,925.63 > 10,000: headroom −925.63, the warning's condition
    assert imp.pipeline == pytest.approx(10_925.63)
    assert imp.headroom_after_pipeline == pytest.approx(-925.63)
    assert imp.pipeline_exceeds_headroom
    assert not budget_impact(1.0, 100.0, 50.0, [40.0]).pipeline_exceeds_headroom
    assert budget_impact(1.0, 100.0, 100.0, []).share is None  # nothing remains


def test_over_use_flag() -> None:
    # reviewed 2,000 tce; +10 % is 2,200: exactly 2,200 is not "more than", 2,200.1 is
    assert not over_reviewed_use(2_200.0, 2_000.0)
    assert over_reviewed_use(2_200.1, 2_000.0)
    assert over_reviewed_use(2_100.0, 2_000.0, margin=0.04)  # configurable: 2,080 at 4 %


def test_market_and_location_based_scope2() -> None:
    # 10,000 MWh bought, 3,000 certificate-backed; grid (Guangdong 2023) 0.4419 t/MWh,
    # residual (national excl. market-traded non-fossil, 2023) 0.6096 t/MWh
    s2 = scope2_dual(10_000.0, 3_000.0, 0.4419, 0.6096)
    assert s2.location_tco2 == pytest.approx(4_419.0)   # 10,000 × 0.4419
    assert s2.market_tco2 == pytest.approx(4_267.2)     # 7,000 × 0.6096
    # more certificates than purchases: at most the purchase is backed
    assert scope2_dual(100.0, 300.0, 0.5, 0.6).market_tco2 == 0.0


def test_deductions_with_caps() -> None:
    rules = [DeductionRule("certificates", True, "s", "secondary", cap_share=0.5),
             DeductionRule("new_renewables", True, "s", "unverified"),
             DeductionRule("feedstock", False, "s", "unverified")]
    # 3,000 MWh of certificates × 0.3007 kgce/kWh = 902.1 tce, capped at 50 % × 1,000 = 500;
    # 200 tce of new renewables; feedstock's rule is off: 10,000 − 500 − 200 = 9,300
    d = deductions(10_000.0, {"certificates": 3_000 * 0.3007, "new_renewables": 200.0,
                              "feedstock": 300.0}, rules, {"certificates": 1_000.0})
    assert [(i.code, round(i.allowed, 6), i.capped) for i in d.items] == [
        ("certificates", 500.0, True), ("new_renewables", 200.0, False),
        ("feedstock", 0.0, False)]
    assert d.total_after == pytest.approx(9_300.0)
    # without a cap base the certificates are not capped: 10,000 − 902.1 = 9,097.9
    assert deductions(10_000.0, {"certificates": 902.1}, rules[:1], {}).total_after == \
        pytest.approx(9_097.9)
