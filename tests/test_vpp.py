"""The virtual power plant: registry imports, baselines from the lake, results, scope, CLI,
capability against the targets. One small district built once (module scope).

The event E1 (invitation, Wed 2024-07-17 14:00–15:00 local) and its ten working days before
(07-03 … 07-16, oldest first) at the levels of ``WINDOWS`` for R1; R2 flat 500 kW; R3 (a 5-min
meter) flat 200 kW. On the event day: R1 700 kW in the window (1000 outside), R2 480 kW (500
outside), R3 100 kW (200 outside).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from carbonpeak.cli import app as cli_app
from carbonpeak.config import Settings
from carbonpeak.errors import InputValidationError, NotFoundError
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.reference import reference_dir
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.capability import capability
from carbonpeak.services.energy.vpp.registry import (
    event_of,
    import_events,
    import_participants,
    import_resources,
    list_events,
    list_resources,
)
from carbonpeak.services.energy.vpp.results import event_baseline, event_results
from carbonpeak.services.energy.vpp.vtn import Vtn
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.storage.registry.models import AuditLog
from carbonpeak.storage.workspace import Workspace
from tests.conftest import registry_url, write

WINDOWS = [900.0, 950.0, 1000.0, 980.0, 920.0, 1010.0, 990.0, 970.0, 940.0, 960.0]
DAYS = [dt.date(2024, 7, d) for d in (3, 4, 5, 8, 9, 10, 11, 12, 15, 16)]
EVENT_DAY = dt.date(2024, 7, 17)

ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2
B1,外滩一号楼,building,外滩街道,office,12000
B2,豫园大厦,building,豫园街道,office,8000
B3,外滩三号楼,building,外滩街道,mall,5000
"""
METERS = """
meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes
M1,B1,electricity,kWh,,interval,1,15
M2,B2,electricity,kWh,,interval,1,15
M3,B3,electricity,kWh,,interval,1,5
"""
RESOURCES = """
资源编号,主体编号,资源类型,签约容量（kW）,自动响应,网关编号,计量表编号,负荷聚合商,调频
R1,B1,空调,400,否,,M1,AGG_A,否
R2,B2,照明,150,是,VEN-B2,M2,AGG_A,是
R3,B3,储能,120,否,,M3,AGG_B,否
"""
EVENTS = """
event_id,programme,date,start,end,target_kw
E1,邀约,2024-07-17,14:00,15:00,400
E0,实时,2024-06-20,10:00,11:00,100
"""
PARTICIPANTS = """
event_id,resource_id,declared_kw
E1,R1,250
E1,R2,100
E1,R3,100
"""


def _readings() -> str:
    lines = ["meter_id,ts,value"]

    def day(d: dt.date, levels: tuple[float, float, float], window: tuple[float, float, float],
            ) -> None:
        for minute in range(10 * 60, 16 * 60, 5):
            hhmm = f"{minute // 60:02d}:{minute % 60:02d}:00"
            inside = 14 * 60 <= minute < 15 * 60
            kw = window if inside else levels
            if minute % 15 == 0:
                lines.append(f"M1,{d}T{hhmm},{kw[0] / 4:g}")
                lines.append(f"M2,{d}T{hhmm},{kw[1] / 4:g}")
            lines.append(f"M3,{d}T{hhmm},{kw[2] / 12:.9f}")

    for d, w in zip(DAYS, WINDOWS, strict=True):
        day(d, (w, 500.0, 200.0), (w, 500.0, 200.0))
    day(EVENT_DAY, (1000.0, 500.0, 200.0), (700.0, 480.0, 100.0))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Path, Any]]:
    folder = tmp_path_factory.mktemp("vpp")
    with registry_url("sqlite", folder) as url:
        settings = Settings(home=folder / "home", database_url=url)
        ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test",
                               load_targets=False)
        import_file(ws, "entities", write(folder, "entities.csv", ENTITIES))
        import_file(ws, "meters", write(folder, "meters.csv", METERS))
        (folder / "readings.csv").write_text(_readings(), encoding="utf-8")
        import_file(ws, "readings", folder / "readings.csv")
        first = (import_resources(ws, write(folder, "资源.csv", RESOURCES)),
                 import_events(ws, write(folder, "events.csv", EVENTS)),
                 import_participants(ws, write(folder, "participants.csv", PARTICIPANTS)))
        yield ws, folder, first
        ws.close()


ALL = AccessScope("huangpu", everything=True)


def test_imports_with_chinese_headers_are_idempotent_and_audit_logged(world):
    ws, folder, first = world
    assert [(r.added, r.updated, r.unchanged) for r in first] == [(3, 0, 0), (2, 0, 0),
                                                                  (3, 0, 0)]
    again = import_resources(ws, folder / "资源.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    rows = {r["resource_id"]: r for r in list_resources(ws, ALL)}
    assert rows["R2"] | {} == {"resource_id": "R2", "entity_id": "B2", "kind": "lighting",
                               "contracted_kw": 150.0, "automated": True, "ven_id": "VEN-B2",
                               "frequency_regulation": True, "meter_id": "M2",
                               "aggregator": "AGG_A"}
    with ws.registry.session() as s:
        n = s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.object_type.in_(("dr_resource", "dr_event", "dr_participant"))))
    assert n == 3 + 2 + 3  # one entry per insert; the re-import logged nothing


