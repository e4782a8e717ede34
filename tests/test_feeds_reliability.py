"""Nothing lost, nothing twice: the API server killed mid-batch, 20 clients at once.

These run the real server (``carbonpeak serve``, uvicorn) as a separate process on loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.storage.registry.models import IngestBatch
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import STARTUP_WAIT_S, stop

# kill -9 and retries against the registry's transactions: on both databases
pytestmark = pytest.mark.contract


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``carbonpeak serve`` in a subprocess."""

    def __init__(self, settings: Settings) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "CARBONPEAK_HOME": str(settings.home),
                    "CARBONPEAK_DATABASE_URL": settings.url,
                    "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "carbonpeak", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_WAIT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("the server did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop(self.proc)


@pytest.fixture
def served(tmp_path, database_url) -> Iterator[tuple[Workspace, Server, dict[str, str]]]:
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    ws, _ = init_workspace(settings, profiles=["huangpu"], actor="test")
    files = reference_district.write_files(tmp_path / "in")
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    tokens = {}
    for i in range(4):
        create_user(ws, f"gw{i}", "data_feeder", entities=["B1"])
        tokens[f"gw{i}"] = issue_token(ws, f"gw{i}").token
    server = Server(settings)
    server.start()
    yield ws, server, tokens
    server.stop()
    ws.close()


def _live(ws: Workspace) -> list[tuple[str, str, float, int]]:
    files = [str(p) for p in ws.lake.live_files("huangpu", "readings")]
    if not files:
        return []
    return duckdb.sql(
        f"SELECT meter_id, strftime(ts, '%Y-%m-%dT%H:%M'), value, batch_id "
        f"FROM read_parquet({files!r}, hive_partitioning=false)").fetchall()


def _minutes(meter: str, days: int, start_day: int = 1) -> list[dict[str, object]]:
    return [{"meter_id": meter,
             "ts": f"2024-05-{start_day + m // 1440:02d}T{m // 60 % 24:02d}:{m % 60:02d}:00",
             "value": (m % 13) + 0.5} for m in range(days * 1440)]


def test_kill_9_server_mid_batch_then_retry_stores_it_once(served, database_url):
    """SIGKILL the server while it takes a big batch: at once on PostgreSQL, after 0.3 s (mid
    write) on SQLite, so that both moments are covered once each (the suite's time)."""
    delay = 0.0 if database_url.startswith("postgresql") else 0.3
    ws, server, tokens = served
    h = {"Authorization": f"Bearer {tokens['gw0']}"}
    small = _minutes("M1a", 1)
    r = httpx.post(f"{server.url}/api/v1/readings", json=small,
                   headers={**h, "Idempotency-Key": "small"}, timeout=60)
    assert r.status_code == 202  # acknowledged before the crash: must survive it
    big = _minutes("M1", 28) + _minutes("M1a", 28, start_day=2)  # 80,640 rows
    body = orjson.dumps(big)
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["r"] = httpx.post(f"{server.url}/api/v1/readings", content=body, headers={
                **h, "Idempotency-Key": "big", "Content-Type": "application/json"}, timeout=120)
        except httpx.TransportError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=send)
    t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the server is writing the batch
        with ws.registry.session() as s:
            if s.scalars(select(IngestBatch).where(IngestBatch.status == "pending")).first():
                break
        time.sleep(0.005)
    time.sleep(delay)
    server.kill9()
    t.join(30)
    acknowledged = "r" in outcome and getattr(outcome["r"], "status_code", 0) == 202
    server.start()
    # a client that got no answer sends the same batch again under the same key
    r = httpx.post(f"{server.url}/api/v1/readings", content=body, headers={
        **h, "Idempotency-Key": "big", "Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == ("replayed" if acknowledged else r.json()["status"])
    rows = _live(ws)
    keys = [(m, ts) for m, ts, _v, _b in rows]
    assert len(keys) == len(set(keys))  # each reading exactly once
    # M1: 28 days of minutes; M1a: day 1 (the small batch) and days 2..29 (the big one)
    per_meter = {m: sum(1 for k in keys if k[0] == m) for m in ("M1", "M1a")}
    assert per_meter == {"M1": 28 * 1440, "M1a": 1440 + 28 * 1440}
    with ws.registry.session() as s:
        statuses = {b.source_name + ":" + b.status for b in s.scalars(select(IngestBatch))
                    if b.kind == "readings"}
    # the killed attempt is either committed (and replayed) or interrupted; never partial
    assert statuses <= {"http:gw0:committed", "http:gw0:interrupted", "http:gw0:replayed"}
    on_disk = {str(p.relative_to(ws.lake.root)) for p in ws.lake.root.rglob("*.parquet*")}
    live = {ws.lake.relative(p) for p in ws.lake.live_files("huangpu", "readings")}
    assert live <= on_disk


def test_twenty_clients_sending_overlapping_batches_at_once(served):
    ws, server, tokens = served
    results: list[tuple[int, int, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def client(i: int) -> None:
        token = tokens[f"gw{i % 4}"]
        # client i sends hours [6i, 6i + 24): each hour is in up to four clients' batches
        rows = [{"meter_id": "M1", "ts": f"2024-06-{1 + h // 24:02d}T{h % 24:02d}:00:00",
                 "value": h * 1.5} for h in range(6 * i, 6 * i + 24)]
        try:
            with httpx.Client(base_url=server.url, timeout=120) as c:
                start.wait()
                for attempt in range(2):  # each client also retries its batch once
                    r = c.post("/api/v1/readings", json=rows, headers={
                        "Authorization": f"Bearer {token}", "Idempotency-Key": f"c{i}"})
                    results.append((i, r.status_code, r.json()["status"] if attempt else ""))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert errors == []
    assert sorted(code for _i, code, _s in results) == [202] * 40
    assert {s for _i, _c, s in results if s} == {"replayed"}
    rows = _live(ws)
    keys = [(m, ts) for m, ts, _v, _b in rows]
    assert len(keys) == len(set(keys)) == 6 * 19 + 24  # hours 0 .. 137, each once
    assert sorted(v for _m, _ts, v, _b in rows) == [h * 1.5 for h in range(138)]
    with ws.registry.session() as s:
        n = len([b for b in s.scalars(select(IngestBatch)) if b.kind == "readings"])
    assert n == 20  # one batch per client; retries answered from the stored batch
