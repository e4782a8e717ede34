"""The annual white paper (年度碳排放状况白皮书) and the bureau's xlsx exports, on a small
district whose account is worked by hand (Huangpu, factor set shanghai_local@v1: electricity
0.42 tCO2/MWh, 0.1229 / 0.3007 kgce/kWh equivalent / equal (the 2023 and 2024 rows of the
per-year series: the previous year's coal rate, 300.7 gce/kWh); natural gas 21.6219 tCO2/10^4 m³,
1.33 kgce/m³; heat 0.06 tCO2/GJ, 0.03412 kgce/MJ).

Monthly ledgers, both years the same except where noted:

=====  ========  =========  =======================================  ======================
id     type      area m²    a month                                  street, sector
=====  ========  =========  =======================================  ======================
O1     office    10,000     80,000 kWh (2023: 100,000) + 1,000 m³    外滩街道, L72
O2     office    20,000     100,000 kWh                              豫园街道, J66
H1     hotel     10,000     150,000 kWh + 100 GJ heat                豫园街道, H61
P1     hospital   5,000     60,000 kWh                               豫园街道, Q84
G1     mall      60,000     300,000 kWh (2023: 320,000)              豫园街道, F52
=====  ========  =========  =======================================  ======================

2024 by hand:

* electricity (80 + 100 + 150 + 60 + 300) × 12 = 8,280,000 kWh: 8,280 MWh × 0.42 = 3,477.6
  tCO2; × 0.1229 = 1,017.612 tce (equivalent); × 0.3007 = 2,489.796 tce (equal);
* gas 12,000 m³: 1.2 × 21.6219 = 25.94628 tCO2; × 1.33 = 15.96 tce (both values);
* heat 1,200 GJ: × 0.06 = 72 tCO2; 1,200,000 MJ × 0.03412 = 40.944 tce (both values);
* totals: 3,575.54628 tCO2 → "3,575.5"; 2,546.7 tce equal → "2,546.7"; 1,074.516 tce
  equivalent → "1,074.5" (``carbonpeak account`` prints one decimal).

2023: electricity 8,280,000 + (100 − 80 + 320 − 300) × 12,000 = 8,760,000 kWh → 3,679.2 +
25.94628 + 72 = 3,777.14628 tCO2, so CO2 changed by −201.6 / 3,777.14628 = −5.337 % ("下降5.3%").
G1 (60,000 m² ≥ 50,000) is the one key unit.

The PDF is read back as a person or a checker would: ``pdftotext``, ``pdffonts``, ``pdfinfo``,
``pdftoppm`` and the font's character map.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from carbonpeak import __version__
from carbonpeak.api.app import create_app
from carbonpeak.cli import app
from carbonpeak.config import Settings
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import Message
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.boundaries import approximate_boundaries, import_boundaries
from carbonpeak.intake.imports import import_file
from carbonpeak.publish import charts, fonts
from carbonpeak.publish.render import number
from carbonpeak.publish.whitepaper.content import ExtraSection, white_paper
from carbonpeak.publish.whitepaper.document import (
    whitepaper_context,
    whitepaper_html,
    whitepaper_pdf,
)
from carbonpeak.publish.workbooks import export_workbook
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.services.plan.warnings import derive_district_budget, evaluate_warnings
from carbonpeak.storage.registry.models import Street
from carbonpeak.storage.workspace import Workspace
from tests.conftest import BACKENDS, registry_url
from tests.one_language import CJK, english_words, workbook_texts
from tests.test_reports import pdffonts, pdfinfo, pdftotext

WHEN = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 3, 2, 9, 30, tzinfo=dt.UTC)
# the report time: UTC in the PDF's and HTML's metadata, Beijing time (UTC+8) on the pages
STAMP = re.compile(r"2025-03-0[12][ T](0[89]|1[67]):[0-9]{2}(:00Z| UTC\+8| 北京时间| UTC)?")

# by hand (module docstring)
TCO2_2024 = 8_280 * 0.42 + 1.2 * 21.6219 + 1_200 * 0.06
TCE_EQUAL_2024 = 8_280_000 * 0.3007 / 1000 + 12_000 * 1.33 / 1000 + 1_200_000 * 0.03412 / 1000
TCE_EQUIVALENT_2024 = (8_280_000 * 0.1229 / 1000 + 12_000 * 1.33 / 1000
                       + 1_200_000 * 0.03412 / 1000)
TCO2_2023 = 8_760 * 0.42 + 1.2 * 21.6219 + 1_200 * 0.06

ENTITIES = """entity_id,name,kind,street,building_type,floor_area_m2,sector_code
O1,外滩办公一,building,外滩街道,office,10000,L72
O2,豫园办公二,building,豫园街道,office,20000,J66
H1,豫园酒店,building,豫园街道,hotel,10000,H61
P1,豫园医院,public_institution,豫园街道,hospital,5000,Q84
G1,豫园商场,building,豫园街道,mall,60000,F52
"""
STATISTICS = """year,gdp_10k_cny,population,energy_tce,co2_t
2020,1000000,50000,10000,20000
2021,1050000,50000,10100,20100
2022,1100000,50000,10150,20150
2023,1160000,50000,10200,20200
2024,1220000,50000,10250,20100
"""
SECTORS = "year,sector,value_added_10k_cny\n" + "".join(
    f"{y},{s},{v * (1.05 if y == 2024 else 1.0):.0f}\n" for y in (2023, 2024)
    for s, v in (("F", 200000), ("H", 100000), ("J", 500000), ("L", 250000), ("Q", 110000)))


def _ledger(year: int) -> str:
    lines = ["entity_id,period,carrier,quantity,unit"]
    for m in range(1, 13):
        p = f"{year}-{m:02d}"
        lines += [f"O1,{p},electricity,{80_000 if year == 2024 else 100_000},kWh",
                  f"O1,{p},natural_gas,1000,m3", f"O2,{p},electricity,100000,kWh",
                  f"H1,{p},electricity,150000,kWh", f"H1,{p},heat,100,GJ",
                  f"P1,{p},electricity,60000,kWh",
                  f"G1,{p},electricity,{300_000 if year == 2024 else 320_000},kWh"]
    return "\n".join(lines) + "\n"


USERS = {"admin": ("district_admin", None, None), "analyst": ("district_analyst", None, None),
         "officer": ("street_officer", "waitan", None),
         "manager": ("entity_manager", None, ["O2"])}


@dataclass
class World:
    ws: Workspace
    client: TestClient
    tokens: dict[str, str]
    folder: Path
    account_output: str  # what `carbonpeak account --year 2024` printed

    def get(self, user: str, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[user]}"})


@contextmanager
def _world(backend: str, tmp: Path) -> Iterator[World]:
    with registry_url(backend, tmp) as url:
        settings = Settings(home=tmp / "home", database_url=url)
        ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test")
        try:
            for kind, name, text in (("entities", "entities.csv", ENTITIES),
                                     ("statistics", "statistics.csv", STATISTICS),
                                     ("sector_statistics", "sectors.csv", SECTORS),
                                     ("ledger", "ledger2023.csv", _ledger(2023)),
                                     ("ledger", "ledger2024.csv", _ledger(2024))):
                (tmp / name).write_text(text, encoding="utf-8")
                import_file(ws, kind, tmp / name)
            run_account(ws, year=2023)
            # the 2024 account as the command prints it (the white paper must carry the same)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("CARBONPEAK_HOME", str(settings.home))
                mp.setenv("CARBONPEAK_DATABASE_URL", url)
                r = CliRunner().invoke(app, ["account", "--year", "2024"],
                                       catch_exceptions=False)
                assert r.exit_code == 0, r.output
            with ws.registry.session() as s:
                streets = [{"code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
                            "lat": st.lat, "lon": st.lon}
                           for st in s.scalars(select(Street).where(
                               Street.district_id == "huangpu").order_by(Street.id))]
            import_boundaries(ws, approximate_boundaries(streets), district="huangpu",
                              approximate=True, note="test: approximate 示意边界")
            derive_district_budget(ws, year=2024, district="huangpu")
            evaluate_warnings(ws, year=2024, district="huangpu", through_month=12)
            for name, (role, street, entities) in USERS.items():
                create_user(ws, name, role, street=street, entities=entities)
            tokens = {n: issue_token(ws, n).token for n in USERS}
            yield World(ws, TestClient(create_app(workspace=ws)), tokens, tmp, r.output)
        finally:
            ws.close()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], World]]:
    """One world per backend, built when first asked for."""
    built: dict[str, World] = {}
    with ExitStack() as stack:
        def get(backend: str) -> World:
            if backend not in built:
                built[backend] = stack.enter_context(
                    _world(backend, tmp_path_factory.mktemp(f"wp-{backend}")))
            return built[backend]
        yield get


@pytest.fixture(scope="module")
def world(worlds: Callable[[str], World]) -> World:
    return worlds("sqlite")


@pytest.fixture(scope="module", params=BACKENDS)
def api_world(request: pytest.FixtureRequest, worlds: Callable[[str], World]) -> World:
    return worlds(request.param)


@pytest.fixture(scope="module")
def content(world: World) -> dict[str, Any]:
    return white_paper(world.ws, year=2024)


@pytest.fixture(scope="module")
def zh_pdf(content: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "whitepaper-zh.pdf"
    whitepaper_pdf(content, path, generated=WHEN)
    return path


@pytest.fixture(scope="module")
def zh_text(zh_pdf: Path) -> str:
    return pdftotext(zh_pdf)


def _account_totals(output: str) -> list[str]:
    """The total row of `carbonpeak account`: equivalent tce, equal tce, tCO2."""
    line = next(x for x in output.splitlines() if x.strip("│ ").startswith("合计"))
    return re.findall(r"\d{1,3}(?:,\d{3})*\.\d", line)[:3]


def _flat(text: str) -> str:
    """pdftotext's text without line breaks and layout spaces (a sentence may wrap)."""
    return re.sub(r"\s+", "", text)


