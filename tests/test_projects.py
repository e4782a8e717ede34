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


def test_two_high_list() -> None:
    from carbonpeak.domain.projects import two_high
    hit = two_high("C3011")  # cement: the Guangdong entry, more specific than C30
    assert hit is not None
    assert (hit.prefix, hit.status) == ("C3011", "unverified")
    assert two_high("c2614") is not None
    assert two_high("C2614").prefix == "C26"
    assert two_high("I6510") is None
    assert two_high("D4420") is None


# -- the register, the pipeline and the ledger on a workspace (Tianhe: Guangdong's table) ----
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import select  # noqa: E402

from carbonpeak.config import Settings  # noqa: E402
from carbonpeak.errors import InputValidationError  # noqa: E402
from carbonpeak.intake.bootstrap import init_workspace  # noqa: E402
from carbonpeak.intake.imports import import_file  # noqa: E402
from carbonpeak.services.accounting.certificates import (  # noqa: E402
    energy_deductions,
    import_certificates,
    list_certificates,
)
from carbonpeak.services.plan.warnings import set_budget  # noqa: E402
from carbonpeak.services.projects.register import (  # noqa: E402
    _base,
    import_project_energy,
    import_projects,
    intensity_row,
    pipeline,
    project_rows,
)
from carbonpeak.storage.registry.models import AuditLog, District, EarlyWarning  # noqa: E402
from carbonpeak.storage.workspace import Workspace  # noqa: E402

PROJECTS = ("project_code,name,street,developer,sector_code,kind,stage,value_added_10k_cny,"
            "first_full_year,reviewed_tce_equal,entity_id\n") + """\
P1,天河数据中心,五山街道,DEV-A,I6531,新建,施工,50000,2026,,
P2,水泥粉磨站扩建,员村街道,DEV-B,C3011,扩建,节能审查,8000,2026,,
P3,厂房改建,五山街道,DEV-A,C3911,改建,立项,20000,2026,,
P4,化工原料项目,,DEV-B,C2614,新建,投运,30000,2024,,T1
"""
ENERGY = """project_code,carrier,annual_quantity,unit,existing_quantity,feedstock
P1,电力,6000,MWh,,
P2,electricity,2000,万kWh,,
P2,天然气,300,万m3,,
P3,electricity,90000000,kWh,10000000,
P4,natural_gas,8000000,m3,,是
"""


@pytest.fixture(scope="module")
def tianhe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    tmp = tmp_path_factory.mktemp("projects")
    ws, _ = init_workspace(Settings(home=tmp / "home", database_url=f"sqlite:///{tmp}/r.db"),
                           profiles=["tianhe", "huangpu"], actor="test", load_targets=False)
    files = {"t.csv": "entity_id,name,kind,street,building_type,floor_area_m2\n"
                      "T1,天河化工,enterprise,五山街道,,\nT2,天河大厦,building,五山街道,office,"
                      "20000\n",
             "h.csv": "entity_id,name,kind,street,building_type,floor_area_m2\n"
                      "H1,黄浦大厦,enterprise,,,\n",
             "s.csv": "year,gdp_10k_cny,energy_tce,co2_t\n2024,50000000,100000,250000\n",
             "p.csv": PROJECTS, "e.csv": ENERGY}
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    import_file(ws, "entities", tmp / "t.csv", district="tianhe")
    import_file(ws, "entities", tmp / "h.csv", district="huangpu")
    import_file(ws, "statistics", tmp / "s.csv", district="tianhe")
    set_budget(ws, year=2026, metric="energy_tce", budget=120_000.0, district="tianhe")
    set_budget(ws, year=2026, metric="tco2", budget=270_000.0, district="tianhe")
    import_projects(ws, tmp / "p.csv", district="tianhe")
    import_project_energy(ws, tmp / "e.csv", district="tianhe")
    ws.tmp = tmp  # type: ignore[attr-defined]
    yield ws
    ws.close()


