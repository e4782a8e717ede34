"""CLI commands: the virtual power plant (需求响应 / 虚拟电厂).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`::

    carbonpeak dr resources import FILE      # resource_id, entity_id, kind, contracted_kw, …
    carbonpeak dr events import FILE         # event_id, programme, date, start, end, target_kw
    carbonpeak dr participants import FILE   # event_id, resource_id, declared_kw
    carbonpeak dr resources list [--aggregator ORG] [--json]
    carbonpeak dr events list [--json]
    carbonpeak dr baseline --event E [--resource R] [--method M] [--json]
    carbonpeak dr results --event E [--method M] [--price 3.0] [--json]
    carbonpeak dr capability [--json]
    carbonpeak dr vtn [--host 127.0.0.1] [--port 8080] [--dispatch E]...   # OpenADR 2.0b VTN
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import DistrictOpt, _errors, _workspace, app, console
from carbonpeak.cli.metrics import print_published
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.energy.vpp.capability import capability
from carbonpeak.services.energy.vpp.registry import (
    ImportResult,
    import_events,
    import_participants,
    import_resources,
    list_events,
    list_resources,
)
from carbonpeak.services.energy.vpp.results import event_baseline, event_results
from carbonpeak.services.figures import METRIC_FIGURES, VPP_FIGURES, figures

__all__ = ["dr_app"]

dr_app = typer.Typer(help="Demand response and the virtual power plant (需求响应/虚拟电厂): "
                     "resources, events, baselines, verified response, settlement.",
                     no_args_is_help=True)
resources_app = typer.Typer(help="Flexible resources 可调节资源.", no_args_is_help=True)
events_app = typer.Typer(help="Demand-response events 响应事件.", no_args_is_help=True)
participants_app = typer.Typer(help="Event participants 参与资源.", no_args_is_help=True)
dr_app.add_typer(resources_app, name="resources")
dr_app.add_typer(events_app, name="events")
dr_app.add_typer(participants_app, name="participants")
app.add_typer(dr_app, name="dr")

FileArg = Annotated[Path, typer.Argument(help="CSV, .xlsx or .xls file (UTF-8 or GB18030; "
                                         "English or Chinese headers)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
EventOpt = Annotated[str, typer.Option("--event", help="Event id 事件编号")]
MethodOpt = Annotated[str | None, typer.Option(
    "--method", help="high5of10 | last5 | 10in10_adjusted | regression (default: the "
    "event's, else its programme's)")]


def _done(r: ImportResult) -> None:
    console.print(f"[green]imported[/] {r.file}: {r.rows_in} rows, {r.added} added, "
                  f"{r.updated} updated, {r.unchanged} unchanged 新增/更新/未变"
                  + ("; " + "; ".join(r.notes) if r.notes else ""))


def _scope(ws: Any, district: str | None) -> AccessScope:  # noqa: ANN401
    return AccessScope(ws.district(district).id, everything=True)


def _f(v: Any, digits: int = 1) -> str:  # noqa: ANN401
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


@resources_app.command("import")
def resources_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Resources: resource_id (资源编号), entity_id, kind (空调/照明/储能/充电桩/工艺/光伏),
    contracted_kw (签约容量), automated (是/否), ven_id (网关编号), meter_id (计量表编号),
    aggregator (负荷聚合商), frequency_regulation (调频, optional)."""
    with _errors(), _workspace() as ws:
        _done(import_resources(ws, file, district=district))


@events_app.command("import")
def events_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Events: event_id, programme (邀约/实时/调频), date, start, end (local HH:MM),
    target_kw, baseline_method (optional)."""
    with _errors(), _workspace() as ws:
        _done(import_events(ws, file, district=district))


@participants_app.command("import")
def participants_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Participants: event_id, resource_id, declared_kw (申报响应量), opt_status (optional)."""
    with _errors(), _workspace() as ws:
        _done(import_participants(ws, file, district=district))


@resources_app.command("list")
def resources_list(
    aggregator: Annotated[str | None, typer.Option(help="Only this aggregator's")] = None,
    as_json: JsonOpt = False, district: DistrictOpt = None,
) -> None:
    """The registered resources."""
    with _errors(), _workspace() as ws:
        scope = _scope(ws, district)
        if aggregator is not None:
            scope = AccessScope(scope.district_id, everything=False, aggregator=aggregator)
        rows = list_resources(ws, scope)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        t = Table("resource 资源", "entity 主体", "kind 类型", "kW 签约", "auto 自动", "VEN",
                  "meter 表", "aggregator 聚合商", title=f"{len(rows)} resources")
        for r in rows:
            t.add_row(r["resource_id"], r["entity_id"], r["kind"], _f(r["contracted_kw"]),
                      "yes" if r["automated"] else "", r["ven_id"] or "", r["meter_id"] or "",
                      r["aggregator"])
        console.print(t)


@events_app.command("list")
def events_list(as_json: JsonOpt = False, district: DistrictOpt = None) -> None:
    """The district's events, newest first."""
    with _errors(), _workspace() as ws:
        rows = list_events(ws, _scope(ws, district))
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        t = Table("event 事件", "programme 类型", "date 日期", "window 时段", "target kW 目标")
        for e in rows:
            t.add_row(e["event_id"], e["programme"], e["date"], f"{e['start']}–{e['end']}",
                      _f(e["target_kw"]))
        console.print(t)