# -- the content -----------------------------------------------------------------------------
def test_content_carries_the_hand_worked_account(content: dict[str, Any]) -> None:
    tot = content["summary"]["totals"]
    assert tot["tco2"] == pytest.approx(TCO2_2024)
    assert tot["tce_equal"] == pytest.approx(TCE_EQUAL_2024)
    assert tot["tce_equivalent"] == pytest.approx(TCE_EQUIVALENT_2024)
    co2 = next(r for r in content["summary"]["headline"] if r["key"] == "tco2")
    assert co2["previous"] == pytest.approx(TCO2_2023)
    # (3,575.54628 − 3,777.14628) / 3,777.14628 = −5.337 %
    assert co2["change_vs_previous_pct"] == pytest.approx(-201.6 / TCO2_2023 * 100)
    assert co2["change_vs_baseline_pct"] is None  # 2020 has no account
    stats = {r["key"]: r for r in content["summary"]["statistics"]}
    # energy per GDP: 10,250 / 1,220,000 against 10,000 / 1,000,000 → −15.98 %
    assert stats["energy_per_gdp"]["change_vs_baseline_pct"] == pytest.approx(
        (10_250 / 1_220_000 / 0.01 - 1) * 100)
    assert [r["entity_id"] for r in content["key_units"]["rows"]] == ["G1"]
    # conventions carry the run's own coefficients, not typed-in ones
    conv = content["method"]["conventions"]
    # the equal value is the row of the run's year (2024), not the first row of the series
    assert (conv["electricity_kgce_equivalent"], conv["electricity_kgce_equal"]) == (0.1229,
                                                                                     0.3007)
    assert "0.1229 kgce/kWh" in conv["zh"]
    # work without data this year says so (never a word about platform modules)
    assert content["demand_response"] == {
        "available": False, "not_done": True, "reason_zh": "本年度未开展需求响应工作。",
        "reason_en": "No demand response was carried out this year."}
    assert content["renewables"]["forecast"]["available"] is False
    assert content["renewables"]["forecast"]["reason_zh"] == "本年度未开展光伏发电预测。"
    # the dual-control target path starts at the 2020 baseline (constant yearly rate)
    ep = next(i for i in content["dual_control"]["indicators"]
              if i["indicator"] == "energy_per_gdp")
    path = ep["targets"][0]["path"]
    assert path[0] == {"year": 2020, "value": pytest.approx(0.01)}
    assert path[-1]["year"] == ep["targets"][0]["target_year"]
    assert content["map"]["available"]
    assert content["map"]["approximate"]
    assert content["public_buildings"]["buildings"] == 5
    json.dumps(content)  # JSON-safe


