"""Plausibility at intake: refuse the impossible, hold the suspicious (files and feeds alike).

中文：入库前的合理性检查：超过物理上限或历史水平 316 倍的读数与台账拒收（说明原因），
稳健尖峰读数接收但暂不计入正式核算，待分析员确认或剔除。

The rules and their numbers are :mod:`carbonpeak.domain.plausibility`. Interval readings:

* above the meter's ceiling (its ``ceiling``, else the carrier's hourly ceiling × the interval)
  → refused, ``intake.readings.above_ceiling``;
* at or above :data:`~carbonpeak.domain.plausibility.HISTORY_RATIO` (≈ 316) × the meter's
  typical level (the median of its daily mean over the live history of the batch's months and
  the two before, at least ``MIN_HISTORY_DAYS`` days) → refused, ``intake.readings.above_history``;
* a spike by the robust rule (median, 1.4826 × MAD and typical daily peak over that history and
  the batch) → stored, and recorded as a :class:`HeldValue` (``held``) with the batch: the
  account leaves it out and refuses to become official until an analyst confirms or rejects it.

Cumulative registers (their use is the difference of two reads): a read is refused when the
step from the read before it, or to the next live read, goes backwards without being a rollover
or a replaced meter (``intake.registers.backwards``), holds more than the meter's ceiling for
the time it spans (``intake.registers.above_ceiling``) or uses 316× or more the meter's typical
use per hour (``intake.registers.above_history``; the median over days of the day's use per
hour, at least ``MIN_HISTORY_DAYS`` days). A read whose step from the read before it is a
spike by the robust rule on the meter's step rates (use per hour: median, robust scale and
typical daily peak over the live steps of those months and the batch's) is stored and held
(``intake.held.register_spike``): the account leaves that step's use out (as for a reset, its
time is not covered) until an analyst confirms or rejects it.

Negative interval values are refused by the validator itself. Ledger rows are refused above a
month's ceiling or at 316× the entity's typical monthly quantity of the carrier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from sqlalchemy import select

from carbonpeak.domain.plausibility import (
    HELD_REGISTER_SPIKE,
    HELD_SPIKE,
    HISTORY_RATIO,
    MIN_HISTORY_DAYS,
    REPLACEMENT_SHARE,
    SPIKE_PEAK_RATIO,
    SPIKE_Z,
    RegisterProblem,
    RegisterStep,
    reading_ceiling,
    register_step_problem,
)
from carbonpeak.domain.units import unit_factor, unit_factor_table
from carbonpeak.errors import RowError, UnitError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.readings import ValidatedReadings
from carbonpeak.storage.registry.models import Entity, Meter
from carbonpeak.storage.workspace import Workspace

__all__ = ["HeldRow", "MeterLimits", "ledger_history", "meter_limits", "screen_readings"]


@dataclass(frozen=True)
class MeterLimits:
    """What the plausibility checks need of a meter."""

    unit: str
    ceiling: float  # the most one raw reading may hold, in ``unit``
    interval_minutes: int = 60  # the interval ``ceiling`` is for (a register's read interval)
    rollover_at: float | None = None  # a cumulative register's full scale


@dataclass(frozen=True)
class HeldRow:
    """A suspicious reading to store and hold (see :class:`~...models.HeldValue`)."""

    meter_id: str
    ts: Any
    month: str
    value: float
    details: dict[str, float]
    #: the rule (a message code): an interval spike, or a register step's
    reason_code: str = HELD_SPIKE


def meter_limits(ws: Workspace, district_id: str) -> dict[str, MeterLimits]:
    """The ceiling of every meter of the district, settings' carrier ceilings applied."""
    overrides = ws.settings.plausibility_ceilings
    with ws.registry.session() as s:
        rows = s.execute(select(Meter.id, Meter.carrier, Meter.unit, Meter.multiplier,
                                Meter.interval_minutes, Meter.ceiling, Meter.rollover_at)
                         .join(Entity).where(Entity.district_id == district_id)).all()
    out = {}
    for mid, carrier, unit, multiplier, minutes, ceiling, rollover_at in rows:
        try:
            factor = unit_factor(unit, carrier)
        except UnitError:
            factor = math.nan
        limit = reading_ceiling(carrier=carrier, to_canonical=factor, multiplier=multiplier,
                                interval_minutes=minutes or 60, meter_ceiling=ceiling,
                                overrides=overrides) if math.isfinite(factor) else math.inf
        out[str(mid)] = MeterLimits(str(unit), limit, int(minutes or 60),
                                    None if rollover_at is None else float(rollover_at))
    return out


