"""The one vocabulary: every closed list of codes the platform stores, checks or shows.

中文：统一词表——平台存储、校验和展示的每个封闭代码表只在此处拼写一次。

Each list is a :class:`enum.StrEnum`, so a member *is* its stored string
(``WarningLevel.RED == "red"``) and the registry, the files and the API keep their spelling.
Members are declared in the order that matters where one does (warning levels from the most
to the least severe, audit statuses worst first); role groups are defined here once.

Labels (Chinese and English names) are not part of the enums: they live in the message
catalogue, ``carbonpeak/i18n/catalogue/vocabulary.json``, as ``label.<kind>.<value>``
(``Label(kind, value)`` renders through it; :data:`LABEL_KINDS` gives each enum's ``kind``).
The registry enforces the lists with CHECK constraints (migration 0007) and the dashboard
imports them from ``web/static/js/constants.js``, generated from this module by
``python -m carbonpeak.web.constants``.

This module imports nothing of carbonpeak, so every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DispatchFrequency",
    "ReviewLevel",
    "ProjectStage",
    "ProjectKind",
    "CertificateStatus",
    "CertificateKind",
    "ANALYST_ROLES",
    "CITY_ROLES",
    "DISTRICT_FIGURE_ROLES",
    "DONE_BATCH_STATUSES",
    "ENTITY_ROLES",
    "IMPORT_KINDS",
    "LABEL_KINDS",
    "PLAN_KINDS",
    "TARGET_SEVERITY",
    "VOCABULARIES",
    "WRITER_ROLES",
    "AccountEngine",
    "AuditKind",
    "DrBaselineMethod",
    "DrDayType",
    "DrOptStatus",
    "DrProgramme",
    "DrResourceKind",
    "BatchChannel",
    "BatchKind",
    "BatchStatus",
    "BudgetMethod",
    "BudgetMetric",
    "BuildingType",
    "C40Status",
    "CheckStatus",
    "EmissionScope",
    "EnergyCarrier",
    "EntityKind",
    "FactorQuantity",
    "FactorStatus",
    "FigureAsOf",
    "FigureBasis",
    "HeldStatus",
    "ImportOutcome",
    "LakeFileStatus",
    "MeterRegister",
    "MvModelType",
    "Obligation",
    "PvTempModel",
    "OrgKind",
    "ProgrammeKind",
    "ProgrammeStatus",
    "QuotaCaseStatus",
    "QuotaClassSource",
    "QuotaConvention",
    "QuotaRating",
    "QuotaStatus",
    "RetrofitKind",
    "RetrofitStatus",
    "Role",
    "RoofCohort",
    "PvSiteStatus",
    "RoundStatus",
    "RuleStatus",
    "ScheduleStatus",
    "ScopeType",
    "SubmissionStatus",
    "TargetKind",
    "TargetState",
    "TaskProgress",
    "Timeliness",
    "VerifiedKind",
    "WarningLevel",
    "values",
]


# --------------------------------------------------------------------------------------------
# Plan: early warnings, targets, budgets
# --------------------------------------------------------------------------------------------

class WarningLevel(StrEnum):
    """预警级别, from the most to the least severe (the order of :meth:`severity`)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    NO_DATA = "no_data"
    NO_BUDGET = "no_budget"

    @classmethod
    def by_severity(cls) -> tuple[WarningLevel, ...]:
        """Every level, most severe first: red, yellow, green, no_data, no_budget."""
        return tuple(cls)

    @classmethod
    def severity(cls, level: str) -> int:
        """Rank of ``level`` by severity: 0 for red, 1 for yellow, …; an unknown level ranks
        after every known one. Sort ascending to get the most severe first."""
        order = [m.value for m in cls]
        return order.index(level) if level in order else len(order)

    @classmethod
    def alert_rank(cls, level: str | None) -> int:
        """How alarming ``level`` is as an escalation: red 3, yellow 2, green 1, and 0 for
        no_data, no_budget, none or an unknown level (a warning escalates when it rises)."""
        ranks: dict[str, int] = {cls.RED: 3, cls.YELLOW: 2, cls.GREEN: 1}
        return ranks.get(level or "", 0)


