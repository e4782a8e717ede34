"""Why CO2 moved (LMDI) and where it is going (peak scenarios, Monte Carlo, C40 test).

中文：碳排放变化因素分解（LMDI）与达峰路径（情景、蒙特卡洛、C40达峰判定）。

* **LMDI** between two years: with official accounts of both years, by GB/T 4754 section
  (energy and CO2 of the account's entities, value added from the sector statistics); without
  them, on the district series (statistics) as one sector, so the structure effect is 0.
* **Peak**: the base year is the latest year with both a district CO2 figure and an account;
  the account's electricity/fuel mix and factors are scaled to the district's CO2. GDP growth
  of every scenario is the district's own (geometric mean of the last ≤ 5 years of
  statistics) unless given. A scenario's peak year and peak value are taken over the history
  and the projection together: when a year before the base year is higher than every
  projected year, that year is the peak (as in the C40 test), not the base year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from carbonpeak.domain.lmdi import LmdiResult, lmdi_additive
from carbonpeak.domain.peak import (
    BaseYear,
    C40Result,
    MonteCarloResult,
    PeakResult,
    ScenarioParams,
    Uncertainty,
    c40_peak_test,
    default_scenarios,
    min_intensity_decline,
    monte_carlo,
    peak_of,
    project,
)
from carbonpeak.errors import ConfigError, NotFoundError
from carbonpeak.i18n import Message, render, render_both
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.plan.indicators import district_series, sector_frame
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["TARGET_RUNS", "PeakOutlook", "ScenarioOutlook", "decompose", "peak_outlook",
           "peak_target_status"]

#: Spread of the Monte Carlo draws around each scenario value (triangular low/high offsets).
SPREAD = {"gdp_growth": 0.02, "intensity_decline": 0.015, "grid_factor_decline": 0.02,
          "electrification": 0.003}
RELATIVE_SPREAD = {"pv_added_kwp_per_year": 0.5, "retrofit_savings_tce_per_year": 0.5}
#: Monte Carlo draws (seed 0) of the peak target's assessment (:func:`peak_target_status`,
#: e.g. HP-06); the white paper uses the same so that it prints one count.
TARGET_RUNS = 2000


def decompose(ws: Workspace, *, base_year: int, target_year: int,
              district: str | None = None) -> tuple[LmdiResult, Message]:
    """LMDI-I decomposition of the district's CO2 change; returns it and its data source (a
    message, ``plan.source.*``)."""
    d = ws.district(district)
    b, t = sector_frame(ws, d, base_year), sector_frame(ws, d, target_year)
    if b is not None and t is not None and b["value_added_10k_cny"].sum() > 0 \
            and t["value_added_10k_cny"].sum() > 0:
        res = lmdi_additive(b, t, base_year=base_year, target_year=target_year)
        return res, i18n_msg("plan.source.sector_accounts", base=base_year, target=target_year)
    series = district_series(ws, d)
    frames = []
    for y in (base_year, target_year):
        if y not in series.index or bool(
                series.loc[y, ["gdp_10k_cny", "energy_tce", "co2_t"]].isna().any()):
            msg = (f"no GDP, energy and CO2 for {y}: import statistics for it (or account "
                   "it and import its sector statistics)")
            raise NotFoundError(msg)
        row = series.loc[y]
        frames.append(pd.DataFrame({"value_added_10k_cny": [row["gdp_10k_cny"]],
                                    "energy_tce": [row["energy_tce"]], "tco2": [row["co2_t"]]},
                                   index=pd.Index(["total"], name="sector")))
    res = lmdi_additive(frames[0], frames[1], base_year=base_year, target_year=target_year)
    return (replace(res, messages=(*res.messages, i18n_msg("plan.lmdi.one_sector"))),
            i18n_msg("plan.source.district_series"))


@dataclass
class ScenarioOutlook:
    """One scenario's projection and what it means for the peak.

    ``peak_year`` and ``peak_tco2`` are over the history and the projection together (a
    historic year higher than every projected one is the peak), and so are the Monte Carlo
    draws' peaks.
    """

    params: ScenarioParams
    projection: pd.DataFrame
    peak_year: int
    peak_tco2: float
    peaked_within_horizon: bool
    monte_carlo: MonteCarloResult
    min_intensity_decline: float | None


@dataclass
class PeakOutlook:
    """The district's history, its C40 status and the scenarios to ``end_year``."""

    district: str
    base: BaseYear
    history: list[tuple[int, float]]
    c40: C40Result
    scenarios: dict[str, ScenarioOutlook]
    deadline_year: int
    messages: list[Message] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """The :attr:`messages` in English."""
        return [render(m, "en") for m in self.messages]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (projections as lists of rows)."""
        out: dict[str, Any] = {
            "district": self.district, "deadline_year": self.deadline_year,
            "base": self.base.__dict__ | {}, "history": [list(h) for h in self.history],
            "c40": {"status": self.c40.status, "peak_year": self.c40.peak_year,
                    "peak_tco2": self.c40.peak_tco2, "latest_year": self.c40.latest_year,
                    "below_peak_share": self.c40.below_peak_share,
                    "criteria": [{"code": c, "passed": p, "message_en": en, "message_zh": zh}
                                 for c, p, en, zh in self.c40.criteria]},
            "notes": self.notes, "scenarios": {}}
        for name, sc in self.scenarios.items():
            mc = sc.monte_carlo
            out["scenarios"][name] = {
                "params": sc.params.__dict__ | {},
                "peak_year": sc.peak_year, "peak_tco2": sc.peak_tco2,
                "peaked_within_horizon": sc.peaked_within_horizon,
                "min_intensity_decline": sc.min_intensity_decline,
                "monte_carlo": {
                    "n": mc.n, "seed": mc.seed,
                    "peak_year": [mc.peak_year_p5, mc.peak_year_p50, mc.peak_year_p95],
                    "peak_tco2": [mc.peak_tco2_p5, mc.peak_tco2_p50, mc.peak_tco2_p95],
                    "share_peaked_by_deadline": mc.share_peaked_by_deadline,
                    "bands": _rows(mc.bands)},
                "projection": _rows(sc.projection)}
        return out


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A year-indexed frame as JSON rows ``{"year": ..., column: value, ...}``."""
    return [{"year": int(str(y)), **{str(k): float(v) for k, v in row.items()}}
            for y, row in zip(frame.index.tolist(), frame.to_dict("records"), strict=True)]


