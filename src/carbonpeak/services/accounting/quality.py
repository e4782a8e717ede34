"""Data quality of meter readings: flags per meter and local day, stored beside the lake.

中文：计量数据质量检查（按表计、按日）：完整率、缺测、重复、负值、不可能值、尖峰、
卡值、表码复位与翻转、未来时间、投运前数据、单位不符。

Two layers:

- :func:`check_quality` is pure: given the meters, the interval readings and the cumulative
  register reads of a month (and of the two months before it, its *context*), a time zone
  and the check time, it returns one row per meter and local day with a count per flag. It
  runs DuckDB SQL on Arrow tables only, so it is tested without a lake.
- :func:`refresh_quality` and :func:`quality_report` face the lake: they store the flags of
  each district-month as a derived dataset, ``<lake>/quality/district=<id>/month=YYYY-MM/
  q-<snapshot>.parquet``, where ``snapshot`` hashes the live readings and registers files of
  the month and of its context months, the meters' settings that the checks use and the
  version of the checks. When an import changes the live files, the snapshot changes, the
  stored flags are stale and the next report recomputes them.

Every flag, its definition and threshold is documented in ``docs/data-quality.md``; the
thresholds are the fields of :class:`QualityThresholds`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carbonpeak.domain.accounting import register_wrap
from carbonpeak.domain.plausibility import MIN_HISTORY_DAYS, SPIKE_PEAK_RATIO, SPIKE_Z, UNIT_LOG10
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import Message
from carbonpeak.storage.lake.store import folder_lock, write_parquet_durably
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.registry.repositories import accounting as repo
from carbonpeak.storage.workspace import Workspace

__all__ = [
    "FLAGS",
    "QUALITY_VERSION",
    "QualityReport",
    "QualityThresholds",
    "check_quality",
    "context_months",
    "fill_interval_gaps",
    "local_days",
    "quality_report",
    "refresh_quality",
]

QUALITY_VERSION = 1  # bump when a check changes: every stored month becomes stale
NO_STREET = "(未分配街道)"

# flag name -> (count column, 中文, English)
FLAGS: dict[str, tuple[str, str, str]] = {
    "no_data": ("n_missing", "无数据", "no reading on a day that expects some"),
    "gap": ("n_missing", "缺测", "some expected intervals missing"),
    "off_grid": ("n_off_grid", "时间不在采集间隔上", "timestamp off the meter's interval grid"),
    "duplicates": ("n_surplus", "多余读数", "more readings than intervals"),
    "negative": ("n_negative", "负值", "negative value"),
    "impossible": ("n_impossible", "不可能值", "value beyond a physical bound"),
    "spike": ("n_spikes", "尖峰", "spike against the meter's robust scale"),
    "stuck": ("n_stuck", "卡值", "value stuck (repeats, or register does not move)"),
    "reset": ("n_resets", "表码复位", "register dropped (replaced or reset)"),
    "rollover": ("n_rollovers", "表码翻转", "register rolled over its full scale"),
    "future": ("n_future", "未来时间", "timestamp later than the check time"),
    "before_commissioning": ("n_before_commissioning", "投运前数据",
                             "timestamp before the meter's commissioning date"),
    "unit_mismatch": ("unit_mismatch", "单位不符",
                      "day about 1000× or 1/1000 of the meter's typical day"),
}
COUNT_COLUMNS = ["n_missing", "n_off_grid", "n_surplus", "n_negative", "n_impossible",
                 "n_spikes", "n_stuck", "n_resets", "n_rollovers", "n_future",
                 "n_before_commissioning", "unit_mismatch"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_DIR = re.compile(r"month=(\d{4}-\d{2})")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class QualityThresholds:
    """The thresholds of the checks (see docs/data-quality.md).

    Attributes
    ----------
    spike_z
        A value is a spike when it exceeds the meter's month median by more than
        ``spike_z`` robust standard deviations (1.4826 × MAD; when the MAD is 0,
        1.2533 × the mean absolute deviation from the median) …
    spike_peak_ratio
        … and is above ``spike_peak_ratio`` × the meter's typical daily peak (the median over
        the month's days of the day's largest value), so that the daily load shape of an
        air-conditioning or PV meter is not taken for spikes.
    impossible_peak_ratio
        An interval value (a cumulative register's consumption rate) above
        ``impossible_peak_ratio`` × the meter's typical daily peak is impossible; so is a
        register read above its ``rollover_at``.
    stuck_min_intervals, stuck_min_hours
        The same non-zero interval value repeated on at least
        ``max(stuck_min_intervals, stuck_min_hours × 60 / interval_minutes)`` consecutive
        intervals is stuck.
    unit_log10
        A day whose level (mean interval value; a register's consumption per hour) differs
        from the meter's typical day by a factor of ``10**unit_log10`` or more (≈ 316×) is a
        unit mismatch (a unit error is a factor of 1000).
    reference_min_days
        The typical day is the median over the context months (before the month) when they
        have at least this many days with a positive level, else over the month itself.
    recheck_minutes
        Flags of a month computed before its end are recomputed when older than this.
    """

    spike_z: float = SPIKE_Z
    spike_peak_ratio: float = SPIKE_PEAK_RATIO
    impossible_peak_ratio: float = 20.0
    stuck_min_intervals: int = 12
    stuck_min_hours: float = 6.0
    unit_log10: float = UNIT_LOG10
    reference_min_days: int = MIN_HISTORY_DAYS
    recheck_minutes: float = 15.0


DEFAULT_THRESHOLDS = QualityThresholds()


# -- calendar -----------------------------------------------------------------------------
def _parse_month(month: str) -> tuple[int, int]:
    m = _MONTH.match(month)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        msg = f"month must be YYYY-MM, e.g. 2024-03; got {month!r}"
        raise ValueError(msg)
    return int(m.group(1)), int(m.group(2))


def context_months(month: str, n: int = 2) -> list[str]:
    """``month`` and the ``n`` months before it, oldest first.

    >>> context_months("2024-02")
    ['2023-12', '2024-01', '2024-02']
    """
    y, m = _parse_month(month)
    out = []
    for k in range(n, -1, -1):
        idx = y * 12 + (m - 1) - k
        out.append(f"{idx // 12}-{idx % 12 + 1:02d}")
    return out


def _utc(local: dt.datetime) -> dt.datetime:
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC start and end of the local ``month`` in ``tz``."""
    y, m = _parse_month(month)
    zone = ZoneInfo(tz)
    start = dt.datetime(y, m, 1, tzinfo=zone)
    end = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=zone)
    return _utc(start), _utc(end)


def local_days(months: Sequence[str], tz: str) -> pa.Table:
    """The local days of ``months``: day (YYYY-MM-DD), month, naive-UTC start and end, minutes.

    A day is local midnight to local midnight, so a day with a DST change has 1380 or 1500
    minutes.
    """
    zone = ZoneInfo(tz)
    rows: list[tuple[str, str, dt.datetime, dt.datetime, float]] = []
    for month in months:
        y, m = _parse_month(month)
        day = dt.date(y, m, 1)
        while day.month == m:
            nxt = day + dt.timedelta(days=1)
            start = _utc(dt.datetime(day.year, day.month, day.day, tzinfo=zone))
            end = _utc(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone))
            rows.append((day.isoformat(), month, start, end, (end - start).total_seconds() / 60))
            day = nxt
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[]] * 5
    return pa.table({
        "day": pa.array(cols[0], pa.string()),
        "month": pa.array(cols[1], pa.string()),
        "day_start": pa.array(cols[2], pa.timestamp("us")),
        "day_end": pa.array(cols[3], pa.timestamp("us")),
        "day_minutes": pa.array(cols[4], pa.float64()),
    })


