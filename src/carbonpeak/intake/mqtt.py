"""MQTT ingestion: ``carbonpeak/readings/{gateway}/{meter_id}`` messages become lake batches.

中文：MQTT 读数接入：按条数与时间成批，批次落盘后才确认（QoS 1 手动确认）。

Messages are QoS 1 with a JSON payload ``{"ts": ..., "value": ..., "unit": ...}`` (unit
optional). They are collected into a batch until ``batch_size`` messages or ``batch_seconds``
have passed, validated like an HTTP batch, written durably, and only then acknowledged
(paho-mqtt manual acks). If the ingester dies before that, the broker still holds the
messages (persistent session: same client id, ``clean_start=False``, a session expiry) and
delivers them again; a reading stored twice is stored once (the lake keeps one row per meter
and time). A message that is not valid (bad JSON, unknown meter) is recorded as a rejected
row of its batch and acknowledged, so it is never silently dropped nor redelivered forever.

MQTT v5 is used so the ingester can announce a large Receive Maximum: Mosquitto then keeps
up to that many unacknowledged messages in flight to us (with MQTT 3.1.1 it would stop at
``max_inflight_messages``, 20 by default, and batching would starve).

Identity: a gateway publishes under ``{prefix}/{gateway}/{meter_id}``, ``gateway`` being its
broker user name, and the broker's ACL (:func:`mosquitto_acl`, generated from the registry)
lets it write only the topics of its own meters under its own name. So the topic's gateway
is who sent the message: each batch records it (``IngestBatch.sender``), messages are batched
per gateway, and with a ``sender_principal`` the batch is written as that gateway's user
(its entities' meters only). ``{prefix}/{meter_id}`` (no gateway) is still read, with no
sender recorded; the generated ACL grants it to nobody. The ingester itself authenticates to
the broker with a user name and password or a client certificate (:class:`MqttAuth`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import orjson
import paho.mqtt.client as mqtt
import pyarrow as pa
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from carbonpeak.errors import ConfigError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import BatchResult
from carbonpeak.intake.feeds import ingest_reading_table
from carbonpeak.intake.formats.feed_rows import json_text
from carbonpeak.intake.formats.readings import with_raw_errors
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import WRITER_ROLES, BatchChannel

__all__ = ["MqttAuth", "MqttIngester", "MqttStats", "TOPIC_PREFIX", "messages_table",
           "mosquitto_acl", "sender_of"]

logger = logging.getLogger(__name__)

TOPIC_PREFIX = "carbonpeak/readings"
MAX_PAYLOAD = 64 * 1024
SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass
class _Message:
    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class MqttAuth:
    """How the ingester signs in to the broker: a user name and password, and/or TLS with a
    CA file and a client certificate and key (``mqtts://``)."""

    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


def sender_of(topic: str, prefix: str = TOPIC_PREFIX) -> str | None:
    """The gateway of ``{prefix}/{gateway}/{meter_id}``; None for any other topic."""
    rest = topic[len(prefix) + 1:] if topic.startswith(prefix + "/") else ""
    parts = rest.split("/")
    return parts[0] or None if len(parts) == 2 else None  # noqa: PLR2004


@dataclass
class MqttStats:
    """Counters since start."""

    received: int = 0
    acked: int = 0
    batches: int = 0
    stored: int = 0
    rejected: int = 0
    last: BatchResult | None = None
    errors: list[str] = field(default_factory=list)


def messages_table(messages: list[tuple[str, bytes]], prefix: str = TOPIC_PREFIX
                   ) -> tuple[pa.Table, list[RowError]]:
    """(topic, payload) pairs as a raw readings table; bad messages become row errors."""
    cols: dict[str, list[str | None]] = {"meter_id": [], "ts": [], "value": [], "unit": []}
    errors: list[RowError] = []
    source = "mqtt"
    for i, (topic, payload) in enumerate(messages, start=1):
        meter: str | None = None
        rec: dict[str, Any] = {}
        depth = topic.count("/") - prefix.count("/")
        if topic.startswith(prefix + "/") and depth in (1, 2):
            meter = topic.rsplit("/", 1)[1] or None
        if meter is None:
            errors.append(RowError(source, i, "topic", topic[:200],
                                   msg("intake.mqtt.topic", prefix=prefix)))
        if len(payload) > MAX_PAYLOAD:
            errors.append(RowError(source, i, "payload", f"{len(payload)} bytes",
                                   msg("intake.mqtt.too_large", limit=MAX_PAYLOAD)))
        else:
            try:
                doc = orjson.loads(payload)
                if isinstance(doc, dict):
                    rec = doc
                else:
                    errors.append(RowError(source, i, "payload", payload[:200].decode(
                        "utf-8", "replace"), msg("intake.mqtt.not_object")))
            except orjson.JSONDecodeError:
                errors.append(RowError(source, i, "payload", payload[:200].decode(
                    "utf-8", "replace"), msg("intake.mqtt.bad_json")))
        cols["meter_id"].append(meter)
        for k in ("ts", "value", "unit"):
            cols[k].append(json_text(rec.get(k)))
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
    table = table.append_column("row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    return with_raw_errors(table, errors), errors


class MqttIngester:
    """Subscribe, batch, store, then acknowledge.

    Parameters
    ----------
    ws
        The workspace to write to.
    principal
        Who the ingester writes as (its scope limits the meters it accepts).
    broker
        ``mqtt://host:port`` (``mqtts://`` for TLS), optional ``user:password@``.
    client_id
        The MQTT client id; keep it stable so the broker keeps the session across restarts.
    """

    def __init__(self, ws: Workspace, principal: Principal, *, broker: str,
                 client_id: str | None = None, batch_size: int = 5000,
                 batch_seconds: float = 1.0, prefix: str = TOPIC_PREFIX,
                 on_batch: Callable[[BatchResult], None] | None = None,
                 auth: MqttAuth | None = None,
                 sender_principal: Callable[[str], Principal | None] | None = None) -> None:
        url = urlparse(broker if "://" in broker else f"mqtt://{broker}")
        if url.scheme not in ("mqtt", "mqtts", "tcp"):
            msg = f"broker URL must be mqtt://host:port, not {broker!r}"
            raise ConfigError(msg)
        self.ws, self.principal = ws, principal
        self.host, self.port = url.hostname or "127.0.0.1", url.port or (
            8883 if url.scheme == "mqtts" else 1883)
        self.batch_size, self.batch_seconds, self.prefix = batch_size, batch_seconds, prefix
        self.client_id = client_id or f"carbonpeak-ingest-{principal.district_id}"
        self.on_batch = on_batch
        self.sender_principal = sender_principal
        self.stats = MqttStats()
        self._pending: list[_Message] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        auth = auth or MqttAuth()
        username = auth.username or url.username
        if username:
            self.client.username_pw_set(username, auth.password or url.password)
        if url.scheme == "mqtts" or auth.cert_file or auth.ca_file:
            self.client.tls_set(ca_certs=auth.ca_file, certfile=auth.cert_file,
                                keyfile=auth.key_file)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # -- callbacks (network thread) ---------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _ud: Any, _flags: Any, reason: Any,
                    _props: Any) -> None:
        if reason.is_failure:
            logger.error("MQTT connect refused: %s", reason)
            return
        client.subscribe([(f"{self.prefix}/+", 1), (f"{self.prefix}/+/+", 1)])
        self._connected.set()
        logger.info("connected to %s:%s as %s", self.host, self.port, self.client_id)

    def _on_disconnect(self, _c: mqtt.Client, _ud: Any, _flags: Any, reason: Any,
                       _props: Any) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._pending.append(_Message(msg.mid, msg.qos, msg.topic, bytes(msg.payload)))
            self.stats.received += 1
            full = len(self._pending) >= self.batch_size
        if full:
            self._wake.set()

    # -- main loop ---------------------------------------------------------------------
    def start(self) -> None:
        """Connect (persistent session, large Receive Maximum) and start the network loop."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = 65535
        self.client.connect(self.host, self.port, keepalive=30, clean_start=False,
                            properties=props)
        self.client.loop_start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Block until subscribed (or the timeout passes)."""
        return self._connected.wait(timeout)

    def run(self, *, until: Callable[[], bool] | None = None) -> MqttStats:
        """Batch and store until :meth:`stop` (or ``until()`` is true); flushes at the end."""
        self.start()
        try:
            while not self._stop.is_set() and not (until and until()):
                self._wake.wait(self.batch_seconds)
                self._wake.clear()
                self.drain()
            self.drain()
        finally:
            self.client.loop_stop()
            self.client.disconnect()
        return self.stats

    def stop(self) -> None:
        """Ask :meth:`run` to flush what it holds and return."""
        self._stop.set()
        self._wake.set()

    def drain(self) -> None:
        """Store what has arrived, in batches of at most ``batch_size`` messages."""
        while self.flush() is not None:
            with self._lock:
                if not self._pending:
                    return

    def flush(self) -> BatchResult | None:
        """Store up to ``batch_size`` waiting messages, one batch per sender (gateway), then
        acknowledge them.

        Returns None when there was nothing to store or storing failed (nothing acked).
        """
        with self._lock:
            batch, self._pending = self._pending[: self.batch_size], \
                self._pending[self.batch_size:]
        if not batch:
            return None
        groups: dict[str | None, list[_Message]] = {}
        for m in batch:
            groups.setdefault(sender_of(m.topic, self.prefix), []).append(m)
        result: BatchResult | None = None
        items = list(groups.items())
        for i, (sender, group) in enumerate(items):
            try:
                result = self._store(sender, group)
            except Exception as exc:
                # not stored: do not ack; put these messages back and retry after a pause
                logger.exception("storing an MQTT batch failed; will retry")
                self.stats.errors.append(str(exc))
                with self._lock:
                    self._pending[:0] = [m for _s, g in items[i:] for m in g]
                time.sleep(min(5.0, self.batch_seconds * 2))
                return None
            self._ack(group)
            self.stats.batches += 1
            self.stats.stored += result.accepted
            self.stats.rejected += result.rejected
            self.stats.last = result
            if self.on_batch is not None:
                self.on_batch(result)
        return result

    def _store(self, sender: str | None, group: list[_Message]) -> BatchResult:
        """One batch of one sender's messages, written as the sender's user when known."""
        raw, _ = messages_table([(m.topic, m.payload) for m in group], self.prefix)
        digest = hashlib.sha256((sender or "").encode() + b"\0" + b"".join(
            m.topic.encode() + b"\0" + m.payload + b"\n" for m in group)).hexdigest()
        principal = self.principal
        if sender is not None and self.sender_principal is not None:
            principal = self.sender_principal(sender) or _nobody(self.principal)
        return ingest_reading_table(
            self.ws, principal, raw, digest, source=f"mqtt:{self.client_id}",
            channel=BatchChannel.MQTT, deny_if_all_forbidden=False, sender=sender)

    def _ack(self, batch: list[_Message]) -> None:
        for m in batch:
            if m.qos > 0:
                self.client.ack(m.mid, m.qos)
            self.stats.acked += 1


def _nobody(p: Principal) -> Principal:
    """The principal of a gateway the registry does not know: it may write no meter (every
    row of its batch is refused and recorded)."""
    return Principal(0, "unregistered-gateway", "data_feeder", p.district_id)


def mosquitto_acl(ws: Workspace, district_id: str, *, ingester: str,
                  prefix: str = TOPIC_PREFIX) -> str:
    """A Mosquitto ``acl_file`` from the registry: each active writer of the district (data
    feeders, entity managers: the gateways) may publish only ``{prefix}/{its name}/{meter}``
    for the meters of its entities; ``ingester`` may read everything under ``prefix``.
    Anything not listed is denied (Mosquitto's default once an ACL file is set)."""
    with ws.registry.session() as s:
        users = repo.active_users_of_roles(
            s, district_id, [r.value for r in WRITER_ROLES if r != "district_admin"])
        meters: dict[int, list[str]] = {}
        for uid, mid in repo.meters_of_users(s, district_id):
            meters.setdefault(int(uid), []).append(str(mid))
    lines = [f"# carbonpeak: MQTT ACL of district {district_id}, generated from the registry",
             "# (carbonpeak ingest mqtt-acl); regenerate when users or meters change",
             "", f"user {ingester}", f"topic read {prefix}/#", ""]
    for uid, username, role in users:
        if any(c in username for c in "/#+ \n"):
            continue  # not a broker user name: it could widen a topic
        lines.append(f"# {role}")
        lines.append(f"user {username}")
        lines += [f"topic write {prefix}/{username}/{m}" for m in meters.get(int(uid), [])
                  if not any(c in m for c in "/#+ ")]
        lines.append("")
    return "\n".join(lines)
