"""The browser tests' fixtures: Debian's Chromium driven by Playwright against ``carbonpeak
serve`` over a copy of the run's 20-building demo home (each module serves its own copy).

A module here gets ``demo``, ``browser``, ``context`` and ``page`` as fixtures, and imports
the helpers (``sign_in``, ``shot``, ``api_get`` …) from this file. Without /usr/bin/chromium the
folder is not collected unless ``CARBONPEAK_REQUIRE_BROWSER`` is set (CI sets it, so a missing
browser fails there). Screenshots go to ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CARBONPEAK_REQUIRE_BROWSER"):
    # no browser here and none required: the modules of this folder are not collected
    collect_ignore_glob = ["test_*.py"]

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    sync_playwright,
)

from tests.conftest import demo_copy, serving  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/browser/ is two below)
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "carbonpeak-demo"  # noqa: S105  # the demo users' password (demo homes only)
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]
ROLES = {"admin": "district_admin", "analyst": "district_analyst",
         "manager": "entity_manager"}
TIMEOUT_MS = 60_000  # a page on a shared, loaded 2-core machine can take 15 s to settle


@dataclass
class Demo:
    """A served demo home: its URL and its demo users."""

    url: str
    home: Path
    street_officers: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``carbonpeak demo --no-serve --buildings 20`` into a temporary home, then
    ``carbonpeak serve`` on a free port until the module ends."""
    copy = demo_copy(tmp_path_factory, "browser-home")
    home = copy.home
    env = {**os.environ, "CARBONPEAK_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CARBONPEAK_DATABASE_URL", None)
    # the demo prints its users: "│ street_waitan │ street_officer │ 外滩街道 │ …"
    officers = re.findall(r"(street_[a-z0-9_]+)\s*│\s*街道专员", copy.printed)
    assert len(officers) >= 2, copy.printed[-3000:]
    with serving(env) as url:
        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200, (
            f"the dashboard is not served ({page.status_code}): run `make setup` (npm ci "
            "--prefix frontend) so that ECharts and MapLibre GL are in frontend/node_modules")
        yield Demo(url=url, home=home, street_officers=officers)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """Every request URL and every console error or uncaught exception of a page."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    def request(self, req: Request) -> None:
        self.requests.append(req.url)

    def page_error(self, exc: Exception) -> None:
        self.errors.append(f"pageerror: {exc}")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                              accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    p = context.new_page()
    watch = Watch()
    p.on("console", watch.console)
    p.on("pageerror", watch.page_error)
    p.on("request", watch.request)
    p.watch = watch  # type: ignore[attr-defined]
    return p


def _watch(page: Page) -> Watch:
    w: Watch = page.watch  # type: ignore[attr-defined]
    return w


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def sign_in(page: Page, demo: Demo, username: str, password: str = PASSWORD,
            hash_: str = "#/overview") -> None:
    """Sign in through the form (the page opens on the sign-in form)."""
    page.goto(f"{demo.url}/{hash_}")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def api_sign_in(context: BrowserContext, demo: Demo, username: str) -> dict[str, Any]:
    """Sign in with the context's cookie jar (no form): the page then opens signed in."""
    r = context.request.post(f"{demo.url}/api/v1/auth/login",
                             data={"username": username, "password": PASSWORD})
    assert r.status == 200, r.text()
    body: dict[str, Any] = r.json()
    return body


def api_get(page: Page, demo: Demo, path: str) -> Any:
    """GET an API path with the page's session cookie."""
    r = page.request.get(f"{demo.url}/api/v1{path}")
    assert r.status == 200, f"{path}: {r.status} {r.text()[:300]}"
    return r.json()


def wait_loaded(page: Page) -> None:
    page.wait_for_selector("#view [data-testid=loading]", state="detached")


def value_of(page: Page, testid: str) -> float:
    raw = page.get_by_test_id(testid).first.get_attribute("data-value")
    assert raw not in (None, ""), f"{testid} has no data-value"
    return float(str(raw))
