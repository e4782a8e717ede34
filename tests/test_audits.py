"""Energy audits, the audit schedule and key units' obligations, on cases worked by hand.

The district is the reference district (tests/reference_district.py) plus four buildings,
under Huangpu's rule: public buildings ≥ 10,000 m² (inclusive), office/hotel/mall/hospital/
school/government/mixed, an audit or a diagnosis at least once every 5 years, a building never
audited due since the plan's issue date 2023-01-19.

=====  ==================  ========  =========  =====================  =======================
id     kind / type         m²        street     audits                 rule
=====  ==================  ========  =========  =====================  =======================
E1     enterprise          —         外滩       —                      not a building
B1     building office     10,000    外滩 (E1)  diagnosis 2024-03-01   covered (10,000 counts)
B2     building mall       60,000    豫园       audit 2014-05-20,      covered; key unit
                                                audit 2019-05-31       (≥ 50,000 m²)
B3     public inst. hosp.   5,000    豫园       diagnosis 2023-05-01   below the threshold
B4     building office      8,000    外滩       —                      below the threshold
B5     building hotel      20,000    外滩       audit 2019-10-15       covered
B6     building data ctr.  30,000    豫园       —                      type not counted
B7     building school     (none)    外滩       —                      no floor area: unjudged
B8     building govt.      15,000    豫园       —                      covered, never audited
=====  ==================  ========  =========  =====================  =======================

Schedule as of 2024-06-01:

* B1: due 2024-03-01 + 5 y = 2029-03-01 → ok.
* B2: last 2019-05-31, due 2024-05-31 < 2024-06-01 → overdue by 1 day.
* B5: due 2019-10-15 + 5 y = 2024-10-15, in 2024 and not passed → due_this_year.
* B8: never audited, due since 2023-01-19: 2023-01-19 → 2024-01-19 = 365 days, then
  12 (to 31 Jan) + 29 (Feb 2024) + 31 + 30 + 31 + 1 (to 1 June) = 134 → 499 days.
* Coverage (audited within the interval): B1, B5 of B1, B2, B5, B8 = 2 / 4 = 0.5;
  外滩 (B1, B5) 2 / 2 = 1.0, 豫园 (B2, B8) 0 / 2 = 0.0.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from carbonpeak.api.app import create_app
from carbonpeak.cli import app as cli_app
from carbonpeak.config import Settings
from carbonpeak.demo.audits import generate_audit_files, read_entities_csv
from carbonpeak.domain.audits import (
    OBLIGATIONS,
    AuditRule,
    KeyUnitRules,
    ScheduleEntry,
    add_years,
    audit_item_status,
    coverage_share,
    filing_status,
    monitoring_status,
    quota_item_status,
    schedule_status,
)
from carbonpeak.errors import AccessDenied, ConfigError, InputValidationError, NotFoundError
from carbonpeak.i18n import render
from carbonpeak.intake.audit_files import parse_date, split_measures
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.publish.dashboard import data_version
from carbonpeak.reference import read_profile
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.buildings.audits import (
    audit_min_counts,
    audit_schedule,
    import_audits,
    import_filings,
    list_audits,
    obligations,
    obligations_workbook,
    record_audit,
    record_filing,
    schedule_workbook,
)
from carbonpeak.services.plan.indicators import computed_metric, district_series
from carbonpeak.storage.registry.models import (
    AuditLog,
    District,
    EnergyAudit,
    Entity,
    IngestBatch,
    ObligationFiling,
    QuotaCase,
)
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import (
    BACKENDS,
    STARTUP_WAIT_S,
    home_from_template,
    openapi_schema,
    registry_url,
)
from tests.one_language import CJK, english_words, workbook_texts

EXTRA_ENTITIES = """entity_id,name,kind,street,building_type,floor_area_m2
B5,外滩酒店,building,外滩街道,hotel,20000
B6,豫园数据中心,building,豫园街道,data_centre,30000
B7,外滩学校,building,外滩街道,school,
B8,豫园机关楼,building,豫园街道,government,15000
"""
AUDITS = ("entity_id,kind,audit_date,auditor,report_ref,findings,recommended_measures,"
          "estimated_savings_tce\n") + """\