def _commissioned_at(dates: Sequence[dt.date | None], tz: str) -> pa.Array:
    zone = ZoneInfo(tz)
    return pa.array([None if d is None else _utc(dt.datetime(d.year, d.month, d.day,
                                                             tzinfo=zone)) for d in dates],
                    pa.timestamp("us"))


# -- the checks (pure) --------------------------------------------------------------------
METER_SCHEMA = pa.schema([
    ("meter_id", pa.string()), ("entity_id", pa.string()), ("register", pa.string()),
    ("interval_minutes", pa.int64()), ("rollover_at", pa.float64()),
    ("commissioned_on", pa.date32()),
])
READING_SCHEMA = pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")),
                            ("value", pa.float64())])


def _conform(table: pa.Table | None, schema: pa.Schema) -> pa.Table:
    if table is None:
        return schema.empty_table()
    return table.select(schema.names).cast(schema)


def check_quality(
    meters: pa.Table, readings: pa.Table | None, registers: pa.Table | None, *, month: str,
    tz: str, now: dt.datetime, thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
) -> pa.Table:
    """Flag the readings of ``month``: one row per meter and local day.

    Parameters
    ----------
    meters
        ``meter_id, entity_id, register ('interval'|'cumulative'), interval_minutes,
        rollover_at, commissioned_on (date or null)``.
    readings
        Interval-register readings ``meter_id, ts (naive UTC, interval start), value`` of the
        month and, for the unit check's typical day, of the two months before it.
    registers
        Cumulative-register reads, same columns, of the month and the months before it (the
        read before the month's first read is needed to see a drop).
    month
        ``YYYY-MM``, a local month of ``tz``.
    tz
        The district's time zone (days are local days).
    now
        Check time, naive UTC: later timestamps are *future*; days after it expect nothing.

    Returns
    -------
    pyarrow.Table
        Columns ``month, day, meter_id, entity_id, register, interval_minutes, expected,
        received, completeness, n_missing, longest_gap_minutes`` and the flag counts
        ``n_off_grid, n_surplus, n_negative, n_impossible, n_spikes, n_stuck, n_resets,
        n_rollovers, n_future, n_before_commissioning, unit_mismatch`` (0/1), ``unit_ratio``
        (day level ÷ typical day) and ``flags`` (names joined by ``;``, empty when clean).
        A meter is checked in a month when it has a commissioning date before the month's
        end or sent something in the month or its context; a day is listed when it expects
        readings or has some.
    """
    months = context_months(month)
    days = local_days(months, tz)
    month_start, month_end = month_bounds(month, tz)
    m = _conform(meters, METER_SCHEMA)
    meter_tab = m.drop_columns(["commissioned_on"]).append_column(
        "commissioned_at", _commissioned_at(m.column("commissioned_on").to_pylist(), tz))
    meter_tab = meter_tab.append_column("rollover_wrap", wrap_column(
        meter_tab.column("rollover_at").to_pylist()))
    params = pa.table({
        "month": [month], "month_start": pa.array([month_start], pa.timestamp("us")),
        "month_end": pa.array([month_end], pa.timestamp("us")),
        "now": pa.array([now.replace(tzinfo=None) if now.tzinfo is None else _utc(now)],
                        pa.timestamp("us")),
    })
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.execute("SET TimeZone = 'UTC'")
        for name, table in (("meters", meter_tab), ("days", days), ("params", params),
                            ("readings", _conform(readings, READING_SCHEMA)),
                            ("registers", _conform(registers, READING_SCHEMA))):
            con.register(name, table)
        for name, sql in _check_steps(thresholds):
            con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        return con.sql("SELECT * FROM quality ORDER BY meter_id, day").to_arrow_table()
    finally:
        con.close()


def wrap_column(full_scales: list[float | None]) -> pa.Array:
    """Where each register wraps (:func:`~carbonpeak.domain.accounting.register_wrap`: full
    scale plus one unit of its last digit); null without a full scale."""
    return pa.array([register_wrap(v) if v is not None and v > 0 else None
                     for v in full_scales], pa.float64())


