"""One language per run: ``carbonpeak --lang zh`` prints Chinese only (units, standard codes,
ids and the data's own names aside), ``--lang en`` no Chinese character (the data's own
names aside, which are Chinese: a street is called 外滩街道 in either language)."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from carbonpeak.cli import app
from carbonpeak.config import Settings
from carbonpeak.i18n import render
from carbonpeak.reference import read_profile
from carbonpeak.storage.registry.models import Entity, FactorSetRecord, Street, Target
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.one_language import CJK, english_words

runner = CliRunner()

#: ASCII words the Chinese output may hold besides tests.one_language.ALLOWED: command
#: lines quoted to the user, the engine, the scopes' digits, ids of the shipped data
ZH_ALLOWED = {"carbonpeak", "account", "year", "duckdb", "DuckDB", "Spark", "SQL", "huangpu",
              "shanghai_local",
              "national_average", "guangdong_provincial", "FSU68", "CV", "RMSE", "NMBE",
              "ASHRAE", "G14", "C40", "EUI", "kW", "MW", "kWp", "AC", "DC", "PR", "nMAE",
              "nRMSE", "UTC", "sha256", "html", "ADR",
              "t", "GJ", "MJ", "kg", "h", "min", "MB",
              # region codes and the letters of the factor sets' own names (A组, B组)
              "CN", "Shanghai", "Guangdong", "A", "B"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the reference district imported and its 2024 account (the imports
    themselves are checked in both languages by :func:`test_imports_in_one_language`)."""
    return tmp_path_factory.mktemp("lang")


