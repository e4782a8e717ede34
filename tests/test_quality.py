"""Data quality: every flag on a small constructed case, stored flags, the report, the CLI, and
the account's coverage and gap filling worked out by hand.

Times: the district is Asia/Shanghai (UTC+8), so local day D runs from D-1 16:00 UTC to
D 16:00 UTC. The checks get naive-UTC timestamps, as the lake stores them.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from carbonpeak.cli import app
from carbonpeak.errors import InputValidationError, NotFoundError
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.accounting.quality import (
    QualityReport,
    check_quality,
    context_months,
    fill_interval_gaps,
    local_days,
    quality_report,
    refresh_quality,
)
from carbonpeak.storage.registry.models import AccountRun, AuditLog, Meter
from tests.conftest import write

TZ = "Asia/Shanghai"
LATER = dt.datetime(2025, 1, 1)  # a check time after everything
H = dt.timedelta(hours=1)


def local(day: str, hour: float = 0) -> dt.datetime:
    """Naive UTC of local ``day`` at ``hour`` (Asia/Shanghai = UTC+8)."""
    return dt.datetime.fromisoformat(day) - dt.timedelta(hours=8) + dt.timedelta(hours=hour)


def meters(*rows: tuple) -> pa.Table:
    """(meter_id, register, interval_minutes, rollover_at, commissioned_on) rows."""
    cols = list(zip(*rows, strict=True))
    return pa.table({
        "meter_id": pa.array(cols[0], pa.string()),
        "entity_id": pa.array(["E"] * len(rows), pa.string()),
        "register": pa.array(cols[1], pa.string()),
        "interval_minutes": pa.array(cols[2], pa.int64()),
        "rollover_at": pa.array(cols[3], pa.float64()),
        "commissioned_on": pa.array(cols[4], pa.date32()),
    })


def table(rows: list[tuple[str, dt.datetime, float]]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[], [], []]
    return pa.table({"meter_id": pa.array(cols[0], pa.string()),
                     "ts": pa.array(cols[1], pa.timestamp("us")),
                     "value": pa.array(cols[2], pa.float64())})


def clean_hourly(meter: str, month: str = "2024-03") -> dict[dt.datetime, float]:
    """A plausible hourly load: 10..15 kWh in a 6-hour saw, never the same value twice in a
    row; the daily peak is 15 + day/100."""
    days = local_days([month], TZ).column("day").to_pylist()
    out = {}
    for d, day in enumerate(days):
        for h in range(24):
            out[local(day, h)] = 10.0 + (h % 6) + d / 100
    return out


def clean_register(meter: str, month: str = "2024-03") -> dict[dt.datetime, float]:
    """An hourly cumulative register moving 1..2 kWh an hour."""
    days = local_days([month], TZ).column("day").to_pylist()
    out, v = {}, 1000.0
    for day in days:
        for h in range(24):
            v += 1 + (h % 2)
            out[local(day, h)] = v
    return out


def rows_of(meter: str, series: dict[dt.datetime, float]) -> list[tuple[str, dt.datetime, float]]:
    return [(meter, ts, v) for ts, v in sorted(series.items())]


def run(m: pa.Table, readings=None, registers=None, *, month="2024-03", now=LATER, **kw):
    out = check_quality(m, table(readings or []), table(registers or []), month=month, tz=TZ,
                        now=now, **kw).to_pandas()
    return out.set_index(["meter_id", "day"])


IV = ("A", "interval", 60, None, None)


# -- the calendar ------------------------------------------------------------------------
def test_local_days_and_context():
    days = local_days(["2024-03"], TZ)
    assert days.num_rows == 31
    assert days.column("day_start")[0].as_py() == dt.datetime(2024, 2, 29, 16)
    assert days.column("day_minutes").to_pylist() == [1440.0] * 31
    # a day with a DST change is 23 h long (Berlin, 31 March 2024)
    berlin = local_days(["2024-03"], "Europe/Berlin").to_pandas().set_index("day")
    assert berlin.loc["2024-03-31", "day_minutes"] == 1380
    assert context_months("2024-01") == ["2023-11", "2023-12", "2024-01"]


# -- clean data: no flag ------------------------------------------------------------------
def test_clean_data_has_no_flags():
    m = meters(IV, ("C", "cumulative", 60, None, None), ("G", "cumulative", 1440, None, None))
    gas = {local(d, 0): 500.0 + 3 * i for i, d in enumerate(
        local_days(["2024-03"], TZ).column("day").to_pylist())}
    q = run(m, rows_of("A", clean_hourly("A")),
            rows_of("C", clean_register("C")) + rows_of("G", gas))
    assert len(q) == 3 * 31
    assert (q["flags"] == "").all(), q[q["flags"] != ""]
    assert (q["completeness"] == 1.0).all()
    assert q.loc[("A", "2024-03-05"), "expected"] == 24
    assert q.loc[("C", "2024-03-05"), "expected"] == 1  # a register: at least one read a day
    assert q.loc[("A", "2024-03-05"), "longest_gap_minutes"] == 0
    assert q.loc[("A", "2024-03-05"), "unit_ratio"] == pytest.approx(1.0, rel=0.01)


# -- interval registers -------------------------------------------------------------------
def test_gap_and_no_data():
    s = clean_hourly("A")
    for h in (5, 6):
        del s[local("2024-03-05", h)]
    for h in range(24):
        del s[local("2024-03-06", h)]
    q = run(meters(IV), rows_of("A", s))
    gap = q.loc[("A", "2024-03-05")]
    # 24 expected, 22 received: completeness 22/24, two missing, longest gap 2 h = 120 min
    assert gap["completeness"] == pytest.approx(22 / 24)
    assert gap["n_missing"] == 2
    assert gap["longest_gap_minutes"] == 120
    assert gap["flags"] == "gap"
    empty = q.loc[("A", "2024-03-06")]
    assert (empty["received"], empty["completeness"], empty["n_missing"]) == (0, 0.0, 24)
    assert empty["longest_gap_minutes"] == 1440
    assert empty["flags"] == "no_data"


def test_gap_at_the_end_of_the_day_counts():
    s = clean_hourly("A")
    for h in (20, 21, 22, 23):
        del s[local("2024-03-05", h)]
    q = run(meters(IV), rows_of("A", s))
    # last reading 19:00; 20:00..23:00 missing: a 4-hour gap to the end of the day
    assert q.loc[("A", "2024-03-05"), "longest_gap_minutes"] == 240


def test_off_grid_and_surplus_readings():
    s = clean_hourly("A")
    s[local("2024-03-07", 0.5)] = 11.0  # 00:30 on an hourly meter: off grid, one too many
    del s[local("2024-03-08", 1)]
    s[local("2024-03-08", 1 + 1 / 120)] = 11.0  # 01:00:30 instead of 01:00: off grid, a gap
    q = run(meters(IV), rows_of("A", s))
    extra = q.loc[("A", "2024-03-07")]
    assert (extra["received"], extra["n_off_grid"], extra["n_surplus"]) == (25, 1, 1)
    assert extra["flags"] == "off_grid;duplicates"
    assert extra["completeness"] == 1.0
    drift = q.loc[("A", "2024-03-08")]
    assert (drift["n_off_grid"], drift["n_surplus"], drift["n_missing"]) == (1, 0, 1)
    assert drift["flags"] == "gap;off_grid"


def test_negative_spike_and_impossible():
    s = clean_hourly("A")
    s[local("2024-03-09", 3)] = -5.0
    # month median 12.65 (values 10..15 + day/100), MAD 1.5, robust sigma 1.4826 x 1.5 = 2.22;
    # typical daily peak (median of the daily maxima) 15.15:
    # 100 is (100 - 12.65) / 2.22 = 39 sigma above the median and > 5 x 15.15 = 75.75, but
    # < 20 x 15.15 = 303: a spike
    s[local("2024-03-10", 14)] = 100.0
    # 1,000 > 303: impossible (and then not also a spike)
    s[local("2024-03-11", 14)] = 1000.0
    # 60 is 21 sigma above the median but below 5 x the daily peak: an air-conditioning
    # afternoon, the meter's own load shape
    s[local("2024-03-12", 14)] = 60.0
    q = run(meters(IV), rows_of("A", s))
    assert q.loc[("A", "2024-03-09"), "flags"] == "negative"
    assert q.loc[("A", "2024-03-10"), "n_spikes"] == 1
    assert q.loc[("A", "2024-03-10"), "flags"] == "spike"
    assert q.loc[("A", "2024-03-11"), "n_impossible"] == 1
    assert q.loc[("A", "2024-03-11"), "n_spikes"] == 0
    assert "impossible" in q.loc[("A", "2024-03-11"), "flags"]
    assert q.loc[("A", "2024-03-12"), "flags"] == ""


def test_stuck_value_needs_twelve_hours():
    s = clean_hourly("A")
    for h in range(12):  # 00:00..11:00 all 7.0: 12 hourly intervals = stuck
        s[local("2024-03-13", h)] = 7.0
    for h in range(11):  # 11 intervals only: not stuck
        s[local("2024-03-14", h)] = 7.0
    q = run(meters(IV), rows_of("A", s))
    assert q.loc[("A", "2024-03-13"), "n_stuck"] == 12
    assert q.loc[("A", "2024-03-13"), "flags"] == "stuck"
    assert q.loc[("A", "2024-03-14"), "flags"] == ""
    # 15-minute meter: needs max(12, 6 h / 15 min = 24) = 24 intervals
    m15 = meters(("Q", "interval", 15, None, None))
    start = local("2024-03-13")
    q15 = run(m15, [("Q", start + k * dt.timedelta(minutes=15), 7.0 if k < 23 else 1 + k % 3)
                    for k in range(96)])
    assert q15.loc[("Q", "2024-03-13"), "n_stuck"] == 0


def test_future_and_before_commissioning():
    now = local("2024-03-20", 12)  # 12:00 local on 20 March
    s = clean_hourly("A")
    m = meters(("A", "interval", 60, None, dt.date(2024, 3, 3)))
    q = run(m, rows_of("A", s), now=now)
    # 1-2 March: before commissioning, expected nothing
    early = q.loc[("A", "2024-03-02")]
    assert (early["expected"], early["n_before_commissioning"]) == (0, 24)
    assert early["flags"] == "before_commissioning"  # not also duplicates: nothing expected
    # 20 March: slots 00:00..11:00 start before the check time: 12 expected
    today = q.loc[("A", "2024-03-20")]
    assert today["expected"] == 12
    assert today["n_future"] == 11  # 13:00 .. 23:00 are later than 12:00 (12:00 itself is not)
    assert "future" in today["flags"]
    assert q.loc[("A", "2024-03-25"), "n_future"] == 24
    assert q.loc[("A", "2024-03-03"), "flags"] == ""


def test_unit_mismatch_against_the_month_and_the_history():
    s = clean_hourly("A")
    for h in range(24):  # one day sent in Wh to a kWh meter
        s[local("2024-03-15", h)] *= 1000
    q = run(meters(IV), rows_of("A", s))
    day = q.loc[("A", "2024-03-15")]
    assert day["unit_ratio"] == pytest.approx(1000, rel=0.01)
    assert "unit_mismatch" in day["flags"]
    assert "unit_mismatch" not in q.loc[("A", "2024-03-16"), "flags"]
    # a whole month in Wh: against February (the history), every day is 1000x
    feb = clean_hourly("A", "2024-02")
    mar = {ts: v * 1000 for ts, v in clean_hourly("A").items()}
    q = run(meters(IV), rows_of("A", feb) + rows_of("A", mar))
    assert q["flags"].str.contains("unit_mismatch").all()
    assert q["unit_ratio"].min() > 900


# -- cumulative registers -----------------------------------------------------------------
def test_register_reset_rollover_impossible_negative():
    m = meters(("C", "cumulative", 60, 9999.0, None))
    reads = [
        ("C", local("2024-03-01", 0), 9990.0), ("C", local("2024-03-01", 1), 9995.0),
        ("C", local("2024-03-01", 2), 5.0),  # 9995 -> 5 near full scale: a rollover
        ("C", local("2024-03-02", 0), 30.0), ("C", local("2024-03-02", 1), 12.0),  # reset
        ("C", local("2024-03-03", 0), 20000.0),  # above the full scale: impossible
        ("C", local("2024-03-04", 0), -1.0),  # negative (and a drop: reset)
    ]
    q = run(m, registers=reads)
    assert q.loc[("C", "2024-03-01"), "flags"] == "rollover"
    assert q.loc[("C", "2024-03-02"), "n_resets"] == 1
    assert "reset" in q.loc[("C", "2024-03-02"), "flags"]
    assert "impossible" in q.loc[("C", "2024-03-03"), "flags"]
    assert "negative" in q.loc[("C", "2024-03-04"), "flags"]


def test_register_that_does_not_move_is_stuck():
    s = clean_register("C")
    frozen = s[local("2024-03-09", 23)]
    lost = s[local("2024-03-10", 23)] - frozen  # what the register did not count on 10 March
    s = {ts: (frozen if local("2024-03-10") <= ts < local("2024-03-11")
              else v - lost if ts >= local("2024-03-11") else v) for ts, v in s.items()}
    q = run(meters(("C", "cumulative", 60, None, None)), registers=rows_of("C", s))
    assert q.loc[("C", "2024-03-10"), "flags"] == "stuck"
    assert q.loc[("C", "2024-03-10"), "n_stuck"] == 24
    assert q.loc[("C", "2024-03-11"), "flags"] == ""  # it moves again


def test_register_spike_is_on_the_consumption_rate():
    s = clean_register("C")
    # 5 March 10:00: +100 kWh in one hour instead of 1-2, and the register goes on from there
    bump = local("2024-03-05", 10)
    s = {ts: v + (100 if ts >= bump else 0) for ts, v in s.items()}
    q = run(meters(("C", "cumulative", 60, None, None)), registers=rows_of("C", s))
    # typical daily peak rate 2 kWh/h: 101 > 20 x 2 -> impossible rather than spike
    assert "impossible" in q.loc[("C", "2024-03-05"), "flags"]
    assert (q.drop(("C", "2024-03-05"))["flags"] == "").all()


# -- lake-facing: stored flags, staleness, the report, the CLI ----------------------------
ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2
A,甲楼,building,外滩街道,office,10000
B,乙楼,building,豫园街道,office,10000
"""
METERS = """
meter_id,entity_id,carrier,unit,register,interval_minutes,投运日期
MA,A,electricity,kWh,interval,60,2024-01-01
MB,B,electricity,kWh,interval,60,
"""
NOW = dt.datetime(2024, 6, 1)


