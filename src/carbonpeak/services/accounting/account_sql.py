"""The account, defined once: SQL steps in DuckDB's dialect (transpiled to Spark SQL by sqlglot).

中文：能耗与碳排放核算（清单）。

Input tables, registered by the engine runner:

``readings``      live lake rows of interval registers (meter_id, ts, value, month, batch_id)
``registers``     live lake rows of cumulative registers (same columns), the year and the
                  month before it
``ledger``        live 台账 rows (entity_id, period, carrier, quantity, unit, line, batch_id)
``meters``        meter_id, entity_id, carrier, unit, submeter, register, multiplier,
                  interval_minutes, rollover_at
``entities``      entity_id, street, building_type, sector, kind, floor_area_m2
``unit_factors``  carrier, unit, factor   (from :func:`carbonpeak.domain.units.unit_factor_table`)
``factors``       carrier, kgce_equivalent, kgce_equal, tco2, scope  (per canonical unit)
``months``        month, month_start, month_end (naive UTC), minutes  (the accounting year)
``withheld``      meter_id, ts, value: interval readings held out of the account (held values
                  an analyst has not confirmed, and those rejected); the live reading with that
                  meter, time and value is left out
``withheld_registers``  meter_id, ts, value: cumulative register reads held likewise; the
                  step ending at the live read with that meter, time and value is left out
                  (like a reset: no use, its time not covered)

Rules, in order of the steps:

1. Interval registers: consumption per meter and month is the sum of the interval values
   (interval start decides the month). Coverage = intervals present × interval length / month.
   Opt-in gap filling adds estimated intervals (input table ``filled``): they count in the
   quantity and in ``estimated_quantity``, never in coverage or ``intervals_received``.
2. Cumulative registers: consumption of (previous read, read] = difference of the reads. A drop
   is a *rollover* when the meter has ``rollover_at``, the previous read was within the top
   10 % of the register and the new one within the bottom 10 % (difference + the wrap,
   ``rollover_wrap``: full scale plus one unit of its last digit, 99,999.9 wraps at 100,000.0);
   any other drop is a *reset*: that interval is excluded (never a huge negative or positive
   value) and flagged. A held step (``withheld_registers``) is excluded the same way.
   All register months are read, so intervals across the year boundary
   count their share of the year.
   An interval is spread over the months it spans in proportion to time. Coverage = share of
   the month's time inside valid intervals.
3. Multiplier (CT×PT ratio) and unit factor turn raw values into the carrier's canonical unit.
4. Per entity, carrier and month: main meters (no ``submeter``) if the entity has any, else the
   sum of its sub-meters (the plant sub-meters ``cooling_plant``/``heating_plant`` are parts of
   ``hvac`` and are left out of that sum when the entity has an ``hvac`` sub-meter); a ledger
   (台账) entry wins over meters for the same month and carrier.
5. Every (entity, carrier) with a meter or a ledger row in the year gets all 12 months; a month
   with no data has NULL quantity, coverage 0 and the flag ``missing`` (never a silent zero).
6. tce and tCO2 come from the factor table; scope 1 fuel, 2 purchased electricity/heat,
   ``generation`` on-site PV (reported apart, left out of totals).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from carbonpeak.storage.lake.store import month_of_path

__all__ = ["HVAC_PARTS", "ROLLUP_LEVELS", "account_steps", "files_by_month",
           "is_month_view", "month_view"]

#: electricity sub-meters that are parts of ``hvac`` (vocab.SUBMETERS), as an SQL list
HVAC_PARTS = "'cooling_plant', 'heating_plant'"


def account_steps(year: int, *, fill_gaps: bool = False, withheld: bool = True,
                  reading_months: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Ordered ``(view name, SELECT)`` steps of the account for ``year``.

    Parameters
    ----------
    year
        Accounting year.
    fill_gaps
        Add the estimated intervals of the input table ``filled`` (meter_id, ts, value,
        month; see :func:`carbonpeak.services.accounting.quality.fill_interval_gaps`) to the
        interval
        readings. Their values count in ``quantity`` and in ``estimated_quantity``, never in
        ``coverage``.
    withheld
        The input table ``withheld`` may have rows. ``False`` (the caller knows it is empty)
        leaves its anti-join out of the scan of the readings: the same result, one hash probe
        per reading less.
    reading_months
        The months whose interval-reading files are also registered one view per month
        (:func:`files_by_month`; every row of a month's files has that month). The readings are
        then summed month by month, grouped by the meter alone: the same sums, one hash key
        instead of two, and the ``month`` column not read (at 175 M readings 1.6 s instead of
        2.25 s on DuckDB). Empty (or with ``fill_gaps``): one scan of ``readings`` grouped by
        meter and month.
    """
    first, last = f"{year}-01", f"{year}-12"
    return [
        ("interval_meter_month",
         _interval_meter_month(first, last, fill_gaps, withheld, reading_months)),
        ("register_steps", """
SELECT g.meter_id, g.ts AS t_end, g.value,
       LAG(g.ts) OVER (PARTITION BY g.meter_id ORDER BY g.ts) AS t_start,
       LAG(g.value) OVER (PARTITION BY g.meter_id ORDER BY g.ts) AS prev_value,
       m.rollover_at, m.rollover_wrap,
       CASE WHEN w.meter_id IS NULL THEN 0 ELSE 1 END AS held
FROM registers g JOIN meters m ON m.meter_id = g.meter_id
LEFT JOIN withheld_registers w ON w.meter_id = g.meter_id AND w.ts = g.ts
     AND w.value = g.value
"""),
        ("register_intervals", """
SELECT meter_id, t_start, t_end,
       CASE WHEN held = 1 THEN NULL
            WHEN value >= prev_value THEN value - prev_value
            WHEN rollover_at IS NOT NULL AND prev_value >= 0.9 * rollover_at
                 AND prev_value <= rollover_at AND value < 0.1 * rollover_at
                 THEN value + rollover_wrap - prev_value
            ELSE NULL END AS raw_delta,
       CASE WHEN value >= prev_value THEN 0 ELSE 1 END AS is_drop,
       CASE WHEN value < prev_value AND NOT (rollover_at IS NOT NULL
                 AND prev_value >= 0.9 * rollover_at AND prev_value <= rollover_at
                 AND value < 0.1 * rollover_at)
            THEN 1 ELSE 0 END AS is_reset,
       epoch(t_end) - epoch(t_start) AS seconds
FROM register_steps
WHERE t_start IS NOT NULL AND t_end > t_start
"""),
        ("register_meter_month", """
SELECT i.meter_id, mo.month,
       SUM(i.raw_delta * (epoch(LEAST(i.t_end, mo.month_end))
                          - epoch(GREATEST(i.t_start, mo.month_start))) / i.seconds) AS raw_sum,
       SUM(CASE WHEN i.raw_delta IS NOT NULL
                THEN epoch(LEAST(i.t_end, mo.month_end))
                     - epoch(GREATEST(i.t_start, mo.month_start)) ELSE 0 END) / 60.0
           AS covered_minutes,
       SUM(i.is_reset) AS n_resets,
       SUM(i.is_drop - i.is_reset) AS n_rollovers
FROM register_intervals i
JOIN months mo ON i.t_start < mo.month_end AND i.t_end > mo.month_start
GROUP BY i.meter_id, mo.month
"""),
        ("meter_month", """
SELECT m.meter_id, m.entity_id, m.carrier, m.submeter, mo.month,
       CASE WHEN m.register = 'interval' THEN iv.raw_sum ELSE rg.raw_sum END
           * m.multiplier * u.factor AS quantity,
       LEAST(1.0, CASE WHEN m.register = 'interval'
                       THEN COALESCE(iv.n_values, 0) * m.interval_minutes
                       ELSE COALESCE(rg.covered_minutes, 0) END / mo.minutes) AS coverage,
       CASE WHEN m.register = 'interval' THEN COALESCE(iv.raw_estimated, 0.0) ELSE 0.0 END
           * m.multiplier * u.factor AS estimated_quantity,
       CASE WHEN m.register = 'interval' THEN mo.minutes / m.interval_minutes ELSE 0.0 END
           AS intervals_expected,
       CASE WHEN m.register = 'interval' THEN COALESCE(iv.n_values, 0) ELSE 0 END
           AS intervals_received,
       COALESCE(iv.n_filled, 0) AS intervals_filled,
       COALESCE(iv.n_negative, 0) AS n_negative,
       COALESCE(rg.n_resets, 0) AS n_resets,
       COALESCE(rg.n_rollovers, 0) AS n_rollovers
FROM meters m
CROSS JOIN months mo
JOIN unit_factors u ON u.carrier = m.carrier AND u.unit = m.unit
LEFT JOIN interval_meter_month iv ON iv.meter_id = m.meter_id AND iv.month = mo.month
LEFT JOIN register_meter_month rg ON rg.meter_id = m.meter_id AND rg.month = mo.month
"""),
        ("entity_carrier_mains", """
SELECT entity_id, carrier, MAX(CASE WHEN submeter IS NULL THEN 1 ELSE 0 END) AS has_main,
       MAX(CASE WHEN submeter = 'hvac' THEN 1 ELSE 0 END) AS has_hvac
FROM meters GROUP BY entity_id, carrier
"""),
        ("metered_month", f"""
SELECT mm.entity_id, mm.carrier, mm.month,
       SUM(mm.quantity) AS quantity, AVG(mm.coverage) AS coverage,
       SUM(mm.estimated_quantity) AS estimated_quantity,
       SUM(mm.intervals_expected) AS intervals_expected,
       SUM(mm.intervals_received) AS intervals_received,
       SUM(mm.intervals_filled) AS intervals_filled,
       COUNT(*) AS n_meters,
       SUM(CASE WHEN mm.quantity IS NULL THEN 1 ELSE 0 END) AS n_meters_without_data,
       SUM(mm.n_negative) AS n_negative,
       SUM(mm.n_resets) AS n_resets, SUM(mm.n_rollovers) AS n_rollovers
FROM meter_month mm
JOIN entity_carrier_mains ec ON ec.entity_id = mm.entity_id AND ec.carrier = mm.carrier
WHERE (ec.has_main = 1 AND mm.submeter IS NULL)
   OR (ec.has_main = 0 AND NOT (ec.has_hvac = 1 AND mm.submeter IN ({HVAC_PARTS})))
GROUP BY mm.entity_id, mm.carrier, mm.month
"""),
        ("ledger_month", f"""
SELECT l.entity_id, l.carrier, l.period AS month, l.quantity * u.factor AS quantity,
       l.batch_id, l.line
FROM ledger l
JOIN entities e ON e.entity_id = l.entity_id
JOIN unit_factors u ON u.carrier = l.carrier AND u.unit = l.unit
WHERE l.period BETWEEN '{first}' AND '{last}'
"""),
        ("entity_carrier", """
SELECT DISTINCT entity_id, carrier FROM meters
UNION
SELECT DISTINCT entity_id, carrier FROM ledger_month
"""),
        ("entity_month", """
SELECT ec.entity_id, mo.month, ec.carrier,
       CASE WHEN lm.entity_id IS NOT NULL THEN lm.quantity ELSE me.quantity END AS quantity,
       CASE WHEN lm.entity_id IS NOT NULL THEN 1.0 ELSE COALESCE(me.coverage, 0.0) END
           AS coverage,
       CASE WHEN lm.entity_id IS NOT NULL THEN 'ledger'
            WHEN me.quantity IS NOT NULL THEN 'meter' ELSE 'none' END AS source,
       CASE WHEN lm.entity_id IS NULL AND me.quantity IS NULL THEN 'missing'
            WHEN lm.entity_id IS NULL AND me.n_meters_without_data > 0 THEN 'meter_missing'
            WHEN lm.entity_id IS NULL AND me.n_resets > 0 THEN 'register_reset'
            WHEN lm.entity_id IS NULL AND me.coverage < 1.0 THEN 'partial'
            ELSE '' END AS flag,
       COALESCE(me.n_resets, 0) AS n_resets, COALESCE(me.n_rollovers, 0) AS n_rollovers,
       COALESCE(me.n_negative, 0) AS n_negative,
       CASE WHEN lm.entity_id IS NOT NULL OR me.quantity IS NULL THEN 0.0
            ELSE me.estimated_quantity END AS estimated_quantity,
       COALESCE(me.intervals_expected, 0.0) AS intervals_expected,
       COALESCE(me.intervals_received, 0) AS intervals_received,
       CASE WHEN lm.entity_id IS NOT NULL THEN 0 ELSE COALESCE(me.intervals_filled, 0) END
           AS intervals_filled
FROM entity_carrier ec
CROSS JOIN months mo
LEFT JOIN ledger_month lm
  ON lm.entity_id = ec.entity_id AND lm.carrier = ec.carrier AND lm.month = mo.month
LEFT JOIN metered_month me
  ON me.entity_id = ec.entity_id AND me.carrier = ec.carrier AND me.month = mo.month
"""),
        ("inventory_entity_month", """
SELECT em.entity_id, em.month, em.carrier, em.quantity,
       em.quantity * f.kgce_equivalent / 1000.0 AS tce_equivalent,
       em.quantity * f.kgce_equal / 1000.0 AS tce_equal,
       em.quantity * f.tco2 AS tco2,
       f.scope, em.coverage, em.source, em.flag,
       em.n_resets, em.n_rollovers, em.n_negative,
       em.estimated_quantity, em.intervals_expected, em.intervals_received,
       em.intervals_filled
FROM entity_month em JOIN factors f ON f.carrier = em.carrier
"""),
        ("inventory_entity_year", f"""
SELECT entity_id, {year} AS year, carrier, SUM(quantity) AS quantity,
       SUM(tce_equivalent) AS tce_equivalent, SUM(tce_equal) AS tce_equal, SUM(tco2) AS tco2,
       MAX(scope) AS scope, AVG(coverage) AS coverage,
       SUM(CASE WHEN flag = 'missing' THEN 1 ELSE 0 END) AS missing_months,
       SUM(CASE WHEN flag IN ('partial', 'register_reset') THEN 1 ELSE 0 END)
           AS partial_months,
       SUM(CASE WHEN flag = 'meter_missing' THEN 1 ELSE 0 END) AS meter_missing_months,
       SUM(n_resets) AS n_resets, SUM(n_rollovers) AS n_rollovers,
       SUM(n_negative) AS n_negative,
       SUM(CASE WHEN source = 'ledger' THEN 1 ELSE 0 END) AS ledger_months,
       SUM(CASE WHEN source = 'meter' THEN 1 ELSE 0 END) AS meter_months,
       SUM(estimated_quantity) AS estimated_quantity,
       SUM(intervals_expected) AS intervals_expected,
       SUM(intervals_received) AS intervals_received,
       SUM(intervals_filled) AS intervals_filled
FROM inventory_entity_month
GROUP BY entity_id, carrier
"""),
    ] + [step for level in ROLLUP_LEVELS for step in _rollups(level)]


