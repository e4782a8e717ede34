"""``carbonpeak tasks|rounds|assess``: plan supervision (任务分解、定期调度、年度考核).

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`. The CLI acts for the
office (it sees every unit); a unit answers through the API or the dashboard, or the office
enters an answer on its behalf with ``rounds submit --unit``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    _errors,
    _workspace,
    app,
    console,
    heads,
    lang,
    lbl,
    option_date,
    pick,
    run_lang,
    say,
    t,
)
from carbonpeak.cli.metrics import print_published
from carbonpeak.i18n import msg
from carbonpeak.services.figures import SUPERVISION_FIGURES, figures, year_end
from carbonpeak.services.plan.notify import build_notifier
from carbonpeak.services.supervision.assessment import assess, issue_assessment
from carbonpeak.services.supervision.catalogue import (
    SupervisionScope,
    add_organisation,
    assign_task,
    get_task,
    list_organisations,
    list_tasks,
    load_catalogue,
)
from carbonpeak.services.supervision.rounds import (
    open_round,
    remind,
    review,
    round_board,
    round_items,
    submit,
)

__all__ = ["indicators_app", "programmes_app", "rounds_app", "tasks_app"]

tasks_app = typer.Typer(help="The plan's tasks (任务清单) and responsible units (责任单位).",
                        no_args_is_help=True)
rounds_app = typer.Typer(help="Dispatch rounds (调度): open, status, submit, review, remind.",
                         no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
app.add_typer(rounds_app, name="rounds")

District = Annotated[str | None, typer.Option(help="District id (default: the only one)")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]


def _json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _everyone(ws: Any, district: str | None) -> SupervisionScope:
    return SupervisionScope(ws.district(district).id, everything=True)


@tasks_app.command("load")
def tasks_load(district: District = None) -> None:
    """Load the shipped organisation list and task catalogue (kept edits stay)."""
    with _errors(), _workspace() as ws:
        got = load_catalogue(ws, district=district)
        say("cli.tasks.loaded", orgs=got["organisations"], tasks=got["tasks"])


@tasks_app.command("list")
def tasks_list(district: District = None,
               org: Annotated[str | None, typer.Option(
                   help="Only the tasks this unit leads or supports")] = None,
               as_json: AsJson = False) -> None:
    """The tasks, their units and linked targets."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        scope = SupervisionScope(d.id, everything=False, org_code=org) if org \
            else SupervisionScope(d.id, everything=True)
        rows = list_tasks(ws, scope)
        if as_json:
            _json(rows)
            return
        table = Table(*heads("code", "section", "task", "lead", "supporting", "targets"),
                      title=t("cli.tasks.title", n=len(rows)))
        sep = "、" if lang() == "zh" else ", "
        for r in rows:
            table.add_row(r["code"], r["section"], r["title"],
                          r["lead_name"] or t("cli.tasks.unassigned"),
                          sep.join(r["supporting_names"]
                                   + ([t("cli.tasks.streets")] if r["streets"] else [])),
                          ", ".join(r["target_codes"]))
        console.print(table)


@tasks_app.command("show")
def tasks_show(code: str, district: District = None) -> None:
    """One task with its quote and milestones."""
    with _errors(), _workspace() as ws:
        _json(get_task(ws, _everyone(ws, district), code))


@tasks_app.command("assign")
def tasks_assign(code: str,
                 lead: Annotated[str, typer.Option(help="The lead unit's code (牵头)")],
                 support: Annotated[list[str] | None, typer.Option(
                     help="A supporting unit's code (配合); repeat")] = None,
                 streets: Annotated[bool | None, typer.Option(
                     "--streets/--no-streets", help="The streets also answer it")] = None,
                 district: District = None) -> None:
    """Give a task its units (audit-logged)."""
    with _errors(), _workspace() as ws:
        task = assign_task(ws, code, lead=lead, supporting=support, streets=streets,
                           district=district)
        say("cli.tasks.assigned", code=task["code"], lead=task["lead_name"],
            supporting=("、" if lang() == "zh" else ", ").join(task["supporting_names"])
            or "—")


