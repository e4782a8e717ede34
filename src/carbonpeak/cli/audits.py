"""CLI commands: energy audits (能源审计), the 5-year audit schedule, key units' obligations.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
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
    lbl,
    option_date,
    pick,
    print_import,
    say,
    t,
    yes_no,
)
from carbonpeak.domain.audits import AUDIT_KINDS, OBLIGATIONS, SCHEDULE_STATUSES
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import label_text, msg
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.buildings.audits import (
    audit_schedule,
    district_today,
    import_audits,
    import_filings,
    list_audits,
    obligations,
    obligations_workbook,
    schedule_workbook,
)

__all__ = ["audits_app", "obligations_app"]

audits_app = typer.Typer(help="Energy audits and diagnoses (能源审计/节能诊断) of buildings: "
                         "records and the audit schedule.", no_args_is_help=True)
obligations_app = typer.Typer(help="Key energy-using units' obligations (重点用能单位义务): "
                              "filings and the yearly checklist.", no_args_is_help=True)
app.add_typer(audits_app, name="audits")
app.add_typer(obligations_app, name="obligations")

FileArg = Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or Excel (.xlsx, .xls); "
                                         "Chinese or English headers")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD; default today "
                                             "in the district")]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Also write the table as xlsx")]
_STYLE = {"overdue": "red", "never_audited": "red", "missing": "yellow", "late": "yellow",
          "due_this_year": "yellow", "ok": "green", "unknown": "dim", "not_applicable": "dim"}


def _status(code: str, kind: str) -> str:
    """A status (of the closed list ``kind``) in the run's language, coloured."""
    return f"[{_STYLE.get(code, '')}]{label_text(kind, code, lang())}[/]"


@audits_app.command("import")
def audits_import(path: FileArg, district: DistrictOpt = None) -> None:
    """Audit records: entity_id, kind (audit|diagnosis, 能源审计|节能诊断), audit_date, auditor,
    report_ref, findings, recommended_measures (separated by ; ； or 、),
    estimated_savings_tce (tce; a header unit 万tce or kgce is converted, another refused).
    All or nothing; the same file again is reported as already imported."""
    with _errors(), _workspace() as ws:
        print_import(import_audits(ws, path, district=district))


@audits_app.command("list")
def audits_list(
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity")] = None,
    street: Annotated[str | None, typer.Option("--street", help="Only this street (name, "
                                               "code or id)")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="audit or diagnosis")] = None,
    district: DistrictOpt = None,
) -> None:
    """The audit records of the district, newest first."""
    with _errors(), _workspace() as ws:
        if kind is not None and kind not in AUDIT_KINDS:
            raise InputValidationError([RowError("--kind", None, "kind", kind, msg(
                "intake.cell.not_one_of", allowed=", ".join(AUDIT_KINDS)))])
        d = ws.district(district)
        rows = list_audits(ws, AccessScope(d.id, everything=True), entity=entity, street=street,
                           kind=kind)
        table = Table(*heads("date", "entity", "name", "street", "kind", "auditor", "report",
                             "measures", "tce"), title=t("cli.audits.title", n=len(rows)))
        for r in rows:
            table.add_row(r["audit_date"], r["entity_id"], str(r["name"]),
                          str(r["street"] or ""), lbl("audit_kind", r["kind"]), r["auditor"],
                          r["report_ref"], "；".join(r["recommended_measures"]),
                          "" if r["estimated_savings_tce"] is None
                          else f"{r['estimated_savings_tce']:,.1f}")
        console.print(table)


@audits_app.command("schedule")
def audits_schedule(
    as_of: AsOfOpt = None,
    status: Annotated[str | None, typer.Option(help="Only this status: " + ", ".join(
        SCHEDULE_STATUSES))] = None,
    xlsx: XlsxOpt = None,
    district: DistrictOpt = None,
) -> None:
    """The audit schedule: every building the profile's rule covers, its last audit, next due
    date and status (ok, due_this_year, overdue, never_audited), and the coverage."""
    with _errors(), _workspace() as ws:
        if status is not None and status not in SCHEDULE_STATUSES:
            raise InputValidationError([RowError("--status", None, "status", status, msg(
                "intake.cell.not_one_of", allowed=", ".join(SCHEDULE_STATUSES)))])
        d = ws.district(district)
        when = option_date(as_of, "--as-of") or district_today(d)
        sched = audit_schedule(ws, d.id, when)
        rule = sched["rule"]
        items = [it for it in sched["items"] if status is None or it["status"] == status]
        table = Table(*heads("entity", "name", "street", "type", "m2", "last", "kind",
                             "next_due", "status", "days_over"),
                      title=t("cli.audits.schedule_title", district=sched["district_name"],
                              as_of=sched["as_of"], area=f"{rule['min_floor_area_m2']:,.0f}",
                              years=rule["interval_years"],
                              statuses=", ".join(lbl("rule_status", s)
                                                 for s in rule["statuses"])))
        for it in items:
            table.add_row(it["entity_id"], str(it["name"]), str(it["street"] or ""),
                          lbl("building_type", str(it["building_type"])),
                          f"{it['floor_area_m2']:,.0f}", it["last_audit_date"] or "—",
                          lbl("audit_kind", it["last_audit_kind"])
                          if it["last_audit_kind"] else "",
                          it["next_due"], _status(it["status"], "schedule_status"),
                          str(it["days_overdue"] or ""))
        console.print(table)
        sm = sched["summary"]
        cov = "—" if sm["coverage"] is None else f"{sm['coverage']:.1%}"
        sep = "，" if lang() == "zh" else ", "
        say("cli.audits.schedule_summary", n=sm["n_covered"], coverage=cov, counts=sep.join(
            f"{label_text('schedule_status', k, lang())} {v}"
            for k, v in sm["counts"].items()))
        left = sm["left_out"]
        say("cli.audits.left_out", below=left["below_threshold"],
            type=left["type_not_counted"], none=", ".join(left["no_floor_area"]) or "—")
        if set(rule["statuses"]) - {"verified"}:
            say("cli.audits.rule_unverified", "yellow")
        if xlsx is not None:
            schedule_workbook(sched, xlsx)
            say("cli.xlsx", path=str(xlsx))


