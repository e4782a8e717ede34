// Generated from carbonpeak/vocabulary.py by `python -m carbonpeak.web.constants`
// (make setup): do not edit. Each enum's members are in its order; Object.values()
// gives the codes in that order.

export const WarningLevel = Object.freeze({
  RED: 'red',
  YELLOW: 'yellow',
  GREEN: 'green',
  NO_DATA: 'no_data',
  NO_BUDGET: 'no_budget',
});

export const TargetState = Object.freeze({
  ON_TRACK: 'on_track',
  AT_RISK: 'at_risk',
  OFF_TRACK: 'off_track',
  ACHIEVED: 'achieved',
  MISSED: 'missed',
  NO_DATA: 'no_data',
  MET: 'met',
  NOT_MET: 'not_met',
  NO_TARGET_VALUE: 'no_target_value',
  PERIOD_NOT_STARTED: 'period_not_started',
  QUALITATIVE: 'qualitative',
  APPLIED: 'applied',
  INVALID: 'invalid',
});

export const TargetKind = Object.freeze({
  REDUCTION_VS_BASELINE: 'reduction_vs_baseline',
  SHARE: 'share',
  COUNT: 'count',
  CUMULATIVE: 'cumulative',
  CAPACITY: 'capacity',
  LEVEL: 'level',
  DEADLINE: 'deadline',
  FREQUENCY: 'frequency',
});

export const ScopeType = Object.freeze({
  DISTRICT: 'district',
  STREET: 'street',
  ENTITY: 'entity',
});

export const BudgetMetric = Object.freeze({
  ENERGY_TCE: 'energy_tce',
  TCO2: 'tco2',
});

export const BudgetMethod = Object.freeze({
  MANUAL: 'manual',
  INTENSITY_PATH: 'intensity_path',
  BASELINE_SHARE: 'baseline_share',
  INTENSITY_BENCHMARK: 'intensity_benchmark',
  MIXED: 'mixed',
});

export const FigureBasis = Object.freeze({
  METERED_ACCOUNT: 'metered_account',
  STATISTICS: 'statistics',
  OBSERVATION: 'observation',
  PLAN_VALUE: 'plan_value',
});

export const FigureAsOf = Object.freeze({
  ACCOUNT_RUN: 'account_run',
  STATISTICS_ROW: 'statistics_row',
  YEAR_END: 'year_end',
  PLAN: 'plan',
});

export const C40Status = Object.freeze({
  PEAKED: 'peaked',
  NOT_PEAKED: 'not_peaked',
  INSUFFICIENT_DATA: 'insufficient_data',
});

export const Role = Object.freeze({
  DISTRICT_ADMIN: 'district_admin',
  DISTRICT_ANALYST: 'district_analyst',
  STREET_OFFICER: 'street_officer',
  ENTITY_MANAGER: 'entity_manager',
  DATA_FEEDER: 'data_feeder',
  DEPARTMENT_OFFICER: 'department_officer',
  AGGREGATOR: 'aggregator',
  PROJECT_DEVELOPER: 'project_developer',
  CITY_ANALYST: 'city_analyst',
});

export const EnergyCarrier = Object.freeze({
  ELECTRICITY: 'electricity',
  HEAT: 'heat',
  NATURAL_GAS: 'natural_gas',
  DIESEL: 'diesel',
  GASOLINE: 'gasoline',
  KEROSENE: 'kerosene',
  FUEL_OIL: 'fuel_oil',
  LPG: 'lpg',
  PV_GENERATION: 'pv_generation',
});

export const EmissionScope = Object.freeze({
  SCOPE_1: '1',
  SCOPE_2: '2',
  GENERATION: 'generation',
});

export const EntityKind = Object.freeze({
  BUILDING: 'building',
  ENTERPRISE: 'enterprise',
  PUBLIC_INSTITUTION: 'public_institution',
});

export const BuildingType = Object.freeze({
  OFFICE: 'office',
  HOTEL: 'hotel',
  MALL: 'mall',
  HOSPITAL: 'hospital',
  SCHOOL: 'school',
  GOVERNMENT: 'government',
  DATA_CENTRE: 'data_centre',
  MIXED: 'mixed',
  OTHER: 'other',
});

export const MeterRegister = Object.freeze({
  INTERVAL: 'interval',
  CUMULATIVE: 'cumulative',
});

export const FactorQuantity = Object.freeze({
  KGCE_EQUIVALENT: 'kgce_equivalent',
  KGCE_EQUAL: 'kgce_equal',
  TCO2: 'tco2',
});

export const FactorStatus = Object.freeze({
  VERIFIED: 'verified',
  SECONDARY: 'secondary',
  UNVERIFIED: 'unverified',
  USER: 'user',
});

