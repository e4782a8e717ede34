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
