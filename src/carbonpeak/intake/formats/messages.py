"""Chinese text for every import error, and the bilingual error report.

中文：导入错误信息的中文译文，以及中英双语错误报告（.xlsx 或 CSV）。

The parsers write their messages in English (:class:`~carbonpeak.errors.RowError`); :func:`zh`
renders each in Chinese by pattern, keeping the dynamic parts (values, lines, lists).
A message no pattern knows is returned as it is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from carbonpeak.errors import RowError

__all__ = ["REPORT_COLUMNS", "report_rows", "sort_errors", "write_error_report", "zh"]

REPORT_COLUMNS = ("文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因",
                  "reason")

_Render = Callable[[re.Match[str]], str]


def _t(template: str) -> _Render:
    return lambda m: template.format(*m.groups(), **m.groupdict())


# (pattern, Chinese) — patterns are matched whole (re.fullmatch), in this order
_PATTERNS: list[tuple[re.Pattern[str], _Render]] = [(re.compile(p, re.DOTALL), r) for p, r in [
    # file level
    (r"not UTF-8 or GB18030/GBK text; save the file as UTF-8",
     _t("文件编码不是 UTF-8 或 GB18030/GBK；请另存为 UTF-8 编码")),
    (r"not a well-formed CSV file: (.*)", _t("不是格式正确的 CSV 文件：{0}")),
    (r"has (\d+) fields but the header has (\d+); the extra ones are not empty",
     _t("该行有 {0} 个字段而表头只有 {1} 个，多出的字段不为空")),
    (r"column (\S+) appears twice", _t("列 {0} 出现了两次")),
    (r"required column (\S+)(?: \(or (.*)\))? is missing",
     lambda m: f"缺少必填列 {m.group(1)}" + (f"（或 {m.group(2)}）" if m.group(2) else "")),
    (r"is not a valid Excel workbook \((.*)\); open it in Excel and save it as \.xlsx",
     _t("不是有效的 Excel 工作簿（{0}）；请用 Excel 打开后另存为 .xlsx")),
    (r"cannot be read as an Excel workbook \((.*)\); open it in Excel and save it as \.xlsx",
     _t("无法作为 Excel 工作簿读取（{0}）；请用 Excel 打开后另存为 .xlsx")),
    (r"the workbook has no sheet", _t("工作簿中没有工作表")),
    (r"no good row left to import: every row has a problem; nothing was imported",
     _t("没有可导入的正确行：每一行都有问题，未导入任何数据")),
    # cells
    (r"is required", _t("必填，不能为空")),
    (r"is not a number", _t("不是数字")),
    (r"is required for buildings and public institutions", _t("建筑和公共机构必填")),
    (r"is not one of: (.*)", _t("不是可选值之一：{0}")),
    (r"is not a street of this district \(streets: (.*)\)",
     _t("不是本区的街道（本区街道：{0}）")),
    (r"must be > 0 m²", _t("必须大于 0 m²")),
    (r"must be > 0 \(CT × PT ratio\)", _t("必须大于 0（CT × PT 倍率）")),
    (r"must be > 0 \(10\^4 CNY\)", _t("必须大于 0（万元）")),
    (r"must be > 0 tce", _t("必须大于 0 吨标准煤")),
    (r"must be > 0", _t("必须大于 0")),
    (r"must be >= 0", _t("不能小于 0")),
    (r"latitude must be within -90\.\.90", _t("纬度必须在 -90 至 90 之间")),
    (r"longitude must be within -180\.\.180", _t("经度必须在 -180 至 180 之间")),
    (r"is not an entity in this file or the registry",
     _t("既不是本文件中的主体，也不是已登记的主体")),
    (r"an entity cannot be its own parent", _t("主体不能是自己的上级单位")),
    (r"must be a GB/T 4754-2017 code: a section letter A-T and optional digits, e\.g\. L72",
     _t("必须是 GB/T 4754-2017 行业代码：门类字母 A-T 加可选数字，如 L72")),
    (r"is not a registered entity \(import entities first\)",
     _t("不是已登记的用能主体（请先导入用能主体）")),
    (r"is not a registered meter \(import meters first\)",
     _t("不是已登记的计量表（请先导入计量表）")),
    (r"must be a whole number of minutes, 1\.\.44640", _t("必须是 1 至 44640 之间的整数分钟")),
    (r"is not an ISO 8601 time \(e\.g\. (.*) or (.*)\)",
     _t("不是 ISO 8601 时间（如 {0} 或 {1}）")),
    (r"must be a month YYYY-MM, e\.g\. (.*)", _t("必须是月份 YYYY-MM，如 {0}")),
    (r"must be a date YYYY-MM-DD, e\.g\. (.*)", _t("必须是日期 YYYY-MM-DD，如 {0}")),
    (r"must be a year 1990\.\.2100", _t("必须是 1990 至 2100 之间的年份")),
    (r"repeats a key of another row with a different value \(lines (.*)\)",
     _t("与其他行（第 {0} 行）键值相同但数值不同")),
    (r"repeats a key of another row \(lines (.*)\)", _t("与其他行（第 {0} 行）重复")),
    # units (from carbonpeak.domain.units)
    (r"unit '(.*)' \(a volume of liquid\) is not valid for carrier '(.*)'",
     _t("单位 {0}（液体体积）不适用于能源品种 {1}")),
    (r"unknown unit '(.*)'; known: (.*)", _t("未知单位 {0}；可用单位：{1}")),
    (r"unit '(.*)' measures (.*), but carrier '(.*)' is accounted in (.*)",
     _t("单位 {0} 计量的是 {1}，而能源品种 {2} 以 {3} 核算")),
    (r"unknown carrier '(.*)'; known: (.*)", _t("未知能源品种 {0}；可用：{1}")),
    # registry checks (carbonpeak.intake.imports)
    (r"parent chain loops back to this entity", _t("上级单位链条循环回到了本主体")),
    (r"is already registered in district (\S+); ids are unique across districts",
     _t("已在 {0} 区登记；编号在各区之间唯一")),
    (r"meter (\S+) has readings recorded with (\w+)=(.*); changing it would rescale them all, "
     r"past accounts included: register a new meter id",
     _t("计量表 {0} 已有按 {1}={2} 记录的读数；修改会改变全部读数（包括已出的核算），"
        "请登记新表号")),
    (r"meter (\S+) is registered with (\w+)=(.*); a meter cannot change it \(its readings would "
     r"change meaning\): register a new meter id",
     _t("计量表 {0} 登记的 {1}={2}；计量表不能修改此项（读数含义会改变），"
        "请登记新表号")),
]]


def zh(error: RowError | str) -> str:
    """Chinese text of an error message (the English message when no pattern knows it).

    >>> zh(RowError("a.csv", 2, "floor_area_m2", "-5", "must be > 0 m²"))
    '必须大于 0 m²'
    """
    message = error if isinstance(error, str) else error.message
    for pattern, render in _PATTERNS:
        m = pattern.fullmatch(message)
        if m is not None:
            return render(m)
    return message


def report_rows(errors: Sequence[RowError]) -> list[list[str]]:
    """One row per error (file-level first, then by row), in the order of :data:`REPORT_COLUMNS`."""
    return [[e.file, e.sheet or "", "" if e.row is None else str(e.row), e.column or "",
             e.value or "", zh(e), e.message] for e in sort_errors(errors)]


def sort_errors(errors: Sequence[RowError]) -> list[RowError]:
    """Errors ordered by file, sheet, row and column (file-level ones first); stable."""
    return sorted(errors, key=lambda e: (e.file, e.sheet or "", e.row or 0, e.column or ""))


def write_error_report(errors: Sequence[RowError], path: Path) -> Path:
    """Write every error to ``path``: an .xlsx workbook, or a CSV (UTF-8 with BOM) otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = report_rows(errors)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook  # noqa: PLC0415 - only for .xlsx reports
        from openpyxl.styles import Font  # noqa: PLC0415

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "错误 errors"
        ws.append(list(REPORT_COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([int(v) if i == 2 and v else v for i, v in enumerate(row)])
        for letter, width in zip("ABCDEFG", (24, 18, 8, 16, 24, 50, 60), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        wb.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(REPORT_COLUMNS)
            w.writerows(rows)
    return path
