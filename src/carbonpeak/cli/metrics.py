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
from carbonpeak.services.figures import Figure, FigureSet, figures

__all__ = ["metrics", "print_published", "provenance_text"]


def print_published(fs: FigureSet, codes: tuple[str, ...]) -> None:
    """The figure catalogue's figures ``codes`` as a programme's command prints them: name,
    the published text and unit, basis and as-of (one figure, one definition)."""
    for f in fs.items:
        if f.code not in codes:
            continue
        who = "" if f.subject_type == "district" else f" [{f.subject_id}]"
        unit = "" if f.definition.unit in ("count", "ratio") \
            else f" {f.definition.unit_text(lang())}"
        note = (f"（{f.label('zh')}；{f.period}）" if lang() == "zh"
                else f" ({f.label('en')}; {f.period})")
        console.print(f"  {f.definition.name_text(lang())}{who}: {f.text()}{unit}{note}",
                      highlight=False)


def provenance_text(f: Figure) -> str:
    """The provenance in a few words, in the run's language: run, batches and factor set;
    statistics row; source."""
    p: dict[str, Any] = f.provenance_in(lang())
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
                          f.definition.unit_text(lang()),
                          f.label(lang()).split(" · ")[0],
                          f.period, provenance_text(f))
        console.print(table)


city_app = typer.Typer(help="A city deployment: the district comparison and the city totals "
                       "(each on one basis, metered account or statistics, never mixed).",
                       no_args_is_help=True)
app.add_typer(city_app, name="city")
CityOpt = Annotated[str, typer.Option("--city", help="The city's code (`init --city`)")]
YearOpt = Annotated[int, typer.Option(help="The figures' year")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]


@city_app.command("districts")
def city_districts_cmd(city: CityOpt, year: YearOpt, as_json: JsonOpt = False) -> None:
    """The district comparison: every district of the city with its catalogue figures, each
    with its basis,
    as-of and provenance."""
    from carbonpeak.services.city import city_by_code, district_comparison

    with _errors(), _workspace() as ws:
        c = city_by_code(ws, city)
        rows = district_comparison(ws, c, year=year)
        if as_json:
            typer.echo(json.dumps({"city": c.id, "year": year,
                                   "items": [r.to_dict() for r in rows]},
                                  ensure_ascii=False, indent=1, default=str))
            return
        zh = lang() == "zh"
        table = Table(*heads("district", "code", "name", "value", "unit", "basis_as_of",
                             "provenance"),
                      title=t("cli.city.districts_title", city=c.name_zh if zh else c.name_en,
                              year=year))
        for r in rows:
            for f in r.figures:
                table.add_row(r.name_zh if zh else r.name_en, f.code,
                              f.definition.name_text(lang()), f.text(),
                              f.definition.unit_text(lang()),
                              f.label(lang()), provenance_text(f))
        console.print(table)


@city_app.command("totals")
def city_totals_cmd(city: CityOpt, year: YearOpt, as_json: JsonOpt = False) -> None:
    """The city totals: each figure summed over the districts on its one basis; none (naming the
    districts missing) unless every district has a value."""
    from carbonpeak.services.city import city_by_code, city_totals

    with _errors(), _workspace() as ws:
        c = city_by_code(ws, city)
        totals = city_totals(ws, c, year=year)
        if as_json:
            typer.echo(json.dumps({"city": c.id, "year": year,
                                   "items": [x.to_dict() for x in totals]},
                                  ensure_ascii=False, indent=1, default=str))
            return
        zh = lang() == "zh"
        table = Table(*heads("code", "name", "value", "unit", "basis_as_of", "missing"),
                      title=t("cli.city.totals_title", city=c.name_zh if zh else c.name_en,
                              year=year))
        for x in totals:
            d = x.to_dict()
            table.add_row(x.code, d["name_zh"] if zh else d["name_en"], d["text"], d["unit"],
                          x.label(lang()), ", ".join(x.missing))
        console.print(table)
