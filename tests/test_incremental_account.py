"""The incremental account: a run records each month's input snapshot; the next run scans
again only the months whose inputs changed, and its result equals a full run's.

The reference district (tests/reference_district.py): interval meters M1, M1a, M4 read in
January; cumulative registers M2, M3, M5 (whose intervals cross months, so a register change
recomputes every month).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from carbonpeak.cli import app as cli_app
from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting import incremental
from carbonpeak.services.accounting.account import AccountResult, run_account
from carbonpeak.storage.registry.models import AccountRun
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import write

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
COMPARED = {
    "meter_month": ["meter_id", "month"],
    "inventory_entity_month": ["entity_id", "month", "carrier"],
    "inventory_entity_year": ["entity_id", "year", "carrier"],
    "inventory_street_year": ["street", "year", "carrier"],
    "inventory_district_month": ["district", "month", "carrier"],
    "inventory_district_year": ["district", "year", "carrier"],
}


@pytest.fixture
def home(tmp_path: Path) -> Workspace:
    ws, _ = init_workspace(Settings(home=tmp_path / "home",
                                    database_url=f"sqlite:///{tmp_path / 'r.sqlite'}"),
                           profiles=["huangpu"], actor="test")
    reference_district.load(ws, tmp_path / "in")
    return ws


def _full(ws: Workspace) -> AccountResult:
    """A full run: without the cache every month is scanned."""
    incremental.cache_path(ws.lake.root, "huangpu", 2024).unlink(missing_ok=True)
    res = run_account(ws, year=2024)
    assert res.recomputed_months == MONTHS
    return res


def _assert_same(a: AccountResult, b: AccountResult) -> None:
    for name, keys in COMPARED.items():
        x = a.tables[name].sort_values(keys).reset_index(drop=True)
        y = b.tables[name].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12)
    for key in ("tce_equal", "tce_equivalent", "tco2"):
        assert a.totals[key] == pytest.approx(b.totals[key], rel=1e-12)


def test_an_unchanged_year_reuses_every_month(home: Workspace) -> None:
    first = run_account(home, year=2024)
    assert (first.recomputed_months, first.reused_months) == (MONTHS, [])
    again = run_account(home, year=2024)
    assert (again.recomputed_months, again.reused_months) == ([], MONTHS)
    _assert_same(again, first)
    # the run records each month's snapshot and what it recomputed
    with home.registry.session() as s:
        rec = s.get(AccountRun, again.run_id)
        assert rec is not None
        months = rec.summary["month_inputs"]
    assert sorted(months["snapshot"]) == MONTHS
    assert (months["recomputed"], months["reused"]) == ([], MONTHS)


def test_a_changed_day_recomputes_its_month_and_equals_a_full_run(home: Workspace,
                                                                   tmp_path: Path) -> None:
    run_account(home, year=2024)
    # one day of January changes: M1's first hour 100 -> 120, and a new hour on 2 January
    import_file(home, "readings", write(tmp_path, "jan.csv", "meter_id,ts,value\n"
                                        "M1,2024-01-01T00:00:00,120\n"
                                        "M1,2024-01-02T00:00:00,30\n"))
    inc = run_account(home, year=2024)
    assert inc.recomputed_months == ["2024-01"]
    assert inc.reused_months == MONTHS[1:]
    full = _full(home)
    _assert_same(inc, full)
    # and the change shows: M1 x2 multiplier, January 100 + 50 -> 120 + 50 + 30 kWh
    mm = inc.tables["meter_month"].set_index(["meter_id", "month"])
    assert mm.loc[("M1", "2024-01"), "quantity"] == pytest.approx((120 + 50 + 30) * 2)


def test_a_register_change_recomputes_every_month(home: Workspace, tmp_path: Path) -> None:
    run_account(home, year=2024)
    import_file(home, "readings", write(tmp_path, "reg.csv",
                                        "meter_id,ts,value\nM5,2024-06-01T00:00:00,40\n"))
    inc = run_account(home, year=2024)
    assert inc.recomputed_months == MONTHS  # a register's interval crosses months
    _assert_same(inc, _full(home))


def test_account_json_says_which_months_were_recomputed(home: Workspace, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(home.settings.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", home.settings.url)
    runner = CliRunner()
    first = runner.invoke(cli_app, ["account", "--year", "2024", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["recomputed_months"] == MONTHS
    import_file(home, "readings", write(tmp_path, "mar.csv",
                                        "meter_id,ts,value\nM1,2024-03-05T00:00:00,7\n"))
    second = json.loads(runner.invoke(cli_app, ["account", "--year", "2024", "--json"]).output)
    assert (second["recomputed_months"], len(second["reused_months"])) == (["2024-03"], 11)


def test_changed_months_and_reused_steps() -> None:
    assert incremental.changed_months({"2024-01": "a", "2024-02": "b"}, None) == [
        "2024-01", "2024-02"]
    assert incremental.changed_months({"2024-01": "a", "2024-02": "b"},
                                      {"2024-01": "a", "2024-02": "x"}) == ["2024-02"]
    steps = incremental.reuse_steps([("a", "SELECT 1"), ("meter_month", "SELECT 2"),
                                     ("b", "SELECT 3")], ["2024-02"])
    assert [n for n, _ in steps] == ["a", "meter_month_fresh", "meter_month", "b"]
    assert "month IN ('2024-02')" in steps[2][1]
    assert "meter_month_cache" in steps[2][1]
    with pytest.raises(ValueError, match="meter_month"):
        incremental.reuse_steps([("a", "SELECT 1")], [])
