"""The intake's registry SQL: what the imports, the feeds, the uploads, the plausibility screen,
the MQTT ACL, the plan records and the set-up read from and write to the registry (batches,
rejections, held values, the records an import upserts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    BatchRejection,
    Budget,
    Entity,
    HeldValue,
    IngestBatch,
    LedgerRemark,
    Meter,
    SectorStatistics,
    Street,
    Target,
    TargetObservation,
    UploadMapping,
    User,
    UserEntity,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    entity_ids_of_district,
    latest_factor_set_version,
    latest_quota_table_version,
    statistics_of_year,
    streets_of_district,
)

__all__ = [
    "active_users_of_roles",
    "add_rejections",
    "all_entities",
    "batch_by_idempotency_key",
    "budget_of",
    "entity_hierarchy_rows",
    "entity_ids_of_district",
    "entity_names_in",
    "entity_names_of_district",
    "first_batch_with_digest",
    "first_target_id",
    "held_value_id",
    "latest_factor_set_version",
    "latest_quota_table_version",
    "latest_remark_note",
    "meter_limit_rows",
    "meter_owners_in",
    "meter_registers_of_district",
    "meter_rows_of_district",
    "meters_of_users",
    "other_district_entities",
    "other_district_meters",
    "rejection_count",
    "rejections_by_row",
    "rejections_of_batch",
    "rows_by_id",
    "sector_statistics_of",
    "statistics_of_year",
    "street_count",
    "streets_of_district",
    "target_observation_of",
    "target_of_scope",
    "targets_of_district",
    "upload_mapping",
]


# -- batches --------------------------------------------------------------------------------
def first_batch_with_digest(s: Session, district_id: str, kind: str,
                            digest: str) -> IngestBatch | None:
    """The first committed (or no-change) batch of the district of ``kind`` with these bytes."""
    return s.scalars(select(IngestBatch).where(
        IngestBatch.district_id == district_id, IngestBatch.kind == kind,
        IngestBatch.sha256 == digest, IngestBatch.status.in_(["committed", "no_change"]),
    ).order_by(IngestBatch.id).limit(1)).first()


def batch_by_idempotency_key(s: Session, actor: str, key: str) -> IngestBatch | None:
    """The batch ``actor`` sent with the Idempotency-Key ``key`` (None: a new key)."""
    return s.scalars(select(IngestBatch).where(
        IngestBatch.actor == actor, IngestBatch.idempotency_key == key)).first()


def add_rejections(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rejection rows (``batch_rejections`` columns) in one multi-row INSERT."""
    s.execute(insert(BatchRejection), list(rows))


def rejections_of_batch(s: Session, batch_id: int, limit: int) -> list[BatchRejection]:
    """The first ``limit`` rejections of a batch, in the order they were stored."""
    return list(s.scalars(select(BatchRejection).where(
        BatchRejection.batch_id == batch_id).order_by(BatchRejection.id).limit(limit)))


def rejections_by_row(s: Session, batch_id: int) -> list[BatchRejection]:
    """Every rejection of a batch, by row (then as stored)."""
    return list(s.scalars(select(BatchRejection).where(BatchRejection.batch_id == batch_id)
                          .order_by(BatchRejection.row, BatchRejection.id)))


def rejection_count(s: Session, batch_id: int) -> int:
    """How many rejections a batch has."""
    return s.scalar(select(func.count()).select_from(BatchRejection).where(
        BatchRejection.batch_id == batch_id)) or 0


# -- the district's entities, meters and streets ----------------------------------------------
def street_count(s: Session, district_id: str) -> int:
    """How many streets the district has."""
    return s.scalar(select(func.count()).select_from(Street).where(
        Street.district_id == district_id)) or 0


def all_entities(s: Session) -> list[Entity]:
    """Every entity of every district."""
    return list(s.scalars(select(Entity)))


def entity_names_of_district(s: Session, district_id: str) -> Sequence[Row[str, str]]:
    """(id, name) of the district's entities."""
    return s.execute(
        select(Entity.id, Entity.name).where(Entity.district_id == district_id)).all()


def entity_names_in(s: Session, entity_ids: Sequence[str]) -> Sequence[Row[str, str]]:
    """(id, name) of the entities of ``entity_ids``."""
    return s.execute(select(Entity.id, Entity.name).where(Entity.id.in_(list(entity_ids)))).all()


def entity_hierarchy_rows(s: Session,
                          district_id: str) -> Sequence[Row[str, str | None, int | None]]:
    """(id, parent_id, street_id) of the district's entities."""
    return s.execute(select(Entity.id, Entity.parent_id, Entity.street_id)
                     .where(Entity.district_id == district_id)).all()


def rows_by_id(s: Session, model: Any, ids: list[str]) -> dict[str, Any]:
    """Existing rows of ``model`` (Entity, Meter) by id, fetched in chunks (one query per
    1,000 ids, not one per row)."""
    out: dict[str, Any] = {}
    for i in range(0, len(ids), 1000):
        out.update({o.id: o for o in s.scalars(select(model).where(
            model.id.in_(ids[i:i + 1000])))})
    return out


def other_district_entities(s: Session, ids: Sequence[str],
                            district_id: str) -> Sequence[Row[str, str]]:
    """(id, district_id) of the entities of ``ids`` that belong to another district."""
    return s.execute(select(Entity.id, Entity.district_id)
                     .where(Entity.id.in_(list(ids)), Entity.district_id != district_id)).all()


