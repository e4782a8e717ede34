"""The ``carbonpeak`` command.

Start here::

    carbonpeak init --profile huangpu          # registry, factor library, district and streets
    carbonpeak import entities entities.csv    # then meters, readings, ledger, statistics
    carbonpeak account --year 2024 --out out/  # the energy and CO2 account
    carbonpeak demo                            # all of the above on a generated demo district
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.errors import CarbonPeakError, InputValidationError, RowError
from carbonpeak.ingest.messages import sort_errors, write_error_report, zh
from carbonpeak.ingest.templates import TEMPLATE_KINDS, write_template
from carbonpeak.pipelines.account import AccountResult, run_account
from carbonpeak.pipelines.imports import ImportResult, import_file
from carbonpeak.pipelines.workspace import (
    Workspace,
    init_workspace,
    latest_factor_set,
    load_factor_set,
)
from carbonpeak.reference import list_profiles, read_factor_set
from carbonpeak.registry.models import AccountRun, FactorSetRecord, IngestBatch, Street

app = typer.Typer(
    help="carbonpeak: district energy and carbon accounting for carbon-peak plans "
    "(碳达峰实施方案). Data lives in $CARBONPEAK_HOME (default ./carbonpeak-data); the registry "
    "is SQLite there unless $CARBONPEAK_DATABASE_URL names PostgreSQL.",
    no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import CSV or Excel files (English or Chinese headers). A bad "
                         "file is refused whole, with every bad cell named in a bilingual "
                         "report; --skip-bad-rows imports the good rows.", no_args_is_help=True)
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
        err.print(f"[bold red]refused 拒收:[/] {exc.errors[0].file if exc.errors else ''}: "
                  f"{len(exc.errors)} problem(s); nothing was imported 未导入任何数据")
        _print_errors(exc.errors)
        raise typer.Exit(1) from None
    except CarbonPeakError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _print_errors(errors: list[RowError], limit: int = 200) -> None:
    """One bilingual table of problems: sheet, row, column, value, 原因, reason."""
    t = Table("sheet 工作表", "row 行", "column 列", "value 值", "原因", "reason",
              show_lines=False)
    for e in sort_errors(errors)[:limit]:
        t.add_row(e.sheet or "", "" if e.row is None else str(e.row), e.column or "",
                  e.value or "", zh(e), e.message)
    err.print(t)
    if len(errors) > limit:
        err.print(f"… and {len(errors) - limit} more 另有 {len(errors) - limit} 条")


def _refused(exc: InputValidationError, path: Path, report: Path | None) -> None:
    """Print a refused file's problems and write them all to an error report."""
    if report is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        report = Settings().home / "import-errors" / f"{path.stem}-{stamp}.xlsx"
    err.print(f"[bold red]refused 拒收:[/] {path.name}: {len(exc.errors)} problem(s); nothing "
              "was imported 文件有问题，未导入任何数据")
    _print_errors(exc.errors)
    write_error_report(exc.errors, report)
    err.print(f"error report 错误报告: {report}")


def _ws(check: bool = True) -> Workspace:
    return Workspace.open(Settings(), check=check)


@contextmanager
def _workspace(check: bool = True) -> Iterator[Workspace]:
    """The workspace of ``$CARBONPEAK_HOME``, closed afterwards."""
    ws = _ws(check)
    try:
        yield ws
    finally:
        ws.close()


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
def _import(kind: str, files: list[Path], district: str | None, *,
            skip_bad_rows: bool = False, error_report: Path | None = None) -> None:
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
                    try:
                        result = import_file(ws, kind, f, district=district,
                                             skip_bad_rows=skip_bad_rows)
                    except InputValidationError as exc:
                        _refused(exc, f, error_report)
                        raise typer.Exit(1) from None
                    _print_import(result)
                    prog.advance(task)
        finally:
            ws.close()


