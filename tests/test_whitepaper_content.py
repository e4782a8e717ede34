"""The white paper's content after review: the peak over the history, key units' names, the
audit rule's sources, Chinese versions of the pipelines' English notes and the commissioning
candidates without the buildings whose load is normal for their type.

The district is :func:`tests.test_whitepaper._world` (hand-worked there): statistics CO2
2020-2024 = 20,000, 20,100, 20,150, 20,200, 20,100 t, so the history's highest year is 2023.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.publish.whitepaper.content import PEAK_RUNS, _key_units, bilingual, white_paper
from carbonpeak.publish.whitepaper.programmes import programme_sections, split_candidates
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.plan.trajectory import TARGET_RUNS, _peak_with_history
from tests.conftest import registry_url
from tests.test_commissioning_pipeline import build as build_hourly
from tests.test_whitepaper import STATISTICS, TCE_EQUAL_2024, World, _world

PROFILE = Path(__file__).resolve().parents[1] / "reference" / "profiles" / "huangpu.toml"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with _world("sqlite", tmp_path_factory.mktemp("wpc")) as w:
        yield w


@pytest.fixture(scope="module")
def content(world: World) -> dict[str, Any]:
    return white_paper(world.ws, year=2024)


# -- finding 1: the peak is over the history and the projection --------------------------------
def test_peak_of_history_and_projection() -> None:
    """History 2021-2023 = 10, 12, 11; projection from the base year 2023.

    * projection 11, 11.5, 11.8, 11.2 (2023-2026): max over both is 12 in 2022 (history);
    * projection 11, 11.5, 12.5, 11.2: 12.5 in 2025 > 12, the projection's year;
    * projection 11, 11.5, 11.8, 12.0: ties at 12 → the first year, 2022 (still peaked, the
      maximum is not in the last year).
    """
    history = [(2021, 10.0), (2022, 12.0), (2023, 11.0)]
    years = pd.Index([2023, 2024, 2025, 2026], name="year")
    for values, year, peak in (([11.0, 11.5, 11.8, 11.2], 2022, 12.0),
                               ([11.0, 11.5, 12.5, 11.2], 2025, 12.5),
                               ([11.0, 11.5, 11.8, 12.0], 2022, 12.0)):
        pk = _peak_with_history(history, pd.DataFrame({"tco2": values}, index=years))
        assert (pk.peak_year, pk.peak_tco2, pk.peaked_within_horizon) == (year, peak, True)


def test_peak_year_in_the_history_and_one_monte_carlo_count(content: dict[str, Any]) -> None:
    """Statistics CO2 peaks in 2023 (20,200 t > 20,100 t of the base year 2024): a declining
    scenario peaks in 2023 at 20,200 t, not in the base year; HP-06 and the white paper say the
    same, with the same number of Monte Carlo draws."""
    co2 = {int(r.split(",")[0]): float(r.split(",")[4]) for r in STATISTICS.splitlines()[1:]}
    top = max(co2, key=lambda y: co2[y])
    assert (top, co2[top]) == (2023, 20_200.0)
    peak = content["peak"]
    assert peak["base_year"] == 2024
    scen = peak["scenarios"]
    declining = [n for n, sc in scen.items()
                 if max(p["tco2"] for p in sc["projection"]) < co2[top]]
    assert declining  # the enhanced scenario at least
    for name in declining:
        assert (scen[name]["peak_year"], scen[name]["peak_tco2"]) == (2023, 20_200.0)
    assert peak["monte_carlo_runs"] == PEAK_RUNS == TARGET_RUNS
    hp06 = next(r for r in content["targets"]["rows"] if r["code"] == "HP-06")
    plan = scen["plan"]
    if plan["peaked_within_horizon"]:
        assert f"规划情景{plan['peak_year']}年达峰" in hp06["reason_zh"]
    assert f"{TARGET_RUNS:,}次蒙特卡洛" in hp06["reason_zh"]


# -- finding 2: key units named from the registry ---------------------------------------------
def test_key_unit_names_come_from_the_registry(world: World) -> None:
    """G1 (60,000 m² ≥ 50,000) is the key unit; its name comes from the entity registry even
    without an inventory row (an enterprise has none)."""
    ws = world.ws
    d = ws.district("huangpu")
    with ws.registry.session() as s:
        run = official_run(s, "huangpu", 2024)
        assert run is not None
        s.expunge(run)
    tables = load_run_tables(ws, run, ["key_units"])
    ku = _key_units(ws, d, {"key_units": tables["key_units"]})
    (row,) = ku["rows"]
    assert (row["entity_id"], row["name"]) == ("G1", "豫园商场")
    # the stored rule is a message: each language from the catalogue and the profile's labels
    assert row["key_unit_rule_zh"] == ("2024年：建筑面积≥5万平方米"
                                       "（建筑面积60,000，门槛50,000平方米）")
    assert row["key_unit_rule_en"] == ("2024: floor area >= 50,000 m2 "
                                       "(floor area = 60,000 ≥ 50,000 m²)")


# -- findings 5 and 6: the audit rule's sources; HP-12 with the schedule's figures ------------
def test_audit_rule_sources_and_hp12(content: dict[str, Any]) -> None:
    """Every entry of the profile's audit rule is printed with its value, source and status;
    three entries are unverified or defaults. O1, O2, H1 and G1 (≥ 10,000 m²) are covered and
    none was audited: 0 of 4 within the interval (0.0 %), 4 never audited."""
    prof = tomllib.loads(PROFILE.read_text(encoding="utf-8"))["buildings"]
    entries = {k: v for k, v in prof.items() if k.startswith("audit_")}
    a = content["audits"]
    notes = "\n".join(a["notes_zh"])
    notes_en = "\n".join(a["notes_en"])
    assert "（）" not in notes
    for key, e in entries.items():
        # the Chinese edition: the rule in words and its Chinese source, no parameter name
        assert f"规则来源：{e['label_zh']}——{e['source_zh']}" in notes
        assert key not in notes
        # the English edition: the parameter, its value and the source as the profile has it
        assert f"{key} = " in notes_en
        assert str(e["source"]) in notes_en
    weak = [k for k, e in entries.items() if e["status"] in ("unverified", "default")]
    assert a["notes_zh"][0].startswith(f"规则中有{len(weak)}项未经核实或为平台默认值")
    area = entries["audit_min_floor_area_m2"]
    assert f"规则来源：{area['label_zh']}——{area['source_zh']}（已核实）" in notes
    assert (f"(audit_min_floor_area_m2 = {area['value']:,}) — {area['source']} (verified)"
            in notes_en)
    hp12 = next(r for r in content["targets"]["rows"] if r["code"] == "HP-12")
    assert hp12["reason_zh"].endswith("周期内已审计0/4栋（0.0%），4栋从未审计")
    assert hp12["reason_en"].endswith("0 of 4 buildings audited within the interval (0.0 %), "
                                      "4 never audited")


# -- finding 7: the pipelines' notes in both languages ----------------------------------------
def test_notes_have_a_chinese_version(content: dict[str, Any]) -> None:
    """The account covers 2,546.7 / 10,250 tce = 24.85 % of the district's energy."""
    share = TCE_EQUAL_2024 / 10_250
    en = f"{share:.1%} of district energy (10,250 tce, statistics; equal value) is in this account"
    m = content["method"]
    assert en in m["notes"]
    i = m["notes"].index(en)
    assert m["notes_en"][i] == en
    assert m["notes_zh"][i] == "本次核算覆盖全区综合能耗（统计数据，等价值，10,250吨标准煤）的24.8%"
    assert content["dual_control"]["notes_zh"] == ["2024年：能耗来自统计数据；二氧化碳来自统计数据"]
    assert all(r["source_zh"] == "统计数据" for r in content["summary"]["statistics"])
    assert {r["co2_source_zh"] for r in content["trends"]["rows"]} == {"统计数据"}
    assert any(n.startswith("各情景GDP年均增速均为") for n in content["peak"]["notes_zh"])
    assert content["lmdi"]["source_zh"].startswith("2023年与2024年正式核算")
    # an unknown text stays as it is in both languages
    assert bilingual("something new") == {"zh": "something new", "en": "something new"}


