"""Parsing and exporting under nonsense (issue 22, Medium 4, 5, 10): one number rule for every
file and feed, control characters refused at intake and stripped from exports, and spreadsheets
bounded before they are read."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from carbonpeak.errors import InputValidationError
from carbonpeak.intake.feeds import ingest_ledger, ingest_readings
from carbonpeak.intake.formats.numbers import NUMBER_SQL, number_series, parse_number
from carbonpeak.intake.imports import import_file
from carbonpeak.services.buildings.audits import import_audits
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace
from tests.conftest import write

ADMIN = Principal(0, "hardening-test", "district_admin", "huangpu")
ENTITIES = ("entity_id,name,kind,street,building_type,floor_area_m2\n"
            "H1,甲楼,building,外滩街道,office,12000\n")
METERS = "meter_id,entity_id,carrier,unit,register\nHM1,H1,electricity,kWh,interval\n"

# text → the number it is (None: not a number)
NUMBERS = {
    "12,000.5": 12000.5, "-1,000": -1000.0, "5": 5.0, " 5 ": 5.0, "-3.5e2": -350.0,
    "+5": 5.0, ".5": 0.5, "5.": 5.0, "1,5": None, "1,50": None, "1,500,0": None,
    "1_000": None, "0x10": None, "1 000": None, "nan": None, "inf": None, "Infinity": None,
    "1e400": None, "5e": None, "--5": None, "abc": None,
}


@pytest.fixture
def world(ws: Workspace, tmp_path: Path) -> Workspace:
    import_file(ws, "entities", write(tmp_path, "e.csv", ENTITIES))
    import_file(ws, "meters", write(tmp_path, "m.csv", METERS))
    return ws


def test_one_number_rule_in_python_pandas_and_sql():
    texts = list(NUMBERS)
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"v": texts}))
    sql = [r[0] for r in con.execute(
        f"SELECT {NUMBER_SQL.replace('{col}', 'v')} FROM t").fetchall()]
    series = number_series(pd.Series(texts)).tolist()
    for text, want, in_sql, in_pandas in zip(texts, NUMBERS.values(), sql, series,
                                             strict=True):
        assert parse_number(text) == want, text
        assert in_sql == want, text
        assert (None if pd.isna(in_pandas) else in_pandas) == want, text


@pytest.mark.parametrize("ctype", ["application/json", "text/csv"])
def test_one_comma_five_is_refused_by_the_feeds(world, ctype):
    if ctype == "application/json":
        readings = json.dumps([{"meter_id": "HM1", "ts": "2024-03-01T08:00", "value": "1,5"}])
        ledger = json.dumps([{"entity_id": "H1", "period": "2024-03", "carrier": "electricity",
                              "quantity": "1,5", "unit": "kWh"}])
    else:
        readings = 'meter_id,ts,value\nHM1,2024-03-01T08:00,"1,5"\n'
        ledger = 'entity_id,period,carrier,quantity,unit\nH1,2024-03,electricity,"1,5",kWh\n'
    r = ingest_readings(world, ADMIN, readings.encode(), ctype)
    lg = ingest_ledger(world, ADMIN, ledger.encode(), ctype)
    for res in (r, lg):
        assert (res.added, res.rejected) == (0, 1)
        assert [(e.row, e.value, e.code) for e in res.errors] == [
            (1, "1,5", "intake.cell.comma_decimal")]


def test_one_comma_five_is_refused_by_every_file(world, tmp_path):
    files = {
        "readings": 'meter_id,ts,value\nHM1,2024-03-01T08:00,"1,5"\n',
        "ledger": 'entity_id,period,carrier,quantity,unit\nH1,2024-03,electricity,"1,5",kWh\n',
        "entities": 'entity_id,name,kind,street,building_type,floor_area_m2\n'
                    'H2,乙楼,building,外滩街道,office,"1,5"\n',
        "targets": "id,indicator_zh,kind,target_year,target_value,unit\n"
                   'T9,示例指标,reduction_vs_baseline,2025,"1,5",%\n',
    }
    for kind, text in files.items():
        with pytest.raises(InputValidationError) as exc:
            import_file(world, kind, write(tmp_path, f"{kind}.csv", text))
        assert [(e.row, e.code) for e in exc.value.errors] == [
            (2, "intake.cell.comma_decimal")], kind
    with pytest.raises(InputValidationError) as exc:  # was stored as 15 tce
        import_audits(world, write(tmp_path, "a.csv",
                                   "entity_id,kind,audit_date,auditor,estimated_savings_tce\n"
                                   'H1,audit,2023-05-01,示例所,"1,5"\n'), district="huangpu")
    assert [(e.row, e.code) for e in exc.value.errors] == [(2, "intake.cell.comma_decimal")]


# -- control characters (Medium 5) ---------------------------------------------------------------
def test_a_control_character_is_refused_by_files_and_feeds(world, tmp_path):
    path = tmp_path / "e2.csv"  # not write(): splitlines() would break the line at U+000B
    path.write_text("entity_id,name,kind,street,building_type\nH3,丙\x0b楼,building,外滩街道,"
                    "office\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_file(world, "entities", path)
    assert [(e.row, e.column, e.value, e.code, e.params["char"]) for e in exc.value.errors] == [
        (2, "name", "丙<U+000B>楼", "intake.cell.control_character", "U+000B")]
    body = json.dumps([{"meter_id": "HM1", "ts": "2024-03-01T08:00", "value": "5\x0c"},
                       {"meter_id": "HM1", "ts": "2024-03-01T09:00", "value": "5"}])
    res = ingest_readings(world, ADMIN, body.encode(), "application/json")
    assert [(e.row, e.column, e.code) for e in res.errors] == [
        (1, "value", "intake.cell.control_character")]
    assert res.added == 1
    ledger = json.dumps([{"entity_id": "H1", "period": "2024-03", "carrier": "electricity",
                          "quantity": "5", "unit": "kW\x1fh"}])
    res = ingest_ledger(world, ADMIN, ledger.encode(), "application/json")
    assert [(e.row, e.column, e.code) for e in res.errors] == [
        (1, "unit", "intake.cell.control_character")]


def test_an_observation_source_with_a_control_character_is_refused():
    from pydantic import ValidationError

    from carbonpeak.api.routes.targets import ObservationIn

    ok = ObservationIn(observed_on="2024-01-01", value=1.0, source="统计局\n2024 年报")
    assert ok.source.startswith("统计局")
    with pytest.raises(ValidationError):
        ObservationIn(observed_on="2024-01-01", value=1.0, source="统计局\x0b")


def test_xlsx_exports_escape_the_control_characters_older_data_holds(tmp_path):
    from openpyxl import load_workbook

    from carbonpeak.api.responses import table_response
    from carbonpeak.errors import RowError
    from carbonpeak.i18n import msg
    from carbonpeak.intake.formats.messages import write_error_report

    rows = [{"source": "统计局\x0b年报", "value": 1.5, "note": "=1+1\x01"}]
    answer = table_response(rows, "xlsx", "observations")
    path = tmp_path / "o.xlsx"
    path.write_bytes(answer.body)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[2]] == ["统计局<U+000B>年报", 1.5, "'=1+1<U+0001>"]
    assert sheet["C2"].data_type == "s"  # text, never a formula
    report = write_error_report([RowError("a.csv", 2, "name", "甲\x0b", msg(
        "intake.cell.required"))], tmp_path / "errors.xlsx")
    assert load_workbook(report).active["E2"].value == "甲<U+000B>"


# -- spreadsheets bounded before they are read (Medium 10) --------------------------------------
def _xlsx(path: Path, cells: dict[tuple[int, int], object], *,
          dimension: str | None = None) -> Path:
    """A workbook with one sheet 台账 holding ``cells`` ((row, column) → value); ``dimension``
    replaces the range the sheet declares (a crafted file)."""
    import re
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "台账"
    for (r, c), v in cells.items():
        sheet.cell(row=r, column=c, value=v)
    wb.save(path)
    if dimension is not None:
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        assert "<dimension " in xml
        parts["xl/worksheets/sheet1.xml"] = re.sub(
            r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml).encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)
    return path


LEDGER_HEAD = {(1, i + 1): h for i, h in enumerate(
    ["entity_id", "period", "carrier", "quantity", "unit"])}
LEDGER_ROW = {(2, 1): "H1", (2, 2): "2024-03", (2, 3): "electricity", (2, 4): 5, (2, 5): "kWh"}


@pytest.mark.parametrize(("case", "cells", "dimension", "what"), [
    ("sparse cell at XFD", {(3, 16384): "x"}, None, "columns"),
    ("declared A1:XFD1048576", {}, "A1:XFD1048576", "columns"),
    ("declared A1:E2000000", {}, "A1:E2000000", "dimension"),
    ("XFD hidden behind a small declared range", {(3, 16384): "x"}, "A1:E3", "columns"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_crafted_sheet_is_refused_naming_it_before_it_is_read(world, tmp_path, case, cells,
                                                                 dimension, what):
    path = _xlsx(tmp_path / "ledger.xlsx", {**LEDGER_HEAD, **LEDGER_ROW, **cells},
                 dimension=dimension)
    with pytest.raises(InputValidationError) as exc:
        import_file(world, "ledger", path)
    (e,) = exc.value.errors
    assert (e.code, e.sheet, e.params["sheet"]) == ("intake.excel.too_large", "台账", "台账")
    assert e.params["what"].code == f"intake.excel.what.{what}"
    assert "台账" in e.text("zh")
    assert "too large" in e.text("en")


def test_a_plain_sheet_still_imports(world, tmp_path):
    path = _xlsx(tmp_path / "ledger.xlsx", {**LEDGER_HEAD, **LEDGER_ROW})
    assert import_file(world, "ledger", path).added == 1


# -- GET /readings in the district's local time (Medium 7) --------------------------------------
def test_a_months_readings_export_is_whole(world, tmp_path):
    """March 2024 in Shanghai is 2024-02-29T16:00Z … 2024-03-31T16:00Z; its last 8 hours are
    stored in the partition of local month 2024-03 but are UTC 2024-03-31T08:00Z onwards, and the
    export of the month must hold all 31 × 24 of them."""
    from fastapi.testclient import TestClient

    from carbonpeak.api.app import create_app
    from carbonpeak.services.access.users import create_user, issue_token

    lines = ["meter_id,ts,value"] + [
        f"HM1,{(pd.Timestamp('2024-03-01') + pd.Timedelta(hours=h)):%Y-%m-%dT%H:%M:%S},1"
        for h in range(31 * 24)]
    # and the hours just outside the month on both sides (not part of the export)
    lines += ["HM1,2024-02-29T23:00:00,1", "HM1,2024-04-01T00:00:00,1"]
    path = tmp_path / "march.csv"
    path.write_text("\n".join(lines) + "\n")
    import_file(world, "readings", path)
    create_user(world, "analyst", "district_analyst", district="huangpu")
    token = issue_token(world, "analyst").token
    client = TestClient(create_app(workspace=world))
    r = client.get("/api/v1/readings", params={
        "meter_id": "HM1", "start": "2024-03-01", "end": "2024-04-01", "format": "csv",
        "limit": 5000}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    rows = r.text.strip().splitlines()[1:]
    assert len(rows) == 31 * 24
    assert rows[0].startswith("2024-02-29T16:00:00Z")
    assert rows[-1].startswith("2024-03-31T15:00:00Z")
    # with an offset the bounds are what they say
    utc = client.get("/api/v1/readings", params={
        "meter_id": "HM1", "start": "2024-03-31T08:00:00Z", "end": "2024-04-01T00:00:00Z",
        "limit": 5000}, headers={"Authorization": f"Bearer {token}"}).json()
    assert [x["ts"] for x in utc["items"]][:1] == ["2024-03-31T08:00:00Z"]
    assert len(utc["items"]) == 9  # 08:00Z … 15:00Z, and 16:00Z = April 1 00:00 local