def _readings_csv(skip: dict[str, set[int]] | None = None, day: str = "2024-03-05") -> str:
    skip = skip or {}
    lines = ["meter_id,ts,value"]
    for meter in ("MA", "MB"):
        for h in range(24):
            if h not in skip.get(meter, set()):
                lines.append(f"{meter},{day}T{h:02d}:00:00,{10 + h % 6}")
    return "\n".join(lines)


@pytest.fixture
def district(ws, tmp_path):
    import_file(ws, "entities", write(tmp_path, "e.csv", ENTITIES))
    import_file(ws, "meters", write(tmp_path, "m.csv", METERS))
    import_file(ws, "readings", write(tmp_path, "r1.csv", _readings_csv({"MB": {3, 4, 5}})))
    return ws


def _qfiles(ws, month="2024-03"):
    return sorted((ws.lake.root / "quality" / "district=huangpu" / f"month={month}")
                  .glob("q-*.parquet"))


def test_flags_are_stored_and_recomputed_when_the_data_change(district, tmp_path):
    ws = district
    rep = quality_report(ws, month="2024-03", now=NOW)
    assert rep.recomputed == ["2024-03"]
    files = _qfiles(ws)
    assert len(files) == 1
    assert not list(files[0].parent.glob("*.tmp"))
    mb = [r for r in rep.rows if r["meter_id"] == "MB" and r["day"] == "2024-03-05"][0]
    assert mb["flags"] == "gap"
    assert mb["n_missing"] == 3
    # nothing changed: the stored flags are used
    assert quality_report(ws, month="2024-03", now=NOW).recomputed == []
    # a correcting batch sends the missing hours: the month's live files change
    fix = write(tmp_path, "r2.csv", "meter_id,ts,value\n" + "\n".join(
        f"MB,2024-03-05T{h:02d}:00:00,{10 + h % 6}" for h in (3, 4, 5)))
    import_file(ws, "readings", fix)
    rep2 = quality_report(ws, month="2024-03", now=NOW)
    assert rep2.recomputed == ["2024-03"]
    mb2 = [r for r in rep2.rows if r["meter_id"] == "MB" and r["day"] == "2024-03-05"][0]
    assert mb2["flags"] == ""
    assert mb2["completeness"] == 1.0
    new_files = _qfiles(ws)
    assert len(new_files) == 1  # the old file was deleted after the new one was renamed in
    assert new_files != files
    # an explicit refresh recomputes even when current
    assert refresh_quality(ws, months=["2024-03"], force=True, now=NOW) == ["2024-03"]


