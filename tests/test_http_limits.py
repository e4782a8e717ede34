"""Issue 22, the HTTP half: bounded requests, refusals that never echo, sign-in throttling.

Each test is the reproducer of a finding (the request described in the issue), on one small
home (the Huangpu district, an admin with a password and a token).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carbonpeak.api import responses as api_responses
from carbonpeak.api.app import REFUSALS_SHOWN, create_app
from carbonpeak.api.routes.auth import SIGN_IN_MAX_BYTES
from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.access.auth import set_password
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.storage.workspace import Workspace
from tests import reference_district

PASSWORD = "a long enough test password"  # noqa: S105  # test users only
LOGIN = "/api/v1/auth/login"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    tmp: Path = tmp_path_factory.mktemp("http_limits")
    ws, _ = init_workspace(Settings(home=tmp / "home", cookie_secure=False),
                           profiles=["huangpu"], actor="test", load_targets=False)
    files = reference_district.write_files(tmp / "in")  # entities and meters, no readings
    for kind in ("entities", "meters"):
        import_file(ws, kind, files[kind])
    create_user(ws, "admin", "district_admin")
    set_password(ws, "admin", PASSWORD)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture(scope="module")
def app(home: Workspace) -> FastAPI:
    return create_app(workspace=home)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def admin(home: Workspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(home, 'admin').token}"}


def _asgi(app: FastAPI, path: str, headers: dict[str, str],
          chunks: Iterator[bytes] | None) -> tuple[list[dict[str, Any]], int]:
    """Call the app directly: the messages it sent, and how many body chunks it pulled
    (``chunks`` None: pulling any fails the test)."""
    sent: list[dict[str, Any]] = []
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if chunks is None:
            pytest.fail("the body was read although its Content-Length is over the limit")
        pulled += 1
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 50000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    return sent, pulled


def _answer(sent: list[dict[str, Any]]) -> tuple[int, dict[bytes, bytes], bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


# -- High 1: bounded requests ------------------------------------------------------------------
def test_a_20_mb_sign_in_is_refused_before_its_body_is_read(app: FastAPI) -> None:
    sent, _ = _asgi(app, LOGIN, {"content-type": "application/json",
                                 "content-length": str(20_000_000)}, None)
    status, headers, body = _answer(sent)
    assert status == 413
    assert headers[b"connection"] == b"close"  # the server reads no more of it
    answer = json.loads(body)
    assert answer["code"] == "api.body.too_large"
    assert str(SIGN_IN_MAX_BYTES) in answer["detail"]
    assert "请求体超过上限" in answer["detail_zh"]


def test_a_streamed_sign_in_is_cut_off_at_the_limit(app: FastAPI) -> None:
    def endless() -> Iterator[bytes]:
        yield b'{"username": "admin", "password": "'
        while True:
            yield b"x" * 1024

    sent, pulled = _asgi(app, LOGIN, {"content-type": "application/json"}, endless())
    status, headers, body = _answer(sent)
    assert status == 413
    assert headers[b"connection"] == b"close"
    assert json.loads(body)["code"] == "api.body.too_large"
    assert pulled <= SIGN_IN_MAX_BYTES // 1024 + 2  # stopped right after the limit


def test_every_route_has_a_body_limit(home: Workspace, client: TestClient,
                                      admin: dict[str, str]) -> None:
    limit = home.settings.max_body_kb * 1024
    r = client.post("/api/v1/users", content=b"[" + b"1," * (limit // 2) + b"1]",
                    headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == f"the request body is larger than {limit} bytes; split it"
    # the feeds take up to the upload limit (a body over the default is no 413 there)
    big = b"meter_id,ts,value\n" + b"NOPE,2024-01-01T00:00,1\n" * (limit // 24 + 10)
    assert len(big) > limit
    r = client.post("/api/v1/readings", content=big,
                    headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 403, r.text[:300]  # read whole, then refused: no such meter
    assert "NOPE" in r.json()["detail"]


def test_a_refusal_never_echoes_the_input(client: TestClient, admin: dict[str, str]) -> None:
    secret = "S3cret-" + "A" * 3000
    r = client.post(LOGIN, json={"username": "admin", "password": secret})
    assert r.status_code == 422
    assert "AAAA" not in r.text
    assert "S3cret" not in r.text
    assert len(r.content) < 1000
    body = r.json()
    assert body["detail"][0]["loc"] == ["body", "password"]
    assert "input" not in body["detail"][0]
    # many problems: a count and the first few, not one echo per problem
    r = client.post("/api/v1/users", json={f"field{i}": i for i in range(500)},
                    headers=admin)
    assert r.status_code == 422
    assert r.json()["count"] >= 500
    assert len(r.json()["detail"]) == REFUSALS_SHOWN
    assert "field499" not in r.text


def test_large_json_bodies_are_parsed_off_the_event_loop(
        client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = api_responses.run_in_threadpool

    async def recording(func: Any, *args: Any) -> Any:
        calls.append(getattr(func, "__name__", str(func)))
        return await real(func, *args)

    monkeypatch.setattr(api_responses, "run_in_threadpool", recording)
    small = client.patch("/api/v1/users/nobody", json={"display_name": "x"}, headers=admin)
    assert small.status_code in (404, 422)
    assert calls == []
    big = client.patch("/api/v1/users/nobody", json={"display_name": "x" * 100_000},
                       headers=admin)
    assert big.status_code == 422, big.text
    assert calls == ["loads"]


# -- Low: nonsense that answered 500 -----------------------------------------------------------
@pytest.mark.parametrize("depth", [255, 600, 1023])
def test_deep_nesting_is_a_4xx(client: TestClient, admin: dict[str, str], depth: int) -> None:
    nested = "[" * depth + "]" * depth
    r = client.post(LOGIN, content=f'{{"username": {nested}, "password": "x"}}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    r = client.patch("/api/v1/users/admin", content=f'{{"display_name": {nested}}}',
                     headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]


def test_deeper_than_any_parser_goes_is_a_4xx(client: TestClient,
                                             admin: dict[str, str]) -> None:
    nested = "[" * 5000 + "]" * 5000
    r = client.patch("/api/v1/users/admin", content=f'{{"display_name": {nested}}}',
                     headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("body", [
    b'{"username": "\\ud800", "password": "x"}',
    b'{"username": "admin", "password": "abc\\udfff"}',
    b'{"username": "admin", "password": "x", "extra\\ud83d": 1}',
])
def test_a_lone_surrogate_is_a_422(client: TestClient, body: bytes) -> None:
    r = client.post(LOGIN, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == "json_invalid"


# -- Medium 6: slow clients are timed out; connections per client are bounded -------------------
def _serve_call(home: Workspace, args: list[str], monkeypatch: pytest.MonkeyPatch,
                **env: str) -> tuple[Any, dict[str, Any] | None]:
    """Run ``carbonpeak serve`` with uvicorn.run replaced: the CLI's result and the keyword
    arguments uvicorn was given (None: not started)."""
    import uvicorn
    from typer.testing import CliRunner

    from carbonpeak.cli import app as cli_app

    got: dict[str, Any] = {}

    def fake_run(target: str, **kwargs: Any) -> None:
        got.update(kwargs, target=target)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(cli_app, ["serve", *args], env={
        "CARBONPEAK_HOME": str(home.settings.home), **env})
    return result, (got or None)


def test_serve_gives_uvicorn_the_limits(home: Workspace,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from carbonpeak.api.server import BoundedLog, GuardedH11Protocol

    result, got = _serve_call(home, ["--port", "8123"], monkeypatch,
                              CARBONPEAK_HTTP_KEEPALIVE_S="7",
                              CARBONPEAK_HTTP_MAX_CONNECTIONS="300")
    assert result.exit_code == 0, result.output
    assert got is not None
    assert got["target"] == "carbonpeak.api.app:create_app"
    assert (got["host"], got["port"], got["factory"]) == ("127.0.0.1", 8123, True)
    assert got["http"] is GuardedH11Protocol
    assert got["timeout_keep_alive"] == 7
    assert got["limit_concurrency"] == 300
    assert got["proxy_headers"] is False  # X-Forwarded-For is the app's business
    filters = got["log_config"]["filters"]
    assert {f["()"] for f in filters.values()} == {BoundedLog}
    assert all(h["filters"] for h in got["log_config"]["handlers"].values())


def test_the_per_client_limit_is_shared_out_among_the_workers(
        home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker process counts its own connections: with ``--workers 3`` and a limit of 32,
    a client used to get 32 in each worker (96); now each worker takes ceil(32 / 3) = 11."""
    from carbonpeak.api.server import ConnectionLimits
    from carbonpeak.config import Settings

    monkeypatch.setenv("CARBONPEAK_HTTP_WORKERS", "1")  # restored after the test
    monkeypatch.setenv("CARBONPEAK_HTTP_MAX_CONNECTIONS_PER_CLIENT", "32")
    result, got = _serve_call(home, ["--workers", "3"], monkeypatch)
    assert result.exit_code == 0, result.output
    assert got is not None
    assert got["workers"] == 3
    # what a worker process started by uvicorn reads from the environment it inherits
    per_worker = ConnectionLimits.of(Settings()).max_per_client
    assert per_worker == 11
    assert per_worker * got["workers"] <= 32 + got["workers"] - 1
    result, got = _serve_call(home, [], monkeypatch)  # one worker: the whole limit
    assert ConnectionLimits.of(Settings()).max_per_client == 32


