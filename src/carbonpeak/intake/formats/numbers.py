"""The one number rule of every file and feed.

中文：所有文件与推送数据共用的数字规则：千分位逗号只能在正确位置（``12,000.5``），
``1,5`` 不是数字（不会当作 15 或 1.5 入库）；不接受下划线、十六进制、NaN 与无穷大。

A number is ASCII: an optional sign, digits with an optional decimal point and exponent
(``-3.5e2``, ``.5``), or digits grouped in threes by commas (``12,000.5``, ``-1,000``), with
surrounding blanks ignored. Anything else is not a number: ``1,5``, ``1,50``, ``1_000``,
``0x10``, ``1 000``, and the non-finite ``nan``, ``inf``, ``1e400`` (commas out of place,
``1,5`` or ``1,20``, are refused with a reason of their own, :data:`BAD_COMMAS`). Full-width
digits are read as ASCII (``１２３``), and the amount columns of files and forms also take
``3.5万`` (:mod:`carbonpeak.intake.formats.parsing`). Files, pushed batches
(readings in DuckDB SQL with :data:`NUMBER_SQL`, ledgers) and the plan, audit, quota and
retrofit files all read numbers with it.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

__all__ = ["BAD_COMMAS", "NUMBER", "NUMBER_SQL", "THOUSANDS", "number_series", "parse_number",
           "refusal_code"]

#: thousands separators only in their proper place ("12,000.5"); "1,5" is not a number
THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
#: digits grouped by commas; a text the rule refused that matches it has its commas out of
#: place ("1,5", "1,20", "12,0000") and is refused with a reason of its own
#: (``intake.cell.comma_decimal``): the comma is a decimal sign in some locales
BAD_COMMAS = r"^[+-]?\d+(,\d+)+(\.\d+)?$"
#: a plain number: sign, digits, decimal point, exponent
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_THOUSANDS = re.compile(THOUSANDS)
_NUMBER = re.compile(NUMBER)

#: the rule in DuckDB SQL over a text column ``{col}`` (NULL when not a number)
_SQL_TEXT = """CASE WHEN regexp_full_match(trim({col}), '{thousands}')
          THEN TRY_CAST(replace(trim({col}), ',', '') AS DOUBLE)
        WHEN regexp_full_match(trim({col}), '{number}') THEN TRY_CAST(trim({col}) AS DOUBLE)
        END""".replace("{thousands}", THOUSANDS).replace("{number}", NUMBER)
NUMBER_SQL = f"CASE WHEN isfinite({_SQL_TEXT}) THEN {_SQL_TEXT} END"


def parse_number(text: object) -> float | None:
    """The finite number ``text`` spells, or None.

    >>> parse_number("12,000.5"), parse_number("1,5"), parse_number(" -3.5e2 ")
    (12000.5, None, -350.0)
    >>> parse_number("1_000"), parse_number("nan"), parse_number(7)
    (None, None, 7.0)
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    t = text.strip()
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    elif not _NUMBER.match(t):
        return None
    v = float(t)
    return v if math.isfinite(v) else None


_BAD_COMMAS = re.compile(BAD_COMMAS)


def refusal_code(text: object) -> str:
    """Why ``text`` is not a number, as a catalogue code: ``intake.cell.comma_decimal`` when
    it is digits with commas out of place ("1,5"), else ``intake.cell.not_number``.

    >>> refusal_code("1,5"), refusal_code("abc")
    ('intake.cell.comma_decimal', 'intake.cell.not_number')
    """
    if isinstance(text, str) and _BAD_COMMAS.match(text.strip()):
        return "intake.cell.comma_decimal"
    return "intake.cell.not_number"


def number_series(raw: pd.Series) -> pd.Series:
    """:func:`parse_number` over a column of text (NaN where it is not a number)."""
    text = raw.astype(str).str.strip()
    grouped = text.str.match(THOUSANDS)
    plain = text.str.match(NUMBER)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    values = pd.to_numeric(cleaned.where(grouped | plain), errors="coerce").astype("float64")
    return values.where(np.isfinite(values.fillna(np.inf)))
