"""Answers of ``GET /api/v1/metrics`` (``routes/metrics.py``): the figure catalogue."""

from __future__ import annotations

from typing import Any

from carbonpeak.api.schemas.common import Public

__all__ = ["FigurePublic", "MetricsPublic"]


class FigurePublic(Public):
    """One stored figure: its code and names, value (and the printed text at the catalogue's
    precision), unit, basis (口径) with its labels, period, as-of date and provenance (the
    account run, input batches and factor set; the statistics row; the records and date)."""

    code: str
    name_zh: str
    name_en: str
    subject_type: str
    subject_id: str
    subject_name: str | None
    value: float | None
    text: str
    unit: str
    digits: int
    basis: str
    basis_zh: str
    basis_en: str
    period: str
    as_of: str
    as_of_rule: str
    label_zh: str
    label_en: str
    provenance: dict[str, Any]


class MetricsPublic(Public):
    """The figures of a district, year and as-of date that the caller may read."""

    district: str
    year: int
    as_of: str
    inputs: str
    items: list[FigurePublic]
