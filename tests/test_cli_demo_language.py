"""The CLI speaks Chinese by default: the main read commands, run in zh on the demo, print no
English word except units, standard codes and proper names (the white paper's allow-list,
:data:`tests.test_whitepaper_language.ALLOWED`, and a few more below).

Codes are not words: a figure's or column's code (``energy.metered``, ``energy_tce``), an id
with a digit, and the ids of the demo's district and streets (``huangpu``, ``waitan``), which
the tables print as the key they are.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import demo_copy
from tests.test_whitepaper_language import ALLOWED, english_words

#: more units and abbreviations the CLI prints: direct and alternating current, an internet
#: data centre, a model's proper name, grams of coal equivalent (gce/kWh)
CLI_ALLOWED = ALLOWED | {"AC", "DC", "IDC", "PVWatts", "CNY", "gce"}

#: the read commands checked (each with its arguments)
COMMANDS = (
    ("metrics", "--year", "2024"),
    ("targets", "--year", "2024"),
    ("warnings", "--year", "2024"),
    ("dual-control", "--year", "2024"),
    ("runs",),
    ("projects", "list"),
    ("projects", "impact", "--year", "2024"),
    ("retrofits", "list"),
    ("tasks", "list"),
    ("dr", "capability"),
    ("pv", "potential"),
    ("pv", "progress"),
    ("held", "list"),
    ("commissioning", "--year", "2024"),
    ("factors", "list"),
    ("factors", "show", "shanghai_local"),
    ("obligations", "codes"),
    ("obligations", "checklist", "--year", "2024"),
    ("indicators", "list"),
    ("quotas", "list"),
    ("certificates", "list"),
    ("audits", "schedule"),
)

#: a code: dotted (``energy.metered``, cut short by the table as ``street.energy.meter…``) or
#: with an underscore (a column, ``energy_tce``); an id or file name with a digit (a filing's
#: reference ``ENERGY_REPORT-2024-8273``, a certificate's serial, ``db31-shanghai.csv``); an
#: account (``cli:root``); a command as typed, in backticks (`` `carbonpeak obligations
#: codes` ``); a profile's table as written in its file (``[buildings]``); the address a
#: source was read at (a URL)
_CODE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9_]*(?:\.[a-z0-9_]*)+…?"
                   r"|(?<![A-Za-z0-9_])[a-z]+_[a-z0-9_]+"
                   r"|(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*[0-9][A-Za-z0-9_.-]*"
                   r"|(?<![A-Za-z0-9_])[a-z]+:[a-z][a-z0-9_.-]*"
                   r"|`[^`]{0,80}`|\[[a-z_]+\]|https?://\S*")


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(tmp_path_factory, "demo-cli-zh").home


def _ids(home: Path) -> set[str]:
    """The demo's district and street ids."""
    with sqlite3.connect(home / "registry.sqlite") as db:
        rows = db.execute("SELECT id FROM districts UNION SELECT code FROM streets").fetchall()
    return {str(r[0]) for r in rows}


def words(text: str, ids: set[str]) -> set[str]:
    """The English words of ``text`` outside the allow-list (codes and ids taken out)."""
    return {w for w in english_words(_CODE.sub(" ", text)) if w not in CLI_ALLOWED | ids}


def test_the_code_of_a_figure_or_column_is_not_a_word() -> None:
    assert words("energy.metered │ street.energy.meter… │ energy_tce / gdp_10k_cny", set()) \
        == set()
    assert words("no official account of 2024 │ huangpu", {"huangpu"}) == {
        "no", "official", "account", "of"}
    assert words("年度（ENERGY_REPORT-2024-8273），登记人 cli:root；DEMO-GEC-huangpu-2024-0001 │ "
                 "db31-shanghai.csv；见 `carbonpeak obligations codes` 与 [buildings] 表，"
                 "http://www.huatuo6.cn/wenku/rdvvd/4gNGBm3BKO", set()) \
        == set()
    assert words("Energy Conservation Law Art. 53 as of 2024: see [the Plan]", set()) == {
        "Energy", "Conservation", "Law", "Art", "as", "of", "see", "the", "Plan"}


def test_the_read_commands_print_chinese(demo_home: Path) -> None:
    """In process (Typer's runner; the process itself is not under test here): the language
    is the default one, no ``CARBONPEAK_LANG``."""
    from typer.testing import CliRunner

    from carbonpeak.cli import app

    env: dict[str, str | None] = {"CARBONPEAK_HOME": str(demo_home), "COLUMNS": "250",
                                  "CARBONPEAK_LANG": None, "CARBONPEAK_DATABASE_URL": None}
    ids = _ids(demo_home)
    found: dict[str, list[str]] = {}
    for args in COMMANDS:
        run = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        assert run.exit_code == 0, (args, run.output[-2000:])
        assert re.search(r"[\u4e00-\u9fff]", run.stdout), args  # it printed Chinese
        if bad := words(run.output, ids):
            found[" ".join(args)] = sorted(bad)
    assert found == {}


def test_a_factor_source_is_shown_in_the_run_language(demo_home: Path) -> None:
    """``factors show``: the Chinese source written beside the English one in zh, the English
    one in en (each row's own text, never a translation at run time)."""
    from typer.testing import CliRunner

    from carbonpeak.cli import app
    from carbonpeak.reference import read_factor_set

    spec = read_factor_set("shanghai_local")
    # a row of the set (from an included standard) whose English source cites an appendix
    row = next(r for r in spec.rows if "App.A" in r.source)
    assert "附录A" in row.source_zh
    out = {}
    for lang in ("zh", "en"):
        env: dict[str, str | None] = {"CARBONPEAK_HOME": str(demo_home), "COLUMNS": "250",
                                      "CARBONPEAK_LANG": lang, "CARBONPEAK_DATABASE_URL": None}
        run = CliRunner().invoke(app, ["factors", "show", "shanghai_local"], env=env,
                                 catch_exceptions=False)
        assert run.exit_code == 0, run.output[-2000:]
        out[lang] = run.output
    assert "附录A" in out["zh"]
    assert "App.A" not in out["zh"]
    assert "App.A" in out["en"]
    assert "附录A" not in out["en"]
    assert spec.description_zh[:12] in out["zh"]
    assert spec.description[:12] in out["en"]
    assert spec.description[:12] not in out["zh"]


def test_every_shipped_factor_row_has_a_chinese_source() -> None:
    from carbonpeak.reference import read_factor_set, shipped_factor_sets

    for sid in shipped_factor_sets():
        spec = read_factor_set(sid)
        assert re.search(r"[\u4e00-\u9fff]", spec.description_zh), sid
        missing = [r for r in spec.rows if not re.search(r"[\u4e00-\u9fff]", r.source_zh)]
        assert missing == [], sid