class TargetState(StrEnum):
    """Where a plan target stands (目标进展): the trajectory's states, then the checks'."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    NO_DATA = "no_data"
    MET = "met"
    NOT_MET = "not_met"
    NO_TARGET_VALUE = "no_target_value"
    #: the target's period has not begun: the values so far precede its baseline year
    PERIOD_NOT_STARTED = "period_not_started"
    QUALITATIVE = "qualitative"
    APPLIED = "applied"
    INVALID = "invalid"


#: Target states from the worst to the best (an indicator shows its worst target's state).
TARGET_SEVERITY: tuple[TargetState, ...] = (
    TargetState.OFF_TRACK, TargetState.MISSED, TargetState.NOT_MET, TargetState.AT_RISK,
    TargetState.ON_TRACK, TargetState.MET, TargetState.ACHIEVED, TargetState.NO_TARGET_VALUE,
    TargetState.PERIOD_NOT_STARTED, TargetState.NO_DATA,
)


class TargetKind(StrEnum):
    """Kinds of targets in the plans' catalogue."""

    REDUCTION_VS_BASELINE = "reduction_vs_baseline"
    SHARE = "share"
    COUNT = "count"
    CUMULATIVE = "cumulative"
    CAPACITY = "capacity"
    LEVEL = "level"
    DEADLINE = "deadline"
    FREQUENCY = "frequency"


class ScopeType(StrEnum):
    """What a target, budget or warning is about: the district, a street or an entity."""

    DISTRICT = "district"
    STREET = "street"
    ENTITY = "entity"


class BudgetMetric(StrEnum):
    """What a budget limits: energy (tce, equal value) or CO2 (t)."""

    ENERGY_TCE = "energy_tce"
    TCO2 = "tco2"


class BudgetMethod(StrEnum):
    """How a budget was set: by hand (``manual``), from the intensity target's path, or
    decomposed from the district's."""

    MANUAL = "manual"
    INTENSITY_PATH = "intensity_path"
    BASELINE_SHARE = "baseline_share"
    INTENSITY_BENCHMARK = "intensity_benchmark"
    MIXED = "mixed"


class FigureBasis(StrEnum):
    """The basis (口径) of a published figure (the figure catalogue, ``services/figures``): the
    metered account of a run (核算口径), the district statistics (统计口径), an observation
    with its source (programme records), or a plan value (budgets, scenarios)."""

    METERED_ACCOUNT = "metered_account"
    STATISTICS = "statistics"
    OBSERVATION = "observation"
    PLAN_VALUE = "plan_value"


class FigureAsOf(StrEnum):
    """What a figure's as-of date means: the year's official account run, the year's
    statistics row, the end of the year (programme counts, unless asked for another date), or
    the plan as stored (budgets, scenarios)."""

    ACCOUNT_RUN = "account_run"
    STATISTICS_ROW = "statistics_row"
    YEAR_END = "year_end"
    PLAN = "plan"


class C40Status(StrEnum):
    """Whether district CO2 has peaked, by the C40 rule."""

    PEAKED = "peaked"
    NOT_PEAKED = "not_peaked"
    INSUFFICIENT_DATA = "insufficient_data"


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------

class Role(StrEnum):
    """A user's role (one per user, scoped to a district, a street or entities)."""

    DISTRICT_ADMIN = "district_admin"
    DISTRICT_ANALYST = "district_analyst"
    STREET_OFFICER = "street_officer"
    ENTITY_MANAGER = "entity_manager"
    DATA_FEEDER = "data_feeder"
    #: a district department (区发展改革委 …): the plan's tasks and indicators its organisation
    #: leads or supports (``users.org_code``)
    DEPARTMENT_OFFICER = "department_officer"
    #: a load aggregator (负荷聚合商): its own demand-response resources (``users.org_code``)
    AGGREGATOR = "aggregator"
    #: a project developer: its own fixed-asset investment projects (``users.org_code``)
    PROJECT_DEVELOPER = "project_developer"
    #: a city's carbon office (市级): reads the roll-ups of every district of its city
    #: (``users.city_id``), read-only; no district's entities, streets or plan
    CITY_ANALYST = "city_analyst"


