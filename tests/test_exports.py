"""The report-ready xlsx exports of the list routes (``format=xlsx&lang=zh|en``), read back
with openpyxl against the same routes' JSON: headers with units in each language, numbers
rounded as the dashboard shows them (with the matching number format), codes as their
catalogue labels, the 说明 / About sheet (basis, as-of, account run, factor set), and the
caller's scope (a street officer's and an entity manager's exports hold only their rows)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from carbonpeak.api.app import create_app
from carbonpeak.config import Settings
from carbonpeak.i18n import Lang, catalogue, render
from carbonpeak.intake.imports import import_file
from carbonpeak.publish.tables import TABLES, About, Col, Sheet, Table, cell_value, report_workbook
from carbonpeak.services.figures import round_value
from carbonpeak.storage.workspace import Workspace
from tests.conftest import demo_copy

PASSWORD = "carbonpeak-demo"  # the demo users' password  # noqa: S105


@dataclass
class Demo:
    clients: dict[str, TestClient] = field(default_factory=dict)
    ws: Workspace | None = None

    def get(self, who: str, path: str, **params: Any) -> Any:  # noqa: ANN401
        r = self.clients[who].get(path, params=params)
        assert r.status_code == 200, (path, r.text[:500])
        return r.json()

    def book(self, who: str, path: str, lang: str = "zh", **params: Any) -> Workbook:
        r = self.clients[who].get(path, params={**params, "format": "xlsx", "lang": lang})
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        return load_workbook(io.BytesIO(r.content))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The run's demo (SQLite) and clients signed in as an admin, a street officer and an
    entity manager."""
    home = demo_copy(tmp_path_factory, "exports-home").home
    ws = Workspace.open(Settings(home=home), actor="test")
    try:
        app = create_app(workspace=ws)
        d = Demo(ws=ws)
        for who in ("admin", "street_waitan", "manager"):
            c = TestClient(app)
            r = c.post("/api/v1/auth/login", json={"username": who, "password": PASSWORD})
            assert r.status_code == 200, r.text
            d.clients[who] = c
        yield d
    finally:
        ws.close()


def _table(ws: Worksheet) -> tuple[list[str], list[tuple[Any, ...]], list[list[str]]]:
    """Header, value rows and number formats of a sheet."""
    rows = list(ws.iter_rows())
    head = [str(c.value) for c in rows[0]]
    return (head, [tuple(c.value for c in r) for r in rows[1:]],
            [[c.number_format for c in r] for r in rows[1:]])


def _about(wb: Workbook, lang: Lang = "zh") -> dict[str, Any]:
    sheet = wb[render("export.about.sheet", lang)]
    return {str(k): v for k, v in sheet.iter_rows(min_row=2, values_only=True)}


def _h(key: str, lang: Lang = "zh") -> str:
    return str(render(f"export.col.{key}", lang))


def _lbl(kind: str, code: str, lang: Lang = "zh") -> str:
    return str(render(f"label.{kind}.{code}", lang))


def test_every_column_has_a_header_in_both_languages() -> None:
    codes = catalogue()
    for t in TABLES.values():
        assert t.title.code in codes, t.name
        for c in t.columns:
            assert f"export.col.{c.key}" in codes, (t.name, c.key)
            if c.kind == "label":
                assert any(k.startswith(f"label.{c.vocab}.") for k in codes), c.vocab


def test_a_null_cell_stays_empty_and_is_not_totalled() -> None:
    """A value left out (no data, or suppressed for the caller's role) is an empty cell,
    never 0, and the total sums only what is shown."""
    col = Col("tco2", "number", None, total=True)
    assert cell_value(col, {"tco2": None}, "zh") is None
    assert cell_value(col, {"tco2": float("nan")}, "zh") is None
    t = Table("streets", (Col("street", source={"zh": "name_zh", "en": "name_en"}), col))
    data = report_workbook([Sheet(t, [{"name_zh": "甲", "tco2": 1234.6},
                                      {"name_zh": "乙", "tco2": None}])],
                           About(district="d", scope="s"), "zh")
    head, rows, fmts = _table(load_workbook(io.BytesIO(data))["街道对比"])
    assert head == [_h("street"), _h("tco2")]
    assert rows == [("甲", 1235), ("乙", None), ("合计", 1235)]
    assert fmts[0][1] == "#,##0"


