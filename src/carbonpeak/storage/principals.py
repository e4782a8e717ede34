"""Who is acting (the principal) and which entities it may write.

中文：操作主体及其可写入的用能主体。

The value object every layer passes around, and the one query that expands a principal's
entities to the buildings of its enterprises. Roles and their read scope are decided in
:mod:`carbonpeak.services.access.scope`; this module stays below the intake layer so that the
feeds can check a writer without importing the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from carbonpeak.errors import AccessDenied
from carbonpeak.storage.registry.models import Entity
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import WRITER_ROLES, Role

__all__ = ["WRITER_ROLES", "Principal", "require_writer", "writable_entities"]


@dataclass(frozen=True)
class Principal:
    """Who is acting, and what they may see and write."""

    user_id: int
    username: str
    role: str
    district_id: str
    street_id: int | None = None
    entity_ids: frozenset[str] = field(default_factory=frozenset)
    #: the department, aggregator or developer a role of ``ORG_ROLES`` acts for
    org_code: str | None = None
    #: the city a city analyst reads (``users.city_id``)
    city_id: str | None = None

    @property
    def actor(self) -> str:
        """The name recorded in the audit log and on batches."""
        return f"user:{self.username}"

    def may_write_entity(self, entity_id: str) -> bool:
        """Whether this principal may push data for ``entity_id`` (of its district)."""
        if self.role == Role.DISTRICT_ADMIN:
            return True
        return self.role in WRITER_ROLES and entity_id in self.entity_ids


def require_writer(p: Principal) -> None:
    """Refuse a principal whose role never writes data."""
    if p.role not in WRITER_ROLES:
        msg = f"role {p.role} cannot send data"
        raise AccessDenied(msg)


def writable_entities(ws: Workspace, p: Principal) -> set[str]:
    """Entities ``p`` may push data for: its own and, for an enterprise, its buildings."""
    with ws.registry.session() as s:
        pairs = [(str(r[0]), r[1]) for r in s.execute(
            select(Entity.id, Entity.parent_id).where(Entity.district_id == p.district_id))]
    if p.role == Role.DISTRICT_ADMIN:
        return {e for e, _ in pairs}
    allowed = set(p.entity_ids)
    grew = True
    while grew:
        more = {e for e, parent in pairs if parent in allowed and e not in allowed}
        allowed |= more
        grew = bool(more)
    return allowed
