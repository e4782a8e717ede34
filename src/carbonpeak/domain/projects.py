"""New-project energy review (节能审查): routing, budget impact, over-use, certificates.

中文：固定资产投资项目节能审查：审查层级、对剩余能耗/碳排放预算的影响、投运后超用能标记；
绿证抵扣与市场法范围二排放。

Everything here is pure arithmetic on frozen inputs; the services load the factor sets,
budgets and ledgers (:mod:`carbonpeak.services.projects`,
:mod:`carbonpeak.services.accounting.certificates`).

Routing (:func:`route`)
    A province's table of review levels (:data:`ROUTING`), each threshold with its source and
    status; bounds are inclusive (及以上). Energy is counted at the **equivalent value**
    (当量值, electricity 0.1229 kgce/kWh), as the national rule says; a rebuild on the same
    site counts only its increment (:func:`counted`).
Impact (:func:`budget_impact`)
    Remaining budget of the first full year = budget − base use (the district's latest
    energy total, held flat: a stated simplification); the project's share = its equal-value
    tce ÷ that remaining budget; headroom after the pipeline = remaining − Σ pipeline.
Over-use (:func:`over_reviewed_use`)
    Metered use of the first full year > reviewed use × (1 + margin), margin 10 % by default.
Scope 2, dual reporting (:func:`scope2_dual`)
    Location-based = MWh bought × grid factor; market-based = (MWh bought − certificate-backed
    MWh) × residual factor (certificate-backed MWh count 0).
Deductions (:func:`deductions`)
    Energy total with and without the deductions the configured rules allow; certificates from
    plants in the district whose generation is already deducted as new renewables are left
    out up to that generation (:func:`certificate_overlap`): the same MWh never twice.
Intensity (:func:`intensity_effect`)
    The district's energy per unit GDP (statistics basis) in the project's first full year
    without and with the project (its equal-value tce added to the energy, its value added to
    the GDP), against the intensity target's path value of that year (:func:`intensity_path`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from carbonpeak.domain.factors import CarrierFactors
from carbonpeak.domain.targets import path_value
from carbonpeak.vocabulary import EnergyCarrier, ProjectKind, ReviewLevel

__all__ = [
    "DEFAULT_OVERUSE_MARGIN",
    "ROUTING",
    "BudgetImpact",
    "CertificateOverlap",
    "Deduction",
    "DeductionRule",
    "Deductions",
    "EnergyLine",
    "IntensityEffect",
    "IntensityInputs",
    "ProjectEnergy",
    "Routing",
    "RoutingRule",
    "RoutingTable",
    "Scope2",
    "TWO_HIGH_SECTORS",
    "TwoHighSector",
    "budget_impact",
    "certificate_overlap",
    "counted",
    "deductions",
    "intensity_effect",
    "intensity_path",
    "over_reviewed_use",
    "project_energy",
    "route",
    "routing_table",
    "scope2_dual",
    "two_high",
]

#: 节能监察 when metered use exceeds reviewed use by more than this (configurable per call)
DEFAULT_OVERUSE_MARGIN = 0.10


# -- routing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoutingRule:
    """A review level reached at ``min_tce`` (equivalent value) or ``min_kwh`` of electricity,
    both inclusive; ``None`` means that quantity does not reach this level."""

    level: ReviewLevel
    min_tce: float | None
    min_kwh: float | None
    source: str
    status: str


@dataclass(frozen=True)
class RoutingTable:
    """One province's routing, rules from the highest level down; below all: ``none``."""

    region: str
    rules: tuple[RoutingRule, ...]
    below_source: str
    below_status: str


_NDRC = ("固定资产投资项目节能审查办法（国家发展改革委令2023年第2号）：年综合能源消费量1万吨标准煤"
         "及以上（电力按当量值；改建项目按建设前后的增量）由省级节能审查机关审查；不满1000吨标准煤"
         "且年电力消费量不满500万千瓦时的项目不再单独进行节能审查 (as summarised in "
         "shared/reference/ecosystem-notes.md; the Order not read here)")
