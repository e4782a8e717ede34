"""Setting up and feeding the registry: init, imports, templates, the factor library, batches
and runs."""

from __future__ import annotations

from collections.abc import Sequence
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
    _fmt,
    _import,
    _workspace,
    _ws,
    app,
    console,
    factors_app,
    heads,
    import_app,
    lang,
    lbl,
    pick,
    region,
    say,
    t,
    t_or,
    yes_no,
)
from carbonpeak.config import Settings
from carbonpeak.i18n import msg, stored_text
from carbonpeak.intake.bootstrap import init_workspace, load_factor_set
from carbonpeak.intake.formats.templates import TEMPLATE_KINDS, write_template
from carbonpeak.reference import list_cities, list_profiles, read_factor_set
from carbonpeak.storage.queries import (
    account_runs,
    factor_set_ids,
    factor_set_version,
    recent_batches,
    template_scope,
)
from carbonpeak.storage.workspace import latest_factor_set


@app.command()
def init(
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", "-p", help=f"District profile to create: {', '.join(list_profiles())} "
        "or a .toml file. Repeatable.")] = None,
    city: Annotated[list[str] | None, typer.Option(
        "--city", help=f"City profile to create with every district it lists: "
        f"{', '.join(list_cities())} or a .toml file. Repeatable.")] = None,
) -> None:
    """Create or upgrade the registry, load the factor library, add districts and streets
    (and cities with their districts)."""
    with _errors():
        ws, notes = init_workspace(Settings(), profiles=list(profile or []),
                                   cities=list(city or []))
        say("cli.init.where", registry=str(ws.settings.url), lake=ws.lake.objects.url)
        for n in notes:
            say("cli.bullet", text=t(n))
        if not notes:
            say("cli.bullet", text=t("cli.init.up_to_date"))
        ws.close()


# -- import -------------------------------------------------------------------------------
@import_app.command("entities")
def import_entities(files: FilesArg, district: DistrictOpt = None, skip_bad_rows: SkipOpt = False,
                    error_report: ReportOpt = None) -> None:
    """Entities 用能主体: entity_id, name, kind, street, building_type, floor_area_m2, lat, lon,
    parent_id, sector_code."""
    _import("entities", files, district, skip_bad_rows=skip_bad_rows, error_report=error_report)


@import_app.command("boundaries")
def import_boundaries_cmd(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection, one feature per "
                                         "street (properties.code or name_zh)")],
    district: DistrictOpt = None,
    approximate: Annotated[bool, typer.Option(
        help="Mark the polygons approximate (the map says so)")] = False,
    source: Annotated[str, typer.Option(help="Where the boundaries come from")] = "",
) -> None:
    """Street boundaries 街道边界 (GeoJSON Polygon/MultiPolygon, WGS84) for the carbon map."""
    from carbonpeak.intake.boundaries import import_boundaries

    with _workspace() as ws:
        res = import_boundaries(ws, file, district=district, approximate=approximate,
                                note=source)
        say("cli.boundaries.done", file=file.name, summary=msg(
            "intake.batch.boundaries", stored=res["updated"], unchanged=res["unchanged"]))


@import_app.command("meters")
def import_meters(files: FilesArg, district: DistrictOpt = None, skip_bad_rows: SkipOpt = False,
                  error_report: ReportOpt = None) -> None:
    """Meters 计量表: meter_id, entity_id, carrier, unit, submeter, register (interval|cumulative),
    multiplier [, interval_minutes, rollover_at]."""
    _import("meters", files, district, skip_bad_rows=skip_bad_rows, error_report=error_report)


@import_app.command("readings")
def import_readings(files: FilesArg, district: DistrictOpt = None, skip_bad_rows: SkipOpt = False,
                    error_report: ReportOpt = None) -> None:
    """Readings 读数: meter_id, ts (ISO 8601, no offset = Asia/Shanghai), value."""
    _import("readings", files, district, skip_bad_rows=skip_bad_rows, error_report=error_report)


