"""Energy audits (能源审计/节能诊断) and key units' obligations: the rules, as pure functions.

中文：公共建筑能源审计周期与重点用能单位义务的判定规则（纯函数）。

* :class:`AuditRule` — which buildings an audit rule covers (floor area, building type, entity
  kind) and how often they must be audited; read from a district profile's ``[buildings]``
  table, each value with its source and status.
* :func:`schedule_status` — a building's next due date and status on a date: ``ok``,
  ``due_this_year``, ``overdue`` or ``never_audited``.
* :data:`OBLIGATIONS` — the one catalogue of key units' filings: code, labels, deadline and
  where the rule comes from. :func:`filing_status`, :func:`monitoring_status`,
  :func:`audit_item_status` and :func:`quota_item_status` judge one checklist item each:
  ``ok``, ``late`` (done after the deadline), ``missing`` (not done, not yet overdue),
  ``overdue`` (not done, deadline passed), ``not_applicable`` or ``unknown`` (no figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from carbonpeak.errors import ConfigError
from carbonpeak.vocabulary import (
    AuditKind,
    CheckStatus,
    QuotaCaseStatus,
    RuleStatus,
    ScheduleStatus,
)
from carbonpeak.vocabulary import Obligation as ObligationCode

__all__ = [
    "AUDIT_KINDS",
    "CHECK_STATUSES",
    "OBLIGATIONS",
    "SCHEDULE_STATUSES",
    "AuditRule",
    "KeyUnitRules",
    "Obligation",
    "ScheduleEntry",
    "add_years",
    "audit_item_status",
    "coverage_share",
    "filing_status",
    "monitoring_status",
    "quota_item_status",
    "schedule_status",
]

#: the kinds of audit (their words: the catalogue's ``label.audit_kind.*``)
AUDIT_KINDS: tuple[AuditKind, ...] = tuple(AuditKind)
#: schedule statuses, worst first (``label.schedule_status.*``)
SCHEDULE_STATUSES: tuple[ScheduleStatus, ...] = tuple(ScheduleStatus)
#: checklist statuses, worst first (``label.check_status.*``)
CHECK_STATUSES: tuple[CheckStatus, ...] = tuple(CheckStatus)
RULE_STATUSES: tuple[RuleStatus, ...] = tuple(RuleStatus)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year.

    >>> add_years(dt.date(2020, 2, 29), 5)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February of a leap year
        return day.replace(year=day.year + years, day=28)


# -- the audit rule --------------------------------------------------------------------------
def _entry(table: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    raw = table.get(key)
    if not isinstance(raw, Mapping) or "value" not in raw:
        msg = (f"district profile: [{where}.{key}] is missing or has no value; every entry has "
               "value, source and status (see reference/profiles/huangpu.toml)")
        raise ConfigError(msg)
    status = raw.get("status")
    if status not in RULE_STATUSES:
        msg = (f"district profile: [{where}.{key}] status {status!r} is not one of "
               f"{', '.join(RULE_STATUSES)}")
        raise ConfigError(msg)
    return {"value": raw["value"], "source": str(raw.get("source", "")),
            "source_zh": str(raw.get("source_zh", "")), "status": status,
            "label_zh": str(raw.get("label_zh", "")), "label_en": str(raw.get("label_en", ""))}


def _profile_table(profile: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = profile.get(name)
    if not isinstance(table, Mapping):
        msg = (f"the district profile has no [{name}] table: add it (see "
               "reference/profiles/huangpu.toml), or run `carbonpeak init --profile <district>` "
               "again to store the shipped profile")
        raise ConfigError(msg)
    return table


@dataclass(frozen=True)
class AuditRule:
    """Which buildings must be audited, and how often (from the profile's ``[buildings]``).

    ``entries`` keeps every value with its source and status, for display.
    """

    min_floor_area_m2: float
    interval_years: int
    building_types: tuple[str, ...]
    entity_kinds: tuple[str, ...]
    kinds: tuple[str, ...]
    rule_start: dt.date
    entries: dict[str, dict[str, Any]]

    KEYS = ("audit_min_floor_area_m2", "audit_interval_years", "audit_building_types",
            "audit_entity_kinds", "audit_kinds", "audit_rule_start")

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> AuditRule:
        """Read the rule; :class:`ConfigError` naming the entry when one is missing or bad."""
        table = _profile_table(profile, "buildings")
        e = {k: _entry(table, k, "buildings") for k in cls.KEYS}
        try:
            area = float(e["audit_min_floor_area_m2"]["value"])
            interval = int(e["audit_interval_years"]["value"])
            start = dt.date.fromisoformat(str(e["audit_rule_start"]["value"]))
            kinds = tuple(str(x) for x in e["audit_kinds"]["value"])
        except (TypeError, ValueError) as exc:
            msg = f"district profile [buildings]: {exc}"
            raise ConfigError(msg) from None
        if not area > 0 or interval < 1 or not set(kinds) <= set(AUDIT_KINDS) or not kinds:
            msg = ("district profile [buildings]: the floor area must be > 0, the interval at "
                   f"least 1 year and the kinds among {', '.join(AUDIT_KINDS)}")
            raise ConfigError(msg)
        return cls(min_floor_area_m2=area, interval_years=interval,
                   building_types=tuple(str(x) for x in e["audit_building_types"]["value"]),
                   entity_kinds=tuple(str(x) for x in e["audit_entity_kinds"]["value"]),
                   kinds=kinds, rule_start=start, entries=e)

    def coverage_reason(self, kind: str, building_type: str | None,
                        floor_area_m2: float | None) -> str:
        """``covered``, or why not: ``not_a_building``, ``type_not_counted``,
        ``no_floor_area`` (cannot be judged) or ``below_threshold``. The area threshold
        includes its figure (以上 in Chinese rules includes the number)."""
        if kind not in self.entity_kinds:
            return "not_a_building"
        if building_type not in self.building_types:
            return "type_not_counted"
        if floor_area_m2 is None or floor_area_m2 != floor_area_m2:  # NaN
            return "no_floor_area"
        return "covered" if floor_area_m2 >= self.min_floor_area_m2 else "below_threshold"


@dataclass(frozen=True)
class KeyUnitRules:
    """What a district's key units owe (from the profile's ``[key_units]``)."""

    obligations: tuple[str, ...]
    monitoring_min_share: float
    entries: dict[str, dict[str, Any]]

    KEYS = ("obligations", "monitoring_min_share")

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> KeyUnitRules:
        """Read the rules; :class:`ConfigError` when an entry is missing or names an unknown
        obligation."""
        table = _profile_table(profile, "key_units")
        e = {k: _entry(table, k, "key_units") for k in cls.KEYS}
        codes = tuple(str(x) for x in e["obligations"]["value"])
        unknown = [c for c in codes if c not in OBLIGATIONS]
        try:
            share = float(e["monitoring_min_share"]["value"])
        except (TypeError, ValueError):
            share = -1.0
        if unknown or not 0 < share <= 1:
            msg = (f"district profile [key_units]: unknown obligation(s) {unknown} (known: "
                   f"{', '.join(OBLIGATIONS)}) or monitoring_min_share not within (0, 1]")
            raise ConfigError(msg)
        return cls(obligations=codes, monitoring_min_share=share, entries=e)


# -- the schedule ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleEntry:
    """A covered building's position in the audit cycle on a date."""

    next_due: dt.date
    status: str
    days_overdue: int

    @property
    def within_interval(self) -> bool:
        """Audited within the interval (not yet due again)."""
        return self.status in (ScheduleStatus.OK, ScheduleStatus.DUE_THIS_YEAR)


