"""MQTT broker authentication, the topic ACL and TLS, against a Mosquitto of the test's own.

The module starts ``/usr/sbin/mosquitto`` on a free loopback port with one TLS listener (a
throw-away CA and server certificate made here with ``openssl``), ``allow_anonymous false``,
a password file with the ingester's user and one gateway's, and the ACL file written by
``carbonpeak ingest mqtt-acl`` from the registry. Then: the ingester signs in over
``mqtts://`` with the test CA; the gateway's readings on its own meters' topics are stored and
their batch records the gateway as the sender; what it publishes on topics the ACL does not
grant it never reaches the ingester; a wrong password and a plain-TCP client are refused.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from typer.testing import CliRunner

from carbonpeak.cli import app
from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.intake.mqtt import MqttAuth, MqttIngester
from carbonpeak.services.access.users import create_user, principal_for
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import IngestBatch
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import STARTUP_WAIT_S, free_port, stop
from tests.test_mqtt import _lake_keys, _reading

MOSQUITTO = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")
HOST = "127.0.0.1"
INGESTER, INGESTER_PW = "ingester", "ingester-secret"
GATEWAY, GATEWAY_PW = "gw-b1", "gw-b1-secret"  # entity B1: meters M1 and M1a

if os.environ.get("CARBONPEAK_REQUIRE_MQTT") and not (MOSQUITTO and MOSQUITTO_PASSWD):
    pytest.fail("CARBONPEAK_REQUIRE_MQTT is set but mosquitto / mosquitto_passwd is missing",
                pytrace=False)
pytestmark = pytest.mark.skipif(not (MOSQUITTO and MOSQUITTO_PASSWD),
                                reason="mosquitto / mosquitto_passwd not installed")


@dataclass
class Broker:
    ws: Workspace
    port: int
    ca: Path
    log: Path


def _run(*cmd: str | Path) -> None:
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True)  # noqa: S603


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    ca_key, ca, key, csr, cert = (folder / n for n in (
        "ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _run("openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=carbonpeak test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _run("openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={HOST}")
    ext = folder / "server.ext"
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                   f"extendedKeyUsage=serverAuth\nsubjectAltName=IP:{HOST}\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n",
                   encoding="utf-8")
    _run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


def _tls_up(port: int, ca: Path) -> bool:
    ctx = ssl.create_default_context(cafile=str(ca))
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw, \
                ctx.wrap_socket(raw, server_hostname=HOST):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """The reference district with two gateways (gw-b1: B1, gw-b2: B2) on SQLite, and a
    Mosquitto with TLS, passwords and the registry's ACL on a free loopback port."""
    assert MOSQUITTO
    assert MOSQUITTO_PASSWD
    tmp = tmp_path_factory.mktemp("mqtt-tls")
    settings = Settings(home=tmp / "home", database_url=f"sqlite:///{tmp / 'registry.sqlite'}")
    ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test", load_targets=False)
    files = reference_district.write_files(tmp / "in")
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    create_user(ws, GATEWAY, "data_feeder", district="huangpu", entities=["B1"])
    create_user(ws, "gw-b2", "data_feeder", district="huangpu", entities=["B2"])
    # the ACL exactly as an operator makes it
    acl = tmp / "acl"
    result = CliRunner().invoke(
        app, ["ingest", "mqtt-acl", "--ingester", INGESTER, "--out", str(acl)],
        env={"CARBONPEAK_HOME": str(settings.home),
             "CARBONPEAK_DATABASE_URL": settings.database_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    acl_text = acl.read_text(encoding="utf-8")
    assert f"user {INGESTER}\ntopic read carbonpeak/readings/#" in acl_text
    assert f"topic write carbonpeak/readings/{GATEWAY}/M1\n" in acl_text
    passwd = tmp / "passwd"
    _run(MOSQUITTO_PASSWD, "-b", "-c", passwd, INGESTER, INGESTER_PW)
    _run(MOSQUITTO_PASSWD, "-b", passwd, GATEWAY, GATEWAY_PW)
    ca, cert, key = _certificates(tmp)
    port = free_port()
    conf = tmp / "mosquitto.conf"
    # run as whoever runs the test: as root Mosquitto would otherwise drop to the user
    # "mosquitto", which may not read the test's files (ignored when not root)
    conf.write_text("\n".join([
        f"user {getpass.getuser()}", "persistence false", "log_dest stderr",
        "log_type error", "log_type warning", "log_type notice", "log_type information",
        "per_listener_settings false", "allow_anonymous false",
        f"password_file {passwd}", f"acl_file {acl}",
        f"listener {port} {HOST}", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}",
        "require_certificate false", ""]), encoding="utf-8")
    log = tmp / "mosquitto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)],  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_WAIT_S
        while not _tls_up(port, ca):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mosquitto did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield Broker(ws, port, ca, log)
    finally:
        stop(proc)
        ws.close()


@dataclass
class Seen:
    """What a test client heard: its CONNACK reason and the reason code of each PUBACK."""

    connected: threading.Event = field(default_factory=threading.Event)
    connect: mqtt.ReasonCode | None = None
    puback: dict[int, int] = field(default_factory=dict)


def _client(b: Broker, username: str, password: str) -> tuple[mqtt.Client, Seen]:
    """A TLS client (test CA) signing in as ``username``, and what it hears."""
    seen = Seen()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}",
                    protocol=mqtt.MQTTv5)
    c.username_pw_set(username, password)
    c.tls_set(ca_certs=str(b.ca))

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode,
                   _p: object) -> None:
        seen.connect = reason
        seen.connected.set()

    def on_publish(_c: mqtt.Client, _u: object, mid: int, reason: mqtt.ReasonCode,
                   _p: object) -> None:
        seen.puback[mid] = reason.value

    c.on_connect = on_connect
    c.on_publish = on_publish
    return c, seen