def test_summary_headline_has_no_account_per_gdp(content: dict[str, Any]) -> None:
    keys = [r["key"] for r in content["summary"]["headline"]]
    assert keys == ["tce_equal", "tce_equivalent", "tco2"]
    assert "co2_per_gdp" in [r["key"] for r in content["summary"]["statistics"]]


# -- finding 4: commissioning candidates without the types whose load is normal ----------------
def test_split_candidates_keeps_the_rank_order() -> None:
    items: list[dict[str, Any]] = [
        {"entity_id": "D", "caveats": [{"zh": "全天候", "en": "24 h"}]},
        {"entity_id": "O", "caveats": []},
        {"entity_id": "M", "caveats": [{"zh": "每天营业", "en": "every day"}]}]
    cand, normal = split_candidates(items)
    assert [i["entity_id"] for i in cand] == ["O"]
    assert [i["entity_id"] for i in normal] == ["D", "M"]


def test_commissioning_excludes_caveated_types(tmp_path: Path) -> None:
    """The hand-worked screen of tests/test_commissioning_pipeline.py: B1 office 4,880 kWh
    avoidable, B2 mall 1,296, B3 hotel 896. The mall (open every day) and the hotel (around
    the clock) are normal for their type: one candidate, B1, and a total of 4,880 kWh
    (0.488万 → "约0.5万千瓦时"); 2 buildings apart."""
    with registry_url("sqlite", tmp_path) as url:
        ws, _ = init_workspace(Settings(home=tmp_path / "home", database_url=url),
                               profiles=["huangpu"], actor="test", load_targets=False)
        try:
            build_hourly(ws, tmp_path / "in")
            sec = programme_sections()["commissioning"]
            out = sec.build(ws, ws.district("huangpu"), 2024)
        finally:
            ws.close()
    rows = out["table"]["rows"]
    assert [(r["rank"], r["building"]) for r in rows] == [(1, "外滩一号楼")]
    figures = {f["label_en"]: f["value"] for f in out["figures"]}
    assert figures["avoidable energy, total"] == pytest.approx(320 + 4_560)
    assert figures["candidates"] == 1
    assert figures["normal for their type (not candidates)"] == 2
    assert "合计可避免电量约0.5万千瓦时" in out["text_zh"]
    assert {r["building"] for r in out["normal_for_type"]} == {"外滩商场", "豫园酒店"}
    assert any(n.startswith("另有2栋建筑（酒店1栋、商场1栋）") for n in out["notes_zh"])