def _check_steps(t: QualityThresholds) -> list[tuple[str, str]]:
    """The SQL of :func:`check_quality`, in order (DuckDB dialect)."""
    iv_us = "(interval_minutes * 60000000)"
    iv_md = "(md.interval_minutes * 60000000)"
    stuck_n = (f"GREATEST({int(t.stuck_min_intervals)}, "
               f"CAST(ceil({float(t.stuck_min_hours)} * 60 / interval_minutes) AS BIGINT))")
    unit = float(t.unit_log10)
    flags = ", ".join(
        f"CASE WHEN {cond} THEN '{name}' END" for name, cond in (
            ("no_data", "expected > 0 AND n_in_window = 0"),
            ("gap", "n_missing > 0 AND n_in_window > 0"),
            ("off_grid", "n_off_grid > 0"), ("duplicates", "n_surplus > 0"),
            ("negative", "n_negative > 0"), ("impossible", "n_impossible > 0"),
            ("spike", "n_spikes > 0"), ("stuck", "n_stuck > 0"), ("reset", "n_resets > 0"),
            ("rollover", "n_rollovers > 0"), ("future", "n_future > 0"),
            ("before_commissioning", "n_before_commissioning > 0"),
            ("unit_mismatch", "unit_mismatch > 0"),
        ))
    return [
        ("evaluated", """
SELECT m.* FROM meters m, params p
WHERE (m.commissioned_at IS NOT NULL AND m.commissioned_at < p.month_end)
   OR m.meter_id IN (SELECT meter_id FROM readings, params p WHERE ts < p.month_end
                     UNION SELECT meter_id FROM registers, params p WHERE ts < p.month_end)
"""),
        ("meter_days", f"""
SELECT *,
  CASE WHEN interval_minutes > 1440 OR win_end <= win_start THEN 0
       WHEN register = 'interval' THEN GREATEST(0, end_slot - first_slot)
       WHEN epoch_us(win_end) - epoch_us(win_start) >= {iv_us} THEN 1 ELSE 0 END AS expected
FROM (
  SELECT *,
    CAST(ceil((epoch_us(win_start) - epoch_us(day_start)) / {iv_us}) AS BIGINT) AS first_slot,
    CAST(ceil((epoch_us(GREATEST(win_end, win_start)) - epoch_us(day_start)) / {iv_us})
         AS BIGINT) AS end_slot
  FROM (
    SELECT m.meter_id, m.entity_id, m.register, m.interval_minutes, m.rollover_at,
           m.commissioned_at, d.day, d.day_start, d.day_end, d.day_minutes,
           GREATEST(d.day_start, COALESCE(m.commissioned_at, d.day_start)) AS win_start,
           LEAST(d.day_end, p.now) AS win_end, p.now
    FROM evaluated m CROSS JOIN days d CROSS JOIN params p WHERE d.month = p.month))
"""),
        # -- interval registers --
        ("iv_rows", f"""
SELECT *, NOT future AND NOT before_comm AS valid,
       on_grid AND ts >= win_start AND ts < win_end AS in_window
FROM (
  SELECT r.meter_id, r.ts, r.value, md.day, md.interval_minutes, md.win_start, md.win_end,
         md.interval_minutes > 1440
           OR (epoch_us(r.ts) - epoch_us(md.day_start)) % {iv_md} = 0 AS on_grid,
         (epoch_us(r.ts) - epoch_us(md.day_start)) // {iv_md} AS slot,
         r.ts > md.now AS future,
         md.commissioned_at IS NOT NULL AND r.ts < md.commissioned_at AS before_comm
  FROM readings r JOIN days d ON r.ts >= d.day_start AND r.ts < d.day_end
  JOIN meter_days md ON md.meter_id = r.meter_id AND md.day = d.day
  WHERE md.register = 'interval')
"""),
        ("iv_med", """
SELECT m.meter_id, m.med, pk.peak
FROM (SELECT meter_id, median(value) AS med FROM iv_rows WHERE valid GROUP BY meter_id) m
LEFT JOIN (SELECT meter_id, median(day_max) AS peak
           FROM (SELECT meter_id, day, MAX(value) AS day_max FROM iv_rows WHERE valid
                 GROUP BY meter_id, day)
           WHERE day_max > 0 GROUP BY meter_id) pk ON pk.meter_id = m.meter_id
"""),
        ("iv_scale", """
SELECT s.meter_id, s.med, s.peak,
       CASE WHEN median(abs(r.value - s.med)) > 0 THEN 1.4826 * median(abs(r.value - s.med))
            ELSE 1.2533 * avg(abs(r.value - s.med)) END AS scale
FROM iv_med s JOIN iv_rows r ON r.meter_id = s.meter_id AND r.valid
GROUP BY s.meter_id, s.med, s.peak
"""),
        ("iv_runs", f"""
SELECT meter_id, ts, run_len >= {stuck_n} AND value <> 0 AS stuck
FROM (
  SELECT *, COUNT(*) OVER (PARTITION BY meter_id, run_id) AS run_len
  FROM (
    SELECT *, SUM(brk) OVER (PARTITION BY meter_id ORDER BY ts
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_id
    FROM (
      SELECT meter_id, ts, value, interval_minutes,
             CASE WHEN value <> 0 AND LAG(value) OVER w = value
                       AND epoch_us(ts) - epoch_us(LAG(ts) OVER w) = {iv_us} THEN 0
                  ELSE 1 END AS brk
      FROM iv_rows WHERE valid
      WINDOW w AS (PARTITION BY meter_id ORDER BY ts))))
"""),
        ("iv_flagged", f"""
SELECT r.*,
       r.valid AND s.peak IS NOT NULL AND r.value > {float(t.impossible_peak_ratio)} * s.peak
         AS impossible,
       COALESCE(u.stuck, FALSE) AS stuck,
       s.scale AS scale, s.med AS med, s.peak AS peak
FROM iv_rows r
LEFT JOIN iv_scale s ON s.meter_id = r.meter_id
LEFT JOIN iv_runs u ON u.meter_id = r.meter_id AND u.ts = r.ts
"""),
        ("iv_gaps", """
SELECT meter_id, day, MIN(slot) AS min_slot, MAX(slot) AS max_slot,
       MAX(inner_gap) AS max_inner
FROM (SELECT meter_id, day, slot,
             slot - LAG(slot) OVER (PARTITION BY meter_id, day ORDER BY slot) - 1 AS inner_gap
      FROM iv_rows WHERE in_window AND valid)
GROUP BY meter_id, day
"""),
        ("iv_day", f"""
SELECT meter_id, day, COUNT(*) AS received,
       COUNT(*) FILTER (WHERE in_window AND valid) AS n_in_window,
       COUNT(*) FILTER (WHERE NOT on_grid) AS n_off_grid,
       COUNT(*) FILTER (WHERE valid) AS n_valid,
       COUNT(*) FILTER (WHERE value < 0) AS n_negative,
       COUNT(*) FILTER (WHERE impossible) AS n_impossible,
       COUNT(*) FILTER (WHERE valid AND NOT impossible AND scale > 0
                        AND value - med > {float(t.spike_z)} * scale
                        AND value > {float(t.spike_peak_ratio)} * peak)
           AS n_spikes,
       COUNT(*) FILTER (WHERE stuck) AS n_stuck,
       0 AS n_resets, 0 AS n_rollovers,
       COUNT(*) FILTER (WHERE future) AS n_future,
       COUNT(*) FILTER (WHERE before_comm) AS n_before_commissioning,
       AVG(value) FILTER (WHERE valid) AS level,
       CAST(NULL AS DOUBLE) AS max_span_minutes, CAST(NULL AS DOUBLE) AS day_delta
FROM iv_flagged GROUP BY meter_id, day
"""),
        # -- cumulative registers --
        ("rg_steps", """
SELECT *,
  prev_value IS NOT NULL AND value < prev_value AS is_drop,
  prev_value IS NOT NULL AND value < prev_value AND rollover_at IS NOT NULL
    AND prev_value >= 0.9 * rollover_at AND prev_value <= rollover_at
    AND value < 0.1 * rollover_at AS is_rollover,
  (epoch_us(ts) - epoch_us(prev_ts)) / 3600e6 AS hours
FROM (
  SELECT g.meter_id, g.ts, g.value, m.rollover_at, m.rollover_wrap, m.commissioned_at,
         LAG(g.ts) OVER w AS prev_ts, LAG(g.value) OVER w AS prev_value
  FROM registers g JOIN evaluated m ON m.meter_id = g.meter_id
  WHERE m.register = 'cumulative'
  WINDOW w AS (PARTITION BY g.meter_id ORDER BY g.ts))
"""),
        ("rg_all", """
SELECT s.*, d.day, d.month,
       CASE WHEN s.prev_value IS NULL THEN NULL
            WHEN NOT s.is_drop THEN s.value - s.prev_value
            WHEN s.is_rollover THEN s.value + s.rollover_wrap - s.prev_value END AS delta
FROM rg_steps s JOIN days d ON s.ts >= d.day_start AND s.ts < d.day_end
"""),
        ("rg_rows", """
SELECT r.*, r.delta / r.hours AS rate, r.ts > md.now AS future,
       md.commissioned_at IS NOT NULL AND r.ts < md.commissioned_at AS before_comm,
       r.ts > md.now OR (md.commissioned_at IS NOT NULL AND r.ts < md.commissioned_at)
         AS invalid,
       r.ts >= md.win_start AND r.ts < md.win_end AS in_window, md.interval_minutes
FROM rg_all r JOIN meter_days md ON md.meter_id = r.meter_id AND md.day = r.day
"""),
        ("rg_med", """
SELECT m.meter_id, m.med, pk.peak
FROM (SELECT meter_id, median(rate) AS med FROM rg_rows
      WHERE NOT invalid AND rate IS NOT NULL GROUP BY meter_id) m
LEFT JOIN (SELECT meter_id, median(day_max) AS peak
           FROM (SELECT meter_id, day, MAX(rate) AS day_max FROM rg_rows
                 WHERE NOT invalid AND rate IS NOT NULL GROUP BY meter_id, day)
           WHERE day_max > 0 GROUP BY meter_id) pk ON pk.meter_id = m.meter_id
"""),
        ("rg_scale", """
SELECT s.meter_id, s.med, s.peak,
       CASE WHEN median(abs(r.rate - s.med)) > 0 THEN 1.4826 * median(abs(r.rate - s.med))
            ELSE 1.2533 * avg(abs(r.rate - s.med)) END AS scale
FROM rg_med s JOIN rg_rows r ON r.meter_id = s.meter_id AND NOT r.invalid
     AND r.rate IS NOT NULL
GROUP BY s.meter_id, s.med, s.peak
"""),
        ("rg_day0", f"""
SELECT r.meter_id, r.day, COUNT(*) AS received,
       COUNT(*) FILTER (WHERE r.in_window AND NOT r.invalid) AS n_in_window,
       0 AS n_off_grid,
       COUNT(*) FILTER (WHERE NOT r.invalid) AS n_valid,
       COUNT(*) FILTER (WHERE r.value < 0) AS n_negative,
       COUNT(*) FILTER (WHERE (r.rollover_at IS NOT NULL AND r.value > r.rollover_at)
                        OR (NOT r.invalid AND s.peak IS NOT NULL
                            AND r.rate > {float(t.impossible_peak_ratio)} * s.peak))
           AS n_impossible,
       COUNT(*) FILTER (WHERE NOT r.invalid AND s.scale > 0
                        AND r.rate <= {float(t.impossible_peak_ratio)} * s.peak
                        AND r.rate - s.med > {float(t.spike_z)} * s.scale
                        AND r.rate > {float(t.spike_peak_ratio)} * s.peak)
           AS n_spikes,
       COUNT(*) FILTER (WHERE r.is_drop AND NOT r.is_rollover) AS n_resets,
       COUNT(*) FILTER (WHERE r.is_rollover) AS n_rollovers,
       COUNT(*) FILTER (WHERE r.future) AS n_future,
       COUNT(*) FILTER (WHERE r.before_comm) AS n_before_commissioning,
       SUM(r.delta) FILTER (WHERE NOT r.invalid) / SUM(r.hours) FILTER (
           WHERE NOT r.invalid AND r.delta IS NOT NULL) AS level,
       MAX(r.hours) FILTER (WHERE NOT r.invalid) * 60 AS max_span_minutes,
       CASE WHEN COUNT(*) FILTER (WHERE NOT r.invalid AND r.delta IS NULL) = 0
            THEN SUM(r.delta) FILTER (WHERE NOT r.invalid) END AS day_delta
FROM rg_rows r LEFT JOIN rg_scale s ON s.meter_id = r.meter_id
GROUP BY r.meter_id, r.day
"""),
        ("rg_moves", """
SELECT meter_id, median(day_delta) AS usual_delta FROM rg_day0
WHERE day_delta IS NOT NULL GROUP BY meter_id
"""),
        ("rg_day", """
SELECT d.meter_id, d.day, d.received, d.n_in_window, d.n_off_grid, d.n_valid, d.n_negative,
       d.n_impossible, d.n_spikes,
       CASE WHEN d.day_delta = 0 AND d.n_in_window > 0 AND mv.usual_delta > 0
            THEN d.n_in_window ELSE 0 END AS n_stuck,
       d.n_resets, d.n_rollovers, d.n_future, d.n_before_commissioning, d.level,
       d.max_span_minutes, d.day_delta
FROM rg_day0 d LEFT JOIN rg_moves mv ON mv.meter_id = d.meter_id
"""),
        # -- the typical day, for the unit check --
        ("levels", """
SELECT r.meter_id, d.day, d.month, AVG(r.value) AS level
FROM readings r JOIN days d ON r.ts >= d.day_start AND r.ts < d.day_end
JOIN evaluated m ON m.meter_id = r.meter_id AND m.register = 'interval', params p
WHERE r.ts <= p.now
GROUP BY r.meter_id, d.day, d.month
UNION ALL
SELECT g.meter_id, g.day, g.month, SUM(g.delta) / SUM(g.hours) AS level
FROM rg_all g, params p
WHERE g.delta IS NOT NULL AND g.hours > 0 AND g.ts <= p.now
GROUP BY g.meter_id, g.day, g.month
"""),
        ("typical", f"""
SELECT v.meter_id,
  CASE WHEN COUNT(*) FILTER (WHERE v.month < p.month AND v.level > 0)
            >= {int(t.reference_min_days)}
       THEN median(v.level) FILTER (WHERE v.month < p.month AND v.level > 0)
       ELSE median(v.level) FILTER (WHERE v.month = p.month AND v.level > 0) END AS typical
FROM levels v, params p GROUP BY v.meter_id, p.month
"""),
        ("joined", """
SELECT p.month, md.day, md.meter_id, md.entity_id, md.register, md.interval_minutes,
       md.expected, COALESCE(a.received, 0) AS received,
       COALESCE(a.n_in_window, 0) AS n_in_window,
       CASE WHEN md.expected > 0
            THEN LEAST(COALESCE(a.n_in_window, 0), md.expected) / md.expected END
           AS completeness,
       GREATEST(0, md.expected - LEAST(COALESCE(a.n_in_window, 0), md.expected)) AS n_missing,
       CASE WHEN md.expected = 0 THEN 0
            WHEN COALESCE(a.n_in_window, 0) = 0
                 THEN (epoch_us(md.win_end) - epoch_us(md.win_start)) / 60e6
            WHEN md.register = 'interval'
                 THEN GREATEST(g.min_slot - md.first_slot, md.end_slot - 1 - g.max_slot,
                               COALESCE(g.max_inner, 0)) * md.interval_minutes
            ELSE GREATEST(0, COALESCE(a.max_span_minutes, 0) - md.interval_minutes) END
           AS longest_gap_minutes,
       COALESCE(a.n_off_grid, 0) AS n_off_grid,
       CASE WHEN md.interval_minutes > 1440 THEN 0
            WHEN md.register = 'interval'
                 THEN GREATEST(0, COALESCE(a.n_valid, 0) - md.expected)
            ELSE GREATEST(0, COALESCE(a.n_valid, 0)
                             - CAST(ceil(md.day_minutes / md.interval_minutes) AS BIGINT))
            END AS n_surplus,
       COALESCE(a.n_negative, 0) AS n_negative, COALESCE(a.n_impossible, 0) AS n_impossible,
       COALESCE(a.n_spikes, 0) AS n_spikes, COALESCE(a.n_stuck, 0) AS n_stuck,
       COALESCE(a.n_resets, 0) AS n_resets, COALESCE(a.n_rollovers, 0) AS n_rollovers,
       COALESCE(a.n_future, 0) AS n_future,
       COALESCE(a.n_before_commissioning, 0) AS n_before_commissioning,
       CASE WHEN a.level > 0 AND ty.typical > 0 THEN a.level / ty.typical END AS unit_ratio
FROM meter_days md CROSS JOIN params p
LEFT JOIN (SELECT * FROM iv_day UNION ALL SELECT * FROM rg_day) a
  ON a.meter_id = md.meter_id AND a.day = md.day
LEFT JOIN iv_gaps g ON g.meter_id = md.meter_id AND g.day = md.day
LEFT JOIN typical ty ON ty.meter_id = md.meter_id
WHERE md.expected > 0 OR COALESCE(a.received, 0) > 0
"""),
        ("quality", f"""
SELECT month, day, meter_id, entity_id, register, interval_minutes,
       CAST(expected AS BIGINT) AS expected, CAST(received AS BIGINT) AS received,
       CAST(completeness AS DOUBLE) AS completeness, CAST(n_missing AS BIGINT) AS n_missing,
       CAST(longest_gap_minutes AS DOUBLE) AS longest_gap_minutes,
       CAST(n_off_grid AS BIGINT) AS n_off_grid, CAST(n_surplus AS BIGINT) AS n_surplus,
       CAST(n_negative AS BIGINT) AS n_negative, CAST(n_impossible AS BIGINT) AS n_impossible,
       CAST(n_spikes AS BIGINT) AS n_spikes, CAST(n_stuck AS BIGINT) AS n_stuck,
       CAST(n_resets AS BIGINT) AS n_resets, CAST(n_rollovers AS BIGINT) AS n_rollovers,
       CAST(n_future AS BIGINT) AS n_future,
       CAST(n_before_commissioning AS BIGINT) AS n_before_commissioning,
       CAST(unit_mismatch AS BIGINT) AS unit_mismatch, unit_ratio,
       concat_ws(';', {flags}) AS flags
FROM (SELECT *, CASE WHEN unit_ratio IS NOT NULL AND abs(log10(unit_ratio)) >= {unit}
                     THEN 1 ELSE 0 END AS unit_mismatch FROM joined)
"""),
    ]


