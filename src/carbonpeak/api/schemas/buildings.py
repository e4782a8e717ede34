"""Answers of the public-building endpoints: quota tables, benchmarking and quota cases
(``routes/buildings.py``)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from carbonpeak.api.schemas.common import Detail, Page, Public

__all__ = ["BenchmarkPublic", "BenchmarkingPublic", "CasesChangedPublic", "CasesNotifiedPublic",
           "CasesOpenedPublic", "QuotaCasePublic", "QuotaCaseReviewedPublic",
           "QuotaCasesPublic", "QuotaRowPublic", "QuotaTableDetailPublic", "QuotaTablePublic",
           "QuotaTablesPublic"]


class QuotaTablePublic(Public):
    """A quota table (能耗限额标准), newest version: row count, regions, row statuses."""

    table_id: str
    version: int
    rows: int
    regions: list[str]
    statuses: dict[str, int]
    origin: str | None
    loaded_by: str | None
    loaded_at: dt.datetime | None


QuotaTablesPublic = Page[QuotaTablePublic]


class QuotaRowPublic(Public):
    """A row of a quota table: class, convention, values, source and status."""

    region: str
    quota_class: str
    label_zh: str | None
    label_en: str | None
    default_for: str | None
    metric: str
    convention: str
    electricity_kgce_per_kwh: float | None
    exclude_carriers: str | None
    constraint_value: float | None
    guide_value: float | None
    unit: str
    status: str
    source: str
    note: str | None
    verification_target: str
    verification: Detail | None


class QuotaTableDetailPublic(Public):
    """One version of a quota table with every row."""

    table_id: str
    version: int
    checksum: str
    origin: str | None
    loaded_by: str | None
    loaded_at: dt.datetime | None
    rows: list[QuotaRowPublic]


class BenchmarkPublic(Public):
    """A building against its quota: EUI by the table's convention, rating, reduction,
    rank and area-weighted percentile within its type."""

    entity_id: str
    name: str
    street: str | None
    building_type: str | None
    floor_area_m2: float | None
    coverage: float | None
    tce_equal: float | None
    electricity_kwh: float | None
    other_kgce: float | None
    eui_kgce_per_m2_equal: float | None
    rank_in_type: float | None
    n_in_type: int | None
    area_percentile_in_type: float | None
    suppressed: str | None = Field(None, description="disclosure.suppressed.small_cell when "
                                   "the percentile is withheld: with the caller's own areas it "
                                   "would give the area of fewer than N other buildings")
    quota_class: str | None
    quota_label_zh: str | None
    quota_label_en: str | None
    class_source: str | None
    convention: str | None
    eui: float | None
    eui_unit: str | None
    constraint_value: float | None
    guide_value: float | None
    rating: str
    rating_zh: str
    rating_en: str
    excess_fraction: float | None
    reduction_per_m2: float | None
    reduction_required: float | None
    quota_status: str | None
    quota_source: str | None
    quota_managed: bool


class BenchmarkingPublic(Page[BenchmarkPublic]):
    """Buildings in scope against a quota table, with the counts per rating."""

    year: int
    table_id: str
    table_version: int | None
    account_run_id: int | None
    factor_set: str | None
    counts: dict[str, int]
    quota_statuses: list[str]


class QuotaCasePublic(Public):
    """A quota case (超限额整改): a building over its constraint, from notice to closure."""

    id: int
    entity_id: str
    name: str | None
    year: int
    table_id: str
    table_version: int
    quota_class: str
    class_source: str
    eui: float | None
    constraint_value: float | None
    unit: str
    excess_fraction: float | None
    reduction_required: float | None
    quota_status: str
    status: str
    notice_no: str | None
    notice_date: dt.date | None
    deadline: dt.date | None
    reviewed_on: dt.date | None
    review_year: int | None
    review_rating: str | None
    reason_zh: str
    reason_en: str
    account_run_id: int


QuotaCasesPublic = Page[QuotaCasePublic]


class QuotaCaseReviewedPublic(QuotaCasePublic):
    """A reviewed case with its status before the review."""

    previous_status: str


class CasesOpenedPublic(Public):
    """The cases opened."""

    opened: list[QuotaCasePublic]


class CasesNotifiedPublic(Public):
    """The cases notified."""

    notified: list[QuotaCasePublic]


class CasesChangedPublic(Public):
    """The cases closed or escalated by a review."""

    changed: list[QuotaCaseReviewedPublic]