def test_a_changed_field_is_audit_logged_with_old_and_new(world, tmp_path):
    ws, folder, _ = world
    changed = RESOURCES.replace("R3,B3,储能,120", "R3,B3,储能,130")
    res = import_resources(ws, write(tmp_path, "r.csv", changed))
    assert (res.updated, res.unchanged) == (1, 2)
    with ws.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_type == "dr_resource",
                                                 AuditLog.action == "update")).one()
    assert entry.details["changes"] == {"contracted_kw": [120.0, 130.0]}
    import_resources(ws, folder / "资源.csv")  # back to 120


def test_bad_rows_are_named_and_nothing_is_stored(world, tmp_path):
    ws, _folder, _ = world
    bad = write(tmp_path, "bad.csv", """
    resource_id,entity_id,kind,contracted_kw,automated,ven_id,meter_id,aggregator
    X1,B1,aircon,100,no,,M1,AGG_A
    X2,B1,hvac,-5,yes,,M1,AGG_A
    X3,NOPE,hvac,10,no,,,AGG_A
    X4,B2,hvac,10,no,,M1,AGG_A
    """)
    with pytest.raises(InputValidationError) as err:
        import_resources(ws, bad)
    got = {(e.row, e.column) for e in err.value.errors}
    assert {(2, "kind"), (3, "contracted_kw"), (3, "ven_id")} <= got
    with pytest.raises(InputValidationError) as err2:
        import_resources(ws, write(tmp_path, "bad2.csv", """
        resource_id,entity_id,kind,contracted_kw,automated,ven_id,meter_id,aggregator
        X3,NOPE,hvac,10,no,,,AGG_A
        X4,B2,hvac,10,no,,M1,AGG_A
        """))
    assert {(e.row, e.column) for e in err2.value.errors} == {(2, "entity_id"), (3, "meter_id")}
    assert all(e.file == "bad2.csv" for e in err2.value.errors)
    assert "X4" not in {r["resource_id"] for r in list_resources(ws, ALL)}
    with pytest.raises(InputValidationError) as err3:
        import_events(ws, write(tmp_path, "ev.csv", """
        event_id,programme,date,start,end,target_kw
        E9,invitation,2024-07-18,15:00,14:00,100
        """))
    assert [(e.row, e.column) for e in err3.value.errors] == [(2, "end")]


def test_baselines_from_the_lake_per_method(world):
    ws, _folder, _ = world
    eb = event_baseline(ws, ALL, "E1")
    assert eb.method == "high5of10"  # the invitation programme's
    assert eb.days == DAYS  # E0 (06-20) is before the ten days; no holiday in July
    # 15-min: 4 intervals 14:00, 14:15, 14:30, 14:45; the 5 highest days' mean is 990 kW
    assert [t.strftime("%H:%M") for t in eb.stamps["R1"]] == ["14:00", "14:15", "14:30",
                                                              "14:45"]
    assert eb.baseline_kw["R1"].tolist() == pytest.approx([990.0] * 4)
    assert eb.actual_kw["R1"].tolist() == pytest.approx([700.0] * 4)
    # the 5-min meter: 12 intervals at 200 kW (kWh 200/12 each × 12 per hour)
    assert eb.baseline_kw["R3"].tolist() == pytest.approx([200.0] * 12)
    # last 5: (1010 + 990 + 970 + 940 + 960) / 5 = 974
    assert event_baseline(ws, ALL, "E1", method="last5").baseline_kw["R1"][0] == \
        pytest.approx(974.0)
    # 10-in-10 adjusted: the days' mean 962; 10:00–13:00 the days at their levels (mean 962)
    # and the event day at 1000 → factor 1000/962 → 962 × 1000/962 = 1000
    adj = event_baseline(ws, ALL, "E1", resource="R1", method="10in10_adjusted")
    assert adj.baseline_kw["R1"].tolist() == pytest.approx([1000.0] * 4)
    assert list(adj.baseline_kw) == ["R1"]


def test_the_chart_span_shows_the_hours_around_the_window(world):
    from carbonpeak.services.energy.vpp.results import intervals_of

    ws, _folder, _ = world
    # E1 14:00–15:00 ± 2 h → 12:00 … 16:45, 20 intervals of 15 min; readings end at 16:00
    eb = event_baseline(ws, ALL, "E1", resource="R1", around_hours=2)
    ivs = intervals_of(eb, "R1")
    assert [i["start"][11:] for i in (ivs[0], ivs[-1])] == ["12:00", "16:45"]
    assert len(ivs) == 20
    inside = [i for i in ivs if i["in_window"]]
    assert [i["start"][11:] for i in inside] == ["14:00", "14:15", "14:30", "14:45"]
    # the days are chosen by the window (990 = the 5 highest windows' mean, see above) and
    # R1's history days are flat, so the baseline is 990 before and after the window too;
    # the event day: 1000 kW outside the window, 700 inside, nothing after 16:00
    assert [(i["baseline_kw"], i["actual_kw"]) for i in inside] == [(990.0, 700.0)] * 4
    before = [i for i in ivs if i["start"][11:] < "14:00"]
    assert [(i["baseline_kw"], i["actual_kw"]) for i in before] == [(990.0, 1000.0)] * 8
    after = [i for i in ivs if "15:00" <= i["start"][11:] < "16:00"]
    assert [(i["baseline_kw"], i["actual_kw"]) for i in after] == [(990.0, 1000.0)] * 4
    assert all(i["actual_kw"] is None for i in ivs if i["start"][11:] >= "16:00")
    # the window's own figures do not change
    assert eb.baseline_kw["R1"].tolist() == pytest.approx([990.0] * 4)
    # the whole day: 96 intervals from 00:00
    day = intervals_of(event_baseline(ws, ALL, "E1", resource="R3", around_hours=24), "R3")
    assert (len(day), day[0]["start"][11:]) == (288, "00:00")  # R3: a 5-min meter
    assert sum(i["in_window"] for i in day) == 12
    # without a span: the window only, every interval in it
    assert all(i["in_window"] for i in intervals_of(event_baseline(ws, ALL, "E1"), "R1"))


