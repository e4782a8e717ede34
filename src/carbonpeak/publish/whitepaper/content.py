"""The annual white paper's content (年度碳排放状况白皮书): every figure from the account.

:func:`white_paper` gathers, for one district and year, what the white paper says: the
official account run of the year (the same totals ``carbonpeak account`` prints), the runs of
the previous years, the district series (statistics), dual control, warnings, key units, the
LMDI decomposition, the peak outlook, public buildings, renewables, the plan's targets, the
street map and the method (factor sets with their sources and status, conventions, coverage,
input batches). Nothing is typed in: a section whose inputs do not exist says so, with the
reason, instead of showing a number.

The result is a plain, JSON-safe dict (floats, ints, strings, lists, dicts; NaN as None), so
the same content feeds the PDF, the HTML edition and the tests. Rendering is in
:mod:`carbonpeak.publish`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from carbonpeak.domain.targets import path_value
from carbonpeak.errors import CarbonPeakError, ConfigError, NotFoundError
from carbonpeak.i18n import Message, loads, msg, render, render_both, stored_text
from carbonpeak.publish.whitepaper.sections import ExtraSection, SectionBuilder
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.benchmarking import benchmark
from carbonpeak.services.figures import figures
from carbonpeak.services.plan.dual_control import dual_control
from carbonpeak.services.plan.indicators import district_series, purchased
from carbonpeak.services.plan.targets import evaluate_targets
from carbonpeak.services.plan.trajectory import TARGET_RUNS, decompose, peak_outlook
from carbonpeak.storage.registry.models import AccountRun, District, FactorSetRecord
from carbonpeak.storage.registry.repositories import publish as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["BASELINE_YEAR", "PEAK_RUNS", "PEAK_SEED", "ExtraSection", "SectionBuilder",
           "bilingual", "white_paper"]

#: the plans' baseline year (十四五: 2021-2025 against 2020)
BASELINE_YEAR = 2020

SUMS = ["tce_equivalent", "tce_equal", "tco2"]
#: Monte Carlo draws of the peak outlook and their seed (the same draws in every edition):
#: the count of the peak target's assessment (HP-06), so that the white paper says one number
PEAK_RUNS = TARGET_RUNS
PEAK_SEED = 0

PLACEMENTS = ("public_buildings", "programmes")


def _num(v: Any) -> float | None:
    """A JSON-safe float (None for missing, NaN and infinities)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _change(now: float | None, then: float | None) -> float | None:
    """Relative change in percent (None when either is missing or ``then`` is 0)."""
    if now is None or then is None or then == 0:
        return None
    return 100.0 * (now - then) / then


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in df.to_dict("records"):
        out.append({str(k): (_num(v) if isinstance(v, float) else v) for k, v in r.items()})
    return out


def _unavailable(zh: str, en: str) -> dict[str, Any]:
    return {"available": False, "reason_zh": zh, "reason_en": en}


# -- notes and data sources -------------------------------------------------------------------
# The services give their notes and data sources as messages (code and parameters); the white
# paper renders each in both languages. A note stored before it was a message (an old run's
# plain text) is shown as it is, in both.


def bilingual(text: Any) -> dict[str, str]:  # noqa: ANN401 - a message or an old text
    """A note or data source as ``{"zh": …, "en": …}``: a message (or its stored form, as in
    an account run's notes, or that form as JSON text) rendered from the catalogue in both
    languages; an old plain text as it is in both."""
    m = loads(text)
    if m is not None:
        zh, en = render_both(m)
        return {"zh": zh, "en": en}
    t = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return {"zh": t, "en": t}


def _notes(notes: list[Any]) -> dict[str, list[str]]:
    """``notes`` (in English), ``notes_zh`` and ``notes_en`` of a list of pipeline notes
    (messages, their stored form or plain texts)."""
    both = [bilingual(n) for n in notes]
    return {"notes": [b["en"] for b in both], "notes_zh": [b["zh"] for b in both],
            "notes_en": [b["en"] for b in both]}


def _sourced(key: str, text: Any) -> dict[str, str]:
    """``{key}_zh`` and ``{key}_en`` of a data source."""
    b = bilingual(text)
    return {f"{key}_zh": b["zh"], f"{key}_en": b["en"]}


