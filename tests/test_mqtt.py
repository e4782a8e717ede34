"""MQTT ingestion against the real Mosquitto on 127.0.0.1:1883: batch, store, then ack.

The kill -9 test runs the ingester as a process, kills it after it stored some batches and
before it stored the rest, restarts it under the same client id, and checks that the broker
delivered the unacknowledged messages again and that every reading is stored exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import duckdb
import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.i18n import render
from carbonpeak.intake.batches import stored_reason
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.mqtt import MqttIngester, messages_table, mosquitto_acl, sender_of
from carbonpeak.services.access.users import create_user, principal_for
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import BatchRejection, IngestBatch
from tests import reference_district
from tests.conftest import STARTUP_WAIT_S

BROKER = ("127.0.0.1", 1883)


def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
        return True
    except OSError:
        return False


if os.environ.get("CARBONPEAK_REQUIRE_MQTT") and not _broker_up():
    pytest.fail("CARBONPEAK_REQUIRE_MQTT is set but no broker answers on 127.0.0.1:1883",
                pytrace=False)
# ack after the registry commit, kill -9: on both databases
pytestmark = [pytest.mark.skipif(not _broker_up(), reason="no MQTT broker on 127.0.0.1:1883"),
              pytest.mark.contract]


def _publisher() -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}",
                    protocol=mqtt.MQTTv5)
    c.connect(*BROKER)
    c.loop_start()
    return c


def _publish(pub: mqtt.Client, items: list[tuple[str, bytes]]) -> None:
    infos = [pub.publish(topic, payload, qos=1) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(10)  # the broker has it (PUBACK)


def _forget_session(client_id: str) -> None:
    """Delete the broker's persistent session of a test's client id."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.connect(*BROKER, clean_start=True)
    c.disconnect()


def _reading(hour: int, value: float) -> bytes:
    return orjson.dumps({"ts": f"2024-04-{1 + hour // 24:02d}T{hour % 24:02d}:00:00",
                         "value": value})


def _lake_keys(ws) -> list[tuple[str, str, int]]:
    files = [str(p) for p in ws.lake.live_files("huangpu", "readings")]
    if not files:
        return []
    return duckdb.sql(
        f"SELECT meter_id, strftime(ts, '%Y-%m-%dT%H'), batch_id FROM read_parquet({files!r}, "
        "hive_partitioning=false)").fetchall()


@pytest.fixture
def meters_ws(ws, tmp_path):
    files = reference_district.write_files(tmp_path / "in")
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    return ws


def test_messages_table_names_bad_messages():
    table, errors = messages_table([
        ("carbonpeak/readings/M1", b'{"ts": "2024-01-01T00:00:00", "value": 1.5}'),
        ("carbonpeak/readings/M1", b"not json"),
        ("carbonpeak/readings/gw/M1/extra", b'{"ts": 1, "value": 1}'),
        ("carbonpeak/readings/M1", b"[1, 2]"),
    ])
    assert table.column("meter_id").to_pylist() == ["M1", "M1", None, "M1"]
    assert table.column("value").to_pylist() == ["1.5", None, "1", None]
    assert [(e.row, e.column, e.message) for e in errors] == [
        (2, "payload", "is not valid JSON"),
        (3, "topic", "is not carbonpeak/readings/<gateway>/<meter_id> "
                     "(or carbonpeak/readings/<meter_id>)"),
        (4, "payload", 'is not a JSON object {"ts", "value"}'),
    ]


def _ingest(ing: MqttIngester, client_id: str, items: list[tuple[str, bytes]]) -> None:
    """Run ``ing``, publish ``items`` once it has subscribed, wait until it has acknowledged
    them all (or :data:`STARTUP_WAIT_S` has passed), then stop it."""
    thread = threading.Thread(target=ing.run, daemon=True)
    thread.start()
    try:
        assert ing.wait_connected(STARTUP_WAIT_S)
        time.sleep(0.3)  # subscription acknowledged
        pub = _publisher()
        _publish(pub, items)
        pub.disconnect()
        deadline = time.monotonic() + STARTUP_WAIT_S
        while ing.stats.acked < len(items) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ing.stop()
        thread.join(15)
        _forget_session(client_id)


def test_ingester_stores_batches_then_acks(meters_ws):
    ws = meters_ws
    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    ing = MqttIngester(ws, Principal(0, "mqtt", "district_admin", "huangpu"),
                       broker="mqtt://127.0.0.1:1883", client_id=client_id, batch_size=50,
                       batch_seconds=0.2)
    items = [(f"carbonpeak/readings/{m}", _reading(h, h + 0.5))
             for m in ("M1", "M1a") for h in range(60)]
    items += [("carbonpeak/readings/M1", b"{oops"),
              ("carbonpeak/readings/NOPE", _reading(0, 1)),
              ("carbonpeak/readings/M1", _reading(0, 0.5))]  # exact repeat of one above
    _ingest(ing, client_id, items)
    assert ing.stats.acked == len(items) == 123
    keys = _lake_keys(ws)
    assert len(keys) == 120  # 2 meters x 60 hours, the repeat stored once
    assert len({k[:2] for k in keys}) == 120
    with ws.registry.session() as s:
        batches = list(s.scalars(select(IngestBatch).where(IngestBatch.channel == "mqtt")))
        assert len(batches) >= 3  # batch_size 50
        assert all(b.status in ("committed", "no_change") for b in batches)
        # rejections are stored as messages (code and parameters): read them in English
        reasons = {(r.column, render(stored_reason(r.message), "en"))
                   for r in s.scalars(select(BatchRejection))}
    assert ("payload", "is not valid JSON") in reasons
    assert any(c == "meter_id" and m.startswith("is not a meter this client may write")
               for c, m in reasons)


