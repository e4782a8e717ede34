"""The account and its data quality: ``carbonpeak account``, ``carbonpeak quality``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    _errors,
    _fmt,
    _progress,
    _ws,
    app,
    console,
    heads,
    lang,
    lbl,
    say,
    t,
)
from carbonpeak.errors import HeldValuesPending
from carbonpeak.services.accounting.account import AccountResult, run_account
from carbonpeak.services.accounting.held import decide_held, list_held
from carbonpeak.services.figures import FigureSet, figures


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
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the run as JSON (run, totals, the months recomputed and "
        "reused, seconds) instead of the summary")] = False,
) -> None:
    """Energy (tce) and CO2 account by entity, month, carrier, street and district."""
    with _errors():
        ws = _ws()
        spark = _spark_session() if engine == "spark" else None
        try:
            if as_json:
                with _held_refusal():
                    res = run_account(ws, year=year, district=district,
                                      factor_set=factor_set, restate=restate, out_dir=out,
                                      engine=engine, spark=spark, fill_gaps=fill_gaps,
                                      max_gap_hours=max_gap_hours)
                if res.official:
                    figures(ws, year=year, district=district, refresh=True)
                typer.echo(json.dumps({
                    "run_id": res.run_id, "district": res.district, "year": res.year,
                    "official": res.official, "engine": res.engine,
                    "factor_set": res.factor_set, "totals": res.totals,
                    "recomputed_months": res.recomputed_months,
                    "reused_months": res.reused_months, "seconds": res.seconds,
                    "notes": res.notes}, ensure_ascii=False, indent=1, default=str))
                return
            with _progress() as prog, _held_refusal():
                task = prog.add_task(t("cli.account.task"), total=None)
                res = run_account(ws, year=year, district=district, factor_set=factor_set,
                                  restate=restate, out_dir=out, engine=engine, spark=spark,
                                  fill_gaps=fill_gaps, max_gap_hours=max_gap_hours,
                                  progress=lambda step: prog.update(
                                      task, description=t("cli.account.step", year=year,
                                                          step=step)))
                prog.remove_task(task)
            # the catalogue's values of the year, computed again from the new run
            fs = figures(ws, year=year, district=district, refresh=True) if res.official \
                else None
            print_summary(res, fs)
        finally:
            ws.close()
            if spark is not None:
                spark.stop()


@contextmanager
def _held_refusal() -> Iterator[None]:
    """An account refused for held values: why, then the usual error exit."""
    try:
        yield
    except HeldValuesPending as exc:
        say("cli.account.not_official", "bold red", reason=exc.reason)
        raise


held_app = typer.Typer(help="Held values: suspicious readings left out of the official "
                       "account until an analyst confirms or rejects them 待核实数值",
                       no_args_is_help=True)
app.add_typer(held_app, name="held")


@held_app.command("list")
def held_list(district: DistrictOpt = None,
              all_: Annotated[bool, typer.Option("--all", help="decided ones too")] = False,
              year: Annotated[int | None, typer.Option(help="Accounting year")] = None) -> None:
    """List the held values (待核实数值) with their reasons."""
    with _errors():
        ws = _ws()
        try:
            rows = list_held(ws, ws.district(district).id, status=None if all_ else "held",
                             year=year)
        finally:
            ws.close()
        table = Table(*heads("id", "meter", "ts_utc", "value", "status", "batch", "reason"),
                      title=t("cli.held.title"))
        for r in rows:
            table.add_row(str(r["id"]), r["meter_id"], r["ts"], f"{r['value']:g}",
                          lbl("held_status", r["status"]), str(r["batch_id"]),
                          r[f"reason_{lang()}"])
        console.print(table)
        say("cli.held.count", n=len(rows))


def _decide(decision: str, ids: list[int], district: str | None, note: str | None) -> None:
    with _errors():
        ws = _ws()
        try:
            rows = decide_held(ws, ws.district(district).id, ids, decision, note=note)
        finally:
            ws.close()
        for r in rows:
            say("cli.held.decided", id=r["id"], meter=r["meter_id"], ts=r["ts"],
                value=f"{r['value']:g}", status=lbl("held_status", r["status"]))


@held_app.command("confirm")
def held_confirm(ids: Annotated[list[int], typer.Argument(help="held value ids")],
                 district: DistrictOpt = None,
                 note: Annotated[str | None, typer.Option(help="why")] = None) -> None:
    """Confirm held values: they count in the account (确认计入)."""
    _decide("confirmed", ids, district, note)


@held_app.command("reject")
def held_reject(ids: Annotated[list[int], typer.Argument(help="held value ids")],
                district: DistrictOpt = None,
                note: Annotated[str | None, typer.Option(help="why")] = None) -> None:
    """Reject held values: they never count in the account (剔除)."""
    _decide("rejected", ids, district, note)


def _spark_session() -> Any:
    """The Spark session ``CARBONPEAK_SPARK_MASTER`` (and ``_SPARK_CONF``) point at."""
    from carbonpeak.config import Settings
    from carbonpeak.services.accounting.spark import spark_session

    s = Settings()
    return spark_session(s.spark_master, s.spark_conf)



def print_summary(res: AccountResult, fs: FigureSet | None = None) -> None:
    """Print the account's district summary, streets and notes; the published figures
    (coverage, intensity) from the figure catalogue ``fs`` when given."""
    tot = res.totals
    kind = t("cli.account.official" if res.official else "cli.account.variant")
    console.print("\n[bold]" + t("cli.account.head", district=res.district_name, year=res.year)
                  + "[/] " + t("cli.account.head_about", run=res.run_id, kind=kind,
                               factor_set=res.factor_set,
                               engine=lbl("account_engine", res.engine)), highlight=False)
    dy = res.tables["inventory_district_year"]
    table = Table(*heads("carrier", "quantity", "unit", "tce_equivalent", "tce_equal", "tco2",
                         "scope", "coverage"), title=t("cli.account.district"))
    for r in dy.to_dict("records"):
        table.add_row(lbl("carrier", str(r["carrier"])), _fmt(r["quantity"]), str(r["unit"]),
                      _fmt(r["tce_equivalent"]), _fmt(r["tce_equal"]), _fmt(r["tco2"]),
                      lbl("emission_scope", str(r["scope"])), f"{r['coverage']:.1%}")
    cov = fs.get("coverage.intervals") if fs is not None else None
    table.add_row(f"[bold]{t('cli.account.total')}[/]", "", "", _fmt(tot["tce_equivalent"]),
                  _fmt(tot["tce_equal"]), _fmt(tot["tco2"]), "1+2",
                  f"{cov.text()}%" if cov is not None else f"{tot['coverage']:.1%}")
    console.print(table)
    ey = res.tables["inventory_entity_year"]
    sy = ey[ey["scope"].isin(["1", "2"])].groupby("street").agg(
        tce_equivalent=("tce_equivalent", "sum"), tce_equal=("tce_equal", "sum"),
        tco2=("tco2", "sum"), n_entities=("entity_id", "nunique"), coverage=("coverage", "mean"),
    ).sort_values("tco2", ascending=False)
    st = Table(*heads("street", "entities", "tce_equivalent", "tce_equal", "tco2",
                      "readings_received"), title=t("cli.account.streets"))
    # a street's coverage is the catalogue's: readings received of expected
    covs = {str(f.provenance.get("subject_name")): f for f in
            fs.by_subject("street.coverage.intervals").values()} if fs is not None else {}
    for name, r in zip(sy.index, sy.to_dict("records"), strict=True):
        c = covs.get(str(name))
        st.add_row(str(name), str(r["n_entities"]), _fmt(r["tce_equivalent"]),
                   _fmt(r["tce_equal"]), _fmt(r["tco2"]),
                   f"{c.text()}%" if c is not None else f"{r['coverage']:.1%}")
    console.print(st)
    lines = [t("cli.account.pv", value=_fmt(tot["pv_generation_kwh"] / 1e4, 2))]
    # the district's intensities are the statistics' (统计口径): the account covers the metered
    # entities only, and its total over the district's GDP is no intensity of anything
    it = fs.get("intensity.energy_per_gdp") if fs is not None else None
    if it is not None and it.value is not None:
        co2 = fs.get("intensity.co2_per_gdp") if fs is not None else None
        lines.append(t("cli.account.energy_per_gdp", value=it.text(), label=it.label(lang())))
        if co2 is not None and co2.value is not None:
            lines.append(t("cli.account.co2_per_gdp", value=co2.text(),
                           label=co2.label(lang())))
    if tot.get("interval_coverage") is not None:
        lines.append(t("cli.account.interval_coverage", share=f"{tot['interval_coverage']:.1%}",
                       received=f"{tot['intervals_received']:,}",
                       expected=f"{tot['intervals_expected']:,.0f}"))
    gap = tot.get("gap_filling") or {}
    if gap.get("enabled"):
        lines.append(t("cli.account.gaps", filled=f"{gap['intervals_filled']:,}",
                       meters=gap["meters"], hours=f"{gap['max_gap_hours']:g}"))
    ku = res.tables["key_units"]
    lines.append(t("cli.account.key_units", n=int(ku["is_key_unit"].sum()), total=len(ku)))
    for line in lines + [t("cli.account.note", text=m) for m in res.messages]:
        say("cli.bullet", text=line)
    if res.files:
        say("cli.bullet", text=t("cli.wrote_files", n=len(res.files),
                                 folder=str(res.files[0].parent)))


# -- quality ------------------------------------------------------------------------------
def _quality_issues(rec: dict[str, Any], flags: dict[str, dict[str, str]]) -> str:
    """``缺测 3，尖峰 1`` (``gap 3, spike 1``): the flags of a summary with their meter-day
    counts, in the run's language."""
    found = [(rec[f"days_{f}"], f) for f in flags if rec.get(f"days_{f}")]
    return ("，" if lang() == "zh" else ", ").join(
        f"{_flag(flags, f)} {n:,}" for n, f in found) or "—"


