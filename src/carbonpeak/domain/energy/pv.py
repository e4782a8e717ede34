"""Rooftop PV rules: roof potential, cohort shares, progress, performance and forecast errors.

中文：屋顶光伏规则——屋顶潜力、分类屋顶占比、目标进度、性能比与功率预测误差。

Pure functions on frozen inputs (no I/O, no clock). Every default carries its source and a
status that says what the source really is (:class:`Sourced`):

* **Potential** kWp = usable roof area [m²] × module efficiency × 1 kW/m² (the module's
  rated power at STC, 1000 W/m², per m² of module). A default efficiency of 20 % gives
  200 W/m² of module area.
* **Pilot shares** (NEA 2021 整县屋顶分布式光伏开发试点): the least shares of roof area a
  pilot county should equip, per cohort (government 50 %, schools and hospitals and other
  public buildings 40 %, commercial and industrial 30 %, rural residential 20 %).
* **Progress**: capacity (DC kWp and AC kW both, since the plans do not say which) in
  operation at the end of a year, and new capacity commissioned after the base year; the
  count share (roofs with PV over roofs) and the area share (module area, capped by the roof,
  over roof area) per group of cohorts.
* **Performance ratio** (IEC 61724-1): PR = E_AC / (P_DC,STC × H_POA / G_STC), the measured
  AC energy over what the array's rated power would give from the plane-of-array
  irradiation; the **specific yield** is E_AC / P_DC,STC [kWh/kWp]. A month is
  **underperforming** when its PR is below a share of the site's own *modelled* PR (the
  model clips at the inverter's kW AC), not below one fixed PR: a site with a high DC:AC
  ratio loses energy to clipping in sunny months by design.
* **Forecast errors** normalised by capacity, as NB/T 32011 defines the power forecast's
  accuracy: nMAE = Σ|P_m − P_f| / (n × C), nRMSE = √(Σ(P_m − P_f)² / n) / C.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carbonpeak.vocabulary import RoofCohort

__all__ = ["DEFAULT_CLIPPING", "DEFAULT_MIN_COVERAGE", "DEFAULT_MODULE_EFFICIENCY",
           "DEFAULT_FAULT_RATIO", "FORECAST_ACCURACY", "PILOT_SHARES", "STC_KW_PER_M2",
           "CapacityTotals", "ForecastErrors", "MonthCheck", "MonthFlags", "Roof", "RoofShare",
           "Site", "Sourced", "capacity_in_operation", "forecast_errors", "module_area_m2",
           "monitoring_flags", "new_capacity", "performance_ratio", "pilot_potential_kwp",
           "potential_kwp", "roof_share", "specific_yield"]

#: the irradiance of standard test conditions (IEC 60904-3), kW/m²
STC_KW_PER_M2 = 1.0


@dataclass(frozen=True)
class Sourced:
    """A default with where it comes from and how sure we are (verified / secondary /
    unverified, as for factors)."""

    value: float
    source: str
    status: str


DEFAULT_MODULE_EFFICIENCY = Sourced(
    0.20, "Typical mono-Si PERC/TOPCon module datasheets (2021-2024) give 20-22 % module "
          "efficiency; 20 % is a round, cautious default, configurable per district profile",
    "unverified")

#: the NEA 2021 pilot's least shares of roof area per cohort
PILOT_SHARES: dict[RoofCohort, Sourced] = {
    cohort: Sourced(share, "国家能源局综合司《关于报送整县（市、区）屋顶分布式光伏开发试点方案的"
                           "通知》(2021-06-20): 党政机关建筑屋顶总面积可安装光伏发电比例不低于"
                           "50%，学校、医院、村委会等公共建筑不低于40%，工商业厂房不低于30%，"
                           "农村居民屋顶不低于20% (read in secondary reports; the notice itself "
                           "was not read here; urban residential roofs are not named by it and "
                           "take the rural share)", "secondary")
    for cohort, share in ((RoofCohort.GOVERNMENT, 0.50), (RoofCohort.PUBLIC_INSTITUTION, 0.40),
                          (RoofCohort.SCHOOL_HOSPITAL, 0.40), (RoofCohort.COMMERCIAL, 0.30),
                          (RoofCohort.INDUSTRIAL, 0.30), (RoofCohort.RESIDENTIAL, 0.20))
}

DEFAULT_FAULT_RATIO = Sourced(
    0.85, "Platform choice, configurable (profile [pv] fault_ratio): a month is underperforming "
          "when its measured AC energy is below 85 % of the site's own modelled AC energy, "
          "i.e. its PR below 85 % of the modelled PR (same kWp, same POA irradiation). The "
          "model includes the inverter clipping at kW AC (the site's DC:AC ratio), the cell "
          "temperature and the PVWatts losses, so a high DC:AC site in a hot, sunny month is "
          "judged against what it could give, not against one fixed PR. IEC 61724-1 defines "
          "PR but no fault threshold; the 15 % margin for the model's own error (weather "
          "source, soiling, mismatch) was not calibrated on measured fleets", "unverified")
DEFAULT_MIN_COVERAGE = Sourced(
    0.95, "Data gap: fewer than 95 % of a month's expected intervals received (platform "
          "choice, like the account's completeness rules)", "unverified")
DEFAULT_CLIPPING = Sourced(
    0.98, "Suspected clipping: hours at or above 98 % of the inverter's AC rating; flagged "
          "when they are at least 5 % of the month's productive hours (platform choice)",
    "unverified")
#: the share of productive hours at the AC limit from which clipping is suspected
CLIPPING_HOURS_SHARE = 0.05
FORECAST_ACCURACY = Sourced(
    0.15, "NB/T 32011-2013《光伏发电站功率预测系统技术要求》: errors normalised by the "
          "station's capacity in operation (开机容量); the day-ahead RMSE limit of 0.15 is "
          "as secondary sources quote it, the standard itself was not read", "unverified")


@dataclass(frozen=True)
class Roof:
    """One building's roof in the survey."""

    entity_id: str
    cohort: RoofCohort
    is_new: bool
    roof_area_m2: float
    usable_share: float
    street: str = ""


