"""CLI commands: the virtual power plant (需求响应 / 虚拟电厂).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`::

    carbonpeak dr resources import FILE      # resource_id, entity_id, kind, contracted_kw, …
    carbonpeak dr events import FILE         # event_id, programme, date, start, end, target_kw
    carbonpeak dr participants import FILE   # event_id, resource_id, declared_kw
    carbonpeak dr resources list [--aggregator ORG] [--json]
    carbonpeak dr events list [--json]
    carbonpeak dr baseline --event E [--resource R] [--method M] [--around H] [--json]
    carbonpeak dr results --event E [--method M] [--price 3.0] [--json]
    carbonpeak dr capability [--json]
    carbonpeak dr peak set --year Y --mw X --source TEXT [--status S] [--as-of D]
    carbonpeak dr vtn [--host 127.0.0.1] [--port 8080] [--dispatch E]...   # OpenADR 2.0b VTN
        [--cert VTN.pem --key VTN.key --ca-file CA.pem --ven-fingerprints VENS.csv]  # signed
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    _errors,
    _workspace,
    app,
    console,
    heads,
    lbl,
    say,
    t,
    yes_no,
)
from carbonpeak.cli.metrics import print_published
from carbonpeak.i18n import msg
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
from carbonpeak.services.energy.vpp.results import event_baseline, event_results, intervals_of
from carbonpeak.services.figures import VPP_FIGURES, published_capability

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
    summary = msg("intake.batch.summary", added=r.added, updated=r.updated,
                  unchanged=r.unchanged)
    console.print(f"[green]{lbl('batch_status', 'committed')}[/] "
                  + t("cli.dr.imported", file=r.file, rows=r.rows_in, summary=summary)
                  + "".join("；" + t(m) for m in r.messages), highlight=False)


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
        table = Table(*heads("resource", "entity", "kind", "contracted_kw", "automated", "ven",
                             "meter", "aggregator"), title=t("cli.dr.resources", n=len(rows)))
        for r in rows:
            table.add_row(r["resource_id"], r["entity_id"], lbl("dr_resource_kind", r["kind"]),
                          _f(r["contracted_kw"]), yes_no(True) if r["automated"] else "",
                          r["ven_id"] or "", r["meter_id"] or "", r["aggregator"])
        console.print(table)


@events_app.command("list")
def events_list(as_json: JsonOpt = False, district: DistrictOpt = None) -> None:
    """The district's events, newest first."""
    with _errors(), _workspace() as ws:
        rows = list_events(ws, _scope(ws, district))
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        table = Table(*heads("event", "programme", "date", "window", "target_kw"))
        for e in rows:
            table.add_row(e["event_id"], lbl("dr_programme", e["programme"]), e["date"],
                          f"{e['start']}–{e['end']}", _f(e["target_kw"]))
        console.print(table)


@dr_app.command("baseline")
def baseline_cmd(
    event: EventOpt,
    resource: Annotated[str | None, typer.Option("--resource", help="One resource")] = None,
    method: MethodOpt = None,
    around: Annotated[int, typer.Option(
        "--around", min=0, max=24,
        help="Also these hours before and after the window (24: the whole day)")] = 0,
    as_json: JsonOpt = False, district: DistrictOpt = None,
) -> None:
    """The baseline per interval of the event window (kW), with the actual load; with
    --around H the window ± H hours of the event day (window intervals marked *)."""
    with _errors(), _workspace() as ws:
        eb = event_baseline(ws, _scope(ws, district), event, resource=resource,
                            method=method, around_hours=around)
        out: dict[str, Any] = {"event_id": eb.event.event_id, "method": eb.method,
               "baseline_days": [d.isoformat() for d in eb.days],
               "window_start": f"{eb.event.start:%H:%M}", "window_end": f"{eb.event.end:%H:%M}",
               "around_hours": around, "resources": [
                   {"resource_id": rid, "interval_minutes": eb.interval_minutes[rid],
                    "intervals": intervals_of(eb, rid)} for rid in eb.baseline_kw]}
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
            return
        say("cli.dr.baseline_head", event=eb.event.event_id, day=str(eb.event.day),
            start=f"{eb.event.start:%H:%M}", end=f"{eb.event.end:%H:%M}",
            method=lbl("dr_baseline_method", eb.method),
            days=", ".join(d.strftime("%m-%d") for d in eb.days))
        for r in out["resources"]:
            table = Table(*heads("interval", "baseline_kw", "actual_kw"),
                          title=r["resource_id"])
            for iv in r["intervals"]:
                table.add_row(iv["start"][11:] + (" *" if around and iv["in_window"] else ""),
                              _f(iv["baseline_kw"]), _f(iv["actual_kw"]))
            console.print(table)


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
        table = Table(*heads("resource", "aggregator", "baseline_kw", "actual_kw", "response_kw",
                             "declared_kw", "execution_ratio", "amount_cny"),
                      title=f"{event} ({lbl('dr_baseline_method', res['method'])})")
        for r in res["resources"]:
            ratio = r["execution_ratio"]
            table.add_row(r["resource_id"], r["aggregator"], _f(r["baseline_kw"]),
                          _f(r["actual_kw"]), _f(r["response_kw"]), _f(r["declared_kw"]),
                          "—" if ratio is None else f"{100 * ratio:.0f}%",
                          _f(r["amount_cny"], 0) if r["data"] == "ok"
                          else t(f"cli.dr.data.{r['data']}"))
        console.print(table)
        a = Table(*heads("aggregator", "resources", "response_kw", "declared_kw",
                         "execution_ratio", "amount_cny"))
        for g in [*res["aggregators"], {"aggregator": t("cli.dr.total"), **res["total"]}]:
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
        d = ws.district(district).id
        cap = capability(ws, d)
        fs = published_capability(ws, cap, district=d, year=year) if year is not None else None
        if as_json:
            typer.echo(json.dumps(cap, ensure_ascii=False, indent=1))
            return
        table = Table(*heads("year", "metric", "value", "basis_of"))
        for m in cap["metrics"]:
            basis = t(f"cli.dr.basis.{m['basis']}")
            if m["metric"] == "dr_peak_share_pct" and m["peak_kw"]:
                pb = m["peak_basis"]
                basis += t("cli.dr.peak", mw=_f(m["peak_kw"] / 1000, 2), basis=(
                    t("cli.dr.peak_basis.statistic") if pb == "statistic"
                    else t("cli.dr.peak_basis.metered", minutes=pb.removeprefix("metered_")
                           .removesuffix("min"))))
            table.add_row(str(m["year"]), t(f"cli.dr.metric.{m['metric']}"), _f(m["value"], 3),
                          basis)
        console.print(table)
        if fs is not None:
            print_published(fs, VPP_FIGURES)


