"""Reading spreadsheets (.xlsx, .xls) as people fill them in, into rows of strings.

中文：读取 Excel 文件（.xlsx / .xls），兼容标题行、合并单元格、中英文双表头、
文本型数字与日期单元格。

The reader finds the sheet and the header row, then turns every cell into the string a CSV
would hold, so the same validation applies to both:

- **Sheet**: the first sheet whose header row is recognised (the template's data sheet), else
  the first sheet.
- **Header row**: the first of the first :data:`HEADER_SCAN_ROWS` rows in which every required
  column of the kind is recognised; title lines and merged title cells above it are skipped.
  A second header row right below it naming the same columns (the template's English names)
  is skipped too.
- **Cells**: a whole float becomes ``"12000"`` (never ``"12000.0"``); other floats keep their
  full precision (a period typed as such a number, 2025.1, is marked and refused: it may have
  been 2025.10); dates become ``YYYY-MM-DD`` (``YYYY-MM`` in a ledger ``period`` column) and
  date-times ISO 8601 without an offset, i.e. local time.
- **Row numbers** are the spreadsheet's own, so an error points at the cell the user sees.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.formats.vocab import COLUMNS, canonical_column

#: the mark of a period typed as a number with a decimal point (2025.1: January or October?),
#: refused by :func:`carbonpeak.intake.formats.parsing.parse_period`
NUMBER_CELL_MARK = "#number:"

__all__ = ["HEADER_SCAN_ROWS", "MAX_CELLS", "MAX_COLUMNS", "SheetTable", "cell_text",
           "read_spreadsheet", "spreadsheet_format"]

HEADER_SCAN_ROWS = 20
#: the most columns a sheet may declare or hold (the templates have fewer than 20)
MAX_COLUMNS = 200
#: the most cells a sheet may declare or hold (a year of hourly readings of 100 meters is
#: 2.6 million); a larger sheet is refused before it is read
MAX_CELLS = 5_000_000
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class SheetTable:
    """The table found in a spreadsheet: header cells and data rows, all strings.

    ``lines`` holds the spreadsheet row number of each row in ``rows``; ``unnamed`` lists
    columns (as letters) that hold data but have no header.
    """

    sheet: str
    header_line: int
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]
    format: str
    unnamed: list[str] = field(default_factory=list)


def spreadsheet_format(path: Path) -> str | None:
    """``"xlsx"`` or ``"xls"`` when ``path`` is a spreadsheet (by magic bytes), else ``None``.

    Raises
    ------
    InputValidationError
        The name ends in .xlsx/.xlsm/.xls but the content is not such a workbook.
    """
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head.startswith(_ZIP):
        return "xlsx"
    if head == _OLE2:
        return "xls"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise InputValidationError([RowError(
            path.name, None, None, None,
            msg("intake.excel.invalid", suffix=suffix))])
    return None


def cell_text(value: Any, column: str | None = None) -> str:
    """The text of one cell value as a CSV would hold it.

    >>> cell_text(12000.0), cell_text(0.1), cell_text(dt.datetime(2024, 3, 1), "period")
    ('12000', '0.1', '2024-03')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if column == "period" and math.isfinite(value) and not value.is_integer():
            return NUMBER_CELL_MARK + repr(value)  # 2025.1 may be 2025.10: refused
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return _datetime_text(value, column)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m") if column == "period" else value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value).strip()


def _datetime_text(value: dt.datetime, column: str | None) -> str:
    # Excel keeps times as fractions of a day: round away float noise to the millisecond
    ms = round(value.microsecond / 1000)
    value = value.replace(microsecond=0) + dt.timedelta(milliseconds=ms)
    if column == "period":
        return value.strftime("%Y-%m")
    if value.time() == dt.time(0) and column != "ts":
        return value.date().isoformat()
    spec = "seconds" if value.microsecond == 0 else "milliseconds"
    return value.isoformat(timespec=spec)


def read_spreadsheet(path: Path, kind: str, fmt: str) -> SheetTable:
    """Read the table of a ``kind`` import from an .xlsx (``fmt="xlsx"``) or .xls workbook.

    Raises
    ------
    InputValidationError
        The workbook cannot be opened or has no sheet.
    """
    try:
        sheets = _xlsx_sheets(path) if fmt == "xlsx" else _xls_sheets(path)
    except _TooLarge as big:
        raise InputValidationError([RowError(
            path.name, None, None, None,
            msg("intake.excel.too_large", sheet=big.sheet, what=msg(
                f"intake.excel.what.{big.what}", dimension=big.dimension),
                limit=f"{big.limit:,}"), big.sheet)]) from None
    except InputValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is a file-level refusal
        raise InputValidationError([RowError(
            path.name, None, None, None,
            msg("intake.excel.unreadable", detail=f"{type(exc).__name__}: {exc}"))]) from None
    if not sheets:
        raise InputValidationError([RowError(path.name, None, None, None,
                                             msg("intake.excel.no_sheet"))])
    chosen = None
    for name, rows in sheets:
        header = _find_header(rows, kind)
        if header is not None:
            chosen = (name, rows, header)
            break
    if chosen is None:
        name, rows = sheets[0]
        chosen = (name, rows, _best_guess_header(rows, kind))
    name, rows, header_idx = chosen
    return _table(name, rows, header_idx, kind, fmt)