def test_results_by_resource_and_aggregator_worked_by_hand(world):
    ws, _folder, _ = world
    res = event_results(ws, ALL, "E1")
    rows = {r["resource_id"]: r for r in res["resources"]}
    # R1: 990 − 700 = 290 kW; 290/250 = 1.16; paid min(290, 1.2 × 250 = 300) × 1 h × 3 CNY = 870
    assert rows["R1"]["response_kw"] == pytest.approx(290.0)
    assert rows["R1"]["execution_ratio"] == pytest.approx(1.16)
    assert rows["R1"]["amount_cny"] == pytest.approx(870.0)
    # R2: 500 − 480 = 20 kW; 20/100 = 0.2 < 0.5: fails its declared kW, nothing paid
    assert rows["R2"]["response_kw"] == pytest.approx(20.0)
    assert rows["R2"]["effective"] is False
    assert rows["R2"]["amount_cny"] == 0.0
    # R3: 200 − 100 = 100 kW, ratio 1.0, 100 kWh × 3 = 300 CNY
    assert (rows["R3"]["response_kw"], rows["R3"]["amount_cny"]) == pytest.approx((100, 300))
    aggs = {a["aggregator"]: a for a in res["aggregators"]}
    # AGG_A: (290 + 20) / (250 + 100) = 310/350
    assert aggs["AGG_A"]["execution_ratio"] == pytest.approx(310 / 350, abs=1e-6)
    assert aggs["AGG_B"]["amount_cny"] == pytest.approx(300.0)
    assert res["total"]["amount_cny"] == pytest.approx(1170.0)
    assert res["method_status"] == "unverified"
    # a configurable price: 2 CNY/kWh → R1 580
    cheap = event_results(ws, ALL, "E1", price_cny_per_kwh=2.0)
    assert cheap["resources"][0]["amount_cny"] == pytest.approx(580.0)


def test_an_aggregator_sees_only_its_own_resources_and_guessed_ids_are_not_found(world):
    ws, _folder, _ = world
    b = AccessScope("huangpu", everything=False, aggregator="AGG_B")
    assert [r["resource_id"] for r in list_resources(ws, b)] == ["R3"]
    assert [e["event_id"] for e in list_events(ws, b)] == ["E1"]  # not E0 (no resource of B)
    res = event_results(ws, b, "E1")
    assert [r["resource_id"] for r in res["resources"]] == ["R3"]
    assert [a["aggregator"] for a in res["aggregators"]] == ["AGG_B"]
    for guess in ("E0", "E404"):
        with pytest.raises(NotFoundError):
            event_of(ws, b, guess)
    with pytest.raises(NotFoundError):
        event_baseline(ws, b, "E1", resource="R1")  # exists, but A's: same as missing
    nobody = AccessScope("huangpu", everything=False)
    assert list_resources(ws, nobody) == []
    assert list_events(ws, nobody) == []
    other = AccessScope("huangpu", everything=False, aggregator="AGG_Z")
    assert list_resources(ws, other) == []


def test_capability_feeds_the_targets(world):
    ws, _folder, _ = world
    got = {(m["year"], m["metric"]): m for m in capability(ws, "huangpu")["metrics"]}
    assert got[(2024, "dr_buildings")]["value"] == 3.0
    assert got[(2024, "dr_contracted_mw")]["value"] == pytest.approx(0.67)  # 400+150+120
    # verified: R1 290 (≤ 400) + R3 100 (≤ 120); R2 not effective → 0.39 MW
    assert got[(2024, "dr_verified_mw")]["value"] == pytest.approx(0.39)
    assert got[(2024, "adr_verified_mw")]["value"] == 0.0  # R2 automated but failed
    assert got[(2024, "frequency_regulation_mw")]["value"] == pytest.approx(0.15)
    # metered peak: a quarter hour at 1010 + 500 + 200 = 1710 kW; 390 / 1710 = 22.807 %
    peak = got[(2024, "dr_peak_share_pct")]
    assert peak["peak_kw"] == pytest.approx(1710.0)
    assert (peak["peak_basis"], peak["peak_meters"]) == ("metered_15min", 3)
    assert peak["peak_at"] == "2024-07-10T10:00"  # the first quarter hour of the 1010 day
    assert peak["value"] == pytest.approx(100 * 390 / 1710)
    import_file(ws, "targets", reference_dir() / "targets" / "huangpu.csv")
    by_code = {t.code: t for t in evaluate_targets(
        ws, district="huangpu", codes=["HP-41", "HP-42", "HP-43", "HP-44", "HP-45"])}
    assert (by_code["HP-43"].metric, by_code["HP-43"].value_year) == ("dr_verified_mw", 2024)
    assert by_code["HP-43"].value == pytest.approx(0.39)
    assert by_code["HP-41"].value == 3.0
    assert by_code["HP-42"].value == pytest.approx(0.67)
    assert by_code["HP-45"].value == pytest.approx(0.15)
    assert "实测" in by_code["HP-43"].value_source_zh


