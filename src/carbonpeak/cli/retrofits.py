"""CLI commands: Retrofit and commissioning projects, daily weather and measured savings (M&V);
plan progress (改造面积, 节能率≥15% 面积, 调适数量).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`::

    carbonpeak import weather weather.csv [--station 徐家汇]
    carbonpeak weather show --from 2024-01-01 --to 2024-12-31
    carbonpeak retrofits import retrofits.csv
    carbonpeak retrofits list | show CODE | progress --year 2024
    carbonpeak mv run [--project CODE] [--as-of 2024-12-31]
    carbonpeak mv show CODE
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    _errors,
    _progress,
    _workspace,
    app,
    console,
    heads,
    import_app,
    lang,
    lbl,
    option_date,
    pick,
    print_import,
    say,
    t,
    yes_no,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.retrofits import (
    import_retrofits,
    list_projects,
    measure,
    project_detail,
    retrofit_progress,
)
from carbonpeak.services.buildings.weather import import_weather, weather_days, weather_summary

__all__ = ["mv_app", "retrofits_app", "weather_app"]

retrofits_app = typer.Typer(help="Retrofit and commissioning projects (节能改造/建筑调适): "
                            "import, list, show, plan progress.", no_args_is_help=True)
mv_app = typer.Typer(help="Measured savings (节能量测量与验证, M&V): weather-normalised "
                     "baseline, CalTRACK daily method, ASHRAE G14 statistics.",
                     no_args_is_help=True)
weather_app = typer.Typer(help="Daily mean outdoor temperature (日平均气温) of the district.",
                          no_args_is_help=True)
app.add_typer(retrofits_app, name="retrofits")
app.add_typer(mv_app, name="mv")
app.add_typer(weather_app, name="weather")

FileArg = Annotated[Path, typer.Argument(help="CSV, .xlsx or .xls file (UTF-8 or GB18030; "
                                         "English or Chinese headers)")]


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, bool):
        return yes_no(v)
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _pct(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and v != v) else f"{100 * float(v):.1f}%"


# -- weather --------------------------------------------------------------------------------
@import_app.command("weather")
def import_weather_cmd(
    file: FileArg, district: DistrictOpt = None,
    station: Annotated[str | None, typer.Option(help="Weather station of rows that name "
                                                "none, e.g. 徐家汇")] = None,
) -> None:
    """Daily weather 日平均气温: date (日期), daily mean temperature (日平均气温, °C; a
    header or unit column saying °F is converted), optional station (站点)."""
    with _errors(), _workspace() as ws:
        r = import_weather(ws, file, district=district, station=station)
        print_import(r)


@weather_app.command("show")
def weather_show(
    start: Annotated[str | None, typer.Option("--from", help="First day YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day YYYY-MM-DD")] = None,
    daily: Annotated[bool, typer.Option("--daily", help="Every day, not monthly means")] = False,
    district: DistrictOpt = None,
) -> None:
    """Stored daily temperatures: coverage and monthly means (or every day)."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        first, last = option_date(start, "--from"), option_date(end, "--to")
        days = weather_days(ws, d.id, first, last)
        summary = weather_summary(days, first, last)
        if daily:
            table = Table(*heads("day", "celsius", "station", "batch"))
            for r in days:
                table.add_row(r["day"], f"{r['t_mean_c']:.1f}", r["station"], str(r["batch_id"]))
        else:
            table = Table(*heads("month", "mean_celsius", "days"),
                          title=t("cli.weather.title", district=pick(d.name_zh, d.name_en),
                                  first=summary["first"], last=summary["last"],
                                  days=summary["n_days"], missing=summary["missing_days"]))
            for m in summary["months"]:
                table.add_row(m["month"], f"{m['t_mean_c']:.1f}", str(m["n_days"]))
        console.print(table)


