"""Plan targets, dual control, budgets, early warnings, LMDI and the peak outlook over HTTP.

中文：规划目标、能耗双控、预算分解、分析预警、LMDI 因素分解与达峰路径接口。

Every operation acts in the caller's district. What a caller sees depends on its role:

* ``district_admin`` / ``district_analyst``: everything of the district;
* ``street_officer``: district-wide targets (the public plan), district figures (dual control,
  the peak outlook, the district budget), and the targets, budgets and warnings of its street
  and of the entities in it;
* ``entity_manager`` / ``data_feeder``: district-wide targets, and the targets, budgets and
  warnings of their entities (an enterprise's buildings included).

An object outside the caller's scope answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.exports import ExportLang, report_response
from carbonpeak.api.responses import (
    EXPORT_LIMIT,
    EXPORTS,
    Format,
    JSONBody,
    JSONRoute,
    fast_json,
    json_safe,
    page,
    table_response,
)
from carbonpeak.api.schemas.targets import (
    AllocationPublic,
    BudgetPublic,
    BudgetsPublic,
    DualControlPublic,
    EvaluationPublic,
    LmdiPublic,
    ObservationRecordedPublic,
    PeakPublic,
    TargetDetailPublic,
    TargetsPublic,
    WarningDetailPublic,
    WarningsPublic,
)
from carbonpeak.domain.early_warning import LEVELS
from carbonpeak.errors import (
    ConfigError,
    InputValidationError,
    NotFoundError,
    RowError,
)
from carbonpeak.i18n import Message, msg, render, stored_text
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.formats.text import CONTROL_PATTERN
from carbonpeak.publish.dashboard import account_years
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.plan.dual_control import dual_control
from carbonpeak.services.plan.notify import build_notifier
from carbonpeak.services.plan.targets import (
    TargetStatus,
    add_observation,
    evaluate_targets,
    target_history,
    target_row,
    update_target,
)
from carbonpeak.services.plan.trajectory import decompose, peak_outlook
from carbonpeak.services.plan.warnings import (
    allocate_budgets,
    evaluate_warnings,
    list_budgets,
    set_budget,
    warning_events,
    warning_page,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import (
    Budget,
    EarlyWarning,
    Target,
    TargetObservation,
)
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import DISTRICT_FIGURE_ROLES, TargetState

__all__ = ["LEVEL_ORDER", "router"]



router = APIRouter(prefix="/api/v1", tags=["targets, budgets and warnings"], route_class=JSONRoute)

#: warning levels, most severe first (the order of ``GET /warnings``)
LEVEL_ORDER = LEVELS
#: largest magnitude accepted for a target value or an observation
MAX_ABS = 1e15
_INT32 = 2**31 - 1
_NOT_NUL = CONTROL_PATTERN  # no NUL nor any other control character
_C = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
#: an observation's source: some text, no control character
_SOURCE = rf"^[^{_C}]*\S[^{_C}]*$"

Year = Annotated[int, Field(ge=1990, le=2100)]
Amount = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ABS, le=MAX_ABS)]
ShortText = Annotated[str, StringConstraints(max_length=64, pattern=_NOT_NUL)]
LongText = Annotated[str, StringConstraints(max_length=4000, pattern=_NOT_NUL)]
Metric = Literal["energy_tce", "tco2"]
TargetId = Annotated[int, Path(ge=1, le=_INT32)]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]

# who may do what: the one role check (carbonpeak.api.deps.requires)
_ADMIN = ("district_admin",)
_DISTRICT_READERS = DISTRICT_FIGURE_ROLES
TargetEditor = Annotated[Principal, requires(*_ADMIN, what="edit targets")]
ObservationRecorder = Annotated[Principal, requires(*ANALYST_ROLES,
                                                    what="record target observations")]
DualControlReader = Annotated[Principal, requires(*_DISTRICT_READERS,
                                                  what="read the district's dual control")]
BudgetSetter = Annotated[Principal, requires(*_ADMIN, what="set budgets")]
BudgetAllocator = Annotated[Principal, requires(*_ADMIN, what="allocate budgets")]
WarningEvaluator = Annotated[Principal, requires(*ANALYST_ROLES, what="evaluate warnings")]
LmdiReader = Annotated[Principal, requires(*ANALYST_ROLES, what="read the LMDI decomposition")]
PeakReader = Annotated[Principal, requires(*_DISTRICT_READERS, what="read the peak outlook")]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or invalid bearer token"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters or body"},
}




def _refuse(column: str, value: object, message: Message) -> NoReturn:
    """Refuse the request (422) for one bad parameter."""
    raise InputValidationError([RowError("(request)", None, column,
                                         None if value is None else str(value), message)])


def _obj(d: dict[str, Any]) -> dict[str, Any]:
    """A dictionary made JSON-safe (see :func:`json_safe`)."""
    return {str(k): json_safe(v) for k, v in d.items()}


def _ts(t: dt.datetime | None) -> str | None:
    """A registry timestamp (naive UTC) in ISO 8601 with ``Z``."""
    return None if t is None else t.isoformat() + "Z"


# -- targets -------------------------------------------------------------------------------
_STATUS_PATTERN = "^(" + "|".join(TargetState) + ")$"


_BUDGET_COLUMNS = ["id", "year", "metric", "scope_type", "scope_id", "budget", "method",
                   "intensity_target", "basis", "actor", "created_at", "updated_at"]
_TARGET_COLUMNS = [f.name for f in dataclasses.fields(TargetStatus) if f.name != "history"]


def _list_targets(ws: Workspace, p: Principal, year: int | None, status: str | None,
                  metric: str | None, code: str | None) -> list[dict[str, Any]]:
    scope = scope_of(ws, p)
    out = evaluate_targets(ws, district=p.district_id, year=year,
                           codes=[code] if code else None, viewer=scope)
    return [_obj(t.to_dict()) for t in out
            if scope.sees(t.scope_type, t.scope_id, district=True)
            and (status is None or t.status == status)
            and (metric is None or t.metric == metric)]


def _visible_target(ws: Workspace, p: Principal, target_id: int) -> Target:
    scope = scope_of(ws, p)
    with ws.registry.session() as s:
        t = s.get(Target, target_id)
        if t is None or t.district_id != p.district_id or not scope.sees(
                t.scope_type, t.scope_id, district=True):
            raise NotFoundError(i18n_msg("error.no.target", id=target_id))
        s.expunge(t)
        return t


def _inactive(t: Target) -> TargetStatus:
    return target_row(t, "inactive", reason_en="inactive: not assessed",
                      reason_zh="已停用，不作评估")


def _target_detail(ws: Workspace, p: Principal, target_id: int) -> dict[str, Any]:
    t = _visible_target(ws, p, target_id)
    found = [st for st in evaluate_targets(ws, district=p.district_id, codes=[t.code],
                                           scope=(t.scope_type, t.scope_id),
                                           viewer=scope_of(ws, p))
             if st.id == t.id] if t.active else []
    out = (found[0] if found else _inactive(t)).to_dict()
    obs, changes = target_history(ws, t)
    out |= {
        "active": t.active, "period": t.period, "quote": t.quote, "notes": t.notes,
        "source": t.source,
        "observations": [_observation(o) for o in obs],
        "changes": [{"at": _ts(a.at), "actor": a.actor, "action": a.action,
                     "details": a.details} for a in changes],
    }
    return _obj(out)


def _observation(o: TargetObservation) -> dict[str, Any]:
    return {"id": o.id, "target_id": o.target_id, "observed_on": o.observed_on.isoformat(),
            "value": o.value, "source": stored_text(o.source), "actor": o.actor,
            "batch_id": o.batch_id,
            "created_at": _ts(o.created_at)}


class TargetChanges(BaseModel):
    """Fields of a target to change; those left out stay as they are.

    ``null`` clears ``metric``, the years and the values; the other fields cannot be null.
    """

    model_config = ConfigDict(extra="forbid")

    indicator_zh: Annotated[LongText, StringConstraints(min_length=1)] | None = None
    indicator_en: LongText | None = None
    metric: Annotated[ShortText, StringConstraints(
        pattern=r"^([a-z_]{1,40}|gdp_share:[A-T])$")] | None = None
    baseline_year: Year | None = None
    baseline_value: Amount | None = None
    target_year: Year | None = None
    target_value: Amount | None = None
    target_text: LongText | None = None
    unit: ShortText | None = None
    comparator: Literal[">=", "<=", "=", ">", "<"] | None = None
    responsible_units: LongText | None = None
    notes: LongText | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _not_null(self) -> TargetChanges:
        nullable = {"metric", "baseline_year", "baseline_value", "target_year", "target_value"}
        bad = sorted(k for k in self.model_fields_set
                     if getattr(self, k) is None and k not in nullable)
        if bad:
            msg = f"cannot be null: {', '.join(bad)}"
            raise ValueError(msg)
        return self


def _patch_target(ws: Workspace, p: Principal, target_id: int,
                  changes: dict[str, Any]) -> dict[str, Any]:
    t = _visible_target(ws, p, target_id)
    del t  # visible to the caller (404 otherwise); update_target refuses what cannot be assessed
    update_target(acting_as(ws, p), target_id, changes)
    return _target_detail(ws, p, target_id)


class ObservationIn(BaseModel):
    """An observed value of a target on a date, with where it comes from."""

    model_config = ConfigDict(extra="forbid")

    observed_on: dt.date = Field(description="the date the value refers to (1990..2100)")
    value: Amount
    source: Annotated[str, StringConstraints(min_length=1, max_length=1000,
                                             pattern=_SOURCE)] = Field(
        description="where the value comes from (required)")

    @model_validator(mode="after")
    def _year(self) -> ObservationIn:
        if not 1990 <= self.observed_on.year <= 2100:
            msg = "observed_on must be in 1990..2100"
            raise ValueError(msg)
        return self


def _observe(ws: Workspace, p: Principal, target_id: int, body: ObservationIn,
             ) -> tuple[dict[str, Any], str]:
    _visible_target(ws, p, target_id)
    o, state = add_observation(acting_as(ws, p), target_id, observed_on=body.observed_on,
                               value=body.value, source=body.source)
    return _obj(_observation(o)), state


@router.get("/targets", response_model=TargetsPublic, responses=_RESPONSES | EXPORTS)
def list_targets(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    status: Annotated[str | None, Query(pattern=_STATUS_PATTERN)] = None,
    metric: Annotated[str | None, Query(pattern=r"^([a-z_]{1,40}|gdp_share:[A-T])$")] = None,
    code: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size (default 500: a whole "
                                "plan catalogue)")] = 500,
    offset: Annotated[int, Query(ge=0, le=_INT32)] = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """规划目标 — every active target and where it stands (``year``: as at the end of it);
    ``format=csv|xlsx`` exports every matching target.

    District-wide targets are the public plan and visible to every role; street and entity
    targets only within the caller's scope.
    """
    rows = _list_targets(ws, principal, year, status, metric, code)
    if format == "xlsx":
        shown = year or max((r["value_year"] for r in rows if r.get("value_year")),
                            default=None)
        return report_response(ws, principal, "targets", rows, format,
                               f"targets-{year or 'latest'}", lang=lang, year=shown,
                               filters={"year": year, "status": status, "metric": metric,
                                        "code": code})
    if format != "json":
        flat = [{k: v for k, v in r.items() if k != "history"} for r in rows]
        return table_response(flat, format, f"targets-{year or 'latest'}",
                              columns=list(flat[0]) if flat else _TARGET_COLUMNS)
    years = account_years(ws, principal.district_id)
    return fast_json(page(rows, limit, offset, year=year, years=years))


@router.get("/targets/{target_id}", response_model=TargetDetailPublic, responses=_RESPONSES)
def get_target(ws: CurrentWorkspace, principal: CurrentPrincipal,
               target_id: TargetId) -> dict[str, Any]:
    """目标详情 — a target, its status, its observations and its change log."""
    return _target_detail(ws, principal, target_id)


@router.patch("/targets/{target_id}", response_model=TargetDetailPublic, responses=_RESPONSES)
def patch_target(ws: CurrentWorkspace, principal: TargetEditor, target_id: TargetId,
                 body: TargetChanges) -> dict[str, Any]:
    """修改目标 — change fields of a target (district admins; audit-logged)."""
    changes = body.model_dump(exclude_unset=True)
    return _patch_target(ws, principal, target_id, changes)


@router.post("/targets/{target_id}/observations", response_model=ObservationRecordedPublic,
             status_code=201, responses={
    **_RESPONSES, 200: {"description": "the observation existed: updated or unchanged"}})
def post_observation(ws: CurrentWorkspace, principal: ObservationRecorder,
                     target_id: TargetId, body: ObservationIn) -> JSONBody:
    """录入观测值 — record (or correct) a target's value on a date (admins and analysts).

    201 when created; 200 with ``state`` ``updated`` or ``unchanged`` when the target already
    had a value on that date.
    """
    obs, state = _observe(ws, principal, target_id, body)
    return JSONBody({"observation": obs, "state": state},
                        201 if state == "created" else 200)


# -- dual control ----------------------------------------------------------------------------
@router.get("/dual-control", response_model=DualControlPublic, responses=_RESPONSES)
def get_dual_control(ws: CurrentWorkspace, principal: DualControlReader,
                     year: YearQuery = None) -> dict[str, Any]:
    """能耗双控 — energy and CO2 totals and intensities against 2020, their targets and
    budgets (district figures: admins, analysts and street officers)."""
    out = dual_control(ws, district=principal.district_id, year=year,
                       viewer=scope_of(ws, principal))
    return _obj(out.to_dict())


# -- budgets ---------------------------------------------------------------------------------
def _budget(b: Budget) -> dict[str, Any]:
    return _obj({"id": b.id, "year": b.year, "metric": b.metric, "scope_type": b.scope_type,
                  "scope_id": b.scope_id, "budget": b.budget, "method": b.method,
                  "intensity_target": b.intensity_target, "basis": b.basis, "actor": b.actor,
                  "created_at": _ts(b.created_at), "updated_at": _ts(b.updated_at)})


def _list_budgets(ws: Workspace, p: Principal, year: int | None) -> list[dict[str, Any]]:
    scope = scope_of(ws, p)
    district = p.role == "street_officer"  # entity roles see their entities' budgets only
    return [_budget(b) for b in list_budgets(ws, year=year, district=p.district_id)
            if scope.sees(b.scope_type, b.scope_id, district=district)]


class BudgetIn(BaseModel):
    """One budget set by hand."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    metric: Metric
    scope_type: Literal["district", "street", "entity"] = "district"
    scope_id: Annotated[ShortText, StringConstraints(min_length=1)] | None = Field(
        default=None, description="street code or name, or entity id; empty for the district")
    budget: Annotated[float, Field(gt=0, le=MAX_ABS, allow_inf_nan=False)]
    intensity_target: Annotated[float, Field(gt=0, le=MAX_ABS, allow_inf_nan=False)] | None \
        = None

    @model_validator(mode="after")
    def _scope_id(self) -> BudgetIn:
        if self.scope_type != "district" and not self.scope_id:
            msg = f"scope_id is required for a {self.scope_type} budget"
            raise ValueError(msg)
        return self


