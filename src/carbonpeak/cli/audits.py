"""CLI commands: energy audits (能源审计), the 5-year audit schedule, key units' obligations.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from carbonpeak.cli.common import DistrictOpt, _errors, _workspace, app, console, option_date
from carbonpeak.domain.audits import AUDIT_KINDS, OBLIGATIONS, SCHEDULE_STATUSES
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import label_text, msg
from carbonpeak.intake.batches import BatchResult
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


def _print_counts(c: BatchResult, what: str) -> None:
    if c.status == "duplicate":
        console.print(f"{what} {c.file}: duplicate 重复文件: {c.message}")
        return
    state = "no change 无变化" if c.status == "no_change" else "committed 已导入"
    console.print(f"{what} {c.file}: batch {c.batch_id} {state}: {c.rows} row(s), "
                  f"{c.added} added 新增, {c.updated} updated 更新, {c.unchanged} unchanged 未变")


def _status(code: str, kind: str) -> str:
    return f"[{_STYLE.get(code, '')}]{label_text(kind, code, 'zh')} {code}[/]"


@audits_app.command("import")
def audits_import(path: FileArg, district: DistrictOpt = None) -> None:
    """Audit records: entity_id, kind (audit|diagnosis, 能源审计|节能诊断), audit_date, auditor,
    report_ref, findings, recommended_measures (separated by ; ； or 、),
    estimated_savings_tce (tce; a header unit 万tce or kgce is converted, another refused).
    All or nothing; the same file again is reported as already imported."""
    with _errors(), _workspace() as ws:
        _print_counts(import_audits(ws, path, district=district), "能源审计 audits")


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
        t = Table("date 日期", "entity", "name 名称", "street 街道", "kind 类型", "auditor 机构",
                  "report 报告", "measures 建议措施", "tce", title=f"{len(rows)} audit(s)")
        for r in rows:
            t.add_row(r["audit_date"], r["entity_id"], str(r["name"]), str(r["street"] or ""),
                      r["kind_zh"], r["auditor"], r["report_ref"],
                      "；".join(r["recommended_measures"]),
                      "" if r["estimated_savings_tce"] is None
                      else f"{r['estimated_savings_tce']:,.1f}")
        console.print(t)


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
        t = Table("entity", "name 名称", "street 街道", "type", "m²", "last 上次", "kind",
                  "next due 应于", "status 状态", "days over 逾期天数",
                  title=f"{sched['district_name']} 能源审计周期 audit schedule, as of "
                  f"{sched['as_of']}: ≥{rule['min_floor_area_m2']:,.0f} m², every "
                  f"{rule['interval_years']} years (rule: {', '.join(rule['statuses'])})")
        for it in items:
            t.add_row(it["entity_id"], str(it["name"]), str(it["street"] or ""),
                      str(it["building_type"]), f"{it['floor_area_m2']:,.0f}",
                      it["last_audit_date"] or "—", it["last_audit_kind"] or "",
                      it["next_due"], _status(it["status"], "schedule_status"),
                      str(it["days_overdue"] or ""))
        console.print(t)
        sm = sched["summary"]
        cov = "—" if sm["coverage"] is None else f"{sm['coverage']:.1%}"
        console.print(f"{sm['n_covered']} building(s) covered 适用建筑; " + ", ".join(
            f"{label_text('schedule_status', k, 'zh')} {k} {v}" for k, v in sm["counts"].items())
            + f"; coverage 周期内覆盖率 {cov}")
        left = sm["left_out"]
        console.print(f"left out 未纳入: {left['below_threshold']} below the area threshold, "
                      f"{left['type_not_counted']} of a type not counted; no floor area "
                      f"(cannot be judged 无建筑面积): {', '.join(left['no_floor_area']) or '—'}")
        if set(rule["statuses"]) - {"verified"}:
            console.print("[yellow]part of the rule is not the plan's text (unverified or "
                          "default values); see the profile's \\[buildings] table[/]")
        if xlsx is not None:
            schedule_workbook(sched, xlsx)
            console.print(f"xlsx: {xlsx}")


@obligations_app.command("import")
def obligations_import(path: FileArg, district: DistrictOpt = None) -> None:
    """Key units' filings: entity_id, obligation (a code of `carbonpeak obligations codes` or
    its Chinese name), year, filed_on, reference, note. All or nothing; idempotent (the same
    file again is reported as already imported)."""
    with _errors(), _workspace() as ws:
        _print_counts(import_filings(ws, path, district=district), "义务报送 filings")


@obligations_app.command("codes")
def obligations_codes(district: DistrictOpt = None) -> None:
    """The obligations catalogue: code, labels, deadline, source and status; which apply."""
    from carbonpeak.domain.audits import KeyUnitRules

    with _errors(), _workspace() as ws:
        d = ws.district(district)
        applies = set(KeyUnitRules.from_profile(d.profile).obligations)
        t = Table("code", "名称", "name", "recurrence", "deadline (year Y)", "status",
                  f"applies in {d.id}", "source")
        for ob in OBLIGATIONS.values():
            year = "Y" if ob.due_year_offset == 0 else f"Y+{ob.due_year_offset}"
            t.add_row(ob.code, ob.label_zh, ob.label_en, ob.recurrence,
                      f"{year}-{ob.due_month:02d}-{ob.due_day:02d}", ob.status,
                      "yes" if ob.code in applies else "no", ob.source)
        console.print(t)


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
        t = Table("entity", "name 名称", "item 事项", "status 状态", "deadline 期限",
                  "evidence 依据", title=f"{chk['district_name']} {year} 重点用能单位义务清单 "
                  f"key units' checklist, as of {chk['as_of']}")
        for u in chk["units"]:
            for i, it in enumerate(u["items"]):
                first = i == 0
                t.add_row(u["entity_id"] if first else "", str(u["name"]) if first else "",
                          it["label_zh"], _status(it["status"], "check_status"),
                          it["deadline"] or "", it["evidence_zh"])
            t.add_section()
        console.print(t)
        _print_summary(chk)
        if xlsx is not None:
            obligations_workbook(chk, xlsx)
            console.print(f"xlsx: {xlsx}")


def _print_summary(chk: dict[str, Any]) -> None:
    sm = chk["summary"]
    console.print(f"{sm['n_units']} key unit(s) 重点用能单位; {sm['units_with_problems']} with "
                  "an item missing, late or overdue 存在未履行/逾期事项")
    for code, counts in sm["by_item"].items():
        console.print(f"  {code}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    shaky = [o["code"] for o in chk["obligations"] if o["status"] != "verified"]
    if shaky:
        console.print(f"[yellow]deadlines not from an official text (unverified or default): "
                      f"{', '.join(shaky)}; see `carbonpeak obligations codes`[/]")
