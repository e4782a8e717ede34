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


def test_the_chart_covers_the_event_day_and_an_analyst_creates_an_event(
        page: Page, demo: Demo) -> None:
    watch = _watch(page)
    api_sign_in(page.context, demo, "admin")
    page.goto(f"{demo.url}/#/vpp?event=DR-DEMO-1")
    page.get_by_test_id("vpp-results").wait_for()
    wait_loaded(page)
    box = page.get_by_test_id("vpp-chart")
    # the whole day of a 15-min meter (96 intervals), the window 14:00–16:00 shaded: its
    # intervals start 14:00 … 15:45
    assert box.get_attribute("data-intervals") == "96"
    assert box.get_attribute("data-window") == "14:00–15:45"
    # the analysts' form: a bad window is refused with the field named, then a good event
    page.get_by_test_id("vpp-new-id").fill("DR-FORM-1")
    page.get_by_test_id("vpp-new-date").fill("2024-06-05")
    page.get_by_test_id("vpp-new-start").fill("15:00")
    page.get_by_test_id("vpp-new-end").fill("14:00")
    page.get_by_test_id("vpp-new-target").fill("500")
    page.get_by_test_id("vpp-new-submit").click()
    msg = page.get_by_test_id("vpp-msg")
    msg.filter(has_text="end").wait_for()
    assert msg.get_attribute("data-kind") == "error"
    page.get_by_test_id("vpp-new-end").fill("17:00")
    page.get_by_test_id("vpp-new-submit").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"vpp-event\"]')?.value === 'DR-FORM-1'")
    wait_loaded(page)
    events = {e["event_id"]: e for e in api_get(page, demo, "/vpp/events")["items"]}
    assert (events["DR-FORM-1"]["start"], events["DR-FORM-1"]["end"]) == ("15:00", "17:00")
    # a participant added to it through the second form
    first = api_get(page, demo, "/vpp/resources")["items"][0]["resource_id"]
    page.get_by_test_id("vpp-add-resource").select_option(first)
    page.get_by_test_id("vpp-add-kw").fill("12")
    page.get_by_test_id("vpp-add-submit").click()
    page.get_by_test_id("vpp-msg").filter(has_text=first).wait_for()
    res = api_get(page, demo, "/vpp/events/DR-FORM-1/results")
    assert [(r["resource_id"], r["declared_kw"]) for r in res["resources"]] == [(first, 12.0)]
    shot(page, "vpp-form")
    # an aggregator sees no form
    page.context.clear_cookies()
    api_sign_in(page.context, demo, "aggregator2")
    page.goto(f"{demo.url}/#/vpp?event=DR-DEMO-1")
    page.reload()
    page.get_by_test_id("vpp-results").wait_for()
    wait_loaded(page)
    assert page.get_by_test_id("vpp-forms").count() == 0
    # the refused window's 422 is the browser's own log line, the only one allowed
    assert [e for e in watch.errors if "status of 422" not in e] == []