class _Loopback:
    """A uvicorn server on a free loopback port in a thread, with given connection limits."""

    def __init__(self, app: FastAPI, limits: Any) -> None:
        import socket
        import threading

        import uvicorn

        from carbonpeak.api.server import GuardedH11Protocol

        protocol = type("TestProtocol", (GuardedH11Protocol,), {"limits": limits})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, http=protocol, log_level="warning",
            lifespan="off", timeout_keep_alive=60))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Loopback:
        import time

        from tests.conftest import STARTUP_WAIT_S

        self.thread.start()
        deadline = time.monotonic() + STARTUP_WAIT_S
        while not self.server.started:
            assert time.monotonic() < deadline, "the loopback server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join()

    def connect(self) -> Any:
        import socket

        from tests.conftest import STARTUP_WAIT_S

        s = socket.create_connection(("127.0.0.1", self.port))
        s.settimeout(STARTUP_WAIT_S)
        return s


def _closed_by_server(sock: Any) -> bool:
    """Whether the server closed the connection without answering (reads until EOF)."""
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return True
    return data == b""


def _health(sock: Any) -> bytes:
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_half_sent_request_is_closed_after_the_timeout(app: FastAPI) -> None:
    from carbonpeak.api.server import ConnectionLimits

    with _Loopback(app, ConnectionLimits(header_timeout_s=0.3, body_timeout_s=0.3)) as srv:
        head = srv.connect()  # half a head, then nothing
        head.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n")
        body = srv.connect()  # a whole head, three of ten body bytes, then nothing
        body.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a")
        silent = srv.connect()  # connects and sends nothing
        assert _closed_by_server(head)
        assert _closed_by_server(body)
        assert _closed_by_server(silent)
        ok = srv.connect()  # a whole request is answered, and the keep-alive one after it
        assert _health(ok).startswith(b"HTTP/1.1 200")
        assert _health(ok).startswith(b"HTTP/1.1 200")
        for s in (head, body, silent, ok):
            s.close()


