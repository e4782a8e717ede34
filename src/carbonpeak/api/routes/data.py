"""The registry and the account over HTTP: districts, streets, entities, meters, readings,
inventory, factor sets, the audit log and (for admins) users.

中文：行政区、街道、用能主体、计量表、读数、清单、排放因子集、审计日志与用户管理接口。

Every query is scoped by the caller's role (:mod:`carbonpeak.services.access.scope`); an object
outside the scope answers 404 like a missing one. Lists answer ``{items, total, limit,
offset}``; the exportable ones take ``format=csv|xlsx``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import ColumnElement

from carbonpeak.api.deps import CurrentPrincipal, CurrentWorkspace, requires
from carbonpeak.api.exports import ExportLang, report_response
from carbonpeak.api.responses import (
    EXPORT_LIMIT,
    EXPORTS,
    Format,
    JSONRoute,
    Limit,
    Offset,
    fast_json,
    page,
    table_response,
)
from carbonpeak.api.schemas.registry import (
    AuditLogPublic,
    DistrictDetailPublic,
    DistrictsPublic,
    EntitiesPublic,
    EntityDetailPublic,
    FactorSetDetailPublic,
    FactorSetsPublic,
    InventoryPublic,
    MeterPublic,
    MetersPublic,
    ReadingsPublic,
    SeriesPublic,
    StreetDetailPublic,
    StreetsPublic,
    UserPublic,
    UsersPublic,
)
from carbonpeak.errors import AccessDenied, InputValidationError, NotFoundError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.i18n import stored_text
from carbonpeak.publish.dashboard import _run_tables, entities_frame
from carbonpeak.publish.drilldown import MAX_SERIES_WINDOW, meter_series
from carbonpeak.services.access.auth import end_user_sessions, set_password
from carbonpeak.services.access.scope import ANALYST_ROLES, scope_of
from carbonpeak.services.access.users import create_user, list_users, set_active
from carbonpeak.services.accounting.account import VALUE_COLUMNS as INVENTORY_VALUES
from carbonpeak.services.accounting.account import official_run
from carbonpeak.services.accounting.verifications import (
    VerificationIndex,
    current_verifications,
    derived_status,
    factor_target,
    factor_values,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.queries import (
    audit_log_page,
    factor_set_page,
    find_entity,
    find_factor_set,
    find_meter,
    find_street,
    meter_page,
    street_count,
    street_page,
    user_in_district,
)
from carbonpeak.storage.registry.models import (
    ROLES,
    AuditLog,
    District,
    FactorSetRecord,
    Meter,
    Street,
)
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import VerifiedKind

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry, readings and inventory"],
                   route_class=JSONRoute)

_INT32 = 2**31 - 1
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "the caller's role may not do this"},
    404: {"description": "not found, or outside the caller's scope"},
    422: {"description": "invalid parameters"},
}
# who may do what: the one role check (carbonpeak.api.deps.requires)
AuditLogReader = Annotated[Principal, requires(*ANALYST_ROLES, what="read the audit log")]
UserManager = Annotated[Principal, requires("district_admin", what="manage users")]

Code = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_.\-]+$")]
Text = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]
StreetIdQuery = Annotated[int | None, Query(ge=1, le=_INT32)]


def _ts(v: dt.datetime | dt.date | None) -> str | None:
    if v is None:
        return None
    return v.isoformat() + ("Z" if isinstance(v, dt.datetime) else "")


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as dicts with None for missing values."""
    clean = df.astype(object).where(df.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict("records")]


def _listing(rows: list[dict[str, Any]], fmt: str, limit: int, offset: int, name: str,
             columns: list[str] | None = None, *, export: _Export | None = None,
             **extra: Any) -> Response:
    if fmt != "json":
        if export is None:
            return table_response(rows[:EXPORT_LIMIT], fmt, name, columns=columns)
        return report_response(export.ws, export.principal, export.table,
                               rows[:EXPORT_LIMIT], fmt, name, lang=export.lang,
                               year=export.year, filters=export.filters,
                               run_id=export.run_id, columns=columns)
    return fast_json(page(rows, limit, offset, **extra))


@dataclasses.dataclass(frozen=True)
class _Export:
    """What a report export needs beyond the rows (:func:`report_response`)."""

    ws: Workspace
    principal: Principal
    table: str
    lang: Literal["zh", "en"]
    filters: dict[str, Any]
    year: int | None = None
    run_id: int | None = None


