"""The publishers' reads of the registry: the dashboard's data version and entity frame, the
warnings, budgets, streets, meters and ledger remarks the dashboard, the drill-down, the
disclosure report and the white paper show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AccountRun,
    AuditLog,
    Budget,
    DrEvent,
    EarlyWarning,
    Entity,
    FactorSetRecord,
    IngestBatch,
    LedgerRemark,
    Meter,
    Street,
    WarningEvent,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    Condition,
)

__all__ = [
    "Condition",
    "batches_by_id",
    "current_official_years",
    "data_version_ids",
    "data_version_times",
    "dr_event_ids_of_days",
    "entity_energy_budgets",
    "entity_energy_warnings",
    "entity_id_in_district",
    "entity_names",
    "entity_street_rows",
    "factor_set_titles",
    "ledger_remarks",
    "meter_counts_of_street",
    "meter_in",
    "meters_of_entity",
    "red_yellow_warnings",
    "street_in",
    "streets_by_id",
    "streets_in",
    "warning_level_counts",
    "warning_levels",
    "warnings_of_entity",
    "warnings_of_year_by_scope",
]

#: a row of any columns
AnyRow = Row[*tuple[Any, ...]]


# -- the dashboard's data version ----------------------------------------------------------
def data_version_ids(s: Session, not_data: Sequence[str]) -> Row[int, int, int, int]:
    """(newest account run, import batch, audit-log entry not about ``not_data`` object types,
    warning event) ids, 0 for none, in one query."""
    return s.execute(select(
        select(func.coalesce(func.max(AccountRun.id), 0)).scalar_subquery(),
        select(func.coalesce(func.max(IngestBatch.id), 0)).scalar_subquery(),
        select(func.coalesce(func.max(AuditLog.id), 0)).where(
            AuditLog.object_type.not_in(not_data)).scalar_subquery(),
        select(func.coalesce(func.max(WarningEvent.id), 0)).scalar_subquery(),
    )).one()


def data_version_times(s: Session, run_id: int, batch_id: int, audit_id: int,
                       event_id: int) -> AnyRow:
    """The times of the account run, import batch, audit-log entry and warning event with
    those ids (None where there is no such row), in one query."""
    return s.execute(select(
        select(AccountRun.created_at).where(AccountRun.id == run_id).scalar_subquery(),
        select(IngestBatch.created_at).where(IngestBatch.id == batch_id).scalar_subquery(),
        select(AuditLog.at).where(AuditLog.id == audit_id).scalar_subquery(),
        select(WarningEvent.at).where(WarningEvent.id == event_id).scalar_subquery(),
    )).one()


# -- entities, meters, streets -------------------------------------------------------------
def entity_street_rows(s: Session, district_id: str) -> Sequence[AnyRow]:
    """(id, name, kind, street id, building type, floor area, lat, lon, parent id, sector,
    key unit, key-unit rule, street code, street name zh, en) of the district's entities."""
    return s.execute(select(
        Entity.id, Entity.name, Entity.kind, Entity.street_id, Entity.building_type,
        Entity.floor_area_m2, Entity.lat, Entity.lon, Entity.parent_id, Entity.sector_code,
        Entity.is_key_unit, Entity.key_unit_rule, Street.code, Street.name_zh,
        Street.name_en).outerjoin(Street, Street.id == Entity.street_id)
        .where(Entity.district_id == district_id)).all()


def entity_id_in_district(s: Session, district_id: str, entity_id: str) -> str | None:
    """``entity_id`` when the district has that entity, else None."""
    return s.scalar(select(Entity.id).where(Entity.district_id == district_id,
                                            Entity.id == entity_id))


def entity_names(s: Session, district_id: str, ids: Sequence[str]) -> Sequence[Row[str, str]]:
    """(id, name) of the district's entities among ``ids``."""
    return s.execute(select(Entity.id, Entity.name).where(Entity.district_id == district_id,
                                                          Entity.id.in_(ids))).all()


def meters_of_entity(s: Session, entity_id: str) -> list[Meter]:
    """The entity's meters, by id."""
    return list(s.scalars(select(Meter).where(Meter.entity_id == entity_id)
                          .order_by(Meter.id)))


def meter_counts_of_street(s: Session, condition: Condition,
                           street_id: int) -> Sequence[Row[str, int]]:
    """(entity id, number of meters) of the entities matching ``condition`` in the street."""
    return s.execute(select(
        Meter.entity_id, func.count()).join(Entity, Entity.id == Meter.entity_id).where(
        condition, Entity.street_id == street_id).group_by(Meter.entity_id)).all()


def meter_in(s: Session, condition: Condition, meter_id: str) -> Meter | None:
    """The meter ``meter_id`` when its entity matches ``condition``, else None."""
    return s.scalars(select(Meter).join(Entity, Entity.id == Meter.entity_id).where(
        condition, Meter.id == meter_id)).first()


def streets_in(s: Session, condition: Condition) -> list[Street]:
    """The streets matching ``condition``, by id."""
    return list(s.scalars(select(Street).where(condition).order_by(Street.id)))


