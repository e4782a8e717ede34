"""The figure catalogue (口径目录): ``carbonpeak metrics --year Y [--as-of D] [--json]``."""

from __future__ import annotations

import json
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
    lang,
    option_date,
    t,
)
from carbonpeak.services.figures import Figure, figures

__all__ = ["metrics", "provenance_text"]


def provenance_text(f: Figure) -> str:
    """The provenance in a few words, in the run's language: run, batches and factor set;
    statistics row; source."""
    p: dict[str, Any] = f.provenance
    if p.get("account_run") is not None and "input_batches" in p:
        batches = p.get("input_batches") or []
        return t("cli.prov.run", run=p["account_run"], n=len(batches),
                 factor_set=p.get("factor_set"))
    if "statistics_row" in p:
        r = p["statistics_row"]
        return t("cli.prov.statistics_row", district=r["district"], year=r["year"],
                 column=r["column"])
    if "statistics_rows" in p:
        return t("cli.prov.statistics_rows",
                 years=", ".join(str(r["year"]) for r in p["statistics_rows"][-3:]))
    if "budget" in p and p["budget"] is not None:
        b = p["budget"]
        bid = b["id"] if isinstance(b, dict) else b
        return t("cli.prov.budget_warning", budget=bid, warning=p["warning"]) \
            if p.get("warning") else t("cli.prov.budget", budget=bid)
    if "warning" in p:
        return t("cli.prov.warning", warning=p["warning"])
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
        table = Table(*heads("code", "name", "subject", "value", "unit", "basis", "stat_period",
                             "provenance"),
                      title=t("cli.metrics.title", district=fs.district_id, year=year,
                              as_of=fs.as_of.isoformat()))
        for f in fs.items:
            table.add_row(f.code, f.definition.name_text(lang()),
                          "" if f.subject_type == "district" else f.subject_id, f.text(),
                          f.definition.unit, f.label(lang()).split(" · ")[0],
                          f.period, provenance_text(f))
        console.print(table)
