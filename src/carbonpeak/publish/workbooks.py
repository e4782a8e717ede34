"""The bureau's xlsx exports (报送表格): inventory tables, key-unit list, disclosure list,
the targets table and the year's published figures (口径目录), with Chinese headers.

中文：报送用 Excel 表格——能耗与碳排放清单、重点用能单位名单、能效公示名单、规划目标表、
口径目录（中文表头）。

The published figures (and the key-unit list's own and consolidated energy and budgets) are
the figure catalogue's stored values (:mod:`carbonpeak.services.figures`), at the catalogue's
precision, each with its basis (口径), period and as-of date.

Every figure comes from the official account run of the year (the same tables as
``carbonpeak account --out``), the benchmark of the year (disclosure) or the targets'
evaluation: nothing is recomputed here. Each header is ``中文 English`` (the Chinese name
first, as in the disclosure workbook); codes that identify (entity id, sector letter) keep
their own column next to the Chinese label. A sheet ``说明 About`` says where the figures
come from (district, year, account run, factor set, time of export). Text cells are never
formulas: a name beginning with ``=``, ``+``, ``-`` or ``@`` is written as text.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from carbonpeak.errors import ConfigError, NotFoundError
from carbonpeak.i18n import stored_text
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.publish.render import report_time
from carbonpeak.publish.whitepaper.document import BUILDING_TYPES, CARRIERS, SECTORS
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.benchmarking import benchmark, disclosure_workbook
from carbonpeak.services.figures import figures, round_value
from carbonpeak.services.plan.targets import STATUS_LABELS, evaluate_targets
from carbonpeak.storage.registry.models import AccountRun, FactorSetRecord
from carbonpeak.storage.workspace import Workspace

__all__ = ["EXPORTS", "Export", "ExportKind", "export_workbook"]

ExportKind = Literal["inventory", "key-units", "disclosure", "targets", "figures"]
EXPORTS: tuple[str, ...] = get_args(ExportKind)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TOTAL_FILL = PatternFill("solid", fgColor="EEF2F7")


@dataclass(frozen=True)
class Export:
    """An export: the workbook's bytes and its file name."""

    data: bytes
    filename: str
    rows: int


@dataclass(frozen=True)
class _Sheet:
    title: str
    columns: Sequence[tuple[str, str, int]]  # header "中文 English", key, width
    rows: Sequence[dict[str, Any]]
    total: dict[str, Any] | None = None


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        v = v.item()
    v = xlsx_value(v)  # control characters older data may hold
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v  # text, never a formula
    return v