def _section(build: Callable[[], dict[str, Any]], what_zh: str,
             what_en: str) -> dict[str, Any]:
    """A section's content, or why it is not available (a missing input is a statement)."""
    try:
        return {"available": True, **build()}
    except (NotFoundError, CarbonPeakError, ValueError) as exc:
        # the Chinese edition says why in Chinese: the error's own message where it has one,
        # else that an input is missing (an exception's text is English, for the log)
        reason = getattr(exc, "reason", None)
        if isinstance(reason, Message):
            why_zh, why_en = render_both(reason)
        else:
            why_zh, why_en = render(msg("whitepaper.section.input_missing"), "zh"), str(exc)
        return _unavailable(f"{what_zh}暂无法提供：{why_zh}", f"{what_en} not available: {why_en}")


def _grouped(df: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    p = purchased(df)
    if p.empty:
        return []
    g = p.groupby(by, dropna=False)[SUMS].sum().reset_index()
    g[by] = g[by].fillna("(none)").astype(str)
    total = float(g["tco2"].sum())
    g["share_tco2_pct"] = g["tco2"] / total * 100.0 if total else float("nan")
    return _records(g.sort_values("tco2", ascending=False))


def _run_of(ws: Workspace, district_id: str, year: int) -> AccountRun | None:
    with ws.registry.session() as s:
        run = official_run(s, district_id, year)
        if run is not None:
            s.expunge(run)
        return run


def _account(ws: Workspace, d: District, year: int) -> tuple[AccountRun, dict[str, Any]]:
    run = _run_of(ws, d.id, year)
    if run is None:
        raise NotFoundError(msg("whitepaper.error.no_official_account", district=d.id,
                                year=year))
    tables = load_run_tables(ws, run, ["inventory_district_year", "inventory_sector_year",
                                       "inventory_building_type_year", "inventory_street_year",
                                       "inventory_entity_year", "key_units",
                                       "eui_building_year"])
    with ws.registry.session() as s:
        fs = s.get(FactorSetRecord, run.factor_set_pk)
        assert fs is not None
        # each row's set (a set includes others) by its Chinese title, with its document number
        titles = {str(r.set_id): str(r.name_zh) for r in repo.factor_set_titles(s)}
        factor_set = {"set_id": fs.set_id, "version": fs.version,
                      "label": f"{fs.set_id}@v{fs.version}",
                      "name_zh": fs.name_zh, "name_en": fs.name_en,
                      # the rows that applied to the run's year (a set may hold one per year)
                      "rows": [{"carrier": r.carrier, "quantity": r.quantity,
                                "value": _num(r.value), "per_unit": r.per_unit,
                                "status": r.status, "source": r.source,
                                "origin_set": r.origin_set,
                                "source_zh": titles.get(r.origin_set, ""),
                                "data_year": r.data_year}
                               for r in fs.rows
                               if (r.year_from is None or r.year_from <= run.year)
                               and (r.year_to is None or run.year <= r.year_to)]}
        batches = [{"id": b.id, "kind": b.kind, "file": b.source_name,
                    "committed_at": b.committed_at.isoformat(timespec="seconds")
                    if b.committed_at else None}
                   for b in repo.batches_by_id(s, list(run.input_batches or []))]
    return run, {"tables": tables, "factor_set": factor_set, "batches": batches}


def _totals(run: AccountRun) -> dict[str, Any]:
    t = (run.summary or {}).get("totals", {})
    keys = ["tce_equivalent", "tce_equal", "tco2", "tco2_scope1", "tco2_scope2",
            "pv_generation_kwh", "coverage", "interval_coverage", "gdp_10k_cny",
            "statistics_energy_tce", "metered_share", "entities", "missing_entity_months"]
    return {k: _num(t.get(k)) for k in keys}


def _summary(ws: Workspace, d: District, year: int, run: AccountRun) -> dict[str, Any]:
    now = _totals(run)
    prev_run = _run_of(ws, d.id, year - 1)
    prev = _totals(prev_run) if prev_run is not None else None
    base_run = _run_of(ws, d.id, BASELINE_YEAR) if year != BASELINE_YEAR else None
    base = _totals(base_run) if base_run is not None else None
    series = district_series(ws, d)

    def stat(y: int, col: str) -> float | None:
        return _num(series.loc[y, col]) if y in series.index and col in series else None

    # the account's totals only: its tCO2 or tce over the whole district's GDP is no intensity
    # of anything (the account covers part of the district's energy); the district's
    # intensities are in ``statistics``, from the district statistics
    headline = []
    for key, zh, en, unit in (("tce_equal", "综合能耗（等价值）", "energy (equal value)", "tce"),
                              ("tce_equivalent", "综合能耗（当量值）", "energy (equivalent)",
                               "tce"),
                              ("tco2", "二氧化碳排放", "CO2 emissions", "tCO2")):
        v = now[key]
        p = prev[key] if prev else None
        b = base[key] if base else None
        headline.append({"key": key, "label_zh": zh, "label_en": en, "unit": unit, "value": v,
                         "previous": p, "change_vs_previous_pct": _change(v, p),
                         "baseline": b, "change_vs_baseline_pct": _change(v, b)})
    energy_source = series.loc[year, "energy_source"] if year in series.index else None
    district_wide = {
        "energy_tce": stat(year, "energy_tce"), "energy_source": stored_text(energy_source, "en"),
        **_sourced("energy_source", energy_source),
        "co2_t": stat(year, "co2_t"), "gdp_10k_cny": stat(year, "gdp_10k_cny"),
        "energy_per_gdp": stat(year, "energy_per_gdp"),
        "energy_per_gdp_baseline": stat(BASELINE_YEAR, "energy_per_gdp"),
        "energy_per_gdp_change_vs_baseline_pct": _change(stat(year, "energy_per_gdp"),
                                                         stat(BASELINE_YEAR, "energy_per_gdp")),
        "co2_per_gdp": stat(year, "co2_per_gdp"),
        "co2_per_gdp_change_vs_baseline_pct": _change(stat(year, "co2_per_gdp"),
                                                      stat(BASELINE_YEAR, "co2_per_gdp")),
    }
    statistics = []
    for col, zh, en, unit in (("energy_tce", "全区综合能耗", "district energy use", "tce"),
                              ("co2_t", "全区二氧化碳排放", "district CO2 emissions", "tCO2"),
                              ("gdp_10k_cny", "地区生产总值", "GDP", "万元"),
                              ("energy_per_gdp", "单位GDP能耗", "energy per GDP", "tce/万元"),
                              ("co2_per_gdp", "单位GDP二氧化碳排放", "CO2 per GDP",
                               "tCO2/万元")):
        v, p, b = stat(year, col), stat(year - 1, col), stat(BASELINE_YEAR, col)
        src_col = "co2_source" if col.startswith("co2") else "energy_source"
        source = (series.loc[year, src_col] if col != "gdp_10k_cny" and year in
                  series.index else (msg("plan.source.statistics") if v is not None else None))
        statistics.append({"key": col, "label_zh": zh, "label_en": en, "unit": unit,
                           "value": v, "previous": p, "change_vs_previous_pct": _change(v, p),
                           "baseline": b, "change_vs_baseline_pct": _change(v, b),
                           "source": stored_text(source, "en") or "",
                           **_sourced("source", source)})
    return {"totals": now, "previous_year": year - 1 if prev else None,
            "baseline_year": BASELINE_YEAR if base else None, "headline": headline,
            "district_wide": district_wide, "statistics": statistics,
            "statistics_previous_year": year - 1 if stat(year - 1, "gdp_10k_cny") is not None
            or stat(year - 1, "energy_tce") is not None else None,
            "statistics_baseline_year": BASELINE_YEAR if BASELINE_YEAR in series.index
            else None}


def _breakdowns(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    dy = tables["inventory_district_year"]
    carriers = _records(dy[["carrier", "quantity", "unit", "scope", *SUMS, "coverage"]]
                        .sort_values(["scope", "carrier"]))
    return {"by_carrier": carriers,
            "by_sector": _grouped(tables["inventory_sector_year"], "sector"),
            "by_building_type": _grouped(tables["inventory_building_type_year"],
                                         "building_type"),
            "by_street": _grouped(tables["inventory_street_year"], "street")}


def _trends(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    s = district_series(ws, d)
    s = s[(s.index >= BASELINE_YEAR) & (s.index <= year)]
    cols = ["gdp_10k_cny", "energy_tce", "co2_t", "energy_per_gdp", "co2_per_gdp",
            "account_tce_equal", "account_tco2", "pv_kwh"]
    rows = [{"year": int(str(y)), **{c: _num(r.get(c)) for c in cols},
             "energy_source": stored_text(r.get("energy_source"), "en"),
             "co2_source": stored_text(r.get("co2_source"), "en"),
             **_sourced("energy_source", r.get("energy_source")),
             **_sourced("co2_source", r.get("co2_source"))}
            for y, r in zip(s.index, s.to_dict("records"), strict=True)]
    return {"rows": rows}


def _dual(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    dual = dual_control(ws, district=d.id, year=year)
    dc = dual.to_dict()
    with ws.registry.session() as s:
        ws_rows = repo.warnings_of_year_by_scope(s, d.id, year)
    order = {"red": 0, "yellow": 1, "green": 2}
    ws_rows.sort(key=lambda w: (order.get(w.level, 9), -(w.ratio or 0.0)))
    warnings: list[dict[str, Any]] = [
        {"scope_type": w.scope_type, "scope_id": w.scope_id, "scope_name": w.scope_name,
         "metric": w.metric, "level": w.level, "projected": _num(w.projected),
         "budget": _num(w.budget), "ratio": _num(w.ratio), "months_elapsed": w.months_elapsed,
         "reason_zh": w.reason_zh, "reason_en": w.reason_en} for w in ws_rows]
    counts: dict[str, int] = {}
    for w in warnings:
        counts[str(w["level"])] = counts.get(str(w["level"]), 0) + 1
    for ind in dc["indicators"]:
        for tgt in ind["targets"]:
            tgt["path"] = _target_path(ind["baseline_value"], ind["baseline_year"], tgt)
    return {"indicators": dc["indicators"], **_notes(list(dual.messages)),
            "warnings": warnings,
            "warning_counts": counts}


def _target_path(baseline: float | None, baseline_year: int,
                 target: dict[str, Any]) -> list[dict[str, Any]]:
    """The target path of a dual-control target: constant yearly rate from the baseline to the
    target value (:func:`~carbonpeak.domain.targets.path_value`), one point a year; none
    without a baseline, a target value or a target year after the baseline."""
    value, ty = _num(target.get("target_value")), target.get("target_year")
    if baseline is None or value is None or ty is None or int(ty) <= baseline_year:
        return []
    geometric = baseline > 0 and value > 0
    return [{"year": y, "value": path_value(baseline, baseline_year, value, int(ty), y,
                                            shape="geometric" if geometric else "linear")}
            for y in range(baseline_year, int(ty) + 1)]


def _key_units(ws: Workspace, d: District, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The year's key units, largest first, named from the registry (an enterprise has no
    inventory row of its own: its buildings do), each with its rule text in both languages."""
    ku = tables["key_units"]
    ku = ku[ku["is_key_unit"].astype(bool)]
    ids = [str(e) for e in ku["entity_id"]]
    with ws.registry.session() as s:
        names = {str(eid): str(name) for eid, name in repo.entity_names(s, d.id, ids)}
    rows = _records(ku.sort_values("energy_tce_equal", ascending=False)[
        ["entity_id", "energy_tce_equivalent", "energy_tce_equal", "tco2", "electricity_kwh",
         "floor_area_m2", "key_unit_rule"]])
    for r in rows:
        r["name"] = str(names.get(r["entity_id"]) or r["entity_id"])
        r["key_unit_rule_zh"] = stored_text(r["key_unit_rule"], "zh") or ""
        r["key_unit_rule_en"] = stored_text(r["key_unit_rule"], "en") or ""
    return {"rows": rows, "count": len(rows),
            "tce_equal": _num(ku["energy_tce_equal"].sum()),
            "tco2": _num(ku["tco2"].sum())}


def _lmdi(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    base = BASELINE_YEAR if _run_of(ws, d.id, BASELINE_YEAR) is not None else year - 1
    res, source = decompose(ws, base_year=base, target_year=year, district=d.id)
    effects = [{"effect": k, "tco2": _num(v)} for k, v in res.effects.items()]
    sectors = res.to_dict()["by_sector"]
    return {"base_year": res.base_year, "target_year": res.target_year,
            "co2_base_tco2": _num(res.co2_base_tco2),
            "co2_target_tco2": _num(res.co2_target_tco2),
            "delta_tco2": _num(res.delta_tco2), "effects": effects,
            "residual_tco2": _num(res.residual_tco2), "by_sector": sectors,
            "source": stored_text(source, "en"), **_sourced("source", source),
            **_notes(list(res.messages))}


def _peak(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    outlook = peak_outlook(ws, district=d.id, up_to_year=year, current_year=year + 1,
                           runs=PEAK_RUNS, seed=PEAK_SEED)
    out = outlook.to_dict()
    scen = {}
    for name, sc in out["scenarios"].items():
        params = sc.get("params", {})
        scen[name] = {"peak_year": sc["peak_year"], "peak_tco2": _num(sc["peak_tco2"]),
                      "peaked_within_horizon": sc["peaked_within_horizon"],
                      "share_peaked_by_deadline": _num(
                          sc["monte_carlo"]["share_peaked_by_deadline"]),
                      "peak_year_p5_p50_p95": sc["monte_carlo"]["peak_year"],
                      "params": {k: _num(params.get(k)) for k in (
                          "gdp_growth", "intensity_decline", "grid_factor_decline",
                          "electrification")},
                      "bands": [{"year": r["year"], "p5": _num(r.get("p5")),
                                 "p95": _num(r.get("p95"))}
                                for r in sc["monte_carlo"].get("bands", [])],
                      "projection": [{"year": r["year"], "tco2": _num(r["tco2"])}
                                     for r in sc["projection"]]}
    return {"deadline_year": out["deadline_year"], "history": out["history"],
            "base_year": (out.get("base") or {}).get("year"),
            "c40": out["c40"], "scenarios": scen, **_notes(list(outlook.messages)),
            "monte_carlo_runs": PEAK_RUNS, "seed": PEAK_SEED}


def _targets(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    rows = [t.to_dict() for t in evaluate_targets(ws, district=d.id, year=year)]
    keep = ["code", "section", "indicator_zh", "indicator_en", "unit", "comparator",
            "target_year", "target_value", "target_text", "responsible_units", "status",
            "status_zh", "status_en", "value", "value_year", "progress_pct", "reason_zh",
            "reason_en", "value_source", "value_source_zh"]
    items = [{k: (_num(r[k]) if isinstance(r[k], float) else r[k]) for k in keep}
             for r in rows]
    audits = None
    for r, t in zip(items, rows, strict=True):
        if t.get("metric") != "public_building_audits_min":
            continue
        # the least count over the covered buildings reads "0" while half of them comply:
        # the schedule's own figures say how far the district is
        if audits is None:
            audits = _audit_figures(ws, d, year)
        if audits is not None:
            r["reason_zh"] = f"{r['reason_zh']}；{audits[0]}" if r["reason_zh"] else audits[0]
            r["reason_en"] = f"{r['reason_en']}; {audits[1]}" if r["reason_en"] else audits[1]
    counts: dict[str, int] = {}
    for r in items:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    return {"rows": items, "counts": counts}


def _audit_figures(ws: Workspace, d: District, year: int) -> tuple[str, str] | None:
    """The audit schedule at the end of ``year`` in a sentence (zh, en); None without one."""
    from carbonpeak.services.buildings.audits import audit_schedule

    try:
        sm = audit_schedule(ws, d.id, dt.date(year, 12, 31))["summary"]
    except CarbonPeakError:
        return None
    n, ok = int(sm["n_covered"]), int(sm["n_within_interval"])
    if not n:
        return None
    never = int(sm["counts"].get("never_audited", 0))
    pct = 100.0 * float(sm["coverage"])
    return (f"周期内已审计{ok}/{n}栋（{pct:.1f}%），{never}栋从未审计",
            f"{ok} of {n} buildings audited within the interval ({pct:.1f} %), {never} never "
            "audited")


def _renewables(ws: Workspace, d: District, year: int, tables: dict[str, pd.DataFrame],
                totals: dict[str, Any]) -> dict[str, Any]:
    dy = tables["inventory_district_year"]
    pv = dy[dy["scope"] == "generation"]
    ey = tables["inventory_entity_year"]
    sites = int(ey.loc[ey["scope"] == "generation", "entity_id"].nunique())
    return {"pv_generation_kwh": totals["pv_generation_kwh"],
            "pv_tco2_avoided": _num(pv["tco2"].sum()) if len(pv) else None,
            "pv_tce_equivalent": _num(pv["tce_equivalent"].sum()) if len(pv) else None,
            "pv_tce_equal": _num(pv["tce_equal"].sum()) if len(pv) else None,
            "pv_sites": sites,
            "forecast": _pv_forecast(ws, d, year)}


def _pv_forecast(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """The year's stored PV forecasts (services/energy/pv/forecast.py) with their accuracy
    against the meters, as issued; "not done" without a stored forecast."""
    from carbonpeak.services.energy.pv.forecast import year_accuracy

    acc = year_accuracy(ws, d, year)
    if not acc["forecasts"]:
        return not_done("whitepaper.what.pv_forecast")
    days = [{"date": r["date"], "total_kwh": _num(r["total_kwh"]), "sites": r["sites"],
             "kw_ac": _num(r["kw_ac"]), "issued_at": r["issued_at"],
             "day_ahead": r["day_ahead"],
             "errors": r["errors"]["district"]} for r in acc["forecasts"]]
    return {"available": True, "days": days, "measured": acc["measured"],
            "limit_nrmse": acc["limit_nrmse"], "limit_status": acc["limit_status"],
            "limit_source": acc["limit_source"]}


def _demand_response(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """The year's DR events and capability (publish/whitepaper/vpp.py), or "not done"."""
    from carbonpeak.publish.whitepaper.vpp import demand_response

    try:
        return demand_response(ws, d, year)
    except NotFoundError:
        return not_done("whitepaper.what.demand_response")


def not_done(what: str) -> dict[str, Any]:
    """A piece of work without data this year (``what``: a ``whitepaper.what.*`` code): the
    edition says "本年度未开展…" or leaves it out (the profile's ``whitepaper.empty_chapters``),
    never a number and never a word about the platform."""
    zh, en = render_both(msg("whitepaper.not_done", what=msg(what)))
    return {"available": False, "not_done": True, "reason_zh": zh, "reason_en": en}


#: the edition's settings in a district profile's ``[whitepaper]`` table, with their defaults
EDITION_DEFAULTS: dict[str, str] = {"issuing_office_zh": "", "issuing_office_en": "",
                                    "empty_chapters": "state"}
EMPTY_CHAPTERS = ("state", "omit")


def edition(profile: Mapping[str, Any] | None) -> dict[str, str]:
    """The edition's settings: the issuing office named on the cover (zh, en; none when the
    profile does not name one) and what a chapter without data does: ``state`` says
    "本年度未开展…", ``omit`` leaves it out.

    Raises
    ------
    ConfigError
        For an ``empty_chapters`` other than ``state`` or ``omit``.
    """
    given = dict((profile or {}).get("whitepaper") or {})
    out = {k: str(given.get(k) or v) for k, v in EDITION_DEFAULTS.items()}
    if out["empty_chapters"] not in EMPTY_CHAPTERS:
        msg_ = (f"district profile [whitepaper] empty_chapters = {out['empty_chapters']!r}: "
                f"one of {', '.join(EMPTY_CHAPTERS)}")
        raise ConfigError(msg_)
    return out


def _public_buildings(ws: Workspace, d: District, year: int) -> dict[str, Any]:
    """Public buildings from :func:`~carbonpeak.services.buildings.benchmarking.benchmark` (default
    quota table): EUI (kgce/m², equal value) by building type over the buildings with a full
    year, ratings against the quota, the buildings over their constraint."""
    bm = benchmark(ws, d.id, year)
    f = bm.frame
    if f.empty:
        msg = f"no buildings with a figure in the {year} account 尚无建筑能耗数据"
        raise NotFoundError(msg)
    full = f[f["rank_in_type"].notna()]
    types = []
    for t, g in f.groupby(f["building_type"].fillna("other"), sort=True):
        r = full[full["building_type"].fillna("other") == t]
        eui = pd.to_numeric(r["eui_kgce_per_m2_equal"]).dropna()
        area = pd.to_numeric(r["floor_area_m2"])
        q = eui.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).tolist() if len(eui) else [None] * 5
        types.append({"building_type": str(t), "buildings": len(g), "with_full_year": len(eui),
                      "floor_area_m2": _num(pd.to_numeric(g["floor_area_m2"]).sum()),
                      "min": _num(q[0]), "p25": _num(q[1]), "median": _num(q[2]),
                      "p75": _num(q[3]), "max": _num(q[4]),
                      "area_weighted_mean": _num(
                          (eui * area).sum() / area.sum()) if len(eui) and area.sum() else None,
                      "values": [float(v) for v in sorted(eui.tolist())]})
    ratings: dict[str, dict[str, Any]] = {}
    for rating, g in f.groupby("rating", sort=True):
        ratings[str(rating)] = {"buildings": len(g), "floor_area_m2": _num(
            pd.to_numeric(g["floor_area_m2"]).sum())}
    over = f[f["rating"] == "over_constraint"].sort_values("excess_fraction", ascending=False)
    over_rows = _records(over[["entity_id", "name", "street", "building_type", "eui",
                               "eui_unit", "constraint_value", "excess_fraction",
                               "reduction_required", "quota_label_zh", "quota_label_en"]])
    return {"table_id": bm.table_id, "table_version": bm.table_version,
            "quota_statuses": sorted({str(x) for x in f["quota_status"].dropna()}),
            "buildings": len(f), "floor_area_m2": _num(pd.to_numeric(f["floor_area_m2"]).sum()),
            "by_type": types, "ratings": ratings, "over_constraint": over_rows,
            "rated": sum(v["buildings"] for k, v in ratings.items()
                         if k in ("meets_guide", "meets_constraint", "over_constraint"))}


def _map(ws: Workspace, d: District, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    by_street = {r["street"]: r for r in _grouped(tables["inventory_street_year"], "street")}
    with ws.registry.session() as s:
        streets = repo.streets_by_id(s, d.id)
    features = []
    approximate = False
    for st in streets:
        if st.boundary is None:
            continue
        approximate |= bool(st.boundary_approximate)
        r = by_street.get(st.name_zh, {})
        features.append({"name_zh": st.name_zh, "name_en": st.name_en,
                         "geometry": st.boundary, "tco2": r.get("tco2"),
                         "tce_equal": r.get("tce_equal")})
    if not features:
        raise NotFoundError(msg("whitepaper.section.no_boundaries"))
    return {"features": features, "approximate": approximate,
            "boundary_sources": sorted({st.boundary_source or "" for st in streets
                                        if st.boundary is not None})}


def _factor(rows: list[dict[str, Any]], carrier: str, quantity: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["carrier"] == carrier and r["quantity"] == quantity),
                None)


def _g(v: float | None) -> str:
    """A coefficient as published (no rounding, no trailing zeros): 0.1229, 0.3, 21.6219."""
    return "—" if v is None else f"{v:g}"


def _conventions(fs: dict[str, Any]) -> dict[str, Any]:
    """The energy and CO2 conventions, with the electricity coefficients of the run's factor
    set (not typed in: read from its rows)."""
    rows = fs["rows"]
    eq = _factor(rows, "electricity", "kgce_equivalent")
    el = _factor(rows, "electricity", "kgce_equal")
    co2 = _factor(rows, "electricity", "tco2")

    def coef(r: dict[str, Any] | None, unit: str) -> str:
        return f"{_g(r['value'])} {unit}/{r['per_unit']}" if r else "—"

    return {
        "energy": "tce_equal and tce_equivalent",
        "electricity_kgce_equivalent": eq["value"] if eq else None,
        "electricity_kgce_equal": el["value"] if el else None,
        "electricity_tco2": co2["value"] if co2 else None,
        "zh": f"综合能耗按等价值（电力按上年度火力发电标准煤耗 {coef(el, 'kgce')}）与当量值"
              f"（电力按 {coef(eq, 'kgce')}）分别列示；单位GDP能耗按等价值；二氧化碳为范围一"
              f"（直接燃烧）与范围二（外购电力 {coef(co2, 'tCO2')}、外购热力）之和；"
              "屋顶光伏发电单列，不抵扣。",
        "en": f"Energy is shown by equal value (electricity at the previous year's coal rate of "
              f"thermal power generation, "
              f"{coef(el, 'kgce')}) and by equivalent value (electricity at "
              f"{coef(eq, 'kgce')}); energy per GDP uses equal value; CO2 is scope 1 "
              f"(combustion) plus scope 2 (purchased electricity at {coef(co2, 'tCO2')}, and "
              "heat); on-site PV is reported apart and not netted."}


def _method(run: AccountRun, acc: dict[str, Any]) -> dict[str, Any]:
    summary = run.summary or {}
    fs = acc["factor_set"]
    statuses: dict[str, int] = {}
    for r in fs["rows"]:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    t = _totals(run)
    coverage = {k: t[k] for k in ("coverage", "interval_coverage", "metered_share", "entities",
                                  "missing_entity_months", "statistics_energy_tce")}
    return {"run_id": run.id, "engine": run.engine, "factor_set": fs,
            "factor_statuses": statuses, **_notes(list(summary.get("notes", []))),
            "gap_filling": summary.get("gap_filling"), "batches": acc["batches"],
            "coverage": coverage, "conventions": _conventions(fs)}


def _streets(ws: Workspace, d: District) -> list[dict[str, Any]]:
    with ws.registry.session() as s:
        return [{"code": st.code, "name_zh": st.name_zh, "name_en": st.name_en}
                for st in repo.streets_by_id(s, d.id)]


def white_paper(ws: Workspace, *, year: int, district: str | None = None,
                sections: Mapping[str, SectionBuilder | ExtraSection] | None = None,
                ) -> dict[str, Any]:
    """The white paper's content for ``district`` and ``year`` (see the module docstring).

    ``sections`` adds programme sections by key (audits, retrofits and measured savings,
    commissioning and the like): an :class:`ExtraSection` (titles, placement and a build
    function of the workspace, district and year returning the generic shape documented
    there), or a bare build function (titled by its key). One whose build raises a
    :class:`~carbonpeak.errors.CarbonPeakError` is reported as not available, with its
    reason. Their keys, in order, are listed in ``extra_sections``. ``None`` (the default)
    adds :func:`~carbonpeak.publish.whitepaper.programmes.programme_sections` (retrofits
    and measured savings, energy audits, key units' obligations, commissioning candidates);
    ``{}`` adds none.

    Raises
    ------
    NotFoundError
        When the year has no official account: the white paper reports an account.
    """
    d = ws.district(district)
    run, acc = _account(ws, d, year)
    tables = acc["tables"]
    summary = _summary(ws, d, year, run)
    out: dict[str, Any] = {
        "edition": edition(d.profile),
        "district": {"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en,
                     "province": d.province, "climate_zone": d.climate_zone,
                     "streets": _streets(ws, d)},
        "year": year,
        "run": {"id": run.id, "factor_set": acc["factor_set"]["label"],
                "created_at": run.created_at.isoformat(timespec="seconds"),
                "engine": run.engine, "input_batches": list(run.input_batches or [])},
        "summary": summary,
        "breakdowns": _breakdowns(tables),
        "trends": _section(lambda: _trends(ws, d, year), "历年趋势", "trends"),
        "dual_control": _section(lambda: _dual(ws, d, year), "双控", "dual control"),
        "key_units": _section(lambda: _key_units(ws, d, tables), "重点用能单位", "key units"),
        "lmdi": _section(lambda: _lmdi(ws, d, year), "因素分解", "LMDI decomposition"),
        "peak": _section(lambda: _peak(ws, d, year), "达峰预测", "peak outlook"),
        "public_buildings": _section(lambda: _public_buildings(ws, d, year), "公共建筑能耗",
                                     "public buildings"),
        "renewables": _section(lambda: _renewables(ws, d, year, tables, summary["totals"]),
                               "可再生能源", "renewables"),
        "demand_response": _demand_response(ws, d, year),
        "targets": _section(lambda: _targets(ws, d, year), "规划目标", "plan targets"),
        "map": _section(lambda: _map(ws, d, tables), "碳排放地图", "carbon map"),
        "method": _method(run, acc),
    }
    if sections is None:  # the programmes of the public buildings (audits, retrofits, ...)
        from carbonpeak.publish.whitepaper.programmes import programme_sections

        sections = programme_sections()
    extra: list[str] = []
    for key, spec in sections.items():
        if key in out:
            msg = f"white paper section {key!r} exists already; choose another key"
            raise ValueError(msg)
        if not isinstance(spec, ExtraSection):
            spec = ExtraSection(title_zh=key, title_en=key, build=spec)
        if spec.placement not in PLACEMENTS:
            msg = f"placement {spec.placement!r} of section {key!r}: one of {PLACEMENTS}"
            raise ValueError(msg)
        out[key] = {**_section(functools.partial(spec.build, ws, d, year), spec.title_zh,
                               spec.title_en),
                    "title_zh": spec.title_zh, "title_en": spec.title_en,
                    "placement": spec.placement}
        extra.append(key)
    out["extra_sections"] = extra
    out["as_of"] = dt.date(year, 12, 31).isoformat()
    out["figures"] = _published(ws, d, year, summary)
    return out


def _published(ws: Workspace, d: District, year: int, summary: dict[str, Any]) -> dict[str, Any]:
    """The year's published figures from the figure catalogue (one figure, one definition):
    the summary's account and statistics values are the catalogue's stored values."""
    fs = figures(ws, year=year, district=d.id)
    for rows, codes in ((summary["headline"], {"tce_equal": "energy.metered",
                                                "tce_equivalent": "energy.metered.equivalent",
                                                "tco2": "co2.metered"}),
                        (summary["statistics"], {"energy_tce": "energy.statistics",
                                                  "co2_t": "co2.statistics",
                                                  "energy_per_gdp": "intensity.energy_per_gdp",
                                                  "co2_per_gdp": "intensity.co2_per_gdp"})):
        for r in rows:
            f = fs.get(codes[r["key"]]) if r["key"] in codes else None
            if f is not None:
                r["value"] = f.value
                r["change_vs_previous_pct"] = _change(f.value, r["previous"])
                r["change_vs_baseline_pct"] = _change(f.value, r["baseline"])
                if rows is summary["headline"]:
                    summary["totals"][r["key"]] = f.value
    return fs.to_dict()
