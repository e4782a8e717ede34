"""Answers of the targets, dual-control, budget, warning, LMDI and peak endpoints
(``routes/targets.py``)."""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import Detail, Page, Public, Row

__all__ = ["AllocationPublic", "BudgetPublic", "BudgetsPublic", "C40CriterionPublic",
           "C40Public", "DualControlPublic", "EvaluationPublic", "IndicatorBudgetPublic",
           "IndicatorControlPublic", "IndicatorTargetPublic", "LmdiEffectsPublic",
           "LmdiPublic", "LmdiSectorPublic", "MonteCarloBandPublic", "MonteCarloPublic",
           "PathPointPublic",
           "ObservationPublic", "ObservationRecordedPublic", "PeakBasePublic", "PeakPublic",
           "ProjectionYearPublic", "ScenarioParamsPublic", "ScenarioPublic",
           "SeriesPointPublic", "TargetChangePublic", "TargetDetailPublic", "TargetPublic",
           "TargetsPublic", "WarningDetailPublic", "WarningEventPublic", "WarningPublic",
           "WarningsPublic"]


class TargetPublic(Public):
    """A plan target (规划目标) and where it stands; ``history`` is ``[[year, value], …]``."""

    id: int
    code: str
    scope_type: str
    scope_id: str
    section: str
    indicator_zh: str
    indicator_en: str
    kind: str
    metric: str | None
    unit: str
    comparator: str
    baseline_year: int | None
    baseline_value: float | None
    target_year: int | None
    target_value: float | None
    target_text: str
    responsible_units: str
    status: str
    value: float | None
    value_year: int | None
    value_source: str = Field(description="where the value comes from, in English (an "
                              "observation's source as its recorder wrote it)")
    value_source_zh: str = Field(description="the same in Chinese")
    progress_pct: float | None
    path_value: float | None
    required_annual_rate: float | None
    achieved_annual_rate: float | None
    reason_en: str
    reason_zh: str
    n_observations: int
    history: list[list[float | None]]
    status_en: str
    status_zh: str


class TargetsPublic(Page[TargetPublic]):
    """Targets in scope, as at the end of ``year`` (null: the latest)."""

    year: int | None
    years: list[int]


class ObservationPublic(Public):
    """A dated value of a target, with its source."""

    id: int
    target_id: int
    observed_on: str
    value: float | None
    source: str
    actor: str | None
    batch_id: int | None
    created_at: str | None


class TargetChangePublic(Public):
    """A change of the target (audit log); ``details`` are the fields changed (open)."""

    at: str | None
    actor: str
    action: str
    details: Detail | None


class TargetDetailPublic(TargetPublic):
    """A target with its observations and change log."""

    active: bool
    period: str | None
    quote: str | None
    notes: str | None
    source: str | None
    observations: list[ObservationPublic]
    changes: list[TargetChangePublic]


class ObservationRecordedPublic(Public):
    """An observation ``created``, ``updated`` or ``unchanged``."""

    observation: ObservationPublic
    state: str


class SeriesPointPublic(Public):
    """A year of an indicator, with where its value comes from."""

    year: int
    value: float | None
    source: str | None
    source_zh: str | None = None
    source_en: str | None = None


class PathPointPublic(Public):
    """A year of the path to a target."""

    year: int
    value: float


class IndicatorTargetPublic(Public):
    """A plan target of a dual-control indicator."""

    code: str
    target_year: int | None
    target_value: float | None
    target_text: str
    status: str
    required_annual_rate: float | None
    path: list[PathPointPublic] = Field(
        default_factory=list, description="the latest value to the target at the required "
        "yearly rate, one point a year")
    reason_en: str
    reason_zh: str


class IndicatorBudgetPublic(Public):
    """The district budget of an indicator and how much of it is used."""

    year: int
    budget: float | None
    method: str | None
    used_pct: float | None
    status: str


class IndicatorControlPublic(Public):
    """A dual-control indicator (energy or CO2, total or per GDP) against 2020."""

    indicator: str
    name_zh: str
    name_en: str
    unit: str
    baseline_year: int
    baseline_value: float | None
    latest_year: int | None
    latest_value: float | None
    change_vs_baseline_pct: float | None
    series: list[SeriesPointPublic]
    targets: list[IndicatorTargetPublic]
    budget: IndicatorBudgetPublic | None
    status: str
    figure: str | None = Field(default=None, description="the figure catalogue's code of the "
                               "latest value (its basis 口径 and as-of: GET /metrics)")


class DualControlPublic(Public):
    """能耗双控: the four indicators of the district."""

    district: str
    year: int | None
    indicators: list[IndicatorControlPublic]
    notes: list[str]
    deductions: Detail | None = Field(default=None, description="the energy total of the "
                                      "latest year with and without the allowed deductions "
                                      "(GET /projects … services/accounting/certificates)")


class BudgetPublic(Public):
    """An energy or CO2 budget; ``basis`` says how it was derived (open: it depends on the
    method)."""

    id: int
    year: int
    metric: str
    scope_type: str
    scope_id: str | None
    budget: float | None
    method: str
    intensity_target: float | None
    basis: Detail | None
    actor: str | None
    created_at: str | None
    updated_at: str | None


