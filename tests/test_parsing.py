"""Chinese-friendly parsing (issue 16): one table of typed inputs, read by the rules that files,
feeds and forms share, and one Chinese-written ledger sent as an .xlsx file and as a JSON feed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import render
from carbonpeak.intake.feeds import ingest_ledger
from carbonpeak.intake.formats.excel import cell_text
from carbonpeak.intake.formats.parsing import EntityDirectory, parse_field
from carbonpeak.intake.formats.templates import write_template
from carbonpeak.intake.imports import import_file
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import LakeFile, LedgerRemark
from carbonpeak.vocabulary import LakeFileStatus
from tests.conftest import write

ENTITIES = EntityDirectory({"HP-B0003": "商务大厦", "HP-B0004": "滨江酒店",
                            "HP-B0005": "金融中心", "HP-B0006": "金融中心"})
STREETS = {"外滩街道": 1, "the bund": 1, "南京东路街道": 2, "nanjing east road": 2}


def refused(code: str, suggestion: str | None = None) -> tuple[str, str | None]:
    return (code, suggestion)


# (kind, column, typed text, context, expected value or refused(code, suggestion))
CASES: list[tuple[str, str, str, dict[str, str], Any]] = [
    # periods
    ("ledger", "period", "2025-02", {}, "2025-02"),
    ("ledger", "period", "2025-2", {}, "2025-02"),
    ("ledger", "period", "2025年2月", {}, "2025-02"),
    ("ledger", "period", "2025年02月份", {}, "2025-02"),
    ("ledger", "period", "２０２５年２月", {}, "2025-02"),
    ("ledger", "period", "2025/01", {}, "2025-01"),
    ("ledger", "period", "2025.1", {}, "2025-01"),
    ("ledger", "period", "2025.10", {}, "2025-10"),
    ("ledger", "period", "202501", {}, "2025-01"),
    ("ledger", "period", "2025年13月", {}, refused("intake.period.invalid")),
    ("ledger", "period", "202513", {}, refused("intake.period.invalid")),
    ("ledger", "period", "2025-00", {}, refused("intake.period.invalid")),
    ("ledger", "period", "25年2月", {}, refused("intake.period.invalid")),
    ("ledger", "period", "#number:2025.1", {}, refused("intake.period.number_cell")),
    # amounts: the one number rule, full-width digits, 万 and 亿
    ("ledger", "quantity", "1,200", {"unit": "kWh"}, 1200.0),
    ("ledger", "quantity", "12,000.5", {"unit": "kWh"}, 12000.5),
    ("ledger", "quantity", "3.5万", {"unit": "kWh"}, 35000.0),
    ("ledger", "quantity", "2亿", {"unit": "kWh"}, 2e8),
    ("ledger", "quantity", "１２３", {"unit": "kWh"}, 123.0),
    ("ledger", "quantity", "１，２００．５", {"unit": "kWh"}, 1200.5),
    ("ledger", "quantity", "1,5", {"unit": "kWh"}, refused("intake.cell.comma_decimal")),
    ("ledger", "quantity", "1,20", {"unit": "kWh"}, refused("intake.cell.comma_decimal")),
    ("ledger", "quantity", "12,0000", {"unit": "kWh"}, refused("intake.cell.comma_decimal")),
    ("ledger", "quantity", "1_000", {"unit": "kWh"}, refused("intake.cell.not_number")),
    ("ledger", "quantity", "abc万", {"unit": "kWh"}, refused("intake.cell.not_number")),
    ("ledger", "quantity", "nan", {"unit": "kWh"}, refused("intake.cell.not_number")),
    # 万 in a quantity whose unit already counts in 万: refused, never multiplied twice
    ("ledger", "quantity", "3.5万", {"unit": "万kWh"}, refused("intake.amount.scaled_twice")),
    ("ledger", "quantity", "3.5", {"unit": "万千瓦时"}, 3.5),
    ("ledger", "quantity", "2亿", {"unit": "万kWh"}, refused("intake.amount.scaled_twice")),
    ("statistics", "gdp_10k_cny", "3.5万", {}, refused("intake.amount.scaled_twice")),
    ("statistics", "gdp_10k_cny", "350", {}, 350.0),
    ("statistics", "population", "66.2万", {}, 662000.0),
    ("statistics", "year", "2025年", {}, 2025),
    ("statistics", "year", "２０２５", {}, 2025),
    # units, checked against the carrier
    ("ledger", "unit", "度", {"carrier": "electricity"}, "kwh"),
    ("ledger", "unit", "千瓦时", {"carrier": "electricity"}, "kwh"),
    ("ledger", "unit", "公升", {"carrier": "diesel"}, "l"),
    ("ledger", "unit", "升", {"carrier": "gasoline"}, "l"),
    ("ledger", "unit", "方", {"carrier": "natural_gas"}, "m³"),
    ("ledger", "unit", "立方米", {"carrier": "natural_gas"}, "m³"),
    ("ledger", "unit", "方", {"carrier": "electricity"}, refused("intake.unit.wrong_dimension")),
    ("ledger", "unit", "公升", {"carrier": "natural_gas"},
     refused("intake.unit.liquid_volume")),
    ("ledger", "unit", "斤", {"carrier": "diesel"}, refused("intake.unit.unknown")),
    # carriers by code, catalogue label (Chinese or English) or synonym
    ("ledger", "carrier", "天然气", {}, "natural_gas"),
    ("ledger", "carrier", "电力", {}, "electricity"),
    ("ledger", "carrier", "电", {}, "electricity"),
    ("ledger", "carrier", "Natural gas", {}, "natural_gas"),
    ("ledger", "carrier", "ｅｌｅｃｔｒｉｃｉｔｙ", {}, "electricity"),
    ("ledger", "carrier", "液化石油气", {}, "lpg"),
    ("ledger", "carrier", "天燃气", {}, refused("intake.cell.not_one_of_suggest", "天然气")),
    ("ledger", "carrier", "natual_gas", {},
     refused("intake.cell.not_one_of_suggest", "natural_gas")),
    ("ledger", "carrier", "煤炭", {}, refused("intake.cell.not_one_of")),
    # entities by code, exact name, or the template's "code 名称"
    ("ledger", "entity_id", "HP-B0003", {}, "HP-B0003"),
    ("ledger", "entity_id", "HP-B0003 商务大厦", {}, "HP-B0003"),
    ("ledger", "entity_id", "商务大厦", {}, "HP-B0003"),
    ("ledger", "entity_id", "ＨＰ-Ｂ0003", {}, "HP-B0003"),
    ("ledger", "entity_id", "HP-B003", {},
     refused("intake.entity.unknown_suggest", "HP-B0003 商务大厦")),
    ("ledger", "entity_id", "商务大夏", {},
     refused("intake.entity.unknown_suggest", "HP-B0003 商务大厦")),
    ("ledger", "entity_id", "金融中心", {}, refused("intake.entity.ambiguous_name")),
    ("ledger", "entity_id", "HP-B0003 滨江酒店", {},
     refused("intake.entity.name_mismatch", "HP-B0003 商务大厦")),
    ("ledger", "entity_id", "完全无关的单位", {}, refused("intake.cell.unregistered_entity")),
    # streets
    ("entities", "street", "外滩街道", {}, 1),
    ("entities", "street", "The Bund", {}, 1),
    ("entities", "street", "外滩街", {}, refused("intake.cell.not_a_street_suggest", "外滩街道")),
    ("entities", "street", "the bunt", {},
     refused("intake.cell.not_a_street_suggest", "外滩街道")),
    ("entities", "street", "火星", {}, refused("intake.cell.not_a_street")),
    # other closed lists
    ("entities", "kind", "楼宇", {}, "building"),
    ("entities", "building_type", "写字楼", {}, "office"),
    ("entities", "building_type", "政府机关", {}, "government"),
]


@pytest.mark.parametrize(("kind", "column", "text", "context", "expected"), CASES,
                         ids=[f"{c[1]}:{c[2]}:{c[3].get('unit') or c[3].get('carrier', '')}"
                              for c in CASES])
def test_a_typed_value_is_read_or_refused_with_a_reason(kind, column, text, context, expected):
    got = parse_field(kind, column, text, entities=ENTITIES, streets=STREETS, **context)
    if not isinstance(expected, tuple):
        assert not isinstance(got, RowError), got.text("zh")
        assert got == expected
        assert type(got) is type(expected)
        return
    code, suggestion = expected
    assert isinstance(got, RowError)
    assert (got.code, got.params.get("suggestion")) == (code, suggestion)
    assert (got.column, got.value) == (column, text)
    zh, en = render(got.msg, "zh"), render(got.msg, "en")
    assert zh != en
    if suggestion is not None:
        assert suggestion in zh
        assert suggestion in en
        # a suggestion is a value the same rules accept, never one applied in its place
        again = parse_field(kind, column, suggestion, entities=ENTITIES, streets=STREETS,
                            **context)
        assert not isinstance(again, RowError), again.text("zh")


def test_a_period_typed_as_a_spreadsheet_number_is_read_only_when_it_is_whole():
    # 2025.10 typed into a number cell is stored as 2025.1: January or October cannot be told
    assert parse_field("ledger", "period", cell_text(2025.1, "period")).code == \
        "intake.period.number_cell"
    assert parse_field("ledger", "period", cell_text(202510.0, "period")) == "2025-10"
    assert parse_field("ledger", "period", cell_text(dt.date(2025, 10, 1), "period")) == \
        "2025-10"


def test_a_scaled_amount_in_a_column_counted_in_wan_is_refused_with_the_number_to_write():
    for text, plain in (("3.5万", "3.5"), ("2亿", "20000"), ("１.５亿", "15000")):
        got = parse_field("ledger", "quantity", text, unit="万kWh")
        assert isinstance(got, RowError)
        assert got.params["plain"] == plain


def test_the_ambiguous_name_lists_every_entity_holding_it():
    got = parse_field("ledger", "entity_id", "金融中心", entities=ENTITIES)
    assert isinstance(got, RowError)
    assert got.params["candidates"] == "HP-B0005 金融中心, HP-B0006 金融中心"


# -- one Chinese-written ledger: as an .xlsx file and as a JSON feed ---------------------------
ROWS = [  # as a person writes them in the template (entity from its drop-down list)
    ("K1 测试大厦", "2024年3月", "电力", "1.2万", "度", "三月含空调调试"),
    ("测试大厦", "2024/04", "天然气", "1,200", "方", None),
    ("K1", "２０２４.５", "柴油", "３５０", "公升", None),
    ("K1 测试大厦", "202406", "电", "0.8", "万千瓦时", None),
]
EXPECTED = [  # entity_id, period, carrier, quantity, unit
    ("K1", "2024-03", "electricity", 12000.0, "kwh"),
    ("K1", "2024-04", "natural_gas", 1200.0, "m³"),
    ("K1", "2024-05", "diesel", 350.0, "l"),
    ("K1", "2024-06", "electricity", 0.8, "万kwh"),
]
REGISTER = ("entity_id,name,kind,street,building_type,floor_area_m2\n"
            "K1,测试大厦,building,外滩街道,office,\"1.2万\"\n"
            "K2,测试公司,enterprise,,,\n")


def _stored_ledger(ws) -> list[tuple[Any, ...]]:
    """The live ledger rows of the lake."""
    with ws.registry.session() as s:
        live = list(s.scalars(select(LakeFile.path).where(
            LakeFile.dataset == "ledger", LakeFile.status == LakeFileStatus.LIVE)))
    rows = [r for f in live for r in pq.read_table(ws.lake.root / f).to_pylist()]
    return sorted((r["entity_id"], r["period"], r["carrier"], r["quantity"], r["unit"])
                  for r in rows)


def test_a_chinese_ledger_as_xlsx_and_as_json_feed_stores_the_same_rows(ws, tmp_path):
    import_file(ws, "entities", write(tmp_path, "e.csv", REGISTER))
    template = write_template("ledger", tmp_path / "t.xlsx", streets=["外滩街道"],
                              entities=[("K1", "测试大厦"), ("K2", "测试公司")])
    wb = load_workbook(template)
    sheet = wb.worksheets[0]
    headers = [c.value for c in sheet[2]]
    for r, row in enumerate(ROWS, start=3):
        cells = dict(zip(("entity_id", "period", "carrier", "quantity", "unit", "note"), row,
                         strict=True))
        for col, value in cells.items():
            sheet.cell(row=r, column=headers.index(col) + 1, value=value)
    wb.save(template)
    as_file = import_file(ws, "ledger", template)
    assert as_file.status == "committed", as_file.messages
    assert _stored_ledger(ws) == EXPECTED
    assert _remarks(ws) == [("K1", "2024-03", "electricity", "三月含空调调试")]

    # the same rows, in Chinese, through the JSON feed: read alike, they change nothing
    body = [dict(zip(("主体编号", "月份", "能源品种", "数量", "单位", "备注"), row, strict=True))
            for row in ROWS]
    admin = Principal(0, "parse-test", "district_admin", "huangpu")
    as_feed = ingest_ledger(ws, admin, json.dumps(body).encode(), "application/json")
    assert (as_feed.status, as_feed.rejected, as_feed.rows) == ("no_change", 0, len(EXPECTED))
    assert (as_feed.added, as_feed.updated) == (0, 0)
    assert _stored_ledger(ws) == EXPECTED
    # one quantity written otherwise ("1.3万" for "1.2万") is a change the feed does make
    body[0]["数量"] = "1.3万"
    changed = ingest_ledger(ws, admin, json.dumps(body).encode(), "application/json")
    assert changed.status == "committed", changed.messages
    assert _stored_ledger(ws)[0] == ("K1", "2024-03", "electricity", 13000.0, "kwh")
    assert _remarks(ws) == [("K1", "2024-03", "electricity", "三月含空调调试")]  # kept once
    # a feed names no entity it may not write, and suggests one of its own
    typo = [dict(body[0], 主体编号="测试大夏", 月份="2024-07"), dict(body[0], 月份="2024-07")]
    refused_ = ingest_ledger(ws, admin, json.dumps(typo).encode(), "application/json")
    assert [(e.code, e.params.get("suggestion")) for e in refused_.errors] == [
        ("intake.feed.not_writable_entity_suggest", "K1 测试大厦")]


def _remarks(ws) -> list[tuple[str, ...]]:
    with ws.registry.session() as s:
        return [tuple(r) for r in s.execute(select(
            LedgerRemark.entity_id, LedgerRemark.period, LedgerRemark.carrier,
            LedgerRemark.note).order_by(LedgerRemark.id))]


def test_a_ledger_file_with_typos_is_refused_with_suggestions(ws, tmp_path):
    import_file(ws, "entities", write(tmp_path, "e.csv", REGISTER))
    path = write(tmp_path, "l.csv", """
        主体编号,月份,能源品种,数量,单位
        K1 测试大厦,2024年13月,电力,100,度
        测试大夏,2024-03,天燃气,"1,5",方
        K1,2024-04,电力,3.5万,万kWh
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "ledger", path)
    got = sorted((e.row, e.column, e.code, e.params.get("suggestion")) for e in exc.value.errors)
    assert got == [
        (2, "period", "intake.period.invalid", None),
        (3, "carrier", "intake.cell.not_one_of_suggest", "天然气"),
        (3, "entity_id", "intake.entity.unknown_suggest", "K1 测试大厦"),
        (3, "quantity", "intake.cell.comma_decimal", None),
        (4, "quantity", "intake.amount.scaled_twice", None),
    ]
    assert all("Did you mean" not in e.text("zh") for e in exc.value.errors)


