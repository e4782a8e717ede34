#!/usr/bin/env python
"""Dashboard API benchmark: latency of the dashboard's calls under concurrent load.

One run, against one demo home of ``--buildings`` buildings (default 5,000):

1. **Home** - ``CARBONPEAK_HOME=benchmarks/data/api-<N> carbonpeak demo --no-serve
   --buildings N --years 2023-2024`` (generate, import, account 2023 and 2024, warnings,
   street boundaries, demo users), timed; reused when ``bench-build.json`` in the home says
   it was built with the same parameters (``--rebuild`` forces a new build).
2. **In process, uncached (the baseline)** - in a process of its own, against the same home:
   the seconds of ``data_version`` (the one registry query every cached request makes), of
   loading the run tables, and of each endpoint's computation with the answer cache bypassed
   (``carbonpeak.publish.dashboard._overview``, ``_map``, ... called directly; the run
   tables warm), its orjson serialisation, and the same call through the public function
   with the answer cached (what a warm request runs); ``--reps`` repetitions; a cProfile of
   the heaviest computations.
3. **HTTP under load** - ``carbonpeak serve --workers W`` for each ``--workers`` value; a
   second process (the load generator: ``--concurrency`` threads, one httpx client and
   keep-alive connection each) signs in as the district admin and as a street officer
   (``POST /api/v1/auth/login``, cookie ``cp_session``), sends one request per endpoint and
   role right after the server started (cold: empty caches), then, per endpoint and role,
   ``--warmup`` seconds of load (discarded) and ``--seconds`` seconds measured; then a mixed
   run where every client cycles through all the calls of both roles. The same again against
   a server whose answer cache is bypassed (``cached`` replaced by "compute every time", in
   the server's own processes; nothing in ``src`` changes): the HTTP baseline.

Per endpoint, role, workers and server: p50, p95, p99, max (ms), requests/s, errors (any
answer other than 200, and transport errors), response size; CPU seconds of the server
(all its processes), of the load generator and of the rest of the machine.

Results: a rich table, ``benchmarks/results/bench_api-<timestamp>.json`` and the generated
block of the section "Dashboard API under load (issue 5)" in ``docs/benchmarks.md``.

Rerun: ``.venv/bin/python benchmarks/bench_api.py --workers 1 2``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOC = REPO / "docs" / "benchmarks.md"
CLI = Path(sys.executable).with_name("carbonpeak")
PROFILE = "huangpu"
PASSWORD = "carbonpeak-demo"  # noqa: S105  # the demo users' password (demo homes only)
BEGIN, END = "<!-- bench_api:begin -->", "<!-- bench_api:end -->"
SECTION = "## Dashboard API under load (issue 5) (`benchmarks/bench_api.py`)"
AIM_MS = 100.0
AIM_ENDPOINTS = ("overview", "map", "map_month")
# name -> path template ({month}: June of the last year, {entity}: an entity of the officer's
# street, visible to both roles)
ENDPOINTS: dict[str, str] = {
    "overview": "/api/v1/dashboard/overview",
    "map": "/api/v1/map",
    "map_month": "/api/v1/map?month={month}",
    "streets": "/api/v1/dashboard/streets",
    "key_units": "/api/v1/key-units",
    "entity": "/api/v1/dashboard/entities/{entity}",
    "targets": "/api/v1/targets",
    "warnings": "/api/v1/warnings",
    "me": "/api/v1/auth/me",  # a floor: no dashboard work, the session check and small reads
}
console = Console(width=None if sys.stdout.isatty() else 160)


def log(msg: str) -> None:
    console.log(msg)


# -- 1. the home ----------------------------------------------------------------------------
def migrations_digest() -> str:
    """SHA-256 of the registry migrations: a home built under other migrations is rebuilt
    (a migration edited in place would otherwise leave it with an older schema)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((REPO / "src" / "carbonpeak" / "registry" / "migrations").rglob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:16]


def build_params(args: argparse.Namespace) -> dict[str, Any]:
    return {"profile": PROFILE, "buildings": args.buildings, "years": args.years,
            "seed": args.seed, "migrations": migrations_digest()}


