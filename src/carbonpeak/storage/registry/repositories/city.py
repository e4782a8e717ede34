"""The city capability's SQL: the districts of a city deployment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import District

__all__ = ["districts_of_city"]


def districts_of_city(s: Session, city_id: str) -> list[District]:
    """The districts of city ``city_id``, by code."""
    return list(s.scalars(select(District).where(District.city_id == city_id)
                          .order_by(District.id)))
