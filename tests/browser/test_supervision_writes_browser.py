"""Answering and reviewing a dispatch round in the browser (任务调度 writes), and entering a
project (节能审查 登记): each page in Chinese has no English word, and a restricted role sees
only its own.

Supervision: the office opens a round asking 区建管委 (the demo user ``dept_jgw``) for one
target; the officer answers it with a PDF as evidence and downloads the file back; the analyst
returns it with a comment, the officer answers again, the analyst accepts it; the accepted
value is then the target's on the targets page. Projects: the demo developer enters a project
of 6.0 GWh of electricity (6,000,000 kWh × 0.1229 kgce/kWh = 737.4 tce equivalent: under
1,000 tce but ≥ 5 GWh) and sees its routing: the district, by Huangpu's (Shanghai's) table,
whose district band is a placeholder shown as unverified; made a chemicals project (C2614),
it is flagged 两高.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page

from tests.browser.conftest import (
    PASSWORD,
    TIMEOUT_MS,
    Demo,
    _watch,
    api_get,
    shot,
    sign_in,
    wait_loaded,
)
from tests.one_language import english_words

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: words a Chinese page may show: the language toggle, the evidence formats named in the
#: form's rule, the demo developers' codes
ZH_ALLOWED = {"EN", "PDF", "PNG", "JPEG", "DEMO-DEV-A", "DEMO-DEV-B"}
VALUE = 88.0


def _no_english(page: Page, where: str) -> None:
    wait_loaded(page)
    words = english_words(page.inner_text("#view") + page.inner_text("header"), ZH_ALLOWED)
    assert not words, (where, sorted(words))


@contextmanager
def _as(browser: Browser, demo: Demo, user: str, hash_: str) -> Iterator[Page]:
    """A fresh Chinese browser context signed in as ``user`` through the form."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                              accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, demo, user, hash_=hash_)
        yield page
        assert errors == [], errors
    finally:
        ctx.close()


def _office_request(browser: Browser, demo: Demo, method: str, path: str,
                    body: Any = None) -> Any:  # noqa: ANN401
    """An admin's API call with its session cookie and CSRF token."""
    ctx = browser.new_context()
    try:
        login = ctx.request.post(f"{demo.url}/api/v1/auth/login",
                                 data={"username": "admin", "password": PASSWORD})
        assert login.status == 200, login.text()
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        r = ctx.request.fetch(f"{demo.url}/api/v1{path}", method=method, data=body,
                              headers=headers)
        assert r.ok, f"{path}: {r.status} {r.text()[:300]}"
        return r.json()
    finally:
        ctx.close()


def _row(page: Page, item: str) -> Any:  # noqa: ANN401
    return page.locator(f"[data-testid=sup-items] tr[data-item='{item}']")


def _wait_status(page: Page, item: str, status: str) -> None:
    page.locator(f"[data-testid=sup-items] tr[data-item='{item}'][data-status={status}]"
                 ).wait_for()