@tasks_app.command("orgs")
def tasks_orgs(district: District = None, as_json: AsJson = False) -> None:
    """The district's responsible units (editable with ``tasks add-org``)."""
    with _errors(), _workspace() as ws:
        rows = list_organisations(ws, district=district)
        if as_json:
            _json(rows)
            return
        table = Table(*heads("code", "name", "kind", "source", "status"))
        for r in rows:
            table.add_row(r["code"], pick(r["name_zh"], r.get("name_en")),
                          lbl("org_kind", r["kind"]), r["source"], lbl("rule_status", r["status"]))
        console.print(table)


@tasks_app.command("add-org")
def tasks_add_org(code: str, name_zh: str, name_en: Annotated[str, typer.Option()] = "",
                  kind: Annotated[str, typer.Option()] = "department",
                  district: District = None) -> None:
    """Add a unit to the district's list (audit-logged)."""
    with _errors(), _workspace() as ws:
        add_organisation(ws, code, name_zh, name_en=name_en, kind=kind, district=district)
        say("cli.tasks.org_added", code=code, name=pick(name_zh, name_en))


@rounds_app.command("open")
def rounds_open(period: Annotated[str, typer.Option(help="e.g. 2024-Q4")],
                due: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                opened: Annotated[dt.datetime | None, typer.Option(
                    formats=["%Y-%m-%d"], help="Default today")] = None,
                task: Annotated[list[str] | None, typer.Option(
                    help="A task to ask for; repeat (default: every assigned task)")] = None,
                target: Annotated[list[str] | None, typer.Option(
                    help="A target to ask for; repeat (default: every target the account "
                         "does not compute)")] = None,
                district: District = None) -> None:
    """Open a dispatch round."""
    with _errors(), _workspace() as ws:
        r = open_round(ws, period=period, due_on=due.date(),
                       opened_on=opened.date() if opened else None, tasks=task,
                       targets=target, district=district)
        console.print(t("cli.rounds.opened", id=r["id"], period=r["period"], items=r["items"],
                        due=r["due_on"])
                      + (t("cli.rounds.unassigned", codes=", ".join(r["unassigned"]))
                         if r["unassigned"] else ""), highlight=False)


@rounds_app.command("status")
def rounds_status(round_id: int, district: District = None,
                  items: Annotated[bool, typer.Option("--items", help="Every item")] = False,
                  as_json: AsJson = False) -> None:
    """Who is late: each unit's items asked, answered, accepted, owed and overdue."""
    with _errors(), _workspace() as ws:
        if items:
            rows = round_items(ws, _everyone(ws, district), round_id)
            if as_json:
                _json(rows)
                return
            table = Table(*heads("id", "unit", "item", "status", "value", "overdue", "late"))
            for r in rows:
                table.add_row(str(r["id"]), r["unit_name"], r["item"],
                              lbl("submission_status", r["status"]),
                              "" if r["value"] is None else str(r["value"]),
                              t("cli.rounds.overdue") if r["overdue"] else "",
                              t("cli.rounds.late") if r["late"] else "")
            console.print(table)
            return
        board = round_board(ws, round_id, district=district)
        if as_json:
            _json(board)
            return
        table = Table(*heads("unit", "items", "submitted", "accepted", "returned", "owed",
                             "overdue"),
                      title=t("cli.rounds.board", period=board["period"], due=board["due_on"]))
        for u in board["units"]:
            table.add_row(u["unit_name"], *(str(u[k]) for k in (
                "items", "submitted", "accepted", "returned", "owed", "overdue")))
        console.print(table)


