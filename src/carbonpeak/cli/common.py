"""The root command, its import and factor sub-apps, and what every command shares: consoles,
the district option, error printing, the workspace, progress bars, file arguments."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbonpeak.config import Settings
from carbonpeak.errors import CarbonPeakError, InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.formats.messages import sort_errors, write_error_report
from carbonpeak.intake.imports import ImportResult, import_file
from carbonpeak.storage.workspace import (
    Workspace,
)

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


def option_date(value: str | None, option: str) -> dt.date | None:
    """The date an option gives (YYYY-MM-DD), None if not given; else refused naming it."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputValidationError([RowError(option, None, None, value, msg(
            "intake.option.date", option=option, example="2024-12-31"))]) from None


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
                  e.value or "", e.text("zh"), e.text("en"))
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




def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or v != v:  # noqa: PLR0124 - NaN check
        return "—"
    return f"{v:,.{digits}f}"
