"""The registry's SQL of the buildings capability: energy audits, key units' filings, the
audit schedule's entities, retrofits, benchmarking and commissioning.

Every function takes the use case's session first (the use case keeps its transaction) and
returns ORM rows, tuples or scalars. A scope's condition on :class:`Entity` rows is passed in
as a SQL condition (``AccessScope.entity_condition()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AuditLog,
    EnergyAudit,
    Entity,
    ObligationFiling,
    QuotaCase,
    Street,
    User,
)
from carbonpeak.vocabulary import Role

__all__ = [
    "audit_by_key",
    "audit_dates_of_kinds",
    "audit_log_actors",
    "audits_in_scope",
    "audits_up_to",
    "district_entity_rows",
    "district_streets",
    "entity_districts",
    "entity_ids_where",
    "entity_manager_usernames",
    "entity_street_names",
    "filing_by_key",
    "filings_of_units",
    "key_unit_ids",
    "quota_cases_up_to",
    "stored_audit",
    "stored_filing",
    "visible_entity",
]


# -- energy audits and filings ---------------------------------------------------------------
def entity_districts(s: Session, ids: Sequence[str]) -> dict[str, str]:
    """The district of each of the registered entities among ``ids``, by entity id."""
    return {str(e): str(d) for e, d in s.execute(
        select(Entity.id, Entity.district_id).where(Entity.id.in_(ids)))}


def audit_by_key(s: Session, entity_id: str, audit_date: dt.date,
                 kind: str) -> EnergyAudit | None:
    """The audit of ``entity_id`` on ``audit_date`` of ``kind``, or None."""
    return s.scalars(select(EnergyAudit).where(
        EnergyAudit.entity_id == entity_id, EnergyAudit.audit_date == audit_date,
        EnergyAudit.kind == kind)).first()


def stored_audit(s: Session, entity_id: str, audit_date: dt.date, kind: str) -> EnergyAudit:
    """The audit of ``entity_id`` on ``audit_date`` of ``kind`` (exactly one must exist)."""
    return s.scalars(select(EnergyAudit).where(
        EnergyAudit.entity_id == entity_id,
        EnergyAudit.audit_date == audit_date, EnergyAudit.kind == kind)).one()


def audit_log_actors(s: Session, district_id: str, object_type: str,
                     object_id: str) -> list[str]:
    """The actors of the district's audit-log lines about one object."""
    return [str(a) for a in s.scalars(select(AuditLog.actor).where(
        AuditLog.district_id == district_id, AuditLog.object_type == object_type,
        AuditLog.object_id == object_id))]


def entity_manager_usernames(s: Session, usernames: Iterable[str]) -> set[str]:
    """Those of ``usernames`` whose role is entity manager."""
    return {str(u) for u in s.scalars(select(User.username).where(
        User.username.in_(sorted(usernames)), User.role == Role.ENTITY_MANAGER))}


def filing_by_key(s: Session, entity_id: str, obligation: str,
                  year: int) -> ObligationFiling | None:
    """The filing of ``entity_id`` for ``obligation`` in ``year``, or None."""
    return s.scalars(select(ObligationFiling).where(
        ObligationFiling.entity_id == entity_id,
        ObligationFiling.obligation == obligation,
        ObligationFiling.year == year)).first()


def stored_filing(s: Session, entity_id: str, obligation: str, year: int) -> ObligationFiling:
    """The filing of ``entity_id`` for ``obligation`` in ``year`` (exactly one must exist)."""
    return s.scalars(select(ObligationFiling).where(
        ObligationFiling.entity_id == entity_id,
        ObligationFiling.obligation == obligation,
        ObligationFiling.year == year)).one()


def entity_street_names(s: Session, ids: Iterable[str]) -> Sequence[tuple[str, str, str | None]]:
    """(entity id, entity name, its street's Chinese name or None) of each of ``ids``."""
    return s.execute(select(Entity.id, Entity.name, Street.name_zh)
                     .outerjoin(Street, Street.id == Entity.street_id)
                     .where(Entity.id.in_(sorted(set(ids))))).all()


def district_streets(s: Session, district_id: str) -> list[Street]:
    """The district's streets."""
    return list(s.scalars(select(Street).where(Street.district_id == district_id)))


def visible_entity(s: Session, entity_id: str, condition: ColumnElement[bool]) -> str | None:
    """``entity_id`` if the entity exists and meets ``condition``, else None."""
    return s.scalars(select(Entity.id).where(Entity.id == entity_id, condition)).first()