def test_cli_baseline_and_results_json(world):
    ws, _folder, _ = world
    env = {"CARBONPEAK_HOME": str(ws.settings.home),
           "CARBONPEAK_DATABASE_URL": ws.settings.database_url}
    runner = CliRunner()
    out = runner.invoke(cli_app, ["dr", "baseline", "--event", "E1", "--resource", "R1",
                                  "--json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [iv["baseline_kw"] for iv in data["resources"][0]["intervals"]] == [990.0] * 4
    out = runner.invoke(cli_app, ["dr", "baseline", "--event", "E1", "--resource", "R1",
                                  "--around", "1"], env=env)
    assert out.exit_code == 0, out.output
    assert "14:00 *" in out.output  # a window interval, marked
    assert "13:45 *" not in out.output
    assert "13:45" in out.output
    out = runner.invoke(cli_app, ["dr", "results", "--event", "E1", "--json"], env=env)
    assert out.exit_code == 0, out.output
    rows = {r["resource_id"]: r for r in json.loads(out.output)["resources"]}
    assert set(rows["R1"]) >= {"baseline_kw", "actual_kw", "response_kw", "declared_kw",
                               "execution_ratio"}
    assert rows["R1"]["baseline_kw"] == pytest.approx(990.0)
    out = runner.invoke(cli_app, ["dr", "baseline", "--event", "NOPE"], env=env)
    assert out.exit_code != 0


# -- the API, scoped by role -------------------------------------------------------------
def test_api_is_scoped_by_role_and_guessed_ids_are_404(world):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.api.routes.energy.vpp import (
        BaselinePublic,
        CapabilityPublic,
        ResultsPublic,
    )
    from carbonpeak.services.access.users import create_user, issue_token

    ws, _folder, _ = world
    create_user(ws, "vpp_admin", "district_admin")
    create_user(ws, "agg_b", "aggregator", org="AGG_B")
    create_user(ws, "mgr_b1", "entity_manager", entities=["B1"])
    tokens = {u: issue_token(ws, u).token for u in ("vpp_admin", "agg_b", "mgr_b1")}
    client = TestClient(create_app(workspace=ws))

    def get(user: str, url: str) -> Any:
        return client.get(url, headers={"Authorization": f"Bearer {tokens[user]}"})

    assert [r["resource_id"] for r in get("agg_b", "/api/v1/vpp/resources").json()["items"]] \
        == ["R3"]
    assert [r["resource_id"] for r in get("mgr_b1", "/api/v1/vpp/resources").json()["items"]] \
        == ["R1"]
    assert get("vpp_admin", "/api/v1/vpp/resources").json()["total"] == 3
    res = get("agg_b", "/api/v1/vpp/events/E1/results")
    assert res.status_code == 200
    body = ResultsPublic.model_validate(res.json())
    assert [r.resource_id for r in body.resources] == ["R3"]
    assert [a.aggregator for a in body.aggregators] == ["AGG_B"]
    assert body.total.amount_cny == pytest.approx(300.0)  # nothing of AGG_A's leaks
    for url in ("/api/v1/vpp/events/E0/results", "/api/v1/vpp/events/E404/results",
                "/api/v1/vpp/events/E1/baseline?resource=R1",
                "/api/v1/vpp/events/E404/baseline"):
        answer = get("agg_b", url)
        assert answer.status_code == 404, url
        assert "AGG_A" not in answer.text
        assert "kw" not in answer.text
    # another aggregator's resource answers exactly like one that does not exist
    theirs = get("agg_b", "/api/v1/vpp/events/E1/baseline?resource=R1")
    missing = get("agg_b", "/api/v1/vpp/events/E1/baseline?resource=R9")
    assert theirs.text.replace("R1", "R9") == missing.text
    assert get("agg_b", "/api/v1/vpp/capability").status_code == 403
    assert get("mgr_b1", "/api/v1/vpp/capability").status_code == 403
    cap = CapabilityPublic.model_validate(get("vpp_admin", "/api/v1/vpp/capability").json())
    assert {m.metric for m in cap.metrics} >= {"dr_verified_mw", "dr_peak_share_pct"}
    base = BaselinePublic.model_validate(
        get("vpp_admin", "/api/v1/vpp/events/E1/baseline?resource=R1").json())
    assert [i.baseline_kw for i in base.resources[0].intervals] == [990.0] * 4
    wide = BaselinePublic.model_validate(get(
        "vpp_admin", "/api/v1/vpp/events/E1/baseline?resource=R1&around_hours=1").json())
    assert (wide.window_start, wide.window_end, wide.around_hours) == ("14:00", "15:00", 1)
    assert [i.start[11:] for i in wide.resources[0].intervals if i.in_window] == [
        "14:00", "14:15", "14:30", "14:45"]
    assert len(wide.resources[0].intervals) == 12  # 13:00 … 15:45
    assert get("vpp_admin", "/api/v1/vpp/events/E1/baseline?around_hours=25").status_code \
        == 422
    assert client.get("/api/v1/vpp/resources").status_code == 401


# -- OpenADR 2.0b: a real openleadr VEN against the VTN on loopback (no mock) ---------------
async def _ven_session(ws: Workspace, sent: list[str], seen: dict[str, Any]) -> None:
    import asyncio

    from openleadr import OpenADRClient  # imported quietly by vtn (module top) first

    from tests.conftest import STARTUP_WAIT_S, free_port

    vtn = Vtn(ws, "huangpu", port=free_port(), poll_seconds=1)
    await vtn.start()
    sent.extend(vtn.dispatch("E2"))
    rogue = OpenADRClient(ven_name="VEN-NOBODY", vtn_url=vtn.url, disable_signature=True)
    ven = OpenADRClient(ven_name="VEN-B2", vtn_url=vtn.url, disable_signature=True,
                        allow_jitter=False)

    async def on_event(event: dict[str, Any]) -> str:
        seen.setdefault("events", []).append(event)
        return "optIn"

    ven.add_handler("on_event", on_event)
    ven.add_report(callback=lambda: 42.5, resource_id="R2", measurement="REAL_POWER",
                   unit="W", scale="k", sampling_rate=dt.timedelta(seconds=1),
                   report_duration=dt.timedelta(seconds=60))
    try:
        await rogue.create_party_registration()
        seen["rogue_registration"] = rogue.registration_id
        await ven.run()
        seen["ven_id"] = ven.ven_id
        for _ in range(int(STARTUP_WAIT_S / 0.25)):
            await asyncio.sleep(0.25)
            if seen.get("events") and _opt(ws, "E2", "R2") == "opt_in" and \
                    ws.lake.live_files("huangpu", "dr_telemetry"):
                break
    finally:
        await ven.stop()
        await rogue.stop()
        await vtn.stop()


def _opt(ws: Workspace, event: str, resource: str) -> str | None:
    from carbonpeak.storage.registry.models import DrEvent, DrParticipant, DrResource

    with ws.registry.session() as s:
        return s.scalar(select(DrParticipant.opt_status)
                        .join(DrEvent, DrEvent.id == DrParticipant.event_pk)
                        .join(DrResource, DrResource.id == DrParticipant.resource_pk)
                        .where(DrEvent.event_id == event, DrResource.resource_id == resource))


# openleadr 0.5.34 is unmaintained upstream: its own aiohttp/signxml deprecations are not ours
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore:It is recommended to use web.AppKey")
def test_a_real_openleadr_ven_registers_receives_opts_in_and_reports_telemetry(world, tmp_path):
    import asyncio

    import duckdb

    ws, _folder, _ = world
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    import_events(ws, write(tmp_path, "e2.csv", f"""
    event_id,programme,date,start,end,target_kw
    E2,real_time,{tomorrow},14:00,15:00,120
    """))
    import_participants(ws, write(tmp_path, "p2.csv", """
    event_id,resource_id,declared_kw
    E2,R2,90
    E2,R1,50
    """))
    sent: list[str] = []
    seen: dict[str, Any] = {}
    asyncio.run(_ven_session(ws, sent, seen))
    assert sent == ["E2/R2"]  # R1 is not automated: no VEN, no OpenADR event
    assert seen["rogue_registration"] is None  # an unknown VEN is refused
    assert seen["ven_id"] == "VEN-B2"
    event = seen["events"][0]
    assert event["event_descriptor"]["event_id"] == "E2/R2"
    assert event["event_descriptor"]["market_context"] == "oadr://carbonpeak/real_time"
    signal = event["event_signals"][0]
    assert (signal["signal_name"], signal["signal_type"]) == ("LOAD_DISPATCH", "delta")
    assert signal["intervals"][0]["signal_payload"] == -90.0
    # 14:00 Shanghai = 06:00 UTC
    assert signal["intervals"][0]["dtstart"] == dt.datetime.combine(
        tomorrow, dt.time(6, 0), dt.UTC)
    assert _opt(ws, "E2", "R2") == "opt_in"
    assert _opt(ws, "E2", "R1") == "pending"
    with ws.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_id == "E2/R2",
                                                 AuditLog.action == "update")).one()
    assert entry.actor == "ven:VEN-B2"
    assert entry.details["changes"]["opt_status"] == ["pending", "opt_in"]
    files = [str(p) for p in ws.lake.live_files("huangpu", "dr_telemetry")]
    rows = duckdb.sql("SELECT DISTINCT resource_id, measurement, value, ven_id FROM "
                      "read_parquet($f, hive_partitioning=false)",
                      params={"f": files}).fetchall()
    assert rows
    assert {r[0] for r in rows} == {"R2"}
    assert {(r[2], r[3]) for r in rows} == {(42.5, "VEN-B2")}