# -- gap filling for the account (pure) ---------------------------------------------------
FILL_METHOD = ("linear interpolation between the interval values either side of a gap of "
               "whole missing intervals of an interval meter, for gaps no longer than "
               "max_gap_hours; both neighbours must be present and >= 0")


def fill_interval_gaps(
    readings: pa.Table | Sequence[str], meters: pa.Table, months: pa.Table, *,
    max_gap_hours: float,
    connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
) -> pa.Table:
    """Estimated values for the short gaps of interval meters (the account's ``--fill-gaps``).

    A *gap* is a run of ``n`` missing intervals between two readings of the same interval
    meter whose start times are ``(n + 1) × interval_minutes`` apart. When
    ``n × interval_minutes ≤ max_gap_hours × 60`` and both neighbours are ≥ 0, the ``k``-th
    missing interval (``k = 1..n``) gets ``v_before + (v_after − v_before) × k / (n + 1)``.
    Gaps at the ends of the data (one neighbour missing), gaps whose neighbours are off each
    other's grid and longer gaps are left as they are.

    Parameters
    ----------
    readings
        Interval readings (``meter_id, ts, value``) as a table or Parquet files.
    meters
        ``meter_id, register, interval_minutes``.
    months
        ``month, month_start, month_end`` (naive UTC): the month of each filled interval is
        the month its start falls in; intervals outside these months are not returned.
    max_gap_hours
        The longest gap filled, in hours.

    Returns
    -------
    pyarrow.Table
        ``meter_id, ts, value, month`` of the estimated intervals.
    """
    con = connect()  # the lake's connection (Lake.connect) reads an object-store lake
    try:
        con.execute("SET threads TO 2")
        con.execute("SET TimeZone = 'UTC'")
        if isinstance(readings, pa.Table):
            con.register("readings", readings)
        elif readings:
            con.read_parquet(list(readings), union_by_name=True,
                             hive_partitioning=False).create_view("readings")
        else:
            con.register("readings", READING_SCHEMA.empty_table())
        con.register("meters", meters.select(["meter_id", "register", "interval_minutes"]))
        con.register("months", months.select(["month", "month_start", "month_end"]))
        max_minutes = float(max_gap_hours) * 60.0
        return con.sql(f"""
WITH steps AS (
  SELECT r.meter_id, r.ts, r.value, m.interval_minutes,
         LEAD(r.ts) OVER w AS next_ts, LEAD(r.value) OVER w AS next_value
  FROM readings r JOIN meters m ON m.meter_id = r.meter_id AND m.register = 'interval'
  WINDOW w AS (PARTITION BY r.meter_id ORDER BY r.ts)),
gaps AS (
  SELECT *, CAST((epoch_us(next_ts) - epoch_us(ts)) // (interval_minutes * 60000000) - 1
                 AS BIGINT) AS n
  FROM steps
  WHERE next_ts IS NOT NULL AND value >= 0 AND next_value >= 0
    AND (epoch_us(next_ts) - epoch_us(ts)) % (interval_minutes * 60000000) = 0
    AND epoch_us(next_ts) - epoch_us(ts) > interval_minutes * 60000000),
filled AS (
  SELECT meter_id, ts + to_minutes(CAST(k * interval_minutes AS BIGINT)) AS ts,
         value + (next_value - value) * k / (n + 1) AS value
  FROM (SELECT *, unnest(range(1, n + 1)) AS k FROM gaps
        WHERE n * interval_minutes <= {max_minutes}))
SELECT f.meter_id, CAST(f.ts AS TIMESTAMP) AS ts, CAST(f.value AS DOUBLE) AS value, mo.month
FROM filled f JOIN months mo ON f.ts >= mo.month_start AND f.ts < mo.month_end
ORDER BY f.meter_id, f.ts
""").to_arrow_table()
    finally:
        con.close()


