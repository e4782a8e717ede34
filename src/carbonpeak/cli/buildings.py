"""CLI commands for public buildings: quota tables, benchmarking, disclosure, quota cases.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    lbl,
    option_date,
    region,
    run_lang,
    say,
    t,
)
from carbonpeak.domain.benchmarking import RATINGS
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.intake.bootstrap import load_quota_table
from carbonpeak.intake.quota_files import read_quota_file
from carbonpeak.publish.disclosure import disclosure_pdf, report_names
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.benchmarking import (
    DEFAULT_TABLE,
    benchmark,
    case_dict,
    classify,
    disclosure_workbook,
    list_cases,
    notify_cases,
    open_cases,
    quota_table,
    quota_tables,
    review_cases,
)

__all__ = ["cases_app", "quotas_app"]

quotas_app = typer.Typer(help="Energy quota tables (能耗限额) and building classes; each row "
                         "has a source and a status.", no_args_is_help=True)
cases_app = typer.Typer(help="Buildings over their quota (超限额整改): open, notify, review.",
                        no_args_is_help=True)
app.add_typer(quotas_app, name="quotas")
quotas_app.add_typer(cases_app, name="cases")

TableOpt = Annotated[str, typer.Option("--table", "-t", help="Quota table id")]


def _fmt(v: object, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


@quotas_app.command("list")
def quotas_list() -> None:
    """The loaded quota tables (newest version) and their rows' statuses."""
    with _errors(), _workspace() as ws:
        table = Table(*heads("table", "version", "rows", "regions", "status", "origin",
                             "loaded_by"))
        sep = "、" if lang() == "zh" else ", "
        for q in quota_tables(ws):
            table.add_row(q["table_id"], str(q["version"]), str(q["rows"]),
                          sep.join(map(region, q["regions"])), ", ".join(
                              f"{lbl('quota_status', k)} {v}" for k, v in q["statuses"].items()),
                          q["origin"], q["loaded_by"])
        console.print(table)


@quotas_app.command("show")
def quotas_show(table_id: Annotated[str, typer.Argument(help="Quota table id")],
                version: Annotated[int | None, typer.Option(help="Version; default newest")] = None,
                ) -> None:
    """Every row of a quota table with its convention, values, status and source."""
    with _errors(), _workspace() as ws:
        q = quota_table(ws, table_id, version)
        table = Table(*heads("region", "code", "class", "default_for", "convention",
                             "constraint", "guide", "unit", "status", "source"),
                      title=f"{table_id} v{q['version']}")
        for r in q["rows"]:
            table.add_row(region(r["region"]), r["quota_class"], r[f"label_{lang()}"],
                          lbl("building_type", r["default_for"]) if r["default_for"] else "",
                          f"{lbl('quota_convention', r['convention'])} "
                          f"({r['electricity_kgce_per_kwh']} kgce/kWh)",
                          _fmt(r["constraint_value"]), _fmt(r["guide_value"]), r["unit"],
                          lbl("quota_status", r["status"]), r["source"])
        console.print(table)


@quotas_app.command("load")
def quotas_load(path: Annotated[Path, typer.Argument(help="Quota table CSV (columns as in "
                                                     "reference/quotas/*.csv)")]) -> None:
    """Load a (checked) quota table: a new version when its content changed."""
    with _errors(), _workspace() as ws:
        rec, created = load_quota_table(ws, read_quota_file(path))
        say("cli.quotas.loaded" if created else "cli.quotas.unchanged", table=rec.table_id,
            version=rec.version, rows=len(rec.rows))


@quotas_app.command("classify")
def quotas_classify(path: Annotated[Path, typer.Argument(
        help="CSV with entity_id, table_id, quota_class and optionally source")],
        district: DistrictOpt = None) -> None:
    """Assign buildings to quota classes (otherwise a table's default for the type is used)."""
    with _errors(), _workspace() as ws:
        counts = classify(ws, ws.district(district).id, path)
        console.print(("，" if lang() == "zh" else ", ").join(
            f"{t(f'cli.classify.{k}')} {v}" for k, v in counts.items()), highlight=False)


