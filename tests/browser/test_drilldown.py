"""The drill-down (district → street → entity → meter readings), the shared table's sorting
and filtering, and the 双控 page, in a real browser against the API's own answers; plus the
new routes per role with guessed ids (fixtures in ``tests/browser/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page

from carbonpeak.i18n import render
from carbonpeak.services.figures import round_value
from tests.browser.conftest import (
    PASSWORD,
    Demo,
    _watch,
    api_get,
    api_sign_in,
    shot,
    value_of,
    wait_loaded,
)


def _column(page: Page, testid: str, index: int) -> list[str]:
    """The ``data-value`` (else the text) of column ``index`` of a shared table's rows."""
    return list(page.evaluate(
        """([t, i]) => [...document.querySelectorAll(`[data-testid="${t}"] tbody tr`)]
             .filter((tr) => tr.children.length > 1)
             .map((tr) => { const td = tr.children[i]; const v = td.querySelector('[data-value]');
                            return v ? v.dataset.value : td.innerText.trim(); })""",
        [testid, index]))


def _nums(values: list[str]) -> list[float | None]:
    return [float(v) if v not in ("", None) else None for v in values]


@contextmanager
def _client(demo: Demo, username: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as ``username`` (cookie session)."""
    with httpx.Client(base_url=f"{demo.url}/api/v1", timeout=30) as c:
        r = c.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


def test_drilldown_from_the_district_to_a_meters_readings(page: Page, demo: Demo) -> None:
    api_sign_in(page.context, demo, "admin")
    streets = api_get(page, demo, "/dashboard/streets")
    year = streets["year"]
    page.goto(f"{demo.url}/#/streets?year={year}")
    page.get_by_test_id("streets-table").wait_for()
    assert page.get_by_test_id("streets-table-count").get_attribute("data-total") == str(
        len(streets["items"]))

    # sorting by a numeric column: descending, then ascending, equal to the API's values
    area_col = 5
    page.get_by_test_id("streets-table-th-floor_area_m2").click()
    shown = _nums(_column(page, "streets-table", area_col))
    api_areas = [r["floor_area_m2"] for r in streets["items"]]
    assert shown == sorted(api_areas, reverse=True)
    assert page.get_by_test_id("streets-table-th-floor_area_m2").get_attribute(
        "aria-sort") == "descending"
    page.get_by_test_id("streets-table-th-floor_area_m2").click()
    assert _nums(_column(page, "streets-table", area_col)) == sorted(api_areas)
    shot(page, "test_drilldown_streets_sorted")

    # filtering: a street's name keeps its row only
    target = next(r for r in streets["items"] if r["n_key_units"] == 0 and r["n_entities"] > 0)
    page.get_by_test_id("streets-table-filter").fill(target["name_zh"])
    assert page.get_by_test_id("streets-table-count").get_attribute("data-shown") == "1"
    rows = page.get_by_test_id("streets-table").locator("tbody tr[data-street-id]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-street-id") == str(target["street_id"])

    # a street without key units lists every entity of it ("共 0 家" no more)
    rows.first.click()
    page.get_by_test_id("street-entities").wait_for()
    street = api_get(page, demo, f"/dashboard/streets/{target['street_id']}?year={year}")
    assert street["total"] == target["n_entities"] > 0
    assert page.get_by_test_id("street-name").inner_text() == target["name_zh"]
    assert value_of(page, "street-key-count") == 0
    ids = page.get_by_test_id("street-entities").locator("tbody tr[data-entity-id]")
    assert [ids.nth(i).get_attribute("data-entity-id") for i in range(ids.count())] == [
        r["entity_id"] for r in street["items"]]  # sorted by energy, as the API
    assert _nums(_column(page, "street-entities", 5)) == [r["tce_equal"] for r in
                                                          street["items"]]
    xlsx = str(page.get_by_test_id("street-entities-xlsx").get_attribute("href"))
    assert f"/api/v1/dashboard/streets/{target['street_id']}?" in xlsx
    assert "format=xlsx" in xlsx
    assert "lang=zh" in xlsx
    shot(page, "test_drilldown_street")

    # the entity: own and consolidated figures labelled, its meters
    ent = next(r for r in street["items"] if r["n_meters"] > 0)
    ids.nth([r["entity_id"] for r in street["items"]].index(ent["entity_id"])).click()
    page.get_by_test_id("entity-meters").wait_for()
    entity = api_get(page, demo, f"/dashboard/entities/{ent['entity_id']}?year={year}")
    assert value_of(page, "entity-energy") == entity["totals"]["tce_equal"] == ent["tce_equal"]
    assert "自身" in page.locator("#view").inner_text()
    assert "合并" in page.locator("#view").inner_text()
    meters = page.get_by_test_id("entity-meters").locator("tbody tr[data-meter-id]")
    assert [meters.nth(i).get_attribute("data-meter-id") for i in range(meters.count())] == [
        m["meter_id"] for m in entity["meters"]]
    shot(page, "test_drilldown_entity")

    # the meter: a zoomable chart of daily sums and the same values in its table
    meter_id = entity["meters"][0]["meter_id"]
    meters.first.click()
    page.get_by_test_id("meter-series").wait_for()
    series = api_get(page, demo, f"/meters/{meter_id}/series?start={year}-10-01"
                                 f"&end={year + 1}-01-01&resolution=day")
    assert page.get_by_test_id("meter-id").inner_text() == meter_id
    chart = page.get_by_test_id("chart-meter")
    assert chart.locator("canvas").count() >= 1
    assert chart.get_attribute("data-points") == str(series["total"]) != "0"
    assert chart.get_attribute("data-flagged") == str(len(series["quality"]))
    assert _column(page, "meter-series", 0) == [p["t"] for p in series["items"]]
    # every day of the window, a day without readings empty: the flagged days are on the chart
    assert series["total"] == (date(year + 1, 1, 1) - date(year, 10, 1)).days
    assert {q["day"] for q in series["quality"] if "no_data" in q["flags"]} <= {
        p["t"] for p in series["items"] if p["n"] == 0}
    assert _nums(_column(page, "meter-series", 1)) == [p["value"] for p in series["items"]]
    assert _column(page, "meter-quality", 0) == [q["day"] for q in series["quality"]] or (
        not series["quality"])
    shot(page, "test_drilldown_meter")

    # hourly: the first week of the window, hour by hour, equal to the API
    hourly = api_get(page, demo, f"/meters/{meter_id}/series?start={year}-10-01"
                                 f"&end={year}-10-08&resolution=hour")
    page.get_by_test_id("meter-res-hour").click()
    page.wait_for_function("() => location.hash.includes('res=hour')")
    page.wait_for_selector(f"[data-testid=chart-meter][data-points='{hourly['total']}']"
                           "[data-res=hour]")
    wait_loaded(page)
    assert _nums(_column(page, "meter-series", 1)) == [p["value"] for p in hourly["items"]]
    assert _column(page, "meter-series", 0)[0] == f"{year}-10-01 00:00"
    week = [p["value"] for p in series["items"] if p["t"] < f"{year}-10-08"
            and p["value"] is not None]
    if series["aggregate"] == "sum":  # the days are the sums of their hours
        assert abs(sum(p["value"] for p in hourly["items"] if p["value"] is not None)
                   - sum(week)) <= 1e-6 * max(1.0, sum(abs(v) for v in week))
    readings = str(page.get_by_test_id("meter-series-xlsx").get_attribute("href"))
    assert f"/api/v1/readings?meter_id={meter_id}" in readings
    assert "format=xlsx" in readings
    assert _watch(page).errors == []


def test_drilldown_marks_a_held_value_on_its_meter(page: Page, demo: Demo) -> None:
    api_sign_in(page.context, demo, "analyst")
    held = api_get(page, demo, "/held?status=all")["items"]
    assert held, "the demo holds a suspicious reading"
    h = held[0]
    day = h["ts"][:10]
    page.goto(f"{demo.url}/#/meters/{h['meter_id']}?res=hour&start={day}&end=")
    page.get_by_test_id("meter-held").wait_for()
    shown = page.get_by_test_id("meter-held").locator("tbody tr[data-held-id]")
    ids = {shown.nth(i).get_attribute("data-held-id") for i in range(shown.count())}
    assert str(h["id"]) in ids
    assert int(str(page.get_by_test_id("chart-meter").get_attribute("data-held"))) >= 1
    # sorting the hourly values by value is numeric, largest first on the first click
    page.get_by_test_id("meter-series-th-value").click()
    values = [v for v in _nums(_column(page, "meter-series", 1)) if v is not None]
    assert len(values) > 1
    assert values == sorted(values, reverse=True)
    shot(page, "test_drilldown_meter_held")


def test_dual_control_page_shows_the_apis_figures(page: Page, demo: Demo) -> None:
    api_sign_in(page.context, demo, "admin")
    dc = api_get(page, demo, "/dual-control")
    year = max(i["latest_year"] for i in dc["indicators"] if i["latest_year"])
    figs = {f["code"]: f for f in api_get(page, demo, f"/metrics?year={year}")["items"]
            if f["subject_type"] == "district"}
    page.goto(f"{demo.url}/#/dual-control")
    page.get_by_test_id("dc-targets").wait_for()
    assert page.locator("nav.mainnav a.active").inner_text() == "双控"
    for ind in dc["indicators"]:
        key = ind["indicator"]
        assert value_of(page, f"dc-value-{key}") == ind["latest_value"]
        f = figs[ind["figure"]]
        assert f["value"] == ind["latest_value"]
        assert page.get_by_test_id(f"basis-{f['code']}").inner_text() == f["label_zh"]
        if ind["change_vs_baseline_pct"] is not None:
            assert value_of(page, f"dc-change-{key}") == ind["change_vs_baseline_pct"]
        assert page.get_by_test_id(f"chart-dc-{key}").locator("canvas").count() >= 1
    rates = sorted(float(v) for v in _column(page, "dc-targets", 4) if v)
    assert rates == sorted(t["required_annual_rate"] for i in dc["indicators"]
                           for t in i["targets"] if t["required_annual_rate"] is not None)
    assert rates, "a target with a yearly rate still needed"
    shot(page, "test_dual_control_zh")

    page.get_by_test_id("lang-toggle").click()
    page.locator("h1", has_text="Dual control of energy and CO2").wait_for()
    page.get_by_test_id("dc-targets").wait_for()
    energy = next(i for i in dc["indicators"] if i["indicator"] == "energy_total")
    assert page.get_by_test_id(f"basis-{energy['figure']}").inner_text() == figs[
        energy["figure"]]["label_en"]
    assert "Energy use" in page.get_by_test_id("dc-energy_total").inner_text()
    shot(page, "test_dual_control_en")
    page.get_by_test_id("lang-toggle").click()
    page.locator("h1", has_text="能耗和碳排放双控").wait_for()
    assert _watch(page).errors == []


def test_drilldown_refuses_other_streets_and_entities(page: Page, demo: Demo) -> None:
    """The new routes per role with guessed ids: a street officer reaches its own street's
    entities and meters only, an entity manager its entity's; everything else answers 404
    like an unknown id, in the API and in the browser."""
    officer = demo.street_officers[0]
    with _client(demo, "admin") as admin, _client(demo, officer) as mine, \
            _client(demo, "manager") as manager:
        me = mine.get("/auth/me").json()["user"]
        all_meters = admin.get("/meters", params={"limit": 500}).json()["items"]
        own_meters = {m["meter_id"] for m in mine.get(
            "/meters", params={"limit": 500}).json()["items"]}
        foreign = next(m["meter_id"] for m in all_meters if m["meter_id"] not in own_meters)
        streets = [r["street_id"] for r in admin.get("/dashboard/streets").json()["items"]]
        other_street = next(s for s in streets if s != me["street_id"])
        window = {"start": "2024-03-01", "resolution": "hour"}
        assert admin.get(f"/meters/{foreign}/series", params=window).status_code == 200
        for guess in (foreign, "HP-M99999", "nope"):
            assert mine.get(f"/meters/{guess}/series", params=window).status_code == 404
        assert mine.get(f"/dashboard/streets/{other_street}").status_code == 404
        assert mine.get("/dashboard/streets/2147483647").status_code == 404
        own = mine.get(f"/dashboard/streets/{me['street_id']}").json()
        assert own["items"]
        assert all(r["entity_id"] in {e["entity_id"] for e in mine.get(
            "/entities", params={"limit": 500}).json()["items"]} for r in own["items"])
        if own_meters:
            assert mine.get(f"/meters/{sorted(own_meters)[0]}/series",
                            params=window).status_code == 200
        mgr = manager.get("/auth/me").json()["user"]["entities"]
        mgr_meters = {m["meter_id"] for m in manager.get(
            "/meters", params={"limit": 500}).json()["items"]}
        assert mgr_meters
        assert {m["meter_id"] for m in all_meters
                               if m["entity_id"] in mgr} == mgr_meters
        outside = next(m["meter_id"] for m in all_meters if m["meter_id"] not in mgr_meters)
        assert manager.get(f"/meters/{outside}/series", params=window).status_code == 404
        page_of_mgr = manager.get(f"/dashboard/streets/{streets[0]}")
        assert page_of_mgr.status_code in (200, 404)
        if page_of_mgr.status_code == 200:  # its own entity's street: its entity only
            assert {r["entity_id"] for r in page_of_mgr.json()["items"]} <= set(mgr)
        # a window too long for its resolution is refused
        assert admin.get(f"/meters/{foreign}/series", params={
            "start": "2024-01-01", "end": "2024-03-01", "resolution": "hour"}).status_code == 422
        assert admin.get(f"/meters/{foreign}/series", params={
            "start": "2023-01-01", "end": "2024-03-01", "resolution": "day"}).status_code == 422

    api_sign_in(page.context, demo, officer)
    page.goto(f"{demo.url}/#/meters/{foreign}")
    page.get_by_test_id("not-found").wait_for()
    assert page.locator("#view [data-value]").count() == 0
    page.goto(f"{demo.url}/#/streets/{other_street}")
    page.get_by_test_id("not-found").wait_for()
    shot(page, "test_drilldown_refused")


LISTS = ("/key-units", "/benchmarking", "/quota-cases", "/retrofits", "/audits",
         "/commissioning")


def _ids(page: Page, testid: str) -> list[str]:
    return list(page.evaluate(
        """(t) => [...document.querySelectorAll(`[data-testid="${t}"] tbody tr[data-entity-id]`)]
             .map((tr) => tr.dataset.entityId)""", testid))


def test_paged_lists_sort_and_filter_on_the_server(page: Page, demo: Demo) -> None:
    """Every server-paged list sorts and filters the whole list (sort=, order=, q=, checked
    against its declared columns), and a header click asks the server, not the page."""
    api_sign_in(page.context, demo, "admin")
    for path in LISTS:  # an undeclared column is refused, naming the ones there are
        r = page.request.get(f"{demo.url}/api/v1{path}?sort=password_hash")
        assert r.status == 422, (path, r.status)
        assert r.json()["errors"][0]["code"] == "api.list.sort_column", path
    # across pages: page 2 of the sorted list continues page 1 (not each page sorted alone)
    one = api_get(page, demo, "/key-units?sort=tce_equal&order=desc&limit=2")["items"]
    two = api_get(page, demo, "/key-units?sort=tce_equal&order=desc&limit=2&offset=2")["items"]
    assert len(one) == len(two) == 2  # the demo has four key units
    assert min(r["tce_equal"] for r in one) >= max(r["tce_equal"] for r in two)
    whole = api_get(page, demo, "/key-units?limit=500")["items"]
    assert [r["entity_id"] for r in one + two] == [r["entity_id"] for r in sorted(
        whole, key=lambda r: -r["tce_equal"])][:4]
    name = whole[0]["name"]
    found = api_get(page, demo, f"/key-units?q={name}")["items"]
    assert found
    assert all(name in r["name"] for r in found)
    bm = api_get(page, demo, "/benchmarking?sort=eui&order=asc&limit=500")["items"]
    euis = [r["eui"] for r in bm if r["eui"] is not None]
    assert euis == sorted(euis)
    assert len(euis) > 1
    assert all(r["eui"] is None for r in bm[len(euis):])  # missing values last

    # the key units: a click on a number's header fetches the list sorted, largest first
    page.goto(f"{demo.url}/#/key-units")
    table = page.get_by_test_id("key-units-table")
    table.locator("tbody tr[data-entity-id]").first.wait_for()
    header = table.locator("thead th[data-sort=tce_equal]")
    with page.expect_response(lambda r: "/api/v1/key-units?" in r.url
                              and "sort=tce_equal" in r.url and "order=desc" in r.url) as resp:
        header.click()
    expected = [r["entity_id"] for r in resp.value.json()["items"]]
    page.wait_for_function(
        """(first) => document.querySelector('[data-testid=key-units-table] tbody tr')
             ?.dataset.entityId === first""", arg=expected[0])
    assert _ids(page, "key-units-table") == expected
    assert header.get_attribute("aria-sort") == "descending"
    assert expected == [r["entity_id"] for r in sorted(whole, key=lambda r: -r["tce_equal"])][
        :len(expected)]
    with page.expect_response(lambda r: "sort=tce_equal" in r.url and "order=asc" in r.url):
        header.click()
    page.wait_for_function(
        """(first) => document.querySelector('[data-testid=key-units-table] tbody tr')
             ?.dataset.entityId === first""",
        arg=min(whole, key=lambda r: r["tce_equal"])["entity_id"])
    assert "sort=tce_equal" in page.url
    # the buildings: sorted by EUI by the server, then filtered by a name
    page.goto(f"{demo.url}/#/buildings")
    bmt = page.get_by_test_id("bm-table")
    bmt.locator("tbody tr").first.wait_for()
    with page.expect_response(lambda r: "/api/v1/benchmarking?" in r.url
                              and "sort=eui" in r.url and "order=desc" in r.url):
        bmt.locator("thead th[data-sort=eui]").click()
    page.wait_for_selector("[data-testid=bm-table] thead th[data-sort=eui][data-sorted=desc]")
    bmt.scroll_into_view_if_needed()
    shot(page, "lists_buildings_sorted_by_eui_on_the_server_zh")
    target = bm[0]["name"]
    with page.expect_response(lambda r: "/api/v1/benchmarking?" in r.url and "q=" in r.url
                              and "sort=eui" in r.url):
        page.get_by_test_id("bm-filter").fill(target)
        page.get_by_test_id("bm-filter").press("Enter")
    page.wait_for_selector("[data-testid=bm-count]")
    page.wait_for_function(
        "(n) => document.querySelector('[data-testid=bm-count]').dataset.total === String(n)",
        arg=len([r for r in bm if target in r["name"]]))
    assert _watch(page).errors == []


def _download(page: Page, testid: str, tmp_path: Path, name: str) -> Workbook:
    """Click a page's xlsx link, save what the browser downloads, read it with openpyxl."""
    with page.expect_download() as dl:
        page.get_by_test_id(testid).click()
    path = tmp_path / name
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith(".xlsx")
    return load_workbook(path)


def test_key_units_xlsx_downloaded_in_the_browser_reads_as_the_page(
        page: Page, demo: Demo, tmp_path: Path) -> None:
    """The 下载 Excel link of the key units, clicked: Chinese headers with units, the
    consolidated energy rounded as displayed (one decimal), labels not codes, the page's sort;
    in English the English edition."""
    api_sign_in(page.context, demo, "admin")
    items = api_get(page, demo, "/key-units?limit=500&sort=tce_equal&order=desc")["items"]
    page.goto(f"{demo.url}/#/key-units?sort=tce_equal&order=desc")
    page.get_by_test_id("key-units-table").locator("tbody tr[data-entity-id]").first.wait_for()
    wb = _download(page, "key-units-xlsx", tmp_path, "zh.xlsx")
    sheet = wb.worksheets[0]
    assert sheet.title == "重点用能单位"
    rows = list(sheet.iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    energy = head.index("合并综合能耗（等价值，吨标准煤）")
    level = head.index(str(render("export.col.warning_level", "zh")))
    btype = head.index(str(render("export.col.building_type", "zh")))
    body = rows[1:-1]  # the last row is 合计
    assert [r[0] for r in body] == [x["entity_id"] for x in items]  # the page's order
    for item, row in zip(items, body, strict=True):
        assert row[energy] == round_value(item["tce_equal"], 1)
        assert row[level] == (render(f"label.warning_level.{item['warning_level']}", "zh")
                              if item["warning_level"] else None)
        assert row[btype] == (render(f"label.building_type.{item['building_type']}", "zh")
                              if item["building_type"] else None)
    assert rows[-1][0] == "合计"
    assert sheet.cell(row=2, column=energy + 1).number_format == "#,##0.0"
    assert str(render("export.about.sheet", "zh")) in wb.sheetnames
    shot(page, "xlsx_key_units_download_zh")
    page.get_by_test_id("lang-toggle").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=key-units-xlsx]')?.href.includes('lang=en')")
    en = _download(page, "key-units-xlsx", tmp_path, "en.xlsx")
    assert en.worksheets[0].title == "Key units"
    head_en = [str(h) for h in next(en.worksheets[0].iter_rows(values_only=True))]
    assert "Consolidated energy, equal value (tce)" in head_en
    assert _watch(page).errors == []


def test_entity_page_shows_the_ledger_remarks(page: Page, demo: Demo) -> None:
    """A ledger row's remark (备注), handed in through the upload flow, shows on the entity
    page's monthly ledger table beside its month and carrier."""
    body = api_sign_in(page.context, demo, "manager")
    eid = api_get(page, demo, "/auth/me")["user"]["entities"][0]
    row = api_get(page, demo, f"/dashboard/entities/{eid}")["monthly_by_carrier"][0]
    text = ("entity_id,period,carrier,quantity,unit,备注\n"
            f"{eid},{row['month']},{row['carrier']},{row['quantity']},{row['unit']},"
            "表计更换，当月按发票计\n").encode()
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    r = page.request.post(f"{demo.url}/api/v1/uploads", headers=csrf, multipart={
        "kind": "ledger", "file": {"name": "备注.csv", "mimeType": "text/csv", "buffer": text}})
    assert r.status == 201, r.text()
    upload = r.json()["upload_id"]
    r = page.request.post(f"{demo.url}/api/v1/uploads/{upload}/confirm", headers=csrf)
    assert r.status == 201, r.text()
    page.goto(f"{demo.url}/#/entities/{eid}")
    cell = page.get_by_test_id(f"remark-{row['month']}-{row['carrier']}")
    cell.wait_for()
    assert cell.inner_text() == "表计更换，当月按发票计"
    assert page.get_by_test_id("entity-monthly-count").get_attribute("data-total") == str(
        len(api_get(page, demo, f"/dashboard/entities/{eid}")["monthly_by_carrier"]))
    href = page.get_by_test_id("entity-monthly-xlsx").get_attribute("href")
    assert href is not None
    assert f"/dashboard/entities/{eid}?" in href
    assert "format=xlsx" in href
    cell.scroll_into_view_if_needed()
    shot(page, "entity_ledger_remarks_zh")
    assert _watch(page).errors == []
