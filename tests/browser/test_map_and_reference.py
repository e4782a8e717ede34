"""The carbon map as a map (labels, a fixed colour scale, an offline base map) and verifying
reference values from the dashboard (issue 16, items 6-8), in Debian's Chromium.

* the map: street names at their polygons, building names at a closer zoom; the colour breaks
  are the district's, the same for the admin and an entity manager, and the legend's classes
  are distinct and in units; a PMTiles base map the test writes (the ``pmtiles`` package),
  imported with ``carbonpeak map import-basemap``, is read by range requests and drawn;
* an admin's verification of the quota table removes the "unverified" banner (an analyst's
  is refused, 403); the date field of the form reads YYYY-MM-DD in an en-US browser.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, FilePayload, Page
from typer.testing import CliRunner

from carbonpeak.cli import app as cli_app
from tests.browser.conftest import (
    TIMEOUT_MS,
    Demo,
    api_get,
    api_sign_in,
    shot,
    sign_in,
    wait_loaded,
)

BASE_RGB = (255, 0, 255)  # the base map's one colour: nothing else on the map is magenta


def _png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A one-colour PNG written by hand (zlib)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = b"\x00" + bytes(rgb) * size
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0,
                                                             0, 0))
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(x, n - 1), min(y, n - 1)


def _write_basemap(path: Path, bbox: tuple[float, float, float, float]) -> int:
    """A raster PMTiles archive of one-colour tiles over ``bbox`` at zooms 0-8 (MapLibre
    over-zooms past 8); returns the number of tiles."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    w, s, e, n = bbox
    png = _png(BASE_RGB)
    ids = sorted({zxy_to_tileid(z, x, y) for z in range(9)
                  for x in range(_tile(w, n, z)[0], _tile(e, s, z)[0] + 1)
                  for y in range(_tile(w, n, z)[1], _tile(e, s, z)[1] + 1)})
    with write(str(path)) as writer:
        for tid in ids:
            writer.write_tile(tid, png)
        writer.finalize({
            "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
            "min_zoom": 0, "max_zoom": 8,
            "min_lon_e7": int(w * 1e7), "min_lat_e7": int(s * 1e7),
            "max_lon_e7": int(e * 1e7), "max_lat_e7": int(n * 1e7),
            "center_zoom": 8, "center_lon_e7": int((w + e) / 2 * 1e7),
            "center_lat_e7": int((s + n) / 2 * 1e7)}, {"name": "test base map"})
    return len(ids)


def _bbox(api: dict[str, Any]) -> tuple[float, float, float, float]:
    pts: list[tuple[float, float]] = []

    def visit(c: Any) -> None:
        if isinstance(c[0], (int, float)):
            pts.append((float(c[0]), float(c[1])))
        else:
            for x in c:
                visit(x)
    for layer in ("streets", "entities"):
        for f in api[layer]["features"]:
            visit(f["geometry"]["coordinates"])
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    return min(lons) - 0.2, min(lats) - 0.2, max(lons) + 0.2, max(lats) + 0.2


def _map_ready(page: Page, key: str) -> None:
    page.wait_for_function(
        "key => document.querySelector('[data-testid=map-canvas]')?.dataset.loaded === key",
        arg=key)


_COLOUR = """eid => {
    const f = window.__cpMap.queryRenderedFeatures({layers: ['entities-circle']})
        .find(x => x.properties.entity_id === eid);
    if (!f) return null;
    const c = f.layer.paint['circle-color'];
    return [c.r, c.g, c.b].map(v => Math.round(v * 255)); }"""


def _class_of(value: float, breaks: list[float]) -> int:
    return sum(1 for b in breaks if value >= b)


def _legend(page: Page) -> tuple[list[float], list[str]]:
    box = page.get_by_test_id("legend-entities")
    breaks = [float(x) for x in (box.get_attribute("data-breaks") or "[]").strip("[]").split(",")
              if x]
    return breaks, box.get_by_test_id("legend-class").all_inner_texts()


