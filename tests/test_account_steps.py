"""The account's first step, the scan of the interval readings, in its variants: with and
without the anti-join of withheld readings, one scan grouped by meter and month or each
month's files grouped by meter, and the negative values counted by their own filtered scan.
Worked by hand on seven readings."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from carbonpeak.services.accounting.account_sql import (
    account_steps,
    files_by_month,
    is_month_view,
    month_view,
)
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


def _scan(withheld: pa.Table, *, join: bool,
          by_month: bool = False) -> dict[tuple[str, str], tuple[float, int, int]]:
    months = ["2024-03", "2024-04"] if by_month else []
    name, sql = account_steps(2024, withheld=join, reading_months=months)[0]
    assert name == "interval_meter_month"
    con = duckdb.connect()
    try:
        readings = _readings()
        con.register("readings", readings)
        for m in months:  # what the lake's month folders hold: that month's rows only
            con.register(month_view(m), readings.filter(pc.equal(readings["month"], m)))
        con.register("withheld", withheld)
        rows = con.execute(f"SELECT meter_id, month, raw_sum, n_values, n_negative "
                           f"FROM ({sql})").fetchall()
    finally:
        con.close()
    return {(m, mo): (s, n, neg) for m, mo, s, n, neg in rows}


@pytest.mark.parametrize("by_month", [False, True])
def test_sums_counts_and_negatives_per_meter_and_month(by_month: bool) -> None:
    expected = {("A", "2024-03"): (6.5, 3, 1), ("A", "2024-04"): (4.0, 1, 0),
                ("B", "2024-03"): (-5.0, 2, 2)}
    none = WITHHELD_SCHEMA.empty_table()
    assert _scan(none, join=True, by_month=by_month) == expected
    # nothing withheld: the scan without the anti-join gives the same rows
    assert _scan(none, join=False, by_month=by_month) == expected


@pytest.mark.parametrize("by_month", [False, True])
def test_a_withheld_negative_reading_leaves_the_sum_count_and_negatives(by_month: bool) -> None:
    held = pa.table({"meter_id": ["A"], "ts": pa.array([T0 + dt.timedelta(hours=1)],
                                                        pa.timestamp("us")),
                     "value": [-1.0]}, schema=WITHHELD_SCHEMA)
    got = _scan(held, join=True, by_month=by_month)
    # A, March without the -1.0: 5.0 + 2.5 = 7.5 over 2 values, no negative
    assert got[("A", "2024-03")] == (7.5, 2, 0)
    assert got[("B", "2024-03")] == (-5.0, 2, 2)


def test_by_month_the_months_are_literals_and_the_month_column_is_not_grouped() -> None:
    sql = dict(account_steps(2024, withheld=False,
                             reading_months=["2024-03", "2024-04"]))["interval_meter_month"]
    assert "FROM readings_2024_03 GROUP BY meter_id" in sql
    assert "'2024-04' AS month" in sql
    # the general form, for Spark and gap filling
    general = dict(account_steps(2024, withheld=False))["interval_meter_month"]
    assert "readings_2024" not in general
    assert "GROUP BY meter_id, month" in general


def test_files_by_month_takes_the_month_from_the_lake_folder() -> None:
    lake = "/home/lake/readings/district=huangpu"
    files = [f"{lake}/month=2024-04/b00000003-aa.parquet",
             f"{lake}/month=2024-03/b00000001-bb.parquet",
             f"{lake}/month=2024-03/b00000002-cc.parquet",
             f"{lake}/month=2023-12/b00000001-dd.parquet",
             "s3://bucket/lake/readings/district=huangpu/month=2024-05/b00000004-ee.parquet"]
    got = files_by_month(files, ["2024-03", "2024-04", "2024-05"])
    # sorted by month, each month's files in their order; 2023-12 is not a month asked for
    assert got == {"2024-03": files[1:3], "2024-04": files[:1], "2024-05": files[4:]}
    # a file outside the layout: no month views, the account scans readings whole
    assert files_by_month([*files, "/tmp/readings.parquet"], ["2024-03"]) == {}
    # a month= folder above the lake root is not the file's month
    odd = "/srv/month=2024-01/lake/readings/district=huangpu/month=2024-03/b00000001-ff.parquet"
    assert files_by_month([odd], ["2024-01", "2024-03"]) == {"2024-03": [odd]}
    assert files_by_month(["/srv/month=2024-01/readings.parquet"], ["2024-01"]) == {}
    assert is_month_view("readings_2024_03")
    assert not is_month_view("readings")
    with pytest.raises(ValueError, match="not a month"):
        month_view("2024-3'; DROP")


@pytest.mark.parametrize("fill_gaps", [False, True])
def test_the_step_without_the_anti_join_reads_no_withheld_table(fill_gaps: bool) -> None:
    sql = dict(account_steps(2024, fill_gaps=fill_gaps, withheld=False))["interval_meter_month"]
    assert "withheld" not in sql
    sql = dict(account_steps(2024, fill_gaps=fill_gaps))["interval_meter_month"]
    assert "withheld" in sql
