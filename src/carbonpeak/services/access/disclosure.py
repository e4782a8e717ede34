"""Disclosure control (统计披露控制): what a role without district-wide sight may see of
aggregates that include entities outside its scope.

中文：小单元抑制——街道、单位角色看到的汇总数中，若本范围以外的贡献单位少于 N 个（默认 3 个），
该数不予显示（为保护单位信息），并做补充抑制，使被抑制的数无法由其他可见数相减得到。

The rule (docs/security.md, "Small cells"):

* a cell of an aggregate (a carrier, a month, a sector, a year of the district's account…)
  whose contributors *outside the viewer's scope* number at least 1 and fewer than ``N`` is
  suppressed for that viewer: its value becomes ``None`` and the cell carries the reason
  :data:`SUPPRESSED` (primary suppression);
* when a row of cells adds up to a total the viewer sees, the suppressed cells together are
  the total minus the cells shown: so cells are suppressed until the suppressed ones have at
  least ``N`` foreign contributors *together* (counted once each: two cells of the same single
  enterprise are one contributor, not two), adding the next-smallest cell with foreign
  contributors each time, or the total when there is none (secondary suppression);
* contributors are counted by **respondent**: an entity's top-level parent (an enterprise with
  buildings in several streets is one contributor, however many of its buildings are foreign;
  :func:`respondents`);
* ``N`` is the district profile's ``disclosure_min_entities`` (platform default
  :data:`DEFAULT_MIN_ENTITIES`, status ``platform_default``: no statistical law fixes it for
  district energy accounts; statistical agencies use thresholds of 3 or more);
* district admins and analysts see everything unsuppressed.

Ranks and percentiles (:func:`percentile_disclosed`): a floor-area-weighted percentile is the
area of the buildings below over the type's area; a viewer who knows its own buildings' areas
could solve for the area of a run of foreign buildings between two of its own. The percentiles
of a viewer's buildings in a type are shown only when every run of foreign buildings that the
viewer's own ones delimit (below the lowest, between two, above the highest) is empty or has at
least ``N`` buildings. A median of foreign figures is one entity's figure (or the mean of two)
and is never shown to a restricted viewer.

Pure rules: the callers count contributors from the account and apply these to their frames,
so the JSON answer and its csv/xlsx export read the same suppressed rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from carbonpeak.services.access.scope import AccessScope
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.registry.repositories import access as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["DEFAULT_MIN_ENTITIES", "MIN_ENTITIES_SOURCE", "SUPPRESSED", "Cell",
           "contributors_by", "counts_by", "entity_respondents", "min_entities",
           "percentile_disclosed", "respondents",
           "small", "suppress_row"]

#: the platform default of ``N`` (profile ``disclosure_min_entities``)
DEFAULT_MIN_ENTITIES = 3
#: where N comes from when the profile does not set it (its status)
MIN_ENTITIES_SOURCE = "platform_default"
#: the reason code a suppressed cell carries (a message code of the catalogue)
SUPPRESSED = "disclosure.suppressed.small_cell"


def min_entities(d: District | None) -> int:
    """``N`` of the district: its profile's ``disclosure_min_entities`` (at least 2), else
    :data:`DEFAULT_MIN_ENTITIES`."""
    raw = (d.profile or {}).get("disclosure_min_entities") if d is not None else None
    try:
        n = int(raw) if raw is not None else DEFAULT_MIN_ENTITIES
    except (TypeError, ValueError):
        n = DEFAULT_MIN_ENTITIES
    return max(n, 2)


def small(foreign: int, n: int) -> bool:
    """Whether a cell with ``foreign`` contributors outside the viewer's scope is a small
    cell (at least one, fewer than ``n``)."""
    return 0 < foreign < n


@dataclass
class Cell:
    """One cell of a row of an aggregate: its value and its contributors outside the
    viewer's scope (their number, and who they are when known: ``contributors``)."""

    key: Hashable
    value: float | None
    foreign: int
    suppressed: bool = False
    contributors: frozenset[Hashable] | None = None