def test_the_acl_limits_each_gateway_to_its_meters(meters_ws):
    ws = meters_ws
    create_user(ws, "gw-b1", "data_feeder", district="huangpu", entities=["B1"])
    create_user(ws, "gw-b2", "entity_manager", district="huangpu", entities=["B2"])
    create_user(ws, "analyst", "district_analyst", district="huangpu")
    acl = mosquitto_acl(ws, "huangpu", ingester="ingest").splitlines()
    body = [line for line in acl if line and not line.startswith("#")]
    assert body == [
        "user ingest", "topic read carbonpeak/readings/#",
        "user gw-b1", "topic write carbonpeak/readings/gw-b1/M1",
        "topic write carbonpeak/readings/gw-b1/M1a",
        "user gw-b2", "topic write carbonpeak/readings/gw-b2/M2",
        "topic write carbonpeak/readings/gw-b2/M3", "topic write carbonpeak/readings/gw-b2/M4",
    ]  # the analyst writes nothing; nobody may write carbonpeak/readings/<meter> directly
    assert sender_of("carbonpeak/readings/gw-b1/M1") == "gw-b1"
    assert sender_of("carbonpeak/readings/M1") is None


def test_batches_record_their_gateway_and_write_only_its_meters(meters_ws):
    ws = meters_ws
    create_user(ws, "gw-b1", "data_feeder", district="huangpu", entities=["B1"])

    def gateway(name: str) -> Principal | None:
        return principal_for(ws, name) if name == "gw-b1" else None

    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    ing = MqttIngester(ws, Principal(0, "mqtt", "district_admin", "huangpu"),
                       broker="mqtt://127.0.0.1:1883", client_id=client_id, batch_size=50,
                       batch_seconds=0.2, sender_principal=gateway)
    items = [("carbonpeak/readings/gw-b1/M1", _reading(0, 5.0)),
             ("carbonpeak/readings/gw-b1/M4", _reading(0, 5.0)),     # B2's meter: refused
             ("carbonpeak/readings/intruder/M1", _reading(1, 9.0))]  # not a gateway
    _ingest(ing, client_id, items)
    assert ing.stats.acked == len(items)
    with ws.registry.session() as s:
        batches = list(s.scalars(select(IngestBatch).where(IngestBatch.channel == "mqtt")
                                 .order_by(IngestBatch.id)))
        seen = {b.sender: (b.actor, b.rows_in, b.rows_rejected) for b in batches}
        assert seen == {"gw-b1": ("user:gw-b1", 2, 1),
                        "intruder": ("user:unregistered-gateway", 1, 1)}
    assert [(k[0], k[1]) for k in _lake_keys(ws)] == [("M1", "2024-03-31T16")]


INGEST = [sys.executable, "-m", "carbonpeak", "ingest", "mqtt", "--batch-size", "200",
          "--batch-seconds", "0.3"]


def test_kill_9_ingester_mid_stream_every_reading_once(tmp_path, database_url):
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test")
    files = reference_district.write_files(tmp_path / "in")
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    client_id = f"test-kill-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CARBONPEAK_HOME": str(settings.home),
           "CARBONPEAK_DATABASE_URL": database_url,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    cmd = [*INGEST, "--client-id", client_id]
    n_hours = 24 * 30
    items = [(f"carbonpeak/readings/{m}", _reading(h, (h % 17) + 0.25))
             for h in range(n_hours) for m in ("M1", "M1a", "M4")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "MQTT 接入" in line, line  # the CLI speaks the run's language: zh
        time.sleep(1.0)  # connected and subscribed
        pub = _publisher()
        _publish(pub, items)  # all 2,160 messages are with the broker now
        # kill as soon as some batches are stored, while others are not
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with ws.registry.session() as s:
                stored = s.scalars(select(IngestBatch).where(
                    IngestBatch.channel == "mqtt", IngestBatch.status == "committed")).all()
            if stored:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = len(_lake_keys(ws))
        assert 0 < before < len(items), "kill landed before or after the whole stream"
        # restart under the same client id: the broker delivers what was never acked
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + STARTUP_WAIT_S  # a restart on a busy machine
        while len(_lake_keys(ws)) < len(items) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # let redelivered duplicates (if any) arrive and be stored once
        proc.send_signal(signal.SIGTERM)
        proc.wait(STARTUP_WAIT_S)
        pub.disconnect()
    finally:
        if proc.poll() is None:
            proc.kill()
        _forget_session(client_id)
    keys = _lake_keys(ws)
    assert len(keys) == len(items)
    assert len({k[:2] for k in keys}) == len(items)  # each reading exactly once
    with ws.registry.session() as s:
        batches = list(s.scalars(select(IngestBatch).where(IngestBatch.channel == "mqtt")))
    # no partial batch is visible: live rows come only from committed batches (a batch that
    # was stored but not acked before the kill is delivered again; the re-sent rows may then
    # carry the later batch's id, the values are the same)
    by_id = {b.id: b for b in batches}
    live_ids = {b for _m, _h, b in keys}
    assert all(by_id[b].status == "committed" for b in live_ids)
    assert all(b.status in ("committed", "no_change", "interrupted") for b in batches)
    assert sum(b.rows_written for b in batches if b.status == "committed") >= len(items)
    on_disk = {str(p.relative_to(ws.lake.root)) for p in ws.lake.root.rglob("*.parquet*")}
    assert all(not p.endswith(".tmp") for p in on_disk)
    ws.close()