def test_the_ledger_template_offers_code_and_name_of_the_scope_only(tmp_path):
    path = write_template("ledger", tmp_path / "t.xlsx",
                          entities=[("HP-B0003", "商务大厦"), ("HP-B0004", "滨江酒店")])
    wb = load_workbook(path)
    lists = wb["lists"]
    columns = {c.value: i for i, c in enumerate(lists[1], start=1)}
    entity_list = [lists.cell(row=r, column=columns["entity"]).value
                   for r in range(2, lists.max_row + 1)]
    assert [v for v in entity_list if v] == ["HP-B0003 商务大厦", "HP-B0004 滨江酒店"]
    carriers = [lists.cell(row=r, column=columns["carrier"]).value
                for r in range(2, lists.max_row + 1)]
    assert "天然气" in carriers
    assert "natural_gas" not in carriers
    data = wb.worksheets[0]
    assert [c.value for c in data[2]] == ["entity_id", "period", "carrier", "quantity", "unit",
                                          "note"]
    rules = {str(dv.sqref).split(":")[0]: dv.formula1
             for dv in data.data_validations.dataValidation}
    letter = chr(ord("A") + columns["entity"] - 1)
    assert rules["A3"] == f"'lists'!${letter}$2:${letter}$3"  # the two entities, no more


def test_a_template_scope_lists_a_streets_entities_or_an_entity_and_its_buildings():
    from carbonpeak.cli.data import _scope  # noqa: PLC0415

    rows = [("E1", "甲公司", None, None), ("B1", "甲公司一号楼", "E1", "外滩街道"),
            ("B2", "乙大厦", None, "外滩街道"), ("B3", "丙大厦", None, "南京东路街道"),
            ("B4", "甲公司二号楼", "E1", "南京东路街道")]
    assert _scope(rows, "外滩街道", None) == [("B1", "甲公司一号楼"), ("B2", "乙大厦")]
    assert _scope(rows, None, "E1") == [("E1", "甲公司"), ("B1", "甲公司一号楼"),
                                        ("B4", "甲公司二号楼")]
    assert len(_scope(rows, None, None)) == len(rows)
