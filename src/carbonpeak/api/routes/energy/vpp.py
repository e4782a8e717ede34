"""API: the virtual power plant — resources, events, baselines, results, capability.

Every read is scoped by role (:meth:`AccessScope.dr_resource_condition`): analysts see the
district, an ``aggregator`` only the resources of its own organisation (and the events they
take part in), entity roles and street officers the resources of their entities. An event or
resource outside the scope answers 404 like one that does not exist. The capability against
the plan's targets is a district-wide figure built from every resource's metered response:
analysts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import JSONRoute, Limit, Offset, fast_json, page
from carbonpeak.api.schemas.common import Page, Public
from carbonpeak.api.schemas.metrics import FigurePublic
from carbonpeak.intake.energy.dr_files import event_from_fields, participant_from_fields
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.energy.vpp.capability import capability, enter_peak_load
from carbonpeak.services.energy.vpp.registry import (
    create_event,
    list_events,
    list_resources,
    set_opt_status,
    set_participant,
)
from carbonpeak.services.energy.vpp.results import event_baseline, event_results, intervals_of
from carbonpeak.services.figures import published_capability
from carbonpeak.storage.principals import Principal
from carbonpeak.vocabulary import DrBaselineMethod, Role

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/vpp", tags=["virtual power plant"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    409: {"description": "the event exists"},
    422: {"description": "invalid parameters"},
}
Analyst = Annotated[Principal, requires(*ANALYST_ROLES, what="read the district's DR capability")]
Planner = Annotated[Principal, requires(*ANALYST_ROLES, what="create DR events and participants")]
Opter = Annotated[Principal, requires(*ANALYST_ROLES, Role.AGGREGATOR,
                                      what="opt a DR participant in or out")]
_ID = r"^[A-Za-z0-9_.\-]+$"
EventId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID)]


class _Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class EventRequest(_Body):
    """A new event: the events file's columns (local times ``HH:MM``; programme and method
    also by their Chinese names), checked like a row of that file."""

    event_id: str = Field(min_length=1, max_length=64)
    programme: str = Field(min_length=1, max_length=32)
    date: str = Field(min_length=1, max_length=32)
    start: str = Field(min_length=1, max_length=16)
    end: str = Field(min_length=1, max_length=16)
    target_kw: float
    baseline_method: str | None = Field(default=None, max_length=32)


class ParticipantRequest(_Body):
    """A resource taking part in an event, with its declared kW (and opt status)."""

    resource_id: str = Field(min_length=1, max_length=64)
    declared_kw: float
    opt_status: str | None = Field(default=None, max_length=16)


class OptRequest(_Body):
    """A participant's answer to the event."""

    opt_status: Literal["opt_in", "opt_out"]


class PeakLoadRequest(_Body):
    """A district's peak load of a year as a statistic states it (最大负荷)."""

    year: int
    peak_mw: float
    source: str = Field(max_length=500)
    status: str = Field(default="secondary", max_length=16)
    as_of: dt.date | None = None


class PeakLoadPublic(Public):
    """The peak load entered, and whether it was added, updated or unchanged."""

    district: str
    year: int
    peak_mw: float
    source: str
    status: str
    as_of: str | None
    outcome: str


class ResourcePublic(Public):
    """A flexible resource (可调节资源)."""

    resource_id: str
    entity_id: str
    kind: str
    contracted_kw: float
    automated: bool
    ven_id: str | None
    frequency_regulation: bool
    meter_id: str | None
    aggregator: str


class EventSummaryPublic(Public):
    """The event as results name it (local times of the district)."""

    event_id: str
    programme: str
    date: str
    start: str
    end: str
    target_kw: float


class EventPublic(EventSummaryPublic):
    """A demand-response event, with its programme's baseline method."""

    baseline_method: str | None


class ParticipantPublic(ResourcePublic):
    """A resource as an event's participant."""

    declared_kw: float
    opt_status: str


