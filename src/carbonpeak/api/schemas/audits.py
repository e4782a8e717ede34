"""Answers of the energy-audit and obligations endpoints (``routes/audits.py``)."""

from __future__ import annotations

from pydantic import Field

from carbonpeak.api.schemas.common import Detail, Page, Public

__all__ = ["AuditPublic", "AuditRecordedPublic", "AuditRulePublic", "AuditSchedulePublic",
           "AuditsPublic", "FilingPublic", "FilingRecordedPublic", "ObligationItemPublic",
           "ObligationPublic", "ObligationsPublic", "ObligationsSummaryPublic",
           "RuleEntryPublic", "ScheduleRowPublic", "ScheduleSummaryPublic",
           "StreetCoveragePublic", "UnitObligationsPublic"]


class AuditPublic(Public):
    """An energy audit or diagnosis (能源审计/诊断)."""

    id: int
    entity_id: str
    name: str | None
    street: str | None
    kind: str
    kind_zh: str
    audit_date: str
    auditor: str
    report_ref: str | None
    findings: str | None
    recommended_measures: list[str]
    estimated_savings_tce: float | None
    created_by: str | None


AuditsPublic = Page[AuditPublic]


class AuditRecordedPublic(Public):
    """An audit recorded: ``created``, ``updated`` or ``unchanged``."""

    status: str
    audit: AuditPublic


class ScheduleRowPublic(Public):
    """A building the audit rule covers: last audit, next due date, status."""

    entity_id: str
    name: str
    street: str | None
    kind: str
    building_type: str | None
    floor_area_m2: float | None
    is_key_unit: bool
    n_audits: int
    last_audit_date: str | None
    last_audit_kind: str | None
    last_auditor: str | None
    next_due: str | None
    status: str
    status_zh: str
    status_en: str
    days_overdue: int | None


class RuleEntryPublic(Public):
    """A value of the district's rule with its source and status."""

    value: float | str | list[str] | None
    source: str
    source_zh: str = Field("", description="the source in Chinese (its title and number)")
    status: str
    label_zh: str
    label_en: str


class AuditRulePublic(Public):
    """The profile's audit rule (Huangpu: public buildings ≥ 10,000 m² every 5 years)."""

    min_floor_area_m2: float | None
    interval_years: float | None
    building_types: list[str]
    entity_kinds: list[str]
    kinds: list[str]
    rule_start: str | None
    entries: dict[str, RuleEntryPublic]
    statuses: list[str]


class StreetCoveragePublic(Public):
    """The audit coverage of a street."""

    street: str | None
    n_covered: int
    counts: dict[str, int]
    n_within_interval: int
    coverage: float | None


class ScheduleSummaryPublic(Public):
    """Counts per status, coverage, per street, and the buildings left out (by reason)."""

    n_covered: int
    counts: dict[str, int]
    n_within_interval: int
    coverage: float | None
    left_out: dict[str, int | list[str]]
    by_street: list[StreetCoveragePublic]


class AuditSchedulePublic(Page[ScheduleRowPublic]):
    """The 5-year audit schedule of the buildings in scope."""

    as_of: str
    rule: AuditRulePublic
    summary: ScheduleSummaryPublic


class ObligationItemPublic(Public):
    """One obligation of a key unit with its status and evidence; ``details`` depend on
    the item (shares, filing, buildings, cases: open)."""

    item: str
    code: str
    label_zh: str
    label_en: str
    status: str
    status_zh: str
    status_en: str
    deadline: str | None
    evidence: str
    evidence_zh: str
    details: Detail


class UnitObligationsPublic(Public):
    """A key unit's obligations checklist."""

    entity_id: str
    name: str
    kind: str
    street: str | None
    key_unit_rule: str | None
    key_unit_year: int | None
    partial_scope: bool
    worst: str
    counts: dict[str, int]
    items: list[ObligationItemPublic]


class ObligationPublic(Public):
    """A filing obligation the district's profile lists."""

    code: str
    label_zh: str
    label_en: str
    deadline: str | None
    recurrence: str | None
    status: str
    source: str
    source_zh: str = ""


class ObligationsSummaryPublic(Public):
    """Units, counts per item and status, units with problems."""

    n_units: int
    by_item: dict[str, dict[str, int]]
    units_with_problems: int


class ObligationsPublic(Page[UnitObligationsPublic]):
    """The key units' obligations checklist of a year."""

    year: int
    as_of: str
    account_run_id: int | None
    obligations: list[ObligationPublic]
    monitoring_min_share: float | None
    summary: ObligationsSummaryPublic


class FilingPublic(Public):
    """A key unit's filing of an obligation."""

    id: int
    entity_id: str
    obligation: str
    label_zh: str
    label_en: str
    year: int
    filed_on: str
    deadline: str | None
    reference: str | None
    note: str | None
    created_by: str | None


class FilingRecordedPublic(Public):
    """A filing recorded: ``created``, ``updated`` or ``unchanged``."""

    status: str
    filing: FilingPublic