_GZ = ("粤能规〔2023〕3号 (Guangdong's rules for fixed-asset investment energy review): district "
       "1,000–5,000 tce or ≥ 5 GWh, city 5,000–10,000 tce, province ≥ 10,000 tce; below "
       "1,000 tce and below 5 GWh no separate report (as summarised in shared/reference/"
       "ecosystem-notes.md; the document not read here)")
_SH = ("Shanghai's district/city split of the levels below the province was not found: the "
       "middle band is routed to the district as a placeholder until someone finds the rule")
SECONDARY = "secondary"
UNVERIFIED = "unverified"

ROUTING: dict[str, RoutingTable] = {
    "national": RoutingTable("national", (
        RoutingRule(ReviewLevel.PROVINCE, 10_000.0, None, _NDRC, SECONDARY),
        # the levels below the province are the province's to set: the national rule only
        # says these projects are reviewed (by the local reviewer)
        RoutingRule(ReviewLevel.DISTRICT, 1_000.0, 5_000_000.0, _NDRC, UNVERIFIED),
    ), _NDRC, SECONDARY),
    "Guangdong": RoutingTable("Guangdong", (
        RoutingRule(ReviewLevel.PROVINCE, 10_000.0, None, _GZ, SECONDARY),
        RoutingRule(ReviewLevel.CITY, 5_000.0, None, _GZ, SECONDARY),
        RoutingRule(ReviewLevel.DISTRICT, 1_000.0, 5_000_000.0, _GZ, SECONDARY),
    ), _GZ, SECONDARY),
    "Shanghai": RoutingTable("Shanghai", (
        RoutingRule(ReviewLevel.PROVINCE, 10_000.0, None, _NDRC, SECONDARY),
        RoutingRule(ReviewLevel.DISTRICT, 1_000.0, 5_000_000.0, _SH, UNVERIFIED),
    ), _NDRC, SECONDARY),
}


def routing_table(province: str) -> RoutingTable:
    """The province's table, else the national one."""
    return ROUTING.get(province, ROUTING["national"])


@dataclass(frozen=True)
class Routing:
    """Where a project is reviewed and by which rule."""

    level: ReviewLevel
    tce_equivalent: float
    electricity_kwh: float
    region: str
    source: str
    status: str


def route(tce_equivalent: float, electricity_kwh: float, table: RoutingTable) -> Routing:
    """The review level of a project using ``tce_equivalent`` (当量值) and ``electricity_kwh``
    a year (counted: a rebuild's increment, see :func:`counted`); inclusive bounds.

    >>> route(737.4, 6_000_000, ROUTING["Guangdong"]).level
    <ReviewLevel.DISTRICT: 'district'>
    """
    for rule in table.rules:
        if (rule.min_tce is not None and tce_equivalent >= rule.min_tce) or (
                rule.min_kwh is not None and electricity_kwh >= rule.min_kwh):
            return Routing(rule.level, tce_equivalent, electricity_kwh, table.region,
                           rule.source, rule.status)
    return Routing(ReviewLevel.NONE, tce_equivalent, electricity_kwh, table.region,
                   table.below_source, table.below_status)


# -- 两高 (high energy use, high emissions) ---------------------------------------------------
@dataclass(frozen=True)
class TwoHighSector:
    """A GB/T 4754-2017 code prefix on the 两高 list, with its source and status."""

    prefix: str
    label_zh: str
    source: str
    status: str


_HH45 = ("关于加强高耗能、高排放建设项目生态环境源头防控的指导意见"
         "（环环评〔2021〕45号）: 两高 projects are counted, for now, in six sectors: "
         "煤电, 石化, 化工, 钢铁, 有色金属冶炼, 建材 (text recalled, not read here; "
         "the GB/T 4754 codes are the platform's mapping)")
_GD22 = ("广东省两高项目管理目录（2022年版）: lists products and processes within "
         "the same sectors; the catalogue was not read here, so its entries are "
         "represented by the sector codes (broader than the catalogue: narrow them "
         "when it is obtained)")