def schedule_status(last_audit: dt.date | None, as_of: dt.date, *, interval_years: int,
                    rule_start: dt.date) -> ScheduleEntry:
    """Next due date and status of a covered building on ``as_of``.

    * last audit ``L``: due on ``L + interval`` years; ``overdue`` the day after it (days
      overdue counted from the due date), ``due_this_year`` when it falls in ``as_of``'s
      calendar year and has not passed, else ``ok``;
    * never audited: due since the rule's start; ``never_audited``, with the days since the
      start as days overdue (0 while the start is still ahead).
    """
    if last_audit is None:
        return ScheduleEntry(rule_start, ScheduleStatus.NEVER_AUDITED,
                             max(0, (as_of - rule_start).days))
    due = add_years(last_audit, interval_years)
    if due < as_of:
        return ScheduleEntry(due, ScheduleStatus.OVERDUE, (as_of - due).days)
    if due.year == as_of.year:
        return ScheduleEntry(due, ScheduleStatus.DUE_THIS_YEAR, 0)
    return ScheduleEntry(due, ScheduleStatus.OK, 0)


def coverage_share(entries: Iterable[ScheduleEntry]) -> float | None:
    """Share of covered buildings audited within the interval (None when there is none)."""
    flags = [e.within_interval for e in entries]
    return sum(flags) / len(flags) if flags else None