peak_app = typer.Typer(help="The district's peak load 最大负荷 (TH-12's share).",
                       no_args_is_help=True)
dr_app.add_typer(peak_app, name="peak")


@peak_app.command("set")
def peak_set(
    year: Annotated[int, typer.Option(help="Year")],
    mw: Annotated[float, typer.Option("--mw", help="Peak load, MW")],
    source: Annotated[str, typer.Option(help="Where the figure comes from 来源")],
    status: Annotated[str, typer.Option(
        help="verified | secondary | unverified | user")] = "secondary",
    as_of: Annotated[str | None, typer.Option("--as-of", help="As of (YYYY-MM-DD)")] = None,
    district: DistrictOpt = None,
) -> None:
    """Enter the district's peak load of a year as a statistic (audit-logged); TH-12's share
    is of it instead of the metered peak."""
    import datetime as dt

    from carbonpeak.errors import InputValidationError, RowError
    from carbonpeak.i18n import msg
    from carbonpeak.services.energy.vpp.capability import enter_peak_load

    with _errors(), _workspace() as ws:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise InputValidationError([RowError("--as-of", None, "as_of", as_of,
                                                 msg("intake.weather.day"))]) from None
        got = enter_peak_load(ws, year, mw, source, status=status, as_of=day,
                              district=district, where="carbonpeak dr peak set")
        say("cli.dr.peak_set", district=got["district"], year=year, mw=_f(mw, 1),
            status=lbl("factor_status", got["status"]), source=got["source"],
            outcome=t(f"cli.dr.peak_outcome.{got['outcome']}"))


@dr_app.command("vtn")
def vtn_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
    dispatch: Annotated[list[str] | None, typer.Option(
        "--dispatch", help="Event id to send to its automated participants' VENs")] = None,
    seconds: Annotated[float | None, typer.Option(
        help="Stop after this many seconds (default: run until Ctrl-C)")] = None,
    cert: Annotated[Path | None, typer.Option(
        help="The VTN's certificate (PEM): HTTPS and signed messages")] = None,
    key: Annotated[Path | None, typer.Option(help="Its private key (PEM)")] = None,
    ca_file: Annotated[Path | None, typer.Option(
        "--ca-file", help="The CA (PEM) that issued the VENs' client certificates")] = None,
    ven_fingerprints: Annotated[Path | None, typer.Option(
        "--ven-fingerprints", help="CSV ven_id,fingerprint: each VEN's certificate")] = None,
    district: DistrictOpt = None,
) -> None:
    """Serve the OpenADR 2.0b VTN (openleadr): VENs of automated resources register, receive
    the dispatched events, opt in or out, and report telemetry (stored in the lake). With
    --cert, --key and --ca-file: HTTPS with client certificates and signed messages, each VEN
    known by its fingerprint (--ven-fingerprints); without: plain HTTP, unsigned (loopback or
    behind a TLS proxy only; docs/vpp.md)."""
    import asyncio

    from carbonpeak.errors import InputValidationError, RowError
    from carbonpeak.i18n import msg
    from carbonpeak.intake.energy.dr_files import read_ven_fingerprints
    from carbonpeak.services.energy.vpp.vtn import Vtn, VtnSecurity

    security: VtnSecurity | None = None
    given = [x is not None for x in (cert, key, ca_file)]
    if any(given) and not all(given):
        with _errors():
            raise InputValidationError([RowError("--cert/--key/--ca-file", None, None, None,
                                                 msg("vpp.vtn.security_incomplete"))])
    if cert is not None and key is not None and ca_file is not None:
        with _errors():
            fps = read_ven_fingerprints(ven_fingerprints) if ven_fingerprints else {}
        security = VtnSecurity(cert, key, ca_file, fps)
    else:
        say("cli.dr.vtn_unsigned", "yellow")

    async def serve(ws: Any) -> None:  # noqa: ANN401
        vtn = Vtn(ws, ws.district(district).id, host=host, port=port, security=security)
        await vtn.start()
        if security is not None:
            say("cli.dr.vtn_fingerprint", fingerprint=security.fingerprint,
                n=len(security.ven_fingerprints))
        try:
            for e in dispatch or []:
                sent = vtn.dispatch(e)
                say("cli.dr.dispatched", event=e,
                    vens=", ".join(sent) or t("cli.dr.no_automated"))
            say("cli.dr.vtn", url=str(vtn.url))
            if seconds is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(seconds)
        finally:
            await vtn.stop()

    with _errors(), _workspace() as ws, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(ws))