def test_the_white_paper_chapter_states_the_events_and_capability(world):
    from carbonpeak.publish.whitepaper.vpp import chapter_parts, demand_response

    ws, _folder, _ = world
    d = ws.district("huangpu")
    sec = demand_response(ws, d, 2024)
    assert [e["event_id"] for e in sec["events"]] == ["E0", "E1"]
    e1 = sec["events"][1]
    # R1 290 + R2 20 + R3 100 = 410 kW over 250 + 100 + 100 = 450 declared
    assert (e1["response_kw"], e1["declared_kw"]) == pytest.approx((410.0, 450.0))
    assert sec["capability"]["dr_verified_mw"] == pytest.approx(0.39)
    text, facts, head, rows, note = chapter_parts(sec, "zh")
    assert "经实测验证的响应能力0.39兆瓦" in text
    assert rows[1][:3] == ["E1", "2024-07-17 14:00–15:00", "日前邀约"]
    assert rows[1][5] == "91%"  # 410 / 450
    assert "未经核实" in note
    with pytest.raises(NotFoundError):
        demand_response(ws, d, 2023)


def test_the_pv_forecast_hook_sets_a_pv_curtailment_baseline(world, tmp_path, monkeypatch):
    from carbonpeak.services.energy.vpp import results

    ws, _folder, _ = world
    import_resources(ws, write(tmp_path, "pv.csv", """
    resource_id,entity_id,kind,contracted_kw,automated,ven_id,meter_id,aggregator
    PV1,B3,pv_curtailment,50,no,,M3,AGG_B
    """))
    import_events(ws, write(tmp_path, "e3.csv", """
    event_id,programme,date,start,end,target_kw
    E3,invitation,2024-07-17,14:00,15:00,50
    """))
    import_participants(ws, write(tmp_path, "p3.csv",
                                  "event_id,resource_id,declared_kw\nE3,PV1,50"))
    # without the hook: the method's baseline (the meter's days at 200 kW)
    plain = event_baseline(ws, ALL, "E3")
    assert (plain.baseline_kw["PV1"][0], plain.pv_forecast) == (pytest.approx(200.0), ())
    calls: list[tuple[str, int]] = []

    def forecast(_ws: Workspace, district: str, resource: str, stamps: list[dt.datetime]) -> Any:
        calls.append((resource, len(stamps)))
        return [333.0] * len(stamps)

    monkeypatch.setattr(results, "PV_FORECAST_HOOK", forecast)
    hooked = event_baseline(ws, ALL, "E3")
    assert hooked.pv_forecast == ("PV1",)
    assert hooked.baseline_kw["PV1"].tolist() == [333.0] * 12  # the 5-min meter: 12 intervals
    assert calls == [("PV1", 12)]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cli_vtn_serves_and_dispatches_for_a_while(world):
    from tests.conftest import free_port

    ws, _folder, _ = world
    env = {"CARBONPEAK_HOME": str(ws.settings.home),
           "CARBONPEAK_DATABASE_URL": ws.settings.database_url}
    out = CliRunner().invoke(cli_app, ["dr", "vtn", "--port", str(free_port()), "--dispatch",
                                       "E1", "--dispatch", "E0", "--seconds", "0.2"], env=env)
    assert out.exit_code == 0, out.output
    assert "已下发 E1：E1/R2" in out.output  # R2 is automated (VEN-B2); R1, R3 are not
    assert "已下发 E0：没有自动参与的资源" in out.output


