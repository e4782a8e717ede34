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
    import_app,
    option_date,
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
        return "yes 是" if v else "no 否"
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
        tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
               "no_change": "[yellow]no change[/]"}[r.status]
        console.print(f"{tag} {r.file} → batch {r.batch_id}: {'; '.join(r.messages)}")


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
            t = Table("day 日期", "°C", "station 站点", "batch 批次")
            for r in days:
                t.add_row(r["day"], f"{r['t_mean_c']:.1f}", r["station"], str(r["batch_id"]))
        else:
            t = Table("month 月份", "mean °C 月平均气温", "days 天数",
                      title=f"{d.name_zh} {summary['first']}..{summary['last']}: "
                      f"{summary['n_days']} days, {summary['missing_days']} missing 缺测")
            for m in summary["months"]:
                t.add_row(m["month"], f"{m['t_mean_c']:.1f}", str(m["n_days"]))
        console.print(t)


# -- projects -------------------------------------------------------------------------------
@retrofits_app.command("import")
def retrofits_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Projects 改造/调适项目: code, entity_id, kind, name, measures (; ； 、), start_date,
    end_date, floor_area_m2, investment (万元), claimed savings (kWh or %), status."""
    with _errors(), _workspace() as ws:
        r = import_retrofits(ws, file, district=district)
        tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
               "no_change": "[yellow]no change[/]"}[r.status]
        console.print(f"{tag} {r.file} → batch {r.batch_id}: {'; '.join(r.messages)}")


def _projects_table(rows: list[dict[str, Any]], title: str) -> Table:
    t = Table(title=title)
    for name, width in (("code", 0), ("name 名称", 12), ("kind", 0), ("building", 0),
                        ("竣工 end", 0), ("m²", 0), ("status", 0), ("节能量 kWh", 0),
                        ("节能率", 0), ("CV", 0), ("G14", 0), ("note 说明", 20)):
        t.add_column(name, no_wrap=not width, min_width=width or None)
    for r in rows:
        note = r.get("skipped") or (r.get("mv_reason_codes") if r.get("mv_sufficient") is False
                                    else r.get("mv_warning_codes"))
        if r.get("mv_id") is not None and r.get("mv_current") is False:
            note = "stale: project changed 项目已变更，请重新测算"
        kind = {"retrofit": "改造", "commissioning": "调适"}.get(str(r.get("kind")), "")
        status = {"planned": "计划", "in_progress": "实施中", "completed": "已竣工"}.get(
            str(r.get("status")), "")
        g14 = r.get("mv_meets_g14")
        t.add_row(r["code"], str(r.get("name") or ""), kind, str(r.get("entity_id") or ""),
                  str(r.get("end_date") or ""), _fmt(r.get("floor_area_m2")), status,
                  _fmt(r.get("mv_savings_kwh")), _pct(r.get("mv_fractional_savings")),
                  _pct(r.get("mv_cv_rmse")), "—" if g14 is None else ("是" if g14 else "否"),
                  str(note or ""))
    return t


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
        console.print(_projects_table(rows, f"{len(rows)} project(s) 项目"))


@retrofits_app.command("show")
def retrofits_show(code: Annotated[str, typer.Argument(help="Project code")],
                   district: DistrictOpt = None) -> None:
    """One project: its fields, every M&V result and the monthly baseline vs actual."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        p = project_detail(ws, AccessScope(d.id, everything=True), code)
        _print_detail(p)


