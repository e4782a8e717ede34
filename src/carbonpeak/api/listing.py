"""Sorting and filtering a list on the server: ``sort=``, ``order=``, ``q=`` of a paged list.

中文：分页列表的服务端排序与筛选。

Each list route declares its columns (:class:`ListSpec`): the ones ``sort`` may name, with how
they compare (numbers, dates, text), and the ones ``q`` searches (a case-insensitive
substring of any of them). A ``sort`` not declared is refused (422, naming the columns one
may sort by), never ignored. Missing values sort last in either order, ties keep the list's
own order. Chinese text sorts by its GB18030 bytes: the 3,755 common characters (GB 2312
level 1) are in pinyin order, the rarer ones after them by radical and stroke; the browser's
own sort of a fully loaded table (Intl.Collator) is by pinyin throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Query

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg

__all__ = ["ListSpec", "Order", "Search", "Sort", "sort_filter"]

Sort = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,39}$",
                                   description="a column of the list to sort by")]
Order = Annotated[Literal["asc", "desc"], Query(description="the sort order")]
Search = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]*$",
                                     description="text the row must contain (any column "
                                                 "searched)")]


@dataclass(frozen=True)
class ListSpec:
    """A list's sortable columns (``num``, ``date`` or ``text``) and searched columns."""

    sortable: Mapping[str, Literal["num", "date", "text"]]
    search: tuple[str, ...]


def _text_key(v: Any) -> bytes:  # noqa: ANN401 - a row's value
    return str(v).casefold().encode("gb18030", errors="replace")


def _missing(v: Any) -> bool:  # noqa: ANN401 - a row's value
    return v is None or v == "" or (isinstance(v, float) and v != v)


def sort_filter(rows: Sequence[dict[str, Any]], spec: ListSpec, *, sort: str | None,
                order: str = "asc", q: str | None = None) -> list[dict[str, Any]]:
    """``rows`` with ``q`` in a searched column, sorted by ``sort`` (missing values last).

    Raises
    ------
    InputValidationError
        ``sort`` is not a sortable column of the list.
    """
    if sort is not None and sort not in spec.sortable:
        raise InputValidationError([RowError("query", None, "sort", sort, msg(
            "api.list.sort_column", columns=", ".join(spec.sortable)))])
    out = list(rows)
    if q is not None and q.strip():
        needle = q.strip().casefold()
        out = [r for r in out if any(needle in str(r.get(c) or "").casefold()
                                     for c in spec.search)]
    if sort is None:
        return out
    kind = spec.sortable[sort]
    present = [r for r in out if not _missing(r.get(sort))]
    absent = [r for r in out if _missing(r.get(sort))]
    if kind == "num":
        present.sort(key=lambda r: float(r[sort]), reverse=order == "desc")
    elif kind == "date":
        present.sort(key=lambda r: str(r[sort]), reverse=order == "desc")
    else:
        present.sort(key=lambda r: _text_key(r[sort]), reverse=order == "desc")
    return present + absent