def _print_import(r: ImportResult) -> None:
    tag = {"committed": "[green]imported[/]", "duplicate": "[yellow]already imported[/]",
           "no_change": "[yellow]no change[/]"}[r.status]
    console.print(f"{tag} {r.file} → batch {r.batch_id}: {'; '.join(r.messages)}")
    if r.rows_rejected:
        console.print(f"[yellow]{r.rows_rejected} row(s) refused 行被拒收[/]; quarantine 隔离文件: "
                      f"{r.quarantine_path}")
        _print_errors(r.rejections)


SkipOpt = Annotated[bool, typer.Option(
    "--skip-bad-rows", help="Import the good rows; refused rows go to a quarantine file "
    "$CARBONPEAK_HOME/quarantine/b<batch>-<file>.csv with the reasons. File-level problems "
    "still refuse the file.")]
ReportOpt = Annotated[Path | None, typer.Option(
    "--error-report", help="Where to write the error report of a refused file (.xlsx, or .csv);"
    " default $CARBONPEAK_HOME/import-errors/<file>-<time>.xlsx")]


FilesArg = Annotated[list[Path], typer.Argument(
    help="CSV, .xlsx or .xls file(s), imported in the order given.")]


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
    from carbonpeak.geo.boundaries import import_boundaries

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
    """District statistics 统计数据: year, gdp_10k_cny (comparable prices), population
    [, energy_tce]."""
    _import("statistics", files, district, skip_bad_rows=skip_bad_rows,
            error_report=error_report)


# -- templates ----------------------------------------------------------------------------
@app.command()
def template(
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(TEMPLATE_KINDS)}")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .xlsx file to write")],
    district: DistrictOpt = None,
) -> None:
    """Write an Excel form 填报模板 (drop-down lists, the district's streets, instructions in
    Chinese and English) that `carbonpeak import KIND` reads back."""
    if kind not in TEMPLATE_KINDS:
        err.print(f"[red]error:[/] no template for {kind!r}; one of {', '.join(TEMPLATE_KINDS)}")
        raise typer.Exit(2)
    with _errors():
        ws = _ws()
        try:
            d = ws.district(district)
            with ws.registry.session() as s:
                streets = list(s.scalars(select(Street.name_zh).where(
                    Street.district_id == d.id).order_by(Street.id)))
            write_template(kind, out, streets=streets, district=d.name_zh)
        finally:
            ws.close()
    console.print(f"wrote 已生成 {out} ({kind}, {d.name_zh}, {len(streets)} streets 街道); fill "
                  f"it in from row 3, then `carbonpeak import {kind} {out.name}`")


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
    fill_gaps: Annotated[bool, typer.Option(
        "--fill-gaps", help="Fill short gaps of interval meters by linear interpolation; the "
        "filled values are marked estimated (estimated_quantity, manifest, run summary). "
        "插补短时缺测并标记为估算值")] = False,
    max_gap_hours: Annotated[float, typer.Option(
        "--max-gap-hours", help="Longest gap filled with --fill-gaps, in hours")] = 6.0,
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
                                  fill_gaps=fill_gaps, max_gap_hours=max_gap_hours,
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
    if tot.get("interval_coverage") is not None:
        lines.append(
            f"读数覆盖率 interval readings received: {tot['interval_coverage']:.1%} "
            f"({tot['intervals_received']:,} of {tot['intervals_expected']:,.0f} expected)")
    gap = tot.get("gap_filling") or {}
    if gap.get("enabled"):
        lines.append(f"缺测插补 gaps filled (estimated 估算): {gap['intervals_filled']:,} "
                     f"interval(s) of {gap['meters']} meter(s), gaps <= {gap['max_gap_hours']:g} h")
    ku = res.tables["key_units"]
    lines.append(f"重点用能单位 key units: {int(ku['is_key_unit'].sum())} of {len(ku)} entities")
    for line in lines + [f"note: {n}" for n in res.notes]:
        console.print(f"  • {line}")
    if res.files:
        console.print(f"  • wrote {len(res.files)} files to {res.files[0].parent}")