def street_in(s: Session, condition: Condition, street_id: int) -> Street | None:
    """The street ``street_id`` when it matches ``condition``, else None."""
    return s.scalars(select(Street).where(condition, Street.id == street_id)).first()


def streets_by_id(s: Session, district_id: str) -> list[Street]:
    """The district's streets, by id."""
    return list(s.scalars(select(Street).where(Street.district_id == district_id)
                          .order_by(Street.id)))


def ledger_remarks(s: Session, district_id: str, entity_id: str,
                   periods: Iterable[str]) -> Sequence[Row[str, str, str]]:
    """(period, carrier, note) of the entity's ledger remarks of ``periods``, oldest first."""
    return s.execute(
        select(LedgerRemark.period, LedgerRemark.carrier, LedgerRemark.note)
        .where(LedgerRemark.district_id == district_id,
               LedgerRemark.entity_id == entity_id,
               LedgerRemark.period.in_(sorted(periods)))
        .order_by(LedgerRemark.id)).all()


# -- accounts ------------------------------------------------------------------------------
def current_official_years(s: Session, district_id: str) -> list[int]:
    """The years of the district's official, not restated account runs (with repeats)."""
    return list(s.scalars(select(AccountRun.year).where(
        AccountRun.district_id == district_id, AccountRun.official.is_(True),
        AccountRun.restated_by_run_id.is_(None))))


def factor_set_titles(s: Session) -> Sequence[Row[str, str]]:
    """(set id, Chinese name) of every factor-set version, oldest version first."""
    return s.execute(select(FactorSetRecord.set_id, FactorSetRecord.name_zh)
                     .order_by(FactorSetRecord.version)).all()


def batches_by_id(s: Session, ids: Sequence[int]) -> list[IngestBatch]:
    """The import batches with those ids, by id."""
    return list(s.scalars(select(IngestBatch).where(IngestBatch.id.in_(list(ids)))
                          .order_by(IngestBatch.id)))


# -- budgets and warnings ------------------------------------------------------------------
def entity_energy_budgets(s: Session, district_id: str, year: int) -> list[Budget]:
    """The district's entity-scope energy (tce) budgets of ``year``."""
    return list(s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year,
        Budget.scope_type == "entity", Budget.metric == "energy_tce")))


def warning_level_counts(s: Session, condition: Condition,
                         year: int) -> Sequence[Row[str, int]]:
    """(level, count) of the warnings of ``year`` matching ``condition``."""
    return s.execute(
        select(EarlyWarning.level, func.count()).where(condition, EarlyWarning.year == year)
        .group_by(EarlyWarning.level)).all()


def red_yellow_warnings(s: Session, condition: Condition, year: int) -> list[EarlyWarning]:
    """The red and yellow warnings of ``year`` matching ``condition``."""
    return list(s.scalars(select(EarlyWarning).where(
        condition, EarlyWarning.year == year, EarlyWarning.level.in_(("red", "yellow")))))


def warning_levels(s: Session, condition: Condition, year: int,
                   scope_type: str) -> Sequence[Row[str, str]]:
    """(scope id, level) of the warnings of ``year`` on ``scope_type`` matching
    ``condition``."""
    return s.execute(select(EarlyWarning.scope_id, EarlyWarning.level).where(
        condition, EarlyWarning.year == year, EarlyWarning.scope_type == scope_type)).all()


def entity_energy_warnings(s: Session, condition: Condition, year: int) -> list[EarlyWarning]:
    """The entity-scope energy (tce) warnings of ``year`` matching ``condition``."""
    return list(s.scalars(select(EarlyWarning).where(
        condition, EarlyWarning.year == year,
        EarlyWarning.scope_type == "entity", EarlyWarning.metric == "energy_tce")))


def warnings_of_entity(s: Session, district_id: str, entity_id: str) -> list[EarlyWarning]:
    """The entity's warnings, latest year first."""
    return list(s.scalars(select(EarlyWarning).where(
        EarlyWarning.district_id == district_id,
        EarlyWarning.scope_type == "entity",
        EarlyWarning.scope_id == entity_id).order_by(EarlyWarning.year.desc())))


def warnings_of_year_by_scope(s: Session, district_id: str, year: int) -> list[EarlyWarning]:
    """The district's warnings of ``year``, by scope type, scope id and metric."""
    return list(s.scalars(select(EarlyWarning).where(
        EarlyWarning.district_id == district_id, EarlyWarning.year == year)
        .order_by(EarlyWarning.scope_type, EarlyWarning.scope_id, EarlyWarning.metric)))


# -- demand response -----------------------------------------------------------------------
def dr_event_ids_of_days(s: Session, district_id: str, first: dt.date,
                         last: dt.date) -> list[str]:
    """The ids of the district's events from ``first`` to ``last`` (both included), by day
    and id."""
    return list(s.scalars(select(DrEvent.event_id).where(
        DrEvent.district_id == district_id, DrEvent.day >= first,
        DrEvent.day <= last).order_by(DrEvent.day, DrEvent.event_id)))
