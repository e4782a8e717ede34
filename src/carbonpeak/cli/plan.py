"""CLI commands for plan targets, dual control, budgets, early warnings, LMDI and the peak.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    FilesArg,
    ReportOpt,
    SkipOpt,
    _errors,
    _import,
    _workspace,
    app,
    console,
    heads,
    lang,
    lbl,
    option_date,
    pick,
    say,
    t,
    yes_no,
)
from carbonpeak.domain.early_warning import LEVELS
from carbonpeak.domain.targets import unit_message
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg
from carbonpeak.services.figures import figures
from carbonpeak.services.plan.dual_control import dual_control
from carbonpeak.services.plan.notify import build_notifier
from carbonpeak.services.plan.targets import (
    EDITABLE_FIELDS,
    TargetStatus,
    add_observation,
    evaluate_targets,
    find_target,
    update_target,
)
from carbonpeak.services.plan.trajectory import decompose, peak_outlook
from carbonpeak.services.plan.warnings import (
    allocate_budgets,
    derive_district_budget,
    district_warnings,
    evaluate_warnings,
    list_budgets,
    set_budget,
    warning_events,
)
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import WarningLevel

__all__ = ["budgets_app", "targets_app", "warnings_app"]

targets_app = typer.Typer(help="Plan targets (规划目标): status table, details, edits, "
                          "observations. Without a sub-command: the status table.",
                          invoke_without_command=True)
budgets_app = typer.Typer(help="Energy and CO2 budgets (预算) and their decomposition (目标分解).",
                          no_args_is_help=True)
warnings_app = typer.Typer(help="Early warnings (分析预警). Without a sub-command: the list.",
                           invoke_without_command=True)
app.add_typer(targets_app, name="targets")
app.add_typer(budgets_app, name="budgets")
app.add_typer(warnings_app, name="warnings")

YearOpt = Annotated[int | None, typer.Option(help="As of this year (default: all data)")]
LEVEL_STYLE: dict[str, str] = {WarningLevel.RED: "bold red", WarningLevel.YELLOW: "yellow",
                               WarningLevel.GREEN: "green"}
STATUS_STYLE = {"off_track": "bold red", "missed": "bold red", "not_met": "red",
                "at_risk": "yellow", "on_track": "green", "achieved": "green", "met": "green"}


# -- imports of plan inputs -----------------------------------------------------------------
PLAN_IMPORTS = {
    "targets": ("targets", "Target catalogue 目标清单 (shape of reference/targets/<district>.csv):"
                " id, indicator_zh, kind, baseline_year, baseline_value, target_year, "
                "target_value, unit, comparator, metric, scope_type, scope_id, …"),
    "observations": ("observations", "Target observations 目标观测值: target_id, date "
                     "(YYYY-MM-DD or YYYY), value, source [, scope_id]."),
    "budgets": ("budgets", "Budgets 预算: year, metric (energy_tce|tco2), scope_type "
                "(district|street|entity), scope_id, budget [, intensity_target]."),
    "sector-statistics": ("sector_statistics", "Value added by sector 分行业增加值: year, sector"
                          " (GB/T 4754 section A..T), value_added_10k_cny."),
}


def _plan_import(kind: str) -> Any:
    def command(files: FilesArg, district: DistrictOpt = None, skip_bad_rows: SkipOpt = False,
                error_report: ReportOpt = None) -> None:
        _import(kind, files, district, skip_bad_rows=skip_bad_rows, error_report=error_report)
    return command


def _register_imports() -> None:
    from carbonpeak.cli.common import import_app

    for name, (kind, help_text) in PLAN_IMPORTS.items():
        import_app.command(name, help=help_text)(_plan_import(kind))


_register_imports()


def _fmt(v: float | None, digits: int = 4) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _status(status: str) -> str:
    """A target's (or indicator's) status in the run's language, coloured."""
    return f"[{STATUS_STYLE.get(status, 'dim')}]{lbl('target_state', status)}[/]"


def _level(level: str) -> str:
    """A warning level in the run's language, coloured."""
    return f"[{LEVEL_STYLE.get(level, 'dim')}]{lbl('warning_level', level)}[/]"


