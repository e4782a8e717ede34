"""Daily mean outdoor temperature from a file (CSV, .xlsx, .xls): every bad cell named.

中文：日平均气温文件的读取与校验（CSV/Excel，UTF-8 或 GB18030，中英文表头）。

One row per day: ``date`` and the day's mean temperature. Headers may be English or Chinese
(``日期``, ``日平均气温``). The unit is °C unless the temperature header says °F (``temp_mean
(°F)``, ``日平均气温（℉）``, ``temp_mean_f``) or a ``unit`` column does, row by row; °F is
converted, ``(T − 32) × 5/9``, and the result says so. A value outside −50…45 °C, a date that
is not a calendar day or lies outside 1990…2100, a date given twice and a cell holding a NUL
character are refused, naming file, row and column; nothing of a refused file is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats import excel
from carbonpeak.intake.formats.csvfiles import (
    ParsedFile,
    _duplicates,
    _flag,
    _number,
    decode_text,
    read_import_file,
)
from carbonpeak.intake.formats.vocab import COLUMNS, canonical_column

__all__ = ["FIRST_DAY", "LAST_DAY", "MAX_TEMP_C", "MIN_TEMP_C", "WEATHER_COLUMNS",
           "WeatherFile", "nul_error", "parse_date", "read_weather_file"]

#: plausible daily mean outdoor temperature [°C] (records: about −50 °C in Siberia's winter
#: days, about 40 °C in the hottest deserts; China −45 … 38)
MIN_TEMP_C, MAX_TEMP_C = -50.0, 45.0
#: the plausible days of weather and projects (the API's date range too)
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)

#: column -> (required, aliases) of a weather file, in the shape of :data:`vocab.COLUMNS`
WEATHER_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = COLUMNS["weather"]

_CELSIUS = {"c", "°c", "℃", "degc", "celsius", "摄氏度", "摄氏", "°", "度"}
_FAHRENHEIT = {"f", "°f", "℉", "degf", "fahrenheit", "华氏度", "华氏"}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")
_DATE_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")



@dataclass
class WeatherFile:
    """A checked weather file: one temperature [°C] per day, in file order."""

    name: str
    days: list[dt.date]
    temps_c: list[float]
    stations: list[str]
    lines: list[int]
    converted_rows: int = 0
    notes: list[Message] = field(default_factory=list)

    @property
    def first(self) -> dt.date:
        """The earliest day."""
        return min(self.days)

    @property
    def last(self) -> dt.date:
        """The latest day."""
        return max(self.days)


def parse_date(text: str) -> dt.date | None:
    """A calendar day from ``2024-01-31``, ``2024/1/31``, ``2024.1.31``, ``20240131`` or
    ``2024年1月31日`` (a midnight time is allowed); ``None`` when it is none of those.

    >>> parse_date("2024年2月29日"), parse_date("2023-02-29")
    (datetime.date(2024, 2, 29), None)
    """
    text = unicodedata.normalize("NFKC", text).strip()
    m = _DATE.match(text) or _DATE_ZH.match(text) or _DATE_COMPACT.match(text)
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def nul_error(file: str, line: int | None, column: str, value: str,
              sheet: str | None = None) -> RowError:
    """The error of a cell holding a NUL character (``\\x00``), which no text column of the
    registry can store (PostgreSQL refuses it); the value is shown with ``\\x00`` escaped."""
    return RowError(file, line, column, value.replace("\x00", "\\x00")[:80],
                    msg("intake.cell.nul"), sheet)


def _unit_of(text: str) -> str | None:
    """``"C"``, ``"F"`` or ``None`` (unknown) for a unit cell or a header's unit suffix."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    if key in _CELSIUS:
        return "C"
    if key in _FAHRENHEIT:
        return "F"
    return None