def _counted(view: str, withheld: bool) -> str:
    """The interval readings of ``view`` the account counts: every live one but those
    withheld (without ``withheld`` the caller knows none is)."""
    if not withheld:
        return view
    return f"""(SELECT r.* FROM {view} r
      LEFT JOIN withheld w ON w.meter_id = r.meter_id AND w.ts = r.ts AND w.value = r.value
      WHERE w.meter_id IS NULL) counted"""


_MONTH = re.compile(r"\d{4}-\d{2}")


_MONTH_VIEW = re.compile(r"readings_\d{4}_\d{2}")


def month_view(month: str) -> str:
    """The view of one month's interval-reading files: ``readings_2024_01``."""
    if not _MONTH.fullmatch(month):
        msg = f"not a month: {month!r} (YYYY-MM)"
        raise ValueError(msg)
    return "readings_" + month.replace("-", "_")


def is_month_view(name: str) -> bool:
    """Whether an input name is a :func:`month_view`."""
    return bool(_MONTH_VIEW.fullmatch(name))


def files_by_month(files: Sequence[str], months: Sequence[str]) -> dict[str, list[str]]:
    """The interval-reading ``files`` of each of ``months`` that has some (a file's month is
    its lake folder's, :func:`month_of_path`), each to be registered as :func:`month_view`.
    Empty when a file lies outside the lake's layout: the account then scans ``readings``
    whole."""
    by_month: dict[str, list[str]] = {}
    for f in files:
        month = month_of_path(f)
        if month is None:
            return {}
        if month in months:
            by_month.setdefault(month, []).append(f)
    return dict(sorted(by_month.items()))