def _months_before(month: str, n: int) -> list[str]:
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append(f"{y:04d}-{m:02d}")
    return out



def _robust(source: str, column: str) -> str:
    """The robust spike rule's statistics of ``column`` per meter over ``source`` (SQL
    common table expressions, one rule for interval readings and register step rates):
    ``med`` the median, ``peak`` the median of the daily maxima, ``scale`` 1.4826 × the
    median absolute deviation (1.2533 × the mean absolute deviation when that is 0)."""
    return f"""med AS (SELECT meter_id, median({column}) AS med FROM {source} GROUP BY meter_id),
peak AS (
  SELECT meter_id, median(day_max) AS peak FROM (
    SELECT meter_id, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS day, max({column}) AS day_max
    FROM {source} GROUP BY ALL) WHERE day_max > 0 GROUP BY meter_id
),
scale AS (
  SELECT a.meter_id, m.med,
         CASE WHEN median(abs(a.{column} - m.med)) > 0
              THEN 1.4826 * median(abs(a.{column} - m.med))
              ELSE 1.2533 * avg(abs(a.{column} - m.med)) END AS scale
  FROM {source} a JOIN med m USING (meter_id) GROUP BY a.meter_id, m.med
)"""


_STATS = """
WITH batch AS (SELECT meter_id, ts, value FROM batch_rows),
hist AS (
  SELECT h.meter_id, h.ts, h.value FROM history h
  WHERE h.meter_id IN (SELECT meter_id FROM batch)
    AND NOT EXISTS (SELECT 1 FROM batch b WHERE b.meter_id = h.meter_id AND b.ts = h.ts)
),
days AS (
  SELECT meter_id, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS day, avg(value) AS level
  FROM hist GROUP BY ALL
)
SELECT meter_id, median(level) AS typical
FROM days WHERE level > 0 GROUP BY meter_id HAVING count(*) >= $min_days
"""

_SPIKES = """
WITH allr AS (
  SELECT meter_id, ts, value, false AS mine FROM history h
  WHERE meter_id IN (SELECT meter_id FROM batch_rows)
    AND NOT EXISTS (SELECT 1 FROM batch_rows b WHERE b.meter_id = h.meter_id AND b.ts = h.ts)
  UNION ALL SELECT meter_id, ts, value, true FROM batch_rows
),
""" + _robust("allr", "value") + """
SELECT b.meter_id, b.ts, b.month, b.value, s.med, s.scale, p.peak
FROM batch_rows b JOIN scale s USING (meter_id) JOIN peak p USING (meter_id)
WHERE s.scale > 0 AND b.value - s.med > $z * s.scale AND b.value > $ratio * p.peak
ORDER BY b.meter_id, b.ts
"""


def screen_readings(ws: Workspace, district_id: str, tz: str, checked: ValidatedReadings,
                    limits: Mapping[str, MeterLimits], *, source: str,
                    sheet: str | None = None) -> list[HeldRow]:
    """Refuse the implausible interval readings and cumulative register reads of ``checked``
    (taken out of its tables, their errors added) and return the suspicious ones to hold
    (interval readings, and register reads whose step is a spike)."""
    refused: list[RowError] = []
    held = _screen_intervals(ws, district_id, tz, checked, limits, refused, source=source,
                             sheet=sheet)
    held += _screen_registers(ws, district_id, tz, checked, limits, refused, source=source,
                              sheet=sheet)
    checked.refuse(refused)
    return held


def _batch_connection(ws: Workspace, tz: str, checked: ValidatedReadings, name: str,
                      table: pa.Table) -> duckdb.DuckDBPyConnection:
    """A one-thread DuckDB in the district's time zone holding the batch's rows (``name``)
    and their file rows (``idx``), reading the lake; the caller closes it."""
    con = ws.lake.connect()
    con.execute("SET threads TO 1")
    con.execute(f"SET TimeZone = '{_safe_tz(tz)}'")
    con.register("idx", checked.index)
    con.register(name, table)
    return con


