"""The account's first step, the scan of the interval readings, in its variants: with and
without the anti-join of withheld readings, and the negative values counted by their own
filtered scan. Worked by hand on six readings."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from carbonpeak.services.accounting.account_sql import account_steps
from carbonpeak.services.accounting.engines import WITHHELD_SCHEMA

T0 = dt.datetime(2024, 3, 1)


def _readings() -> pa.Table:
    # meter A, March: 5.0 + (-1.0) + 2.5 = 6.5 over 3 values, 1 negative
    # meter A, April: 4.0, 1 value, none negative
    # meter B, March: -2.0 + -3.0 = -5.0 over 2 values, 2 negative
    # meter B, 2023-12: outside the year, never counted
    rows = [("A", T0, 5.0, "2024-03"), ("A", T0 + dt.timedelta(hours=1), -1.0, "2024-03"),
            ("A", T0 + dt.timedelta(hours=2), 2.5, "2024-03"),
            ("A", dt.datetime(2024, 4, 2), 4.0, "2024-04"),
            ("B", T0, -2.0, "2024-03"), ("B", T0 + dt.timedelta(hours=1), -3.0, "2024-03"),
            ("B", dt.datetime(2023, 12, 5), 7.0, "2023-12")]
    m, ts, v, mo = zip(*rows, strict=True)
    return pa.table({"meter_id": pa.array(m), "ts": pa.array(ts, pa.timestamp("us")),
                     "value": pa.array(v, pa.float64()), "month": pa.array(mo)})


def _scan(withheld: pa.Table, *, join: bool) -> dict[tuple[str, str], tuple[float, int, int]]:
    name, sql = account_steps(2024, withheld=join)[0]
    assert name == "interval_meter_month"
    con = duckdb.connect()
    try:
        con.register("readings", _readings())
        con.register("withheld", withheld)
        rows = con.execute(f"SELECT meter_id, month, raw_sum, n_values, n_negative "
                           f"FROM ({sql})").fetchall()
    finally:
        con.close()
    return {(m, mo): (s, n, neg) for m, mo, s, n, neg in rows}


def test_sums_counts_and_negatives_per_meter_and_month() -> None:
    expected = {("A", "2024-03"): (6.5, 3, 1), ("A", "2024-04"): (4.0, 1, 0),
                ("B", "2024-03"): (-5.0, 2, 2)}
    none = WITHHELD_SCHEMA.empty_table()
    assert _scan(none, join=True) == expected
    # nothing withheld: the scan without the anti-join gives the same rows
    assert _scan(none, join=False) == expected


def test_a_withheld_negative_reading_leaves_the_sum_count_and_negatives() -> None:
    held = pa.table({"meter_id": ["A"], "ts": pa.array([T0 + dt.timedelta(hours=1)],
                                                        pa.timestamp("us")),
                     "value": [-1.0]}, schema=WITHHELD_SCHEMA)
    got = _scan(held, join=True)
    # A, March without the -1.0: 5.0 + 2.5 = 7.5 over 2 values, no negative
    assert got[("A", "2024-03")] == (7.5, 2, 0)
    assert got[("B", "2024-03")] == (-5.0, 2, 2)


@pytest.mark.parametrize("fill_gaps", [False, True])
def test_the_step_without_the_anti_join_reads_no_withheld_table(fill_gaps: bool) -> None:
    sql = dict(account_steps(2024, fill_gaps=fill_gaps, withheld=False))["interval_meter_month"]
    assert "withheld" not in sql
    sql = dict(account_steps(2024, fill_gaps=fill_gaps))["interval_meter_month"]
    assert "withheld" in sql
