"""The plan-supervision routes (see the package's docstring for who may do what)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from carbonpeak.api.deps import CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import NO_NUL, JSONRoute
from carbonpeak.api.routes.supervision.schemas import (
    AssessmentPublic,
    BoardPublic,
    EligiblePublic,
    IssuedPublic,
    ItemPublic,
    ItemsPublic,
    OrganisationsPublic,
    RoundOpenedPublic,
    RoundsPublic,
    SchedulePublic,
    TaskPublic,
    TasksPublic,
)
from carbonpeak.errors import InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg
from carbonpeak.services.figures import SUPERVISION_FIGURES, figures, year_end
from carbonpeak.services.supervision.assessment import assess, issue_assessment
from carbonpeak.services.supervision.catalogue import (
    assign_task,
    get_task,
    list_organisations,
    list_tasks,
    supervision_scope,
)
from carbonpeak.services.supervision.rounds import (
    EVIDENCE_TYPES,
    evidence_file,
    list_rounds,
    open_round,
    review,
    round_board,
    round_items,
    submit,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.vocabulary import Role

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/supervision", tags=["plan supervision"],
                   route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not"},
    404: {"description": "not found, or outside the caller's scope"},
    409: {"description": "the item was answered already, or the round exists or is closed"},
    422: {"description": "invalid parameters (each problem named)"},
}
_UNITS = (Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST, Role.DEPARTMENT_OFFICER,
          Role.STREET_OFFICER)
Reader = Annotated[Principal, requires(*_UNITS, what="read plan supervision")]
Answerer = Annotated[Principal, requires(Role.DISTRICT_ADMIN, Role.DEPARTMENT_OFFICER,
                                         Role.STREET_OFFICER, what="answer a dispatch round")]
Office = Annotated[Principal, requires(Role.DISTRICT_ADMIN, what="run dispatch rounds")]
Reviewer = Annotated[Principal, requires(Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST,
                                         what="review answers and assign tasks")]
OfficeReader = Annotated[Principal, requires(Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST,
                                             what="read the round board and the assessment")]
Code = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Body(BaseModel):
    """A request body: no unknown keys."""

    model_config = ConfigDict(extra="forbid")


class Assignment(Body):
    """A task's units (codes of the district's list)."""

    lead: str | None = Field(default=None, max_length=64)
    supporting: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None,
                                                                          max_length=64)
    streets: bool | None = None


class RoundRequest(Body):
    """A round to open."""

    period: str = Field(min_length=1, max_length=32)
    due_on: dt.date
    opened_on: dt.date | None = None
    tasks: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None,
                                                                     max_length=500)
    targets: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None,
                                                                       max_length=500)


class IssueRequest(Body):
    """The assessment to issue and the day (default 31 December of the year)."""

    year: int = Field(ge=2000, le=2100)
    on: dt.date | None = None


class EligibleRequest(Body):
    """A share target's eligible count (TH-47, TH-48) with its source."""

    target: str = Field(min_length=1, max_length=32)
    count: int = Field(ge=1, le=1_000_000)
    as_of: dt.date
    source: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)


class ScheduleRequest(Body):
    """The day to schedule on (default today) and, optionally, the first period's day."""

    today: dt.date | None = None
    since: dt.date | None = None


class EvidenceFile(Body):
    """An evidence file, its bytes in base64."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    content_base64: str


class Answer(Body):
    """A unit's answer to an item."""

    unit: str | None = Field(default=None, max_length=80, description=(
        "the unit answering (the office only; a unit answers for itself)"))
    item: str = Field(min_length=1, max_length=64, pattern=r"^(task|target):[A-Za-z0-9_\-]+$")
    progress: str | None = Field(default=None, max_length=16)
    completion_pct: float | None = None
    narrative: str = Field(default="", max_length=4000, pattern=NO_NUL)
    value: float | None = None
    observed_on: dt.date | None = None
    evidence: list[EvidenceFile] = Field(default_factory=list, max_length=10)


