"""The registry's SQL of the buildings capability: energy audits, key units' filings, the
audit schedule's entities, retrofits, benchmarking, commissioning and the weather.

Every function takes the use case's session first (the use case keeps its transaction) and
returns ORM rows, tuples or scalars. A scope's condition on :class:`Entity` rows is passed in
as a SQL condition (``AccessScope.entity_condition()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AuditLog,
    EnergyAudit,
    Entity,
    EntityQuotaClass,
    LakeFile,
    Meter,
    MvResult,
    ObligationFiling,
    QuotaCase,
    QuotaTableRecord,
    RetrofitProject,
    Street,
    Target,
    User,
    WeatherDay,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    entities_by_ids,
)
from carbonpeak.storage.registry.repositories.common import (
    entity_id_set as district_entity_ids,
)
from carbonpeak.storage.registry.repositories.common import (
    streets_of_district as district_streets,
)
from carbonpeak.vocabulary import (
    LakeFileStatus,
    QuotaCaseStatus,
    RetrofitStatus,
    Role,
    ScopeType,
)

__all__ = [
    "active_district_target",
    "assigned_quota_classes",
    "audit_by_key",
    "audit_dates_of_kinds",
    "audit_log_actors",
    "audits_in_scope",
    "audits_up_to",
    "cased_entity_ids",
    "cases_in_scope",
    "completed_retrofits",
    "district_entity_ids",
    "district_entity_rows",
    "district_streets",
    "entities_by_ids",
    "entities_with_streets_where",
    "entity_districts",
    "entity_ids_where",
    "entity_manager_usernames",
    "entity_street_ids",
    "entity_street_names",
    "filing_by_key",
    "filings_of_units",
    "floor_areas",
    "key_unit_ids",
    "latest_mv_results",
    "latest_quota_table",
    "meters_of_entities_where",
    "mv_results_newest_first",
    "notified_cases_before",
    "open_cases_of_year",
    "quota_cases_up_to",
    "quota_classes_of",
    "quota_table_ids",
    "reading_months",
    "retrofit_by_code",
    "retrofit_in_scope",
    "retrofits_in_scope",
    "retrofits_of_district",
    "retrofits_of_entities",
    "stored_audit",
    "stored_filing",
    "visible_entity",
    "weather_days_between",
    "weather_days_of",
    "weather_values_between",
    "whole_meters_of",
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


# -- retrofits and their measurement ---------------------------------------------------------
def retrofit_by_code(s: Session, district_id: str, code: str) -> RetrofitProject | None:
    """The district's retrofit project of ``code``, or None."""
    return s.scalars(select(RetrofitProject).where(
        RetrofitProject.district_id == district_id, RetrofitProject.code == code)).first()


def latest_mv_results(s: Session, project_ids: Sequence[int]) -> list[MvResult]:
    """The latest (highest id) M&V result of each of ``project_ids`` that has one."""
    latest = select(func.max(MvResult.id)).where(
        MvResult.project_id.in_(list(project_ids))).group_by(MvResult.project_id)
    return list(s.scalars(select(MvResult).where(MvResult.id.in_(latest))))


def retrofits_in_scope(s: Session, district_id: str, condition: ColumnElement[bool], *,
                       kind: str | None = None, status: str | None = None,
                       ) -> list[Row[RetrofitProject, str, str | None]]:
    """(project, building name, street's Chinese name) of the district's projects on
    buildings meeting ``condition`` (only of ``kind``, only in ``status`` when given), by
    code."""
    q = (select(RetrofitProject, Entity.name, Street.name_zh)
         .join(Entity, Entity.id == RetrofitProject.entity_id)
         .outerjoin(Street, Street.id == Entity.street_id)
         .where(RetrofitProject.district_id == district_id, condition))
    if kind is not None:
        q = q.where(RetrofitProject.kind == kind)
    if status is not None:
        q = q.where(RetrofitProject.status == status)
    return list(s.execute(q.order_by(RetrofitProject.code)))


def retrofit_in_scope(s: Session, district_id: str, code: str, condition: ColumnElement[bool],
                      ) -> Row[RetrofitProject, str, str | None] | None:
    """(project, building name, street's Chinese name) of the district's project ``code`` if
    its building meets ``condition``, else None."""
    return s.execute(
        select(RetrofitProject, Entity.name, Street.name_zh)
        .join(Entity, Entity.id == RetrofitProject.entity_id)
        .outerjoin(Street, Street.id == Entity.street_id)
        .where(RetrofitProject.district_id == district_id,
               RetrofitProject.code == code, condition)).first()


def mv_results_newest_first(s: Session, project_id: int) -> list[MvResult]:
    """Every M&V result of the project, newest first."""
    return list(s.scalars(select(MvResult).where(MvResult.project_id == project_id)
                          .order_by(MvResult.id.desc())))


