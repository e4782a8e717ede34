"""Verifying reference values (参考值核实): admins cite the document a value was checked against.

A factor row, a quota-table row or a rule of the district is marked *verified* by citing the
document (number, date, clause or page), optionally with the file attached; a withdrawal shows
the shipped status again. Reading and writing are for the district's admins; every write is
audit-logged. The derived status is what every other route shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from carbonpeak.api.deps import CurrentWorkspace, acting_as, requires
from carbonpeak.api.responses import JSONRoute
from carbonpeak.api.schemas.reference import VerificationPublic, VerificationsPublic
from carbonpeak.errors import AccessDenied, InputValidationError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.services.accounting.verifications import (
    MAX_FILE_BYTES,
    list_verifications,
    verify,
    withdraw,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.vocabulary import VerifiedKind

__all__ = ["MAX_BODY_BYTES", "router"]

router = APIRouter(prefix="/api/v1", tags=["reference values"], route_class=JSONRoute)
#: the body limit of a verification (the attached file and the form around it)
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "only the district's admins verify reference values"},
    404: {"description": "no such target or verification"},
    409: {"description": "already withdrawn"},
    422: {"description": "invalid parameters"},
}
Verifier = Annotated[Principal, requires("district_admin", what="verify reference values")]


def _own(principal: Principal, kind: str, target: str) -> None:
    """A rule is the district's: an admin verifies only their own district's rules."""
    if kind == VerifiedKind.RULE and not target.startswith(f"{principal.district_id}/"):
        msg = f"rule {target} is not of district {principal.district_id}"
        raise AccessDenied(msg)


@router.get("/reference-verifications", response_model=VerificationsPublic,
            responses=_RESPONSES)
def get_verifications(
        ws: CurrentWorkspace, principal: Verifier,
        kind: Annotated[VerifiedKind | None, Query()] = None,
        target: Annotated[str | None, Query(max_length=256)] = None,
        include_withdrawn: bool = False) -> dict[str, Any]:
    """核实记录 — the verifications (current ones unless ``include_withdrawn``)."""
    items = [v for v in list_verifications(ws, kind=kind, target=target,
                                           include_withdrawn=include_withdrawn)
             if v["kind"] != VerifiedKind.RULE
             or v["target"].startswith(f"{principal.district_id}/")]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.post("/reference-verifications", response_model=VerificationsPublic,
             status_code=201, responses=_RESPONSES)
async def post_verification(
        ws: CurrentWorkspace, principal: Verifier,
        kind: Annotated[VerifiedKind, Form()],
        target: Annotated[list[str], Form(min_length=1, max_length=500)],
        document_no: Annotated[str, Form(min_length=1, max_length=256)],
        document_date: Annotated[dt.date, Form()],
        clause: Annotated[str, Form(min_length=1, max_length=256)],
        note: Annotated[str, Form(max_length=4000)] = "",
        file: Annotated[UploadFile | None, File()] = None) -> dict[str, Any]:
    """核实 — mark one or more targets of a kind verified by citing the document (number, date,
    clause or page), optionally attaching it (multipart; at most 20 MiB). One verification
    per target, each audit-logged."""
    ws = acting_as(ws, principal)
    for t in target:
        _own(principal, kind, t)
    attached = None
    if file is not None and file.filename:
        data = await file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputValidationError([RowError("verification", None, "file", None,
                                                 i18n_msg("intake.mqtt.too_large",
                                                          limit=MAX_FILE_BYTES))])
        attached = (file.filename, data)
    items = [verify(ws, kind, t, document_no=document_no, document_date=document_date,
                    clause=clause, note=note, file=attached) for t in target]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.delete("/reference-verifications/{verification_id}", response_model=VerificationPublic,
               responses=_RESPONSES)
def delete_verification(ws: CurrentWorkspace, principal: Verifier,
                        verification_id: Annotated[int, Path(ge=1)]) -> dict[str, Any]:
    """撤销核实 — withdraw a verification (audit-logged); the shipped status shows again."""
    ws = acting_as(ws, principal)
    found = [v for v in list_verifications(ws, include_withdrawn=True)
             if v["id"] == verification_id]
    if found:
        _own(principal, found[0]["kind"], found[0]["target"])
    return withdraw(ws, verification_id)
