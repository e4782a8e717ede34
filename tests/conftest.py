"""Shared fixtures: a carbonpeak home on SQLite and, for the contract tests, on PostgreSQL.

Most tests run on SQLite only. The contract suite (repositories, migrations, scope SQL, the
role matrices, anything dialect-specific such as NUL bytes, races and locks) also runs on
PostgreSQL when ``CARBONPEAK_TEST_DATABASE_URL`` is set (CI sets it). A test using the
``database_url`` fixture (and so ``settings`` and ``ws``) keeps its PostgreSQL case only when
it, its class or its module is marked ``pytest.mark.contract``. The API worlds that modules
build once over ``BACKENDS`` (module fixtures: the role matrices, scope SQL and generated
requests of each area) always run on both: their tests depend on one another's state.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.workspace import Workspace

# The session cookie is Secure by default except to a loopback host; the test client speaks
# plain HTTP to "testserver", so the tests' homes send it without (tests/test_http_limits.py
# checks the default with the setting given explicitly).
os.environ.setdefault("CARBONPEAK_COOKIE_SECURE", "false")

# Property tests search randomly on a developer's machine, to find new failing cases; CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) replays a fixed sequence so that a landing does not
# depend on the draw. A case found locally is fixed in the code, then kept with @example.
# Neither has a deadline: Hypothesis's default (200 ms a case) is a wall-clock limit, which
# fails on a loaded machine (a budget allocation case took 259 ms at load 20).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PG_URL = os.environ.get("CARBONPEAK_TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="CARBONPEAK_TEST_DATABASE_URL not set (CI sets it to the PostgreSQL "
        "on 127.0.0.1:5432)")),
]


@contextmanager
def registry_url(backend: str, folder: Path) -> Iterator[str]:
    """A fresh registry database for ``backend``: a SQLite file in ``folder``, or a new
    PostgreSQL schema (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.sqlite'}"
        return
    assert PG_URL
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"cp_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# A fresh SQLite registry is a copy of one migrated once per worker process, not a new run of
# every migration (about 1 s each, dozens of times per module): the same bytes that
# ``Registry.upgrade`` writes, since the template is made by it. tests/test_migrations.py
# migrates for real (marked ``real_migrations``), and so does every child process.
_real_upgrade = Registry.upgrade
_template: list[Path] = []
_migrate_for_real = [False]


def _template_upgrade(self: Registry) -> None:
    database = self.engine.url.database
    if (_migrate_for_real[0] or self.engine.dialect.name != "sqlite" or not database
            or database == ":memory:" or (Path(database).exists()
                                          and Path(database).stat().st_size > 0)):
        _real_upgrade(self)
        return
    if not _template:
        folder = Path(tempfile.mkdtemp(prefix="cp-registry-template-"))
        template = Registry(f"sqlite:///{folder / 'registry.sqlite'}")
        _real_upgrade(template)
        template.engine.dispose()
        _template.append(folder / "registry.sqlite")
    self.engine.dispose()
    shutil.copyfile(_template[0], database)


Registry.upgrade = _template_upgrade  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _real_migrations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked ``real_migrations`` run every migration, as ``carbonpeak init`` does."""
    _migrate_for_real[0] = request.node.get_closest_marker("real_migrations") is not None
    yield
    _migrate_for_real[0] = False


#: how long a test waits for a server or a child process to come up: machines are shared, and
#: a busy 2-core machine has taken more than 30 s to start one
STARTUP_WAIT_S = 120


#: the slowest modules, longest first, by their seconds (setup + call + teardown) in a full
#: run's --durations (2026-12-07; test_spark and test_api_schemas corrected for what has
#: changed since: Spark's planning off in tests, and the wait for the demo); the rest follow
#: in their usual order (a stable sort). The first, test_browser, builds the shared demo
#: (about a minute, in a child process); the second reads no demo, so neither worker waits
#: for it. The order holds only with ``--no-loadscope-reorder`` (make test): by default
#: pytest-xdist re-sorts the modules by their number of tests, which put the few long
#: Spark and browser tests at the end, on one worker.
LONGEST_FIRST = ("test_browser", "test_feeds_reliability", "test_pv_browser", "test_web_api",
                 "test_whitepaper", "test_supervision_writes_browser", "test_fuzz_feeds",
                 "test_spark", "test_api_schemas", "test_targets_api", "test_mqtt",
                 "test_mv_opendsm", "test_map_and_reference", "test_drilldown", "test_upload",
                 "test_figures", "test_lake", "test_retrofits", "test_feeds_api",
                 "test_benchmarking", "test_vpp_browser", "test_supervision_browser",
                 "test_commissioning_pipeline", "test_properties", "test_reports",
                 "test_disclosure_browser", "test_cli", "test_incremental_account",
                 "test_http_limits", "test_cli_language", "test_edge_cases", "test_disclosure",
                 "test_audits", "test_cli_demo_language", "test_whitepaper_language",
                 "test_lake_s3", "test_intake_kernel", "test_plausibility", "test_city",
                 "test_quality", "test_plan_pipelines", "test_lake_lock", "test_cli_plan",
                 "test_excel", "test_migrations", "test_commissioning", "test_supervision",
                 "test_vpp", "test_projects", "test_supervision_api", "test_exports", "test_pv")


def pytest_configure(config: pytest.Config) -> None:
    """Keep :data:`LONGEST_FIRST` in force under ``--dist loadscope`` however pytest is
    called (as ``--no-loadscope-reorder`` in make test)."""
    if getattr(config.option, "loadscopereorder", None):
        config.option.loadscopereorder = False


def _is_postgres_case(item: pytest.Item) -> bool:
    """A PostgreSQL case: of the function-scoped ``database_url`` fixture, or of a module's
    world built over ``BACKENDS``."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        isinstance(v, str) and v == "postgresql" for v in callspec.params.values())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the PostgreSQL cases of the contract tests only (dialect-specific: the registry's
    transactions and constraints, scope SQL, role matrices, generated requests); the rest run
    on SQLite. A module's world over ``BACKENDS`` is built on PostgreSQL only if one of its
    contract tests asks for it."""
    kept, dropped = [], []
    for item in items:
        if _is_postgres_case(item) and item.get_closest_marker("contract") is None:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # pytest-xdist (--dist loadscope) runs a module whole, in order, on one worker, and hands
    # out modules in collection order: the longest first, so the two cores finish together
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    kept.sort(key=lambda item: rank.get(item.nodeid.split("::")[0].rpartition("/")[2][:-3],
                                        len(rank)))
    items[:] = kept


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh registry database: a SQLite file, or (contract tests) a new PostgreSQL
    schema."""
    with registry_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


