"""Files and a month's ledger handed in through the browser: preview, mapping, confirm.

中文：网页上传与填报：预览、列映射、确认入库、按月填报台账。

An upload is kept pending (never stored in the registry or the lake) until its user confirms
it; its preview is the import's own validation. See ``docs/upload.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, RequestLang
from carbonpeak.api.responses import JSONBody, JSONRoute
from carbonpeak.api.schemas.uploads import (
    LedgerFormPublic,
    UploadKindsPublic,
    UploadPreviewPublic,
    UploadResultPublic,
)
from carbonpeak.intake import uploads
from carbonpeak.services.buildings.audits import import_audits, import_filings
from carbonpeak.services.buildings.retrofits import import_retrofits
from carbonpeak.services.buildings.weather import import_weather
from carbonpeak.vocabulary import BatchKind

__all__ = ["router"]

# the kinds whose import lives in the services (the intake kernel cannot import them)
uploads.register_uploader(BatchKind.ENERGY_AUDITS, import_audits)
uploads.register_uploader(BatchKind.OBLIGATION_FILINGS, import_filings)
uploads.register_uploader(BatchKind.RETROFITS, import_retrofits)
uploads.register_uploader(BatchKind.WEATHER, import_weather)

# the app includes this router with the upload body limit (CARBONPEAK_MAX_UPLOAD_MB)
router = APIRouter(prefix="/api/v1/uploads", tags=["data in"], route_class=JSONRoute)
UploadId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2024-03"])]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the role may not upload this kind (or the CSRF check failed)"},
    404: {"description": "no such pending upload of the caller"},
    413: {"description": "file larger than CARBONPEAK_MAX_UPLOAD_MB"},
    422: {"description": "refused: the errors name the row and column"},
}


class MappingIn(BaseModel):
    """The column each header of the file is read as (``""``: ignored)."""

    model_config = ConfigDict(extra="forbid")
    mapping: dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=64)]]


class LedgerEntryIn(BaseModel):
    """One carrier's quantity of the month."""

    model_config = ConfigDict(extra="forbid")
    carrier: str = Field(max_length=64)
    quantity: float | str = Field(union_mode="left_to_right")
    unit: str = Field(max_length=32)


class LedgerFormIn(BaseModel):
    """A month's ledger entries of one entity."""

    model_config = ConfigDict(extra="forbid")
    entity_id: str = Field(min_length=1, max_length=64)
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    entries: list[LedgerEntryIn] = Field(min_length=1, max_length=64)


@router.get("/kinds", response_model=UploadKindsPublic, responses=_RESPONSES)
def upload_kinds(principal: CurrentPrincipal) -> dict[str, Any]:
    """可上传的数据类型 — the kinds of file the caller's role may upload, with their columns."""
    return {"kinds": [{"kind": k, "columns": uploads.kind_columns(k)}
                      for k in uploads.allowed_kinds(principal)]}


@router.post("", response_model=UploadPreviewPublic, status_code=201, responses=_RESPONSES)
async def create_upload(ws: CurrentWorkspace, principal: CurrentPrincipal, lang: RequestLang,
                        file: Annotated[UploadFile, File(
                            description="CSV, .xlsx or .xls; GeoJSON for boundaries")],
                        kind: Annotated[str, Form(pattern=r"^[a-z_]{1,32}$")]) -> JSONBody:
    """上传文件 — upload a file of ``kind``: kept pending, answered with its preview and the
    import's validation; nothing is stored until ``confirm``."""
    data = await file.read()
    body = await run_in_threadpool(uploads.create_upload, ws, principal, kind,
                                   file.filename or "", data)
    return JSONBody(uploads.in_lang(body, lang), 201,
                    headers={"Location": f"/api/v1/uploads/{body['upload_id']}"})


@router.get("/ledger-form", response_model=LedgerFormPublic, responses=_RESPONSES)
def get_ledger_form(ws: CurrentWorkspace, principal: CurrentPrincipal,
                    entity_id: Annotated[str, Query(min_length=1, max_length=64)],
                    month: Month) -> dict[str, Any]:
    """按月填报台账 — the month's ledger form of an entity: per carrier its unit, the stored
    quantity and last year's same month beside it."""
    return uploads.ledger_form(ws, principal, entity_id, month)


@router.post("/ledger-form", response_model=UploadResultPublic, status_code=201,
             responses=_RESPONSES)
def post_ledger_form(ws: CurrentWorkspace, principal: CurrentPrincipal,
                     body: LedgerFormIn, lang: RequestLang) -> JSONBody:
    """提交月度台账 — store a month's ledger entries of an entity (a ledger batch, channel
    ``web``): the same validation as a file; sending the same entries again changes nothing."""
    result = uploads.submit_ledger_form(ws, principal, body.entity_id, body.month,
                                        [e.model_dump() for e in body.entries])
    return JSONBody(uploads.in_lang(result, lang), 201)


@router.post("/{upload_id}/mapping", response_model=UploadPreviewPublic, responses=_RESPONSES)
def post_mapping(ws: CurrentWorkspace, principal: CurrentPrincipal, upload_id: UploadId,
                 body: MappingIn, lang: RequestLang) -> dict[str, Any]:
    """设置列映射 — read the file's headers as these columns; remembered for the caller and
    files of this shape. Answers the new preview."""
    return uploads.in_lang(uploads.set_mapping(ws, principal, upload_id, body.mapping), lang)


@router.post("/{upload_id}/confirm", response_model=UploadResultPublic, status_code=201,
             responses=_RESPONSES)
def confirm(ws: CurrentWorkspace, principal: CurrentPrincipal,
            upload_id: UploadId, lang: RequestLang) -> JSONBody:
    """确认入库 — import the upload as the caller (durable before this answers; audit-logged;
    listed under ``GET /api/v1/batches``). Confirming again answers the same batch."""
    return JSONBody(uploads.in_lang(uploads.confirm_upload(ws, principal, upload_id), lang), 201)


@router.delete("/{upload_id}", status_code=204, response_class=Response, responses=_RESPONSES)
def discard(ws: CurrentWorkspace, principal: CurrentPrincipal, upload_id: UploadId) -> Response:
    """放弃上传 — discard a pending upload (nothing of it was stored)."""
    uploads.discard_upload(ws, principal, upload_id)
    return Response(status_code=204)