def _flag(flags: dict[str, dict[str, str]], name: str) -> str:
    """A quality flag's name in the run's language (zh: its Chinese word; en: its code)."""
    return flags.get(name, {}).get("zh", name) if lang() == "zh" else name


def _quality_table(title: str, first: list[str]) -> Table:
    return Table(*first, *heads("meters", "meter_days", "completeness", "flagged_days",
                                "issues"), title=title)


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
    from carbonpeak.services.accounting.quality import quality_report

    with _errors():
        ws = _ws()
        try:
            with _progress() as prog:
                task = prog.add_task(t("cli.quality.task"), total=None)

                def step(mo: str, i: int, n: int) -> None:
                    prog.update(task, total=n, completed=i,
                                description=t("cli.quality.step", month=mo) if mo
                                else t("cli.quality.task"))

                rep = quality_report(ws, district, entity_id=entity, street_id=street,
                                     month=month, year=year, force=refresh, progress=step)
                prog.remove_task(task)
        finally:
            ws.close()
        period = (f"{rep.months[0]} … {rep.months[-1]}" if len(rep.months) > 1
                  else (rep.months[0] if rep.months else "—"))
        console.print("\n[bold]" + t("cli.quality.head", district=rep.district_name)
                      + f"[/] {period} " + t("cli.quality.about", at=rep.checked_at[:16],
                                             n=len(rep.recomputed)), highlight=False)
        if not rep.rows and not rep.entities:
            say("cli.bullet", text=t("cli.quality.none"))
            return
        summ = rep.district_summary
        comp = summ.get("completeness")
        say("cli.bullet", text=t("cli.quality.summary", meters=summ["meters"],
                                 meter_days=f"{summ['meter_days']:,}",
                                 completeness="—" if comp is None else f"{comp:.1%}",
                                 received=f"{summ['received']:,}",
                                 expected=f"{summ['expected']:,}"))
        ft = Table(*heads("flag", "meaning", "meter_days"), title=t("cli.quality.flags"))
        for name, info in rep.flags.items():
            ft.add_row(_flag(rep.flags, name), info[lang()], f"{summ[f'days_{name}']:,}")
        console.print(ft)
        st = _quality_table(t("cli.account.streets"), heads("street"))
        for rec in rep.streets:
            st.add_row(str(rec["street"]), *_quality_row(rec, rep.flags))
        console.print(st)
        worst = sorted(rep.entities, key=lambda r: (-(r["days_flagged"]),
                                                    r["completeness"] or 0.0))
        et = _quality_table(t("cli.quality.entities"), heads("entity", "name"))
        for rec in worst[:30]:
            et.add_row(str(rec["entity_id"]), str(rec["entity_name"]),
                       *_quality_row(rec, rep.flags))
        console.print(et)
        if len(worst) > 30:
            say("cli.bullet", text=t("cli.quality.more_entities", n=len(worst) - 30))
        if detail:
            dt_ = Table(*heads("day", "meter", "entity", "expected", "received", "completeness",
                               "longest_gap", "flags"), title=t("cli.quality.flagged"))
            flagged = [r for r in rep.rows if r["flags"]]
            for r in flagged[:200]:
                comp = r["completeness"]
                dt_.add_row(str(r["day"]), str(r["meter_id"]), str(r["entity_id"]),
                            str(r["expected"]), str(r["received"]),
                            "—" if comp is None else f"{comp:.0%}",
                            _fmt(r["longest_gap_minutes"], 0),
                            "、".join(_flag(rep.flags, f) for f in str(r["flags"]).split(";"))
                            if lang() == "zh" else str(r["flags"]))
            console.print(dt_)
            if len(flagged) > 200:
                say("cli.bullet", text=t("cli.quality.more_days", n=len(flagged) - 200))
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            rep.rows_frame().to_csv(out, index=False, encoding="utf-8-sig")
            say("cli.bullet", text=t("cli.quality.wrote", n=f"{len(rep.rows):,}", path=str(out)))


# -- lists --------------------------------------------------------------------------------
