"""The Chinese white paper of the demo speaks Chinese: no English word except units, standard
codes and proper names (the allow-list below).

What the edition quotes verbatim from the registry and the reference data is not the code's
writing and is left out of the check: the factor rows' and the profile's ``source`` texts, the
names of the imported files, identifiers (``shanghai_local@v1``, ``audit_min_floor_area_m2``,
URLs) and the profile's entries as they are (``audit_kinds = audit, diagnosis``). Every
sentence, label, reason and note the code writes is checked.

Builds the demo (``carbonpeak demo --no-serve --buildings 20``, a few minutes) and renders the
HTML edition (the PDF is made from the same HTML).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Units, standard and plan codes, abbreviations and proper names allowed in Chinese text.
ALLOWED = {
    # units
    "kWh", "MWh", "kgce", "tce", "tCO", "t", "kg", "m", "km", "GJ", "TJ", "MJ", "kJ", "MW",
    "kW", "min", "h", "a", "yr", "Nm", "tC",
    # standards, codes, methods and abbreviations
    "GB", "T", "DB", "HP", "CV", "RMSE", "NMBE", "LMDI", "C", "PV", "ASHRAE", "IPMVP", "GDP",
    "CO", "DR", "ADR", "UTC", "G", "v", "P", "x", "COP",
    # GB/T 4754 section letters (sector codes such as L72)
    "A", "B", "D", "E", "F", "H", "I", "J", "K", "L", "M", "N", "O", "Q", "R", "S", "U",
    # proper names
    "carbonpeak", "huangpu", "DuckDB", "Spark", "Guideline",
}

#: a profile entry quoted as it is (``audit_kinds = audit, diagnosis``), identifiers, URLs,
#: file names and codes with digits (``gbt51161-2016``, ``L72``)
_IDENTIFIER = re.compile(r"\b[a-z]+_[a-z0-9_]+ = [A-Za-z0-9_, .:-]+"
                         r"|[A-Za-z0-9@./:-]*(?:_|@|://|\.csv|\.md|\.html|\.toml)"
                         r"[A-Za-z0-9_@./:-]*|(?<![A-Za-z])[A-Za-z]+\d[A-Za-z0-9-]*")


def _quoted(content: dict[str, Any], profile: dict[str, Any]) -> set[str]:
    """Texts the edition quotes verbatim from the registry and the reference data: the factor
    rows' sources, the imported files' names, the profile's sources and the plan's units that
    the plan file gives in English only (``% of feasible roofs``)."""
    method = content["method"]
    out = {str(r["source"]) for r in method["factor_set"]["rows"] if r.get("source")}
    out |= {str(b["file"]) for b in method["batches"] if b.get("file")}
    out |= {str(r["unit"]) for r in content["targets"].get("rows", [])
            if len(re.findall(r"[A-Za-z]+", str(r.get("unit") or ""))) > 1
            and not re.search(r"[\u3000-\u9fff]", str(r["unit"]))}

    def walk(x: Any, key: str = "") -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, str(k))
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and key == "source" and x.strip():
            out.add(x)

    walk(profile)
    return out


def _flat(text: str) -> str:
    """Runs of spaces and soft breaks (zero-width space, soft hyphen) as one space."""
    return re.sub(r"[\s\u200b\u00ad]+", " ", text)


def english_words(text: str, quoted: set[str]) -> set[str]:
    """Latin-letter words of ``text`` not in :data:`ALLOWED`, after the quoted data and
    identifiers are taken out."""
    text = _flat(text)
    for q in sorted(quoted, key=len, reverse=True):
        text = text.replace(_flat(q), " ")
    text = _IDENTIFIER.sub(" ", text)
    return {w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED}


def html_text(page: str) -> str:
    """The visible text of an HTML edition (charts are SVG paths, styles are not text)."""
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(page)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-zh")
    env = {**os.environ, "CARBONPEAK_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CARBONPEAK_DATABASE_URL", None)
    built = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "carbonpeak", "demo", "--no-serve", "--buildings", "20"],
        env=env, capture_output=True, text=True, timeout=900, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return home


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
    profile = tomllib.loads((ROOT / "reference" / "profiles" / "huangpu.toml").read_text(
        encoding="utf-8"))
    found = english_words(text, _quoted(content, profile))
    lines = sorted({" ".join(line.split())[:160] for line in text.splitlines()
                    if set(re.findall(r"[A-Za-z]+", line)) & found})
    assert found == set(), "\n".join(lines)
    assert "碳排放" in text  # the check read the edition
