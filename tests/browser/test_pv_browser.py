"""The rooftop PV page (#/pv) and the carbon map's PV layers in a real browser against the demo
(issue 18): the figures shown are the API's, an analyst sees the district's potential,
progress and forecasts while a street officer sees only its street's sites, and the Chinese
page has no English word outside units and ids (fixtures in ``tests/browser/conftest.py``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Demo, _watch, api_get, api_sign_in, shot, wait_loaded

#: units and the data's own ids may stay Latin in the Chinese page
_UNITS = re.compile(r"kWh/kWp|kWp|kWh|MW|kW|m²|W/m²")  # the catalogue figures are in MW


def _open(page: Page, demo: Demo, user: str, hash_: str) -> None:
    page.context.clear_cookies()
    api_sign_in(page.context, demo, user)
    if page.url.startswith(demo.url):
        page.goto("about:blank")
    page.goto(f"{demo.url}/{hash_}")


def _cells(page: Page, testid: str, key: str = "site") -> dict[str, dict[str, str]]:
    """Each row's ``data-<key>`` → {column: data-value} of a table."""
    return dict(page.evaluate(
        """([t, key]) => [...document.querySelectorAll(`[data-testid="${t}"] tbody tr`)]
             .map((tr) => [tr.dataset[key], Object.fromEntries([...tr.querySelectorAll(
               '[data-col]')].map((td) => [td.dataset.col, td.dataset.value ?? '']))])""",
        [testid, key]))


def _shown(page: Page, testid: str, site: str, col: str) -> float:
    """The number a cell shows (its text, thousands separators dropped)."""
    text = page.locator(f'[data-testid="{testid}"] tr[data-site="{site}"] '
                        f'[data-col="{col}"]').inner_text()
    return float(text.replace(",", ""))


def _english_words(page: Page, ids: set[str]) -> list[str]:
    text = page.locator("#view").inner_text()
    for i in sorted(ids, key=len, reverse=True):
        text = text.replace(i, " ")
    return re.findall(r"[A-Za-z]{2,}", _UNITS.sub(" ", text))


def _monitoring_by_site(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The page's per-site summary, computed from the API rows: months without a gap."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = out.setdefault(r["site_id"], {"measured": 0.0, "modelled": 0.0, "prs": [],
                                          "under": False})
        if not r["data_gap"]:
            s["measured"] += r["measured_kwh"]
            s["modelled"] += r["modelled_kwh"]
            if r["performance_ratio"] is not None:
                s["prs"].append(r["performance_ratio"])
        s["under"] |= r["underperforming"]
    return out


def _year(page: Page, demo: Demo) -> int:
    return int(api_get(page, demo, "/key-units?limit=1")["year"])


