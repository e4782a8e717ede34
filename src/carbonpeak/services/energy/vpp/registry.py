"""The VPP registry: resources, events and participants from files (idempotent, audit-logged),
and the role-scoped lists.

中文：虚拟电厂登记——可调节资源、响应事件与参与资源的导入（幂等、审计留痕）与按角色查询。

Natural keys: a resource by (district, resource_id), an event by (district, event_id), a
participation by (event, resource). Re-sending a file changes nothing; a changed field is
audit-logged with its old and new value (:func:`carbonpeak.intake.batches.audited_upsert`).
A whole file is refused when any row is bad (file, row, column and a catalogue message).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from carbonpeak.errors import ConflictError, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import Message, msg, render
from carbonpeak.intake.batches import audited_upsert
from carbonpeak.intake.energy.dr_files import (
    EventSpec,
    ParticipantSpec,
    ResourceSpec,
    read_events_file,
    read_participants_file,
    read_resources_file,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.storage.registry.models import DrEvent, DrParticipant, DrResource
from carbonpeak.storage.registry.repositories import energy as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import DrOptStatus, EnergyCarrier, MeterRegister

__all__ = ["ImportResult", "create_event", "event_of", "import_events",
           "import_participants", "import_resources", "list_events", "list_resources",
           "participants_of", "set_opt_status", "set_participant"]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, added, updated, unchanged, and notes."""

    kind: str
    file: str
    rows_in: int
    added: int
    updated: int
    unchanged: int
    #: notes on the file (ignored columns), as catalogue messages
    messages: tuple[Message, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The :attr:`messages` in English."""
        return tuple(render(m, "en") for m in self.messages)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for ``--json``."""
        return {"kind": self.kind, "file": self.file, "rows_in": self.rows_in,
                "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "notes": list(self.notes)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def _tally(outcomes: Sequence[str], kind: str, file: str,
           notes: Sequence[Message]) -> ImportResult:
    return ImportResult(kind, file, len(outcomes), outcomes.count("added"),
                        outcomes.count("updated"), outcomes.count("unchanged"), tuple(notes))


def _check_resources(s: Session, district_id: str, specs: Sequence[ResourceSpec],
                     file: str) -> list[RowError]:
    ents = {e.id: e for e in repo.entities_by_ids(s, sorted({r.entity_id for r in specs}))}
    meter_ids = sorted({r.meter_id for r in specs if r.meter_id})
    meters = {m.id: m for m in repo.meters_by_ids(s, meter_ids)}
    errors: list[RowError] = []
    for r in specs:
        e = ents.get(r.entity_id)
        if e is None or e.district_id != district_id:
            errors.append(RowError(file, r.line, "entity_id", r.entity_id,
                                   msg("vpp.intake.unknown_entity", district=district_id)))
        if r.meter_id:
            m = meters.get(r.meter_id)
            if m is None or m.entity_id != r.entity_id:
                errors.append(RowError(file, r.line, "meter_id", r.meter_id,
                                       msg("vpp.intake.meter_not_of_entity",
                                           entity=r.entity_id)))
            elif m.carrier != EnergyCarrier.ELECTRICITY or m.register != MeterRegister.INTERVAL:
                errors.append(RowError(file, r.line, "meter_id", r.meter_id,
                                       msg("vpp.intake.meter_not_interval")))
    return errors


def import_resources(ws: Workspace, path: Path, *, district: str | None = None) -> ImportResult:
    """Import a resource list; upsert by (district, resource_id), audit-logged.

    Raises
    ------
    InputValidationError
        Every bad cell, an entity or meter not of the district; nothing was stored.
    """
    d = ws.district(district)
    specs, notes = read_resources_file(path)
    outcomes: list[str] = []
    with ws.registry.session() as s:
        errors = _check_resources(s, d.id, specs, path.name)
        if errors:
            raise InputValidationError(errors)
        have = {r.resource_id: r for r in repo.dr_resources_of_district(s, d.id)}
        for spec in specs:
            values = spec.values()
            outcomes.append(audited_upsert(
                s, ws.actor, have.get(spec.resource_id), values,
                create=lambda spec=spec, values=values: DrResource(  # type: ignore[misc]
                    district_id=d.id, resource_id=spec.resource_id, created_by=ws.actor,
                    **values),
                object_type="dr_resource", key=spec.resource_id, district_id=d.id,
                context={"source": f"{path.name} line {spec.line}"}, same=_same, log=audit))
    return _tally(outcomes, "dr_resources", path.name, notes)


def import_events(ws: Workspace, path: Path, *, district: str | None = None) -> ImportResult:
    """Import events; upsert by (district, event_id), audit-logged."""
    d = ws.district(district)
    specs, notes = read_events_file(path)
    outcomes: list[str] = []
    with ws.registry.session() as s:
        have = {e.event_id: e for e in repo.dr_events_of_district(s, d.id)}
        for spec in specs:
            values = spec.values()
            outcomes.append(audited_upsert(
                s, ws.actor, have.get(spec.event_id), values,
                create=lambda spec=spec, values=values: DrEvent(  # type: ignore[misc]
                    district_id=d.id, event_id=spec.event_id, created_by=ws.actor, **values),
                object_type="dr_event", key=spec.event_id, district_id=d.id,
                context={"source": f"{path.name} line {spec.line}"}, same=_same, log=audit))
    return _tally(outcomes, "dr_events", path.name, notes)


def _participant_values(p: ParticipantSpec) -> dict[str, Any]:
    values: dict[str, Any] = {"declared_kw": p.declared_kw}
    if p.opt_status is not None:
        values["opt_status"] = p.opt_status
    return values


def import_participants(ws: Workspace, path: Path, *,
                        district: str | None = None) -> ImportResult:
    """Import participations; upsert by (event, resource), audit-logged. The event and the
    resource must exist in the district."""
    d = ws.district(district)
    specs, notes = read_participants_file(path)
    outcomes: list[str] = []
    with ws.registry.session() as s:
        events = {e.event_id: e for e in repo.dr_events_of_district(s, d.id)}
        res = {r.resource_id: r for r in repo.dr_resources_of_district(s, d.id)}
        errors = [RowError(path.name, p.line, "event_id", p.event_id,
                           msg("vpp.intake.unknown_event"))
                  for p in specs if p.event_id not in events]
        errors += [RowError(path.name, p.line, "resource_id", p.resource_id,
                            msg("vpp.intake.unknown_resource"))
                   for p in specs if p.resource_id not in res]
        if errors:
            raise InputValidationError(sorted(errors, key=lambda e: (e.row or 0,
                                                                    e.column or "")))
        have = {(p.event_pk, p.resource_pk): p
                for p in repo.dr_participants_of_district(s, d.id)}
        for spec in specs:
            ev, rs = events[spec.event_id], res[spec.resource_id]
            values = _participant_values(spec)
            outcomes.append(audited_upsert(
                s, ws.actor, have.get((ev.id, rs.id)), values,
                create=lambda ev=ev, rs=rs, values=values: DrParticipant(  # type: ignore[misc]
                    district_id=d.id, event_pk=ev.id, resource_pk=rs.id,
                    created_by=ws.actor, **{"opt_status": DrOptStatus.PENDING, **values}),
                object_type="dr_participant", key=f"{spec.event_id}/{spec.resource_id}",
                district_id=d.id, context={"source": f"{path.name} line {spec.line}"},
                same=_same, log=audit))
    return _tally(outcomes, "dr_participants", path.name, notes)


# -- reads, scoped --------------------------------------------------------------------------


def _resource_row(r: DrResource) -> dict[str, Any]:
    return {"resource_id": r.resource_id, "entity_id": r.entity_id, "kind": r.kind,
            "contracted_kw": r.contracted_kw, "automated": r.automated, "ven_id": r.ven_id,
            "frequency_regulation": r.frequency_regulation, "meter_id": r.meter_id,
            "aggregator": r.aggregator}


def list_resources(ws: Workspace, scope: AccessScope) -> list[dict[str, Any]]:
    """The resources the scope sees, by id."""
    with ws.registry.session() as s:
        rows = repo.dr_resources_seen(s, scope.dr_resource_condition())
        return [_resource_row(r) for r in rows]


def _event_row(e: DrEvent) -> dict[str, Any]:
    return {"event_id": e.event_id, "programme": e.programme, "date": e.day.isoformat(),
            "start": e.start_time.strftime("%H:%M"), "end": e.end_time.strftime("%H:%M"),
            "target_kw": e.target_kw, "baseline_method": e.baseline_method}


def list_events(ws: Workspace, scope: AccessScope) -> list[dict[str, Any]]:
    """The district's events (an event is the programme's call, district-wide), newest first;
    an aggregator sees only events one of its resources takes part in."""
    with ws.registry.session() as s:
        condition = None if scope.everything else scope.dr_resource_condition()
        return [_event_row(e)
                for e in repo.dr_events_seen(s, scope.district_id, condition=condition)]


@dataclass(frozen=True)
class EventInfo:
    """An event as the calculations need it."""

    pk: int
    event_id: str
    programme: str
    day: dt.date
    start: dt.time
    end: dt.time
    target_kw: float
    baseline_method: str | None


def event_of(ws: Workspace, scope: AccessScope, event_id: str) -> EventInfo:
    """The event, if the scope sees it (an aggregator: one its resources take part in).

    Raises
    ------
    NotFoundError
        No such event in the district, or not visible: reported alike.
    """
    visible = {e["event_id"] for e in list_events(ws, scope)}
    with ws.registry.session() as s:
        e = repo.dr_event(s, scope.district_id, event_id)
        if e is None or event_id not in visible:
            text = f"event {event_id!r} not found 未找到响应事件"
            raise NotFoundError(text)
        return EventInfo(e.id, e.event_id, e.programme, e.day, e.start_time, e.end_time,
                         e.target_kw, e.baseline_method)


def participants_of(ws: Workspace, scope: AccessScope, event: EventInfo,
                    ) -> list[dict[str, Any]]:
    """The event's participants the scope sees: resource fields, declared kW, opt status."""
    with ws.registry.session() as s:
        rows = repo.participants_with_resources(s, event.pk, scope.dr_resource_condition())
        return [_resource_row(r) | {"declared_kw": p.declared_kw, "opt_status": p.opt_status}
                for p, r in rows]


# -- one at a time (the API, the page's form) ------------------------------------------------


def create_event(ws: Workspace, spec: EventSpec, *, district: str | None = None,
                 source: str = "api") -> dict[str, Any]:
    """Create one event (the API's and the page's form); audit-logged with its values.

    Raises
    ------
    ConflictError
        An event of that id exists in the district (an import changes it, not a create).
    """
    d = ws.district(district)
    values = spec.values()
    with ws.registry.session() as s:
        if repo.dr_event_pk(s, d.id, spec.event_id) is not None:
            text = f"event {spec.event_id!r} exists 响应事件已存在"
            raise ConflictError(text)
        ev = DrEvent(district_id=d.id, event_id=spec.event_id, created_by=ws.actor, **values)
        audited_upsert(s, ws.actor, None, values, create=lambda: ev, object_type="dr_event",
                       key=spec.event_id, district_id=d.id, context={"source": source},
                       same=_same, log=audit)
        s.flush()
        return _event_row(ev)


def _participant_row(s: Session, scope: AccessScope, ev: EventInfo,
                     resource_id: str) -> tuple[DrParticipant, DrResource] | None:
    return repo.participant_with_resource(s, ev.pk, resource_id,
                                          scope.dr_resource_condition())


def set_participant(ws: Workspace, scope: AccessScope, event_id: str, spec: ParticipantSpec,
                    *, source: str = "api") -> dict[str, Any]:
    """Add a resource to an event, or change its declared kW (and opt status);
    audit-logged. The event must be visible to ``scope``; the resource must be one of the
    district's (a bad ``resource_id`` is named like a bad cell).

    Raises
    ------
    NotFoundError
        The event is not there or not visible.
    InputValidationError
        No such resource in the district.
    """
    ev = event_of(ws, scope, event_id)
    with ws.registry.session() as s:
        rs = repo.dr_resource_seen(s, scope.district_id, spec.resource_id,
                                   scope.dr_resource_condition())
        if rs is None:
            raise InputValidationError([RowError(source, None, "resource_id",
                                                 spec.resource_id,
                                                 msg("vpp.intake.unknown_resource"))])
        have = repo.dr_participant(s, ev.pk, rs.id)
        values = _participant_values(spec)
        audited_upsert(
            s, ws.actor, have, values,
            create=lambda: DrParticipant(
                district_id=scope.district_id, event_pk=ev.pk, resource_pk=rs.id,
                created_by=ws.actor, **{"opt_status": DrOptStatus.PENDING, **values}),
            object_type="dr_participant", key=f"{event_id}/{spec.resource_id}",
            district_id=scope.district_id, context={"source": source}, same=_same, log=audit)
        s.flush()
        got = _participant_row(s, scope, ev, spec.resource_id)
        assert got is not None  # noqa: S101 - just written
        p, r = got
        return _resource_row(r) | {"declared_kw": p.declared_kw, "opt_status": p.opt_status}


def set_opt_status(ws: Workspace, scope: AccessScope, event_id: str, resource_id: str,
                   status: str, *, source: str = "api") -> dict[str, Any]:
    """Opt a participant in or out (an aggregator: only its own resources); audit-logged
    with the time.

    Raises
    ------
    NotFoundError
        The event, or the resource among its participants, is not there or not visible to
        ``scope``: reported alike.
    """
    ev = event_of(ws, scope, event_id)
    with ws.registry.session() as s:
        got = _participant_row(s, scope, ev, resource_id)
        if got is None:
            text = f"resource {resource_id!r} not found in event {event_id!r} 未找到该参与资源"
            raise NotFoundError(text)
        p, r = got
        audited_upsert(s, ws.actor, p, {"opt_status": status}, create=lambda: None,
                       object_type="dr_participant", key=f"{event_id}/{resource_id}",
                       district_id=scope.district_id, context={"source": source},
                       always={"opt_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
                       log=audit)
        s.flush()
        return _resource_row(r) | {"declared_kw": p.declared_kw, "opt_status": p.opt_status}
