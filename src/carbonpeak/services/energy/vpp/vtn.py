"""The OpenADR 2.0b VTN of the virtual power plant (openleadr 0.5.34, pinned).

中文：虚拟电厂的 OpenADR 2.0b 服务端（VTN）：网关（VEN）注册、下发响应事件、确认参与/放弃、
遥测上报写入数据湖。

* **Registration** (``oadrCreatePartyRegistration``): a VEN whose ``ven_name`` is the
  ``ven_id`` of an automated resource of the district is registered (its ven_id is that
  name); any other is refused.
* **Events** (:meth:`Vtn.dispatch`): each automated participant of a DR event gets one
  OpenADR event (``event_id`` ``<event>/<resource>``, market context
  ``oadr://carbonpeak/<programme>``), one ``LOAD_DISPATCH`` ``delta`` signal of −declared kW
  over the event window (the district's local times in UTC), its resource as the target.
* **Opt-in / opt-out** (``oadrCreatedEvent``): stored on the participant (``opt_status``,
  ``opt_at``), audit-logged with the VEN as the actor.
* **Telemetry** (``oadrRegisterReport`` / ``oadrUpdateReport``): a VEN may report only its own
  resources; every report's values go to the lake's ``dr_telemetry`` dataset as one batch
  (kind ``dr_telemetry``, channel ``http``, sender the VEN), keyed by resource, measurement
  and time (a value sent again changes nothing).

Security (:class:`VtnSecurity`, ``carbonpeak dr vtn --cert --key --ca-file
--ven-fingerprints``): the VTN serves HTTPS with its certificate, asks every VEN for a client
certificate issued by the CA file, and signs its messages (XML signatures) with the same
certificate; a VEN checks them against the VTN's fingerprint. A VEN is known by the
fingerprint of its certificate (OpenADR's 20-hex-digit form, given out of band: the
fingerprints file): its registration is refused when the certificate it connects with is not
the one on file for its name, and every later message must come over a connection with that
certificate and be signed with it (openleadr checks both). Without a certificate the VTN runs
plain HTTP, unsigned (for a loopback test or behind a terminating proxy only).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from carbonpeak.intake.batches import audited_upsert
from carbonpeak.intake.imports import write_lake_batch
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.registry import event_of
from carbonpeak.storage.registry.models import DrParticipant
from carbonpeak.storage.registry.repositories import energy as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import BatchChannel, BatchKind, DrOptStatus

with warnings.catch_warnings():
    # signxml (openleadr's XML signatures) imports pyOpenSSL's deprecated crypto.verify
    warnings.simplefilter("ignore", DeprecationWarning)
    from openleadr import OpenADRServer

__all__ = ["SIGNAL_NAME", "SIGNAL_TYPE", "Vtn", "VtnSecurity", "fingerprint_of",
           "store_telemetry"]

SIGNAL_NAME = "LOAD_DISPATCH"
SIGNAL_TYPE = "delta"
_OPT = {"optIn": DrOptStatus.OPT_IN, "optOut": DrOptStatus.OPT_OUT}


def fingerprint_of(cert_pem: str | bytes) -> str:
    """A certificate's OpenADR fingerprint (the last 10 bytes of its SHA-256, ``AA:BB:…``)."""
    from openleadr.utils import certificate_fingerprint

    return str(certificate_fingerprint(cert_pem))


@dataclass(frozen=True)
class VtnSecurity:
    """TLS and message signatures of the VTN: its certificate and key (PEM), the CA that
    issued the VENs' client certificates, and each VEN's certificate fingerprint by its name
    (the ``ven_id`` of its resources)."""

    cert: Path
    key: Path
    ca_file: Path
    ven_fingerprints: Mapping[str, str] = field(default_factory=dict)
    passphrase: str | None = None

    @property
    def fingerprint(self) -> str:
        """The VTN's own fingerprint (to give to the VENs)."""
        return fingerprint_of(self.cert.read_bytes())


