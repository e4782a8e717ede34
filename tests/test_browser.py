"""The dashboard (驾驶舱) in a real browser: Debian's Chromium driven by Playwright against
``carbonpeak serve`` over a small demo home.

Skipped only when /usr/bin/chromium is missing and ``CARBONPEAK_REQUIRE_BROWSER`` is unset (CI
sets it, so a missing browser fails there). Screenshots go to ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CARBONPEAK_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (/usr/bin/chromium); set CARBONPEAK_REQUIRE_BROWSER "
                "to make this a failure", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "carbonpeak-demo"  # noqa: S105  # the demo users' password (demo homes only)
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]
ROLES = {"admin": "district_admin", "analyst": "district_analyst",
         "manager": "entity_manager"}
TIMEOUT_MS = 15_000


@dataclass
class Demo:
    """A served demo home: its URL and its demo users."""

    url: str
    home: Path
    street_officers: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``carbonpeak demo --no-serve --buildings 20`` into a temporary home, then
    ``carbonpeak serve`` on a free port until the module ends."""
    home = tmp_path_factory.mktemp("browser-home")
    env = {**os.environ, "CARBONPEAK_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CARBONPEAK_DATABASE_URL", None)
    built = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "carbonpeak", "demo", "--no-serve", "--buildings", "20"],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    # the demo prints its users: "│ street_waitan │ street_officer │ 外滩街道 │ …"
    officers = re.findall(r"(street_[a-z0-9_]+)\s*│\s*street_officer\b", built.stdout)
    assert len(officers) >= 2, built.stdout[-3000:]
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "carbonpeak", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("carbonpeak serve did not start")
            time.sleep(0.1)
        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200, (
            f"the dashboard is not served ({page.status_code}): run `make setup` (npm ci "
            "--prefix frontend) so that ECharts and MapLibre GL are in frontend/node_modules")
        yield Demo(url=url, home=home, street_officers=officers)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


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


# -- sign-in -----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["admin", "analyst", "street", "manager"])
def test_sign_in_shows_the_role(page: Page, demo: Demo, who: str) -> None:
    username = demo.street_officers[0] if who == "street" else who
    role = "street_officer" if who == "street" else ROLES[who]
    sign_in(page, demo, username)
    badge = page.get_by_test_id("user-role")
    badge.wait_for()
    assert badge.get_attribute("data-role") == role
    assert badge.inner_text().strip() in {"区管理员", "区分析员", "街道专员", "单位管理员"}
    me = api_get(page, demo, "/auth/me")
    assert me["user"]["username"] == username
    assert me["user"]["role"] == role
    if who == "street":
        assert me["user"]["street_name_zh"] in page.get_by_test_id("user-scope").inner_text()
    wait_loaded(page)
    assert page.get_by_test_id("kpi-energy").count() == 1
    shot(page, f"test_sign_in_{who}")


def test_wrong_password_shows_the_error_and_no_data(page: Page, demo: Demo) -> None:
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as resp:
        sign_in(page, demo, "analyst", "not-the-password")
    assert resp.value.status == 401
    err = page.get_by_test_id("login-error")
    err.wait_for()
    assert "用户名或密码错误" in err.inner_text()
    assert page.get_by_test_id("user-role").count() == 0
    assert page.locator("[data-value]").count() == 0
    assert page.request.get(f"{demo.url}/api/v1/dashboard/overview").status == 401
    shot(page, "test_wrong_password")


# -- overview ----------------------------------------------------------------------------------
def _overview_numbers_match(page: Page, demo: Demo) -> dict[str, Any]:
    wait_loaded(page)
    page.get_by_test_id("kpi-energy").wait_for()
    year = page.get_by_test_id("year-select").input_value()
    api = api_get(page, demo, f"/dashboard/overview?year={year}")
    assert api["year"] == int(year)
    assert value_of(page, "kpi-energy") == api["energy"]["tce_equal"]
    assert value_of(page, "kpi-energy-last") == api["energy"]["tce_equal_last"]
    assert value_of(page, "kpi-co2") == api["co2"]["tco2"]
    assert value_of(page, "kpi-co2-last") == api["co2"]["tco2_last"]
    counts = api["warnings"]["counts"]
    assert value_of(page, "warnings-red") == counts.get("red", 0)
    assert value_of(page, "warnings-yellow") == counts.get("yellow", 0)
    assert value_of(page, "key-units-count") == api["key_units"]["count"]
    cov = api["coverage"]
    expected_cov = cov["interval_completeness"]
    if expected_cov is None:
        expected_cov = cov["coverage"]
    assert value_of(page, "kpi-coverage") == expected_cov
    # the formatted text is the same number with thousands separators
    shown = page.get_by_test_id("kpi-energy").inner_text()
    assert shown == f"{api['energy']['tce_equal']:,.0f}"
    return dict(api)


