"""Answers of the commissioning (调适) endpoints (``routes/commissioning.py``)."""

from __future__ import annotations

from carbonpeak.api.schemas.common import Detail, Page, Public

__all__ = ["BilingualNotePublic", "CandidatePublic", "ChartPublic", "CommissioningPublic",
           "EvidencePublic", "FindingPublic", "MeasureStatusPublic", "UnscreenedPublic"]


class FindingPublic(Public):
    """A finding: measured value against its threshold, severity, message (zh/en)."""

    code: str
    value: float | None
    threshold: float | None
    severity: float | None
    message_zh: str
    message_en: str


class BilingualNotePublic(Public):
    """A caveat in both languages."""

    zh: str
    en: str


class MeasureStatusPublic(Public):
    """Whether a figure (simultaneous heating/cooling, plant COP) could be measured."""

    status: str
    reason_zh: str
    reason_en: str


class CandidatePublic(Public):
    """A building screened for commissioning: ranked by avoidable energy, with its load
    figures and findings."""

    entity_id: str
    name: str
    kind: str
    building_type: str | None
    street_code: str | None
    street_name_zh: str | None
    floor_area_m2: float | None
    load_source: str
    n_load_meters: int
    rank: int
    score: float | None
    n_findings: int
    avoidable_kwh: float | None
    base_load_kw: float | None
    n_night_hours: int
    occupied_load_kw: float | None
    n_occupied_hours: int
    base_load_ratio: float | None
    working_day_kwh: float | None
    n_working_days: int
    nonworking_day_kwh: float | None
    n_nonworking_days: int
    weekend_ratio: float | None
    holiday_waste_kwh: float | None
    n_nonworking_hours: int
    total_kwh: float | None
    n_hours: int
    holiday_waste_fraction: float | None
    base_load_excess_kwh: float | None
    n_unoccupied_hours: int
    mean_kw: float | None
    peak_kw: float | None
    load_factor: float | None
    simultaneous_hours: float | None
    simultaneous_kwh: float | None
    n_submeter_hours: int
    cop: float | None
    cooling_kwh_th: float | None
    plant_kwh: float | None
    n_cop_hours: int
    findings: list[FindingPublic]
    coverage: float | None
    caveats: list[BilingualNotePublic]
    avoidable_kwh_per_m2: float | None
    simultaneous: MeasureStatusPublic
    cop_status: MeasureStatusPublic


class UnscreenedPublic(Public):
    """A building in scope that could not be screened, and why."""

    entity_id: str
    name: str
    kind: str
    building_type: str | None
    street_code: str | None
    street_name_zh: str | None
    floor_area_m2: float | None
    reason: str
    reason_zh: str
    reason_en: str


class CommissioningPublic(Page[CandidatePublic]):
    """Commissioning candidates of a year; ``options`` (the thresholds used) and
    ``calendar`` (holidays and make-up workdays, with their source) are open objects."""

    district_id: str
    district_name: str
    year: int
    timezone: str
    options: Detail
    thresholds_source: str
    calendar: Detail
    without_data: list[UnscreenedPublic]
    notes: list[str]
    notes_en: list[str]
    notes_zh: list[str]


class ChartPublic(Public):
    """An ECharts-ready evidence chart: axis names, x values; ``series``, ``lines`` and
    ``bands`` are ECharts fragments (open)."""

    id: str
    type: str
    title_zh: str
    title_en: str
    x_name_zh: str
    x_name_en: str
    y_name_zh: str
    y_name_en: str
    unit: str
    x: list[str | int | float]
    series: list[Detail]
    lines: list[Detail] | None = None
    bands: list[Detail] | None = None
    y2_name_zh: str | None = None
    y2_name_en: str | None = None


class EvidencePublic(Public):
    """One building's figures and evidence charts."""

    entity_id: str
    year: int
    district_id: str
    item: CandidatePublic
    options: Detail
    thresholds_source: str
    charts: list[ChartPublic]
