"""API: Energy audits (能源审计), the 5-year audit schedule and key units' obligations checklist.

Every role reads its own scope: analysts and admins the district, a street officer its
street's buildings and key units, an entity role its own entities; an entity or street outside
the scope is answered like one that does not exist (404). Audit records are written by
analysts and admins; a key unit's filing also by the unit's entity manager, who may not change
a filing the district recorded (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.exports import ExportLang, about_for, report_response, xlsx_response
from carbonpeak.api.listing import ListSpec, Order, Search, Sort, sort_filter
from carbonpeak.api.responses import (
    EXPORTS,
    NO_NUL,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    page,
    table_response,
)
from carbonpeak.api.schemas.audits import (
    AuditRecordedPublic,
    AuditSchedulePublic,
    AuditsPublic,
    FilingRecordedPublic,
    ObligationsPublic,
)
from carbonpeak.domain.audits import AUDIT_KINDS, CHECK_STATUSES, SCHEDULE_STATUSES
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.publish import dashboard
from carbonpeak.publish.tables import TABLES, Sheet
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.buildings.audits import (
    AUDIT_COLUMNS_OUT,
    CHECKLIST_COLUMNS,
    SCHEDULE_COLUMNS,
    audit_schedule,
    checklist_rows,
    district_today,
    list_audits,
    obligations,
    record_audit,
    record_filing,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["public buildings"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters or record (every problem named by field)"},
}
# who may do what: the one role check (carbonpeak.api.deps.requires)
AuditRecorder = Annotated[Principal, requires(*ANALYST_ROLES, what="record energy audits")]
FilingRecorder = Annotated[Principal, requires(*ANALYST_ROLES, "entity_manager",
                                               what="record obligation filings")]

EntityQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL,
                                          description="only this entity")]
StreetQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=NO_NUL,
                                          description="only this street (id, code or name)")]
AsOfQuery = Annotated[dt.date | None, Query(description="judge on this date (1990-2100); "
                                            "default today in the district")]
_FIRST_DAY, _LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
AuditKind = Literal["audit", "diagnosis"]
ScheduleStatus = Literal["overdue", "never_audited", "due_this_year", "ok"]
CheckStatus = Literal["overdue", "missing", "late", "unknown", "ok", "not_applicable"]
assert set(get_args(AuditKind)) == set(AUDIT_KINDS)  # noqa: S101 - one list of kinds
assert set(get_args(ScheduleStatus)) == set(SCHEDULE_STATUSES)  # noqa: S101
assert set(get_args(CheckStatus)) == set(CHECK_STATUSES)  # noqa: S101


def _as_of(ws: Workspace, district_id: str, value: dt.date | None) -> dt.date:
    if value is None:
        return district_today(ws.district(district_id))
    if not 1990 <= value.year <= 2100:
        raise InputValidationError([RowError("query", None, "as_of", value.isoformat(),
                                             i18n_msg("intake.cell.date_in", first=1990,
                                                      last=2100))])
    return value


def _export_audit(r: dict[str, Any]) -> dict[str, Any]:
    return r | {"recommended_measures": "；".join(r["recommended_measures"])}


AUDIT_LIST = ListSpec(
    sortable={"audit_date": "date", "entity_id": "text", "name": "text", "street": "text",
              "kind": "text", "auditor": "text", "estimated_savings_tce": "num"},
    search=("entity_id", "name", "street", "auditor", "report_ref", "findings"))


@router.get("/audits", response_model=AuditsPublic, responses=_RESPONSES | EXPORTS)
def get_audits(
    ws: CurrentWorkspace, principal: CurrentPrincipal, entity: EntityQuery = None,
    street: StreetQuery = None, kind: AuditKind | None = None, q: Search = None,
    sort: Sort = None, order: Order = "asc", limit: Limit = 100,
    offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """能源审计记录 — audits and diagnoses in scope, newest first (date, auditor, findings,
    recommended measures, estimated savings)."""
    rows = sort_filter(list_audits(ws, scope_of(ws, principal), entity=entity, street=street,
                                   kind=kind), AUDIT_LIST, sort=sort, order=order, q=q)
    if format == "xlsx":
        return report_response(ws, principal, "audits", rows, format, "energy-audits",
                               lang=lang, filters={"entity": entity, "street": street,
                                                   "kind": kind})
    if format != "json":
        return table_response([_export_audit(r) for r in rows], format, "energy-audits",
                              AUDIT_COLUMNS_OUT)
    return fast_json(page(rows, limit, offset))


class AuditIn(BaseModel):
    """One energy audit or diagnosis (upserted by entity, date and kind)."""

    model_config = ConfigDict(extra="forbid")
    entity_id: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    kind: AuditKind
    audit_date: dt.date = Field(ge=_FIRST_DAY, le=_LAST_DAY,
                                description="1990-01-01..2100-12-31, not in the future")
    auditor: str = Field(min_length=1, max_length=256, pattern=NO_NUL)
    report_ref: str = Field("", max_length=128, pattern=NO_NUL)
    findings: str = Field("", max_length=20_000, pattern=NO_NUL)
    recommended_measures: list[Annotated[str, StringConstraints(
        max_length=500, pattern=NO_NUL)]] = Field(default_factory=list, max_length=100)
    estimated_savings_tce: float | None = Field(None, ge=0, allow_inf_nan=False)


@router.post("/audits", response_model=AuditRecordedPublic, responses=_RESPONSES)
def post_audit(ws: CurrentWorkspace, principal: AuditRecorder, body: AuditIn) -> Response:
    """记录能源审计 — record one audit (analysts and admins): the same checks as a file row
    (a date in the future or an empty auditor is refused); equal to the stored record it
    changes nothing; audit-logged."""
    ws = acting_as(ws, principal)
    data = body.model_dump() | {"audit_date": body.audit_date.isoformat()}
    counts, rec = record_audit(ws, principal.district_id, data)
    status = "created" if counts.added else "updated" if counts.updated else "unchanged"
    return fast_json({"status": status, "audit": rec}, 201 if counts.added else 200)


@router.get("/audits/schedule", response_model=AuditSchedulePublic, responses=_RESPONSES | EXPORTS)
def get_schedule(
    ws: CurrentWorkspace, principal: CurrentPrincipal, as_of: AsOfQuery = None,
    status: ScheduleStatus | None = None, limit: Limit = 100, offset: Offset = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """能源审计周期 — every building in scope the profile's rule covers (Huangpu: public
    buildings ≥ 10,000 m² at least once every 5 years): last audit, next due date, status
    and days overdue; the summary has the counts, the coverage (share audited within the
    interval), per street, and the buildings left out. The rule's values come with their
    sources and statuses."""

    def compute() -> dict[str, Any]:
        scope = scope_of(ws, principal)
        when = _as_of(ws, scope.district_id, as_of)
        return dashboard.cached(ws, ("audit_schedule", scope.key(), when.isoformat()),
                                lambda: audit_schedule(ws, scope.district_id, when,
                                                       scope=scope))

    sched = compute()
    rows = [it for it in sched["items"] if status is None or it["status"] == status]
    if format == "xlsx":
        about = about_for(ws, principal, lang, filters={"as_of": sched["as_of"],
                                                        "status": status})
        about.as_of = sched["as_of"]
        return xlsx_response([Sheet(TABLES["audit-schedule"], rows)], about, lang,
                             f"audit-schedule-{sched['as_of']}")
    if format != "json":
        return table_response(rows, format, f"audit-schedule-{sched['as_of']}",
                              SCHEDULE_COLUMNS)
    return fast_json(page(rows, limit, offset, as_of=sched["as_of"], rule=sched["rule"],
                          summary=sched["summary"]))


@router.get("/obligations", response_model=ObligationsPublic, responses=_RESPONSES | EXPORTS)
def get_obligations(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=1990, le=2100, description="year the obligations are for")],
    as_of: AsOfQuery = None,
    status: Annotated[CheckStatus | None, Query(
        description="only units with an item of this status")] = None,
    limit: Limit = 100, offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """重点用能单位义务清单 — per key unit in scope: monitoring coverage (meters vs ledgers in
    the year's official account), the filings the district's profile lists with their
    deadlines, the energy audit of its covered buildings and its open quota cases; each
    item ok / late / missing / overdue / not_applicable / unknown with its evidence."""

    def compute() -> dict[str, Any]:
        scope = scope_of(ws, principal)
        # a year's obligations are judged at the end of that year (as its figures are),
        # unless the caller asks for another date (e.g. today)
        when = _as_of(ws, scope.district_id, as_of) if as_of is not None \
            else dt.date(year, 12, 31)
        return dashboard.cached(ws, ("obligations", scope.key(), year, when.isoformat()),
                                lambda: obligations(ws, scope.district_id, year, scope=scope,
                                                    as_of=when))

    chk = compute()
    units = [u for u in chk["units"] if status is None
             or any(it["status"] == status for it in u["items"])]
    if format == "xlsx":
        about = about_for(ws, principal, lang, year=year, filters={"status": status},
                          run_id=chk["account_run_id"])
        about.as_of = chk["as_of"]
        return xlsx_response([Sheet(TABLES["obligations"],
                                    checklist_rows(chk | {"units": units}))],
                             about, lang, f"obligations-{year}")
    if format != "json":
        return table_response(checklist_rows(chk | {"units": units}), format,
                              f"obligations-{year}", CHECKLIST_COLUMNS)
    return fast_json(page(units, limit, offset, year=year, as_of=chk["as_of"],
                          account_run_id=chk["account_run_id"],
                          obligations=chk["obligations"],
                          monitoring_min_share=chk["monitoring_min_share"],
                          summary=chk["summary"]))


class FilingIn(BaseModel):
    """One filing of a key unit (upserted by entity, obligation and year)."""

    model_config = ConfigDict(extra="forbid")
    entity_id: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    obligation: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    year: int = Field(ge=1990, le=2100)
    filed_on: dt.date = Field(ge=_FIRST_DAY, le=_LAST_DAY,
                              description="1990-01-01..2100-12-31, not in the future")
    reference: str = Field("", max_length=128, pattern=NO_NUL)
    note: str = Field("", max_length=2_000, pattern=NO_NUL)


@router.post("/obligation-filings", response_model=FilingRecordedPublic, responses=_RESPONSES)
def post_filing(ws: CurrentWorkspace, principal: FilingRecorder,
                body: FilingIn) -> Response:
    """报送登记 — record that a key unit filed an obligation (analysts and admins; an entity
    manager for its own entities): upserted, audit-logged; an entity outside the caller's
    scope is answered 404. An entity manager creates filings and changes the unit's own, not
    one the district recorded or changed (403)."""
    ws = acting_as(ws, principal)
    data = body.model_dump() | {"filed_on": body.filed_on.isoformat(), "year": str(body.year)}

    def run() -> tuple[Any, dict[str, Any]]:
        scope = scope_of(ws, principal)
        return record_filing(ws, principal.district_id, data, visible=scope.sees_entity,
                             unit_side=principal.role not in ANALYST_ROLES)

    counts, rec = run()
    status = "created" if counts.added else "updated" if counts.updated else "unchanged"
    return fast_json({"status": status, "filing": rec}, 201 if counts.added else 200)