# -- storage ------------------------------------------------------------------------------
def _quality_dir(ws: Workspace, district_id: str, month: str) -> Path:
    return ws.lake.root / "quality" / f"district={district_id}" / f"month={month}"


def _meter_table(ws: Workspace, district_id: str) -> pa.Table:
    with ws.registry.session() as s:
        rows = repo.quality_meter_rows(s, district_id)
    return pa.table({
        "meter_id": pa.array([r[0] for r in rows], pa.string()),
        "entity_id": pa.array([r[1] for r in rows], pa.string()),
        "register": pa.array([r[2] for r in rows], pa.string()),
        "interval_minutes": pa.array([r[3] for r in rows], pa.int64()),
        "rollover_at": pa.array([r[4] for r in rows], pa.float64()),
        "commissioned_on": pa.array([r[5] for r in rows], pa.date32()),
    }, schema=METER_SCHEMA)


def _live_by_month(ws: Workspace, district_id: str) -> dict[str, dict[str, list[str]]]:
    """Live readings and registers files of the district, by month (one snapshot)."""
    sets = ws.lake.live_file_sets(district_id, {"readings": None, "registers": None})
    out: dict[str, dict[str, list[str]]] = {}
    for dataset, paths in sets.items():
        for p in paths:
            m = _MONTH_DIR.search(str(p))
            if m is not None:
                out.setdefault(m.group(1), {"readings": [], "registers": []})[dataset].append(p)
    return out


