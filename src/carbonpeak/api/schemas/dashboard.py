"""Answers of the dashboard and carbon-map endpoints (``routes/dashboard.py``).

The overview and the entity page of a year without an official account answer their
header only (``scope``/``entity``, ``year``, ``years``, ``account_run_id``, ``notes``): the
other fields are then absent, which the models give as defaults of ``None``.
"""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import GeoJsonGeometry, Page, Public
from carbonpeak.api.schemas.metrics import FigurePublic

__all__ = ["ChildPublic", "ComparisonPublic", "Co2Public", "CoverageLinePublic",
           "EntityFeaturePublic", "EntityInfoPublic", "EntityLayerPublic", "EntityPagePublic",
           "EntityPropertiesPublic", "EnergyPublic", "EuiPublic", "IntensityPointPublic",
           "IntensityPublic", "IntensityTargetPublic", "KeyUnitPublic", "KeyUnitTopPublic",
           "KeyUnitsPublic", "KeyUnitsSummaryPublic", "BasemapPublic", "MapPublic",
           "MapScalePublic",
           "MonthlyCarrierPublic",
           "MonthlyEntityCarrierPublic", "MonthlySectorPublic", "MonthlySubmeterPublic",
           "OverviewPublic", "PageMeterPublic", "PageWarningPublic", "QualityLinePublic",
           "ScopeInfoPublic", "StreetComparisonPublic", "StreetEntityPublic", "StreetInfoPublic",
           "StreetPagePublic", "StreetFeaturePublic",
           "StreetLayerPublic", "StreetPropertiesPublic", "StreetRowPublic", "TotalsPublic",
           "WarningTopPublic", "WarningsSummaryPublic"]


class ScopeInfoPublic(Public):
    """Whose figures these are: the district, a street or the caller's entities."""

    type: str
    id: str | None
    name_zh: str | None
    name_en: str | None


class EnergyPublic(Public):
    """Energy this year (tce, equal and equivalent value) and the same months last year."""

    tce_equal: float | None
    tce_equivalent: float | None
    tce_equal_last: float | None
    tce_equal_last_full_year: float | None
    change: float | None


class Co2Public(Public):
    """CO2 this year and the same months last year [tCO2]."""

    tco2: float | None
    tco2_last: float | None
    tco2_last_full_year: float | None
    change: float | None


class ComparisonPublic(Public):
    """What this year is compared with."""

    year: int | None
    months: int
    zh: str
    en: str


class IntensityTargetPublic(Public):
    """The plan target of the district intensity."""

    code: str
    target_year: int | None
    target_value: float | None
    status: str | None
    reason_zh: str | None
    reason_en: str | None


class IntensityPointPublic(Public):
    """A year of the intensity series and of its target path."""

    year: int
    value: float | None
    path: float | None
    source: str | None


class IntensityPublic(Public):
    """The district intensity against its target path, since the baseline year."""

    unit: str
    name_zh: str
    name_en: str
    baseline_year: int | None
    baseline_value: float | None
    year: int
    value: float | None
    path_value: float | None
    change_vs_baseline_pct: float | None
    status: str | None
    target: IntensityTargetPublic | None
    series: list[IntensityPointPublic]


class MonthlyCarrierPublic(Public):
    """A month's energy and CO2 of one carrier."""

    month: str
    carrier: str
    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None


class MonthlySectorPublic(Public):
    """A month's energy and CO2 of one sector."""

    month: str
    sector: str
    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None


class KeyUnitTopPublic(Public):
    """One of the largest key units."""

    entity_id: str
    name: str
    tce_equal: float | None
    tco2: float | None
    rule: str | None
    warning_level: str | None


class KeyUnitsSummaryPublic(Public):
    """How many key units, and the ten largest."""

    count: int
    top: list[KeyUnitTopPublic]


class WarningTopPublic(Public):
    """One of the most severe warnings."""

    id: int
    scope_type: str
    scope_id: str | None
    name: str | None
    level: str
    ratio: float | None
    projected: float | None
    budget: float | None
    reason_zh: str
    reason_en: str


class WarningsSummaryPublic(Public):
    """Warnings by level, and the most severe."""

    counts: dict[str, int]
    top: list[WarningTopPublic]


class CoverageLinePublic(Public):
    """Data coverage of the scope."""

    coverage: float | None
    entities: int
    entities_with_data: int
    missing_entity_months: int | None
    intervals_expected: float | None
    intervals_received: float | None
    interval_completeness: float | None