def test_one_client_gets_a_limited_number_of_connections(app: FastAPI) -> None:
    import time

    from carbonpeak.api.server import ConnectionLimits
    from tests.conftest import STARTUP_WAIT_S

    with _Loopback(app, ConnectionLimits(header_timeout_s=60, max_per_client=2)) as srv:
        first, second = srv.connect(), srv.connect()
        for s in (first, second):  # both open and answered: counted by the server
            assert _health(s).startswith(b"HTTP/1.1 200")
        third = srv.connect()
        assert _closed_by_server(third)
        first.close()  # one fewer: a new connection is served again
        deadline = time.monotonic() + STARTUP_WAIT_S
        while True:
            again = srv.connect()
            try:
                if _health(again).startswith(b"HTTP/1.1 200"):
                    break
            except ConnectionResetError:
                pass
            again.close()
            assert time.monotonic() < deadline, "the closed connection was never counted out"
            time.sleep(0.05)
        for s in (second, third, again):
            s.close()


def test_the_log_is_bounded() -> None:
    import logging

    from carbonpeak.api.server import BoundedLog

    now = [0.0]
    bounded = BoundedLog(per_second=5, burst=10, clock=lambda: now[0])

    def record(i: int) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1,
                                 f"Invalid HTTP request received. {i}", None, None)

    passed = [r for r in map(record, range(10_000)) if bounded.filter(r)]
    assert len(passed) == 10  # the burst, then nothing within the same instant
    now[0] = 1.0  # a second later: five more, the first saying how many were left out
    later = [r for r in map(record, range(10_000, 10_010)) if bounded.filter(r)]
    assert len(later) == 5
    assert later[0].getMessage().startswith("(9990 log lines left out) ")
    assert "left out" not in later[1].getMessage()


