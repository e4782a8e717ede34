"""One validator of meter readings, for files and feeds alike (Arrow in, DuckDB SQL).

中文：计量读数的统一校验（文件导入与数据推送共用）：同样的时间格式、数值规则和错误信息。

A readings file (``carbonpeak import readings``) and a pushed batch (HTTP, MQTT) are checked by
the same :func:`validate_readings`, so they accept the same rows and name the same problems:

* ``ts``: ISO 8601 (``2024-03-01``, ``2024-03-01T08:00``, ``2024-03-01 08:00:00.5``, with ``Z``,
  ``+08:00``, ``+0800`` or ``+08``); without an offset it is the district's local time. Or Unix
  epoch seconds (9-13 digits, optional fraction; milliseconds when >= 10^12).
* ``value``: a finite number by the one number rule (:mod:`.numbers`): thousands separators
  only in their proper place (``12,000.5``); ``1,5`` is not a number. An interval meter's
  value is never negative.
* a row for a meter not in ``meters`` is rejected (the caller chooses the words: a file says
  "import meters first", a feed says "not a meter this client may write" for unknown and
  foreign meters alike); exact repeats of a meter and time count once, repeats with another
  value are rejected, all of them.

The caller decides what to do with the errors: a file is refused whole, a feed stores the good
rows and records the bad ones with its batch.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from carbonpeak.domain.units import normalise_unit, unit_factor
from carbonpeak.errors import RowError, UnitError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.numbers import BAD_COMMAS, NUMBER_SQL
from carbonpeak.intake.formats.text import CONTROL_RE2, control_character, xlsx_value

__all__ = ["NOT_WRITABLE", "READING_SCHEMA", "MeterInfo", "ValidatedReadings", "raw_errors",
           "validate_readings", "with_raw_errors"]

READING_SCHEMA = pa.schema([
    ("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("value", pa.float64()),
    ("month", pa.string()),
])
# ISO 8601 date, or date and time with optional seconds, fraction and offset
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_EPOCH = r"^\d{9,13}(\.\d+)?$"


@dataclass(frozen=True)
class MeterInfo:
    """What validation needs to know of a meter the sender may write."""

    register: str
    carrier: str
    unit: str


@dataclass
class ValidatedReadings:
    """The rows accepted (by dataset) and the rows rejected, with counts worth telling."""

    tables: dict[str, pa.Table]
    errors: list[RowError]
    rows_in: int
    collapsed: int = 0
    converted: int = 0
    #: the file row (or batch position) of every accepted row: meter_id, ts, row, register
    index: pa.Table | None = None

    @property
    def accepted(self) -> int:
        """Rows stored (exact repeats counted once)."""
        return sum(t.num_rows for t in self.tables.values())

    @property
    def rejected_rows(self) -> int:
        """Distinct rows rejected."""
        return len({e.row for e in self.errors})

    def refuse(self, errors: list[RowError]) -> None:
        """Refuse more accepted rows (a later check, e.g. plausibility): each error's row is
        taken out of :attr:`tables` and the error is added."""
        if not errors:
            return
        rows = pa.array(sorted({int(e.row) for e in errors if e.row is not None}), pa.int64())
        assert self.index is not None
        gone = self.index.filter(pc.is_in(self.index["row"], rows))
        keys = {(m, t) for m, t in zip(gone["meter_id"].to_pylist(), gone["ts"].to_pylist(),
                                       strict=True)}
        for name, table in self.tables.items():
            if table.num_rows:
                keep = [(m, t) not in keys for m, t in zip(
                    table["meter_id"].to_pylist(), table["ts"].to_pylist(), strict=True)]
                self.tables[name] = table.filter(pa.array(keep, pa.bool_()))
        self.index = self.index.filter(pc.invert(pc.is_in(self.index["row"], rows)))
        self.errors.extend(errors)
        self.errors.sort(key=lambda e: (e.row or 0, e.column or ""))


def with_raw_errors(table: pa.Table, errors: list[RowError]) -> pa.Table:
    """``table`` carrying ``errors`` (rows that could not even be read) to the validator."""
    meta = {b"errors": orjson.dumps([e.to_dict() for e in errors])} if errors else None
    return table.replace_schema_metadata(meta)


def raw_errors(table: pa.Table) -> list[RowError]:
    """The errors :func:`with_raw_errors` attached to ``table``."""
    return [RowError.from_dict(e) for e in orjson.loads(
        (table.schema.metadata or {}).get(b"errors", b"[]"))]


_CHECKS = """
WITH p AS (
  SELECT r.row, r.meter_id, r.ts AS ts_raw, r.value AS value_raw, r.unit AS unit_raw,
         m.register, m.carrier, m.unit AS meter_unit, trim(r.ts) AS t,
         $number AS v,
         CASE WHEN r.unit IS NULL OR trim(r.unit) = '' THEN 1.0 ELSE s.scale END AS scale
  FROM raw r
  LEFT JOIN meters m ON m.meter_id = r.meter_id
  LEFT JOIN scales s ON s.unit_raw = r.unit AND s.carrier = m.carrier
                    AND s.meter_unit = m.unit
), k AS (
  SELECT *, regexp_full_match(t, $iso) AS iso FROM p
), c AS (
  SELECT *,
         CASE WHEN iso THEN TRY_CAST(t AS TIMESTAMPTZ)
              WHEN regexp_full_match(t, $epoch)
                THEN to_timestamp(CASE WHEN TRY_CAST(t AS DOUBLE) >= 1e12
                  THEN TRY_CAST(t AS DOUBLE) / 1000
                  ELSE TRY_CAST(t AS DOUBLE) END) END AS tstz
  FROM k
)
SELECT row, meter_id, ts_raw, value_raw, unit_raw, register, carrier, meter_unit, v, scale,
       tstz AT TIME ZONE 'UTC' AS ts_utc,
       -- a local time without offset names its month itself, on days 2-27: a daylight-saving
       -- gap (up to a skipped day) or 24:00 moves a time by at most a day, never out of them
       CASE WHEN tstz IS NULL THEN NULL
            WHEN iso AND substr(t, 9, 2) BETWEEN '02' AND '27' AND NOT suffix(t, 'Z')
                 AND NOT contains(substr(t, 11), '+') AND NOT contains(substr(t, 11), '-')
              THEN substr(t, 1, 7)
            ELSE strftime(tstz AT TIME ZONE $tz, '%Y-%m') END AS month,
       coalesce(register IS NOT NULL AND tstz IS NOT NULL AND NOT isnan(v) AND NOT isinf(v)
                AND scale IS NOT NULL AND NOT (register = 'interval' AND v < 0), false) AS ok
