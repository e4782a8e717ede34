"""The figure catalogue (口径目录): ``GET /api/v1/metrics?year=Y[&as_of=D]``.

Every published number with its basis (核算口径 / 统计口径 / 台账记录 / 规划值), period,
as-of date and provenance, from the stored values (:mod:`carbonpeak.services.figures`),
within the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace
from carbonpeak.api.responses import JSONRoute, fast_json
from carbonpeak.api.schemas.metrics import MetricsPublic
from carbonpeak.errors import NotFoundError
from carbonpeak.services.access.scope import scope_of
from carbonpeak.services.figures import figures

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["figures"], route_class=JSONRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    404: {"description": "no figures of that subject, or not in the caller's scope"},
    422: {"description": "invalid parameters"},
}
YearQuery = Annotated[int, Query(ge=1990, le=2100, description="the figures' year")]
AsOfQuery = Annotated[dt.date | None, Query(
    description="as-of date of the programme counts; default 31 December of the year")]
SubjectQuery = Annotated[str | None, Query(
    min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
    description="only the figures of this street (code) or entity (id)")]


@router.get("/metrics", response_model=MetricsPublic, responses=_RESPONSES)
def get_metrics(ws: CurrentWorkspace, principal: CurrentPrincipal, year: YearQuery,
                as_of: AsOfQuery = None, subject: SubjectQuery = None) -> Response:
    """口径目录 — every catalogue figure of ``year`` the caller may read: code, names, value,
    unit, basis, period, as-of and provenance (computed once and stored); ``subject`` keeps
    one street's or entity's (404 when it has none the caller may read)."""
    scope = scope_of(ws, principal)
    fs = figures(ws, year=year, district=scope.district_id, as_of=as_of, scope=scope)
    out = fs.to_dict()
    if subject is not None:
        out["items"] = [f for f in out["items"] if f["subject_type"] != "district"
                        and f["subject_id"] == subject]
        if not out["items"]:  # "not yours" reads exactly like "not there"
            msg = f"no figures of {subject} for {year}"
            raise NotFoundError(msg)
    return fast_json(out)