def test_extra_sections_plug_in_and_fail_with_their_reason(world: World) -> None:
    def audits(ws: Workspace, d: Any, year: int) -> dict[str, Any]:
        return {"text_zh": f"{year}年完成能源审计2家。", "text_en": f"2 audits in {year}.",
                "figures": [{"label_zh": "审计数", "label_en": "audits", "value": 2,
                             "unit": "", "digits": 0}],
                "table": {"columns": [{"key": "id", "label_zh": "单位", "label_en": "Entity"},
                                      {"key": "saving", "label_zh": "节能量 tce",
                                       "label_en": "Saving tce", "digits": 1}],
                          "rows": [{"id": "G1", "saving": 12.345}]}}

    def retrofits(ws: Workspace, d: Any, year: int) -> dict[str, Any]:
        raise NotFoundError(Message("error.retrofit.no_project", {"code": "R-1"}))

    wp = white_paper(world.ws, year=2024, sections={
        "audits": ExtraSection("能源审计", "Energy audits", audits),
        "retrofits": ExtraSection("节能改造", "Retrofits", retrofits, placement="programmes")})
    assert wp["extra_sections"] == ["audits", "retrofits"]
    assert wp["retrofits"]["available"] is False
    html = whitepaper_html(wp, generated=WHEN)
    assert "2024年完成能源审计2家。" in html
    assert "12.3" in html  # the column's digits
    assert "项目R-1不存在" in html
    # the public-buildings chapter no longer says audits are missing; programmes is a chapter
    assert "本版白皮书尚未纳入能源审计" not in html
    assert "专项工作" in html
    with pytest.raises(ValueError, match="exists already"):
        white_paper(world.ws, year=2024, sections={"map": audits})


# -- the PDF ---------------------------------------------------------------------------------
def test_pdf_carries_the_account_totals_as_the_command_prints_them(
        world: World, zh_text: str) -> None:
    totals = _account_totals(world.account_output)
    assert totals == ["1,074.5", "2,546.7", "3,575.5"]  # by hand, module docstring
    for figure in totals:
        assert figure in zh_text, figure
    flat = _flat(zh_text)
    # the generated sentences, built from the same figures
    assert "2024年核算范围内二氧化碳排放3,575.5吨，比上年（2023年）下降5.3%" in flat
    assert "综合能耗（等价值）2,546.7吨标准煤，当量值1,074.5吨标准煤" in flat
    assert re.search(r"合计（不含光伏）\s+1,074\.5\s+2,546\.7\s+3,575\.5", zh_text)


def test_pdf_has_every_section(zh_text: str, content: dict[str, Any]) -> None:
    flat = _flat(zh_text)
    for title in ("黄浦区2024年度碳排放状况白皮书", "目录", "一、概要", "二、能耗与碳排放构成",
                  "三、历年趋势", "四、能耗和碳排放双控", "五、变化原因：因素分解", "六、达峰展望",
                  "七、公共建筑", "八、可再生能源（光伏）", "九、需求响应", "十、规划量化目标",
                  "十一、碳排放地图", "十二、专项工作", "十三、方法与数据说明"):
        assert title in flat, title
    for phrase in ("豫园商场（G1）", "经济规模效应", "规划情景", "达到约束值", "C40达峰判定",
                   "沪环气〔2022〕34号", "街道边界为示意边界",
                   "本年度未开展需求响应工作。", "本年度未开展光伏发电预测。",
                   # the programme sections: a programme without data says so, with its reason
                   "既有建筑节能改造与实测节能量", "无已完成的改造或调适项目", "公共建筑能源审计",
                   "重点用能单位义务履行", "建筑调适候选",
                   # the project gate (issue 20): a chapter of programmes, no project here
                   "固定资产投资项目节能审查与双控扣除", "项目库中无项目"):
        assert _flat(phrase) in flat, phrase
    # every plan target with its responsible units
    for row in content["targets"]["rows"]:
        assert row["code"] in zh_text
    assert _flat("区发展改革委") in flat
    # the batches behind the numbers, by number and kind (a file name is no Chinese)
    assert "能源台账" in zh_text
    for b in content["method"]["batches"]:
        assert b["file"] not in zh_text


def test_pdf_fonts_are_embedded_and_cover_every_character(zh_pdf: Path, zh_text: str) -> None:
    rows = pdffonts(zh_pdf)
    assert rows
    assert {r["emb"] for r in rows} == {"yes"}
    assert all("Noto-Sans-CJK-SC" in r["name"] for r in rows), rows
    assert fonts.missing_glyphs(zh_text) == []


