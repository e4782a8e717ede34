"""Control characters: refused in what comes in, escaped in what goes out as xlsx.

中文：控制字符：入库时拒收（说明字段），导出 Excel 时转义旧数据中残留的控制字符，
使导出不因一个字符失败。

A control character (C0 except tab, line feed and carriage return, and DEL) has no place in
the text of a file or a feed, and an xlsx cell cannot hold one (openpyxl refuses it, so one
such character in stored text made every later export fail). Intake refuses it with
``intake.cell.control_character``; exports write it as ``<U+000B>``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CONTROL", "CONTROL_PATTERN", "CONTROL_RE2", "control_character", "xlsx_value"]

#: the control characters refused at intake and escaped in xlsx exports
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: the same class for pandas and Arrow (RE2) matching, written with escapes
CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
#: a pydantic/JSON-schema pattern of a text without them
CONTROL_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def control_character(text: object) -> str | None:
    """The first control character of ``text`` as ``U+000B``; None when there is none.

    >>> control_character("a\\x0bb"), control_character("a\\tb")
    ('U+000B', None)
    """
    if not isinstance(text, str):
        return None
    m = CONTROL.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def xlsx_value(v: Any) -> Any:
    """``v`` as an xlsx cell may hold it: control characters of a text escaped as ``<U+000B>``.

    >>> xlsx_value("源\\x0b数据"), xlsx_value(5)
    ('源<U+000B>数据', 5)
    """
    if isinstance(v, str) and CONTROL.search(v):
        return CONTROL.sub(lambda m: f"<U+{ord(m.group()):04X}>", v)
    return v
