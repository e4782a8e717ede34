"""The energy capabilities' SQL: demand-response (VPP) resources, events, participants and
peak loads; PV roofs, sites, weather hours and forecasts; the meters and entities they read.

A resource condition (``condition``) is the access scope's SQL filter on
:class:`DrResource` rows (``AccessScope.dr_resource_condition``), passed through unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    DrEvent,
    DrParticipant,
    DrPeakLoad,
    DrResource,
    Entity,
    Meter,
    PvForecast,
    PvRoof,
    PvSite,
    PvWeatherHour,
    Street,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    Condition,
    entities_by_ids,
)
from carbonpeak.storage.registry.repositories.common import (
    entity_id_set as entity_ids_of_district,
)
from carbonpeak.vocabulary import EnergyCarrier, MeterRegister

__all__ = [
    "add_weather_hours",
    "automated_dispatch_participants",
    "dr_event",
    "dr_event_days",
    "dr_event_days_before",
    "dr_event_ids_between",
    "dr_event_pk",
    "dr_events_of_district",
    "dr_events_seen",
    "dr_participant",
    "dr_participants_of_district",
    "dr_peak_load",
    "dr_resource_seen",
    "dr_resources_of_district",
    "dr_resources_of_ven",
    "dr_resources_seen",
    "entities_by_ids",
    "entity_ids_of_district",
    "entity_places",
    "main_interval_meters",
    "meters_by_ids",
    "participant_with_resource",
    "participants_with_resources",
    "pv_forecast",
    "pv_forecast_days_between",
    "pv_meter_entities",
    "pv_roofs_of_district",
    "pv_sites_of_district",
    "roof_rows",
    "site_rows",
    "weather_hours_between",
    "weather_rows",
]

AnyRow = Row[*tuple[Any, ...]]


# -- entities and meters ----------------------------------------------------------------------


def entity_places(s: Session, district_id: str) -> Sequence[AnyRow]:
    """(id, name, lat, lon, street_id) of each of the district's entities."""
    return s.execute(select(
        Entity.id, Entity.name, Entity.lat, Entity.lon, Entity.street_id).where(
        Entity.district_id == district_id)).all()


def meters_by_ids(s: Session, ids: Sequence[str]) -> list[Meter]:
    """The meters whose id is one of ``ids``."""
    return list(s.scalars(select(Meter).where(Meter.id.in_(ids))))


def main_interval_meters(s: Session, district_id: str) -> list[Meter]:
    """The district's main (no sub-meter) electricity interval meters."""
    return list(s.scalars(select(Meter).join(Entity, Entity.id == Meter.entity_id).where(
        Entity.district_id == district_id, Meter.carrier == EnergyCarrier.ELECTRICITY,
        Meter.submeter.is_(None), Meter.register == MeterRegister.INTERVAL)))


def pv_meter_entities(s: Session, district_id: str) -> dict[str, str]:
    """Meter id -> entity id of the district's PV generation meters."""
    return dict(s.execute(select(Meter.id, Meter.entity_id).join(
        Entity, Entity.id == Meter.entity_id).where(
        Entity.district_id == district_id,
        Meter.carrier == EnergyCarrier.PV_GENERATION)).all())


# -- demand response -------------------------------------------------------------------------


def dr_resources_of_district(s: Session, district_id: str) -> list[DrResource]:
    """The district's demand-response resources."""
    return list(s.scalars(select(DrResource).where(DrResource.district_id == district_id)))


def dr_events_of_district(s: Session, district_id: str) -> list[DrEvent]:
    """The district's demand-response events."""
    return list(s.scalars(select(DrEvent).where(DrEvent.district_id == district_id)))


def dr_participants_of_district(s: Session, district_id: str) -> list[DrParticipant]:
    """The district's participations (event, resource)."""
    return list(s.scalars(select(DrParticipant).where(
        DrParticipant.district_id == district_id)))


def dr_resources_seen(s: Session, condition: Condition) -> list[DrResource]:
    """The resources matching the scope's ``condition``, by resource id."""
    return list(s.scalars(select(DrResource).where(condition)
                          .order_by(DrResource.resource_id)))