@dataclass(frozen=True)
class Site:
    """One PV installation of the asset registry."""

    site_id: str
    entity_id: str
    kwp_dc: float
    kw_ac: float
    commissioned_on: dt.date


def potential_kwp(usable_area_m2: float, efficiency: float = DEFAULT_MODULE_EFFICIENCY.value,
                  ) -> float:
    """Rated power [kWp] of modules covering ``usable_area_m2``: area × efficiency × 1 kW/m².

    >>> round(potential_kwp(1000.0 * 0.6, 0.20), 6)  # 1000 m² roof, 60 % usable
    120.0
    """
    if usable_area_m2 < 0 or not 0 < efficiency <= 1:
        msg = "usable area must be ≥ 0 and efficiency in (0, 1]"
        raise ValueError(msg)
    return usable_area_m2 * efficiency * STC_KW_PER_M2


def pilot_potential_kwp(roof: Roof, efficiency: float = DEFAULT_MODULE_EFFICIENCY.value,
                        shares: dict[RoofCohort, Sourced] | None = None) -> float:
    """The kWp the NEA pilot share of ``roof``'s cohort asks for (share × roof area × W/m²),
    never more than its usable area gives."""
    share = (shares or PILOT_SHARES)[roof.cohort].value
    area = min(share, roof.usable_share) * roof.roof_area_m2
    return potential_kwp(area, efficiency)


def module_area_m2(kwp_dc: float, efficiency: float = DEFAULT_MODULE_EFFICIENCY.value) -> float:
    """Module area [m²] of ``kwp_dc`` at ``efficiency`` (the inverse of :func:`potential_kwp`)."""
    return kwp_dc / (efficiency * STC_KW_PER_M2)


