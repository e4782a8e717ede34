"""What every answer shares: the base model and the page envelope ``Page[T]``."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Detail", "GeoJsonGeometry", "MessageCodePublic", "Page", "Public", "Row"]

T = TypeVar("T")


class Public(BaseModel):
    """Base of every answer: a key the model does not name is an error (in the tests that
    validate real answers, and for handlers whose answer FastAPI validates), so the OpenAPI
    document cannot silently fall behind the code."""

    model_config = ConfigDict(extra="forbid")


class MessageCodePublic(Public):
    """A message as its catalogue code and parameters (the text beside it is rendered)."""

    code: str
    params: dict[str, Any]


class Page(Public, Generic[T]):
    """A list: ``items`` from ``offset``, at most ``limit`` of them, ``total`` in all."""

    items: list[T]
    total: int
    limit: int
    offset: int


#: an open JSON object (audit-log details, a budget's basis, chart series): its keys depend
#: on what it describes; the models name where they use it
Detail = dict[str, Any]
#: a row of a table whose columns depend on the request (an inventory's level and period)
Row = dict[str, Any]


class GeoJsonGeometry(Public):
    """A GeoJSON geometry (WGS84): Point, Polygon or MultiPolygon."""

    type: str
    coordinates: list[Any]
