"""Plausibility before the official account (issue 22, High 2).

The implausible is refused at intake with a named reason (a meter's ceiling or its carrier's,
a negative interval value, 316× the meter's history); the suspicious (a spike by the robust
rule) is stored but held out of the official account until an analyst confirms or rejects it,
and an account refuses to become official while held values affect it, saying by how much.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.errors import HeldValuesPending, InputValidationError
from carbonpeak.intake.feeds import ingest_ledger, ingest_readings
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import official_run, run_account
from carbonpeak.services.accounting.held import decide_held, list_held
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import AuditLog, BatchRejection, HeldValue
from carbonpeak.storage.workspace import Workspace
from tests.conftest import home_from_template, write

ENTITIES = ("entity_id,name,kind,street,building_type,floor_area_m2\n"
            "P1,甲楼,building,外滩街道,office,10000\n")
METERS = ("meter_id,entity_id,carrier,unit,register,interval_minutes,ceiling\n"
          "PM1,P1,electricity,kWh,interval,60,\n"
          "PM2,P1,electricity,kWh,interval,60,500\n")
FEEDER = Principal(0, "plausibility-test", "district_admin", "huangpu")
START = dt.datetime(2024, 3, 1)  # local midnight


def _history(path: Path) -> Path:
    """Two weeks of hourly readings of PM1 (100-139 kWh, a daily shape) and PM2 (10 kWh)."""
    lines = ["meter_id,ts,value"]
    for h in range(14 * 24):
        t = START + dt.timedelta(hours=h)
        lines.append(f"PM1,{t:%Y-%m-%dT%H:%M:%S},{100 + (t.hour * 7) % 40}")
        lines.append(f"PM2,{t:%Y-%m-%dT%H:%M:%S},10")
    path.write_text("\n".join(lines) + "\n")
    return path


def _world(ws: Workspace, folder: Path) -> None:
    import_file(ws, "entities", write(folder, "e.csv", ENTITIES))
    import_file(ws, "meters", write(folder, "m.csv", METERS))
    import_file(ws, "readings", _history(folder / "history.csv"))


@pytest.fixture
def world(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Two weeks of history (a copy of a home built once per worker on SQLite)."""
    ws = home_from_template(settings, tmp_path_factory, "plausibility-world", _world)
    yield ws
    ws.close()


def _push(ws: Workspace, rows: list[dict[str, object]]):
    return ingest_readings(ws, FEEDER, json.dumps(rows).encode(), "application/json")


def test_impossible_readings_are_refused_with_their_reason(world):
    res = _push(world, [
        {"meter_id": "PM1", "ts": "2024-03-20T08:00:00", "value": 1e15},     # carrier ceiling
        {"meter_id": "PM2", "ts": "2024-03-20T08:00:00", "value": 600},      # meter's ceiling
        {"meter_id": "PM1", "ts": "2024-03-20T09:00:00", "value": -5},       # negative
        {"meter_id": "PM1", "ts": "2024-03-20T10:00:00", "value": 60_000},   # ≥ 316× history
        {"meter_id": "PM1", "ts": "2024-03-20T11:00:00", "value": 120},      # fine
    ])
    reasons = {e.row: e.code for e in res.errors}
    assert reasons == {1: "intake.readings.above_ceiling", 2: "intake.readings.above_ceiling",
                       3: "intake.readings.negative", 4: "intake.readings.above_history"}
    assert res.rejected == 4
    assert res.added == 1
    by_row = {e.row: e for e in res.errors}
    assert by_row[2].params["ceiling"] == "500"
    assert "1e+06" in by_row[1].params["ceiling"]  # a gigawatt for an hour, in kWh
    with world.registry.session() as s:
        stored = s.scalars(select(BatchRejection.row).where(
            BatchRejection.batch_id == res.batch_id).order_by(BatchRejection.row)).all()
    assert stored == [1, 2, 3, 4]