def test_register_figures_by_hand(tianhe: Workspace) -> None:
    rows = {r["project_code"]: r for r in project_rows(tianhe, district="tianhe")}
    p1 = rows["P1"]
    # 6,000 MWh: 737.4 tce equivalent → district; equal 6e6 × 0.3007/1000 = 1,804.2 (the 2026
    # row of GB/T 2589's equal value: 0.3007, carried forward); CO2 6,000 × 0.4419 = 2,651.4
    assert (p1["review_level"], p1["two_high"]) == ("district", False)
    assert p1["tce_equivalent"] == pytest.approx(737.4)
    assert p1["tce_equal"] == pytest.approx(1_804.2)
    assert p1["tco2"] == pytest.approx(2_651.4)
    # remaining 2026: 120,000 − 100,000 (2024 statistics, held flat) = 20,000 tce;
    # 1,804.2 / 20,000 = 9.021 %; CO2: 2,651.4 / (270,000 − 250,000) = 13.257 %
    assert p1["budget_share"] == pytest.approx(0.09021)
    assert p1["co2_budget_share"] == pytest.approx(0.13257)
    # P2: 2,000 万kWh = 20 GWh → 2,458 tce; gas 300 万m³ × 1.33 kgce/m³ = 3,990; Σ 6,448 → city
    assert rows["P2"]["tce_equivalent"] == pytest.approx(6_448.0)
    assert rows["P2"]["review_level"] == "city"
    assert rows["P2"]["two_high"]
    assert rows["P2"]["two_high_sector"] == "C3011"
    # P3, a rebuild: (90 − 10) GWh × 0.1229 = 9,832 tce counted → city (the whole is 11,061)
    assert rows["P3"]["counted_tce_equivalent"] == pytest.approx(9_832.0)
    assert rows["P3"]["review_level"] == "city"
    # P4: 8e6 m³ × 1.33 = 10,640 tce → province; C2614 is on the 两高 list (化工)
    assert rows["P4"]["review_level"] == "province"
    assert rows["P4"]["two_high"]