#: roles that read everything of their district
ANALYST_ROLES: tuple[Role, ...] = (Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST)
#: roles that read the district's own figures (dual control, the plan's targets): the
#: analysts and the street officers; no entity or organisation role
DISTRICT_FIGURE_ROLES: tuple[Role, ...] = (*ANALYST_ROLES, Role.STREET_OFFICER)
#: roles scoped to the entities they are registered for
ENTITY_ROLES: tuple[Role, ...] = (Role.ENTITY_MANAGER, Role.DATA_FEEDER)
#: roles scoped to the organisation they act for (``users.org_code``): a department, an
#: aggregator, a project developer
ORG_ROLES: tuple[Role, ...] = (Role.DEPARTMENT_OFFICER, Role.AGGREGATOR, Role.PROJECT_DEVELOPER)
#: roles scoped to a city (``users.city_id``): its districts' roll-ups, read-only
CITY_ROLES: tuple[Role, ...] = (Role.CITY_ANALYST,)
#: roles that may push readings and ledgers (each limited to its scope)
WRITER_ROLES: tuple[Role, ...] = (Role.DISTRICT_ADMIN, Role.ENTITY_MANAGER, Role.DATA_FEEDER)


# --------------------------------------------------------------------------------------------
# Energy, entities and meters
# --------------------------------------------------------------------------------------------

class EnergyCarrier(StrEnum):
    """能源品种: the carriers of :data:`carbonpeak.domain.units.CARRIERS`, in its order."""

    ELECTRICITY = "electricity"
    HEAT = "heat"
    NATURAL_GAS = "natural_gas"
    DIESEL = "diesel"
    GASOLINE = "gasoline"
    KEROSENE = "kerosene"
    FUEL_OIL = "fuel_oil"
    LPG = "lpg"
    PV_GENERATION = "pv_generation"


class EmissionScope(StrEnum):
    """``1`` fuel burnt on site, ``2`` purchased electricity or heat, ``generation`` on-site
    generation reported apart."""

    SCOPE_1 = "1"
    SCOPE_2 = "2"
    GENERATION = "generation"


class EntityKind(StrEnum):
    """用能主体类型."""

    BUILDING = "building"
    ENTERPRISE = "enterprise"
    PUBLIC_INSTITUTION = "public_institution"


class BuildingType(StrEnum):
    """建筑类型 of a building entity."""

    OFFICE = "office"
    HOTEL = "hotel"
    MALL = "mall"
    HOSPITAL = "hospital"
    SCHOOL = "school"
    GOVERNMENT = "government"
    DATA_CENTRE = "data_centre"
    MIXED = "mixed"
    OTHER = "other"


class MeterRegister(StrEnum):
    """How a meter reports: usage per interval, or a cumulative register (表码)."""

    INTERVAL = "interval"
    CUMULATIVE = "cumulative"


class FactorQuantity(StrEnum):
    """What a factor converts to: standard coal (equivalent or equal value) or CO2."""

    KGCE_EQUIVALENT = "kgce_equivalent"
    KGCE_EQUAL = "kgce_equal"
    TCO2 = "tco2"


class FactorStatus(StrEnum):
    """How far a factor row's value is checked."""

    VERIFIED = "verified"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"
    USER = "user"


# --------------------------------------------------------------------------------------------
# Imports, batches and the lake
# --------------------------------------------------------------------------------------------

class BatchKind(StrEnum):
    """What a batch imported: the file kinds of ``carbonpeak import`` and the others."""

    ENTITIES = "entities"
    METERS = "meters"
    READINGS = "readings"
    LEDGER = "ledger"
    STATISTICS = "statistics"
    SECTOR_STATISTICS = "sector_statistics"
    TARGETS = "targets"
    OBSERVATIONS = "observations"
    BUDGETS = "budgets"
    WEATHER = "weather"
    RETROFITS = "retrofits"
    ENERGY_AUDITS = "energy_audits"
    OBLIGATION_FILINGS = "obligation_filings"
    ROOFS = "roofs"
    PV_SITES = "pv_sites"
    WEATHER_HOURLY = "weather_hourly"
    DR_TELEMETRY = "dr_telemetry"  # OpenADR telemetry reports of the VPP's VENs


#: the kinds ``carbonpeak import`` takes
IMPORT_KINDS: tuple[BatchKind, ...] = (
    BatchKind.ENTITIES, BatchKind.METERS, BatchKind.READINGS, BatchKind.LEDGER,
    BatchKind.STATISTICS, BatchKind.SECTOR_STATISTICS, BatchKind.TARGETS,
    BatchKind.OBSERVATIONS, BatchKind.BUDGETS,
)
#: the import kinds that are plan records (stored in registry tables, not in the lake)
PLAN_KINDS: tuple[BatchKind, ...] = (
    BatchKind.TARGETS, BatchKind.OBSERVATIONS, BatchKind.BUDGETS, BatchKind.SECTOR_STATISTICS,
)