def _snapshot(ws: Workspace, month: str, live: dict[str, dict[str, list[str]]],
              meters: pa.Table, thresholds: QualityThresholds) -> str:
    h = hashlib.sha256(f"v{QUALITY_VERSION}|{json.dumps(asdict(thresholds))}".encode())
    for mo in context_months(month):
        for dataset in ("readings", "registers"):
            for p in sorted(live.get(mo, {}).get(dataset, [])):
                h.update(f"|{mo}|{ws.lake.relative(p)}".encode())
    h.update(json.dumps(meters.to_pylist(), default=str, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _is_fresh(path: Path, month_end: dt.datetime, now: dt.datetime,
              thresholds: QualityThresholds) -> bool:
    if not path.is_file():
        return False
    meta = pq.read_schema(path).metadata or {}
    checked = meta.get(b"checked_at")
    if checked is None:
        return False
    checked_at = dt.datetime.fromisoformat(checked.decode())
    if checked_at >= month_end:
        return True  # checked after the month ended: only new files make it stale
    return now - checked_at <= dt.timedelta(minutes=thresholds.recheck_minutes) \
        and now >= checked_at


def _write_atomically(table: pa.Table, path: Path) -> None:
    """Write durably in place (tmp → fsync → rename), then delete the month's older files."""
    write_parquet_durably(table, path)
    for old in path.parent.glob("q-*.parquet"):
        if old != path:
            old.unlink(missing_ok=True)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now if now.tzinfo is None else _utc(now)


def _read_dataset(ws: Workspace, paths: Sequence[str]) -> pa.Table | None:
    if not paths:
        return None
    con = ws.lake.connect()
    try:
        return con.read_parquet(list(paths), hive_partitioning=False,
                                union_by_name=True).select("meter_id, ts, value").to_arrow_table()
    finally:
        con.close()


def refresh_quality(
    ws: Workspace, district_id: str | None = None, *, months: Sequence[str] | None = None,
    force: bool = False, now: dt.datetime | None = None,
    thresholds: QualityThresholds = DEFAULT_THRESHOLDS, progress: Progress | None = None,
) -> list[str]:
    """Recompute the stored flags of the months that are stale (or all, with ``force``).

    ``months`` defaults to every month with live readings or registers. A month is stale when
    no flags are stored for its snapshot (its live files, its context months' files, the
    meters' settings and the version of the checks), or when they were computed before the
    month ended more than ``recheck_minutes`` ago. Writers of readings are not blocked: the
    flags are written to a temporary file and renamed in place; only concurrent refreshes of
    the same district wait for each other. Returns the recomputed months.
    """
    return _refresh(ws, ws.district(district_id), months, force, _now(now), thresholds,
                    progress)[0]


@contextmanager
def _district_lock(ws: Workspace, district_id: str) -> Iterator[None]:
    """Serialise refreshes of one district's flags (not the lake lock: imports go on)."""
    folder = ws.lake.root / "quality" / f"district={district_id}"
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):
        yield


def _refresh(
    ws: Workspace, d: District, months: Sequence[str] | None, force: bool,
    check_time: dt.datetime, thresholds: QualityThresholds, progress: Progress | None,
) -> tuple[list[str], dict[str, Path]]:
    """Refresh; returns the recomputed months and the current flags file of each month."""
    with _district_lock(ws, d.id):
        live = _live_by_month(ws, d.id)
        wanted = sorted(months) if months is not None else sorted(live)
        meters = _meter_table(ws, d.id)
        paths: dict[str, Path] = {}
        todo: list[str] = []
        for month in wanted:
            snap = _snapshot(ws, month, live, meters, thresholds)
            paths[month] = _quality_dir(ws, d.id, month) / f"q-{snap}.parquet"
            if force or not _is_fresh(paths[month], month_bounds(month, d.timezone)[1],
                                      check_time, thresholds):
                todo.append(month)
        for i, month in enumerate(todo):
            if progress is not None:
                progress(month, i, len(todo))
            ctx = context_months(month)
            files = {ds: [p for mo in ctx for p in live.get(mo, {}).get(ds, [])]
                     for ds in ("readings", "registers")}
            table = check_quality(meters, _read_dataset(ws, files["readings"]),
                                  _read_dataset(ws, files["registers"]), month=month,
                                  tz=d.timezone, now=check_time, thresholds=thresholds)
            table = table.replace_schema_metadata({
                "checked_at": check_time.isoformat(),
                "snapshot": paths[month].stem.removeprefix("q-"),
                "quality_version": str(QUALITY_VERSION), "district": d.id, "month": month,
                "thresholds": json.dumps(asdict(thresholds)),
                "files": json.dumps(sorted(ws.lake.relative(p)
                                           for ps in files.values() for p in ps)),
            })
            _write_atomically(table, paths[month])
        if progress is not None and todo:
            progress("", len(todo), len(todo))
    return todo, paths


# -- the report ---------------------------------------------------------------------------
@dataclass
class QualityReport:
    """Data quality of a district's meters: rows per meter-day and summaries.

    ``rows`` holds one dict per meter and local day (the columns of :func:`check_quality`
    plus ``street`` and ``entity_name``); ``entities`` and ``streets`` summarise them:
    expected and received readings, completeness (received ÷ expected) and, per flag, the
    number of meter-days that carry it (``days_<flag>``). Everything is JSON-safe.
    """

    district: str
    district_name: str
    months: list[str]
    checked_at: str
    recomputed: list[str]
    filters: dict[str, Any]
    district_summary: dict[str, Any]
    entities: list[dict[str, Any]]
    streets: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN becomes ``None``)."""
        return _json_safe(asdict(self))  # type: ignore[no-any-return]

    def rows_frame(self) -> pd.DataFrame:
        """The meter-day rows as a DataFrame (for CSV output)."""
        return pd.DataFrame(self.rows, columns=ROW_COLUMNS if not self.rows else None)


ROW_COLUMNS = ["month", "day", "meter_id", "entity_id", "entity_name", "street", "register",
               "interval_minutes", "expected", "received", "completeness", "n_missing",
               "longest_gap_minutes", *COUNT_COLUMNS[1:], "unit_ratio", "flags"]


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, str | bytes):  # numpy scalars
        return _json_safe(v.item())
    return v


def _resolve_street(s: Any, d: District, street: int | str) -> tuple[int, str]:
    rows = repo.streets_of_district(s, d.id)
    key = str(street).strip()
    for st in rows:
        if key in (str(st.id), st.code, st.name_zh, st.name_en, st.name_zh.removesuffix("街道")) \
                or key.lower() in (st.code.lower(), st.name_en.lower()):
            return st.id, st.name_zh
    names = ", ".join(st.name_zh for st in rows)
    raise NotFoundError(Message("accounting.error.no_street",
                                {"street": str(street), "district": d.id, "streets": names}))


def _report_months(live: dict[str, Any], month: str | None, year: int | None,
                   now: dt.datetime) -> list[str]:
    if month is not None:
        _parse_month(month)
        return [month]
    if year is not None:
        last = f"{now.year}-{now.month:02d}"
        have = {m for m in live if m.startswith(f"{year}-")}
        return sorted({f"{year}-{k:02d}" for k in range(1, 13)
                       if f"{year}-{k:02d}" <= last} | have)
    return sorted(live)


def quality_report(
    ws: Workspace, district_id: str | None = None, *, entity_id: str | None = None,
    street_id: int | str | None = None, month: str | None = None, year: int | None = None,
    include_rows: bool = True, refresh: bool = True, force: bool = False,
    now: dt.datetime | None = None, thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
    progress: Progress | None = None,
) -> QualityReport:
    """The data-quality report of a district, refreshing stale months first.

    Parameters
    ----------
    district_id
        District code; the only district when ``None``.
    entity_id, street_id
        Keep only this entity's meters / this street's entities (id, code or name).
    month, year
        ``YYYY-MM`` or a year (its months up to the check time); default every month with
        readings.
    include_rows
        Include the meter-day rows (the summaries are always there).
    refresh, force
        Recompute stale months first (default); ``force`` recomputes them all.
    now
        Check time (naive UTC); default the current time.
    """
    d = ws.district(district_id)
    check_time = _now(now)
    # an unknown entity or street is refused before any month is recomputed (a refresh of a
    # whole district's months costs seconds)
    with ws.registry.session() as s:
        streets = {st.id: st.name_zh for st in repo.streets_of_district(s, d.id)}
        ents = {e.id: (e.name, streets.get(e.street_id, NO_STREET) if e.street_id
                       else NO_STREET) for e in repo.entities_of_district(s, d.id)}
        street_name = _resolve_street(s, d, street_id)[1] if street_id is not None else None
    if entity_id is not None and entity_id not in ents:
        msg = f"no entity {entity_id!r} in district {d.id}"
        raise NotFoundError(msg)
    live = _live_by_month(ws, d.id)
    months = _report_months(live, month, year, check_time)
    if refresh:
        recomputed, paths = _refresh(ws, d, months, force, check_time, thresholds, progress)
    else:
        recomputed, paths = [], {}
        for mo in months:
            found = sorted(_quality_dir(ws, d.id, mo).glob("q-*.parquet"),
                           key=lambda p: p.stat().st_mtime)
            if found:
                paths[mo] = found[-1]
    for _attempt in range(3):
        try:
            frames = [pq.read_table(paths[mo]).replace_schema_metadata(None)
                      for mo in months if mo in paths]
            break
        except FileNotFoundError:  # a concurrent refresh after an import replaced it
            more, paths = _refresh(ws, d, months, False, check_time, thresholds, progress)
            recomputed = sorted(set(recomputed) | set(more))
    else:
        msg = "the data-quality flags keep changing under this report; try again"
        raise RuntimeError(msg)
    table = pa.concat_tables(frames) if frames else None
    df = table.to_pandas() if table is not None and table.num_rows else pd.DataFrame(
        columns=[c for c in ROW_COLUMNS if c not in ("entity_name", "street")])
    df["entity_name"] = df["entity_id"].map(lambda e: ents.get(e, (None, NO_STREET))[0])
    df["street"] = df["entity_id"].map(lambda e: ents.get(e, (None, NO_STREET))[1])
    if entity_id is not None:
        df = df[df["entity_id"] == entity_id]
    if street_name is not None:
        df = df[df["street"] == street_name]
    df = df[ROW_COLUMNS].sort_values(["entity_id", "meter_id", "day"]).reset_index(drop=True)
    return QualityReport(
        district=d.id, district_name=d.name_zh, months=months,
        checked_at=check_time.isoformat(), recomputed=recomputed,
        filters={"entity_id": entity_id, "street": street_name, "month": month, "year": year},
        district_summary=_summary(df, []).get("", {}) if len(df) else _summary_empty(),
        entities=list(_summary(df, ["entity_id", "entity_name", "street"]).values()),
        streets=list(_summary(df, ["street"]).values()),
        rows=_json_safe(df.to_dict("records")) if include_rows else [],
        thresholds=asdict(thresholds),
        flags={k: {"column": v[0], "zh": v[1], "en": v[2]} for k, v in FLAGS.items()},
    )


def _summary_empty() -> dict[str, Any]:
    out: dict[str, Any] = {"meters": 0, "meter_days": 0, "expected": 0, "received": 0,
                           "completeness": None}
    out.update({f"days_{f}": 0 for f in FLAGS})
    out["days_flagged"] = 0
    return out


def _summary(df: pd.DataFrame, keys: list[str]) -> dict[Any, dict[str, Any]]:
    """Per group: meters, meter-days, expected/received readings, completeness, days per flag."""
    if df.empty:
        return {}
    work = df.assign(
        _got=df["expected"] - df["n_missing"],
        _key=df[keys].astype(str).agg("\x1f".join, axis=1) if keys else "",
    )
    flag_sets = work["flags"].fillna("").str.split(";")
    out: dict[Any, dict[str, Any]] = {}
    for key, g in work.groupby("_key", sort=True):
        rec: dict[str, Any] = {k: g[k].iloc[0] for k in keys}
        expected, got = int(g["expected"].sum()), int(g["_got"].sum())
        rec.update(meters=int(g["meter_id"].nunique()), meter_days=len(g), expected=expected,
                   received=got, completeness=got / expected if expected else None)
        sets = flag_sets.loc[g.index]
        for f in FLAGS:
            rec[f"days_{f}"] = int(sets.map(lambda s, f=f: f in s).sum())
        rec["days_flagged"] = int((g["flags"].fillna("") != "").sum())
        out[key] = _json_safe(rec)
    return out