def test_report_per_entity_and_street(district):
    rep = quality_report(district, month="2024-03", now=NOW)
    assert isinstance(rep, QualityReport)
    json.dumps(rep.to_dict())  # JSON-safe
    ents = {e["entity_id"]: e for e in rep.entities}
    # MA: commissioned 2024-01-01, so every day of March expects 24 readings; it sent only
    # 5 March: received 24 of 31 x 24 = 744; the other 30 days are no_data
    assert ents["A"]["expected"] == 744
    assert ents["A"]["received"] == 24
    assert ents["A"]["completeness"] == pytest.approx(24 / 744)
    assert ents["A"]["days_no_data"] == 30
    # MB has no commissioning date: checked because it sent data this month; 21 of 744
    assert ents["B"]["received"] == 21
    assert ents["B"]["days_gap"] == 1
    streets = {s["street"]: s for s in rep.streets}
    assert set(streets) == {"外滩街道", "豫园街道"}
    assert streets["豫园街道"]["days_gap"] == 1
    assert rep.district_summary["expected"] == 2 * 744
    only_b = quality_report(district, street_id="豫园", month="2024-03", now=NOW)
    assert {r["entity_id"] for r in only_b.rows} == {"B"}
    assert [e["entity_id"] for e in only_b.entities] == ["B"]
    only_a = quality_report(district, entity_id="A", month="2024-03", now=NOW,
                            include_rows=False)
    assert only_a.rows == []
    assert [e["entity_id"] for e in only_a.entities] == ["A"]