@dataclass(frozen=True)
class CapacityTotals:
    """DC [kWp] and AC [kW] capacity, and the number of sites."""

    kwp_dc: float
    kw_ac: float
    sites: int


def _in_operation(sites: Iterable[Site], end: dt.date,
                  start: dt.date | None = None) -> list[Site]:
    return [s for s in sites if s.commissioned_on <= end
            and (start is None or s.commissioned_on >= start)]


def capacity_in_operation(sites: Iterable[Site], year: int) -> CapacityTotals:
    """Capacity commissioned by 31 December of ``year``."""
    got = _in_operation(sites, dt.date(year, 12, 31))
    return CapacityTotals(sum(s.kwp_dc for s in got), sum(s.kw_ac for s in got), len(got))


def new_capacity(sites: Iterable[Site], base_year: int, year: int) -> CapacityTotals:
    """Capacity commissioned after the plan's ``base_year`` up to 31 December of ``year``
    (十四五 with base year 2020: 2021-01-01 … year-12-31)."""
    got = _in_operation(sites, dt.date(year, 12, 31), dt.date(base_year + 1, 1, 1))
    return CapacityTotals(sum(s.kwp_dc for s in got), sum(s.kw_ac for s in got), len(got))


@dataclass(frozen=True)
class RoofShare:
    """Roofs of a group with PV: counts, areas and the two shares (None without roofs)."""

    roofs: int
    roofs_with_pv: int
    roof_area_m2: float
    pv_area_m2: float

    @property
    def count_share(self) -> float | None:
        """Roofs with PV over roofs."""
        return self.roofs_with_pv / self.roofs if self.roofs else None

    @property
    def area_share(self) -> float | None:
        """Module area (capped by each roof) over roof area."""
        return self.pv_area_m2 / self.roof_area_m2 if self.roof_area_m2 > 0 else None


def roof_share(roofs: Iterable[Roof], sites: Sequence[Site], year: int, *,
               cohorts: Iterable[RoofCohort], is_new: bool | None = None,
               efficiency: float = DEFAULT_MODULE_EFFICIENCY.value) -> RoofShare:
    """Roofs of ``cohorts`` (new, existing or both when ``is_new`` is None) with PV in
    operation at the end of ``year``.

    A roof has PV when a site on its building was commissioned by then; its PV area is the
    module area of those sites' DC capacity (:func:`module_area_m2`), at most its roof area.
    """
    wanted = set(cohorts)
    kwp: dict[str, float] = {}
    for s in _in_operation(sites, dt.date(year, 12, 31)):
        kwp[s.entity_id] = kwp.get(s.entity_id, 0.0) + s.kwp_dc
    n = n_pv = 0
    area = pv_area = 0.0
    for r in roofs:
        if r.cohort not in wanted or (is_new is not None and r.is_new != is_new):
            continue
        n += 1
        area += r.roof_area_m2
        if r.entity_id in kwp:
            n_pv += 1
            pv_area += min(module_area_m2(kwp[r.entity_id], efficiency), r.roof_area_m2)
    return RoofShare(n, n_pv, area, pv_area)


def specific_yield(ac_kwh: float, kwp_dc: float) -> float:
    """Specific yield [kWh/kWp] (IEC 61724-1 final yield Y_f)."""
    if kwp_dc <= 0:
        msg = "kwp_dc must be > 0"
        raise ValueError(msg)
    return ac_kwh / kwp_dc


def performance_ratio(ac_kwh: float, kwp_dc: float, poa_kwh_m2: float) -> float | None:
    """PR = (E_AC / P0) / (H_POA / G_STC) (IEC 61724-1); None without irradiation.

    >>> round(performance_ratio(800.0, 10.0, 100.0), 6)  # 80 kWh/kWp over 100 kWh/m²
    0.8
    """
    if poa_kwh_m2 <= 0:
        return None
    return specific_yield(ac_kwh, kwp_dc) / (poa_kwh_m2 / STC_KW_PER_M2)


