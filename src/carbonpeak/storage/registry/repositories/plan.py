"""The plan capability's reads of the registry: the targets and their observations, the
budgets, the early warnings and their events, the district's and the sectors' statistics,
and the entities and streets the plan use cases look up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AccountRun,
    AuditLog,
    Budget,
    DistrictStatistics,
    EarlyWarning,
    Entity,
    SectorStatistics,
    Target,
    TargetObservation,
    WarningEvent,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    Condition,
    streets_of_district,
)
from carbonpeak.vocabulary import ScopeType

__all__ = [
    "Condition",
    "audit_entries",
    "budgets_of_district",
    "budgets_of_year",
    "district_budget",
    "district_budgets",
    "district_statistics",
    "district_statistics_of",
    "entity_allocation_rows",
    "entity_kinds",
    "entity_warning_rows",
    "events_of_warning",
    "first_energy_per_gdp_target",
    "observation_on",
    "observations_by_date",
    "observations_of_targets",
    "official_years",
    "sector_value_added_of_year",
    "sector_value_added_series",
    "streets_of_district",
    "target_audit_log",
    "target_ids",
    "targets_to_evaluate",
    "unnotified_events",
    "warning_page",
    "warnings_of_district",
    "warnings_of_year",
]


# -- targets and observations --------------------------------------------------------------
def targets_to_evaluate(s: Session, district_id: str, *, codes: Sequence[str] | None = None,
                        scope: tuple[str, str] | None = None) -> list[Target]:
    """The district's active targets (only those in ``codes`` when given, only of ``scope``
    (type, id) when given), by id."""
    q = select(Target).where(Target.district_id == district_id, Target.active.is_(True))
    if codes:
        q = q.where(Target.code.in_(codes))
    if scope is not None:
        q = q.where(Target.scope_type == scope[0], Target.scope_id == scope[1])
    return list(s.scalars(q.order_by(Target.id)))


def target_ids(s: Session, district_id: str, code: str, *,
               scope_id: str | None = None) -> list[int]:
    """The ids of the district's targets ``code`` (only of ``scope_id`` when given)."""
    q = select(Target.id).where(Target.district_id == district_id, Target.code == code)
    if scope_id:
        q = q.where(Target.scope_id == scope_id)
    return list(s.scalars(q))


def first_energy_per_gdp_target(s: Session, district_id: str) -> Target | None:
    """The district's active energy-per-GDP target with a value of the earliest target year,
    or None."""
    return s.scalars(select(Target).where(Target.district_id == district_id,
                                          Target.metric == "energy_per_gdp",
                                          Target.active.is_(True),
                                          Target.target_value.is_not(None))
                     .order_by(Target.target_year)).first()


def observations_of_targets(s: Session,
                            target_ids: Sequence[int]) -> list[TargetObservation]:
    """The observations of the given targets, in no particular order."""
    return list(s.scalars(select(TargetObservation).where(
        TargetObservation.target_id.in_(list(target_ids)))))


def observation_on(s: Session, target_id: int, observed_on: dt.date) -> TargetObservation | None:
    """The observation of a target on a date, or None."""
    return s.scalars(select(TargetObservation).where(
        TargetObservation.target_id == target_id,
        TargetObservation.observed_on == observed_on)).first()


def observations_by_date(s: Session, target_id: int) -> list[TargetObservation]:
    """A target's observations by date."""
    return list(s.scalars(select(TargetObservation).where(
        TargetObservation.target_id == target_id).order_by(TargetObservation.observed_on)))


def target_audit_log(s: Session, object_id: str) -> list[AuditLog]:
    """The audit log of target ``object_id`` (``code@scope_type:scope_id``), by time."""
    return list(s.scalars(select(AuditLog).where(
        AuditLog.object_type == "target", AuditLog.object_id == object_id).order_by(
        AuditLog.at, AuditLog.id)))


def audit_entries(s: Session, district_id: str, object_type: str,
                  action: str) -> list[AuditLog]:
    """The district's audit-log entries of one action on one object type, by time."""
    return list(s.scalars(select(AuditLog).where(
        AuditLog.district_id == district_id, AuditLog.object_type == object_type,
        AuditLog.action == action).order_by(AuditLog.at, AuditLog.id)))


# -- statistics and accounts ---------------------------------------------------------------
def official_years(s: Session, district_id: str) -> list[int]:
    """The years of the district's official account runs (with repeats)."""
    return list(s.scalars(select(AccountRun.year).where(
        AccountRun.district_id == district_id, AccountRun.official.is_(True))))


def district_statistics(s: Session, district_id: str) -> list[DistrictStatistics]:
    """The district's statistics of every year, in no particular order."""
    return list(s.scalars(select(DistrictStatistics).where(
        DistrictStatistics.district_id == district_id)))


def district_statistics_of(s: Session, district_id: str,
                           year: int) -> DistrictStatistics | None:
    """The district's statistics of ``year``, or None."""
    return s.scalars(select(DistrictStatistics).where(
        DistrictStatistics.district_id == district_id,
        DistrictStatistics.year == year)).first()


def sector_value_added_of_year(s: Session, district_id: str,
                               year: int) -> list[SectorStatistics]:
    """The district's sector statistics of ``year``, in no particular order."""
    return list(s.scalars(select(SectorStatistics).where(
        SectorStatistics.district_id == district_id, SectorStatistics.year == year)))


