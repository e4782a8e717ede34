"""Targets, dual control, budgets, warnings, LMDI and the peak on a district worked by hand.

The district: two buildings with monthly electricity ledgers (equal value 0.3007 kgce/kWh in
2023 and 2024, the previous year's coal rate of the per-year series, so 10,000 kWh = 3.007 tce;
0.42 tCO2/MWh, so 10,000 kWh = 4.2 tCO2), factor set shanghai_local@v1.

* W1 外滩街道, office, 10,000 m², sector J: 2023 10,000 kWh every month (36.084 tce);
  2024 11,000 kWh every month (3.3077 tce/month).
* Y1 豫园街道, mall, 60,000 m², sector F: 20,000 kWh every month in both years (72.168 tce).

Statistics (district totals): GDP 2020 100,000 → 2024 120,000 (10^4 CNY); energy 2020 1,000,
2023 216, 2024 1,020 tce; CO2 2020 1,500, 2023 300, 2024 1,400 t.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.errors import ConfigError, InputValidationError, NotFoundError
from carbonpeak.i18n import msg, render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.plan.dual_control import dual_control
from carbonpeak.services.plan.notify import Notifier, should_notify
from carbonpeak.services.plan.targets import (
    add_observation,
    evaluate_targets,
    find_target,
    update_target,
)
from carbonpeak.services.plan.trajectory import decompose, peak_outlook
from carbonpeak.services.plan.warnings import (
    allocate_budgets,
    derive_district_budget,
    evaluate_warnings,
    list_budgets,
    set_budget,
)
from carbonpeak.storage.registry.models import AuditLog, EarlyWarning, Target, WarningEvent
from carbonpeak.storage.workspace import Workspace
from tests.conftest import write

ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2,sector_code
W1,外滩大楼,building,外滩街道,office,10000,J66
Y1,豫园商场,building,豫园街道,mall,60000,F52
"""
STATISTICS = """
year,gdp_10k_cny,energy_tce,co2_t
2020,100000,1000,1500
2021,105000,1010,1480
2022,110000,1015,1450
2023,115000,216,300
2024,120000,1020,1400
"""
SECTORS = """
year,sector,value_added_10k_cny
2023,J,60000
2023,F,55000
2024,J,66000
2024,F,54000
"""


def _ledger(year: int, w1_kwh: int) -> str:
    rows = ["entity_id,period,carrier,quantity,unit"]
    for m in range(1, 13):
        rows.append(f"W1,{year}-{m:02d},electricity,{w1_kwh},kWh")
        rows.append(f"Y1,{year}-{m:02d},electricity,20000,kWh")
    return "\n".join(rows)


CATALOGUE = Path(__file__).parents[1] / "reference" / "targets" / "huangpu.csv"


def _settings(folder: Path) -> Settings:
    """A home in ``folder`` on SQLite, laid out as ``conftest``'s ``settings``."""
    return Settings(home=folder / "home", database_url=f"sqlite:///{folder / 'registry.sqlite'}")


