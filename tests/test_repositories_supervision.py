"""Contract tests of the supervision repository's dialect-sensitive reads (SQLite, and
PostgreSQL with ``CARBONPEAK_TEST_DATABASE_URL``): the latest observation of each target is
an aggregate of a date column and comes back as a date on both."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonpeak.storage.registry.models import Target, TargetObservation
from carbonpeak.storage.registry.repositories import supervision as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import TargetKind

pytestmark = pytest.mark.contract


def test_latest_observation_days_are_dates_per_target(ws: Workspace) -> None:
    with ws.registry.session() as s:
        seen = Target(district_id="huangpu", code="T-1", scope_type="district",
                      scope_id="huangpu", indicator_zh="指标一", kind=TargetKind.COUNT)
        unseen = Target(district_id="huangpu", code="T-2", scope_type="district",
                        scope_id="huangpu", indicator_zh="指标二", kind=TargetKind.COUNT)
        s.add_all([seen, unseen])
        s.flush()
        s.add_all([TargetObservation(target_id=seen.id, observed_on=day, value=1.0,
                                     source="test", actor="test")
                   for day in (dt.date(2024, 3, 31), dt.date(2024, 12, 31),
                               dt.date(2024, 6, 30))])
        ids = (seen.id, unseen.id)
    with ws.registry.session() as s:
        got = repo.latest_observation_days(s, list(ids))
    assert got == {ids[0]: dt.date(2024, 12, 31)}
    assert type(got[ids[0]]) is dt.date