@app.command("benchmark")
def benchmark_cmd(
    year: Annotated[int, typer.Option(help="Account year")],
    table: TableOpt = DEFAULT_TABLE,
    building_type: Annotated[str | None, typer.Option("--type", help="Only this building "
                                                      "type")] = None,
    rating: Annotated[str | None, typer.Option(help="Only this rating, e.g. "
                                               "over_constraint")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Write the disclosure list (能效公示) "
                                              "as xlsx")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the disclosure list (能效公示) "
                                             "as PDF")] = None,
    lang_: Annotated[str | None, typer.Option(
        "--lang", help="Language of the PDF: zh or en; default the run's language")] = None,
    min_coverage: Annotated[float, typer.Option(help="Rate only buildings whose account "
                                                "covers this share of the year")] = 0.9,
    district: DistrictOpt = None,
) -> None:
    """Public buildings against a quota table: EUI, rating, rank and percentile in type."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        if rating is not None and rating not in RATINGS:
            raise InputValidationError([RowError("--rating", None, "rating", rating, msg(
                "intake.cell.not_one_of", allowed=", ".join(RATINGS)))])
        bm = benchmark(ws, d.id, year, table_id=table, min_coverage=min_coverage)
        df = bm.frame
        if building_type:
            df = df[df["building_type"] == building_type]
        if rating:
            df = df[df["rating"] == rating]
        statuses = sorted({str(x) for x in bm.frame["quota_status"].dropna()})
        out = Table(*heads("entity", "name", "type", "m2", "eui_equal", "rank", "area_pct",
                           "class", "eui_quota", "constraint", "guide", "rating", "cut_needed"),
                    title=t("cli.benchmark.title", district=bm.district_name, year=year,
                            table=table, version=bm.table_version,
                            statuses=", ".join(lbl("quota_status", s) for s in statuses)
                            or "—"))
        for _, r in df.iterrows():
            cls = "" if r["quota_class"] is None or r["quota_class"] != r["quota_class"] else (
                f"{r['quota_class']}" + (t("cli.benchmark.default")
                                         if r["class_source"] == "default" else ""))
            out.add_row(r["entity_id"], str(r["name"]), str(r["building_type"]),
                      _fmt(r["floor_area_m2"], 0), _fmt(r["eui_kgce_per_m2_equal"]),
                      _fmt(r["rank_in_type"], 0) + "/" + _fmt(r["n_in_type"], 0),
                      _fmt(r["area_percentile_in_type"], 2), cls, _fmt(r["eui"]),
                      _fmt(r["constraint_value"]), _fmt(r["guide_value"]),
                      lbl("quota_rating", r["rating"]),
                      f"{r['excess_fraction']:.1%}" if r["rating"] == "over_constraint" else "")
        console.print(out)
        say("cli.benchmark.ratings", counts=", ".join(
            f"{lbl('quota_rating', k)} {v}" for k, v in bm.counts().items()))
        if "unverified" in statuses:
            say("cli.benchmark.unverified", "yellow")
        if xlsx is not None:
            disclosure_workbook(bm, xlsx)
            say("cli.benchmark.xlsx", path=str(xlsx))
        if pdf is not None:
            disclosure_pdf(bm, pdf, lang=run_lang(lang_), names=report_names(ws, d.id))
            say("cli.benchmark.pdf", path=str(pdf))


def _print_cases(rows: list[dict[str, object]], title: str) -> None:
    table = Table(*heads("id", "entity", "name", "year", "class", "eui", "constraint", "excess",
                         "status", "notice", "deadline", "reason"), title=title)
    for c in rows:
        table.add_row(str(c["id"]), str(c["entity_id"]), str(c.get("name") or ""),
                      str(c["year"]), str(c["quota_class"]), _fmt(c["eui"]),
                      _fmt(c["constraint_value"]),
                      f"{c['excess_fraction']:.1%}" if isinstance(c["excess_fraction"], float)
                      else "", lbl("quota_case_status", str(c["status"])),
                      str(c["notice_no"] or ""), str(c["deadline"] or ""),
                      str(c[f"reason_{lang()}"]))
    console.print(table)


@cases_app.command("open")
def cases_open(year: Annotated[int, typer.Option(help="Year over quota")],
               table: TableOpt = DEFAULT_TABLE, district: DistrictOpt = None) -> None:
    """Open a case for every building over its constraint in ``year`` (none twice)."""
    with _errors(), _workspace() as ws:
        created = open_cases(ws, ws.district(district).id, year, table)
        _print_cases([case_dict(c) for c in created], t("cli.cases.opened", n=len(created)))


@cases_app.command("notify")
def cases_notify(
    year: Annotated[int, typer.Option(help="Year of the cases")],
    deadline: Annotated[str, typer.Option(help="Rectification deadline, YYYY-MM-DD")],
    notice_date: Annotated[str | None, typer.Option(help="Notice date; default today")] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", "-e",
                                                     help="Only these entities")] = None,
    district: DistrictOpt = None,
) -> None:
    """Issue rectification notices (整改通知) for the open cases of a year."""
    with _errors(), _workspace() as ws:
        due = option_date(deadline, "--deadline")
        if due is None:
            raise InputValidationError([RowError("--deadline", None, None, deadline, msg(
                "intake.option.date", option="--deadline", example="2025-06-30"))])
        issued = option_date(notice_date, "--notice-date")
        cases = notify_cases(ws, ws.district(district).id, year=year, deadline=due,
                             notice_date=issued, entity_ids=entity)
        _print_cases([case_dict(c) for c in cases], t("cli.cases.notified", n=len(cases)))


@cases_app.command("review")
def cases_review(
    year: Annotated[int, typer.Option(help="The later year whose figures decide")],
    as_of: Annotated[str | None, typer.Option(help="Review date; default today")] = None,
    district: DistrictOpt = None,
) -> None:
    """Close or escalate notified cases on a later year's figures and their deadlines."""
    with _errors(), _workspace() as ws:
        when = option_date(as_of, "--as-of")
        changed = review_cases(ws, ws.district(district).id, review_year=year, as_of=when)
        _print_cases([case_dict(c) for c, _ in changed], t("cli.cases.changed", n=len(changed)))


@cases_app.command("list")
def cases_list(year: Annotated[int | None, typer.Option(help="Year over quota")] = None,
               status: Annotated[str | None, typer.Option(
                   help="open, notified, closed or escalated")] = None,
               district: DistrictOpt = None) -> None:
    """The quota cases of the district."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        rows = list_cases(ws, AccessScope(district_id=d.id, everything=True), year=year,
                          status=status)
        _print_cases(rows, t("cli.cases.list", n=len(rows)))