def _write(sheets: Sequence[_Sheet], about: Sequence[tuple[str, Any]],
           when: dt.datetime) -> tuple[bytes, int]:
    wb = Workbook()
    first = wb.active
    assert first is not None  # noqa: S101 - a new workbook always has a sheet
    wb.remove(first)
    n = 0
    for sh in sheets:
        ws = wb.create_sheet(sh.title[:31])
        ws.append([h for h, _, _ in sh.columns])
        for c in ws[1]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for r in sh.rows:
            ws.append([_cell(r.get(k)) for _, k, _ in sh.columns])
            n += 1
        if sh.total is not None:
            ws.append([_cell(sh.total.get(k)) for _, k, _ in sh.columns])
            row: tuple[Cell, ...] = ws[ws.max_row]
            for c in row:
                c.font = Font(bold=True)
                c.fill = _TOTAL_FILL
        ws.freeze_panes = "A2"
        for i, (_, _, width) in enumerate(sh.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
    info = wb.create_sheet("说明 About")
    info.append(["项目 Item", "内容 Value"])
    for c in info[1]:
        c.font = Font(bold=True)
    for k, v in about:
        info.append([k, _cell(v)])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 90
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.created = naive
    wb.properties.creator = "carbonpeak"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


def _label(table: dict[str, tuple[str, str]], code: object) -> str:
    key = "(none)" if code is None or (isinstance(code, float) and math.isnan(code)) \
        else str(code)
    return table.get(key, (key,))[0]


def _run(ws: Workspace, district_id: str, year: int) -> tuple[AccountRun, str]:
    with ws.registry.session() as s:
        run = official_run(s, district_id, year)
        if run is None:
            msg = (f"no official account of {district_id} for {year}; run `carbonpeak account "
                   f"--year {year}` first 尚无{year}年正式核算")
            raise NotFoundError(msg)
        s.expunge(run)
        fs = s.get(FactorSetRecord, run.factor_set_pk)
        label = f"{fs.set_id}@v{fs.version}" if fs else ""
    return run, label


_QTY = [("实物量 Quantity", "quantity", 16), ("单位 Unit", "unit", 8),
        ("当量值 tce (equivalent)", "tce_equivalent", 14),
        ("等价值 tce (equal)", "tce_equal", 14), ("二氧化碳 tCO2", "tco2", 14),
        ("范围 Scope", "scope", 10), ("覆盖率 Coverage", "coverage", 10)]


def _carrier_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for rec in df.to_dict("records"):
        r = {str(k): v for k, v in rec.items()}
        r["carrier_zh"] = _label(CARRIERS, r.get("carrier"))
        if r.get("scope") == "generation":
            r["scope"] = "光伏（单列）generation"
        rows.append(r)
    return rows


def _inventory(ws: Workspace, district_id: str, year: int,
               when: dt.datetime) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    t = load_run_tables(ws, run, ["inventory_district_year", "inventory_sector_year",
                                  "inventory_building_type_year", "inventory_street_year",
                                  "inventory_entity_year"])
    tot = (run.summary or {}).get("totals", {})
    carrier = ("能源品种 Carrier", "carrier_zh", 12)
    district = _carrier_rows(t["inventory_district_year"].sort_values(["scope", "carrier"]))
    sectors = _carrier_rows(t["inventory_sector_year"].sort_values(["sector", "carrier"]))
    for r in sectors:
        r["sector_zh"] = _label(SECTORS, r.get("sector"))
    types = _carrier_rows(t["inventory_building_type_year"].sort_values(
        ["building_type", "carrier"]))
    for r in types:
        r["type_zh"] = _label(BUILDING_TYPES, r.get("building_type"))
    streets = _carrier_rows(t["inventory_street_year"].sort_values(["street", "carrier"]))
    entities = _carrier_rows(t["inventory_entity_year"].sort_values(["entity_id", "carrier"]))
    for r in entities:
        r["type_zh"] = _label(BUILDING_TYPES, r.get("building_type")) \
            if r.get("building_type") else ""
    sheets = [
        _Sheet("全区分品种 District", [carrier, *_QTY,
                                       ("主体数 Entities", "n_entities", 8),
                                       ("缺数月数 Missing months", "missing_months", 10)],
               district, total={"carrier_zh": "合计（不含光伏）Total excl. PV",
                                "tce_equivalent": tot.get("tce_equivalent"),
                                "tce_equal": tot.get("tce_equal"), "tco2": tot.get("tco2"),
                                "scope": "1+2", "coverage": tot.get("coverage")}),
        _Sheet("分行业 Sectors", [("行业代码 Sector", "sector", 8),
                                  ("行业 Sector name", "sector_zh", 24), carrier, *_QTY],
               sectors),
        _Sheet("分建筑类型 Building types", [("建筑类型 Building type", "type_zh", 12),
                                            carrier, *_QTY], types),
        _Sheet("分街道 Streets", [("街道 Street", "street", 14), carrier, *_QTY], streets),
        _Sheet("分单位 Entities", [("单位编号 Entity id", "entity_id", 14),
                                   ("名称 Name", "name", 28), ("街道 Street", "street", 14),
                                   ("建筑类型 Building type", "type_zh", 12), carrier, *_QTY,
                                   ("缺数月数 Missing months", "missing_months", 10),
                                   ("数据来源 Source", "source", 10)], entities),
    ]
    return _write(sheets, _about(district_id, year, run, fs, when,
                                 "能耗与碳排放清单 inventory"), when)


def _about(district_id: str, year: int, run: AccountRun, fs: str, when: dt.datetime,
           what: str) -> list[tuple[str, Any]]:
    return [("表格 Export", what), ("行政区 District", district_id), ("年度 Year", year),
            ("核算批次 Account run", run.id), ("因子集 Factor set", fs),
            ("输入批次 Input batches", ", ".join(str(b) for b in run.input_batches or [])),
            ("导出时间 Exported (UTC)", when.strftime("%Y-%m-%d %H:%M:%S")),
            ("口径 Convention", "综合能耗按等价值与当量值分别列示；二氧化碳为范围一与范围二之和；"
                               "光伏发电单列，不抵扣 energy at equal and equivalent value; CO2 "
                               "= scope 1 + scope 2; on-site PV apart, not netted")]


def _key_units(ws: Workspace, district_id: str, year: int,
               when: dt.datetime) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    t = load_run_tables(ws, run, ["key_units", "inventory_entity_year"])
    ku = t["key_units"]
    ku = ku[ku["is_key_unit"].astype(bool)].sort_values("energy_tce_equal", ascending=False)
    info = t["inventory_entity_year"].drop_duplicates("entity_id").set_index("entity_id")
    rows = []
    for r in ku.to_dict("records"):
        eid = str(r["entity_id"])
        row = {str(k): v for k, v in r.items()}
        row["key_unit_rule"] = stored_text(row.get("key_unit_rule"))
        for col in ("name", "street", "kind"):
            row[col] = info[col].get(eid) if col in info else None
        bt = info["building_type"].get(eid) if "building_type" in info else None
        row["type_zh"] = _label(BUILDING_TYPES, bt) if isinstance(bt, str) else ""
        rows.append(row)
    published = figures(ws, year=year, district=district_id)
    for code, key in (("key_unit.energy.consolidated", "energy_tce_equal"),
                      ("key_unit.energy.own", "energy_own_tce"),
                      ("key_unit.budget", "budget_tce"),
                      ("key_unit.budget.elastic", "budget_elastic_tce")):
        found = published.by_subject(code)
        for row in rows:
            f = found.get(str(row["entity_id"]))
            if f is not None or key != "energy_tce_equal":
                row[key] = _rounded(f.value, f.definition.digits) if f is not None else None
    total = {"entity_id": f"合计 Total（{len(rows)}家）",
             "energy_tce_equal": float(ku["energy_tce_equal"].sum()),
             "energy_tce_equivalent": float(ku["energy_tce_equivalent"].sum()),
             "tco2": float(ku["tco2"].sum()), "electricity_kwh": float(
                 ku["electricity_kwh"].sum())}
    sheet = _Sheet("重点用能单位 Key units", [
        ("单位编号 Entity id", "entity_id", 16), ("名称 Name", "name", 30),
        ("街道 Street", "street", 14), ("建筑类型 Building type", "type_zh", 12),
        ("合并综合能耗（等价值，核算口径）tce Consolidated energy (equal, metered account)",
         "energy_tce_equal", 18),
        ("综合能耗（当量值）tce Energy (equivalent)", "energy_tce_equivalent", 16),
        ("二氧化碳 tCO2", "tco2", 14), ("用电量 kWh Electricity", "electricity_kwh", 16),
        ("建筑面积 m² Floor area", "floor_area_m2", 14),
        ("下属单位数 Children", "n_children", 10),
        ("认定依据 Rule", "key_unit_rule", 50),
        ("自身能耗（等价值，核算口径）tce Own energy (equal, metered account)",
         "energy_own_tce", 16),
        ("分解预算（规划值）tce Allocated budget (plan value)", "budget_tce", 14),
        ("弹性预算（规划值）tce Elastic budget (plan value)", "budget_elastic_tce", 14)],
        rows, total=total)
    return _write([sheet], _about(district_id, year, run, fs, when,
                                  "重点用能单位名单 key-unit list"), when)


def _targets(ws: Workspace, district_id: str, year: int,
             when: dt.datetime) -> tuple[bytes, int]:
    run, fs = _run(ws, district_id, year)
    rows = []
    for st in evaluate_targets(ws, district=district_id, year=year):
        r = st.to_dict()
        r["status_label"] = STATUS_LABELS.get(str(r["status"]), ("", str(r["status"])))[1]
        rows.append(r)
    sheet = _Sheet("规划目标 Targets", [
        ("编号 Code", "code", 9), ("章节 Section", "section", 24),
        ("指标 Indicator", "indicator_zh", 30), ("指标（英文）Indicator (en)", "indicator_en", 30),
        ("单位 Unit", "unit", 12), ("比较 Comparator", "comparator", 8),
        ("目标年份 Target year", "target_year", 10), ("目标值 Target value", "target_value", 12),
        ("目标说明 Target text", "target_text", 16), ("现值 Value", "value", 12),
        ("现值年份 Value year", "value_year", 10), ("进度 % Progress", "progress_pct", 10),
        ("状态 Status", "status_label", 12), ("状态代码 Status code", "status", 12),
        ("说明 Reason", "reason_zh", 40), ("责任单位 Responsible units", "responsible_units", 40)],
        rows)
    return _write([sheet], _about(district_id, year, run, fs, when, "规划目标表 targets"), when)


def _rounded(v: float | None, digits: int) -> float | None:
    """A catalogue value at the catalogue's precision (what every surface prints)."""
    return round_value(v, digits)


def _figures(ws: Workspace, district_id: str, year: int,
             when: dt.datetime) -> tuple[bytes, int]:
    run, fs_label = _run(ws, district_id, year)
    fs = figures(ws, year=year, district=district_id)
    rows = [{"code": f.code, "name": f.definition.name_text("zh"),
             "subject": "" if f.subject_type == "district" else
             f"{f.subject_id} {f.provenance.get('subject_name') or ''}".strip(),
             "value": _rounded(f.value, f.definition.digits),
             "unit": f.definition.unit, "basis": f.label("zh").split(" · ")[0],
             "period": f.period, "as_of": f.as_of.isoformat(),
             "provenance": ", ".join(f"{k}={v}" for k, v in f.provenance.items()
                                     if k not in ("subject_name", "subject_name_en", "rule"))}
            for f in fs.items]
    sheet = _Sheet("口径目录 Figures", [
        ("代码 Code", "code", 30), ("指标 Figure", "name", 36), ("对象 Subject", "subject", 24),
        ("数值（按发布精度）Value (at the published precision)", "value", 16),
        ("单位 Unit", "unit", 14),
        ("口径 Basis", "basis", 10), ("统计期 Period", "period", 12),
        ("截至 As of", "as_of", 12), ("来源 Provenance", "provenance", 60)], rows)
    return _write([sheet], _about(district_id, year, run, fs_label, when,
                                  "口径目录 published figures"), when)


def export_workbook(ws: Workspace, what: str, *, year: int, district: str | None = None,
                    generated: dt.datetime | None = None, out: Path | None = None) -> Export:
    """One of :data:`EXPORTS` for the district and year as xlsx (written to ``out`` too).

    Raises
    ------
    ConfigError
        For an unknown export.
    NotFoundError
        When the year has no official account (or, for the disclosure, no quota table).
    """
    if what not in EXPORTS:
        msg = f"unknown export {what!r}; one of {', '.join(EXPORTS)}"
        raise ConfigError(msg)
    d = ws.district(district)
    when = report_time(generated)
    if what == "disclosure":
        bm = benchmark(ws, d.id, year)
        data, n = disclosure_workbook(bm), len(bm.frame)
    elif what == "inventory":
        data, n = _inventory(ws, d.id, year, when)
    elif what == "key-units":
        data, n = _key_units(ws, d.id, year, when)
    elif what == "figures":
        data, n = _figures(ws, d.id, year, when)
    else:
        data, n = _targets(ws, d.id, year, when)
    name = f"{what}-{d.id}-{year}.xlsx"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return Export(data, name, n)