def _month_sums(reading_months: Sequence[str], withheld: bool) -> str:
    """Sum and count per meter of each month's files, the month a literal (:func:`month_view`)."""
    parts = [f"""SELECT meter_id, '{m}' AS month, SUM(value) AS raw_sum, COUNT(*) AS n_values
      FROM {_counted(month_view(m), withheld)} GROUP BY meter_id""" for m in reading_months]
    return "\n      UNION ALL ".join(parts)


def _interval_meter_month(first: str, last: str, fill_gaps: bool, withheld: bool,
                          reading_months: Sequence[str]) -> str:
    """Interval sums per meter and month; with ``fill_gaps`` the estimated intervals too.

    Without gap filling the negative values are counted by a second, filtered scan instead of
    a ``FILTER`` in the one aggregate: the Parquet row groups whose smallest value is not
    negative (nearly all) are skipped on their statistics, so the main scan costs what the bare
    ``GROUP BY`` costs (at 175 M readings the ``FILTER`` added about 13 % CPU). With
    ``reading_months`` the sums are taken month by month (:func:`account_steps`).
    """
    counted = _counted("readings", withheld)
    if not fill_gaps:
        sums = _month_sums(reading_months, withheld) if reading_months else f"""
      SELECT meter_id, month, SUM(value) AS raw_sum, COUNT(*) AS n_values
      FROM {counted}
      WHERE month BETWEEN '{first}' AND '{last}'
      GROUP BY meter_id, month"""
        return f"""
SELECT a.meter_id, a.month, a.raw_sum, a.n_values,
       COALESCE(b.n_negative, 0) AS n_negative,
       CAST(0.0 AS DOUBLE) AS raw_estimated, 0 AS n_filled
FROM ({sums}) a
LEFT JOIN (SELECT meter_id, month, COUNT(*) AS n_negative
           FROM {counted}
           WHERE month BETWEEN '{first}' AND '{last}' AND value < 0
           GROUP BY meter_id, month) b
       ON b.meter_id = a.meter_id AND b.month = a.month
"""
    return f"""
SELECT meter_id, month, SUM(value) AS raw_sum, SUM(1 - estimated) AS n_values,
       COUNT(*) FILTER (WHERE value < 0 AND estimated = 0) AS n_negative,
       SUM(CASE WHEN estimated = 1 THEN value ELSE 0.0 END) AS raw_estimated,
       SUM(estimated) AS n_filled
FROM (SELECT meter_id, month, value, 0 AS estimated FROM {counted}
      WHERE month BETWEEN '{first}' AND '{last}'
      UNION ALL
      SELECT meter_id, month, value, 1 AS estimated FROM filled
      WHERE month BETWEEN '{first}' AND '{last}') r
GROUP BY meter_id, month
"""


