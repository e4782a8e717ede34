"""The carbonpeak command, as a newcomer uses it."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from carbonpeak.cli import app
from tests import reference_district
from tests.conftest import write

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_the_commands():
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("init", "import", "account", "factors", "demo", "batches", "runs"):
        assert cmd in r.output


def test_commands_before_init_say_what_to_do(home):
    r = run("account", "--year", "2024")
    assert r.exit_code == 1
    assert "carbonpeak init" in r.output


def test_full_flow(home):
    r = run("init", "--profile", "huangpu")
    assert r.exit_code == 0, r.output
    # the users' language by default: every line in Chinese
    assert "已创建区 huangpu（黄浦区）" in r.output
    assert "已是最新" in run("init", "--profile", "huangpu").output
    files = reference_district.write_files(home / "in")
    for kind in ("entities", "meters", "readings", "ledger", "statistics"):
        r = run("import", kind, str(files[kind]))
        assert r.exit_code == 0, r.output
        assert "已导入" in r.output
    r = run("import", "readings", str(files["readings"]))
    assert "已导入过" in r.output
    r = run("account", "--year", "2024", "--out", str(home / "out"))
    assert r.exit_code == 0, r.output
    assert "黄浦区 2024年" in r.output
    assert "外滩街道" in r.output
    assert "未经核实" in r.output
    df = pd.read_csv(home / "out" / "inventory_district_year.csv", encoding="utf-8-sig")
    assert df.loc[df["carrier"] == "electricity", "quantity"].item() == pytest.approx(126_320)
    assert "shanghai_local@v1" in run("runs").output
    assert "readings.csv" in run("batches").output


def test_bad_file_exit_code_and_rows(home):
    run("init", "--profile", "huangpu")
    bad = write(home, "bad.csv", """
        entity_id,name,kind,street,building_type
        A1,甲,building,外滩街道,castle
    """)
    r = run("import", "entities", str(bad))
    assert r.exit_code == 1
    assert "拒收" in r.output
    assert "castle" in r.output


def test_factors_list_and_show(home):
    run("init")
    r = run("factors", "list")
    assert r.exit_code == 0
    assert "shanghai_local" in r.output
    assert "guangdong_provincial" in r.output
    r = run("factors", "show", "shanghai_local")
    assert r.exit_code == 0
    assert "沪环气〔2022〕34号" in r.output
    assert "未核实" in r.output
    assert run("factors", "show", "nope").exit_code == 1


def test_demo_small(home):
    r = run("demo", "--buildings", "8", "--years", "2024", "--no-serve")
    assert r.exit_code == 0, r.output
    assert "黄浦区 2024年" in r.output
    assert "演示数据问题" in r.output
    assert (home / "home" / "out" / "huangpu-2024" / "inventory_entity_year.csv").is_file()
    # the dashboard's demo users and the approximate street polygons
    assert "carbonpeak-demo" in r.output
    assert "street_nanjingdonglu" in r.output
    listed = run("users", "list")
    assert "analyst" in listed.output
    assert "口令" in listed.output