class BatchStatus(StrEnum):
    """The state of an import batch in the registry."""

    PENDING = "pending"
    COMMITTED = "committed"
    NO_CHANGE = "no_change"
    REJECTED = "rejected"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


#: a batch of these statuses is done: the same file again is a duplicate
DONE_BATCH_STATUSES: tuple[BatchStatus, ...] = (BatchStatus.COMMITTED, BatchStatus.NO_CHANGE)


class ImportOutcome(StrEnum):
    """What an import answers beyond its batch's status: nothing stored again."""

    DUPLICATE = "duplicate"
    REPLAYED = "replayed"


class BatchChannel(StrEnum):
    """How a batch arrived."""

    FILE = "file"
    HTTP = "http"
    MQTT = "mqtt"
    WEB = "web"


class HeldStatus(StrEnum):
    """A suspicious value accepted at intake and held out of the official account: ``held``
    until an analyst ``confirmed`` it (it counts) or ``rejected`` it (it never counts)."""

    HELD = "held"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class AccountEngine(StrEnum):
    """What runs the account's SQL: DuckDB in-process, or Spark SQL."""

    DUCKDB = "duckdb"
    SPARK = "spark"


class LakeFileStatus(StrEnum):
    """A lake file is read while ``live``; a rewrite of its month supersedes it."""

    LIVE = "live"
    SUPERSEDED = "superseded"


# --------------------------------------------------------------------------------------------
# Buildings: quotas, retrofits, M&V, audits
# --------------------------------------------------------------------------------------------

class QuotaStatus(StrEnum):
    """How far a quota row's values are checked."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    PROVISIONAL = "provisional"


class QuotaConvention(StrEnum):
    """How a quota table counts a building's EUI: electricity only (kWh/(m2·a)) or all
    carriers as standard coal (kgce/(m2·a))."""

    KWH_ELECTRICITY = "kwh_electricity"
    KGCE = "kgce"


class QuotaClassSource(StrEnum):
    """Where a building's quota class comes from: assigned by the district, or the table's
    default for its building type."""

    ASSIGNED = "assigned"
    DEFAULT = "default"


class QuotaRating(StrEnum):
    """A building's rating against its quota, best first."""

    MEETS_GUIDE = "meets_guide"
    MEETS_CONSTRAINT = "meets_constraint"
    OVER_CONSTRAINT = "over_constraint"
    NO_QUOTA = "no_quota"
    NO_DATA = "no_data"
    INCOMPLETE_DATA = "incomplete_data"


class QuotaCaseStatus(StrEnum):
    """超限额整改 case: opened, notified to rectify, then closed or escalated."""

    OPEN = "open"
    NOTIFIED = "notified"
    CLOSED = "closed"
    ESCALATED = "escalated"


class RetrofitKind(StrEnum):
    """A retrofit (节能改造) or a commissioning (调适)."""

    RETROFIT = "retrofit"
    COMMISSIONING = "commissioning"


class RetrofitStatus(StrEnum):
    """Where a retrofit project is."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class MvModelType(StrEnum):
    """The M&V baseline model chosen for a project."""

    INTERCEPT_ONLY = "intercept_only"
    HEATING = "heating"
    COOLING = "cooling"
    HEATING_COOLING = "heating_cooling"


class AuditKind(StrEnum):
    """能源审计 or 节能诊断."""

    AUDIT = "audit"
    DIAGNOSIS = "diagnosis"


class ScheduleStatus(StrEnum):
    """Audit schedule of a key unit, worst first."""

    OVERDUE = "overdue"
    NEVER_AUDITED = "never_audited"
    DUE_THIS_YEAR = "due_this_year"
    OK = "ok"


class CheckStatus(StrEnum):
    """One item of a key unit's checklist, worst first."""

    OVERDUE = "overdue"
    MISSING = "missing"
    LATE = "late"
    UNKNOWN = "unknown"
    OK = "ok"
    NOT_APPLICABLE = "not_applicable"