@rounds_app.command("schedule")
def rounds_schedule(district: District = None,
                    today: Annotated[str | None, typer.Option(
                        help="The day to schedule on (YYYY-MM-DD); default today")] = None,
                    since: Annotated[str | None, typer.Option(
                        help="Open every period from the one containing this date "
                        "(default: the profile's dispatch_since, else the latest period)")
                    ] = None,
                    as_json: AsJson = False) -> None:
    """Open every round due and not yet opened, at the profile's frequency (safe to run
    from cron: a period that has a round is left alone; audit-logged)."""
    from carbonpeak.services.supervision.schedule import schedule_rounds

    with _errors(), _workspace() as ws:
        day = option_date(today, "--today") or dt.date.today()
        out = schedule_rounds(ws, today=day, district=district,
                              since=option_date(since, "--since"))
        if as_json:
            _json(out)
            return
        r = out["rule"]
        say("sup.cli.schedule.rule", frequency=lbl("dispatch_frequency", r["frequency"]),
            due_days=r["due_days"], source=r["source_zh"] if lang() == "zh" else r["source"],
            status=lbl("rule_status", r["status"]))
        for o in out["opened"]:
            say("sup.cli.schedule.opened", period=o["period"], id=o["id"],
                scheduled=o["scheduled_on"], due=o["due_on"], items=o["items"])
        for p in out["existing"]:
            say("sup.cli.schedule.existing", period=p)
        if not out["opened"] and not out["existing"]:
            say("sup.cli.schedule.none")


@rounds_app.command("submit")
def rounds_submit(round_id: int,
                  unit: Annotated[str, typer.Option(help="The unit answering")],
                  item: Annotated[str, typer.Option(help="task:<code> or target:<code>")],
                  progress: Annotated[str | None, typer.Option()] = None,
                  completion: Annotated[float | None, typer.Option(help="%")] = None,
                  value: Annotated[float | None, typer.Option()] = None,
                  observed_on: Annotated[dt.datetime | None, typer.Option(
                      formats=["%Y-%m-%d"])] = None,
                  narrative: Annotated[str, typer.Option()] = "",
                  evidence: Annotated[list[Path] | None, typer.Option(
                      help="PDF, image or xlsx; repeat")] = None,
                  district: District = None) -> None:
    """Enter a unit's answer to an item (the office on its behalf)."""
    with _errors(), _workspace() as ws:
        row = submit(ws, _everyone(ws, district), round_id, unit=unit, item=item,
                     progress=progress, completion_pct=completion, value=value,
                     observed_on=observed_on.date() if observed_on else None,
                     narrative=narrative,
                     evidence=[(p.name, p.read_bytes()) for p in evidence or []])
        say("cli.rounds.submission", id=row["id"],
            status=lbl("submission_status", row["status"]))


@rounds_app.command("review")
def rounds_review(submission_id: int,
                  accept: Annotated[bool, typer.Option("--accept/--return")],
                  comment: Annotated[str, typer.Option()] = "",
                  district: District = None) -> None:
    """Accept a submission (a target's value becomes its observation) or return it."""
    with _errors(), _workspace() as ws:
        row = review(ws, submission_id, accept=accept, comment=comment, district=district)
        say("cli.rounds.submission", id=row["id"],
            status=lbl("submission_status", row["status"]))


@rounds_app.command("remind")
def rounds_remind(round_id: int, district: District = None) -> None:
    """Remind every unit that still owes items (through the configured notifier)."""
    with _errors(), _workspace() as ws:
        events = remind(ws, round_id, build_notifier(ws.settings), district=district)
        for e in events:
            say("cli.text", "red" if e["overdue"] else "yellow", text=e[f"reason_{lang()}"])
        say("cli.rounds.reminders", n=len(events))