def test_overview_numbers_equal_the_api(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "admin")
    api = _overview_numbers_match(page, demo)
    assert api["scope"]["type"] == "district"
    assert api["energy"]["tce_equal"] > 0
    if api.get("intensity"):
        assert value_of(page, "kpi-intensity") == api["intensity"]["value"]
    # charts drew (ECharts canvases)
    for chart in ("chart-carrier", "chart-sector"):
        assert page.get_by_test_id(chart).locator("canvas").count() >= 1
    shot(page, "test_overview_admin")


def test_street_officer_overview_is_their_street(page: Page, demo: Demo) -> None:
    sign_in(page, demo, demo.street_officers[0])
    api = _overview_numbers_match(page, demo)
    assert api["scope"]["type"] == "street"
    assert api["scope"]["name_zh"] in page.locator("h1").inner_text()
    shot(page, "test_overview_street")


# -- map ---------------------------------------------------------------------------------------
_RENDERED = """layer => window.__cpMap.queryRenderedFeatures({layers: [layer]})
    .map(f => [f.properties.entity_id ?? f.properties.code, f.properties.tco2 ?? null])"""


def _map_loaded(page: Page, key: str) -> None:
    page.wait_for_function(
        "key => document.querySelector('[data-testid=map-canvas]')?.dataset.loaded === key",
        arg=key)