def test_reimport_changes_nothing_and_bad_rows_are_named(tianhe: Workspace) -> None:
    tmp: Path = tianhe.tmp  # type: ignore[attr-defined]
    with tianhe.registry.session() as s:
        before = len(list(s.scalars(select(AuditLog.id))))
    assert import_projects(tianhe, tmp / "p.csv", district="tianhe").written == 0
    assert import_project_energy(tianhe, tmp / "e.csv", district="tianhe").written == 0
    with tianhe.registry.session() as s:
        assert len(list(s.scalars(select(AuditLog.id)))) == before
    (tmp / "bad.csv").write_text(
        "project_code,name,street,developer,sector_code,kind,stage\n"
        "Q1,x,无此街道,D,C30,新建,施工\nQ2,y,,D,9999,拆除,施工\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_projects(tianhe, tmp / "bad.csv", district="tianhe")
    got = {(e.row, e.column, e.code) for e in exc.value.errors}
    assert got == {(3, "sector_code", "intake.project.bad_sector"),
                   (3, "kind", "intake.project.bad_kind")}  # the file's own checks first
    (tmp / "bad2.csv").write_text("project_code,carrier,annual_quantity,unit\n"
                                  "P1,electricity,5,m3\nZZ,electricity,5,kWh\n",
                                  encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_project_energy(tianhe, tmp / "bad2.csv", district="tianhe")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "unit")]
    (tmp / "bad3.csv").write_text("project_code,carrier,annual_quantity,unit\n"
                                  "ZZ,electricity,5,kWh\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_project_energy(tianhe, tmp / "bad3.csv", district="tianhe")
    assert [(e.row, e.column, e.code) for e in exc.value.errors] == [
        (2, "project_code", "intake.project.unknown_project")]


def test_pipeline_headroom_and_warning(tianhe: Workspace) -> None:
    tmp: Path = tianhe.tmp  # type: ignore[attr-defined]
    pl = pipeline(tianhe, district="tianhe")
    # approved, not operating: P1 (construction) 1,804.2 + P2 (energy review) 6,014 + 3,990
    # = 11,808.2; headroom 20,000 − 11,808.2 = 8,191.8: no warning
    assert pl.year == 2026
    assert [p["project_code"] for p in pl.projects] == ["P1", "P2"]
    assert pl.pipeline_tce == pytest.approx(11_808.2)
    assert pl.headroom == pytest.approx(8_191.8)
    assert not pl.exceeds
    assert pl.warning is None
    (tmp / "p5.csv").write_text("project_code,name,developer,sector_code,kind,stage,"
                                "reviewed_tce_equal,first_full_year\n"
                                "P5,新园区,DEV-C,K7010,新建,施工,9000,2026\n", encoding="utf-8")
    import_projects(tianhe, tmp / "p5.csv", district="tianhe")
    pl = pipeline(tianhe, district="tianhe")
    # + P5's reviewed 9,000 = 20,808.2 > 20,000: headroom −808.2, a red warning
    assert pl.headroom == pytest.approx(-808.2)
    assert pl.exceeds
    assert pl.warning == "red"
    with tianhe.registry.session() as s:
        w = s.scalars(select(EarlyWarning).where(
            EarlyWarning.scope_id == "projects_pipeline")).one()
        assert (w.level, w.year, w.budget) == ("red", 2026, 120_000.0)
        assert w.projected == pytest.approx(120_808.2)
        assert "20808.2" in w.reason_en


def test_double_claim_refused_naming_the_first(tianhe: Workspace) -> None:
    tmp: Path = tianhe.tmp  # type: ignore[attr-defined]
    (tmp / "c1.csv").write_text("serial,kind,vintage,mwh,holder,status\n"
                                "GEC-2024-001,绿证,2024,3000,T1,持有\n", encoding="utf-8")
    assert import_certificates(tianhe, tmp / "c1.csv", district="tianhe").added == 1
    assert import_certificates(tianhe, tmp / "c1.csv", district="tianhe").written == 0
    # the same serial claimed by another holder of the district, then in another district
    (tmp / "c2.csv").write_text("serial,kind,vintage,mwh,holder\n"
                                "GEC-2024-001,gec,2024,3000,T2\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_certificates(tianhe, tmp / "c2.csv", district="tianhe")
    (e,) = exc.value.errors
    assert (e.row, e.column, e.code) == (2, "serial", "intake.certificate.double_claim")
    assert e.reason.params["holder"] == "T1"
    assert e.reason.params["source"] == "c1.csv line 2"
    (tmp / "c3.csv").write_text("serial,vintage,mwh,holder\nGEC-2024-001,2024,3000,H1\n",
                                encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_certificates(tianhe, tmp / "c3.csv", district="huangpu")
    assert exc.value.errors[0].reason.params["district"] == "tianhe"
    assert [c["serial"] for c in list_certificates(tianhe, district="tianhe")] == [
        "GEC-2024-001"]


def test_dual_control_deductions(tianhe: Workspace) -> None:
    d = tianhe.district("tianhe")
    if not list_certificates(tianhe, district="tianhe"):
        test_double_claim_refused_naming_the_first(tianhe)
    out = energy_deductions(tianhe, d, 2024, 100_000.0)
    items = {i["code"]: i for i in out.items}
    # certificates: 3,000 MWh × 0.3007 kgce/kWh = 902.1 tce, not capped (no required savings)
    assert items["certificates"]["allowed"] == pytest.approx(902.1)
    # feedstock: P4 (operating since 2024) 8e6 m³ of gas as feedstock × 1.33 = 10,640 tce
    assert items["feedstock"]["allowed"] == pytest.approx(10_640.0)
    assert items["new_renewables"]["allowed"] == 0.0  # no account: no on-site generation
    assert out.total_after_tce == pytest.approx(100_000 - 902.1 - 10_640)
    assert out.to_dict()["notes"]
    with tianhe.registry.session() as s:
        dist = s.get(District, "tianhe")
        assert dist is not None
        dist.profile = {**dist.profile, "required_savings_tce": 1_000.0}
    d = tianhe.district("tianhe")
    out = energy_deductions(tianhe, d, 2024, 100_000.0)
    # capped at 50 % × 1,000 = 500
    assert {i["code"]: i["allowed"] for i in out.items}["certificates"] == pytest.approx(500.0)
    assert out.total_after_tce == pytest.approx(100_000 - 500 - 10_640)


def test_intensity_effect_hand_worked() -> None:
    from carbonpeak.domain.projects import IntensityInputs, intensity_effect, intensity_path
    # district 100,000 tce / 2,000,000 ×10^4 CNY = 0.05 tce/10^4 CNY; a project of 5,000 tce
    # and 50,000 ×10^4 CNY: 105,000 / 2,050,000 = 0.0512195…; 0.0512195 / 0.05 − 1 = +2.44 %
    # path: 0.05 in 2020 down 14 % by 2025 → 0.043 in 2025, geometric; 2026 is after the
    # target year: the target itself, 0.043. 0.05 / 0.043 − 1 = +16.28 %;
    # 0.0512195 / 0.043 − 1 = +19.11 %
    path = intensity_path(baseline=0.05, baseline_year=2020, target_year=2025, year=2026,
                          reduction_pct=14.0)
    assert path == pytest.approx(0.043)
    r = intensity_effect(IntensityInputs(2026, 100_000.0, 2_000_000.0, 5_000.0, 50_000.0,
                                         path))
    assert r.without == pytest.approx(0.05)
    assert r.with_project == pytest.approx(105_000 / 2_050_000)
    assert round(r.with_project, 6) == 0.05122
    assert r.change_pct == pytest.approx(2.439, abs=1e-3)
    assert r.without_vs_path_pct == pytest.approx(16.279, abs=1e-3)
    assert r.with_vs_path_pct == pytest.approx(19.115, abs=1e-3)
    # mid-path: 2023 is 3 of 5 years: 0.05 × 0.86^(3/5) = 0.05 × 0.913496 = 0.0456748
    assert intensity_path(baseline=0.05, baseline_year=2020, target_year=2025, year=2023,
                          reduction_pct=14.0) == pytest.approx(0.05 * 0.86 ** 0.6)
    with pytest.raises(ValueError, match="GDP"):
        intensity_effect(IntensityInputs(2026, 1.0, 0.0, 1.0, 0.0))


def test_project_intensity_on_statistics_only(tianhe: Workspace) -> None:
    from carbonpeak.storage.registry.models import Target
    with tianhe.registry.session() as s:
        s.add(Target(district_id="tianhe", code="TEST-EPG", scope_type="district",
                     scope_id="tianhe", indicator_zh="单位GDP能耗下降率",
                     kind="reduction_vs_baseline",
                     metric="energy_per_gdp", baseline_year=2020, baseline_value=0.0025,
                     target_year=2025, target_value=15.5, unit="%", comparator=">="))
    try:
        rows = {r["project_code"]: r for r in project_rows(tianhe, district="tianhe")}
    finally:
        with tianhe.registry.session() as s:
            for t in s.scalars(select(Target).where(Target.code == "TEST-EPG")):
                s.delete(t)
    p4 = rows["P4"]["intensity"]
    # P4's first full year 2024 has statistics: 100,000 tce / 50,000,000 ×10^4 CNY = 0.002;
    # with P4 (8e6 m³ gas × 1.33 kgce/m³ = 10,640 tce; value added 30,000):
    # 110,640 / 50,030,000 = 0.00221147…, +10.57 %
    assert (p4["year"], p4["basis"]) == (2024, "statistics")
    assert p4["without"] == pytest.approx(0.002)
    assert p4["with_project"] == pytest.approx(110_640 / 50_030_000)
    assert p4["change_pct"] == pytest.approx(10.574, abs=1e-3)
    # path 2024: 0.0025 × (1 − 0.155)^(4/5) = 0.0025 × 0.873947 = 0.00218487
    assert p4["target_code"] == "TEST-EPG"
    assert p4["path_value"] == pytest.approx(0.0025 * 0.845 ** 0.8)
    assert p4["with_vs_path_pct"] == pytest.approx(
        100 * (110_640 / 50_030_000 / (0.0025 * 0.845 ** 0.8) - 1))
    assert p4["statistics_year"] == 2024
    # P1's first full year 2026 is not published yet: the latest statistics (2024) are the
    # base, said in a note, never the account basis. P1: 6,000 MWh × 0.3007 kgce/kWh (equal
    # value) = 1,804.2 tce, value added 50,000: 101,804.2 / 50,050,000 = 0.00203405…, +1.70 %
    p1 = rows["P1"]["intensity"]
    assert (p1["year"], p1["statistics_year"], p1["basis"]) == (2026, 2024, "statistics")
    assert p1["without"] == pytest.approx(0.002)
    assert p1["with_project"] == pytest.approx(101_804.2 / 50_050_000)
    assert p1["change_pct"] == pytest.approx(100 * (101_804.2 / 50_050_000 / 0.002 - 1))
    assert p1["change_pct"] == pytest.approx(1.7025, abs=1e-4)
    assert p1["notes"] == [{"code": "projects.intensity.latest_statistics",
                            "params": {"year": 2026, "statistics_year": 2024}}]
    assert p1["path_value"] == pytest.approx(0.0025 * 0.845)  # after 2025: the target
    # a first full year before any statistics: said, not computed on the account basis
    p0 = intensity_row({"first_full_year": 2019, "tce_equal": 1.0,
                        "value_added_10k_cny": 1.0}, _base(tianhe, tianhe.district("tianhe")))
    assert p0["without"] is None
    assert [n["code"] for n in p0["notes"]][-1] == "projects.intensity.no_statistics"


def test_white_paper_intensity_lines(tianhe: Workspace) -> None:
    from carbonpeak.publish.whitepaper.projects import _intensity_lines
    rows = {r["project_code"]: r for r in project_rows(tianhe, district="tianhe")}
    zh, en = _intensity_lines([rows["P4"], rows["P1"]])
    # P4 (2024): 0.002000 → 110,640 / 50,030,000 = 0.002211 (+10.57 %), with its basis label
    assert en[0].startswith("P4: energy per unit GDP in 2024 0.002000 → 0.002211 (+10.57 %)")
    assert "statistics basis" in en[0]
    assert "统计口径" in zh[0]
    # P1 (2026): computed on the 2024 statistics, and the line says so
    assert en[1].startswith("P1: energy per unit GDP in 2026 0.002000 → 0.002034 (+1.70 %)")
    assert en[1].endswith("(2026's statistics are not published yet: the district's energy "
                          "and GDP of 2024 are the base (statistics basis))")
    assert "以2024年区统计能耗和GDP为基数" in zh[1]


def test_cli_show_and_impact_give_the_intensity_effect(
        tianhe: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from carbonpeak.cli import app
    tmp: Path = tianhe.tmp  # type: ignore[attr-defined]
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp / "home"))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", f"sqlite:///{tmp}/r.db")
    runner = CliRunner()
    r = runner.invoke(app, ["projects", "show", "P4", "--district", "tianhe", "--json"])
    assert r.exit_code == 0, r.output
    it = json.loads(r.output)["intensity"]
    # 110,640 / 50,030,000 = 0.00221147 against 0.002: +10.57 %
    assert round(it["change_pct"], 2) == 10.57
    r = runner.invoke(app, ["--lang", "en", "projects", "show", "P1", "--district", "tianhe"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert ("Energy per unit GDP (2026): without the project 0.002000, with it 0.002034 "
            "(+1.70 %)") in out
    assert "2026's statistics are not published yet" in out
    r = runner.invoke(app, ["projects", "impact", "--district", "tianhe", "--json"])
    assert r.exit_code == 0, r.output
    items = {p["project_code"]: p for p in json.loads(r.output)["projects"]}
    assert items["P2"]["intensity"]["year"] == 2026
    # 2026 not published yet: on the 2024 statistics (100,000 / 50,000,000)
    assert items["P2"]["intensity"]["statistics_year"] == 2024
    assert items["P2"]["intensity"]["without"] == pytest.approx(0.002)


def test_certificate_overlap_hand_worked() -> None:
    from carbonpeak.domain.projects import certificate_overlap
    # 1,000 MWh of the district's own PV deducted as new renewables; 300 MWh of certificates
    # from that same PV and 200 MWh from outside: the 300 are left out, 200 counted
    o = certificate_overlap(200.0, 300.0, 1_000.0, True)
    assert (o.excluded_mwh, o.counted_mwh) == (300.0, 200.0)
    # in-district certificates beyond the generation counted (1,200 > 1,000): only 1,000 out,
    # 200 + 1,200 − 1,000 = 400 counted
    o = certificate_overlap(200.0, 1_200.0, 1_000.0, True)
    assert (o.excluded_mwh, o.counted_mwh) == (1_000.0, 400.0)
    # new renewables not deducted (rule switched off): nothing left out, 200 + 300 = 500
    assert certificate_overlap(200.0, 300.0, 1_000.0, False).counted_mwh == 500.0


def test_own_renewables_certificates_not_deducted_twice(
        tianhe: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from carbonpeak.services.accounting import certificates as certs_mod
    tmp: Path = tianhe.tmp  # type: ignore[attr-defined]
    # a yes without the plant named, and a flag that is neither yes nor no: refused by name
    (tmp / "cbad.csv").write_text(
        "serial,vintage,mwh,holder,claim_year,plant_id,plant_in_district\n"
        "GEC-2025-X1,2025,10,T1,2025,,是\nGEC-2025-X2,2025,10,T1,2025,PV-T1,也许\n",
        encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_certificates(tianhe, tmp / "cbad.csv", district="tianhe")
    assert [(e.row, e.column) for e in exc.value.errors] == [
        (2, "plant_id"), (3, "plant_in_district")]
    (tmp / "c25.csv").write_text(
        "serial,vintage,mwh,holder,claim_year,发电项目,电站在本区\n"
        "GEC-2025-OWN,2025,300,T1,2025,PV-T1,是\n"
        "GEC-2025-OUT,2025,200,T1,2025,PV-QY-9,否\n", encoding="utf-8")
    assert import_certificates(tianhe, tmp / "c25.csv", district="tianhe").added == 2
    with tianhe.registry.session() as s:
        logged = s.scalars(select(AuditLog).where(
            AuditLog.object_type == "certificate",
            AuditLog.object_id == "GEC-2025-OWN")).one()
        assert "PV-T1" in str(logged.details)
    row = {c["serial"]: c for c in list_certificates(tianhe, district="tianhe")}
    assert (row["GEC-2025-OWN"]["plant_id"], row["GEC-2025-OWN"]["plant_in_district"]) == (
        "PV-T1", True)
    # the account of 2025 counts 1,000 MWh of the district's PV as new renewables:
    # 1,000 MWh × 0.3007 kgce/kWh = 300.7 tce
    gen = pd.DataFrame({"scope": ["generation"], "tce_equal": [1_000 * 0.3007]})
    monkeypatch.setattr(certs_mod, "_account_tables",
                        lambda *a, **k: {"inventory_district_year": gen})
    d = tianhe.district("tianhe")
    out = energy_deductions(tianhe, d, 2025, 100_000.0)
    items = {i["code"]: i for i in out.items}
    assert items["new_renewables"]["allowed"] == pytest.approx(300.7)
    # certificates: 300 + 200 = 500 MWh held; the 300 from PV-T1 are left out; 200 MWh ×
    # 0.3007 = 60.14 tce counted (under any cap: 50 % × 1,000 = 500)
    assert items["certificates"]["mwh"] == pytest.approx(500.0)
    assert items["certificates"]["excluded_in_district_mwh"] == pytest.approx(300.0)
    assert items["certificates"]["allowed"] == pytest.approx(60.14)
    assert any(m.code == "projects.note.own_certificates" for m in out.messages)


# -- the API, scoped by role ------------------------------------------------------------------
API_USERS = {"admin": ("district_admin", None, None), "dev_a": ("project_developer", None,
                                                                "DEV-A"),
             "dev_z": ("project_developer", None, "DEV-Z"),
             "officer": ("street_officer", "五山街道", None), "mgr_t2": ("entity_manager", None,
                                                                       None)}


@pytest.fixture(scope="module")
def api(tianhe: Workspace) -> dict[str, object]:
    from fastapi.testclient import TestClient

    from carbonpeak.api.app import create_app
    from carbonpeak.services.access.users import create_user, issue_token
    for name, (role, street, org) in API_USERS.items():
        create_user(tianhe, name, role, district="tianhe", street=street, org=org,
                    entities=["T2"] if role == "entity_manager" else None)
    client = TestClient(create_app(workspace=tianhe))
    return {"client": client, "tokens": {n: issue_token(tianhe, n).token for n in API_USERS}}


def _get(api: dict[str, object], who: str, url: str, **params: object) -> tuple[int, object]:
    client, tokens = api["client"], api["tokens"]
    r = client.get(url, params=params,  # type: ignore[attr-defined]
                   headers={"Authorization": f"Bearer {tokens[who]}"})  # type: ignore[index]
    return r.status_code, r.json()


def test_api_developer_sees_only_its_own_projects(api: dict[str, object],
                                                  tianhe: Workspace) -> None:
    if not list_certificates(tianhe, district="tianhe"):
        test_double_claim_refused_naming_the_first(tianhe)
    code, body = _get(api, "admin", "/api/v1/projects")
    assert code == 200
    assert {r["project_code"] for r in body["items"]} >= {"P1", "P2", "P3", "P4"}  # type: ignore[index]
    code, body = _get(api, "dev_a", "/api/v1/projects")
    assert code == 200
    assert [r["project_code"] for r in body["items"]] == ["P1", "P3"]  # type: ignore[index]
    assert body["items"][0]["review_level"] == "district"  # type: ignore[index]
    assert _get(api, "dev_z", "/api/v1/projects")[1]["items"] == []  # type: ignore[index]
    # guessed codes: another developer's project and a made-up one answer alike (404)
    for guess in ("P2", "P4", "P5", "NOPE", "p1"):
        code, body = _get(api, "dev_a", f"/api/v1/projects/{guess}")
        assert code == 404, guess
        assert "DEV-B" not in str(body)
    assert _get(api, "dev_a", "/api/v1/projects/P1")[0] == 200
    # the district-wide aggregates are for analysts: the pipeline, scope 2
    assert _get(api, "dev_a", "/api/v1/projects/pipeline")[0] == 403
    assert _get(api, "dev_a", "/api/v1/certificates/scope2", year=2024)[0] == 403
    assert _get(api, "dev_a", "/api/v1/certificates")[0] == 403
    code, body = _get(api, "admin", "/api/v1/projects/pipeline")
    assert code == 200
    assert body["year"] == 2026  # type: ignore[index]
    # the developer's operation view: its own linked projects only (P4 is DEV-B's)
    code, body = _get(api, "dev_a", "/api/v1/projects/operation")
    assert (code, body) == (200, {"items": []})
    assert [r["project_code"] for r in _get(api, "admin", "/api/v1/projects/operation")[1][
        "items"]] == ["P4"]  # type: ignore[index]


def test_api_project_answers_its_intensity_effect(api: dict[str, object]) -> None:
    from carbonpeak.api.routes.projects import ProjectPublic
    code, body = _get(api, "admin", "/api/v1/projects/P4")
    assert code == 200
    p4 = ProjectPublic.model_validate(body)  # the typed answer: every key named
    # 2024 statistics: 100,000 / 50,000,000 = 0.002 → (100,000 + 10,640) / 50,030,000
    assert p4.intensity.basis == "statistics"
    assert p4.intensity.without == pytest.approx(0.002)
    assert p4.intensity.with_project == pytest.approx(110_640 / 50_030_000)
    code, body = _get(api, "dev_a", "/api/v1/projects/P1")
    p1 = ProjectPublic.model_validate(body)
    # 2026 not published yet: on the 2024 statistics, said by a code
    assert (p1.intensity.statistics_year, p1.intensity.without) == (2024, pytest.approx(0.002))
    assert p1.intensity.with_project == pytest.approx(101_804.2 / 50_050_000)
    assert "projects.intensity.latest_statistics" in [n.code for n in p1.intensity.notes]


def test_api_other_roles_see_no_projects(api: dict[str, object]) -> None:
    for who in ("officer", "mgr_t2"):
        for url in ("/api/v1/projects", "/api/v1/projects/P1", "/api/v1/projects/pipeline",
                    "/api/v1/projects/operation"):
            assert _get(api, who, url)[0] == 403, (who, url)
    # the ledger: an entity manager sees its own entities' entries (T2 holds none)
    code, body = _get(api, "mgr_t2", "/api/v1/certificates")
    assert (code, body["items"]) == (200, [])  # type: ignore[index]
    assert _get(api, "officer", "/api/v1/certificates")[0] == 403
    code, body = _get(api, "admin", "/api/v1/certificates")
    # (the ledger also holds the 2025 in-district entries of the double-deduction test)
    assert {c["holder"] for c in body["items"]} == {"T1"}  # type: ignore[index]
    code, body = _get(api, "admin", "/api/v1/certificates/scope2", year=2024)
    assert (code, body["available"]) == (200, False)  # type: ignore[index]


def test_dual_control_reads_the_deductions(tianhe: Workspace) -> None:
    from carbonpeak.services.access.scope import AccessScope
    from carbonpeak.services.plan.dual_control import dual_control
    if not list_certificates(tianhe, district="tianhe"):
        test_double_claim_refused_naming_the_first(tianhe)
    dc = dual_control(tianhe, district="tianhe").to_dict()
    ded = dc["deductions"]
    assert (ded["year"], ded["total_tce"]) == (2024, 100_000.0)
    assert ded["total_after_tce"] < ded["total_tce"]
    # a street officer's view carries none (the ledger is per entity)
    officer = AccessScope("tianhe", everything=False, street_id=1, street_code="wushan")
    assert dual_control(tianhe, district="tianhe", viewer=officer).deductions is None


# -- entry in the browser's API: POST/PUT /projects ------------------------------------------
def _send(api: dict[str, object], who: str, method: str, url: str,
          body: dict[str, object]) -> tuple[int, dict[str, object]]:
    client, tokens = api["client"], api["tokens"]
    r = client.request(method, url, json=body,  # type: ignore[attr-defined]
                       headers={"Authorization": f"Bearer {tokens[who]}"})  # type: ignore[index]
    return r.status_code, r.json()


def test_api_project_entry_by_role(api: dict[str, object], tianhe: Workspace) -> None:
    """A developer enters its own project: 6.0 GWh of electricity only is 6,000,000 kWh ×
    0.1229 kgce/kWh = 737.4 tce at equivalent value: under 1,000 tce but ≥ 5 GWh, so the
    district reviews it (粤能规〔2023〕3号)."""
    body: dict[str, object] = {
        "project_code": "W1", "name": "网页登记的数据中心", "street": "五山街道",
        "sector_code": "I6531", "kind": "新建", "stage": "filing",
        "value_added_10k_cny": 12000,
        "energy": [{"carrier": "electricity", "annual_quantity": 6.0, "unit": "GWh"}]}
    code, got = _send(api, "dev_a", "POST", "/api/v1/projects", body)
    assert code == 201, got
    assert got["developer"] == "DEV-A"  # filled in: the developer's own organisation
    assert got["tce_equivalent"] == pytest.approx(737.4)
    assert (got["review_level"], got["two_high"]) == ("district", False)
    # the same code again: 409; another developer's organisation: refused, naming the field
    assert _send(api, "dev_a", "POST", "/api/v1/projects", body)[0] == 409
    code, bad = _send(api, "dev_a", "POST", "/api/v1/projects",
                      {**body, "project_code": "W2", "developer": "DEV-B"})
    assert code == 422
    assert [e["column"] for e in bad["errors"]] == ["developer"]  # type: ignore[union-attr]
    # each bad field named: the kind, a unit that is not electricity's, a negative quantity
    code, bad = _send(api, "admin", "POST", "/api/v1/projects", {
        **body, "project_code": "W3", "developer": "DEV-B", "kind": "拆除",
        "energy": [{"carrier": "electricity", "annual_quantity": -1, "unit": "m3"}]})
    assert code == 422
    assert {e["column"] for e in bad["errors"]} == {"kind"}  # type: ignore[union-attr]
    code, bad = _send(api, "admin", "POST", "/api/v1/projects", {
        **body, "project_code": "W3", "developer": "DEV-B",
        "energy": [{"carrier": "electricity", "annual_quantity": -1, "unit": "m3"}]})
    assert code == 422
    assert {e["column"] for e in bad["errors"]} == {  # type: ignore[union-attr]
        "annual_quantity", "unit"}
    # another developer's project and a guessed code answer alike; other roles may not write
    for guess in ("P2", "P4", "NOPE"):
        assert _send(api, "dev_a", "PUT", f"/api/v1/projects/{guess}", body)[0] == 404, guess
    assert _send(api, "dev_z", "PUT", "/api/v1/projects/W1", body)[0] == 404
    for who in ("officer", "mgr_t2"):
        assert _send(api, who, "POST", "/api/v1/projects", {**body, "project_code": "W9"})[
            0] == 403
    # the analyst side edits any project: a 两高 sector (C2614 chemicals), gas added
    code, got = _send(api, "admin", "PUT", "/api/v1/projects/W1", {
        **body, "developer": "DEV-A", "sector_code": "C2614", "stage": "节能审查",
        "energy": [{"carrier": "electricity", "annual_quantity": 6.0, "unit": "GWh"},
                   {"carrier": "natural_gas", "annual_quantity": 10, "unit": "万m3"}]})
    assert code == 200, got
    assert got["two_high"] is True
    assert (got["stage"], len(got["carriers"])) == ("energy_review", 2)  # type: ignore[arg-type]
    # then the developer drops the gas again: each change audit-logged with old and new
    code, got = _send(api, "dev_a", "PUT", "/api/v1/projects/W1", {
        **body, "sector_code": "C2614", "stage": "节能审查"})
    assert code == 200, got
    with tianhe.registry.session() as s:
        log = [(a.actor, a.action, a.object_type, a.object_id) for a in s.scalars(
            select(AuditLog).where(AuditLog.object_id.like("W1%")).order_by(AuditLog.id))]
    assert log == [
        ("user:dev_a", "create", "project", "W1"),
        ("user:dev_a", "create", "project_energy", "W1:electricity"),
        ("user:admin", "update", "project", "W1"),
        ("user:admin", "create", "project_energy", "W1:natural_gas"),
        ("user:dev_a", "delete", "project_energy", "W1:natural_gas")]


def test_api_project_entry_never_answers_500(api: dict[str, object]) -> None:
    """Generated bodies (schemathesis's strategies, as in test_web_api) for the entry routes,
    as the admin and as a developer: refused (4xx) or saved, never a 500."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.conftest import STARTUP_WAIT_S, openapi_schema

    client, tokens = api["client"], api["tokens"]
    schema = openapi_schema(client.app)  # type: ignore[attr-defined]
    ops = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    wanted = {"POST /api/v1/projects", "PUT /api/v1/projects/{code}"}
    ops = [o for o in ops if o.label in wanted]
    assert {o.label for o in ops} == wanted
    seen: set[int] = set()
    for op in ops:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any, data: st.DataObject) -> None:  # noqa: ANN401
            who = data.draw(st.sampled_from(["admin", "dev_a"]))
            if case.path_parameters and data.draw(st.booleans()):
                case.path_parameters["code"] = data.draw(st.sampled_from(["P1", "P2", "W1"]))
            r = case.call(timeout=STARTUP_WAIT_S,
                          headers={"Authorization": f"Bearer {tokens[who]}"})  # type: ignore[index]
            seen.add(r.status_code)
            assert r.status_code < 500, (case.method, case.path_parameters, case.body, r.text)

        check()
    assert any(c >= 400 for c in seen)
