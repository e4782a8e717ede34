"""The dashboard's copy of the vocabulary: ``web/static/js/constants.js``, generated.

中文：前端常量——由统一词表生成的 ES 模块（勿手改）。

``python -m carbonpeak.web.constants`` writes the file (``make setup`` runs it); ``--check``
exits 1 when the committed file differs from what the vocabulary gives. The dashboard imports
the codes, their orders and the role groups from it instead of spelling them again.
"""

from __future__ import annotations

import argparse
import json
import sys
from enum import StrEnum
from pathlib import Path

from carbonpeak import vocabulary as v

__all__ = ["TARGET", "render", "write"]

TARGET = Path(__file__).parent / "static" / "js" / "constants.js"

#: named orders and groups, as arrays of codes
_GROUPS: dict[str, tuple[str, ...]] = {
    "LEVEL_ORDER": v.values(v.WarningLevel),
    "TARGET_SEVERITY": tuple(v.TARGET_SEVERITY),
    "ANALYST_ROLES": tuple(v.ANALYST_ROLES),
    "ENTITY_ROLES": tuple(v.ENTITY_ROLES),
    "DISTRICT_FIGURE_ROLES": tuple(v.DISTRICT_FIGURE_ROLES),
    "WRITER_ROLES": tuple(v.WRITER_ROLES),
    "IMPORT_KINDS": tuple(v.IMPORT_KINDS),
    "QUOTA_RATINGS": v.values(v.QuotaRating),
    "QUOTA_CASE_STATUSES": v.values(v.QuotaCaseStatus),
}


def _js(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(_str(x) for x in values) + "]"


def _str(x: str) -> str:
    return "'" + json.dumps(str(x), ensure_ascii=False)[1:-1].replace("'", "\\'") + "'"


def _enum(enum: type[StrEnum]) -> str:
    members = "".join(f"\n  {m.name}: {_str(m.value)}," for m in enum)
    return f"export const {enum.__name__} = Object.freeze({{{members}\n}});\n"


def render() -> str:
    """The text of ``constants.js``."""
    parts = [
        "// Generated from carbonpeak/vocabulary.py by `python -m carbonpeak.web.constants`\n"
        "// (make setup): do not edit. Each enum's members are in its order; Object.values()\n"
        "// gives the codes in that order.\n",
    ]
    parts += [_enum(enum) for enum in v.VOCABULARIES]
    parts.append("// orders and groups\n" + "".join(
        f"export const {name} = Object.freeze({_js(codes)});\n" for name, codes in _GROUPS.items()))
    return "\n".join(parts)


def write(path: Path = TARGET) -> bool:
    """Write ``constants.js`` if it differs; whether it changed."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m carbonpeak.web.constants [--check]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file is not what the vocabulary gives")
    args = parser.parse_args(argv)
    if args.check:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == render()
        if not same:
            sys.stderr.write(f"{TARGET} is stale: run python -m carbonpeak.web.constants\n")
        return 0 if same else 1
    write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