# A home that many tests start from (``ws``, and the districts some modules import into it) is
# built once per worker process and copied for each test: the registry file, the home and
# whatever else the build wrote beside them, to the same places under the test's folder (the
# lake and the registry keep paths relative to the home, so a copy is a home of its own, as
# ``demo_copy`` relies on). Only on SQLite, with a local lake and the usual layout
# (``settings``: the home and ``registry.sqlite`` side by side); otherwise it is built in place.
_home_templates: dict[str, Path] = {}


def _init_huangpu(settings: Settings) -> Workspace:
    workspace, _ = init_workspace(settings, profiles=["huangpu"], actor="test",
                                  load_targets=False)
    return workspace


def home_from_template(settings: Settings, tmp_path_factory: pytest.TempPathFactory,
                       key: str = "huangpu",
                       build: Callable[[Workspace, Path], None] | None = None) -> Workspace:
    """``init_workspace`` with Huangpu (no target catalogue, actor ``test``) in ``settings``,
    then ``build(ws, folder)`` with ``folder`` the home's parent (``tmp_path`` for the usual
    ``settings``); the result is the same as building it there, but is built once per worker
    process under ``key`` and copied."""
    folder = settings.home.parent
    database = sa.engine.make_url(settings.url).database if settings.url.startswith(
        "sqlite") else None
    if (settings.lake_url or _migrate_for_real[0] or database is None
            or Path(database) != folder / "registry.sqlite"
            or Path(database).exists() or settings.home.exists()):
        workspace = _init_huangpu(settings)
        if build is not None:
            build(workspace, folder)
        return workspace
    if key not in _home_templates:
        template = tmp_path_factory.mktemp(f"home-template-{key}")
        built = _init_huangpu(settings.model_copy(update={
            "home": template / "home",
            "database_url": f"sqlite:///{template / 'registry.sqlite'}"}))
        try:
            if build is not None:
                build(built, template)
        finally:
            built.close()  # the last connection closed: the WAL is checkpointed into the file
        _home_templates[key] = template
    shutil.copytree(_home_templates[key], folder, dirs_exist_ok=True)
    return Workspace.open(settings, actor="test", check=False)


@pytest.fixture
def ws(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """An initialised home with the Huangpu district (without its target catalogue, which
    ``carbonpeak init`` loads; tests of targets load it themselves): a copy of one built once
    per worker (:func:`home_from_template`)."""
    workspace = home_from_template(settings, tmp_path_factory)
    yield workspace
    workspace.close()


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write a small CSV (dedented) and return its path."""
    path = folder / name
    lines = [line.strip() for line in text.strip().splitlines()]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@dataclass(frozen=True)
class DemoCopy:
    """A copy of the 20-building demo in a home of its own, and what the demo printed."""

    home: Path
    printed: str


def demo_copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> DemoCopy:
    """``carbonpeak demo --no-serve --buildings 20`` (SQLite), built once per test run and
    shared by the modules that read it, on every pytest-xdist worker (a file lock lets one
    build it; the others wait); each caller gets its own copy in a fresh home, to change as
    it likes."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    shared = root / "demo-20"
    with (root / "demo-20.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").exists():
            shutil.rmtree(shared, ignore_errors=True)
            (shared / "home").mkdir(parents=True)
            env = {**os.environ, "CARBONPEAK_HOME": str(shared / "home"), "COLUMNS": "200",
                   "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
            env.pop("CARBONPEAK_DATABASE_URL", None)
            built = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "carbonpeak", "demo", "--no-serve", "--buildings", "20"],
                env=env, capture_output=True, text=True, timeout=900, check=False)
            assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
            (shared / "printed.txt").write_text(built.stdout, encoding="utf-8")
            (shared / "built").touch()
    home = tmp_path_factory.mktemp(name)
    shutil.copytree(shared / "home", home, dirs_exist_ok=True)
    return DemoCopy(home, (shared / "printed.txt").read_text(encoding="utf-8"))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a child process: SIGTERM, then SIGKILL if it has not ended within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """``carbonpeak serve`` with ``env`` on a free loopback port, until the block ends; yields
    its base URL once ``/api/v1/health`` answers (within :data:`STARTUP_WAIT_S`)."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "carbonpeak", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_WAIT_S
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("carbonpeak serve did not start")
            time.sleep(0.1)
        yield url
    finally:
        stop(proc)


def openapi_schema(app: Any) -> Any:
    """The app's OpenAPI document as a schemathesis schema. Loading it has schemathesis's 10 s
    request timeout by default, which a busy shared machine has exceeded; it gets the start-up
    wait instead."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, timeout=STARTUP_WAIT_S)