@pytest.fixture(autouse=True)
def _env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(home / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CARBONPEAK_LANG", raising=False)


def run(*args: str, code: int = 0) -> str:
    r = runner.invoke(app, list(args), catch_exceptions=False)
    assert r.exit_code == code, r.output
    return r.output


def _names(home: Path) -> list[str]:
    """The data's own names (entities, streets, district, factor sets, the plan's target
    texts): proper names, in Chinese whatever the language; longest first."""
    ws = Workspace.open(Settings(), check=False)
    try:
        with ws.registry.session() as s:
            names = [*s.scalars(select(Entity.name)), *s.scalars(select(Street.name_zh)),
                     *s.scalars(select(FactorSetRecord.name_zh)),
                     *s.scalars(select(Target.target_text)), *s.scalars(select(Target.quote)),
                     "黄浦区", "外滩街道", "豫园街道", "豫园"]
    finally:
        ws.close()
    names += _strings(read_profile("huangpu"))  # the profile's sources, quoted as written
    return sorted({str(n) for n in names if n}, key=len, reverse=True)


def _strings(value: object) -> list[str]:
    """Every string in a nested profile."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _strings(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _strings(v)]
    return []


def _without(text: str, home: Path, names: list[str]) -> str:
    """``text`` without paths and addresses, file names, snake_case ids (factor sets,
    quota tables, codes) and the data's names."""
    text = text.replace(str(home), " ")
    text = re.sub(r"\S*/\S*", " ", text)
    text = re.sub(r"\S+\.(csv|xlsx|html|pdf|sqlite)\b", " ", text)
    text = re.sub(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b", " ", text)
    text = text.replace(f"cli:{getpass.getuser()}", " ")  # the actor of the audit log
    text = re.sub(r"carbonpeak(?: --?[a-z][a-z\-]*| [a-z][a-z\-]*)+", " ", text)  # commands
    for n in names:
        text = text.replace(n, " ")
    return text


def _only_chinese(text: str, home: Path, codes: set[str] | frozenset[str] = frozenset()) -> None:
    """No English word in ``text`` but the allowed ones and ``codes`` (values a file must
    hold, named as they are written)."""
    words = english_words(_without(text, home, []), ZH_ALLOWED | codes)
    assert words == set(), text


def _only_english(text: str, home: Path) -> None:
    """No Chinese in ``text`` but the data's own names and the plan's texts: each run of
    Chinese left must be a piece of one of them (a table may wrap a name over lines)."""
    names = _names(home)
    left = _without(text, home, names)
    runs = re.findall(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+", left)
    foreign = sorted({r for r in runs if CJK.search(r) and not any(r in n for n in names)})
    assert foreign == [], (foreign, text)


def test_unknown_language_is_refused(home: Path) -> None:
    out = run("--lang", "fr", "runs", code=2)
    assert "--lang" in out


def test_imports_in_one_language(home: Path) -> None:
    files = reference_district.write_files(home / "in")
    zh = run("--lang", "zh", "init", "--profile", "huangpu")
    _only_chinese(zh, home)
    assert "已创建区 huangpu（黄浦区）" in zh
    en = run("--lang", "en", "init", "--profile", "huangpu")
    _only_english(en, home)
    assert "already up to date; nothing changed" in en
    for kind in ("entities", "meters", "readings", "ledger", "statistics"):
        out = run("--lang", "zh", "import", kind, str(files[kind]))
        _only_chinese(out, home)
        assert "已导入" in out
        assert "新增" in out or "已存储" in out
    again = run("--lang", "en", "import", "ledger", str(files["ledger"]))
    _only_english(again, home)
    assert "already imported" in again
    assert "was already imported as batch" in again
    again = run("--lang", "zh", "import", "ledger", str(files["ledger"]))
    _only_chinese(again, home)
    assert "已导入过" in again


def test_refused_file_in_one_language(home: Path) -> None:
    bad = home / "bad.csv"
    bad.write_text("entity_id,name,kind,street,building_type\nA1,甲,building,外滩街道,castle\n",
                   encoding="utf-8")
    zh = runner.invoke(app, ["--lang", "zh", "import", "entities", str(bad)]).output
    assert "拒收" in zh
    # the contract's building types are the codes the cell must hold
    _only_chinese(zh.replace("castle", " "), home, {"office", "hotel", "mall", "hospital",
                                                    "school", "government", "mixed", "other"})
    en = runner.invoke(app, ["--lang", "en", "import", "entities", str(bad)]).output
    assert "refused" in en
    _only_english(en.replace("甲", " "), home)


def test_the_environment_sets_the_language(home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_LANG", "en")
    out = run("factors", "list")
    _only_english(out, home)
    assert "Factor library" in out
    # the option wins over the environment
    out = run("--lang", "zh", "factors", "list")
    _only_chinese(out, home)
    assert "因子库" in out


# (``factors show`` is left out: each row's source is the citation as the factor set's
# file writes it, in one language or the other, like a title; ``metrics`` too: the figure
# catalogue's provenance notes and units are still stored as English text)
@pytest.mark.parametrize("args", [
    ("account", "--year", "2024"),
    ("targets",),
    ("batches",),
    ("runs",),
    ("quality", "--year", "2024"),
    ("held", "list", "--all"),
])
def test_commands_in_one_language(home: Path, args: tuple[str, ...]) -> None:
    if not Path(home / "home").exists():
        pytest.skip("needs the imports of test_imports_in_one_language")
    if args[0] != "account":
        run("account", "--year", "2024")
    zh = run("--lang", "zh", *args)
    en = run("--lang", "en", *args)
    _only_chinese(zh, home)
    _only_english(en, home)
    assert zh != en


def test_report_in_one_language(home: Path) -> None:
    if not Path(home / "home").exists():
        pytest.skip("needs the imports of test_imports_in_one_language")
    run("account", "--year", "2024")
    zh = run("--lang", "zh", "report", "--year", "2024", "--format", "html", "--out",
             str(home / "report"))
    _only_chinese(zh, home)
    assert "年度碳排放状况白皮书" in zh
    assert (home / "report" / "whitepaper-huangpu-2024-zh.html").is_file()
    en = run("--lang", "en", "report", "--year", "2024", "--format", "html", "--out",
             str(home / "report"))
    _only_english(en, home)
    assert "white paper" in en
    # the document follows the run's language unless the command names its own
    assert (home / "report" / "whitepaper-huangpu-2024-en.html").is_file()


def test_import_summary_is_a_code_rendered_in_either_language() -> None:
    from carbonpeak.intake.batches import Tally

    summary = Tally(added=3, updated=1, unchanged=2).summary()
    assert summary.code == "intake.batch.summary"
    assert dict(summary.params) == {"added": 3, "updated": 1, "unchanged": 2}
    assert render(summary, "zh") == "新增 3 行，更新 1 行，未变 2 行"
    assert render(summary, "en") == "3 added, 1 updated, 2 unchanged"
