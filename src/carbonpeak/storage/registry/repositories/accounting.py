"""The accounting's registry SQL: what the account run, the data quality, the held values, the
certificates ledger and the reference verifications read from and write to the registry (the
account's SQL over the lake stays in the services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AccountRun,
    Certificate,
    Entity,
    HeldValue,
    IngestBatch,
    Meter,
    Project,
    ProjectEnergyLine,
    ReferenceVerification,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    entity_ids_of_district,
    latest_factor_set_version,
    latest_quota_table_version,
    statistics_of_year,
    streets_of_district,
)
from carbonpeak.vocabulary import BatchStatus, CertificateStatus, HeldStatus, ProjectStage

__all__ = [
    "account_entity_rows",
    "account_meter_rows",
    "certificate_claims_of_year",
    "certificates_by_serial",
    "certificates_of_district",
    "committed_registry_batch_ids",
    "current_reference_verifications",
    "entities_of_district",
    "entity_key_unit_states",
    "entity_ids_of_district",
    "feedstock_lines_in_operation",
    "held_values",
    "held_values_by_ids",
    "latest_factor_set_version",
    "latest_quota_table_version",
    "live_held_candidates",
    "mark_run_restated",
    "official_run",
    "quality_meter_rows",
    "reference_verifications",
    "set_entity_key_units",
    "statistics_of_year",
    "streets_of_district",
]


def _year_months(year: int) -> tuple[str, str]:
    return f"{year}-01", f"{year}-12"


def live_held_candidates(s: Session, district_id: str,
                         year: int) -> Sequence[Row[int, str, dt.datetime, float, str, str]]:
    """(id, meter_id, ts, value, status, reason_code) of the district's held and rejected values
    of the year."""
    return s.execute(select(HeldValue.id, HeldValue.meter_id, HeldValue.ts,
                            HeldValue.value, HeldValue.status, HeldValue.reason_code).where(
        HeldValue.district_id == district_id,
        HeldValue.month.between(*_year_months(year)),
        HeldValue.status.in_([HeldStatus.HELD, HeldStatus.REJECTED]))).all()


def entities_of_district(s: Session, district_id: str) -> list[Entity]:
    """The district's entities."""
    return list(s.scalars(select(Entity).where(Entity.district_id == district_id)))


def account_entity_rows(s: Session, district_id: str) -> Sequence[Row[
        str, str, str, int | None, str | None, str | None, float | None, str | None]]:
    """(id, name, kind, street_id, building_type, sector_code, floor_area_m2, parent_id) of
    the district's entities."""
    return s.execute(select(
        Entity.id, Entity.name, Entity.kind, Entity.street_id, Entity.building_type,
        Entity.sector_code, Entity.floor_area_m2, Entity.parent_id,
    ).where(Entity.district_id == district_id)).all()


def account_meter_rows(s: Session, district_id: str) -> Sequence[Row[
        str, str, str, str, str | None, str, float, int, float | None]]:
    """(id, entity_id, carrier, unit, submeter, register, multiplier, interval_minutes,
    rollover_at) of the district's meters."""
    return s.execute(select(
        Meter.id, Meter.entity_id, Meter.carrier, Meter.unit, Meter.submeter,
        Meter.register, Meter.multiplier, Meter.interval_minutes, Meter.rollover_at,
    ).join(Entity).where(Entity.district_id == district_id)).all()


def quality_meter_rows(s: Session, district_id: str) -> Sequence[Row[
        str, str, str, int, float | None, dt.date | None]]:
    """(id, entity_id, register, interval_minutes, rollover_at, commissioned_on) of the
    district's meters, by meter id."""
    return s.execute(select(
        Meter.id, Meter.entity_id, Meter.register, Meter.interval_minutes, Meter.rollover_at,
        Meter.commissioned_on,
    ).join(Entity).where(Entity.district_id == district_id).order_by(Meter.id)).all()


def official_run(s: Session, district_id: str, year: int) -> AccountRun | None:
    """The current official account run of a district and year (None if never accounted)."""
    return s.scalars(select(AccountRun).where(
        AccountRun.district_id == district_id, AccountRun.year == year,
        AccountRun.official.is_(True), AccountRun.restated_by_run_id.is_(None))
        .order_by(AccountRun.id.desc())).first()


def committed_registry_batch_ids(s: Session, district_id: str) -> list[int]:
    """The ids of the district's committed entity, meter and statistics batches."""
    return list(s.scalars(select(IngestBatch.id).where(
        IngestBatch.district_id == district_id,
        IngestBatch.kind.in_(["entities", "meters", "statistics"]),
        IngestBatch.status == BatchStatus.COMMITTED)))