export const BatchKind = Object.freeze({
  ENTITIES: 'entities',
  METERS: 'meters',
  READINGS: 'readings',
  LEDGER: 'ledger',
  STATISTICS: 'statistics',
  SECTOR_STATISTICS: 'sector_statistics',
  TARGETS: 'targets',
  OBSERVATIONS: 'observations',
  BUDGETS: 'budgets',
  WEATHER: 'weather',
  RETROFITS: 'retrofits',
  ENERGY_AUDITS: 'energy_audits',
  OBLIGATION_FILINGS: 'obligation_filings',
  ROOFS: 'roofs',
  PV_SITES: 'pv_sites',
  WEATHER_HOURLY: 'weather_hourly',
  DR_TELEMETRY: 'dr_telemetry',
});

export const BatchStatus = Object.freeze({
  PENDING: 'pending',
  COMMITTED: 'committed',
  NO_CHANGE: 'no_change',
  REJECTED: 'rejected',
  FAILED: 'failed',
  INTERRUPTED: 'interrupted',
});

export const ImportOutcome = Object.freeze({
  DUPLICATE: 'duplicate',
  REPLAYED: 'replayed',
});

export const BatchChannel = Object.freeze({
  FILE: 'file',
  HTTP: 'http',
  MQTT: 'mqtt',
  WEB: 'web',
});

export const HeldStatus = Object.freeze({
  HELD: 'held',
  CONFIRMED: 'confirmed',
  REJECTED: 'rejected',
});

export const LakeFileStatus = Object.freeze({
  LIVE: 'live',
  SUPERSEDED: 'superseded',
});

export const AccountEngine = Object.freeze({
  DUCKDB: 'duckdb',
  SPARK: 'spark',
});

export const QuotaStatus = Object.freeze({
  VERIFIED: 'verified',
  UNVERIFIED: 'unverified',
  PROVISIONAL: 'provisional',
});

export const QuotaConvention = Object.freeze({
  KWH_ELECTRICITY: 'kwh_electricity',
  KGCE: 'kgce',
});

export const QuotaClassSource = Object.freeze({
  ASSIGNED: 'assigned',
  DEFAULT: 'default',
});

export const QuotaRating = Object.freeze({
  MEETS_GUIDE: 'meets_guide',
  MEETS_CONSTRAINT: 'meets_constraint',
  OVER_CONSTRAINT: 'over_constraint',
  NO_QUOTA: 'no_quota',
  NO_DATA: 'no_data',
  INCOMPLETE_DATA: 'incomplete_data',
});

export const QuotaCaseStatus = Object.freeze({
  OPEN: 'open',
  NOTIFIED: 'notified',
  CLOSED: 'closed',
  ESCALATED: 'escalated',
});

export const RetrofitKind = Object.freeze({
  RETROFIT: 'retrofit',
  COMMISSIONING: 'commissioning',
});

export const RetrofitStatus = Object.freeze({
  PLANNED: 'planned',
  IN_PROGRESS: 'in_progress',
  COMPLETED: 'completed',
});

export const MvModelType = Object.freeze({
  INTERCEPT_ONLY: 'intercept_only',
  HEATING: 'heating',
  COOLING: 'cooling',
  HEATING_COOLING: 'heating_cooling',
});

export const AuditKind = Object.freeze({
  AUDIT: 'audit',
  DIAGNOSIS: 'diagnosis',
});

export const ScheduleStatus = Object.freeze({
  OVERDUE: 'overdue',
  NEVER_AUDITED: 'never_audited',
  DUE_THIS_YEAR: 'due_this_year',
  OK: 'ok',
});

export const CheckStatus = Object.freeze({
  OVERDUE: 'overdue',
  MISSING: 'missing',
  LATE: 'late',
  UNKNOWN: 'unknown',
  OK: 'ok',
  NOT_APPLICABLE: 'not_applicable',
});

export const RuleStatus = Object.freeze({
  VERIFIED: 'verified',
  UNVERIFIED: 'unverified',
  DEFAULT: 'default',
});

export const Obligation = Object.freeze({
  ENERGY_REPORT: 'energy_report',
  GHG_REPORT: 'ghg_report',
  SAVING_PLAN: 'saving_plan',
  ENERGY_MANAGER: 'energy_manager',
});

export const VerifiedKind = Object.freeze({
  FACTOR_ROW: 'factor_row',
  QUOTA_ROW: 'quota_row',
  RULE: 'rule',
});

export const RoofCohort = Object.freeze({
  GOVERNMENT: 'government',
  PUBLIC_INSTITUTION: 'public_institution',
  SCHOOL_HOSPITAL: 'school_hospital',
  COMMERCIAL: 'commercial',
  INDUSTRIAL: 'industrial',
  RESIDENTIAL: 'residential',
});

export const PvTempModel = Object.freeze({
  OPEN_RACK_GLASS_POLYMER: 'open_rack_glass_polymer',
  OPEN_RACK_GLASS_GLASS: 'open_rack_glass_glass',
  CLOSE_MOUNT_GLASS_GLASS: 'close_mount_glass_glass',
  INSULATED_BACK_GLASS_POLYMER: 'insulated_back_glass_polymer',
});

