"""Budgets (预算) and their early warning (分析预警) for the district, streets and key units.

中文：能耗/碳排放预算的设定与分解，及区、街道、重点用能单位的年度预警。

Budgets
    * the district's: set by hand (the city's allocation), or derived from the intensity
      target's path: ``GDP_y × path value of energy per GDP in y`` (method ``intensity_path``);
    * streets' and key units': the district budget decomposed (:func:`allocate_budgets`). The
      account covers the metered entities only, so the total decomposed is
      ``Σ baseline × district budget ÷ district energy of the baseline year``: every unit is
      asked for the same change as the district, then the method redistributes it. The
      district's energy (or CO2) of the baseline year is its **statistics** (统计口径), never
      the metered account: a street officer knows its own budget and baseline and the district
      budget, so the denominator follows from them, and the account's total of a year may be
      withheld from that officer (small cells, docs/security.md). Without the statistics the
      decomposition is refused, naming them.
      Key units get an intensity target (their building type's median of the baseline year,
      per m²): one that stays within it gets an elastic total (弹性总量).

Warnings
    The year's and the prior year's official accounts give each unit's monthly use (purchased
    energy, tce equal value, or tCO2; key units consolidated with their buildings). The domain
    (:mod:`carbonpeak.domain.early_warning`) spreads the budget by last year's profile,
    projects the year end and sets the level. Each unit's warning is kept with its history: an
    event is recorded whenever its level, months or projection change; re-running on the same
    data records nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from carbonpeak.domain.accounting import consolidate
from carbonpeak.domain.early_warning import (
    LEVELS,
    Thresholds,
    evaluate,
    rollup_complete,
    sort_by_severity,
)
from carbonpeak.domain.targets import allocate, elastic_budgets, path_value
from carbonpeak.errors import ConfigError, NotFoundError
from carbonpeak.i18n import Message, Text, msg, render
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.plan_records import store_budget
from carbonpeak.services.accounting.account import NO_STREET, load_run_tables, official_run
from carbonpeak.services.plan.indicators import district_series, finite, purchased
from carbonpeak.services.plan.notify import Notifier, should_notify
from carbonpeak.storage.registry.models import (
    Budget,
    District,
    EarlyWarning,
    Street,
    WarningEvent,
    utcnow,
)
from carbonpeak.storage.registry.repositories import plan as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import BudgetMethod, BudgetMetric, ScopeType, TargetKind

__all__ = ["METRIC_COLUMN", "WarningRun", "allocate_budgets", "derive_district_budget",
           "district_warnings", "evaluate_warnings", "list_budgets", "set_budget",
           "warning_events", "warning_page"]

METRIC_COLUMN = {"energy_tce": "tce_equal", "tco2": "tco2"}
UNIT = {"energy_tce": "tce", "tco2": "tCO2"}
_MONTH_COLS = [f"m{i}" for i in range(1, 13)]


def _check_metric(metric: str) -> None:
    if metric not in METRIC_COLUMN:
        msg = f"unknown budget metric {metric!r}; use one of {', '.join(METRIC_COLUMN)}"
        raise ConfigError(msg)


# -- budgets ------------------------------------------------------------------------------
def set_budget(ws: Workspace, *, year: int, metric: str, budget: float,
               scope_type: str = ScopeType.DISTRICT, scope_id: str | None = None,
               intensity_target: float | None = None, district: str | None = None) -> Budget:
    """Set one budget by hand (e.g. the district's allocation from the city)."""
    _check_metric(metric)
    if not (math.isfinite(budget) and budget > 0):
        msg = f"a budget must be a number > 0, got {budget}"
        raise ConfigError(msg)
    d = ws.district(district)
    with ws.registry.session() as s:
        from carbonpeak.intake.plan_records import resolve_scope

        sid = resolve_scope(s, d, scope_type, scope_id or "")
        if sid is None:
            msg = f"no {scope_type} {scope_id!r} in {d.id}"
            raise NotFoundError(msg)
        b = store_budget(s, ws.actor, d.id, year=year, metric=metric, scope_type=scope_type,
                         scope_id=sid, budget=budget, method=BudgetMethod.MANUAL,
                         intensity_target=intensity_target, basis={"set_by": ws.actor})
        s.flush()
        s.expunge(b)
        return b


def derive_district_budget(ws: Workspace, *, year: int, district: str | None = None,
                           metric: str = BudgetMetric.ENERGY_TCE) -> Budget:
    """The district's energy budget of ``year`` from its energy-per-GDP target's path.

    ``budget = GDP_year × path_value(year)`` of the active target with metric
    ``energy_per_gdp`` (baseline from the district series). Needs the year's GDP.
    """
    if metric != BudgetMetric.ENERGY_TCE:
        msg = "only the energy budget can be derived from the intensity path; set a CO2 " \
              "budget by hand"
        raise ConfigError(msg)
    d = ws.district(district)
    series = district_series(ws, d)
    with ws.registry.session() as s:
        t = repo.first_energy_per_gdp_target(s, d.id)
        if t is None or t.target_year is None or t.target_value is None:
            msg = f"{d.id} has no energy-per-GDP target with a value: load the catalogue"
            raise NotFoundError(msg)
        by = t.baseline_year or 2020
        base = series["energy_per_gdp"].get(by)
        gdp = series["gdp_10k_cny"].get(year)
        if base is None or pd.isna(base) or gdp is None or pd.isna(gdp):
            msg = f"derive the {year} budget: need energy per GDP of {by} and GDP of {year}"
            raise NotFoundError(msg)
        target_value = base * (1 - t.target_value / 100) \
            if t.kind == TargetKind.REDUCTION_VS_BASELINE else t.target_value
        per_gdp = path_value(float(base), by, float(target_value), t.target_year, year)
        budget = float(gdp) * per_gdp
        b = store_budget(s, ws.actor, d.id, year=year, metric=metric, scope_type=ScopeType.DISTRICT,
                         scope_id=d.id, budget=budget, method=BudgetMethod.INTENSITY_PATH,
                         intensity_target=per_gdp,
                         basis={"target": t.code, "baseline_year": by,
                                "baseline_energy_per_gdp": float(base),
                                "path_energy_per_gdp": per_gdp, "gdp_10k_cny": float(gdp)})
        s.flush()
        s.expunge(b)
        return b


def _year_tables(ws: Workspace, d: District, year: int,
                 names: list[str]) -> tuple[int, dict[str, pd.DataFrame]] | None:
    with ws.registry.session() as s:
        run = official_run(s, d.id, year)
        if run is not None:
            s.expunge(run)
    if run is None:
        return None
    return run.id, load_run_tables(ws, run, names)


def allocate_budgets(ws: Workspace, *, year: int, level: str, method: str,
                     metric: str = "energy_tce", weight: float = 0.5,
                     district: str | None = None) -> pd.DataFrame:
    """Decompose the district's budget of ``year`` to ``level`` (``streets``/``key_units``).

    The baseline is the prior year's official account; the district's figure it is scaled by
    is the prior year's statistics (NotFoundError naming them when missing: see the module
    docstring). Returns the allocation table (also stored as budgets, audit-logged).
    """
    _check_metric(metric)
    if level not in ("streets", "key_units"):
        msg = f"level must be streets or key_units, got {level!r}"
        raise ConfigError(msg)
    d = ws.district(district)
    prior = year - 1
    got = _year_tables(ws, d, prior, ["inventory_entity_year", "key_units", "eui_building_year"])
    if got is None:
        msg = f"allocating {year} needs the official account of {prior}"
        raise NotFoundError(msg)
    run_id, t = got
    with ws.registry.session() as s:
        db = repo.district_budget(s, d.id, year, metric)
        if db is None:
            msg = (f"no {year} district {metric} budget: set it (`carbonpeak budgets set`) "
                   "or derive it (`carbonpeak budgets derive`)")
            raise NotFoundError(msg)
        district_budget = db.budget
        ents = pd.DataFrame(
            repo.entity_allocation_rows(s, d.id),
            columns=["entity_id", "parent_id", "street_id", "building_type", "floor_area_m2"])
        streets = {st.id: st.code for st in repo.streets_of_district(s, d.id)}
    district_prior = _statistics_of(ws, d, prior, metric)
    if district_prior is None:
        what = Text(zh="能源消费总量", en="total energy use") if metric == "energy_tce" \
            else Text(zh="二氧化碳排放量", en="CO2 emissions")
        raise NotFoundError(i18n_msg("plan.budget.needs_statistics", year=year, base=prior,
                                     what=what))
    ratio = district_budget / district_prior
    units = _units(level, t, ents, streets, METRIC_COLUMN[metric])
    total = float(units["baseline"].sum()) * ratio
    try:
        out = allocate(total, units, method=method, weight=weight)
    except ValueError as exc:
        msg = f"cannot decompose the {year} budget to {level}: {exc}"
        raise ConfigError(msg, i18n_msg("intake.request.cannot_decompose", year=year)) from None
    if level == "key_units":
        out["intensity_target"] = out["benchmark_intensity"]
    with ws.registry.session() as s:
        for uid, r in out.iterrows():
            store_budget(s, ws.actor, d.id, year=year, metric=metric,
                         scope_type=ScopeType.STREET if level == "streets" else ScopeType.ENTITY,
                         scope_id=str(uid), budget=float(r["budget"]), method=method,
                         intensity_target=finite(r.get("intensity_target")),
                         basis={"baseline_year": prior, "baseline_run": run_id,
                                "baseline": float(r["baseline"]),
                                "district_budget": district_budget,
                                "district_baseline": district_prior,
                                "district_baseline_basis": "statistics",
                                "weight": weight if method == "mixed" else None})
    return out


def _statistics_of(ws: Workspace, d: District, year: int, metric: str) -> float | None:
    """The district statistics' energy (tce) or CO2 (t) of ``year`` as recorded (never the
    account, nor the statistics' energy scaled by the account's CO2 per tce); None without
    it."""
    with ws.registry.session() as s:
        st = repo.district_statistics_of(s, d.id, year)
        v = (st.energy_tce if metric == "energy_tce" else st.co2_t) if st is not None else None
    return float(v) if v is not None and math.isfinite(v) and v > 0 else None


def _parents(parent_id: pd.Series) -> dict[str, str | None]:
    """entity id -> parent id (None for top-level entities), from a column indexed by id."""
    return {str(k): (v if isinstance(v, str) else None) for k, v in parent_id.items()}


def _units(level: str, t: dict[str, pd.DataFrame], ents: pd.DataFrame,
           streets: dict[int, str], value_col: str) -> pd.DataFrame:
    """Baseline, activity (floor area) and benchmark intensity per street or key unit."""
    own = purchased(t["inventory_entity_year"]).groupby("entity_id")[value_col].sum()
    e = ents.set_index("entity_id")
    eui = t["eui_building_year"]
    per_m2 = (eui[value_col] / eui["floor_area_m2"]).where(eui["floor_area_m2"] > 0)
    bench_by_type = per_m2.groupby(eui["building_type"]).median()
    e["bench"] = e["building_type"].map(bench_by_type).fillna(float(per_m2.median()))
    if level == "streets":
        e["street"] = e["street_id"].map(streets)
        e["own"] = own.reindex(e.index).fillna(0.0)
        e["area"] = e["floor_area_m2"].fillna(0.0)
        e["bench_energy"] = e["area"] * e["bench"]
        g = e.dropna(subset=["street"]).groupby("street")
        frame = pd.DataFrame({"baseline": g["own"].sum(), "activity": g["area"].sum(),
                              "bench_energy": g["bench_energy"].sum()})
        frame = frame[frame["baseline"] > 0]
    else:
        ku = t["key_units"]
        keys = ku.loc[ku["is_key_unit"].astype(bool), "entity_id"].tolist()
        if not keys:
            msg = "no key units in the baseline year's account"
            raise NotFoundError(msg)
        parents = _parents(e["parent_id"])
        cols = pd.DataFrame({"own": own.reindex(e.index).fillna(0.0),
                             "area": e["floor_area_m2"].fillna(0.0),
                             "bench_energy": e["floor_area_m2"].fillna(0.0) * e["bench"]})
        cons = consolidate(cols, parents, ["own", "area", "bench_energy"])
        frame = pd.DataFrame({"baseline": cons.loc[keys, "own"],
                              "activity": cons.loc[keys, "area"],
                              "bench_energy": cons.loc[keys, "bench_energy"]})
    frame["benchmark_intensity"] = (frame["bench_energy"] / frame["activity"]).where(
        frame["activity"] > 0, 0.0)
    frame.index.name = "unit"
    return frame.drop(columns="bench_energy")


def list_budgets(ws: Workspace, *, year: int | None = None,
                 district: str | None = None) -> list[Budget]:
    """The district's budgets (of a year)."""
    d = ws.district(district)
    with ws.registry.session() as s:
        out = repo.budgets_of_district(s, d.id, year=year)
        s.expunge_all()
        return out


# -- warnings -----------------------------------------------------------------------------
@dataclass
class WarningRun:
    """One evaluation of the early warnings of a year."""

    district: str
    year: int
    metric: str
    months_elapsed: int
    account_run_id: int
    table: pd.DataFrame
    events: list[dict[str, Any]] = field(default_factory=list)
    notified: int = 0
    #: notes on how the run was made, as catalogue messages
    messages: list[Message] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """The :attr:`messages` in English."""
        return [render(m, "en") for m in self.messages]

    def counts(self) -> dict[str, int]:
        """Units per level."""
        return {str(k): int(v) for k, v in self.table["level"].value_counts().items()}


def _monthly(df: pd.DataFrame, key: str, value_col: str) -> pd.DataFrame:
    """Rows ``key``, columns m1..m12 (NaN where the month has no data)."""
    p = purchased(df).copy()
    p["m"] = "m" + p["month"].astype(str).str[5:7].astype(int).astype(str)
    # a month whose every carrier is missing stays NaN (min_count), never a silent zero
    wide = p.pivot_table(index=key, columns="m", values=value_col, aggfunc="sum",
                         min_count=1)
    return wide.reindex(columns=_MONTH_COLS)


def _keyed(kind: str, index: pd.Index) -> pd.MultiIndex:
    """``(kind, id)`` keys of the rows of one kind; an empty index gives an empty two-level
    key (a district without key units has no entity rows)."""
    return pd.MultiIndex.from_arrays([[kind] * len(index), [str(i) for i in index]])


def _unit_months(t: dict[str, pd.DataFrame], value_col: str, ents: pd.DataFrame,
                 street_code: dict[str, str], keys: list[str],
                 street_of: dict[str, str]) -> pd.DataFrame:
    """Monthly use of the district, every street and the given entities (consolidated).

    A roll-up's month (district, street, an entity with its buildings) counts only when every
    unit in it that reports in the year has that month (:func:`rollup_complete`); otherwise it
    is NaN, a month without data for the projection.
    """
    own = _monthly(t["inventory_entity_month"], "entity_id", value_col)
    present = own.notna()
    district = _monthly(t["inventory_district_month"], "district", value_col)
    whole = rollup_complete(present, dict.fromkeys(map(str, own.index), "district"))
    row = whole.reindex(index=["district"], columns=_MONTH_COLS).fillna(True).to_numpy(bool)
    district = district.where(np.repeat(row, len(district), axis=0))
    district.index = _keyed("district", district.index)
    street = _monthly(t["inventory_street_month"], "street", value_col)
    street.index = pd.Index([street_code.get(str(i), str(i)) for i in street.index])
    by_street = rollup_complete(present, {str(e): street_of.get(str(e), NO_STREET)
                                          for e in own.index})
    street = street.where(by_street.reindex(index=street.index, columns=_MONTH_COLS)
                          .fillna(True).to_numpy(bool))
    street.index = _keyed("street", street.index)
    parents = _parents(ents.set_index("entity_id")["parent_id"])
    cons = consolidate(own.fillna(0.0), parents, _MONTH_COLS)
    # a month in which neither the unit nor any descendant had data stays NaN, and so does a
    # month in which one of them (that reports in the year) is missing
    seen = consolidate(present.astype(float), parents, _MONTH_COLS) > 0
    gaps = consolidate((~present).astype(float), parents, _MONTH_COLS) > 0
    cons = cons.where(seen & ~gaps)
    ent = cons.reindex(keys)
    ent.index = _keyed("entity", ent.index)
    return pd.concat([district, street, ent])


def evaluate_warnings(ws: Workspace, *, year: int, district: str | None = None,
                      metric: str = "energy_tce", through_month: int | None = None,
                      thresholds: Thresholds | None = None,
                      notifier: Notifier | None = None) -> WarningRun:
    """Evaluate, store and (with a notifier) send the early warnings of ``year``."""
    _check_metric(metric)
    d = ws.district(district)
    names = ["inventory_district_month", "inventory_street_month", "inventory_entity_month",
             "key_units"]
    cur = _year_tables(ws, d, year, names)
    if cur is None:
        raise NotFoundError(i18n_msg("plan.error.no_official_account", year=year))
    run_id, t = cur
    prev = _year_tables(ws, d, year - 1, names[:3])
    notes = [] if prev is not None else [i18n_msg("plan.warning.no_prior", year=year - 1)]
    th = thresholds or Thresholds(yellow_at=ws.settings.warning_yellow_at,
                                  red_at=ws.settings.warning_red_at)
    col = METRIC_COLUMN[metric]
    with ws.registry.session() as s:
        ents = pd.DataFrame(
            repo.entity_warning_rows(s, d.id),
            columns=["entity_id", "parent_id", "street_id", "name", "floor_area_m2",
                     "is_key_unit"])
        streets = repo.streets_of_district(s, d.id)
        budgets = repo.budgets_of_year(s, d.id, year, metric)
        s.expunge_all()
    by_name = {st.name_zh: st.code for st in streets}
    code_of = {st.id: st.code for st in streets}
    budgeted = [b.scope_id for b in budgets if b.scope_type == "entity"]
    keys = sorted(set(ents.loc[ents["is_key_unit"].astype(bool), "entity_id"]) | set(budgeted))
    street_of = {str(e): code_of.get(sid, NO_STREET) if pd.notna(sid) else NO_STREET
                 for e, sid in zip(ents["entity_id"], ents["street_id"], strict=True)}
    actual = _unit_months(t, col, ents, by_name, keys, street_of)
    prior = _unit_months(prev[1], col, ents, by_name, keys, street_of) if prev is not None \
        else pd.DataFrame(index=actual.index, columns=_MONTH_COLS, dtype="float64")
    # the months elapsed are those with any data (an incomplete last month still counts)
    months = through_month or _months_elapsed(_monthly(t["inventory_district_month"],
                                                       "district", col))
    frame = _frame(actual, prior, budgets)
    notes += _district_share(ws, d, frame, prior, year, metric)
    out = evaluate(frame, months_elapsed=months, thresholds=th, unit=UNIT[metric])
    out = _elastic(frame, out, budgets, ents, months, th, metric)
    out = sort_by_severity(out)
    names_of = _names(d, streets, ents)
    out["scope_name"] = [names_of.get(i, i[1]) for i in out.index]
    wr = WarningRun(d.id, year, metric, months, run_id, out, messages=notes)
    _store(ws, d, wr, ents, streets, notifier)
    return wr


def _district_share(ws: Workspace, d: District, frame: pd.DataFrame, prior: pd.DataFrame,
                    year: int, metric: str) -> list[Message]:
    """Compare the district's metered use with the metered share of its budget.

    The district budget is for all of its energy (statistics); the account covers the
    metered entities. The district row's budget becomes ``budget × account ÷ statistics`` of
    the prior year (the same scaling the decomposition uses).
    """
    key = ("district", d.id)
    if key not in frame.index or not np.isfinite(float(frame["budget"].get(key, np.nan))):
        return []
    series = district_series(ws, d)
    col = "energy_tce" if metric == "energy_tce" else "co2_t"
    whole = series[col].get(year - 1)
    metered = float(prior.loc[[key]].to_numpy(dtype="float64")[0].sum()) \
        if key in prior.index else np.nan
    if whole is None or pd.isna(whole) or pd.isna(metered) or metered <= 0:
        return [i18n_msg("plan.warning.share_as_is", year=year - 1)]
    share = float(metered) / float(whole)
    budget = float(frame["budget"].get(key, np.nan))
    frame.loc[key, "budget"] = budget * share
    return [i18n_msg("plan.warning.share", budget=f"{budget:,.0f}", share=f"{share:.1%}",
                     year=year - 1, scaled=f"{budget * share:,.0f}")]


def _months_elapsed(dist: pd.DataFrame) -> int:
    have = [k + 1 for k, c in enumerate(_MONTH_COLS) if bool(dist[c].notna().any())]
    if not have:
        msg = "the account has no month with data"
        raise NotFoundError(msg)
    return max(have)


def _frame(actual: pd.DataFrame, prior: pd.DataFrame, budgets: list[Budget]) -> pd.DataFrame:
    b = {(x.scope_type, x.scope_id): x.budget for x in budgets}
    frame = pd.DataFrame(index=actual.index)
    frame["budget"] = [b.get((k[0], k[1]), np.nan) if k[0] != "district"
                       else next((x.budget for x in budgets if x.scope_type == "district"),
                                 np.nan) for k in actual.index]
    for i, c in enumerate(_MONTH_COLS, start=1):
        frame[f"actual_{i}"] = actual[c].astype("float64")
        frame[f"prior_{i}"] = prior.reindex(actual.index)[c].astype("float64")
    return frame


def _elastic(frame: pd.DataFrame, out: pd.DataFrame, budgets: list[Budget],
             ents: pd.DataFrame, months: int, th: Thresholds, metric: str) -> pd.DataFrame:
    """Raise the budget of key units that keep within their intensity target (弹性总量)."""
    targets = {x.scope_id: x.intensity_target for x in budgets
               if x.scope_type == "entity" and x.intensity_target}
    out["elastic"] = False
    ids = [i[1] for i in out.index
           if i[0] == "entity" and i[1] in targets and pd.notna(out.loc[i, "projected"])]
    if not ids:
        return out
    keys = [("entity", i) for i in ids]
    e0 = ents.set_index("entity_id")
    parents = _parents(e0["parent_id"])
    area = consolidate(pd.DataFrame({"a": pd.to_numeric(e0["floor_area_m2"]).fillna(0.0)}),
                       parents, ["a"])["a"]  # an enterprise's area is its buildings'
    e = pd.DataFrame({"budget": [float(out.loc[k, "budget"]) for k in keys],
                      "actual": [float(out.loc[k, "projected"]) for k in keys],
                      "activity": [float(area.get(i, 0.0)) for i in ids],
                      "intensity_target": [targets[i] for i in ids]}, index=ids)
    el = elastic_budgets(e)
    raised = [i for i in ids if bool(el.at[i, "elastic"])]
    if not raised:
        return out
    rkeys = [("entity", i) for i in raised]
    f2 = frame.loc[rkeys].copy()
    f2["budget"] = el.loc[raised, "effective_budget"].to_numpy(dtype="float64")
    again = evaluate(f2, months_elapsed=months, thresholds=th, unit=UNIT[metric])
    new = again.to_dict("index")
    lim = el[["intensity_actual", "intensity_target"]].to_numpy(dtype="float64")
    pos = {u: n for n, u in enumerate(ids)}
    for i, k in zip(raised, rkeys, strict=True):
        for c, v in new[k].items():
            out.at[k, c] = v
        out.at[k, "elastic"] = True
        per, tgt = lim[pos[i]]
        why = msg("plan.warning.elastic", reason=again.at[k, "reason"],
                  intensity=f"{per:.4g}", target=f"{tgt:.4g}")
        out.at[k, "reason"] = cast("Any", why)
        out.at[k, "reason_en"], out.at[k, "reason_zh"] = render(why, "en"), render(why, "zh")
    return out


def _names(d: District, streets: list[Street],
           ents: pd.DataFrame) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {("district", d.id): d.name_zh}
    out.update({("street", st.code): st.name_zh for st in streets})
    out.update({("entity", str(k)): str(v) for k, v in zip(ents["entity_id"], ents["name"],
                                                          strict=True)})
    return out


def _store(ws: Workspace, d: District, wr: WarningRun, ents: pd.DataFrame,
           streets: list[Street], notifier: Notifier | None) -> None:
    street_of: dict[tuple[str, str], int | None] = {("street", st.code): st.id
                                                    for st in streets}
    street_of.update({("entity", str(k)): (int(v) if pd.notna(v) else None)
                      for k, v in zip(ents["entity_id"], ents["street_id"], strict=True)})
    now = utcnow()
    with ws.registry.session() as s:
        existing = {(w.scope_type, w.scope_id): w
                    for w in repo.warnings_of_year(s, d.id, wr.year, wr.metric)}
        for key, r in wr.table.iterrows():
            k = (str(key[0]), str(key[1]))  # type: ignore[index]
            vals = {"level": str(r["level"]), "projected": finite(r["projected"]),
                    "budget": finite(r["budget"]), "ratio": finite(r["ratio"]),
                    "months_elapsed": wr.months_elapsed, "reason": r["reason"],
                    "account_run_id": wr.account_run_id}
            w = existing.get(k)
            previous = w.level if w is not None else None
            if w is None:
                w = EarlyWarning(district_id=d.id, year=wr.year, metric=wr.metric,
                                 scope_type=k[0], scope_id=k[1], scope_name=str(r["scope_name"]),
                                 street_id=street_of.get(k), first_raised_at=now,
                                 updated_at=now, **vals)
                s.add(w)
                s.flush()
            elif not _changed(w, vals):
                continue
            else:
                for f, v in vals.items():
                    setattr(w, f, v)
                w.updated_at = now
            ev = WarningEvent(warning_id=w.id, at=now, previous_level=previous, **{
                f: vals[f] for f in ("level", "projected", "budget", "ratio", "months_elapsed",
                                     "reason", "account_run_id")})
            s.add(ev)
            s.flush()
            wr.events.append({"event_id": ev.id, "warning_id": w.id, "year": wr.year,
                              "scope_type": k[0], "scope_id": k[1],
                              "scope_name": w.scope_name, "previous_level": previous, **vals,
                              "reason_zh": w.reason_zh, "reason_en": w.reason_en})
        # every evaluation is audit-logged, also one that changed nothing
        audit(s, ws.actor, "evaluate_warnings", "warning_run", f"{wr.year}:{wr.metric}", {
            "months_elapsed": wr.months_elapsed, "account_run_id": wr.account_run_id,
            "warnings": len(wr.table), "changed": len(wr.events)}, district=d.id)
    if notifier is not None:  # after the commit: a warning is stored before it is sent
        with ws.registry.session() as s:
            wr.notified = _notify(s, notifier, d.id)


def _changed(w: EarlyWarning, vals: dict[str, Any]) -> bool:
    if w.level != vals["level"] or w.months_elapsed != vals["months_elapsed"] \
            or w.account_run_id != vals["account_run_id"] or w.budget != vals["budget"]:
        return True
    a, b = w.projected, vals["projected"]
    if (a is None) != (b is None):
        return True
    return a is not None and b is not None and abs(a - b) > 1e-6 * max(abs(a), 1.0)


def _notify(s: Any, notifier: Notifier, district_id: str) -> int:
    pending = repo.unnotified_events(s, district_id)
    due = [(ev, w) for ev, w in pending
           if should_notify(ev.level, ev.previous_level, notifier.min_level)]
    if not due:
        return 0
    payload = [{"event_id": ev.id, "warning_id": w.id, "district": district_id,
                "year": w.year, "metric": w.metric, "scope_type": w.scope_type,
                "scope_id": w.scope_id, "scope_name": w.scope_name, "level": ev.level,
                "previous_level": ev.previous_level, "projected": ev.projected,
                "budget": ev.budget, "ratio": ev.ratio, "months_elapsed": ev.months_elapsed,
                "reason_zh": ev.reason_zh, "reason_en": ev.reason_en,
                "at": ev.at.isoformat() + "Z"} for ev, w in due]
    if not notifier.send(payload):
        return 0
    for ev, _w in due:
        ev.notified = True
    return len(due)


# -- the stored warnings (the API's and the CLI's reads) ---------------------------------------
def district_warnings(ws: Workspace, district_id: str) -> list[EarlyWarning]:
    """Every stored warning of the district, in no particular order."""
    with ws.registry.session() as s:
        rows = repo.warnings_of_district(s, district_id)
        s.expunge_all()
    return rows


def warning_page(ws: Workspace, district_id: str, scope: repo.Condition, *,
                 year: int | None = None, level: str | None = None,
                 scope_type: str | None = None, metric: str | None = None, limit: int,
                 offset: int) -> tuple[int, list[EarlyWarning]]:
    """The district's warnings within ``scope`` (an access scope's warning condition) and of
    ``year``, ``level``, ``scope_type`` and ``metric`` when given, most severe first (by
    level, then ratio, highest first, those without a ratio last; then the latest year): how
    many there are, and those of the page ``offset`` … ``offset + limit``."""
    with ws.registry.session() as s:
        total, rows = repo.warning_page(s, district_id, scope, LEVELS, year=year, level=level,
                                        scope_type=scope_type, metric=metric, limit=limit,
                                        offset=offset)
        s.expunge_all()
    return total, rows


def warning_events(ws: Workspace, warning_id: int, *,
                   by_time: bool = True) -> list[WarningEvent]:
    """The history of a warning: every evaluation that changed it, by time (or by id)."""
    with ws.registry.session() as s:
        rows = repo.events_of_warning(s, warning_id, by_time=by_time)
        s.expunge_all()
    return rows
