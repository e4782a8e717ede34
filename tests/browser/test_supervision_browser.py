"""The supervision page (任务调度): the office sees every task, the round's late units and the
assessment; a department officer only its own tasks and items, and another's task by link is
not found."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import Demo, _watch, api_get, shot, sign_in


def _count(page: Page, testid: str) -> int:
    el = page.get_by_test_id(f"{testid}-count")
    el.wait_for()
    return int(el.get_attribute("data-shown") or "0")


def test_the_office_sees_tasks_late_units_and_scores(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "admin", hash_="#/supervision")
    page.get_by_test_id("sup-tasks").wait_for()
    assert _count(page, "sup-tasks") == 28
    assert "区生态环境局" in page.get_by_test_id("sup-late").inner_text()
    page.get_by_test_id("sup-assessment").wait_for()
    assert _count(page, "sup-assessment") > 5
    shot(page, "test_supervision_office")
    assert _watch(page).errors == []


def test_a_department_sees_only_its_own(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "dept_jgw", hash_="#/supervision")
    page.get_by_test_id("sup-tasks").wait_for()
    mine = api_get(page, demo, "/supervision/tasks")["tasks"]
    assert _count(page, "sup-tasks") == len(mine) < 28
    assert "HP-T08" not in page.get_by_test_id("sup-tasks").inner_text()
    units = page.locator("[data-testid=sup-items] tbody td:first-child").all_inner_texts()
    assert units
    assert set(units) == {"区建管委"}
    assert page.get_by_test_id("sup-assessment").count() == 0
    r = page.request.get(f"{demo.url}/api/v1/supervision/tasks/HP-T08")
    assert r.status == 404
    shot(page, "test_supervision_department")