def sector_value_added_series(s: Session, district_id: str,
                              sector: str) -> list[SectorStatistics]:
    """The district's statistics of one sector, every year, in no particular order."""
    return list(s.scalars(select(SectorStatistics).where(
        SectorStatistics.district_id == district_id, SectorStatistics.sector == sector)))


def entity_kinds(s: Session, district_id: str) -> Sequence[Row[str, str]]:
    """(id, kind) of every entity of the district."""
    return s.execute(select(Entity.id, Entity.kind).where(
        Entity.district_id == district_id)).all()


def entity_allocation_rows(
        s: Session, district_id: str
) -> Sequence[Row[str, str | None, int | None, str | None, float | None]]:
    """(id, parent id, street id, building type, floor area) of every entity of the
    district."""
    return s.execute(select(
        Entity.id, Entity.parent_id, Entity.street_id, Entity.building_type,
        Entity.floor_area_m2).where(Entity.district_id == district_id)).all()


def entity_warning_rows(
        s: Session, district_id: str
) -> Sequence[Row[str, str | None, int | None, str, float | None, bool]]:
    """(id, parent id, street id, name, floor area, key unit) of every entity of the
    district."""
    return s.execute(select(
        Entity.id, Entity.parent_id, Entity.street_id, Entity.name, Entity.floor_area_m2,
        Entity.is_key_unit).where(Entity.district_id == district_id)).all()


# -- budgets -------------------------------------------------------------------------------
def district_budget(s: Session, district_id: str, year: int, metric: str) -> Budget | None:
    """The district-scope budget of ``year`` and ``metric``, or None."""
    return s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year, Budget.metric == metric,
        Budget.scope_type == ScopeType.DISTRICT)).first()


def district_budgets(s: Session, district_id: str) -> list[Budget]:
    """The district-scope budgets of every year and metric, in no particular order."""
    return list(s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.scope_type == ScopeType.DISTRICT)))


def budgets_of_year(s: Session, district_id: str, year: int, metric: str) -> list[Budget]:
    """Every budget (all scopes) of ``year`` and ``metric``, in no particular order."""
    return list(s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year, Budget.metric == metric)))


def budgets_of_district(s: Session, district_id: str, *,
                        year: int | None = None) -> list[Budget]:
    """The district's budgets (only of ``year`` when given), by year, metric and scope."""
    q = select(Budget).where(Budget.district_id == district_id)
    if year is not None:
        q = q.where(Budget.year == year)
    return list(s.scalars(q.order_by(Budget.year, Budget.metric, Budget.scope_type,
                                     Budget.scope_id)))


# -- early warnings ------------------------------------------------------------------------
def warnings_of_year(s: Session, district_id: str, year: int,
                     metric: str) -> list[EarlyWarning]:
    """The district's stored warnings of ``year`` and ``metric``."""
    return list(s.scalars(select(EarlyWarning).where(
        EarlyWarning.district_id == district_id, EarlyWarning.year == year,
        EarlyWarning.metric == metric)))


def unnotified_events(s: Session,
                      district_id: str) -> Sequence[Row[WarningEvent, EarlyWarning]]:
    """(event, warning) of the district's warning events not yet notified."""
    return s.execute(select(WarningEvent, EarlyWarning).join(
        EarlyWarning, EarlyWarning.id == WarningEvent.warning_id).where(
        EarlyWarning.district_id == district_id, WarningEvent.notified.is_(False))).all()


def warnings_of_district(s: Session, district_id: str) -> list[EarlyWarning]:
    """Every stored warning of the district, in no particular order."""
    return list(s.scalars(select(EarlyWarning).where(EarlyWarning.district_id == district_id)))


def warning_page(s: Session, district_id: str, scope: Condition, levels: Sequence[str], *,
                 year: int | None = None, level: str | None = None,
                 scope_type: str | None = None, metric: str | None = None,
                 limit: int, offset: int) -> tuple[int, list[EarlyWarning]]:
    """The district's warnings matching ``scope`` (and ``year``, ``level``, ``scope_type``,
    ``metric`` when given), by ``levels`` (most severe first; other levels last), then ratio
    (highest first, none last), latest year, id: how many there are, and those of the page
    ``offset`` … ``offset + limit``."""
    where: list[Condition] = [EarlyWarning.district_id == district_id, scope]
    if year is not None:
        where.append(EarlyWarning.year == year)
    if level is not None:
        where.append(EarlyWarning.level == level)
    if scope_type is not None:
        where.append(EarlyWarning.scope_type == scope_type)
    if metric is not None:
        where.append(EarlyWarning.metric == metric)
    rank = case({lv: i for i, lv in enumerate(levels)}, value=EarlyWarning.level,
                else_=len(levels))
    total = s.scalar(select(func.count()).select_from(EarlyWarning).where(*where)) or 0
    rows = list(s.scalars(select(EarlyWarning).where(*where).order_by(
        rank, case((EarlyWarning.ratio.is_(None), 1), else_=0), EarlyWarning.ratio.desc(),
        EarlyWarning.year.desc(), EarlyWarning.id).offset(offset).limit(limit)))
    return int(total), rows


def events_of_warning(s: Session, warning_id: int, *, by_time: bool = True) -> list[WarningEvent]:
    """The events of a warning, by time (or by id)."""
    order = (WarningEvent.at, WarningEvent.id) if by_time else (WarningEvent.id,)
    return list(s.scalars(select(WarningEvent).where(
        WarningEvent.warning_id == warning_id).order_by(*order)))