def whole_meters_of(s: Session, entity_ids: Sequence[str], carrier: str) -> list[Meter]:
    """The whole-building meters (no sub-meter) of ``carrier`` of ``entity_ids``, by id."""
    return list(s.scalars(select(Meter).where(Meter.entity_id.in_(entity_ids),
                                              Meter.carrier == carrier,
                                              Meter.submeter.is_(None)).order_by(Meter.id)))


def retrofits_of_district(s: Session, district_id: str, *,
                          codes: Sequence[str] | None = None) -> list[RetrofitProject]:
    """The district's retrofit projects (only those of ``codes`` when given), by code."""
    q = select(RetrofitProject).where(RetrofitProject.district_id == district_id)
    if codes:
        q = q.where(RetrofitProject.code.in_(list(codes)))
    return list(s.scalars(q.order_by(RetrofitProject.code)))


def retrofits_of_entities(s: Session, district_id: str,
                          entity_ids: Sequence[str]) -> list[RetrofitProject]:
    """Every retrofit project of the district on ``entity_ids``."""
    return list(s.scalars(select(RetrofitProject).where(
        RetrofitProject.district_id == district_id,
        RetrofitProject.entity_id.in_(entity_ids))))


def active_district_target(s: Session, district_id: str, metric: str) -> Target | None:
    """The first (by code) active district-wide target of ``metric``, or None."""
    return s.scalars(select(Target).where(
        Target.district_id == district_id, Target.metric == metric,
        Target.scope_type == ScopeType.DISTRICT,
        Target.active.is_(True)).order_by(Target.code)).first()


def completed_retrofits(s: Session, district_id: str) -> list[RetrofitProject]:
    """The district's completed projects with an end date, by code."""
    return list(s.scalars(select(RetrofitProject).where(
        RetrofitProject.district_id == district_id,
        RetrofitProject.status == RetrofitStatus.COMPLETED,
        RetrofitProject.end_date.is_not(None)).order_by(RetrofitProject.code)))


def floor_areas(s: Session, ids: Sequence[str]) -> dict[str, float | None]:
    """The registered floor area [m²] of each of ``ids`` (None when not given)."""
    return {str(e): a for e, a in s.execute(
        select(Entity.id, Entity.floor_area_m2).where(Entity.id.in_(ids)))}


# -- benchmarking: quota tables, classes and cases -------------------------------------------
def latest_quota_table(s: Session, table_id: str, *,
                       version: int | None = None) -> QuotaTableRecord | None:
    """The newest version of the quota table ``table_id`` (that ``version`` when given), or
    None."""
    q = select(QuotaTableRecord).where(QuotaTableRecord.table_id == table_id)
    if version is not None:
        q = q.where(QuotaTableRecord.version == version)
    return s.scalars(q.order_by(QuotaTableRecord.version.desc()).limit(1)).first()


def quota_table_ids(s: Session) -> list[str]:
    """The ids of the loaded quota tables, sorted."""
    return list(s.scalars(select(QuotaTableRecord.table_id).distinct()
                          .order_by(QuotaTableRecord.table_id)))


def quota_classes_of(s: Session, entity_ids: Sequence[str]) -> list[EntityQuotaClass]:
    """The quota-class assignments of ``entity_ids`` (every table)."""
    return list(s.scalars(select(EntityQuotaClass).where(
        EntityQuotaClass.entity_id.in_(entity_ids))))


def assigned_quota_classes(s: Session, district_id: str, table_id: str) -> dict[str, str]:
    """The quota class assigned in ``table_id`` to each of the district's entities, by id."""
    return dict(s.execute(
        select(EntityQuotaClass.entity_id, EntityQuotaClass.quota_class)
        .join(Entity, Entity.id == EntityQuotaClass.entity_id)
        .where(Entity.district_id == district_id, EntityQuotaClass.table_id == table_id)
    ).all())


def cased_entity_ids(s: Session, district_id: str, year: int, table_id: str) -> set[str]:
    """The entities that have a quota case of ``year`` in ``table_id``."""
    return set(s.scalars(select(QuotaCase.entity_id).where(
        QuotaCase.district_id == district_id, QuotaCase.year == year,
        QuotaCase.table_id == table_id)))


def entity_street_ids(s: Session, district_id: str) -> dict[str, int | None]:
    """The street id (None when unassigned) of each of the district's entities, by id."""
    return dict(s.execute(select(Entity.id, Entity.street_id).where(
        Entity.district_id == district_id)).all())


