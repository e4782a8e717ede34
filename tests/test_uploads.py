"""Uploads and entry in the browser (issue 16, item 1): /api/v1/uploads per role.

A pending upload is previewed with the import's own validation (a dry run: nothing stored),
mapped when its headers are not the contract's (remembered per user and file shape), and
stored only when confirmed; confirming again or uploading the same bytes again changes
nothing. Each role uploads only its kinds and its rows; another user's upload is not found.
"""

from __future__ import annotations

import io
import time

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carbonpeak.api import create_app
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.uploads import PENDING_TTL_S, sweep_pending
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.storage.registry.models import AuditLog, IngestBatch, UploadMapping
from tests import reference_district


@pytest.fixture
def up(ws, tmp_path):
    """The reference district (entities, meters, ledger), a user per role, a client."""
    files = reference_district.write_files(tmp_path / "in")
    for kind in ("entities", "meters", "ledger"):
        import_file(ws, kind, files[kind])
    create_user(ws, "mgr", "entity_manager", entities=["B1"])
    create_user(ws, "mgr2", "entity_manager", entities=["B2"])
    create_user(ws, "bund", "street_officer", street="外滩街道")
    create_user(ws, "analyst", "district_analyst")
    create_user(ws, "gw", "data_feeder", entities=["B1"])
    tokens = {u: issue_token(ws, u).token for u in ("mgr", "mgr2", "bund", "analyst", "gw")}
    client = TestClient(create_app(workspace=ws))

    def call(method, user, url, **kw):
        return client.request(method, f"/api/v1/uploads{url}",
                              headers={"Authorization": f"Bearer {tokens[user]}"}, **kw)

    def upload(user, kind, name, text):
        return call("POST", user, "", data={"kind": kind},
                    files={"file": (name, text.encode("utf-8"), "text/csv")})

    return call, upload


# the manager's own headers: none is the contract's, so a mapping step is needed
ODD = "楼宇,年月份,品种,用量值,计量\n"
MAPPING = {"楼宇": "entity_id", "年月份": "period", "品种": "carrier", "用量值": "quantity",
           "计量": "unit"}


def _batches(ws, actor):
    with ws.registry.session() as s:
        return list(s.scalars(select(IngestBatch).where(IngestBatch.actor == actor)
                              .order_by(IngestBatch.id)))


