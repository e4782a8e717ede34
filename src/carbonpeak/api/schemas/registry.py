"""Answers of the registry, readings and inventory endpoints (``routes/data.py``)."""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import Detail, GeoJsonGeometry, Page, Public

__all__ = ["AuditLogEntryPublic", "AuditLogPublic", "DistrictDetailPublic", "DistrictPublic",
           "DistrictsPublic", "EntitiesPublic", "EntityDetailPublic", "EntityPublic",
           "FactorRowPublic",
           "FactorSetDetailPublic", "FactorSetPublic", "FactorSetsPublic", "InventoryPublic",
           "InventoryRowPublic", "MeterPublic", "MetersPublic", "ReadingPublic",
           "ReadingsPublic", "SeriesFlagLabelPublic", "SeriesHeldPublic", "SeriesPointPublic",
           "SeriesPublic", "SeriesQualityDayPublic", "StreetDetailPublic",
           "StreetPublic", "StreetsPublic",
           "TokenPublic", "UserPublic", "UsersPublic"]


class DistrictPublic(Public):
    """A district (行政区)."""

    id: str
    name_zh: str
    name_en: str
    province: str
    timezone: str
    grid_region: str
    climate_zone: str | None
    default_factor_set: str


class DistrictDetailPublic(DistrictPublic):
    """The caller's district with its number of streets."""

    streets: int


DistrictsPublic = Page[DistrictPublic]


class StreetPublic(Public):
    """A street (街道) in the caller's scope."""

    id: int
    code: str
    name_zh: str
    name_en: str
    lat: float | None
    lon: float | None
    has_boundary: bool
    boundary_approximate: bool
    boundary_source: str | None


class StreetDetailPublic(StreetPublic):
    """A street with its boundary (a GeoJSON geometry, or null)."""

    boundary: GeoJsonGeometry | None


StreetsPublic = Page[StreetPublic]


class EntityPublic(Public):
    """An entity (用能主体): building, enterprise or site."""

    entity_id: str
    name: str
    kind: str
    street_id: int | None
    street_code: str | None
    street_name_zh: str | None
    street_name_en: str | None
    building_type: str | None
    floor_area_m2: float | None
    lat: float | None
    lon: float | None
    parent_id: str | None
    sector: str | None
    is_key_unit: bool
    key_unit_rule: str | None


EntitiesPublic = Page[EntityPublic]


class MeterPublic(Public):
    """A meter (计量表)."""

    meter_id: str
    entity_id: str
    carrier: str
    unit: str
    submeter: str | None
    register_: str = Field(alias="register", description="interval or cumulative")
    multiplier: float | None
    interval_minutes: int | None
    rollover_at: float | None
    commissioned_on: str | None


MetersPublic = Page[MeterPublic]


class EntityDetailPublic(EntityPublic):
    """An entity with its key-unit year, last change and meters."""

    key_unit_year: int | None
    updated_at: str | None
    meters: list[MeterPublic]


class ReadingPublic(Public):
    """A stored reading (UTC timestamp of the interval start, or of a register reading)."""

    ts: str | None
    value: float | None
    batch_id: int | None


class ReadingsPublic(Page[ReadingPublic]):
    """Readings of one meter in a window."""

    meter_id: str
    start: str | None
    end: str | None


class SeriesPointPublic(Public):
    """A local hour (``2024-03-01T08:00``) or day (``2024-03-01``) of a meter's series."""

    t: str
    value: float | None
    n: int = Field(description="readings in the hour or day")


class SeriesQualityDayPublic(Public):
    """A local day of the meter that carries data-quality flags."""

    day: str
    flags: list[str]
    expected: int | None
    received: int | None
    completeness: float | None
    n_missing: int | None
    n_spikes: int | None
    longest_gap_minutes: float | None


