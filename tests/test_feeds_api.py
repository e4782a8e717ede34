"""HTTP data in: POST /api/v1/readings and /ledger, batches, tokens and their scope."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carbonpeak.api import create_app
from carbonpeak.intake.imports import import_file
from carbonpeak.services.access.users import create_user, issue_token, revoke_token
from carbonpeak.storage.registry.models import AuditLog, BatchRejection, IngestBatch
from tests import reference_district
from tests.conftest import home_from_template

# idempotency keys, batches and scope in SQL: on both databases (``contract``); a body
# refused before it reaches the registry (unreadable, too large) and the OpenAPI document
# are not dialect-specific: on SQLite only


def _lake_rows(ws, dataset="readings"):
    files = [str(p) for p in ws.lake.live_files("huangpu", dataset)]
    if not files:
        return []
    return duckdb.sql(
        f"SELECT meter_id, strftime(ts, '%Y-%m-%dT%H:%M:%S'), value, batch_id "
        f"FROM read_parquet({files!r}, hive_partitioning=false) ORDER BY 1, 2").fetchall()


def _feed_home(ws, folder):
    """Reference entities and meters (no readings), a few users with tokens (kept in
    ``tokens.json`` beside the home)."""
    files = reference_district.write_files(folder / "in")
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    create_user(ws, "gw-b1", "data_feeder", entities=["B1"])
    create_user(ws, "gw-e1", "data_feeder", entities=["E1"])  # enterprise: owns B1
    create_user(ws, "gw-b2", "data_feeder", entities=["B2"])
    create_user(ws, "analyst", "district_analyst")
    create_user(ws, "admin", "district_admin")
    tokens = {u: issue_token(ws, u).token for u in ("gw-b1", "gw-e1", "gw-b2", "analyst",
                                                     "admin")}
    (folder / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")


@pytest.fixture
def ws(settings, tmp_path_factory):
    """The home of :func:`_feed_home`: on SQLite a copy of one built once per worker
    (tests/conftest.py ``home_from_template``)."""
    workspace = home_from_template(settings, tmp_path_factory, "feeds-api", _feed_home)
    yield workspace
    workspace.close()


@pytest.fixture
def feed(ws):
    """Reference entities and meters (no readings), a few users with tokens, a client."""
    tokens = json.loads((ws.settings.home.parent / "tokens.json").read_text(encoding="utf-8"))
    client = TestClient(create_app(workspace=ws))

    def auth(user, **extra):
        return {"Authorization": f"Bearer {tokens[user]}", **extra}

    return client, auth, tokens


READINGS = [
    {"meter_id": "M1", "ts": "2024-03-01T08:00:00", "value": 12.5},
    {"meter_id": "M1", "ts": "2024-03-01T09:00:00", "value": "13"},
    {"meter_id": "M1a", "ts": "2024-03-01T00:00:00Z", "value": 4, "unit": "Wh"},
]


@pytest.mark.contract
def test_post_readings_is_stored_before_the_answer_and_reported(feed, ws):
    client, auth, _ = feed
    r = client.post("/api/v1/readings", json=READINGS,
                    headers=auth("gw-b1", **{"Idempotency-Key": "k-001"}))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "committed"
    assert (body["accepted"], body["rejected"]) == (3, 0)
    assert r.headers["location"] == f"/api/v1/batches/{body['batch_id']}"
    # the answer came after the rows were in the lake: read them back directly
    # 08:00 and 09:00 Shanghai are 00:00 and 01:00 UTC; 4 Wh = 0.004 kWh
    assert [row[:3] for row in _lake_rows(ws)] == [
        ("M1", "2024-03-01T00:00:00", 12.5), ("M1", "2024-03-01T01:00:00", 13.0),
        ("M1a", "2024-03-01T00:00:00", 0.004)]
    report = client.get(f"/api/v1/batches/{body['batch_id']}", headers=auth("gw-b1")).json()
    assert report["status"] == "committed"
    assert (report["rows_in"], report["rows_accepted"], report["rows_rejected"]) == (3, 3, 0)
    assert report["channel"] == "http"
    assert report["sent_by"] == "user:gw-b1"
    assert "1 value(s) converted to their meter's unit" in body["messages"]
    with ws.registry.session() as s:  # audit-logged with who
        entry = s.scalars(select(AuditLog).where(
            AuditLog.object_id == str(body["batch_id"]),
            AuditLog.object_type == "readings_batch")).one()
        assert entry.actor == "user:gw-b1"


@pytest.mark.contract
def test_same_idempotency_key_answers_the_stored_batch_and_stores_nothing(feed, ws):
    client, auth, _ = feed
    h = auth("gw-b1", **{"Idempotency-Key": "batch-7"})
    first = client.post("/api/v1/readings", json=READINGS, headers=h)
    again = client.post("/api/v1/readings", json=READINGS, headers=h)
    assert again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["status"] == "replayed"
    with ws.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(IngestBatch).where(
            IngestBatch.kind == "readings")) == 1
    assert len(_lake_rows(ws)) == 3
    # the same key for other data is a client bug: refused, nothing stored
    other = client.post("/api/v1/readings", json=READINGS[:1], headers=h)
    assert other.status_code == 409
    assert "different body" in other.json()["detail"]
    # another client may use the same key string: keys are per sender
    mine = client.post("/api/v1/readings", json=READINGS[:1],
                       headers=auth("gw-e1", **{"Idempotency-Key": "batch-7"}))
    assert mine.status_code == 202
    assert mine.json()["status"] == "no_change"  # already stored by gw-b1, same value


@pytest.mark.contract
def test_resend_without_key_changes_nothing(feed, ws):
    client, auth, _ = feed
    a = client.post("/api/v1/readings", json=READINGS, headers=auth("gw-b1")).json()
    b = client.post("/api/v1/readings", json=READINGS, headers=auth("gw-b1")).json()
    assert a["status"] == "committed"
    assert b["status"] == "no_change"
    assert len(_lake_rows(ws)) == 3


@pytest.mark.contract
def test_bad_rows_are_rejected_with_reasons_good_rows_stored(feed, ws):
    client, auth, _ = feed
    rows = [
        {"meter_id": "M1", "ts": "2024-03-01T08:00:00", "value": 1},           # 1 ok
        {"meter_id": "M1", "ts": "yesterday", "value": 1},                     # 2 bad ts
        {"meter_id": "M1", "ts": "2024-03-01T10:00:00", "value": "abc"},       # 3 bad value
        {"meter_id": "M1", "ts": "2024-03-01T11:00:00", "value": 1, "unit": "m3"},  # 4 unit
        {"meter_id": "M1", "ts": "2024-03-01T12:00:00", "value": 1},           # 5 conflict
        {"meter_id": "M1", "ts": "2024-03-01T12:00:00", "value": 2},           # 6 conflict
        {"meter_id": "M1", "ts": "2024-03-01T13:00:00", "value": 5},           # 7 ok
        {"meter_id": "M1", "ts": "2024-03-01T13:00:00", "value": 5},           # 8 exact repeat
        "not an object",                                                       # 9
        {"meter_id": "M1", "value": 3},                                        # 10 no ts
    ]
    r = client.post("/api/v1/readings", json=rows, headers=auth("gw-b1"))
    assert r.status_code == 202
    body = r.json()
    assert body["accepted"] == 2
    assert body["rejected"] == 7
    by_row = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert by_row[(2, "ts")].startswith("is not an ISO 8601 time")
    assert by_row[(3, "value")] == "is not a number"
    assert by_row[(4, "unit")] == "is not a unit of electricity (the meter records kwh)"
    assert "repeats meter_id+ts of row(s) 6" in by_row[(5, "meter_id")]
    assert by_row[(9, None)] == "is not an object with meter_id, ts and value"
    assert by_row[(10, "ts")] == "is required"
    assert "1 exact repeat(s) of a row counted once" in body["messages"]
    assert [row[1:3] for row in _lake_rows(ws)] == [("2024-03-01T00:00:00", 1.0),
                                                     ("2024-03-01T05:00:00", 5.0)]
    report = client.get(f"/api/v1/batches/{body['batch_id']}", headers=auth("admin")).json()
    assert report["rows_rejected"] == 7
    assert {(x["row"], x["column"]) for x in report["rejections"]} == set(by_row)


@pytest.mark.contract
def test_every_row_rejected_is_422_but_the_batch_is_kept(feed, ws):
    client, auth, _ = feed
    r = client.post("/api/v1/readings", json=[{"meter_id": "M1", "ts": "x", "value": 1}],
                    headers=auth("gw-b1"))
    assert r.status_code == 422
    assert r.json()["batch_id"] is not None
    with ws.registry.session() as s:
        b = s.get(IngestBatch, r.json()["batch_id"])
        assert (b.status, b.rows_rejected, b.rows_written) == ("rejected", 1, 0)
        assert s.scalar(select(func.count()).select_from(BatchRejection)) == 1


@pytest.mark.contract
def test_feeder_cannot_write_another_entitys_meter(feed, ws):
    client, auth, _ = feed
    other = [{"meter_id": "M4", "ts": "2024-03-01T08:00:00", "value": 1}]  # M4 is B2's
    r = client.post("/api/v1/readings", json=other, headers=auth("gw-b1"))
    assert r.status_code == 403
    mixed = other + READINGS[:1]
    r = client.post("/api/v1/readings", json=mixed, headers=auth("gw-b1"))
    assert r.status_code == 202
    assert r.json()["accepted"] == 1
    assert r.json()["errors"][0]["message"].startswith("is not a meter this client may write")
    # an unknown meter gets the same words: the answer tells nothing about others' meters
    unknown = client.post("/api/v1/readings", headers=auth("gw-b1"), json=[
        {"meter_id": "NOPE", "ts": "2024-03-01T08:00:00", "value": 1}] + READINGS[:1])
    assert unknown.json()["errors"][0]["message"] == r.json()["errors"][0]["message"]
    assert {row[0] for row in _lake_rows(ws)} == {"M1"}
    # the enterprise's feeder may write its building's meter; B2's feeder may write M4
    assert client.post("/api/v1/readings", json=READINGS[:1],
                       headers=auth("gw-e1")).status_code == 202
    assert client.post("/api/v1/readings", json=other, headers=auth("gw-b2")).status_code == 202


@pytest.mark.contract
def test_tokens_and_roles(feed, ws):
    client, auth, tokens = feed
    assert client.post("/api/v1/readings", json=READINGS).status_code == 401
    bad = {"Authorization": "Bearer cpk_00000000_" + "x" * 43}
    assert client.post("/api/v1/readings", json=READINGS, headers=bad).status_code == 401
    assert client.post("/api/v1/readings", json=READINGS,
                       headers=auth("analyst")).status_code == 403  # reads, never writes
    prefix = tokens["gw-b1"].split("_")[1]
    revoke_token(ws, prefix)
    assert client.post("/api/v1/readings", json=READINGS,
                       headers=auth("gw-b1")).status_code == 401


@pytest.mark.contract
def test_batches_are_visible_to_their_sender_and_the_district_only(feed):
    client, auth, _ = feed
    bid = client.post("/api/v1/readings", json=READINGS, headers=auth("gw-b1")).json()["batch_id"]
    assert client.get(f"/api/v1/batches/{bid}", headers=auth("gw-b1")).status_code == 200
    assert client.get(f"/api/v1/batches/{bid}", headers=auth("analyst")).status_code == 200
    assert client.get(f"/api/v1/batches/{bid}", headers=auth("gw-b2")).status_code == 404
    assert client.get("/api/v1/batches/999999", headers=auth("admin")).status_code == 404
    listing = client.get("/api/v1/batches", headers=auth("gw-b2")).json()
    assert listing["items"] == []
    listing = client.get("/api/v1/batches?limit=1", headers=auth("admin")).json()
    assert [i["batch_id"] for i in listing["items"]] == [bid]


@pytest.mark.contract
def test_csv_bodies_utf8_and_gbk(feed, ws):
    client, auth, _ = feed
    text = "表号,采集时间,读数\nM1,2024-03-02T08:00:00,\"1,200.5\"\nM1,2024-03-02T09:00:00,7\n"
    for enc, day in (("utf-8", "02"), ("gbk", "03")):
        body = text.replace("03-02", f"03-{day}").encode(enc)
        r = client.post("/api/v1/readings", content=body,
                        headers=auth("gw-b1", **{"Content-Type": "text/csv"}))
        assert r.status_code == 202, r.text
        assert r.json()["accepted"] == 2
    values = sorted(row[2] for row in _lake_rows(ws))
    assert values == [7.0, 7.0, 1200.5, 1200.5]


@pytest.mark.parametrize(("body", "ctype", "words"), [
    (b"[{", "application/json", "not valid JSON"),
    (b'{"a": 1}', "application/json", "expected a JSON array"),
    (b"", "application/json", "the body is empty"),
    (b"meter,when\nM1,2024", "text/csv", "required column is missing"),
    (b"<x/>", "application/xml", "unsupported content type"),
])
def test_unreadable_bodies_are_422_with_a_message(feed, body, ctype, words):
    client, auth, _ = feed
    r = client.post("/api/v1/readings", content=body,
                    headers=auth("gw-b1", **{"Content-Type": ctype}))
    assert r.status_code == 422
    text = r.json()["detail"] + " ".join(e["message"] for e in r.json().get("errors", []))
    assert words in text


def test_body_limit(feed, ws):
    _, auth, _ = feed
    # CARBONPEAK_MAX_UPLOAD_MB=1: a body over 1 MiB is refused, announced or streamed
    small = dataclasses.replace(ws, settings=ws.settings.model_copy(update={"max_upload_mb": 1}))
    client = TestClient(create_app(workspace=small))
    body = orjson.dumps(READINGS * (2**21 // len(orjson.dumps(READINGS))))
    assert len(body) > 2**20
    headers = auth("gw-b1", **{"Content-Type": "application/json"})
    r = client.post("/api/v1/readings", content=body, headers=headers)
    assert r.status_code == 413
    assert r.json()["code"] == "api.body.too_large"
    r = client.post("/api/v1/readings", content=iter([body[:2**19], body[2**19:]]),
                    headers=headers)
    assert r.status_code == 413
    assert client.post("/api/v1/readings", content=orjson.dumps(READINGS * 5),
                       headers=headers).status_code == 202


@pytest.mark.contract
def test_post_ledger(feed, ws):
    client, auth, _ = feed
    rows = [
        {"entity_id": "B1", "period": "2024-03", "carrier": "electricity", "quantity": 1200,
         "unit": "kWh"},
        {"entity_id": "B1", "period": "2024-13", "carrier": "electricity", "quantity": 1,
         "unit": "kWh"},
        {"entity_id": "B2", "period": "2024-03", "carrier": "electricity", "quantity": 1,
         "unit": "kWh"},
        {"entity_id": "B1", "period": "2024-03", "carrier": "天然气", "quantity": 50,
         "unit": "m3"},
    ]
    r = client.post("/api/v1/ledger", json=rows,
                    headers=auth("gw-b1", **{"Idempotency-Key": "ledger-2024-03"}))
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    msgs = {e["row"]: e["message"] for e in body["errors"]}
    assert msgs[2].startswith("is not a month: write 2025-02, 2025年2月")
    assert msgs[3].startswith("is not an entity this client may write")
    stored = duckdb.sql(
        "SELECT entity_id, period, carrier, quantity FROM read_parquet("
        f"{[str(p) for p in ws.lake.live_files('huangpu', 'ledger')]!r}, "
        "hive_partitioning=false) ORDER BY carrier").fetchall()
    assert stored == [("B1", "2024-03", "electricity", 1200.0),
                      ("B1", "2024-03", "natural_gas", 50.0)]
    assert client.post("/api/v1/ledger", json=rows, headers=auth(
        "gw-b1", **{"Idempotency-Key": "ledger-2024-03"})).json()["status"] == "replayed"


def test_openapi_documents_the_feeds(feed):
    client, _, _ = feed
    spec = client.get("/api/v1/openapi.json").json()
    post = spec["paths"]["/api/v1/readings"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "/api/v1/batches/{batch_id}" in spec["paths"]


@pytest.mark.contract
def test_quality_report_over_the_api_is_scoped(feed, ws):
    client, auth, _ = feed
    # M1 (B1) gets 22 of its 24 hours on 2024-03-02 (local): a 2-hour gap
    rows = [{"meter_id": "M1", "ts": f"2024-03-02T{h:02d}:00:00", "value": 10}
            for h in range(24) if h not in (5, 6)]
    assert client.post("/api/v1/readings", json=rows, headers=auth("gw-b1")).status_code == 202
    r = client.get("/api/v1/quality?month=2024-03&rows=true", headers=auth("gw-b1"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert {e["entity_id"] for e in report["entities"]} == {"B1"}
    day = next(x for x in report["rows"] if x["meter_id"] == "M1" and x["day"] == "2024-03-02")
    assert (day["expected"], day["received"], day["n_missing"]) == (24, 22, 2)
    assert day["longest_gap_minutes"] == 120
    # another entity's feeder cannot see B1's quality; the analyst sees the district
    assert client.get("/api/v1/quality?entity=B1", headers=auth("gw-b2")).status_code == 404
    analyst = client.get("/api/v1/quality?month=2024-03", headers=auth("analyst")).json()
    assert "B1" in {e["entity_id"] for e in analyst["entities"]}
    assert analyst["rows"] == []  # rows only on request
    create_user(ws, "bund", "street_officer", street="外滩街道")
    token = issue_token(ws, "bund").token
    street = client.get("/api/v1/quality?month=2024-03",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert {s["street"] for s in street["streets"]} == {"外滩街道"}
    assert client.get("/api/v1/quality?street=999", headers={
        "Authorization": f"Bearer {token}"}).status_code == 404