def _base_year(series: pd.DataFrame, up_to: int | None) -> tuple[BaseYear, list[Message]]:
    usable = series.dropna(subset=["co2_t", "gdp_10k_cny", "account_tco2", "electricity_kwh"])
    if up_to is not None:
        usable = usable[usable.index <= up_to]
    if usable.empty:
        if "suppressed" in series and series["suppressed"].fillna(False).astype(bool).any():
            msg = ("disclosure.suppressed.small_cell: the district account is withheld from "
                   "this role (too few entities outside its scope to publish it)")
            raise NotFoundError(msg)
        msg = ("no year has both a district CO2 figure (statistics or account) and an official "
               "account: run `carbonpeak account --year Y` first")
        raise NotFoundError(msg)
    y = int(usable.index.max())
    r: dict[str, Any] = {str(k): v for k, v in usable.loc[y].to_dict().items()}
    scale = float(r["co2_t"]) / float(r["account_tco2"])
    grid = float(r["electricity_tco2"]) / float(r["electricity_kwh"])
    fuel_factor = float(r["fuel_tco2"]) / float(r["fuel_tce_equivalent"]) \
        if r["fuel_tce_equivalent"] > 0 else 0.0
    base = BaseYear(year=y, gdp_10k_cny=float(r["gdp_10k_cny"]),
                    electricity_kwh=float(r["electricity_kwh"]) * scale,
                    fuel_tce=float(r["fuel_tce_equivalent"]) * scale,
                    grid_factor_tco2_per_kwh=grid, fuel_factor_tco2_per_tce=fuel_factor,
                    pv_generation_kwh=float(r["pv_kwh"] or 0.0) * scale)
    notes = [i18n_msg("plan.note.peak_base", year=y, run=int(r["account_run_id"]), scale=scale,
                 source=r["co2_source"] or i18n_msg("plan.source.none"))]
    return base, notes


