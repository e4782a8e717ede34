"""Contract tests of the plan repository's dialect-sensitive reads (SQLite, and PostgreSQL
with ``CARBONPEAK_TEST_DATABASE_URL``): the warnings' page is ordered by severity, then by
ratio with the warnings without one last (PostgreSQL sorts NULL first in a descending order,
SQLite last), then by the latest year."""

from __future__ import annotations

import pytest

from carbonpeak.storage.registry.models import EarlyWarning
from carbonpeak.storage.registry.repositories import plan as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import WarningLevel

pytestmark = pytest.mark.contract


def _warning(scope_id: str, level: str, ratio: float | None, year: int = 2024) -> EarlyWarning:
    return EarlyWarning(district_id="huangpu", year=year, metric="energy_tce",
                        scope_type="entity", scope_id=scope_id, level=level, ratio=ratio,
                        months_elapsed=6, reason_code="plan.warning.test", reason_params={})


def test_warning_page_orders_by_level_then_ratio_with_none_last(ws: Workspace) -> None:
    with ws.registry.session() as s:
        s.add_all([_warning("g1", WarningLevel.GREEN, 0.5),
                   _warning("y-none", WarningLevel.YELLOW, None),
                   _warning("y-low", WarningLevel.YELLOW, 0.95),
                   _warning("y-high", WarningLevel.YELLOW, 1.05),
                   _warning("r1", WarningLevel.RED, 1.3),
                   _warning("r1-old", WarningLevel.RED, 1.3, year=2023)])
    with ws.registry.session() as s:
        total, rows = repo.warning_page(s, "huangpu", EarlyWarning.scope_type == "entity",
                                        WarningLevel.by_severity(), limit=10, offset=0)
        got = [(w.scope_id, w.year) for w in rows]
    assert total == 6
    assert got == [("r1", 2024), ("r1-old", 2023), ("y-high", 2024), ("y-low", 2024),
                   ("y-none", 2024), ("g1", 2024)]
    with ws.registry.session() as s:
        total, rows = repo.warning_page(
            s, "huangpu", EarlyWarning.scope_type == "entity", WarningLevel.by_severity(),
            level="yellow", limit=2, offset=1)
        page = [w.scope_id for w in rows]
    assert total == 3
    assert page == ["y-low", "y-none"]