class AllocationIn(BaseModel):
    """Decompose the district's budget of a year to streets or key units."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    level: Literal["streets", "key_units"]
    method: Literal["baseline_share", "intensity_benchmark", "mixed"]
    metric: Metric = "energy_tce"
    weight: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.5


def _allocate(ws: Workspace, p: Principal, body: AllocationIn) -> dict[str, Any]:
    try:
        out = allocate_budgets(acting_as(ws, p), year=body.year, level=body.level,
                               method=body.method, metric=body.metric, weight=body.weight,
                               district=p.district_id)
    except ConfigError as exc:  # the method cannot be applied to these units (domain check)
        _refuse("method", body.method, exc.reason or msg("intake.request.cannot_decompose",
                                                         year=body.year))
    rows = [{"unit": str(uid), **{str(k): v for k, v in r.items()}}
            for uid, r in zip(out.index, out.to_dict("records"), strict=True)]
    return _obj({"year": body.year, "level": body.level, "method": body.method,
                  "metric": body.metric, "weight": body.weight, "rows": rows})


@router.get("/budgets", response_model=BudgetsPublic, responses=_RESPONSES | EXPORTS)
def get_budgets(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Annotated[int, Query(ge=0, le=_INT32)] = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """预算 — energy and CO2 budgets in the caller's scope (street officers also see the
    district's); ``format=csv|xlsx`` exports them."""
    rows = _list_budgets(ws, principal, year)
    if format == "xlsx":
        return report_response(ws, principal, "budgets", rows, format,
                               f"budgets-{year or 'all'}", lang=lang, year=year,
                               filters={"year": year})
    if format != "json":
        return table_response(rows, format, f"budgets-{year or 'all'}",
                              columns=list(rows[0]) if rows else _BUDGET_COLUMNS)
    return fast_json(page(rows, limit, offset))