# -- key units' obligations --------------------------------------------------------------------
@dataclass(frozen=True)
class Obligation:
    """A filing a key unit owes.

    ``annual``: one filing per year ``Y``, due ``(Y + due_year_offset)-MM-DD``; ``standing``: a
    filing of any year up to ``Y`` counts (it stays valid until replaced), due the same way.
    ``earliest_year_offset``: a filing for ``Y`` cannot be made before 1 January of
    ``Y + offset`` (a report on a year is made after it ends); ``None`` for no limit.
    """

    code: str
    label_zh: str
    label_en: str
    recurrence: Literal["annual", "standing"]
    due_month: int
    due_day: int
    due_year_offset: int
    earliest_year_offset: int | None
    basis: str
    source: str
    status: str
    #: the same note on the source in Chinese (written beside the English, not translated
    #: at run time)
    source_zh: str = ""

    def deadline(self, year: int) -> dt.date:
        """The deadline of the filing for ``year``."""
        return dt.date(year + self.due_year_offset, self.due_month, self.due_day)

    def earliest(self, year: int) -> dt.date | None:
        """The first day a filing for ``year`` can be made (None: no limit)."""
        if self.earliest_year_offset is None:
            return None
        return dt.date(year + self.earliest_year_offset, 1, 1)


#: The one catalogue of key units' filings (codes, labels, deadlines, sources, statuses).
#: ``status`` is that of the deadline and its basis: verified (official text read),
#: unverified (read in a secondary source or recalled), default (not stated anywhere we
#: read; the platform's assumption, to be confirmed by the district).
OBLIGATIONS: dict[str, Obligation] = {o.code: o for o in (
    Obligation(
        ObligationCode.ENERGY_REPORT, "能源利用状况报告", "energy utilisation status report",
        "annual",
        3, 31, 1, 1,
        basis="节约能源法 第五十三条：重点用能单位应当每年向管理节能工作的部门报送上年度的"
              "能源利用状况报告",
        source="Energy Conservation Law Art. 53 (as quoted in a provincial reporting manual, "
               "2008); the deadline 31 March of the following year is the annual-report date "
               "a Guangdong secondary source gives (quarterly reports apart); not checked "
               "against an official text",
        status=RuleStatus.UNVERIFIED,
        source_zh="《中华人民共和国节约能源法》第五十三条（据2008年一份省级报送手册的引述）；"
                  "期限次年3月31日是广东省一份二手资料给出的年报日期（季报除外）；"
                  "未与正式文本核对"),
    Obligation(
        ObligationCode.GHG_REPORT, "温室气体排放报告", "greenhouse-gas emission report", "annual",
        3, 31, 1, 1,
        basis="黄浦区碳达峰实施方案 (七)1: 结合能源利用状况报告和温室气体排放报告",
        source="named in the Huangpu plan; the plan gives no deadline: 31 March of the "
               "following year, as for the energy report, is a platform default",
        status=RuleStatus.DEFAULT,
        source_zh="黄浦区碳达峰实施方案中提及；方案未给出期限：次年3月31日（与能源利用状况"
                  "报告相同）为平台默认值"),
    Obligation(
        ObligationCode.SAVING_PLAN, "节能减碳工作方案",
        "energy-saving and carbon-reduction work plan", "annual", 6, 30, 0, -1,
        basis="黄浦区碳达峰实施方案 (七)1: 支持引导重点用能单位…制定节能减碳工作方案",
        source="named in the Huangpu plan; the plan gives no deadline: 30 June of the plan's "
               "year (three months after the previous year's reports) is a platform default",
        status=RuleStatus.DEFAULT,
        source_zh="黄浦区碳达峰实施方案中提及；方案未给出期限：当年6月30日（上年度报告报送后"
                  "三个月）为平台默认值"),
    Obligation(
        ObligationCode.ENERGY_MANAGER, "能源管理负责人备案", "energy manager on file", "standing",
        12, 31, 0, None,
        basis="节约能源法 第五十五条：重点用能单位应当设立能源管理岗位…聘任能源管理负责人，"
              "并报管理节能工作的部门和有关部门备案",
        source="Energy Conservation Law Art. 55 (recalled, not checked against the text); a "
               "filing stays valid until replaced; on file by 31 December of the year is a "
               "platform default",
        status=RuleStatus.UNVERIFIED,
        source_zh="《中华人民共和国节约能源法》第五十五条（凭记忆，未与正文核对）；备案在更换前"
                  "持续有效；当年12月31日前备案为平台默认值"),
)}