# -- districts and streets ------------------------------------------------------------------
def _district(d: District) -> dict[str, Any]:
    return {"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en, "province": d.province,
            "timezone": d.timezone, "grid_region": d.grid_region,
            "climate_zone": d.climate_zone, "default_factor_set": d.default_factor_set}


@router.get("/districts", response_model=DistrictsPublic, responses=_RESPONSES)
def list_districts(ws: CurrentWorkspace, principal: CurrentPrincipal) -> dict[str, Any]:
    """行政区 — the caller's district (a user belongs to one)."""
    with ws.registry.session() as s:
        d = s.get(District, principal.district_id)
        items = [_district(d)] if d else []
    return page(items, 50, 0)


@router.get("/districts/{district_id}", response_model=DistrictDetailPublic, responses=_RESPONSES)
def get_district(ws: CurrentWorkspace, principal: CurrentPrincipal,
                 district_id: Code) -> dict[str, Any]:
    """行政区详情 — the caller's own district with its street count."""
    if district_id != principal.district_id:
        raise NotFoundError(i18n_msg("error.no.district", id=district_id))
    with ws.registry.session() as s:
        d = s.get(District, district_id)
        if d is None:
            raise NotFoundError(i18n_msg("error.no.district", id=district_id))
        return _district(d) | {"streets": street_count(s, d.id)}


def _street(st: Street, *, geometry: bool = False) -> dict[str, Any]:
    out = {"id": st.id, "code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
           "lat": st.lat, "lon": st.lon, "has_boundary": st.boundary is not None,
           "boundary_approximate": bool(st.boundary_approximate),
           "boundary_source": st.boundary_source}
    if geometry:
        out["boundary"] = st.boundary
    return out


@router.get("/streets", response_model=StreetsPublic, responses=_RESPONSES)
def list_streets(ws: CurrentWorkspace, principal: CurrentPrincipal, limit: Limit = 50,
                 offset: Offset = 0) -> dict[str, Any]:
    """街道 — streets in the caller's scope."""
    total, streets = street_page(ws, scope_of(ws, principal).street_condition(), limit=limit,
                                 offset=offset)
    return page([_street(st) for st in streets], limit, offset, total=total)


@router.get("/streets/{street_id}", response_model=StreetDetailPublic, responses=_RESPONSES)
def get_street(ws: CurrentWorkspace, principal: CurrentPrincipal,
               street_id: Annotated[int, Path(ge=1, le=_INT32)]) -> dict[str, Any]:
    """街道详情 — a street with its boundary (GeoJSON geometry)."""
    st = find_street(ws, scope_of(ws, principal).street_condition(), street_id)
    if st is None:
        raise NotFoundError(i18n_msg("error.no.street", id=street_id))
    return _street(st, geometry=True)


# -- entities and meters --------------------------------------------------------------------
_ENTITY_COLUMNS = ["entity_id", "name", "kind", "street_id", "street_code", "street_name_zh",
                   "street_name_en", "building_type", "floor_area_m2", "lat", "lon",
                   "parent_id", "sector", "is_key_unit", "key_unit_rule"]


def _entities(ws: Workspace, p: Principal, *, street_id: int | None, kind: str | None,
              building_type: str | None, key_unit: bool | None, q: str | None,
              sort: str) -> list[dict[str, Any]]:
    scope = scope_of(ws, p)
    df = scope.rows(entities_frame(ws, p.district_id))
    if street_id is not None:
        df = df[df["street_id"] == street_id]
    if kind is not None:
        df = df[df["kind"] == kind]
    if building_type is not None:
        df = df[df["building_type"] == building_type]
    if key_unit is not None:
        df = df[df["is_key_unit"].astype(bool) == key_unit]
    if q is not None:
        needle = q.lower()
        df = df[df["entity_id"].str.lower().str.contains(needle, regex=False)
                | df["name"].str.lower().str.contains(needle, regex=False)]
    desc = sort.startswith("-")
    df = df.sort_values([sort.lstrip("-"), "entity_id"], ascending=[not desc, True],
                        na_position="last")
    return _rows(df[_ENTITY_COLUMNS])