def store_telemetry(ws: Workspace, district_id: str, ven_id: str,
                    rows: list[tuple[str, str, dt.datetime, float, str]]) -> int | None:
    """Store telemetry values ``(resource_id, measurement, ts, value, unit)`` of a VEN in the
    lake as one batch; the batch id (``None`` when there is nothing to store)."""
    if not rows:
        return None
    ts = [(t.astimezone(dt.UTC) if t.tzinfo else t).replace(tzinfo=None) for _r, _m, t, _v,
          _u in rows]
    table = pa.table({
        "resource_id": [r[0] for r in rows], "measurement": [r[1] for r in rows],
        "ts": pa.array(ts, pa.timestamp("us")), "value": [float(r[3]) for r in rows],
        "unit": [r[4] for r in rows], "ven_id": [ven_id] * len(rows),
        "month": [t.strftime("%Y-%m") for t in ts]})
    digest = hashlib.sha256(json.dumps(
        [[r[0], r[1], t.isoformat(), r[3], r[4]] for r, t in zip(rows, ts, strict=True)],
        ensure_ascii=False).encode()).hexdigest()
    done = write_lake_batch(ws, district_id, BatchKind.DR_TELEMETRY, f"openadr:{ven_id}",
                            digest, {"dr_telemetry": table}, channel=BatchChannel.HTTP,
                            sender=ven_id)
    return done.batch_id