# -- creating events in the API (analysts), participants, opt-in/out, by role -------------
def test_api_creates_events_and_participants_by_role_and_audit_logs_them(world):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.api.routes.energy.vpp import EventPublic, ParticipantPublic
    from carbonpeak.services.access.users import create_user, issue_token

    ws, _folder, _ = world
    create_user(ws, "dr_analyst", "district_analyst")
    create_user(ws, "dr_agg_a", "aggregator", org="AGG_A")
    create_user(ws, "dr_agg_b", "aggregator", org="AGG_B")
    create_user(ws, "dr_mgr", "entity_manager", entities=["B1"])
    users = ("dr_analyst", "dr_agg_a", "dr_agg_b", "dr_mgr")
    tokens = {u: issue_token(ws, u).token for u in users}
    client = TestClient(create_app(workspace=ws))

    def call(verb: str, user: str | None, url: str, body: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.request(verb, "/api/v1/vpp" + url, json=body, headers=headers)

    event = {"event_id": "E-API-1", "programme": "邀约", "date": "2025-08-06",
             "start": "14:00", "end": "16:00", "target_kw": 300}
    # only analysts create: an aggregator, an entity manager get 403; no token 401
    for user in ("dr_agg_a", "dr_mgr"):
        assert call("POST", user, "/events", event).status_code == 403, user
    assert call("POST", None, "/events", event).status_code == 401
    made = call("POST", "dr_analyst", "/events", event)
    assert made.status_code == 201, made.text
    assert EventPublic.model_validate(made.json()).model_dump() == {
        "event_id": "E-API-1", "programme": "invitation", "date": "2025-08-06",
        "start": "14:00", "end": "16:00", "target_kw": 300.0, "baseline_method": None}
    assert call("POST", "dr_analyst", "/events", event).status_code == 409
    # checked like a row of the events file: every bad field named, nothing stored
    bad = call("POST", "dr_analyst", "/events", event | {
        "event_id": "E-API-2", "end": "13:00", "target_kw": -5, "programme": "whatever"})
    assert bad.status_code == 422
    assert sorted(e["column"] for e in bad.json()["errors"]) == ["end", "programme",
                                                                  "target_kw"]
    assert "E-API-2" not in {e["event_id"] for e in list_events(ws, ALL)}
    assert call("POST", "dr_analyst", "/events", event | {"extra": 1}).status_code == 422
    with ws.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_id == "E-API-1")).one()
        assert (entry.actor, entry.action, entry.object_type) == (
            "user:dr_analyst", "create", "dr_event")
    # participants: analysts add them; a resource not in the district is a named field
    for rid, kw in (("R1", 200), ("R3", 80)):
        got = call("POST", "dr_analyst", "/events/E-API-1/participants",
                   {"resource_id": rid, "declared_kw": kw})
        assert got.status_code == 200, got.text
        assert ParticipantPublic.model_validate(got.json()).opt_status == "pending"
    again = call("POST", "dr_analyst", "/events/E-API-1/participants",
                 {"resource_id": "R1", "declared_kw": 220})
    assert again.json()["declared_kw"] == 220.0  # changed, audit-logged with old and new
    with ws.registry.session() as s:
        change = s.scalars(select(AuditLog).where(AuditLog.object_id == "E-API-1/R1",
                                                  AuditLog.action == "update")).one()
        assert change.details["changes"]["declared_kw"] == [200.0, 220.0]
    unknown = call("POST", "dr_analyst", "/events/E-API-1/participants",
                   {"resource_id": "R404", "declared_kw": 10})
    assert (unknown.status_code, unknown.json()["errors"][0]["column"]) == (422, "resource_id")
    assert call("POST", "dr_analyst", "/events/E404/participants",
                {"resource_id": "R1", "declared_kw": 10}).status_code == 404
    assert call("POST", "dr_agg_a", "/events/E-API-1/participants",
                {"resource_id": "R1", "declared_kw": 10}).status_code == 403
    # opt-in/out: an aggregator for its own resources only; another's answers like a missing
    # one (404), and so does an event none of its resources takes part in
    ok = call("PUT", "dr_agg_b", "/events/E-API-1/participants/R3/opt", {"opt_status": "opt_in"})
    assert (ok.status_code, ok.json()["opt_status"]) == (200, "opt_in")
    theirs = call("PUT", "dr_agg_b", "/events/E-API-1/participants/R1/opt",
                  {"opt_status": "opt_out"})
    missing = call("PUT", "dr_agg_b", "/events/E-API-1/participants/R9/opt",
                   {"opt_status": "opt_out"})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace("R1", "R9") == missing.text
    assert call("PUT", "dr_agg_b", "/events/E0/participants/R1/opt",
                {"opt_status": "opt_in"}).status_code == 404  # E0: no resource of AGG_B
    assert call("PUT", "dr_mgr", "/events/E-API-1/participants/R1/opt",
                {"opt_status": "opt_in"}).status_code == 403
    assert call("PUT", "dr_agg_a", "/events/E-API-1/participants/R1/opt",
                {"opt_status": "maybe"}).status_code == 422
    out = call("PUT", "dr_agg_a", "/events/E-API-1/participants/R1/opt",
               {"opt_status": "opt_out"})
    assert out.json()["opt_status"] == "opt_out"
    assert _opt(ws, "E-API-1", "R1") == "opt_out"
    assert _opt(ws, "E-API-1", "R3") == "opt_in"
    with ws.registry.session() as s:
        opt = s.scalars(select(AuditLog).where(AuditLog.object_id == "E-API-1/R1",
                                               AuditLog.actor == "user:dr_agg_a")).one()
        assert opt.details["changes"]["opt_status"] == ["pending", "opt_out"]