# -- projects -------------------------------------------------------------------------------
@retrofits_app.command("import")
def retrofits_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Projects 改造/调适项目: code, entity_id, kind, name, measures (; ； 、), start_date,
    end_date, floor_area_m2, investment (万元), claimed savings (kWh or %), status."""
    with _errors(), _workspace() as ws:
        r = import_retrofits(ws, file, district=district)
        print_import(r)


def _projects_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for name, width in (("code", 0), ("name", 12), ("kind", 0), ("building", 0), ("end", 0),
                        ("m2", 0), ("status", 0), ("savings_kwh", 0), ("savings_rate", 0),
                        ("cv", 0), ("g14", 0), ("note", 20)):
        table.add_column(t(f"cli.col.{name}"), no_wrap=not width, min_width=width or None)
    zh = lang() == "zh"
    for r in rows:
        if r.get("skipped"):
            note = r.get("skipped_zh") if zh else r.get("skipped")
        elif r.get("mv_sufficient") is False:
            note = r.get("mv_reason_zh") if zh else r.get("mv_reason")
        elif r.get("mv_warning_codes"):
            note = t("cli.mv.see_warnings", code=r["code"])
        else:
            note = None
        if r.get("mv_id") is not None and r.get("mv_current") is False:
            note = t("cli.mv.stale")
        kind = lbl("retrofit_kind", str(r["kind"])) if r.get("kind") else ""
        status = lbl("retrofit_status", str(r["status"])) if r.get("status") else ""
        g14 = r.get("mv_meets_g14")
        table.add_row(r["code"], str(r.get("name") or ""), kind, str(r.get("entity_id") or ""),
                      str(r.get("end_date") or ""), _fmt(r.get("floor_area_m2")), status,
                      _fmt(r.get("mv_savings_kwh")), _pct(r.get("mv_fractional_savings")),
                      _pct(r.get("mv_cv_rmse")), "—" if g14 is None else yes_no(bool(g14)),
                      str(note or ""))
    return table


@retrofits_app.command("list")
def retrofits_list(
    kind: Annotated[str | None, typer.Option(help="retrofit or commissioning")] = None,
    status: Annotated[str | None, typer.Option(help="planned, in_progress or completed")] = None,
    district: DistrictOpt = None,
) -> None:
    """The district's projects with their latest measured savings."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        rows = list_projects(ws, AccessScope(d.id, everything=True), kind=kind, status=status)
        console.print(_projects_table(rows, t("cli.retrofits.title", n=len(rows))))


