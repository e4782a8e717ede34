"""The ``carbonpeak`` command.

Start here::

    carbonpeak init --profile huangpu          # registry, factor library, district and streets
    carbonpeak import entities entities.csv    # then meters, readings, ledger, statistics
    carbonpeak account --year 2024 --out out/  # the energy and CO2 account
    carbonpeak demo                            # all of the above on a generated demo district
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.errors import CarbonPeakError, InputValidationError
from carbonpeak.pipelines.account import AccountResult, run_account
from carbonpeak.pipelines.imports import ImportResult, import_file
from carbonpeak.pipelines.workspace import (
    Workspace,
    init_workspace,
    latest_factor_set,
    load_factor_set,
)
from carbonpeak.reference import list_profiles, read_factor_set
from carbonpeak.registry.models import AccountRun, FactorSetRecord, IngestBatch

app = typer.Typer(
    help="carbonpeak: district energy and carbon accounting for carbon-peak plans "
    "(碳达峰实施方案). Data lives in $CARBONPEAK_HOME (default ./carbonpeak-data); the registry "
    "is SQLite there unless $CARBONPEAK_DATABASE_URL names PostgreSQL.",
    no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import CSV files (English or Chinese headers). A bad file is "
                         "refused whole, with every bad row named.", no_args_is_help=True)
factors_app = typer.Typer(help="The factor library: standard-coal and CO2 factor sets, each "
                          "row with its source and status.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(factors_app, name="factors")
# Wide tables: when stdout is not a terminal (CI logs, pipes) rich would fall back to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

DistrictOpt = Annotated[str | None, typer.Option(
    "--district", "-d", help="District code; default the only one.")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except InputValidationError as exc:
        err.print(f"[bold red]refused:[/] {exc.errors[0].file if exc.errors else ''}: "
                  f"{len(exc.errors)} problem(s); nothing was imported")
        t = Table("line 行", "column 列", "value 值", "problem 问题", show_lines=False)
        for e in exc.errors[:200]:
            t.add_row(str(e.row or ""), e.column or "", e.value or "", e.message)
        err.print(t)
        if len(exc.errors) > 200:
            err.print(f"… and {len(exc.errors) - 200} more")
        raise typer.Exit(1) from None
    except CarbonPeakError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _ws(check: bool = True) -> Workspace:
    return Workspace.open(Settings(), check=check)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=console, transient=True)


# -- init ---------------------------------------------------------------------------------
@app.command()
def init(
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", "-p", help=f"District profile to create: {', '.join(list_profiles())} "
        "or a .toml file. Repeatable.")] = None,
) -> None:
    """Create or upgrade the registry, load the factor library, add districts and streets."""
    with _errors():
        ws, notes = init_workspace(Settings(), profiles=list(profile or []))
        console.print(f"registry: {ws.settings.url}\nlake: {ws.lake.root}")
        for n in notes:
            console.print(f"  • {n}")
        if not notes:
            console.print("  • already up to date; nothing changed")
        ws.close()


# -- import -------------------------------------------------------------------------------
def _import(kind: str, files: list[Path], district: str | None) -> None:
    with _errors():
        ws = _ws()
        try:
            with _progress() as prog:
                task = prog.add_task(f"import {kind}", total=len(files))
                for f in files:
                    if not f.is_file():
                        err.print(f"[red]error:[/] {f}: no such file")
                        raise typer.Exit(1)
                    prog.update(task, description=f"import {kind}: {f.name}")
                    _print_import(import_file(ws, kind, f, district=district))
                    prog.advance(task)
        finally:
            ws.close()


def _print_import(r: ImportResult) -> None:
    tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
           "no_change": "[yellow]no change[/]"}[r.status]
    console.print(f"{tag} {r.file} → batch {r.batch_id}: {'; '.join(r.messages)}")


FilesArg = Annotated[list[Path], typer.Argument(help="CSV file(s), imported in the order given.")]


@import_app.command("entities")
def import_entities(files: FilesArg, district: DistrictOpt = None) -> None:
    """Entities 用能主体: entity_id, name, kind, street, building_type, floor_area_m2, lat, lon,
    parent_id, sector_code."""
    _import("entities", files, district)


@import_app.command("meters")
def import_meters(files: FilesArg, district: DistrictOpt = None) -> None:
    """Meters 计量表: meter_id, entity_id, carrier, unit, submeter, register (interval|cumulative),
    multiplier [, interval_minutes, rollover_at]."""
    _import("meters", files, district)


@import_app.command("readings")
def import_readings(files: FilesArg, district: DistrictOpt = None) -> None:
    """Readings 读数: meter_id, ts (ISO 8601, no offset = Asia/Shanghai), value."""
    _import("readings", files, district)


@import_app.command("ledger")
def import_ledger(files: FilesArg, district: DistrictOpt = None) -> None:
    """Monthly ledger 台账: entity_id, period (YYYY-MM), carrier, quantity, unit."""
    _import("ledger", files, district)


@import_app.command("statistics")
def import_statistics(files: FilesArg, district: DistrictOpt = None) -> None:
    """District statistics 统计数据: year, gdp_10k_cny (comparable prices), population
    [, energy_tce]."""
    _import("statistics", files, district)


# -- factors ------------------------------------------------------------------------------
@factors_app.command("list")
def factors_list() -> None:
    """List factor sets (newest version of each) with the status of their rows."""
    with _errors():
        ws = _ws()
        t = Table("set", "ver", "名称 / name", "region", "kind", "rows", "verified/secondary/"
                  "unverified", title="因子库 Factor library")
        with ws.registry.session() as s:
            ids = s.scalars(select(FactorSetRecord.set_id).distinct().order_by(
                FactorSetRecord.set_id)).all()
            for sid in ids:
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
                found = s.scalars(select(FactorSetRecord).where(
                    FactorSetRecord.set_id == set_id, FactorSetRecord.version == version)).first()
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
def account(
    year: Annotated[int, typer.Option(help="Accounting year")],
    district: DistrictOpt = None,
    factor_set: Annotated[str | None, typer.Option(
        "--factor-set", help="Factor set id; default the district's (or the one the year's "
        "official account used)")] = None,
    restate: Annotated[bool, typer.Option(help="Make this run the year's official account, "
                                          "with the newest factor-set version")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the inventory CSVs here")] = None,
    engine: Annotated[str, typer.Option(help="duckdb (in-process) or spark")] = "duckdb",
) -> None:
    """Energy (tce) and CO2 account by entity, month, carrier, street and district."""
    with _errors():
        ws = _ws()
        spark = _spark_session() if engine == "spark" else None
        try:
            with _progress() as prog:
                task = prog.add_task("account", total=None)
                res = run_account(ws, year=year, district=district, factor_set=factor_set,
                                  restate=restate, out_dir=out, engine=engine, spark=spark,
                                  progress=lambda step: prog.update(
                                      task, description=f"account {year}: {step}"))
                prog.remove_task(task)
            print_summary(res)
        finally:
            ws.close()
            if spark is not None:
                spark.stop()


def _spark_session() -> Any:
    from carbonpeak.pipelines.spark import local_session

    return local_session()


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or v != v:  # noqa: PLR0124 - NaN check
        return "—"
    return f"{v:,.{digits}f}"


def print_summary(res: AccountResult) -> None:
    """Print the account's district summary, streets and notes."""
    tot = res.totals
    kind = "official 正式" if res.official else "variant 比较"
    console.print(f"\n[bold]{res.district_name} {res.year}年 能耗与碳排放核算[/] "
                  f"(run {res.run_id}, {kind}, factor set {res.factor_set}, {res.engine})")
    dy = res.tables["inventory_district_year"]
    t = Table("能源品种 carrier", "实物量 quantity", "单位 unit", "当量 tce (equivalent)",
              "等价 tce (equal)", "tCO2", "scope", "覆盖率 coverage", title="全区 District")
    for r in dy.to_dict("records"):
        t.add_row(str(r["carrier"]), _fmt(r["quantity"]), str(r["unit"]),
                  _fmt(r["tce_equivalent"]), _fmt(r["tce_equal"]), _fmt(r["tco2"]),
                  str(r["scope"]), f"{r['coverage']:.1%}")
    t.add_row("[bold]合计 total[/] (excl. PV)", "", "", _fmt(tot["tce_equivalent"]),
              _fmt(tot["tce_equal"]), _fmt(tot["tco2"]), "1+2", f"{tot['coverage']:.1%}")
    console.print(t)
    ey = res.tables["inventory_entity_year"]
    sy = ey[ey["scope"].isin(["1", "2"])].groupby("street").agg(
        tce_equivalent=("tce_equivalent", "sum"), tce_equal=("tce_equal", "sum"),
        tco2=("tco2", "sum"), n_entities=("entity_id", "nunique"), coverage=("coverage", "mean"),
    ).sort_values("tco2", ascending=False)
    st = Table("街道 street", "主体 entities", "当量 tce", "等价 tce", "tCO2", "覆盖率 coverage",
               title="街道 Streets")
    for name, r in zip(sy.index, sy.to_dict("records"), strict=True):
        st.add_row(str(name), str(r["n_entities"]), _fmt(r["tce_equivalent"]),
                   _fmt(r["tce_equal"]), _fmt(r["tco2"]), f"{r['coverage']:.1%}")
    console.print(st)
    lines = [
        f"屋顶光伏发电 on-site PV (reported apart): "
        f"{_fmt(tot['pv_generation_kwh'] / 1e4, 2)} 万kWh",
    ]
    if tot.get("gdp_10k_cny"):
        lines.append(
            f"单位GDP能耗 energy per 10^4 CNY GDP: {_fmt(tot['tce_equal_per_10k_cny'], 4)} tce "
            f"(equal value), {_fmt(tot['tce_equivalent_per_10k_cny'], 4)} tce (equivalent); "
            f"单位GDP碳排放 {_fmt(tot['tco2_per_10k_cny'], 4)} tCO2")
    ku = res.tables["key_units"]
    lines.append(f"重点用能单位 key units: {int(ku['is_key_unit'].sum())} of {len(ku)} entities")
    for line in lines + [f"note: {n}" for n in res.notes]:
        console.print(f"  • {line}")
    if res.files:
        console.print(f"  • wrote {len(res.files)} files to {res.files[0].parent}")