#: the shipped 两高 list (a district profile's ``two_high_sectors`` replaces it)
TWO_HIGH_SECTORS: tuple[TwoHighSector, ...] = (
    TwoHighSector("D4411", "煤电（火力发电）", _HH45, UNVERIFIED),
    TwoHighSector("D4412", "热电联产", _HH45, UNVERIFIED),
    TwoHighSector("C251", "石化（精炼石油产品制造）", _HH45, UNVERIFIED),
    TwoHighSector("C26", "化工（化学原料和化学制品制造业）", _HH45, UNVERIFIED),
    TwoHighSector("C31", "钢铁（黑色金属冶炼和压延加工业）", _HH45, UNVERIFIED),
    TwoHighSector("C32", "有色金属冶炼和压延加工业", _HH45, UNVERIFIED),
    TwoHighSector("C30", "建材（非金属矿物制品业）", _HH45, UNVERIFIED),
    TwoHighSector("C3011", "水泥制造", _GD22, UNVERIFIED),
    TwoHighSector("C3041", "平板玻璃制造", _GD22, UNVERIFIED),
    TwoHighSector("C307", "陶瓷制品制造", _GD22, UNVERIFIED),
)


def two_high(sector_code: str,
             sectors: Sequence[TwoHighSector] = TWO_HIGH_SECTORS) -> TwoHighSector | None:
    """The most specific entry of the list whose prefix the GB/T 4754 code starts with.

    >>> two_high("C3011").label_zh, two_high("C3110").prefix, two_high("I6510")
    ('水泥制造', 'C31', None)
    """
    hits = [s for s in sectors if sector_code.upper().startswith(s.prefix)]
    return max(hits, key=lambda s: len(s.prefix), default=None)


# -- a project's energy -----------------------------------------------------------------------
@dataclass(frozen=True)
class EnergyLine:
    """Designed annual use of one carrier, in its canonical unit (kWh, m³, GJ, t);
    ``existing`` is the use before a rebuild on the same site (the same unit)."""

    carrier: str
    quantity: float
    existing: float = 0.0
    feedstock: bool = False


@dataclass(frozen=True)
class ProjectEnergy:
    """A project's designed annual energy: totals and the counted (routing) figures."""

    tce_equivalent: float
    tce_equal: float
    tco2: float
    electricity_kwh: float
    counted_tce_equivalent: float
    counted_electricity_kwh: float
    feedstock_tce_equal: float = 0.0
    by_carrier: tuple[tuple[str, float, float, float], ...] = field(default_factory=tuple)


def counted(kind: str, quantity: float, existing: float) -> float:
    """What counts for routing: the increment of a rebuild (改建, same site), else the whole.

    >>> counted("rebuild", 12_000.0, 4_000.0), counted("new", 12_000.0, 4_000.0)
    (8000.0, 12000.0)
    """
    return max(quantity - existing, 0.0) if kind == ProjectKind.REBUILD else quantity


def project_energy(lines: Sequence[EnergyLine], factors: Mapping[str, CarrierFactors],
                   kind: str = ProjectKind.NEW) -> ProjectEnergy:
    """Totals at equivalent value (当量值), equal value (等价值) and CO2 from the district's
    factors (per canonical unit: kgce/unit, tCO2/unit)."""
    eqv = eql = co2 = kwh = c_eqv = c_kwh = feed = 0.0
    rows = []
    for ln in lines:
        f = factors[ln.carrier]
        a, b, c = (ln.quantity * f.kgce_equivalent / 1000.0, ln.quantity * f.kgce_equal / 1000.0,
                   ln.quantity * f.tco2)
        eqv, eql, co2 = eqv + a, eql + b, co2 + c
        n = counted(kind, ln.quantity, ln.existing)
        c_eqv += n * f.kgce_equivalent / 1000.0
        if ln.carrier == EnergyCarrier.ELECTRICITY:
            kwh += ln.quantity
            c_kwh += n
        if ln.feedstock:
            feed += b
        rows.append((ln.carrier, a, b, c))
    return ProjectEnergy(eqv, eql, co2, kwh, c_eqv, c_kwh, feed, tuple(rows))


# -- budget impact --------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetImpact:
    """A project's share of the remaining budget of its first full year and the headroom."""

    budget: float
    base_use: float
    remaining: float
    project: float
    share: float | None
    pipeline: float
    headroom_after_pipeline: float
    pipeline_exceeds_headroom: bool


