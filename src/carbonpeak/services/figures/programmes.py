"""Compute the catalogue's figures of the programmes merged after it: rooftop PV, the virtual
power plant, plan supervision and the project gate with dual control's deductions.

中文：口径目录中各专项的数值——屋顶光伏、虚拟电厂、规划督办与考核、项目节能审查及双控扣除，
只在此处计算一次。

* The PV and VPP figures that are a plan target's metric (HP-33, HP-37..39, TH-06/07/33,
  HP-41..45, TH-12) are **the target's own value**: the district target with that metric as
  :func:`~carbonpeak.services.plan.targets.evaluate_targets` judges it for the year (its
  computed value, or an accepted observation where nothing is computed), so the target's
  observation and the published figure are one number. A metric no target of the district
  uses is the computed series' latest value up to the year
  (:func:`~carbonpeak.services.plan.indicators.computed_metric`, the same function).
* The roof potential is the roof survey's (:func:`~carbonpeak.services.energy.pv.fleet.potential`);
  the performance ratio the median monthly PR of the metered sites' months without a data gap
  (:func:`~carbonpeak.services.energy.pv.fleet.monitoring`).
* Supervision counts are judged on the as-of date (submission states as stored); the
  assessment is :func:`~carbonpeak.services.supervision.assessment.assess` on that date.
* The pipeline, remaining budget and headroom are
  :func:`~carbonpeak.services.projects.register.pipeline` for the year (never storing its
  warning); the deductions :func:`~carbonpeak.services.accounting.certificates.energy_deductions`
  on the year's district energy statistics (the catalogue's ``energy.statistics``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from carbonpeak.errors import CarbonPeakError
from carbonpeak.services.accounting.account import official_run
from carbonpeak.services.accounting.certificates import energy_deductions
from carbonpeak.services.energy.pv import fleet
from carbonpeak.services.energy.pv.registry import load_sites
from carbonpeak.services.figures.compute import Computed, note, why
from carbonpeak.services.plan.indicators import computed_metric, district_series
from carbonpeak.services.plan.targets import TargetStatus, evaluate_targets
from carbonpeak.services.projects.register import pipeline
from carbonpeak.services.supervision.assessment import assess
from carbonpeak.services.supervision.catalogue import STREET_UNIT
from carbonpeak.storage.registry.models import (
    District,
)
from carbonpeak.storage.registry.repositories import figures as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ScopeType, SubmissionStatus

__all__ = ["METRIC_FIGURES", "PROJECT_FIGURES", "PV_FIGURES", "SUPERVISION_FIGURES",
           "VPP_FIGURES", "programme_figures"]

#: plan target metric -> the catalogue figure that publishes it (one number for both)
METRIC_FIGURES: dict[str, str] = {
    "pv_capacity_mw_dc": "pv.capacity.dc",
    "pv_capacity_mw_ac": "pv.capacity.ac",
    "pv_new_capacity_mw_dc": "pv.new.dc",
    "pv_new_capacity_mw_ac": "pv.new.ac",
    "pv_roof_share_public_new": "pv.roof_share.public_new",
    "pv_roof_share_public_existing": "pv.roof_share.public_existing",
    "pv_roof_area_share_other_public_new": "pv.roof_area_share.other_public_new",
    "pv_roof_share_public_industrial_new": "pv.roof_share.public_industrial_new",
    "dr_buildings": "vpp.buildings",
    "dr_contracted_mw": "vpp.contracted",
    "dr_verified_mw": "vpp.verified",
    "adr_verified_mw": "vpp.verified.automated",
    "frequency_regulation_mw": "vpp.frequency_regulation",
    "dr_peak_share_pct": "vpp.peak_share",
}
_TASK_DONE = 100.0
#: each programme's figures, as its routes, commands and white-paper chapter publish them
PV_FIGURES = ("pv.potential", "pv.potential.pilot", "pv.capacity.dc", "pv.capacity.ac",
              "pv.new.dc", "pv.new.ac", "pv.roof_share.public_new",
              "pv.roof_share.public_existing", "pv.roof_area_share.other_public_new",
              "pv.roof_share.public_industrial_new", "pv.performance_ratio")
VPP_FIGURES = ("vpp.buildings", "vpp.contracted", "vpp.verified", "vpp.verified.automated",
               "vpp.frequency_regulation", "vpp.peak_share")
SUPERVISION_FIGURES = ("supervision.tasks", "supervision.tasks.completed",
                       "supervision.items.asked", "supervision.items.overdue",
                       "supervision.items.on_time", "supervision.assessment.units",
                       "street.assessment.score")
PROJECT_FIGURES = ("projects.pipeline", "projects.budget.remaining", "projects.headroom",
                   "deductions.new_renewables", "deductions.feedstock",
                   "deductions.certificates", "energy.statistics.after_deductions")


def programme_figures(ws: Workspace, d: District, year: int, as_of: dt.date,
                      computed: list[Computed]) -> list[Computed]:
    """The programmes' values of ``d`` for ``year`` on ``as_of`` (``computed``: the values
    :func:`~carbonpeak.services.figures.compute.compute_figures` gave, for the statistics the
    deductions start from)."""
    try:
        statuses = evaluate_targets(ws, district=d.id, year=year)
    except CarbonPeakError:
        statuses = []
    out = _target_metrics(ws, d, year, statuses)
    out += _pv(ws, d, year)
    out += _supervision(ws, d, year, as_of, statuses)
    out += _projects(ws, d, year, computed)
    return out


# -- the plan targets' metrics (PV, VPP) ------------------------------------------------------
def _target_metrics(ws: Workspace, d: District, year: int,
                    statuses: list[TargetStatus]) -> list[Computed]:
    by_metric: dict[str, list[TargetStatus]] = {}
    for one in statuses:
        if one.scope_type == ScopeType.DISTRICT and one.metric in METRIC_FIGURES:
            by_metric.setdefault(str(one.metric), []).append(one)
    series: pd.DataFrame | None = None
    memo: dict[str, Any] = {}  # the VPP's capability computed once (computed_metric)
    out: list[Computed] = []
    for metric, code in METRIC_FIGURES.items():
        targets = by_metric.get(metric, [])
        st = next((t for t in targets if t.value is not None), None)
        if st is not None:
            out.append(Computed(code, st.value, str(st.value_year or year), {
                "metric": metric, "targets": [t.code for t in targets],
                "value_year": st.value_year, "source": st.value_source,
                "source_zh": st.value_source_zh}))
            continue
        try:
            series = series if series is not None else district_series(ws, d)
            vals, src = computed_metric(ws, d, metric, series, memo)
        except CarbonPeakError as exc:
            out.append(Computed(code, None, str(year), {"metric": metric} | why(exc)))
            continue
        upto = [(y, v) for y, v in vals if y <= year]
        if not upto:
            out.append(Computed(code, None, str(year), {
                "metric": metric, "targets": [t.code for t in targets],
                "note": note("no_value", metric=metric, year=year)}))
            continue
        y, v = max(upto)
        out.append(Computed(code, v, str(y), {
            "metric": metric, "targets": [t.code for t in targets], "value_year": y,
            "source": src.to_dict() if src else ""}))
    return out


# -- rooftop PV: the roof survey and the metered sites ----------------------------------------
def _pv(ws: Workspace, d: District, year: int) -> list[Computed]:
    try:
        pot = fleet.potential(ws, d)
    except CarbonPeakError as exc:
        return [Computed(c, None, str(year), why(exc)) for c in
                ("pv.potential", "pv.potential.pilot", "pv.performance_ratio")]
    prov = {"source": note("roof_survey"), "roofs": sum(r["roofs"] for r in pot["rows"]),
            "module_efficiency": pot["module_efficiency"],
            "efficiency_status": pot["efficiency_status"],
            "pilot_source": pot["pilot_source"], "pilot_status": pot["pilot_status"]}
    if not pot["rows"]:
        prov = {"note": note("no_roof_survey")}
    out = [Computed("pv.potential", pot["total_potential_kwp"] / 1000.0 if pot["rows"] else None,
                    str(year), prov),
           Computed("pv.potential.pilot", pot["total_pilot_kwp"] / 1000.0 if pot["rows"]
                    else None, str(year), prov)]
    out.append(_performance_ratio(ws, d, year))
    return out


def _performance_ratio(ws: Workspace, d: District, year: int) -> Computed:
    sites = load_sites(ws, d)
    if sites.empty or not (sites["meter_id"].notna() & (sites["meter_id"] != "")).any():
        return Computed("pv.performance_ratio", None, str(year),
                        {"note": note("no_pv_meter")})
    try:
        mon = fleet.monitoring(ws, d, year)
    except CarbonPeakError as exc:
        return Computed("pv.performance_ratio", None, str(year), why(exc))
    rows = pd.DataFrame(mon["rows"])
    full = rows[~rows["data_gap"].astype(bool)] if not rows.empty else rows
    prs = full["performance_ratio"].dropna() if not full.empty else pd.Series(dtype=float)
    if prs.empty:
        return Computed("pv.performance_ratio", None, str(year),
                        {"note": note("no_pv_month", year=year)})
    return Computed("pv.performance_ratio", float(prs.median()), str(year), {
        "source": note("pv_meters"), "rule": note("pv_median_pr"),
        "sites": int(full["site_id"].nunique()), "site_months": len(prs),
        "weather": mon["weather"], "fault_ratio": mon["fault_ratio"]})


# -- plan supervision: tasks, the year's rounds, the assessment --------------------------------
def _supervision(ws: Workspace, d: District, year: int, as_of: dt.date,
                 statuses: list[TargetStatus]) -> list[Computed]:
    with ws.registry.session() as s:
        tasks = repo.task_codes(s, d.id)
        rounds = {r.id: r for r in repo.rounds_opened_by(s, d.id, as_of)}
        subs = repo.round_submissions(s, list(rounds))
        streets = {st.code: st for st in repo.district_streets(s, d.id)}
        s.expunge_all()
    period = as_of.isoformat()
    prov: dict[str, Any] = {"source": note("dispatch_rounds"), "as_of": period}
    done = {sub.item.split(":", 1)[1] for sub in subs
            if sub.item.startswith("task:") and sub.status == SubmissionStatus.ACCEPTED
            and (sub.completion_pct or 0.0) >= _TASK_DONE}
    of_year = [sub for sub in subs if rounds[sub.round_id].opened_on.year == year]
    due = [sub for sub in of_year if rounds[sub.round_id].due_on <= as_of]
    on_time = [sub for sub in due if sub.submitted_at is not None
               and sub.submitted_at.date() <= rounds[sub.round_id].due_on]
    overdue = [sub for sub in of_year if sub.status in (SubmissionStatus.PENDING,
                                                        SubmissionStatus.RETURNED)
               and as_of > rounds[sub.round_id].due_on]
    out = [Computed("supervision.tasks", float(len(tasks)), period,
                    {"source": note("task_catalogue")}),
           Computed("supervision.tasks.completed", float(len(done & set(tasks))), period,
                    prov | {"rule": note("task_done")}),
           Computed("supervision.items.asked", float(len(of_year)), period,
                    prov | {"rounds": sorted({sub.round_id for sub in of_year})}),
           Computed("supervision.items.overdue", float(len(overdue)), period,
                    prov | {"rule": note("overdue")}),
           Computed("supervision.items.on_time",
                    100.0 * len(on_time) / len(due) if due else None, period,
                    prov | {"rule": note("on_time"),
                            "due": len(due)})]
    try:
        a = assess(ws, year=year, district=d.id, today=as_of, statuses=statuses)
    except CarbonPeakError as exc:
        return [*out, Computed("supervision.assessment.units", None, period, why(exc))]
    scheme = {"scheme_source": a["scheme"]["source"], "scheme_status": a["scheme"]["status"]}
    out.append(Computed("supervision.assessment.units", float(len(a["units"])), period,
                        scheme | {"commended": len(a["commended"]),
                                  "criticised": len(a["criticised"])}))
    for u in a["units"]:
        unit = str(u["unit"])
        if not unit.startswith(STREET_UNIT):
            continue  # departments: no subject type for an organisation (docs/figures.md)
        code = unit.removeprefix(STREET_UNIT)
        st = streets.get(code)
        out.append(Computed("street.assessment.score", float(u["score"]), str(year),
                            scheme | {"grade": u["grade"], "grade_zh": u["grade_zh"],
                                      "grade_en": u["grade_en"], "vetoed": u["vetoed"],
                                      "subject_name": u["unit_name"],
                                      "subject_name_en": st.name_en if st else code},
                            ScopeType.STREET, code, st.id if st else None))
    return out


# -- the project gate and dual control's deductions ------------------------------------------
def _projects(ws: Workspace, d: District, year: int, computed: list[Computed]) -> list[Computed]:
    out: list[Computed] = []
    with ws.registry.session() as s:
        n = len(repo.project_ids(s, d.id))
        run = official_run(s, d.id, year)
        run_id = run.id if run is not None else None
    codes = ("projects.pipeline", "projects.budget.remaining", "projects.headroom")
    if n == 0:
        out += [Computed(c, None, str(year), {"note": note("no_project")}) for c in codes]
    else:
        try:
            pl = pipeline(ws, district=d.id, year=year, store_warning=False)
        except CarbonPeakError as exc:
            out += [Computed(c, None, str(year), why(exc)) for c in codes]
        else:
            prov = {"source": note("project_register"), "budget_year": pl.year,
                    "budget": pl.budget, "base_use": pl.base_use, "base_year": pl.base_year,
                    "projects": [p["project_code"] for p in pl.projects],
                    "exceeds": pl.exceeds, "notes": [m.to_dict() for m in pl.messages]}
            out += [Computed("projects.pipeline", pl.pipeline_tce, str(year), prov),
                    Computed("projects.budget.remaining", pl.remaining, str(pl.year), prov),
                    Computed("projects.headroom", pl.headroom, str(pl.year), prov)]
    total = next((c.value for c in computed if c.code == "energy.statistics"), None)
    ded = ("deductions.new_renewables", "deductions.feedstock", "deductions.certificates",
           "energy.statistics.after_deductions")
    if total is None:
        return out + [Computed(c, None, str(year), {"note": note("no_statistics", year=year)})
                      for c in ded]
    try:
        res = energy_deductions(ws, d, year, total)
    except CarbonPeakError as exc:
        return out + [Computed(c, None, str(year), why(exc)) for c in ded]
    notes = [m.to_dict() for m in res.messages]
    for i in res.items:
        if f"deductions.{i['code']}" not in ded:
            continue
        overridden = ((d.profile or {}).get("deduction_rules") or {}).get(i["code"]) or {}
        # the shipped rule's source is a catalogue message; a profile's own text as it is
        source = i["source"] if "source" in overridden else \
            note(f"deduction.{i['code']}")
        extra: dict[str, Any] = {"claimed": i["claimed"], "capped": i["capped"],
                                 "source": source, "status": i["status"], "notes": notes}
        if i["code"] == "new_renewables" and run_id is not None:
            extra["account_run"] = run_id
        if "mwh" in i:
            extra["mwh"] = i["mwh"]
        out.append(Computed(f"deductions.{i['code']}", i["allowed"], str(year), extra))
    out.append(Computed("energy.statistics.after_deductions", res.total_after_tce, str(year),
                        {"statistics_row": {"district": d.id, "year": year,
                                            "column": "energy_tce"},
                         "deducted": {i["code"]: i["allowed"] for i in res.items},
                         "notes": notes}))
    return out