@dataclass(frozen=True)
class MonthCheck:
    """What a month of one site's meter says, against its model."""

    measured_kwh: float
    modelled_kwh: float
    kwp_dc: float
    kw_ac: float
    poa_kwh_m2: float
    intervals_received: int
    intervals_expected: int
    #: hours whose measured energy reached the clipping level, and productive hours
    hours_at_limit: int
    productive_hours: int


@dataclass(frozen=True)
class MonthFlags:
    """The month's figures and flags."""

    performance_ratio: float | None
    specific_yield: float
    measured_over_modelled: float | None
    #: the model's PR over the same irradiation (with clipping, temperature, losses)
    modelled_pr: float | None
    coverage: float
    underperforming: bool
    data_gap: bool
    clipping_suspected: bool


def monitoring_flags(m: MonthCheck, *, fault_ratio: float = DEFAULT_FAULT_RATIO.value,
                     min_coverage: float = DEFAULT_MIN_COVERAGE.value,
                     clipping_share: float = CLIPPING_HOURS_SHARE) -> MonthFlags:
    """PR, specific yield, the ratio to the model and the flags of a month.

    Underperforming: measured < ``fault_ratio`` × modelled energy, the model including the
    inverter's clipping at kW AC (:data:`DEFAULT_FAULT_RATIO`); as PR and modelled PR share
    kWp and POA irradiation, that is PR < ``fault_ratio`` × modelled PR. A month with a data
    gap, or without modelled energy, is not judged (its energy is incomplete, or there is
    nothing to compare with).

    >>> f = monitoring_flags(MonthCheck(13_720.0, 14_000.0, 120.0, 100.0, 180.0, 744, 744,
    ...                                 60, 400))
    >>> round(f.performance_ratio, 3), round(f.modelled_pr, 3), f.underperforming
    (0.635, 0.648, False)
    """
    coverage = m.intervals_received / m.intervals_expected if m.intervals_expected else 0.0
    gap = coverage < min_coverage
    pr = performance_ratio(m.measured_kwh, m.kwp_dc, m.poa_kwh_m2)
    modelled_pr = performance_ratio(m.modelled_kwh, m.kwp_dc, m.poa_kwh_m2)
    ratio = m.measured_kwh / m.modelled_kwh if m.modelled_kwh > 0 else None
    clipping = m.productive_hours > 0 and m.hours_at_limit >= clipping_share * m.productive_hours
    return MonthFlags(pr, specific_yield(m.measured_kwh, m.kwp_dc), ratio, modelled_pr,
                      coverage,
                      underperforming=not gap and ratio is not None and ratio < fault_ratio,
                      data_gap=gap, clipping_suspected=clipping)


@dataclass(frozen=True)
class ForecastErrors:
    """Capacity-normalised errors of a forecast over ``n`` measured hours."""

    n: int
    capacity_kw: float
    nmae: float
    nrmse: float


def forecast_errors(measured_kw: Sequence[float], forecast_kw: Sequence[float],
                    capacity_kw: float) -> ForecastErrors:
    """nMAE and nRMSE of a forecast, normalised by ``capacity_kw`` (NB/T 32011).

    Only the pairs with a measurement count (NaN: none).
    """
    if len(measured_kw) != len(forecast_kw):
        msg = "measured and forecast differ in length"
        raise ValueError(msg)
    if capacity_kw <= 0:
        msg = "capacity must be > 0"
        raise ValueError(msg)
    pairs = [(m, f) for m, f in zip(measured_kw, forecast_kw, strict=True) if not math.isnan(m)]
    if not pairs:
        msg = "no measured value"
        raise ValueError(msg)
    n = len(pairs)
    mae = float(sum(abs(m - f) for m, f in pairs)) / n  # plain floats, whatever the input
    rmse = math.sqrt(float(sum((m - f) ** 2 for m, f in pairs)) / n)
    return ForecastErrors(n, capacity_kw, mae / capacity_kw, rmse / capacity_kw)