def budget_impact(project: float, budget: float, base_use: float,
                  pipeline: Sequence[float]) -> BudgetImpact:
    """``remaining = budget − base_use``; ``share = project ÷ remaining`` (None when nothing
    remains); ``headroom = remaining − Σ pipeline`` (the pipeline includes the project when it
    is approved and not operating).

    >>> budget_impact(2_000.0, 100_000.0, 90_000.0, [2_000.0, 5_000.0]).headroom_after_pipeline
    3000.0
    """
    remaining = budget - base_use
    pipe = float(sum(pipeline))
    share = project / remaining if remaining > 0 else None
    headroom = remaining - pipe
    return BudgetImpact(budget, base_use, remaining, project, share, pipe, headroom,
                        headroom < 0)


def over_reviewed_use(metered: float, reviewed: float,
                      margin: float = DEFAULT_OVERUSE_MARGIN) -> bool:
    """Whether metered use exceeds reviewed use by more than ``margin`` (strictly).

    >>> over_reviewed_use(2_200.0, 2_000.0), over_reviewed_use(2_200.1, 2_000.0)
    (False, True)
    """
    return metered > reviewed * (1.0 + margin) + 1e-9 * max(reviewed, 1.0)


# -- scope 2, dual reporting ------------------------------------------------------------------
@dataclass(frozen=True)
class Scope2:
    """Location- and market-based scope 2 of purchased electricity (GHG Protocol)."""

    purchased_mwh: float
    certified_mwh: float
    location_tco2: float
    market_tco2: float
    grid_factor: float
    residual_factor: float


def scope2_dual(purchased_mwh: float, certified_mwh: float, grid_factor: float,
                residual_factor: float) -> Scope2:
    """``location = purchased × grid``; ``market = (purchased − certified) × residual``, the
    certified MWh (at most the purchased) counting 0 [tCO2/MWh]."""
    backed = min(max(certified_mwh, 0.0), purchased_mwh)
    return Scope2(purchased_mwh, backed, purchased_mwh * grid_factor,
                  (purchased_mwh - backed) * residual_factor, grid_factor, residual_factor)


# -- deductions from the energy total in dual control ----------------------------------------
@dataclass(frozen=True)
class DeductionRule:
    """A deduction from the energy total: enabled or not, an optional cap as a share of a
    base (the certificates' cap: a share of the required savings), with source and status."""

    code: str
    enabled: bool
    source: str
    status: str
    cap_share: float | None = None


@dataclass(frozen=True)
class Deduction:
    """One deduction as applied [tce, equal value]."""

    code: str
    claimed: float
    allowed: float
    capped: bool
    source: str
    status: str


@dataclass(frozen=True)
class Deductions:
    """The energy total with and without the deductions."""

    total: float
    items: tuple[Deduction, ...]

    @property
    def deducted(self) -> float:
        """Σ allowed."""
        return sum(d.allowed for d in self.items)

    @property
    def total_after(self) -> float:
        """The total less the allowed deductions."""
        return self.total - self.deducted


def deductions(total: float, claimed: Mapping[str, float], rules: Sequence[DeductionRule],
               cap_base: Mapping[str, float | None]) -> Deductions:
    """Apply each enabled rule to its claimed amount; a rule with ``cap_share`` is capped at
    ``cap_share × cap_base[code]`` (no base: not capped, and the caller says so).

    >>> r = DeductionRule("certificates", True, "s", "secondary", cap_share=0.5)
    >>> deductions(10_000.0, {"certificates": 902.1}, [r], {"certificates": 1_000.0}).total_after
    9500.0
    """
    items = []
    for rule in rules:
        amount = max(claimed.get(rule.code, 0.0), 0.0)
        if not rule.enabled:
            items.append(Deduction(rule.code, amount, 0.0, False, rule.source, rule.status))
            continue
        base = cap_base.get(rule.code)
        allowed, capped = amount, False
        if rule.cap_share is not None and base is not None and amount > rule.cap_share * base:
            allowed, capped = rule.cap_share * max(base, 0.0), True
        items.append(Deduction(rule.code, amount, allowed, capped, rule.source, rule.status))
    return Deductions(total, tuple(items))