@import_app.command("ledger")
def import_ledger(files: FilesArg, district: DistrictOpt = None, skip_bad_rows: SkipOpt = False,
                  error_report: ReportOpt = None) -> None:
    """Monthly ledger 台账: entity_id, period (YYYY-MM), carrier, quantity, unit."""
    _import("ledger", files, district, skip_bad_rows=skip_bad_rows, error_report=error_report)


@import_app.command("statistics")
def import_statistics(files: FilesArg, district: DistrictOpt = None,
                      skip_bad_rows: SkipOpt = False, error_report: ReportOpt = None) -> None:
    """District statistics 统计数据: year, gdp_current_10k_cny and gdp_real_growth_pct (as the
    统计公报 prints them; chained to comparable prices) or gdp_10k_cny (comparable prices),
    population [, energy_tce, co2_t]."""
    _import("statistics", files, district, skip_bad_rows=skip_bad_rows,
            error_report=error_report)


# -- templates ----------------------------------------------------------------------------
@app.command()
def template(
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(TEMPLATE_KINDS)}")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .xlsx file to write")],
    district: DistrictOpt = None,
    street: Annotated[str | None, typer.Option(
        "--street", help="List only the entities of this street (its Chinese name)")] = None,
    entity: Annotated[str | None, typer.Option(
        "--entity", help="List only this entity and the buildings under it (its code)")] = None,
) -> None:
    """Write an Excel form 填报模板 (drop-down lists, the district's streets, its entities as
    "code 名称", instructions in Chinese and English) that `carbonpeak import KIND` reads
    back."""
    if kind not in TEMPLATE_KINDS:
        say("cli.error", "red", to_err=True, text=t("cli.template.unknown", kind=kind,
                                                     kinds=", ".join(TEMPLATE_KINDS)))
        raise typer.Exit(2)
    with _errors():
        ws = _ws()
        try:
            d = ws.district(district)
            streets, rows = template_scope(ws, d.id)
            entities = _scope(rows, street, entity)
            write_template(kind, out, streets=streets, district=d.name_zh, entities=entities)
        finally:
            ws.close()
    say("cli.template.done", out=str(out), kind=lbl("batch_kind", kind),
        district=pick(d.name_zh, d.name_en), streets=len(streets), code=kind, file=out.name)


def _scope(rows: Sequence[Any], street: str | None, entity: str | None) -> list[tuple[str, str]]:
    """(code, name) of the entities of a template's scope: a street's, or an entity with the
    buildings under it, or the whole district's."""
    picked = {str(r[0]) for r in rows if street is None or r[3] == street}
    if entity is not None:
        picked, grew = {entity}, True
        while grew:
            more = {str(r[0]) for r in rows if r[2] in picked and str(r[0]) not in picked}
            picked |= more
            grew = bool(more)
    if (street or entity) and not picked & {str(r[0]) for r in rows}:
        say("cli.error", "red", to_err=True, text=t("cli.template.no_scope",
                                                     scope=street or entity))
        raise typer.Exit(2)
    return [(str(r[0]), str(r[1])) for r in rows if str(r[0]) in picked]


# -- factors ------------------------------------------------------------------------------
@factors_app.command("list")
def factors_list() -> None:
    """List factor sets (newest version of each) with the status of their rows."""
    with _errors():
        ws = _ws()
        table = Table(*heads("set", "version", "name", "region", "kind", "rows",
                             "status_counts"), title=t("cli.factors.title"))
        with ws.registry.session() as s:
            for sid in factor_set_ids(s):
                fs = latest_factor_set(s, sid)
                st = [sum(r.status == k for r in fs.rows) for k in
                      ("verified", "secondary", "unverified")]
                table.add_row(sid, str(fs.version), pick(fs.name_zh, fs.name_en), region(fs.region),
                              t_or(f"cli.factor_kind.{fs.kind}", fs.kind),
                              str(len(fs.rows)), "/".join(map(str, st)))
        console.print(table)
        ws.close()