def test_asyncio_accept_errors_go_through_the_bounded_log() -> None:
    """With the file descriptors used up by half-sent requests from many addresses, asyncio
    logged every failed accept() with a traceback (9 MB in 15 s, benchmarks/bench_http_limits.py
    --half-sent): its logger goes to a bounded handler and not to the unbounded root."""
    from carbonpeak.api.server import BoundedLog, log_config
    from carbonpeak.config import Settings

    cfg = log_config(Settings())
    asyncio_logger = cfg["loggers"]["asyncio"]
    assert asyncio_logger["propagate"] is False
    for h in asyncio_logger["handlers"]:
        assert [cfg["filters"][f]["()"] for f in cfg["handlers"][h]["filters"]] == [BoundedLog]


# -- Medium 8: sign-in throttling that guesses cannot turn against a user ----------------------
def _attempts(home: Workspace) -> Any:
    from sqlalchemy import delete

    from carbonpeak.storage.registry.models import LoginAttempt

    with home.registry.session() as s:
        s.execute(delete(LoginAttempt))
    return LoginAttempt


def _try(home: Workspace, user: str, password: str, client: str) -> str:
    from carbonpeak.errors import AuthenticationError, RateLimited
    from carbonpeak.services.access.auth import sign_in

    try:
        sign_in(home, user, password, client=client)
    except RateLimited as exc:
        return f"429:{exc.retry_after}"
    except AuthenticationError:
        return "401"
    return "200"


def test_anonymous_guesses_do_not_lock_out_the_user(home: Workspace) -> None:
    _attempts(home)
    guesses = [_try(home, "admin", f"guess-{i}", "198.51.100.7") for i in range(7)]
    assert guesses[:5] == ["401"] * 5  # CARBONPEAK_LOGIN_MAX_FAILURES
    assert all(g.startswith("429:") for g in guesses[5:])  # that client is refused
    assert _try(home, "admin", PASSWORD, "198.51.100.7").startswith("429:")
    # the user, from an address that did not guess, signs in
    assert _try(home, "admin", PASSWORD, "203.0.113.9") == "200"
    # a second guessing address gets one guess on the account, then it is refused too
    assert _try(home, "admin", "guess-x", "192.0.2.44") == "401"
    assert _try(home, "admin", PASSWORD, "192.0.2.44").startswith("429:")
    _attempts(home)