def dr_events_seen(s: Session, district_id: str, *,
                   condition: Condition | None = None) -> list[DrEvent]:
    """The district's events, newest first; with ``condition``, only those a resource
    matching it takes part in."""
    q = select(DrEvent).where(DrEvent.district_id == district_id)
    if condition is not None:
        q = q.where(DrEvent.id.in_(
            select(DrParticipant.event_pk).join(
                DrResource, DrResource.id == DrParticipant.resource_pk)
            .where(condition)))
    return list(s.scalars(q.order_by(DrEvent.day.desc(), DrEvent.event_id)))


def dr_event(s: Session, district_id: str, event_id: str) -> DrEvent | None:
    """The district's event ``event_id``, or None."""
    return s.scalars(select(DrEvent).where(DrEvent.district_id == district_id,
                                           DrEvent.event_id == event_id)).first()


def dr_event_pk(s: Session, district_id: str, event_id: str) -> int | None:
    """The primary key of the district's event ``event_id``, or None."""
    return s.scalar(select(DrEvent.id).where(DrEvent.district_id == district_id,
                                             DrEvent.event_id == event_id))


def participants_with_resources(s: Session, event_pk: int,
                                condition: Condition) -> list[tuple[DrParticipant, DrResource]]:
    """The event's (participation, resource) pairs whose resource matches ``condition``, by
    resource id."""
    rows = s.execute(select(DrParticipant, DrResource).join(
        DrResource, DrResource.id == DrParticipant.resource_pk).where(
        DrParticipant.event_pk == event_pk, condition)
        .order_by(DrResource.resource_id)).all()
    return [(p, r) for p, r in rows]


def participant_with_resource(s: Session, event_pk: int, resource_id: str,
                              condition: Condition,
                              ) -> tuple[DrParticipant, DrResource] | None:
    """The event's (participation, resource) of ``resource_id`` if it matches ``condition``,
    or None."""
    got = s.execute(select(DrParticipant, DrResource).join(
        DrResource, DrResource.id == DrParticipant.resource_pk).where(
        DrParticipant.event_pk == event_pk, DrResource.resource_id == resource_id,
        condition)).first()
    return None if got is None else (got[0], got[1])


def dr_resource_seen(s: Session, district_id: str, resource_id: str,
                     condition: Condition) -> DrResource | None:
    """The district's resource ``resource_id`` if it matches ``condition``, or None."""
    return s.scalars(select(DrResource).where(DrResource.district_id == district_id,
                                              DrResource.resource_id == resource_id,
                                              condition)).first()


def dr_participant(s: Session, event_pk: int, resource_pk: int) -> DrParticipant | None:
    """The participation of resource ``resource_pk`` in event ``event_pk``, or None."""
    return s.scalars(select(DrParticipant).where(DrParticipant.event_pk == event_pk,
                                                 DrParticipant.resource_pk == resource_pk)
                     ).first()


def dr_resources_of_ven(s: Session, district_id: str, ven_id: str) -> list[DrResource]:
    """The district's automated resources of VEN ``ven_id``."""
    return list(s.scalars(select(DrResource).where(
        DrResource.district_id == district_id, DrResource.ven_id == ven_id,
        DrResource.automated.is_(True))))


def automated_dispatch_participants(s: Session, event_pk: int,
                                    ) -> list[tuple[DrParticipant, DrResource]]:
    """The event's (participation, resource) pairs of automated resources with a VEN."""
    parts = s.execute(select(DrParticipant, DrResource).join(
        DrResource, DrResource.id == DrParticipant.resource_pk).where(
        DrParticipant.event_pk == event_pk, DrResource.automated.is_(True),
        DrResource.ven_id.is_not(None))).all()
    return [(p, r) for p, r in parts]


def dr_event_days(s: Session, district_id: str) -> list[dt.date]:
    """The days of the district's events."""
    return list(s.scalars(select(DrEvent.day).where(DrEvent.district_id == district_id)))


def dr_event_days_before(s: Session, district_id: str, day: dt.date) -> list[dt.date]:
    """The days of the district's events before ``day``."""
    return list(s.scalars(select(DrEvent.day).where(
        DrEvent.district_id == district_id, DrEvent.day < day)))