def _small_together(hidden: Sequence[Cell], n: int) -> bool:
    """Whether the suppressed cells together (the total minus the cells shown) have fewer
    than ``n`` foreign contributors: one cell is always small (it was suppressed for it);
    several count their contributors once each when known, else by their numbers (an upper
    bound of the distinct ones)."""
    if len(hidden) <= 1:
        return bool(hidden)
    if all(c.contributors is not None for c in hidden):
        together = frozenset().union(*(c.contributors or frozenset() for c in hidden))
        return small(len(together), n)
    return small(sum(c.foreign for c in hidden), n)


def suppress_row(cells: Sequence[Cell], n: int, *, total_shown: bool = True) -> bool:
    """Suppress the small cells of a row in place (primary), and enough others that none can
    be recovered from the row's total (secondary): while the suppressed cells together have
    1..n-1 foreign contributors and the row's total is shown, the next-smallest cell with
    foreign contributors is suppressed too; when there is none left, the total must go
    (returns True: suppress the total)."""
    for c in cells:
        if small(c.foreign, n):
            c.suppressed = True
    hidden = [c for c in cells if c.suppressed]
    if not total_shown:
        return False
    while _small_together(hidden, n):
        others = sorted((c for c in cells if not c.suppressed and c.foreign > 0),
                        key=lambda c: abs(c.value or 0.0))
        if not others:
            return True
        others[0].suppressed = True
        hidden.append(others[0])
    return False


def percentile_disclosed(order: Iterable[str], own: set[str], n: int,
                         respondent: Mapping[str, str] | None = None) -> bool:
    """Whether the area percentiles of the viewer's buildings in one type may be shown:
    ``order`` is the type's buildings with a figure, lowest first; every run of foreign
    buildings delimited by the viewer's own ones must be empty or have at least ``n``
    respondents (:func:`respondents`: three buildings of one enterprise are one)."""
    run: set[str] = set()
    for eid in order:
        if eid in own:
            if small(len(run), n):
                return False
            run = set()
        else:
            run.add(respondent.get(eid, eid) if respondent else eid)
    return not small(len(run), n)


def respondents(parents: Mapping[str, str | None]) -> dict[str, str]:
    """Entity id -> its respondent: the top of its parent chain (an enterprise for its
    buildings, wherever they are; an entity without a parent is its own)."""
    out: dict[str, str] = {}
    for eid in parents:
        top, seen = eid, {eid}
        while (up := parents.get(top)) and up not in seen:
            top = up
            seen.add(up)
        out[eid] = top
    return out


def entity_respondents(ws: Workspace, district_id: str) -> dict[str, str]:
    """Entity id -> its respondent (:func:`respondents`) in the district."""
    with ws.registry.session() as s:
        parents = {str(e): (str(p) if p else None)
                   for e, p in repo.entity_parents(s, district_id)}
    return respondents(parents)


def contributors_by(pairs: Iterable[tuple[Hashable, str]], scope: AccessScope,
                    respondent: Mapping[str, str] | None = None
                    ) -> Mapping[Hashable, frozenset[str]]:
    """The respondents (:func:`respondents`; the entity itself without a map) of the entities
    outside ``scope`` per key, from (key, entity) pairs."""
    seen: dict[Hashable, set[str]] = {}
    for key, eid in pairs:
        if not scope.sees_entity(eid):
            seen.setdefault(key, set()).add(respondent.get(eid, eid) if respondent else eid)
    return {k: frozenset(v) for k, v in seen.items()}


def counts_by(pairs: Iterable[tuple[Hashable, str]], scope: AccessScope,
              respondent: Mapping[str, str] | None = None) -> Mapping[Hashable, int]:
    """The number of distinct respondents outside ``scope`` per key, from (key, entity)
    pairs (distinct entities without a ``respondent`` map)."""
    return {k: len(v) for k, v in contributors_by(pairs, scope, respondent).items()}