def _screen_intervals(ws: Workspace, district_id: str, tz: str, checked: ValidatedReadings,
                      limits: Mapping[str, MeterLimits], refused: list[RowError], *,
                      source: str, sheet: str | None) -> list[HeldRow]:
    table = checked.tables.get("readings")
    if table is None or not table.num_rows or checked.index is None:
        return []
    con = _batch_connection(ws, tz, checked, "iv", table)
    try:
        meters = sorted(set(table["meter_id"].to_pylist()))
        con.register("limits", pa.table({
            "meter_id": pa.array(meters, pa.string()),
            "ceiling": pa.array([limits[m].ceiling if m in limits else math.inf
                                 for m in meters], pa.float64()),
            "unit": pa.array([limits[m].unit if m in limits else "" for m in meters],
                             pa.string())}))
        rows = con.sql("SELECT i.row, r.meter_id, r.ts, r.value, r.month, l.ceiling, l.unit "
                       "FROM iv r JOIN idx i USING (meter_id, ts) JOIN limits l USING (meter_id)"
                       ).to_arrow_table()
        con.register("batch_rows", rows)
        months = sorted(set(rows["month"].to_pylist()))
        wanted = sorted({x for m in months for x in [m, *_months_before(m, 2)]})
        files = ws.lake.live_file_sets(district_id, {"readings": wanted})["readings"]
        if files:
            con.read_parquet([str(f) for f in files], hive_partitioning=False) \
                .select("meter_id, ts, value").create_view("history")
        else:
            con.execute("CREATE VIEW history AS SELECT meter_id, ts, value FROM batch_rows "
                        "WHERE false")
        typical = dict(con.execute(_STATS, {"min_days": MIN_HISTORY_DAYS}).fetchall())
        first = len(refused)
        for row, meter, value, ceiling, unit in con.execute(
                "SELECT row, meter_id, value, ceiling, unit FROM batch_rows "
                "ORDER BY row").fetchall():
            if value > ceiling:
                refused.append(RowError(source, int(row), "value", _text(value), msg(
                    "intake.readings.above_ceiling", ceiling=_num(ceiling), unit=unit),
                    sheet))
            elif meter in typical and value >= HISTORY_RATIO * typical[meter]:
                refused.append(RowError(source, int(row), "value", _text(value), msg(
                    "intake.readings.above_history", ratio=_num(HISTORY_RATIO, 3),
                    typical=_num(typical[meter]), unit=unit), sheet))
        if len(refused) > first:
            gone = pa.array([e.row for e in refused[first:]], pa.int64())
            con.register("gone", pa.table({"row": gone}))
            con.register("batch_rows", con.sql(
                "SELECT * FROM batch_rows WHERE row NOT IN (SELECT row FROM gone)"
            ).to_arrow_table())
        held = [HeldRow(str(m), ts, str(month), float(v), {
                    "median": float(med), "scale": float(scale), "peak": float(peak),
                    "z": SPIKE_Z, "peak_ratio": SPIKE_PEAK_RATIO})
                for m, ts, month, v, med, scale, peak in con.execute(
                    _SPIKES, {"z": SPIKE_Z, "ratio": SPIKE_PEAK_RATIO}).fetchall()]
    finally:
        con.close()
    return held


_REGISTER_STEPS = """
WITH batch AS (SELECT row, meter_id, ts, value FROM reg_rows),
hist AS (
  SELECT h.meter_id, h.ts, h.value FROM reg_history h
  WHERE h.meter_id IN (SELECT meter_id FROM batch)
    AND NOT EXISTS (SELECT 1 FROM batch b WHERE b.meter_id = h.meter_id AND b.ts = h.ts)
),
allr AS (
  SELECT meter_id, ts, value, CAST(NULL AS BIGINT) AS row FROM hist
  UNION ALL SELECT meter_id, ts, value, row FROM batch
),
seq AS (
  SELECT meter_id, ts, value, row,
         LAG(ts) OVER w AS prev_ts, LAG(value) OVER w AS prev_value,
         LEAD(ts) OVER w AS next_ts, LEAD(value) OVER w AS next_value,
         LEAD(row) OVER w AS next_row
  FROM allr WINDOW w AS (PARTITION BY meter_id ORDER BY ts)
)
SELECT row, meter_id, prev_ts, prev_value, ts, value,
       CASE WHEN next_row IS NULL THEN next_ts END AS next_ts,
       CASE WHEN next_row IS NULL THEN next_value END AS next_value
FROM seq WHERE row IS NOT NULL ORDER BY row
"""

_REGISTER_TYPICAL = """
WITH hist AS (
  SELECT h.meter_id, h.ts, h.value FROM reg_history h
  WHERE h.meter_id IN (SELECT meter_id FROM reg_rows)
    AND NOT EXISTS (SELECT 1 FROM reg_rows b WHERE b.meter_id = h.meter_id AND b.ts = h.ts)
),
steps AS (
  SELECT meter_id, ts, value - LAG(value) OVER w AS used,
         date_diff('microsecond', LAG(ts) OVER w, ts) / 3.6e9 AS hours
  FROM hist WINDOW w AS (PARTITION BY meter_id ORDER BY ts)
),
days AS (
  SELECT meter_id, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS day, sum(used) / sum(hours) AS level
  FROM steps WHERE used >= 0 AND hours > 0 GROUP BY ALL
)
SELECT meter_id, median(level) FROM days WHERE level > 0
GROUP BY meter_id HAVING count(*) >= $min_days
"""