def dr_event_ids_between(s: Session, district_id: str, first: dt.date,
                         last: dt.date) -> list[str]:
    """The ids of the district's events from ``first`` to ``last`` (both included)."""
    return list(s.scalars(select(DrEvent.event_id).where(
        DrEvent.district_id == district_id, DrEvent.day >= first, DrEvent.day <= last)))


def dr_peak_load(s: Session, district_id: str, year: int) -> DrPeakLoad | None:
    """The district's stated peak load of ``year``, or None."""
    return s.scalars(select(DrPeakLoad).where(DrPeakLoad.district_id == district_id,
                                              DrPeakLoad.year == year)).first()


# -- photovoltaics ---------------------------------------------------------------------------


def pv_roofs_of_district(s: Session, district_id: str) -> list[PvRoof]:
    """The district's surveyed roofs."""
    return list(s.scalars(select(PvRoof).where(PvRoof.district_id == district_id)))


def pv_sites_of_district(s: Session, district_id: str) -> list[PvSite]:
    """The district's PV sites."""
    return list(s.scalars(select(PvSite).where(PvSite.district_id == district_id)))


def weather_hours_between(s: Session, district_id: str, first: dt.datetime,
                          last: dt.datetime) -> list[PvWeatherHour]:
    """The district's stored weather hours from ``first`` to ``last`` (both included)."""
    return list(s.scalars(select(PvWeatherHour).where(
        PvWeatherHour.district_id == district_id, PvWeatherHour.ts >= first,
        PvWeatherHour.ts <= last)))


def add_weather_hours(s: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Insert new weather hours (one executemany)."""
    s.execute(insert(PvWeatherHour), list(rows))


def weather_rows(s: Session, district_id: str, start: dt.datetime,
                 end: dt.datetime) -> Sequence[AnyRow]:
    """(ts, ghi, dni, dhi, temp_air, wind_speed) of the district's hours in [start, end), by
    time."""
    return s.execute(select(
        PvWeatherHour.ts, PvWeatherHour.ghi_w_m2, PvWeatherHour.dni_w_m2,
        PvWeatherHour.dhi_w_m2, PvWeatherHour.temp_air_c, PvWeatherHour.wind_speed_m_s,
    ).where(PvWeatherHour.district_id == district_id, PvWeatherHour.ts >= start,
            PvWeatherHour.ts < end).order_by(PvWeatherHour.ts)).all()


def roof_rows(s: Session, district_id: str) -> Sequence[AnyRow]:
    """The district's roofs (entity, cohort, new, area, usable share, not-feasible reason,
    street's Chinese name or None), by entity."""
    return s.execute(select(
        PvRoof.entity_id, PvRoof.cohort, PvRoof.is_new, PvRoof.roof_area_m2,
        PvRoof.usable_share, PvRoof.not_feasible_reason, Street.name_zh,
    ).join(Entity, Entity.id == PvRoof.entity_id).outerjoin(
        Street, Street.id == Entity.street_id).where(
        PvRoof.district_id == district_id).order_by(PvRoof.entity_id)).all()


def site_rows(s: Session, district_id: str) -> Sequence[AnyRow]:
    """The district's PV sites as the model's columns, by site id."""
    return s.execute(select(
        PvSite.site_id, PvSite.entity_id, PvSite.kwp_dc, PvSite.kw_ac, PvSite.tilt_deg,
        PvSite.azimuth_deg, PvSite.commissioned_on, PvSite.meter_id, PvSite.gamma_pdc,
        PvSite.losses_pct, PvSite.eta_inv_nom, PvSite.albedo, PvSite.temp_model,
    ).where(PvSite.district_id == district_id).order_by(PvSite.site_id)).all()


def pv_forecast(s: Session, district_id: str, day: dt.date) -> PvForecast | None:
    """The district's stored forecast of ``day``, or None."""
    return s.scalars(select(PvForecast).where(PvForecast.district_id == district_id,
                                              PvForecast.day == day)).first()


def pv_forecast_days_between(s: Session, district_id: str, first: dt.date,
                             last: dt.date) -> list[dt.date]:
    """The days from ``first`` to ``last`` (both included) with a stored forecast, in
    order."""
    return list(s.scalars(select(PvForecast.day).where(
        PvForecast.district_id == district_id, PvForecast.day >= first,
        PvForecast.day <= last).order_by(PvForecast.day)))