def test_ingester_over_tls_stores_a_gateways_own_meters_only(broker: Broker) -> None:
    ws = broker.ws

    def gateway(name: str) -> Principal | None:
        return principal_for(ws, name) if name == GATEWAY else None

    ing = MqttIngester(ws, Principal(0, "mqtt", "district_admin", "huangpu"),
                       broker=f"mqtts://{INGESTER}:{INGESTER_PW}@{HOST}:{broker.port}",
                       client_id=f"test-tls-{uuid.uuid4().hex[:8]}", batch_size=50,
                       batch_seconds=0.2, auth=MqttAuth(ca_file=str(broker.ca)),
                       sender_principal=gateway)
    allowed = [(f"carbonpeak/readings/{GATEWAY}/M1", _reading(0, 1.5)),
               (f"carbonpeak/readings/{GATEWAY}/M1a", _reading(0, 2.5))]
    denied = [("carbonpeak/readings/gw-b2/M4", _reading(0, 9.0)),       # another gateway's
              (f"carbonpeak/readings/{GATEWAY}/M4", _reading(0, 9.0)),  # not its meter
              ("carbonpeak/readings/M2", _reading(0, 9.0))]             # no gateway
    last = [(f"carbonpeak/readings/{GATEWAY}/M1", _reading(1, 3.5))]  # after the denied ones
    thread = threading.Thread(target=ing.run, daemon=True)
    thread.start()
    try:
        assert ing.wait_connected(STARTUP_WAIT_S), broker.log.read_text(errors="replace")
        time.sleep(0.3)  # subscription acknowledged
        pub, seen = _client(broker, GATEWAY, GATEWAY_PW)
        pub.connect(HOST, broker.port)
        pub.loop_start()
        assert seen.connected.wait(STARTUP_WAIT_S)
        infos = [(topic, pub.publish(topic, payload, qos=1))
                 for topic, payload in allowed + denied + last]
        for _topic, info in infos:
            info.wait_for_publish(STARTUP_WAIT_S)
        pub.disconnect()
        pub.loop_stop()
        # one client's messages arrive in order: once the last one is acked, every earlier
        # one that the broker let through has been stored too
        deadline = time.monotonic() + STARTUP_WAIT_S
        while ing.stats.acked < len(allowed + last) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ing.stop()
        thread.join(15)
    assert not ing.stats.errors
    # the broker refused the denied topics (MQTT 5 PUBACK 135, not authorised) and passed on
    # only the allowed ones
    codes = {topic: seen.puback.get(info.mid) for topic, info in infos}
    assert {t: codes[t] for t, _ in denied} == {t: 135 for t, _ in denied}
    assert {codes[t] for t, _ in allowed + last} == {0}
    assert ing.stats.received == ing.stats.acked == len(allowed + last) == 3
    assert ing.stats.stored == 3
    assert ing.stats.rejected == 0
    assert sorted(k[0] for k in _lake_keys(ws)) == ["M1", "M1", "M1a"]
    with ws.registry.session() as s:
        batches = list(s.scalars(select(IngestBatch).where(IngestBatch.channel == "mqtt")))
    assert batches
    assert {(b.sender, b.actor) for b in batches} == {(GATEWAY, f"user:{GATEWAY}")}
    assert sum(b.rows_in for b in batches) == 3
    assert sum(b.rows_rejected for b in batches) == 0


def test_wrong_password_and_plain_tcp_are_refused(broker: Broker) -> None:
    # a wrong password: the broker answers CONNACK with a failure reason
    c, seen = _client(broker, GATEWAY, "not-the-password")
    c.connect(HOST, broker.port)
    c.loop_start()
    try:
        assert seen.connected.wait(STARTUP_WAIT_S)
    finally:
        c.loop_stop()
        c.disconnect()
    assert seen.connect is not None
    assert seen.connect.is_failure
    assert seen.connect.value != 0
    # an MQTT 3.1.1 CONNECT (right user and password) in clear text to the TLS port: no
    # CONNACK (0x20); the broker ends the connection
    user, pw = GATEWAY.encode(), GATEWAY_PW.encode()
    body = (b"\x00\x04MQTT\x04\xc2\x00\x1e" + b"\x00\x04cpt1"
            + len(user).to_bytes(2, "big") + user + len(pw).to_bytes(2, "big") + pw)
    packet = b"\x10" + bytes([len(body)]) + body
    received = b""
    with socket.create_connection((HOST, broker.port), timeout=STARTUP_WAIT_S) as sock:
        sock.sendall(packet)
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass
    assert not received.startswith(b"\x20")
