"""Checks that a text is in one language: a Chinese text has no ASCII word outside a short
allow-list (units, standard codes, ids), an English one no Chinese character."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: ASCII words a Chinese text may hold: units, standard codes, protocol words
ALLOWED = {"kWh", "MWh", "tCO2", "tce", "kgce", "m2", "GB", "T", "CO2", "API", "xlsx", "pdf",
           "ID", "id", "v", "PV", "a", "m", "GDP", "km", "Authorization", "Bearer", "cpk_",
           "X-CSRF-Token"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def english_words(text: str, allowed: Iterable[str] = ()) -> set[str]:
    """The ASCII words of ``text`` outside :data:`ALLOWED` and ``allowed`` (the ids and
    names of the data); a word with a digit (HP-001, v3, 2024) is an id, not a word."""
    extra = set(allowed)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", text))
    return {w for w in words if w not in ALLOWED and w not in extra
            and not re.search(r"\d", w)}


def workbook_texts(book: Any, skip_columns: Iterable[str] = ()) -> list[str]:  # noqa: ANN401
    """Every string of an openpyxl workbook: sheet names and cells (the cells of a column
    whose heading, in any row, is one of ``skip_columns`` left out: codes, ids, names)."""
    skip = set(skip_columns)
    out: list[str] = []
    for sh in book.worksheets:
        out.append(sh.title)
        hidden: set[int] = set()
        for row in sh.iter_rows(values_only=True):
            hidden |= {i for i, v in enumerate(row) if isinstance(v, str) and v in skip}
            out += [v for i, v in enumerate(row) if isinstance(v, str) and i not in hidden]
    return out