# -- quality ------------------------------------------------------------------------------
def _quality_issues(rec: dict[str, Any], flags: dict[str, dict[str, str]]) -> str:
    """``缺测 gap 3, 尖峰 spike 1``: the flags of a summary with their meter-day counts."""
    found = [(rec[f"days_{f}"], f) for f in flags if rec.get(f"days_{f}")]
    return ", ".join(f"{flags[f]['zh']} {f} {n:,}" for n, f in found) or "—"


def _quality_table(title: str, first: list[str]) -> Table:
    return Table(*first, "表计 meters", "表日 meter-days", "完整率 completeness",
                 "问题表日 flagged days", "问题 issues (meter-days)", title=title)


def _quality_row(rec: dict[str, Any], flags: dict[str, dict[str, str]]) -> list[str]:
    comp = rec.get("completeness")
    return [str(rec["meters"]), f"{rec['meter_days']:,}",
            "—" if comp is None else f"{comp:.1%}", f"{rec['days_flagged']:,}",
            _quality_issues(rec, flags)]


@app.command()
def quality(
    district: DistrictOpt = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity")] = None,
    street: Annotated[str | None, typer.Option(
        "--street", help="Only this street (name, code or id)")] = None,
    month: Annotated[str | None, typer.Option("--month", help="One month, YYYY-MM")] = None,
    year: Annotated[int | None, typer.Option("--year", help="One year")] = None,
    detail: Annotated[bool, typer.Option(
        "--detail", help="List the flagged meter-days too")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write every meter-day row to this CSV file")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Recompute the flags even when the stored ones are current")] = False,
) -> None:
    """Data quality 数据质量: completeness, gaps, duplicates, negative, impossible, spikes,
    stuck values, resets, rollovers, future or pre-commissioning timestamps, unit mismatches,
    per meter and day; summarised per street and entity. See docs/data-quality.md."""
    from carbonpeak.pipelines.quality import quality_report

    with _errors():
        ws = _ws()
        try:
            with _progress() as prog:
                task = prog.add_task("数据质量 quality", total=None)

                def step(mo: str, i: int, n: int) -> None:
                    prog.update(task, total=n, completed=i,
                                description=f"数据质量 quality: {mo}" if mo else "quality")

                rep = quality_report(ws, district, entity_id=entity, street_id=street,
                                     month=month, year=year, force=refresh, progress=step)
                prog.remove_task(task)
        finally:
            ws.close()
        period = (f"{rep.months[0]} … {rep.months[-1]}" if len(rep.months) > 1
                  else (rep.months[0] if rep.months else "—"))
        console.print(f"\n[bold]{rep.district_name} 数据质量 Data quality[/] {period} "
                      f"(checked {rep.checked_at[:16]} UTC; "
                      f"recomputed {len(rep.recomputed)} month(s))")
        if not rep.rows and not rep.entities:
            console.print("  • no meter readings for this selection 无读数")
            return
        summ = rep.district_summary
        comp = summ.get("completeness")
        console.print(f"  • {summ['meters']} 表计 meters, {summ['meter_days']:,} 表日 meter-days, "
                      f"完整率 completeness {'—' if comp is None else f'{comp:.1%}'} "
                      f"({summ['received']:,} of {summ['expected']:,} expected readings)")
        ft = Table("标记 flag", "说明 meaning", "表日 meter-days", title="问题 Flags")
        for name, info in rep.flags.items():
            ft.add_row(f"{info['zh']} {name}", info["en"], f"{summ[f'days_{name}']:,}")
        console.print(ft)
        st = _quality_table("街道 Streets", ["街道 street"])
        for rec in rep.streets:
            st.add_row(str(rec["street"]), *_quality_row(rec, rep.flags))
        console.print(st)
        worst = sorted(rep.entities, key=lambda r: (-(r["days_flagged"]),
                                                    r["completeness"] or 0.0))
        et = _quality_table("主体 Entities (most flagged first)", ["主体 entity", "名称 name"])
        for rec in worst[:30]:
            et.add_row(str(rec["entity_id"]), str(rec["entity_name"]),
                       *_quality_row(rec, rep.flags))
        console.print(et)
        if len(worst) > 30:
            console.print(f"  • … {len(worst) - 30} more entities; --entity or --out for all")
        if detail:
            dt_ = Table("日期 day", "表计 meter", "主体 entity", "应收 expected", "实收 received",
                        "完整率", "最长缺测 longest gap (min)", "标记 flags",
                        title="问题表日 Flagged meter-days")
            flagged = [r for r in rep.rows if r["flags"]]
            for r in flagged[:200]:
                comp = r["completeness"]
                dt_.add_row(str(r["day"]), str(r["meter_id"]), str(r["entity_id"]),
                            str(r["expected"]), str(r["received"]),
                            "—" if comp is None else f"{comp:.0%}",
                            _fmt(r["longest_gap_minutes"], 0), str(r["flags"]))
            console.print(dt_)
            if len(flagged) > 200:
                console.print(f"  • … {len(flagged) - 200} more flagged meter-days; use --out")
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            rep.rows_frame().to_csv(out, index=False, encoding="utf-8-sig")
            console.print(f"  • wrote {len(rep.rows):,} meter-day rows to {out}")


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
    serve: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="End by serving the dashboard (Ctrl-C stops it)")] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard")] = 8000,
) -> None:
    """Generate a deterministic demo district, import it, run the account and the plan, then
    serve the dashboard at http://127.0.0.1:8000 with demo users."""
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
                                                ("statistics", files.statistics),
                                                ("sector_statistics", files.sector_statistics)]
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
                # the year before too: its monthly profile spreads the budgets of warnings
                for y in [y for y in (year - 1, year) if y >= span[0]]:
                    res = run_account(ws, year=y, district=profile,
                                      out_dir=out_dir if y == year else None,
                                      progress=_account_progress(prog, task, y))
            print_summary(res)
            _demo_programmes(ws, profile, files, files_dir, seed, year)
        finally:
            ws.close()
        from carbonpeak.cli_plan import demo_plan

        demo_plan(profile, year)
        users = _demo_web(settings, profile, files_dir)
        if serve:
            import uvicorn

            console.print(f"\n[bold]驾驶舱 dashboard: http://127.0.0.1:{port}/[/]  "
                          "(Ctrl-C stops it)")
            _print_demo_users(users)
            uvicorn.run("carbonpeak.api.app:create_app", factory=True, host="127.0.0.1",
                        port=port, log_level="warning")
        else:
            _print_demo_users(users)


