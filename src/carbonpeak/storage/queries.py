"""Reads of the registry for the API and the CLI, so that neither writes SQL itself: the ingest
batches, the streets' names, a form's entities, the factor sets and the account runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    AccountRun,
    AuditLog,
    Entity,
    FactorSetRecord,
    IngestBatch,
    Meter,
    Street,
    User,
)
from carbonpeak.storage.workspace import Workspace

__all__ = [
    "account_runs",
    "audit_log_page",
    "batch_page",
    "district_streets",
    "factor_set_ids",
    "factor_set_page",
    "factor_set_version",
    "find_entity",
    "find_factor_set",
    "find_meter",
    "find_street",
    "first_top_entity",
    "meter_page",
    "recent_batches",
    "street_count",
    "street_english_names",
    "street_page",
    "template_scope",
    "user_in_district",
]


def batch_page(ws: Workspace, district_id: str, *, actor: str | None = None,
               kind: str | None = None, limit: int,
               offset: int) -> tuple[int, list[IngestBatch]]:
    """The district's ingest batches (only ``actor``'s when given; only of ``kind`` when
    given), newest first: how many there are, and those of the page ``offset`` … ``offset +
    limit``."""
    q = select(IngestBatch).where(IngestBatch.district_id == district_id)
    if actor is not None:
        q = q.where(IngestBatch.actor == actor)
    if kind:
        q = q.where(IngestBatch.kind == kind)
    with ws.registry.session() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = list(s.scalars(q.order_by(IngestBatch.id.desc()).offset(offset).limit(limit)))
        s.expunge_all()
    return int(total), rows


def street_english_names(ws: Workspace, district_id: str) -> dict[str, str]:
    """The English name of each street of the district, by its Chinese name and by its code."""
    names: dict[str, str] = {}
    with ws.registry.session() as s:
        for code, zh, en in s.execute(select(Street.code, Street.name_zh, Street.name_en)
                                      .where(Street.district_id == district_id)):
            names[zh] = names[code] = en
    return names


def recent_batches(ws: Workspace, limit: int) -> list[IngestBatch]:
    """The newest ``limit`` ingest batches of every district, newest first."""
    with ws.registry.session() as s:
        rows = list(s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc()).limit(limit)))
        s.expunge_all()
    return rows


def template_scope(ws: Workspace, district_id: str) -> tuple[
        list[str], list[tuple[str, str, str | None, str | None]]]:
    """What a district's input form lists: its streets' Chinese names, and its entities as
    ``(id, name, parent id, street's Chinese name)``, both in id order."""
    with ws.registry.session() as s:
        streets = list(s.scalars(select(Street.name_zh).where(
            Street.district_id == district_id).order_by(Street.id)))
        rows = s.execute(select(Entity.id, Entity.name, Entity.parent_id, Street.name_zh)
                         .outerjoin(Street, Street.id == Entity.street_id)
                         .where(Entity.district_id == district_id).order_by(Entity.id)).all()
    return streets, [(r[0], r[1], r[2], r[3]) for r in rows]


def factor_set_ids(s: Session) -> list[str]:
    """The ids of the loaded factor sets, in order."""
    return list(s.scalars(select(FactorSetRecord.set_id).distinct().order_by(
        FactorSetRecord.set_id)))


def factor_set_version(s: Session, set_id: str, version: int) -> FactorSetRecord | None:
    """Version ``version`` of factor set ``set_id`` (None when there is no such version)."""
    return s.scalars(select(FactorSetRecord).where(
        FactorSetRecord.set_id == set_id, FactorSetRecord.version == version)).first()


def account_runs(ws: Workspace) -> list[tuple[AccountRun, FactorSetRecord | None]]:
    """Every account run, in order, with the factor set version it used."""
    with ws.registry.session() as s:
        out = [(r, s.get(FactorSetRecord, r.factor_set_pk))
               for r in s.scalars(select(AccountRun).order_by(AccountRun.id))]
        s.expunge_all()
    return out


def street_count(s: Session, district_id: str) -> int:
    """How many streets the district has."""
    return int(s.scalar(select(func.count()).select_from(Street).where(
        Street.district_id == district_id)) or 0)


def factor_set_page(s: Session, *, limit: int,
                    offset: int) -> tuple[int, list[FactorSetRecord]]:
    """Every loaded factor set version, by set and version: how many there are, and those of
    the page ``offset`` … ``offset + limit`` (their rows load in the session ``s``)."""
    total = int(s.scalar(select(func.count()).select_from(FactorSetRecord)) or 0)
    return total, list(s.scalars(
        select(FactorSetRecord).order_by(FactorSetRecord.set_id, FactorSetRecord.version)
        .offset(offset).limit(limit)))


def find_factor_set(s: Session, set_id: str, version: int | None = None
                    ) -> FactorSetRecord | None:
    """Version ``version`` of factor set ``set_id``, the newest without one; None when there is
    no such set or version."""
    q = select(FactorSetRecord).where(FactorSetRecord.set_id == set_id)
    if version is not None:
        q = q.where(FactorSetRecord.version == version)
    return s.scalars(q.order_by(FactorSetRecord.version.desc())).first()


# -- reads within a role's scope: ``visible`` is the access scope's condition ------------------
def street_page(ws: Workspace, visible: ColumnElement[bool], *, limit: int,
                offset: int) -> tuple[int, list[Street]]:
    """The visible streets by id: how many there are, and those of the page."""
    with ws.registry.session() as s:
        total = int(s.scalar(select(func.count()).select_from(Street).where(visible)) or 0)
        rows = list(s.scalars(select(Street).where(visible).order_by(
            Street.id).offset(offset).limit(limit)))
        s.expunge_all()
    return total, rows


def find_street(ws: Workspace, visible: ColumnElement[bool], street_id: int) -> Street | None:
    """Street ``street_id`` if it is visible, else None (a guessed id is not told apart)."""
    with ws.registry.session() as s:
        st = s.scalars(select(Street).where(visible, Street.id == street_id)).first()
        s.expunge_all()
    return st


def find_entity(ws: Workspace, visible: ColumnElement[bool], entity_id: str
                ) -> tuple[Entity, Street | None, list[Meter]] | None:
    """Entity ``entity_id`` with its street and its meters (by id) if it is visible, else
    None."""
    with ws.registry.session() as s:
        e = s.scalars(select(Entity).where(visible, Entity.id == entity_id)).first()
        if e is None:
            return None
        st = s.get(Street, e.street_id) if e.street_id is not None else None
        meters = list(s.scalars(select(Meter).where(Meter.entity_id == e.id).order_by(Meter.id)))
        s.expunge_all()
    return e, st, meters


def _meters(visible: ColumnElement[bool]) -> Select[Meter]:
    """The meters of the visible entities."""
    return select(Meter).join(Entity, Entity.id == Meter.entity_id).where(visible)


def meter_page(ws: Workspace, visible: ColumnElement[bool], *, entity_id: str | None = None,
               carrier: str | None = None, limit: int,
               offset: int) -> tuple[int, list[Meter]]:
    """The meters of the visible entities (of ``entity_id``, of ``carrier`` when given), by
    id: how many there are, and those of the page."""
    q = _meters(visible)
    if entity_id is not None:
        q = q.where(Meter.entity_id == entity_id)
    if carrier is not None:
        q = q.where(Meter.carrier == carrier)
    with ws.registry.session() as s:
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = list(s.scalars(q.order_by(Meter.id).offset(offset).limit(limit)))
        s.expunge_all()
    return total, rows


def find_meter(ws: Workspace, visible: ColumnElement[bool], meter_id: str) -> Meter | None:
    """Meter ``meter_id`` if its entity is visible, else None."""
    with ws.registry.session() as s:
        m = s.scalars(_meters(visible).where(Meter.id == meter_id)).first()
        s.expunge_all()
    return m


def audit_log_page(ws: Workspace, district_id: str, *, actor: str | None = None,
                   object_type: str | None = None, object_id: str | None = None,
                   action: str | None = None, since: dt.datetime | None = None,
                   until: dt.datetime | None = None, limit: int,
                   offset: int) -> tuple[int, list[AuditLog]]:
    """The audit-log entries of the district and of the factor-set versions all districts
    share (only those of ``actor``, ``object_type``, ``object_id``, ``action`` when given; at
    or after ``since``, before ``until``: naive UTC), newest first: how many there are, and
    those of the page."""
    where: list[ColumnElement[bool]] = [
        (AuditLog.district_id == district_id)
        | (AuditLog.district_id.is_(None) & (AuditLog.object_type == "factor_set"))]
    if actor is not None:
        where.append(AuditLog.actor == actor)
    if object_type is not None:
        where.append(AuditLog.object_type == object_type)
    if object_id is not None:
        where.append(AuditLog.object_id == object_id)
    if action is not None:
        where.append(AuditLog.action == action)
    if since is not None:
        where.append(AuditLog.at >= since)
    if until is not None:
        where.append(AuditLog.at < until)
    with ws.registry.session() as s:
        total = int(s.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0)
        rows = list(s.scalars(select(AuditLog).where(*where).order_by(
            AuditLog.id.desc()).offset(offset).limit(limit)))
        s.expunge_all()
    return total, rows


def user_in_district(ws: Workspace, username: str, district_id: str) -> User | None:
    """User ``username`` if it belongs to the district, else None."""
    with ws.registry.session() as s:
        u = s.scalars(select(User).where(User.username == username,
                                         User.district_id == district_id)).first()
        s.expunge_all()
    return u


def district_streets(ws: Workspace, district_id: str) -> list[Street]:
    """The district's streets, by id."""
    with ws.registry.session() as s:
        rows = list(s.scalars(select(Street).where(Street.district_id == district_id)
                              .order_by(Street.id)))
        s.expunge_all()
    return rows


def first_top_entity(ws: Workspace, district_id: str, street_id: int | None) -> str | None:
    """The id of the street's first top-level entity, key units first (None without one)."""
    with ws.registry.session() as s:
        return s.scalars(select(Entity.id).where(
            Entity.district_id == district_id, Entity.street_id == street_id,
            Entity.parent_id.is_(None)).order_by(
            Entity.is_key_unit.desc(), Entity.id)).first()