def test_map_draws_streets_and_buildings_and_the_slider_changes_them(
        page: Page, demo: Demo) -> None:
    sign_in(page, demo, "admin", hash_="#/map")
    wait_loaded(page)
    page.get_by_test_id("map-slider").wait_for()
    api = api_get(page, demo, "/map")
    year = str(api["year"])
    _map_loaded(page, year)
    streets = dict(page.evaluate(_RENDERED, "streets-fill"))
    buildings = dict(page.evaluate(_RENDERED, "entities-circle"))
    assert len(streets) > 0
    assert len(buildings) > 0
    whole = {f["properties"]["entity_id"]: f["properties"]["tco2"]
             for f in api["entities"]["features"]}
    for eid, tco2 in buildings.items():
        assert tco2 == pytest.approx(whole[eid]), eid
    if api["approximate_boundaries"]:
        assert page.get_by_test_id("map-approx").is_visible()
    label_before = page.get_by_test_id("map-month-label").inner_text()

    # one step right: the first month of the year
    page.get_by_test_id("map-slider").focus()
    page.keyboard.press("ArrowRight")
    month = api["months"][0]
    _map_loaded(page, month)
    assert page.get_by_test_id("map-month-label").inner_text() != label_before
    assert page.get_by_test_id("map-month-label").get_attribute("data-month") == month
    monthly = dict(page.evaluate(_RENDERED, "entities-circle"))
    api_month = api_get(page, demo, f"/map?year={year}&month={month}")
    by_id = {f["properties"]["entity_id"]: f["properties"]["tco2"]
             for f in api_month["entities"]["features"]}
    assert monthly
    for eid, tco2 in monthly.items():
        assert tco2 == pytest.approx(by_id[eid]), eid
    changed = [eid for eid in monthly if monthly[eid] != buildings.get(eid)]
    assert changed, "the month's figures equal the whole year's"

    # click a building: its card with the month's figures and a link to its page
    eid = max(monthly, key=lambda k: monthly[k] or 0)
    point = page.evaluate("""eid => {
        const f = window.__cpMap.queryRenderedFeatures({layers: ['entities-circle']})
            .find(x => x.properties.entity_id === eid);
        const p = window.__cpMap.project(f.geometry.coordinates);
        return [p.x, p.y]; }""", eid)
    box = page.get_by_test_id("map-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    card = page.get_by_test_id("entity-card")
    card.wait_for()
    assert card.get_attribute("data-entity-id") == eid
    assert value_of(page, "entity-card-tco2") == by_id[eid]
    shot(page, "test_map")


# -- scope -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _login_client(demo: Demo, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as ``username`` (cookie session)."""
    with httpx.Client(base_url=f"{demo.url}/api/v1", timeout=10) as c:
        r = c.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


def test_street_officer_cannot_open_another_streets_entity(page: Page, demo: Demo) -> None:
    with _login_client(demo, "manager") as manager:
        entity = manager.get("/auth/me").json()["user"]["entities"][0]
    with _login_client(demo, "admin") as admin:
        shown = admin.get(f"/dashboard/entities/{entity}")
        assert shown.status_code == 200
        name = shown.json()["entity"]["name"]
    outsider = None
    for officer in demo.street_officers:
        with _login_client(demo, officer) as c:
            if c.get(f"/dashboard/entities/{entity}").status_code == 404:
                outsider = officer
                break
    assert outsider is not None, "every street officer sees the entity"

    sign_in(page, demo, outsider, hash_=f"#/entities/{entity}")
    page.get_by_test_id("not-found").wait_for()
    view = page.locator("#view")
    assert "不存在或无权访问" in view.inner_text()
    assert name not in page.content()
    assert view.locator("[data-value]").count() == 0
    assert page.request.get(f"{demo.url}/api/v1/dashboard/entities/{entity}").status == 404
    shot(page, "test_not_found")


# -- key units ---------------------------------------------------------------------------------
def test_key_unit_csv_equals_the_api_rows(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "admin", hash_="#/key-units")
    wait_loaded(page)
    page.get_by_test_id("key-units-table").wait_for()
    api = api_get(page, demo, "/key-units?limit=500")
    assert api["items"], "the demo has key units"
    # filter to the street of the largest key unit, then download
    street = api["items"][0]["street_id"]
    with page.expect_response(lambda r: "/api/v1/key-units?" in r.url and
                              f"street_id={street}" in r.url):
        page.get_by_test_id("key-units-street").select_option(str(street))
    page.wait_for_function(
        "s => document.querySelector('[data-testid=key-units-csv]')"
        ".href.includes('street_id=' + s)", arg=street)
    href = page.get_by_test_id("key-units-csv").get_attribute("href")
    assert href is not None
    assert "format=csv" in href
    with page.expect_download() as dl:
        page.get_by_test_id("key-units-csv").click()
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # the JSON of the very filter the link exports
    expected = api_get(page, demo, href.replace("/api/v1", "", 1).replace(
        "format=csv", "limit=500"))
    assert expected["items"]
    assert all(i["street_id"] == street for i in expected["items"])
    assert [r["entity_id"] for r in rows] == [i["entity_id"] for i in expected["items"]]
    assert len(rows) == expected["total"]
    for r, i in zip(rows, expected["items"], strict=True):
        assert (float(r["tco2"]) if r["tco2"] else None) == i["tco2"]
    # the table shows the same rows
    shown = page.get_by_test_id("key-units-table").locator("tbody tr[data-entity-id]")
    assert shown.count() == min(len(rows), 50)
    shot(page, "test_key_units")


# -- language ----------------------------------------------------------------------------------
def test_language_toggle_switches_to_english_and_back(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "analyst")
    wait_loaded(page)
    nav = page.locator("nav.mainnav")
    assert "总览" in nav.inner_text()
    page.get_by_test_id("lang-toggle").click()
    page.get_by_test_id("kpi-energy").wait_for()
    assert "Overview" in nav.inner_text()
    assert page.get_by_test_id("user-role").inner_text() == "District analyst"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()  # kept across reloads
    page.get_by_test_id("kpi-energy").wait_for()
    assert "Overview" in nav.inner_text()
    shot(page, "test_language_en")
    page.get_by_test_id("lang-toggle").click()
    page.get_by_test_id("kpi-energy").wait_for()
    assert "总览" in nav.inner_text()
    assert page.get_by_test_id("user-role").inner_text() == "区分析员"


# -- hygiene -----------------------------------------------------------------------------------
def test_no_request_leaves_localhost_and_the_console_is_clean(
        page: Page, context: BrowserContext, demo: Demo) -> None:
    api_sign_in(context, demo, "admin")
    page.goto(f"{demo.url}/#/overview")
    page.get_by_test_id("kpi-energy").wait_for()
    entity = api_get(page, demo, "/key-units?limit=1")["items"][0]["entity_id"]
    for hash_, ready in [("#/streets", "streets-table"), ("#/key-units", "key-units-table"),
                         ("#/targets", "targets-table"), ("#/warnings", "warnings-table"),
                         (f"#/entities/{entity}", "entity-energy"), ("#/map", "map-slider"),
                         ("#/overview", "kpi-energy")]:
        page.goto(f"{demo.url}/{hash_}")
        page.get_by_test_id(ready).wait_for()
        wait_loaded(page)
    page.wait_for_function("() => document.querySelector('[data-testid=map-canvas]') === null")
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-form").wait_for()
    me = page.request.get(f"{demo.url}/api/v1/auth/me")  # signed out: 200 with no user
    assert (me.status, me.json()["user"]) == (200, None)
    watch = _watch(page)
    outside = [u for u in watch.requests
               if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert outside == []
    assert watch.errors == []
