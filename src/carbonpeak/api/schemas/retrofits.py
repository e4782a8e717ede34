"""Answers of the retrofit, M&V and weather endpoints (``routes/retrofits.py``)."""

from __future__ import annotations

from carbonpeak.api.schemas.common import Detail, Page, Public

__all__ = ["CommissioningCountPublic", "MeasuredPublic", "MonthlySavingsPublic",
           "MvResultPublic", "PlanTargetPublic", "ProgressProjectPublic", "ProjectPublic",
           "ProjectSavedPublic", "RetrofitDetailPublic", "RetrofitProgressPublic",
           "RetrofitsPublic", "SkippedProjectPublic", "WeatherDayPublic", "WeatherMonthPublic",
           "WeatherPublic", "WeatherSummaryPublic"]


class ProjectPublic(Public):
    """A retrofit or commissioning project with its latest measured savings (``mv_*``)."""

    code: str
    name: str
    kind: str
    entity_id: str
    entity_name: str | None
    street: str | None
    measures: list[str]
    start_date: str | None
    end_date: str | None
    floor_area_m2: float | None
    investment_10k_cny: float | None
    claimed_savings_kwh: float | None
    claimed_savings_fraction: float | None
    status: str
    mv_id: int | None
    mv_computed_at: str | None
    mv_current: bool
    mv_sufficient: bool | None
    mv_reason: str | None
    mv_reason_zh: str | None = None
    mv_reason_codes: str | None
    mv_warning_codes: str | None
    mv_model_type: str | None
    mv_reporting_start: str | None
    mv_reporting_end: str | None
    mv_n_reporting_days: int | None
    mv_adjusted_baseline_kwh: float | None
    mv_reporting_kwh: float | None
    mv_savings_kwh: float | None
    mv_fractional_savings: float | None
    mv_fsu_68: float | None
    mv_cv_rmse: float | None
    mv_nmbe: float | None
    mv_meets_g14: bool | None
    mv_saving15: bool | None


RetrofitsPublic = Page[ProjectPublic]


class MvResultPublic(Public):
    """One stored M&V result; ``result`` (model, sufficiency, monthly sums) and ``inputs``
    (files, batches, options) are the stored JSON documents (open)."""

    id: int
    carrier: str
    sufficient: bool
    model_type: str | None
    reporting_start: str | None
    reporting_end: str | None
    n_reporting_days: int | None
    adjusted_baseline_kwh: float | None
    reporting_kwh: float | None
    savings_kwh: float | None
    fractional_savings: float | None
    fsu_68: float | None
    fsu_90: float | None
    cv_rmse: float | None
    nmbe: float | None
    meets_g14: bool | None
    computed_by: str
    computed_at: str
    result: Detail
    inputs: Detail


class MonthlySavingsPublic(Public):
    """A month of the latest result: actual and baseline kWh, mean temperature."""

    month: str
    period: str
    n_days: int
    n_valid_days: int
    actual_kwh: float | None
    baseline_kwh: float | None
    temp_mean_c: float | None


class RetrofitDetailPublic(ProjectPublic):
    """One project with every M&V result (newest first) and the monthly chart series."""

    note: str | None
    created_by: str | None
    mv_results: list[MvResultPublic]
    monthly: list[MonthlySavingsPublic]




class SkippedProjectPublic(Public):
    """A named project that was not measured (not completed)."""

    code: str
    status: str
    skipped: str


class MeasuredPublic(Public):
    """The projects measured (list rows), and those skipped."""

    measured: list[ProjectPublic | SkippedProjectPublic]


class ProjectSavedPublic(Public):
    """A project created, updated or unchanged, with its details."""

    result: str
    project: RetrofitDetailPublic


class PlanTargetPublic(Public):
    """The plan target a progress figure is measured against."""

    code: str
    target_value: float | None
    target_year: int | None
    unit: str
    period: str | None
    indicator_zh: str


class CommissioningCountPublic(Public):
    """Commissioning projects completed in a year."""

    year: int
    completed: int


class ProgressProjectPublic(Public):
    """A completed project in the progress: area, category, measured savings."""

    code: str
    entity_id: str
    name: str
    end_date: str | None
    floor_area_m2: float | None = None
    category: str | None = None
    fractional_savings: float | None = None
    meets_g14: bool | None = None
    mv_warning_codes: str | None = None


class RetrofitProgressPublic(Public):
    """Plan progress: retrofitted area, area with ≥ 15 % measured savings, commissioning."""

    district_id: str
    year: int
    plan_start: int | None
    saving_threshold: float | None
    retrofit_area_m2: float | None
    retrofit_buildings: int | None
    retrofit_target: PlanTargetPublic | None
    retrofit_progress_pct: float | None
    saving15_area_m2: float | None
    saving15_target: PlanTargetPublic | None
    saving15_progress_pct: float | None
    saving15_fails_g14_area_m2: float | None
    below15_area_m2: float | None
    not_measured_area_m2: float | None
    commissioning: list[CommissioningCountPublic]
    commissioning_this_year: int
    commissioning_target: PlanTargetPublic | None
    projects: list[ProgressProjectPublic]
    commissioning_projects: list[ProgressProjectPublic]


class WeatherDayPublic(Public):
    """A day's mean temperature [°C]."""

    day: str
    t_mean_c: float | None
    station: str | None
    batch_id: int | None
    source: str | None


class WeatherMonthPublic(Public):
    """A month's mean temperature and its days."""

    month: str
    t_mean_c: float | None
    n_days: int


class WeatherSummaryPublic(Public):
    """Coverage of the requested days and the monthly means."""

    first: str | None
    last: str | None
    n_days: int
    missing_days: int | None
    months: list[WeatherMonthPublic]


class WeatherPublic(Public):
    """Daily mean temperatures of the district."""

    items: list[WeatherDayPublic]
    total: int
    summary: WeatherSummaryPublic