def test_every_page_renders(zh_pdf: Path, tmp_path: Path) -> None:
    info = pdfinfo(zh_pdf)
    assert info["CreationDate"] == info["ModDate"] == "2025-03-01T08:00:00Z"
    assert "(A4)" in info["Page size"]
    pages = int(info["Pages"])
    assert pages >= 12  # cover, contents, a page per chapter
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(zh_pdf), str(tmp_path / "p")],
                   check=True, capture_output=True)
    pngs = sorted(tmp_path.glob("p*.png"))
    assert len(pngs) == pages
    for png in pngs:
        with Image.open(png) as im:
            gray = im.convert("L")
            darkest = gray.getextrema()[0]
            assert darkest < 128, png.name  # type: ignore[operator]  # drawn on every page


def test_charts_are_drawn_on_their_pages(zh_pdf: Path, tmp_path: Path) -> None:
    """The carbon map is drawn on its chapter's page: YlOrRd from the lowest street (外滩,
    #ffffcc) to the highest (豫园, #800026), the eight streets without entities grey."""
    text_pages = pdftotext(zh_pdf).split("\f")
    page = next(i for i, t in enumerate(text_pages, start=1) if "图：各街道二氧化碳排放" in t)
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "40", "-png",
                    str(zh_pdf), str(tmp_path / "m")], check=True, capture_output=True)
    with Image.open(next(tmp_path.glob("m*.png"))) as im:
        colors = {c: n for n, c in im.convert("RGB").getcolors(1_000_000) or []}
    assert colors.get((128, 0, 38), 0) > 200
    assert colors.get((255, 255, 204), 0) > 200
    assert colors.get((217, 217, 217), 0) > 200


