"""The dashboard's strings, generated from the message catalogue (codes ``web.*``).

中文：驾驶舱界面文字由统一的消息目录（``web.*`` 代码）生成。

``python -m carbonpeak.web.messages`` writes ``static/js/messages.generated.js`` (run by
``make setup``; the file is committed and ``tests/test_i18n.py`` checks it equals the output).
The dashboard's ``i18n.js`` looks a key such as ``login.tooMany`` up as the code
``web.login.too_many`` (:func:`code_of` is the same rule in Python).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from carbonpeak.i18n import LANGS, catalogue

__all__ = ["GENERATED", "code_of", "generate", "main"]

#: The generated module, next to ``i18n.js``.
GENERATED = Path(__file__).resolve().parent / "static" / "js" / "messages.generated.js"

_PREFIX = "web."


def code_of(key: str) -> str:
    """The catalogue code of a dashboard key: ``login.tooMany`` → ``web.login.too_many``
    (camelCase to snake_case, lower case, other characters ``_``, an empty part ``empty``).
    ``i18n.js`` applies the same rule."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()
    snake = re.sub(r"[^a-z0-9_.]", "_", snake)
    return _PREFIX + ".".join(p or "empty" for p in snake.split("."))


def generate() -> str:
    """The text of ``messages.generated.js``: every ``web.*`` code (without the prefix) in
    both languages."""
    web = {code[len(_PREFIX):]: texts for code, texts in sorted(catalogue().items())
           if code.startswith(_PREFIX)}
    table = {lang: {k: v[lang] for k, v in web.items()} for lang in LANGS}
    body = json.dumps(table, ensure_ascii=False, indent=1, sort_keys=False)
    return ("// Generated from src/carbonpeak/i18n/catalogue/web.json by "
            "`python -m carbonpeak.web.messages`\n// (make setup). Do not edit: change the "
            "catalogue and run it again.\n"
            f"export const MESSAGES = {body};\n")


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) ``messages.generated.js``."""
    args = sys.argv[1:] if argv is None else argv
    text = generate()
    if "--check" in args:
        current = GENERATED.read_text(encoding="utf-8") if GENERATED.exists() else ""
        if current != text:
            sys.stderr.write(f"{GENERATED} is not the catalogue's: run python -m "
                             "carbonpeak.web.messages\n")
            return 1
        return 0
    GENERATED.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