def open_cases_of_year(s: Session, district_id: str, year: int, *,
                       entity_ids: Sequence[str] | None = None) -> list[QuotaCase]:
    """The district's open quota cases of ``year`` (only of ``entity_ids`` when given, an
    empty selection giving none), by id."""
    q = select(QuotaCase).where(QuotaCase.district_id == district_id,
                                QuotaCase.year == year,
                                QuotaCase.status == QuotaCaseStatus.OPEN)
    if entity_ids is not None:
        q = q.where(QuotaCase.entity_id.in_(entity_ids))
    return list(s.scalars(q.order_by(QuotaCase.id)))


def notified_cases_before(s: Session, district_id: str, review_year: int) -> list[QuotaCase]:
    """The district's notified quota cases of a year before ``review_year``, by id."""
    return list(s.scalars(select(QuotaCase).where(
        QuotaCase.district_id == district_id, QuotaCase.status == QuotaCaseStatus.NOTIFIED,
        QuotaCase.year < review_year).order_by(QuotaCase.id)))


def cases_in_scope(s: Session, district_id: str, condition: ColumnElement[bool], *,
                   year: int | None = None,
                   status: str | None = None) -> list[Row[QuotaCase, str]]:
    """(case, entity name) of the district's quota cases of entities meeting ``condition``
    (only of ``year``, only in ``status`` when given), newest year first, then by id."""
    q = select(QuotaCase, Entity.name).join(Entity, Entity.id == QuotaCase.entity_id).where(
        QuotaCase.district_id == district_id, condition)
    if year is not None:
        q = q.where(QuotaCase.year == year)
    if status is not None:
        q = q.where(QuotaCase.status == status)
    return list(s.execute(q.order_by(QuotaCase.year.desc(), QuotaCase.id)))


# -- commissioning ---------------------------------------------------------------------------
def reading_months(s: Session, district_id: str) -> list[str]:
    """The distinct months (``YYYY-MM``) of the district's live readings and registers files
    in the lake."""
    return list(s.scalars(select(LakeFile.month).where(
        LakeFile.district_id == district_id, LakeFile.status == LakeFileStatus.LIVE,
        LakeFile.dataset.in_(("readings", "registers"))).distinct()))


def entities_with_streets_where(s: Session, condition: ColumnElement[bool]) -> list[
        Row[str, str, str, str | None, float | None, str | None, str | None]]:
    """(id, name, kind, building type, floor area, street code, street's Chinese name) of
    the entities meeting ``condition``, by id."""
    return list(s.execute(
        select(Entity.id, Entity.name, Entity.kind, Entity.building_type,
               Entity.floor_area_m2, Street.code, Street.name_zh)
        .outerjoin(Street, Street.id == Entity.street_id)
        .where(condition).order_by(Entity.id)).all())


def meters_of_entities_where(s: Session, condition: ColumnElement[bool]) -> list[
        Row[str, str, str, str, str | None, str, float, int, float | None]]:
    """(id, entity id, carrier, unit, sub-meter, register, multiplier, interval minutes,
    rollover) of the meters of the entities meeting ``condition``, by meter id."""
    return list(s.execute(
        select(Meter.id, Meter.entity_id, Meter.carrier, Meter.unit, Meter.submeter,
               Meter.register, Meter.multiplier, Meter.interval_minutes, Meter.rollover_at)
        .join(Entity, Entity.id == Meter.entity_id)
        .where(condition).order_by(Meter.id)).all())


# -- the weather -----------------------------------------------------------------------------
def weather_days_between(s: Session, district_id: str, first: dt.date,
                         last: dt.date) -> list[WeatherDay]:
    """The district's stored weather days from ``first`` to ``last`` (inclusive)."""
    return list(s.scalars(select(WeatherDay).where(
        WeatherDay.district_id == district_id, WeatherDay.day >= first,
        WeatherDay.day <= last)))


def weather_days_of(s: Session, district_id: str, *, start: dt.date | None = None,
                    end: dt.date | None = None) -> list[WeatherDay]:
    """The district's stored weather days (from ``start``, to ``end`` inclusive, when given),
    oldest first."""
    q = select(WeatherDay).where(WeatherDay.district_id == district_id)
    if start is not None:
        q = q.where(WeatherDay.day >= start)
    if end is not None:
        q = q.where(WeatherDay.day <= end)
    return list(s.scalars(q.order_by(WeatherDay.day)))


def weather_values_between(s: Session, district_id: str, first: dt.date,
                           last: dt.date) -> list[Row[dt.date, float, int | None]]:
    """(day, mean temperature, batch id) of the district's stored weather days from ``first``
    to ``last`` (inclusive)."""
    return list(s.execute(select(
        WeatherDay.day, WeatherDay.t_mean_c, WeatherDay.batch_id).where(
        WeatherDay.district_id == district_id, WeatherDay.day >= first,
        WeatherDay.day <= last)))