def test_the_metered_peak_is_the_largest_quarter_hour_of_the_summed_meters(world, tmp_path):
    from carbonpeak.services.energy.vpp.capability import metered_peak_kw, peak_load

    ws, _folder, _ = world
    d = ws.district("huangpu")
    # 2023 (no other reading that year), local times, the 15- and 5-minute meters
    import_file(ws, "readings", write(tmp_path, "r2023.csv", """
    meter_id,ts,value
    M1,2023-03-01T10:00:00,100
    M1,2023-03-01T10:15:00,300
    M1,2023-03-01T10:30:00,100
    M1,2023-03-01T10:45:00,100
    M2,2023-03-01T10:15:00,50
    M2,2023-03-01T10:30:00,50
    M3,2023-03-01T10:15:00,10
    M3,2023-03-01T10:20:00,10
    M3,2023-03-01T10:25:00,10
    """))
    # quarter hours: 10:00 100; 10:15 300 + 50 + (10 + 10 + 10) = 380 kWh; 10:30 150;
    # 10:45 100. Peak 380 kWh in 0.25 h = 1,520 kW at 10:15 (the hour's mean would be
    # (600 + 100 + 30) kWh / 1 h = 730 kW: the quarter hour is what the grid meters)
    peak = metered_peak_kw(ws, d, 2023)
    assert peak.kw == pytest.approx(1520.0)
    assert peak.at == dt.datetime(2023, 3, 1, 10, 15)
    assert (peak.meters, peak.left_out, peak.basis) == (3, 0, "metered_15min")
    assert peak_load(ws, d, 2023) == peak
    # 2024 as before: the flat days at 1010 + 500 + 200 = 1,710 kW
    assert metered_peak_kw(ws, d, 2024).kw == pytest.approx(1710.0)
    # a year without readings has no peak
    assert metered_peak_kw(ws, d, 2019).kw is None
    # an hourly meter cannot be split into quarter hours: with one read in the year the sum
    # is hourly. M4 (hourly) 1,000 kWh at 10:00 → the 10:00 hour: M1 600 + M2 100 + M3 30 +
    # M4 1000 = 1,730 kWh in 1 h = 1,730 kW; a daily meter M5 is left out
    import_file(ws, "meters", write(tmp_path, "m45.csv", """
    meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes
    M4,B2,electricity,kWh,,interval,1,60
    M5,B3,electricity,kWh,,interval,1,1440
    """))
    import_file(ws, "readings", write(tmp_path, "r2023b.csv", """
    meter_id,ts,value
    M4,2023-03-01T10:00:00,1000
    """))
    hourly = metered_peak_kw(ws, d, 2023)
    assert hourly.kw == pytest.approx(1730.0)
    assert (hourly.at, hourly.basis) == (dt.datetime(2023, 3, 1, 10, 0), "metered_60min")
    assert (hourly.meters, hourly.left_out) == (4, 1)
    # 2024: M4 has no reading that year, so the quarter hour stays
    assert metered_peak_kw(ws, d, 2024).basis == "metered_15min"


