"""The Chinese white paper of the demo speaks Chinese: no English word except units, standard
codes and proper names (the allow-list below), and no file path, parameter name or URL.

Sources are cited by their Chinese titles and document numbers (a factor row by the Chinese
title of its set, a rule of the profile by its ``source_zh``), so nothing the edition prints is
exempt: the check reads the whole visible text. Codes with a digit (``GB/T 4754``'s ``L72``, a
quota table ``gbt51161-2016``) and a factor set's version label (``shanghai_local@v1``, in the
account's notes) are codes, not words.

Builds the demo (``carbonpeak demo --no-serve --buildings 20``, a few minutes) and renders the
HTML edition (the PDF is made from the same HTML).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import demo_copy

ROOT = Path(__file__).resolve().parents[1]

#: Units, standard and plan codes, abbreviations and proper names allowed in Chinese text.
ALLOWED = {
    # units
    "kWh", "MWh", "kgce", "tce", "tCO", "t", "kg", "m", "km", "GJ", "TJ", "MJ", "kJ", "MW",
    "kW", "kWp", "min", "h", "a", "yr", "Nm", "tC",
    # standards, codes, methods and abbreviations
    "GB", "T", "DB", "NB", "HP", "CV", "RMSE", "NMBE", "LMDI", "C", "PV", "ASHRAE", "IPMVP", "GDP",
    "CO", "DR", "ADR", "VEN", "UTC", "G", "v", "P", "x", "COP", "M",
    # GB/T 4754 section letters (sector codes such as L72)
    "A", "B", "D", "E", "F", "H", "I", "J", "K", "L", "N", "O", "Q", "R", "S", "U",
    # proper names: the software, its engines, a guideline's and a method's authors
    "carbonpeak", "DuckDB", "Spark", "Guideline", "Ang", "Liu",
}

#: a factor set's version label and codes with a digit (``gbt51161-2016``, ``L72``, an
#: event's ``DR-DEMO-1``)
_CODES = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9_]*@v\d+(?![A-Za-z0-9])"
                    r"|(?<![A-Za-z])[A-Za-z]+\d[A-Za-z0-9-]*"
                    r"|(?<![A-Za-z0-9])[A-Z]+(?:-[A-Z]+)*-\d+(?![A-Za-z0-9])")
#: what the Chinese edition must never print
_URL = re.compile(r"[A-Za-z]+://|www\.")
_PATH = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9_./-]*\.[A-Za-z]+"
                   r"|\.(?:csv|md|toml|json|html|py|xlsx|pdf)\b")
_PARAMETER = re.compile(r"(?<![A-Za-z0-9_])[a-z]+_[a-z0-9_]+")


def _flat(text: str) -> str:
    """Runs of spaces and soft breaks (zero-width space, soft hyphen) as one space."""
    return re.sub(r"[\s\u200b\u00ad]+", " ", text)


def english_words(text: str) -> set[str]:
    """Latin-letter words of ``text`` not in :data:`ALLOWED` (codes taken out)."""
    text = _CODES.sub(" ", _flat(text))
    return {w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED}


def leaks(text: str) -> list[str]:
    """The URLs, file paths and parameter names in ``text`` (factor-set labels taken out)."""
    text = re.sub(r"(?<![A-Za-z0-9_])[a-z][a-z0-9_]*@v\d+(?![A-Za-z0-9])", " ", _flat(text))
    return [m.group(0) for rx in (_URL, _PATH, _PARAMETER) for m in rx.finditer(text)]


def html_text(page: str) -> str:
    """The visible text of an HTML edition (charts are SVG paths, styles are not text)."""
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(tmp_path_factory, "demo-zh").home


def chinese_edition(home: Path) -> tuple[str, dict[str, Any]]:
    from carbonpeak.config import Settings
    from carbonpeak.publish.whitepaper.content import white_paper
    from carbonpeak.publish.whitepaper.document import whitepaper_html
    from carbonpeak.storage.workspace import Workspace

    ws = Workspace.open(Settings(home=home, database_url=f"sqlite:///{home}/registry.sqlite"))
    try:
        content = white_paper(ws, year=2024)
    finally:
        ws.close()
    return html_text(whitepaper_html(content, lang="zh")), content


def test_the_chinese_white_paper_of_the_demo_has_no_english(demo_home: Path) -> None:
    text, content = chinese_edition(demo_home)
    found = english_words(text)
    lines = sorted({" ".join(line.split())[:160] for line in text.splitlines()
                    if set(re.findall(r"[A-Za-z]+", line)) & found})
    assert found == set(), "\n".join(lines)
    leaked = leaks(text)
    assert leaked == [], leaked
    assert "碳排放" in text  # the check read the edition
    # units in Chinese (m² is 平方米), never the plan file's ``m2``
    assert not re.search(r"(?<![A-Za-z])m2\b", text)
    # sectors by their full GB/T 4754 names
    from carbonpeak.i18n import msg, render

    sectors = [r["sector"] for r in content["breakdowns"]["by_sector"]]
    assert sectors
    for code in sectors:
        if code != "(none)":
            assert render(msg(f"label.sector.{code.lower()}"), "zh") in text
    assert "电力、热力、燃气及水生产和供应业" in render(msg("label.sector.d"), "zh")
    # no sentence about platform modules that are not online
    for said in ("尚未上线", "模块接入", "模块", "平台的"):
        assert said not in text, said


def test_the_checker_finds_what_it_should() -> None:
    """The checks themselves, on hand-written lines."""
    assert english_words("二氧化碳排放（statistics）") == {"statistics"}
    assert english_words("按GB/T 4754门类L72，因子集shanghai_local@v1，3 次/5年") == set()
    assert english_words("目标100% of feasible roofs") == {"of", "feasible", "roofs"}
    assert leaks("见docs/commissioning.md") == ["docs/commissioning.md"]
    assert leaks("文件entities.csv") == [".csv"]
    assert leaks("https://example.org/a.html") != []
    assert leaks("（audit_min_floor_area_m2 = 10,000）") == ["audit_min_floor_area_m2"]
    assert leaks("因子集shanghai_local@v1中以下系数未经核实") == []


def test_a_section_without_its_input_says_why_in_chinese() -> None:
    """A section whose build fails says why in the reader's language: the error's catalogue
    message where it carries one, else that an input is missing; never an exception's English
    text inside the Chinese edition."""
    from carbonpeak.errors import ConfigError, NotFoundError
    from carbonpeak.i18n import msg, render
    from carbonpeak.publish.whitepaper.content import _section

    def no_run() -> dict[str, Any]:
        raise NotFoundError("no official account run for 2019")

    plain = _section(no_run, "双控", "dual control")
    assert plain == {"available": False, "reason_zh": "双控暂无法提供：所需的输入数据不全",
                     "reason_en": "dual control not available: no official account run for 2019"}
    reason = msg("access.user.street_required")

    def misconfigured() -> dict[str, Any]:
        raise ConfigError("a street officer needs a street", reason)

    coded = _section(misconfigured, "双控", "dual control")
    assert coded["reason_zh"] == f"双控暂无法提供：{render(reason, 'zh')}"
    assert coded["reason_en"] == f"dual control not available: {render(reason, 'en')}"
    assert not re.search(r"[A-Za-z]", coded["reason_zh"] + plain["reason_zh"])