# -- lists --------------------------------------------------------------------------------
@app.command()
def batches(limit: Annotated[int, typer.Option(help="Newest N")] = 30) -> None:
    """List ingest batches: what was imported, when, by whom, and what it changed."""
    with _errors():
        ws = _ws()
        t = Table("batch", "kind", "file", "status", "rows", "overlap", "replaced", "at (UTC)",
                  "by", "message")
        with ws.registry.session() as s:
            for b in s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc()).limit(limit)):
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
        with ws.registry.session() as s:
            for r in s.scalars(select(AccountRun).order_by(AccountRun.id)):
                fs = s.get(FactorSetRecord, r.factor_set_pk)
                t.add_row(str(r.id), r.district_id, str(r.year),
                          f"{fs.set_id}@v{fs.version}" if fs else "?", "yes" if r.official
                          else "variant", str(r.restates_run_id or ""),
                          str(r.restated_by_run_id or ""), f"{r.created_at:%Y-%m-%d %H:%M}",
                          _fmt(r.summary.get("totals", {}).get("tco2")))
        console.print(t)
        ws.close()


# -- demo ---------------------------------------------------------------------------------
@app.command()
def demo(
    profile: Annotated[str, typer.Option(help="huangpu or tianhe")] = "huangpu",
    buildings: Annotated[int, typer.Option(help="Number of buildings")] = 40,
    years: Annotated[str, typer.Option(help="Year range, e.g. 2023-2024")] = "2023-2024",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same district)")] = 7,
    account_year: Annotated[int | None, typer.Option(
        "--account", help="Year to account after import; default the last year")] = None,
    out: Annotated[Path | None, typer.Option(help="Inventory output folder")] = None,
) -> None:
    """Generate a deterministic demo district, import it, and run the account."""
    from carbonpeak.demo.generator import generate_demo
    from carbonpeak.reference import read_profile

    with _errors():
        y0, _, y1 = years.partition("-")
        span = (int(y0), int(y1 or y0))
        settings = Settings()
        ws, _notes = init_workspace(settings, profiles=[profile])
        try:
            files_dir = settings.home / "demo-input" / f"{profile}-{buildings}-{seed}"
            with _progress() as prog:
                task = prog.add_task("generating demo district", total=None)
                files = generate_demo(read_profile(profile), buildings=buildings, years=span,
                                      seed=seed, out_dir=files_dir)
                prog.remove_task(task)
                plan: list[tuple[str, Path]] = [("entities", files.entities),
                                                ("meters", files.meters),
                                                ("statistics", files.statistics)]
                plan += [("ledger", p) for p in files.ledger]
                plan += [("readings", p) for p in files.readings]
                task = prog.add_task("import", total=len(plan))
                for kind, path in plan:
                    prog.update(task, description=f"import {kind}: {path.name}")
                    _print_import(import_file(ws, kind, path, district=profile))
                    prog.advance(task)
            for n in files.notes:
                console.print(f"  [dim]demo dirt: {n}[/]")
            year = account_year or span[1]
            out_dir = out or settings.home / "out" / f"{profile}-{year}"
            with _progress() as prog:
                task = prog.add_task("account", total=None)
                res = run_account(ws, year=year, district=profile, out_dir=out_dir,
                                  progress=lambda step: prog.update(
                                      task, description=f"account {year}: {step}"))
            print_summary(res)
        finally:
            ws.close()


def main() -> None:
    """Entry point for ``python -m carbonpeak``."""
    app(prog_name="carbonpeak")


if __name__ == "__main__":
    main()