def _gdp_growth(series: pd.DataFrame, up_to: int) -> float | None:
    gdp = series["gdp_10k_cny"].dropna()
    gdp = gdp[gdp.index <= up_to].tail(6)
    if len(gdp) < 2:
        return None
    n = int(gdp.index[-1]) - int(gdp.index[0])
    return float((gdp.iloc[-1] / gdp.iloc[0]) ** (1.0 / n) - 1.0) if n > 0 else None


def _uncertainty(p: ScenarioParams) -> Uncertainty:
    def tri(v: float, spread: float) -> tuple[float, float, float]:
        return (v - spread, v, v + spread)

    return Uncertainty(**{k: tri(getattr(p, k), s) for k, s in SPREAD.items()},
                       **{k: tri(getattr(p, k), abs(getattr(p, k)) * s)
                          for k, s in RELATIVE_SPREAD.items()})


def peak_outlook(ws: Workspace, *, district: str | None = None, end_year: int = 2035,
                 deadline_year: int = 2030, runs: int = 2000, seed: int = 0,
                 overrides: dict[str, float] | None = None, up_to_year: int | None = None,
                 current_year: int | None = None,
                 viewer: AccessScope | None = None) -> PeakOutlook:
    """History, C40 status and the bau/plan/enhanced scenarios of the district's CO2.

    ``overrides`` replaces scenario parameters in all three scenarios (e.g.
    ``{"grid_factor_decline": 0.04}``); ``runs`` Monte Carlo draws per scenario, seeded;
    ``viewer``: as a role without district-wide sight sees it (the account's small cells
    suppressed, :func:`~carbonpeak.services.plan.indicators.district_series`).
    """
    d = ws.district(district)
    if not deadline_year < end_year:
        msg = f"the deadline ({deadline_year}) must be before the end year ({end_year})"
        raise ConfigError(msg)
    return _outlook(d, district_series(ws, d, viewer), end_year=end_year,
                    deadline_year=deadline_year, runs=runs, seed=seed,
                    overrides=overrides or {}, up_to_year=up_to_year,
                    current_year=current_year or dt.date.today().year)


def _outlook(d: District, series: pd.DataFrame, *, end_year: int, deadline_year: int,
             runs: int, seed: int, overrides: dict[str, float], up_to_year: int | None,
             current_year: int, only: str | None = None) -> PeakOutlook:
    """The outlook from the district series; ``only`` one scenario (by name) if given."""
    base, notes = _base_year(series, up_to_year)
    if not base.year <= deadline_year:
        msg = (f"the deadline ({deadline_year}) and end year ({end_year}) must not be before "
               f"the base year {base.year}")
        raise ConfigError(msg, i18n_msg("intake.request.peak_years", deadline=deadline_year,
                                        end=end_year, base=base.year))
    hist = series["co2_t"].dropna()
    hist = hist[hist.index <= base.year]
    history = [(int(str(y)), float(v)) for y, v in hist.items()]
    c40 = c40_peak_test([h[0] for h in history], [h[1] for h in history],
                        current_year=current_year)
    growth = _gdp_growth(series, base.year)
    if growth is not None and "gdp_growth" not in overrides:
        overrides = {**overrides, "gdp_growth": growth}
        notes.append(i18n_msg("plan.note.gdp_growth", growth=growth))
    out: dict[str, ScenarioOutlook] = {}
    for name, params in default_scenarios(base).items():
        if only is not None and name != only:
            continue
        p = replace(params, **overrides)  # type: ignore[arg-type]
        proj = project(base, p, end_year=end_year)
        pk = _peak_with_history(history, proj)
        before = [(y, v) for y, v in history if y < int(str(proj.index.min()))]
        top = max(before, key=lambda yv: (yv[1], -yv[0])) if before else None
        mc = monte_carlo(base, p, _uncertainty(p), n=runs, seed=seed, end_year=end_year,
                         deadline_year=deadline_year, history_peak=top)
        need = min_intensity_decline(base, p, deadline_year=deadline_year, end_year=end_year)
        out[name] = ScenarioOutlook(p, proj, pk.peak_year, pk.peak_tco2,
                                    pk.peaked_within_horizon, mc, need)
    return PeakOutlook(d.id, base, history, c40, out, deadline_year, notes)


