"""API: the virtual power plant — resources, events, baselines, results, capability.

Every read is scoped by role (:meth:`AccessScope.dr_resource_condition`): analysts see the
district, an ``aggregator`` only the resources of its own organisation (and the events they
take part in), entity roles and street officers the resources of their entities. An event or
resource outside the scope answers 404 like one that does not exist. The capability against
the plan's targets is a district-wide figure built from every resource's metered response:
analysts only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, requires
from carbonpeak.api.responses import JSONRoute, Limit, Offset, fast_json, page
from carbonpeak.api.schemas.common import Page, Public
from carbonpeak.api.schemas.metrics import FigurePublic
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.energy.vpp.capability import capability
from carbonpeak.services.energy.vpp.registry import list_events, list_resources
from carbonpeak.services.energy.vpp.results import event_baseline, event_results
from carbonpeak.services.figures import METRIC_FIGURES, VPP_FIGURES, figures
from carbonpeak.storage.principals import Principal
from carbonpeak.vocabulary import DrBaselineMethod

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/vpp", tags=["virtual power plant"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters"},
}
Analyst = Annotated[Principal, requires(*ANALYST_ROLES, what="read the district's DR capability")]
_ID = r"^[A-Za-z0-9_.\-]+$"
EventId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID)]


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


class IntervalPublic(Public):
    """One interval of the window: its local start, baseline and actual kW."""

    start: str
    baseline_kw: float | None
    actual_kw: float | None


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


def _iv(v: float) -> float | None:
    return None if v != v else round(float(v), 3)  # noqa: PLR0124 - NaN


@router.get("/events/{event_id}/baseline", response_model=BaselinePublic,
            responses=_RESPONSES)
def get_baseline(
    ws: CurrentWorkspace, principal: CurrentPrincipal, event_id: EventId,
    resource: Annotated[str | None, Query(max_length=64, pattern=_ID)] = None,
    method: DrBaselineMethod | None = None,
) -> Response:
    """基线负荷 — baseline and actual kW per interval of the event window (for the chart)."""
    eb = event_baseline(ws, scope_of(ws, principal), event_id, resource=resource,
                        method=method)
    return fast_json({
        "event_id": eb.event.event_id, "method": eb.method,
        "baseline_days": [d.isoformat() for d in eb.days],
        "resources": [{"resource_id": rid, "interval_minutes": eb.interval_minutes[rid],
                       "intervals": [{"start": t.isoformat(timespec="minutes"),
                                      "baseline_kw": _iv(b), "actual_kw": _iv(a)}
                                     for t, b, a in zip(eb.stamps[rid], eb.baseline_kw[rid],
                                                        eb.actual_kw[rid], strict=True)]}
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
        fs = figures(ws, year=year, district=principal.district_id)
        for m in out["metrics"]:
            f = fs.get(METRIC_FIGURES[m["metric"]])
            if m["year"] == year and f is not None:
                m["value"] = f.value
        out["figures"] = fs.dicts(*VPP_FIGURES)
    return fast_json(out)