@router.put("/budgets", response_model=BudgetPublic, responses=_RESPONSES)
def put_budget(ws: CurrentWorkspace, principal: BudgetSetter,
               body: BudgetIn) -> dict[str, Any]:
    """设定预算 — set one budget by hand (district admins; audit-logged)."""
    ws = acting_as(ws, principal)
    b = set_budget(ws, year=body.year, metric=body.metric, budget=body.budget,
                   scope_type=body.scope_type, scope_id=body.scope_id,
                   intensity_target=body.intensity_target, district=principal.district_id)
    return _budget(b)


@router.post("/budgets/allocate", response_model=AllocationPublic, responses=_RESPONSES)
def post_allocation(ws: CurrentWorkspace, principal: BudgetAllocator,
                    body: AllocationIn) -> dict[str, Any]:
    """预算分解 — decompose the district budget of a year to streets or key units, from the
    prior year's official account (district admins; stored as budgets, audit-logged)."""
    return _allocate(ws, principal, body)


# -- warnings --------------------------------------------------------------------------------
_WARNING_COLUMNS = ["id", "district", "year", "metric", "scope_type", "scope_id", "scope_name",
                    "street_id", "level", "projected", "budget", "ratio", "months_elapsed",
                    "reason_zh", "reason_en", "account_run_id", "first_raised_at",
                    "updated_at"]