@app.command("assess")
def assess_cmd(year: Annotated[int, typer.Option(help="The year assessed")],
               district: District = None, as_json: AsJson = False,
               xlsx: Annotated[Path | None, typer.Option(
                   help="Also write the report as an xlsx workbook")] = None,
               pdf: Annotated[Path | None, typer.Option(
                   help="Also write the report as a PDF")] = None,
               lang_: Annotated[str | None, typer.Option(
                   "--lang", help="zh or en (the report); default the run's language")] = None,
               as_of: Annotated[str | None, typer.Option(
                   "--as-of", help="Judge overdue items on this date (YYYY-MM-DD); default "
                   "31 December of the year")] = None,
               issue: Annotated[bool, typer.Option(
                   "--issue", help="Issue (印发) the assessment on the --as-of date: "
                   "audit-logged; it is the value of the yearly assessment targets "
                   "(HP-56/57, TH-50)")] = False,
               ) -> None:
    """The yearly assessment (考核): each unit's score, grade and breakdown, and 通报, judged
    at the end of the year (--as-of: another date), with the figure catalogue's supervision
    figures of that date."""
    with _errors(), _workspace() as ws:
        when = option_date(as_of, "--as-of") or year_end(year)
        out = issue_assessment(ws, year=year, district=district, on=when) if issue \
            else assess(ws, year=year, district=district, today=when)
        fs = figures(ws, year=year, district=district, as_of=when)
        out["figures"] = fs.dicts(*SUPERVISION_FIGURES)
        language: Literal["zh", "en"] = run_lang(lang_)
        if xlsx is not None:
            from carbonpeak.publish.assessment import assessment_xlsx

            xlsx.write_bytes(assessment_xlsx(out, lang=language))
        if pdf is not None:
            from carbonpeak.publish.assessment import assessment_pdf

            pdf.write_bytes(assessment_pdf(out, lang=language))
        if as_json:
            _json(out)
            return
        table = Table(*heads("unit", "score", "grade", "veto", "penalty", "breakdown"),
                      title=t("cli.assess.title", year=year))
        for u in out["units"]:
            parts = ", ".join(f"{i['code']} {i['score']:g}×{i['weight']:g}"
                              for i in u["items"])
            table.add_row(u["unit_name"], f"{u['score']:.1f}", u[f"grade_{lang()}"],
                          t("cli.assess.vetoed") if u["vetoed"] else "", f"{u['penalty']:g}",
                          parts)
        console.print(table)
        s = out["scheme"]
        say("cli.assess.scheme", source=s["source_zh"] if lang() == "zh"
            else s.get("source_en") or s["source_zh"], status=lbl("rule_status", s["status"]),
            veto=", ".join(s["veto_targets"]) or "—")
        print_published(fs, SUPERVISION_FIGURES)
        if issue:
            say("sup.cli.assess.issued", year=year, on=str(when), units=out["issued"]["units"])


