"""Reads of the registry that the API and the CLI share, so that neither writes SQL itself:
the ingest batches a caller may see, and the streets' English names."""

from __future__ import annotations

from sqlalchemy import func, select

from carbonpeak.storage.registry.models import IngestBatch, Street
from carbonpeak.storage.workspace import Workspace

__all__ = ["batch_page", "street_english_names"]


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
