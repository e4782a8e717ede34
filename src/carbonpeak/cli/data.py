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
    err,
    factors_app,
    import_app,
)
from carbonpeak.config import Settings
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
        console.print(f"registry: {ws.settings.url}\nlake: {ws.lake.root}")
        for n in notes:
            console.print(f"  • {n}")
        if not notes:
            console.print("  • already up to date; nothing changed")
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
        console.print(f"{file.name}: {res['updated']} street boundaries stored, "
                      f"{res['unchanged']} unchanged")


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
        err.print(f"[red]error:[/] no template for {kind!r}; one of {', '.join(TEMPLATE_KINDS)}")
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
    console.print(f"wrote 已生成 {out} ({kind}, {d.name_zh}, {len(streets)} streets 街道); fill "
                  f"it in from row 3, then `carbonpeak import {kind} {out.name}`")


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
        err.print(f"[red]error:[/] no entity in scope {street or entity!r}")
        raise typer.Exit(2)
    return [(str(r[0]), str(r[1])) for r in rows if str(r[0]) in picked]


# -- factors ------------------------------------------------------------------------------
@factors_app.command("list")
def factors_list() -> None:
    """List factor sets (newest version of each) with the status of their rows."""
    with _errors():
        ws = _ws()
        t = Table("set", "ver", "名称 / name", "region", "kind", "rows", "verified/secondary/"
                  "unverified", title="因子库 Factor library")
        with ws.registry.session() as s:
            for sid in factor_set_ids(s):
                fs = latest_factor_set(s, sid)
                st = [sum(r.status == k for r in fs.rows) for k in
                      ("verified", "secondary", "unverified")]
                t.add_row(sid, str(fs.version), f"{fs.name_zh}\n{fs.name_en}", fs.region,
                          fs.kind, str(len(fs.rows)), "/".join(map(str, st)))
        console.print(t)
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
                    err.print(f"[red]error:[/] no version {version} of {set_id}")
                    raise typer.Exit(1)
                fs = found
            console.print(f"[bold]{fs.set_id}@v{fs.version}[/] {fs.name_zh} / {fs.name_en}")
            console.print(f"region {fs.region}; includes {', '.join(fs.includes) or '—'}; "
                          f"effective {fs.effective_from or '—'} … {fs.effective_to or '—'}; "
                          f"loaded {fs.loaded_at:%Y-%m-%d} by {fs.loaded_by}")
            if fs.description:
                console.print(fs.description)
            t = Table("carrier", "quantity", "value", "per", "years", "data yr", "status",
                      "source", "from set", show_lines=True)
            for r in fs.rows:
                years = f"{r.year_from or '…'}–{r.year_to or '…'}"
                colour = {"verified": "green", "secondary": "yellow"}.get(r.status, "red")
                t.add_row(r.carrier, r.quantity, f"{r.value:g}", r.per_unit, years,
                          str(r.data_year or ""), f"[{colour}]{r.status}[/]", r.source,
                          r.origin_set)
            console.print(t)
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
        console.print(f"{rec.set_id}@v{rec.version}: " +
                      (f"loaded, {len(rec.rows)} rows" if created else "unchanged"))
        ws.close()


# -- account ------------------------------------------------------------------------------


@app.command()
def batches(limit: Annotated[int, typer.Option(help="Newest N")] = 30) -> None:
    """List ingest batches: what was imported, when, by whom, and what it changed."""
    with _errors():
        ws = _ws()
        t = Table("batch", "kind", "file", "status", "rows", "overlap", "replaced", "at (UTC)",
                  "by", "message")
        for b in recent_batches(ws, limit):
            t.add_row(str(b.id), b.kind, b.source_name, b.status, f"{b.rows_in:,}",
                      f"{b.rows_overlapping:,}", f"{b.rows_replaced:,}",
                      f"{b.created_at:%Y-%m-%d %H:%M}", b.actor, b.message)
        console.print(t)
        ws.close()


@app.command()
def runs() -> None:
    """List account runs: year, factor-set version, official or variant, restatements."""
    with _errors():
        ws = _ws()
        t = Table("run", "district", "year", "factor set", "official", "restates", "restated by",
                  "at (UTC)", "tCO2")
        for r, fs in account_runs(ws):
            t.add_row(str(r.id), r.district_id, str(r.year),
                      f"{fs.set_id}@v{fs.version}" if fs else "?", "yes" if r.official
                      else "variant", str(r.restates_run_id or ""),
                      str(r.restated_by_run_id or ""), f"{r.created_at:%Y-%m-%d %H:%M}",
                      _fmt(r.summary.get("totals", {}).get("tco2")))
        console.print(t)
        ws.close()


# -- demo ---------------------------------------------------------------------------------
