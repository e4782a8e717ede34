"""The reads every capability's repository shares: a district's streets and entity ids, its
statistics of a year, entities by id, the newest version of a factor set or quota table, and
the type of a SQL condition. The capability modules re-export them under the names their
callers use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    DistrictStatistics,
    Entity,
    FactorSetRecord,
    QuotaTableRecord,
    Street,
)

__all__ = [
    "Condition",
    "entities_by_ids",
    "entity_id_set",
    "entity_ids_of_district",
    "latest_factor_set_version",
    "latest_quota_table_version",
    "statistics_of_year",
    "streets_of_district",
]

#: a SQL condition (a ``WHERE`` clause) on one table's rows, e.g. an access scope's
Condition = ColumnElement[bool]


def streets_of_district(s: Session, district_id: str) -> list[Street]:
    """The district's streets, in no particular order."""
    return list(s.scalars(select(Street).where(Street.district_id == district_id)))


def entities_by_ids(s: Session, ids: Sequence[str]) -> list[Entity]:
    """The registered entities among ``ids``."""
    return list(s.scalars(select(Entity).where(Entity.id.in_(list(ids)))))


def entity_ids_of_district(s: Session, district_id: str) -> list[str]:
    """The ids of the district's entities."""
    return list(s.scalars(select(Entity.id).where(Entity.district_id == district_id)))


def entity_id_set(s: Session, district_id: str) -> set[str]:
    """The ids of the district's entities, as a set."""
    return set(s.scalars(select(Entity.id).where(Entity.district_id == district_id)))


def statistics_of_year(s: Session, district_id: str, year: int) -> DistrictStatistics | None:
    """The district's statistics of the year (None if none were imported)."""
    return s.scalars(select(DistrictStatistics).where(
        DistrictStatistics.district_id == district_id, DistrictStatistics.year == year)).first()


def latest_quota_table_version(s: Session, table_id: str) -> QuotaTableRecord | None:
    """The newest version of a quota table (None if never loaded)."""
    return s.scalars(select(QuotaTableRecord).where(QuotaTableRecord.table_id == table_id)
                     .order_by(QuotaTableRecord.version.desc()).limit(1)).first()


def latest_factor_set_version(s: Session, set_id: str) -> FactorSetRecord | None:
    """The newest version of a factor set (None if never loaded)."""
    return s.scalars(select(FactorSetRecord).where(FactorSetRecord.set_id == set_id)
                     .order_by(FactorSetRecord.version.desc()).limit(1)).first()
