"""What a street officer sees of a withheld figure (small cells, docs/security.md): "—" with
the reason on hover, in the benchmarking table, where the API answers null and the code."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import PASSWORD, Demo, api_get, api_sign_in, shot, wait_loaded

CODE = "disclosure.suppressed.small_cell"


def _withheld_rows(demo: Demo, officer: str) -> list[str]:
    with httpx.Client(base_url=f"{demo.url}/api/v1", timeout=10) as c:
        r = c.post("/auth/login", json={"username": officer, "password": PASSWORD})
        assert r.status_code == 200, r.text
        items = c.get("/benchmarking", params={"limit": 500}).json()["items"]
    for row in items:  # withheld means null with the code, never a number beside it
        assert (row["suppressed"] == CODE) == (row["area_percentile_in_type"] is None
                                                and row["rank_in_type"] is not None), row
    return [r["entity_id"] for r in items if r["suppressed"] == CODE]


def test_a_withheld_percentile_shows_as_a_dash_with_the_reason(
        page: Page, context: BrowserContext, demo: Demo) -> None:
    # a 20-building demo has few buildings of a type per street: some officer's percentile
    # would give a peer's floor area
    found = next(((o, ids) for o in demo.street_officers
                  if (ids := _withheld_rows(demo, o))), None)
    assert found is not None, "no street officer has a withheld percentile in the demo"
    officer, ids = found
    api_sign_in(context, demo, officer)
    page.goto(f"{demo.url}/#/buildings")
    page.get_by_test_id("bm-table").wait_for()
    wait_loaded(page)
    api = api_get(page, demo, "/benchmarking?limit=500")
    assert [r["entity_id"] for r in api["items"] if r["suppressed"]] == ids
    row = page.locator(f"[data-testid=bm-table] tbody tr[data-entity-id='{ids[0]}']")
    mark = row.get_by_test_id("suppressed")
    assert mark.inner_text() == "—"
    assert "为保护单位信息不予显示" in str(mark.get_attribute("title"))
    shot(page, "test_disclosure_withheld_percentile")
