"""Excel and CSV as people fill them: templates, spreadsheets, bilingual error reports, quarantine.

The .xls fixture ``tests/data/ledger_title_row.xls`` was made once with xlwt 1.3.0 (installed
in a throwaway venv; xlwt is not a dependency)::

    import datetime as dt, xlwt
    wb = xlwt.Workbook(encoding="utf-8"); ws = wb.add_sheet("台账")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    ws.write_merge(0, 0, 0, 4, "2024年黄浦区月度能源台账")
    for c, h in enumerate(["主体编号", "月份", "能源品种", "数量", "单位"]): ws.write(1, c, h)
    ws.write(2, 0, "X1"); ws.write(2, 1, dt.date(2024, 1, 1), date); ws.write(2, 2, "电力")
    ws.write(2, 3, 12000.0); ws.write(2, 4, "kWh")
    ws.write(3, 0, "X1"); ws.write(3, 1, "2024-02"); ws.write(3, 2, "电力")
    ws.write(3, 3, "13,500.5"); ws.write(3, 4, "kWh")
    ws.write(4, 0, "X1"); ws.write(4, 1, dt.date(2024, 3, 15), date); ws.write(4, 2, "天然气")
    ws.write(4, 3, 1234.25); ws.write(4, 4, "m³")
    wb.save("tests/data/ledger_title_row.xls")
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from carbonpeak.cli import app
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg, render
from carbonpeak.intake.formats.csvfiles import read_import_file
from carbonpeak.intake.formats.messages import zh
from carbonpeak.intake.formats.templates import write_template
from carbonpeak.intake.imports import import_file
from carbonpeak.storage.registry.models import AuditLog, BatchRejection, Entity, IngestBatch, Meter
from carbonpeak.storage.workspace import Workspace
from tests.conftest import write

DATA = Path(__file__).parent / "data"
HUANGPU_STREETS = ["外滩街道", "南京东路街道"]  # two of the ten, checked in the drop-down list
runner = CliRunner()


def _xlsx(path: Path, rows: list[list[object]], *, title: str = "Sheet1",
          merge: str | None = None, before: dict[str, list[list[object]]] | None = None) -> Path:
    """A workbook with ``rows`` (row 1 first) on sheet ``title``; optional earlier sheets."""
    wb = openpyxl.Workbook()
    first = wb.active
    sheets = list((before or {}).items()) + [(title, rows)]
    for i, (name, content) in enumerate(sheets):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = name
        for row in content:
            ws.append(row)
    if merge:
        wb[title].merge_cells(merge)
    wb.save(path)
    return path


def _entities_csv(folder: Path) -> Path:
    return write(folder, "entities.csv", """
        entity_id,name,kind,street,building_type
        X1,甲大厦,building,外滩街道,office
    """)


def _live_ledger(ws: Workspace) -> list[tuple]:
    files = [str(p) for p in ws.lake.live_files("huangpu", "ledger")]
    if not files:
        return []
    return duckdb.connect().sql(
        f"SELECT entity_id, period, carrier, quantity, unit FROM read_parquet({files!r}) "
        "ORDER BY 2, 3").fetchall()


def _count(ws: Workspace, model: type) -> int:
    with ws.registry.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# -- templates ----------------------------------------------------------------------------
def test_entities_template_has_lists_headers_and_instructions(tmp_path):
    path = write_template("entities", tmp_path / "e.xlsx", streets=HUANGPU_STREETS,
                          district="黄浦区")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["用能主体 entities", "填写说明 Instructions", "lists"]
    assert wb["lists"].sheet_state == "hidden"
    data = wb["用能主体 entities"]
    assert [c.value for c in data[1]] == [
        "*主体编号", "*名称", "*主体类型", "所属街道", "建筑类型", "建筑面积（m²）", "纬度（°）",
        "经度（°）", "上级单位编号", "行业代码"]
    assert [c.value for c in data[2]] == [
        "entity_id", "name", "kind", "street", "building_type", "floor_area_m2", "lat", "lon",
        "parent_id", "sector_code"]
    assert data["A1"].font.b is True
    assert data.freeze_panes == "A3"
    rules = {str(dv.sqref): dv.formula1 for dv in data.data_validations.dataValidation}
    assert rules["C3:C5002"] == "'lists'!$A$2:$A$4"  # kind
    assert rules["D3:D5002"] == "'lists'!$C$2:$C$3"  # street
    assert rules["E3:E5002"] == "'lists'!$B$2:$B$10"  # building type
    lists = wb["lists"]
    assert [lists.cell(row=r, column=3).value for r in (1, 2, 3)] == ["street", "外滩街道",
                                                                       "南京东路街道"]
    assert [lists.cell(row=r, column=1).value for r in (2, 3, 4)] == ["建筑", "企业", "公共机构"]
    notes = [str(c.value) for row in wb["填写说明 Instructions"].iter_rows() for c in row
             if c.value is not None]
    assert notes[0] == "黄浦区 用能主体填报模板 — 填写说明 / Instructions: entities (buildings, " \
                       "enterprises, public institutions)"
    for column in ("entity_id", "floor_area_m2", "sector_code", "如何提交", "How to submit",
                   "carbonpeak import entities 文件名.xlsx", "外滩街道、南京东路街道",
                   "建筑 (building); 企业 (enterprise); 公共机构 (public_institution)"):
        assert column in notes


def test_unit_list_depends_on_the_carrier(tmp_path):
    wb = openpyxl.load_workbook(write_template("ledger", tmp_path / "l.xlsx"))
    data = wb["月度台账 ledger"]
    rules = {str(dv.sqref): dv.formula1 for dv in data.data_validations.dataValidation}
    assert rules["C3:C5002"] == "'lists'!$D$2:$D$10"
    assert rules["E3:E5002"] == (
        "OFFSET('lists'!$G$2,0,IFERROR(MATCH($C3,'lists'!$G$1:$O$1,0)-1,9),COUNTA(OFFSET("
        "'lists'!$G$2,0,IFERROR(MATCH($C3,'lists'!$G$1:$O$1,0)-1,9),20,1)),1)")
    lists = wb["lists"]
    heads = [lists.cell(row=1, column=c).value for c in range(7, 17)]
    assert heads == ["电力", "热力", "天然气", "柴油", "汽油", "煤油", "燃料油", "液化石油气",
                     "光伏发电量", "全部 all"]
    assert [lists.cell(row=r, column=9).value for r in (2, 3, 4)] == ["m³", "万m³", None]
    assert [lists.cell(row=r, column=7).value for r in range(2, 7)] == \
        ["Wh", "kWh", "MWh", "万kWh", "GWh"]


def test_templates_round_trip(ws, tmp_path):
    e_path = write_template("entities", tmp_path / "entities.xlsx", streets=HUANGPU_STREETS)
    wb = openpyxl.load_workbook(e_path)
    sheet = wb["用能主体 entities"]
    sheet.append(["T1", "测试大厦", "建筑", "外滩街道", "办公", 12000.5, 31.24, 121.49, None,
                  "L72"])
    sheet.append(["T2", "测试公司", "企业", None, None, None, None, None, "T1", None])
    wb.save(e_path)
    r = import_file(ws, "entities", e_path)
    assert (r.status, r.added, r.rows_rejected) == ("committed", 2, 0)
    with ws.registry.session() as s:
        t1, t2 = s.get(Entity, "T1"), s.get(Entity, "T2")
        assert (t1.kind, t1.building_type, t1.floor_area_m2, t1.sector_code) == \
            ("building", "office", 12000.5, "L72")
        assert (t2.kind, t2.parent_id) == ("enterprise", "T1")

    m_path = write_template("meters", tmp_path / "meters.xlsx", streets=HUANGPU_STREETS)
    wb = openpyxl.load_workbook(m_path)
    wb["计量表 meters"].append(["M1", "T1", "电力", "kWh", "空调", "累计", 80, 15, 99999])
    wb.save(m_path)
    assert import_file(ws, "meters", m_path).added == 1
    with ws.registry.session() as s:
        m = s.get(Meter, "M1")
        assert (m.carrier, m.unit, m.submeter, m.register, m.multiplier, m.interval_minutes,
                m.rollover_at) == ("electricity", "kwh", "hvac", "cumulative", 80.0, 15, 99999.0)

    l_path = write_template("ledger", tmp_path / "ledger.xlsx")
    wb = openpyxl.load_workbook(l_path)
    data = wb["月度台账 ledger"]
    data.append(["T1", "2024-01", "电力", "12,000", "万kWh"])
    data.append(["T1", dt.date(2024, 2, 1), "天然气", 1500.75, "m³"])
    wb.save(l_path)
    assert import_file(ws, "ledger", l_path).rows == 2
    assert _live_ledger(ws) == [("T1", "2024-01", "electricity", 12000.0, "万kwh"),
                                ("T1", "2024-02", "natural_gas", 1500.75, "m³")]


# -- reading spreadsheets -----------------------------------------------------------------
def test_merged_title_row_chinese_headers_numbers_as_text_and_numeric(ws, tmp_path):
    path = _xlsx(tmp_path / "主体.xlsx", [
        ["2024年黄浦区重点用能单位名录"],
        [],
        ["主体编号", "名称", "主体类型", "所属街道", "建筑类型", "建筑面积（m²）", "备注"],
        [12000.0, "数字编号大厦", "建筑", "外滩街道", "办公", "12,000.5", "x"],
        ["A2", "文本面积大厦", "建筑", "外滩", "酒店", "8000", None],
        ["A3", "数值面积大厦", "建筑", "外滩街道", "商场", 1234.5678901234, None],
        [None, None, None, None, None, None, None],
    ], title="名录", merge="A1:G1")
    pf = read_import_file(path, "entities")
    assert pf.sheet == "名录"
    assert pf.frame["_line"].tolist() == [4, 5, 6]
    assert pf.frame["entity_id"].tolist() == ["12000", "A2", "A3"]
    assert pf.frame["floor_area_m2"].tolist() == ["12,000.5", "8000", "1234.5678901234"]
    assert pf.ignored_columns == ["备注"]
    r = import_file(ws, "entities", path)
    assert r.added == 3
    assert render(r.messages[0], "en") == "ignored column(s) not in the contract: 备注"
    assert render(r.messages[0], "zh") == "已忽略不属于数据规范的列：备注"
    with ws.registry.session() as s:
        assert s.get(Entity, "12000").floor_area_m2 == 12000.5
        assert s.get(Entity, "A2").floor_area_m2 == 8000.0
        assert s.get(Entity, "A3").floor_area_m2 == 1234.5678901234


def test_english_headers_on_a_later_sheet(ws, tmp_path):
    path = _xlsx(tmp_path / "entities.xlsx", [
        ["entity_id", "name", "kind", "street", "building_type", "lat", "lon"],
        ["E1", "Bund Tower", "building", "The Bund", "office", 31.24, "121.49"],
    ], title="data", before={"cover": [["Huangpu entities, 2024"], ["see sheet data"]]})
    pf = read_import_file(path, "entities")
    assert (pf.sheet, pf.frame["_line"].tolist()) == ("data", [2])
    assert import_file(ws, "entities", path).added == 1
    with ws.registry.session() as s:
        assert (s.get(Entity, "E1").lat, s.get(Entity, "E1").lon) == (31.24, 121.49)


def test_xls_with_title_row_and_date_cells(ws, tmp_path):
    import_file(ws, "entities", _entities_csv(tmp_path))
    pf = read_import_file(DATA / "ledger_title_row.xls", "ledger")
    assert (pf.sheet, pf.encoding) == ("台账", "xls")
    assert pf.frame[["period", "quantity", "_line"]].values.tolist() == [
        ["2024-01", "12000", 3], ["2024-02", "13,500.5", 4], ["2024-03", "1234.25", 5]]
    assert import_file(ws, "ledger", DATA / "ledger_title_row.xls").rows == 3
    assert _live_ledger(ws) == [("X1", "2024-01", "electricity", 12000.0, "kwh"),
                                ("X1", "2024-02", "electricity", 13500.5, "kwh"),
                                ("X1", "2024-03", "natural_gas", 1234.25, "m³")]


def test_excel_datetime_reading_is_local_time(ws, tmp_path):
    import_file(ws, "entities", _entities_csv(tmp_path))
    import_file(ws, "meters", write(tmp_path, "meters.csv", """
        meter_id,entity_id,carrier,unit,register
        M1,X1,electricity,kWh,interval
    """))
    path = _xlsx(tmp_path / "readings.xlsx", [
        ["表号", "采集时间", "读数"],
        ["M1", dt.datetime(2024, 3, 1, 8, 0), 10.5],
        ["M1", "2024-03-01T09:00:00+08:00", "11"],
    ])
    assert read_import_file(path, "readings").frame["ts"].tolist() == [
        "2024-03-01T08:00:00", "2024-03-01T09:00:00+08:00"]
    assert import_file(ws, "readings", path).rows == 2
    files = [str(p) for p in ws.lake.live_files("huangpu", "readings")]
    rows = duckdb.connect().sql(
        f"SELECT ts, value FROM read_parquet({files!r}) ORDER BY ts").fetchall()
    assert rows == [(dt.datetime(2024, 3, 1, 0, 0), 10.5), (dt.datetime(2024, 3, 1, 1, 0), 11.0)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(ws, tmp_path, encoding):
    path = write(tmp_path, "主体.csv", """
        主体编号,名称,主体类型,所属街道,建筑类型,建筑面积（平方米）
        G1,黄浦区政府,公共机构,外滩街道,政府,"12,000"
    """, encoding=encoding)
    pf = read_import_file(path, "entities")
    assert pf.encoding == ("gb18030" if encoding == "gbk" else "utf-8-sig")
    assert pf.frame.drop(columns="_line").iloc[0].tolist()[:6] == \
        ["G1", "黄浦区政府", "公共机构", "外滩街道", "政府", "12,000"]
    assert import_file(ws, "entities", path).added == 1
    with ws.registry.session() as s:
        g1 = s.get(Entity, "G1")
        assert (g1.kind, g1.building_type, g1.floor_area_m2) == \
            ("public_institution", "government", 12000.0)


def test_not_an_excel_file_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("entity_id,name\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        read_import_file(path, "entities")
    assert exc.value.errors[0].message == (
        "is not a valid Excel workbook (.xlsx); open it in Excel and save it as .xlsx")
    assert zh(exc.value.errors[0]) == \
        "不是有效的 Excel 工作簿（.xlsx）；请用 Excel 打开后另存为 .xlsx"


# -- errors -------------------------------------------------------------------------------
def _bad_entities(tmp_path: Path) -> Path:
    return _xlsx(tmp_path / "bad.xlsx", [
        ["黄浦区用能主体"],
        ["主体编号", "名称", "主体类型", "所属街道", "建筑类型", "建筑面积（m²）"],
        ["entity_id", "name", "kind", "street", "building_type", "floor_area_m2"],
        ["B1", "好大厦", "建筑", "外滩街道", "办公", 100],
        ["B2", "坏面积", "建筑", "外滩街道", "办公", -5],
        ["B3", "坏类型", "工厂", "火星街道", "办公", 100],
        ["B4", "好公司", "企业", None, None, None],
    ], title="主体")


def test_every_bad_cell_named_with_sheet_and_row_and_nothing_stored(ws, tmp_path):
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", _bad_entities(tmp_path))
    got = sorted([(e.sheet, e.row, e.column, e.value, e.message, zh(e))
                  for e in exc.value.errors], key=lambda g: (g[1], g[2]))
    assert got == [
        ("主体", 5, "floor_area_m2", "-5", "must be > 0 m²", "必须大于 0 m²"),
        ("主体", 6, "kind", "工厂",
         "is not one of: building, enterprise, public_institution (建筑/企业/公共机构)",
         "不是可选值之一：building, enterprise, public_institution (建筑/企业/公共机构)"),
        ("主体", 6, "street", "火星街道", got[2][4], got[2][5]),
    ]
    assert got[2][4].startswith("is not a street of this district (streets: ")
    assert got[2][5].startswith("不是本区的街道（本区街道：")
    assert "bad.xlsx[主体]:5: column floor_area_m2 = '-5' must be > 0 m²" in str(exc.value)
    assert _count(ws, Entity) == 0
    assert _count(ws, IngestBatch) == 0


def test_row_error_str_names_the_sheet():
    required = msg("intake.cell.required")
    assert str(RowError("a.xlsx", 4, "unit", "kg", required, "台账")) == \
        "a.xlsx[台账]:4: column unit = 'kg' is required"
    assert str(RowError("a.csv", 4, None, None, required)) == "a.csv:4: is required"


def test_every_parser_message_has_a_chinese_text(ws, tmp_path):
    import_file(ws, "entities", _entities_csv(tmp_path))
    files = {
        "entities": """
            entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
            Y1,,factory,火星,castle,-1,95,200,Y1,123
            Y1,乙,building,,,abc,,,NOPE,
        """,
        "meters": """
            meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes,rollover_at
            M1,NOPE,coal,kWh,x,monthly,0,1.5,-1
            M2,X1,natural_gas,kWh,,interval,,,
            M2,X1,electricity,,,,,,
        """,
        "ledger": """
            entity_id,period,carrier,quantity,unit
            NOPE,2024-13,electricity,-1,kWh
            X1,2024-01,diesel,1,m³
            X1,2024-02,electricity,1,kWh
            X1,2024-02,electricity,2,kWh
        """,
        "readings": """
            meter_id,ts,value
            NOPE,yesterday,x
        """,
        "statistics": """
            year,gdp_10k_cny,population,energy_tce
            1800,0,0,0
        """,
    }
    untranslated = []
    for kind, text in files.items():
        with pytest.raises(InputValidationError) as exc:
            import_file(ws, kind, write(tmp_path, f"{kind}-bad.csv", text))
        untranslated += [e.message for e in exc.value.errors if zh(e) == e.message]
        assert len(exc.value.errors) >= 3
    assert untranslated == []


def test_refusal_report_via_cli(cli_home):
    assert _cli("init", "--profile", "huangpu").exit_code == 0
    r = _cli("import", "entities", str(_bad_entities(cli_home)))
    assert r.exit_code == 1
    assert "拒收：bad.xlsx：3 个问题" in r.output
    assert "必须大于 0 m²" in r.output
    reports = list((cli_home / "home" / "import-errors").glob("bad-*.xlsx"))
    assert len(reports) == 1
    assert f"错误报告：{reports[0]}" in r.output.replace("\n", "")
    rows = list(openpyxl.load_workbook(reports[0]).active.iter_rows(values_only=True))
    assert rows[0] == ("文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因",
                       "reason")
    assert rows[1] == ("bad.xlsx", "主体", 5, "floor_area_m2", "-5", "必须大于 0 m²",
                       "must be > 0 m²")
    assert [(row[2], row[3]) for row in rows[1:]] == [(5, "floor_area_m2"), (6, "kind"),
                                                      (6, "street")]
    csv_report = cli_home / "report.csv"
    r = _cli("import", "entities", str(_bad_entities(cli_home)), "--error-report",
             str(csv_report))
    assert r.exit_code == 1
    with csv_report.open(encoding="utf-8-sig", newline="") as fh:
        got = list(csv.reader(fh))
    assert got[1] == ["bad.xlsx", "主体", "5", "floor_area_m2", "-5", "必须大于 0 m²",
                      "must be > 0 m²"]
    assert len(got) == 4
    assert "0 rows" not in _cli("batches").output
    assert "bad.xlsx" not in _cli("batches").output


# -- --skip-bad-rows ----------------------------------------------------------------------
def test_skip_bad_rows_imports_good_rows_and_quarantines_the_rest(ws, tmp_path):
    path = _bad_entities(tmp_path)
    r = import_file(ws, "entities", path, skip_bad_rows=True)
    assert (r.status, r.added, r.rows_rejected) == ("committed", 2, 2)
    quarantine = ws.settings.home / "quarantine" / f"b{r.batch_id}-bad.csv"
    assert r.quarantine_path == str(quarantine)
    raw = quarantine.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["entity_id", "name", "kind", "street", "building_type", "floor_area_m2",
                       "sheet", "row", "原因", "reason"]
    assert rows[1] == ["B2", "坏面积", "建筑", "外滩街道", "办公", "-5", "主体", "5",
                       "floor_area_m2 = '-5': 必须大于 0 m²",
                       "floor_area_m2 = '-5': must be > 0 m²"]
    assert rows[2][:8] == ["B3", "坏类型", "工厂", "火星街道", "办公", "100", "主体", "6"]
    assert rows[2][8].startswith("kind = '工厂': 不是可选值之一：building, enterprise")
    assert "；street = '火星街道': 不是本区的街道（本区街道：" in rows[2][8]
    assert len(rows) == 3
    with ws.registry.session() as s:
        assert sorted(s.scalars(select(Entity.id))) == ["B1", "B4"]
        b = s.get(IngestBatch, r.batch_id)
        assert (b.rows_in, b.rows_written, b.rows_rejected, b.quarantine_path) == \
            (4, 2, 2, str(quarantine))
        rej = s.scalars(select(BatchRejection).where(BatchRejection.batch_id == b.id)
                        .order_by(BatchRejection.row, BatchRejection.column)).all()
        assert [(x.sheet, x.row, x.column, x.value) for x in rej] == [
            ("主体", 5, "floor_area_m2", "-5"), ("主体", 6, "kind", "工厂"),
            ("主体", 6, "street", "火星街道")]
        log = s.scalars(select(AuditLog).where(AuditLog.object_type == "entities_batch")).one()
        assert (log.details["rows_rejected"], log.details["added"]) == (2, 2)
    again = import_file(ws, "entities", path, skip_bad_rows=True)
    assert (again.status, again.batch_id) == ("duplicate", r.batch_id)
    assert _count(ws, IngestBatch) == 1
    assert _count(ws, BatchRejection) == 3


def test_skip_bad_rows_drops_rows_that_depended_on_a_bad_row(ws, tmp_path):
    path = write(tmp_path, "entities.csv", """
        entity_id,name,kind,street,building_type,parent_id
        P1,母公司,factory,,,
        C1,子公司,enterprise,,,P1
        C2,好公司,enterprise,,,
    """)
    r = import_file(ws, "entities", path, skip_bad_rows=True)
    assert (r.added, r.rows_rejected) == (1, 2)
    assert [(e.row, e.column, e.sheet) for e in r.rejections] == [
        (2, "kind", None), (3, "parent_id", None)]


def test_skip_bad_rows_in_a_ledger_records_the_rejections(ws, tmp_path):
    import_file(ws, "entities", _entities_csv(tmp_path))
    path = _xlsx(tmp_path / "ledger.xlsx", [
        ["主体编号", "月份", "能源品种", "数量", "单位"],
        ["X1", "2024-01", "电力", 100, "kWh"],
        ["X1", "2024-13", "电力", 100, "kWh"],
        ["NOPE", "2024-02", "电力", 100, "kWh"],
        ["X1", "2024-03", "天然气", 5, "kWh"],
    ], title="台账")
    r = import_file(ws, "ledger", path, skip_bad_rows=True)
    assert (r.status, r.rows, r.rows_rejected) == ("committed", 1, 3)
    assert _live_ledger(ws) == [("X1", "2024-01", "electricity", 100.0, "kwh")]
    with ws.registry.session() as s:
        b = s.get(IngestBatch, r.batch_id)
        assert (b.rows_rejected, b.quarantine_path) == (
            3, str(ws.settings.home / "quarantine" / f"b{r.batch_id}-ledger.csv"))
        assert sorted((x.sheet, x.row, x.column) for x in s.scalars(select(BatchRejection))) == [
            ("台账", 3, "period"), ("台账", 4, "entity_id"), ("台账", 5, "unit")]
        log = s.scalars(select(AuditLog).where(AuditLog.object_type == "ledger_batch")).one()
        assert log.details["rows_rejected"] == 3
    rows = list(csv.reader(Path(r.quarantine_path).read_text("utf-8-sig").splitlines()))
    assert [row[:2] + row[5:7] for row in rows] == [
        ["entity_id", "period", "sheet", "row"], ["X1", "2024-13", "台账", "3"],
        ["NOPE", "2024-02", "台账", "4"], ["X1", "2024-03", "台账", "5"]]


def test_skip_bad_rows_when_every_row_is_bad_imports_nothing(ws, tmp_path):
    path = write(tmp_path, "entities.csv", """
        entity_id,name,kind
        Z1,甲,factory
        Z2,乙,castle
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", path, skip_bad_rows=True)
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "kind"), (3, "kind"),
                                                             (None, None)]
    assert zh(exc.value.errors[-1]) == "没有可导入的正确行：每一行都有问题，未导入任何数据"
    assert _count(ws, Entity) == 0
    assert _count(ws, IngestBatch) == 0