def test_answer_return_and_accept_in_the_browser(page: Page, browser: Browser,
                                                 demo: Demo) -> None:
    rounds = _office_request(browser, demo, "GET", "/supervision/rounds")["rounds"]
    demo_round = rounds[-1]
    year = int(demo_round["period"][:4])
    items = _office_request(browser, demo, "GET",
                            f"/supervision/rounds/{demo_round['id']}/items")["items"]
    # a target 区建管委 answered in the demo round and the office accepted (not a reduction)
    code = next(i["item"].split(":", 1)[1] for i in items
                if i["unit"] == "jgw" and i["item"].startswith("target:")
                and i["status"] == "accepted")
    item = f"target:{code}"
    due = dt.date.today() + dt.timedelta(days=30)
    period = f"{year + 1}-Q1"
    _office_request(browser, demo, "POST", "/supervision/rounds", {
        "period": period, "due_on": str(due), "tasks": [], "targets": [code]})

    # the officer answers with a PDF as evidence
    sign_in(page, demo, "dept_jgw", hash_="#/supervision")
    _row(page, item).wait_for()
    _no_english(page, "officer's round")
    units = page.locator("[data-testid=sup-items] tbody td:first-child").all_inner_texts()
    assert set(units) == {"区建管委"}  # its own items only
    _row(page, item).get_by_test_id("sup-answer").click()
    form = page.get_by_test_id("sup-answer-form")
    form.get_by_test_id("sup-value").fill(str(VALUE))
    form.get_by_test_id("sup-observed-on").fill(f"{year}-12-31")
    form.get_by_test_id("sup-narrative").fill("按台账统计")
    form.get_by_test_id("sup-evidence-input").set_input_files(
        files=[{"name": "台账.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    _no_english(page, "answer form")
    form.get_by_test_id("sup-answer-submit").click()
    _wait_status(page, item, "submitted")
    link = _row(page, item).get_by_test_id("sup-evidence")
    with page.expect_download() as dl:
        link.click()
    assert dl.value.suggested_filename == "台账.pdf"
    assert dl.value.path().read_bytes() == PDF
    href = link.get_attribute("href")
    assert href
    shot(page, "test_supervision_answered")
    assert _watch(page).errors == []

    # a street officer finds neither the item nor its evidence (404 by the link)
    with _as(browser, demo, demo.street_officers[0], "#/supervision") as street:
        street.get_by_test_id("sup-items").wait_for()
        assert _row(street, item).count() == 0
        assert street.request.get(f"{demo.url}{href}").status == 404

    # the analyst returns it with a comment (a return without one is refused)
    with _as(browser, demo, "analyst", "#/supervision") as analyst:
        _row(analyst, item).wait_for()
        _no_english(analyst, "analyst's round")
        _row(analyst, item).get_by_test_id("sup-return").click()
        ret = analyst.get_by_test_id("sup-return-form")
        ret.get_by_test_id("sup-return-submit").click()
        assert ret.locator("[data-role=form-msg]").inner_text() == "退回须填写审核意见。"
        ret.get_by_test_id("sup-return-comment").fill("请补充年末台账")
        ret.get_by_test_id("sup-return-submit").click()
        _wait_status(analyst, item, "returned")
        assert "请补充年末台账" in _row(analyst, item).inner_text()

    # the officer sees the comment and answers again
    page.reload()
    _row(page, item).get_by_test_id("sup-answer").click()
    assert "请补充年末台账" in page.get_by_test_id("sup-returned-comment").inner_text()
    page.get_by_test_id("sup-answer-form").get_by_test_id("sup-answer-submit").click()
    _wait_status(page, item, "submitted")

    # the analyst accepts: the value is the target's, with the submission as its source
    with _as(browser, demo, "analyst", "#/supervision") as analyst:
        _row(analyst, item).get_by_test_id("sup-accept").click()
        _wait_status(analyst, item, "accepted")
        targets = api_get(analyst, demo, f"/targets?year={year}&code={code}")
        rows = targets["items"] if isinstance(targets, dict) else targets
        target = next(r for r in rows if r["code"] == code)
        assert target["value"] == VALUE
        assert f"调度 {period}：区建管委 报送" in target["value_source_zh"]
        assert target["value_source"].startswith(
            f"dispatch {period}: submitted by District Construction and Management Commission")
        analyst.goto(f"{demo.url}/#/targets?year={year}")
        row = analyst.locator("[data-testid=targets-table] tbody tr", has_text=code).first
        row.wait_for()
        assert "88" in row.inner_text()
        shot(analyst, "test_supervision_accepted_target")


def test_the_analyst_assigns_an_unassigned_task(browser: Browser, demo: Demo) -> None:
    """A task without units (as Tianhe's all start) gets its lead and a supporting unit from
    the analyst's page; the department then sees it among its own."""
    _office_request(browser, demo, "POST", "/supervision/tasks/HP-T24/assign",
                    {"lead": None, "supporting": []})
    with _as(browser, demo, "analyst", "#/supervision") as analyst:
        row = analyst.locator("[data-testid=sup-tasks] tr[data-code='HP-T24']")
        row.get_by_test_id("sup-assign").click()
        form = analyst.get_by_test_id("sup-assign-form")
        form.get_by_test_id("sup-assign-lead").select_option("jgw")
        form.get_by_test_id("sup-assign-supporting").select_option(["fgw", "sthj"])
        _no_english(analyst, "assign form")
        form.get_by_test_id("sup-assign-submit").click()
        analyst.locator("[data-testid=sup-tasks] tr[data-code='HP-T24']",
                        has_text="区建管委").wait_for()
        task = api_get(analyst, demo, "/supervision/tasks/HP-T24")
        assert (task["lead_org"], task["supporting_orgs"]) == ("jgw", ["fgw", "sthj"])
    with _as(browser, demo, "dept_jgw", "#/supervision") as dept:
        dept.locator("[data-testid=sup-tasks] tr[data-code='HP-T24']").wait_for()
        assert dept.get_by_test_id("sup-assign").count() == 0  # the office's button only


def test_enter_a_project_and_see_its_routing(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "developer", hash_="#/projects")
    page.get_by_test_id("projects-table").wait_for()
    _no_english(page, "developer's projects")
    # the developer's own projects only (DEMO-DEV-B's D03 and D04 are not listed or found)
    mine = api_get(page, demo, "/projects")["items"]
    assert {p["developer"] for p in mine} == {"DEMO-DEV-A"}
    table = page.get_by_test_id("projects-table").inner_text()
    assert "D03" not in table
    assert "D04" not in table
    assert page.request.get(f"{demo.url}/api/v1/projects/D04").status == 404

    page.get_by_test_id("pj-new").click()
    form = page.get_by_test_id("pj-form")
    form.get_by_test_id("pj-code").fill("WEB1")
    form.get_by_test_id("pj-name").fill("浏览器登记的数据中心")
    form.get_by_test_id("pj-sector").fill("I6531")
    form.get_by_test_id("pj-kind").select_option("new")
    form.get_by_test_id("pj-stage").select_option("filing")
    form.get_by_test_id("pj-value-added").fill("12000")
    form.get_by_test_id("pj-carrier").select_option("electricity")
    form.get_by_test_id("pj-quantity").fill("6")
    # a unit that is not electricity's: refused, the field and its line named in Chinese
    form.get_by_test_id("pj-unit").fill("m3")
    form.get_by_test_id("pj-save").click()
    refusal = form.locator("[data-role=form-msg]")
    refusal.wait_for()
    assert "第 1 行计量单位" in refusal.inner_text()
    _no_english(page, "refused project form")
    form.get_by_test_id("pj-unit").fill("GWh")
    _no_english(page, "project form")
    form.get_by_test_id("pj-save").click()
    saved = page.locator("[data-testid=pj-saved][data-code=WEB1]")
    saved.wait_for()
    assert saved.get_attribute("data-level") == "district"
    assert saved.get_attribute("data-two-high") == "0"
    assert "区级" in saved.inner_text()
    assert "737.4" in saved.inner_text()
    assert page.get_by_test_id("pj-rule-status").get_attribute("data-status") == "unverified"
    assert "未核实" in page.get_by_test_id("pj-rule-status").inner_text()
    page.locator("[data-testid=projects-table] tr[data-code=WEB1]").wait_for()
    _no_english(page, "saved project")
    shot(page, "test_projects_entered")

    # edited into a chemicals project (C2614): on the 两高 list
    page.locator("[data-testid=projects-table] tr[data-code=WEB1]").get_by_test_id(
        "pj-edit").click()
    form = page.get_by_test_id("pj-form")
    form.get_by_test_id("pj-sector").fill("C2614")
    form.get_by_test_id("pj-save").click()
    page.locator("[data-testid=pj-saved][data-code=WEB1][data-two-high='1']").wait_for()
    assert "属于两高项目" in page.get_by_test_id("pj-saved-two-high").inner_text()
    got = api_get(page, demo, "/projects/WEB1")
    assert (got["developer"], got["sector_code"], got["two_high"]) == (
        "DEMO-DEV-A", "C2614", True)
    # the refused save above is the only failed request (the browser logs its 422)
    assert [e for e in _watch(page).errors if "status of 422" not in e] == []
