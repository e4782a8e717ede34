"""The city-scale benchmark's data generator (benchmarks/bench_city_scale.py) at tiny scale:
row counts, determinism, the lake schema, the late day, the main meter = sub-meters + other
loads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow.parquet as pq

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_city_scale",
                                                      BENCH / "bench_city_scale.py")
        assert spec is not None
        assert spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


def test_month_files_count_rows_and_repeat(tmp_path: Path) -> None:
    b = _bench()
    assert b.SLOTS == 35_136
    assert b.month_slots(2) == (31 * 96, 60 * 96)  # February 2024 has 29 days
    n_meters = 2 * len(b.SUBMETERS)
    feb = b.write_month(tmp_path / "feb.parquet", 2, 2024, 2, 7)
    may = b.write_month(tmp_path / "may.parquet", 2, 2024, 5, 8)
    again = b.write_month(tmp_path / "may2.parquet", 2, 2024, 5, 8)
    assert feb == n_meters * 29 * 96
    assert may == again == n_meters * 31 * 96 - 96  # the late day of the first meter is left out
    t1, t2 = pq.read_table(tmp_path / "may.parquet"), pq.read_table(tmp_path / "may2.parquet")
    assert t1.equals(t2)
    assert t1.schema.names == ["meter_id", "ts", "value", "month", "batch_id"]
    assert [str(f.type) for f in t1.schema] == ["string", "timestamp[us]", "double", "string",
                                                "int64"]
    assert set(t1["month"].to_pylist()) == {"2024-05"}
    assert set(t1["batch_id"].to_pylist()) == {8}
    late = b.late_day_rows(2, 2024)
    assert late.num_rows == 96
    assert set(late["meter_id"].to_pylist()) == {"B00001-E0"}
    con = duckdb.connect()
    # the late day's readings are exactly the ones missing from May
    missing = con.sql("SELECT count(*) FROM late ANTI JOIN read_parquet($f) r "
                      "USING (meter_id, ts)", params={"f": str(tmp_path / "may.parquet")})
    assert missing.fetchall() == [(96,)]
    # the main meter = its three sub-meters + unmetered loads (each rounded to 3 decimals)
    per = con.sql("""SELECT ts, sum(value) FILTER (WHERE meter_id = 'B00002-E0') AS main,
                            sum(value) FILTER (WHERE meter_id LIKE 'B00002-E_'
                                              AND meter_id <> 'B00002-E0') AS subs
                     FROM read_parquet($f) GROUP BY ts""",
                  params={"f": str(tmp_path / "feb.parquet")}).fetchall()
    assert len(per) == 29 * 96
    assert all(main > subs > 0 for _, main, subs in per)
    con.close()
