"""A carbonpeak home: its registry, its lake and who is acting; the audit log entry.

Setting a home up (migrations, shipped factor sets, quota tables, districts) is
:mod:`carbonpeak.intake.bootstrap`.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbonpeak.config import Settings
from carbonpeak.errors import ConfigError, NotFoundError
from carbonpeak.storage.lake.objects import LakeObjects, S3Options
from carbonpeak.storage.lake.store import Lake
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.registry.models import (
    AuditLog,
    District,
    FactorSetRecord,
)

__all__ = ["Workspace", "audit", "latest_factor_set"]


@dataclass
class Workspace:
    """Registry + lake of one ``$CARBONPEAK_HOME``, and the actor recorded in the audit log."""

    settings: Settings
    registry: Registry
    lake: Lake
    actor: str

    @classmethod
    def open(cls, settings: Settings, *, actor: str | None = None,
             check: bool = True) -> Workspace:
        """Open the home; with ``check`` refuse a registry that is not migrated to head."""
        settings.home.mkdir(parents=True, exist_ok=True)
        registry = Registry(settings.url)
        if check:
            registry.check_current()
        objects = None
        if settings.lake_url:
            objects = LakeObjects(settings.lake_url, S3Options(
                endpoint=settings.s3_endpoint, region=settings.s3_region))
        lake = Lake(settings.lake_dir, registry, objects,
                    memory_limit=settings.duckdb_memory_limit,
                    temp_directory=settings.duckdb_temp_directory)
        return cls(settings, registry, lake, actor or f"cli:{getpass.getuser()}")

    def district(self, code: str | None = None) -> District:
        """The district ``code``, or the only one when ``code`` is None."""
        with self.registry.session() as s:
            if code is not None:
                d = s.get(District, code)
                if d is None:
                    msg = f"no district {code!r}; known: {', '.join(_codes(s)) or 'none'}"
                    raise NotFoundError(msg)
                return d
            districts = list(s.scalars(select(District).order_by(District.id)))
        if not districts:
            msg = "no district yet: run `carbonpeak init --profile huangpu` (or tianhe, or a .toml)"
            raise ConfigError(msg)
        if len(districts) > 1:
            msg = f"several districts ({', '.join(d.id for d in districts)}): pass --district"
            raise ConfigError(msg)
        return districts[0]

    def close(self) -> None:
        """Release database connections."""
        self.registry.dispose()


def _codes(s: Session) -> list[str]:
    return list(s.scalars(select(District.id).order_by(District.id)))


def audit(s: Session, actor: str, action: str, object_type: str, object_id: str,
          details: dict[str, Any] | None = None, *, district: str | None) -> None:
    """Append an audit-log entry in the caller's transaction.

    ``district`` is the district the change belongs to (``None`` only for what all districts
    share, such as a factor-set version); the audit log is read per district.
    """
    s.add(AuditLog(actor=actor, action=action, object_type=object_type,
                   object_id=str(object_id), details=details or {}, district_id=district))


def latest_factor_set(s: Session, set_id: str) -> FactorSetRecord:
    """Newest version of factor set ``set_id``."""
    rec = s.scalars(
        select(FactorSetRecord).where(FactorSetRecord.set_id == set_id)
        .order_by(FactorSetRecord.version.desc()).limit(1)
    ).first()
    if rec is None:
        known = s.scalars(select(FactorSetRecord.set_id).distinct().order_by(
            FactorSetRecord.set_id))
        msg = f"no factor set {set_id!r}; loaded: {', '.join(known)}"
        raise NotFoundError(msg)
    return rec