def _peak_with_history(history: list[tuple[int, float]], proj: pd.DataFrame) -> PeakResult:
    """The first year of the maximum over the history before the projection's first year and
    the projection (``peaked_within_horizon``: the maximum is not in the last projected
    year)."""
    first = int(str(proj.index.min()))
    before = sorted((y, v) for y, v in history if y < first)
    years = [y for y, _ in before] + [int(str(y)) for y in proj.index]
    values = [v for _, v in before] + [float(v) for v in proj["tco2"]]
    return peak_of(years, values)


def peak_target_status(ws: Workspace, d: District, *, deadline_year: int,
                       up_to_year: int | None = None,
                       series: pd.DataFrame | None = None) -> dict[str, Any]:
    """Status of a "peak before ``deadline_year``" target, from the C40 test and the plan
    scenario's Monte Carlo (≥ 80 % of draws peak by the deadline: on track; ≥ 50 %: at risk).

    ``series`` is the district series when the caller has it already.
    """
    current = up_to_year or dt.date.today().year
    if series is None:
        series = district_series(ws, d)
    try:
        base, _notes = _base_year(series, up_to_year)
    except NotFoundError as exc:
        return {"status": "no_data", "value": None, "year": None, "source": None,
                **_reason(i18n_msg("plan.legacy", legacy={"zh": "缺少核算或统计数据，无法评估达峰",
                                                     "en": str(exc)}))}
    if deadline_year < base.year:  # the deadline has passed: only the history can tell
        return _peak_after_deadline(series, deadline_year, base.year, current)
    o = _outlook(d, series, end_year=max(2035, deadline_year + 5), deadline_year=deadline_year,
                 runs=TARGET_RUNS, seed=0, overrides={}, up_to_year=up_to_year,
                 current_year=current, only="plan")
    src = o.messages[0]  # the message (rendered in either language where shown)
    if o.c40.status == "peaked":
        return {"status": "achieved", "value": float(o.c40.peak_year or 0),
                "year": o.c40.latest_year, "source": i18n_msg("plan.value_source.c40"),
                **_reason(i18n_msg("plan.peak.c40_peaked", year=o.c40.peak_year))}
    plan = o.scenarios["plan"]
    share = plan.monte_carlo.share_peaked_by_deadline
    status = "on_track" if share >= 0.8 else "at_risk" if share >= 0.5 else "off_track"
    need = plan.min_intensity_decline
    when = plan.peak_year if plan.peaked_within_horizon else None
    why = i18n_msg("plan.peak.plan_peaks", year=when, peak=float(plan.peak_tco2)) if when \
        else i18n_msg("plan.peak.plan_no_peak", end=int(plan.projection.index.max()))
    why = i18n_msg("plan.peak.draws", reason=why, n=int(plan.monte_carlo.n), share=float(share),
              deadline=deadline_year)
    if need is not None and need > 0:
        why = i18n_msg("plan.peak.needs", reason=why, need=float(need))
    return {
        "status": status, "value": float(when) if when else None, "year": o.base.year,
        "source": src, **_reason(why),
    }


def _reason(why: Message) -> dict[str, Any]:
    """A status's reason: the message and its texts (``reason_zh``, ``reason_en``)."""
    zh, en = render_both(why)
    return {"reason": why, "reason_zh": zh, "reason_en": en}


def _peak_after_deadline(series: pd.DataFrame, deadline_year: int, base_year: int,
                         current_year: int) -> dict[str, Any]:
    """A peak deadline in the past: achieved when the C40 test finds a peak by then."""
    hist = series["co2_t"].dropna()
    hist = hist[hist.index <= base_year]
    c40 = c40_peak_test([int(str(y)) for y in hist.index], hist.to_numpy(dtype="float64"),
                        current_year=current_year)
    ok = c40.status == "peaked" and c40.peak_year is not None and c40.peak_year <= deadline_year
    return {
        "status": "achieved" if ok else "missed",
        "value": float(c40.peak_year) if c40.peak_year is not None else None,
        "year": base_year, "source": i18n_msg("plan.value_source.c40"),
        **_reason(i18n_msg("plan.peak.deadline_passed_peak", deadline=deadline_year,
                           c40=i18n_msg(f"plan.peak.c40.{c40.status}"), year=c40.peak_year)
                  if c40.peak_year else
                  i18n_msg("plan.peak.deadline_passed", deadline=deadline_year,
                           c40=i18n_msg(f"plan.peak.c40.{c40.status}"))),
    }