#: the steps ending at a batch read that are spikes by the robust rule over the meter's step
#: rates (use per hour; drops and empty steps are not rates), the batch's steps included
_REGISTER_SPIKES = """
WITH hist AS (
  SELECT h.meter_id, h.ts, h.value FROM reg_history h
  WHERE h.meter_id IN (SELECT meter_id FROM reg_rows)
    AND NOT EXISTS (SELECT 1 FROM reg_rows b WHERE b.meter_id = h.meter_id AND b.ts = h.ts)
),
allr AS (
  SELECT meter_id, ts, value, CAST(NULL AS BIGINT) AS row, CAST(NULL AS VARCHAR) AS month
  FROM hist
  UNION ALL SELECT meter_id, ts, value, row, month FROM reg_rows
),
steps AS (
  SELECT meter_id, ts, value, row, month, LAG(value) OVER w AS prev_value,
         value - LAG(value) OVER w AS used,
         date_diff('microsecond', LAG(ts) OVER w, ts) / 3.6e9 AS hours
  FROM allr WINDOW w AS (PARTITION BY meter_id ORDER BY ts)
),
rates AS (SELECT *, used / hours AS rate FROM steps WHERE used >= 0 AND hours > 0),
""" + _robust("rates", "rate") + """
SELECT r.meter_id, r.ts, r.month, r.value, r.prev_value, r.used, r.hours, r.rate, s.med,
       s.scale, p.peak
FROM rates r JOIN scale s USING (meter_id) JOIN peak p USING (meter_id)
WHERE r.row IS NOT NULL AND s.scale > 0 AND r.rate - s.med > $z * s.scale
  AND r.rate > $ratio * p.peak
ORDER BY r.meter_id, r.ts
"""


def _screen_registers(ws: Workspace, district_id: str, tz: str, checked: ValidatedReadings,
                      limits: Mapping[str, MeterLimits], refused: list[RowError], *,
                      source: str, sheet: str | None) -> list[HeldRow]:
    """Refuse the reads of cumulative registers that make a step implausible
    (:func:`~carbonpeak.domain.plausibility.register_step_problem`; added to ``refused``): the
    step from the read before it (live or in the batch) and the step to the next live read,
    among the live reads of the batch's months, the two before and the one after. Return the
    reads left whose step from the read before is a spike (:data:`_REGISTER_SPIKES`), to
    hold."""
    table = checked.tables.get("registers")
    if table is None or not table.num_rows or checked.index is None:
        return []
    con = _batch_connection(ws, tz, checked, "rg", table)
    try:
        rows = con.sql("SELECT i.row, r.meter_id, r.ts, r.value, r.month "
                       "FROM rg r JOIN idx i USING (meter_id, ts)").to_arrow_table()
        con.register("reg_rows", rows)
        months = sorted(set(rows["month"].to_pylist()))
        wanted = sorted({x for m in months
                         for x in [m, *_months_before(m, 2), _month_after(m)]})
        files = ws.lake.live_file_sets(district_id, {"registers": wanted})["registers"]
        if files:
            con.read_parquet([str(f) for f in files], hive_partitioning=False) \
                .select("meter_id, ts, value").create_view("reg_history")
        else:
            con.execute("CREATE VIEW reg_history AS SELECT meter_id, ts, value FROM reg_rows "
                        "WHERE false")
        typical = {str(m): float(v) for m, v in con.execute(
            _REGISTER_TYPICAL, {"min_days": MIN_HISTORY_DAYS}).fetchall()}
        steps = con.execute(_REGISTER_STEPS).fetchall()
        first = len(refused)
        _register_problems(steps, limits, typical, tz, refused, source=source, sheet=sheet)
        if len(refused) > first:  # the spikes are looked for among the reads kept
            con.register("gone", pa.table({"row": pa.array([e.row for e in refused[first:]],
                                                           pa.int64())}))
            con.register("reg_rows", con.sql(
                "SELECT * FROM reg_rows WHERE row NOT IN (SELECT row FROM gone)"
            ).to_arrow_table())
        spikes = con.execute(_REGISTER_SPIKES,
                             {"z": SPIKE_Z, "ratio": SPIKE_PEAK_RATIO}).fetchall()
    finally:
        con.close()
    return [HeldRow(str(m), ts, str(month), float(v), {
                "previous": float(prev), "use": float(used), "hours": float(hours),
                "rate": float(rate), "median": float(med), "scale": float(scale),
                "peak": float(peak), "z": SPIKE_Z, "peak_ratio": SPIKE_PEAK_RATIO},
                HELD_REGISTER_SPIKE)
            for m, ts, month, v, prev, used, hours, rate, med, scale, peak in spikes]