class OverviewPublic(Public):
    """The overview (总览) of the caller's scope for a year."""

    scope: ScopeInfoPublic
    year: int | None
    years: list[int]
    account_run_id: int | None
    previous_run_id: int | None = None
    notes: list[str]
    months: list[str] | None = None
    energy: EnergyPublic | None = None
    co2: Co2Public | None = None
    pv_generation_kwh: float | None = None
    comparison: ComparisonPublic | None = None
    intensity: IntensityPublic | None = None
    monthly_by_carrier: list[MonthlyCarrierPublic] | None = None
    monthly_by_sector: list[MonthlySectorPublic] | None = None
    key_units: KeyUnitsSummaryPublic | None = None
    warnings: WarningsSummaryPublic | None = None
    coverage: CoverageLinePublic | None = None
    figures: dict[str, FigurePublic] | None = Field(
        default=None, description="the published figures of the overview from the figure "
        "catalogue, with their basis (口径), period, as-of and provenance")


class StreetRowPublic(Public):
    """A street compared: energy, CO2, floor area, kgce/m², change, worst warning."""

    street_id: int
    code: str
    name_zh: str
    name_en: str
    n_entities: int
    n_key_units: int
    floor_area_m2: float | None
    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None
    tce_equal_last: float | None
    change: float | None
    kgce_per_m2: float | None
    warning_level: str | None


class StreetComparisonPublic(Public):
    """The street comparison of a year: every street in scope in ``items`` (a year without
    an official account answers only ``year``, ``years`` and no items)."""

    year: int | None
    years: list[int]
    account_run_id: int | None = None
    months: list[str] | None = None
    items: list[StreetRowPublic]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None


class ChildPublic(Public):
    """A building of an enterprise."""

    entity_id: str
    name: str


class EntityInfoPublic(Public):
    """The entity the page is about."""

    entity_id: str
    name: str
    kind: str
    street_id: int | None
    building_type: str | None
    floor_area_m2: float | None
    lat: float | None
    lon: float | None
    parent_id: str | None
    sector: str | None
    is_key_unit: bool
    key_unit_rule: str | None
    street_code: str | None
    street_name_zh: str | None
    street_name_en: str | None
    children: list[ChildPublic]


class PageMeterPublic(Public):
    """A meter of the entity."""

    meter_id: str
    carrier: str
    unit: str
    submeter: str | None
    register_: str = Field(alias="register", description="interval or cumulative")
    interval_minutes: int | None


class PageWarningPublic(Public):
    """A warning of the entity."""

    id: int
    year: int
    metric: str
    level: str
    ratio: float | None
    projected: float | None
    budget: float | None
    reason_zh: str
    reason_en: str


class MonthlyEntityCarrierPublic(Public):
    """A month of one carrier of the entity."""

    month: str
    carrier: str
    quantity: float | None
    unit: str | None
    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None
    scope: str | None
    coverage: float | None
    flags: str | None
    estimated_share: float | None
    remark: str | None = None


class MonthlySubmeterPublic(Public):
    """A month of one meter of the entity."""

    month: str
    meter_id: str
    carrier: str
    submeter: str | None
    quantity: float | None
    unit: str | None
    coverage: float | None


class TotalsPublic(Public):
    """The entity's totals of the year."""

    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None
    tce_equal_last: float | None


class QualityLinePublic(Public):
    """The entity's data quality in the year."""

    coverage: float | None
    missing_months: int
    source: list[str]
    flags: list[str]


class EuiPublic(Public):
    """The building's EUI and its place among the district's buildings of its type."""

    eui_kwh_per_m2: float | None
    eui_kgce_per_m2_equal: float | None
    eui_kgce_per_m2_equivalent: float | None
    tco2_per_m2: float | None
    type_median_kgce_per_m2_equal: float | None
    type_count: int
    area_weighted_percentile: float | None
    suppressed: list[str] = Field(default_factory=list, description="the fields withheld "
                                  "from a caller without district-wide sight (small cells: "
                                  "disclosure.suppressed.small_cell)")


class EntityPagePublic(Public):
    """The entity page (主体页) of a year."""

    entity: EntityInfoPublic
    year: int | None
    years: list[int]
    meters: list[PageMeterPublic]
    warnings: list[PageWarningPublic]
    monthly_by_carrier: list[MonthlyEntityCarrierPublic] | None = None
    monthly_by_submeter: list[MonthlySubmeterPublic] | None = None
    totals: TotalsPublic | None = None
    quality: QualityLinePublic | None = None
    eui: EuiPublic | None = None
    figures: dict[str, FigurePublic] | None = Field(
        default=None, description="the entity's catalogue figures (a key unit's own and "
        "consolidated energy, allocated and elastic budget)")