class Review(Body):
    """The office's decision."""

    accept: bool
    comment: str = Field(default="", max_length=2000, pattern=NO_NUL)


@router.get("/tasks", response_model=TasksPublic, responses=_RESPONSES)
def tasks(ws: CurrentWorkspace, p: Reader) -> dict[str, Any]:
    """The tasks the caller may see (a department: those it leads or supports)."""
    return {"tasks": list_tasks(ws, supervision_scope(ws, p))}


@router.get("/tasks/{code}", response_model=TaskPublic, responses=_RESPONSES)
def task(ws: CurrentWorkspace, p: Reader, code: Code) -> dict[str, Any]:
    """One task (404 outside the caller's scope)."""
    return get_task(ws, supervision_scope(ws, p), code)


@router.post("/tasks/{code}/assign", response_model=TaskPublic, responses=_RESPONSES)
def assign(ws: CurrentWorkspace, p: Reviewer, code: Code, body: Assignment) -> dict[str, Any]:
    """Give a task its units (audit-logged)."""
    return assign_task(acting_as(ws, p), code, lead=body.lead, supporting=body.supporting,
                       streets=body.streets, district=p.district_id)


@router.get("/organisations", response_model=OrganisationsPublic, responses=_RESPONSES)
def organisations(ws: CurrentWorkspace, p: Reader) -> dict[str, Any]:
    """The district's responsible units (a public list)."""
    return {"organisations": list_organisations(ws, district=p.district_id)}


@router.get("/rounds", response_model=RoundsPublic, responses=_RESPONSES)
def rounds(ws: CurrentWorkspace, p: Reader) -> dict[str, Any]:
    """The district's dispatch rounds, newest first."""
    return {"rounds": [{"id": r.id, "period": r.period, "opened_on": str(r.opened_on),
                        "due_on": str(r.due_on), "status": r.status}
                       for r in list_rounds(ws, p.district_id)]}


@router.post("/rounds", response_model=RoundOpenedPublic, status_code=201,
             responses=_RESPONSES)
def open_(ws: CurrentWorkspace, p: Office, body: RoundRequest) -> dict[str, Any]:
    """Open a round (the period, the due date, the tasks and targets asked)."""
    return open_round(acting_as(ws, p), period=body.period, due_on=body.due_on,
                      opened_on=body.opened_on, tasks=body.tasks, targets=body.targets,
                      district=p.district_id)


@router.post("/rounds/schedule", response_model=SchedulePublic, responses=_RESPONSES)
def schedule(ws: CurrentWorkspace, p: Office, body: ScheduleRequest) -> dict[str, Any]:
    """Open every round due and not yet opened at the district's frequency (idempotent:
    a period with a round is left alone; audit-logged)."""
    from carbonpeak.services.supervision.schedule import schedule_rounds

    return schedule_rounds(acting_as(ws, p), today=body.today or dt.date.today(),
                           since=body.since, district=p.district_id)


@router.post("/eligible", response_model=EligiblePublic, responses=_RESPONSES)
def eligible(ws: CurrentWorkspace, p: Office, body: EligibleRequest) -> dict[str, Any]:
    """Enter a share target's eligible count (the denominator of TH-47/48; audit-logged)."""
    from carbonpeak.services.supervision.programmes import set_eligible

    state = set_eligible(acting_as(ws, p), body.target, count=body.count, as_of=body.as_of,
                         source=body.source, district=p.district_id)
    return {"target": body.target, "count": body.count, "as_of": str(body.as_of),
            "state": state}


@router.get("/rounds/{round_id}/items", response_model=ItemsPublic, responses=_RESPONSES)
def items(ws: CurrentWorkspace, p: Reader, round_id: Id,
          today: Annotated[dt.date | None, Query(description="judge overdue as of")] = None,
          ) -> dict[str, Any]:
    """The round's items the caller may see (a unit: its own), with overdue flags."""
    return {"items": round_items(ws, supervision_scope(ws, p), round_id, today=today)}