def _demo_programmes(ws: Workspace, profile: str, files: Any, files_dir: Path, seed: int,
                     year: int) -> None:
    """The demo's buildings programmes: weather, retrofit projects and their measured savings,
    energy audits and key units' filings (after the account, which flags the key units)."""
    from carbonpeak.cli_retrofits import demo_retrofits
    from carbonpeak.demo.audits import generate_audit_files, registry_entities
    from carbonpeak.pipelines.audits import import_audits, import_filings
    from carbonpeak.reference import read_profile

    demo_retrofits(ws, profile, files.weather, files.retrofits, year)
    # a fixed "as of" keeps the demo's files the same from day to day (never in the future:
    # an audit dated after today is refused)
    demo_audits = generate_audit_files(
        registry_entities(ws, profile), profile=read_profile(profile), seed=seed,
        as_of=min(dt.date(year + 1, 6, 30), dt.date.today()), years=(year - 1, year),
        out_dir=files_dir)
    for what, done in (
            ("energy audits 能源审计", import_audits(ws, demo_audits.audits, district=profile)),
            ("filings 义务报送", import_filings(ws, demo_audits.filings, district=profile))):
        if done.status == "duplicate":  # the demo ran before into this home
            console.print(f"  • {what}: {done.message}")
        else:
            console.print(f"  • {what}: {done.added} added, {done.updated} updated, "
                          f"{done.unchanged} unchanged")
    for n in demo_audits.notes:
        console.print(f"  [dim]demo audits: {n}[/]")