B1,diagnosis,2024-03-01,示例节能公司,ZD-2024-001,空调运行时间长,楼宇自控优化；LED照明,3.5
B2,audit,2014-05-20,演示审计所,SJ-2014-007,,冷机更换,
B2,audit,2019-05-31,演示审计所,SJ-2019-012,蒸汽损失大,冷机更换；水泵变频、加装分项计量,40
B3,diagnosis,2023-05-01,样例研究院,,,,
B5,audit,2019-10-15,示例节能公司,SJ-2019-030,,,
"""
# B2: the energy report on time, the GHG report 2 days late; E1: its energy manager since 2022
FILINGS = """entity_id,obligation,year,filed_on,reference
B2,energy_report,2024,2025-03-20,NB-2024-01
B2,ghg_report,2024,2025-04-02,GHG-2024-01
E1,energy_manager,2022,2022-05-01,BA-2022-09
"""
AS_OF = dt.date(2024, 6, 1)
CHECK_DAY = dt.date(2025, 4, 15)


def _setup(ws: Workspace, folder: Path) -> None:
    """The district above, its 2024 account, audits, filings, E1 designated and a B2 case."""
    reference_district.load(ws, folder, district="huangpu")
    (folder / "extra.csv").write_text(EXTRA_ENTITIES, encoding="utf-8")
    import_file(ws, "entities", folder / "extra.csv", district="huangpu")
    run_account(ws, year=2024, district="huangpu")
    (folder / "audits.csv").write_text(AUDITS, encoding="utf-8")
    import_audits(ws, folder / "audits.csv", district="huangpu")
    (folder / "filings.csv").write_text(FILINGS, encoding="utf-8")
    import_filings(ws, folder / "filings.csv", district="huangpu")
    with ws.registry.session() as s:
        # the account flags B2 (≥ 50,000 m²); E1 is designated by the bureau here
        s.get(Entity, "E1").is_key_unit = True  # type: ignore[union-attr]
        s.add(QuotaCase(district_id="huangpu", entity_id="B2", street_id=None,
                        table_id="gbt51161-2016", table_version=1, quota_class="C_mall",
                        year=2024, eui=300.0, constraint_value=250.0, unit="kWh/(m²·a)",
                        excess_fraction=0.1667, reduction_required=3e6,
                        quota_status="unverified", class_source="default", account_run_id=1,
                        status="notified", deadline=dt.date(2025, 6, 30), created_by="test"))


# -- the rules, by hand ------------------------------------------------------------------------
def test_schedule_status_by_hand() -> None:
    start = dt.date(2023, 1, 19)

    def at(last: dt.date | None, as_of: dt.date) -> tuple[dt.date, str, int]:
        e = schedule_status(last, as_of, interval_years=5, rule_start=start)
        return e.next_due, e.status, e.days_overdue

    # due 2024-05-31, one day past it
    assert at(dt.date(2019, 5, 31), AS_OF) == (dt.date(2024, 5, 31), "overdue", 1)
    # due on the day itself: not yet overdue
    assert at(dt.date(2019, 6, 1), AS_OF) == (dt.date(2024, 6, 1), "due_this_year", 0)
    assert at(dt.date(2019, 12, 31), AS_OF) == (dt.date(2024, 12, 31), "due_this_year", 0)
    assert at(dt.date(2020, 1, 1), AS_OF) == (dt.date(2025, 1, 1), "ok", 0)
    # 29 Feb 2020 + 5 y = 28 Feb 2025; on 1 Mar 2025 one day over
    assert at(dt.date(2020, 2, 29), dt.date(2025, 3, 1)) == (dt.date(2025, 2, 28), "overdue", 1)
    # never audited: due since 2023-01-19; 365 + 134 = 499 days on 2024-06-01
    assert at(None, AS_OF) == (start, "never_audited", 499)
    assert at(None, dt.date(2022, 12, 31)) == (start, "never_audited", 0)
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    entries = [ScheduleEntry(AS_OF, s, 0) for s in ("ok", "due_this_year", "overdue",
                                                      "never_audited")]
    assert coverage_share(entries) == 0.5  # ok and due_this_year of 4
    assert coverage_share([]) is None


def test_coverage_reasons_of_the_huangpu_rule() -> None:
    rule = AuditRule.from_profile(read_profile("huangpu"))
    assert (rule.min_floor_area_m2, rule.interval_years) == (10_000, 5)
    assert rule.coverage_reason("building", "office", 10_000.0) == "covered"  # 以上: inclusive
    assert rule.coverage_reason("building", "office", 9_999.9) == "below_threshold"
    assert rule.coverage_reason("public_institution", "hospital", 20_000.0) == "covered"
    assert rule.coverage_reason("building", "data_centre", 30_000.0) == "type_not_counted"
    assert rule.coverage_reason("building", None, 30_000.0) == "type_not_counted"
    assert rule.coverage_reason("enterprise", None, 90_000.0) == "not_a_building"
    assert rule.coverage_reason("building", "school", None) == "no_floor_area"


def test_filing_status_by_hand() -> None:
    report = OBLIGATIONS["energy_report"]  # for 2024, due 2025-03-31
    assert report.deadline(2024) == dt.date(2025, 3, 31)
    on_time = [(2024, dt.date(2025, 3, 31))]
    assert filing_status(report, 2024, on_time, CHECK_DAY)[0] == "ok"
    assert filing_status(report, 2024, [(2024, dt.date(2025, 4, 1))], CHECK_DAY)[0] == "late"
    assert filing_status(report, 2024, [], dt.date(2025, 3, 31))[0] == "missing"
    assert filing_status(report, 2024, [], dt.date(2025, 4, 1))[0] == "overdue"
    # a filing made after the day judged on is not seen
    assert filing_status(report, 2024, [(2024, dt.date(2025, 4, 10))],
                         dt.date(2025, 4, 5))[0] == "overdue"
    # another year's report does not count
    assert filing_status(report, 2024, [(2023, dt.date(2024, 3, 1))], CHECK_DAY)[0] == "overdue"
    manager = OBLIGATIONS["energy_manager"]  # standing, on file by 31 Dec of the year
    assert filing_status(manager, 2024, [(2022, dt.date(2022, 5, 1))], CHECK_DAY)[0] == "ok"
    assert filing_status(manager, 2024, [(2024, dt.date(2025, 1, 2))], CHECK_DAY)[0] == "late"
    assert filing_status(manager, 2024, [(2025, dt.date(2025, 1, 2))], CHECK_DAY)[0] \
        == "overdue"  # a later year's filing is not on file for 2024


def test_item_statuses() -> None:
    assert monitoring_status(1.0, 1.0) == "ok"
    assert monitoring_status(0.999, 1.0) == "missing"
    assert monitoring_status(None, 1.0) == "unknown"
    e = ScheduleEntry
    assert audit_item_status([]) == "not_applicable"
    assert audit_item_status([e(AS_OF, "ok", 0), e(AS_OF, "due_this_year", 0)]) == "ok"
    assert audit_item_status([e(AS_OF, "ok", 0), e(AS_OF, "overdue", 3)]) == "overdue"
    assert audit_item_status([e(AS_OF, "never_audited", 5)]) == "overdue"
    assert audit_item_status([e(AS_OF, "never_audited", 0)]) == "missing"
    assert quota_item_status([], CHECK_DAY) == "not_applicable"
    assert quota_item_status([("closed", None)], CHECK_DAY) == "ok"
    assert quota_item_status([("notified", dt.date(2025, 6, 30))], CHECK_DAY) == "missing"
    assert quota_item_status([("notified", dt.date(2025, 4, 14))], CHECK_DAY) == "overdue"
    assert quota_item_status([("escalated", None), ("closed", None)], CHECK_DAY) == "overdue"


def test_profiles_give_every_value_a_source_and_status() -> None:
    hp, th = read_profile("huangpu"), read_profile("tianhe")
    for profile in (hp, th):
        rule, ku = AuditRule.from_profile(profile), KeyUnitRules.from_profile(profile)
        for entry in (*rule.entries.values(), *ku.entries.values()):
            assert entry["source"]
            assert entry["status"] in ("verified", "unverified", "default")
    # Huangpu's figures are the plan's; Tianhe states no audit rule: all defaults
    hp_rule = AuditRule.from_profile(hp)
    assert hp_rule.entries["audit_min_floor_area_m2"]["status"] == "verified"
    assert hp_rule.entries["audit_interval_years"]["status"] == "verified"
    assert {e["status"] for e in AuditRule.from_profile(th).entries.values()} == {"default"}
    assert KeyUnitRules.from_profile(th).obligations == ("energy_report", "energy_manager")
    with pytest.raises(ConfigError, match=r"no \[buildings\] table"):
        AuditRule.from_profile({"code": "x"})
    bad = {"buildings": dict(hp["buildings"], audit_interval_years={"value": 5})}
    with pytest.raises(ConfigError, match="status None"):
        AuditRule.from_profile(bad)


def test_dates_and_measures_as_people_write_them() -> None:
    assert parse_date("2023年5月6日") == parse_date("2023/5/6") == dt.date(2023, 5, 6)
    assert parse_date("２０２３-０５-０６") == dt.date(2023, 5, 6)  # full-width digits
    assert parse_date("2023-02-30") is None
    assert split_measures("冷机更换；LED照明、变频水泵;  ;加装计量") == [
        "冷机更换", "LED照明", "变频水泵", "加装计量"]


# -- files -------------------------------------------------------------------------------------
def _district(ws: Workspace, folder: Path) -> None:
    files = reference_district.write_files(folder / "ref")
    import_file(ws, "entities", files["entities"], district="huangpu")
    (folder / "extra.csv").write_text(EXTRA_ENTITIES, encoding="utf-8")
    import_file(ws, "entities", folder / "extra.csv", district="huangpu")
    init_workspace(ws.settings, profiles=["tianhe"], actor="test", load_targets=False)
    (folder / "t.csv").write_text("entity_id,name,kind,street,building_type,floor_area_m2\n"
                                  "T1,天河大厦,building,五山街道,office,20000\n",
                                  encoding="utf-8")
    import_file(ws, "entities", folder / "t.csv", district="tianhe")


@pytest.fixture
def district(settings: Settings,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Huangpu with the reference district's and the extra entities, and Tianhe with T1 (a
    copy of a home built once per worker: tests/conftest.py ``home_from_template``)."""
    ws = home_from_template(settings, tmp_path_factory, "audits-district", _district)
    yield ws
    ws.close()