class IntervalPublic(Public):
    """One interval: its local start, baseline and actual kW, and whether it is in the
    event window."""

    start: str
    baseline_kw: float | None
    actual_kw: float | None
    in_window: bool


class ResourceBaselinePublic(Public):
    """A resource's baseline and actual load over the event window."""

    resource_id: str
    interval_minutes: int
    intervals: list[IntervalPublic]


class BaselinePublic(Public):
    """The event's baseline per interval for the participants in scope."""

    event_id: str
    method: str
    baseline_days: list[str]
    window_start: str
    window_end: str
    around_hours: int
    resources: list[ResourceBaselinePublic]


class ResultRowPublic(Public):
    """A participant's verified response (means over the window) and settlement."""

    resource_id: str
    entity_id: str
    aggregator: str
    kind: str
    automated: bool
    opt_status: str
    declared_kw: float
    baseline_kw: float | None
    actual_kw: float | None
    response_kw: float | None
    execution_ratio: float | None
    effective: bool
    response_kwh: float | None
    paid_kwh: float
    amount_cny: float
    data: str


class ResultSumPublic(Public):
    """Sums over a group of participants (ratio = Σ response / Σ declared)."""

    resources: int
    measured: int
    declared_kw: float
    response_kw: float
    execution_ratio: float | None
    effective: int
    paid_kwh: float
    amount_cny: float


class AggregatorSumPublic(ResultSumPublic):
    """The sums of one aggregator's participants."""

    aggregator: str


class RulePublic(Public):
    """The settlement rule applied, with its source and status."""

    price_cny_per_kwh: float
    min_ratio: float
    cap_ratio: float
    source: str
    status: str


class ResultsPublic(Public):
    """An event's results per resource, per aggregator and in total."""

    event: EventSummaryPublic
    method: str
    method_source: str
    method_status: str
    baseline_days: list[str]
    rule: RulePublic
    resources: list[ResultRowPublic]
    aggregators: list[AggregatorSumPublic]
    total: ResultSumPublic


class CapabilityMetricPublic(Public):
    """A capability metric of a year with its basis (口径)."""

    year: int
    metric: str
    value: float | None
    unit: str
    basis: str
    peak_kw: float | None
    peak_meters: int | None
    peak_basis: str | None
    peak_source: str | None
    peak_status: str | None
    metered_peak_kw: float | None
    peak_at: str | None


class CapabilityPublic(Public):
    """Contracted and verified DR capability against HP-41..45 and TH-12."""

    district: str
    metrics: list[CapabilityMetricPublic]
    #: the figure catalogue's VPP figures of ``year`` (the targets' values), when asked
    figures: list[FigurePublic] = []


@router.get("/resources", response_model=Page[ResourcePublic], responses=_RESPONSES)
def get_resources(ws: CurrentWorkspace, principal: CurrentPrincipal, limit: Limit = 100,
                  offset: Offset = 0) -> Response:
    """可调节资源 — the resources in the caller's scope."""
    return fast_json(page(list_resources(ws, scope_of(ws, principal)), limit, offset))


@router.get("/events", response_model=Page[EventPublic], responses=_RESPONSES)
def get_events(ws: CurrentWorkspace, principal: CurrentPrincipal, limit: Limit = 100,
               offset: Offset = 0) -> Response:
    """响应事件 — the district's events (an aggregator: those its resources take part in)."""
    return fast_json(page(list_events(ws, scope_of(ws, principal)), limit, offset))


@router.get("/events/{event_id}/baseline", response_model=BaselinePublic,
            responses=_RESPONSES)