class KeyUnitPublic(Public):
    """A key unit (重点用能单位) with consolidated energy, CO2, budget and warning."""

    entity_id: str
    name: str
    kind: str
    street_id: int | None
    street_code: str | None
    street_name_zh: str | None
    street_name_en: str | None
    sector: str | None
    building_type: str | None
    floor_area_m2: float | None
    key_unit_rule: str | None
    key_unit_rule_en: str | None = Field(None, description="the rule in English")
    n_children: int
    tce_equal: float | None = Field(description="consolidated (with its buildings), 核算口径")
    tce_own: float | None = Field(description="the unit's own use, 核算口径")
    tce_equivalent: float | None
    tco2: float | None
    budget_tce: float | None = Field(description="the allocated budget (分解预算)")
    budget_elastic_tce: float | None = Field(
        description="the elastic budget (弹性预算) the warning used, where it was raised")
    warning_level: str | None
    warning_ratio: float | None
    warning_reason_zh: str | None
    warning_reason_en: str | None


class KeyUnitsPublic(Page[KeyUnitPublic]):
    """Key units in scope; the energy and budget columns' basis and as-of lines."""

    year: int | None
    years: list[int]
    energy_label_zh: str = ""
    energy_label_en: str = ""
    budget_label_zh: str = ""
    budget_label_en: str = ""


class StreetPropertiesPublic(Public):
    """A street polygon's figures."""

    street_id: int
    code: str
    name_zh: str
    name_en: str
    tce_equal: float | None
    tco2: float | None
    kgce_per_m2: float | None
    n_entities: int
    approximate: bool
    boundary_source: str | None


class EntityPropertiesPublic(Public):
    """A building point's figures."""

    entity_id: str
    name: str
    kind: str
    building_type: str | None
    street_id: int | None
    is_key_unit: bool
    floor_area_m2: float | None
    tce_equal: float | None
    tco2: float | None
    kgce_per_m2: float | None


class StreetFeaturePublic(Public):
    """A GeoJSON feature: a street polygon (WGS84)."""

    type: str
    id: int
    geometry: GeoJsonGeometry
    properties: StreetPropertiesPublic


class EntityFeaturePublic(Public):
    """A GeoJSON feature: a building point (WGS84)."""

    type: str
    id: int
    geometry: GeoJsonGeometry
    properties: EntityPropertiesPublic


class StreetLayerPublic(Public):
    """The street polygons (a GeoJSON FeatureCollection)."""

    type: str
    features: list[StreetFeaturePublic]


class EntityLayerPublic(Public):
    """The building points (a GeoJSON FeatureCollection)."""

    type: str
    features: list[EntityFeaturePublic]


class BasemapPublic(Public):
    """The offline base map the admin imported (PMTiles), served at ``url``."""

    url: str
    tile_type: str
    raster: bool
    minzoom: int
    maxzoom: int
    bounds: list[float]
    center: list[float]
    size: int
    version: int


class MapScalePublic(Public):
    """A fixed colour scale: inner class breaks from the whole district (k breaks, k + 1
    classes), rounded to two significant figures, at least three entities per class."""

    unit: str
    breaks: list[float]


class MapPublic(Public):
    """The carbon map (碳排放地图): streets and buildings with their figures."""

    year: int | None
    month: str | None
    years: list[int]
    months: list[str]
    account_run_id: int | None
    approximate_boundaries: bool
    streets_without_boundary: list[str]
    streets: StreetLayerPublic
    entities: EntityLayerPublic
    tile_url: str | None
    basemap: BasemapPublic | None = None
    scales: dict[str, MapScalePublic]


class StreetInfoPublic(Public):
    """The street a street page is about."""

    street_id: int
    code: str
    name_zh: str
    name_en: str


class StreetEntityPublic(Public):
    """An entity of a street: kind, type, floor area, meters, the year's energy and CO2."""

    entity_id: str
    name: str
    kind: str
    building_type: str | None
    sector: str | None
    floor_area_m2: float | None
    is_key_unit: bool
    parent_id: str | None
    n_meters: int
    tce_equal: float | None
    tce_equivalent: float | None
    tco2: float | None
    kgce_per_m2: float | None


class StreetPagePublic(Public):
    """A street with every entity in it the caller may see (not only key units)."""

    street: StreetInfoPublic
    year: int | None
    years: list[int]
    account_run_id: int | None
    n_key_units: int
    items: list[StreetEntityPublic]
    total: int
    limit: int
    offset: int
