"""The figure catalogue's registry SQL: the rows its values are computed from, the inputs
version, and the stored values (``figure_values``)."""

from __future__ import annotations

import datetime as dt
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
    Street,
    SupervisionTask,
    WarningEvent,
)

__all__ = ["delete_figure_values", "district_entities", "district_entity_keys",
           "district_streets", "energy_budgets", "energy_warnings", "figure_values",
           "inputs_row", "project_ids", "round_submissions", "rounds_opened_by",
           "stored_inputs", "task_codes"]


def district_entity_keys(s: Session,
                         district_id: str) -> list[Row[str, str, int | None, bool]]:
    """Each entity of the district: id, name, street id, key-unit flag."""
    return list(s.execute(select(Entity.id, Entity.name, Entity.street_id, Entity.is_key_unit)
                          .where(Entity.district_id == district_id)).all())


def district_streets(s: Session, district_id: str, *, ordered: bool = False) -> list[Street]:
    """The district's streets (by id when ``ordered``)."""
    q = select(Street).where(Street.district_id == district_id)
    return list(s.scalars(q.order_by(Street.id) if ordered else q))


def district_entities(s: Session, district_id: str) -> list[Entity]:
    """The district's entities."""
    return list(s.scalars(select(Entity).where(Entity.district_id == district_id)))


def energy_budgets(s: Session, district_id: str, year: int) -> list[Budget]:
    """The district's energy budgets (every scope) of ``year``."""
    return list(s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year, Budget.metric == "energy_tce")))


def energy_warnings(s: Session, district_id: str, year: int) -> list[EarlyWarning]:
    """The district's energy warnings (every scope) of ``year``."""
    return list(s.scalars(select(EarlyWarning).where(
        EarlyWarning.district_id == district_id, EarlyWarning.year == year,
        EarlyWarning.metric == "energy_tce")))


def task_codes(s: Session, district_id: str) -> list[str]:
    """The codes of the district's supervision tasks."""
    return list(s.scalars(select(SupervisionTask.code).where(
        SupervisionTask.district_id == district_id)))


def rounds_opened_by(s: Session, district_id: str, as_of: dt.date) -> list[DispatchRound]:
    """The district's dispatch rounds opened on or before ``as_of``."""
    return list(s.scalars(select(DispatchRound).where(
        DispatchRound.district_id == district_id, DispatchRound.opened_on <= as_of)))


def round_submissions(s: Session, round_ids: list[int]) -> list[RoundSubmission]:
    """The submissions of the rounds ``round_ids``."""
    return list(s.scalars(select(RoundSubmission).where(
        RoundSubmission.round_id.in_(round_ids))))


def project_ids(s: Session, district_id: str) -> list[int]:
    """The ids of the district's registered projects."""
    return list(s.scalars(select(Project.id).where(Project.district_id == district_id)))


def inputs_row(s: Session, district_id: str,
               not_data: tuple[str, ...]) -> tuple[Any, ...]:
    """The newest account run, batch, audited change (``not_data`` object types left out),
    warning event, budget and warning update: what the inputs version is made of."""
    return tuple(s.execute(select(
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
    )).one())


def delete_figure_values(s: Session, district_id: str, year: int, as_of: dt.date) -> None:
    """Delete the stored values of a district, year and as-of date."""
    s.execute(delete(FigureValue).where(FigureValue.district_id == district_id,
                                        FigureValue.year == year, FigureValue.as_of == as_of))


def stored_inputs(s: Session, district_id: str, year: int, as_of: dt.date) -> str | None:
    """The inputs version the stored values of a district, year and as-of were computed at."""
    return s.scalar(select(FigureValue.inputs).where(
        FigureValue.district_id == district_id, FigureValue.year == year,
        FigureValue.as_of == as_of).limit(1))


def figure_values(s: Session, district_id: str, year: int, as_of: dt.date) -> list[FigureValue]:
    """The stored values of a district, year and as-of date."""
    return list(s.scalars(select(FigureValue).where(
        FigureValue.district_id == district_id, FigureValue.year == year,
        FigureValue.as_of == as_of)))