@dataclass(frozen=True)
class CertificateOverlap:
    """Certified MWh of a year split by where the plant lies, and what the deduction counts."""

    outside_mwh: float
    inside_mwh: float
    new_renewables_mwh: float
    excluded_mwh: float

    @property
    def counted_mwh(self) -> float:
        """The MWh the certificate deduction may count."""
        return self.outside_mwh + self.inside_mwh - self.excluded_mwh


def certificate_overlap(outside_mwh: float, inside_mwh: float, new_renewables_mwh: float,
                        new_renewables_deducted: bool) -> CertificateOverlap:
    """Leave out of the certificate deduction the MWh of certificates from plants in the
    district, up to the district's new-renewable generation already deducted as new
    renewables (so the same MWh is never deducted twice). When new renewables are not
    deducted, nothing is left out. Certificates whose plant is not said count as outside.

    >>> certificate_overlap(200.0, 300.0, 1_000.0, True).counted_mwh
    200.0
    """
    excluded = min(max(inside_mwh, 0.0), max(new_renewables_mwh, 0.0)) \
        if new_renewables_deducted else 0.0
    return CertificateOverlap(outside_mwh, inside_mwh, new_renewables_mwh, excluded)


# -- the effect on the intensity path --------------------------------------------------------
@dataclass(frozen=True)
class IntensityInputs:
    """The district's statistics of one year and a project's first-full-year figures.

    ``district_tce`` and ``district_gdp_10k_cny`` are the district statistics (统计口径: energy
    total at equal value, GDP at comparable prices); never the metered account.
    ``path_value`` is the intensity target's path value of ``year`` (None: no target).
    """

    year: int
    district_tce: float
    district_gdp_10k_cny: float
    project_tce_equal: float
    project_value_added_10k_cny: float
    path_value: float | None = None


@dataclass(frozen=True)
class IntensityEffect:
    """Energy per unit GDP [tce/10^4 CNY] without and with the project, and the path."""

    year: int
    without: float
    with_project: float
    change_pct: float
    path_value: float | None
    without_vs_path_pct: float | None
    with_vs_path_pct: float | None


def intensity_effect(i: IntensityInputs) -> IntensityEffect:
    """``without = E ÷ G``; ``with = (E + e) ÷ (G + v)``; ``change = with ÷ without − 1``; the
    distance to the path ``value ÷ path − 1`` (positive: above the path, i.e. behind).

    >>> r = intensity_effect(IntensityInputs(2026, 100_000.0, 2_000_000.0, 5_000.0, 50_000.0))
    >>> round(r.with_project, 6), round(r.change_pct, 2)
    (0.05122, 2.44)

    Raises
    ------
    ValueError
        A GDP (with or without the project) not > 0.
    """
    gdp_with = i.district_gdp_10k_cny + i.project_value_added_10k_cny
    if i.district_gdp_10k_cny <= 0 or gdp_with <= 0:
        msg = f"the district's GDP must be > 0, got {i.district_gdp_10k_cny!r}"
        raise ValueError(msg)
    without = i.district_tce / i.district_gdp_10k_cny
    with_ = (i.district_tce + i.project_tce_equal) / gdp_with
    change = 100.0 * (with_ / without - 1.0) if without > 0 else 0.0

    def vs(v: float) -> float | None:
        if i.path_value is None or i.path_value <= 0:
            return None
        return 100.0 * (v / i.path_value - 1.0)
    return IntensityEffect(i.year, without, with_, change, i.path_value, vs(without), vs(with_))


def intensity_path(*, baseline: float, baseline_year: int, target_year: int, year: int,
                   reduction_pct: float | None = None, target: float | None = None) -> float:
    """The intensity target's path value of ``year``: geometric from the baseline to the
    target (``baseline × (1 − reduction_pct/100)`` for a "reduce by p %" target, else
    ``target``), the target itself from the target year on.

    >>> round(intensity_path(baseline=0.05, baseline_year=2020, target_year=2025, year=2025,
    ...                      reduction_pct=14.0), 6)
    0.043
    """
    goal = baseline * (1.0 - reduction_pct / 100.0) if reduction_pct is not None else target
    if goal is None:
        msg = "an intensity path needs a reduction or a target value"
        raise ValueError(msg)
    return path_value(baseline, baseline_year, goal, target_year, year, shape="geometric")