def test_map_labels_fixed_scale_and_offline_base_map(browser: Browser, demo: Demo) -> None:
    admin = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    admin.set_default_timeout(TIMEOUT_MS)
    api_sign_in(admin, demo, "admin")
    page = admin.new_page()
    whole = api_get(page, demo, "/map")
    assert whole["basemap"] is None

    # the admin imports a base map written here (the CLI, as on a server; run in this
    # process by Typer's runner, on the served home)
    archive = demo.home.parent / "test-basemap.pmtiles"
    assert _write_basemap(archive, _bbox(whole)) >= 9
    done = CliRunner().invoke(cli_app, ["map", "import-basemap", str(archive)],
                              catch_exceptions=False,
                              env={"CARBONPEAK_HOME": str(demo.home),
                                   "CARBONPEAK_DATABASE_URL": None})
    assert done.exit_code == 0, done.output
    assert "png" in done.stdout

    requests: list[tuple[str, str | None]] = []
    page.on("request", lambda r: requests.append((r.url, r.headers.get("range"))))
    page.goto(f"{demo.url}/#/map")
    wait_loaded(page)
    year = str(whole["year"])
    _map_ready(page, year)
    data = api_get(page, demo, "/map")
    assert data["basemap"]["tile_type"] == "png"

    # the base map: requested by byte ranges, its layer drawn (a magenta corner)
    ranged = [rg for url, rg in requests if url.endswith("/api/v1/map/basemap.pmtiles")]
    assert ranged, "the base map was not requested"
    assert all(rg and rg.startswith("bytes=") for rg in ranged), ranged
    assert page.get_by_test_id("map-canvas").get_attribute("data-base") == "pmtiles"
    assert page.evaluate("() => window.__cpMap.isSourceLoaded('basemap')")
    pixel = page.evaluate("""() => {
        const src = window.__cpMap.getCanvas();
        const c = document.createElement('canvas'); c.width = src.width; c.height = src.height;
        const g = c.getContext('2d'); g.drawImage(src, 0, 0);
        return Array.from(g.getImageData(4, 4, 1, 1).data).slice(0, 3); }""")
    assert pixel[0] > 200, pixel
    assert pixel[1] < 80, pixel
    assert pixel[2] > 200, pixel

    # street labels at their polygons, in the Chinese edition in Chinese
    streets = {f["properties"]["code"]: f["properties"]["name_zh"]
               for f in data["streets"]["features"]}
    labels = page.get_by_test_id("map-label-street")
    got = {labels.nth(i).get_attribute("data-code"): labels.nth(i).inner_text()
           for i in range(labels.count())}
    assert got == streets
    assert page.get_by_test_id("map-label-entity").count() == 0  # not at the district's zoom

    # the fixed scale: the district's breaks, distinct classes in units, in the legend
    breaks, classes = _legend(page)
    assert breaks == data["scales"]["entities_kgce_per_m2"]["breaks"]
    assert len(breaks) >= 2
    assert breaks == sorted(set(breaks))
    assert len(classes) == len(breaks) + 1 == len(set(classes))
    assert all("kgce/m²" in c for c in classes)
    eui = {f["properties"]["entity_id"]: f["properties"]["kgce_per_m2"]
           for f in data["entities"]["features"] if f["properties"]["kgce_per_m2"] is not None}
    worst = max(eui, key=lambda k: eui[k])
    assert _class_of(eui[worst], breaks) == len(breaks)  # the district's worst: top class
    colours = {eid: page.evaluate(_COLOUR, eid) for eid in eui}
    assert colours[worst] != colours[min(eui, key=lambda k: eui[k])]
    shot(page, "test_map_labels_scale_basemap")

    # closer: building names
    lon, lat = next(f["geometry"]["coordinates"] for f in data["entities"]["features"]
                    if f["properties"]["entity_id"] == worst)
    page.evaluate("([lon, lat]) => window.__cpMap.jumpTo({center: [lon, lat], zoom: 16})",
                  [lon, lat])
    page.locator(f"[data-testid=map-label-entity][data-entity-id='{worst}']").wait_for()
    shot(page, "test_map_building_labels")

    # an entity manager: the same breaks and the same colour for the same figure
    mgr = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    mgr.set_default_timeout(TIMEOUT_MS)
    api_sign_in(mgr, demo, "manager")
    mp = mgr.new_page()
    mine = api_get(mp, demo, "/map")
    assert mine["scales"] == data["scales"]
    own = {f["properties"]["entity_id"]: f["properties"]["kgce_per_m2"]
           for f in mine["entities"]["features"] if f["properties"]["kgce_per_m2"] is not None}
    assert own
    assert set(own) < set(eui)
    mp.goto(f"{demo.url}/#/map")
    wait_loaded(mp)
    _map_ready(mp, year)
    assert _legend(mp) == (breaks, classes)
    own_worst = max(own, key=lambda k: own[k])
    assert mp.evaluate(_COLOUR, own_worst) == colours[own_worst]
    # its class is the district's class, not the top of its own one-building range
    assert _class_of(own[own_worst], breaks) < len(breaks) or own_worst == worst
    shot(mp, "test_map_manager_same_scale")
    mgr.close()
    admin.close()