def _register_problems(steps: list[Any], limits: Mapping[str, MeterLimits],
                       typical: Mapping[str, float], tz: str, refused: list[RowError], *,
                       source: str, sheet: str | None) -> None:
    """Add a refusal for every read of ``steps`` (rows of :data:`_REGISTER_STEPS`) whose step
    from the read before or to the next live read is implausible."""
    for row, meter, prev_ts, prev, ts, value, next_ts, nxt in steps:
        lim = limits.get(str(meter))
        if lim is None:
            continue
        for start, a, end, b in ((prev_ts, prev, ts, value), (ts, value, next_ts, nxt)):
            if start is None or end is None or a is None or b is None:
                continue
            problem = register_step_problem(RegisterStep(
                previous=float(a), value=float(b),
                hours=(end - start).total_seconds() / 3600.0, ceiling=lim.ceiling,
                interval_minutes=lim.interval_minutes, rollover_at=lim.rollover_at,
                typical_rate=typical.get(str(meter))))
            if problem is not None:
                refused.append(RowError(source, int(row), "value", _text(value),
                                        _register_message(problem, start, a, end, b, lim,
                                                          typical.get(str(meter)), tz),
                                        sheet))
                break


def _register_message(problem: RegisterProblem, start: Any, a: float, end: Any, b: float,
                      lim: MeterLimits, typical: float | None, tz: str) -> Message:
    when = {"start": _local(start, tz), "end": _local(end, tz), "unit": lim.unit}
    if problem.reason == "backwards":
        return msg("intake.registers.backwards", previous=_num(a), value=_num(b),
                   share=f"{REPLACEMENT_SHARE:.0%}", **when)
    if problem.reason == "above_ceiling":
        return msg("intake.registers.above_ceiling", use=_num(problem.use),
                   ceiling=_num(problem.limit), **when)
    return msg("intake.registers.above_history", use=_num(problem.use),
               ratio=_num(HISTORY_RATIO, 3), typical=_num(typical or 0.0), **when)


def _local(ts: Any, tz: str) -> str:
    """A lake time (naive UTC) as the district's local time, to the minute."""
    t = ts if getattr(ts, "tzinfo", None) else ts.replace(tzinfo=UTC)
    return str(t.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"))


def _month_after(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}"


def ledger_history(ws: Workspace, district_id: str
                   ) -> dict[tuple[str, str], dict[str, float]]:
    """Per (entity, carrier), its live monthly ledger quantities (canonical unit) by period;
    the parser takes the median of the months a file does not replace."""
    files = ws.lake.live_file_sets(district_id, {"ledger": None})["ledger"]
    if not files:
        return {}
    uf = unit_factor_table()
    con = ws.lake.connect()
    try:
        con.execute("SET threads TO 1")
        con.register("uf", pa.table({"carrier": [r[0] for r in uf], "unit": [r[1] for r in uf],
                                     "factor": pa.array([r[2] for r in uf], pa.float64())}))
        rows = con.execute(
            "SELECT l.entity_id, l.carrier, l.period, l.quantity * u.factor "
            "FROM read_parquet(?, hive_partitioning=false) l "
            "JOIN uf u ON u.carrier = l.carrier AND u.unit = l.unit "
            "WHERE l.quantity > 0", [[str(f) for f in files]]).fetchall()
    finally:
        con.close()
    out: dict[tuple[str, str], dict[str, float]] = {}
    for e, c, period, q in rows:
        out.setdefault((str(e), str(c)), {})[str(period)] = float(q)
    return out


def _num(v: float, digits: int = 6) -> str:
    """A number as a message shows it (6 significant digits)."""
    return f"{float(v):.{digits}g}"


def _text(v: float) -> str:
    return repr(float(v))


def _safe_tz(tz: str) -> str:
    if not all(c.isalnum() or c in "/_+-" for c in tz):
        msg_ = f"not a time zone name: {tz!r}"
        raise ValueError(msg_)
    return tz
