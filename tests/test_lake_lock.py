"""The lake lock across processes and hosts.

Two processes take the lake lock; the second is seen waiting (in ``pg_locks`` on PostgreSQL,
in ``/proc/locks`` for the file lock) while the first holds it, and enters only after the
first has left: the log's order is the evidence, not a clock.

On PostgreSQL the two processes use *different* lake folders (two hosts, each with its own
``.lock`` file) and one registry: only the advisory lock can serialise them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import carbonpeak
from tests.conftest import BACKENDS, STARTUP_WAIT_S, registry_url, stop

pytestmark = pytest.mark.contract

CHILD = """
import os, pathlib, sys, time
from carbonpeak.storage.lake.store import Lake
from carbonpeak.storage.registry.db import Registry

root, url, log, name, release = sys.argv[1:]
registry = Registry(url)
lake = Lake(pathlib.Path(root), registry)

def note(what):
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{name} {what}\\n")
        fh.flush()
        os.fsync(fh.fileno())

note("waiting")
with lake.locked():
    note("enter")
    while not pathlib.Path(release).exists():
        time.sleep(0.02)
    note("exit")
registry.dispose()
"""


def _lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def _until(what: str, done: Callable[[], bool], procs: list[subprocess.Popen[bytes]],
           log: Path) -> None:
    """Wait for ``done`` (up to the shared start-up wait: machines are shared); fail at once
    if B gets in while A holds the lock."""
    end = time.monotonic() + STARTUP_WAIT_S
    while not done():
        assert "B enter" not in _lines(log), "B took the lock while A held it"
        for p in procs:
            assert p.poll() is None or p.returncode == 0, f"a child failed while waiting {what}"
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _start(root: Path, url: str, log: Path, name: str,
           release: Path) -> subprocess.Popen[bytes]:
    src = str(Path(carbonpeak.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [src, str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(root), url, str(log), name,
                             str(release)], env=env)


def _waiting_on_advisory_lock(url: str) -> bool:
    """Whether a backend waits for the lake's advisory lock of this registry's schema."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            key = conn.execute(sa.text(
                "SELECT hashtextextended('carbonpeak.lake' || ':' || current_schema(), 0)"
            )).scalar_one()
            n = conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).scalar_one()
    finally:
        engine.dispose()
    return int(n) > 0


def _waiting_on_flock(pid: int) -> bool:
    """Whether process ``pid`` waits for a file lock (``->`` lines of ``/proc/locks``)."""
    text = Path("/proc/locks").read_text(encoding="utf-8")
    return any("->" in line and " FLOCK " in line and f" {pid} " in line
               for line in text.splitlines())


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_take_the_lake_lock_in_turn(backend: str, tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    release_a, release_b = tmp_path / "release-a", tmp_path / "release-b"
    release_b.touch()  # B leaves as soon as it is in
    with registry_url(backend, tmp_path) as url:
        pg = backend == "postgresql"
        # PostgreSQL: two hosts, each with its own lake folder (its own .lock); SQLite: one
        root_a = tmp_path / ("host-a" if pg else "shared") / "lake"
        root_b = tmp_path / ("host-b" if pg else "shared") / "lake"
        procs: list[subprocess.Popen[bytes]] = []
        try:
            procs.append(_start(root_a, url, log, "A", release_a))
            _until("A to hold the lock", lambda: "A enter" in _lines(log), procs, log)
            procs.append(_start(root_b, url, log, "B", release_b))
            b_pid = procs[1].pid
            blocked = (lambda: _waiting_on_advisory_lock(url)) if pg else (
                lambda: _waiting_on_flock(b_pid))
            _until("B to wait for the lock", lambda: "B waiting" in _lines(log) and blocked(),
                   procs, log)
            assert "B enter" not in _lines(log)  # B is blocked while A holds the lock
            release_a.touch()
            for p in procs:
                assert p.wait(timeout=STARTUP_WAIT_S) == 0
        finally:
            for p in procs:
                stop(p)  # type: ignore[arg-type]
    assert _lines(log) == ["A waiting", "A enter", "B waiting", "A exit", "B enter", "B exit"]