def test_bad_audit_file_names_every_row_and_field(district: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "entity_id,kind,audit_date,auditor,estimated_savings_tce\n"
        "NOPE,audit,2023-01-01,A,\n"            # 2: unknown entity
        "T1,audit,2023-01-01,A,\n"              # 3: an entity of Tianhe
        "B1,audit,2099-01-01,A,\n"              # 4: in the future
        "B1,audit,2023-01-02,  ,\n"             # 5: empty auditor
        "B1,inspection,2023-01-03,A,\n"         # 6: unknown kind
        "B1,audit,2023-13-01,A,\n"              # 7: not a date
        "B2,audit,2023-01-01,A,-5\n"            # 8: negative savings
        "B5,audit,2023-01-01,A,\n"              # 9 and 10: the same key twice
        "B5,审计,2023/1/1,B,\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, bad, district="huangpu", today=dt.date(2024, 6, 1))
    # the row checks come first; a file with row problems is refused before the registry
    got = {(e.row, e.column) for e in exc.value.errors}
    assert got == {(4, "audit_date"), (5, "auditor"), (6, "kind"), (7, "audit_date"),
                   (8, "estimated_savings_tce"), (10, "entity_id")}
    assert all(e.file == "bad.csv" for e in exc.value.errors)
    assert "2024-06-01" in next(e.message for e in exc.value.errors if e.row == 4)
    # with the row problems fixed, the registry checks name the entities
    (tmp_path / "bad2.csv").write_text("entity_id,kind,audit_date,auditor\n"
                                       "NOPE,audit,2023-01-01,A\nT1,audit,2023-01-01,A\n"
                                       "B1,audit,2023-01-01,A\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, tmp_path / "bad2.csv", district="huangpu")
    assert [(e.row, e.column, e.value) for e in exc.value.errors] == [
        (2, "entity_id", "NOPE"), (3, "entity_id", "T1")]
    assert "tianhe" in exc.value.errors[1].message
    with district.registry.session() as s:  # nothing was stored
        assert s.scalar(select(func.count()).select_from(EnergyAudit)) == 0
    missing = tmp_path / "nocol.csv"
    missing.write_text("entity_id,kind,audit_date\nB1,audit,2023-01-01\n", encoding="utf-8")
    with pytest.raises(InputValidationError, match="auditor"):
        import_audits(district, missing, district="huangpu")


def test_gb18030_file_with_chinese_headers(district: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "审计记录.csv"
    path.write_bytes(("主体编号,类型,审计日期,审计机构,建议措施,预计节能量（吨标准煤）\n"
                      "B1,能源审计,2023年5月6日,示例节能公司,冷机更换；LED照明、变频水泵,12.5\n"
                      "B2,节能诊断,2023/6/7,演示审计所,,\n").encode("gb18030"))
    res = import_audits(district, path, district="huangpu")
    assert (res.added, res.updated, res.unchanged) == (2, 0, 0)
    everything = AccessScope("huangpu", everything=True)
    rows = {r["entity_id"]: r for r in list_audits(district, everything)}
    assert rows["B1"]["kind"] == "audit"
    assert rows["B1"]["audit_date"] == "2023-05-06"
    assert rows["B1"]["recommended_measures"] == ["冷机更换", "LED照明", "变频水泵"]
    assert rows["B1"]["estimated_savings_tce"] == 12.5
    assert rows["B2"]["kind"] == "diagnosis"
    assert rows["B2"]["recommended_measures"] == []


def test_xlsx_with_a_title_row_and_date_cells(district: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sh = wb.active
    assert sh is not None
    sh.append(["2023年能源审计记录"])
    sh.append(["主体编号", "类型", "审计日期", "审计机构", "报告编号"])
    sh.append(["B5", "审计", dt.datetime(2023, 9, 1), "示例节能公司", "SJ-1"])
    sh.append(["B8", "diagnosis", dt.datetime(2099, 1, 1), "X", ""])
    wb.save(tmp_path / "a.xlsx")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, tmp_path / "a.xlsx", district="huangpu")
    [err] = exc.value.errors
    assert (err.row, err.column, err.value, err.sheet) == (4, "audit_date", "2099-01-01",
                                                           sh.title)
    sh.delete_rows(4)
    wb.save(tmp_path / "a.xlsx")
    assert import_audits(district, tmp_path / "a.xlsx", district="huangpu").added == 1


def test_reimport_changes_nothing_and_a_change_is_audit_logged(district: Workspace,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "audits.csv"
    path.write_text(AUDITS, encoding="utf-8")

    def logged() -> int:
        with district.registry.session() as s:
            return int(s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.object_type == "energy_audit")) or 0)

    def batches() -> int:
        with district.registry.session() as s:
            return int(s.scalar(select(func.count()).select_from(IngestBatch)) or 0)

    first = import_audits(district, path, district="huangpu")
    assert (first.added, first.updated, first.unchanged, first.status) == (5, 0, 0, "committed")
    assert logged() == 5
    # the same file again: reported as already imported, nothing written (no batch, no audit
    # entry), so the data version (the dashboard's caches) stays
    n_batches, version = batches(), data_version(district)
    again = import_audits(district, path, district="huangpu")
    assert (again.status, again.batch_id, again.added, again.updated) == (
        "duplicate", first.batch_id, 0, 0)
    assert f"batch {first.batch_id}" in again.text("en")
    assert f"第 {first.batch_id} 批" in again.text("zh")
    assert (batches(), data_version(district), logged()) == (n_batches, version, 5)
    # the same rows in another file (another order): a batch that changes nothing
    lines = AUDITS.splitlines()
    (tmp_path / "reordered.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n",
                                            encoding="utf-8")
    moved = import_audits(district, tmp_path / "reordered.csv", district="huangpu")
    assert (moved.added, moved.updated, moved.unchanged, moved.status) == (0, 0, 5, "no_change")
    assert logged() == 5
    # filings likewise
    (tmp_path / "filings.csv").write_text(FILINGS.replace("E1,", "B1,"), encoding="utf-8")
    assert import_filings(district, tmp_path / "filings.csv", district="huangpu").added == 3
    n_batches = batches()
    assert import_filings(district, tmp_path / "filings.csv", district="huangpu").status \
        == "duplicate"
    assert batches() == n_batches
    path.write_text(AUDITS.replace("演示审计所,SJ-2019-012", "新机构,SJ-2019-012"),
                    encoding="utf-8")
    changed = import_audits(district, path, district="huangpu")
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 4)
    with district.registry.session() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.object_type == "energy_audit",
                                                 AuditLog.action == "update")).one()
        assert entry.object_id == "B2/2019-05-31/audit"
        assert entry.details["changes"] == {"auditor": ["演示审计所", "新机构"]}
        assert s.scalar(select(func.count()).select_from(EnergyAudit)) == 5


def test_bad_filings_file(district: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "主体编号,报送事项,年度,报送日期\n"
        "B2,能源利用状况报告,2024,2025-03-01\n"     # 2: fine (Chinese name of the code)
        "B2,energy_centre,2024,2025-03-01\n"        # 3: not an obligation of Huangpu
        "B2,energy_report,20x4,2025-03-01\n"        # 4: not a year
        "B2,energy_report,2023,2023-12-01\n"        # 5: a 2023 report filed in 2023
        "B2,saving_plan,2025,2099-01-01\n"          # 6: in the future
        "B2,energy_report,2024年,2025-03-02\n",     # 7: same key as line 2
        encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_filings(district, path, district="huangpu", today=dt.date(2025, 4, 15))
    assert {(e.row, e.column) for e in exc.value.errors} == {
        (3, "obligation"), (4, "year"), (5, "filed_on"), (6, "filed_on"), (7, "entity_id")}
    tianhe_only = tmp_path / "t.csv"  # the GHG report is not one of Tianhe's obligations
    tianhe_only.write_text("entity_id,obligation,year,filed_on\nT1,ghg_report,2024,2025-03-01\n",
                           encoding="utf-8")
    with pytest.raises(InputValidationError, match="energy_report"):
        import_filings(district, tianhe_only, district="tianhe")
    with district.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(ObligationFiling)) == 0


