"""Data quality (数据质量) per entity and street, scoped by the caller's role."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import JSONRoute, Refusal
from carbonpeak.api.schemas.quality import (
    HeldValuePublic,
    HeldValuesPublic,
    QualityPublic,
)
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg
from carbonpeak.services.access.scope import scope_of
from carbonpeak.services.accounting.held import decide_held, list_held
from carbonpeak.services.accounting.quality import quality_report
from carbonpeak.storage.principals import Principal, writable_entities
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ANALYST_ROLES

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["data quality"], route_class=JSONRoute)


def _scope(ws: Workspace, p: Principal, entity: str | None,
           street: str | None) -> tuple[str | None, str | int | None]:
    """The entity and street filters this principal may use (404 outside its scope)."""
    if p.role in ("district_admin", "district_analyst"):
        return entity, street
    if p.role == "street_officer":
        if p.street_id is None or (street is not None and street != str(p.street_id)):
            raise HTTPException(404, "no such street in your scope")
        if entity is not None and not scope_of(ws, p).sees_entity(entity):
            # another street's entity answers as an unknown one does
            raise Refusal(404, msg("api.quality.no_entity"))
        return entity, p.street_id
    mine = writable_entities(ws, p) if p.role in ("entity_manager", "data_feeder") else set()
    if entity is None and len(p.entity_ids) == 1:
        entity = next(iter(p.entity_ids))
    if entity is None:
        raise HTTPException(404, "name one of your entities with ?entity=")
    if entity not in mine:
        raise Refusal(404, msg("api.quality.no_entity"))
    return entity, None


@router.get("/quality", response_model=QualityPublic)
def get_quality(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    entity: Annotated[str | None, Query(max_length=64, description="entity id")] = None,
    street: Annotated[str | None, Query(max_length=64, description="street id, code or name")
                      ] = None,
    month: Annotated[str | None, Query(pattern=r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    rows: Annotated[bool, Query(description="include the meter-day rows")] = False,
) -> dict[str, Any]:
    """数据质量报告 — completeness and flags per entity and street (meter-day rows on request).

    Needs ``month`` or ``entity`` (422 otherwise: a district over all its months is a batch
    job, ``carbonpeak quality``). An entity outside the caller's scope answers 404 exactly as
    an unknown one.

    Stale months (whose readings changed since their flags were computed) are recomputed first.
    """
    entity_id, street_id = _scope(ws, principal, entity, street)
    if month is None and entity_id is None:  # a whole district or street over every month
        raise Refusal(422, msg("api.quality.needs_filter"))
    try:
        report = quality_report(ws, principal.district_id, entity_id=entity_id,
                                street_id=street_id, month=month, year=year,
                                include_rows=rows)
    except NotFoundError:
        if entity_id is None or street_id is not None:  # the street is not known
            raise
        raise Refusal(404, msg("api.quality.no_entity")) from None
    return report.to_dict()


# -- held values ----------------------------------------------------------------------------
HeldReviewer = Annotated[Principal, requires(*ANALYST_ROLES, what="review held values")]


@router.get("/held", response_model=HeldValuesPublic)
def get_held(
    ws: CurrentWorkspace, principal: HeldReviewer,
    status: Annotated[Literal["held", "confirmed", "rejected", "all"], Query(
        description="held (default), a decision, or all")] = "held",
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> dict[str, Any]:
    """待核实数值 — suspicious readings held out of the official account (analysts)."""
    rows = list_held(ws, principal.district_id, status=None if status == "all" else status,
                     year=year)
    return {"items": rows, "total": len(rows)}


class HeldDecisionIn(BaseModel):
    """An analyst's decision on a held value."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirmed", "rejected"] = Field(
        description="confirmed: it counts; rejected: it never counts")
    note: Annotated[str | None, Field(
        max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
        description="why (no control characters)")] = None


@router.post("/held/{held_id}", response_model=HeldValuePublic)
def post_held_decision(ws: CurrentWorkspace, principal: HeldReviewer,
                       held_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                       body: HeldDecisionIn) -> dict[str, Any]:
    """核实 — confirm or reject a held value (analysts; audit-logged; decisions are final)."""
    return decide_held(acting_as(ws, principal), principal.district_id, [held_id],
                       body.decision, note=body.note)[0]