@pytest.fixture(scope="module")
def built_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district of these tests, built once for the module: an initialised Huangpu home
    (as ``conftest``'s ``ws``), the shipped target catalogue, the files above and the 2023 and
    2024 accounts. Each test gets a copy (``district``)."""
    folder = tmp_path_factory.mktemp("plan-district")
    ws, _ = init_workspace(_settings(folder), profiles=["huangpu"], actor="test",
                           load_targets=False)
    try:
        import_file(ws, "targets", CATALOGUE, district="huangpu")
        for kind, name, text in [("entities", "e.csv", ENTITIES),
                                 ("statistics", "s.csv", STATISTICS),
                                 ("sector_statistics", "sec.csv", SECTORS),
                                 ("ledger", "l23.csv", _ledger(2023, 10000)),
                                 ("ledger", "l24.csv", _ledger(2024, 11000))]:
            import_file(ws, kind, write(folder, name, text), district="huangpu")
        run_account(ws, year=2023, district="huangpu")
        run_account(ws, year=2024, district="huangpu")
    finally:
        ws.close()
    return folder


@pytest.fixture
def district(built_district: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh copy of the built district (its home and registry) for one test to change as
    it likes: the same state as building it again, without the imports and accounts."""
    shutil.copytree(built_district / "home", tmp_path / "home")
    shutil.copyfile(built_district / "registry.sqlite", tmp_path / "registry.sqlite")
    ws = Workspace.open(_settings(tmp_path), actor="test")
    yield ws
    ws.close()


def _target(ws: Workspace, code: str) -> Any:
    return next(t for t in evaluate_targets(ws, district="huangpu") if t.code == code)


def test_init_loads_the_shipped_catalogue(settings: Settings) -> None:
    ws, notes = init_workspace(settings, profiles=["huangpu"])
    assert "target catalogue huangpu.csv loaded: 57 targets (batch 1)" in [
        render(n, "en") for n in notes]
    # an edited catalogue is never overwritten: init again loads nothing
    assert init_workspace(settings, profiles=["huangpu"])[1] == []
    rows = evaluate_targets(ws, district="huangpu")
    assert len(rows) == 57  # HP-01 .. HP-57 of ../shared/reference/targets.csv
    assert {r.code for r in rows} == {f"HP-{i:02d}" for i in range(1, 58)}


def test_energy_intensity_target_by_hand(district: Workspace) -> None:
    # 2020: 1,000 tce / 100,000 = 0.0100 tce/10^4 CNY; 2024: 1,020 / 120,000 = 0.0085
    # reduction = (0.0100 − 0.0085) / 0.0100 = 15.0 %
    # geometric path 2024 = 0.01 × 0.865^(4/5) = 0.01 × exp(0.8 × ln 0.865)
    #                     = 0.01 × exp(−0.116021) = 0.0089046 → the path needs 10.95 %
    t = _target(district, "HP-01")
    assert t.status == "on_track"
    assert t.value == pytest.approx(0.0085)
    assert t.path_value == pytest.approx(0.0089046, rel=1e-4)
    assert t.reason_en == "15.0 % below 2020 by 2024; the path needs 11.0 %; on track"
    assert t.progress_pct == pytest.approx(15.0 / 13.5 * 100)
    # HP-02 has no number in the plan (市下达目标): reduction shown, status says so
    # CO2 per GDP 2020 = 0.015, 2024 = 1,400 / 120,000 = 0.011667 → 22.2 % below
    t2 = _target(district, "HP-02")
    assert t2.status == "no_target_value"
    assert t2.reason_en.startswith("22.2 % below 2020 by 2024")


def test_observed_target_path_and_status(district: Workspace) -> None:
    # HP-33: PV +10 MW over 十四五 (2021-2025), baseline 0 at 2020, linear path (baseline 0)
    # 2023: path = 10 × 3/5 = 6 MW; observed 4 → 2 MW behind > 10 % × 10 MW → off track
    tid = find_target(district, "HP-33", district="huangpu")
    o, state = add_observation(district, tid, observed_on=dt.date(2023, 12, 31), value=4.0,
                               source="区发改委光伏台账 2023")
    assert state == "created"
    t = _target(district, "HP-33")
    assert (t.status, t.path_value, t.value_year) == ("off_track", pytest.approx(6.0), 2023)
    # 2024: path 8 MW; observed 7.5 → 0.5 behind ≤ 1 → at risk; progress 7.5/10 = 75 %
    add_observation(district, tid, observed_on=dt.date(2024, 12, 31), value=7.5, source="台账")
    t = _target(district, "HP-33")
    assert (t.status, t.path_value) == ("at_risk", pytest.approx(8.0))
    assert t.progress_pct == pytest.approx(75.0)
    # the same observation again changes nothing; another value is an audited update
    assert add_observation(district, tid, observed_on=dt.date(2024, 12, 31), value=7.5,
                           source="台账")[1] == "unchanged"
    assert add_observation(district, tid, observed_on=dt.date(2024, 12, 31), value=8.5,
                           source="台账")[1] == "updated"
    assert _target(district, "HP-33").status == "on_track"
    with district.registry.session() as s:
        logs = list(s.scalars(select(AuditLog).where(
            AuditLog.object_type == "target_observation")))
    assert [a.action for a in logs] == ["create", "create", "update"]
    with pytest.raises(InputValidationError):
        add_observation(district, tid, observed_on=dt.date(2024, 1, 1), value=1.0, source=" ")


def test_ongoing_target_and_edit(district: Workspace) -> None:
    tid = find_target(district, "HP-48", district="huangpu")  # 垃圾分类达标率 ≥ 95 %, no year
    add_observation(district, tid, observed_on=dt.date(2024, 6, 30), value=96.0,
                    source="绿化市容局")
    assert _target(district, "HP-48").status == "met"
    update_target(district, tid, {"target_value": 97.0})
    assert _target(district, "HP-48").status == "not_met"
    with pytest.raises(InputValidationError):
        update_target(district, tid, {"code": "X"})
    # entering the value the city assigned turns HP-02 into a tracked target:
    # 2024 CO2 per GDP 22.2 % below 2020 against a 2025 target of 18 % → on track
    update_target(district, find_target(district, "HP-02", district="huangpu"),
                  {"target_value": 18.0, "baseline_year": 2020})
    assert _target(district, "HP-02").status == "on_track"


def test_dual_control(district: Workspace) -> None:
    set_budget(district, year=2024, metric="energy_tce", budget=1000.0, district="huangpu")
    dc = {i.indicator: i for i in dual_control(district, district="huangpu").indicators}
    e = dc["energy_total"]
    # 1,020 tce against a budget of 1,000: over, 102 % used
    assert (e.latest_value, e.budget["status"]) == (1020.0, "not_met")  # type: ignore[index]
    assert e.budget["used_pct"] == pytest.approx(102.0)  # type: ignore[index]
    assert e.status == "not_met"
    i = dc["energy_per_gdp"]
    assert i.change_vs_baseline_pct == pytest.approx(-15.0)
    # required rate 2024 → 2025 to reach 0.01 × 0.865 = 0.00865 from 0.0085: +1.76 %/a allowed
    assert i.targets[0]["required_annual_rate"] == pytest.approx(0.00865 / 0.0085 - 1)


def test_budgets_allocation_and_warnings_by_hand(district: Workspace) -> None:
    # district budget from the intensity path: GDP 2024 × path 2024 = 120,000 × 0.0089046
    b = derive_district_budget(district, year=2024, district="huangpu")
    assert b.budget == pytest.approx(120000 * 0.01 * 0.865 ** 0.8)
    set_budget(district, year=2024, metric="energy_tce", budget=200.0, district="huangpu")
    # baseline 2023 (account): W1 36.084 tce, Y1 72.168 tce; district 2023 statistics 216 tce
    # total to share = (36.084 + 72.168) × 200 / 216 = 100.2333 tce; baseline share: W1 a
    # third (33.4111), Y1 two thirds (66.8222)
    out = allocate_budgets(district, year=2024, level="streets", method="baseline_share",
                           district="huangpu")
    assert out["budget"].sum() == pytest.approx(108.252 * 200 / 216)
    assert out.loc["waitan", "budget"] == pytest.approx(108.252 * 200 / 216 / 3)
    # the denominator is the statistics' 216 tce (public), never the 2023 account (108.252)
    (street,) = [b for b in list_budgets(district, year=2024, district="huangpu")
                 if b.scope_id == "waitan"]
    assert (street.basis["district_baseline"], street.basis["district_baseline_basis"]) == (
        216.0, "statistics")
    # through June: W1 ytd 6 × 3.3077 = 19.8462 tce against 6 × 3.007 = 18.042 last year
    # (ratio 1.1); projected = 19.8462 + 18.042 × 1.1 = 39.6924 tce against 33.4111:
    # ratio 1.188 → red
    wr = evaluate_warnings(district, year=2024, district="huangpu", through_month=6)
    row = wr.table.loc[("street", "waitan")]
    assert row["projected"] == pytest.approx(39.6924)
    assert row["level"] == "red"
    assert row["reason_en"].startswith("projected 39.7 tce against a budget of 33.4 tce: +19 %")
    # Y1: 72.168 projected against 66.8222 → ratio 1.08 → red as well; the district row
    # compares the metered share: 200 × 108.252/216 = 100.2333 tce against 39.6924 + 72.168
    # = 111.8604 → red
    d_row = wr.table.loc[("district", "huangpu")]
    assert d_row["budget"] == pytest.approx(108.252 * 200 / 216)
    assert d_row["projected"] == pytest.approx(111.8604)
    assert wr.table.index[0][0] in ("street", "district")  # most severe first
    assert len(wr.events) == len(wr.table)
    # the same evaluation again records nothing; after September a new event per unit
    assert evaluate_warnings(district, year=2024, district="huangpu",
                             through_month=6).events == []
    wr9 = evaluate_warnings(district, year=2024, district="huangpu", through_month=9)
    assert len(wr9.events) == len(wr9.table)
    with district.registry.session() as s:
        w = s.scalars(select(EarlyWarning).where(EarlyWarning.scope_id == "waitan")).one()
        hist = list(s.scalars(select(WarningEvent).where(WarningEvent.warning_id == w.id)
                              .order_by(WarningEvent.id)))
    assert [h.months_elapsed for h in hist] == [6, 9]
    assert hist[0].previous_level is None
    assert hist[1].previous_level == "red"


def test_elastic_budget_for_a_unit_within_its_intensity_target(district: Workspace) -> None:
    # Y1 uses 240,000 kWh = 72.168 tce on 60,000 m² = 1.2028 kgce/m²; budget 60 tce with an
    # intensity target of 0.0015 tce/m² → elastic budget max(60, 0.0015 × 60,000 = 90) = 90
    # → green
    set_budget(district, year=2024, metric="energy_tce", budget=60.0, scope_type="entity",
               scope_id="Y1", intensity_target=0.0015, district="huangpu")
    wr = evaluate_warnings(district, year=2024, district="huangpu", through_month=12)
    row = wr.table.loc[("entity", "Y1")]
    assert bool(row["elastic"])
    assert row["budget"] == pytest.approx(90.0)
    assert row["level"] == "green"
    assert "elastic budget" in row["reason_en"]


class _Hook(BaseHTTPRequestHandler):
    received: list[Any] = []  # noqa: RUF012 - shared by the test server

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        del args


@pytest.fixture
def webhook() -> Iterator[str]:
    _Hook.received = []
    srv = HTTPServer(("127.0.0.1", 0), _Hook)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook"
    srv.shutdown()
    srv.server_close()


def test_notifier_sends_worsening_warnings_once(district: Workspace, webhook: str) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    mails: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            mails.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Keep(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        n = Notifier(webhook, ["carbon@example.gov.cn"], "127.0.0.1", port,
                     "carbonpeak@example.gov.cn", "red")
        set_budget(district, year=2024, metric="energy_tce", budget=200.0, district="huangpu")
        allocate_budgets(district, year=2024, level="streets", method="baseline_share",
                         district="huangpu")
        wr = evaluate_warnings(district, year=2024, district="huangpu", through_month=6,
                               notifier=n)
        reds = int((wr.table["level"] == "red").sum())
        assert reds >= 1
        assert wr.notified == reds
        sent = _Hook.received[0]["warnings"]
        assert {w["level"] for w in sent} == {"red"}
        assert {w["scope_id"] for w in sent} >= {"waitan"}
        assert len(mails) == 1
        assert "外滩街道" in mails[0].get_payload(decode=True).decode("utf-8")
        # still red after September: not worse, nothing sent again
        wr9 = evaluate_warnings(district, year=2024, district="huangpu", through_month=9,
                                notifier=n)
        assert wr9.notified == 0
        assert len(_Hook.received) == 1
    finally:
        smtp.stop()


def test_failed_notification_is_retried(district: Workspace, webhook: str) -> None:
    set_budget(district, year=2024, metric="energy_tce", budget=200.0, district="huangpu")
    dead = Notifier("http://127.0.0.1:9/nothing-listens", [], "127.0.0.1", 25, "x@y", "red",
                    timeout_s=2.0)
    wr = evaluate_warnings(district, year=2024, district="huangpu", through_month=6,
                           notifier=dead)
    assert wr.notified == 0
    live = Notifier(webhook, [], "127.0.0.1", 25, "x@y", "red")
    wr9 = evaluate_warnings(district, year=2024, district="huangpu", through_month=9,
                            notifier=live)
    assert wr9.notified >= 1  # the pending red of June, sent now
    assert _Hook.received[0]["warnings"][0]["months_elapsed"] == 6


@pytest.mark.parametrize(("level", "previous", "min_level", "expected"), [
    ("red", None, "yellow", True), ("yellow", "green", "yellow", True),
    ("yellow", "yellow", "yellow", False), ("yellow", "red", "yellow", False),
    ("yellow", None, "red", False), ("green", None, "yellow", False),
], ids=["new-red", "worse", "same", "better", "below-min", "green"])
def test_should_notify(level: str, previous: str | None, min_level: str,
                       expected: bool) -> None:
    assert should_notify(level, previous, min_level) is expected


def test_lmdi_from_accounts_and_statistics(district: Workspace) -> None:
    res, source = decompose(district, base_year=2023, target_year=2024, district="huangpu")
    # the source is a message: the code says which, both languages render from the catalogue
    assert source == msg("plan.source.sector_accounts", base=2023, target=2024)
    assert render(source, "en").startswith("official accounts of 2023 and 2024")
    assert render(source, "zh").startswith("2023年与2024年正式核算")
    # CO2: 2023 (120,000 + 240,000 kWh) × 0.42 t/MWh = 151.2 t; 2024 (132,000 + 240,000) →
    # 156.24 t; ΔC = 5.04 t, split residual-free over the four effects
    assert res.delta_tco2 == pytest.approx(5.04)
    assert sum(res.effects.values()) == pytest.approx(5.04)
    assert res.effects["carbon_factor"] == pytest.approx(0.0, abs=1e-9)  # same grid factor
    assert res.effects["structure"] != 0.0
    stat, src2 = decompose(district, base_year=2020, target_year=2024, district="huangpu")
    assert src2 == msg("plan.source.district_series")
    assert "structure effect is not separated" in stat.notes[-1]
    assert stat.delta_tco2 == pytest.approx(-100.0)
    assert stat.effects["structure"] == 0.0
    with pytest.raises(NotFoundError):
        decompose(district, base_year=2019, target_year=2024, district="huangpu")


def test_peak_outlook(district: Workspace) -> None:
    o = peak_outlook(district, district="huangpu", runs=500, seed=1, current_year=2025)
    assert o.base.year == 2024
    # the account's mix scaled to the district CO2: 156.24 t → 1,400 t
    assert o.base.electricity_kwh == pytest.approx(372000 * 1400 / 156.24)
    assert set(o.scenarios) == {"bau", "plan", "enhanced"}
    assert o.c40.status in ("not_peaked", "peaked")
    again = peak_outlook(district, district="huangpu", runs=500, seed=1, current_year=2025)
    assert again.to_dict() == o.to_dict()  # seeded: the same outlook
    assert _target(district, "HP-06").status in ("on_track", "at_risk", "off_track", "achieved")


def test_plan_files_are_checked(district: Workspace, tmp_path: Path) -> None:
    bad = write(tmp_path, "obs.csv", """
    target_id,date,value,source
    HP-99,2024-12-31,1,x
    HP-33,2024-13-01,1,x
    HP-33,2024,abc,
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(district, "observations", bad, district="huangpu")
    got = {(e.row, e.column) for e in exc.value.errors}
    assert got >= {(3, "date"), (4, "value"), (4, "source")}
    budgets = write(tmp_path, "b.csv", """
    year,metric,scope_type,scope_id,budget
    2024,energy_tce,street,不存在街道,10
    2024,energy_kwh,district,,10
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(district, "budgets", budgets, district="huangpu")
    assert {(e.row, e.column) for e in exc.value.errors} == {(3, "metric")}
    good = write(tmp_path, "b2.csv", """
    年份,指标,范围,范围编号,预算
    2024,energy_tce,street,外滩,50
    """)
    r = import_file(district, "budgets", good, district="huangpu")
    assert (r.status, r.added) == ("committed", 1)
    assert import_file(district, "budgets", good, district="huangpu").status == "duplicate"
    tianhe = Path(__file__).parents[1] / "reference" / "targets" / "tianhe.csv"
    with pytest.raises(InputValidationError) as exc:
        import_file(district, "targets", tianhe, district="huangpu")
    assert all(e.column == "district" for e in exc.value.errors)


def test_custom_catalogue_with_scopes_and_metrics(district: Workspace, tmp_path: Path) -> None:
    cat = write(tmp_path, "cat.csv", """
    id,indicator_zh,kind,target_year,target_value,unit,comparator,period,metric,scope_type,scope_id
    X-1,金融业占GDP比重,share,2025,50,%,>=,十四五 2021-2025,gdp_share:J,district,
    X-2,外滩街道用能,level,2025,40,tce,<=,十四五 2021-2025,,street,外滩
    X-3,光伏发电量,cumulative,2025,10,MWh,>=,十四五 2021-2025,pv_generation_mwh,district,
    """)
    r = import_file(district, "targets", cat, district="huangpu")
    assert (r.status, r.added) == ("committed", 3)
    rows = {t.code: t for t in evaluate_targets(district, district="huangpu", codes=["X-1", "X-2",
                                                                                    "X-3"])}
    # J share: 2023 60,000/115,000 = 52.17 %, 2024 66,000/120,000 = 55.0 % (≥ 50: ahead)
    assert rows["X-1"].value == pytest.approx(55.0)
    assert rows["X-1"].history[0] == (2023, pytest.approx(100 * 60000 / 115000))
    assert rows["X-1"].status == "on_track"
    assert (rows["X-2"].scope_type, rows["X-2"].scope_id) == ("street", "waitan")
    # no PV in this district: 0 MWh both years, behind the path to 10 MWh
    assert rows["X-3"].value == 0.0
    assert rows["X-3"].status == "off_track"


def test_a_target_that_cannot_be_assessed_does_not_break_the_others(
        district: Workspace, tmp_path: Path) -> None:
    hp01 = find_target(district, "HP-01", district="huangpu")
    with pytest.raises(InputValidationError) as exc:
        update_target(district, hp01, {"target_value": 150.0})
    assert exc.value.errors[0].column == "target_value"
    with pytest.raises(InputValidationError) as exc:
        update_target(district, hp01, {"target_year": 2019})
    assert "after the baseline year 2020" in exc.value.errors[0].message
    bad = write(tmp_path, "bad_cat.csv", """
    id,indicator_zh,kind,baseline_year,target_year,target_value,unit
    Z-1,下降,reduction_vs_baseline,2020,2025,120,%
    """)
    with pytest.raises(InputValidationError) as exc:
        import_file(district, "targets", bad, district="huangpu")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "target_value")]
    # a target stored wrong some other way is reported as invalid; the rest are assessed
    with district.registry.session() as s:
        s.get(Target, hp01).target_value = 100.0  # type: ignore[union-attr]
    rows = {t.code: t for t in evaluate_targets(district, district="huangpu")}
    assert rows["HP-01"].status == "invalid"
    assert "cannot be assessed" in rows["HP-01"].reason_en
    assert rows["HP-02"].status == "no_target_value"
    assert dual_control(district, district="huangpu").indicators[1].status == "invalid"


def test_a_passed_peak_deadline_is_judged_by_the_history(district: Workspace) -> None:
    update_target(district, find_target(district, "HP-06", district="huangpu"),
                  {"target_year": 2022})
    # CO2 2020 1,500 … 2024 1,400: the maximum is in 2020, only 4 years before the latest
    # data (C40 asks for 5), so no confirmed peak by 2022: missed
    t = _target(district, "HP-06")
    assert t.status == "missed"
    assert t.reason_en.startswith("the deadline 2022 has passed; C40 test: not_peaked")
    with pytest.raises(ConfigError):
        peak_outlook(district, district="huangpu", deadline_year=2035, end_year=2035)
    with pytest.raises(ConfigError):
        peak_outlook(district, district="huangpu", deadline_year=2020)
