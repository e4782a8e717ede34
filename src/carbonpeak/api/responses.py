"""Pagination and exports shared by the list endpoints: JSON pages, CSV, xlsx, GeoJSON.

CSV is UTF-8 with a byte-order mark (Excel then reads Chinese correctly); the header is the
JSON field names, so an export has exactly the rows and columns of the JSON ``items``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
import orjson
import pandas as pd
from fastapi import HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from carbonpeak.i18n import Message, render
from carbonpeak.intake.formats.text import CONTROL_PATTERN, xlsx_value

__all__ = ["EXPORTS", "EXPORT_LIMIT", "GEOJSON", "NO_NUL", "XLSX", "Format", "JSONBody",
           "JSONRoute", "Limit", "Offset", "Refusal", "fast_json", "file_responses",
           "geojson_response", "json_bytes", "json_safe", "parse_json_body", "page",
           "table_response"]

EXPORT_LIMIT = 100_000
Limit = Annotated[int, Query(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(
    description="json (a page), or csv/xlsx (every matching row, up to 100,000)")]

#: the media type of a GeoJSON download
GEOJSON = "application/geo+json"
#: the media type of an xlsx file
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: OpenAPI: what a list with ``format=csv|xlsx`` also answers (its JSON is the response model)
EXPORTS: dict[int | str, dict[str, Any]] = {200: {
    "description": "a page of JSON; with format=csv or xlsx, every matching row as a file",
    "content": {"text/csv": {}, XLSX: {}}}}


def file_responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: a route answering a file of ``media_type`` (declare ``response_class``)."""
    return {200: {"description": what, "content": {media_type: {}}}}


#: a text parameter without NUL (PostgreSQL text cannot hold one: a 422, not a 500) or any
#: other control character (an xlsx cell cannot hold one); tab and line breaks are fine
NO_NUL = CONTROL_PATTERN


def json_safe(v: Any) -> Any:
    """``v`` ready for JSON: every NaN and infinity becomes ``None`` (null), numpy and pandas
    scalars and arrays plain Python values, dates ISO 8601, ``Decimal`` a float.

    The one place a non-finite number becomes null: :func:`json_bytes` (and so
    :func:`fast_json` and :class:`JSONBody`, the app's response class for every answer
    with a response model) and the handlers that validate an answer first all use it."""
    if isinstance(v, dict):  # orjson takes only exact str keys, not a StrEnum member
        return {k if type(k) is str else str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        return [json_safe(x) for x in v]
    if v is None or type(v) is str or isinstance(v, bool):
        return v
    if isinstance(v, str):  # a member of a vocabulary StrEnum: its value
        return str(v)
    if isinstance(v, int):  # before float: bool is handled above
        return int(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | Decimal):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.ndarray):
        return json_safe(v.tolist())
    if isinstance(v, dt.datetime | pd.Timestamp):
        return None if pd.isna(v) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _default(v: Any) -> Any:
    return str(v)


def json_bytes(data: Any) -> bytes:
    """``data`` as JSON (UTF-8) through :func:`json_safe`, serialised by orjson."""
    return orjson.dumps(json_safe(data), default=_default)


class JSONBody(JSONResponse):
    """A JSON answer rendered by :func:`json_bytes`; the app's default response class, so
    answers validated against a response model go through the same function."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


class Refusal(HTTPException):
    """An error answer from a catalogue message (:mod:`carbonpeak.i18n`): the app answers
    ``{"detail": <in the request's language>, "detail_zh", "detail_en", "code"}`` with
    ``status`` (and ``headers``, e.g. ``WWW-Authenticate``)."""

    def __init__(self, status: int, message: Message,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, render(message, "en"), headers=headers)
        self.message = message


#: a JSON body larger than this is parsed in the threadpool, not on the event loop
PARSE_OFF_LOOP_BYTES = 64 * 1024


def _json_body(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))


async def parse_json_body(request: Request) -> None:
    """Parse a JSON request body with orjson before FastAPI validates it (FastAPI then uses
    the parsed value): a large body off the event loop, and a body Python's parser would
    accept but nothing after it can hold is refused (422) here: a lone surrogate, NaN or
    Infinity, nesting deeper than 1,024 levels. The size was bounded before (the body
    limits of the app, see :func:`carbonpeak.api.app.create_app`)."""
    if request.method not in ("POST", "PUT", "PATCH") or not _json_body(request):
        return
    body = await request.body()
    if not body:
        return
    try:
        if len(body) > PARSE_OFF_LOOP_BYTES:
            parsed = await run_in_threadpool(orjson.loads, body)
        else:
            parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError([{
            "type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
            "input": {}, "ctx": {"error": exc.msg[:200]}}]) from None
    request._json = parsed  # noqa: SLF001 - Starlette's cache of request.json()


class JSONRoute(APIRoute):
    """A route whose JSON answers are rendered by :class:`JSONBody` (FastAPI's own fast path
    would serialise a response model with pydantic's encoder instead of :func:`json_bytes`),
    and whose JSON body, if it takes one, is parsed by :func:`parse_json_body`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if isinstance(kwargs.get("response_class"), DefaultPlaceholder):
            kwargs["response_class"] = JSONBody
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Any]:  # noqa: D102
        handler = super().get_route_handler()
        if self.body_field is None:  # no body model: the endpoint reads the body itself
            return handler

        async def parsed_first(request: Request) -> Response:
            await parse_json_body(request)
            response: Response = await handler(request)
            return response

        return parsed_first


def fast_json(data: Any, status: int = 200) -> Response:
    """A JSON response from a plain dict, not validated again (the hot endpoints)."""
    return Response(json_bytes(data), status, media_type="application/json")


def page(items: Sequence[dict[str, Any]], limit: int, offset: int,
         total: int | None = None, **extra: Any) -> dict[str, Any]:
    """The envelope of every list: ``items``, ``total``, ``limit``, ``offset``."""
    rows = list(items[offset:offset + limit]) if total is None else list(items)
    return {"items": rows, "total": len(items) if total is None else total,
            "limit": limit, "offset": offset, **extra}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, Decimal | np.floating):
        v = float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list | dict):
        return orjson.dumps(v).decode()
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        # a name such as "=HYPERLINK(…)" from an imported file must stay text in Excel
        return "'" + v
    return v


def _columns(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def table_response(rows: Sequence[dict[str, Any]], fmt: str, filename: str,
                   columns: Sequence[str] | None = None) -> Response:
    """``rows`` as a CSV or xlsx download named ``filename`` (without extension)."""
    cols = _columns(rows, columns)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename) or "export"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if _cell(r.get(c)) is None else _cell(r.get(c)) for c in cols])
        return Response(("\ufeff" + buf.getvalue()).encode("utf-8"),
                        media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe[:31])
    ws.append([xlsx_value(c) for c in cols])
    for r in rows:
        cells = []
        for c in cols:
            v = xlsx_value(_cell(r.get(c)))
            if isinstance(v, str):  # never a formula, whatever the text
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(v)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'})


def geojson_response(collection: dict[str, Any], filename: str) -> Response:
    """A FeatureCollection as a ``.geojson`` download."""
    return Response(json_bytes(collection), media_type=GEOJSON,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.geojson"'})