def test_a_guessing_client_waits_longer_after_each_failure(
        home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from carbonpeak.services.access import auth

    _attempts(home)
    now = [auth.utcnow()]  # a stopped clock: the password checks take no time
    monkeypatch.setattr(auth, "utcnow", lambda: now[0])
    ws = dataclasses.replace(home, settings=home.settings.model_copy(
        update={"login_delay_after": 2}))  # (default 10: fewer Argon2 checks this way)
    client = "198.51.100.8"
    # other usernames each time: the account limit does not come into it
    free = [_try(ws, f"nobody{i}", "guess", client) for i in range(3)]
    assert free == ["401"] * 3
    waits = []
    for i in range(4):
        refused = _try(ws, f"other{i}", "guess", client)
        assert refused.startswith("429:")
        waits.append(int(refused.split(":")[1]))
        now[0] += dt.timedelta(seconds=waits[-1])  # the delay passes
        assert _try(ws, f"other{i}", "guess", client) == "401"
    assert waits == [1, 2, 4, 8]
    # another client is not slowed down by this one
    assert _try(ws, "admin", PASSWORD, "203.0.113.10") == "200"
    _attempts(home)


def test_x_forwarded_for_is_believed_only_from_configured_proxies(home: Workspace) -> None:
    from sqlalchemy import select

    attempt = _attempts(home)
    spoofed = {"X-Forwarded-For": "10.9.9.9"}
    # by default no proxy is trusted, loopback included: the peer's address counts
    loop = TestClient(create_app(workspace=home), client=("127.0.0.1", 40000))
    assert loop.post(LOGIN, json={"username": "ghost", "password": "x"},
                     headers=spoofed).status_code == 401
    # behind a configured proxy, the last address it did not add counts
    behind = dataclasses.replace(home, settings=home.settings.model_copy(
        update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"}))
    proxied = TestClient(create_app(workspace=behind), client=("127.0.0.1", 40001))
    assert proxied.post(LOGIN, json={"username": "ghost", "password": "x"}, headers={
        "X-Forwarded-For": "6.6.6.6, 198.51.100.20, 10.1.2.3"}).status_code == 401
    with home.registry.session() as s:
        clients = list(s.scalars(select(attempt.client).order_by(attempt.id)))
    assert clients == ["127.0.0.1", "198.51.100.20"]
    _attempts(home)


def test_failed_sign_ins_are_audit_logged(home: Workspace, client: TestClient) -> None:
    from sqlalchemy import select

    from carbonpeak.storage.registry.models import AuditLog

    _attempts(home)
    assert client.post(LOGIN, json={"username": "admin", "password": "wrong one"}
                       ).status_code == 401
    assert client.post(LOGIN, json={"username": "nosuchuser", "password": "x"}
                       ).status_code == 401
    with home.registry.session() as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == "sign_in_failed")
                              .order_by(AuditLog.id)))
    assert [(r.object_id, r.district_id, r.actor) for r in rows[-2:]] == [
        ("admin", "huangpu", "client:testclient"), ("nosuchuser", None, "client:testclient")]
    _attempts(home)


# -- Medium 11: the API docs are served locally, under the dashboard's CSP --------------------
def test_api_docs_are_served_locally_under_the_csp(client: TestClient) -> None:
    import re

    page = client.get("/api/v1/docs")
    assert page.status_code == 200, page.text[:300]
    csp = page.headers["content-security-policy"]
    assert csp == client.get("/").headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "cdn" not in page.text.lower()
    assert "//" not in page.text.replace("<!doctype html>", "")  # nothing from another host
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts
    assert all('src="/' in s for s in scripts)  # no inline script: the CSP allows none
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    for url in assets:
        r = client.get(url)
        assert r.status_code == 200, url
        assert len(r.content) > 100, url
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/docs" not in spec.json()["paths"]


def test_api_docs_without_npm_say_what_is_missing(home: Workspace, tmp_path: Path) -> None:
    bare = dataclasses.replace(home, settings=home.settings.model_copy(
        update={"vendor_dir": tmp_path}))
    r = TestClient(create_app(workspace=bare)).get("/api/v1/docs")
    assert r.status_code == 503
    assert "swagger-ui" in r.text
    assert "make setup" in r.text


# -- Low: the rest of the findings ---------------------------------------------------------------
@pytest.mark.parametrize(("base", "secure"), [
    ("http://testserver", True), ("http://carbon.example.gov.cn", True),
    ("https://127.0.0.1", True), ("http://127.0.0.1:8000", False),
    ("http://localhost:8000", False), ("http://[::1]:8000", False)])