def test_key_units(demo: Demo) -> None:
    """Chinese and English headers, the consolidated energy at the dashboard's one decimal,
    the warning level and building type as labels, and 说明 as the API's labels say."""
    js = demo.get("admin", "/api/v1/key-units", limit=500)
    wb = demo.book("admin", "/api/v1/key-units")
    head, rows, fmts = _table(wb.worksheets[0])
    assert wb.worksheets[0].title == "重点用能单位"
    assert wb.worksheets[0].freeze_panes == "A2"
    assert "合并综合能耗（等价值，吨标准煤）" in head
    assert "预警级别" in head
    i, lv, bt = (head.index(_h(k)) for k in ("tce_equal_consolidated", "warning_level",
                                             "building_type"))
    items = js["items"]
    assert len(rows) == len(items) + 1  # and the totals row
    for item, row, fmt in zip(items, rows, fmts, strict=False):
        assert row[0] == item["entity_id"]
        assert row[i] == round_value(item["tce_equal"], 1)
        assert fmt[i] == "#,##0.0"
        assert row[lv] == (_lbl("warning_level", item["warning_level"])
                           if item["warning_level"] else None)
        assert row[bt] == (_lbl("building_type", item["building_type"])
                           if item["building_type"] else None)
    assert rows[-1][0] == "合计"
    assert rows[-1][i] == round_value(sum(x["tce_equal"] or 0 for x in items), 1)
    about = _about(wb)
    # energy_label_zh: "核算口径 · 截至2024-12-31 · 核算第2次"
    assert about["口径"] == "核算口径；规划值"
    assert f"截至{about['截至']}" in js["energy_label_zh"]
    assert f"核算第{about['核算批次']}次" in js["energy_label_zh"]
    assert about["年度"] == js["year"]
    assert about["行政区"] == "黄浦区"
    assert about["数据范围"] == "全区"
    assert about["行数"] == len(items)

    en = demo.book("admin", "/api/v1/key-units", lang="en")
    head_en, rows_en, _ = _table(en.worksheets[0])
    assert en.worksheets[0].title == "Key units"
    assert "Consolidated energy, equal value (tce)" in head_en
    lv_en = head_en.index(_h("warning_level", "en"))
    assert [r[lv_en] for r in rows_en[:-1]] == [
        _lbl("warning_level", x["warning_level"], "en") if x["warning_level"] else None
        for x in items]
    assert rows_en[-1][0] == "Total"
    assert _about(en, "en")["Basis"] == "metered account; plan value"
    assert _about(en, "en")["District"] == "Huangpu District"


def test_streets_and_warnings(demo: Demo) -> None:
    """The streets comparison and the warnings (new exports): kgce/m² at one decimal, the
    change as a percentage, levels as labels ("yellow" → 黄色), run as the API's."""
    js = demo.get("admin", "/api/v1/dashboard/streets")
    wb = demo.book("admin", "/api/v1/dashboard/streets")
    head, rows, fmts = _table(wb.worksheets[0])
    k, ch, lv = (head.index(_h(x)) for x in ("kgce_per_m2", "change", "warning_level"))
    for item, row, fmt in zip(js["items"], rows, fmts, strict=False):
        assert row[0] == item["name_zh"]
        assert row[k] == round_value(item["kgce_per_m2"], 1)
        assert fmt[k] == "#,##0.0"
        assert row[ch] == round_value(item["change"], 3)
        assert fmt[ch] == "0.0%"
        assert row[lv] == _lbl("warning_level", item["warning_level"])
    assert "黄色" in [r[lv] for r in rows]
    assert _about(wb)["核算批次"] == js["account_run_id"]

    ws_js = demo.get("admin", "/api/v1/warnings", limit=500)["items"]
    wb = demo.book("admin", "/api/v1/warnings")
    head, rows, fmts = _table(wb.worksheets[0])
    assert head[:5] == [_h(x) for x in ("year", "metric", "scope_type", "scope_name",
                                        "level_text")]
    lv, pr, ra = (head.index(_h(x)) for x in ("level_text", "projected", "ratio"))
    assert len(rows) == len(ws_js)
    for item, row, fmt in zip(ws_js, rows, fmts, strict=True):
        assert row[0] == item["year"]
        assert fmt[0] == "0"
        assert row[lv] == _lbl("warning_level", item["level"])
        assert row[pr] == round_value(item["projected"], 0)
        assert fmt[pr] == "#,##0"
        assert row[ra] == round_value(item["ratio"], 3)
    about = _about(wb)
    # the run of the account's warnings (a project-pipeline warning has none)
    assert about["核算批次"] == next(x["account_run_id"] for x in ws_js if x["account_run_id"])
    mine = demo.get("street_waitan", "/api/v1/warnings", limit=500)["items"]
    assert 0 < len(mine) < len(ws_js)
    _, rows, _ = _table(demo.book("street_waitan", "/api/v1/warnings").worksheets[0])
    assert [r[3] for r in rows] == [x["scope_name"] for x in mine]
    csv = demo.clients["admin"].get("/api/v1/warnings", params={"format": "csv"})
    assert csv.status_code == 200
    assert csv.text.startswith("\ufeffid,district,year,metric")


