"""The registry's SQL of the projects capability: the register of fixed-asset investment
projects (固定资产投资项目), their designed energy, the district's budgets and intensity
targets they are weighed against, and the pipeline's early warning.

Every function takes the use case's session first (the use case keeps its transaction) and
returns ORM rows or scalars.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    Budget,
    EarlyWarning,
    Entity,
    Project,
    ProjectEnergyLine,
    Target,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    entity_id_set as district_entity_ids,
)
from carbonpeak.storage.registry.repositories.common import (
    streets_of_district as district_streets,
)
from carbonpeak.vocabulary import BudgetMetric, ScopeType

__all__ = [
    "district_budgets",
    "district_entity_ids",
    "district_projects",
    "district_projects_by_code",
    "district_streets",
    "energy_lines_of_project",
    "energy_lines_of_projects",
    "energy_per_gdp_targets",
    "entity_of_district",
    "id_of_project",
    "pipeline_warning",
    "project_by_code",
]


def entity_of_district(s: Session, district_id: str, entity_id: str) -> str | None:
    """``entity_id`` if it is an entity of the district, else None."""
    return s.scalars(select(Entity.id).where(
        Entity.district_id == district_id, Entity.id == entity_id)).first()


def project_by_code(s: Session, district_id: str, code: str) -> Project | None:
    """The district's project ``code``, or None."""
    return s.scalars(select(Project).where(Project.district_id == district_id,
                                           Project.code == code)).first()


def id_of_project(s: Session, district_id: str, code: str) -> int:
    """The id of the district's project ``code`` (exactly one must exist)."""
    return s.scalars(select(Project.id).where(Project.district_id == district_id,
                                              Project.code == code)).one()


def energy_lines_of_project(s: Session, project_id: int) -> list[ProjectEnergyLine]:
    """The designed-energy lines of one project."""
    return list(s.scalars(select(ProjectEnergyLine).where(
        ProjectEnergyLine.project_id == project_id)))


def district_projects(s: Session, district_id: str) -> list[Project]:
    """Every project of the district."""
    return list(s.scalars(select(Project).where(Project.district_id == district_id)))


def district_projects_by_code(s: Session, district_id: str) -> list[Project]:
    """Every project of the district, by code."""
    return list(s.scalars(select(Project).where(Project.district_id == district_id)
                          .order_by(Project.code)))


def energy_lines_of_projects(s: Session, project_ids: Sequence[int]) -> list[ProjectEnergyLine]:
    """The designed-energy lines of ``project_ids``."""
    return list(s.scalars(select(ProjectEnergyLine).where(
        ProjectEnergyLine.project_id.in_(project_ids))))


def district_budgets(s: Session, district_id: str) -> list[Budget]:
    """The district-wide budgets of the district (every year and metric)."""
    return list(s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.scope_type == ScopeType.DISTRICT)))


def energy_per_gdp_targets(s: Session, district_id: str) -> list[Target]:
    """The district's active district-wide energy-per-GDP targets with a value and a year,
    by target year."""
    return list(s.scalars(
        select(Target).where(Target.district_id == district_id,
                             Target.metric == "energy_per_gdp",
                             Target.scope_type == ScopeType.DISTRICT,
                             Target.active.is_(True), Target.target_value.is_not(None),
                             Target.target_year.is_not(None))
        .order_by(Target.target_year)))


def pipeline_warning(s: Session, district_id: str, year: int,
                     scope_id: str) -> EarlyWarning | None:
    """The district-wide energy warning of ``year`` kept under ``scope_id``, or None."""
    return s.scalars(select(EarlyWarning).where(
        EarlyWarning.district_id == district_id, EarlyWarning.year == year,
        EarlyWarning.metric == BudgetMetric.ENERGY_TCE,
        EarlyWarning.scope_type == ScopeType.DISTRICT,
        EarlyWarning.scope_id == scope_id)).first()
