"""Compute the catalogue's values of one district, year and as-of date.

中文：按区、年份和截止日期计算口径目录中的每个数值（只在此处计算一次）。

Each value is taken from the one service that defines it: the official account run's stored
tables (核算口径), the district series (统计口径), the budgets and stored warnings (plan
values; the elastic budget is the warning's), the audit schedule on the as-of date and the
commissioning screen (programme records), the plan scenario's peak.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from carbonpeak.errors import CarbonPeakError, reason_of
from carbonpeak.i18n import Message, loads, msg
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.audits import audit_schedule
from carbonpeak.services.buildings.commissioning import commissioning, split_candidates
from carbonpeak.services.figures.catalogue import definition
from carbonpeak.services.plan.indicators import STATISTICS, district_series, finite
from carbonpeak.services.plan.trajectory import TARGET_RUNS, peak_outlook
from carbonpeak.storage.registry.models import AccountRun, District, FactorSetRecord
from carbonpeak.storage.registry.repositories import accounting as accounts
from carbonpeak.storage.registry.repositories import figures as repo
from carbonpeak.storage.registry.repositories import plan as plans
from carbonpeak.storage.registry.repositories.publish import streets_by_id
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ScopeType

__all__ = ["BASELINE_YEAR", "SCALED_BY_ACCOUNT", "Computed", "compute_figures", "note",
           "why"]

logger = logging.getLogger(__name__)

#: the provenance key of a statistics figure computed with the account's CO2 per tce (the
#: statistics' energy × the account's tCO2/tce): the account run's id
SCALED_BY_ACCOUNT = "scaled_by_account_run"

#: the base year of the intensity change (the plan's 2020)
BASELINE_YEAR = 2020
PURCHASED = ("1", "2")


def note(code: str, /, **params: Any) -> dict[str, Any]:  # noqa: ANN401 - JSON values
    """A provenance text (a source, rule or note) in its stored form: the catalogue code
    ``figure.prov.<code>`` and its parameters, rendered at the edge."""
    return msg(f"figure.prov.{code}", **params).to_dict()


def why(exc: CarbonPeakError) -> dict[str, Any]:
    """Why a figure has no value: the error's catalogue message (its stored form), or, where
    it has none, the generic note with the general words for its kind (rendered in the
    reader's language; the error's English text goes to the log)."""
    if exc.reason is not None:
        return {"note": exc.reason.to_dict()}
    logger.info("figure not computed: %s", exc)
    return {"note": note("not_computed", detail=reason_of(exc))}


@dataclass
class Computed:
    """One value before it is stored."""

    code: str
    value: float | None
    period: str
    provenance: dict[str, Any] = field(default_factory=dict)
    subject_type: str = ScopeType.DISTRICT
    subject_id: str = ""
    street_id: int | None = None


def _run_provenance(ws: Workspace, run: AccountRun) -> dict[str, Any]:
    with ws.registry.session() as s:
        fs = s.get(FactorSetRecord, run.factor_set_pk)
        label = f"{fs.set_id}@v{fs.version}" if fs is not None else None
    return {"account_run": run.id, "input_batches": sorted(int(b) for b in
                                                           run.input_batches or []),
            "factor_set": label}


def _period(year: int, months: list[str]) -> str:
    if not months or len(months) == 12:
        return str(year)
    return f"{months[0]}..{months[-1]}"


def _pct(v: float | None) -> float | None:
    return None if v is None else 100.0 * v


def compute_figures(ws: Workspace, d: District, year: int, as_of: dt.date) -> list[Computed]:
    """Every catalogue value of ``d`` for ``year`` on ``as_of`` (a figure that cannot be
    computed is stored without a value and says why in its provenance)."""
    out: list[Computed] = []
    out += _metered(ws, d, year)
    out += _statistics(ws, d, year)
    out += _plan(ws, d, year)
    out += _peak(ws, d, year)
    out += _audits(ws, d, year, as_of)
    out += _commissioning(ws, d, year)
    for c in out:
        definition(c.code)  # every value is of a catalogue figure
        if c.subject_type == ScopeType.DISTRICT:
            c.subject_id = d.id
    return out


# -- the metered account (核算口径) ------------------------------------------------------------
def _metered(ws: Workspace, d: District, year: int) -> list[Computed]:
    with ws.registry.session() as s:
        run = official_run(s, d.id, year)
        if run is not None:
            s.expunge(run)
        ents = pd.DataFrame(repo.entity_key_unit_rows(s, d.id), columns=[
            "entity_id", "name", "street_id", "is_key_unit"]).set_index("entity_id")
        streets = streets_by_id(s, d.id)
        s.expunge_all()
    codes = ["energy.metered", "energy.metered.equivalent", "co2.metered", "pv.metered",
             "coverage.intervals", "key_units.count"]
    if run is None:
        none = {"note": note("no_official_run", year=year)}
        return [Computed(c, None, str(year), none) for c in codes]
    prov = _run_provenance(ws, run)
    t = load_run_tables(ws, run, ["inventory_entity_month", "key_units"])
    em, ku = t["inventory_entity_month"], t["key_units"]
    pem = em[em["scope"].isin(PURCHASED)]
    months = sorted(pem.loc[pem["quantity"].notna(), "month"].unique().tolist())
    period = _period(year, months)
    gen = em[em["scope"] == "generation"]

    def completeness(frame: pd.DataFrame) -> float | None:
        exp = float(frame["intervals_expected"].sum()) if not frame.empty else 0.0
        rec = float(frame["intervals_received"].sum()) if not frame.empty else 0.0
        return 100.0 * rec / exp if exp else None

    kus = ku[ku["is_key_unit"].astype(bool)] if not ku.empty else ku
    out = [
        Computed("energy.metered", finite(pem["tce_equal"].sum()), period, prov),
        Computed("energy.metered.equivalent", finite(pem["tce_equivalent"].sum()), period,
                 prov),
        Computed("co2.metered", finite(pem["tco2"].sum()), period, prov),
        Computed("pv.metered", finite(gen["quantity"].sum()) if not gen.empty else 0.0,
                 period, prov),
        Computed("coverage.intervals", completeness(em), period, prov),
        Computed("key_units.count", float(len(kus)), period, prov),
    ]
    street_of = em["entity_id"].map(ents["street_id"])
    for st in streets:
        sub_all = em[street_of == st.id]
        sub = sub_all[sub_all["scope"].isin(PURCHASED)]
        sp = prov | {"subject_name": st.name_zh, "subject_name_en": st.name_en}
        out.append(Computed("street.energy.metered", finite(sub["tce_equal"].sum(min_count=1)),
                            period, sp, ScopeType.STREET, st.code, st.id))
        out.append(Computed("street.coverage.intervals", completeness(sub_all), period, sp,
                            ScopeType.STREET, st.code, st.id))
    own = pem.groupby("entity_id")["tce_equal"].sum(min_count=1)
    for r in kus.to_dict("records"):
        eid = str(r["entity_id"])
        sid = ents["street_id"].get(eid)
        ep = prov | {"subject_name": str(ents["name"].get(eid, eid)),
                     "rule": r.get("key_unit_rule"), "n_children": int(r.get("n_children") or 0)}
        street = int(sid) if sid is not None and pd.notna(sid) else None
        out.append(Computed("key_unit.energy.own", finite(own.get(eid)), period, ep,
                            ScopeType.ENTITY, eid, street))
        out.append(Computed("key_unit.energy.consolidated", finite(r["energy_tce_equal"]),
                            period, ep, ScopeType.ENTITY, eid, street))
    return out


# -- the district statistics (统计口径) --------------------------------------------------------
def _statistics(ws: Workspace, d: District, year: int) -> list[Computed]:
    series = district_series(ws, d)

    def stat(y: int, col: str) -> Any:  # noqa: ANN401 - a cell of the series
        return series.loc[y, col] if y in series.index else None

    def row(y: int, what: str) -> dict[str, Any]:
        return {"statistics_row": {"district": d.id, "year": y, "column": what}}

    out: list[Computed] = []
    e_ok = stat(year, "energy_basis") == STATISTICS
    c_ok = stat(year, "co2_basis") == STATISTICS
    src = stat(year, "co2_source")
    src_msg = loads(src)  # a message; an old plain text as it is
    c_src: Any = src_msg.to_dict() if src_msg is not None else (str(src) if src else "")
    # the statistics' energy × the account's CO2 per tce: withheld where the account is
    scaled = {SCALED_BY_ACCOUNT: src.params.get("run")} if c_ok and isinstance(src, Message) \
        and src.code == "plan.source.statistics_scaled" else {}
    none = {"note": note("no_statistics", year=year)}
    out.append(Computed("energy.statistics", finite(stat(year, "energy_tce")) if e_ok else None,
                        str(year), row(year, "energy_tce") if e_ok else none))
    out.append(Computed("co2.statistics", finite(stat(year, "co2_t")) if c_ok else None,
                        str(year), (row(year, "co2_t") | {"source": c_src} | scaled) if c_ok
                        else none))
    # an intensity is the statistics over GDP, never the metered subset over GDP
    epg = finite(stat(year, "energy_per_gdp")) if e_ok else None
    out.append(Computed("intensity.energy_per_gdp", epg, str(year),
                        row(year, "energy_tce / gdp_10k_cny") if e_ok else none))
    base_ok = stat(BASELINE_YEAR, "energy_basis") == STATISTICS
    base = finite(stat(BASELINE_YEAR, "energy_per_gdp")) if base_ok else None
    out.append(Computed("intensity.energy_per_gdp.change",
                        _pct(epg / base - 1.0) if epg is not None and base else None,
                        f"{BASELINE_YEAR}..{year}",
                        {"statistics_rows": [{"district": d.id, "year": y,
                                              "column": "energy_tce / gdp_10k_cny"}
                                             for y in (BASELINE_YEAR, year)]}))
    cpg = finite(stat(year, "co2_per_gdp")) if c_ok else None
    out.append(Computed("intensity.co2_per_gdp", cpg, str(year),
                        (row(year, "co2_t / gdp_10k_cny") | {"source": c_src} | scaled)
                        if c_ok else none))
    return out


# -- plan values: budgets ------------------------------------------------------------------
def _plan(ws: Workspace, d: District, year: int) -> list[Computed]:
    with ws.registry.session() as s:
        budgets = plans.budgets_of_year(s, d.id, year, "energy_tce")
        warns = plans.warnings_of_year(s, d.id, year, "energy_tce")
        streets = {st.code: st for st in plans.streets_of_district(s, d.id)}
        ents = {e.id: e for e in accounts.entities_of_district(s, d.id)}
        s.expunge_all()
    out: list[Computed] = []
    district = next((b for b in budgets if b.scope_type == ScopeType.DISTRICT), None)
    out.append(Computed("budget.district", district.budget if district else None, str(year),
                        {"budget": {"id": district.id, "method": district.method,
                                    "intensity_target": district.intensity_target}}
                        if district else {"note": note("no_district_budget", year=year)}))
    dw = next((w for w in warns if w.scope_type == ScopeType.DISTRICT), None)
    out.append(Computed(
        "budget.district.metered_share", finite(dw.budget) if dw else None, str(year),
        {"warning": dw.id, "account_run": dw.account_run_id,
         "budget": district.id if district else None,
         "note": note("metered_share")}
        if dw else {"note": note("no_district_warning", year=year)}))
    by_scope = {(w.scope_type, w.scope_id): w for w in warns}
    for b in budgets:
        if b.scope_type == ScopeType.STREET:
            st = streets.get(b.scope_id)
            out.append(Computed("street.budget", b.budget, str(year),
                                {"budget": {"id": b.id, "method": b.method},
                                 "subject_name": st.name_zh if st else b.scope_id,
                                 "subject_name_en": st.name_en if st else b.scope_id},
                                ScopeType.STREET, b.scope_id, st.id if st else None))
        elif b.scope_type == ScopeType.ENTITY:
            e = ents.get(b.scope_id)
            sid = e.street_id if e else None
            name = e.name if e else b.scope_id
            out.append(Computed("key_unit.budget", b.budget, str(year),
                                {"budget": {"id": b.id, "method": b.method,
                                            "intensity_target": b.intensity_target},
                                 "subject_name": name}, ScopeType.ENTITY, b.scope_id, sid))
            w = by_scope.get((ScopeType.ENTITY, b.scope_id))
            raised = w is not None and w.budget is not None and abs(w.budget - b.budget) > 1e-6
            if raised and w is not None:
                out.append(Computed("key_unit.budget.elastic", w.budget, str(year),
                                    {"warning": w.id, "budget": {"id": b.id},
                                     "account_run": w.account_run_id, "subject_name": name,
                                     "note": note("elastic")},
                                    ScopeType.ENTITY, b.scope_id, sid))
    return out


# -- the plan scenario's peak ----------------------------------------------------------------
def _peak(ws: Workspace, d: District, year: int) -> list[Computed]:
    try:
        o = peak_outlook(ws, district=d.id, up_to_year=year, current_year=year + 1,
                         runs=TARGET_RUNS, seed=0)
    except CarbonPeakError as exc:
        return [Computed("peak.plan.year", None, str(year), why(exc)),
                Computed("peak.plan.tco2", None, str(year), why(exc))]
    plan = o.scenarios["plan"]
    prov = {"scenario": "plan", "base_year": o.base.year, "statistics_rows": [
        {"district": d.id, "year": y, "column": "co2_t"} for y, _ in o.history],
        "c40_status": o.c40.status, "monte_carlo_runs": TARGET_RUNS, "seed": 0}
    when = float(plan.peak_year) if plan.peaked_within_horizon else None
    return [Computed("peak.plan.year", when, f"..{int(plan.projection.index.max())}", prov),
            Computed("peak.plan.tco2", finite(plan.peak_tco2) if when else None,
                     f"..{int(plan.projection.index.max())}", prov)]


# -- programme records (台账) ------------------------------------------------------------------
def _audits(ws: Workspace, d: District, year: int, as_of: dt.date) -> list[Computed]:
    codes = ["audits.covered", "audits.in_cycle", "audits.coverage", "audits.overdue",
             "audits.never"]
    try:
        sch = audit_schedule(ws, d.id, as_of)
    except CarbonPeakError as exc:
        return [Computed(c, None, as_of.isoformat(), why(exc)) for c in codes]
    sm = sch["summary"]
    prov = {"source": note("audit_records"), "as_of": as_of.isoformat(),
            "rule": sch["rule"]}
    n = int(sm["n_covered"])
    values = [float(n), float(sm["n_within_interval"]),
              _pct(float(sm["coverage"])) if n else None,
              float(sm["counts"].get("overdue", 0)), float(sm["counts"].get("never_audited", 0))]
    return [Computed(c, v, as_of.isoformat(), prov) for c, v in zip(codes, values, strict=True)]


def _commissioning(ws: Workspace, d: District, year: int) -> list[Computed]:
    codes = ["commissioning.screened", "commissioning.candidates",
             "commissioning.normal_for_type"]
    try:
        c = commissioning(ws, d.id, year)
    except CarbonPeakError as exc:
        return [Computed(k, None, str(year), why(exc)) for k in codes]
    candidates, normal = split_candidates(c.items)
    prov = {"source": note("hourly_meters"), "without_data": len(c.without_data),
            "thresholds": c.thresholds_source}
    return [Computed(k, float(v), str(year), prov)
            for k, v in zip(codes, (len(c.items), len(candidates), len(normal)), strict=True)]