def other_district_meters(s: Session, ids: Sequence[str],
                          district_id: str) -> Sequence[Row[str, str]]:
    """(meter id, district_id) of the meters of ``ids`` whose entity is of another district."""
    return s.execute(
        select(Meter.id, Entity.district_id).join(Entity)
        .where(Meter.id.in_(list(ids)), Entity.district_id != district_id)).all()


def meter_owners_in(s: Session, district_id: str,
                    meter_ids: Sequence[str]) -> Sequence[Row[str, str]]:
    """(meter id, entity id) of the district's meters among ``meter_ids``."""
    return s.execute(
        select(Meter.id, Meter.entity_id).join(Entity).where(
            Entity.district_id == district_id,
            Meter.id.in_(list(meter_ids)))).all()


def meter_registers_of_district(s: Session, district_id: str) -> Sequence[Row[str, str]]:
    """(meter id, register) of the district's meters."""
    return s.execute(select(Meter.id, Meter.register)
                     .join(Entity).where(Entity.district_id == district_id)).all()


def meter_rows_of_district(s: Session,
                           district_id: str) -> Sequence[Row[str, str, str, str, str]]:
    """(id, entity_id, register, carrier, unit) of the district's meters."""
    return s.execute(select(Meter.id, Meter.entity_id, Meter.register, Meter.carrier,
                            Meter.unit).join(Entity)
                     .where(Entity.district_id == district_id)).all()


def meter_limit_rows(s: Session, district_id: str) -> Sequence[
        Row[str, str, str, float, int, float | None, float | None]]:
    """(id, carrier, unit, multiplier, interval_minutes, ceiling, rollover_at) of the
    district's meters."""
    return s.execute(select(Meter.id, Meter.carrier, Meter.unit, Meter.multiplier,
                            Meter.interval_minutes, Meter.ceiling, Meter.rollover_at)
                     .join(Entity).where(Entity.district_id == district_id)).all()


# -- the records an import upserts ------------------------------------------------------------
def latest_remark_note(s: Session, district_id: str, entity_id: str, period: str,
                       carrier: str) -> str | None:
    """The current ledger remark of an (entity, period, carrier) (None: never remarked)."""
    return s.scalar(select(LedgerRemark.note).where(
        LedgerRemark.district_id == district_id,
        LedgerRemark.entity_id == entity_id, LedgerRemark.period == period,
        LedgerRemark.carrier == carrier).order_by(LedgerRemark.id.desc()).limit(1))


def held_value_id(s: Session, district_id: str, meter_id: str, ts: dt.datetime,
                  value: float) -> int | None:
    """The id of a held value of this meter, time and value (None: not held)."""
    return s.scalars(select(HeldValue.id).where(
        HeldValue.district_id == district_id, HeldValue.meter_id == meter_id,
        HeldValue.ts == ts, HeldValue.value == value)).first()


def targets_of_district(s: Session, district_id: str) -> list[Target]:
    """The district's targets."""
    return list(s.scalars(select(Target).where(Target.district_id == district_id)))


def first_target_id(s: Session, district_id: str) -> int | None:
    """The id of one target of the district (None: it has none)."""
    return s.scalars(select(Target.id).where(Target.district_id == district_id)
                     .limit(1)).first()


def target_of_scope(s: Session, district_id: str, code: str, scope_type: str,
                    scope_id: str) -> Target | None:
    """The district's target ``code`` of a scope."""
    return s.scalars(select(Target).where(
        Target.district_id == district_id, Target.code == code,
        Target.scope_type == scope_type, Target.scope_id == scope_id)).first()


def target_observation_of(s: Session, target_id: int,
                          observed_on: dt.date) -> TargetObservation | None:
    """A target's observation of a day."""
    return s.scalars(select(TargetObservation).where(
        TargetObservation.target_id == target_id,
        TargetObservation.observed_on == observed_on)).first()


def budget_of(s: Session, district_id: str, year: int, metric: str, scope_type: str,
              scope_id: str) -> Budget | None:
    """The district's budget of a year, metric and scope."""
    return s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year, Budget.metric == metric,
        Budget.scope_type == scope_type, Budget.scope_id == scope_id)).first()


def sector_statistics_of(s: Session, district_id: str, year: int,
                         sector: str) -> SectorStatistics | None:
    """The district's value added of a sector and year."""
    return s.scalars(select(SectorStatistics).where(
        SectorStatistics.district_id == district_id, SectorStatistics.year == year,
        SectorStatistics.sector == sector)).first()


# -- reference data -----------------------------------------------------------------------------
# -- uploads and the MQTT ACL -------------------------------------------------------------------
def upload_mapping(s: Session, user_id: int, kind: str, shape: str) -> UploadMapping | None:
    """The column mapping a user gave for files of this kind and shape."""
    return s.scalars(select(UploadMapping).where(
        UploadMapping.user_id == user_id, UploadMapping.kind == kind,
        UploadMapping.shape == shape)).first()


def active_users_of_roles(s: Session, district_id: str,
                          roles: Sequence[str]) -> Sequence[Row[int, str, str]]:
    """(id, username, role) of the district's active users of ``roles``, by username."""
    return s.execute(select(User.id, User.username, User.role).where(
        User.district_id == district_id, User.active.is_(True),
        User.role.in_(list(roles)))
        .order_by(User.username)).all()


def meters_of_users(s: Session, district_id: str) -> Sequence[Row[int, str]]:
    """(user id, meter id) for each meter of the district's entities each user is bound to,
    by meter."""
    return s.execute(select(UserEntity.user_id, Meter.id)
                     .join(Meter, Meter.entity_id == UserEntity.entity_id)
                     .join(Entity, Entity.id == Meter.entity_id)
                     .where(Entity.district_id == district_id)
                     .order_by(Meter.id)).all()