@obligations_app.command("import")
def obligations_import(path: FileArg, district: DistrictOpt = None) -> None:
    """Key units' filings: entity_id, obligation (a code of `carbonpeak obligations codes` or
    its Chinese name), year, filed_on, reference, note. All or nothing; idempotent (the same
    file again is reported as already imported)."""
    with _errors(), _workspace() as ws:
        print_import(import_filings(ws, path, district=district))


@obligations_app.command("codes")
def obligations_codes(district: DistrictOpt = None) -> None:
    """The obligations catalogue: code, labels, deadline, source and status; which apply."""
    from carbonpeak.domain.audits import KeyUnitRules

    with _errors(), _workspace() as ws:
        d = ws.district(district)
        applies = set(KeyUnitRules.from_profile(d.profile).obligations)
        table = Table(*heads("code", "name", "recurrence", "deadline_y", "status"),
                      t("cli.col.applies_in", district=d.id), *heads("source"))
        for ob in OBLIGATIONS.values():
            table.add_row(ob.code, pick(ob.label_zh, ob.label_en),
                          t(f"cli.recurrence.{ob.recurrence}"),
                          t(f"cli.obligations.due.{ob.due_year_offset}", month=ob.due_month,
                            day=ob.due_day),
                          lbl("rule_status", ob.status), yes_no(ob.code in applies),
                          pick(ob.source_zh, ob.source))
        console.print(table)


@obligations_app.command("checklist")
def obligations_checklist(
    year: Annotated[int, typer.Option(help="Year the obligations are for")],
    as_of: AsOfOpt = None,
    xlsx: XlsxOpt = None,
    district: DistrictOpt = None,
) -> None:
    """Every key unit's checklist for a year: monitoring coverage, filings, energy audit and
    open quota cases, each ok / late / missing / overdue / not_applicable / unknown."""
    with _errors(), _workspace() as ws:
        d = ws.district(district)
        when = option_date(as_of, "--as-of") or district_today(d)
        chk = obligations(ws, d.id, year, as_of=when)
        table = Table(*heads("entity", "name", "item", "status", "deadline", "evidence"),
                      title=t("cli.obligations.title", district=chk["district_name"],
                              year=year, as_of=chk["as_of"]))
        zh = lang() == "zh"
        for u in chk["units"]:
            for i, it in enumerate(u["items"]):
                first = i == 0
                table.add_row(u["entity_id"] if first else "", str(u["name"]) if first else "",
                              it["label_zh" if zh else "label_en"],
                              _status(it["status"], "check_status"), it["deadline"] or "",
                              it["evidence_zh" if zh else "evidence"])
            table.add_section()
        console.print(table)
        _print_summary(chk)
        if xlsx is not None:
            obligations_workbook(chk, xlsx)
            say("cli.xlsx", path=str(xlsx))


def _print_summary(chk: dict[str, Any]) -> None:
    sm = chk["summary"]
    say("cli.obligations.summary", n=sm["n_units"], problems=sm["units_with_problems"])
    sep = "，" if lang() == "zh" else ", "
    names = {it["code"]: pick(it["label_zh"], it["label_en"]) for u in chk["units"]
             for it in u["items"]}
    for code, counts in sm["by_item"].items():
        console.print("  " + t("cli.obligations.item", item=names.get(code, code), counts=sep.join(
            f"{label_text('check_status', k, lang())} {v}"
            for k, v in counts.items() if v)), highlight=False)
    shaky = [pick(o["label_zh"], o["label_en"]) for o in chk["obligations"]
             if o["status"] != "verified"]
    if shaky:
        say("cli.obligations.unverified", "yellow", codes=("、" if lang() == "zh" else ", ")
            .join(shaky))
