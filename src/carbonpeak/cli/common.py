"""The root command, its import and factor sub-apps, and what every command shares: consoles,
the language, the district option, error printing, the workspace, progress bars, file arguments.

One language per run: the root option ``--lang zh|en``, else ``$CARBONPEAK_LANG``, else Chinese
(the users' language; every district profile is a Chinese district), resolved in :func:`lang`.
Every line a command prints is a catalogue message rendered in it (:func:`t`, :func:`say`);
the help texts of the options stay English (they are for whoever runs the commands, and typer
builds them before the language is known).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbonpeak.config import Settings
from carbonpeak.errors import CarbonPeakError, InputValidationError, RowError
from carbonpeak.i18n import LANGS, Lang, Message, catalogue, label, msg, render
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

#: the language of this run, set by the root option (empty: not given)
_RUN_LANG: list[Lang] = []


def lang() -> Lang:
    """The language every line of this run is printed in: ``--lang``, else
    ``$CARBONPEAK_LANG`` (``zh`` or ``en``), else ``zh``."""
    if _RUN_LANG:
        return _RUN_LANG[-1]
    env = os.environ.get("CARBONPEAK_LANG", "").strip().lower()
    return "en" if env.startswith("en") else "zh"


def t(code: str | Message, /, **params: Any) -> str:  # noqa: ANN401 - any JSON value
    """A catalogue message (or a code and its parameters) in the run's language."""
    return render(code, lang()) if isinstance(code, Message) else render(msg(code, **params),
                                                                          lang())


def lbl(kind: str, value: str) -> str:
    """A member of a closed list (``batch_kind``, ``carrier`` …) in the run's language."""
    return t(msg("cli.text", text=label(kind, value)))


def t_or(key: str, fallback: str) -> str:
    """The catalogue text of ``key`` in the run's language, or ``fallback`` (a code as it is)
    when the catalogue has no such key."""
    return t(key) if key in catalogue() else fallback


def region(code: str) -> str:
    """A factor set's or quota table's region code (``Shanghai``, ``East_China``, a climate
    zone ``HSCW``) in the run's language (``cli.region.<code in lower case>``); another code
    as it is."""
    return t_or(f"cli.region.{code.lower()}", code)


def heads(*names: str) -> list[str]:
    """Table headings ``cli.col.<name>`` in the run's language."""
    return [t(f"cli.col.{n}") for n in names]


def pick(zh: str | None, en: str | None) -> str:
    """The name a row gives in the run's language (the other one if that is empty)."""
    return (zh or en or "") if lang() == "zh" else (en or zh or "")


def yes_no(value: bool) -> str:  # noqa: FBT001
    """是/否, yes/no."""
    return t("cli.yes" if value else "cli.no")


def say(code: str | Message, /, style: str | None = None, *, to_err: bool = False,
        **params: Any) -> None:  # noqa: ANN401
    """Print a catalogue message in the run's language (in rich ``style`` if given; the
    text itself is never read as markup)."""
    text = escape(t(code, **params))
    (err if to_err else console).print(f"[{style}]{text}[/]" if style else text,
                                       highlight=False)


@app.callback()
def _root(lang_: Annotated[str | None, typer.Option(
        "--lang", help="Language of everything printed: zh (default) or en; also "
        "$CARBONPEAK_LANG.", envvar="CARBONPEAK_LANG")] = None) -> None:
    _RUN_LANG.clear()
    if lang_ is None:
        return
    chosen = lang_.strip().lower()
    if chosen not in LANGS:
        bad = f"{lang_!r}: zh | en"
        raise typer.BadParameter(bad, param_hint="--lang")
    _RUN_LANG.append("zh" if chosen == "zh" else "en")


def run_lang(given: str | None) -> Lang:
    """A command's own ``--lang`` (a report's language), else the run's."""
    if given is None:
        return lang()
    if given not in LANGS:
        bad = f"{given!r}: zh | en"
        raise typer.BadParameter(bad, param_hint="--lang")
    return "zh" if given == "zh" else "en"


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
        say("cli.refused", "bold red", to_err=True,
            file=exc.errors[0].file if exc.errors else "", n=len(exc.errors))
        _print_errors(exc.errors)
        raise typer.Exit(1) from None
    except CarbonPeakError as exc:
        print_error(exc)
        raise typer.Exit(1) from None


def error_text(exc: BaseException) -> str:
    """An error in the run's language: its catalogue reason where the raiser gave one, else
    its text as raised (a message without a code: the raiser's to fix)."""
    reason = getattr(exc, "reason", None)
    return t(reason) if isinstance(reason, Message) else str(exc)


def print_error(exc: BaseException) -> None:
    """``error: …`` on stderr, in the run's language."""
    say("cli.error", "bold red", to_err=True, text=error_text(exc))


def _print_errors(errors: list[RowError], limit: int = 200) -> None:
    """One table of problems in the run's language: sheet, row, column, value, reason."""
    table = Table(*(t(f"cli.col.{c}") for c in ("sheet", "row", "column", "value", "reason")),
                  show_lines=False)
    for e in sort_errors(errors)[:limit]:
        table.add_row(e.sheet or "", "" if e.row is None else str(e.row), e.column or "",
                      e.value or "", e.text(lang()))
    err.print(table)
    if len(errors) > limit:
        say("cli.errors.more", to_err=True, n=len(errors) - limit)


def _refused(exc: InputValidationError, path: Path, report: Path | None) -> None:
    """Print a refused file's problems and write them all to an error report."""
    if report is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        report = Settings().home / "import-errors" / f"{path.stem}-{stamp}.xlsx"
    say("cli.refused", "bold red", to_err=True, file=path.name, n=len(exc.errors))
    _print_errors(exc.errors)
    write_error_report(exc.errors, report)
    say("cli.error_report", to_err=True, path=str(report))


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
                what = label("batch_kind", kind)
                task = prog.add_task(t("cli.import.task", kind=what), total=len(files))
                for f in files:
                    if not f.is_file():
                        no_such_file(f)
                    prog.update(task, description=t("cli.import.task_file", kind=what,
                                                     file=f.name))
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


def no_such_file(path: Path) -> None:
    """``error: <file>: no such file`` and exit 1."""
    say("cli.error", "red", to_err=True, text=t("cli.no_such_file", file=str(path)))
    raise typer.Exit(1)


def _status(status: str) -> str:
    """A batch status in the run's language, coloured."""
    known = {"committed": ("green", "batch_status"), "no_change": ("yellow", "batch_status"),
             "duplicate": ("yellow", "import_outcome"), "replayed": ("yellow", "import_outcome")}
    colour, kind = known.get(status, ("yellow", "batch_status"))
    return f"[{colour}]{lbl(kind, status)}[/]"


def _print_import(r: ImportResult) -> None:
    """One line per batch: its status, file, batch and summary, in the run's language; then
    its refused rows."""
    console.print(f"{_status(r.status)} " + t("cli.import.done", file=r.file,
                                              batch=r.batch_id, summary=r.text(lang())),
                  highlight=False)
    if r.rows_rejected:
        say("cli.import.quarantined", "yellow", rows=r.rows_rejected, path=str(r.quarantine_path))
        _print_errors(r.rejections)


print_import = _print_import


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