@pytest.mark.contract
def test_nul_characters_are_named_row_errors(district: Workspace, tmp_path: Path) -> None:
    """A NUL in any cell is refused by row and field (PostgreSQL cannot store it in text)."""
    path = tmp_path / "nul.csv"
    path.write_text("entity_id,kind,audit_date,auditor,findings,recommended_measures\n"
                    "B1,audit,2023-01-01,A,冷机\x00老化,\n"            # 2: findings
                    "B2,audit,2023-01-01,A\x00B,,LED；变\x00频\n",     # 3: auditor, measures
                    encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, path, district="huangpu")
    assert {(e.file, e.row, e.column) for e in exc.value.errors} == {
        ("nul.csv", 2, "findings"), ("nul.csv", 3, "auditor"),
        ("nul.csv", 3, "recommended_measures")}
    assert all("NUL" in e.message and "\x00" not in str(e.value) for e in exc.value.errors)
    filings = tmp_path / "nulf.csv"
    filings.write_text("entity_id,obligation,year,filed_on,reference,note\n"
                       "B2,energy_report,2024,2025-03-01,NB-1,补\x00报\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_filings(district, filings, district="huangpu", today=dt.date(2025, 4, 15))
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "note")]
    with pytest.raises(InputValidationError) as exc:  # one at a time too (the API's path)
        record_filing(district, "huangpu", {"entity_id": "B2", "obligation": "energy_report",
                                            "year": "2024", "filed_on": "2025-03-01",
                                            "reference": "\x00"}, today=dt.date(2025, 4, 15))
    assert [e.column for e in exc.value.errors] == ["reference"]
    with district.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(EnergyAudit)) == 0
        assert s.scalar(select(func.count()).select_from(ObligationFiling)) == 0


