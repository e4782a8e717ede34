"""The shape of a section plugged into the white paper (the programme sections).

中文：白皮书的可插入章节（各专项工作）。
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carbonpeak.services.figures import FigureSet
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.workspace import Workspace

__all__ = ["NO", "YES", "ExtraSection", "SectionBuilder", "basis_notes", "published"]

#: a yes/no cell of a section's table, in both languages
YES = {"zh": "是", "en": "yes"}
NO = {"zh": "否", "en": "no"}

SectionBuilder = Callable[[Workspace, District, int], dict[str, Any]]


@dataclass(frozen=True)
class ExtraSection:
    """A programme section added to the white paper through ``white_paper(sections=...)``.

    ``build(ws, district, year)`` returns the section's content in the generic shape the
    template prints (every key optional; numbers only from the pipelines)::

        {"text_zh": "…", "text_en": "…",                     # sentences built from figures
         "figures": [{"label_zh", "label_en", "value", "unit", "digits"}],   # key figures
         "table": {"columns": [{"key", "label_zh", "label_en", "digits"}],   # digits: number
                   "rows": [{key: value, …}]},                               # columns only
         "notes_zh": ["…"], "notes_en": ["…"]}

    ``placement`` is the chapter it is printed in: ``public_buildings`` (audits, retrofits,
    measured savings, commissioning) or ``programmes`` (a chapter of its own before the
    method). A build that raises a :class:`~carbonpeak.errors.CarbonPeakError` is printed as
    not available, with its reason.
    """

    title_zh: str
    title_en: str
    build: SectionBuilder
    placement: str = "public_buildings"


def published(fs: FigureSet, codes: tuple[str, ...]) -> list[dict[str, Any]]:
    """The figure catalogue's figures ``codes`` that have a value, as a section's key figures
    (name, value, unit and precision as published)."""
    return [{"label_zh": f.definition.name_text("zh"), "label_en": f.definition.name_text("en"),
             "value": f.value, "unit": "" if f.definition.unit in ("count", "ratio")
             else f.definition.unit, "digits": f.definition.digits}
            for f in fs.items if f.code in codes and f.value is not None]


def basis_notes(fs: FigureSet, codes: tuple[str, ...]) -> tuple[str, str]:
    """The basis and as-of line of a section's catalogue figures, in both languages."""
    got = next((f for f in fs.items if f.code in codes and f.value is not None), None)
    if got is None:
        return "", ""
    return (f"以上数字取自口径目录（{got.label('zh')}）。",
            f"The figures above are the figure catalogue's ({got.label('en')}).")