export const PvSiteStatus = Object.freeze({
  OK: 'ok',
  UNDERPERFORMING: 'underperforming',
  DATA_GAP: 'data_gap',
  UNMETERED: 'unmetered',
  NOT_IN_OPERATION: 'not_in_operation',
});

export const OrgKind = Object.freeze({
  DEPARTMENT: 'department',
  OFFICE: 'office',
  GROUP: 'group',
});

export const RoundStatus = Object.freeze({
  OPEN: 'open',
  CLOSED: 'closed',
});

export const SubmissionStatus = Object.freeze({
  PENDING: 'pending',
  SUBMITTED: 'submitted',
  ACCEPTED: 'accepted',
  RETURNED: 'returned',
});

export const TaskProgress = Object.freeze({
  NOT_STARTED: 'not_started',
  IN_PROGRESS: 'in_progress',
  COMPLETED: 'completed',
  DELAYED: 'delayed',
});

export const Timeliness = Object.freeze({
  FRESH: 'fresh',
  ACCEPTABLE: 'acceptable',
  LATE: 'late',
  STALE: 'stale',
  NONE: 'none',
});

export const ProgrammeKind = Object.freeze({
  LOW_CARBON_COMMUNITY: 'low_carbon_community',
  CONSERVING_INSTITUTION: 'conserving_institution',
  GREEN_MALL: 'green_mall',
  GREEN_SCHOOL: 'green_school',
  DEMONSTRATION: 'demonstration',
});

export const ProgrammeStatus = Object.freeze({
  APPLIED: 'applied',
  APPROVED: 'approved',
  REJECTED: 'rejected',
});

export const DispatchFrequency = Object.freeze({
  MONTHLY: 'monthly',
  QUARTERLY: 'quarterly',
  HALF_YEARLY: 'half_yearly',
  YEARLY: 'yearly',
});

export const DrResourceKind = Object.freeze({
  HVAC: 'hvac',
  LIGHTING: 'lighting',
  STORAGE: 'storage',
  EV_CHARGING: 'ev_charging',
  PROCESS: 'process',
  PV_CURTAILMENT: 'pv_curtailment',
});

export const DrProgramme = Object.freeze({
  INVITATION: 'invitation',
  REAL_TIME: 'real_time',
  FREQUENCY_REGULATION: 'frequency_regulation',
});

export const DrBaselineMethod = Object.freeze({
  HIGH5OF10: 'high5of10',
  LAST5: 'last5',
  TEN_IN_TEN_ADJUSTED: '10in10_adjusted',
  REGRESSION: 'regression',
});

export const DrDayType = Object.freeze({
  WORKING: 'working',
  ADJUSTED_WORKING: 'adjusted_working',
  WEEKEND: 'weekend',
  HOLIDAY: 'holiday',
});

export const DrOptStatus = Object.freeze({
  PENDING: 'pending',
  OPT_IN: 'opt_in',
  OPT_OUT: 'opt_out',
});

export const ReviewLevel = Object.freeze({
  NONE: 'none',
  DISTRICT: 'district',
  CITY: 'city',
  PROVINCE: 'province',
});

export const ProjectKind = Object.freeze({
  NEW: 'new',
  EXPANSION: 'expansion',
  REBUILD: 'rebuild',
});

export const ProjectStage = Object.freeze({
  FILING: 'filing',
  LAND: 'land',
  DESIGN_REVIEW: 'design_review',
  ENERGY_REVIEW: 'energy_review',
  CONSTRUCTION: 'construction',
  ACCEPTANCE: 'acceptance',
  OPERATION: 'operation',
});

export const CertificateKind = Object.freeze({
  GEC: 'gec',
  GREEN_POWER: 'green_power',
});

export const CertificateStatus = Object.freeze({
  ACTIVE: 'active',
  RETIRED: 'retired',
  CANCELLED: 'cancelled',
});

// orders and groups
export const LEVEL_ORDER = Object.freeze(['red', 'yellow', 'green', 'no_data', 'no_budget']);
export const TARGET_SEVERITY = Object.freeze(['off_track', 'missed', 'not_met', 'at_risk', 'on_track', 'met', 'achieved', 'no_target_value', 'period_not_started', 'no_data']);
export const ANALYST_ROLES = Object.freeze(['district_admin', 'district_analyst']);
export const ENTITY_ROLES = Object.freeze(['entity_manager', 'data_feeder']);
export const DISTRICT_FIGURE_ROLES = Object.freeze(['district_admin', 'district_analyst', 'street_officer']);
export const WRITER_ROLES = Object.freeze(['district_admin', 'entity_manager', 'data_feeder']);
export const IMPORT_KINDS = Object.freeze(['entities', 'meters', 'readings', 'ledger', 'statistics', 'sector_statistics', 'targets', 'observations', 'budgets']);
export const QUOTA_RATINGS = Object.freeze(['meets_guide', 'meets_constraint', 'over_constraint', 'no_quota', 'no_data', 'incomplete_data']);
export const QUOTA_CASE_STATUSES = Object.freeze(['open', 'notified', 'closed', 'escalated']);
