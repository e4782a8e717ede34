"""The plan's measures as tasks: each numbered paragraph of the action chapters (重点任务), with
its section, quote, lead and supporting units (责任单位) and its milestones.

中文：从实施方案的重点任务章节逐条拆解任务：条文、章节、牵头与配合单位、时间节点。

Rules (from how the two plans are written):

* an action chapter is a line ``（一）…行动`` under ``二、重点任务``; the chapters end at the
  next top heading (``三、``);
* a task is a line starting ``N.`` (Huangpu numbers each chapter from 1, Tianhe runs 1..26
  through all chapters); a line with neither heading nor number continues the paragraph before
  (the source wraps lines);
* ``（责任单位：A、B，C）`` after a paragraph names its units: the first is the lead (牵头, the
  plans' convention and, where written, ``…牵头``), the others support (配合); without it the
  task has no units (Tianhe) and is assigned by the office;
* a milestone is each clause naming a year (``到 2025 年``, ``2023 年底``) or a plan period
  (``“十四五”``, ``“十五五”``): its deadline is that year or the period's last year, or
  ``每年`` (yearly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Milestone", "TaskSpec", "parse_plan_tasks", "split_units"]

#: the plan periods and their last year
PERIOD_END = {"十四五": 2025, "十五五": 2030}

_CHAPTER = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)](.+?行動|.+?行动)[。.]?$")
_TOP = re.compile(r"^[一二三四五六七八九十]+、(.+)$")
_TASK = re.compile(r"^(\d+)[.．、](.*)$")
_UNITS = re.compile(r"^[（(](?:责任单位|責任單位)[:：](.+)[）)]$")
_YEAR = re.compile(r"(\d{4})\s*年")
_CLAUSE = re.compile(r"[^。；;]+")
_ACTIONS = ("重点任务", "重點任務")


@dataclass(frozen=True)
class Milestone:
    """A dated clause of a task: the text and its deadline year (None: every year)."""

    text: str
    deadline_year: int | None
    yearly: bool = False


@dataclass(frozen=True)
class TaskSpec:
    """One measure of a plan."""

    code: str
    chapter: str
    number: int
    title: str
    quote: str
    lead: str = ""
    supporting: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = field(default_factory=tuple)

    @property
    def section(self) -> str:
        """``（一）建筑领域碳达峰行动 / 1``: the targets' section key."""
        return f"{self.chapter} / {self.number}"


def split_units(text: str) -> tuple[str, tuple[str, ...]]:
    """The lead unit and the supporting units of a ``责任单位`` list.

    >>> split_units("区建管委、区规划资源局，各街道")
    ('区建管委', ('区规划资源局', '各街道'))
    >>> split_units("区金融办牵头，相关部门按职责分工负责")
    ('区金融办', ('相关部门',))
    """
    parts = [p.strip() for p in re.split(r"[、，,]", text) if p.strip()]
    clean = []
    for p in parts:
        p = re.sub(r"(牵头|配合|按照?职责分工负责|按职责分工负责)$", "", p).strip()
        if p and p not in clean:
            clean.append(p)
    if not clean:
        return "", ()
    return clean[0], tuple(clean[1:])


def _milestones(text: str) -> tuple[Milestone, ...]:
    out: list[Milestone] = []
    for m in _CLAUSE.finditer(text):
        clause = m.group(0).strip(" ，,")
        years = [int(y) for y in _YEAR.findall(clause) if 2020 < int(y) <= 2060]
        periods = [PERIOD_END[p] for p in PERIOD_END if p in clause]
        if "每年" in clause and re.search(r"\d", clause):
            out.append(Milestone(clause, None, yearly=True))
        elif years or periods:
            out.append(Milestone(clause, max(years + periods)))
    return tuple(out)


def parse_plan_tasks(text: str, *, prefix: str) -> list[TaskSpec]:
    """The tasks of a plan's text (codes ``{prefix}-T01`` …, in the order of the plan)."""
    lines = [ln.strip() for ln in text.splitlines()]
    in_actions = False
    chapter = ""
    current: dict[str, object] | None = None
    found: list[dict[str, object]] = []
    for ln in lines:
        if not ln:
            continue
        top = _TOP.match(ln)
        if top:
            in_actions = top.group(1).strip() in _ACTIONS
            current = None
            continue
        if not in_actions:
            continue
        ch = _CHAPTER.match(ln)
        if ch:
            chapter = f"（{ch.group(1)}）{ch.group(2)}"
            current = None
            continue
        units = _UNITS.match(ln)
        if units and current is not None:
            current["units"] = units.group(1)
            continue
        task = _TASK.match(ln)
        if task and chapter:
            current = {"chapter": chapter, "number": int(task.group(1)),
                       "quote": ln, "units": ""}
            found.append(current)
            continue
        if current is not None and "units" in current and not current["units"]:
            current["quote"] = f"{current['quote']}{ln}"  # a wrapped line
    out = []
    for i, f in enumerate(found, start=1):
        quote = str(f["quote"])
        body = _TASK.match(quote)
        rest = body.group(2) if body else quote
        title = re.split(r"[。.]", rest, maxsplit=1)[0]
        lead, supporting = split_units(str(f["units"]))
        out.append(TaskSpec(code=f"{prefix}-T{i:02d}", chapter=str(f["chapter"]),
                            number=int(str(f["number"])), title=title, quote=quote, lead=lead,
                            supporting=supporting, milestones=_milestones(rest)))
    return out
