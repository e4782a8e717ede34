"""CLI commands: the project gate (节能审查) and the certificate ledger (绿证).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`::

    carbonpeak projects import projects.csv        # the register (one row per project)
    carbonpeak projects energy energy.csv          # designed energy (project, carrier)
    carbonpeak projects list|show CODE|route CODE|impact [--year Y] [--json]
                                                   # show|impact: the intensity effect too
    carbonpeak projects operation [--margin 0.1]   # designed/accepted/metered, 节能监察
    carbonpeak certificates import ledger.csv | list | scope2 --year Y
"""

from __future__ import annotations

import json
from dataclasses import asdict
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
from carbonpeak.domain.projects import DEFAULT_OVERUSE_MARGIN, route, routing_table
from carbonpeak.i18n import msg
from carbonpeak.intake.batches import Tally
from carbonpeak.services.accounting.certificates import (
    import_certificates,
    list_certificates,
    scope2_market,
)
from carbonpeak.services.figures import PROJECT_FIGURES, figures, published_pipeline
from carbonpeak.services.projects.register import (
    import_project_energy,
    import_projects,
    one_project,
    operation,
    pipeline,
    project_rows,
)

__all__ = ["certificates_app", "projects_app"]

projects_app = typer.Typer(help="Fixed-asset investment projects and their energy review "
                           "(节能审查): register, routing, budget impact, pipeline.",
                           no_args_is_help=True)
certificates_app = typer.Typer(help="Green certificates and green-power contracts (绿证/绿电): "
                               "the ledger and market-based scope 2.", no_args_is_help=True)
app.add_typer(projects_app, name="projects")
app.add_typer(certificates_app, name="certificates")

FileArg = Annotated[Path, typer.Argument(help="CSV, .xlsx or .xls file (UTF-8 or GB18030; "
                                         "English or Chinese headers)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]
YearOpt = Annotated[int | None, typer.Option(help="Budget year (default: the latest)")]


def _json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=1))


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return yes_no(v)
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def _tally(what: str, tally: Tally) -> None:
    console.print(f"[green]{what}[/]: " + t(tally.summary()), highlight=False)