#: one shared empty row for the (many) rows without a cell; never changed
_NO_CELLS: list[Any] = []


class _TooLarge(Exception):  # noqa: N818 - a signal inside this module, never raised out
    def __init__(self, sheet: str, what: str, limit: int, dimension: str = "") -> None:
        super().__init__(sheet)
        self.sheet, self.what, self.limit, self.dimension = sheet, what, limit, dimension


def _bounded(sheet: str, n_rows: int, n_cols: int, dimension: str = "") -> None:
    """Refuse a sheet whose declared range is too large, before anything of it is read."""
    if n_cols > MAX_COLUMNS:
        raise _TooLarge(sheet, "columns", MAX_COLUMNS)
    if n_rows * n_cols > MAX_CELLS:
        raise _TooLarge(sheet, "dimension", MAX_CELLS, dimension)


def _xlsx_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every worksheet's rows, read-only and bounded: a sheet declaring or holding more than
    :data:`MAX_COLUMNS` columns or :data:`MAX_CELLS` cells is refused, naming it, while it is
    read (a sparse sheet reaching column XFD never becomes a 16,384-wide table)."""
    import openpyxl  # noqa: PLC0415 - only needed for spreadsheets
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out = []
        for ws in wb.worksheets:
            if not hasattr(ws, "reset_dimensions"):
                continue  # a chart sheet
            n_rows, n_cols = ws.max_row or 0, ws.max_column or 0  # as the sheet declares
            _bounded(ws.title, n_rows, n_cols,
                     f"A1:{get_column_letter(n_cols)}{n_rows}" if n_rows and n_cols else "")
            ws.reset_dimensions()  # some writers store a wrong dimension; read every row
            rows: list[list[Any]] = []
            cells = 0
            for r in ws.iter_rows(values_only=True):
                row = list(r)
                while row and row[-1] is None:
                    row.pop()  # trailing empty cells are not data
                if len(row) > MAX_COLUMNS:
                    raise _TooLarge(ws.title, "columns", MAX_COLUMNS)
                cells += max(len(row), 1)
                if cells > MAX_CELLS:
                    raise _TooLarge(ws.title, "cells", MAX_CELLS)
                rows.append(row or _NO_CELLS)
            out.append((ws.title, rows))
        return out
    finally:
        wb.close()


def _xls_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    import xlrd  # noqa: PLC0415 - only needed for .xls

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        out = []
        for sh in book.sheets():
            _bounded(sh.name, sh.nrows, sh.ncols)
            rows: list[list[Any]] = []
            for r in range(sh.nrows):
                row: list[Any] = []
                for c in sh.row(r):
                    if c.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate_as_datetime(c.value, book.datemode))
                    elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(bool(c.value))
                    elif c.ctype == xlrd.XL_CELL_ERROR:
                        row.append(xlrd.error_text_from_code.get(c.value, "#ERROR"))
                    elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    else:
                        row.append(c.value)
                rows.append(row)
            out.append((sh.name, rows))
        return out
    finally:
        book.release_resources()


def _canon_row(row: list[Any], kind: str) -> list[str | None]:
    return [canonical_column(kind, cell_text(v)) if cell_text(v) else None for v in row]


def _find_header(rows: list[list[Any]], kind: str) -> int | None:
    required = {c for c, (req, _a) in COLUMNS[kind].items() if req}
    for idx, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if required <= set(_canon_row(row, kind)):
            return idx
    return None


def _best_guess_header(rows: list[list[Any]], kind: str) -> int:
    """Row with the most recognised columns (first non-empty row if none); for the errors."""
    best, best_n = None, 0
    for idx, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        n = sum(c is not None for c in _canon_row(row, kind))
        if n > best_n:
            best, best_n = idx, n
    if best is not None:
        return best
    return next((i for i, r in enumerate(rows) if any(cell_text(v) for v in r)), 0)


def _table(name: str, rows: list[list[Any]], header_idx: int, kind: str,
           fmt: str) -> SheetTable:
    header_row = rows[header_idx] if rows else []
    header_text = [cell_text(v) for v in header_row]
    canon = [canonical_column(kind, h) if h else None for h in header_text]
    start = header_idx + 1
    if start < len(rows):
        second = _canon_row(rows[start], kind)
        filled = [(i, c) for i, c in enumerate(second) if c is not None or
                  cell_text(rows[start][i])]
        if filled and all(i < len(canon) and c is not None and canon[i] == c
                          for i, c in filled):
            start += 1  # the bilingual template's English names
    width = len(header_text)
    while width and not header_text[width - 1]:
        width -= 1
    headers = header_text[:width]
    data: list[list[str]] = []
    lines: list[int] = []
    unnamed: set[int] = set()
    for idx in range(start, len(rows)):
        raw = rows[idx]
        cells = [cell_text(v, canon[i] if i < len(canon) else None) for i, v in enumerate(raw)]
        if not any(cells):
            continue  # blank rows (also the template's empty formatted rows)
        unnamed.update(i for i, v in enumerate(cells) if v and (i >= width or not headers[i]))
        cells = (cells + [""] * width)[:width]
        data.append(cells)
        lines.append(idx + 1)
    return SheetTable(name, header_idx + 1, headers, data, lines, fmt,
                      [_letter(i) for i in sorted(unnamed)])


def _letter(idx: int) -> str:
    out = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out
