"""The VPP page in a real browser against the demo's event: results, the baseline chart, and
an aggregator's view of its own resources only (fixtures in ``tests/browser/conftest.py``)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import Demo, _watch, api_get, api_sign_in, shot, wait_loaded


def _rows(page: Page, testid: str) -> list[str]:
    return list(page.evaluate(
        """(t) => [...document.querySelectorAll(`[data-testid="${t}"] tbody tr[data-resource]`)]
             .map((tr) => tr.dataset.resource)""", testid))


def test_the_vpp_page_shows_the_event_and_an_aggregator_sees_only_its_own(
        page: Page, demo: Demo) -> None:
    watch = _watch(page)
    api_sign_in(page.context, demo, "admin")
    results = api_get(page, demo, "/vpp/events/DR-DEMO-1/results")
    page.goto(f"{demo.url}/#/vpp")
    page.get_by_test_id("vpp-results").wait_for()
    wait_loaded(page)
    assert page.get_by_test_id("vpp-event").input_value() == "DR-DEMO-1"
    assert sorted(_rows(page, "vpp-results")) == sorted(
        r["resource_id"] for r in results["resources"])
    assert page.locator('[data-testid="vpp-chart"] canvas').count() >= 1
    # the failing resource's ratio is marked
    assert page.locator('tr[data-resource="DR0007"] .bad').count() == 1
    shot(page, "vpp-admin")
    page.context.clear_cookies()
    api_sign_in(page.context, demo, "aggregator2")
    mine = api_get(page, demo, "/vpp/events/DR-DEMO-1/results")
    assert {r["aggregator"] for r in mine["resources"]} == {"AGG02"}
    page.goto(f"{demo.url}/#/vpp?event=DR-DEMO-1")
    page.reload()
    page.get_by_test_id("vpp-results").wait_for()
    wait_loaded(page)
    assert sorted(_rows(page, "vpp-results")) == sorted(r["resource_id"]
                                                         for r in mine["resources"])
    assert "AGG01" not in page.get_by_test_id("vpp-results").inner_text()
    assert watch.errors == []