def test_manager_maps_fixes_and_confirms_once(up, ws):
    call, upload = up
    bad = ODD + "B1,2025-01,electricity,1200,kWh\nB2,2025-01,electricity,50,kWh\n" \
                "B1,2025-02,electricity,abc,kWh\n"
    r = upload("mgr", "ledger", "台账.csv", bad)
    assert r.status_code == 201, r.text
    pre = r.json()
    uid = pre["upload_id"]
    assert pre["needs_mapping"] is True
    assert pre["mapping"] == dict.fromkeys(MAPPING, "")
    assert pre["status"] == "refused"
    assert {e["code"] for e in pre["errors"]} == {"intake.file.missing_column_or"}
    assert [row["row"] for row in pre["rows"]] == [2, 3, 4]
    # the mapping step: now the rows are validated; a foreign row and a bad cell, by row
    r = call("POST", "mgr", f"/{uid}/mapping", json={"mapping": MAPPING})
    assert r.status_code == 200, r.text
    pre = r.json()
    assert pre["mapping_source"] == "user"
    assert pre["needs_mapping"] is False
    where = {(e["row"], e["column"], e["header"]): e for e in pre["errors"]}
    assert set(where) == {(3, "entity_id", "楼宇"), (4, "quantity", "用量值")}
    foreign = where[(3, "entity_id", "楼宇")]
    assert foreign["code"] == "intake.upload.not_in_scope"
    assert "B2" in foreign["message"]
    assert "B2" in foreign["message_zh"]
    assert "不在您可填报的范围内" in foreign["message_zh"]
    # refused: confirming stores nothing
    r = call("POST", "mgr", f"/{uid}/confirm")
    assert r.status_code == 422
    assert {(e["row"], e["column"]) for e in r.json()["errors"]} == {(3, "entity_id"),
                                                                      (4, "quantity")}
    assert _batches(ws, "user:mgr") == []
    assert call("DELETE", "mgr", f"/{uid}").status_code == 204
    assert call("POST", "mgr", f"/{uid}/confirm").status_code == 404
    # the fixed file, same shape: the mapping is remembered for this user
    good = ODD + "B1,2025-01,electricity,1200,kWh\nB1,2025-02,electricity,1100,kWh\n"
    pre = upload("mgr", "ledger", "台账.csv", good).json()
    assert (pre["mapping_source"], pre["needs_mapping"]) == ("remembered", False)
    assert (pre["status"], pre["errors"], pre["would_store"]) == ("validated", [], 2)
    assert _batches(ws, "user:mgr") == []  # a preview stores nothing
    first = call("POST", "mgr", f"/{pre['upload_id']}/confirm")
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["accepted"]) == ("committed", 2)
    again = call("POST", "mgr", f"/{pre['upload_id']}/confirm").json()
    assert (again["batch_id"], again["again"]) == (first.json()["batch_id"], True)
    # the same bytes uploaded again: a duplicate, and confirming it stores nothing
    dup = upload("mgr", "ledger", "台账-副本.csv", good).json()
    assert (dup["status"], dup["duplicate_of"]) == ("duplicate", first.json()["batch_id"])
    assert call("POST", "mgr", f"/{dup['upload_id']}/confirm").json()["status"] == "duplicate"
    batches = _batches(ws, "user:mgr")
    assert [(b.kind, b.status, b.rows_in) for b in batches] == [("ledger", "committed", 2)]
    with ws.registry.session() as s:  # the mapping is the user's; every step is audit-logged
        assert s.scalar(select(func.count()).select_from(UploadMapping)) == 1
        actions = [a for (a,) in s.execute(select(AuditLog.action).where(
            AuditLog.actor == "user:mgr", AuditLog.object_type == "upload"))]
        assert actions.count("upload") == 3  # (before the spreadsheet below)
        assert actions.count("confirm") == 2
        assert {"map", "discard"} <= set(actions)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.object_type == "ledger_batch",
            AuditLog.object_id == str(first.json()["batch_id"]))) == 1
    # a spreadsheet with a title row: its rows keep the sheet's numbers, the sheet is named
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "一月"
    for line in (["B1 台账"], ["主体编号", "月份", "能源品种", "数量", "单位"],
                 ["B1", "2025-03", "electricity", "-4", "kWh"]):
        sheet.append(line)
    buf = io.BytesIO()
    book.save(buf)
    r = call("POST", "mgr", "", data={"kind": "ledger"}, files={"file": (
        "台账.xlsx", buf.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    xl = r.json()
    assert (xl["sheet"], xl["needs_mapping"], xl["status"]) == ("一月", False, "refused")
    assert [row["row"] for row in xl["rows"]] == [3]
    assert [(e["sheet"], e["row"], e["header"]) for e in xl["errors"]] == [("一月", 3, "数量")]
    listed = call("GET", "mgr", "/kinds").json()
    assert [k["kind"] for k in listed["kinds"]] == ["ledger", "readings", "obligation_filings"]


def test_roles_kinds_rows_guessed_ids_and_the_month_form(up, ws):
    call, upload = up
    text = "entity_id,period,carrier,quantity,unit\nB4,2025-01,electricity,10,kWh\n" \
           "B2,2025-01,electricity,10,kWh\n"
    # a street officer: ledgers of its street's entities only
    pre = upload("bund", "ledger", "street.csv", text).json()
    assert [(e["row"], e["column"], e["value"]) for e in pre["errors"]] == [
        (3, "entity_id", "B2")]
    for kind in ("readings", "entities", "statistics"):
        assert upload("bund", kind, "x.csv", text).status_code == 403
    assert upload("mgr", "meters", "x.csv", text).status_code == 403
    assert upload("gw", "ledger", "x.csv", text).status_code == 403  # a machine role
    assert upload("mgr", "nonsense", "x.csv", text).status_code == 422
    assert upload("mgr", "ledger", "x.exe", text).status_code == 422
    # readings of another entity's meter, named by meter and entity
    pre = upload("mgr", "readings", "r.csv",
                 "meter_id,ts,value\nM1,2025-01-01T00:00:00,1\nM2,2025-01-01T00:00:00,1\n"
                 ).json()
    assert [(e["row"], e["code"]) for e in pre["errors"]] == [
        (3, "intake.upload.meter_not_in_scope")]
    assert "B2" in pre["errors"][0]["message"]
    # a key unit's filings: its own only (imported by the services' importer, same rules)
    filings = "entity_id,obligation,year,filed_on\nB1,energy_report,2024,2025-03-20\n"
    fp = upload("mgr", "obligation_filings", "f.csv",
                filings + "B2,ghg_report,2024,2025-04-02\n").json()
    assert [(e["row"], e["code"], e["value"]) for e in fp["errors"]] == [
        (3, "intake.upload.not_in_scope", "B2")]
    assert upload("bund", "obligation_filings", "f.csv", filings).status_code == 403
    fp = upload("mgr", "obligation_filings", "f.csv", filings).json()
    assert (fp["status"], fp["errors"]) == ("validated", [])
    done = call("POST", "mgr", f"/{fp['upload_id']}/confirm").json()
    assert (done["status"], done["accepted"]) == ("committed", 1)
    # an analyst uploads any kind (validated, nothing stored)
    ana = upload("analyst", "entities", "e.csv",
                 "entity_id,name,kind,street,building_type\nB9,新楼,building,外滩街道,office\n").json()
    assert (ana["status"], ana["errors"]) == ("validated", []), ana["errors"]
    # another user's upload is not found; so is a guessed one; a malformed id is refused
    uid = pre["upload_id"]
    for method, url in (("POST", f"/{uid}/confirm"), ("DELETE", f"/{uid}"),
                        ("POST", f"/{uid}/mapping")):
        kw = {"json": {"mapping": {}}} if url.endswith("mapping") else {}
        assert call(method, "mgr2", url, **kw).status_code == 404
        assert call(method, "bund", url, **kw).status_code == 404
    assert call("POST", "mgr", f"/{'0' * 32}/confirm").status_code == 404
    assert call("POST", "mgr", "/..%2F..%2Fetc/confirm").status_code in (404, 422)
    assert call("POST", "mgr", f"/{uid}/confirm").status_code == 422  # still the owner's
    # a mapping naming a header the file lacks or a column of no contract: refused
    r = call("POST", "mgr", f"/{uid}/mapping", json={"mapping": {"nope": "meter_id",
                                                                  "value": "bogus"}})
    assert r.status_code == 422
    assert {e["code"] for e in r.json()["errors"]} == {"intake.upload.no_such_header",
                                                      "intake.upload.no_such_column"}
    assert _batches(ws, "user:bund") == _batches(ws, "user:analyst") == []
    # a month's form: last year's month beside each field; stored as a batch of channel web
    form = call("GET", "mgr", "/ledger-form", params={"entity_id": "B1",
                                                      "month": "2025-02"}).json()
    by = {f["carrier"]: f for f in form["fields"]}
    assert form["last_year_month"] == "2024-02"
    assert by["electricity"]["last_year"] == pytest.approx(15000.0)  # 1.5 万kWh
    assert by["electricity"]["current"] is None
    assert by["electricity"]["unit"] == "kWh"
    assert call("GET", "mgr", "/ledger-form",
                params={"entity_id": "B2", "month": "2025-02"}).status_code == 404
    assert call("GET", "bund", "/ledger-form",
                params={"entity_id": "B2", "month": "2025-02"}).status_code == 404
    body = {"entity_id": "B1", "month": "2025-02",
            "entries": [{"carrier": "electricity", "quantity": 16000, "unit": "kWh"}]}
    r = call("POST", "mgr", "/ledger-form", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["accepted"]) == ("committed", 1)
    assert call("POST", "mgr", "/ledger-form", json=body).json()["status"] == "duplicate"
    bad = call("POST", "mgr", "/ledger-form", json={**body, "entries": [
        {"carrier": "electricity", "quantity": -5, "unit": "kWh"}]})
    assert bad.status_code == 422
    assert [(e["row"], e["column"]) for e in bad.json()["errors"]] == [(2, "quantity")]
    assert call("POST", "mgr2", "/ledger-form", json=body).status_code == 404
    [f, b] = _batches(ws, "user:mgr")
    assert (f.channel, f.kind, f.rows_in) == ("file", "obligation_filings", 1)
    assert (b.channel, b.kind, b.rows_in) == ("web", "ledger", 1)
    stored = call("GET", "mgr", "/ledger-form", params={"entity_id": "B1",
                                                        "month": "2025-02"}).json()
    assert {f["carrier"]: f["current"] for f in stored["fields"]}["electricity"] == 16000
    # pending uploads are swept after a day
    assert sweep_pending(ws, now=time.time() + PENDING_TTL_S + 60) >= 3
    assert call("DELETE", "mgr", f"/{uid}").status_code == 404


def test_weather_and_retrofit_projects_upload_with_a_dry_run_and_a_mapping(up, ws):
    """Issue 16 (1): analysts and admins upload weather and retrofit projects in the browser
    too: previewed by the services' own import in a dry run (nothing stored), mapped when the
    headers are the office's own, confirmed once; other roles are refused."""
    from carbonpeak.storage.registry.models import RetrofitProject, WeatherDay

    call, upload = up
    weather = "日子,均温\n2024-07-01,29.5\n2024-07-02,31\n2024-07-03,abc\n"
    pre = upload("analyst", "weather", "气温.csv", weather).json()
    assert pre["needs_mapping"] is True, pre
    r = call("POST", "analyst", f"/{pre['upload_id']}/mapping",
             json={"mapping": {"日子": "date", "均温": "temp_mean_c"}})
    assert r.status_code == 200, r.text
    mapped = r.json()
    # the bad temperature is named by row and column, and nothing is stored yet
    assert [(e["row"], e["column"], e["value"]) for e in mapped["errors"]] == [
        (4, "temp_mean_c", "abc")]
    with ws.registry.session() as s:
        assert s.scalars(select(WeatherDay)).first() is None
    assert call("POST", "analyst", f"/{pre['upload_id']}/confirm").status_code == 422
    fixed = upload("analyst", "weather", "气温.csv", weather.replace("abc", "30.25")).json()
    fixed = call("POST", "analyst", f"/{fixed['upload_id']}/mapping",
                 json={"mapping": {"日子": "date", "均温": "temp_mean_c"}}).json()
    assert (fixed["status"], fixed["errors"]) == ("validated", [])
    done = call("POST", "analyst", f"/{fixed['upload_id']}/confirm").json()
    assert (done["status"], done["accepted"]) == ("committed", 3)
    with ws.registry.session() as s:
        temps = sorted((str(w.day), w.t_mean_c) for w in s.scalars(select(WeatherDay)))
    assert temps == [("2024-07-01", 29.5), ("2024-07-02", 31.0), ("2024-07-03", 30.25)]
    # retrofit projects: the contract's headers need no mapping; a foreign district's entity
    # and an unknown one are refused by row
    projects = ("code,entity_id,name,start_date,end_date,floor_area_m2,status\n"
                "R1,B1,照明改造,2024-01-10,2024-03-31,3000,completed\n"
                "R2,NOPE,不存在,2024-01-10,,5000,planned\n")
    bad = upload("analyst", "retrofits", "p.csv", projects).json()
    assert [(e["row"], e["column"], e["value"]) for e in bad["errors"]] == [
        (3, "entity_id", "NOPE")]
    good = upload("analyst", "retrofits", "p.csv", projects.split("R2,")[0]).json()
    assert (good["status"], good["errors"]) == ("validated", [])
    with ws.registry.session() as s:
        assert s.scalars(select(RetrofitProject)).first() is None  # a dry run stores nothing
    done = call("POST", "analyst", f"/{good['upload_id']}/confirm").json()
    assert (done["status"], done["accepted"]) == ("committed", 1)
    with ws.registry.session() as s:
        assert [(p.code, p.entity_id, p.floor_area_m2)
                for p in s.scalars(select(RetrofitProject))] == [("R1", "B1", 3000.0)]
    # these are district data: a street officer and an entity manager may not upload them
    for user in ("bund", "mgr"):
        for kind in ("weather", "retrofits"):
            assert upload(user, kind, "x.csv", projects).status_code == 403
    assert {b.kind for b in _batches(ws, "user:analyst")} == {"weather", "retrofits"}
