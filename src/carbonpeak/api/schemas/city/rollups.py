"""Answers of ``GET /api/v1/cities/{city}/…`` (``routes/city/rollups.py``)."""

from __future__ import annotations

from typing import Any

from carbonpeak.api.schemas.common import Public
from carbonpeak.api.schemas.metrics import FigurePublic

__all__ = ["CityDistrictPublic", "CityDistrictsPublic", "CityTotalPublic",
           "CityTotalsPublic"]


class CityDistrictPublic(Public):
    """One district of the city with its catalogue figures (each with its basis, as-of and
    provenance, as the district publishes them)."""

    district: str
    name_zh: str
    name_en: str
    figures: list[FigurePublic]


class CityDistrictsPublic(Public):
    """The district comparison of a city for a year."""

    city: str
    name_zh: str
    name_en: str
    year: int
    items: list[CityDistrictPublic]


class CityTotalPublic(Public):
    """One figure summed over the city's districts, on one basis (核算口径 or 统计口径, never
    mixed): None with ``missing`` naming the districts without a value; ``parts`` each
    district's value and provenance."""

    code: str
    name_zh: str
    name_en: str
    year: int
    value: float | None
    text: str
    unit: str
    basis: str
    basis_zh: str
    basis_en: str
    as_of: str
    as_of_rule: str
    label_zh: str
    label_en: str
    missing: list[str]
    parts: dict[str, dict[str, Any]]


class CityTotalsPublic(Public):
    """The city totals for a year."""

    city: str
    name_zh: str
    name_en: str
    year: int
    as_of: str
    items: list[CityTotalPublic]