def audits_in_scope(s: Session, district_id: str, condition: ColumnElement[bool], *,
                    entity: str | None = None, street_id: int | None = None,
                    kind: str | None = None) -> list[EnergyAudit]:
    """The district's audits of entities meeting ``condition`` (only ``entity``'s, only of
    the street ``street_id``, only of ``kind`` when given), newest first."""
    q = select(EnergyAudit).join(Entity, Entity.id == EnergyAudit.entity_id).where(
        EnergyAudit.district_id == district_id, condition)
    if entity is not None:
        q = q.where(EnergyAudit.entity_id == entity)
    if street_id is not None:
        q = q.where(Entity.street_id == street_id)
    if kind is not None:
        q = q.where(EnergyAudit.kind == kind)
    return list(s.scalars(q.order_by(EnergyAudit.audit_date.desc(), EnergyAudit.entity_id,
                                     EnergyAudit.kind)))


# -- the audit schedule and the obligations --------------------------------------------------
def district_entity_rows(s: Session, district_id: str) -> list[tuple[
        str, str, str, str | None, float | None, int | None, str | None, str | None, bool,
        str | None, int | None]]:
    """Every entity of the district by id: (id, name, kind, building type, floor area, street
    id, street's Chinese name, parent id, is key unit, key-unit rule, key-unit year)."""
    rows = s.execute(select(Entity.id, Entity.name, Entity.kind, Entity.building_type,
                            Entity.floor_area_m2, Entity.street_id, Street.name_zh,
                            Entity.parent_id, Entity.is_key_unit, Entity.key_unit_rule,
                            Entity.key_unit_year)
                     .outerjoin(Street, Street.id == Entity.street_id)
                     .where(Entity.district_id == district_id).order_by(Entity.id)).all()
    return [tuple(r) for r in rows]


def audits_up_to(s: Session, district_id: str, kinds: Iterable[str],
                 as_of: dt.date) -> Sequence[tuple[str, dt.date, str, str]]:
    """(entity id, date, kind, auditor) of the district's audits of ``kinds`` up to
    ``as_of``, by entity, date and kind."""
    return s.execute(
        select(EnergyAudit.entity_id, EnergyAudit.audit_date, EnergyAudit.kind,
               EnergyAudit.auditor)
        .where(EnergyAudit.district_id == district_id, EnergyAudit.kind.in_(kinds),
               EnergyAudit.audit_date <= as_of)
        .order_by(EnergyAudit.entity_id, EnergyAudit.audit_date, EnergyAudit.kind)
    ).all()


def audit_dates_of_kinds(s: Session, district_id: str,
                         kinds: Iterable[str]) -> Sequence[tuple[str, dt.date]]:
    """(entity id, date) of every audit of the district of ``kinds``."""
    return s.execute(select(EnergyAudit.entity_id, EnergyAudit.audit_date).where(
        EnergyAudit.district_id == district_id, EnergyAudit.kind.in_(kinds))).all()


def entity_ids_where(s: Session, condition: ColumnElement[bool]) -> list[str]:
    """The ids of the entities meeting ``condition``."""
    return [str(e) for e in s.scalars(select(Entity.id).where(condition))]


def key_unit_ids(s: Session, district_id: str, *,
                 condition: ColumnElement[bool] | None = None) -> list[str]:
    """The ids of the district's key units (only those meeting ``condition`` when given)."""
    q = select(Entity.id).where(Entity.is_key_unit.is_(True), Entity.district_id == district_id)
    if condition is not None:
        q = q.where(condition)
    return [str(e) for e in s.scalars(q)]


def filings_of_units(s: Session, unit_ids: Sequence[str],
                     obligations: Iterable[str]) -> list[ObligationFiling]:
    """The filings of ``unit_ids`` for ``obligations``."""
    return list(s.scalars(select(ObligationFiling).where(
        ObligationFiling.entity_id.in_(unit_ids),
        ObligationFiling.obligation.in_(obligations))))


def quota_cases_up_to(s: Session, entity_ids: Sequence[str], year: int) -> list[QuotaCase]:
    """The quota cases of ``entity_ids`` of ``year`` or before, by id."""
    return list(s.scalars(select(QuotaCase).where(
        QuotaCase.entity_id.in_(entity_ids), QuotaCase.year <= year).order_by(QuotaCase.id)))