@dr_app.command("baseline")
def baseline_cmd(
    event: EventOpt,
    resource: Annotated[str | None, typer.Option("--resource", help="One resource")] = None,
    method: MethodOpt = None, as_json: JsonOpt = False, district: DistrictOpt = None,
) -> None:
    """The baseline per interval of the event window (kW), with the actual load."""
    with _errors(), _workspace() as ws:
        eb = event_baseline(ws, _scope(ws, district), event, resource=resource,
                            method=method)
        out: dict[str, Any] = {"event_id": eb.event.event_id, "method": eb.method,
               "baseline_days": [d.isoformat() for d in eb.days], "resources": [
                   {"resource_id": rid, "interval_minutes": eb.interval_minutes[rid],
                    "intervals": [{"start": ts.isoformat(timespec="minutes"),
                                   "baseline_kw": _n(b), "actual_kw": _n(a)}
                                  for ts, b, a in zip(eb.stamps[rid], eb.baseline_kw[rid],
                                                      eb.actual_kw[rid], strict=True)]}
                   for rid in eb.baseline_kw]}
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
            return
        console.print(f"event {eb.event.event_id} {eb.event.day} "
                      f"{eb.event.start:%H:%M}–{eb.event.end:%H:%M}, method {eb.method}, "
                      f"days {', '.join(d.strftime('%m-%d') for d in eb.days)}")
        for r in out["resources"]:
            t = Table("interval 时段", "baseline kW 基线", "actual kW 实际",
                      title=r["resource_id"])
            for iv in r["intervals"]:
                t.add_row(iv["start"][11:], _f(iv["baseline_kw"]), _f(iv["actual_kw"]))
            console.print(t)


def _n(v: float) -> float | None:
    return None if v != v else round(float(v), 3)  # noqa: PLR0124 - NaN check


@dr_app.command("results")
def results_cmd(
    event: EventOpt, method: MethodOpt = None,
    price: Annotated[float | None, typer.Option(
        "--price", help="Settlement price CNY/kWh (default: the programme's)")] = None,
    as_json: JsonOpt = False, district: DistrictOpt = None,
) -> None:
    """Per resource: baseline, actual and response kW (means over the window), declared kW,
    execution ratio and settlement; per aggregator and in total."""
    with _errors(), _workspace() as ws:
        res = event_results(ws, _scope(ws, district), event, method=method,
                            price_cny_per_kwh=price)
        if as_json:
            typer.echo(json.dumps(res, ensure_ascii=False, indent=1))
            return
        t = Table("resource 资源", "aggregator 聚合商", "baseline kW", "actual kW",
                  "response kW 响应", "declared kW 申报", "ratio 执行率", "CNY 补偿",
                  title=f"{event} ({res['method']})")
        for r in res["resources"]:
            ratio = r["execution_ratio"]
            t.add_row(r["resource_id"], r["aggregator"], _f(r["baseline_kw"]),
                      _f(r["actual_kw"]), _f(r["response_kw"]), _f(r["declared_kw"]),
                      "—" if ratio is None else f"{100 * ratio:.0f}%",
                      _f(r["amount_cny"], 0) if r["data"] == "ok" else r["data"])
        console.print(t)
        a = Table("aggregator 聚合商", "resources", "response kW", "declared kW", "ratio",
                  "CNY")
        for g in [*res["aggregators"], {"aggregator": "total 合计", **res["total"]}]:
            ratio = g["execution_ratio"]
            a.add_row(g["aggregator"], str(g["resources"]), _f(g["response_kw"]),
                      _f(g["declared_kw"]), "—" if ratio is None else f"{100 * ratio:.0f}%",
                      _f(g["amount_cny"], 0))
        console.print(a)


@dr_app.command("capability")
def capability_cmd(as_json: JsonOpt = False, district: DistrictOpt = None,
                   year: Annotated[int | None, typer.Option(
                       "--year", help="That year's values as the figure catalogue publishes "
                       "them (the targets' values), with basis and as-of")] = None) -> None:
    """Contracted and verified demand-response capability against the plan's targets."""
    with _errors(), _workspace() as ws:
        cap = capability(ws, ws.district(district).id)
        fs = figures(ws, year=year, district=district) if year is not None else None
        if fs is not None:
            for m in cap["metrics"]:
                f = fs.get(METRIC_FIGURES[m["metric"]])
                if m["year"] == year and f is not None:
                    m["value"] = f.value
            cap["figures"] = fs.dicts(*VPP_FIGURES)
        if as_json:
            typer.echo(json.dumps(cap, ensure_ascii=False, indent=1))
            return
        t = Table("metric 指标", "value 数值", "basis 口径")
        for m in cap["metrics"]:
            t.add_row(m["metric"], _f(m["value"], 3), m["basis"])
        console.print(t)
        if fs is not None:
            print_published(fs, VPP_FIGURES)


@dr_app.command("vtn")
def vtn_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
    dispatch: Annotated[list[str] | None, typer.Option(
        "--dispatch", help="Event id to send to its automated participants' VENs")] = None,
    seconds: Annotated[float | None, typer.Option(
        help="Stop after this many seconds (default: run until Ctrl-C)")] = None,
    district: DistrictOpt = None,
) -> None:
    """Serve the OpenADR 2.0b VTN (openleadr): VENs of automated resources register, receive
    the dispatched events, opt in or out, and report telemetry (stored in the lake).
    Unsigned: put it behind TLS or pass certificates in code (docs/vpp.md)."""
    import asyncio

    from carbonpeak.services.energy.vpp.vtn import Vtn

    async def serve(ws: Any) -> None:  # noqa: ANN401
        vtn = Vtn(ws, ws.district(district).id, host=host, port=port)
        await vtn.start()
        try:
            for e in dispatch or []:
                sent = vtn.dispatch(e)
                console.print(f"dispatched {e}: {', '.join(sent) or 'no automated participant'}")
            console.print(f"VTN at {vtn.url}")
            if seconds is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(seconds)
        finally:
            await vtn.stop()

    with _errors(), _workspace() as ws, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(ws))
