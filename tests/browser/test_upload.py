"""Data entry in the browser (issue 16, item 1): an entity manager hands in a ledger with a
column-mapping step and a refused cell, fixes it and confirms; a street officer cannot hand
in rows of another street. Screenshots of the flow go to test-artifacts/screenshots."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import (
    PASSWORD,
    Demo,
    _watch,
    api_get,
    api_sign_in,
    shot,
    wait_loaded,
)

# the manager's own headers (none is the contract's): the page asks for a mapping
HEADERS = ["楼宇", "年月份", "品种", "用量值", "计量"]
MAPPING = ["entity_id", "period", "carrier", "quantity", "unit"]


def _csv(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    return ("\n".join(",".join(r) for r in [headers, *rows]) + "\n").encode("utf-8")


def _choose(page: Page, name: str, data: bytes) -> None:
    page.get_by_test_id("upload-file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})
    with page.expect_response(lambda r: r.url.endswith("/api/v1/uploads")) as resp:
        page.get_by_test_id("upload-submit").click()
    assert resp.value.status == 201, resp.value.text()
    page.get_by_test_id("upload-preview").wait_for()


def _status(page: Page) -> str:
    return str(page.get_by_test_id("upload-status").get_attribute("data-status"))


def test_manager_maps_a_refused_cell_fixes_it_and_confirms(context: BrowserContext, page: Page,
                                                          demo: Demo) -> None:
    api_sign_in(context, demo, "manager")
    entity = api_get(page, demo, "/auth/me")["user"]["entities"][0]
    page.goto(f"{demo.url}/#/upload")
    page.get_by_test_id("upload-kind").wait_for()
    wait_loaded(page)
    assert page.locator("[data-nav=upload]").inner_text() == "数据填报"
    kinds = page.get_by_test_id("upload-kind").locator("option").evaluate_all(
        "os => os.map(o => o.value)")
    assert kinds == ["ledger", "readings", "obligation_filings"]  # an entity manager's kinds
    # the 双控 page is a district figure: no entry for an entity role (the API says 403 too)
    assert page.locator("[data-nav=dualControl]").count() == 0
    assert page.request.get(f"{demo.url}/api/v1/dual-control").status == 403
    bad = _csv([[entity, "2025-11", "electricity", "1200", "kWh"],
                [entity, "2025-12", "electricity", "12x", "kWh"]])
    _choose(page, "台账-2025.csv", bad)
    # the mapping step: the headers are not the contract's, nothing can be read yet
    mapping = page.get_by_test_id("upload-mapping")
    assert mapping.get_attribute("data-source") == "aliases"
    assert _status(page) == "refused"
    for i, column in enumerate(MAPPING):
        page.get_by_test_id(f"map-{i}").select_option(column)
    shot(page, "upload_1_mapping_step_zh")
    with page.expect_response(lambda r: r.url.endswith("/mapping")) as resp:
        page.get_by_test_id("mapping-apply").click()
    assert resp.value.status == 200
    page.wait_for_selector("[data-testid=upload-mapping][data-source=user]")
    # the refused cell: row 3's quantity, highlighted, its reason in Chinese
    assert _status(page) == "refused"
    errors = page.get_by_test_id("upload-errors-item")
    assert errors.count() == 1
    assert (errors.get_attribute("data-row"), errors.get_attribute("data-column")) == (
        "3", "quantity")
    assert "第 3 行" in errors.inner_text()
    assert page.get_by_test_id("cell-3-3").get_attribute("data-bad") == "1"
    assert page.get_by_test_id("cell-2-3").get_attribute("data-bad") == "0"
    assert page.get_by_test_id("preview-row-3").get_attribute("data-bad") == "1"
    assert page.get_by_test_id("upload-confirm").is_disabled()
    page.get_by_test_id("cell-3-3").scroll_into_view_if_needed()
    shot(page, "upload_2_refused_cell_zh")
    page.get_by_test_id("upload-discard").click()
    page.get_by_test_id("upload-notice").wait_for()
    # the fixed file: its shape's mapping is remembered, it validates, it is confirmed
    good = _csv([[entity, "2025-11", "electricity", "1200", "kWh"],
                 [entity, "2025-12", "electricity", "1250", "kWh"]])
    _choose(page, "台账-2025.csv", good)
    assert page.get_by_test_id("upload-mapping").get_attribute("data-source") == "remembered"
    assert _status(page) == "validated"
    assert page.get_by_test_id("upload-errors-item").count() == 0
    with page.expect_response(lambda r: r.url.endswith("/confirm")) as resp:
        page.get_by_test_id("upload-confirm").click()
    assert resp.value.status == 201
    result = page.get_by_test_id("upload-result")
    result.wait_for()
    batch = int(str(result.get_attribute("data-batch")))
    assert result.get_attribute("data-status") == "committed"
    row = page.get_by_test_id(f"batch-row-{batch}")
    assert (row.get_attribute("data-status"), row.get_attribute("data-kind")) == (
        "committed", "ledger")
    assert "台账-2025.csv" in row.inner_text()
    stored = api_get(page, demo, f"/batches/{batch}")
    assert (stored["status"], stored["rows_in"], stored["sent_by"], stored["channel"]) == (
        "committed", 2, "user:manager", "file")
    row.scroll_into_view_if_needed()
    shot(page, "upload_3_confirmed_zh")
    # the month's form: last year's month beside the field (what was just confirmed), a hint
    # when the value is far from it, and the entries stored as a batch of channel web
    page.get_by_test_id("form-entity").select_option(entity)
    page.get_by_test_id("form-month").fill("2026-11")
    page.get_by_test_id("form-load").click()
    last = page.get_by_test_id("form-last-electricity")
    last.wait_for()
    assert float(str(last.get_attribute("data-value"))) == 1200.0
    page.get_by_test_id("form-qty-electricity").fill("5000")
    assert page.get_by_test_id("form-hint-electricity").inner_text() != ""
    page.get_by_test_id("form-qty-electricity").fill("1300")
    assert page.get_by_test_id("form-hint-electricity").inner_text() == ""
    with page.expect_response(lambda r: r.url.endswith("/uploads/ledger-form")) as resp:
        page.get_by_test_id("form-save").click()
    assert resp.value.status == 201, resp.value.text()
    saved = page.get_by_test_id("form-result")
    saved.wait_for()
    web = int(str(saved.get_attribute("data-batch")))
    assert page.get_by_test_id(f"batch-row-{web}").get_attribute("data-channel") == "web"
    assert float(str(page.get_by_test_id("form-current-electricity").get_attribute(
        "data-value"))) == 1300.0
    saved.scroll_into_view_if_needed()
    shot(page, "upload_4_month_form_zh")
    # in English: the same bytes again are a duplicate of that batch, nothing changes
    page.get_by_test_id("lang-toggle").click()
    page.get_by_test_id("upload-kind").wait_for()
    assert page.locator("[data-nav=upload]").inner_text() == "Data entry"
    _choose(page, "ledger-again.csv", good)
    assert _status(page) == "duplicate"
    assert f"already imported as batch {batch}" in page.get_by_test_id(
        "upload-status").inner_text()
    shot(page, "upload_6_duplicate_en")
    assert api_get(page, demo, "/batches?kind=ledger")["total"] == 2  # the file, the form
    assert _watch(page).errors == []


def test_street_officer_cannot_upload_for_another_street(context: BrowserContext, page: Page,
                                                         demo: Demo) -> None:
    officer = demo.street_officers[0]
    body = api_sign_in(context, demo, officer)
    mine = {e["entity_id"] for e in api_get(page, demo, "/entities?limit=500")["items"]}
    with httpx.Client(base_url=demo.url, timeout=10) as admin:
        r = admin.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200
        every = admin.get("/api/v1/entities", params={"limit": 500}).json()["items"]
    own = sorted(mine)[0]
    other = next(e["entity_id"] for e in every if e["entity_id"] not in mine)
    page.goto(f"{demo.url}/#/upload")
    page.get_by_test_id("upload-kind").wait_for()
    wait_loaded(page)
    kinds = page.get_by_test_id("upload-kind").locator("option").evaluate_all(
        "os => os.map(o => o.value)")
    assert kinds == ["ledger"]
    text = _csv([[own, "2025-11", "electricity", "100", "kWh"],
                 [other, "2025-11", "electricity", "100", "kWh"]], MAPPING)
    _choose(page, "街道台账.csv", text)
    assert _status(page) == "refused"
    errors = page.get_by_test_id("upload-errors-item")
    assert errors.count() == 1
    assert (errors.get_attribute("data-row"), errors.get_attribute("data-code")) == (
        "3", "intake.upload.not_in_scope")
    assert other in errors.inner_text()
    assert "不在您可填报的范围内" in errors.inner_text()
    assert page.get_by_test_id("cell-3-0").get_attribute("data-bad") == "1"
    assert page.get_by_test_id("cell-2-0").get_attribute("data-bad") == "0"
    assert page.get_by_test_id("upload-confirm").is_disabled()
    page.get_by_test_id("cell-3-0").scroll_into_view_if_needed()
    shot(page, "upload_5_street_other_street_refused_zh")
    # the server refuses what the page does not offer: readings, and a guessed upload id
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    r = page.request.post(f"{demo.url}/api/v1/uploads", headers=csrf, multipart={
        "kind": "readings", "file": {"name": "r.csv", "mimeType": "text/csv",
                                     "buffer": b"meter_id,ts,value\n"}})
    assert r.status == 403
    upload_id = page.get_by_test_id("upload-preview").get_attribute("data-upload")
    assert upload_id
    guessed = ("0" if upload_id[0] != "0" else "1") + upload_id[1:]
    assert page.request.post(f"{demo.url}/api/v1/uploads/{guessed}/confirm",
                             headers=csrf).status == 404
    r = page.request.post(f"{demo.url}/api/v1/uploads/{upload_id}/confirm", headers=csrf)
    assert r.status == 422  # still refused: nothing stored
    assert api_get(page, demo, "/batches")["total"] == 0


def _geojson(features: list[dict[str, object]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode("utf-8")


def _square(lon: float, lat: float, d: float = 0.004) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d],
                                                 [lon + d, lat + d], [lon - d, lat + d],
                                                 [lon - d, lat - d]]]}


def test_admin_uploads_street_boundaries_with_a_preview(context: BrowserContext, page: Page,
                                                        demo: Demo) -> None:
    api_sign_in(context, demo, "admin")
    street = next(s for s in api_get(page, demo, "/streets")["items"]
                  if s.get("lat") is not None)
    page.goto(f"{demo.url}/#/upload")
    page.get_by_test_id("upload-kind").wait_for()
    wait_loaded(page)
    assert page.locator("[data-nav=dualControl]").count() == 1  # a district figure role
    page.get_by_test_id("upload-kind").select_option("boundaries")
    assert page.get_by_test_id("upload-file").get_attribute("accept") == ".geojson,.json"
    typo = street["name_zh"][:-1]  # 外滩街道 -> 外滩街: not a street, but close to one
    bad = _geojson([{"type": "Feature", "properties": {"name_zh": typo},
                     "geometry": _square(street["lon"], street["lat"])}])
    page.get_by_test_id("upload-file").set_input_files(
        {"name": "边界.geojson", "mimeType": "application/geo+json", "buffer": bad})
    with page.expect_response(lambda r: r.url.endswith("/api/v1/uploads")) as resp:
        page.get_by_test_id("upload-submit").click()
    assert resp.value.status == 201, resp.value.text()
    page.get_by_test_id("upload-preview").wait_for()
    assert _status(page) == "refused"
    err = page.get_by_test_id("upload-errors-item")
    assert err.get_attribute("data-code") == "intake.geo.no_street_suggest"
    assert f"您是否要找：{street['name_zh']}" in err.inner_text()
    assert page.get_by_test_id("upload-confirm").is_disabled()
    shot(page, "upload_7_boundaries_did_you_mean_zh")
    page.get_by_test_id("upload-discard").click()
    page.get_by_test_id("upload-notice").wait_for()
    # the street named by its code: previewed with its names and area, then confirmed
    good = _geojson([{"type": "Feature", "properties": {"code": street["code"]},
                      "geometry": _square(street["lon"], street["lat"])}])
    page.get_by_test_id("upload-kind").select_option("boundaries")
    page.get_by_test_id("upload-file").set_input_files(
        {"name": "边界.geojson", "mimeType": "application/geo+json", "buffer": good})
    with page.expect_response(lambda r: r.url.endswith("/api/v1/uploads")) as resp:
        page.get_by_test_id("upload-submit").click()
    page.get_by_test_id("upload-preview").wait_for()
    assert _status(page) == "validated"
    assert page.get_by_test_id("cell-1-2").inner_text() == street["name_zh"]
    assert page.get_by_test_id("cell-1-4").inner_text() == "code"
    # 0.008° × 0.008° near 31° N: about 0.76 km × 0.89 km = 0.68 km²
    assert float(page.get_by_test_id("cell-1-5").inner_text()) == pytest.approx(0.68, abs=0.02)
    shot(page, "upload_8_boundaries_preview_zh")
    before = api_get(page, demo, f"/streets/{street['id']}")
    assert before["boundary"] != _square(street["lon"], street["lat"])
    with page.expect_response(lambda r: r.url.endswith("/confirm")) as resp:
        page.get_by_test_id("upload-confirm").click()
    assert resp.value.status == 201, resp.value.text()
    page.get_by_test_id("upload-result").wait_for()
    after = api_get(page, demo, f"/streets/{street['id']}")
    assert after["boundary"] == _square(street["lon"], street["lat"])
    assert (after["boundary_approximate"], after["boundary_source"]) == (
        False, "边界.geojson (upload by user:admin)")
    log = api_get(page, demo, "/audit-log?action=set_boundary&limit=20")["items"]
    assert any(e["action"] == "set_boundary" and e["object_id"] == street["code"]
               for e in log)
    assert _watch(page).errors == []