@router.get("/rounds/{round_id}/board", response_model=BoardPublic, responses=_RESPONSES)
def board(ws: CurrentWorkspace, p: OfficeReader, round_id: Id) -> dict[str, Any]:
    """Who is late: per unit, what was asked, answered, accepted, owed and overdue."""
    return round_board(ws, round_id, district=p.district_id)


def _files(body: Answer) -> list[tuple[str, bytes]]:
    out = []
    for f in body.evidence:
        try:
            out.append((f.name, base64.b64decode(f.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            raise InputValidationError([RowError(f.name, None, "content_base64", None, msg(
                "supervision.evidence.bad_base64"))]) from None
    return out


@router.post("/rounds/{round_id}/answers", response_model=ItemPublic, responses=_RESPONSES)
def answer(ws: CurrentWorkspace, p: Answerer, round_id: Id, body: Answer) -> dict[str, Any]:
    """Answer an item (a task's progress or a target's value, with evidence files)."""
    scope = supervision_scope(ws, p)
    unit = body.unit if scope.everything else scope.unit
    if unit is None or (body.unit is not None and body.unit != unit):
        msg_ = f"no item {body.item!r} for this caller"
        raise NotFoundError(msg_)
    return submit(acting_as(ws, p), scope, round_id, unit=unit, item=body.item,
                  progress=body.progress, completion_pct=body.completion_pct,
                  narrative=body.narrative, value=body.value, observed_on=body.observed_on,
                  evidence=_files(body))


@router.post("/answers/{answer_id}/review", response_model=ItemPublic, responses=_RESPONSES)
def review_(ws: CurrentWorkspace, p: Reviewer, answer_id: Id, body: Review) -> dict[str, Any]:
    """Accept an answer (a target's value becomes its observation) or return it."""
    return review(acting_as(ws, p), answer_id, accept=body.accept, comment=body.comment,
                  district=p.district_id)


@router.get("/answers/{answer_id}/evidence/{n}", response_class=FileResponse,
            responses={**_RESPONSES, 200: {
                "description": "the file (PDF, PNG, JPEG or xlsx)",
                "content": {t: {"schema": {"type": "string", "format": "binary"}}
                            for t in EVIDENCE_TYPES.values()}}})
def evidence(ws: CurrentWorkspace, p: Reader, answer_id: Id,
             n: Annotated[int, Path(ge=1, le=100)]) -> FileResponse:
    """An evidence file of an answer the caller may see (a unit: its own; 404 otherwise),
    as an attachment with its uploaded name and its type."""
    f = evidence_file(acting_as(ws, p), supervision_scope(ws, p), answer_id, n)
    return FileResponse(f.path, media_type=f.media_type, filename=f.name,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff"})


@router.get("/assessment", response_model=AssessmentPublic, responses=_RESPONSES)
def assessment(ws: CurrentWorkspace, p: OfficeReader,
               year: Annotated[int, Query(ge=2000, le=2100)],
               as_of: Annotated[dt.date | None, Query(
                   description="judge overdue items on this date (default 31 December of "
                               "the year, as the figure catalogue does)")] = None,
               ) -> dict[str, Any]:
    """The yearly assessment: each unit's score, grade and breakdown, and 通报, judged at the
    end of the year unless ``as_of`` says otherwise; ``figures``: the figure catalogue's
    supervision figures on that date (a street's score there is the one above)."""
    when = as_of or year_end(year)
    out = assess(ws, year=year, district=p.district_id, today=when)
    out["figures"] = figures(ws, year=year, district=p.district_id, as_of=when).dicts(
        *SUPERVISION_FIGURES)
    return out


@router.post("/assessment/issue", response_model=IssuedPublic, responses=_RESPONSES)
def issue(ws: CurrentWorkspace, p: Office, body: IssueRequest) -> dict[str, Any]:
    """Issue (印发) the year's assessment on a day (audit-logged): the value of the yearly
    assessment targets (HP-56/57, TH-50)."""
    out = issue_assessment(acting_as(ws, p), year=body.year, on=body.on or year_end(body.year),
                           district=p.district_id)
    issued: dict[str, Any] = out["issued"]
    return issued