ROLLUP_LEVELS: dict[str, str] = {
    "street": "street",
    "building_type": "building_type",
    "sector": "sector",
    "district": "district",
}


def _rollups(level: str) -> list[tuple[str, str]]:
    """Month and year roll-ups of the entity inventory to ``level`` (a column of entities)."""
    col = ROLLUP_LEVELS[level]
    out = []
    for period, src in (("month", "inventory_entity_month"), ("year", "inventory_entity_year")):
        missing = "SUM(CASE WHEN i.flag = 'missing' THEN 1 ELSE 0 END)" if period == "month" \
            else "SUM(i.missing_months)"
        out.append((f"inventory_{level}_{period}", f"""
SELECT e.{col} AS {level}, i.{period}, i.carrier, SUM(i.quantity) AS quantity,
       SUM(i.tce_equivalent) AS tce_equivalent, SUM(i.tce_equal) AS tce_equal,
       SUM(i.tco2) AS tco2, MAX(i.scope) AS scope, AVG(i.coverage) AS coverage,
       COUNT(DISTINCT i.entity_id) AS n_entities, {missing} AS missing_months,
       SUM(i.estimated_quantity) AS estimated_quantity,
       SUM(i.intervals_expected) AS intervals_expected,
       SUM(i.intervals_received) AS intervals_received,
       SUM(i.intervals_filled) AS intervals_filled
FROM {src} i JOIN entities e ON e.entity_id = i.entity_id
GROUP BY e.{col}, i.{period}, i.carrier
"""))
    return out
