"""Answers of the data-quality endpoint (``routes/quality.py``)."""

from __future__ import annotations

from carbonpeak.api.schemas.common import Public, Row

__all__ = ["EntityQualityPublic", "FlagPublic", "HeldValuePublic", "HeldValuesPublic",
           "QualityFiltersPublic", "QualityPublic", "QualitySummaryPublic",
           "StreetQualityPublic"]


class QualitySummaryPublic(Public):
    """Meters, meter-days, expected and received readings, completeness, and per flag the
    number of meter-days that carry it (``days_<flag>``)."""

    meters: int
    meter_days: int
    expected: int
    received: int
    completeness: float | None
    days_no_data: int
    days_gap: int
    days_off_grid: int
    days_duplicates: int
    days_negative: int
    days_impossible: int
    days_spike: int
    days_stuck: int
    days_reset: int
    days_rollover: int
    days_future: int
    days_before_commissioning: int
    days_unit_mismatch: int
    days_flagged: int


class EntityQualityPublic(QualitySummaryPublic):
    """The summary of an entity's meters."""

    entity_id: str
    entity_name: str | None
    street: str | None


class StreetQualityPublic(QualitySummaryPublic):
    """The summary of a street's meters."""

    street: str | None


class QualityFiltersPublic(Public):
    """The filters the report was made with."""

    entity_id: str | None
    street: str | int | None
    month: str | None
    year: int | None


class FlagPublic(Public):
    """A quality flag: the count column behind it and its meaning (zh/en)."""

    column: str
    zh: str
    en: str


class QualityPublic(Public):
    """数据质量报告: per entity and street; ``rows`` (on request) are the meter-day rows of
    the checks (open rows: one column per check), ``thresholds`` the values used (open)."""

    district: str
    district_name: str
    months: list[str]
    checked_at: str
    recomputed: list[str]
    filters: QualityFiltersPublic
    district_summary: QualitySummaryPublic
    entities: list[EntityQualityPublic]
    streets: list[StreetQualityPublic]
    rows: list[Row]
    thresholds: dict[str, float | int | None]
    flags: dict[str, FlagPublic]


class HeldValuePublic(Public):
    """A held value: a suspicious reading stored but left out of the official account until
    an analyst confirms (it counts) or rejects it (it never counts)."""

    id: int
    meter_id: str
    ts: str
    month: str
    value: float
    status: str
    batch_id: int
    reason_code: str
    reason_zh: str
    reason_en: str
    decided_by: str | None
    decided_at: str | None
    note: str | None


class HeldValuesPublic(Public):
    """The held values of the caller's district."""

    items: list[HeldValuePublic]
    total: int