def filing_status(obligation: Obligation, year: int,
                  filings: Sequence[tuple[int, dt.date]],
                  as_of: dt.date) -> tuple[str, dt.date, tuple[int, dt.date] | None]:
    """Status of one obligation of a unit for ``year`` on ``as_of``.

    ``filings`` are the unit's filings of this obligation as ``(year, filed_on)``; those filed
    after ``as_of`` are ignored (the state as it was then). Returns ``(status, deadline,
    filing used)``: ``ok`` / ``late`` when filed (on time or after the deadline),
    ``overdue`` when not filed and the deadline has passed, else ``missing``.
    """
    deadline = obligation.deadline(year)
    known = [f for f in filings if f[1] <= as_of]
    if obligation.recurrence == "annual":
        match = [f for f in known if f[0] == year]
    else:
        match = sorted((f for f in known if f[0] <= year), key=lambda f: (f[0], f[1]))
    if match:
        used = match[-1]
        if obligation.recurrence == "standing" and used[0] < year:
            return CheckStatus.OK, deadline, used  # an earlier year's filing is still valid
        return (CheckStatus.OK if used[1] <= deadline else CheckStatus.LATE), deadline, used
    return (CheckStatus.OVERDUE if as_of > deadline else CheckStatus.MISSING), deadline, None


def monitoring_status(share: float | None, min_share: float) -> str:
    """``ok`` when the share of the unit's energy measured by meters reaches ``min_share``,
    ``missing`` when it does not, ``unknown`` without a figure."""
    if share is None or share != share:  # NaN
        return CheckStatus.UNKNOWN
    return CheckStatus.OK if share >= min_share else CheckStatus.MISSING


def audit_item_status(entries: Sequence[ScheduleEntry]) -> str:
    """A key unit's audit item from the schedule of its covered buildings.

    No covered building: ``not_applicable``; any overdue, or never audited since a start
    that has passed: ``overdue``; never audited with the start still ahead: ``missing``;
    otherwise ``ok``.
    """
    if not entries:
        return CheckStatus.NOT_APPLICABLE
    if any(e.status == ScheduleStatus.OVERDUE
           or (e.status == ScheduleStatus.NEVER_AUDITED and e.days_overdue > 0)
           for e in entries):
        return CheckStatus.OVERDUE
    if any(e.status == ScheduleStatus.NEVER_AUDITED for e in entries):
        return CheckStatus.MISSING
    return CheckStatus.OK


def quota_item_status(cases: Sequence[tuple[str, dt.date | None]], as_of: dt.date) -> str:
    """A key unit's quota-rectification item from its cases ``(status, deadline)``.

    No case: ``not_applicable``; an escalated case, or an open or notified one past its
    deadline: ``overdue``; an open or notified one within its deadline: ``missing``
    (rectification pending); all closed: ``ok``.
    """
    if not cases:
        return CheckStatus.NOT_APPLICABLE
    pending = [(st, dl) for st, dl in cases if st != QuotaCaseStatus.CLOSED]
    if any(st == QuotaCaseStatus.ESCALATED or (dl is not None and dl < as_of)
           for st, dl in pending):
        return CheckStatus.OVERDUE
    return CheckStatus.MISSING if pending else CheckStatus.OK