def build_home(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """``carbonpeak demo --no-serve`` into ``home`` (or reuse it when built with the same
    parameters); the build's seconds go to ``home/bench-build.json``, its output (each line
    with the seconds since the start) to ``home/bench-build.log``."""
    marker = home / "bench-build.json"
    params = build_params(args)
    if marker.exists() and not args.rebuild:
        info: dict[str, Any] = json.loads(marker.read_text())
        if info.get("params") == params and info.get("returncode") == 0:
            log(f"reusing {home} (built {info['date']} in {info['seconds']:.0f} s)")
            return info | {"reused": True}
    if home.exists():
        log(f"removing {home} (other parameters, --rebuild, or an unfinished build)")
        shutil.rmtree(home)
    home.mkdir(parents=True)
    cmd = [str(CLI), "demo", "--no-serve", "--profile", PROFILE, "--buildings",
           str(args.buildings), "--years", args.years, "--seed", str(args.seed)]
    log(f"building the home: CARBONPEAK_HOME={home} carbonpeak {' '.join(cmd[1:])}")
    env = {**os.environ, "CARBONPEAK_HOME": str(home), "COLUMNS": "120"}
    env.pop("CARBONPEAK_DATABASE_URL", None)
    t0 = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # the demo's own progress, with the time since the start
            lines.append(f"[{time.perf_counter() - t0:8.1f} s] {line.rstrip()}")
            console.out(lines[-1], highlight=False)
        rc = proc.wait()
    seconds = time.perf_counter() - t0
    (home / "bench-build.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    info = {"params": params, "date": dt.date.today().isoformat(), "seconds": seconds,
            "returncode": rc,
            "command": f"CARBONPEAK_HOME={home.relative_to(REPO)} carbonpeak "
            + " ".join(cmd[1:])}
    marker.write_text(json.dumps(info, indent=2))
    if rc != 0:
        msg = (f"carbonpeak demo failed (exit {rc}) after {seconds:.0f} s; "
               f"see {home}/bench-build.log")
        raise RuntimeError(msg)
    log(f"built in {seconds:.0f} s")
    return info | {"reused": False}


# -- helpers --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_cpu(pids: list[int]) -> float:
    return sum(cpu_of(p) for p in pids)


def machine_cpu() -> float:
    """CPU seconds all processes of the machine spent so far (busy time from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4)) / os.sysconf(
        "SC_CLK_TCK")


def wait_idle(limit_s: float, share: float = 0.15) -> float:
    """Wait (up to ``limit_s``) for a second in which all processes together keep the CPUs
    less than ``share`` busy (the server is idle then: it is between runs); the seconds
    waited."""
    t0 = time.perf_counter()
    cpus = os.cpu_count() or 1
    while time.perf_counter() - t0 < limit_s:
        b0 = machine_cpu()
        time.sleep(1.0)
        if (machine_cpu() - b0) / cpus < share:
            break
    return time.perf_counter() - t0


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def stats(lat_s: list[float]) -> dict[str, float | None]:
    import numpy as np

    if not lat_s:
        return dict.fromkeys(("p50", "p95", "p99", "max", "mean", "min"))
    a = np.asarray(lat_s) * 1000.0
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(a.max()),
            "mean": float(a.mean()), "min": float(a.min())}


def timed(fn: Callable[[], Any], reps: int) -> tuple[list[float], Any]:
    out, value = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        value = fn()
        out.append(time.perf_counter() - t0)
    return out, value


def home_settings(home: Path) -> Any:
    from carbonpeak.config import Settings

    return Settings(home=home, database_url=None)


# -- 2. in process: facts, uncached computation, serialisation, cache hits ---------------------
def pick_context(ws: Any) -> dict[str, Any]:
    """The street officer (the demo's first), an entity of its street for the entity page
    (the one with the most meters, ties by id), the last accounted year and its June."""
    from sqlalchemy import func, select

    from carbonpeak.publish.dashboard import account_years
    from carbonpeak.storage.registry.models import Entity, Meter, User

    with ws.registry.session() as s:
        officer = s.scalars(select(User).where(User.role == "street_officer",
                                               User.district_id == PROFILE)
                            .order_by(User.id)).first()
        admin = s.scalars(select(User).where(User.role == "district_admin",
                                             User.district_id == PROFILE)
                          .order_by(User.id)).first()
        if officer is None or admin is None:
            msg = "the home has no demo admin or street officer (was it built by the demo?)"
            raise RuntimeError(msg)
        entity = s.execute(select(Entity.id, func.count(Meter.id).label("n"))
                           .join(Meter, Meter.entity_id == Entity.id)
                           .where(Entity.street_id == officer.street_id)
                           .group_by(Entity.id).order_by(func.count(Meter.id).desc(), Entity.id)
                           ).first()
        users = {"admin": admin.username, "street": officer.username}
    years = account_years(ws, PROFILE)
    return {"users": users, "entity": entity[0] if entity else None,
            "entity_meters": int(entity[1]) if entity else 0,
            "year": years[-1], "years": years, "month": f"{years[-1]}-06"}


def home_facts(ws: Any) -> dict[str, Any]:
    import duckdb
    from sqlalchemy import func, select

    from carbonpeak.storage.registry.models import (
        AccountRun,
        AuditLog,
        EarlyWarning,
        Entity,
        Meter,
        Street,
        User,
    )

    with ws.registry.session() as s:
        kinds = {str(k): int(n) for k, n in s.execute(
            select(Entity.kind, func.count()).group_by(Entity.kind))}
        facts: dict[str, Any] = {
            "entities": sum(kinds.values()), "entities_by_kind": kinds,
            "key_units": int(s.scalar(select(func.count()).select_from(Entity).where(
                Entity.is_key_unit.is_(True))) or 0),
            "meters": int(s.scalar(select(func.count()).select_from(Meter)) or 0),
            "streets": int(s.scalar(select(func.count()).select_from(Street)) or 0),
            "account_runs": int(s.scalar(select(func.count()).select_from(AccountRun)) or 0),
            "warnings": int(s.scalar(select(func.count()).select_from(EarlyWarning)) or 0),
            "audit_rows": int(s.scalar(select(func.count()).select_from(AuditLog)) or 0),
            "users": int(s.scalar(select(func.count()).select_from(User)) or 0),
        }
    files = [str(p) for p in ws.lake.live_files(PROFILE, "readings")]
    facts["lake_files"] = len(files)
    facts["lake_bytes"] = sum(Path(f).stat().st_size for f in files)
    facts["readings"] = 0
    if files:
        rel = duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r}, hive_partitioning=false)")
        assert rel is not None
        facts["readings"] = int(rel.fetchall()[0][0])
    reg = ws.settings.home / "registry.sqlite"
    facts["registry_bytes"] = reg.stat().st_size if reg.exists() else None
    return facts


def endpoint_calls(ws: Any, ctx: dict[str, Any], role: str,
                   ) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """Per endpoint: (uncached computation, the request's own work with the cache warm) -
    each returns the JSON-ready answer, as the route builds it (before serialisation)."""
    from carbonpeak.api.responses import page
    from carbonpeak.api.routes.targets import _list_targets, _list_warnings
    from carbonpeak.publish import dashboard as d
    from carbonpeak.services.access.scope import scope_of
    from carbonpeak.services.access.users import principal_for

    p = principal_for(ws, ctx["users"][role])
    scope = scope_of(ws, p)
    year, years, month, eid = ctx["year"], ctx["years"], ctx["month"], ctx["entity"]
    tile = ws.settings.map_tile_url

    def map_hit(m: str | None) -> Any:
        from carbonpeak.api.routes import dashboard as rd

        if not hasattr(rd, "_encoded"):  # the route serialises the cached answer each time
            return d.map_layers(ws, scope_of(ws, p), None, m, tile)
        sc = scope_of(ws, p)  # the route caches the encoded and gzipped answer
        payload = d.cached(ws, ("map-payload", sc.key(), None, m, tile),
                           lambda: rd._encoded(d.map_layers(ws, sc, None, m, tile)))
        return RawJson(payload[1])

    def targets() -> dict[str, Any]:
        rows = _list_targets(ws, p, None, None, None, None)
        out: dict[str, Any] = page(rows, 500, 0, year=None,
                                   years=d.account_years(ws, p.district_id))
        return out

    def warnings() -> dict[str, Any]:
        out: dict[str, Any] = _list_warnings(ws, p, year=None, level=None, scope_type=None,
                                             metric=None, limit=50, offset=0)
        out["years"] = d.account_years(ws, p.district_id)
        return out

    return {
        "overview": (lambda: d._overview(ws, scope, year, years),
                     lambda: d.overview(ws, scope_of(ws, p), None)),
        "map": (lambda: d._map(ws, scope, year, None, years) | {"tile_url": tile},
                partial(map_hit, None)),
        "map_month": (lambda: d._map(ws, scope, year, month, years) | {"tile_url": tile},
                      partial(map_hit, month)),
        "streets": (lambda: d._street_comparison(ws, scope, year, years),
                    lambda: d.street_comparison(ws, scope_of(ws, p), None)),
        "key_units": (lambda: page(d._key_units(ws, scope, year), 50, 0),
                      lambda: page(d.key_units(ws, scope_of(ws, p), None), 50, 0)),
        "entity": (lambda: d._entity_page(ws, scope, d.entities_frame(ws, p.district_id), eid,
                                          year, years),
                   lambda: d.entity_page(ws, scope_of(ws, p), eid, None)),
        "targets": (targets, targets),  # not cached by the server: the same work
        "warnings": (warnings, warnings),
    }


class RawJson(bytes):
    """An answer that is already encoded (serialising it is a no-op)."""


def _body(v: Any) -> bytes:
    from carbonpeak.api.responses import fast_json

    return bytes(v) if isinstance(v, RawJson) else bytes(fast_json(v).body)


def _profile_top(fn: Callable[[], Any], n: int = 14) -> list[str]:
    import cProfile
    import pstats
    import re

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(60)
    lines = s.getvalue().splitlines()
    start = next((i for i, x in enumerate(lines) if x.strip().startswith("ncalls")), 0)
    rows = [re.sub(r"\s+", " ", x.strip()) for x in lines[start + 1:] if x.strip()]
    keep = [r for r in rows if "carbonpeak" in r or "pandas" in r or "sqlalchemy/orm" in r
            or "orjson" in r or "sqlite3" in r]
    return keep[:n]


def phase_inproc(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    from carbonpeak.publish import dashboard as d
    from carbonpeak.services.access.auth import session_principal, sign_in
    from carbonpeak.services.access.scope import scope_of
    from carbonpeak.services.access.users import principal_for
    from carbonpeak.storage.workspace import Workspace

    ws = Workspace.open(home_settings(home), actor="bench")
    out: dict[str, Any] = {"reps": args.reps}
    try:
        log("in process: facts of the home")
        out["facts"] = home_facts(ws)
        ctx = pick_context(ws)
        out["context"] = ctx
        out["waited_idle_s"] = wait_idle(args.wait_idle)
        r, _ = timed(lambda: d.data_version(ws), 200)
        out["data_version_ms"] = stats(r)
        r, _ = timed(lambda: d.account_years(ws, PROFILE), 50)
        out["account_years_ms"] = stats(r)
        r, _ = timed(lambda: d.entities_frame(ws, PROFILE), args.reps)
        out["entities_frame_ms"] = stats(r)
        sess = {role: sign_in(ws, u, PASSWORD, client="bench-inproc").session_token
                for role, u in ctx["users"].items()}
        out["session_principal_ms"] = {
            role: stats(timed(partial(session_principal, ws, tok), 100)[0])
            for role, tok in sess.items()}
        out["scope_of_ms"] = {
            role: stats(timed(partial(lambda u: scope_of(ws, principal_for(ws, u)), u),
                              50)[0])
            for role, u in ctx["users"].items()}
        with ws.registry.session() as s:
            run, prev = d.official_run(s, PROFILE, ctx["year"]), \
                d.official_run(s, PROFILE, ctx["year"] - 1)
            s.expunge_all()
        loads = []
        for _ in range(3):
            d._RUN_TABLES.items.clear()
            t0 = time.perf_counter()
            for rr in (run, prev):
                if rr is not None:
                    d._run_tables(ws, rr)
            loads.append(time.perf_counter() - t0)
        out["run_tables_load_ms"] = stats(loads)
        t = d._run_tables(ws, run)
        out["run_tables_rows"] = {k: len(v) for k, v in t.items()}
        out["endpoints"] = {}
        for role in ctx["users"]:
            calls = endpoint_calls(ws, ctx, role)
            for name, (compute, hit) in calls.items():
                log(f"in process: {name} as {role} x{args.reps}")
                comp, data = timed(compute, args.reps)
                ser, body = timed(partial(_body, data), args.reps)
                hit()  # fill the answer cache
                hits, _ = timed(partial(lambda h: _body(h()), hit), max(args.reps, 20))
                out["endpoints"][f"{role}:{name}"] = {
                    "compute_ms": stats(comp), "serialise_ms": stats(ser),
                    "cached_request_ms": stats(hits), "bytes": len(body)}
        out["profiles"] = {}
        calls = endpoint_calls(ws, ctx, "admin")
        for name in ("overview", "map", "entity", "targets"):
            out["profiles"][f"admin:{name}"] = _profile_top(calls[name][0])
        for tok in sess.values():  # sign out again (sessions only; the audit rows stay)
            from carbonpeak.services.access.auth import end_session

            end_session(ws, tok)
    finally:
        ws.close()
    return out


# -- 3. HTTP: the server --------------------------------------------------------------------
def nocache_app() -> Any:
    """The API with the dashboard's answer cache bypassed (``data_version`` is still read,
    as each cached request does; the run tables stay cached): the HTTP baseline."""
    from carbonpeak.api.app import create_app
    from carbonpeak.publish import dashboard

    def compute_every_time(ws: Any, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        dashboard.data_version(ws)
        return compute()

    dashboard.cached = compute_every_time
    return create_app()


def serve_variant(mode: str, port: int, workers: int) -> None:
    """``carbonpeak serve`` as the CLI runs it (log level info: the access log is on there
    too), with the answer cache bypassed (``nocache``) or TCP_NODELAY set (``nodelay``)."""
    import uvicorn

    from carbonpeak.api.server import NoDelayH11Protocol  # what `carbonpeak serve` uses

    sys.path.insert(0, str(BENCH_DIR))
    if mode == "nocache":
        uvicorn.run("bench_api:nocache_app", factory=True, host="127.0.0.1", port=port,
                    workers=workers, log_level="info", app_dir=str(BENCH_DIR),
                    http=NoDelayH11Protocol)
    else:
        uvicorn.run("carbonpeak.api.app:create_app", factory=True, host="127.0.0.1",
                    port=port, workers=workers, log_level="info", http=NoDelayH11Protocol)


class Server:
    """``carbonpeak serve`` (``cached``: as shipped), or a variant of it (``nocache``,
    ``nodelay``: :func:`serve_variant`), on a free loopback port."""

    def __init__(self, home: Path, workers: int, mode: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.mode, self.log_path = workers, mode, log_path
        self.env = {**os.environ, "CARBONPEAK_HOME": str(home)}
        self.env.pop("CARBONPEAK_DATABASE_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_s = 0.0

    def start(self) -> None:
        import httpx

        if self.mode == "cached":
            cmd = [str(CLI), "serve", "--port", str(self.port), "--workers", str(self.workers)]
        else:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", "serve",
                   "--mode", self.mode, "--port", str(self.port), "--workers",
                   str(self.workers)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.log_path.open("wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=fh, stderr=subprocess.STDOUT)
        fh.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                msg = f"the server exited ({self.proc.returncode}); see {self.log_path}"
                raise RuntimeError(msg)
            try:
                # with several workers, wait until each has started
                if (httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200
                        and len(proc_tree(self.proc.pid))
                        >= 1 + (self.workers > 1) * self.workers):
                    self.start_s = time.perf_counter() - t0
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        msg = "the server did not answer /api/v1/health within 120 s"
        raise RuntimeError(msg)

    def stop(self) -> None:
        """SIGTERM to the server's main process (uvicorn stops its workers), then make sure
        no process of its tree is left (by PID)."""
        if self.proc is None:
            return
        tree = proc_tree(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in tree[1:]:
            if Path(f"/proc/{pid}").exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)


# -- 3. HTTP: the load generator (a process of its own) ---------------------------------------
def _login(url: str, username: str) -> str:
    import httpx

    r = httpx.post(f"{url}/api/v1/auth/login", json={"username": username,
                                                       "password": PASSWORD}, timeout=60)
    if r.status_code != 200 or "cp_session" not in r.cookies:
        msg = f"sign-in of {username} failed: {r.status_code} {r.text[:200]}"
        raise RuntimeError(msg)
    return str(r.cookies["cp_session"])


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, float, float, int, int]] = []  # key, start, s, status, bytes

    def add(self, key: str, start: float, sec: float, status: int, size: int) -> None:
        with self.lock:
            self.rows.append((key, start, sec, status, size))


WIRE: dict[str, int] = {}  # path -> bytes on the wire of the last answer (gzip when sent so)


def _request(c: Any, path: str) -> tuple[float, int, int, str]:
    """One GET (httpx asks for gzip, as browsers do); seconds, status, body bytes (decoded),
    error text."""
    import httpx

    t0 = time.perf_counter()
    try:
        r = c.get(path)
        body = r.content
        sec = time.perf_counter() - t0
        WIRE[path] = r.num_bytes_downloaded
        return sec, r.status_code, len(body), \
            "" if r.status_code == 200 else body[:200].decode(errors="replace")
    except httpx.HTTPError as exc:
        return time.perf_counter() - t0, 0, 0, f"{type(exc).__name__}: {exc}"


def _load(url: str, cookies: dict[str, str], plan: list[tuple[str, str, str]], clients: int,
          warmup: float, seconds: float, server_pids: list[int]) -> dict[str, Any]:
    """``clients`` threads; thread i sends plan[(i + k) % len(plan)] (role, key, path) for
    k = 0, 1, ... until the end; the first ``warmup`` seconds are not recorded."""
    import httpx

    rec, warm = Recorder(), Recorder()
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    t_start: list[float] = []

    def client(i: int) -> None:
        conns = {role: httpx.Client(base_url=url, timeout=300,
                                    headers={"Cookie": f"cp_session={tok}"})
                 for role, tok in cookies.items() if any(p[0] == role for p in plan)}
        try:
            barrier.wait()
            t0 = t_start[0]
            k = i
            while True:
                now = time.perf_counter() - t0
                if now >= warmup + seconds:
                    return
                role, key, path = plan[k % len(plan)]
                k += 1
                sec, status, size, err = _request(conns[role], path)
                (rec if now >= warmup else warm).add(f"{role}:{key}", now, sec, status, size)
                if err:
                    with rec.lock:
                        errors.append(f"{role}:{key} {status} {err}")
        finally:
            for c in conns.values():
                c.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    t_start.append(time.perf_counter())
    barrier.wait()
    time.sleep(warmup)
    cpu0 = (tree_cpu(server_pids), own_cpu(), machine_cpu(), time.perf_counter())
    for th in threads:
        th.join()
    cpu1 = (tree_cpu(server_pids), own_cpu(), machine_cpu(), time.perf_counter())
    wall = cpu1[3] - cpu0[3]
    out: dict[str, Any] = {"clients": clients, "warmup_s": warmup, "seconds": wall,
                           "server_cpu_s": cpu1[0] - cpu0[0], "client_cpu_s": cpu1[1] - cpu0[1],
                           "machine_cpu_s": cpu1[2] - cpu0[2], "errors_sample": errors[:5],
                           "by_key": {}}
    out["others_cpu_s"] = out["machine_cpu_s"] - out["server_cpu_s"] - out["client_cpu_s"]
    keys = sorted({r[0] for r in rec.rows} | {r[0] for r in warm.rows})
    for key in keys:
        rows = [r for r in rec.rows if r[0] == key]
        w = [r for r in warm.rows if r[0] == key]
        st = stats([r[2] for r in rows])
        sizes = sorted(r[4] for r in rows if r[3] == 200)
        out["by_key"][key] = st | {
            "n": len(rows), "rps": len(rows) / wall if wall else None,
            "errors": sum(1 for r in rows if r[3] != 200),
            "statuses": sorted({r[3] for r in rows}),
            "bytes": sizes[len(sizes) // 2] if sizes else None,
            "warmup_n": len(w), "warmup_max": stats([r[2] for r in w])["max"],
            "warmup_errors": sum(1 for r in w if r[3] != 200)}
    return out


def phase_load(spec_path: Path) -> dict[str, Any]:
    import httpx

    spec = json.loads(spec_path.read_text())
    url, pids = spec["url"], spec["server_pids"]
    cookies = {role: _login(url, u) for role, u in spec["users"].items()}
    paths = spec["paths"]
    out: dict[str, Any] = {"first": {}, "runs": {}}
    # cold: one request per endpoint and role, right after the start, in a fixed order
    for role in spec["users"]:
        with httpx.Client(base_url=url, timeout=300,
                          headers={"Cookie": f"cp_session={cookies[role]}"}) as c:
            for key, path in paths.items():
                sec, status, size, err = _request(c, path)
                out["first"][f"{role}:{key}"] = {"ms": sec * 1000.0, "status": status,
                                                 "bytes": size, "error": err}
                log(f"  first {role}:{key}: {sec * 1000:.0f} ms ({status}, {size:,} B)")
    for role in spec["users"]:
        for key, path in paths.items():
            waited = wait_idle(spec["wait_idle"])
            res = _load(url, cookies, [(role, key, path)], spec["clients"], spec["warmup"],
                        spec["seconds"], pids)
            res["waited_idle_s"] = waited
            res["by_key"][f"{role}:{key}"]["wire_bytes"] = WIRE.get(path)
            out["runs"][f"{role}:{key}"] = res
            st = res["by_key"][f"{role}:{key}"]
            log(f"  {role}:{key}: n {st['n']}, p50 {_ms(st['p50'])} ms, p95 {_ms(st['p95'])} ms, "
                f"p99 {_ms(st['p99'])} ms, {st['rps']:.1f} req/s, errors {st['errors']}")
    if spec["mixed_seconds"] > 0:
        wait_idle(spec["wait_idle"])
        plan = [(role, key, path) for key, path in paths.items() for role in spec["users"]]
        out["mixed"] = _load(url, cookies, plan, spec["clients"], spec["warmup"],
                             spec["mixed_seconds"], pids)
        log(f"  mixed: {sum(v['n'] for v in out['mixed']['by_key'].values())} requests, "
            f"errors {sum(v['errors'] for v in out['mixed']['by_key'].values())}")
    return out


def http_config(args: argparse.Namespace, home: Path, ctx: dict[str, Any], mode: str,
                workers: int, stamp: str) -> dict[str, Any]:
    paths = {k: v.format(month=ctx["month"], entity=ctx["entity"]) for k, v in ENDPOINTS.items()}
    server = Server(home, workers, mode, BENCH_DIR / "results" /
                    f"bench_api-{stamp}-server-{mode}-w{workers}.log")
    log(f"HTTP, {mode} server, {workers} worker(s): starting")
    server.start()
    try:
        assert server.proc is not None
        pids = proc_tree(server.proc.pid)
        log(f"server up in {server.start_s:.1f} s on {server.url} (pids {pids})")
        spec = {"url": server.url, "server_pids": pids, "users": ctx["users"], "paths": paths,
                "clients": args.concurrency, "warmup": args.warmup, "seconds": args.seconds,
                "mixed_seconds": args.mixed_seconds, "wait_idle": args.wait_idle}
        spec_path = BENCH_DIR / "results" / f"bench_api-{stamp}-spec-{mode}-w{workers}.json"
        spec_path.write_text(json.dumps(spec, indent=2))
        out_path = spec_path.with_name(spec_path.name.replace("-spec-", "-load-"))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", "load", "--spec",
               str(spec_path), "--phase-out", str(out_path)]
        subprocess.run(cmd, check=True)
        res: dict[str, Any] = json.loads(out_path.read_text())
        spec_path.unlink()
        out_path.unlink()
        res |= {"mode": mode, "workers": workers, "server_start_s": server.start_s,
                "paths": paths, "server_rss_mib": _rss_mib(pids)}
        return res
    finally:
        server.stop()
        log(f"server stopped ({mode}, {workers} worker(s))")


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# -- report ---------------------------------------------------------------------------------
def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 1:
        return f"{v:.2f}"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def _wire(st: dict[str, Any]) -> str:
    w = st.get("wire_bytes")
    return f" ({_size(w)} sent)" if w and st["bytes"] and w < 0.9 * st["bytes"] else ""


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:,.0f} KiB"


def load_rows(res: dict[str, Any], mode: str) -> list[list[str]]:
    rows = []
    for cfg in res["http"]:
        if cfg["mode"] != mode:
            continue
        for key, run in cfg["runs"].items():
            st = run["by_key"][key]
            role, name = key.split(":")
            first = cfg["first"].get(key, {})
            cpu = run["server_cpu_s"] * 1000.0 / st["n"] if st["n"] else None
            others = max(run["others_cpu_s"], 0.0) / run["seconds"] if run["seconds"] else 0.0
            rows.append([str(cfg["workers"]), role, name, f"{st['n']:,}", _ms(st["p50"]),
                         _ms(st["p95"]), _ms(st["p99"]), _ms(st["max"]), f"{st['rps']:.1f}",
                         _ms(cpu), f"{others:.2f}", str(st["errors"] + st["warmup_errors"]),
                         _size(st["bytes"]) + _wire(st), _ms(first.get("ms"))])
    return rows


LOAD_HEAD = ["workers", "role", "endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms",
             "req/s", "server CPU ms/req", "others CPUs", "errors", "size",
             "first request ms"]


def cold_rows(res: dict[str, Any]) -> list[list[str]]:
    """endpoint x role: uncached compute + serialise (in process), cached request (in
    process), HTTP first request, HTTP p50/p95 warm and with the cache bypassed (workers 1)."""
    ip = res["inproc"]["endpoints"]

    def http(mode: str, key: str, field: str) -> float | None:
        for cfg in res["http"]:
            if cfg["mode"] == mode and cfg["workers"] == res["baseline_workers"]:
                if field == "first":
                    return float(cfg["first"][key]["ms"])
                return float(cfg["runs"][key]["by_key"][key][field])
        return None

    rows = []
    for key, v in ip.items():
        role, name = key.split(":")
        rows.append([role, name, _ms(v["compute_ms"]["p50"]), _ms(v["serialise_ms"]["p50"]),
                     _ms(v["cached_request_ms"]["p50"]), _ms(http("cached", key, "first")),
                     _ms(http("nocache", key, "p50")), _ms(http("nocache", key, "p95")),
                     _ms(http("cached", key, "p50")), _ms(http("cached", key, "p95"))])
    return rows


COLD_HEAD = ["role", "endpoint", "uncached compute ms", "serialise ms", "cached call ms",
             "HTTP first request ms", "HTTP no-cache p50", "HTTP no-cache p95",
             "HTTP cached p50", "HTTP cached p95"]


def aim(res: dict[str, Any], mode: str = "cached") -> dict[str, Any]:
    out = {}
    for cfg in res["http"]:
        if cfg["mode"] != mode:
            continue
        worst = {k: cfg["runs"][k]["by_key"][k]["p95"] for k in cfg["runs"]
                 if k.split(":")[1] in AIM_ENDPOINTS}
        out[str(cfg["workers"])] = {"met": all(v is not None and v < AIM_MS
                                               for v in worst.values()),
                                    "p95_ms": worst}
    return out


def print_tables(res: dict[str, Any]) -> None:
    for mode, title in (("cached", "HTTP under load (the server as shipped)"),
                        ("nodelay", "HTTP under load, TCP_NODELAY set on accepted connections"),
                        ("nocache", "HTTP under load, answer cache bypassed (baseline)")):
        t = Table(title=f"{title}; {res['concurrency']} clients, {res['seconds']:.0f} s each")
        for c in LOAD_HEAD:
            t.add_column(c, justify="left" if c in ("role", "endpoint") else "right")
        rows = load_rows(res, mode)
        for row in rows:
            t.add_row(*row)
        if rows:
            console.print(t)
    t = Table(title=f"Cold (uncached) vs warm, workers {res['baseline_workers']} (ms, p50 "
              f"unless said)")
    for c in COLD_HEAD:
        t.add_column(c, justify="left" if c in ("role", "endpoint") else "right")
    for row in cold_rows(res):
        t.add_row(*row)
    console.print(t)
    ip = res["inproc"]
    console.print(f"data_version: p50 {ip['data_version_ms']['p50']:.2f} ms, p95 "
                  f"{ip['data_version_ms']['p95']:.2f} ms; run tables load "
                  f"{ip['run_tables_load_ms']['p50']:.0f} ms; entities_frame "
                  f"{ip['entities_frame_ms']['p50']:.1f} ms")
    for w, a in aim(res).items():
        console.print(f"aim p95 < {AIM_MS:.0f} ms (overview, map) with {w} worker(s): "
                      f"{'met' if a['met'] else 'NOT met'} "
                      + ", ".join(f"{k} {_ms(v)}" for k, v in a["p95_ms"].items()))


def _md(head: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---" if h in ("role", "endpoint") else "---:" for h in head]
    return ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def doc_block(res: dict[str, Any]) -> str:
    f, ip, b = res["inproc"]["facts"], res["inproc"], res["build"]
    ctx = ip["context"]
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(f["entities_by_kind"].items()))
    lines = [
        BEGIN,
        f"Run {res['date']}; machine: {res['machine']['cpus']} cores ({res['machine']['cpu']}), "
        f"{res['machine']['mem_gib']:.0f} GiB RAM, {res['machine']['platform']}; Python "
        f"{res['versions']['python']}, uvicorn {res['versions']['uvicorn']}, FastAPI "
        f"{res['versions']['fastapi']}, h11 (no httptools, no uvloop), SQLite registry; code "
        f"at commit {res['git']['commit'][:7]}"
        + (f" with {len(res['git']['dirty_src'])} uncommitted or untracked file(s) under src/ "
           "(listed in the JSON result)" if res["git"]["dirty_src"] else "") + ". Rerun:",
        "",
        "```sh",
        f".venv/bin/python benchmarks/bench_api.py {res['argv']}".rstrip(),
        "```",
        "",
        f"Data: `{b['command']}` - {f['entities']:,} entities ({kinds}), "
        f"{f['key_units']:,} key units, {f['meters']:,} meters, {f['readings']:,} readings in "
        f"{f['lake_files']} live Parquet files ({f['lake_bytes'] / 2**20:,.0f} MiB), "
        f"{f['streets']} streets, {f['warnings']:,} early warnings, {f['account_runs']} account "
        f"runs; run tables of {ctx['year']}: "
        + ", ".join(f"{k} {n:,} rows" for k, n in ip["run_tables_rows"].items()) + ". "
        f"Build: {b['seconds'] / 60:.1f} min ({b['seconds']:,.0f} s"
        + (f", built {b['date']} and reused by this run" if b.get("reused") else "") + ").",
        "",
        f"Load: a second process, {res['concurrency']} threads with one httpx client "
        "(keep-alive connection) each, signed in with the session cookie as `admin` "
        f"(district) and `{ctx['users']['street']}` (street officer); per endpoint and role "
        f"{res['warmup']:.0f} s of load not recorded, then {res['seconds']:.0f} s measured. "
        f"Entity page: `{ctx['entity']}` ({ctx['entity_meters']} meters); month: "
        f"{ctx['month']}. *first request* = the first request of each endpoint after the "
        "server started (cold caches; in the order of the table, the admin's first, so the "
        "first one also loads the run tables - with 2 workers, each worker process on its first "
        "request); *server CPU ms/req* = CPU seconds of all the "
        "server's processes during the measured run / requests; *others CPUs* = CPUs (of "
        f"{res['machine']['cpus']}) that other processes of this shared machine took during "
        "the run (above ~0.3 the figures of that row are disturbed); errors = answers other than "
        "200 (warm-up included). Endpoints: "
        + ", ".join(f"{k} = `GET {v.format(month=ctx['month'], entity=ctx['entity'])}`"
                    for k, v in ENDPOINTS.items())
        + " (`me` does no dashboard work - the session check, twice, and three one-row "
        "registry reads - and serves as the floor of a signed-in request).",
        "",
        "**Warm: the server as shipped (answers cached per data version)**",
        "",
        *_md(LOAD_HEAD, load_rows(res, "cached")),
        "",
        *(["**The same, with TCP_NODELAY set on each accepted connection** (uvicorn's h11 "
            "protocol subclassed in `carbonpeak.api.server.NoDelayH11Protocol`; with "
            "`--workers` > 1 uvicorn "
            "binds the listening socket with `proto` 0 and asyncio then leaves Nagle's "
            "algorithm on)", "", *_md(LOAD_HEAD, load_rows(res, "nodelay")), ""]
          if load_rows(res, "nodelay") else []),
        "**Baseline: the same server with the answer cache bypassed** (`cached` replaced by "
        "compute-every-time in the server's processes; the run tables stay in memory)",
        "",
        *_md(LOAD_HEAD, load_rows(res, "nocache")),
        "",
        f"**Cold vs warm side by side** (ms, medians; in process = {ip['reps']} calls in one "
        f"process against the same home, no HTTP; HTTP columns with "
        f"{res['baseline_workers']} worker(s)): *uncached compute* = the endpoint's function "
        "with the answer cache bypassed (e.g. `dashboard._overview`, `_map`; run tables "
        "warm); *serialise* = `fast_json` of the answer (orjson); *cached call* = the public "
        "function with the answer cached + serialise (`scope_of`, `data_version`, ...: what a "
        "warm request runs besides authentication and HTTP).",
        "",
        *_md(COLD_HEAD, cold_rows(res)),
        "",
        f"Other costs in process (p50): `data_version` (the registry query of every cached "
        f"request) {ip['data_version_ms']['p50']:.2f} ms (p95 {ip['data_version_ms']['p95']:.2f}); "
        "`session_principal` (cookie check, every request) "
        + ", ".join(f"{r} {v['p50']:.2f} ms" for r, v in ip["session_principal_ms"].items())
        + "; `scope_of` " + ", ".join(f"{r} {v['p50']:.2f} ms"
                                      for r, v in ip["scope_of_ms"].items())
        + f"; `entities_frame` {ip['entities_frame_ms']['p50']:.1f} ms; loading the run "
        f"tables of {ctx['year']} and {ctx['year'] - 1} {ip['run_tables_load_ms']['p50']:,.0f} "
        "ms (once per process and run).",
        "",
    ]
    for cfg in res["http"]:
        runs = list(cfg["runs"].values())
        srv = sum(r["server_cpu_s"] for r in runs)
        cli = sum(r["client_cpu_s"] for r in runs)
        oth = sum(r["others_cpu_s"] for r in runs)
        wall = sum(r["seconds"] for r in runs)
        lines.append(
            f"- {cfg['mode']} server, {cfg['workers']} worker(s): started in "
            f"{cfg['server_start_s']:.1f} s; RSS at the end {cfg['server_rss_mib']:,.0f} MiB; "
            f"during the measured runs the server used {srv / wall:.2f} CPUs, the load "
            f"generator {cli / wall:.2f}, other processes {max(oth, 0) / wall:.2f} (of "
            f"{res['machine']['cpus']})" + _mixed_line(cfg) + ".")
    lines.append("")
    for mode, label in (("cached", ""), ("nodelay", " with TCP_NODELAY set")):
        for w, a in aim(res, mode).items():
            lines.append(f"**Aim (p95 < {AIM_MS:.0f} ms for overview and map), {w} worker(s)"
                         f"{label}: {'met' if a['met'] else 'not met'}** - p95 "
                         + ", ".join(f"{k} {_ms(v)} ms" for k, v in a["p95_ms"].items()) + ".")
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _mixed_line(cfg: dict[str, Any]) -> str:
    m = cfg.get("mixed")
    if not m:
        return ""
    by = m["by_key"]
    n = sum(v["n"] for v in by.values())
    err = sum(v["errors"] + v["warmup_errors"] for v in by.values())
    worst = max(by.items(), key=lambda kv: kv[1]["p95"] or 0)
    return (f"; mixed run (every client cycling through all calls of both roles, "
            f"{m['seconds']:.0f} s): {n:,} requests, {n / m['seconds']:.1f} req/s, {err} "
            "errors, p95 " + ", ".join(f"{k} {_ms(v['p95'])}" for k, v in by.items()
                                       if k.split(':')[1] in AIM_ENDPOINTS)
            + f" ms, worst p95 {worst[0]} {_ms(worst[1]['p95'])} ms")


def update_doc(res: dict[str, Any], path: Path = DOC) -> None:
    """Replace the generated block of the section (or append the section at the end)."""
    text = path.read_text(encoding="utf-8")
    block = doc_block(res)
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# -- main -----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(terse=True),
            "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30}


def git_state() -> dict[str, Any]:
    """The commit and the uncommitted files under src/ (read-only git commands)."""
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines()]
    return {"commit": git("rev-parse", "HEAD"), "dirty_src": dirty}


def versions() -> dict[str, str]:
    import fastapi
    import httpx
    import uvicorn

    return {"python": platform.python_version(), "fastapi": fastapi.__version__,
            "uvicorn": uvicorn.__version__, "httpx": httpx.__version__}


def run_phase(name: str, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    out = BENCH_DIR / "results" / f"bench_api-phase-{name}-{os.getpid()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--phase-out",
           str(out), "--buildings", str(args.buildings), "--reps", str(args.reps),
           "--wait-idle", str(args.wait_idle), *extra]
    subprocess.run(cmd, check=True)
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return data


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--buildings", type=int, default=5000, help="buildings of the demo home")
    p.add_argument("--years", default="2023-2024", help="years of the demo home")
    p.add_argument("--seed", type=int, default=7, help="seed of the demo home")
    p.add_argument("--rebuild", action="store_true", help="build the home again")
    p.add_argument("--workers", type=int, nargs="+", default=[1],
                   help="server worker processes; one HTTP run per value")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="measured seconds per endpoint and role")
    p.add_argument("--warmup", type=float, default=2.0,
                   help="seconds of load before each measured run (not recorded)")
    p.add_argument("--mixed-seconds", type=float, default=20.0,
                   help="seconds of the mixed run (0: none)")
    p.add_argument("--reps", type=int, default=5, help="repetitions of the in-process calls")
    p.add_argument("--wait-idle", type=float, default=15.0,
                   help="before each HTTP run, wait up to this many seconds for a second in "
                   "which the machine is < 15%% busy (the machine may be shared); 0 = no wait")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the HTTP runs with the answer cache bypassed")
    p.add_argument("--build-only", action="store_true", help="build (or check) the home only")
    p.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    p.add_argument("--no-nodelay", action="store_true",
                   help="skip the runs of --workers > 1 with TCP_NODELAY set")
    p.add_argument("--phase", choices=["inproc", "load", "serve"], help=argparse.SUPPRESS)
    p.add_argument("--mode", choices=["nocache", "nodelay"], help=argparse.SUPPRESS)
    p.add_argument("--phase-out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    home = BENCH_DIR / "data" / f"api-{args.buildings}"
    if args.phase == "serve":
        serve_variant(args.mode, args.port, args.workers[0])
        return 0
    if args.phase:
        data = phase_inproc(args, home) if args.phase == "inproc" else phase_load(args.spec)
        args.phase_out.write_text(json.dumps(data, indent=2, default=str))
        return 0
    t0 = time.perf_counter()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    build = build_home(args, home)
    if args.build_only:
        return 0
    log("in process: uncached computation, serialisation and cache hits")
    inproc = run_phase("inproc", args, [])
    res: dict[str, Any] = {
        "benchmark": "api", "date": dt.date.today().isoformat(), "stamp": stamp,
        "argv": " ".join(argv), "buildings": args.buildings, "years": args.years,
        "concurrency": args.concurrency, "seconds": args.seconds, "warmup": args.warmup,
        "mixed_seconds": args.mixed_seconds, "machine": machine(), "versions": versions(),
        "git": git_state(),
        "build": build, "inproc": inproc, "http": [], "baseline_workers": args.workers[0],
    }
    configs = [("cached", w) for w in args.workers]
    if not args.no_nodelay:
        configs += [("nodelay", w) for w in args.workers if w > 1]
    if not args.no_baseline:
        configs += [("nocache", w) for w in args.workers]
    for mode, w in configs:
        res["http"].append(http_config(args, home, inproc["context"], mode, w, stamp))
    res["aim"] = {"cached": aim(res), "nodelay": aim(res, "nodelay")}
    res["driver_wall_s"] = time.perf_counter() - t0
    out = BENCH_DIR / "results" / f"bench_api-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str))
    print_tables(res)
    if not args.no_doc and not args.no_baseline:
        update_doc(res)
    log(f"results: {out}" + ("" if args.no_doc or args.no_baseline else f"; {DOC}"))
    errors = sum(st["errors"] + st["warmup_errors"] for cfg in res["http"]
                 for run in cfg["runs"].values() for st in run["by_key"].values())
    if errors:
        log(f"ERROR: {errors} request(s) did not answer 200")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