def test_skip_bad_rows_cannot_skip_a_missing_column(ws, tmp_path):
    path = write(tmp_path, "entities.csv", """
        entity_id,name
        Z1,甲
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "entities", path, skip_bad_rows=True)
    assert [(e.row, e.column, zh(e)) for e in exc.value.errors] == [
        (1, "kind", "缺少必填列 kind（或 主体类型, 类型）")]
    assert _count(ws, IngestBatch) == 0


# -- CLI ----------------------------------------------------------------------------------
@pytest.fixture
def cli_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    return tmp_path


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_template_then_import_with_skip_bad_rows(cli_home):
    assert _cli("init", "--profile", "huangpu").exit_code == 0
    out = cli_home / "form.xlsx"
    r = _cli("template", "entities", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "10 个街道" in r.output
    wb = openpyxl.load_workbook(out)
    streets = [c.value for c in wb["lists"]["C"][1:] if c.value is not None]
    assert len(streets) == 10
    assert "外滩街道" in streets
    data = wb["用能主体 entities"]
    data.append(["K1", "好大厦", "建筑", "外滩街道", "办公", 5000])
    data.append(["K2", "坏大厦", "建筑", "火星街道", "办公", 5000])
    wb.save(out)
    r = _cli("import", "entities", str(out), "--skip-bad-rows")
    assert r.exit_code == 0, r.output
    flat = r.output.replace("\n", "")
    assert "1 行被拒收" in flat
    # batch 1 is the target catalogue `init` loads; the form is batch 2
    assert "b2-form.csv" in flat
    assert "火星街道" in r.output
    q = cli_home / "home" / "quarantine" / "b2-form.csv"
    rows = list(csv.reader(q.read_text("utf-8-sig").splitlines()))
    assert rows[0] == ["entity_id", "name", "kind", "street", "building_type", "floor_area_m2",
                       "lat", "lon", "parent_id", "sector_code", "sheet", "row", "原因", "reason"]
    assert rows[1][:12] == ["K2", "坏大厦", "建筑", "火星街道", "办公", "5000", "", "", "", "",
                            "用能主体 entities", "4"]
    assert rows[1][12].startswith("street = '火星街道': 不是本区的街道（本区街道：五里桥街道")
    assert rows[1][13].startswith("street = '火星街道': is not a street of this district")
    assert len(rows) == 2
    r = _cli("import", "entities", str(out), "--skip-bad-rows")
    assert "已导入过" in r.output
    assert _cli("template", "readings", "--out", str(out)).exit_code == 2
