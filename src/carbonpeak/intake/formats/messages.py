"""Import errors in Chinese and English, and the bilingual error report.

中文：导入错误信息的中英文本，以及中英双语错误报告（.xlsx 或 CSV）。

Every :class:`~carbonpeak.errors.RowError` carries a catalogue code and its parameters
(``carbonpeak/i18n/catalogue/intake.json``); :func:`zh` renders it in Chinese, ``e.message`` in
English. Nothing is translated from English text.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from carbonpeak.errors import RowError
from carbonpeak.intake.formats.text import xlsx_value

__all__ = ["REPORT_COLUMNS", "report_rows", "sort_errors", "write_error_report", "zh"]

REPORT_COLUMNS = ("文件 file", "工作表 sheet", "行 row", "列 column", "值 value", "原因",
                  "reason")


def zh(error: RowError) -> str:
    """Chinese text of an error, rendered from its code.

    >>> from carbonpeak.i18n import msg
    >>> zh(RowError("a.csv", 2, "floor_area_m2", "-5", msg("intake.cell.positive_m2")))
    '必须大于 0 m²'
    """
    return error.text("zh")


def report_rows(errors: Sequence[RowError]) -> list[list[str]]:
    """One row per error (file-level first, then by row), in the order of :data:`REPORT_COLUMNS`."""
    return [[e.file, e.sheet or "", "" if e.row is None else str(e.row), e.column or "",
             e.value or "", e.text("zh"), e.text("en")] for e in sort_errors(errors)]


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
            ws.append([int(v) if i == 2 and v else xlsx_value(v) for i, v in enumerate(row)])
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
