"""Plan supervision's remaining gaps: the assessment targets fed from the issued assessment,
the eligible counts of the share targets, and rounds opened on a schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.i18n import render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.services.supervision.assessment import issue_assessment
from carbonpeak.services.supervision.catalogue import load_catalogue
from carbonpeak.storage.registry.models import AuditLog
from carbonpeak.storage.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    tmp: Path = tmp_path_factory.mktemp("supervision_sup")
    w, _ = init_workspace(Settings(home=tmp / "home"), profiles=["huangpu", "tianhe"],
                          actor="test")
    load_catalogue(w, district="huangpu")
    load_catalogue(w, district="tianhe")
    yield w
    w.close()


def _st(ws: Workspace, district: str, code: str):  # type: ignore[no-untyped-def]
    return evaluate_targets(ws, district=district, codes=[code])[0]


def test_the_assessment_targets_are_fed_from_the_issued_assessment(ws: Workspace):
    """HP-56/57 (1 次/年) count the years whose assessment the office issued: none before; the
    2024 assessment issued on 2025-01-10 gives (2024, 1) and the target is met (1 = 1);
    re-issuing 2024 corrects it and still counts once; Tianhe's TH-50 is its own district's."""
    assert _st(ws, "huangpu", "HP-56").status == "no_data"
    out = issue_assessment(ws, year=2024, on=dt.date(2025, 1, 10), district="huangpu")
    n_units = len(out["units"])
    assert out["issued"]["units"] == n_units
    for code in ("HP-56", "HP-57"):
        st = _st(ws, "huangpu", code)
        assert st.metric == "supervision_assessment"
        assert (st.value, st.value_year, st.status) == (1.0, 2024, "met")
        assert st.history == [(2024, 1.0)]
        assert "2024 年度考核于 2025-01-10 印发" in st.value_source_zh
        assert f"{n_units} 个单位评定等次" in st.value_source_zh
        assert "basis: the district's issued carbon-peak assessment" in st.value_source
    issue_assessment(ws, year=2024, on=dt.date(2025, 1, 20), district="huangpu")
    st = _st(ws, "huangpu", "HP-56")
    assert st.history == [(2024, 1.0)]  # twice issued, once counted
    assert "2025-01-20" in st.value_source_zh  # the latest issue is the source
    with ws.registry.session() as s:
        issued = list(s.scalars(select(AuditLog).where(
            AuditLog.object_type == "assessment", AuditLog.action == "issue",
            AuditLog.district_id == "huangpu")))
    assert [a.object_id for a in issued] == ["2024", "2024"]
    assert _st(ws, "tianhe", "TH-50").status == "no_data"
    issue_assessment(ws, year=2024, on=dt.date(2025, 1, 15), district="tianhe")
    th = _st(ws, "tianhe", "TH-50")
    assert (th.value, th.status) == (1.0, "met")
    assert render(th.reason, "zh") if th.reason else False


def test_the_share_targets_divide_approvals_by_the_entered_eligible_count(ws: Workspace):
    """TH-47 (节约型机关, 100 % by 2025): 3 organs approved by 2024-06-01, a 4th after the feed
    date. Without an eligible count nothing is fed and the office is said to owe it; with 12
    organs entered (as of 2024-01-01): 100 × 3 / 12 = 25 %; corrected to 10: 100 × 3 / 10 =
    30 %. TH-48 (green malls) without its count stays owed."""
    from carbonpeak.errors import InputValidationError
    from carbonpeak.services.supervision.assessment import owed_reasons
    from carbonpeak.services.supervision.programmes import (
        apply_programme,
        decide_programme,
        feed_targets,
        set_eligible,
        share_pct,
    )

    for i in range(4):
        pid = apply_programme(ws, "conserving_institution", f"机关 {i}", org=None,
                              applied_on=dt.date(2024, 3, 1), district="tianhe")
        decide_programme(ws, pid, approve=True, district="tianhe",
                         on=dt.date(2024, 6, 1) if i < 3 else dt.date(2024, 8, 1))
    feed = dt.date(2024, 6, 30)
    assert feed_targets(ws, observed_on=feed, district="tianhe") == {}
    sts = evaluate_targets(ws, district="tianhe", codes=["TH-47", "TH-48"])
    owed = owed_reasons(ws, sts, district="tianhe", today=feed)
    assert "全区处级及以上党政机关数" in render(owed["TH-47"][1], "zh")
    assert "programmes eligible TH-47" in render(owed["TH-47"][1], "en")
    assert "10万平方米及以上" in render(owed["TH-48"][1], "zh")
    with pytest.raises(InputValidationError):
        set_eligible(ws, "TH-47", count=0, as_of=dt.date(2024, 1, 1), source="",
                     district="tianhe")
    with pytest.raises(InputValidationError):
        set_eligible(ws, "TH-46", count=5, as_of=dt.date(2024, 1, 1), source="x",
                     district="tianhe")
    src = "区机关事务管理局：处级及以上党政机关名录（演示）"
    assert set_eligible(ws, "TH-47", count=12, as_of=dt.date(2024, 1, 1), source=src,
                        district="tianhe") == "created"
    assert set_eligible(ws, "TH-47", count=12, as_of=dt.date(2024, 1, 1), source=src,
                        district="tianhe") == "unchanged"
    assert feed_targets(ws, observed_on=feed, district="tianhe") == {"TH-47": 25.0}
    st = _st(ws, "tianhe", "TH-47")
    assert st.value == 25.0
    assert "已认定节约型机关 3 个 ÷ 应创建数 12 个" in st.value_source_zh
    assert src in st.value_source_zh
    assert "3 approved (conservation-oriented office) ÷ 12 eligible" in st.value_source
    assert set_eligible(ws, "TH-47", count=10, as_of=dt.date(2024, 1, 1), source=src,
                        district="tianhe") == "updated"
    assert feed_targets(ws, observed_on=feed, district="tianhe") == {"TH-47": 30.0}
    assert share_pct(3, 10) == 30.0
    with ws.registry.session() as s:
        changes = list(s.scalars(select(AuditLog).where(
            AuditLog.object_type == "eligible_count", AuditLog.district_id == "tianhe")))
    assert [a.action for a in changes] == ["create", "update"]
    assert changes[1].details["changes"]["count"] == [12, 10]


def test_the_schedules_periods_worked_by_hand():
    """A round reports on a finished period: it opens the day after the period ends and is
    due 15 days later, or 15 days after the day it really opens if that is later."""
    from carbonpeak.domain.supervision.schedule import due_rounds, period_of
    from carbonpeak.vocabulary import DispatchFrequency as F

    q4 = period_of(F.QUARTERLY, dt.date(2024, 11, 15))
    assert (q4.period, q4.starts, q4.ends, q4.opens_on) == (
        "2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31), dt.date(2025, 1, 1))
    feb = period_of(F.MONTHLY, dt.date(2024, 2, 10))  # 2024 is a leap year
    assert (feb.period, feb.ends, feb.opens_on) == ("2024-02", dt.date(2024, 2, 29),
                                                    dt.date(2024, 3, 1))
    assert period_of(F.HALF_YEARLY, dt.date(2024, 7, 1)).period == "2024-H2"
    assert period_of(F.YEARLY, dt.date(2024, 7, 1)).opens_on == dt.date(2025, 1, 1)
    # on 2025-01-01 the last finished quarter is 2024-Q4; on 2024-12-31 it is 2024-Q3
    assert [p.period for p in due_rounds(F.QUARTERLY, dt.date(2025, 1, 1))] == ["2024-Q4"]
    assert [p.period for p in due_rounds(F.QUARTERLY, dt.date(2024, 12, 31))] == ["2024-Q3"]
    # since 2024-01-01, on 2024-10-05: Q1 (opens 04-01), Q2 (07-01), Q3 (10-01)
    got = due_rounds(F.QUARTERLY, dt.date(2024, 10, 5), dt.date(2024, 1, 1))
    assert [p.period for p in got] == ["2024-Q1", "2024-Q2", "2024-Q3"]
    q3 = got[-1]
    assert q3.due_on(dt.date(2024, 10, 1), 15) == dt.date(2024, 10, 16)  # 10-01 + 15
    assert q3.due_on(dt.date(2024, 10, 5), 15) == dt.date(2024, 10, 20)  # late: 10-05 + 15
    assert due_rounds(F.QUARTERLY, dt.date(2024, 10, 5), dt.date(2024, 12, 1)) == []


def test_rounds_schedule_is_idempotent_and_audit_logged(ws: Workspace):
    """Huangpu with the default rule (quarterly, 15 days, unverified): on 2025-01-05 the
    2024-Q4 round opens (scheduled 2025-01-01, opened late: due 01-05 + 15 = 01-20); a
    second run opens nothing. Tianhe set monthly, 10 days, since 2024-10-01: on 2024-12-01
    the October (opens 11-01, late: 12-01 + 10 = 12-11) and November (opens 12-01: 12-11)
    rounds open; a round already opened by hand (2024-12) is left alone on 2025-01-03."""
    from carbonpeak.services.supervision.rounds import open_round
    from carbonpeak.services.supervision.schedule import schedule_rounds
    from carbonpeak.storage.registry.models import District

    out = schedule_rounds(ws, today=dt.date(2025, 1, 5), district="huangpu")
    assert out["rule"]["frequency"] == "quarterly"
    assert (out["rule"]["status"], out["rule"]["default"]) == ("unverified", True)
    assert "平台默认值" in out["rule"]["source_zh"]
    assert [(o["period"], o["opened_on"], o["due_on"], o["scheduled_on"])
            for o in out["opened"]] == [("2024-Q4", "2025-01-05", "2025-01-20", "2025-01-01")]
    again = schedule_rounds(ws, today=dt.date(2025, 1, 6), district="huangpu")
    assert (again["opened"], again["existing"]) == ([], ["2024-Q4"])
    with ws.registry.session() as s:
        logged = list(s.scalars(select(AuditLog).where(
            AuditLog.object_type == "dispatch_round", AuditLog.district_id == "huangpu")))
        assert [(a.action, a.object_id) for a in logged] == [
            ("create", "2024-Q4"), ("schedule", "2024-Q4")]
        assert logged[1].details["status"] == "unverified"
        d = s.get(District, "tianhe")
        assert d is not None
        d.profile = {**(d.profile or {}), "supervision": {
            **((d.profile or {}).get("supervision") or {}), "dispatch_frequency": "monthly",
            "dispatch_due_days": 10, "dispatch_since": "2024-10-01",
            "dispatch_source": "区碳达峰办通知（示例）"}}
    got = schedule_rounds(ws, today=dt.date(2024, 12, 1), district="tianhe")
    assert got["rule"]["default"] is False
    assert got["rule"]["source_zh"] == "区碳达峰办通知（示例）"
    assert [(o["period"], o["due_on"]) for o in got["opened"]] == [
        ("2024-10", "2024-12-11"), ("2024-11", "2024-12-11")]
    open_round(ws, period="2024-12", opened_on=dt.date(2024, 12, 20),
               due_on=dt.date(2025, 1, 10), district="tianhe")
    later = schedule_rounds(ws, today=dt.date(2025, 1, 3), district="tianhe")
    assert later["opened"] == []
    assert later["existing"] == ["2024-10", "2024-11", "2024-12"]


def test_cli_issue_eligible_and_schedule(ws: Workspace, monkeypatch: pytest.MonkeyPatch):
    """One language per run: the schedule's lines in English with --lang en, all Chinese
    without it; the assessment issued and the eligible count entered from the CLI."""
    import json

    from typer.testing import CliRunner

    from carbonpeak.cli import app

    monkeypatch.setenv("CARBONPEAK_HOME", str(ws.settings.home))
    monkeypatch.delenv("CARBONPEAK_LANG", raising=False)
    run = CliRunner().invoke
    got = run(app, ["--lang", "en", "rounds", "schedule", "--district", "huangpu",
                    "--today", "2025-04-02"])
    assert got.exit_code == 0, got.output
    assert "opened the 2025-Q1 round" in got.output
    assert "due 2025-04-17" in got.output  # scheduled 04-01, opened 04-02: 04-02 + 15
    got = run(app, ["rounds", "schedule", "--district", "huangpu", "--today", "2025-04-03"])
    assert got.exit_code == 0, got.output
    assert "2025-Q1 轮次已开启，未变" in got.output
    assert "每季度" in got.output
    got = run(app, ["rounds", "schedule", "--district", "huangpu", "--today", "bad"])
    assert got.exit_code != 0
    got = run(app, ["programmes", "eligible", "TH-48", "--count", "8", "--as-of",
                    "2024-01-01", "--source", "区商务局：大型商场名录（示例）",
                    "--district", "tianhe"])
    assert got.exit_code == 0, got.output
    assert "TH-48 应创建数 8（截至 2024-01-01）：已新增" in got.output
    got = run(app, ["assess", "--year", "2025", "--district", "tianhe", "--issue",
                    "--as-of", "2026-01-10", "--json"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["issued"]["issued_on"] == "2026-01-10"