def _warning(w: EarlyWarning) -> dict[str, Any]:
    return _obj({
        "id": w.id, "district": w.district_id, "year": w.year, "metric": w.metric,
        "scope_type": w.scope_type, "scope_id": w.scope_id, "scope_name": w.scope_name,
        "street_id": w.street_id, "level": w.level, "projected": w.projected,
        "budget": w.budget, "ratio": w.ratio, "months_elapsed": w.months_elapsed,
        "reason_zh": w.reason_zh, "reason_en": w.reason_en,
        "account_run_id": w.account_run_id, "first_raised_at": _ts(w.first_raised_at),
        "updated_at": _ts(w.updated_at)})


def _list_warnings(ws: Workspace, p: Principal, *, year: int | None, level: str | None,
                   scope_type: str | None, metric: str | None, limit: int,
                   offset: int) -> dict[str, Any]:
    total, rows = warning_page(ws, p.district_id, scope_of(ws, p).warning_condition(),
                               year=year, level=level, scope_type=scope_type, metric=metric,
                               limit=limit, offset=offset)
    return {"items": [_warning(w) for w in rows], "total": total, "limit": limit,
            "offset": offset}


def _warning_detail(ws: Workspace, p: Principal, warning_id: int) -> dict[str, Any]:
    scope = scope_of(ws, p)
    with ws.registry.session() as s:
        w = s.get(EarlyWarning, warning_id)
        visible = w is not None and w.district_id == p.district_id and (
            scope.everything
            or (scope.street_id is not None and w.scope_type in ("street", "entity")
                and w.street_id == scope.street_id)
            or (scope.street_id is None and w.scope_type == "entity"
                and w.scope_id in scope.entities))
        if w is None or not visible:
            raise NotFoundError(i18n_msg("error.no.warning", id=warning_id))
        s.expunge(w)
    events = warning_events(ws, warning_id)
    history = [_obj({"event_id": e.id, "at": _ts(e.at), "level": e.level,
                  "previous_level": e.previous_level, "projected": e.projected,
                  "budget": e.budget, "ratio": e.ratio,
                  "months_elapsed": e.months_elapsed, "reason_zh": e.reason_zh,
                  "reason_en": e.reason_en, "account_run_id": e.account_run_id,
                  "notified": e.notified}) for e in events]
    return _warning(w) | {"history": history}


