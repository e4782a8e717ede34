"""The plan commands end to end through the CLI: imports, targets, budgets, warnings, lmdi, peak."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonpeak.cli import app
from tests.conftest import write
from tests.test_plan_pipelines import ENTITIES, SECTORS, STATISTICS, _ledger

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> str:
    r = runner.invoke(app, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_plan_commands(home: Path) -> None:
    out = run("init", "--profile", "huangpu")
    assert "已载入目标清单 huangpu.csv：57 项目标" in out
    for kind, name, text in [("entities", "e.csv", ENTITIES), ("statistics", "s.csv", STATISTICS),
                             ("sector-statistics", "sec.csv", SECTORS),
                             ("ledger", "l23.csv", _ledger(2023, 10000)),
                             ("ledger", "l24.csv", _ledger(2024, 11000))]:
        assert "已导入" in run("import", kind, str(write(home, name, text)))
    run("account", "--year", "2023")
    run("account", "--year", "2024")
    targets = json.loads(run("targets", "--json"))
    hp01 = next(t for t in targets if t["code"] == "HP-01")
    assert (hp01["status"], hp01["status_zh"]) == ("on_track", "进度正常")
    assert "HP-01" in run("targets", "--status", "on_track")
    assert "进度正常" not in run("targets", "--status", "off_track")
    obs = write(home, "obs.csv", """
    目标编号,日期,数值,来源
    HP-33,2023,4,区发改委光伏台账
    """)
    assert "新增 1 行" in run("import", "observations", str(obs))
    assert "进度严重滞后" in run("targets", "show", "HP-33")
    assert "off track" in run("--lang", "en", "targets", "show", "HP-33")
    run("targets", "set", "HP-02", "-f", "target_value=18", "-f", "baseline_year=2020")
    assert json.loads(run("targets", "--json"))[1]["target_value"] == 18.0
    dc = json.loads(run("dual-control", "--json"))
    assert [i["indicator"] for i in dc["indicators"]] == [
        "energy_total", "energy_per_gdp", "co2_total", "co2_per_gdp"]
    run("budgets", "set", "--year", "2024", "--budget", "200")
    assert "已存储 2 个预算；合计 100" in run("budgets", "allocate", "--year", "2024",
                                                  "--level", "streets", "--method",
                                                  "baseline_share")
    out = run("warnings", "evaluate", "--year", "2024", "--through-month", "6")
    assert "红色" in out
    assert "外滩街道" in run("warnings", "--level", "red")
    assert "6" in run("warnings", "history", "1")
    out = run("lmdi", "--from", "2023", "--to", "2024")
    assert "经济规模效应" in out
    assert "activity" in run("--lang", "en", "lmdi", "--from", "2023", "--to", "2024")
    out = run("peak", "--runs", "200", "--out", str(home / "peak.json"))
    assert "C40 判定" in out
    assert set(json.loads((home / "peak.json").read_text())["scenarios"]) == {
        "bau", "plan", "enhanced"}


def test_plan_command_errors(home: Path) -> None:
    run("init", "--profile", "huangpu")
    r = runner.invoke(app, ["warnings", "evaluate", "--year", "2024"])
    assert r.exit_code == 1
    assert "没有 2024 年的正式核算" in r.output
    r = runner.invoke(app, ["targets", "set", "HP-99", "-f", "target_value=1"])
    assert r.exit_code == 1
    assert "没有目标 'HP-99'" in r.output
    r = runner.invoke(app, ["--lang", "en", "targets", "set", "HP-99", "-f", "target_value=1"])
    assert r.exit_code == 1
    assert "no target 'HP-99'" in r.output
