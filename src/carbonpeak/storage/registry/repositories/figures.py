"""The figures' reads and writes of the registry: the version of the figures' inputs, the
stored figure values, and the entities, rounds, tasks and projects the figures count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AccountRun,
    AuditLog,
    Budget,
    DispatchRound,
    EarlyWarning,
    Entity,
    FigureValue,
    IngestBatch,
    Project,
    RoundSubmission,
    SupervisionTask,
    WarningEvent,
)

__all__ = [
    "delete_figure_values",
    "entity_key_unit_rows",
    "figure_values",
    "inputs_version_row",
    "project_ids",
    "rounds_opened_by",
    "stored_inputs",
    "submissions_of_rounds",
    "task_codes",
]


# -- the stored values ---------------------------------------------------------------------
def inputs_version_row(s: Session, district_id: str,
                       not_data: Sequence[str]) -> Row[Any, Any, Any, Any, Any, Any]:
    """(newest account run of the district, import batch, audit-log entry not about
    ``not_data`` object types, warning event) ids, 0 for none, and the latest update times of
    the district's budgets and warnings, in one query."""
    return s.execute(select(
        select(func.coalesce(func.max(AccountRun.id), 0)).where(
            AccountRun.district_id == district_id).scalar_subquery(),
        select(func.coalesce(func.max(IngestBatch.id), 0)).scalar_subquery(),
        select(func.coalesce(func.max(AuditLog.id), 0)).where(
            AuditLog.object_type.not_in(not_data)).scalar_subquery(),
        select(func.coalesce(func.max(WarningEvent.id), 0)).scalar_subquery(),
        select(func.max(Budget.updated_at)).where(
            Budget.district_id == district_id).scalar_subquery(),
        select(func.max(EarlyWarning.updated_at)).where(
            EarlyWarning.district_id == district_id).scalar_subquery(),
    )).one()


def delete_figure_values(s: Session, district_id: str, year: int, as_of: dt.date) -> None:
    """Delete the district's stored figure values of ``year`` on ``as_of``."""
    s.execute(delete(FigureValue).where(FigureValue.district_id == district_id,
                                        FigureValue.year == year,
                                        FigureValue.as_of == as_of))


def stored_inputs(s: Session, district_id: str, year: int, as_of: dt.date) -> str | None:
    """The inputs version of one of the district's stored values of ``year`` on ``as_of``,
    or None when none is stored."""
    return s.scalar(select(FigureValue.inputs).where(
        FigureValue.district_id == district_id, FigureValue.year == year,
        FigureValue.as_of == as_of).limit(1))


def figure_values(s: Session, district_id: str, year: int, as_of: dt.date) -> list[FigureValue]:
    """The district's stored figure values of ``year`` on ``as_of``, in no particular order."""
    return list(s.scalars(select(FigureValue).where(
        FigureValue.district_id == district_id, FigureValue.year == year,
        FigureValue.as_of == as_of)))


# -- what the figures count ----------------------------------------------------------------
def entity_key_unit_rows(s: Session,
                         district_id: str) -> Sequence[Row[str, str, int | None, bool]]:
    """(id, name, street id, key unit) of every entity of the district."""
    return s.execute(select(
        Entity.id, Entity.name, Entity.street_id, Entity.is_key_unit)
        .where(Entity.district_id == district_id)).all()


def task_codes(s: Session, district_id: str) -> list[str]:
    """The codes of the district's supervision tasks, in no particular order."""
    return list(s.scalars(select(SupervisionTask.code).where(
        SupervisionTask.district_id == district_id)))


def rounds_opened_by(s: Session, district_id: str, day: dt.date) -> list[DispatchRound]:
    """The district's dispatch rounds opened on or before ``day``, in no particular order."""
    return list(s.scalars(select(DispatchRound).where(
        DispatchRound.district_id == district_id, DispatchRound.opened_on <= day)))


def submissions_of_rounds(s: Session, round_ids: Sequence[int]) -> list[RoundSubmission]:
    """The submissions of the given rounds, in no particular order."""
    return list(s.scalars(select(RoundSubmission).where(
        RoundSubmission.round_id.in_(list(round_ids)))))


def project_ids(s: Session, district_id: str) -> list[int]:
    """The ids of the district's projects."""
    return list(s.scalars(select(Project.id).where(Project.district_id == district_id)))