DEMO_PASSWORD = "carbonpeak-demo"  # noqa: S105  # printed by the demo; demo homes only


def _demo_web(settings: Settings, profile: str, files_dir: Path) -> list[tuple[str, str, str]]:
    """Approximate street polygons and one demo user per role (password DEMO_PASSWORD)."""
    import json

    from carbonpeak.errors import ConflictError
    from carbonpeak.geo.boundaries import approximate_boundaries, import_boundaries
    from carbonpeak.pipelines.users import create_user
    from carbonpeak.registry.models import Entity

    ws = Workspace.open(settings, actor="demo")
    try:
        with ws.registry.session() as s:
            streets = [{"code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
                        "lat": st.lat, "lon": st.lon, "id": st.id}
                       for st in s.scalars(select(Street).where(Street.district_id == profile)
                                           .order_by(Street.id))]
            # the entity manager: the first key unit of the first street that has one
            first = streets[0]["id"] if streets else None
            manager = s.scalars(select(Entity.id).where(
                Entity.district_id == profile, Entity.street_id == first,
                Entity.parent_id.is_(None)).order_by(
                Entity.is_key_unit.desc(), Entity.id)).first()
        geo = approximate_boundaries(streets)
        path = files_dir / "street_boundaries.approximate.geojson"
        path.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")
        import_boundaries(ws, path, district=profile, approximate=True,
                          note="demo: Voronoi cells around approximate street centroids, "
                               "NOT official boundaries / 示意边界，非官方")
        users: list[tuple[str, str, str]] = [
            ("admin", "district_admin", "区管理员"), ("analyst", "district_analyst", "区分析员")]
        for st in streets[:2]:
            users.append((f"street_{st['code']}", "street_officer", str(st["name_zh"])))
        if manager:
            users += [("manager", "entity_manager", manager), ("feeder", "data_feeder", manager)]
        for name, role, what in users:
            with contextlib.suppress(ConflictError):  # the demo ran before into this home
                create_user(ws, name, role, district=profile,
                            street=what if role == "street_officer" else None,
                            entities=[what] if role in ("entity_manager", "data_feeder")
                            else None, display_name=f"演示 {what}", password=DEMO_PASSWORD)
        return users
    finally:
        ws.close()


def _print_demo_users(users: list[tuple[str, str, str]]) -> None:
    t = Table("user 用户", "role 角色", "scope 范围", "password 口令",
              title="演示用户 demo users (demo only; change or remove them for real use)")
    for name, role, what in users:
        t.add_row(name, role, what, DEMO_PASSWORD)
    console.print(t)


def _account_progress(prog: Progress, task: Any, year: int) -> Callable[[str], None]:
    def show(step: str) -> None:
        prog.update(task, description=f"account {year}: {step}")
    return show


# users, tokens, serve, ingest mqtt; targets, budgets, warnings, lmdi, peak: registered on
# ``app`` when imported
import carbonpeak.cli_audits  # noqa: E402, F401
import carbonpeak.cli_buildings  # noqa: E402, F401
import carbonpeak.cli_commissioning  # noqa: E402, F401
import carbonpeak.cli_feeds  # noqa: E402, F401
import carbonpeak.cli_plan  # noqa: E402, F401
import carbonpeak.cli_report  # noqa: E402, F401
import carbonpeak.cli_retrofits  # noqa: E402, F401


def main() -> None:
    """Entry point for ``python -m carbonpeak``."""
    app(prog_name="carbonpeak")


if __name__ == "__main__":
    main()