indicators_app = typer.Typer(help="The indicator registry (指标登记) and spatial coverage.",
                             no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("list")
def indicators_list(district: District = None, as_json: AsJson = False) -> None:
    """Each indicator: observed or computed, unit, responsible unit, frequency, timeliness."""
    from carbonpeak.domain.targets import unit_message
    from carbonpeak.services.supervision.indicators import indicator_registry

    with _errors(), _workspace() as ws:
        rows = indicator_registry(ws, district=district)
        if as_json:
            _json(rows)
            return
        table = Table(*heads("code", "indicator", "kind", "unit", "responsible", "frequency",
                             "latest", "timeliness"))
        for r in rows:
            freq = f"cli.frequency.{r['frequency']}"
            table.add_row(r["code"], pick(r["indicator_zh"], r.get("indicator_en")),
                          t(f"cli.indicators.{r['kind']}"), t(unit_message(r["unit"])),
                          r["responsible_name"] or "—",
                          t(freq) if freq in _FREQUENCIES else str(r["frequency"]),
                          r["last_observed_on"] or "—",
                          lbl("timeliness", r["timeliness"]) if r["timeliness"] else "")
        console.print(table)


_FREQUENCIES = {f"cli.frequency.{f}" for f in ("yearly", "quarterly", "monthly")}


@indicators_app.command("coverage")
def indicators_coverage(code: Annotated[str, typer.Argument(help="HP-28 or TH-38")],
                        residential: Annotated[Path, typer.Option(
                            help="GeoJSON of residential areas (property residents optional)")],
                        facilities: Annotated[Path, typer.Option(
                            help="GeoJSON of parks or rail stations")],
                        observed_on: Annotated[dt.datetime, typer.Option(
                            formats=["%Y-%m-%d"])],
                        radius: Annotated[float | None, typer.Option(
                            help="metres (default: the plan's, 500 or 800)")] = None,
                        district: District = None) -> None:
    """Compute a coverage share in a metric projection and record it as the observation."""
    from carbonpeak.services.supervision.coverage import record_coverage

    with _errors(), _workspace() as ws:
        cov = record_coverage(ws, code, residential=residential, facilities=facilities,
                              observed_on=observed_on.date(), radius_m=radius,
                              district=district)
        say("cli.coverage.done", code=code, share=f"{cov.share_pct:.1f}%",
            radius=f"{cov.radius_m:g}", weight=msg(f"cli.coverage.{cov.weight}"))


programmes_app = typer.Typer(help="Green-creation programmes (绿色创建): applications, "
                             "approvals, counts.", no_args_is_help=True)
app.add_typer(programmes_app, name="programmes")


@programmes_app.command("add")
def programmes_add(kind: str, name: str,
                   applied_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                   street: Annotated[str | None, typer.Option()] = None,
                   org: Annotated[str | None, typer.Option()] = None,
                   level: Annotated[str, typer.Option(help="市级 / 区级")] = "",
                   district: District = None) -> None:
    """Register an application (low_carbon_community, conserving_institution, green_mall,
    green_school, demonstration)."""
    from carbonpeak.services.supervision.programmes import apply_programme

    with _errors(), _workspace() as ws:
        pid = apply_programme(ws, kind, name, applied_on=applied_on.date(), street=street,
                              org=org, level=level, district=district)
        say("cli.programmes.applied", id=pid)


@programmes_app.command("decide")
def programmes_decide(programme_id: int,
                      approve: Annotated[bool, typer.Option("--approve/--reject")],
                      on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                      district: District = None) -> None:
    """Approve (认定) or reject an application."""
    from carbonpeak.services.supervision.programmes import decide_programme

    with _errors(), _workspace() as ws:
        decide_programme(ws, programme_id, approve=approve, on=on.date(), district=district)
        say("cli.programmes.decided", id=programme_id,
            status=lbl("programme_status", "approved" if approve else "rejected"))


@programmes_app.command("list")
def programmes_list(district: District = None) -> None:
    """Every application and the counts per kind, street and organisation (JSON)."""
    from carbonpeak.services.supervision.programmes import list_programmes

    with _errors(), _workspace() as ws:
        _json(list_programmes(ws, district=district))


@programmes_app.command("eligible")
def programmes_eligible(code: Annotated[str, typer.Argument(help="TH-47 or TH-48")],
                        count: Annotated[int, typer.Option(help="How many units the share "
                                                           "covers (应创建数)")],
                        as_of: Annotated[dt.datetime, typer.Option(
                            "--as-of", formats=["%Y-%m-%d"])],
                        source: Annotated[str, typer.Option(help="Where the count comes "
                                                            "from (a list, a notice)")],
                        district: District = None) -> None:
    """Enter the eligible count of a share target (the denominator; audit-logged)."""
    from carbonpeak.services.supervision.programmes import set_eligible

    with _errors(), _workspace() as ws:
        state = set_eligible(ws, code, count=count, as_of=as_of.date(), source=source,
                             district=district)
        say("sup.cli.eligible.stored", code=code, count=count, as_of=str(as_of.date()),
            state=t(f"sup.cli.state.{state}"))


@programmes_app.command("feed")
def programmes_feed(observed_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                    district: District = None) -> None:
    """Record the counts and shares as their targets' observations (HP-54; TH-47/48 once
    their eligible count is entered)."""
    from carbonpeak.services.supervision.programmes import feed_targets

    with _errors(), _workspace() as ws:
        for code, v in feed_targets(ws, observed_on=observed_on.date(),
                                    district=district).items():
            say("cli.programmes.fed", code=code, value=f"{v:g}")