def test_the_cookie_is_secure_by_default_except_on_loopback(home: Workspace, base: str,
                                                             secure: bool) -> None:
    default = dataclasses.replace(home, settings=home.settings.model_copy(
        update={"cookie_secure": None}))
    r = TestClient(create_app(workspace=default), base_url=base).post(
        LOGIN, json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    flags = [part.strip().lower() for part in r.headers["set-cookie"].split(";")]
    assert ("secure" in flags) is secure


def test_serve_warns_about_demo_users_and_refuses_to_go_public(
        home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from carbonpeak.services.access.users import DEMO_PASSWORD, set_active

    result, got = _serve_call(home, ["--public"], monkeypatch)
    assert result.exit_code == 0, result.output  # no demo users: it starts
    assert got is not None
    assert got["host"] == "0.0.0.0"  # noqa: S104
    create_user(home, "demo_viewer", "district_analyst")
    set_password(home, "demo_viewer", DEMO_PASSWORD)
    try:
        result, got = _serve_call(home, ["--public"], monkeypatch)
        assert result.exit_code == 2
        assert got is None  # never started
        assert "demo_viewer" in result.output
        result, got = _serve_call(home, [], monkeypatch)  # on loopback: started, warned
        assert result.exit_code == 0
        assert got is not None
        assert "警告" in result.output
        assert "demo_viewer" in result.output
    finally:
        set_active(home, "demo_viewer", False)
    result, got = _serve_call(home, ["--public"], monkeypatch)
    assert result.exit_code == 0  # deactivated: no longer a risk
    assert got is not None


def test_a_full_disk_answers_507(home: Workspace, client: TestClient, admin: dict[str, str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import pyarrow.parquet as pq
    from sqlalchemy import select

    from carbonpeak.storage.registry.models import IngestBatch

    def full(_table: Any, where: Any, **__: Any) -> None:
        Path(where).write_bytes(b"PAR1 half")  # the disk fills up mid-write
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    r = client.post("/api/v1/readings", json=[
        {"meter_id": "M1", "ts": "2024-03-01T08:00:00", "value": 12.5}], headers=admin)
    assert r.status_code == 507, r.text
    assert r.json()["code"] == "api.disk.full"
    assert "存储空间已满" in r.json()["detail_zh"]
    # the pending batch was swept at once: failed, with the reason, and no file of it left
    with home.registry.session() as s:
        b = s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc())).first()
        assert b is not None
        assert b.status == "failed"
        assert "No space left" in b.message
    assert not list(home.lake.root.rglob(f"b{b.id:08d}-*"))


@pytest.mark.parametrize(("password", "why"), [
    ("short pass1", "access.password.length"),  # 11 characters
    ("password1234", "access.password.common"), ("!!Password!!2024", "access.password.common"),
    ("qwertyqwerty", "access.password.common"), ("superman1234567", "access.password.common"),
    ("123456789012", "access.password.common"), ("aaaaaaaaaaaaaaaa", "access.password.common"),
    ("abababababab", "access.password.common"),
])
def test_passwords_are_12_characters_and_not_common(home: Workspace, password: str,
                                                     why: str) -> None:
    from carbonpeak.errors import InputValidationError

    with pytest.raises(InputValidationError) as refused:
        set_password(home, "admin", password)
    assert refused.value.errors[0].code == why
    assert refused.value.errors[0].text("zh").startswith("口令")


def test_an_uncommon_password_of_12_characters_is_taken(home: Workspace) -> None:
    from carbonpeak.services.access.users import common_passwords, is_common_password

    assert len(common_passwords()) == 556
    assert {"password", "qwerty", "superman"} <= common_passwords()
    for fine in ("tram 7 to Yuyuan", "Huangpu-peak-2030", PASSWORD):
        assert not is_common_password(fine)
    set_password(home, "admin", "tram 7 to Yuyuan")
    set_password(home, "admin", PASSWORD)


def test_a_password_change_to_a_common_one_is_a_422(client: TestClient) -> None:
    signed = client.post(LOGIN, json={"username": "admin", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    r = client.post("/api/v1/auth/password", json={
        "current_password": PASSWORD, "new_password": "Password2024!"},
        headers={"X-CSRF-Token": signed.json()["csrf_token"]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "access.password.common"
    client.cookies.clear()


def test_quality_answers_a_foreign_entity_as_an_unknown_one(home: Workspace,
                                                            client: TestClient) -> None:
    create_user(home, "officer_wt", "street_officer", street="waitan")  # 外滩: E1, B1, B4
    officer = {"Authorization": f"Bearer {issue_token(home, 'officer_wt').token}"}
    foreign = client.get("/api/v1/quality?entity=B2&month=2024-03", headers=officer)  # 豫园
    unknown = client.get("/api/v1/quality?entity=NOPE&month=2024-03", headers=officer)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert foreign.json()["code"] == "api.quality.no_entity"
    own = client.get("/api/v1/quality?entity=B1&month=2024-03", headers=officer)
    assert own.status_code == 200, own.text


def test_quality_needs_a_month_or_an_entity(client: TestClient, admin: dict[str, str]) -> None:
    for query in ("", "?year=2024", "?street=waitan"):
        r = client.get(f"/api/v1/quality{query}", headers=admin)
        assert r.status_code == 422, (query, r.text)
        assert r.json()["code"] == "api.quality.needs_filter"
        assert "月份" in r.json()["detail_zh"]
    assert client.get("/api/v1/quality?month=2024-03", headers=admin).status_code == 200
    assert client.get("/api/v1/quality?year=2024&entity=B1", headers=admin).status_code == 200
    unknown = client.get("/api/v1/quality?entity=NOPE&month=2024-03", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "api.quality.no_entity"


def test_refused_requests_are_audit_logged_at_a_bounded_rate(home: Workspace,
                                                             client: TestClient) -> None:
    from sqlalchemy import select

    from carbonpeak.storage.registry.models import AuditLog

    create_user(home, "feeder_b1", "data_feeder", entities=["B1"])
    feeder = {"Authorization": f"Bearer {issue_token(home, 'feeder_b1').token}"}
    for i in range(30):  # a scan of forbidden writes: one record, not thirty
        r = client.patch(f"/api/v1/users/someone{i}", json={"active": False}, headers=feeder)
        assert r.status_code == 403, r.text
    with home.registry.session() as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == "request_refused",
                                                     AuditLog.actor == "user:feeder_b1")))
    assert len(rows) == 1
    assert rows[0].object_id == "PATCH /api/v1/users/{username}"
    assert rows[0].district_id == "huangpu"
    assert rows[0].details["status"] == 403


def test_rate_limited_sign_ins_are_audit_logged_at_a_bounded_rate(home: Workspace,
                                                                  client: TestClient) -> None:
    """A 429 on sign-in leaves a trace like a 403 (issue 22): one entry per client and route
    a minute, however many guesses were refused."""
    from sqlalchemy import select

    from carbonpeak.storage.registry.models import AuditLog

    codes = [client.post("/api/v1/auth/login", json={"username": "nobody_here",
                                                     "password": "wrong-guess-x"}).status_code
             for _ in range(home.settings.login_max_failures + 10)]
    assert codes.count(429) >= 10
    assert set(codes) == {401, 429}
    with home.registry.session() as s:
        rows = list(s.scalars(select(AuditLog).where(
            AuditLog.action == "sign_in_rate_limited")))
    assert len(rows) == 1
    assert rows[0].object_id == "POST /api/v1/auth/login"
    assert rows[0].actor.startswith("client:")
    assert rows[0].details["status"] == 429


def test_the_refusal_audit_rate() -> None:
    from carbonpeak.api.app import RefusalAudit

    now = [0.0]
    gate = RefusalAudit(per_key_s=60, per_minute=3, clock=lambda: now[0])
    assert [gate.admit("user:a", "GET /x") for _ in range(5)] == [True] + [False] * 4
    assert gate.admit("user:a", "GET /y")
    assert gate.admit("user:b", "GET /x")
    assert not gate.admit("user:c", "GET /x")  # three a minute in all
    now[0] = 61.0
    assert gate.admit("user:a", "GET /x")  # a minute later: again