class RuleStatus(StrEnum):
    """How far a rule (a deadline, an interval) is checked against its source."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    DEFAULT = "default"


class VerifiedKind(StrEnum):
    """What a reference-value verification is about (see ``carbonpeak verify``)."""

    FACTOR_ROW = "factor_row"
    QUOTA_ROW = "quota_row"
    RULE = "rule"


class Obligation(StrEnum):
    """The filings a key unit owes (the catalogue is ``carbonpeak.domain.audits.OBLIGATIONS``)."""

    ENERGY_REPORT = "energy_report"
    GHG_REPORT = "ghg_report"
    SAVING_PLAN = "saving_plan"
    ENERGY_MANAGER = "energy_manager"


class DrResourceKind(StrEnum):
    """A flexible resource of the virtual power plant (可调节资源类型)."""

    HVAC = "hvac"
    LIGHTING = "lighting"
    STORAGE = "storage"
    EV_CHARGING = "ev_charging"
    PROCESS = "process"
    PV_CURTAILMENT = "pv_curtailment"


class DrProgramme(StrEnum):
    """A demand-response programme: invitation (日前邀约), real-time/automated (实时/自动),
    frequency regulation (调频, a qualification registry)."""

    INVITATION = "invitation"
    REAL_TIME = "real_time"
    FREQUENCY_REGULATION = "frequency_regulation"


class DrBaselineMethod(StrEnum):
    """A customer baseline method (基线负荷计算方法)."""

    HIGH5OF10 = "high5of10"
    LAST5 = "last5"
    TEN_IN_TEN_ADJUSTED = "10in10_adjusted"
    REGRESSION = "regression"


class DrDayType(StrEnum):
    """A day in the Chinese calendar, 调休 included."""

    WORKING = "working"
    ADJUSTED_WORKING = "adjusted_working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


class DrOptStatus(StrEnum):
    """A participant's answer to an event."""

    PENDING = "pending"
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


# --------------------------------------------------------------------------------------------
# Energy: rooftop PV
# --------------------------------------------------------------------------------------------

class RoofCohort(StrEnum):
    """The cohorts of the roof survey (the plans' and the NEA 2021 pilot notice's groups);
    each roof is also new or existing (``roofs.is_new``)."""

    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    SCHOOL_HOSPITAL = "school_hospital"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"
    RESIDENTIAL = "residential"


class PvSiteStatus(StrEnum):
    """A PV site's state on the carbon map for a year, from its monitoring: the worst month
    decides (underperforming before a data gap before ok)."""

    OK = "ok"
    UNDERPERFORMING = "underperforming"
    DATA_GAP = "data_gap"
    UNMETERED = "unmetered"
    NOT_IN_OPERATION = "not_in_operation"


class PvTempModel(StrEnum):
    """SAPM cell-temperature parameter sets of pvlib (``TEMPERATURE_MODEL_PARAMETERS['sapm']``)."""

    OPEN_RACK_GLASS_POLYMER = "open_rack_glass_polymer"
    OPEN_RACK_GLASS_GLASS = "open_rack_glass_glass"
    CLOSE_MOUNT_GLASS_GLASS = "close_mount_glass_glass"
    INSULATED_BACK_GLASS_POLYMER = "insulated_back_glass_polymer"
class ReviewLevel(StrEnum):
    """Who reviews a project's energy use (节能审查), from none to the province."""

    NONE = "none"
    DISTRICT = "district"
    CITY = "city"
    PROVINCE = "province"


class ProjectKind(StrEnum):
    """A fixed-asset investment project: new (新建), expansion (扩建) or rebuild (改建)."""

    NEW = "new"
    EXPANSION = "expansion"
    REBUILD = "rebuild"


class ProjectStage(StrEnum):
    """Where a project is, in order: 立项/备案, land, design review, 节能审查, construction,
    节能验收, operation."""

    FILING = "filing"
    LAND = "land"
    DESIGN_REVIEW = "design_review"
    ENERGY_REVIEW = "energy_review"
    CONSTRUCTION = "construction"
    ACCEPTANCE = "acceptance"
    OPERATION = "operation"


class CertificateKind(StrEnum):
    """A green certificate (绿证, GEC) or a green-power contract (绿电交易)."""

    GEC = "gec"
    GREEN_POWER = "green_power"


class CertificateStatus(StrEnum):
    """A ledger entry: held (active), retired for a claim, or cancelled."""

    ACTIVE = "active"
    RETIRED = "retired"
    CANCELLED = "cancelled"