class EvaluationIn(BaseModel):
    """Evaluate the early warnings of a year from its official account."""

    model_config = ConfigDict(extra="forbid")

    year: Year
    metric: Metric = "energy_tce"
    through_month: Annotated[int, Field(ge=1, le=12)] | None = Field(
        default=None, description="months elapsed (default: the account's last month)")


def _evaluate(ws: Workspace, p: Principal, body: EvaluationIn) -> dict[str, Any]:
    wr = evaluate_warnings(acting_as(ws, p), year=body.year, district=p.district_id,
                           metric=body.metric, through_month=body.through_month,
                           notifier=build_notifier(ws.settings))
    return _obj({"district": wr.district, "year": wr.year, "metric": wr.metric,
                  "months_elapsed": wr.months_elapsed, "account_run_id": wr.account_run_id,
                  "counts": wr.counts(), "units": len(wr.table), "events": len(wr.events),
                  "notified": wr.notified, "notes": wr.notes,
                  "notes_zh": [render(m, "zh") for m in wr.messages]})


@router.get("/warnings", response_model=WarningsPublic, responses=_RESPONSES | EXPORTS)
def list_warnings(
    ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery = None,
    level: Literal["red", "yellow", "green", "no_data", "no_budget"] | None = None,
    scope_type: Literal["district", "street", "entity"] | None = None,
    metric: Metric | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=_INT32)] = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """分析预警 — early warnings in the caller's scope, most severe first (red, yellow, green,
    no data, no budget; then by projected use ÷ budget, highest first); ``format=csv|xlsx``
    exports every matching warning."""
    export = format != "json"
    out = _list_warnings(ws, principal, year=year, level=level, scope_type=scope_type,
                         metric=metric, limit=EXPORT_LIMIT if export else limit,
                         offset=0 if export else offset)
    years = account_years(ws, principal.district_id)
    if export:
        rows = out["items"]
        runs = {r["account_run_id"] for r in rows if r.get("account_run_id") is not None}
        shown = year or max((r["year"] for r in rows), default=None)
        return report_response(ws, principal, "warnings", rows, format,
                               f"warnings-{year or 'all'}", lang=lang, year=shown,
                               run_id=runs.pop() if len(runs) == 1 else None,
                               filters={"year": year, "level": level,
                                        "scope_type": scope_type, "metric": metric},
                               columns=None if rows else _WARNING_COLUMNS)
    out["years"] = years
    return fast_json(out)


