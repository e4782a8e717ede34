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