def test_benchmarking_and_targets(demo: Demo) -> None:
    """Benchmarking: EUI at one decimal, building types as labels ("mall" → 商场), the run
    and factor set of the API; targets: progress at one decimal, the status as the API's."""
    js = demo.get("admin", "/api/v1/benchmarking", limit=500)
    wb = demo.book("admin", "/api/v1/benchmarking")
    head, rows, fmts = _table(wb.worksheets[0])
    e, bt = head.index(_h("eui_kgce_per_m2_equal")), head.index(_h("building_type"))
    for item, row, fmt in zip(js["items"], rows, fmts, strict=False):
        assert row[e] == round_value(item["eui_kgce_per_m2_equal"], 1)
        assert fmt[e] == "#,##0.0"
        assert row[bt] == _lbl("building_type", item["building_type"])
    if any(x["building_type"] == "mall" for x in js["items"]):
        assert "商场" in [r[bt] for r in rows]
    about = _about(wb)
    assert (about["核算批次"], about["排放因子集"], about["年度"]) == (
        js["account_run_id"], js["factor_set"], js["year"])

    tg = demo.get("admin", "/api/v1/targets")["items"]
    wb = demo.book("admin", "/api/v1/targets", lang="en")
    head, rows, fmts = _table(wb.worksheets[0])
    assert head[:3] == ["Code", "Section", "Indicator"]
    p, st, val = head.index("Progress (%)"), head.index("Status"), head.index("Value")
    assert len(rows) == len(tg)
    for item, row, fmt in zip(tg, rows, fmts, strict=True):
        assert row[0] == item["code"]
        assert row[2] == item["indicator_en"]
        assert row[p] == round_value(item["progress_pct"], 1)
        if item["progress_pct"] is not None:
            assert fmt[p] == "#,##0.0"
        assert row[st] == item["status_en"]
        v = item["value"]  # the targets page: 0, 2 or 4 decimals by size
        assert row[val] == (None if v is None else round_value(
            v, 0 if abs(v) >= 100 or v == 0 else 2 if abs(v) >= 1 else 4))


def test_readings_in_beijing_time(demo: Demo) -> None:
    # the manager's first meter with readings in the window (the demo also gives its
    # entity meters without them, e.g. a PV site's or a demand-response resource's)
    window = {"start": "2024-03-01", "end": "2024-03-03"}
    for m in demo.get("manager", "/api/v1/meters")["items"]:
        params = {"meter_id": m["meter_id"], **window}
        js = demo.get("manager", "/api/v1/readings", **params)["items"]
        if js:
            break
    head, rows, fmts = _table(demo.book("manager", "/api/v1/readings", **params).worksheets[0])
    assert head == [_h("ts"), _h("value"), _h("batch_id")]
    assert len(rows) == len(js) > 0
    first = dt.datetime.fromisoformat(js[0]["ts"].replace("Z", "+00:00"))
    assert rows[0][0] == first.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert rows[0][0] == dt.datetime(2024, 3, 1)  # local midnight
    assert rows[0][1] == round_value(js[0]["value"], 3)
    assert fmts[0][1] == "#,##0.000"


def test_entity_page_and_scope(demo: Demo) -> None:
    """The entity page's tables as sheets; an entity manager's exports hold only its entity,
    a street officer's only its street's rows."""
    me = demo.get("manager", "/api/v1/auth/me")["user"]["entities"]
    eid = me[0]
    page = demo.get("manager", f"/api/v1/dashboard/entities/{eid}")
    wb = demo.book("manager", f"/api/v1/dashboard/entities/{eid}")
    assert wb.sheetnames == ["月度分品种能耗", "分项计量", "主体计量表", "主体预警", "说明"]
    head, rows, _ = _table(wb["月度分品种能耗"])
    c, tce = head.index(_h("carrier")), head.index(_h("tce_equal"))
    for item, row in zip(page["monthly_by_carrier"], rows, strict=False):
        assert row[c] == _lbl("carrier", item["carrier"])
        assert row[tce] == round_value(item["tce_equal"], 0 if abs(item["tce_equal"]) >= 100
                                       else 1 if abs(item["tce_equal"]) >= 1 else 3)
    about = _about(wb)
    assert about["单位编号"] == eid
    assert about["名称"] == page["entity"]["name"]
    assert about["数据范围"] == f"单位：{'、'.join(sorted(me))}"
    other = demo.get("admin", "/api/v1/entities", limit=500)["items"]
    outside = next(x["entity_id"] for x in other if x["entity_id"] not in me)
    r = demo.clients["manager"].get(f"/api/v1/dashboard/entities/{outside}",
                                    params={"format": "xlsx"})
    assert r.status_code == 404

    _, rows, _ = _table(demo.book("manager", "/api/v1/entities").worksheets[0])
    assert [r[0] for r in rows] == [*sorted(me), "合计"]  # and the total floor area
    officer = demo.get("street_waitan", "/api/v1/entities", limit=500)["items"]
    assert 0 < len(officer) < len(other)
    _, rows, _ = _table(demo.book("street_waitan", "/api/v1/entities").worksheets[0])
    assert [r[0] for r in rows[:-1]] == [x["entity_id"] for x in officer]
    wb = demo.book("street_waitan", "/api/v1/dashboard/streets")
    _, rows, _ = _table(wb.worksheets[0])
    assert [r[0] for r in rows if r[0] != "合计"] == ["外滩街道"]
    assert _about(wb)["数据范围"] == "街道：外滩街道"