@router.get("/warnings/{warning_id}", response_model=WarningDetailPublic, responses=_RESPONSES)
def get_warning(ws: CurrentWorkspace, principal: CurrentPrincipal,
                warning_id: Annotated[int, Path(ge=1, le=_INT32)]) -> dict[str, Any]:
    """预警详情 — a warning and its history (every change of level or projection, oldest
    first)."""
    return _warning_detail(ws, principal, warning_id)


@router.post("/warnings/evaluate", response_model=EvaluationPublic, responses=_RESPONSES)
def post_evaluation(ws: CurrentWorkspace, principal: WarningEvaluator,
                    body: EvaluationIn) -> dict[str, Any]:
    """评估预警 — evaluate (and, when configured, send) the early warnings of a year
    (admins and analysts)."""
    return _evaluate(ws, principal, body)


# -- LMDI and peak ---------------------------------------------------------------------------
def _lmdi(ws: Workspace, p: Principal, base_year: int, target_year: int) -> dict[str, Any]:
    if base_year >= target_year:
        _refuse("target_year", target_year, msg("intake.request.after_year",
                                                field="base_year", year=base_year))
    res, source = decompose(ws, base_year=base_year, target_year=target_year,
                            district=p.district_id)
    return _obj({"source": render(source, "en"), "source_zh": render(source, "zh"),
                 **res.to_dict(),
                 "notes_zh": [render(m, "zh") for m in res.messages]})


def _peak(ws: Workspace, p: Principal, *, runs: int, seed: int, deadline_year: int,
          end_year: int) -> dict[str, Any]:
    if deadline_year >= end_year:
        _refuse("end_year", end_year, msg("intake.request.after_year",
                                          field="deadline_year", year=deadline_year))
    try:
        out = peak_outlook(ws, district=p.district_id, runs=runs, seed=seed,
                           viewer=scope_of(ws, p),
                           deadline_year=deadline_year, end_year=end_year)
    except ConfigError as exc:  # years before the base year (known only from the data)
        _refuse("deadline_year", deadline_year, exc.reason or msg(
            "intake.request.after_year", field="deadline_year", year=deadline_year))
    return _obj(out.to_dict())


@router.get("/lmdi", response_model=LmdiPublic, responses=_RESPONSES)
def get_lmdi(ws: CurrentWorkspace, principal: LmdiReader,
             base_year: Annotated[int, Query(ge=1990, le=2100)],
             target_year: Annotated[int, Query(ge=1990, le=2100)]) -> dict[str, Any]:
    """LMDI 因素分解 — why the district's CO2 changed between two years (activity,
    structure, intensity, carbon factor; admins and analysts)."""
    return _lmdi(ws, principal, base_year, target_year)


@router.get("/peak", response_model=PeakPublic, responses=_RESPONSES)
def get_peak(
    ws: CurrentWorkspace, principal: PeakReader,
    runs: Annotated[int, Query(ge=100, le=20000, description="Monte Carlo draws per scenario")
                    ] = 2000,
    seed: Annotated[int, Query(ge=0, le=_INT32)] = 0,
    deadline_year: Annotated[int, Query(ge=1990, le=2100)] = 2030,
    end_year: Annotated[int, Query(ge=1990, le=2100)] = 2035,
) -> dict[str, Any]:
    """达峰路径 — history, C40 peak test and the bau/plan/enhanced scenarios with their Monte
    Carlo spread (admins, analysts and street officers)."""
    return _peak(ws, principal, runs=runs, seed=seed, deadline_year=deadline_year,
                 end_year=end_year)
