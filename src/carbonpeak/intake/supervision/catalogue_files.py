"""The shipped task catalogues and organisation lists (``reference/supervision/``), and the
builder that makes a catalogue from a plan's text.

中文：任务清单与责任单位名录（随软件发布）及其由方案原文生成的方法。

``python -m carbonpeak.intake.supervision.catalogue_files huangpu SEED.txt`` rebuilds
``reference/supervision/huangpu_tasks.json`` from the plan's text and the shipped targets
(``reference/targets/huangpu.csv``): a target is linked to the task whose chapter and number
its ``section`` names (``（一）建筑领域碳达峰行动 / 2`` → task 2 of chapter 一).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from carbonpeak.domain.supervision.tasks import TaskSpec, parse_plan_tasks
from carbonpeak.errors import NotFoundError
from carbonpeak.reference import reference_dir

__all__ = ["build_catalogue", "read_organisations", "read_task_catalogue", "section_key"]

PREFIX = {"huangpu": "HP", "tianhe": "TH"}
_KEY = re.compile(r"[（(]([一二三四五六七八九十]+)[）)][^/]*/\s*(\d+)\s*$")


def section_key(section: str) -> tuple[str, int] | None:
    """``（一）…行动 / 2`` → ``('一', 2)``; None for a section that names no numbered measure."""
    m = _KEY.search(section.strip())
    return (m.group(1), int(m.group(2))) if m else None


def build_catalogue(profile: str, text: str,
                    targets: list[dict[str, str]]) -> dict[str, Any]:
    """The catalogue of ``profile`` from its plan's ``text`` and its targets' rows."""
    tasks = parse_plan_tasks(text, prefix=PREFIX.get(profile, profile.upper()[:2]))
    by_key: dict[tuple[str, int], list[str]] = {}
    for t in targets:
        key = section_key(t.get("section", ""))
        if key is not None:
            by_key.setdefault(key, []).append(t["id"])
    out = []
    for task in tasks:
        key = section_key(task.section)
        row = _row(task)
        row["targets"] = by_key.get(key, []) if key else []
        out.append(row)
    return {"profile": profile, "source": f"{profile} 碳达峰实施方案 二、重点任务",
            "tasks": out}


def _row(task: TaskSpec) -> dict[str, Any]:
    row = asdict(task)
    row["section"] = task.section
    row["supporting"] = list(task.supporting)
    row["milestones"] = [asdict(m) for m in task.milestones]
    return row


def _path(profile: str, kind: str) -> Path:
    return reference_dir() / "supervision" / f"{profile}_{kind}"


def read_task_catalogue(profile: str) -> dict[str, Any]:
    """The shipped catalogue of ``profile`` (``{"profile", "source", "tasks": [...]}``)."""
    path = _path(profile, "tasks.json")
    if not path.is_file():
        msg = f"no task catalogue for {profile!r}"
        raise NotFoundError(msg)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_organisations(profile: str) -> list[dict[str, str]]:
    """The shipped organisation list of ``profile`` (code, names, kind, source, status)."""
    path = _path(profile, "organisations.csv")
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: list[str]) -> None:  # pragma: no cover - a maintainer's tool
    """Rebuild a profile's catalogue: ``PROFILE SEED.txt``."""
    profile, seed = argv[0], Path(argv[1])
    with (reference_dir() / "targets" / f"{profile}.csv").open(encoding="utf-8") as fh:
        targets = list(csv.DictReader(fh))
    cat = build_catalogue(profile, seed.read_text(encoding="utf-8"), targets)
    _path(profile, "tasks.json").write_text(
        json.dumps(cat, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"{profile}: {len(cat['tasks'])} tasks\n")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