def test_a_file_with_an_impossible_reading_is_refused_naming_row_and_reason(world, tmp_path):
    path = write(tmp_path, "r.csv", "meter_id,ts,value\nPM1,2024-03-20T08:00:00,5\n"
                 "PM1,2024-03-20T09:00:00,1e15\n")
    with pytest.raises(InputValidationError) as exc:
        import_file(world, "readings", path)
    assert [(e.row, e.column, e.code) for e in exc.value.errors] == [
        (3, "value", "intake.readings.above_ceiling")]


def test_impossible_ledger_rows_are_refused(world, tmp_path):
    body = json.dumps([
        {"entity_id": "P1", "period": "2024-01", "carrier": "electricity", "quantity": 1e15,
         "unit": "kWh"},
        {"entity_id": "P1", "period": "2024-02", "carrier": "electricity", "quantity": 5000,
         "unit": "kWh"}]).encode()
    res = ingest_ledger(world, FEEDER, body, "application/json")
    assert [(e.row, e.code) for e in res.errors] == [(1, "intake.ledger.above_ceiling")]
    assert res.added == 1
    # with three months of history, 316× the typical month is refused too
    hist = "entity_id,period,carrier,quantity,unit\n" + "".join(
        f"P1,2023-{m:02d},electricity,5000,kWh\n" for m in range(1, 5))
    import_file(world, "ledger", write(tmp_path, "l.csv", hist))
    with pytest.raises(InputValidationError) as exc:
        import_file(world, "ledger", write(
            tmp_path, "l2.csv", "entity_id,period,carrier,quantity,unit\n"
            "P1,2023-06,electricity,5000,万kWh\n"))  # 50 GWh: a unit slip
    assert [e.code for e in exc.value.errors] == ["intake.ledger.above_history"]


def test_a_spike_is_held_out_of_the_official_account_until_an_analyst_decides(world):
    before = run_account(world, year=2024)  # the official account without the spike
    assert before.official
    res = _push(world, [{"meter_id": "PM1", "ts": "2024-03-16T03:00:00", "value": 4000},
                        {"meter_id": "PM1", "ts": "2024-03-16T04:00:00", "value": 110}])
    assert res.errors == []  # stored, not refused
    assert res.added == 2
    held = list_held(world, "huangpu")
    assert [(h["meter_id"], h["value"], h["reason_code"]) for h in held] == [
        ("PM1", 4000.0, "intake.held.spike")]
    assert "尖峰" in held[0]["reason_zh"]
    # re-sending the batch holds nothing twice
    _push(world, [{"meter_id": "PM1", "ts": "2024-03-16T03:00:00", "value": 4000},
                  {"meter_id": "PM1", "ts": "2024-03-16T04:00:00", "value": 110}])
    assert len(list_held(world, "huangpu")) == 1

    with pytest.raises(HeldValuesPending) as exc:
        run_account(world, year=2024)
    assert [h["id"] for h in exc.value.held] == [held[0]["id"]]
    assert f"#{held[0]['id']} PM1" in str(exc.value)
    assert "counting them would change the total by" in str(exc.value)
    with world.registry.session() as s:  # the official run is still the one before
        assert official_run(s, "huangpu", 2024).id == before.run_id

    decide_held(world, "huangpu", [held[0]["id"]], "confirmed", note="chiller test")
    after = run_account(world, year=2024)
    assert after.official
    change = after.totals["tce_equivalent"] - before.totals["tce_equivalent"]
    kgce = next(f["value"] for f in after.factors_used
                if f["carrier"] == "electricity" and f["quantity"] == "kgce_equivalent")
    assert change == pytest.approx((4000 + 110) * kgce / 1000)  # both readings count now
    assert exc.value.delta["tce_equivalent"] == pytest.approx(4000 * kgce / 1000)
    with world.registry.session() as s:
        logged = s.scalars(select(AuditLog).where(AuditLog.object_type == "held_value")).all()
        assert [(a.action, a.details["status"]) for a in logged] == [
            ("held_confirmed", ["held", "confirmed"])]