@factors_app.command("show")
def factors_show(
    set_id: Annotated[str, typer.Argument(help="Factor set id, e.g. shanghai_local")],
    version: Annotated[int | None, typer.Option(help="Version; default newest")] = None,
) -> None:
    """Show every row of a factor set: value as published, per canonical unit, source, status."""
    with _errors():
        ws = _ws()
        with ws.registry.session() as s:
            if version is None:
                fs = latest_factor_set(s, set_id)
            else:
                found = factor_set_version(s, set_id, version)
                if found is None:
                    say("cli.error", "red", to_err=True,
                        text=t("cli.factors.no_version", version=version, set=set_id))
                    raise typer.Exit(1)
                fs = found
            console.print(f"[bold]{fs.set_id}@v{fs.version}[/] {pick(fs.name_zh, fs.name_en)}")
            say("cli.factors.about", region=region(fs.region),
                includes=", ".join(fs.includes) or "—", start=fs.effective_from or "—",
                end=fs.effective_to or "—",
                at=f"{fs.loaded_at:%Y-%m-%d}", by=fs.loaded_by)
            if fs.description or fs.description_zh:
                console.print(pick(fs.description_zh, fs.description))
            table = Table(*heads("carrier", "quantity", "value", "per", "years", "data_year",
                                 "status", "source", "from_set"), show_lines=True)
            for r in fs.rows:
                years = f"{r.year_from or '…'}–{r.year_to or '…'}"
                colour = {"verified": "green", "secondary": "yellow"}.get(r.status, "red")
                table.add_row(lbl("carrier", r.carrier), lbl("factor_quantity", r.quantity),
                              f"{r.value:g}", r.per_unit, years, str(r.data_year or ""),
                              f"[{colour}]{lbl('factor_status', r.status)}[/]",
                              pick(r.source_zh, r.source),
                              r.origin_set)
            console.print(table)
        ws.close()


@factors_app.command("load")
def factors_load(
    manifest: Annotated[Path, typer.Argument(help="A factor set manifest .toml with its .csv "
                                             "rows beside it (same columns as reference/)")],
) -> None:
    """Load a factor set (a new version if it differs from the newest); audit-logged."""
    with _errors():
        ws = _ws()
        rec, created = load_factor_set(ws, read_factor_set(manifest))
        say("cli.factors.loaded" if created else "cli.factors.unchanged", set=rec.set_id,
            version=rec.version, rows=len(rec.rows))
        ws.close()


# -- account ------------------------------------------------------------------------------


@app.command()
def batches(limit: Annotated[int, typer.Option(help="Newest N")] = 30) -> None:
    """List ingest batches: what was imported, when, by whom, and what it changed."""
    with _errors():
        ws = _ws()
        table = Table(*heads("batch", "kind", "file", "status", "rows", "overlap", "replaced",
                             "at_utc", "by", "message"))
        for b in recent_batches(ws, limit):
            table.add_row(str(b.id), lbl("batch_kind", b.kind), b.source_name,
                          lbl("import_outcome" if b.status == "duplicate" else "batch_status",
                              b.status), f"{b.rows_in:,}", f"{b.rows_overlapping:,}",
                          f"{b.rows_replaced:,}", f"{b.created_at:%Y-%m-%d %H:%M}", b.actor,
                          stored_text(b.message, lang()) or "")
        console.print(table)
        ws.close()


@app.command()
def runs() -> None:
    """List account runs: year, factor-set version, official or variant, restatements."""
    with _errors():
        ws = _ws()
        table = Table(*heads("run", "district", "year", "factor_set", "official", "restates",
                             "restated_by", "at_utc", "tco2"))
        for r, fs in account_runs(ws):
            table.add_row(str(r.id), r.district_id, str(r.year),
                          f"{fs.set_id}@v{fs.version}" if fs else "?",
                          yes_no(True) if r.official else t("cli.variant"),
                          str(r.restates_run_id or ""), str(r.restated_by_run_id or ""),
                          f"{r.created_at:%Y-%m-%d %H:%M}",
                          _fmt(r.summary.get("totals", {}).get("tco2")))
        console.print(table)
        ws.close()


# -- demo ---------------------------------------------------------------------------------
