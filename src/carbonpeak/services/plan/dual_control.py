"""District dual control (能耗双控 / 碳排放双控): totals and intensities against 2020.

中文：区级能耗和碳排放总量、强度双控：较2020年变化、完成2025和2030年目标所需的年均变化率、状态。

Four indicators from the district series (:mod:`carbonpeak.services.plan.indicators`): energy
total (tce, equal value), energy per GDP, CO2 total and CO2 per GDP. Each is linked to the
catalogue's targets by metric (``energy_total``, ``energy_per_gdp``, ``co2_total``,
``co2_per_gdp``, and ``co2_peak_year`` for the CO2 total) and, for the totals, to the year's
budget. The required yearly rate for a target is the constant rate that takes the latest
value to the target value in the target year.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from carbonpeak.domain.targets import reduction_vs_baseline, required_annual_rate
from carbonpeak.errors import CarbonPeakError
from carbonpeak.i18n import Message, msg, render, stored_text
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.certificates import energy_deductions
from carbonpeak.services.plan.indicators import district_series, finite
from carbonpeak.services.plan.targets import TargetStatus, evaluate_targets
from carbonpeak.storage.registry.models import Budget
from carbonpeak.storage.registry.repositories import plan as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import TARGET_SEVERITY, ScopeType, TargetKind, TargetState

__all__ = ["DualControl", "IndicatorControl", "dual_control"]

BASELINE_YEAR = 2020
INDICATORS = {
    "energy_total": ("能耗总量", "Energy use", "tce", "energy_tce", ("energy_total",)),
    "energy_per_gdp": ("单位GDP能耗", "Energy per GDP", "tce/10^4 CNY", "energy_per_gdp",
                       ("energy_per_gdp",)),
    "co2_total": ("碳排放总量", "CO2 emissions", "tCO2", "co2_t", ("co2_total", "co2_peak_year")),
    "co2_per_gdp": ("单位GDP二氧化碳排放", "CO2 per GDP", "tCO2/10^4 CNY", "co2_per_gdp",
                    ("co2_per_gdp",)),
}
_SEVERITY = list(TARGET_SEVERITY)
# the figure catalogue's code of each indicator's value (its basis and as-of: GET /metrics)
FIGURES = {"energy_total": "energy.statistics", "energy_per_gdp": "intensity.energy_per_gdp",
           "co2_total": "co2.statistics", "co2_per_gdp": "intensity.co2_per_gdp"}


@dataclass
class IndicatorControl:
    """One dual-control indicator."""

    indicator: str
    name_zh: str
    name_en: str
    unit: str
    baseline_year: int
    baseline_value: float | None
    latest_year: int | None
    latest_value: float | None
    change_vs_baseline_pct: float | None
    series: list[dict[str, Any]]
    targets: list[dict[str, Any]] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    status: str = "no_data"
    figure: str | None = None


@dataclass
class DualControl:
    """The district's dual control as of a year."""

    district: str
    year: int | None
    indicators: list[IndicatorControl]
    messages: list[Message] = field(default_factory=list)
    #: the energy total of the latest year with and without the allowed deductions (new
    #: renewables, feedstock, certificates with their cap), district-wide viewers only
    deductions: dict[str, Any] | None = None

    @property
    def notes(self) -> list[str]:
        """The :attr:`messages` in English."""
        return [render(m, "en") for m in self.messages]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the notes in English)."""
        out = asdict(self)
        del out["messages"]
        return {**out, "notes": self.notes}


def dual_control(ws: Workspace, *, district: str | None = None, year: int | None = None,
                 viewer: AccessScope | None = None) -> DualControl:
    """The four dual-control indicators, their targets and budgets, as of ``year``; for a
    ``viewer`` without district-wide sight, with the account's small cells suppressed
    (:func:`~carbonpeak.services.plan.indicators.district_series`)."""
    d = ws.district(district)
    series = district_series(ws, d, viewer)
    if year is not None:
        series = series[series.index <= year]
    statuses = evaluate_targets(ws, district=d.id, year=year, viewer=viewer)
    with ws.registry.session() as s:
        budgets = {(b.year, b.metric): b for b in repo.district_budgets(s, d.id)}
        s.expunge_all()
    out = []
    for key, (zh, en, unit, col, metrics) in INDICATORS.items():
        out.append(_indicator(key, zh, en, unit, series, col, metrics, statuses, budgets))
    notes = []
    if not series.empty:
        last = series.iloc[-1]
        none = msg("plan.source.none")
        notes.append(msg("plan.note.dual_sources", year=int(str(series.index[-1])),
                         energy=last["energy_source"] or none, co2=last["co2_source"] or none))
    deducted = None
    energy = next(i for i in out if i.indicator == "energy_total")
    if (viewer is None or viewer.everything) and energy.latest_year is not None \
            and energy.latest_value is not None:
        try:
            deducted = energy_deductions(ws, d, energy.latest_year,
                                         energy.latest_value).to_dict()
        except CarbonPeakError as exc:  # e.g. no equal-value factor for the year
            notes.append(msg("projects.note.no_deductions", reason=str(exc)))
    return DualControl(d.id, year, out, notes, deducted)


def _indicator(key: str, zh: str, en: str, unit: str, series: pd.DataFrame, col: str,
               metrics: tuple[str, ...], statuses: list[TargetStatus],
               budgets: dict[tuple[int, str], Budget]) -> IndicatorControl:
    vals = series[col].dropna()
    src_col = "energy_source" if col.startswith("energy") else "co2_source"
    rows = [{"year": int(str(y)), "value": float(v),
             "source": stored_text(series[src_col].get(y), "en") or "",
             "source_zh": stored_text(series[src_col].get(y), "zh") or "",
             "source_en": stored_text(series[src_col].get(y), "en") or ""}
            for y, v in vals.items()]
    base = finite(vals.get(BASELINE_YEAR))
    ly = int(str(vals.index[-1])) if len(vals) else None
    lv = float(vals.iloc[-1]) if len(vals) else None
    ic = IndicatorControl(key, zh, en, unit, BASELINE_YEAR, base, ly, lv,
                          -reduction_vs_baseline(base, lv) if base and lv is not None else None,
                          rows, figure=FIGURES.get(key))
    for st in statuses:
        if st.metric in metrics and st.scope_type == ScopeType.DISTRICT:
            ic.targets.append(_target_row(st, lv, ly))
    if key in ("energy_total", "co2_total") and ly is not None:
        b = budgets.get((ly, "energy_tce" if key == "energy_total" else "tco2"))
        if b is not None and lv is not None:
            ic.budget = {"year": ly, "budget": b.budget, "method": b.method,
                         "used_pct": 100.0 * lv / b.budget,
                         "status": TargetState.MET if lv <= b.budget else TargetState.NOT_MET}
    ranked = [t["status"] for t in ic.targets] + ([ic.budget["status"]] if ic.budget else [])
    ic.status = min(ranked, key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else 99,
                    default="no_target" if lv is not None else "no_data")
    return ic


def _target_row(st: TargetStatus, latest: float | None, year: int | None) -> dict[str, Any]:
    target_value = st.target_value
    if (st.kind == TargetKind.REDUCTION_VS_BASELINE and st.baseline_value
            and target_value is not None):
        target_value = st.baseline_value * (1 - target_value / 100.0)
    rate = None
    if (latest and target_value and year is not None and st.target_year is not None
            and st.target_year > year and target_value > 0):
        rate = required_annual_rate(latest, year, target_value, st.target_year)
    # the path the required rate draws: the latest value to the target, one point a year
    path = [{"year": y, "value": float(latest) * (1.0 + rate) ** (y - year)}
            for y in range(year, int(st.target_year) + 1)] \
        if rate is not None and latest and year is not None and st.target_year else []
    return {"code": st.code, "target_year": st.target_year, "target_value": target_value,
            "target_text": st.target_text, "status": st.status,
            "required_annual_rate": rate, "path": path, "reason_en": st.reason_en,
            "reason_zh": st.reason_zh}
