"""Data in over HTTP: pushed readings and ledgers, and the batches they became.

中文：数据推送接口：读数、台账推送与批次查询。
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, request_lang
from carbonpeak.api.responses import JSONBody, JSONRoute
from carbonpeak.api.schemas.ingest import (
    BatchDetailPublic,
    BatchesPublic,
    FeedResultPublic,
)
from carbonpeak.i18n import msg, render
from carbonpeak.intake.batches import BatchResult, summary_fields
from carbonpeak.intake.feeds import (
    batch_report,
    ingest_ledger,
    ingest_readings,
)
from carbonpeak.storage.queries import batch_page

__all__ = ["router"]

# the app includes this router with the feeds' body limit (CARBONPEAK_MAX_UPLOAD_MB)
router = APIRouter(prefix="/api/v1", tags=["data in"], route_class=JSONRoute)
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="A key unique per batch for this client (e.g. a UUID); re-sending the same "
    "batch with the same key stores nothing and answers the stored batch again.")]

_READING = {
    "type": "object",
    "required": ["meter_id", "ts", "value"],
    "properties": {
        "meter_id": {"type": "string", "description": "registered meter id (表号)"},
        "ts": {"type": ["string", "number"],
               "description": "ISO 8601 (no offset = the district's local time) or Unix "
               "seconds; interval start for interval meters, reading time for registers"},
        "value": {"type": ["number", "string"],
                  "description": "quantity in the meter's unit (or in `unit`)"},
        "unit": {"type": "string", "description": "optional; converted to the meter's unit"},
    },
}
_LEDGER_ROW = {
    "type": "object",
    "required": ["entity_id", "period", "carrier", "quantity", "unit"],
    "properties": {
        "entity_id": {"type": "string"}, "period": {"type": "string", "example": "2024-03"},
        "carrier": {"type": "string", "example": "electricity"},
        "quantity": {"type": ["number", "string"]}, "unit": {"type": "string"},
    },
}


def _body_doc(item: dict[str, Any], csv_example: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "items": item, "maxItems": 1_000_000}},
        "text/csv": {"schema": {"type": "string"}, "example": csv_example},
    }}}


_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "stored (durably) as a batch; rejected rows are listed"},
    401: {"description": "no or invalid bearer token"},
    403: {"description": "the token may not write any of these meters/entities"},
    409: {"description": "the Idempotency-Key was used for a different body"},
    413: {"description": "body larger than CARBONPEAK_MAX_UPLOAD_MB (64 MiB): split it"},
    422: {"description": "the body cannot be read, or every row was rejected"},
}


async def _read_body(request: Request) -> bytes:
    """The body, bounded by the app's limit for this router: a ``Content-Length`` over it is
    refused before anything is read, a streamed body as soon as it passes it (413)."""
    return await request.body()


def _answer(result: BatchResult, request: Request) -> JSONBody:
    body = result.to_dict(request_lang(request))
    headers = {"Location": f"/api/v1/batches/{result.batch_id}"}
    if result.status == "replayed":
        headers["Idempotent-Replayed"] = "true"
    status = 422 if result.accepted == 0 and result.rejected > 0 else 202
    if status == 422:
        body["detail"] = render(msg("api.ingest.all_rejected"), request_lang(request))
    return JSONBody(body, status, headers=headers)


@router.post("/readings", response_model=FeedResultPublic, status_code=202,
             responses=_FEED_RESPONSES,
             openapi_extra=_body_doc(_READING, "meter_id,ts,value\nM001,2024-01-01T08:00,12.5\n"))
async def post_readings(request: Request, ws: CurrentWorkspace, principal: CurrentPrincipal,
                        idempotency_key: IdempotencyKey = None) -> JSONBody:
    """推送计量读数 — push meter readings (JSON array or CSV).

    Valid rows are stored as one batch before the answer; each invalid row is rejected with
    its reason. The answer carries the batch id; ``GET /api/v1/batches/{id}`` tells the rest.
    """
    body = await _read_body(request)
    result = await run_in_threadpool(
        ingest_readings, ws, principal, body,
        request.headers.get("content-type", "application/json"),
        idempotency_key=idempotency_key, source=f"http:{principal.username}")
    return _answer(result, request)


@router.post("/ledger", response_model=FeedResultPublic, status_code=202, responses=_FEED_RESPONSES,
             openapi_extra=_body_doc(_LEDGER_ROW, "entity_id,period,carrier,quantity,unit\n"
                                     "E001,2024-03,electricity,12000,kWh\n"))
async def post_ledger(request: Request, ws: CurrentWorkspace, principal: CurrentPrincipal,
                      idempotency_key: IdempotencyKey = None) -> JSONBody:
    """推送能源台账 — push monthly ledger rows (JSON array or CSV)."""
    body = await _read_body(request)
    result = await run_in_threadpool(
        ingest_ledger, ws, principal, body,
        request.headers.get("content-type", "application/json"),
        idempotency_key=idempotency_key, source=f"http:{principal.username}")
    return _answer(result, request)


@router.get("/batches/{batch_id}", response_model=BatchDetailPublic)
def get_batch(ws: CurrentWorkspace, principal: CurrentPrincipal,
              batch_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    """导入批次 — a batch: status, accepted and rejected rows, and why each was rejected."""
    return batch_report(ws, principal, batch_id)


@router.get("/batches", response_model=BatchesPublic)
def list_batches(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
) -> dict[str, Any]:
    """批次列表 — batches visible to the caller, newest first (analysts: all of the district)."""
    own = principal.role not in ("district_admin", "district_analyst")
    total, rows = batch_page(ws, principal.district_id, actor=principal.actor if own else None,
                             kind=kind, limit=limit, offset=offset)
    items = [{"batch_id": b.id, "kind": b.kind, "channel": b.channel, "status": b.status,
              "source": b.source_name,
              "rows_in": b.rows_in, "rows_rejected": b.rows_rejected,
              "created_at": b.created_at.isoformat() + "Z", **summary_fields(b.message)}
             for b in rows]
    return {"items": items, "total": int(total), "limit": limit, "offset": offset,
            "has_more": offset + len(items) < total}
