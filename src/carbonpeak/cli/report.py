"""CLI commands for the annual white paper and the bureau's xlsx exports.

* ``carbonpeak report --year 2024 [--profile huangpu] [--out DIR] [--lang zh|en]
  [--format pdf,html]`` — 年度碳排放状况白皮书 (PDF and self-contained HTML);
* ``carbonpeak export --year 2024 --what inventory|key-units|disclosure|targets|all
  [--xlsx FILE | --out DIR]`` — 报送表格 with Chinese headers.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from carbonpeak.cli.common import (
    _errors,
    _fmt,
    _workspace,
    app,
    console,
    lang,
    pick,
    run_lang,
    say,
    t,
)
from carbonpeak.errors import ConfigError
from carbonpeak.i18n import msg
from carbonpeak.publish.render import report_time
from carbonpeak.publish.whitepaper.content import white_paper
from carbonpeak.publish.whitepaper.document import report_filename, whitepaper_html, whitepaper_pdf
from carbonpeak.publish.workbooks import EXPORTS, export_workbook

__all__ = ["export_cmd", "report_cmd"]

FORMATS = ("pdf", "html")
ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", "-p", "--district", "-d",
    help="District code (profile), e.g. huangpu; default the only one.")]


def _formats(value: str) -> list[str]:
    wanted = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise ConfigError(msg("cli.report.format", value=value, formats=", ".join(FORMATS)))
    return [f for f in FORMATS if f in wanted]


@app.command("report")
def report_cmd(
    year: Annotated[int, typer.Option(help="Year of the white paper (an accounted year)")],
    profile: ProfileOpt = None,
    out: Annotated[Path, typer.Option(help="Folder for the files")] = Path(),
    lang_: Annotated[str | None, typer.Option(
        "--lang", help="zh or en; default the run's language (--lang before the command, "
        "$CARBONPEAK_LANG, else zh)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf, html or pdf,html")] = "pdf,html",
) -> None:
    """The annual white paper 年度碳排放状况白皮书: whitepaper-<district>-<year>-<lang>.pdf and
    .html, every figure from the year's official account run. SOURCE_DATE_EPOCH fixes the
    generated time (byte-identical reruns)."""
    with _errors():
        doc_lang = run_lang(lang_)
        formats = _formats(fmt)
        when = report_time()
        progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                            console=console, transient=True)
        written: list[Path] = []
        with _workspace() as ws, progress:
            task = progress.add_task(t("cli.report.step_figures"), total=2 + len(formats))
            content = white_paper(ws, year=year, district=profile)
            progress.update(task, advance=1, description=t("cli.report.step_html"))
            html = whitepaper_html(content, lang=doc_lang, generated=when)
            progress.advance(task)
            if "html" in formats:
                path = out / report_filename(content, doc_lang, "html")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(html, encoding="utf-8")
                written.append(path)
                progress.advance(task)
            if "pdf" in formats:
                progress.update(task, description=t("cli.report.step_pdf"))
                path = out / report_filename(content, doc_lang, "pdf")
                whitepaper_pdf(content, path, lang=doc_lang, generated=when, html=html)
                written.append(path)
                progress.advance(task)
        tot = content["summary"]["totals"]
        d = content["district"]
        console.print("[bold]" + t("cli.report.head", district=pick(d["name_zh"], d["name_en"]),
                                   year=year) + "[/] " + t(
            "cli.report.about", lang=t(f"cli.report.lang.{doc_lang}"),
            run=content["run"]["id"], factor_set=content["run"]["factor_set"],
            tce_equal=_fmt(tot["tce_equal"]), tce_equivalent=_fmt(tot["tce_equivalent"]),
            tco2=_fmt(tot["tco2"])), highlight=False)
        for v in content.values():
            if isinstance(v, dict) and v.get("available") is False:
                say("cli.bullet", text=t("cli.report.missing",
                                         reason=v.get(f"reason_{lang()}") or ""))
        for path in written:
            say("cli.bullet", text=t("cli.report.wrote", path=str(path),
                                     size=f"{path.stat().st_size / 1e6:.2f}"))


@app.command("export")
def export_cmd(
    year: Annotated[int, typer.Option(help="Account year")],
    what: Annotated[str, typer.Option(
        help=f"{', '.join(EXPORTS)} or all")],
    xlsx: Annotated[Path | None, typer.Option(help="The xlsx file (one export)")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for <what>-<district>-<year>.xlsx "
                                             "(default: the current folder)")] = None,
    profile: ProfileOpt = None,
    lang_: Annotated[str | None, typer.Option(
        "--lang", help="zh or en: the language of the whole workbook; default the run's "
        "language")] = None,
) -> None:
    """The bureau's exports 报送表格 as xlsx in one language: inventory tables (清单),
    key-unit list (重点用能单位), disclosure list (能效公示), targets table (规划目标),
    published figures (口径目录)."""
    with _errors(), _workspace() as ws:
        kinds = list(EXPORTS) if what == "all" else [what]
        if what != "all" and what not in EXPORTS:
            raise ConfigError(msg("cli.export.what", what=what, kinds=", ".join(EXPORTS)))
        if xlsx is not None and len(kinds) > 1:
            raise ConfigError(msg("cli.export.one_file"))
        doc_lang = run_lang(lang_)
        for kind in kinds:
            ex = export_workbook(ws, kind, year=year, district=profile, lang=doc_lang)
            path = xlsx if xlsx is not None else (out or Path()) / ex.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(ex.data)
            say("cli.export.done", kind=kind, rows=ex.rows, path=str(path))