def test_a_rejected_spike_never_counts(world):
    _push(world, [{"meter_id": "PM1", "ts": "2024-03-16T03:00:00", "value": 4000}])
    (h,) = list_held(world, "huangpu")
    decide_held(world, "huangpu", [h["id"]], "rejected")
    rejected = run_account(world, year=2024)
    assert rejected.official
    assert any("rejected by an analyst" in n for n in rejected.notes)
    with world.registry.session() as s:
        assert s.scalars(select(HeldValue.status)).all() == ["rejected"]
    # the total is that of the history alone
    history_kwh = sum(100 + (h_ % 24 * 7) % 40 for h_ in range(14 * 24)) + 14 * 24 * 10
    pm = rejected.tables["inventory_district_year"]
    assert float(pm.loc[pm["carrier"] == "electricity", "quantity"].sum()) == \
        pytest.approx(history_kwh)


def test_analysts_decide_held_values_over_the_api(world):
    from fastapi.testclient import TestClient

    from carbonpeak.api.app import create_app
    from carbonpeak.services.access.users import create_user, issue_token

    _push(world, [{"meter_id": "PM1", "ts": "2024-03-16T03:00:00", "value": 4000}])
    create_user(world, "analyst", "district_analyst", district="huangpu")
    create_user(world, "feeder", "data_feeder", district="huangpu", entities=["P1"])
    auth = {u: {"Authorization": f"Bearer {issue_token(world, u).token}"}
            for u in ("analyst", "feeder")}
    client = TestClient(create_app(workspace=world))
    assert client.get("/api/v1/held", headers=auth["feeder"]).status_code == 403
    listed = client.get("/api/v1/held", headers=auth["analyst"]).json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert (item["meter_id"], item["value"], item["status"]) == ("PM1", 4000.0, "held")
    r = client.post(f"/api/v1/held/{item['id']}", headers=auth["analyst"],
                    json={"decision": "rejected", "note": "a test pulse"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decided_by"]) == ("rejected", "user:analyst")
    again = client.post(f"/api/v1/held/{item['id']}", headers=auth["analyst"],
                        json={"decision": "confirmed"})
    assert again.status_code == 409  # decisions are final
    assert client.get("/api/v1/held", headers=auth["analyst"]).json()["total"] == 0


# -- cumulative registers (issue 22 leftover: registers were not screened at intake) --------

def test_register_steps_worked_by_hand():
    from carbonpeak.domain.plausibility import RegisterStep, register_step_problem

    def why(*a, **k):
        p = register_step_problem(RegisterStep(*a, **k))
        return None if p is None else (p.reason, round(p.use, 6), round(p.limit, 6))

    # 4350 -> 4360 in 1 h on an hourly meter whose typical use is 10 kWh/h: plausible
    assert why(4350.0, 4360.0, 1.0, 1e6, 60, typical_rate=10.0) is None
    # 4350 -> 4000: a drop of 350, not down to 10 % (435) of the previous read: backwards;
    # the largest drop that would be a replacement is 0.9 × 4350 = 3915
    assert why(4350.0, 4000.0, 1.0, 1e6, 60) == ("backwards", 350.0, 3915.0)
    # 4350 -> 3: at most 10 % of the previous read, a replaced meter (the account leaves it out)
    assert why(4350.0, 3.0, 1.0, 1e6, 60) is None
    # rollover at 9,999 (wraps at 10,000): 9,995 -> 5 used 5 + 10,000 - 9,995 = 10
    assert why(9995.0, 5.0, 1.0, 1e6, 60, rollover_at=9999.0) is None
    # ... and with a meter ceiling of 8 per hour, 10 > 8: above the ceiling
    assert why(9995.0, 5.0, 1.0, 8.0, 60, rollover_at=9999.0) == ("above_ceiling", 10.0, 8.0)
    # a daily-read gas meter (interval 1,440 min, ceiling 2.4e6 m³ a reading): over 12 h the
    # ceiling is 2.4e6 × 12 × 60 / 1,440 = 1.2e6; 1.3e6 used is above it
    assert why(0.0, 1.3e6, 12.0, 2.4e6, 1440) == ("above_ceiling", 1.3e6, 1.2e6)
    # 316×: 10 kWh/h typical, 4,000 kWh in 1 h ≥ 10^2.5 × 10 = 3,162.28 kWh
    assert why(4350.0, 8350.0, 1.0, 1e6, 60, typical_rate=10.0) == (
        "above_history", 4000.0, 3162.27766)
    # ... 3,000 kWh in that hour is 300×: not refused
    assert why(4350.0, 7350.0, 1.0, 1e6, 60, typical_rate=10.0) is None


REG_METERS = ("meter_id,entity_id,carrier,unit,register,interval_minutes\n"
              "RM1,P1,electricity,kWh,cumulative,60\n")


def _registers(ws: Workspace, folder: Path) -> None:
    import_file(ws, "entities", write(folder, "e.csv", ENTITIES))
    import_file(ws, "meters", write(folder, "m.csv", REG_METERS))
    lines = ["meter_id,ts,value"] + [
        f"RM1,{START + dt.timedelta(hours=h):%Y-%m-%dT%H:%M:%S},{1000 + 10 * h}"
        for h in range(14 * 24)]
    (folder / "reads.csv").write_text("\n".join(lines) + "\n")
    import_file(ws, "readings", folder / "reads.csv")


@pytest.fixture
def registers(settings: Settings,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """RM1: two weeks of hourly reads, 1,000 + 10 kWh an hour (the last, 4,350 at 03-14 23:00);
    a copy of a home built once per worker on SQLite."""
    ws = home_from_template(settings, tmp_path_factory, "plausibility-registers", _registers)
    yield ws
    ws.close()


@pytest.mark.contract
@pytest.mark.parametrize(("rows", "code"), [
    ([("2024-03-15T01:00:00", 1e15)], "intake.registers.above_ceiling"),
    ([("2024-03-15T01:00:00", 4000)], "intake.registers.backwards"),
    ([("2024-03-15T00:00:00", 8350)], "intake.registers.above_history"),
    # a bogus 0 between two live reads: the drop looks like a replaced meter, but the step
    # from it to the next live read (0 -> 3,290 in half an hour) is 658× the typical use
    ([("2024-03-10T12:30:00", 0)], "intake.registers.above_history"),
    ([("2024-03-15T00:00:00", 4360), ("2024-03-15T01:00:00", 3)], None),  # fine, replaced
], ids=["ceiling", "backwards", "history", "bogus-zero", "plausible"])
def test_implausible_register_reads_are_refused_in_feeds(registers, rows, code):
    res = _push(registers, [{"meter_id": "RM1", "ts": t, "value": v} for t, v in rows])
    assert [e.code for e in res.errors] == ([code] if code else [])
    assert res.added == (0 if code else len(rows))
    if code:
        e = res.errors[0]
        assert (e.row, e.column) == (1, "value")
        assert e.params["unit"].lower() == "kwh"
        assert "不予接收" in e.text("zh")


@pytest.mark.contract
def test_a_file_with_an_impossible_register_read_is_refused_naming_row_and_reason(
        registers, tmp_path):
    path = write(tmp_path, "r2.csv", "meter_id,ts,value\nRM1,2024-03-15T00:00:00,4360\n"
                 "RM1,2024-03-15T01:00:00,1e15\n")
    with pytest.raises(InputValidationError) as exc:
        import_file(registers, "readings", path)
    assert [(e.row, e.column, e.code) for e in exc.value.errors] == [
        (3, "value", "intake.registers.above_ceiling")]
    assert exc.value.errors[0].params["start"] == "2024-03-15 00:00"  # local time, named


# -- suspicious register steps are held (issue 22 leftover) ----------------------------------
# RM1's history: 335 steps of 10 kWh in an hour (1,000 at 03-01 00:00 to 4,350 at 03-14
# 23:00, local time). A read of 5,350 at 03-15 00:00 is a step of 1,000 kWh in one hour, 100×
# the typical rate: below 316× (not refused), but a spike by the robust rule. With the next
# read, 5,360 at 01:00, the meter has 337 step rates: 336 of 10 kWh/h and one of 1,000, so
# the median is 10, the MAD is 0 and the scale is 1.2533 × mean |rate − 10| = 1.2533 × 990 /
# 337 = 3.6818; 1,000 − 10 = 990 > 10 × 3.6818, and 1,000 > 5 × the typical daily peak 10
# (the median over 15 days of the day's highest rate: 10 on 14 days, 1,000 on one).
SPIKE_READS = [("2024-03-15T00:00:00", 5350), ("2024-03-15T01:00:00", 5360)]
HISTORY_KWH = 335 * 10  # the history's steps
AFTER_KWH = 10  # 5,350 -> 5,360: an ordinary step after the held one


def _kwh(result) -> float:
    dy = result.tables["inventory_district_year"]
    return float(dy.loc[dy["carrier"] == "electricity", "quantity"].sum())


@pytest.mark.parametrize("channel", ["feed", "file"])
def test_a_register_spike_is_held_until_an_analyst_decides(registers, tmp_path, channel):
    before = run_account(registers, year=2024)
    assert _kwh(before) == pytest.approx(HISTORY_KWH)
    if channel == "feed":
        res = _push(registers, [{"meter_id": "RM1", "ts": t, "value": v}
                                for t, v in SPIKE_READS])
    else:
        res = import_file(registers, "readings", write(
            tmp_path, "spike.csv", "meter_id,ts,value\n"
            + "".join(f"RM1,{t},{v}\n" for t, v in SPIKE_READS)))
    assert res.errors == []  # stored, not refused
    assert res.added == 2
    (held,) = list_held(registers, "huangpu")
    assert (held["meter_id"], held["value"], held["reason_code"]) == (
        "RM1", 5350.0, "intake.held.register_spike")
    assert held["ts"] == "2024-03-14T16:00:00Z"  # 03-15 00:00 in Shanghai
    assert "累计表读数尖峰" in held["reason_zh"]
    assert "1000 used in 1 h" in held["reason_en"]
    assert "median rate 10 " in held["reason_en"]
    assert "(3.6818)" in held["reason_en"]  # the scale worked out above (6 digits)

    with pytest.raises(HeldValuesPending) as exc:  # the held step affects 2024
        run_account(registers, year=2024)
    assert [h["id"] for h in exc.value.held] == [held["id"]]
    assert f"#{held['id']} RM1" in str(exc.value)
    kgce = next(f["value"] for f in before.factors_used
                if f["carrier"] == "electricity" and f["quantity"] == "kgce_equivalent")
    # counting it would add its 1,000 kWh
    assert exc.value.delta["tce_equivalent"] == pytest.approx(1000 * kgce / 1000)
    with registers.registry.session() as s:
        assert official_run(s, "huangpu", 2024).id == before.run_id
    decide_held(registers, "huangpu", [held["id"]], "confirmed", note="meter swap")
    after = run_account(registers, year=2024)
    assert after.official
    assert _kwh(after) == pytest.approx(HISTORY_KWH + 1000 + AFTER_KWH)  # 4,360 kWh
    with registers.registry.session() as s:
        logged = s.scalars(select(AuditLog).where(AuditLog.object_type == "held_value")).all()
        assert [(a.action, a.details["status"]) for a in logged] == [
            ("held_confirmed", ["held", "confirmed"])]


def test_a_rejected_register_spike_never_counts(registers):
    _push(registers, [{"meter_id": "RM1", "ts": t, "value": v} for t, v in SPIKE_READS])
    (h,) = list_held(registers, "huangpu")
    decide_held(registers, "huangpu", [h["id"]], "rejected", note="misread")
    rejected = run_account(registers, year=2024)
    assert rejected.official
    # the held step is left out; the step after it counts: 3,350 + 10 = 3,360 kWh
    assert _kwh(rejected) == pytest.approx(HISTORY_KWH + AFTER_KWH)
    assert any("rejected by an analyst" in n for n in rejected.notes)


def test_an_ordinary_register_step_is_not_held(registers):
    # 4,350 -> 4,360 -> 4,371: 10 and 11 kWh in an hour, nothing held
    res = _push(registers, [{"meter_id": "RM1", "ts": "2024-03-15T00:00:00", "value": 4360},
                            {"meter_id": "RM1", "ts": "2024-03-15T01:00:00", "value": 4371}])
    assert (res.errors, res.added) == ([], 2)
    assert list_held(registers, "huangpu") == []
    assert _kwh(run_account(registers, year=2024)) == pytest.approx(HISTORY_KWH + 21)