@projects_app.command("import")
def projects_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Projects 项目: project_code, name, street, developer, sector_code (GB/T 4754), kind
    (新建/扩建/改建), stage (立项/备案 … 投运), value_added_10k_cny."""
    with _errors(), _workspace() as ws:
        _tally(file.name, import_projects(ws, file, district=district))


@projects_app.command("energy")
def projects_energy(file: FileArg, district: DistrictOpt = None) -> None:
    """Designed annual energy 设计年用能: project_code, carrier, annual_quantity, unit (the
    readings import's units), optional existing_quantity (改建前) and feedstock (原料用能)."""
    with _errors(), _workspace() as ws:
        _tally(file.name, import_project_energy(ws, file, district=district))


_LIST_KEYS = ("project_code", "name", "developer", "sector_code", "kind", "stage",
              "review_level", "tce_equivalent", "tce_equal", "tco2", "budget_share",
              "co2_budget_share", "two_high", "first_full_year")


@projects_app.command("list")
def projects_list(district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Every project: review level (none|district|city|province), tce at equivalent and equal
    value, CO2, share of the remaining budget of its first full year, 两高."""
    with _errors(), _workspace() as ws:
        rows = project_rows(ws, district=district)
    if as_json:
        _json([{k: r[k] for k in _LIST_KEYS} for r in rows])
        return
    table = Table(*heads("code", "name", "stage", "review_level", "tce_equivalent", "tce_equal",
                         "tco2", "budget_share", "two_high"),
                  title=t("cli.projects.title", n=len(rows)))
    for r in rows:
        share = r["budget_share"]
        table.add_row(r["project_code"], r["name"], lbl("project_stage", str(r["stage"])),
                      lbl("review_level", str(r["review_level"])), _fmt(r["tce_equivalent"]),
                      _fmt(r["tce_equal"]), _fmt(r["tco2"]),
                      "—" if share is None else f"{100 * share:.2f}%", _fmt(r["two_high"]))
    console.print(table)


@projects_app.command("show")
def projects_show(code: str, district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """One project with its carriers, routing rule, 两高 source and its effect on the energy
    per unit GDP of its first full year (statistics basis) against the target path."""
    with _errors(), _workspace() as ws:
        row = one_project(ws, code, district=district)
    if as_json:
        _json(row)
        return
    table = Table(*heads("field", "value"), title=f"{row['project_code']} {row['name']}")
    for k, v in row.items():
        if k == "intensity":
            continue
        table.add_row(k, json.dumps(v, ensure_ascii=False) if isinstance(v, list)
                      else _fmt(v, 2))
    console.print(table)
    _intensity(row["intensity"])


def _intensity(it: dict[str, Any]) -> None:
    """The project's effect on the intensity path (statistics basis), or why not computed."""
    if it["without"] is not None:
        say("cli.projects.intensity", year=it["year"], without=f"{it['without']:.6f}",
            with_=f"{it['with_project']:.6f}", change=f"{it['change_pct']:+.2f}",
            path="—" if it["path_value"] is None else f"{it['path_value']:.6f}",
            basis=msg("projects.intensity.basis", base=it["gdp_price_base_year"] or "—"))
    for n in it["notes"]:
        say(n["code"], "yellow", **n["params"])


@projects_app.command("route")
def projects_route(
    code: Annotated[str | None, typer.Argument(help="A registered project")] = None,
    tce: Annotated[float | None, typer.Option(help="Or: tce a year, equivalent value")] = None,
    kwh: Annotated[float, typer.Option(help="…and electricity kWh a year")] = 0.0,
    district: DistrictOpt = None, as_json: JsonOpt = False,
) -> None:
    """Who reviews a project (节能审查层级): the province's table, bounds inclusive."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        if code is not None:
            row = one_project(ws, code, district=d.id)
            tce_c, kwh_c = row["counted_tce_equivalent"], row["electricity_kwh"]
        else:
            tce_c, kwh_c = tce or 0.0, kwh
        r = route(tce_c, kwh_c, routing_table(d.province))
    out = {"review_level": str(r.level), "tce_equivalent": r.tce_equivalent,
           "electricity_kwh": r.electricity_kwh, "region": r.region, "source": r.source,
           "status": r.status}
    if as_json:
        _json(out)
        return
    console.print(f"[bold]{lbl('review_level', str(out['review_level']))}[/] " + t(
        "cli.projects.route", region=r.region, tce=f"{r.tce_equivalent:,.1f}",
        kwh=f"{r.electricity_kwh:,.0f}", status=lbl("rule_status", str(r.status)),
        source=r.source), highlight=False)


@projects_app.command("impact")
def projects_impact(district: DistrictOpt = None, year: YearOpt = None,
                    as_json: JsonOpt = False) -> None:
    """The pipeline (approved, not operating) against the remaining budget; stores or clears
    the pipeline warning (carbonpeak warnings)."""
    with _errors(), _workspace() as ws:
        pl = pipeline(ws, district=district, year=year)
        out = published_pipeline(ws, pl.to_dict())  # the totals as the catalogue publishes
        fs = figures(ws, year=pl.year, district=pl.district)
    if as_json:
        _json(out)
        return
    table = Table(*heads("code", "name", "stage", "review_level", "tce_equal", "two_high"),
                  title=t("cli.projects.impact_title", district=pl.district, year=pl.year,
                          budget=_fmt(pl.budget), base=_fmt(pl.base_use),
                          remaining=_fmt(out["remaining"]), pipeline=_fmt(out["pipeline_tce"]),
                          headroom=_fmt(out["headroom"])))
    for p in pl.projects:
        table.add_row(p["project_code"], p["name"], lbl("project_stage", str(p["stage"])),
                      lbl("review_level", str(p["review_level"])), _fmt(p["tce_equal"]),
                      _fmt(p["two_high"]))
    console.print(table)
    for p in pl.projects:
        console.print(p["project_code"], highlight=False)
        _intensity(p["intensity"])
    print_published(fs, PROJECT_FIGURES)
    for m in pl.messages:
        console.print("  " + t("cli.account.note", text=m), highlight=False)
    if pl.exceeds:
        say("cli.projects.exceeds", "bold red")


@projects_app.command("operation")
def projects_operation(
    district: DistrictOpt = None, as_json: JsonOpt = False,
    margin: Annotated[float, typer.Option(help="Over-use margin (0.1 = 10 %)")] =
    DEFAULT_OVERUSE_MARGIN,
) -> None:
    """Designed, reviewed, accepted and metered use of linked projects; over-use (节能监察)."""
    with _errors(), _workspace() as ws:
        rows = operation(ws, district=district, margin=margin)
    if as_json:
        _json(rows)
        return
    table = Table(*heads("code", "entity", "year", "designed", "reviewed", "accepted_use",
                         "metered", "over"))
    for r in rows:
        table.add_row(r["project_code"], r["entity_id"], str(r["year"]),
                      _fmt(r["designed_tce_equal"]), _fmt(r["reviewed_tce_equal"]),
                      _fmt(r["accepted_tce_equal"]), _fmt(r["metered_tce_equal"]),
                      _fmt(r["over_reviewed"]))
    console.print(table)


# -- certificates ---------------------------------------------------------------------------
@certificates_app.command("import")
def certificates_import(file: FileArg, district: DistrictOpt = None) -> None:
    """Ledger rows 绿证台账: serial, kind (绿证/绿电), vintage, mwh, holder (entity id), status,
    claim_year; optional plant_id (发电项目) and plant_in_district (电站在本区: yes/no; its
    MWh are not deducted again when already counted as new renewables). A serial already
    claimed is refused, naming the first claim."""
    with _errors(), _workspace() as ws:
        _tally(file.name, import_certificates(ws, file, district=district))


@certificates_app.command("list")
def certificates_list(district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """The district's certificates and contracts."""
    with _errors(), _workspace() as ws:
        rows = list_certificates(ws, district=district)
    if as_json:
        _json(rows)
        return
    table = Table(*heads("serial", "kind", "vintage"), "MWh", *heads("holder", "status", "claim"),
                  title=t("cli.certificates.title", n=len(rows)))
    for r in rows:
        table.add_row(r["serial"], lbl("certificate_kind", str(r["kind"])), str(r["vintage"]),
                      _fmt(r["mwh"]), r["holder"], lbl("certificate_status", str(r["status"])),
                      str(r["claim_year"]))
    console.print(table)


@certificates_app.command("scope2")
def certificates_scope2(year: Annotated[int, typer.Option(help="Account year")],
                        district: DistrictOpt = None, as_json: JsonOpt = False) -> None:
    """Scope 2 of purchased electricity, location-based beside market-based."""
    with _errors(), _workspace() as ws:
        rep = scope2_market(ws, district=district, year=year)
    if rep is None:
        say("cli.no_official_account", year=year)
        raise typer.Exit(1)
    if as_json:
        _json(asdict(rep))
        return
    say("cli.scope2", year=year, purchased=f"{rep.purchased_mwh:,.1f}",
        certified=f"{rep.certified_mwh:,.1f}", location=f"{rep.location_tco2:,.1f}",
        market=f"{rep.market_tco2:,.1f}", factor=rep.national_residual_factor,
        data_year=rep.national_residual_data_year,
        national=f"{rep.market_tco2_national_residual:,.1f}")
