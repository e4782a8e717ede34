"""Reports: the rendering foundation (fonts, charts, byte-stable PDF) and the disclosure list
(能效公示) as PDF, on the quota district of ``tests/test_benchmarking.py`` (figures worked by
hand there; the ones this file checks are repeated in the comments).

The PDF is read back the way a person or a checker would: ``pdftotext`` for its text,
``pdffonts`` for its fonts, ``pdftoppm`` for its pages, and the font file's character map for
every character of the text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import delete, select
from typer.testing import CliRunner

from carbonpeak.api.routes import buildings as routes_buildings
from carbonpeak.cli import app
from carbonpeak.errors import ConfigError
from carbonpeak.i18n import label_text
from carbonpeak.publish import charts, fonts
from carbonpeak.publish.disclosure import (
    EUI_DIGITS,
    disclosure_html,
    disclosure_pdf,
    report_names,
)
from carbonpeak.publish.render import html_to_pdf, number, percent, report_time, unit_label
from carbonpeak.services.buildings.benchmarking import Benchmark, benchmark, classify
from carbonpeak.storage.registry.models import AuditLog, EntityQuotaClass
from carbonpeak.storage.workspace import audit
from tests import test_benchmarking
from tests.test_benchmarking import O1_2024, District

district = test_benchmarking.district  # the quota district (per backend), as a fixture here

WHEN = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
NAMES = {"O1": "外滩办公一", "O2": "豫园办公二", "O3": "外滩办公三", "O4": "外滩办公四",
         "H1": "豫园酒店", "P1": "豫园医院", "G1": "豫园商场"}


def _pdf_file(tmp_path: Path, data: bytes, name: str = "r.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True).stdout.decode("utf-8")


def pdffonts(path: Path) -> list[dict[str, str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    rows = []
    for line in out[2:]:  # name, type, encoding, emb, sub, uni, object, generation
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return rows


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-isodates", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines()
                                              if ":" in line)}


@pytest.fixture(scope="module")
def bm(district: District) -> Benchmark:
    return benchmark(district.ws, "huangpu", 2024)


@pytest.fixture(scope="module")
def zh_pdf(district: District, bm: Benchmark, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = disclosure_pdf(bm, generated=WHEN, names=report_names(district.ws, "huangpu"))
    return _pdf_file(tmp_path_factory.mktemp("pdf"), data, "disclosure-zh.pdf")


# -- formatting ------------------------------------------------------------------------------
def test_number_formats() -> None:
    assert number(108.98616, 2) == "108.99"
    assert number(88_000.0, 0) == "88,000"
    assert number(None) == number(float("nan")) == "—"
    assert percent(1 - 110 / 120) == "8.3%"  # 10 / 120 = 8.333 %
    assert percent(None) == "—"
    assert unit_label("kWh/(m2·a)") == "kWh/(m²·a)"


def test_report_time_is_explicit_or_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert report_time(dt.datetime(2025, 3, 1, 8, 0, 0, 123)) == WHEN  # naive = UTC, whole s
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert report_time() == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        report_time()


# -- fonts -----------------------------------------------------------------------------------
def test_the_cjk_font_is_found_and_checks_characters() -> None:
    font = fonts.cjk_font()
    assert font.family == fonts.CJK_FAMILY
    assert font.path.is_file()
    assert fonts.missing_glyphs("黄浦区 kgce/m² —·（）8.3%") == []
    # an emoji is not in Noto Sans CJK: the check names it
    assert fonts.missing_glyphs("办公\U0001f600楼\U0001f600") == ["\U0001f600"]


def test_a_missing_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    fonts.cjk_font.cache_clear()
    try:
        monkeypatch.setattr(fonts, "_DIRS", (str(tmp_path),))
        with pytest.raises(ConfigError, match="fonts-noto-cjk"):
            fonts.cjk_font()
        monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.otf"))
        fonts.cjk_font.cache_clear()
        with pytest.raises(ConfigError, match=r"nope\.otf: no such font file"):
            fonts.cjk_font()
    finally:
        monkeypatch.undo()
        fonts.cjk_font.cache_clear()
    assert fonts.cjk_font().family == fonts.CJK_FAMILY


# -- charts ----------------------------------------------------------------------------------
def test_charts_are_byte_stable_and_refuse_missing_glyphs() -> None:
    def draw():
        return charts.hbar(["达到引导值", "超过约束值"], [2, 1], xlabel="建筑数（栋）")

    one, two = charts.svg(draw()), charts.svg(draw())
    assert one == two
    assert one.startswith(b"<?xml")
    assert b"<dc:date>" not in one
    assert b"Matplotlib v" not in one
    p1, p2 = charts.png(draw()), charts.png(draw())
    assert p1 == p2
    assert p1.startswith(b"\x89PNG")
    assert charts.data_uri(b"<svg/>") == "data:image/svg+xml;base64,PHN2Zy8+"
    with pytest.raises(ConfigError, match=r"U\+1F600"):
        charts.svg(charts.hbar(["办公\U0001f600"], [1]))


# -- the renderer ----------------------------------------------------------------------------
def test_the_renderer_fetches_nothing_outside_the_document() -> None:
    with pytest.raises(ConfigError, match="only data: URIs"):
        html_to_pdf('<p>x</p><img src="file:///etc/hostname">', created=WHEN)


# -- the disclosure PDF ----------------------------------------------------------------------
def test_disclosure_pdf_text_carries_the_figures(zh_pdf: Path, bm: Benchmark) -> None:
    text = pdftotext(zh_pdf)
    assert "黄浦区 2024 年公共建筑能效公示" in text
    assert "gbt51161-2016 v1" in text
    assert "未核实（unverified）" in text  # the shipped table's status, on the page
    assert "限额值未经核实" in text
    for name in NAMES.values():
        assert name in text
    # every building's figures, formatted as in the table
    for r in bm.records():
        assert number(r["eui"], EUI_DIGITS) in text, r["entity_id"]
        assert number(r["eui_kgce_per_m2_equal"], EUI_DIGITS) in text, r["entity_id"]
        assert label_text("quota_rating", r["rating"], "zh") in text
    # by hand: O1 (960,000 + 129,861.676) / 10,000 = 108.99; O2 60.00; O3 120.00; H1 180.00;
    # O3 over 110 by 1 − 110/120 = 8.3 %, (120 − 110) × 5,000 m² = 50,000 kWh a year
    assert number(O1_2024, 2) == "108.99"
    for figure in ("108.99", "60.00", "120.00", "180.00", "8.3%", "50,000 kWh/a"):
        assert figure in text
    # summary: 7 buildings, 10,000 + 20,000 + 5,000 + 8,000 + 10,000 + 5,000 + 30,000 m²
    assert re.search(r"合计\s+7\s+88,000", text)
    assert re.search(r"超过约束值\s+1\s+5,000\s+5\.7%", text)  # 5,000 / 88,000
    # the quota rows' sources
    assert "GB/T 51161-2016" in text
    assert "B类五星级酒店" in text
    assert "（认定）" in text  # H1's class was assigned; the offices' are the default
    assert "（默认）" in text


def test_disclosure_pdf_fonts_are_embedded_and_cover_every_character(zh_pdf: Path) -> None:
    rows = pdffonts(zh_pdf)
    assert rows
    assert {r["emb"] for r in rows} == {"yes"}
    assert {r["uni"] for r in rows} == {"yes"}
    # only the CJK face: nothing fell back to another font for a character it lacked
    assert all("Noto-Sans-CJK-SC" in r["name"] for r in rows), rows
    text = pdftotext(zh_pdf)
    assert fonts.missing_glyphs(text) == []


def test_disclosure_pdf_pages_render(zh_pdf: Path, tmp_path: Path) -> None:
    info = pdfinfo(zh_pdf)
    assert info["CreationDate"] == info["ModDate"] == "2025-03-01T08:00:00Z"
    assert "(A4)" in info["Page size"]
    pages = int(info["Pages"])
    assert pages >= 2
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-png", str(zh_pdf),
                    str(tmp_path / "page")], check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as im:
        rgb = im.convert("RGB")
        assert rgb.width > rgb.height  # A4 landscape
        # the unverified warning is drawn: its red border (#c62828) is on page 1
        colors = rgb.getcolors(rgb.width * rgb.height) or []
        reds = sum(n for n, (r, g, b) in colors if r > 150 and g < 90 and b < 90)
        assert reds > 50


def test_disclosure_pdf_is_byte_stable(bm: Benchmark, zh_pdf: Path, tmp_path: Path) -> None:
    again = disclosure_pdf(bm, generated=WHEN)
    assert again == disclosure_pdf(bm, generated=WHEN)
    later = disclosure_pdf(bm, generated=WHEN + dt.timedelta(days=1))
    assert later != again
    ids = [re.findall(rb"/ID \[\((\w+)\)", x) for x in (again, later)]
    assert ids[0] == ids[1] != []  # the identifier does not depend on the time
    # and in another process with another hash seed (no set order leaks into the bytes)
    dumped = tmp_path / "bm.pickle"
    dumped.write_bytes(pickle.dumps(bm))
    code = ("import pickle, sys, datetime as dt; from carbonpeak.publish.disclosure import "
            "disclosure_pdf; bm = pickle.loads(open(sys.argv[1], 'rb').read()); "
            "sys.stdout.buffer.write(disclosure_pdf(bm, generated=dt.datetime(2025, 3, 1, 8)))")
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    out = subprocess.run([sys.executable, "-c", code, str(dumped)], check=True,
                         capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
    assert out.stdout == again


def test_english_edition(district: District, bm: Benchmark, tmp_path: Path) -> None:
    data = disclosure_pdf(bm, lang="en", generated=WHEN,
                          names=report_names(district.ws, "huangpu"))
    text = pdftotext(_pdf_file(tmp_path, data))
    assert "Huangpu District public building energy disclosure 2024" in text
    assert "unverified" in text
    assert "For information only" in text
    for label in ("over constraint value", "meets guide value", "incomplete data", "Total"):
        assert label in text
    assert "The Bund" in text  # street names in English
    for r in bm.records():
        assert number(r["eui"], EUI_DIGITS) in text
    for name in NAMES.values():  # the buildings keep their names
        assert name in text
    for zh in ("能效公示", "建筑名称", "评级", "限额依据", "未核实"):
        assert zh not in text
    assert fonts.missing_glyphs(text) == []


def test_html_edition_is_self_contained_and_escaped(bm: Benchmark) -> None:
    frame = bm.frame.copy()
    frame.loc[0, "name"] = '<script>alert("x")</script> & Co'
    html = disclosure_html(dataclasses.replace(bm, frame=frame), generated=WHEN)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert "<script>" not in html
    assert '<img src="data:image/svg+xml;base64,' in html
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "@page" in html  # the stylesheet is inline


# -- API and CLI -----------------------------------------------------------------------------
@pytest.mark.parametrize(("user", "seen", "scope"), [
    ("analyst", {"O1", "O2", "O3", "O4", "H1", "P1", "G1"}, "全区"),
    ("officer", {"O1", "O3", "O4"}, "外滩街道"),
    ("manager", {"O2"}, "本单位建筑"),
])
@pytest.mark.contract
def test_disclosure_pdf_api_is_scoped(district: District, tmp_path: Path, user: str,
                                      seen: set[str], scope: str) -> None:
    r = district.get(user, "/api/v1/benchmarking/disclosure.pdf?year=2024")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "disclosure-huangpu-2024-gbt51161-2016-zh.pdf" in r.headers["content-disposition"]
    text = pdftotext(_pdf_file(tmp_path, r.content))
    assert {k for k, name in NAMES.items() if name in text} == seen
    assert f"公示范围：{scope}" in text
    assert "未核实" in text


def test_disclosure_pdf_api_parameters(district: District, tmp_path: Path) -> None:
    r = district.get("officer", "/api/v1/benchmarking/disclosure.pdf?year=2024&lang=en"
                     "&table=db31-shanghai")
    assert r.status_code == 200, r.text
    text = pdftotext(_pdf_file(tmp_path, r.content))
    assert "Scope: The Bund" in text
    assert "db31-shanghai v" in text
    # DB31/T 1341 office (kgce): O3 600,000 × 0.1229 / 5,000 = 14.748 → over 14
    assert "14.75" in text
    assert "0.1229" in text
    base = "/api/v1/benchmarking/disclosure.pdf"
    assert district.get("analyst", f"{base}?lang=fr").status_code == 422
    assert district.get("analyst", f"{base}?year=2020").status_code == 404
    assert district.get("analyst", f"{base}?table=nope").status_code == 404
    assert district.client.get(base).status_code == 401


def test_cli_writes_the_disclosure_pdf(district: District, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(district.ws.settings.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", str(district.ws.settings.database_url))
    out = tmp_path / "out" / "disclosure.pdf"
    r = CliRunner().invoke(app, ["benchmark", "--year", "2024", "--pdf", str(out), "--lang",
                                 "en"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "能效公示（PDF）" in r.output
    text = pdftotext(out)
    assert "Huangpu District public building energy disclosure 2024" in text
    assert all(name in text for name in NAMES.values())
    r = CliRunner().invoke(app, ["benchmark", "--year", "2024", "--pdf", str(out), "--lang",
                                 "fr"], catch_exceptions=False)
    assert r.exit_code != 0


def test_disclosure_pdf_api_is_cached_and_dated_by_the_data(
        district: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF is rendered once per data version, scope, year, table and language, and carries
    the time of the data (the latest change), not the time of the request: the same data
    gives the same bytes; a change of the data gives new ones, dated by that change."""
    renders: list[str] = []
    real = routes_buildings.disclosure_pdf

    def counted(*args: Any, **kwargs: Any) -> bytes:
        renders.append(kwargs["lang"])
        return real(*args, **kwargs)

    monkeypatch.setattr(routes_buildings, "disclosure_pdf", counted)
    url = "/api/v1/benchmarking/disclosure.pdf?year=2024&lang=en"
    first = district.get("officer", url)
    second = district.get("officer", url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert renders == ["en"]  # the second answer came from the cache
    assert district.get("manager", url).content != first.content  # another scope
    assert len(renders) == 2
    # a change of the data: O1 assigned to the government-office class (constraint 90 in the
    # hot-summer cold-winter zone: O1's 108.99 is then over it), audit-logged as every change
    (tmp_path / "classes.csv").write_text("entity_id,table_id,quota_class,source\n"
                                          "O1,gbt51161-2016,B_government_office,认定 2025\n",
                                          encoding="utf-8")
    assert classify(district.ws, "huangpu", tmp_path / "classes.csv")["created"] == 1
    try:
        with district.ws.registry.session() as s:
            changed_at = s.scalars(select(AuditLog.at).where(
                AuditLog.object_type.not_in(("user", "api_token")))
                .order_by(AuditLog.id.desc())).first()
        assert changed_at is not None
        third = district.get("officer", url)
        assert third.content != first.content
        assert len(renders) == 3
        path = _pdf_file(tmp_path, third.content)
        assert "class B government office" in pdftotext(path)
        # the PDF's time is that of the change, to the second
        assert pdfinfo(path)["CreationDate"] == f"{changed_at:%Y-%m-%dT%H:%M:%S}Z"
        assert district.get("officer", url).content == third.content
        assert len(renders) == 3
    finally:  # O1 back to the default class
        with district.ws.registry.session() as s:
            s.execute(delete(EntityQuotaClass).where(EntityQuotaClass.entity_id == "O1"))
            audit(s, "test", "delete", "entity_quota_class", "O1", {}, district="huangpu")


def test_disclosure_prints_beijing_time_like_the_white_paper(bm: Benchmark) -> None:
    # WHEN is 2025-03-01 08:00 UTC = 16:00 in Beijing (UTC+8)
    zh = disclosure_html(bm, generated=WHEN)
    en = disclosure_html(bm, lang="en", generated=WHEN)
    assert "2025-03-01 16:00 北京时间" in zh
    assert "2025-03-01 16:00 UTC+8" in en
    assert "08:00 UTC" not in zh + en