class Vtn:
    """An OpenADR 2.0b VTN for one district (``await vtn.start()``, ``await vtn.stop()``)."""

    def __init__(self, ws: Workspace, district_id: str, *, host: str = "127.0.0.1",
                 port: int = 8080, poll_seconds: float = 10.0,
                 security: VtnSecurity | None = None) -> None:
        self.ws, self.district_id, self.security = ws, district_id, security
        #: registrations refused: (ven_name, the fingerprint it connected with or "")
        self.refused: list[tuple[str, str]] = []
        options: dict[str, Any] = {"verify_message_signatures": False}
        if security is not None:
            cert, key = str(security.cert), str(security.key)
            options = {"cert": cert, "key": key, "passphrase": security.passphrase,
                       "http_cert": cert, "http_key": key,
                       "http_key_passphrase": security.passphrase,
                       "http_ca_file": str(security.ca_file), "ven_lookup": self._ven_lookup,
                       "verify_message_signatures": True}
        with warnings.catch_warnings():  # openleadr (unmaintained) keys aiohttp's app by str
            warnings.simplefilter("ignore")
            self.server = OpenADRServer(
                vtn_id=f"carbonpeak-{district_id}", http_host=host, http_port=port,
                requested_poll_freq=dt.timedelta(seconds=poll_seconds), show_fingerprint=False,
                **options)
        self.server.add_handler("on_create_party_registration", self._on_registration)
        self.server.add_handler("on_register_report", self._on_register_report)
        scheme = "https" if security is not None else "http"
        self.url = f"{scheme}://{host}:{port}/OpenADR2/Simple/2.0b"

    async def start(self) -> None:
        """Serve (returns once listening)."""
        await self.server.run_async()

    async def stop(self) -> None:
        """Stop serving."""
        await self.server.stop()

    # -- registry look-ups (blocking; run in a thread) ----------------------------------------
    def _resources_of(self, ven_id: str) -> dict[str, int]:
        with self.ws.registry.session() as s:
            return {r.resource_id: r.id
                    for r in repo.dr_resources_of_ven(s, self.district_id, ven_id)}

    def _expected_fingerprint(self, ven: str) -> str | None:
        return None if self.security is None else self.security.ven_fingerprints.get(ven)

    async def _ven_lookup(self, ven_id: str) -> dict[str, str] | None:
        """openleadr's look-up of a registered VEN (signed mode): its fingerprint on file."""
        expected = self._expected_fingerprint(ven_id)
        if expected is None or not await asyncio.to_thread(self._resources_of, ven_id):
            return None
        return {"ven_id": ven_id, "ven_name": ven_id, "fingerprint": expected,
                "registration_id": f"reg-{ven_id}"}

    async def _on_registration(self, info: dict[str, Any]) -> tuple[str, str] | bool:
        ven = str(info.get("ven_name") or "")
        fingerprint = str(info.get("fingerprint") or "")
        if not ven or not await asyncio.to_thread(self._resources_of, ven):
            self.refused.append((ven, fingerprint))
            return False
        if self.security is not None:  # the certificate it connects with must be its own
            expected = self._expected_fingerprint(ven)
            if expected is None or fingerprint != expected:
                self.refused.append((ven, fingerprint))
                return False
        return ven, f"reg-{ven}"

    async def _on_register_report(self, ven_id: str, resource_id: str, measurement: str,
                                  unit: str, scale: str,
                                  min_sampling_interval: dt.timedelta,
                                  max_sampling_interval: dt.timedelta,
                                  ) -> tuple[Callable[..., Any], dt.timedelta] | None:
        del scale, max_sampling_interval
        if resource_id not in await asyncio.to_thread(self._resources_of, ven_id):
            return None  # not this VEN's resource: not requested
        return (functools.partial(self._on_update_report, ven_id=ven_id,
                                  resource_id=resource_id, measurement=measurement,
                                  unit=unit), min_sampling_interval)

    async def _on_update_report(self, data: list[tuple[dt.datetime, float]], *, ven_id: str,
                                resource_id: str, measurement: str, unit: str) -> None:
        rows = [(resource_id, measurement, t, float(v), unit or "") for t, v in data]
        await asyncio.to_thread(store_telemetry, self.ws, self.district_id, ven_id, rows)

    # -- events ---------------------------------------------------------------------------------
    def dispatch(self, event_id: str) -> list[str]:
        """Queue the DR event for its automated participants' VENs; the OpenADR event ids."""
        scope = AccessScope(self.district_id, everything=True)
        ev = event_of(self.ws, scope, event_id)
        zone = ZoneInfo(self.ws.district(self.district_id).timezone)
        start = dt.datetime.combine(ev.day, ev.start, zone).astimezone(dt.UTC)
        end = dt.datetime.combine(ev.day, ev.end, zone).astimezone(dt.UTC)
        with self.ws.registry.session() as s:
            parts = repo.automated_dispatch_participants(s, ev.pk)
            todo = [(p.id, r.resource_id, str(r.ven_id), p.declared_kw) for p, r in parts]
        sent = []
        for part_pk, resource_id, ven_id, declared in todo:
            oadr_id = f"{event_id}/{resource_id}"
            self.server.add_event(
                ven_id=ven_id, signal_name=SIGNAL_NAME, signal_type=SIGNAL_TYPE,
                intervals=[{"dtstart": start, "duration": end - start,
                            "signal_payload": -float(declared)}],
                event_id=oadr_id, market_context=f"oadr://carbonpeak/{ev.programme}",
                targets=[{"resource_id": resource_id}],
                callback=functools.partial(self._on_opt, part_pk=part_pk, key=oadr_id))
            sent.append(oadr_id)
        return sent

    def _store_opt(self, ven_id: str, part_pk: int, key: str, opt_type: str) -> None:
        status = _OPT.get(opt_type)
        if status is None:
            return
        with self.ws.registry.session() as s:
            p = s.get(DrParticipant, part_pk)
            if p is None:
                return
            audited_upsert(s, f"ven:{ven_id}", p,
                           {"opt_status": status}, create=lambda: None,
                           object_type="dr_participant", key=key,
                           district_id=self.district_id,
                           context={"source": "openadr oadrCreatedEvent"},
                           always={"opt_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
                           log=audit)

    async def _on_opt(self, ven_id: str, event_id: str, opt_type: str, *, part_pk: int,
                      key: str) -> None:
        del event_id
        await asyncio.to_thread(self._store_opt, ven_id, part_pk, key, opt_type)