def test_a_verification_removes_the_banner_and_dates_read_iso(
        page: Page, browser: Browser, demo: Demo) -> None:
    # an analyst sees the banner but no form, and the API refuses the analyst (403)
    analyst = api_sign_in(page.context, demo, "analyst")
    page.goto(f"{demo.url}/#/buildings")
    wait_loaded(page)
    page.get_by_test_id("bm-unverified").wait_for()
    assert page.get_by_test_id("verify-box").count() == 0
    refused = page.request.post(
        f"{demo.url}/api/v1/reference-verifications",
        headers={"X-CSRF-Token": analyst["csrf_token"]},
        multipart={"kind": "quota_row", "target": "gbt51161-2016/x/y", "document_no": "1",
                   "document_date": "2024-01-01", "clause": "1"})
    assert refused.status == 403, refused.text()

    # the admin, in an en-US browser: the date field reads YYYY-MM-DD, whatever the locale
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    ctx.set_default_timeout(TIMEOUT_MS)
    ap = ctx.new_page()
    sign_in(ap, demo, "admin", hash_="#/buildings")
    wait_loaded(ap)
    ap.get_by_test_id("bm-unverified").wait_for()
    tables = api_get(ap, demo, "/quota-tables")["items"]
    assert any(x["statuses"].get("unverified") for x in tables)
    ap.locator("[data-testid=verify-box] summary").click()
    date = ap.get_by_test_id("verify-document-date")
    assert date.get_attribute("type") == "text"
    assert date.get_attribute("placeholder") == "YYYY-MM-DD"
    date.fill("12/01/2016")  # the US order is refused
    assert not date.evaluate("el => el.checkValidity()")
    date.fill("2016-02-30")  # not a date
    assert not date.evaluate("el => el.checkValidity()")
    date.fill("2016-12-01")
    assert date.evaluate("el => el.checkValidity()")
    assert date.input_value() == "2016-12-01"
    ap.get_by_test_id("verify-document-no").fill("GB/T 51161-2016")
    ap.get_by_test_id("verify-clause").fill("表 5.2.1")
    pdf: FilePayload = {"name": "gb51161.pdf", "mimeType": "application/pdf",
                        "buffer": b"%PDF-1.4 test"}
    ap.get_by_test_id("verify-file").set_input_files(files=[pdf])
    shot(ap, "test_verify_form")
    ap.get_by_test_id("verify-submit").click()
    # the page is drawn again from the derived statuses: no banner
    ap.wait_for_function("() => !document.querySelector('[data-testid=bm-unverified]')")
    wait_loaded(ap)
    ap.get_by_test_id("bm-total").wait_for()
    after = api_get(ap, demo, "/quota-tables")["items"]
    bm = api_get(ap, demo, "/benchmarking?limit=1")
    table = next(x for x in after if x["table_id"] == bm["table_id"])
    assert "unverified" not in table["statuses"]
    logged = api_get(ap, demo, "/reference-verifications")["items"]
    assert logged
    assert {v["document_no"] for v in logged} == {"GB/T 51161-2016"}
    assert all(v["verified_by"] == "user:admin" and v["file_sha256"] for v in logged)
    shot(ap, "test_verify_banner_gone")

    # small things: no negative zero; a street in the English edition with its Chinese name
    assert ap.evaluate("""() => import('/static/js/format.js').then(
        (m) => [m.pct(-0.00001, {ratio: true, digits: 2}), m.num(-0.0004, 2)])""") == [
        "0.00%", "0.00"]
    assert ap.evaluate("""() => import('/static/js/i18n.js').then((m) => {
        const was = m.lang(); m.setLang('en');
        const s = m.streetName({name_zh: '外滩街道', name_en: 'The Bund'});
        m.setLang(was); return s; })""") == "The Bund (外滩街道)"
    ctx.close()
