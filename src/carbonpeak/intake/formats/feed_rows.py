"""Reading pushed readings (HTTP bodies, MQTT messages) into rows for the shared validator.

中文：推送读数（HTTP、MQTT）的解析；逐行校验与文件导入共用
（:mod:`carbonpeak.intake.formats.readings`）。

A machine batch is not all-or-nothing like a file import: every row that passes is stored, every
row that does not is rejected with its reason and kept with the batch (a gateway cannot fix a
reading by hand). ``row`` is the record's position in the batch, 1 = the first record (the first
array element, or the first CSV line after the header).

The rules are those of the file import contract (one validator for both,
:func:`~carbonpeak.intake.formats.readings.validate_readings`): a time without an offset is
local time of the district; a reading of a cumulative register goes to the ``registers``
dataset; exact repeats of a row count once, repeats with another value are rejected. A row
may name a unit: when it measures the meter's carrier the value is converted to the meter's
unit (and counted in the batch message), otherwise the row is rejected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.formats.readings import (
    READING_SCHEMA,
    MeterInfo,
    ValidatedReadings,
    validate_readings,
    with_raw_errors,
)
from carbonpeak.intake.formats.vocab import canonical_column

__all__ = [  # the validator lives in formats.readings, shared with readings files
    "READING_SCHEMA",
    "MeterInfo",
    "ValidatedReadings",
    "parse_body",
    "json_text",
    "records_table",
    "validate_readings",
]

_RAW_COLUMNS = ("meter_id", "ts", "value", "unit")


def parse_body(body: bytes, content_type: str, source: str) -> pa.Table:
    """A JSON array (or ``{"readings": [...]}``) or a CSV body, as a table of strings.

    Raises
    ------
    InputValidationError
        The body is not JSON/CSV of that shape, or lacks a required column; nothing is stored.
    """
    ctype = content_type.split(";")[0].strip().lower()
    if not body.strip():
        raise InputValidationError([RowError(source, None, None, None,
                                             msg("intake.feed.empty_body"))])
    if ctype in ("text/csv", "application/csv"):
        return _csv_table(body, source)
    if ctype in ("application/json", "", "application/octet-stream"):
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InputValidationError(
                [RowError(source, None, None, None,
                           msg("intake.feed.bad_json", detail=str(exc)))]) from None
        if isinstance(doc, dict) and isinstance(doc.get("readings"), list):
            doc = doc["readings"]
        if not isinstance(doc, list):
            raise InputValidationError([RowError(
                source, None, None, None, msg("intake.feed.not_readings_array"))])
        return records_table(doc, source)
    raise InputValidationError([RowError(
        source, None, None, None, msg("intake.feed.content_type", ctype=ctype))])


def json_text(v: Any) -> str | None:
    """A JSON scalar as text for validation; None when absent; objects are kept visible."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"  # not a number: the value check names it
    if isinstance(v, int | float):
        return repr(v) if isinstance(v, float) else str(v)
    return orjson.dumps(v).decode()


def records_table(records: Iterable[Any], source: str) -> pa.Table:
    """JSON records (dicts) as a string table; a record that is not an object is an error."""
    if isinstance(records, list):
        fast = _regular_records_table(records)
        if fast is not None:
            return fast
    cols: dict[str, list[str | None]] = {c: [] for c in _RAW_COLUMNS}
    errors: list[RowError] = []
    meter, ts, value, unit = (cols[c] for c in _RAW_COLUMNS)
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            errors.append(RowError(source, i, None, json_text(rec),
                                   msg("intake.feed.not_object")))
            rec = {}
        meter.append(json_text(rec.get("meter_id")))
        ts.append(json_text(rec.get("ts")))
        value.append(json_text(rec.get("value")))
        unit.append(json_text(rec.get("unit")))
    table = pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})
    table = table.append_column("row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    return with_raw_errors(table, errors)


def _regular_records_table(records: list[Any]) -> pa.Table | None:
    """The common shape, column by column: every record an object, meter_id, ts and unit
    strings (or absent/null), value a finite number or a string (or absent/null).

    Returns None for anything else; :func:`records_table` then goes row by row, which gives
    the same table (a finite number's text differs, e.g. ``100`` for ``100.0``, but it reads
    as the same value, and only invalid values are ever quoted back).
    """
    if not all(type(r) is dict for r in records):
        return None
    cols: dict[str, pa.Array] = {}
    for name in _RAW_COLUMNS:
        values = [r.get(name) for r in records]
        types = set(map(type, values))
        if types <= {str, type(None)}:
            cols[name] = pa.array(values, pa.string())
        elif name == "value" and types <= {float, int, type(None)}:
            try:
                num = pa.array(values, pa.float64())
            except (pa.ArrowException, OverflowError, TypeError):
                return None
            if not pc.all(pc.is_finite(num)).as_py() and num.null_count < len(num):
                return None
            cols[name] = num.cast(pa.string())
        else:
            return None
    table = pa.table(cols)
    return table.append_column("row", pa.array(range(1, table.num_rows + 1), pa.int64()))


def _csv_table(body: bytes, source: str) -> pa.Table:
    encoding = "utf8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "gb18030"
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        first = io.TextIOWrapper(io.BytesIO(body), encoding=encoding.replace("utf8", "utf-8"))
        header = next(csv.reader([first.readline()]))
    except (UnicodeDecodeError, StopIteration):
        raise InputValidationError(
            [RowError(source, None, None, None, msg("intake.feed.no_header"))]) from None
    names: list[str] = []
    for h in header:
        canon = canonical_column("readings", h) or ("unit" if h.strip().lower() in (
            "unit", "单位") else None)
        names.append(canon or f"_ignored_{len(names)}")
    missing = [c for c in ("meter_id", "ts", "value") if c not in names]
    if missing:
        raise InputValidationError([RowError(source, 1, c, None,
                                             msg("intake.feed.missing_column"))
                                    for c in missing])
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           encoding=encoding),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputValidationError(
            [RowError(source, None, None, None,
                      msg("intake.feed.bad_csv", detail=str(exc)))]) from None
    if "unit" not in table.column_names:
        table = table.append_column("unit", pa.nulls(table.num_rows, pa.string()))
    table = table.select(list(_RAW_COLUMNS))
    return table.append_column("row", pa.array(range(1, table.num_rows + 1), pa.int64()))