def test_ledger_remarks_on_the_entity_page_and_in_its_xlsx(demo: Demo,
                                                          tmp_path: Path) -> None:
    """A remark (备注) handed in with a ledger row shows on the entity's month row and in the
    monthly sheet of its workbook, in both editions; a later batch's remark replaces it."""
    me = demo.get("manager", "/api/v1/auth/me")["user"]["entities"]
    eid = me[0]
    before = demo.get("manager", f"/api/v1/dashboard/entities/{eid}")
    row = before["monthly_by_carrier"][0]
    assert all(r["remark"] is None for r in before["monthly_by_carrier"])
    assert demo.ws is not None
    for note in ("抄表日推迟至次月3日", "发票补录：含上月尾差"):
        path = tmp_path / f"ledger-{len(note)}.csv"
        path.write_text("entity_id,period,carrier,quantity,unit,备注\n"
                        f"{eid},{row['month']},{row['carrier']},{row['quantity']},"
                        f"{row['unit']},{note}\n", encoding="utf-8")
        import_file(demo.ws, "ledger", path, district="huangpu")
    page = demo.get("manager", f"/api/v1/dashboard/entities/{eid}")
    remarks = {(r["month"], r["carrier"]): r["remark"] for r in page["monthly_by_carrier"]}
    assert remarks[(row["month"], row["carrier"])] == "发票补录：含上月尾差"  # the newest
    assert sum(v is not None for v in remarks.values()) == 1
    wb = demo.book("manager", f"/api/v1/dashboard/entities/{eid}")
    head, rows, _ = _table(wb["月度分品种能耗"])
    m, c, rk = head.index(_h("month")), head.index(_h("carrier")), head.index("台账备注")
    noted = [r for r in rows if r[rk]]
    assert [(r[m], r[c], r[rk]) for r in noted] == [
        (row["month"], _lbl("carrier", row["carrier"]), "发票补录：含上月尾差")]
    en = demo.book("manager", f"/api/v1/dashboard/entities/{eid}", lang="en")
    head_en, rows_en, _ = _table(en.worksheets[0])
    assert "Ledger remark" in head_en
    assert [r[head_en.index("Ledger remark")] for r in rows_en if r[head_en.index(
        "Ledger remark")]] == ["发票补录：含上月尾差"]  # the user's own words, as written


def _has_cjk(v: Any) -> bool:  # noqa: ANN401 - a cell
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(v or ""))


def test_the_english_edition_has_no_chinese_rule_or_street(demo: Demo) -> None:
    """The English xlsx gives the key-unit rule in English and each street by its English
    name (benchmarking, audits), as the API's English names; the Chinese edition as before."""
    js = demo.get("admin", "/api/v1/key-units", limit=500)["items"]
    ruled = [x for x in js if x["key_unit_rule"]]
    assert ruled
    assert all(_has_cjk(x["key_unit_rule"]) and not _has_cjk(x["key_unit_rule_en"])
               for x in ruled)
    head, rows, _ = _table(demo.book("admin", "/api/v1/key-units", lang="en").worksheets[0])
    rule = head.index(_h("key_unit_rule", "en"))
    assert [r[rule] for r in rows[:-1]] == [x["key_unit_rule_en"] for x in js]
    head, rows, _ = _table(demo.book("admin", "/api/v1/key-units").worksheets[0])
    assert [r[head.index(_h("key_unit_rule"))] for r in rows[:-1]] == [
        x["key_unit_rule"] for x in js]
    streets = demo.get("admin", "/api/v1/streets", limit=500)["items"]
    english = {s["name_zh"]: s["name_en"] for s in streets}
    for path in ("/api/v1/benchmarking", "/api/v1/audits"):
        items = demo.get("admin", path, limit=500)["items"]
        assert any(x["street"] for x in items), path
        head, rows, _ = _table(demo.book("admin", path, lang="en").worksheets[0])
        st = head.index(_h("street", "en"))
        body = rows[:-1] if rows and rows[-1][0] == "Total" else rows
        assert [r[st] for r in body] == [english.get(x["street"], x["street"])
                                         for x in items], path
        assert not any(_has_cjk(r[st]) for r in body), path
