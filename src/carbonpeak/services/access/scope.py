"""What a principal may read (the access scope, not an emission scope): the role's scope,
applied in the queries of every reader.

中文：数据范围——按角色在查询中限定可见数据。

* ``district_admin`` / ``district_analyst``: everything of their district;
* ``street_officer``: their street, the entities in it, and district-wide figures;
* ``entity_manager`` / ``data_feeder``: their entities (an enterprise's buildings included);
* ``aggregator``: no entity, but the demand-response resources it aggregates
  (:meth:`AccessScope.dr_resource_condition`: ``dr_resources.aggregator`` = its org code).

Readers filter with :meth:`AccessScope.entity_condition` /
:meth:`AccessScope.street_condition` in SQL, a frame of entities with :meth:`AccessScope.rows`
(the one frame filter), or one id with :meth:`AccessScope.sees_entity`;
an object outside the scope is reported exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carbonpeak.storage.principals import Principal, writable_entities
from carbonpeak.storage.registry.models import Street
from carbonpeak.storage.registry.repositories import access as repo
from carbonpeak.storage.registry.repositories.access import Condition
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import ANALYST_ROLES, ENTITY_ROLES, Role

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ANALYST_ROLES", "ENTITY_ROLES", "AccessScope", "scope_of"]


@dataclass(frozen=True)
class AccessScope:
    """What a principal may read beyond the district-wide plan."""

    district_id: str
    everything: bool
    street_id: int | None = None
    street_code: str | None = None
    entities: frozenset[str] = frozenset()
    #: an aggregator's organisation (负荷聚合商): the demand-response resources it sees
    aggregator: str | None = None

    @property
    def kind(self) -> str:
        """``district``, ``street`` or ``entities``."""
        if self.everything:
            return "district"
        return "street" if self.street_id is not None else "entities"

    def sees(self, scope_type: str, scope_id: str, *, district: bool) -> bool:
        """Whether an object of ``scope_type``/``scope_id`` is visible (``district``: whether
        district-scope objects of this kind are visible to every role)."""
        if self.everything:
            return True
        if scope_type == "district":
            return district
        if scope_type == "street":
            return self.street_code is not None and scope_id == self.street_code
        return scope_id in self.entities

    def sees_entity(self, entity_id: str) -> bool:
        """Whether the entity is in scope."""
        return self.everything or entity_id in self.entities

    def rows(self, df: pd.DataFrame, entity: str | None = None) -> pd.DataFrame:
        """The rows of a frame of entities this scope may read: all for analysts; a street
        officer's by the frame's ``street_id`` column where it has one; otherwise those whose
        entity (the column ``entity``, or the index) is in scope."""
        if self.everything:
            return df
        if self.street_id is not None and "street_id" in df.columns:
            return df[df["street_id"] == self.street_id]
        ids = df.index if entity is None else df[entity]
        return df[ids.isin(sorted(self.entities))]

    def sees_street(self, street_id: int | None) -> bool:
        """Whether the street (its figures, its polygon) is in scope."""
        return self.everything or (street_id is not None and street_id == self.street_id)

    def entity_condition(self) -> Condition:
        """SQL condition on :class:`Entity` rows (their district included)."""
        return repo.entity_condition(self.district_id, self.everything, self.street_id,
                                     self.entities)

    def street_condition(self) -> Condition:
        """SQL condition on :class:`Street` rows: all of the district for analysts, the
        officer's own street, and for entity roles the streets their entities are in."""
        return repo.street_condition(self.district_id, self.everything, self.street_id,
                                     self.entities)

    def warning_condition(self) -> Condition:
        """SQL condition on :class:`EarlyWarning` rows: a street officer sees its street's
        and its entities' warnings, entity roles their entities'."""
        return repo.warning_condition(self.district_id, self.everything, self.street_id,
                                      self.entities)

    def dr_resource_condition(self) -> Condition:
        """SQL condition on :class:`DrResource` rows: analysts all of the district, an
        aggregator its own resources, entity roles and street officers their entities'."""
        return repo.dr_resource_condition(self.district_id, self.everything, self.aggregator,
                                          self.entities)

    def key(self) -> str:
        """A short key of the scope (for caches)."""
        if self.everything:
            return f"{self.district_id}:*"
        if self.street_id is not None:
            return f"{self.district_id}:s{self.street_id}"
        if self.aggregator is not None:
            return f"{self.district_id}:a{self.aggregator}"
        return f"{self.district_id}:e" + ",".join(sorted(self.entities))


def scope_of(ws: Workspace, p: Principal) -> AccessScope:
    """The scope of a principal (one small query for street officers and entity roles)."""
    if p.role in ANALYST_ROLES:
        return AccessScope(p.district_id, everything=True)
    if p.role == Role.STREET_OFFICER:
        if p.street_id is None:
            return AccessScope(p.district_id, everything=False)
        with ws.registry.session() as s:
            st = s.get(Street, p.street_id)
            code = st.code if st is not None and st.district_id == p.district_id else None
            ents = frozenset(str(e) for e in repo.entity_ids_of_street(s, p.district_id,
                                                                       p.street_id))
        return AccessScope(p.district_id, everything=False, street_id=p.street_id,
                     street_code=code, entities=ents)
    if p.role in ENTITY_ROLES:
        return AccessScope(p.district_id, everything=False,
                     entities=frozenset(writable_entities(ws, p)))
    if p.role == Role.AGGREGATOR and p.org_code:
        return AccessScope(p.district_id, everything=False, aggregator=p.org_code)
    return AccessScope(p.district_id, everything=False)