def _header_unit(header: str) -> str | None:
    """The unit a temperature header names: ``(°F)``, ``[℉]``, ``_f``, ``华氏`` … or None."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower()
    if "华氏" in key or "°f" in key or key.endswith("_f") or re.search(r"[(\[]f[)\]]$", key):
        return "F"
    if "摄氏" in key or "°c" in key or key.endswith("_c") or re.search(r"[(\[]c[)\]]$", key):
        return "C"
    return None


def _raw_headers(path: Path) -> list[str]:
    """The header cells as written (the shared reader keeps only canonical names)."""
    fmt = excel.spreadsheet_format(path)
    if fmt is not None:
        return excel.read_spreadsheet(path, "weather", fmt).headers
    text, _enc = decode_text(path.read_bytes(), path.name)
    return next(csv.reader(io.StringIO(text)), [])


def read_weather_file(path: Path, *, rename: Mapping[str, str] | None = None) -> WeatherFile:
    """Read and check a daily weather file; raise :class:`InputValidationError` with every
    problem (file, row, column, value, reason). ``rename`` maps the file's headers to the
    columns (a browser upload's column mapping).

    Checks: a date and a temperature column; every date a calendar day within 1990…2100 and
    given once; every temperature a number in −50…45 °C after conversion; a unit, when given,
    °C or °F; no cell holding a NUL character.
    """
    name = path.name
    if not path.is_file():
        raise InputValidationError([RowError(name, None, None, None,
                                                     msg("intake.file.not_found"))])
    pf = read_import_file(path, "weather", rename=rename)
    header_unit = None
    for h in _raw_headers(path):
        if h and canonical_column("weather", h) == "temp_mean_c":
            header_unit = _header_unit(h)
    errors: list[RowError] = []
    f = pf.frame
    if f.empty:
        raise InputValidationError([RowError(name, None, None, None,
                                             msg("intake.file.no_rows"), pf.sheet)])
    for col in f.columns:
        if col == "_line":
            continue
        cells = f[col].astype(str)
        has_nul = cells.str.contains("\x00", regex=False)
        errors.extend(nul_error(name, int(line), str(col), v, pf.sheet) for line, v in
                      zip(f.loc[has_nul, "_line"], cells[has_nul], strict=True))
    value = _number(pf, "temp_mean_c", errors, required=True)
    units = _row_units(pf, header_unit, errors)
    days = [parse_date(v) for v in f["date"].tolist()]
    bad_day = pd.Series([d is None for d in days], index=f.index)
    _flag(pf, bad_day & (f["date"] != ""), "date", errors,
          msg("intake.weather.day"))
    _flag(pf, f["date"] == "", "date", errors, msg("intake.cell.required"))
    _flag(pf, pd.Series([d is not None and not FIRST_DAY <= d <= LAST_DAY for d in days],
                        index=f.index, dtype=bool), "date", errors,
          msg("intake.weather.day_range", first=FIRST_DAY.year, last=LAST_DAY.year))
    is_f = units == "F"
    temps = value.where(~is_f, (value - 32.0) * 5.0 / 9.0)
    implausible = value.notna() & ~temps.between(MIN_TEMP_C, MAX_TEMP_C)
    code = "intake.weather.implausible" if bool(is_f.any()) \
        else "intake.weather.implausible_hint_f"
    _flag(pf, implausible & ~is_f, "temp_mean_c", errors,
          msg(code, low=f"{MIN_TEMP_C:g}", high=f"{MAX_TEMP_C:g}"))
    _flag(pf, implausible & is_f, "temp_mean_c", errors,
          msg("intake.weather.implausible_f", low=f"{MIN_TEMP_C:g}", high=f"{MAX_TEMP_C:g}"))
    keyed = ParsedFile(name, f.assign(_day=[str(d) if d else f"?{i}" for i, d in
                                             enumerate(days)]), sheet=pf.sheet)
    _duplicates(keyed, ["_day"], errors)
    errors = [RowError(e.file, e.row, "date", (e.value or "").removeprefix("_day="),
                       msg("intake.weather.repeat_day", lines=e.params["lines"]), pf.sheet)
              if e.column == "_day" else replace(e, sheet=pf.sheet) for e in errors]
    if errors:
        raise InputValidationError(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    out = WeatherFile(name=name, days=[d for d in days if d is not None],
                      temps_c=[round(float(t), 6) for t in temps.tolist()],
                      stations=f["station"].tolist(), lines=[int(x) for x in f["_line"]],
                      converted_rows=int(is_f.sum()))
    if out.converted_rows:
        out.notes.append(msg("intake.batch.fahrenheit", rows=out.converted_rows))
    if pf.ignored_columns:
        out.notes.append(msg("intake.batch.ignored", columns=", ".join(pf.ignored_columns)))
    return out


def _row_units(pf: ParsedFile, header_unit: str | None, errors: list[RowError]) -> pd.Series:
    """``C``/``F`` per row from the unit column, else the header's, else °C."""
    f = pf.frame
    cells = f["unit"]
    parsed = cells.map(lambda v: _unit_of(v) if v else None)
    _flag(pf, (cells != "") & parsed.isna(), "unit", errors,
          msg("intake.weather.unit"))
    if header_unit is not None:
        _flag(pf, parsed.notna() & (parsed != header_unit), "unit", errors,
              msg("intake.weather.unit_contradicts", unit=f"°{header_unit}"))
    default = header_unit or "C"
    return parsed.where(parsed.notna(), default).astype(str)