@retrofits_app.command("show")
def retrofits_show(code: Annotated[str, typer.Argument(help="Project code")],
                   district: DistrictOpt = None) -> None:
    """One project: its fields, every M&V result and the monthly baseline vs actual."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        p = project_detail(ws, AccessScope(d.id, everything=True), code)
        _print_detail(p)


def _print_detail(p: dict[str, Any]) -> None:
    console.print(f"[bold]{p['code']}[/] {p['name']} " + t(
        "cli.retrofits.head", kind=lbl("retrofit_kind", p["kind"]),
        status=lbl("retrofit_status", p["status"]), entity=p["entity_id"],
        name=p.get("entity_name") or "", street=p.get("street") or ""), highlight=False)
    say("cli.bullet", text=t("cli.retrofits.works", start=p["start_date"],
                             end=p["end_date"] or "—", area=_fmt(p["floor_area_m2"]),
                             investment=_fmt(p["investment_10k_cny"], 1),
                             kwh=_fmt(p["claimed_savings_kwh"]),
                             rate=_pct(p["claimed_savings_fraction"])))
    if p["measures"]:
        say("cli.bullet", text=t("cli.retrofits.measures", measures="；".join(p["measures"])))
    results = p["mv_results"]
    if not results:
        say("cli.bullet", text=t("cli.mv.none_yet", code=p["code"]))
    for i, r in enumerate(results[:1]):
        model = (r["result"] or {}).get("model") or {}
        bp = ", ".join(f"{t(f'cli.mv.{k}')} {model[f'{k}_balance_point_c']:g} °C"
                       for k in ("heating", "cooling")
                       if model.get(f"{k}_balance_point_c") is not None)
        state = t("cli.mv.sufficient") if r["sufficient"] else \
            f"[red]{t('cli.mv.insufficient')}[/]"
        stale = "" if p["mv_current"] or i else f" [yellow]{t('cli.mv.stale')}[/]"
        console.print("  [bold]" + t("cli.mv.latest", id=r["id"], at=r["computed_at"],
                                     state=state) + "[/]" + stale, highlight=False)
        say("cli.bullet", text=t(
            "cli.mv.model", model=lbl("mv_model_type", r["model_type"]) if r["model_type"]
            else "—", balance=t("cli.mv.balance", points=bp) if bp else "",
            start=r["reporting_start"] or "—", end=r["reporting_end"] or "—",
            days=r["n_reporting_days"]))
        say("cli.bullet", text=t(
            "cli.mv.numbers", baseline=_fmt(r["adjusted_baseline_kwh"]),
            actual=_fmt(r["reporting_kwh"]), savings=_fmt(r["savings_kwh"]),
            rate=_pct(r["fractional_savings"]), fsu=_pct(r["fsu_68"]), cv=_pct(r["cv_rmse"]),
            nmbe=_pct(r["nmbe"]), g14=_fmt(r["meets_g14"])))
        for x in (r["result"] or {}).get("reasons", []):
            console.print(f"    [red]{x.get(f'message_{lang()}') or x.get('message')}[/]",
                          highlight=False)
        for x in (r["result"] or {}).get("warnings", []):
            console.print(f"    [yellow]{t('cli.mv.warning')}[/]: "
                          f"{x.get(f'message_{lang()}') or x.get('message')}", highlight=False)
    if len(results) > 1:
        table = Table(*heads("id", "computed", "sufficient", "model", "reporting_end",
                             "savings_kwh", "savings_rate", "g14"), title=t("cli.mv.earlier"))
        for r in results[1:]:
            table.add_row(str(r["id"]), r["computed_at"][:16], _fmt(r["sufficient"]),
                          lbl("mv_model_type", r["model_type"]) if r["model_type"] else "—",
                          str(r["reporting_end"] or "—"), _fmt(r["savings_kwh"]),
                          _pct(r["fractional_savings"]), _fmt(r["meets_g14"]))
        console.print(table)
    if p["monthly"]:
        m = Table(*heads("month", "period", "valid_days", "celsius", "baseline_kwh",
                         "actual_kwh"), title=t("cli.mv.monthly"))
        for row in p["monthly"]:
            m.add_row(row["month"], row["period"], f"{row['n_valid_days']}/{row['n_days']}",
                      _fmt(row["temp_mean_c"], 1), _fmt(row["baseline_kwh"]),
                      _fmt(row["actual_kwh"]))
        console.print(m)


@retrofits_app.command("progress")
def retrofits_progress(year: Annotated[int, typer.Option(help="As of the end of this year")],
                       district: DistrictOpt = None) -> None:
    """Plan progress: retrofitted area, area with measured savings ≥ 15 %, commissioning."""
    with _errors(), _workspace() as ws:
        g = retrofit_progress(ws, district, year)
        ta, t15, tc = g["retrofit_target"], g["saving15_target"], g["commissioning_target"]

        def target(tg: dict[str, Any] | None) -> str:
            return t("cli.retrofits.no_target") if tg is None else (
                f"{_fmt(tg['target_value'])} ({tg['code']}, "
                f"{tg['target_year'] or t('cli.retrofits.every_year')})")

        table = Table(*heads("indicator", "done", "target", "progress"),
                      title=t("cli.retrofits.progress_title", district=g["district_id"],
                              start=g["plan_start"], year=year))
        table.add_row(t("cli.retrofits.area", n=g["retrofit_buildings"]),
                      _fmt(g["retrofit_area_m2"]), target(ta),
                      _pct_of(g["retrofit_progress_pct"]))
        table.add_row(t("cli.retrofits.area15"), _fmt(g["saving15_area_m2"]), target(t15),
                      _pct_of(g["saving15_progress_pct"]))
        table.add_row("  " + t("cli.retrofits.fails_g14"),
                      _fmt(g["saving15_fails_g14_area_m2"]), "", "")
        table.add_row("  " + t("cli.retrofits.below15"), _fmt(g["below15_area_m2"]), "", "")
        table.add_row("  " + t("cli.retrofits.not_measured"), _fmt(g["not_measured_area_m2"]),
                      "", "")
        table.add_row(t("cli.retrofits.commissioned", year=year),
                      str(g["commissioning_this_year"]), target(tc), "")
        console.print(table)
        say("cli.bullet", text=t("cli.retrofits.by_year", years=", ".join(
            f"{c['year']}: {c['completed']}" for c in g["commissioning"])))


def _pct_of(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}%"


# -- M&V ------------------------------------------------------------------------------------
@mv_app.command("run")
def mv_run(
    project: Annotated[list[str] | None, typer.Option(
        "--project", "-p", help="Only these project codes (repeatable); default every "
        "completed project")] = None,
    as_of: Annotated[str | None, typer.Option(help="Ignore data after this day YYYY-MM-DD")]
    = None,
    district: DistrictOpt = None,
) -> None:
    """Measure savings: baseline = 365 days before works begin, reporting from completion for
    up to a year; one stored result per project, with its inputs."""
    with _errors(), _workspace() as ws:
        when = option_date(as_of, "--as-of")
        with _progress() as prog:
            task = prog.add_task(t("cli.mv.task"), total=None)

            def show(done: int, total: int, label: str) -> None:
                prog.update(task, completed=done, total=total,
                            description=t("cli.mv.step", label=label))

            rows = measure(ws, district, codes=project or None, as_of=when, progress=show)
        console.print(_projects_table(rows, t("cli.mv.measured", n=len(rows))))


@mv_app.command("show")
def mv_show(code: Annotated[str, typer.Argument(help="Project code")],
            district: DistrictOpt = None) -> None:
    """A project's M&V results and monthly baseline vs actual."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        _print_detail(project_detail(ws, AccessScope(d.id, everything=True), code))