@router.get("/entities", response_model=EntitiesPublic, responses=_RESPONSES | EXPORTS)
def list_entities(
    ws: CurrentWorkspace, principal: CurrentPrincipal, street_id: StreetIdQuery = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    building_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    key_unit: bool | None = None, q: Text = None,
    sort: Literal["entity_id", "name", "floor_area_m2", "-floor_area_m2", "street_id"]
    = "entity_id",
    limit: Limit = 50, offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """用能主体 — entities in scope; search ``q`` in id and name; export with ``format``
    (xlsx: a report in ``lang``)."""
    rows = _entities(ws, principal, street_id=street_id, kind=kind,
                          building_type=building_type, key_unit=key_unit, q=q, sort=sort)
    filters = {"street_id": street_id, "kind": kind, "building_type": building_type,
               "key_unit": key_unit, "q": q}
    return _listing(rows, format, limit, offset, "entities", columns=_ENTITY_COLUMNS,
                    export=_Export(ws, principal, "entities", lang, filters))


_METER_COLUMNS = ["meter_id", "entity_id", "carrier", "unit", "submeter", "register",
                  "multiplier", "interval_minutes", "rollover_at", "commissioned_on"]


def _meter(m: Meter) -> dict[str, Any]:
    return {"meter_id": m.id, "entity_id": m.entity_id, "carrier": m.carrier, "unit": m.unit,
            "submeter": m.submeter, "register": m.register, "multiplier": m.multiplier,
            "interval_minutes": m.interval_minutes, "rollover_at": m.rollover_at,
            "commissioned_on": _ts(m.commissioned_on)}


@router.get("/entities/{entity_id}", response_model=EntityDetailPublic, responses=_RESPONSES)
def get_entity(ws: CurrentWorkspace, principal: CurrentPrincipal,
               entity_id: Code) -> dict[str, Any]:
    """用能主体详情 — an entity with its meters."""
    found = find_entity(ws, scope_of(ws, principal).entity_condition(), entity_id)
    if found is None:
        raise NotFoundError(i18n_msg("error.no.entity", id=entity_id))
    e, st, ms = found
    meters = [_meter(m) for m in ms]
    return {"entity_id": e.id, "name": e.name, "kind": e.kind, "street_id": e.street_id,
            "street_code": st.code if st else None,
            "street_name_zh": st.name_zh if st else None,
            "street_name_en": st.name_en if st else None,
            "building_type": e.building_type, "floor_area_m2": e.floor_area_m2,
            "lat": e.lat, "lon": e.lon, "parent_id": e.parent_id,
            "sector": e.sector_code, "is_key_unit": e.is_key_unit,
            "key_unit_rule": stored_text(e.key_unit_rule), "key_unit_year": e.key_unit_year,
            "updated_at": _ts(e.updated_at), "meters": meters}


@router.get("/meters", response_model=MetersPublic, responses=_RESPONSES | EXPORTS)
def list_meters(ws: CurrentWorkspace, principal: CurrentPrincipal, entity_id: IdQuery = None,
                carrier: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
                limit: Limit = 50, offset: Offset = 0,
                format: Format = "json",  # noqa: A002
                lang: ExportLang = "zh") -> Response:
    """计量表 — meters of the entities in scope; export with ``format``."""
    n, o = (EXPORT_LIMIT, 0) if format != "json" else (limit, offset)
    total, meters = meter_page(ws, scope_of(ws, principal).entity_condition(),
                               entity_id=entity_id, carrier=carrier, limit=n, offset=o)
    items = [_meter(m) for m in meters]
    if format != "json":
        return report_response(ws, principal, "meters", items, format, "meters", lang=lang,
                               filters={"entity_id": entity_id, "carrier": carrier},
                               columns=None if items else _METER_COLUMNS)
    return fast_json(page(items, limit, offset, total=int(total)))


def _visible_meter(ws: Workspace, p: Principal, meter_id: str) -> Meter:
    m = find_meter(ws, scope_of(ws, p).entity_condition(), meter_id)
    if m is None:
        raise NotFoundError(i18n_msg("error.no.meter", id=meter_id))
    return m


@router.get("/meters/{meter_id}", response_model=MeterPublic, responses=_RESPONSES)
def get_meter(ws: CurrentWorkspace, principal: CurrentPrincipal, meter_id: Code) -> dict[str, Any]:
    """计量表详情."""
    return _meter(_visible_meter(ws, principal, meter_id))


# -- readings -------------------------------------------------------------------------------
MAX_WINDOW = dt.timedelta(days=31)


def _utc(v: dt.datetime, name: str) -> dt.datetime:
    """A naive UTC datetime in 1900..2200 (422 outside: no overflow on odd input)."""
    if not 1900 <= v.year <= 2200:
        raise InputValidationError([RowError("query", None, name, v.isoformat(),
                                             i18n_msg("intake.query.years", first=1900,
                                                      last=2200))])
    return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v


def _local_utc(v: dt.datetime, name: str, tz: ZoneInfo) -> dt.datetime:
    """A window bound as naive UTC: without an offset it is the district's local time."""
    return _utc(v if v.tzinfo else v.replace(tzinfo=tz), name)


def _window(ws: Workspace, p: Principal, start: dt.datetime, end: dt.datetime | None,
            longest: dt.timedelta) -> tuple[dt.datetime, dt.datetime, ZoneInfo]:
    """A readings window as naive UTC bounds (a bound without an offset is the district's
    local time; the end defaults to start + 7 days) and the district's zone; 422 when it is
    empty, outside 1990..2100, or longer than ``longest``."""
    with ws.registry.session() as sess:
        district = sess.get(District, p.district_id)
        tz = ZoneInfo(district.timezone if district is not None else "Asia/Shanghai")
    s = _local_utc(start, "start", tz)
    e = _local_utc(end, "end", tz) if end is not None else s + dt.timedelta(days=7)
    if not (dt.datetime(1990, 1, 1) <= s < e <= dt.datetime(2101, 1, 1)) or e - s > longest:
        raise InputValidationError([RowError("query", None, "end", str(end),
                                             i18n_msg("intake.query.window"))])
    return s, e, tz


def _readings(ws: Workspace, p: Principal, meter_id: str, start: dt.datetime,
              end: dt.datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    m = _visible_meter(ws, p, meter_id)
    dataset = "readings" if m.register == "interval" else "registers"
    # the lake is partitioned by the district's local months: every local month the window
    # touches (a UTC month's last hours are in the next local month east of UTC)
    first = start.replace(tzinfo=dt.UTC).astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).replace(tzinfo=dt.UTC).astimezone(tz).date()
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()
    files = ws.lake.live_files(p.district_id, dataset, months)
    if not files:
        return []
    con = ws.lake.connect()
    try:
        rel = con.execute(
            "SELECT ts, value, batch_id FROM read_parquet(?, union_by_name=true) "
            "WHERE meter_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
            [[str(f) for f in files], meter_id, start, end])
        rows = rel.fetchall()
    finally:
        con.close()
    return [{"ts": _ts(r[0]), "value": r[1], "batch_id": r[2]} for r in rows]


@router.get("/readings", response_model=ReadingsPublic, responses=_RESPONSES | EXPORTS)
def list_readings(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    meter_id: Annotated[str, Query(min_length=1, max_length=64,
                                   pattern=r"^[A-Za-z0-9_.\-]+$")],
    start: Annotated[dt.datetime, Query(
        description="window start (ISO 8601; no offset = the district's local time)")],
    end: Annotated[dt.datetime | None, Query(
        description="window end, exclusive (default start + 7 days; at most 31 days)")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000, offset: Offset = 0,
    format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """读数 — stored readings of one meter in a window of at most 31 days (UTC timestamps
    of interval starts; cumulative registers at the moment read). A bound without an offset
    is the district's local time, so ``start=2024-03-01&end=2024-04-01`` is the whole local
    month."""
    s, e, tz = _window(ws, principal, start, end, MAX_WINDOW)
    rows = _readings(ws, principal, meter_id, s, e, tz)
    return _listing(rows, format, limit, offset, f"readings-{meter_id}",
                    columns=["ts", "value", "batch_id"],
                    export=_Export(ws, principal, "readings", lang, {
                        "meter_id": meter_id, "start": _ts(s), "end": _ts(e)}),
                    meter_id=meter_id, start=_ts(s), end=_ts(e))


@router.get("/meters/{meter_id}/series", response_model=SeriesPublic, responses=_RESPONSES)
def get_meter_series(
    ws: CurrentWorkspace, principal: CurrentPrincipal, meter_id: Code,
    start: Annotated[dt.datetime, Query(
        description="window start (ISO 8601; no offset = the district's local time)")],
    end: Annotated[dt.datetime | None, Query(
        description="window end, exclusive (default start + 7 days; at most 31 days per "
                    "hour, 366 per day)")] = None,
    resolution: Annotated[Literal["hour", "day"], Query(
        description="per local hour or local day")] = "hour",
) -> Response:
    """读数曲线 — one meter's readings per local hour or day (interval meters summed,
    cumulative registers their last reading), with its flagged days (缺测、突变 …) and held
    values in the window; a meter outside the caller's scope answers 404 like an unknown
    one."""
    s, e, _tz = _window(ws, principal, start, end, MAX_SERIES_WINDOW[resolution])
    return fast_json(meter_series(ws, scope_of(ws, principal), meter_id, s, e, resolution))


# -- inventory ------------------------------------------------------------------------------
Level = Literal["entity", "street", "district", "sector", "building_type"]


def _inventory(ws: Workspace, p: Principal, *, level: str, period: str, year: int,
               month: str | None, carrier: str | None, street_id: int | None,
               entity_id: str | None) -> tuple[list[dict[str, Any]], int | None]:
    scope = scope_of(ws, p)
    if level in ("sector", "building_type") and not scope.everything:
        msg = f"role {p.role} may not read the {level} inventory (district-wide)"
        raise AccessDenied(msg)
    if level in ("street", "district") and not (scope.everything or scope.street_id):
        msg = f"role {p.role} may not read the {level} inventory"
        raise AccessDenied(msg)
    with ws.registry.session() as s:
        run = official_run(s, p.district_id, year)
        street = s.get(Street, street_id) if street_id is not None else None
        own = s.get(Street, scope.street_id) if scope.street_id is not None else None
        s.expunge_all()
    if run is None:
        return [], None
    table = f"inventory_{level}_{period}"
    from carbonpeak.services.accounting.account import load_run_tables

    df = load_run_tables(ws, run, [table])[table] if level in (
        "street", "sector", "building_type", "district") else \
        _run_tables(ws, run)[f"inventory_entity_{period}"]
    if level == "entity":
        visible = scope.rows(entities_frame(ws, p.district_id))
        if street_id is not None:
            visible = visible[visible["street_id"] == street_id]
        df = df[df["entity_id"].isin(set(visible.index))]
        if entity_id is not None:
            df = df[df["entity_id"] == entity_id]
    elif level == "street":
        if not scope.everything:
            df = df[df["street"] == (own.name_zh if own else None)]
        if street_id is not None:
            df = df[df["street"] == (street.name_zh if street else None)]
    if month is not None and period == "month":
        df = df[df["month"] == month]
    if carrier is not None:
        df = df[df["carrier"] == carrier]
    return _rows(df), run.id


@router.get("/inventory", response_model=InventoryPublic, responses=_RESPONSES | EXPORTS)
def get_inventory(
    ws: CurrentWorkspace, principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=1990, le=2100)],
    level: Level = "district", period: Literal["month", "year"] = "year",
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    carrier: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    street_id: StreetIdQuery = None, entity_id: IdQuery = None,
    limit: Limit = 50, offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """排放清单 — the official account of ``year`` by entity, street, district, sector or
    building type, per month or year (tce equal/equivalent value, tCO2, coverage, flags).

    Street officers read their street's entities, their street and the district total;
    entity roles their entities; sector and building-type tables are for analysts."""
    rows, run_id = _inventory(ws, principal, level=level, period=period,
                           year=year, month=month, carrier=carrier, street_id=street_id,
                           entity_id=entity_id)
    key = "entity_id" if level == "entity" else level
    return _listing(rows, format, limit, offset, f"inventory-{level}-{period}-{year}",
                    columns=None if rows else [key, period, "carrier", *INVENTORY_VALUES],
                    export=_Export(ws, principal, "inventory", lang, {
                        "level": level, "period": period, "month": month, "carrier": carrier,
                        "street_id": street_id, "entity_id": entity_id}, year, run_id),
                    account_run_id=run_id, level=level, period=period, year=year)


# -- factor sets ----------------------------------------------------------------------------
def _factor_set(fs: FactorSetRecord, *, rows: bool, index: VerificationIndex) -> dict[str, Any]:
    """A factor set version; its rows' statuses derived from the current verifications."""
    out: dict[str, Any] = {
        "set_id": fs.set_id, "version": fs.version, "name_zh": fs.name_zh,
        "name_en": fs.name_en, "region": fs.region, "kind": fs.kind,
        "description": fs.description, "includes": fs.includes,
        "effective_from": _ts(fs.effective_from), "effective_to": _ts(fs.effective_to),
        "checksum": fs.checksum, "loaded_at": _ts(fs.loaded_at), "loaded_by": fs.loaded_by}
    status = {r.id: derived_status(index, VerifiedKind.FACTOR_ROW,
                                   factor_target(r.origin_set, r.carrier, r.quantity,
                                                 r.year_from), r.status, factor_values(r))
              for r in fs.rows}
    out["row_statuses"] = sorted(set(status.values()))
    if rows:
        out["rows"] = [{"carrier": r.carrier, "quantity": r.quantity, "value": r.value,
                        "per_unit": r.per_unit, "year_from": r.year_from,
                        "year_to": r.year_to, "data_year": r.data_year,
                        "status": status[r.id], "source": r.source, "note": r.note,
                        "origin_set": r.origin_set}
                       for r in fs.rows]
    return out


@router.get("/factor-sets", response_model=FactorSetsPublic, responses=_RESPONSES)
def list_factor_sets(ws: CurrentWorkspace, principal: CurrentPrincipal, limit: Limit = 50,
                     offset: Offset = 0) -> dict[str, Any]:
    """排放因子集 — every loaded factor set version, with the statuses of its rows."""
    del principal  # official coefficients: readable by every signed-in role
    with ws.registry.session() as s:
        total, sets = factor_set_page(s, limit=limit, offset=offset)
        index = current_verifications(s)
        items = [_factor_set(fs, rows=False, index=index) for fs in sets]
    return page(items, limit, offset, total=total)


@router.get("/factor-sets/{set_id}", response_model=FactorSetDetailPublic, responses=_RESPONSES)
def get_factor_set(ws: CurrentWorkspace, principal: CurrentPrincipal, set_id: Code,
                   version: Annotated[int | None, Query(ge=1, le=_INT32)] = None,
                   ) -> dict[str, Any]:
    """排放因子集详情 — one version (default the newest) with every row, source and status."""
    del principal
    with ws.registry.session() as s:
        fs = find_factor_set(s, set_id, version)
        if fs is None:
            msg = f"no factor set {set_id}" + (f" version {version}" if version else "")
            raise NotFoundError(msg)
        return _factor_set(fs, rows=True, index=current_verifications(s))


# -- audit log ------------------------------------------------------------------------------
@router.get("/audit-log", response_model=AuditLogPublic, responses=_RESPONSES | EXPORTS)
def list_audit_log(
    ws: CurrentWorkspace, principal: AuditLogReader,
    actor: Annotated[str | None, Query(max_length=128, pattern=r"^[^\x00]*$")] = None,
    object_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    object_id: Annotated[str | None, Query(max_length=128, pattern=r"^[^\x00]*$")] = None,
    action: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    since: dt.datetime | None = None, until: dt.datetime | None = None,
    limit: Limit = 50, offset: Offset = 0, format: Format = "json",  # noqa: A002
    lang: ExportLang = "zh",
) -> Response:
    """审计日志 — who changed what and when, newest first (district admins and analysts)."""
    # the caller's district, and the factor-set versions all districts share
    conds: list[ColumnElement[bool]] = [
        (AuditLog.district_id == principal.district_id)
        | (AuditLog.district_id.is_(None) & (AuditLog.object_type == "factor_set"))]
    if actor is not None:
        conds.append(AuditLog.actor == actor)
    if object_type is not None:
        conds.append(AuditLog.object_type == object_type)
    if object_id is not None:
        conds.append(AuditLog.object_id == object_id)
    if action is not None:
        conds.append(AuditLog.action == action)
    if since is not None:
        conds.append(AuditLog.at >= _utc(since, "since"))
    if until is not None:
        conds.append(AuditLog.at < _utc(until, "until"))

    n, o = (EXPORT_LIMIT, 0) if format != "json" else (limit, offset)
    total, entries = audit_log_page(ws, conds, limit=n, offset=o)
    rows = [{"id": a.id, "at": _ts(a.at), "actor": a.actor, "action": a.action,
             "object_type": a.object_type, "object_id": a.object_id,
             "district": a.district_id, "details": a.details} for a in entries]
    if format != "json":
        return report_response(ws, principal, "audit-log", rows, format, "audit-log",
                               lang=lang, filters={
                                   "actor": actor, "object_type": object_type,
                                   "object_id": object_id, "action": action,
                                   "since": since, "until": until}, columns=[
            "id", "at", "actor", "action", "object_type", "object_id", "district", "details"])
    return fast_json(page(rows, limit, offset, total=total))


# -- users (admins) -------------------------------------------------------------------------
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


class UserIn(BaseModel):
    """A new user: role and scope; a password for signing in to the dashboard."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=2, max_length=64,
                                               pattern=r"^[A-Za-z0-9_.@-]+$")]
    role: Annotated[str, StringConstraints(pattern="^(" + "|".join(ROLES) + ")$")] = Field(
        description="one of: " + ", ".join(ROLES))
    display_name: Annotated[str, StringConstraints(max_length=128,
                                                   pattern=r"^[^\x00]*$")] = ""
    street: Annotated[str, StringConstraints(max_length=128, pattern=r"^[^\x00]*$")] | None \
        = None
    org: Annotated[str, StringConstraints(max_length=64, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="the organisation a department officer, an aggregator or a project "
        "developer acts for")
    entities: list[Annotated[str, StringConstraints(max_length=64,
                                                    pattern=r"^[A-Za-z0-9_.\-]+$")]] = Field(
        default_factory=list, max_length=1000)
    password: Annotated[str, StringConstraints(max_length=256,
                                               pattern=r"^[^\x00]*$")] | None = None


class UserChange(BaseModel):
    """Activate/deactivate a user, or set a new password (the user's sessions end)."""

    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    password: Annotated[str, StringConstraints(max_length=256,
                                               pattern=r"^[^\x00]*$")] | None = None


def _users_of(ws: Workspace, p: Principal) -> list[dict[str, Any]]:
    return [u for u in list_users(ws) if u["district"] == p.district_id]


@router.get("/users", response_model=UsersPublic, responses=_RESPONSES)
def get_users(ws: CurrentWorkspace, principal: UserManager, limit: Limit = 50,
              offset: Offset = 0) -> dict[str, Any]:
    """用户 — users of the district with role, scope and token prefixes (admins)."""
    return page(_users_of(ws, principal), limit, offset)


@router.post("/users", response_model=UserPublic, status_code=201, responses=_RESPONSES | {
    409: {"description": "the username is taken"}})
def post_user(ws: CurrentWorkspace, principal: UserManager, body: UserIn) -> dict[str, Any]:
    """新增用户 — register a user in the admin's district (audit-logged)."""
    ws = dataclasses.replace(ws, actor=principal.actor)
    create_user(ws, body.username, body.role, district=principal.district_id,
                street=body.street, entities=body.entities, display_name=body.display_name,
                password=body.password, org=body.org)
    return next(u for u in _users_of(ws, principal) if u["username"] == body.username)


@router.patch("/users/{username}", response_model=UserPublic, responses=_RESPONSES)
def patch_user(ws: CurrentWorkspace, principal: UserManager, username: Username,
               body: UserChange) -> dict[str, Any]:
    """修改用户 — activate or deactivate (sessions end at once), or set a password."""
    ws = dataclasses.replace(ws, actor=principal.actor)
    if user_in_district(ws, username, principal.district_id) is None:
        raise NotFoundError(i18n_msg("error.no.user", id=username))
    if username == principal.username and body.active is False:
        msg = "an admin cannot deactivate themselves"
        raise AccessDenied(msg)
    if username == principal.username and body.password is not None:
        msg = "change your own password with POST /api/v1/auth/password (needs the current one)"
        raise AccessDenied(msg)
    if body.password is not None:
        set_password(ws, username, body.password)
    if body.active is not None:
        set_active(ws, username, body.active)
        if not body.active:
            end_user_sessions(ws, username)
    return next(u for u in _users_of(ws, principal) if u["username"] == username)