def test_an_unknown_entity_or_street_is_refused_before_any_month_is_checked(district):
    # the flags of the district's months are not computed for a report that cannot be given
    with pytest.raises(NotFoundError):
        quality_report(district, entity_id="NOPE", month="2024-03", now=NOW)
    with pytest.raises(NotFoundError):
        quality_report(district, entity_id="NOPE", now=NOW)
    with pytest.raises(NotFoundError):
        quality_report(district, street_id="no such street", month="2024-03", now=NOW)
    assert _qfiles(district) == []
    assert quality_report(district, entity_id="A", month="2024-03",
                          now=NOW).recomputed == ["2024-03"]


def test_report_for_a_year_lists_its_months(district):
    rep = quality_report(district, year=2024, now=NOW)
    # up to the check time (June 2024); only MA (commissioned) is expected in months without
    # data, MB only where it has data in the month or the two before
    assert rep.months == [f"2024-{m:02d}" for m in range(1, 7)]
    jan = [r for r in rep.rows if r["month"] == "2024-01"]
    assert {r["meter_id"] for r in jan} == {"MA"}
    assert all(r["flags"] == "no_data" for r in jan)


def test_cli_quality(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    runner = CliRunner()

    def cli(*args: str):
        r = runner.invoke(app, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output

    cli("init", "--profile", "huangpu")
    cli("import", "entities", str(write(tmp_path, "e.csv", ENTITIES)))
    cli("import", "meters", str(write(tmp_path, "m.csv", METERS)))
    cli("import", "readings", str(write(tmp_path, "r.csv", _readings_csv({"MB": {3}}))))
    out = cli("quality", "--month", "2024-03", "--detail", "--out", str(tmp_path / "q.csv"))
    assert "数据质量" in out
    assert "豫园街道" in out
    assert "重新计算 1 个月" in out
    assert "MB" in out  # the flagged meter-day in --detail
    df = pd.read_csv(tmp_path / "q.csv", encoding="utf-8-sig")
    assert len(df) == 2 * 31  # every day of March: MA is commissioned, MB sent data
    mb = df[(df["meter_id"] == "MB") & (df["day"] == "2024-03-05")]
    assert mb["flags"].item() == "gap"
    out = cli("quality", "--month", "2024-03", "--street", "外滩街道")
    assert "重新计算 0 个月" in out
    assert "豫园街道" not in out
    r = runner.invoke(app, ["quality", "--street", "火星"], catch_exceptions=False)
    assert r.exit_code == 1
    assert "没有街道 '火星'" in r.output


# -- meters: commissioned_on ---------------------------------------------------------------
def test_meters_commissioned_on_column(ws, tmp_path):
    import_file(ws, "entities", write(tmp_path, "e.csv", ENTITIES))
    import_file(ws, "meters", write(tmp_path, "m.csv", METERS))
    with ws.registry.session() as s:
        assert s.get(Meter, "MA").commissioned_on == dt.date(2024, 1, 1)
        assert s.get(Meter, "MB").commissioned_on is None
        created = s.scalars(select(AuditLog).where(AuditLog.object_id == "MA")).first()
        assert created.details["commissioned_on"] == "2024-01-01"
    # an update that leaves the column blank keeps the date; one that gives it sets it
    import_file(ws, "meters", write(tmp_path, "m2.csv", """
        meter_id,entity_id,carrier,unit,register,commissioned_on
        MA,A,electricity,kWh,interval,
        MB,B,electricity,kWh,interval,2023-07-01
    """))
    with ws.registry.session() as s:
        assert s.get(Meter, "MA").commissioned_on == dt.date(2024, 1, 1)
        assert s.get(Meter, "MB").commissioned_on == dt.date(2023, 7, 1)
    bad = write(tmp_path, "m3.csv", """
        meter_id,entity_id,carrier,unit,register,启用日期
        MC,A,electricity,kWh,interval,2024/01/01
        MD,A,electricity,kWh,interval,2024-02-30
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(ws, "meters", bad)
    errs = [(e.row, e.column, e.value) for e in exc.value.errors]
    assert errs == [(2, "commissioned_on", "2024/01/01"), (3, "commissioned_on", "2024-02-30")]


# -- the account: coverage and gap filling --------------------------------------------------
def test_fill_interval_gaps_by_hand():
    m = pa.table({"meter_id": ["M"], "register": ["interval"], "interval_minutes": [60]})
    base = local("2024-03-01")
    values = {0: 10.0, 1: 10.0, 2: 10.0, 3: 10.0, 4: 10.0, 8: 22.0, 9: 5.0, 10: 5.0, 11: 5.0,
              20: 8.0, 21: 8.0}
    readings = table([("M", base + h * H, v) for h, v in values.items()])
    months = pa.table({"month": ["2024-03"],
                       "month_start": pa.array([local("2024-03-01")], pa.timestamp("us")),
                       "month_end": pa.array([local("2024-04-01")], pa.timestamp("us"))})
    filled = fill_interval_gaps(readings, m, months, max_gap_hours=6).to_pandas()
    # gap 05:00-07:00 (3 h <= 6 h) between 10 at 04:00 and 22 at 08:00, n = 3:
    #   k/(n+1) = 1/4, 2/4, 3/4 of the way: 10 + 12/4 = 13, 16, 19
    # gap 12:00-19:00 is 8 h > 6 h: left as it is
    assert [(ts.hour + 8) % 24 for ts in filled["ts"]] == [5, 6, 7]
    assert filled["value"].tolist() == pytest.approx([13.0, 16.0, 19.0])
    assert set(filled["month"]) == {"2024-03"}
    longer = fill_interval_gaps(readings, m, months, max_gap_hours=8).to_pandas()
    # with 8 h the second gap is filled too: 5 -> 8 over 9 steps, 5 + 3 k / 9
    assert len(longer) == 3 + 8
    assert longer["value"].iloc[3] == pytest.approx(5 + 3 / 9)


GAP_METERS = """
meter_id,entity_id,carrier,unit,register,multiplier,interval_minutes
M,A,electricity,kWh,interval,2,60
"""


def load_gappy(ws, tmp_path):
    """Meter M (multiplier 2) with 11 of March's hours: 3 intervals to fill."""
    import_file(ws, "entities", write(tmp_path, "e.csv", ENTITIES))
    import_file(ws, "meters", write(tmp_path, "m.csv", GAP_METERS))
    values = {0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 8: 22, 9: 5, 10: 5, 11: 5, 20: 8, 21: 8}
    import_file(ws, "readings", write(tmp_path, "r.csv", "meter_id,ts,value\n" + "\n".join(
        f"M,2024-03-01T{h:02d}:00:00,{v}" for h, v in values.items())))
    return ws


@pytest.fixture
def gappy(ws, tmp_path):
    return load_gappy(ws, tmp_path)


def _march(res, level="entity"):
    df = res.tables[f"inventory_{level}_month"]
    key = "entity_id" if level == "entity" else level
    return df[(df["month"] == "2024-03") & (df["carrier"] == "electricity")].set_index(key)


def test_account_without_the_option_fills_nothing(gappy, tmp_path):
    res = run_account(gappy, year=2024, out_dir=tmp_path / "out")
    row = _march(res).loc["A"]
    # 5 x 10 + 22 + 3 x 5 + 2 x 8 = 103 raw x multiplier 2 = 206 kWh
    assert row["quantity"] == pytest.approx(206)
    assert row["estimated_quantity"] == 0
    assert row["intervals_filled"] == 0
    # coverage: 11 of 744 hourly intervals of March
    assert row["coverage"] == pytest.approx(11 / 744)
    assert (row["intervals_received"], row["intervals_expected"]) == (11, 744)
    assert res.totals["interval_coverage"] == pytest.approx(11 / 8784)  # the leap year's hours
    assert res.totals["gap_filling"] == {"enabled": False}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["gap_filling"] == {"enabled": False}


def test_account_fills_short_gaps_and_marks_them_estimated(gappy, tmp_path):
    plain = run_account(gappy, year=2024)
    res = run_account(gappy, year=2024, fill_gaps=True, max_gap_hours=6,
                      out_dir=tmp_path / "out")
    row = _march(res).loc["A"]
    # filled 13 + 16 + 19 = 48 raw x 2 = 96 kWh estimated; 206 + 96 = 302 kWh
    assert row["estimated_quantity"] == pytest.approx(96)
    assert row["quantity"] == pytest.approx(302)
    assert row["estimated_share"] == pytest.approx(96 / 302)
    assert row["intervals_filled"] == 3
    assert row["coverage"] == pytest.approx(11 / 744)  # estimates never count as coverage
    year = res.tables["inventory_entity_year"].set_index(["entity_id", "carrier"])
    assert "estimated_intervals=3" in year.loc[("A", "electricity"), "flags"]
    for level in ("street", "district"):
        assert _march(res, level)["estimated_quantity"].sum() == pytest.approx(96)
    assert res.tables["inventory_district_year"]["estimated_quantity"].sum() == \
        pytest.approx(96)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    gap = manifest["gap_filling"]
    assert gap["enabled"] is True
    assert gap["max_gap_hours"] == 6
    assert gap["intervals_filled_by_meter"] == {"M": 3}
    assert "linear interpolation" in gap["method"]
    with gappy.registry.session() as s:
        run = s.get(AccountRun, res.run_id)
        assert run.summary["gap_filling"]["intervals_filled"] == 3
        assert run.official  # same factor set: it supersedes the earlier official run
        assert run.restates_run_id == plain.run_id
    assert any("without gap filling" in n for n in res.notes)
    assert any("gap filling on: 3 interval(s)" in n for n in res.notes)


def test_account_cli_fill_gaps(gappy, tmp_path, monkeypatch):
    monkeypatch.setenv("CARBONPEAK_HOME", str(gappy.settings.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", gappy.settings.url)
    r = CliRunner().invoke(app, ["account", "--year", "2024", "--fill-gaps",
                                 "--max-gap-hours", "8"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "缺测插补" in r.output
    assert "的 11 个时段" in r.output  # 3 + 8 with gaps up to 8 h
    assert "读数覆盖率" in r.output