BudgetsPublic = Page[BudgetPublic]


class AllocationPublic(Public):
    """A budget decomposed to streets or key units; the columns of ``rows`` depend on the
    method (open rows, each with its ``unit``)."""

    year: int
    level: str
    method: str
    metric: str
    weight: float
    rows: list[Row]


class WarningPublic(Public):
    """An early warning (分析预警) of a district, street or entity."""

    id: int
    district: str
    year: int
    metric: str
    scope_type: str
    scope_id: str | None
    scope_name: str | None
    street_id: int | None
    level: str
    projected: float | None
    budget: float | None
    ratio: float | None
    months_elapsed: int | None
    reason_zh: str
    reason_en: str
    account_run_id: int | None
    first_raised_at: str | None
    updated_at: str | None


class WarningsPublic(Page[WarningPublic]):
    """Warnings in scope, most severe first."""

    years: list[int]


class WarningEventPublic(Public):
    """A change of a warning's level or projection."""

    event_id: int
    at: str | None
    level: str
    previous_level: str | None
    projected: float | None
    budget: float | None
    ratio: float | None
    months_elapsed: int | None
    reason_zh: str
    reason_en: str
    account_run_id: int | None
    notified: bool


class WarningDetailPublic(WarningPublic):
    """A warning with its history, oldest first."""

    history: list[WarningEventPublic]


class EvaluationPublic(Public):
    """The warnings of a year evaluated: counts by level, events, notifications sent."""

    district: str
    year: int
    metric: str
    months_elapsed: int | None
    account_run_id: int | None
    counts: dict[str, int]
    units: int
    events: int
    notified: int
    notes: list[str]
    notes_zh: list[str]


class LmdiEffectsPublic(Public):
    """The four LMDI effects [tCO2]."""

    activity: float | None
    structure: float | None
    intensity: float | None
    carbon_factor: float | None


class LmdiSectorPublic(LmdiEffectsPublic):
    """A sector's effects and its change [tCO2]."""

    delta_tco2: float | None


class LmdiPublic(Public):
    """Why CO2 changed between two years (LMDI-I)."""

    source: str
    base_year: int
    target_year: int
    co2_base_tco2: float | None
    co2_target_tco2: float | None
    delta_tco2: float | None
    effects: LmdiEffectsPublic
    by_sector: dict[str, LmdiSectorPublic]
    residual_tco2: float | None
    notes: list[str] = Field(description="what the decomposition left out or assumed, in "
                             "English")
    notes_zh: list[str] = Field(description="the same notes in Chinese")
    source_zh: str = Field(description="the data source, in Chinese")


class PeakBasePublic(Public):
    """The base year of the scenarios."""

    year: int
    gdp_10k_cny: float | None
    electricity_kwh: float | None
    fuel_tce: float | None
    grid_factor_tco2_per_kwh: float | None
    fuel_factor_tco2_per_tce: float | None
    pv_generation_kwh: float | None


class C40CriterionPublic(Public):
    """One criterion of the C40 peak test."""

    code: str
    passed: bool
    message_en: str
    message_zh: str


class C40Public(Public):
    """The C40 test of whether emissions have peaked."""

    status: str
    peak_year: int | None
    peak_tco2: float | None
    latest_year: int | None
    below_peak_share: float | None
    criteria: list[C40CriterionPublic]


class ScenarioParamsPublic(Public):
    """The assumptions of a scenario."""

    name: str
    gdp_growth: float | None
    intensity_decline: float | None
    grid_factor_decline: float | None
    electrification: float | None
    pv_added_kwp_per_year: float | None
    pv_yield_kwh_per_kwp: float | None
    retrofit_savings_tce_per_year: float | None


class MonteCarloBandPublic(Public):
    """The 5th, 50th and 95th percentile of a year's CO2 [tCO2]."""

    year: int
    p5: float | None
    p50: float | None
    p95: float | None


class MonteCarloPublic(Public):
    """The Monte Carlo spread of a scenario: peak years and peaks of every draw, bands."""

    n: int
    seed: int | None
    peak_year: list[int]
    peak_tco2: list[float | None]
    share_peaked_by_deadline: float | None
    bands: list[MonteCarloBandPublic]


class ProjectionYearPublic(Public):
    """A projected year of a scenario."""

    year: int
    gdp_10k_cny: float | None
    energy_tce: float | None
    electricity_kwh: float | None
    pv_kwh: float | None
    fuel_tce: float | None
    grid_factor_tco2_per_kwh: float | None
    tco2: float | None
    tco2_per_10k_cny: float | None


class ScenarioPublic(Public):
    """A scenario (bau, plan, enhanced): its peak, projection and Monte Carlo spread."""

    params: ScenarioParamsPublic
    peak_year: int
    peak_tco2: float | None
    peaked_within_horizon: bool
    min_intensity_decline: float | None
    monte_carlo: MonteCarloPublic
    projection: list[ProjectionYearPublic]


class PeakPublic(Public):
    """达峰路径: history (``[[year, tCO2], …]``), C40 test and the scenarios."""

    district: str
    deadline_year: int
    base: PeakBasePublic
    history: list[list[float | None]]
    c40: C40Public
    notes: list[str]
    scenarios: dict[str, ScenarioPublic]