def test_a_peak_load_statistic_is_what_th12_shares_are_of(world):
    from fastapi.testclient import TestClient

    from carbonpeak.api import create_app
    from carbonpeak.services.access.users import create_user, issue_token
    from carbonpeak.services.energy.vpp.capability import metric_series

    ws, _folder, _ = world
    create_user(ws, "peak_analyst", "district_analyst")
    create_user(ws, "peak_agg", "aggregator", org="AGG_A")
    tokens = {u: issue_token(ws, u).token for u in ("peak_analyst", "peak_agg")}
    client = TestClient(create_app(workspace=ws))

    def post(user: str, body: dict[str, Any]) -> Any:
        return client.post("/api/v1/vpp/peak-loads", json=body,
                           headers={"Authorization": f"Bearer {tokens[user]}"})

    body = {"year": 2024, "peak_mw": 5.2, "source": "区供电公司 2024 年最大负荷（测试）",
            "status": "secondary", "as_of": "2025-01-15"}
    assert post("peak_agg", body).status_code == 403
    bad = post("peak_analyst", body | {"peak_mw": 0, "source": " ", "status": "sure"})
    assert bad.status_code == 422
    assert sorted(e["column"] for e in bad.json()["errors"]) == ["peak_mw", "source", "status"]
    made = post("peak_analyst", body)
    assert (made.status_code, made.json()["outcome"]) == (200, "added")
    assert post("peak_analyst", body).json()["outcome"] == "unchanged"
    with ws.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_type == "dr_peak_load")).one()
        assert (entry.actor, entry.action, entry.object_id) == (
            "user:peak_analyst", "create", "huangpu/2024")
    got = {(m["year"], m["metric"]): m for m in capability(ws, "huangpu")["metrics"]}
    share = got[(2024, "dr_peak_share_pct")]
    # verified over the statistic's 5.2 MW = 5,200 kW: 390 kW (the capability test) → 7.5 %;
    # run after the PV-hook test, its event E3 adds PV1's 50 kW (100 kW measured, capped at
    # its contracted 50) → 440 / 5200 = 8.46 %. The metered peak (1,710 kW) stays beside it
    verified_kw = 1000 * got[(2024, "dr_verified_mw")]["value"]
    assert verified_kw in (pytest.approx(390.0), pytest.approx(440.0))
    assert share["value"] == pytest.approx(100 * verified_kw / 5200)
    assert (share["peak_kw"], share["peak_basis"], share["basis"]) == (
        pytest.approx(5200.0), "statistic", "verified_over_statistic_peak")
    assert share["metered_peak_kw"] == pytest.approx(1710.0)
    assert share["peak_source"].startswith("区供电公司")
    assert share["peak_status"] == "secondary"
    series, source = metric_series(ws, ws.district("huangpu"), "dr_peak_share_pct")
    assert series[-1] == (2024, pytest.approx(100 * verified_kw / 5200))
    assert source is not None
    assert source.code == "vpp.value_source.verified_over_statistic_peak"
    # the CLI: a missing --key is refused before anything is served; the peak command
    env = {"CARBONPEAK_HOME": str(ws.settings.home),
           "CARBONPEAK_DATABASE_URL": ws.settings.database_url}
    runner = CliRunner()
    out = runner.invoke(cli_app, ["dr", "vtn", "--cert", "x.pem", "--seconds", "0"], env=env)
    assert out.exit_code == 1
    assert "--ca-file" in out.output
    out = runner.invoke(cli_app, ["dr", "peak", "set", "--year", "2024", "--mw", "5.3",
                                  "--source", "区供电公司（修订）"], env=env)
    assert out.exit_code == 0, out.output
    with ws.registry.session() as s:
        change = s.scalars(select(AuditLog).where(AuditLog.object_type == "dr_peak_load",
                                                  AuditLog.action == "update")).one()
        assert change.details["changes"]["peak_mw"] == [5.2, 5.3]
    out = runner.invoke(cli_app, ["dr", "peak", "set", "--year", "2024", "--mw", "5",
                                  "--source", "x", "--as-of", "soon"], env=env)
    assert out.exit_code == 1
    assert "as_of" in out.output
