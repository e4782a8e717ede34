"""Pagination and exports shared by the list endpoints: JSON pages, CSV, xlsx, GeoJSON.

CSV is UTF-8 with a byte-order mark (Excel then reads Chinese correctly); the header is the
JSON field names, so an export has exactly the rows and columns of the JSON ``items``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
import orjson
import pandas as pd
from fastapi import Query
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

__all__ = ["EXPORT_LIMIT", "NO_NUL", "XLSX", "Format", "Limit", "Offset", "fast_json",
           "geojson_response", "page", "table_response"]

EXPORT_LIMIT = 100_000
Limit = Annotated[int, Query(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(
    description="json (a page), or csv/xlsx (every matching row, up to 100,000)")]

#: the media type of an xlsx file
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a text parameter without NUL (PostgreSQL text cannot hold one: a 422, not a 500)
NO_NUL = r"^[^\x00]*$"


def _default(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return str(v)


def fast_json(data: Any, status: int = 200) -> Response:
    """A JSON response serialised by orjson (NaN and infinities become null)."""
    body = orjson.dumps(data, default=_default,
                        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status, media_type="application/json")


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
    ws.append(cols)
    for r in rows:
        cells = []
        for c in cols:
            v = _cell(r.get(c))
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
    return Response(orjson.dumps(collection), media_type="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.geojson"'})