def mark_run_restated(s: Session, run_id: int, by_run_id: int) -> None:
    """Record that account run ``run_id`` is restated by ``by_run_id``."""
    s.execute(update(AccountRun).where(AccountRun.id == run_id)
              .values(restated_by_run_id=by_run_id))


def entity_key_unit_states(s: Session, ids: Sequence[str]
                           ) -> Sequence[Row[str, str, bool, str | None, int | None]]:
    """(id, district_id, is_key_unit, key_unit_rule, key_unit_year) of the entities of
    ``ids`` (those that exist): plain rows, no ORM objects."""
    return list(s.execute(select(Entity.id, Entity.district_id, Entity.is_key_unit,
                                 Entity.key_unit_rule, Entity.key_unit_year)
                          .where(Entity.id.in_(list(ids)))).all())


def set_entity_key_units(s: Session, changes: Sequence[tuple[str, bool, str | None, int]]
                         ) -> None:
    """Set (is_key_unit, key_unit_rule, key_unit_year) of the entities of ``changes``
    ((id, is_key_unit, rule, year) each), one UPDATE by primary key."""
    if changes:
        s.execute(update(Entity), [
            {"id": i, "is_key_unit": flag, "key_unit_rule": rule, "key_unit_year": year}
            for i, flag, rule, year in changes])


def certificates_by_serial(s: Session, serials: Sequence[str]) -> list[Certificate]:
    """The certificates of any district with one of ``serials``."""
    return list(s.scalars(select(Certificate).where(Certificate.serial.in_(list(serials)))))


def certificates_of_district(s: Session, district_id: str) -> list[Certificate]:
    """The district's certificates, by serial."""
    return list(s.scalars(select(Certificate).where(Certificate.district_id == district_id)
                          .order_by(Certificate.serial)))


def certificate_claims_of_year(s: Session, district_id: str,
                               year: int) -> Sequence[Row[str, float, bool | None]]:
    """(holder, mwh, plant_in_district) of the district's certificates claimed for ``year``
    and not cancelled."""
    return s.execute(select(Certificate.holder, Certificate.mwh,
                            Certificate.plant_in_district).where(
        Certificate.district_id == district_id, Certificate.claim_year == year,
        Certificate.status != CertificateStatus.CANCELLED)).all()


def feedstock_lines_in_operation(s: Session, district_id: str,
                                 year: int) -> Sequence[Row[str, float]]:
    """(carrier, quantity) of the feedstock energy lines of the district's projects in
    operation with a first full year up to ``year``."""
    return s.execute(select(ProjectEnergyLine.carrier, ProjectEnergyLine.quantity).join(
        Project, Project.id == ProjectEnergyLine.project_id).where(
        Project.district_id == district_id, Project.stage == ProjectStage.OPERATION,
        Project.first_full_year <= year, ProjectEnergyLine.feedstock.is_(True))).all()


def held_values(s: Session, district_id: str, *, status: HeldStatus | None = None,
                year: int | None = None) -> list[HeldValue]:
    """The district's held values (only of ``status``, only of ``year`` when given), by id."""
    q = select(HeldValue).where(HeldValue.district_id == district_id)
    if status is not None:
        q = q.where(HeldValue.status == status)
    if year is not None:
        q = q.where(HeldValue.month.between(*_year_months(year)))
    return list(s.scalars(q.order_by(HeldValue.id)))


def held_values_by_ids(s: Session, district_id: str, ids: Sequence[int]) -> list[HeldValue]:
    """The district's held values of ``ids`` (those that exist)."""
    return list(s.scalars(select(HeldValue).where(
        HeldValue.district_id == district_id, HeldValue.id.in_(list(ids)))))


def current_reference_verifications(s: Session) -> list[ReferenceVerification]:
    """The verifications not withdrawn, by id."""
    return list(s.scalars(select(ReferenceVerification)
                          .where(ReferenceVerification.withdrawn_at.is_(None))
                          .order_by(ReferenceVerification.id)))


def reference_verifications(s: Session, *, kind: str | None = None, target: str | None = None,
                            include_withdrawn: bool = False) -> list[ReferenceVerification]:
    """The verifications (only of ``kind`` / ``target`` when given; withdrawn ones only with
    ``include_withdrawn``), newest first."""
    q = select(ReferenceVerification).order_by(ReferenceVerification.id.desc())
    if kind is not None:
        q = q.where(ReferenceVerification.kind == kind)
    if target is not None:
        q = q.where(ReferenceVerification.target == target)
    if not include_withdrawn:
        q = q.where(ReferenceVerification.withdrawn_at.is_(None))
    return list(s.scalars(q))