# -- targets ------------------------------------------------------------------------------
@targets_app.callback()
def targets_table(
    ctx: typer.Context, district: DistrictOpt = None, year: YearOpt = None,
    status: Annotated[str | None, typer.Option(help="Only this status (e.g. off_track)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Every target of the plan: value, progress, path and status (规划目标进度表)."""
    if ctx.invoked_subcommand is not None:
        return
    with _errors(), _workspace() as ws:
        rows = evaluate_targets(ws, district=district, year=year)
    if status:
        rows = [r for r in rows if r.status == status]
    if as_json:
        console.print_json(json.dumps([r.to_dict() for r in rows], ensure_ascii=False))
        return
    _print_targets(rows)


def _print_targets(rows: list[TargetStatus]) -> None:
    table = Table(*heads("id", "indicator", "target", "value_now", "progress", "status",
                         "reason_note"), show_lines=False)
    zh = lang() == "zh"
    for r in rows:
        target = (f"{r.comparator} {_fmt(r.target_value)} {t(unit_message(r.unit))}"
                  if r.target_value is not None
                  else r.target_text or "—") + (f" ({r.target_year})" if r.target_year else "")
        shown = str(int(r.value)) if r.metric == "co2_peak_year" and r.value is not None \
            else _fmt(r.value)
        value = f"{shown} ({r.value_year})" if r.value is not None else "—"
        prog = f"{r.progress_pct:.0f}%" if r.progress_pct is not None else ""
        table.add_row(r.code, pick(r.indicator_zh, r.indicator_en), target, value, prog,
                      _status(r.status), r.reason_zh if zh else r.reason_en)
    console.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    console.print("  " + ("；" if zh else "; ").join(
        f"{_status(k)}{'：' if zh else ': '}{v}" for k, v in sorted(counts.items())),
        highlight=False)


@targets_app.command("show")
def targets_show(code: Annotated[str, typer.Argument(help="Target id, e.g. HP-01")],
                 district: DistrictOpt = None,
                 scope_id: Annotated[str | None, typer.Option(help="Street/entity")] = None,
                 ) -> None:
    """One target: the plan's words, its value history and status."""
    with _errors(), _workspace() as ws:
        tid = find_target(ws, code, district=district, scope_id=scope_id)
        row = next(r for r in evaluate_targets(ws, district=district) if r.id == tid)
    d = row.to_dict()
    zh = lang() == "zh"
    # the fields as named in the catalogue's target fields (field.target.*), in the run's
    # language; the indicator and reason in it only
    for k in ("code", "indicator_zh" if zh else "indicator_en", "section", "kind", "metric",
              "unit", "comparator", "baseline_year", "baseline_value", "target_year",
              "target_value", "target_text", "responsible_units", "value", "value_year",
              "value_source", "progress_pct", "path_value", "required_annual_rate",
              "reason_zh" if zh else "reason_en"):
        shown = d[k]
        if k == "kind" and shown:
            shown = lbl("target_kind", str(shown))
        name = t("cli.field." + k.removesuffix("_zh").removesuffix("_en"))
        console.print(f"[bold]{name}[/]{'：' if zh else ': '}{shown}", highlight=False)
    console.print("[bold]" + t("cli.col.status") + f"[/]{'：' if zh else ': '}"
                  + _status(row.status), highlight=False)
    for y, v in row.history:
        console.print(f"  {y}: {_fmt(v)}")


@targets_app.command("set")
def targets_set(
    code: Annotated[str, typer.Argument(help="Target id, e.g. HP-02")],
    field: Annotated[list[str], typer.Option(
        "--field", "-f", help=f"FIELD=VALUE (repeatable); fields: {', '.join(EDITABLE_FIELDS)}"
        "; an empty VALUE clears it")],
    district: DistrictOpt = None,
    scope_id: Annotated[str | None, typer.Option(help="Street/entity of the target")] = None,
) -> None:
    """Edit a target (e.g. enter the value the city assigned: -f target_value=18);
    audit-logged."""
    with _errors():
        changes = {k: _parse_field(k, v) for k, _, v in (f.partition("=") for f in field)}
        with _workspace() as ws:
            tid = find_target(ws, code, district=district, scope_id=scope_id)
            update_target(ws, tid, changes)
    say("cli.targets.updated", "green", code=code, changes=changes)


def _parse_field(key: str, value: str) -> Any:
    if value == "":
        return None
    if key in ("baseline_year", "target_year"):
        return int(value)
    if key in ("baseline_value", "target_value"):
        return float(value)
    if key == "active":
        return value.lower() in ("1", "true", "yes", "y")
    return value


@targets_app.command("observe")
def targets_observe(
    code: Annotated[str, typer.Argument(help="Target id, e.g. HP-33")],
    value: Annotated[float, typer.Option(help="The observed value, in the target's unit")],
    source: Annotated[str, typer.Option(help="Where the value comes from (required)")],
    date: Annotated[str, typer.Option(help="YYYY-MM-DD (default today)")] = "",
    district: DistrictOpt = None,
    scope_id: Annotated[str | None, typer.Option(help="Street/entity of the target")] = None,
) -> None:
    """Record an observation of a target (目标观测值), with its date and source."""
    with _errors():
        when = option_date(date, "--date") or dt.date.today()
        with _workspace() as ws:
            tid = find_target(ws, code, district=district, scope_id=scope_id)
            _o, state = add_observation(ws, tid, observed_on=when, value=value, source=source)
    say("cli.targets.observed", state=msg(f"cli.targets.observed.{state}"), code=code,
        date=str(when), value=value, source=source)


# -- dual control -------------------------------------------------------------------------
@app.command("dual-control")
def dual_control_cmd(district: DistrictOpt = None, year: YearOpt = None,
                     as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """District dual control 能耗双控/碳排放双控: totals and intensities against 2020, the
    yearly rate the 2025 and 2030 targets need, budgets, status."""
    with _errors(), _workspace() as ws:
        dc = dual_control(ws, district=district, year=year)
        note = _budget_note(ws, dc.year, district) if not as_json else None
    if as_json:
        console.print_json(json.dumps(dc.to_dict(), ensure_ascii=False, default=str))
        return
    table = Table(t("cli.col.indicator"), "2020", *heads("latest", "vs_2020", "targets",
                                                         "required_rate", "budget", "status"))
    for i in dc.indicators:
        tg = "; ".join(f"{x['code']} {_fmt(x['target_value'])} ({x['target_year']})"
                       if x["target_value"] is not None else f"{x['code']} {x['target_text']}"
                       for x in i.targets)
        rates = "; ".join(f"{x['required_annual_rate']:+.1%}" for x in i.targets
                          if x["required_annual_rate"] is not None)
        budget = t("cli.dual.used", budget=_fmt(i.budget["budget"]),
                   used=f"{i.budget['used_pct']:.0f}%") if i.budget else "—"
        change = f"{i.change_vs_baseline_pct:+.1f}%" if i.change_vs_baseline_pct is not None \
            else "—"
        table.add_row(f"{pick(i.name_zh, i.name_en)} \\[{i.unit}]", _fmt(i.baseline_value),
                      f"{_fmt(i.latest_value)} ({i.latest_year})", change, tg or "—",
                      rates or "—", budget, _status(i.status))
    console.print(table)
    for n in [*(t(m) for m in dc.messages), *([note] if note else [])]:
        say("cli.bullet", text=n)


def _budget_note(ws: Workspace, year: int | None, district: str | None) -> str | None:
    """The district budget (统计口径) and its metered share (what the district's warning
    compares with the account), both from the figure catalogue; None without a budget."""
    if year is None:
        return None
    fs = figures(ws, year=year, district=district)
    whole, share = fs.get("budget.district"), fs.get("budget.district.metered_share")
    if whole is None or whole.value is None:
        return None
    text = t("cli.plan.budget_note", year=year, value=whole.text(), label=whole.label(lang()))
    if share is not None and share.value is not None:
        text += ("；" if lang() == "zh" else "; ") + t(
            "cli.plan.metered_share", value=share.text(), label=share.label(lang()))
    return text


# -- budgets ------------------------------------------------------------------------------
MetricOpt = Annotated[str, typer.Option(help="energy_tce (equal value) or tco2")]


@budgets_app.command("list")
def budgets_list(district: DistrictOpt = None, year: YearOpt = None) -> None:
    """The budgets of the district, its streets and key units."""
    with _errors(), _workspace() as ws:
        rows = list_budgets(ws, year=year, district=district)
        notes = [n for y in sorted({b.year for b in rows})
                 if (n := _budget_note(ws, y, district)) is not None]
    table = Table(*heads("year", "metric", "scope", "budget", "intensity_target", "method"))
    for b in rows:
        table.add_row(str(b.year), lbl("budget_metric", b.metric),
                      f"{lbl('scope_type', b.scope_type)}:{b.scope_id}", _fmt(b.budget, 0),
                      _fmt(b.intensity_target), lbl("budget_method", b.method))
    console.print(table)
    for n in notes:
        say("cli.bullet", text=n)


@budgets_app.command("set")
def budgets_set(
    year: Annotated[int, typer.Option(help="Budget year")],
    budget: Annotated[float, typer.Option(help="tce (equal value) or tCO2")],
    metric: MetricOpt = "energy_tce",
    scope_type: Annotated[str, typer.Option(help="district, street or entity")] = "district",
    scope_id: Annotated[str | None, typer.Option(help="Street (code/name) or entity id")] = None,
    intensity_target: Annotated[float | None, typer.Option(
        help="Intensity target per m² (enables the elastic total)")] = None,
    district: DistrictOpt = None,
) -> None:
    """Set a budget by hand (e.g. the city's allocation to the district); audit-logged."""
    with _errors(), _workspace() as ws:
        b = set_budget(ws, year=year, metric=metric, budget=budget, scope_type=scope_type,
                       scope_id=scope_id, intensity_target=intensity_target,
                       district=district)
    say("cli.budgets.set", year=b.year, metric=lbl("budget_metric", b.metric),
        scope=f"{lbl('scope_type', b.scope_type)}:{b.scope_id}", budget=_fmt(b.budget))


@budgets_app.command("derive")
def budgets_derive(year: Annotated[int, typer.Option(help="Budget year")],
                   district: DistrictOpt = None) -> None:
    """Derive the district's energy budget from its energy-per-GDP target's path."""
    with _errors(), _workspace() as ws:
        b = derive_district_budget(ws, year=year, district=district)
    say("cli.budgets.derived", year=year, budget=_fmt(b.budget),
        gdp=_fmt(b.basis["gdp_10k_cny"]), path=f"{b.basis['path_energy_per_gdp']:.6f}",
        target=b.basis["target"])


@budgets_app.command("allocate")
def budgets_allocate(
    year: Annotated[int, typer.Option(help="Budget year (the prior year is the baseline)")],
    level: Annotated[str, typer.Option(help="streets or key_units")] = "streets",
    method: Annotated[str, typer.Option(
        help="baseline_share, intensity_benchmark or mixed")] = "mixed",
    weight: Annotated[float, typer.Option(help="Baseline-share weight of 'mixed'")] = 0.5,
    metric: MetricOpt = "energy_tce", district: DistrictOpt = None,
) -> None:
    """Decompose the district budget to streets or key units (目标分解)."""
    with _errors(), _workspace() as ws:
        out = allocate_budgets(ws, year=year, level=level, method=method, metric=metric,
                               weight=weight, district=district)
    table = Table(*heads("unit_id", "baseline", "floor_area", "benchmark", "budget", "share"))
    for uid, r in out.iterrows():
        table.add_row(str(uid), _fmt(r["baseline"]), _fmt(r["activity"]),
                      _fmt(r["benchmark_intensity"]), _fmt(r["budget"]), f"{r['share']:.1%}")
    console.print(table)
    say("cli.bullet", text=t("cli.budgets.stored", n=len(out),
                             total=_fmt(float(out["budget"].sum()))))


# -- warnings -----------------------------------------------------------------------------
@warnings_app.callback()
def warnings_list(
    ctx: typer.Context, district: DistrictOpt = None,
    year: Annotated[int | None, typer.Option(help="Year (default: the latest evaluated)")] = None,
    level: Annotated[str | None, typer.Option(help="Only red, yellow or green")] = None,
) -> None:
    """The stored warnings, most severe first (预警清单)."""
    if ctx.invoked_subcommand is not None:
        return
    with _errors(), _workspace() as ws:
        rows = district_warnings(ws, ws.district(district).id)
    if not rows:
        say("cli.warnings.none")
        return
    y = year or max(r.year for r in rows)
    rows = [r for r in rows if r.year == y and (level is None or r.level == level)]
    rank: dict[str, int] = {lvl: WarningLevel.severity(lvl) for lvl in LEVELS}
    rows.sort(key=lambda r: (rank.get(r.level, 9), -(r.ratio or 0)))
    _print_warnings(rows, y)


def _print_warnings(rows: list[Any], year: int) -> None:
    table = Table(*heads("id", "level", "scope", "name", "projected", "budget", "reason"),
                  title=t("cli.warnings.title", year=year))
    for r in rows:
        table.add_row(str(r.id), _level(r.level), lbl("scope_type", r.scope_type), r.scope_name,
                      _fmt(r.projected), _fmt(r.budget),
                      r.reason_zh if lang() == "zh" else r.reason_en)
    console.print(table)


@warnings_app.command("evaluate")
def warnings_evaluate(
    year: Annotated[int, typer.Option(help="Year to evaluate (its account must exist)")],
    through_month: Annotated[int | None, typer.Option(
        min=1, max=12, help="Months elapsed (default: the last month with data)")] = None,
    metric: MetricOpt = "energy_tce", district: DistrictOpt = None,
) -> None:
    """Evaluate the early warnings of a year, store them and their history, notify."""
    with _errors(), _workspace() as ws:
        wr = evaluate_warnings(ws, year=year, district=district, metric=metric,
                               through_month=through_month,
                               notifier=build_notifier(ws.settings))
    table = Table(*heads("level", "scope", "name", "projected", "budget", "reason"),
                  title=t("cli.warnings.title_months", year=year, months=wr.months_elapsed))
    for key, r in wr.table.iterrows():
        table.add_row(_level(str(r["level"])),
                      lbl("scope_type", str(key[0])),  # type: ignore[index]
                      str(r["scope_name"]), _fmt(r["projected"]), _fmt(r["budget"]),
                      str(r[f"reason_{lang()}"]))
    console.print(table)
    sep = "，" if lang() == "zh" else ", "
    say("cli.bullet", text=t("cli.warnings.summary", counts=sep.join(
        f"{lbl('warning_level', k)} {v}" for k, v in wr.counts().items()),
        changed=len(wr.events), sent=wr.notified))
    for m in wr.messages:
        say("cli.bullet", text=t(m))


@warnings_app.command("history")
def warnings_history(warning_id: Annotated[int, typer.Argument(help="Warning id")]) -> None:
    """The history of one warning: every evaluation that changed it."""
    from carbonpeak.storage.registry.models import EarlyWarning

    with _errors(), _workspace() as ws, ws.registry.session() as s:
        w = s.get(EarlyWarning, warning_id)
        if w is None:
            raise NotFoundError(msg("cli.warnings.no_such", id=warning_id))
        evs = warning_events(ws, warning_id, by_time=False)
        title = (f"{w.scope_name} ({lbl('scope_type', w.scope_type)}:{w.scope_id}) {w.year} "
                 f"{lbl('budget_metric', w.metric)}")
        table = Table(*heads("at_utc", "level", "months", "projected", "budget", "reason",
                             "sent"), title=title)
        for e in evs:
            table.add_row(f"{e.at:%Y-%m-%d %H:%M}", _level(e.level), str(e.months_elapsed),
                          _fmt(e.projected), _fmt(e.budget),
                          e.reason_zh if lang() == "zh" else e.reason_en,
                          yes_no(True) if e.notified else "")
    console.print(table)


# -- LMDI and the peak --------------------------------------------------------------------
@app.command("lmdi")
def lmdi_cmd(
    base_year: Annotated[int, typer.Option("--from", help="Base year, e.g. 2020")],
    target_year: Annotated[int, typer.Option("--to", help="Later year, e.g. 2024")],
    district: DistrictOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Why CO2 moved: additive LMDI-I into activity, structure, intensity and carbon factor."""
    with _errors(), _workspace() as ws:
        res, source = decompose(ws, base_year=base_year, target_year=target_year,
                                district=district)
    if as_json:
        console.print_json(json.dumps({"source": source, **res.to_dict()}, ensure_ascii=False))
        return
    table = Table(*heads("effect", "tco2", "share_of_change"),
                  title=t("cli.lmdi.title", base=base_year, co2_base=_fmt(res.co2_base_tco2),
                          target=target_year, co2_target=_fmt(res.co2_target_tco2),
                          delta=f"{res.delta_tco2:+,.0f}"))
    for k, v in res.effects.items():
        share = f"{v / res.delta_tco2:+.0%}" if res.delta_tco2 else ""
        table.add_row(lbl("lmdi_effect", k), f"{v:+,.0f}", share)
    table.add_row(t("cli.lmdi.residual"), f"{res.residual_tco2:.2e}", "")
    console.print(table)
    console.print("  " + t("cli.lmdi.source", source=source), highlight=False)
    for n in res.messages:
        say("cli.bullet", text=t(n))


@app.command("peak")
def peak_cmd(
    district: DistrictOpt = None,
    runs: Annotated[int, typer.Option(min=100, max=200_000, help="Monte Carlo draws")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    deadline_year: Annotated[int, typer.Option(help="Peak no later than")] = 2030,
    end_year: Annotated[int, typer.Option(help="Projection horizon")] = 2035,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario parameter in all scenarios, e.g. "
        "grid_factor_decline=0.04 (repeatable)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the full outlook as JSON")] = None,
) -> None:
    """Where CO2 is going: bau/plan/enhanced scenarios, Monte Carlo peak year, the smallest
    intensity decline that peaks in time, and the C40 peaking test."""
    with _errors():
        overrides = {k: float(v) for k, _, v in (s.partition("=") for s in set_ or [])}
        with _workspace() as ws:
            o = peak_outlook(ws, district=district, runs=runs, seed=seed,
                             deadline_year=deadline_year, end_year=end_year,
                             overrides=overrides)
    table = Table(*heads("scenario", "peak_year", "peak_tco2", "mc_peak"),
                  t("cli.peak.p_deadline", year=deadline_year), t("cli.col.needed_decline"),
                  title=t("cli.peak.title", year=o.base.year))
    for name, sc in o.scenarios.items():
        mc = sc.monte_carlo
        peak = str(sc.peak_year) if sc.peaked_within_horizon else f"> {end_year}"
        need = f"{sc.min_intensity_decline:.2%}" if sc.min_intensity_decline is not None \
            else t("cli.peak.not_reachable")
        table.add_row(t(f"cli.scenario.{name}") if f"cli.scenario.{name}" in _SCENARIOS
                      else name, peak, _fmt(sc.peak_tco2),
                      f"{mc.peak_year_p5}–{mc.peak_year_p50}–{mc.peak_year_p95}",
                      f"{mc.share_peaked_by_deadline:.0%}", need)
    console.print(table)
    say("cli.bullet", text=t("cli.peak.c40", status=lbl("c40_status", str(o.c40.status))))
    for code, ok, en, zh in o.c40.criteria:
        console.print("    " + t("cli.peak.criterion", mark="✓" if ok else "✗", code=code,
                                  text=zh if lang() == "zh" else en), highlight=False)
    for m in o.messages:
        say("cli.bullet", text=t(m))
    if out is not None:
        out.write_text(json.dumps(o.to_dict(), ensure_ascii=False, indent=1, default=str),
                       encoding="utf-8")
        say("cli.bullet", text=t("cli.wrote", path=str(out)))


_SCENARIOS = {f"cli.scenario.{s}" for s in ("bau", "plan", "enhanced")}