# --------------------------------------------------------------------------------------------
# The whole vocabulary
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# Plan supervision (调度 and 考核)
# --------------------------------------------------------------------------------------------
class OrgKind(StrEnum):
    """What a responsible unit is: a department, the leading group's office, a group of
    district-owned enterprises."""

    DEPARTMENT = "department"
    OFFICE = "office"
    GROUP = "group"


class RoundStatus(StrEnum):
    """A dispatch round (调度): open for submissions, or closed."""

    OPEN = "open"
    CLOSED = "closed"


class SubmissionStatus(StrEnum):
    """Where a unit's answer to a round item stands."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class TaskProgress(StrEnum):
    """A task's progress as its unit reports it."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"


class Timeliness(StrEnum):
    """How recent a value is (Kausal Watch's anchors: fresh, acceptable, late, stale)."""

    FRESH = "fresh"
    ACCEPTABLE = "acceptable"
    LATE = "late"
    STALE = "stale"
    NONE = "none"


class ProgrammeKind(StrEnum):
    """Green-creation programmes (绿色创建)."""

    LOW_CARBON_COMMUNITY = "low_carbon_community"
    CONSERVING_INSTITUTION = "conserving_institution"
    GREEN_MALL = "green_mall"
    GREEN_SCHOOL = "green_school"
    DEMONSTRATION = "demonstration"


class DispatchFrequency(StrEnum):
    """How often dispatch rounds (调度) open: the plans say 定期 only."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


class ProgrammeStatus(StrEnum):
    """An application to a green-creation programme."""

    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"


#: every enum with its label kind (the ``<kind>`` of ``label.<kind>.<value>``)
LABEL_KINDS: dict[type[StrEnum], str] = {
    WarningLevel: "warning_level",
    TargetState: "target_state",
    TargetKind: "target_kind",
    ScopeType: "scope_type",
    BudgetMetric: "budget_metric",
    BudgetMethod: "budget_method",
    FigureBasis: "figure_basis",
    FigureAsOf: "figure_as_of",
    C40Status: "c40_status",
    Role: "role",
    EnergyCarrier: "carrier",
    EmissionScope: "emission_scope",
    EntityKind: "entity_kind",
    BuildingType: "building_type",
    MeterRegister: "meter_register",
    FactorQuantity: "factor_quantity",
    FactorStatus: "factor_status",
    BatchKind: "batch_kind",
    BatchStatus: "batch_status",
    ImportOutcome: "import_outcome",
    BatchChannel: "batch_channel",
    HeldStatus: "held_status",
    LakeFileStatus: "lake_file_status",
    AccountEngine: "account_engine",
    QuotaStatus: "quota_status",
    QuotaConvention: "quota_convention",
    QuotaClassSource: "quota_class_source",
    QuotaRating: "quota_rating",
    QuotaCaseStatus: "quota_case_status",
    RetrofitKind: "retrofit_kind",
    RetrofitStatus: "retrofit_status",
    MvModelType: "mv_model_type",
    AuditKind: "audit_kind",
    ScheduleStatus: "schedule_status",
    CheckStatus: "check_status",
    RuleStatus: "rule_status",
    Obligation: "obligation",
    VerifiedKind: "verified_kind",
    RoofCohort: "roof_cohort",
    PvTempModel: "pv_temp_model",
    PvSiteStatus: "pv_site_status",
    OrgKind: "org_kind",
    RoundStatus: "round_status",
    SubmissionStatus: "submission_status",
    TaskProgress: "task_progress",
    Timeliness: "timeliness",
    ProgrammeKind: "programme_kind",
    ProgrammeStatus: "programme_status",
    DispatchFrequency: "dispatch_frequency",
    DrResourceKind: "dr_resource_kind",
    DrProgramme: "dr_programme",
    DrBaselineMethod: "dr_baseline_method",
    DrDayType: "dr_day_type",
    DrOptStatus: "dr_opt_status",
    ReviewLevel: "review_level",
    ProjectKind: "project_kind",
    ProjectStage: "project_stage",
    CertificateKind: "certificate_kind",
    CertificateStatus: "certificate_status",
}
#: every enum of the vocabulary
VOCABULARIES: tuple[type[StrEnum], ...] = tuple(LABEL_KINDS)


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The plain string values of ``enum``, in its order."""
    return tuple(m.value for m in enum)