def test_overlong_texts_are_named(district: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("entity_id,kind,audit_date,auditor,findings\n"
                    f"B1,audit,2023-01-01,A,{'问' * 20_001}\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, path, district="huangpu")
    [err] = exc.value.errors
    assert (err.row, err.column) == (2, "findings")
    assert "20000" in err.message


@pytest.mark.parametrize(("header", "cell", "stored"), [
    ("预计节能量（吨标准煤）", "12.5", 12.5),
    ("estimated_savings_tce", "12.5", 12.5),
    ("预计节能量(tce/a)", "12.5", 12.5),
    ("预计节能量（万吨标准煤）", "0.0012", 12.0),   # 0.0012 × 10,000 = 12 tce
    ("savings_tce [万tce]", "0.0012", 12.0),
    ("预计节能量（kgce）", "3500", 3.5),             # 3,500 kgce / 1,000 = 3.5 tce
    ("预计节能量（千克标准煤）", "3500", 3.5),
    ("*预计节能量（必填）", "7", 7.0),               # a note, not a unit
])
def test_savings_header_units(district: Workspace, tmp_path: Path, header: str, cell: str,
                              stored: float) -> None:
    path = tmp_path / "u.csv"
    path.write_text(f"entity_id,kind,audit_date,auditor,{header}\n"
                    f"B1,audit,2023-01-01,A,{cell}\n", encoding="utf-8")
    import_audits(district, path, district="huangpu")
    [rec] = list_audits(district, AccessScope("huangpu", everything=True))
    assert rec["estimated_savings_tce"] == pytest.approx(stored)


@pytest.mark.parametrize("header", ["预计节能量（万kWh）", "预计节能量(kWh)", "预计节能量（tCO2）",
                                    "预计节能量（吨）", "节能潜力（万元）"])
def test_savings_in_another_unit_is_refused(district: Workspace, tmp_path: Path,
                                            header: str) -> None:
    path = tmp_path / "u.csv"
    path.write_text(f"entity_id,kind,audit_date,auditor,{header}\n"
                    "B1,audit,2023-01-01,A,12\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, path, district="huangpu")
    [err] = exc.value.errors
    assert (err.file, err.row, err.column, err.value) == ("u.csv", 1, "estimated_savings_tce",
                                                          header)
    assert "convert" in err.message
    # in a workbook under a title row: the header's own line and the sheet
    wb = openpyxl.Workbook()
    sh = wb.active
    assert sh is not None
    sh.append(["2023年能源审计记录"])
    sh.append(["主体编号", "类型", "审计日期", "审计机构", header])
    sh.append(["B1", "审计", "2023-01-01", "A", 12])
    wb.save(tmp_path / "u.xlsx")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, tmp_path / "u.xlsx", district="huangpu")
    [err] = exc.value.errors
    assert (err.row, err.column, err.sheet) == (2, "estimated_savings_tce", sh.title)
    with district.registry.session() as s:
        assert s.scalar(select(func.count()).select_from(EnergyAudit)) == 0


def test_implausible_dates_are_refused(district: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("entity_id,kind,audit_date,auditor\n"
                    "B1,audit,0001-01-01,A\n"       # 2: year 1
                    "B2,audit,1989-12-31,A\n"       # 3: the day before 1990
                    "B5,audit,1990-01-01,A\n",      # 4: fine
                    encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_audits(district, path, district="huangpu")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "audit_date"),
                                                             (3, "audit_date")]
    assert "1990..2100" in exc.value.errors[0].message
    # an energy manager's filing has no earliest date of its own: 1000-01-01 was accepted
    filings = tmp_path / "f.csv"
    filings.write_text("entity_id,obligation,year,filed_on\n"
                       "E1,energy_manager,2022,1000-01-01\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_filings(district, filings, district="huangpu")
    assert [(e.row, e.column, e.value) for e in exc.value.errors] == [
        (2, "filed_on", "1000-01-01")]
    with pytest.raises(InputValidationError, match="1990"):
        record_audit(district, "huangpu", {"entity_id": "B1", "kind": "audit",
                                           "audit_date": "0001-01-01", "auditor": "A"})


# -- the schedule and the checklist ------------------------------------------------------------
@pytest.fixture
def built(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """:func:`_setup` in the test's folder (a copy of a home built once per worker)."""
    ws = home_from_template(settings, tmp_path_factory, "audits-built", _setup)
    yield ws
    ws.close()


def test_schedule_by_hand(built: Workspace) -> None:
    sched = audit_schedule(built, "huangpu", AS_OF)
    got = {it["entity_id"]: (it["status"], it["next_due"], it["days_overdue"], it["n_audits"])
           for it in sched["items"]}
    assert got == {"B2": ("overdue", "2024-05-31", 1, 2),
                   "B8": ("never_audited", "2023-01-19", 499, 0),
                   "B5": ("due_this_year", "2024-10-15", 0, 1),
                   "B1": ("ok", "2029-03-01", 0, 1)}
    assert [it["entity_id"] for it in sched["items"]] == ["B2", "B8", "B5", "B1"]  # worst first
    sm = sched["summary"]
    assert sm["counts"] == {"overdue": 1, "never_audited": 1, "due_this_year": 1, "ok": 1}
    assert sm["coverage"] == 0.5
    assert {b["street"]: b["coverage"] for b in sm["by_street"]} == {"外滩街道": 1.0,
                                                                      "豫园街道": 0.0}
    assert sm["left_out"] == {"below_threshold": 2, "type_not_counted": 1,
                              "no_floor_area": ["B7"]}
    assert sched["rule"]["entries"]["audit_interval_years"]["status"] == "verified"
    # a street officer's scope: 外滩's covered buildings only
    with built.registry.session() as s:
        waitan = s.scalar(select(Entity.street_id).where(Entity.id == "B4"))
    officer = AccessScope("huangpu", everything=False, street_id=waitan, street_code="waitan",
                    entities=frozenset({"E1", "B1", "B4", "B5", "B7"}))
    part = audit_schedule(built, "huangpu", AS_OF, scope=officer)
    assert [it["entity_id"] for it in part["items"]] == ["B5", "B1"]
    assert part["summary"]["coverage"] == 1.0
    assert part["summary"]["left_out"]["no_floor_area"] == ["B7"]
    # as it was on 2024-02-01, before B1's diagnosis: B1 and B8 never audited, B2 (due
    # 2024-05-31) and B5 (due 2024-10-15) due this year → coverage 2 / 4
    before = audit_schedule(built, "huangpu", dt.date(2024, 2, 1))
    assert {it["entity_id"]: it["status"] for it in before["items"]} == {
        "B1": "never_audited", "B8": "never_audited", "B2": "due_this_year",
        "B5": "due_this_year"}
    assert before["summary"]["coverage"] == 0.5
    book = openpyxl.load_workbook(io.BytesIO(schedule_workbook(sched)))
    assert book.sheetnames == ["审计周期", "汇总"]
    values = [c for row in book["审计周期"].iter_rows(values_only=True) for c in row]
    assert "B8" in values
    assert "never_audited" in values


def _items(chk: dict[str, Any], unit: str) -> dict[str, tuple[str, str | None]]:
    [u] = [u for u in chk["units"] if u["entity_id"] == unit]
    return {it["code"]: (it["status"], it["deadline"]) for it in u["items"]}


def test_the_schedule_and_checklist_workbooks_are_each_in_one_language(
        built: Workspace) -> None:
    """Issue 14: the Chinese edition has no English word outside units, codes and the data's
    own ids and names; the English edition no Chinese character outside them."""
    sched = audit_schedule(built, "huangpu", dt.date(2025, 4, 15))
    chk = obligations(built, "huangpu", 2024, as_of=CHECK_DAY)
    data = {"状态代码", "Status code", "事项代码", "Item code", "主体编号", "Entity id",
            "名称", "Name", "街道", "Street", "最近审计机构", "Last auditor", "依据"}
    for make, src in ((schedule_workbook, sched), (obligations_workbook, chk)):
        zh = workbook_texts(openpyxl.load_workbook(io.BytesIO(make(src))), data)
        en = workbook_texts(openpyxl.load_workbook(io.BytesIO(make(src, lang="en"))), data)
        sources = {str(e["source"]) for e in sched["rule"]["entries"].values()} | {
            str(o["source"]) for o in chk["obligations"]}
        zh_words = {w for t in zh for w in english_words(t) if not any(
            w in s for s in sources)}
        assert not zh_words, zh_words
        en_cjk = [t for t in en if CJK.search(t) and not any(
            s in t for s in sources | {str(sched["district_name"])})]
        assert not en_cjk, en_cjk


def test_obligations_checklist_with_every_status(built: Workspace) -> None:
    chk = obligations(built, "huangpu", 2024, as_of=CHECK_DAY)
    assert [u["entity_id"] for u in chk["units"]] == ["B2", "E1"]
    # B2: all its 2024 energy is metered (registers M2, M3; PV is not purchased) → ok
    assert _items(chk, "B2") == {
        "monitoring": ("ok", None),
        "energy_report": ("ok", "2025-03-31"),      # filed 2025-03-20
        "ghg_report": ("late", "2025-03-31"),       # filed 2025-04-02, 2 days late
        "saving_plan": ("overdue", "2024-06-30"),   # none; 289 days past on 2025-04-15
        "energy_manager": ("overdue", "2024-12-31"),  # none; 105 days past
        "audit": ("overdue", "2024-05-31"),         # last 2019-05-31
        "quota": ("missing", "2025-06-30"),         # notified, deadline ahead
    }
    b2 = {it["code"]: it for it in chk["units"][0]["items"]}
    assert b2["monitoring"]["details"]["meter_share"] == 1.0
    assert b2["monitoring"]["details"]["interval_share"] == 0.0
    assert "2 days after" in b2["ghg_report"]["evidence"]
    assert "289 days" in b2["saving_plan"]["evidence"]
    assert "105 天" in b2["energy_manager"]["evidence_zh"]
    # E1 with B1: E1's diesel and B1's January and February electricity are ledgers; B1's
    # meter has readings in January only, where the ledger wins → 0 % metered → missing
    assert _items(chk, "E1") == {
        "monitoring": ("missing", None), "energy_report": ("overdue", "2025-03-31"),
        "ghg_report": ("overdue", "2025-03-31"), "saving_plan": ("overdue", "2024-06-30"),
        "energy_manager": ("ok", "2024-12-31"),     # the 2022 filing still stands
        "audit": ("ok", "2029-03-01"),              # B1's diagnosis 2024-03-01
        "quota": ("not_applicable", None)}
    e1 = {it["code"]: it for it in chk["units"][1]["items"]}
    assert e1["monitoring"]["details"]["ledger_share"] == 1.0
    assert chk["summary"]["by_item"]["ghg_report"]["late"] == 1
    # before the reports' deadline they are missing, not overdue
    early = obligations(built, "huangpu", 2024, as_of=dt.date(2025, 3, 1))
    assert _items(early, "E1")["energy_report"] == ("missing", "2025-03-31")
    assert _items(early, "B2")["ghg_report"] == ("missing", "2025-03-31")  # not yet filed then
    # no official account of 2023: the monitoring cannot be judged
    assert _items(obligations(built, "huangpu", 2023, as_of=CHECK_DAY), "B2")["monitoring"] \
        == ("unknown", None)
    book = openpyxl.load_workbook(io.BytesIO(obligations_workbook(chk)))
    rows = list(book["义务清单"].iter_rows(values_only=True))
    assert sum(1 for r in rows if r[0] in ("B2", "E1")) == 14  # 2 units × 7 items


def test_a_street_officer_sees_only_its_part_of_a_unit(built: Workspace) -> None:
    """E1 (外滩) with B1 (外滩) and, here, B2 (豫园) as its buildings: the 外滩 officer reads E1's
    checklist with the whole unit's statuses, but only E1's and B1's figures and ids."""
    alone = obligations(built, "huangpu", 2024, as_of=CHECK_DAY)
    [e1_alone] = [u for u in alone["units"] if u["entity_id"] == "E1"]
    tce_e1_b1 = e1_alone["items"][0]["details"]["tce_equivalent"]
    with built.registry.session() as s:
        s.get(Entity, "B2").parent_id = "E1"  # type: ignore[union-attr]
        waitan = s.scalar(select(Entity.street_id).where(Entity.id == "B4"))
        case_id = s.scalar(select(QuotaCase.id).where(QuotaCase.entity_id == "B2"))
    whole = obligations(built, "huangpu", 2024, as_of=CHECK_DAY)
    [e1] = [u for u in whole["units"] if u["entity_id"] == "E1"]
    items = {it["code"]: it for it in e1["items"]}
    # the district sees B2 in E1: its overdue audit (last 2019-05-31) and its case
    assert items["audit"]["details"]["buildings"] == ["B1", "B2"]
    assert items["audit"]["status"] == "overdue"
    assert items["quota"]["details"]["cases"] == [case_id]
    assert items["quota"]["status"] == "missing"  # notified, deadline 2025-06-30 ahead
    assert items["monitoring"]["details"]["tce_equivalent"] > tce_e1_b1
    assert e1["partial_scope"] is False
    officer = AccessScope("huangpu", everything=False, street_id=waitan, street_code="waitan",
                    entities=frozenset({"E1", "B1", "B4", "B5", "B7"}))
    part = obligations(built, "huangpu", 2024, as_of=CHECK_DAY, scope=officer)
    [mine] = part["units"]
    assert mine["entity_id"] == "E1"
    assert mine["partial_scope"] is True
    seen = {it["code"]: it for it in mine["items"]}
    # the statuses are the whole unit's ...
    assert {c: it["status"] for c, it in seen.items()} == {c: it["status"]
                                                          for c, it in items.items()}
    # ... the figures and ids only those of E1 and B1: E1's diesel and B1's ledgers, 0 %
    # metered, the tce of E1 and B1 alone; B1 only in the audit; no case of B2
    assert seen["monitoring"]["details"]["tce_equivalent"] == pytest.approx(tce_e1_b1)
    assert seen["monitoring"]["details"]["meter_share"] == 0.0
    assert seen["audit"]["details"]["buildings"] == ["B1"]
    assert seen["audit"]["deadline"] == "2029-03-01"  # B1's, not B2's 2024-05-31
    assert seen["quota"]["details"]["cases"] == []
    text = repr(mine)
    assert "B2" not in text
    assert f"case {case_id}" not in text
    for code in ("monitoring", "audit", "quota"):
        assert "outside your scope" in seen[code]["evidence"]
        assert "不在您的数据范围内" in seen[code]["evidence_zh"]
    assert "outside your scope" not in seen["energy_report"]["evidence"]  # E1's own


def test_an_entity_manager_does_not_rewrite_the_districts_filings(built: Workspace) -> None:
    """E1's energy report for 2024, recorded by the district on 2025-04-10 (10 days late);
    its manager may not move it to 2025-03-01 (which would turn it ok), but may record and
    correct the unit's own filings."""
    admin = replace(built, actor="user:admin")
    create_user(built, "admin", "district_admin")
    create_user(built, "manager", "entity_manager", entities=["E1"])
    create_user(built, "manager2", "entity_manager", entities=["E1"])
    manager = replace(built, actor="user:manager")
    report = {"entity_id": "E1", "obligation": "energy_report", "year": "2024",
              "filed_on": "2025-04-10", "reference": "NB-E1"}
    record_filing(admin, "huangpu", report, today=CHECK_DAY)
    with pytest.raises(AccessDenied, match="user:admin"):
        record_filing(manager, "huangpu", report | {"filed_on": "2025-03-01"},
                      today=CHECK_DAY, unit_side=True)
    # the same values change nothing and are not refused
    assert record_filing(manager, "huangpu", report, today=CHECK_DAY,
                         unit_side=True)[0].status == "no_change"
    # a filing imported from a file (actor "test") is the district's too
    with pytest.raises(AccessDenied, match="test"):
        record_filing(manager, "huangpu", {"entity_id": "E1", "obligation": "energy_manager",
                                           "year": "2022", "filed_on": "2022-04-01"},
                      today=CHECK_DAY, unit_side=True)
    ghg = {"entity_id": "E1", "obligation": "ghg_report", "year": "2024",
           "filed_on": "2025-03-30"}
    assert record_filing(manager, "huangpu", ghg, today=CHECK_DAY,
                         unit_side=True)[0].added == 1
    fixed = record_filing(replace(built, actor="user:manager2"), "huangpu",
                          ghg | {"reference": "GHG-E1"}, today=CHECK_DAY, unit_side=True)
    assert fixed[0].updated == 1  # another manager of the unit corrects the unit's filing
    # once the district has changed it, it is the district's
    record_filing(admin, "huangpu", ghg | {"filed_on": "2025-04-02"}, today=CHECK_DAY)
    with pytest.raises(AccessDenied, match="user:admin"):
        record_filing(manager, "huangpu", ghg, today=CHECK_DAY, unit_side=True)
    with built.registry.session() as s:
        stored = {f.obligation: (f.filed_on, f.created_by) for f in s.scalars(
            select(ObligationFiling).where(ObligationFiling.entity_id == "E1"))}
    assert stored["energy_report"] == (dt.date(2025, 4, 10), "user:admin")
    assert stored["ghg_report"] == (dt.date(2025, 4, 2), "user:manager")
    # the checklist says who recorded each filing
    items = {it["code"]: it for it in next(
        u for u in obligations(built, "huangpu", 2024, as_of=CHECK_DAY)["units"]
        if u["entity_id"] == "E1")["items"]}
    assert items["energy_report"]["status"] == "late"  # 2025-04-10 > 2025-03-31
    assert items["energy_report"]["details"]["recorded_by"] == "user:admin"
    assert "recorded by user:admin" in items["energy_report"]["evidence"]
    assert "登记人 user:admin" in items["energy_report"]["evidence_zh"]
    assert items["ghg_report"]["details"]["recorded_by"] == "user:manager"
    assert items["energy_manager"]["details"]["recorded_by"] == "test"


def test_hp12_metric_is_the_least_count_per_interval(built: Workspace) -> None:
    d = built.district("huangpu")
    # to 2024-06-01: 2023 (2018-12-31..2023-12-31): B1 0, B8 0 → 0; 2024 (2019-06-01..
    # 2024-06-01): B1 1, B2 0 (2019-05-31 is a day early), B5 1, B8 0 → 0
    assert audit_min_counts(built, d, today=AS_OF)[0] == [(2023, 0.0), (2024, 0.0)]
    for eid, day in (("B2", "2024-05-01"), ("B8", "2024-05-02")):
        record_audit(built, "huangpu", {"entity_id": eid, "kind": "audit", "audit_date": day,
                                        "auditor": "示例节能公司"}, today=AS_OF)
    # now every covered building has one within 2019-06-01..2024-06-01 → 1 (meets ≥ 1次/5年)
    values, source = audit_min_counts(built, d, today=AS_OF)
    assert values == [(2023, 0.0), (2024, 1.0)]
    assert source is not None
    assert "4 buildings" in render(source, "en")
    assert "覆盖的 4 栋建筑" in render(source, "zh")
    computed, _ = computed_metric(built, d, "public_building_audits_min",
                                  district_series(built, d))
    assert dict(computed)[2023] == 0.0


def test_demo_files_are_deterministic_and_show_every_case(district: Workspace,
                                                          tmp_path: Path) -> None:
    ents = read_entities_csv(tmp_path / "ref" / "entities.csv")
    extra = read_entities_csv(tmp_path / "extra.csv")
    frame = pd.concat([ents, extra], ignore_index=True)
    as_of = dt.date(2025, 6, 30)
    a = generate_audit_files(frame, profile=read_profile("huangpu"), seed=3, as_of=as_of,
                             out_dir=tmp_path / "a")
    b = generate_audit_files(frame, profile=read_profile("huangpu"), seed=3, as_of=as_of,
                             out_dir=tmp_path / "b")
    assert a.audits.read_bytes() == b.audits.read_bytes()
    assert a.filings.read_bytes() == b.filings.read_bytes()
    import_audits(district, a.audits, district="huangpu")
    import_filings(district, a.filings, district="huangpu")
    sched = audit_schedule(district, "huangpu", as_of)
    # 4 covered buildings (B1, B2, B5, B8): one of each situation
    assert sched["summary"]["counts"] == {"overdue": 1, "never_audited": 1,
                                          "due_this_year": 1, "ok": 1}
    with district.registry.session() as s:
        filed = list(s.scalars(select(ObligationFiling)))
    late = [f for f in filed if f.filed_on > OBLIGATIONS[f.obligation].deadline(f.year)]
    assert filed
    assert late
    assert len(late) < len(filed)
    assert "missing" in render(a.notes[1], "en")


# -- the CLI -----------------------------------------------------------------------------------
def test_cli_import_schedule_and_checklist(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONPEAK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CARBONPEAK_DATABASE_URL", raising=False)
    ws, _ = init_workspace(Settings(), profiles=["huangpu"], actor="test", load_targets=False)
    try:
        _setup(ws, tmp_path / "in")
    finally:
        ws.close()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli_app, list(args), catch_exceptions=False)

    r = run("audits", "import", str(tmp_path / "in" / "audits.csv"))
    assert r.exit_code == 0, r.output
    # the same file as in the setup (Chinese, the run's default language)
    assert "批导入，未作任何更改" in r.output
    assert "已导入过" in r.output
    r = run("audits", "schedule", "--as-of", "2024-06-01", "--xlsx", str(tmp_path / "s.xlsx"))
    assert r.exit_code == 0, r.output
    assert "已逾期" in r.output
    assert "50.0%" in r.output
    assert "B7" in r.output
    assert (tmp_path / "s.xlsx").is_file()
    r = run("audits", "list", "--street", "豫园")
    assert r.exit_code == 0
    assert "B2" in r.output
    assert "B1" not in r.output
    r = run("obligations", "checklist", "--year", "2024", "--as-of", "2025-04-15",
            "--xlsx", str(tmp_path / "o.xlsx"))
    assert r.exit_code == 0, r.output
    assert "逾期履行" in r.output
    assert (tmp_path / "o.xlsx").is_file()
    (tmp_path / "bad.csv").write_text("entity_id,kind,audit_date,auditor\nB1,audit,x,A\n",
                                      encoding="utf-8")
    r = run("audits", "import", str(tmp_path / "bad.csv"))
    assert r.exit_code == 1
    assert "audit_date" in r.output
    # a NUL in a cell: a named error, not a database traceback
    (tmp_path / "nul.csv").write_text("entity_id,obligation,year,filed_on,note\n"
                                      "B2,saving_plan,2024,2024-05-01,a\x00b\n",
                                      encoding="utf-8")
    r = run("obligations", "import", str(tmp_path / "nul.csv"))
    assert r.exit_code == 1
    assert "note" in r.output
    assert "NUL" in r.output
    assert run("audits", "schedule", "--as-of", "2024-13-01").exit_code == 1
    assert "energy_report" in run("obligations", "codes").output


# -- the API -----------------------------------------------------------------------------------
USERS = {
    "admin": ("district_admin", None, None),
    "analyst": ("district_analyst", None, None),
    "officer": ("street_officer", "waitan", None),       # 外滩: E1, B1, B4, B5, B7
    "officer_yy": ("street_officer", "yuyuan", None),    # 豫园: B2, B3, B6, B8
    "manager": ("entity_manager", None, ["E1"]),         # E1 and its building B1
    "feeder": ("data_feeder", None, ["B2"]),
}


@dataclass
class World:
    ws: Workspace
    client: TestClient
    tokens: dict[str, str]

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = {} if user == "anonymous" else {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.request(method, path, json=body, headers=headers)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("audits_api")
    with registry_url(request.param, tmp) as url:
        ws, _ = init_workspace(Settings(home=tmp / "home", database_url=url),
                               profiles=["huangpu"], actor="test", load_targets=False)
        try:
            _setup(ws, tmp / "in")
            for name, (role, street, entities) in USERS.items():
                create_user(ws, name, role, street=street, entities=entities)
            tokens = {n: issue_token(ws, n).token for n in USERS}
            yield World(ws, TestClient(create_app(workspace=ws)), tokens)
        finally:
            ws.close()


@pytest.mark.parametrize(("user", "audited", "schedule", "units"), [
    ("admin", {"B1", "B2", "B3", "B5"}, {"B1", "B2", "B5", "B8"}, {"B2", "E1"}),
    ("analyst", {"B1", "B2", "B3", "B5"}, {"B1", "B2", "B5", "B8"}, {"B2", "E1"}),
    ("officer", {"B1", "B5"}, {"B1", "B5"}, {"E1"}),
    ("officer_yy", {"B2", "B3"}, {"B2", "B8"}, {"B2"}),
    ("manager", {"B1"}, {"B1"}, {"E1"}),
    ("feeder", {"B2"}, {"B2"}, {"B2"}),
])
@pytest.mark.contract
def test_reads_are_scoped(world: World, user: str, audited: set[str], schedule: set[str],
                          units: set[str]) -> None:
    r = world.call(user, "GET", "/api/v1/audits?limit=500")
    assert r.status_code == 200, r.text
    assert {a["entity_id"] for a in r.json()["items"]} == audited
    r = world.call(user, "GET", "/api/v1/audits/schedule?as_of=2024-06-01")
    assert r.status_code == 200, r.text
    assert {it["entity_id"] for it in r.json()["items"]} == schedule
    r = world.call(user, "GET", "/api/v1/obligations?year=2024&as_of=2025-04-15")
    assert r.status_code == 200, r.text
    assert {u["entity_id"] for u in r.json()["items"]} == units


@pytest.mark.parametrize(("user", "query"), [
    ("officer", "entity=B2"), ("officer", "street=yuyuan"), ("officer", "street=豫园街道"),
    ("manager", "entity=B2"), ("manager", "entity=B5"), ("feeder", "entity=B1"),
    ("admin", "entity=NOPE"), ("admin", "street=nowhere"),
])
@pytest.mark.contract
def test_guessed_ids_are_404(world: World, user: str, query: str) -> None:
    assert world.call(user, "GET", f"/api/v1/audits?{query}").status_code == 404


def test_schedule_and_checklist_answers(world: World) -> None:
    body = world.call("admin", "GET", "/api/v1/audits/schedule?as_of=2024-06-01").json()
    assert body["total"] == 4
    assert body["summary"]["coverage"] == 0.5
    assert body["rule"]["interval_years"] == 5
    overdue = world.call("admin", "GET",
                         "/api/v1/audits/schedule?as_of=2024-06-01&status=overdue").json()
    assert [it["entity_id"] for it in overdue["items"]] == ["B2"]
    csv_text = world.call("admin", "GET", "/api/v1/audits/schedule?as_of=2024-06-01"
                          "&format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("entity_id,name,street")
    chk = world.call("admin", "GET", "/api/v1/obligations?year=2024&as_of=2025-04-15"
                     "&status=late").json()
    assert [u["entity_id"] for u in chk["items"]] == ["B2"]
    assert {o["code"] for o in chk["obligations"]} == {"energy_report", "ghg_report",
                                                       "saving_plan", "energy_manager"}
    xlsx = world.call("officer", "GET", "/api/v1/obligations?year=2024&as_of=2025-04-15"
                      "&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"E1"}
    exported = world.call("admin", "GET", "/api/v1/audits?entity=B2&format=csv")
    assert "冷机更换；水泵变频；加装分项计量" in exported.content.decode("utf-8-sig")
    assert world.call("admin", "GET", "/api/v1/obligations").status_code == 422
    assert world.call("admin", "GET", "/api/v1/audits/schedule?as_of=1900-01-01"
                      ).status_code == 422


@pytest.mark.contract
@pytest.mark.parametrize(("user", "status"), [
    ("admin", 201), ("analyst", 201), ("officer", 403), ("officer_yy", 403),
    ("manager", 403), ("feeder", 403), ("anonymous", 401),
])
def test_who_may_record_an_audit(world: World, user: str, status: int) -> None:
    day = {"admin": "2022-01-03", "analyst": "2022-01-04"}.get(user, "2022-01-05")
    body = {"entity_id": "B4", "kind": "diagnosis", "audit_date": day, "auditor": "示例公司",
            "recommended_measures": ["LED照明", "变频"], "estimated_savings_tce": 1.5}
    r = world.call(user, "POST", "/api/v1/audits", body)
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["audit"]["recommended_measures"] == ["LED照明", "变频"]
        again = world.call(user, "POST", "/api/v1/audits", body)
        assert (again.status_code, again.json()["status"]) == (200, "unchanged")
        with world.ws.registry.session() as s:
            entry = s.scalars(select(AuditLog).where(
                AuditLog.object_type == "energy_audit",
                AuditLog.object_id == f"B4/{day}/diagnosis")).one()
            assert entry.actor == f"user:{user}"
            assert entry.action == "create"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"audit_date": "2099-01-01"}, 422, "audit_date"),
    ({"audit_date": "0001-01-01"}, 422, None),
    ({"audit_date": "1989-12-31"}, 422, None),
    ({"findings": "冷机\x00老化"}, 422, None),
    ({"auditor": "A\x00"}, 422, None),
    ({"recommended_measures": ["LED", "变\x00频"]}, 422, None),
    ({"findings": "问" * 20_001}, 422, None),
    ({"auditor": "A" * 257}, 422, None),
    ({"report_ref": "R" * 129}, 422, None),
    ({"recommended_measures": ["措" * 501]}, 422, None),
    ({"auditor": "   "}, 422, "auditor"),
    ({"entity_id": "NOPE"}, 404, None),
    ({"kind": "inspection"}, 422, None),
    ({"estimated_savings_tce": -1}, 422, None),
    ({"extra": 1}, 422, None),
])
def test_refused_audits(world: World, body: dict[str, Any], status: int,
                        field: str | None) -> None:
    base = {"entity_id": "B4", "kind": "audit", "audit_date": "2021-01-01", "auditor": "A"}
    r = world.call("admin", "POST", "/api/v1/audits", base | body)
    assert r.status_code == status, r.text
    if field is not None:
        assert [e["column"] for e in r.json()["errors"]] == [field]


@pytest.mark.contract
@pytest.mark.parametrize(("user", "entity", "status"), [
    ("admin", "B2", 201), ("manager", "E1", 201), ("manager", "B1", 201),
    ("manager", "B2", 404), ("feeder", "B2", 403), ("officer", "E1", 403),
    ("admin", "NOPE", 404),
])
def test_who_may_record_a_filing(world: World, user: str, entity: str, status: int) -> None:
    body = {"entity_id": entity, "obligation": "saving_plan", "year": 2024,
            "filed_on": "2024-05-01", "reference": f"JH-{user}"}
    r = world.call(user, "POST", "/api/v1/obligation-filings", body)
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["filing"]["deadline"] == "2024-06-30"


@pytest.mark.parametrize("body", [
    {"note": "补\x00报"}, {"reference": "\x00"}, {"entity_id": "E1\x00"},
    {"note": "注" * 2_001}, {"reference": "R" * 129},
    {"filed_on": "1000-01-01"}, {"filed_on": "1989-12-31"}, {"year": 1989},
])
def test_refused_filings(world: World, body: dict[str, Any]) -> None:
    base = {"entity_id": "E1", "obligation": "energy_manager", "year": 2021,
            "filed_on": "2021-03-01"}
    for user in ("admin", "manager"):
        r = world.call(user, "POST", "/api/v1/obligation-filings", base | body)
        assert r.status_code == 422, r.text
    with world.ws.registry.session() as s:
        assert s.scalars(select(ObligationFiling).where(
            ObligationFiling.entity_id == "E1", ObligationFiling.year == 2021)).first() is None


@pytest.mark.contract
def test_a_manager_may_not_change_the_districts_filing(world: World) -> None:
    """E1's 2023 energy report, recorded by an admin 10 days late (deadline 2024-03-31): its
    manager may not move it earlier (403); it records and corrects the unit's own filings."""
    report = {"entity_id": "E1", "obligation": "energy_report", "year": 2023,
              "filed_on": "2024-04-10", "reference": "NB-2023-E1"}
    assert world.call("admin", "POST", "/api/v1/obligation-filings", report).status_code == 201
    r = world.call("manager", "POST", "/api/v1/obligation-filings",
                   report | {"filed_on": "2024-03-01"})
    assert r.status_code == 403, r.text
    assert "recorded by the district" in r.json()["detail"]
    own = {"entity_id": "E1", "obligation": "ghg_report", "year": 2023,
           "filed_on": "2024-03-20"}
    assert world.call("manager", "POST", "/api/v1/obligation-filings", own).status_code == 201
    r = world.call("manager", "POST", "/api/v1/obligation-filings",
                   own | {"reference": "GHG-2023-E1"})
    assert (r.status_code, r.json()["status"]) == (200, "updated")
    chk = world.call("manager", "GET", "/api/v1/obligations?year=2023&as_of=2025-04-15").json()
    [e1] = chk["items"]
    items = {it["code"]: it for it in e1["items"]}
    assert items["energy_report"]["status"] == "late"  # still the district's date
    assert items["energy_report"]["details"]["recorded_by"] == "user:admin"
    assert "recorded by user:admin" in items["energy_report"]["evidence"]
    assert items["ghg_report"]["details"]["recorded_by"] == "user:manager"
    assert items["ghg_report"]["details"]["reference"] == "GHG-2023-E1"


def test_a_filing_turns_the_item_ok(world: World) -> None:
    # the saving plan of E1 recorded by its manager (above) on 2024-05-01, before 2024-06-30
    chk = world.call("manager", "GET", "/api/v1/obligations?year=2024&as_of=2025-04-15").json()
    [e1] = chk["items"]
    assert {it["code"]: it["status"] for it in e1["items"]}["saving_plan"] == "ok"
    bad = {"entity_id": "E1", "obligation": "energy_report", "year": 2024,
           "filed_on": "2024-12-01"}  # a 2024 report cannot be filed in 2024
    r = world.call("manager", "POST", "/api/v1/obligation-filings", bad)
    assert r.status_code == 422
    assert r.json()["errors"][0]["column"] == "filed_on"
    r = world.call("admin", "POST", "/api/v1/obligation-filings",
                   bad | {"obligation": "nothing"})
    assert r.status_code == 422


OPERATIONS = {"GET /api/v1/audits", "POST /api/v1/audits", "GET /api/v1/audits/schedule",
              "GET /api/v1/obligations", "POST /api/v1/obligation-filings"}


@pytest.mark.contract
def test_generated_requests_never_answer_500(world: World) -> None:
    """Generated parameters and bodies with an admin token (schemathesis + Hypothesis)."""
    schema = openapi_schema(world.client.app)
    operations = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [o for o in operations if o.label in OPERATIONS]
    assert {o.label for o in operations} == OPERATIONS
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    seen: set[int] = set()
    for op in operations:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any, data: st.DataObject) -> None:
            if case.query and "year" in case.query and data.draw(st.booleans()):
                case.query["year"] = 2024
            if isinstance(case.body, dict) and "entity_id" in case.body \
                    and data.draw(st.booleans()):
                case.body["entity_id"] = data.draw(st.sampled_from(["B1", "B2", "E1"]))
            response = case.call(timeout=STARTUP_WAIT_S, headers=headers)
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.query,
                                                case.body, response.text)

        check()
    assert any(c < 300 for c in seen)
    assert any(c >= 400 for c in seen)


def test_unknown_district_rule_is_a_clear_error(built: Workspace) -> None:
    with built.registry.session() as s:
        d = s.get(District, "huangpu")
        assert d is not None
        d.profile = {k: v for k, v in d.profile.items() if k != "buildings"}
    with pytest.raises(ConfigError, match="carbonpeak init"):
        audit_schedule(built, "huangpu", AS_OF)
    with pytest.raises(NotFoundError):
        list_audits(built, AccessScope("huangpu", everything=True), entity="NOPE")
