"""The message catalogue: every user-facing text is a code with parameters.

中文：消息目录——每条面向用户的文字都是“代码 + 参数”，只在输出端渲染为中文或英文。

A message is stored and passed around as :class:`Message` (``code`` and JSON-serialisable
``params``), never as rendered text. It is rendered only at the edge (CLI, API, dashboard,
reports) by :func:`render` in ``zh`` or ``en`` from one catalogue: the JSON files in
``carbonpeak/i18n/catalogue/``, one per area, each mapping a code to its two templates::

    {"intake.cell.required": {"zh": "必填，不能为空", "en": "is required"}}

Templates use :meth:`str.format` fields (``{value}``, ``{share:.1%}``). Both languages of a
code name the same fields (``tests/test_i18n.py`` checks every code). A parameter may itself
be a :class:`Message`, rendered in the same language, a :class:`Label` of a closed list
(a carrier, a level, a role), rendered through its own code, or a :class:`Text`: a name the
user configured in both languages (a profile's rule label), given as it is.

A stored message may sit in a text column (a key unit's rule) as the JSON of its stored form;
:func:`stored_text` renders such a value, and gives an old plain text (written before the
column held messages) as it is.

This module imports nothing of the layers, so every layer may use it.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

__all__ = ["LANGS", "Label", "Lang", "Message", "Text", "catalogue", "dumps", "fields", "label",
           "label_text", "loads", "msg", "render", "render_both", "stored_text"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True)
class Message:
    """A code from the catalogue and its parameters (JSON-serialisable values or messages)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``{"code": …, "params": {…}}`` (nested messages as dicts too)."""
        return {"code": self.code, "params": {k: _stored(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["code"]), {k: _loaded(v) for k, v in
                                      dict(data.get("params") or {}).items()})


@dataclass(frozen=True)
class Label:
    """A member of a closed list (``kind`` e.g. ``carrier``, ``value`` e.g. ``natural_gas``),
    rendered through the catalogue code ``label.<kind>.<value>``."""

    kind: str
    value: str


@dataclass(frozen=True)
class Text:
    """A text configured by the user in both languages (a profile's label), given as it is
    in each language; never a translation."""

    zh: str
    en: str


def msg(code: str, /, **params: Any) -> Message:  # noqa: ANN401 - any JSON value
    """Shorthand for ``Message(code, params)``."""
    return Message(code, params)


def label(kind: str, value: str) -> Label:
    """Shorthand for ``Label(kind, value)``."""
    return Label(kind, value)


def _stored(v: Any) -> Any:  # noqa: ANN401
    if isinstance(v, Message):
        return {"$message": v.to_dict()}
    if isinstance(v, Label):
        return {"$label": [v.kind, v.value]}
    if isinstance(v, Text):
        return {"$text": [v.zh, v.en]}
    if isinstance(v, list | tuple):
        return [_stored(x) for x in v]
    return v


def _loaded(v: Any) -> Any:  # noqa: ANN401
    if isinstance(v, dict) and "$message" in v:
        return Message.from_dict(v["$message"])
    if isinstance(v, dict) and "$label" in v:
        kind, value = v["$label"]
        return Label(str(kind), str(value))
    if isinstance(v, dict) and "$text" in v:
        zh, en = v["$text"]
        return Text(str(zh), str(en))
    if isinstance(v, list):
        return [_loaded(x) for x in v]
    return v


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every code with its ``zh`` and ``en`` template, from all the catalogue files."""
    out: dict[str, dict[str, str]] = {}
    folder = resources.files("carbonpeak.i18n") / "catalogue"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        for code, texts in data.items():
            if code in out:
                msg_ = f"message code {code!r} is defined twice (again in {entry.name})"
                raise ValueError(msg_)
            out[code] = texts
    return out


def fields(template: str) -> set[str]:
    """The parameter names a template uses (``{share:.1%}`` gives ``share``)."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


def _param(v: Any, lang: Lang) -> Any:  # noqa: ANN401
    if isinstance(v, Message):
        return render(v, lang)
    if isinstance(v, Label):
        return render(Message(f"label.{v.kind}.{v.value}"), lang) \
            if f"label.{v.kind}.{v.value}" in catalogue() else v.value
    if isinstance(v, Text):
        return v.zh if lang == "zh" else v.en
    if isinstance(v, list | tuple) and any(isinstance(x, Message | Label | Text) for x in v):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(_param(x, lang)) for x in v)
    return v


def render(message: Message | str, lang: Lang = "zh", /, **params: Any) -> str:  # noqa: ANN401
    """The text of ``message`` (or of a bare code with ``params``) in ``lang``.

    Raises
    ------
    KeyError
        For a code the catalogue does not have, or a template field without its parameter:
        a programming error, never shown to a user as half-rendered text.
    """
    m = message if isinstance(message, Message) else Message(message, params)
    try:
        template = catalogue()[m.code][lang]
    except KeyError:
        msg_ = f"message code {m.code!r} has no {lang} text in the catalogue"
        raise KeyError(msg_) from None
    return template.format_map({k: _param(v, lang) for k, v in m.params.items()})


def label_text(kind: str, value: object, lang: Lang = "zh") -> str:
    """A member of a closed list in ``lang`` (code ``label.<kind>.<value>``); a value the list
    does not have, as it is."""
    return str(_param(Label(kind, str(value)), lang))


def render_both(message: Message) -> tuple[str, str]:
    """``(zh, en)``, for the bilingual tables and error reports."""
    return render(message, "zh"), render(message, "en")


def dumps(message: Message) -> str:
    """The stored form of ``message`` as JSON text, for a text column."""
    return json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"))


def loads(value: Any) -> Message | None:  # noqa: ANN401 - a column's value
    """The message of a stored value (a :class:`Message`, its stored form, or that form as
    JSON text); None for anything else (an old plain text, None)."""
    if isinstance(value, Message):
        return value
    if isinstance(value, Mapping) and "code" in value:
        return Message.from_dict(value)
    if isinstance(value, str) and value.startswith('{"code"'):
        try:
            data = json.loads(value)
        except ValueError:
            return None
        return Message.from_dict(data) if isinstance(data, dict) and "code" in data else None
    return None


def stored_text(value: Any, lang: Lang = "zh") -> str | None:  # noqa: ANN401
    """A stored value in ``lang``: a message (or its stored form, or that as JSON text)
    rendered; an old plain text as it is; None for None (and for NaN)."""
    m = loads(value)
    if m is not None:
        return render(m, lang)
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)