def test_the_pv_page_shows_the_apis_figures_to_an_analyst_in_chinese(
        page: Page, demo: Demo) -> None:
    watch = _watch(page)
    api_sign_in(page.context, demo, "analyst")
    page.goto(f"{demo.url}/#/overview")
    year = _year(page, demo)
    sites = api_get(page, demo, f"/pv/sites?year={year}")
    mon = api_get(page, demo, f"/pv/monitoring?year={year}")
    pot = api_get(page, demo, "/pv/potential")
    prog = api_get(page, demo, f"/pv/progress?year={year}")
    fcs = api_get(page, demo, f"/pv/forecasts?year={year}")
    assert sites["items"], "the demo has PV sites"
    _open(page, demo, "analyst", f"#/pv?year={year}")
    page.get_by_test_id("pv-sites").wait_for()
    wait_loaded(page)
    assert page.locator("h1").inner_text() == "屋顶光伏"
    # the sites: the same rows and figures as the API
    shown = _cells(page, "pv-sites")
    assert sorted(shown) == sorted(s["site_id"] for s in sites["items"])
    for s in sites["items"]:
        row = shown[s["site_id"]]
        assert float(row["kwp_dc"]) == s["kwp_dc"]
        assert float(row["kw_ac"]) == s["kw_ac"]
        assert float(row["ac_kwh"]) == pytest.approx(s["ac_kwh"])
        assert _shown(page, "pv-sites", s["site_id"], "kwp_dc") == round(s["kwp_dc"], 1)
        assert _shown(page, "pv-sites", s["site_id"], "ac_kwh") == round(s["ac_kwh"])
    # monitoring: per site the months without a gap, the median PR, the fault flagged
    want = _monitoring_by_site(mon["rows"])
    got = _cells(page, "pv-monitoring")
    assert sorted(got) == sorted(want)
    for sid, w in want.items():
        assert float(got[sid]["measured"]) == pytest.approx(w["measured"])
        assert float(got[sid]["modelled"]) == pytest.approx(w["modelled"])
        if w["prs"]:
            ordered = sorted(w["prs"])
            assert float(got[sid]["pr"]) == pytest.approx(ordered[len(ordered) // 2])
    flagged = {sid for sid, w in want.items() if w["under"]}
    assert flagged, "the demo plants one underperforming site"
    assert {sid for sid in got if page.locator(
        f'[data-testid="pv-monitoring"] tr[data-site="{sid}"] [data-col="flags"]')
        .get_attribute("data-under") == "1"} == flagged
    # the analyst's panels: potential (totals), progress, the stored forecast day
    assert float(str(page.get_by_test_id("pv-potential-total").get_attribute(
        "data-value"))) == pytest.approx(pot["total_potential_kwp"])
    assert float(str(page.get_by_test_id("pv-pilot-total").get_attribute(
        "data-value"))) == pytest.approx(pot["total_pilot_kwp"])
    years = _cells(page, "pv-progress", "year")
    for y in prog["years"]:
        assert float(years[str(y["year"])]["kwp_dc"]) == pytest.approx(y["kwp_dc"])
        assert float(years[str(y["year"])]["new_kwp_dc"]) == pytest.approx(y["new_kwp_dc"])
    days = _cells(page, "pv-forecasts", "day")
    assert sorted(days) == sorted(r["date"] for r in fcs["forecasts"])
    assert days, "the demo stores its forecast day"
    for r in fcs["forecasts"]:
        assert float(days[r["date"]]["kwh"]) == pytest.approx(r["total_kwh"])
        if r["errors"]:
            # nMAE of the capacity as the API graded the stored forecast
            assert abs(float(days[r["date"]]["nmae"]) - float(r["errors"]["nmae"])) < 1e-12
            assert abs(float(days[r["date"]]["nrmse"]) - float(r["errors"]["nrmse"])) < 1e-12
    # the Chinese page: no English outside units and the data's ids
    ids = {s["site_id"] for s in sites["items"]} | {s["entity_id"] for s in sites["items"]}
    assert _english_words(page, ids) == []
    shot(page, "test_pv_analyst")
    assert watch.errors == []


def test_a_street_officer_sees_only_its_streets_sites(page: Page, demo: Demo) -> None:
    watch = _watch(page)
    api_sign_in(page.context, demo, "analyst")
    page.goto(f"{demo.url}/#/overview")
    year = _year(page, demo)
    page.goto("about:blank")  # no overview request is in flight when the cookies are cleared
    everything = api_get(page, demo, f"/pv/sites?year={year}")["items"]
    officer = None
    mine: list[dict[str, Any]] = []
    for user in demo.street_officers:
        page.context.clear_cookies()
        api_sign_in(page.context, demo, user)
        mine = api_get(page, demo, f"/pv/sites?year={year}")["items"]
        if mine:
            officer = user
            break
    assert officer is not None, "a demo street has PV sites"
    assert 0 < len(mine) < len(everything)
    mon = api_get(page, demo, f"/pv/monitoring?year={year}")
    assert page.request.get(f"{demo.url}/api/v1/pv/potential").status == 403
    _open(page, demo, officer, f"#/pv?year={year}")
    page.get_by_test_id("pv-sites").wait_for()
    wait_loaded(page)
    shown = _cells(page, "pv-sites")
    assert sorted(shown) == sorted(s["site_id"] for s in mine)
    for s in mine:
        assert float(shown[s["site_id"]]["kwp_dc"]) == s["kwp_dc"]
    others = {s["site_id"] for s in everything} - set(shown)
    text = page.locator("#view").inner_text()
    assert not [sid for sid in others if re.search(rf"\b{re.escape(sid)}\b", text)]
    assert sorted(_cells(page, "pv-monitoring")) == sorted(_monitoring_by_site(mon["rows"]))
    # the district's panels are not there for a street officer
    for testid in ("pv-potential", "pv-progress", "pv-forecasts"):
        assert page.get_by_test_id(testid).count() == 0, testid
    ids = {s["site_id"] for s in mine} | {s["entity_id"] for s in mine}
    assert _english_words(page, ids) == []
    shot(page, "test_pv_street_officer")
    assert watch.errors == []


_SOURCE = """id => (window.__cpMap.getSource(id).serialize().data.features || [])
    .map((f) => f.properties.site_id ?? f.properties.entity_id)"""


def test_the_carbon_map_draws_the_pv_layers_in_scope(page: Page, demo: Demo) -> None:
    watch = _watch(page)
    api_sign_in(page.context, demo, "analyst")
    page.goto(f"{demo.url}/#/overview")
    year = _year(page, demo)
    layers = api_get(page, demo, f"/pv/map?year={year}")
    _open(page, demo, "analyst", f"#/map?year={year}&pv=sites")
    page.get_by_test_id("map-pv").wait_for()
    page.wait_for_function(
        "key => document.querySelector('[data-testid=map-canvas]')?.dataset.loaded === key",
        arg=str(year))
    assert sorted(page.evaluate(_SOURCE, "pv-sites")) == sorted(
        f["properties"]["site_id"] for f in layers["sites"]["features"])
    assert page.evaluate("() => window.__cpMap.getLayoutProperty('pv-sites-badge', "
                         "'visibility')") == "visible"
    assert page.evaluate("() => window.__cpMap.getLayoutProperty('pv-roofs-ring', "
                         "'visibility')") == "none"
    # the legend names the statuses in Chinese; the roofs' classes appear when switched on
    legend = page.get_by_test_id("legend-pv-sites").inner_text()
    assert "低于理论值" in legend
    assert "underperforming" not in legend
    assert page.get_by_test_id("legend-pv-roofs").count() == 0
    page.locator('input[data-pv="roofs"]').check()
    page.get_by_test_id("legend-pv-roofs").wait_for()
    breaks = page.get_by_test_id("legend-pv-roofs").get_attribute("data-breaks")
    assert [float(b) for b in re.findall(r"[\d.]+", str(breaks))] == \
        layers["scales"]["roofs_potential_kwp"]["breaks"]
    assert sorted(page.evaluate(_SOURCE, "pv-roofs")) == sorted(
        f["properties"]["entity_id"] for f in layers["roofs"]["features"])
    # click the largest site's badge: its card with the API's figures
    site = max(layers["sites"]["features"], key=lambda f: f["properties"]["kwp_dc"])
    sid = site["properties"]["site_id"]
    page.evaluate("([lon, lat]) => window.__cpMap.jumpTo({center: [lon, lat], zoom: 17})",
                  site["geometry"]["coordinates"])
    page.wait_for_function("() => window.__cpMap.loaded() && !window.__cpMap.isMoving()")
    point = page.evaluate("""sid => {
        const f = window.__cpMap.queryRenderedFeatures({layers: ['pv-sites-badge']})
            .find((x) => x.properties.site_id === sid);
        const p = window.__cpMap.project(f.geometry.coordinates);
        return [p.x + 9, p.y - 9]; }""", sid)
    box = page.get_by_test_id("map-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    card = page.get_by_test_id("pv-site-card")
    card.wait_for()
    assert card.get_attribute("data-site-id") == sid
    assert float(str(page.get_by_test_id("pv-site-card-kwp").get_attribute("data-value"))) \
        == site["properties"]["kwp_dc"]
    assert page.get_by_test_id("pv-site-card-status").get_attribute("data-status") == \
        site["properties"]["status"]
    shot(page, "test_pv_map_analyst")
    # a street officer's map: only its street's sites, the same classes
    for user in demo.street_officers:
        page.context.clear_cookies()
        api_sign_in(page.context, demo, user)
        mine = api_get(page, demo, f"/pv/map?year={year}")
        if mine["sites"]["features"]:
            break
    assert 0 < len(mine["sites"]["features"]) < len(layers["sites"]["features"])
    assert mine["scales"] == layers["scales"]
    _open(page, demo, user, f"#/map?year={year}&pv=sites,roofs")
    page.get_by_test_id("map-pv").wait_for()
    page.wait_for_function(
        "key => document.querySelector('[data-testid=map-canvas]')?.dataset.loaded === key",
        arg=str(year))
    assert sorted(page.evaluate(_SOURCE, "pv-sites")) == sorted(
        f["properties"]["site_id"] for f in mine["sites"]["features"])
    assert watch.errors == []
