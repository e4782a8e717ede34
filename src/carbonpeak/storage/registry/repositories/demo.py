"""The demo generator's registry SQL: the district's entities, streets, budgets and the hosts of
the demo VPP, as the generators read them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import Budget, Entity, Meter, Street
from carbonpeak.vocabulary import EnergyCarrier, MeterRegister

__all__ = [
    "audit_entity_rows",
    "budget_of_district",
    "first_street_name",
    "roof_entity_rows",
    "vpp_host_entity_ids",
]


def audit_entity_rows(s: Session, district_id: str) -> Sequence[
        Row[str, str, str | None, float | None, str | None, bool]]:
    """(id, kind, building_type, floor_area_m2, parent_id, is_key_unit) of the district's
    entities, by id."""
    return s.execute(select(Entity.id, Entity.kind, Entity.building_type,
                            Entity.floor_area_m2, Entity.parent_id, Entity.is_key_unit)
                     .where(Entity.district_id == district_id).order_by(Entity.id)).all()


def roof_entity_rows(s: Session, district_id: str) -> Sequence[
        Row[str, str, str | None, float | None]]:
    """(id, kind, building_type, floor_area_m2) of the district's entities that are not
    enterprises, by id."""
    return s.execute(select(Entity.id, Entity.kind, Entity.building_type,
                            Entity.floor_area_m2).where(
        Entity.district_id == district_id, Entity.kind != "enterprise").order_by(
        Entity.id)).all()


def first_street_name(s: Session, district_id: str) -> str | None:
    """The Chinese name of the district's first street (by id; None: it has none)."""
    return s.scalars(select(Street.name_zh).where(Street.district_id == district_id)
                     .order_by(Street.id)).first()


def budget_of_district(s: Session, district_id: str, year: int, metric: str,
                       scope_type: str) -> Budget | None:
    """A budget of the district of a year, metric and scope type."""
    return s.scalars(select(Budget).where(
        Budget.district_id == district_id, Budget.year == year, Budget.metric == metric,
        Budget.scope_type == scope_type)).first()


def vpp_host_entity_ids(s: Session, district_id: str) -> list[str]:
    """The district's entities with an electricity interval main meter, by id."""
    return list(s.scalars(select(Entity.id).join(Meter, Meter.entity_id == Entity.id).where(
        Entity.district_id == district_id, Meter.carrier == EnergyCarrier.ELECTRICITY,
        Meter.submeter.is_(None), Meter.register == MeterRegister.INTERVAL)
        .distinct().order_by(Entity.id)))