def get_baseline(
    ws: CurrentWorkspace, principal: CurrentPrincipal, event_id: EventId,
    resource: Annotated[str | None, Query(max_length=64, pattern=_ID)] = None,
    method: DrBaselineMethod | None = None,
    around_hours: Annotated[int, Query(ge=0, le=24, description=(
        "also the hours before and after the window (24: the whole event day)"))] = 0,
) -> Response:
    """基线负荷 — baseline and actual kW per interval of the event window, or of the window
    ± ``around_hours`` of the event day (the chart; ``in_window`` marks the window)."""
    eb = event_baseline(ws, scope_of(ws, principal), event_id, resource=resource,
                        method=method, around_hours=around_hours)
    return fast_json({
        "event_id": eb.event.event_id, "method": eb.method,
        "baseline_days": [d.isoformat() for d in eb.days],
        "window_start": eb.event.start.strftime("%H:%M"),
        "window_end": eb.event.end.strftime("%H:%M"), "around_hours": around_hours,
        "resources": [{"resource_id": rid, "interval_minutes": eb.interval_minutes[rid],
                       "intervals": intervals_of(eb, rid)}
                      for rid in eb.baseline_kw]})


@router.get("/events/{event_id}/results", response_model=ResultsPublic, responses=_RESPONSES)
def get_results(ws: CurrentWorkspace, principal: CurrentPrincipal, event_id: EventId,
                method: DrBaselineMethod | None = None) -> Response:
    """响应结果 — per resource baseline, actual and response kW, declared kW, execution
    ratio and settlement; per aggregator and in total (over the participants in scope)."""
    return fast_json(event_results(ws, scope_of(ws, principal), event_id, method=method))


@router.get("/capability", response_model=CapabilityPublic, responses=_RESPONSES)
def get_capability(ws: CurrentWorkspace, principal: Analyst,
                   year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> Response:
    """响应能力 — contracted and verified capability per event year, with the basis of each
    figure (HP-41..45, TH-12); with ``year``, that year's values are the figure catalogue's
    (``figures``: with their basis and as-of), the ones the targets use."""
    out = capability(ws, principal.district_id)
    if year is not None:
        published_capability(ws, out, district=principal.district_id, year=year)
    return fast_json(out)


@router.post("/events", response_model=EventPublic, status_code=201, responses=_RESPONSES)
def post_event(ws: CurrentWorkspace, p: Planner, body: EventRequest) -> dict[str, Any]:
    """新建响应事件 — create an event (district analysts); checked like a row of the events
    file, audit-logged."""
    spec = event_from_fields(body.model_dump(), source="request")
    return create_event(acting_as(ws, p), spec, district=p.district_id)


@router.post("/events/{event_id}/participants", response_model=ParticipantPublic,
             responses=_RESPONSES)
def post_participant(ws: CurrentWorkspace, p: Planner, event_id: EventId,
                     body: ParticipantRequest) -> dict[str, Any]:
    """参与资源 — add a resource to the event or change its declared kW (district
    analysts); audit-logged."""
    spec = participant_from_fields({"event_id": event_id, **body.model_dump()},
                                   source="request")
    return set_participant(acting_as(ws, p), scope_of(ws, p), event_id, spec)


@router.put("/events/{event_id}/participants/{resource_id}/opt",
            response_model=ParticipantPublic, responses=_RESPONSES)
def put_opt(ws: CurrentWorkspace, p: Opter, event_id: EventId,
            resource_id: Annotated[str, Path(min_length=1, max_length=64, pattern=_ID)],
            body: OptRequest) -> dict[str, Any]:
    """确认参与/放弃 — opt a participant in or out (an aggregator: its own resources only;
    another's answers 404 like a missing one); audit-logged."""
    return set_opt_status(acting_as(ws, p), scope_of(ws, p), event_id, resource_id,
                          body.opt_status)


@router.post("/peak-loads", response_model=PeakLoadPublic, responses=_RESPONSES)
def post_peak_load(ws: CurrentWorkspace, p: Planner, body: PeakLoadRequest) -> dict[str, Any]:
    """最大负荷 — enter the district's peak load of a year as a statistic, with its source and
    status (district analysts; audit-logged); TH-12's share is then of it."""
    return enter_peak_load(acting_as(ws, p), body.year, body.peak_mw, body.source,
                           status=body.status, as_of=body.as_of, district=p.district_id)