def _print_detail(p: dict[str, Any]) -> None:
    console.print(f"[bold]{p['code']}[/] {p['name']} ({p['kind']}, {p['status']}) — "
                  f"{p['entity_id']} {p.get('entity_name') or ''}, {p.get('street') or ''}")
    console.print(f"  works 施工 {p['start_date']} → {p['end_date'] or '—'}; "
                  f"{_fmt(p['floor_area_m2'])} m²; investment 投资 "
                  f"{_fmt(p['investment_10k_cny'], 1)} 万元; claimed 申报 "
                  f"{_fmt(p['claimed_savings_kwh'])} kWh / "
                  f"{_pct(p['claimed_savings_fraction'])}")
    if p["measures"]:
        console.print("  measures 措施: " + "；".join(p["measures"]))
    results = p["mv_results"]
    if not results:
        console.print("  no M&V result yet 尚未测算: carbonpeak mv run --project " + p["code"])
    for i, r in enumerate(results[:1]):
        model = (r["result"] or {}).get("model") or {}
        bp = ", ".join(f"{k} {model[f'{k}_balance_point_c']:g} °C" for k in ("heating", "cooling")
                       if model.get(f"{k}_balance_point_c") is not None)
        console.print(
            f"  [bold]latest 最新测算[/] #{r['id']} ({r['computed_at']}, "
            f"{'sufficient 数据充分' if r['sufficient'] else '[red]insufficient 数据不足[/]'})"
            f"{'' if p['mv_current'] or i else ' [yellow]stale: project changed 项目已变更[/]'}")
        console.print(f"    model 基准模型: {r['model_type'] or '—'}{f' ({bp})' if bp else ''}; "
                      f"reporting 报告期 {r['reporting_start'] or '—'}..{r['reporting_end'] or '—'}"
                      f" ({r['n_reporting_days']} days)")
        console.print(f"    adjusted baseline 调整后基准 {_fmt(r['adjusted_baseline_kwh'])} kWh, "
                      f"actual 实测 {_fmt(r['reporting_kwh'])} kWh, savings 节能量 "
                      f"{_fmt(r['savings_kwh'])} kWh ({_pct(r['fractional_savings'])}), FSU68 "
                      f"{_pct(r['fsu_68'])}, CV(RMSE) {_pct(r['cv_rmse'])}, NMBE "
                      f"{_pct(r['nmbe'])}, ASHRAE G14 {_fmt(r['meets_g14'])}")
        for x in (r["result"] or {}).get("reasons", []):
            console.print(f"    [red]{x.get('code')}[/]: {x.get('message')}")
        for x in (r["result"] or {}).get("warnings", []):
            console.print(f"    [yellow]warning 提示 {x.get('code')}[/]: {x.get('message')}")
    if len(results) > 1:
        t = Table("id", "computed 测算时间", "sufficient", "model 模型", "reporting end",
                  "savings kWh 节能量", "rate 节能率", "G14", title="earlier results 历次测算")
        for r in results[1:]:
            t.add_row(str(r["id"]), r["computed_at"][:16], _fmt(r["sufficient"]),
                      str(r["model_type"] or "—"), str(r["reporting_end"] or "—"),
                      _fmt(r["savings_kwh"]), _pct(r["fractional_savings"]), _fmt(r["meets_g14"]))
        console.print(t)
    if p["monthly"]:
        m = Table("month 月份", "period 时期", "days 有效天数", "°C", "baseline kWh 基准",
                  "actual kWh 实测", title="monthly 月度 baseline vs actual (latest result)")
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

        def target(t: dict[str, Any] | None) -> str:
            return "— (no target 无目标)" if t is None else (
                f"{_fmt(t['target_value'])} ({t['code']}, {t['target_year'] or '每年'})")

        t = Table("indicator 指标", "value 完成", "target 目标", "progress 进度",
                  title=f"{g['district_id']} plan {g['plan_start']}–{year} 规划进度")
        t.add_row(f"既有建筑节能改造面积 retrofitted area ({g['retrofit_buildings']} buildings "
                  "栋, each once), m²", _fmt(g["retrofit_area_m2"]),
                  target(ta), _pct_of(g["retrofit_progress_pct"]))
        t.add_row("节能率≥15%且满足G14 area ≥ 15 % (G14), m²", _fmt(g["saving15_area_m2"]),
                  target(t15), _pct_of(g["saving15_progress_pct"]))
        t.add_row("  ≥15% 但不满足G14 ≥ 15 % failing G14, m²",
                  _fmt(g["saving15_fails_g14_area_m2"]), "", "")
        t.add_row("  <15% below 15 %, m²", _fmt(g["below15_area_m2"]), "", "")
        t.add_row("  未测算/数据不足 not measured, m²", _fmt(g["not_measured_area_m2"]), "", "")
        t.add_row(f"{year}年完成调适 commissioning completed", str(g["commissioning_this_year"]),
                  target(tc), "")
        console.print(t)
        console.print("  调适 commissioning by year: " + ", ".join(
            f"{c['year']}: {c['completed']}" for c in g["commissioning"]))


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
            task = prog.add_task("M&V 节能量测算", total=None)

            def show(done: int, total: int, label: str) -> None:
                prog.update(task, completed=done, total=total,
                            description=f"M&V 节能量测算 {label}")

            rows = measure(ws, district, codes=project or None, as_of=when, progress=show)
        console.print(_projects_table(rows, f"{len(rows)} project(s) measured 已测算"))


@mv_app.command("show")
def mv_show(code: Annotated[str, typer.Argument(help="Project code")],
            district: DistrictOpt = None) -> None:
    """A project's M&V results and monthly baseline vs actual."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        _print_detail(project_detail(ws, AccessScope(d.id, everything=True), code))