FROM c
"""

_BAD = """
WITH b AS (SELECT * FROM checked WHERE NOT ok)
SELECT row, 'meter_id' AS col, meter_id AS val,
       CASE WHEN meter_id IS NULL OR trim(meter_id) = '' THEN 'required'
            ELSE 'unknown_meter' END AS why, NULL AS carrier, NULL AS meter_unit
FROM b WHERE register IS NULL
UNION ALL
SELECT row, 'ts', ts_raw, CASE WHEN ts_raw IS NULL OR trim(ts_raw) = ''
    THEN 'required' ELSE 'time' END, NULL, NULL
FROM b WHERE ts_utc IS NULL
UNION ALL
SELECT row, 'value', value_raw, CASE WHEN value_raw IS NULL OR trim(value_raw) = ''
    THEN 'required' WHEN regexp_full_match(trim(value_raw), '$bad_commas')
    THEN 'comma_decimal' ELSE 'not_number' END, NULL, NULL
FROM b WHERE v IS NULL OR isnan(v) OR isinf(v)
UNION ALL
SELECT row, 'value', value_raw, 'negative', NULL, NULL
FROM b WHERE register = 'interval' AND v < 0
UNION ALL
SELECT row, 'unit', unit_raw, 'wrong_unit', carrier, meter_unit
FROM b WHERE register IS NOT NULL AND scale IS NULL
"""

_DUCK: tuple[int, duckdb.DuckDBPyConnection] | None = None
_DUCK_LOCK = threading.Lock()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """A new connection (cursor) to this process's in-memory DuckDB database.

    Opening a database costs ~20 ms, a cursor on it well under 1 ms; cursors keep their own
    settings (TimeZone) and registered tables, and may be used from different threads.
    """
    global _DUCK  # one database per process, made on first use
    with _DUCK_LOCK:
        if _DUCK is None or _DUCK[0] != os.getpid():  # not a database of a parent process
            duck = duckdb.connect()
            duck.execute("SET threads TO 2")
            _DUCK = (os.getpid(), duck)
        return _DUCK[1].cursor()


#: the reason for a row whose meter is not among those given, as a pushed batch tells it
NOT_WRITABLE = msg("intake.feed.not_writable_meter")


def _fold_full_width(raw: pa.Table) -> pa.Table:
    """``ts`` and ``value`` with full-width forms read as ASCII (NFKC: ``１２３`` is ``123``),
    as every file and form field is read (:func:`carbonpeak.intake.formats.parsing.fold`)."""
    for name in ("ts", "value"):
        i = raw.schema.get_field_index(name)
        if i >= 0 and pa.types.is_string(raw.schema.field(i).type):
            raw = raw.set_column(i, name, pc.utf8_normalize(raw.column(i), "NFKC"))
    return raw


def validate_readings(raw: pa.Table, meters: Mapping[str, MeterInfo], *, tz: str,
                      source: str, unknown_meter: Message = NOT_WRITABLE,
                      sheet: str | None = None) -> ValidatedReadings:
    """Check every row of ``raw`` (string columns meter_id, ts, value, unit, and row).

    ``meters`` are the meters the sender may write (id → register, carrier, unit). A row for
    any other meter is rejected with ``unknown_meter``: for a feed one message whether the
    meter is unknown or belongs to another entity, so a sender learns nothing about meters
    that are not its own; a file says to import the meters first. ``row`` numbers the rows in
    the errors (a file passes its lines); ``sheet`` names a spreadsheet's sheet in them.
    """
    errors = raw_errors(raw) + _control_errors(raw, source, sheet)
    raw = _fold_full_width(raw)
    reasons = {"required": msg("intake.cell.required"), "unknown_meter": unknown_meter,
               "time": msg("intake.cell.time"), "not_number": msg("intake.cell.not_number"),
               "comma_decimal": msg("intake.cell.comma_decimal"),
               "negative": msg("intake.readings.negative")}
    con = _duckdb()
    try:
        con.execute(f"SET TimeZone = '{_safe_tz(tz)}'")
        meter_ids = list(meters)
        con.register("raw", raw)
        con.register("meters", pa.table({
            "meter_id": pa.array(meter_ids, pa.string()),
            "register": pa.array([meters[m].register for m in meter_ids], pa.string()),
            "carrier": pa.array([meters[m].carrier for m in meter_ids], pa.string()),
            "unit": pa.array([meters[m].unit for m in meter_ids], pa.string()),
        }))
        con.register("scales", _unit_scales_con(con, raw, meters))
        checked = con.sql(_CHECKS.replace("$number", NUMBER_SQL.replace("{col}", "r.value")),
                          params={"iso": _ISO, "epoch": _EPOCH, "tz": tz})
        con.register("checked", checked.to_arrow_table())
        bad = con.sql(_BAD.replace("$bad_commas", BAD_COMMAS)).fetchall()
        shape_bad = {e.row for e in errors}  # not an object: its missing fields go unsaid
        errors.extend(RowError(source, int(r[0]), str(r[1]), None if r[2] is None else str(r[2]),
                               reasons[r[3]] if r[3] in reasons else msg(
                                   "intake.feed.wrong_unit", carrier=r[4], meter_unit=r[5]),
                               sheet)
                      for r in bad if int(r[0]) not in shape_bad)
        good = ("SELECT row, meter_id, ts_utc AS ts, v * scale AS value, month, register, "
                "scale <> 1.0 AS converted FROM checked WHERE ok")
        if shape_bad:
            con.register("shape_bad", pa.table({"row": pa.array(
                sorted(r for r in shape_bad if r is not None), pa.int64())}))
            good += " AND row NOT IN (SELECT row FROM shape_bad)"
        # rows sharing a key: exact repeats count once; repeats with another value conflict
        dup_keys = con.sql(f"SELECT meter_id, ts FROM ({good}) GROUP BY ALL "
                           "HAVING count(*) > 1").to_arrow_table()
        drop: list[int] = []
        collapsed = 0
        if dup_keys.num_rows:
            con.register("dup_keys", dup_keys)
            repeats = con.sql(f"""
                SELECT row, meter_id, ts, list(row ORDER BY row)
                         OVER (PARTITION BY meter_id, ts) AS rows_with_key,
                       count(DISTINCT value) OVER (PARTITION BY meter_id, ts) > 1 AS conflict,
                       row_number() OVER (PARTITION BY meter_id, ts ORDER BY row) AS n
                FROM ({good}) g SEMI JOIN dup_keys USING (meter_id, ts)
                ORDER BY row
            """).fetchall()
            for row, meter, ts, others, conflict, n in repeats:
                if conflict:
                    lines = ", ".join(str(o) for o in others if o != row)
                    errors.append(RowError(
                        source, int(row), "meter_id", f"{meter}@{ts:%Y-%m-%dT%H:%M:%S}Z",
                        msg("intake.readings.repeat_conflict", rows=lines), sheet))
                    drop.append(int(row))
                elif n > 1:
                    collapsed += 1
                    drop.append(int(row))
        kept = good
        if drop:
            con.register("dropped", pa.table({"row": pa.array(drop, pa.int64())}))
            kept = f"SELECT * FROM ({good}) ANTI JOIN dropped USING (row)"
        out = con.sql(f"SELECT meter_id, ts, value, month, register, converted, row "
                      f"FROM ({kept}) ORDER BY meter_id, ts").to_arrow_table()
    finally:
        con.close()
    converted = int(pc.sum(out["converted"]).as_py() or 0) if out.num_rows else 0
    tables = {}
    for dataset, reg in (("readings", "interval"), ("registers", "cumulative")):
        part = out.filter(pc.equal(out["register"], reg)) if out.num_rows else out
        tables[dataset] = part.select(["meter_id", "ts", "value", "month"]).cast(READING_SCHEMA)
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    index = out.select(["meter_id", "ts", "row", "register"]).cast(pa.schema([
        ("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("row", pa.int64()),
        ("register", pa.string())]))
    return ValidatedReadings(tables, errors, raw.num_rows, collapsed=collapsed,
                             converted=converted, index=index)


def _control_errors(raw: pa.Table, source: str, sheet: str | None) -> list[RowError]:
    """Rows with a control character in any field (refused; shown escaped)."""
    out: list[RowError] = []
    for col in ("meter_id", "ts", "value", "unit"):
        if col not in raw.column_names:
            continue
        arr = raw[col]
        hit = pc.fill_null(pc.match_substring_regex(arr, CONTROL_RE2), False)
        if not pc.any(hit).as_py():
            continue
        for row, v in zip(raw.filter(hit)["row"].to_pylist(), arr.filter(hit).to_pylist(),
                          strict=True):
            char = control_character(v) or ""
            out.append(RowError(source, int(row), col, xlsx_value(v)[:200], msg(
                "intake.cell.control_character",
                char=f"NUL, {char}" if char == "U+0000" else char), sheet))
    return out


def _unit_scales_con(con: duckdb.DuckDBPyConnection, raw: pa.Table,
                     meters: Mapping[str, MeterInfo]) -> pa.Table:
    units = [str(r[0]) for r in con.sql(
        "SELECT DISTINCT unit FROM raw WHERE unit IS NOT NULL AND trim(unit) <> ''").fetchall()]
    out: dict[str, list[Any]] = {"unit_raw": [], "carrier": [], "meter_unit": [], "scale": []}
    for carrier, meter_unit in sorted({(m.carrier, m.unit) for m in meters.values()}):
        for u in units:
            try:
                scale: float | None = (unit_factor(normalise_unit(u), carrier)
                                       / unit_factor(meter_unit, carrier))
            except UnitError:
                scale = None
            if scale is not None and not math.isfinite(scale):
                scale = None
            out["unit_raw"].append(u)
            out["carrier"].append(carrier)
            out["meter_unit"].append(meter_unit)
            out["scale"].append(scale)
    return pa.table({"unit_raw": pa.array(out["unit_raw"], pa.string()),
                     "carrier": pa.array(out["carrier"], pa.string()),
                     "meter_unit": pa.array(out["meter_unit"], pa.string()),
                     "scale": pa.array(out["scale"], pa.float64())})


def _safe_tz(tz: str) -> str:
    if not all(c.isalnum() or c in "/_+-" for c in tz):
        msg = f"not a time zone name: {tz!r}"
        raise ValueError(msg)
    return tz