def test_same_inputs_same_bytes_and_only_the_time_differs(
        content: dict[str, Any], zh_pdf: Path, tmp_path: Path) -> None:
    again = zh_pdf.read_bytes()
    # the same inputs in another process with another hash seed give the same bytes (no set
    # order leaks into them)
    dumped = tmp_path / "content.json"
    dumped.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    code = ("import json, sys, datetime as dt; from carbonpeak.publish.whitepaper.document import "
            "whitepaper_pdf; c = json.loads(open(sys.argv[1], encoding='utf-8').read()); "
            "sys.stdout.buffer.write(whitepaper_pdf(c, generated=dt.datetime(2025, 3, 1, 8)))")
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    out = subprocess.run([sys.executable, "-c", code, str(dumped)], check=True,
                         capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
    assert out.stdout == again
    # another time changes the printed time only
    later = whitepaper_pdf(content, generated=LATER)
    assert later != again
    ids = [re.findall(rb"/ID \[\((\w+)\)", x) for x in (again, later)]
    assert ids[0] == ids[1] != []  # the identifier does not depend on the time
    texts = [pdftotext(zh_pdf), pdftotext(_write(tmp_path / "b.pdf", later))]
    assert STAMP.sub("<time>", texts[0]) == STAMP.sub("<time>", texts[1])
    assert "2025-03-02 17:30" in texts[1]  # 09:30 UTC in Beijing time
    h1, h2 = whitepaper_html(content, generated=WHEN), whitepaper_html(content, generated=LATER)
    assert h1 != h2
    assert STAMP.sub("<time>", h1) == STAMP.sub("<time>", h2)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_english_edition(content: dict[str, Any], world: World, tmp_path: Path) -> None:
    pdf = _write(tmp_path / "en.pdf", whitepaper_pdf(content, lang="en", generated=WHEN))
    text = pdftotext(pdf)
    flat = _flat(text)
    for phrase in ("Huangpu District: carbon emissions white paper 2024", "1. Summary",
                   "2. Energy and CO2 by carrier", "5. Why it moved: LMDI decomposition",
                   "9. Demand response",
                   "No demand response was carried out this year.",
                   "12. Programmes", "13. Method and data", "down 5.3% on 2023", "The Bund",
                   "Yuyuan"):
        assert _flat(phrase) in flat, phrase
    for figure in _account_totals(world.account_output):
        assert figure in text
    for zh in ("概要", "白皮书", "能耗与碳排放构成", "因素分解", "需求响应", "方法与数据说明",
               "比上年"):
        assert zh not in text, zh
    assert fonts.missing_glyphs(text) == []


def test_a_section_without_inputs_states_its_reason(world: World) -> None:
    # 2023: no 2022 account to compare with; the map's and other chapters print reasons
    html = whitepaper_html(white_paper(world.ws, year=2023), generated=WHEN)
    text = re.sub(r"<[^>]+>", "", html)
    assert "2022年尚无正式核算，核算口径暂不能与上年比较。" in text
    assert "本年度未开展需求响应工作。" in text
    wp = white_paper(world.ws, year=2024)
    wp["map"] = {"available": False, "reason_zh": "碳排放地图暂无法提供：尚无街道边界",
                 "reason_en": "carbon map not available: no street boundaries"}
    ctx = whitepaper_context(wp, lang="en")
    chapter = next(c for c in ctx["chapters"] if c["id"] == "map")
    assert chapter["blocks"] == [{"kind": "unavailable",
                                  "text": "carbon map not available: no street boundaries"}]


def test_html_is_self_contained_and_escaped(content: dict[str, Any]) -> None:
    wp = json.loads(json.dumps(content))
    wp["key_units"]["rows"][0]["name"] = '<script>alert("x")</script>'
    html = whitepaper_html(wp, generated=WHEN)
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert html.count('<img src="data:image/svg+xml;base64,') >= 8


def test_new_charts_are_byte_stable() -> None:
    def draw() -> Any:
        return charts.waterfall(["经济规模效应", "能耗强度效应"], [100.0, -40.0],
                                total_label="合计变化")

    assert charts.svg(draw()) == charts.svg(draw())
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    one = charts.svg(charts.choropleth([("外滩", square, 10.0), ("豫园", square, None)],
                                       legend="tCO2", note="示意边界"))
    assert one == charts.svg(charts.choropleth([("外滩", square, 10.0), ("豫园", square, None)],
                                               legend="tCO2", note="示意边界"))
    assert charts.svg(charts.boxes(["办公"], [[1.0, 2.0, 30.0]], log=True))


# -- the exports ------------------------------------------------------------------------------
def _sheet(data: bytes, name: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return list(wb[name].iter_rows(values_only=True))


def test_inventory_export_has_chinese_headers_and_the_account_totals(
        world: World, content: dict[str, Any]) -> None:
    ex = export_workbook(world.ws, "inventory", year=2024, generated=WHEN)
    assert ex.filename == "inventory-huangpu-2024.xlsx"
    rows = _sheet(ex.data, "全区分品种")
    head = rows[0]
    assert head[:6] == ("能源品种", "实物量", "单位", "当量值 tce", "等价值 tce", "二氧化碳 tCO2")
    body = {r[0]: r for r in rows[1:-1]}
    assert set(body) == {"电力", "天然气", "热力"}
    assert body["电力"][1] == pytest.approx(8_280_000)
    total = rows[-1]
    assert total[0] == "合计（不含光伏）"
    tot = content["summary"]["totals"]
    # the run's totals (openpyxl writes a float to 15 significant digits, and the sheet's sum
    # may add the carriers in another order than the run did: equal to 1e-12)
    assert total[3:6] == pytest.approx((tot["tce_equivalent"], tot["tce_equal"], tot["tco2"]),
                                       rel=1e-12)
    assert [number(v, 1) for v in total[3:6]] == _account_totals(world.account_output)
    assert total[5] == pytest.approx(TCO2_2024)
    assert sum(r[5] for r in body.values()) == pytest.approx(TCO2_2024)
    entities = _sheet(ex.data, "分单位")
    assert entities[0][:3] == ("单位编号", "名称", "街道")
    assert {r[0] for r in entities[1:]} == {"O1", "O2", "H1", "P1", "G1"}
    about = {r[0]: r[1] for r in _sheet(ex.data, "说明")[1:]}
    assert about["核算批次"] == content["run"]["id"]
    assert about["因子集"] == "shanghai_local@v1"


def test_key_units_targets_and_disclosure_exports(world: World) -> None:
    ku = _sheet(export_workbook(world.ws, "key-units", year=2024).data, "重点用能单位")
    assert ku[0][:2] == ("单位编号", "名称")
    assert ku[1][:2] == ("G1", "豫园商场")
    # G1: 3,600,000 kWh × 0.42 / 1000 = 1,512 tCO2
    assert ku[1][6] == pytest.approx(1_512.0)
    assert ku[-1][0] == "合计（1家）"
    targets = _sheet(export_workbook(world.ws, "targets", year=2024).data, "规划目标")
    assert targets[0][:3] == ("编号", "章节", "指标")
    assert len(targets) - 1 == len(evaluate_targets(world.ws, district="huangpu", year=2024))
    assert "责任单位" in targets[0]
    disclosure = export_workbook(world.ws, "disclosure", year=2024)
    rows = _sheet(disclosure.data, "能效公示")
    assert "建筑名称" in rows[3]


@pytest.mark.parametrize("what", ["inventory", "key-units", "targets", "figures",
                                  "disclosure"])
def test_each_export_is_in_one_language_per_edition(world: World, what: str) -> None:
    """Issue 14: the Chinese edition has no English word outside units, codes, ids and the
    data's own names; the English edition no Chinese character outside those."""
    data = {"编号", "Code", "代码", "状态代码", "Status code", "单位编号", "Entity id", "名称",
            "Name", "建筑名称", "Building", "行业代码", "Sector", "数据来源", "Source", "来源",
            "Provenance", "单位", "Unit", "街道", "Street", "对象", "Subject", "因子集",
            "Factor set", "行政区", "District", "认定依据", "Rule", "责任单位",
            "Responsible units", "章节", "Section", "比较", "Comparator", "目标说明",
            "Target text", "限额类别", "Quota class", "口径", "Basis",
            # an English reason quotes the plan's own Chinese target text (市下达目标)
            "Reason"}
    zh = workbook_texts(openpyxl.load_workbook(io.BytesIO(
        export_workbook(world.ws, what, year=2024).data)), data)
    en = workbook_texts(openpyxl.load_workbook(io.BytesIO(
        export_workbook(world.ws, what, year=2024, lang="en").data)), data)
    ids = {"huangpu", "shanghai_local", "ADR", "DR"}  # ids; the plan's own abbreviations
    assert not {w for t in zh for w in english_words(t, ids)}, zh
    assert not [t for t in en if CJK.search(t) and "黄浦" not in t]


def test_cli_writes_the_white_paper_and_the_exports(world: World, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(world.ws.settings.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", str(world.ws.settings.database_url))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(WHEN.timestamp())))
    r = CliRunner().invoke(app, ["report", "--year", "2024", "--profile", "huangpu", "--out",
                                 str(tmp_path), "--lang", "en", "--format", "html"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    html = tmp_path / "whitepaper-huangpu-2024-en.html"
    assert html.is_file()
    assert not (tmp_path / "whitepaper-huangpu-2024-en.pdf").exists()
    assert "2025-03-01 16:00 UTC+8" in html.read_text(encoding="utf-8")  # 08:00 UTC
    assert "3,575.5 tCO2" in r.output
    r = CliRunner().invoke(app, ["report", "--year", "2024", "--format", "docx"])
    assert r.exit_code != 0
    r = CliRunner().invoke(app, ["report", "--year", "2019"])
    assert r.exit_code != 0
    assert "尚无 huangpu 2019 年的正式核算" in r.output
    out = tmp_path / "ku.xlsx"
    r = CliRunner().invoke(app, ["export", "--year", "2024", "--what", "key-units", "--xlsx",
                                 str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert _sheet(out.read_bytes(), "重点用能单位")[1][0] == "G1"
    r = CliRunner().invoke(app, ["export", "--year", "2024", "--what", "all", "--out",
                                 str(tmp_path / "all")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "disclosure-huangpu-2024.xlsx", "figures-huangpu-2024.xlsx",
        "inventory-huangpu-2024.xlsx", "key-units-huangpu-2024.xlsx",
        "targets-huangpu-2024.xlsx"]
    r = CliRunner().invoke(app, ["export", "--year", "2024", "--what", "nope"])
    assert r.exit_code != 0


# -- the API ---------------------------------------------------------------------------------
@pytest.mark.contract
def test_api_roles(api_world: World, tmp_path: Path) -> None:
    w = api_world
    r = w.get("analyst", "/api/v1/reports/whitepaper.html?year=2024&lang=en")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "whitepaper-huangpu-2024-en.html" in r.headers["content-disposition"]
    assert "3,575.5" in r.text
    r = w.get("admin", "/api/v1/reports/whitepaper")
    assert r.status_code == 200
    assert r.json()["summary"]["totals"]["tco2"] == pytest.approx(TCO2_2024)
    r = w.get("analyst", "/api/v1/reports/exports/inventory.xlsx?year=2024")
    assert r.status_code == 200, r.text
    assert r.content[:2] == b"PK"
    assert _sheet(r.content, "全区分品种")[0][0] == "能源品种"
    for user in ("officer", "manager"):
        for path in ("whitepaper.pdf", "whitepaper.html", "whitepaper",
                     "exports/key-units.xlsx"):
            assert w.get(user, f"/api/v1/reports/{path}?year=2024").status_code == 403
    for path in ("whitepaper.pdf", "exports/targets.xlsx"):
        assert w.client.get(f"/api/v1/reports/{path}").status_code == 401
    assert w.get("analyst", "/api/v1/reports/whitepaper.pdf?lang=fr").status_code == 422
    assert w.get("analyst", "/api/v1/reports/exports/nope.xlsx").status_code == 422
    assert w.get("analyst", "/api/v1/reports/whitepaper.html?year=2019").status_code == 404


def test_api_pdf(world: World, tmp_path: Path) -> None:
    """The PDF over the API (on SQLite: rendering is not dialect-specific; the roles and the
    scope SQL of these routes run on both databases in ``test_api_roles``)."""
    r = world.get("analyst", "/api/v1/reports/whitepaper.pdf?year=2024")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "whitepaper-huangpu-2024-zh.pdf" in r.headers["content-disposition"]
    text = pdftotext(_write(tmp_path / "api.pdf", r.content))
    for figure in _account_totals(world.account_output):
        assert figure in text


def test_programme_sections_from_their_pipelines(tmp_path: Path) -> None:
    """The default programme sections read the programmes' own pipelines.

    Retrofit R1 on O2 (20,000 m², completed 2023-06-30): the retrofitted area is 20,000 m²
    (0.6 % of HP-10's 3,500,000 m²: 20,000 / 3,500,000 = 0.571 %); with ledgers only (no
    daily data, no weather) its savings cannot be measured, so the ≥ 15 % area is 0.
    Audits under Huangpu's rule (≥ 10,000 m² public buildings, every 5 years): O1, O2, H1 and
    G1 are covered (P1 has 5,000 m²); O1 was audited on 2022-05-01, due again 2027-05-01, so
    at the end of 2024 1 of 4 is within the interval (25.0 %) and 3 were never audited.
    """
    from carbonpeak.services.buildings.audits import import_audits
    from carbonpeak.services.buildings.retrofits import import_retrofits, measure

    with _world("sqlite", tmp_path) as w:
        proj = tmp_path / "projects.csv"
        proj.write_text(
            "code,entity_id,kind,name,measures,start_date,end_date,floor_area_m2,"
            "investment_10k_cny,claimed_savings_kwh,claimed_savings_fraction,status\n"
            "R1,O2,retrofit,豫园办公二节能改造,LED照明;冷机更换,2023-03-01,2023-06-30,20000,"
            "300,,0.18,completed\n", encoding="utf-8")
        import_retrofits(w.ws, proj, district="huangpu")
        measure(w.ws, "huangpu")
        audits = tmp_path / "audits.csv"
        audits.write_text("entity_id,kind,audit_date,auditor,findings,recommended_measures\n"
                          "O1,audit,2022-05-01,上海市节能监察中心,空调能耗偏高,冷机群控\n",
                          encoding="utf-8")
        import_audits(w.ws, audits, district="huangpu")
        wp = white_paper(w.ws, year=2024)
        assert wp["extra_sections"] == ["retrofits", "audits", "obligations", "commissioning",
                                        "rooftop_pv", "projects"]
        assert wp["projects"]["available"] is False  # no project registered (issue 20)
        assert "项目库中无项目" in wp["projects"]["reason_zh"]
        r = wp["retrofits"]
        assert r["available"] is True
        figures = {f["label_en"]: f["value"] for f in r["figures"]}
        assert figures["retrofitted floor area (cumulative)"] == 20_000
        assert figures["area with measured savings ≥ 15 %"] == 0
        assert figures["share of HP-10 target"] == pytest.approx(20_000 / 3_500_000 * 100)
        row = r["table"]["rows"][0]
        assert (row["code"], row["area"], row["claimed"]) == ("R1", 20_000, pytest.approx(18.0))
        assert row["measured"] is None
        assert row["g14"] == {"zh": "数据不足", "en": "insufficient data"}
        a = wp["audits"]
        assert a["available"] is True
        assert "规则覆盖4栋，周期内已审计1栋（25.0%），逾期0栋，从未审计3栋" in a["text_zh"]
        # no hourly electricity in a ledger-only district: commissioning says why
        assert wp["commissioning"]["available"] is False
        assert "无逐时电表数据" in wp["commissioning"]["reason_zh"]
        html = whitepaper_html(wp, generated=WHEN)
        assert "累计完成既有建筑节能改造20,000平方米" in html
        assert "数据不足" in html
        en = whitepaper_html(wp, generated=WHEN, lang="en")
        assert "insufficient data" in en
        assert "数据不足" not in en


# -- the words and numbers of the white paper ---------------------------------------------------
def _blocks(context: dict[str, Any], chapter: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = next(
        ch for ch in context["chapters"] if ch["id"] == chapter)["blocks"]
    return blocks


def _tables(context: dict[str, Any], chapter: str) -> list[dict[str, Any]]:
    return [b for b in _blocks(context, chapter) if b["kind"] == "table"]


def test_buildings_over_their_constraint_show_the_reduction_needed(
        content: dict[str, Any]) -> None:
    wp = json.loads(json.dumps(content))
    # EUI 400 kWh/(m²·a) against a constraint of 200: (400 − 200) / 400 = 50 % to cut; on
    # 10,000 m² that is 200 × 10,000 = 2,000,000 kWh a year
    wp["public_buildings"]["over_constraint"] = [{
        "entity_id": "X1", "name": "某酒店", "street": "外滩街道", "building_type": "hotel",
        "eui": 400.0, "eui_unit": "kWh/(m2·a)", "constraint_value": 200.0,
        "excess_fraction": 0.5, "reduction_required": 2_000_000.0,
        "quota_label_zh": "四星级酒店", "quota_label_en": "4-star hotel"}]
    for lang, share, amount in (("zh", "需降低比例", "需降低量（年）"),
                                ("en", "Reduction needed", "Reduction needed a year")):
        table = _tables(whitepaper_context(wp, lang=lang), "public_buildings")[-1]
        labels = [h["label"] for h in table["head"]]
        assert labels[-2:] == [share, amount]
        assert "超出" not in labels
        assert "Over by" not in labels
        assert table["rows"][0]["cells"][-2:] == ["50.0%", "2,000,000 kWh"]


def test_target_values_are_printed_to_their_magnitude(content: dict[str, Any]) -> None:
    wp = json.loads(json.dumps(content))
    base = {"section": "", "indicator_zh": "碳达峰时间", "indicator_en": "carbon peak year",
            "comparator": "<=", "target_year": 2030, "target_text": "", "status": "on_track",
            "status_zh": "", "status_en": "", "value_year": 2024, "progress_pct": None,
            "reason_zh": "", "reason_en": "", "responsible_units": ""}
    wp["targets"]["rows"] = [
        {**base, "code": "Y1", "unit": "year", "target_value": 2030.0, "value": 2024.0},
        {**base, "code": "A1", "unit": "m2", "target_value": 3_500_000.0, "value": 92_210.0},
        {**base, "code": "C1", "unit": "次/5年 times per 5 years", "comparator": ">=",
         "target_value": 1.0,
         "value": 0.0068292564},
        {**base, "code": "P1", "unit": "%", "comparator": ">=", "target_value": 13.5,
         "value": 2.6345714}]
    for lang in ("zh", "en"):
        rows = {r["cells"][0]: r["cells"]
                for r in _tables(whitepaper_context(wp, lang=lang), "targets")[0]["rows"]}
        assert rows["Y1"][3] == "2024 (2024)"  # a year, never "2,024"
        assert rows["Y1"][2].endswith("≤ 2030")
        assert rows["A1"][3] == "92,210 m² (2024)"
        assert rows["P1"][2].endswith("≥ 13.5%")
        assert rows["P1"][3] == "2.635% (2024)"
        # four significant figures, the unit in the edition's language
        unit = "次/5年" if lang == "zh" else "times per 5 years"
        sep = "" if lang == "zh" else " "
        assert rows["C1"][3] == f"0.006829{sep}{unit} (2024)"
        assert rows["C1"][2].endswith(f"≥ 1{sep}{unit}")


def test_lmdi_and_trends_say_which_way_emissions_moved(content: dict[str, Any]) -> None:
    zh, en = (whitepaper_context(content, lang=lang) for lang in ("zh", "en"))
    lmdi = content["lmdi"]
    assert lmdi["available"]
    # the account: 3,777.14628 → 3,575.54628 t, −201.6 t (module docstring); the sentence
    # says "fell by" with the amount, not "a change of −201.6"
    delta = lmdi["delta_tco2"]
    assert delta < 0
    text_zh = _blocks(zh, "lmdi")[0]["text"]
    text_en = _blocks(en, "lmdi")[0]["text"]
    assert f"减少{number(-delta)}吨" in text_zh
    assert f"fell by {number(-delta)} t" in text_en
    assert "变化-" not in text_zh
    assert "变为" not in text_zh
    base, target = number(lmdi["co2_base_tco2"]), number(lmdi["co2_target_tco2"])
    assert f"由{base}吨降至{target}吨（下降" in text_zh
    # the percent worked from the printed values
    printed = [float(x.replace(",", "")) for x in (base, target)]
    pct = f"{abs(100 * (printed[1] - printed[0]) / printed[0]):.1f}"
    assert f"（下降{pct}%）" in text_zh
    assert f"(down {pct}%)" in text_en
    trend = _blocks(zh, "trends")[0]["text"]
    assert "变为" not in trend


def test_times_are_printed_in_beijing_time(content: dict[str, Any]) -> None:
    # WHEN is 2025-03-01 08:00 UTC = 16:00 in Beijing (UTC+8)
    zh = whitepaper_html(content, generated=WHEN)
    en = whitepaper_html(content, lang="en", generated=WHEN)
    assert "2025-03-01 16:00 北京时间" in zh
    assert "2025-03-01 16:00 UTC+8" in en
    # the account run's time too (stored in UTC)
    created = dt.datetime.fromisoformat(str(content["run"]["created_at"]))
    local = (created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created).astimezone(
        dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M:%S") + " 北京时间" in zh
    # the engine is named in the method chapter, not on the cover
    cover = zh.split('<div class="contents">')[0]
    assert "duckdb" not in cover.lower()
    assert "核算引擎" in zh


def test_the_context_is_built_once_per_content_and_language(
        content: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML and PDF editions of one content draw their charts once; a changed content or
    another language is built anew, and each caller gets its own copy."""
    from carbonpeak.publish.whitepaper import document

    drawn: list[int] = []
    svg = charts.svg
    monkeypatch.setattr(charts, "svg", lambda fig: drawn.append(1) or svg(fig))
    monkeypatch.setattr(document, "_CONTEXTS", type(document._CONTEXTS)())
    first = document.whitepaper_context(content, lang="zh")
    charts_drawn = len(drawn)
    assert charts_drawn > 0
    second = document.whitepaper_context(content, lang="zh")
    assert len(drawn) == charts_drawn  # kept: no chart drawn again
    assert second == first
    assert second is not first
    second["chapters"].clear()  # a caller's change does not reach the kept context
    assert document.whitepaper_context(content, lang="zh")["chapters"] == first["chapters"]
    document.whitepaper_context(content, lang="en")
    assert len(drawn) == 2 * charts_drawn  # another language: drawn for it
    changed = json.loads(json.dumps(content))
    changed["year"] = content["year"] + 1
    assert document.whitepaper_context(changed, lang="zh")["year"] == content["year"] + 1
    assert len(drawn) == 3 * charts_drawn


def _chapter_html(page: str, cid: str) -> str:
    """One chapter's HTML (``<section … id="cid">`` to the next section)."""
    return page.split(f'id="{cid}"', 1)[1].split("<section", 1)[0]


def test_the_edition_names_its_office_and_says_what_was_not_done(
        content: dict[str, Any]) -> None:
    zh = whitepaper_html(content, generated=WHEN)
    cover = zh.split('<div class="contents">')[0]
    # the cover names the issuing office, from the profile's [whitepaper] table
    office = content["edition"]["issuing_office_zh"]
    assert office == "上海市黄浦区发展和改革委员会"
    assert f"<th>发布单位</th><td>{office}</td>" in cover
    # a chapter without data says so, never that a platform module is not online
    assert "本年度未开展需求响应工作。" in _chapter_html(zh, "demand_response")
    for said in ("尚未上线", "模块接入", "not yet in service"):
        assert said not in zh
    # the software version is in the method chapter only: not on the cover, not in the footer
    body = zh.split("<body", 1)[1]
    version = f"carbonpeak {__version__}"
    assert body.count(version) == 1
    assert version in _chapter_html(zh, "method")
    # the setting leaves such chapters out
    omitted = whitepaper_html({**content, "edition": {**content["edition"],
                                                      "empty_chapters": "omit"}},
                              generated=WHEN)
    assert 'id="demand_response"' not in omitted
    assert "本年度未开展" not in omitted
    assert 'id="renewables"' in omitted  # a chapter with data stays


def test_the_peak_chapter_never_contradicts_the_c40_status(content: dict[str, Any]) -> None:
    peak = content["peak"]
    assert peak["available"]
    plan = peak["scenarios"]["plan"]
    assert plan["peaked_within_horizon"]

    def chapter(p: dict[str, Any]) -> str:
        return _chapter_html(whitepaper_html({**content, "peak": p}, generated=WHEN), "peak")

    text = chapter(peak)
    if peak["c40"]["status"] == "peaked":
        assert f"已于{peak['c40']['peak_year']}年达峰" in text
    else:  # the data do not confirm a peak: the scenario's peak year is a projection
        assert "现有历史数据尚不能确认全区二氧化碳排放已经达峰" in text
        assert f"的最高值为{plan['peak_year']}年的" in text
        assert "这是情景预测的达峰年份，不是已由数据确认的峰值" in text
    # a peak the data confirm, higher than anything the scenario projects: one peak
    year = int(plan["peak_year"]) - 1
    high = {**peak, "c40": {**peak["c40"], "status": "peaked", "peak_year": year,
                            "peak_tco2": 10 * float(plan["peak_tco2"])}}
    text = chapter(high)
    assert f"历史数据确认全区二氧化碳排放已于{year}年达峰" in text
    assert f"此后排放不再超过{year}年的峰值" in text
    assert "将于" not in text
    # the scenario projects more than the confirmed peak: said as a risk to that peak
    low = {**high, "c40": {**high["c40"], "peak_tco2": 0.5 * float(plan["peak_tco2"])}}
    text = chapter(low)
    assert f"高于{year}年的峰值；若如此，{year}年的峰值将不再成立" in text
