"""The figure catalogue (口径目录): ``carbonpeak metrics --year Y [--as-of D] [--json]``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import DistrictOpt, _errors, _workspace, app, console, option_date
from carbonpeak.services.figures import Figure, FigureSet, figures

__all__ = ["metrics", "print_published", "provenance_text"]


def print_published(fs: FigureSet, codes: tuple[str, ...]) -> None:
    """The figure catalogue's figures ``codes`` as a programme's command prints them: name,
    the published text and unit, basis and as-of (one figure, one definition)."""
    for f in fs.items:
        if f.code not in codes:
            continue
        who = "" if f.subject_type == "district" else f" [{f.subject_id}]"
        unit = "" if f.definition.unit in ("count", "ratio") else f" {f.definition.unit}"
        console.print(f"  {f.definition.name_text('zh')}{who}: {f.text()}{unit} "
                      f"（{f.label('zh')}；{f.period}）")


def provenance_text(f: Figure) -> str:
    """The provenance in a few words: run, batches and factor set; statistics row; source."""
    p: dict[str, Any] = f.provenance
    if p.get("account_run") is not None and "input_batches" in p:
        batches = p.get("input_batches") or []
        return (f"run {p['account_run']}, {len(batches)} batches, {p.get('factor_set')}")
    if "statistics_row" in p:
        r = p["statistics_row"]
        return f"statistics {r['district']} {r['year']}: {r['column']}"
    if "statistics_rows" in p:
        return "statistics " + ", ".join(str(r["year"]) for r in p["statistics_rows"][-3:])
    if "budget" in p and p["budget"] is not None:
        b = p["budget"]
        return f"budget {b['id'] if isinstance(b, dict) else b}" + (
            f", warning {p['warning']}" if p.get("warning") else "")
    if "warning" in p:
        return f"warning {p['warning']}"
    return str(p.get("source") or p.get("note") or "")


@app.command()
def metrics(
    year: Annotated[int, typer.Option(help="The figures' year")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (YYYY-MM-DD) of the programme counts; default 31 December "
        "of the year")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON (code, value, unit, basis, "
                                          "period, as_of, provenance, …)")] = False,
    refresh: Annotated[bool, typer.Option(help="Compute and store the values again")] = False,
    district: DistrictOpt = None,
) -> None:
    """The figure catalogue 口径目录: every published number of the year with its basis
    (核算口径/统计口径/台账记录/规划值), period, as-of date and provenance, from the stored
    values (computed once; again when the inputs changed or with --refresh)."""
    with _errors(), _workspace() as ws:
        when = option_date(as_of, "--as-of")
        fs = figures(ws, year=year, district=district, as_of=when, refresh=refresh)
        if as_json:
            typer.echo(json.dumps(fs.to_dict(), ensure_ascii=False, indent=1))
            return
        t = Table("代码 code", "名称", "对象 subject", "数值 value", "单位 unit",
                  "口径 basis", "统计期 period", "来源 provenance",
                  title=f"口径目录 figures {fs.district_id} {year}（截至 as of "
                  f"{fs.as_of.isoformat()}）")
        for f in fs.items:
            t.add_row(f.code, f.definition.name_text("zh"),
                      "" if f.subject_type == "district" else f.subject_id, f.text(),
                      f.definition.unit, f.label("zh").split(" · ")[0],
                      f.period, provenance_text(f))
        console.print(t)