class SeriesHeldPublic(Public):
    """A held value (待核实数值) of the meter in the window."""

    id: int
    ts: str
    value: float
    status: str
    reason_code: str
    reason_zh: str
    reason_en: str
    t: str = Field(description="its local hour (2024-03-01T08:00)")
    day: str = Field(description="its local day")


class SeriesFlagLabelPublic(Public):
    """A data-quality flag's name."""

    zh: str
    en: str


class SeriesPublic(Page[SeriesPointPublic]):
    """One meter's readings per local hour or day, its flagged days and held values."""

    meter_id: str
    entity_id: str
    carrier: str
    unit: str
    submeter: str | None
    register_: str = Field(alias="register", description="interval or cumulative")
    interval_minutes: int | None
    resolution: str = Field(description="hour or day (the district's local time)")
    aggregate: str = Field(description="sum (interval meters) or last (cumulative registers)")
    timezone: str
    start: str
    end: str
    quality: list[SeriesQualityDayPublic]
    held: list[SeriesHeldPublic]
    flag_labels: dict[str, SeriesFlagLabelPublic]


class InventoryRowPublic(Public):
    """A row of the official account at one level (entity, street, district, sector or
    building type) and period (month or year); the key columns present depend on both."""

    entity_id: str | None = None
    name: str | None = None
    kind: str | None = None
    street: str | None = None
    district: str | None = None
    sector: str | None = None
    building_type: str | None = None
    month: str | None = None
    year: int | None = None
    carrier: str
    quantity: float | None = None
    unit: str | None = None
    tce_equivalent: float | None = None
    tce_equal: float | None = None
    tco2: float | None = None
    scope: str | None = None
    coverage: float | None = None
    factor_set: str | None = None
    source: str | None = None
    n_entities: int | None = None
    n_resets: float | None = None
    n_rollovers: float | None = None
    n_negative: float | None = None
    estimated_quantity: float | None = None
    estimated_share: float | None = None
    intervals_expected: float | None = None
    intervals_received: float | None = None
    intervals_filled: float | None = None
    missing_months: float | None = None
    partial_months: float | None = None
    meter_missing_months: float | None = None
    flags: str | None = None


class InventoryPublic(Page[InventoryRowPublic]):
    """The official account of a year at one level and period."""

    account_run_id: int | None
    level: str
    period: str
    year: int


class FactorSetPublic(Public):
    """A factor set version (排放因子集) with the statuses of its rows."""

    set_id: str
    version: int
    name_zh: str
    name_en: str
    region: str
    kind: str
    description: str
    includes: list[str]
    effective_from: str | None
    effective_to: str | None
    checksum: str
    loaded_at: str | None
    loaded_by: str | None
    row_statuses: list[str]


FactorSetsPublic = Page[FactorSetPublic]


class FactorRowPublic(Public):
    """A factor: value per unit, years it applies to, source and status."""

    carrier: str
    quantity: str
    value: float | None
    per_unit: str
    year_from: int | None
    year_to: int | None
    data_year: int | None
    status: str
    source: str
    note: str | None
    origin_set: str | None


class FactorSetDetailPublic(FactorSetPublic):
    """A factor set version with every row."""

    rows: list[FactorRowPublic]


class AuditLogEntryPublic(Public):
    """Who changed what, when; ``details`` depend on the object (open)."""

    id: int
    at: str | None
    actor: str
    action: str
    object_type: str
    object_id: str | None
    district: str | None
    details: Detail | None


AuditLogPublic = Page[AuditLogEntryPublic]


class TokenPublic(Public):
    """An API token of a user (its prefix only)."""

    prefix: str
    name: str | None
    revoked: bool
    last_used_at: str | None


class UserPublic(Public):
    """A user of the district, with role, scope and tokens."""

    username: str
    display_name: str
    role: str
    district: str | None
    street_id: int | None
    org: str | None = None
    entities: list[str]
    active: bool
    has_password: bool
    created_at: str | None
    tokens: list[TokenPublic]


UsersPublic = Page[UserPublic]
