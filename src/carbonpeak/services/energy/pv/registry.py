"""The roof survey, the PV asset registry and hourly weather: imports and reads.

中文：屋顶普查、光伏电站台账与逐时气象的导入（幂等、审计留痕）和读取。

Each import is one :class:`~carbonpeak.storage.registry.models.IngestBatch` (kinds ``roofs``,
``pv_sites``, ``weather_hourly``): the same bytes again are a ``duplicate`` and change
nothing; a row equal to the stored one is ``unchanged``; every insert and change is
audit-logged with its old and new values (weather hours: one entry per batch with the span
and counts, since a year is 8,760 rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from carbonpeak.intake.batches import (
    BatchResult,
    Tally,
    audited_upsert,
    close_batch,
    file_sha256,
    find_duplicate,
    open_batch,
)
from carbonpeak.intake.energy.pv_files import (
    parse_pv_sites,
    parse_roofs,
    parse_weather_hourly,
    read_epw_file,
    read_pv_file,
)
from carbonpeak.storage.registry.models import District, PvRoof, PvSite
from carbonpeak.storage.registry.repositories import energy as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["import_pv_sites", "import_roofs", "import_weather_hourly", "load_roofs",
           "load_sites", "read_weather_file", "stored_weather"]

_SITE_FIELDS = ("entity_id", "kwp_dc", "kw_ac", "tilt_deg", "azimuth_deg", "commissioned_on",
                "meter_id", "gamma_pdc", "losses_pct", "eta_inv_nom", "albedo", "temp_model")
_ROOF_FIELDS = ("cohort", "is_new", "roof_area_m2", "usable_share", "not_feasible_reason")


def _close(a: Any, b: Any) -> bool:  # noqa: ANN401 - any column value
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


def _entities(ws: Workspace, d: District) -> set[str]:
    with ws.registry.session() as s:
        return repo.entity_ids_of_district(s, d.id)


def import_roofs(ws: Workspace, path: Path, *, district: str | None = None) -> BatchResult:
    """Import a roof survey file (one batch, every change audit-logged, idempotent)."""
    d = ws.district(district)
    digest = file_sha256(path) if path.is_file() else ""
    if digest and (dup := find_duplicate(ws, d.id, "roofs", digest, path.name)) is not None:
        return dup
    pf = read_pv_file(path, "roofs")
    rows = parse_roofs(pf, known_entities=_entities(ws, d))
    res = Tally()
    with open_batch(ws, d.id, "roofs", pf.name, digest, rows_in=len(rows)) as (s, batch):
        stored = {r.entity_id: r for r in repo.pv_roofs_of_district(s, d.id)}
        for r in rows:
            values = {k: r[k] for k in _ROOF_FIELDS}
            src = f"{pf.name} line {r['line']} (batch {batch.id})"
            res.count(audited_upsert(
                s, ws.actor, stored.get(r["entity_id"]), values,
                create=partial(PvRoof, district_id=d.id, entity_id=r["entity_id"], source=src,
                               batch_id=batch.id, actor=ws.actor, **values),
                object_type="pv_roof", key=f"{d.id}/{r['entity_id']}", district_id=d.id,
                context={"batch": batch.id, "file": pf.name}, same=_close,
                on_change={"source": src, "batch_id": batch.id, "actor": ws.actor}))
        done = close_batch(s, ws, batch, res)
    return done


def import_pv_sites(ws: Workspace, path: Path, *, district: str | None = None) -> BatchResult:
    """Import PV sites (one batch, every change audit-logged, idempotent)."""
    d = ws.district(district)
    digest = file_sha256(path) if path.is_file() else ""
    if digest and (dup := find_duplicate(ws, d.id, "pv_sites", digest, path.name)) is not None:
        return dup
    pf = read_pv_file(path, "pv_sites")
    with ws.registry.session() as s:
        pv_meters = repo.pv_meter_entities(s, d.id)
    rows = parse_pv_sites(pf, known_entities=_entities(ws, d), pv_meters=pv_meters)
    res = Tally()
    with open_batch(ws, d.id, "pv_sites", pf.name, digest, rows_in=len(rows)) as (s, batch):
        stored = {r.site_id: r for r in repo.pv_sites_of_district(s, d.id)}
        for r in rows:
            values = {k: r[k] for k in _SITE_FIELDS}
            src = f"{pf.name} line {r['line']} (batch {batch.id})"
            res.count(audited_upsert(
                s, ws.actor, stored.get(r["site_id"]), values,
                create=partial(PvSite, district_id=d.id, site_id=r["site_id"], source=src,
                               batch_id=batch.id, actor=ws.actor, **values),
                object_type="pv_site", key=f"{d.id}/{r['site_id']}", district_id=d.id,
                context={"batch": batch.id, "file": pf.name}, same=_close,
                on_change={"source": src, "batch_id": batch.id, "actor": ws.actor}))
        done = close_batch(s, ws, batch, res)
    return done


def read_weather_file(path: Path, tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Hourly weather from an EPW (``.epw``) or a CSV/xlsx file, checked; naive local index."""
    if path.suffix.lower() == ".epw" and path.is_file():
        return read_epw_file(path, tz)
    return parse_weather_hourly(read_pv_file(path, "weather_hourly"))


def import_weather_hourly(ws: Workspace, path: Path, *,
                          district: str | None = None) -> BatchResult:
    """Import hourly weather (EPW or CSV/xlsx): new hours added, changed hours replaced;
    one audit-log entry per batch with the span and the counts."""
    d = ws.district(district)
    digest = file_sha256(path) if path.is_file() else ""
    if digest and (dup := find_duplicate(ws, d.id, "weather_hourly", digest,
                                         path.name)) is not None:
        return dup
    w = read_weather_file(path, d.timezone or "Asia/Shanghai")
    res = Tally()
    first, last = w.index.min().to_pydatetime(), w.index.max().to_pydatetime()
    cols = {"ghi": "ghi_w_m2", "dni": "dni_w_m2", "dhi": "dhi_w_m2", "temp_air": "temp_air_c",
            "wind_speed": "wind_speed_m_s"}
    with open_batch(ws, d.id, "weather_hourly", path.name, digest, rows_in=len(w)) as (s, batch):
        stored = {h.ts: h for h in repo.weather_hours_between(s, d.id, first, last)}
        new: list[dict[str, Any]] = []
        for ts, row in zip(pd.DatetimeIndex(w.index).to_pydatetime(), w.to_dict("records"),
                           strict=True):
            values = {c: (None if pd.isna(row[k]) else float(row[k])) for k, c in cols.items()}
            old = stored.get(ts)
            if old is None:
                new.append({"district_id": d.id, "ts": ts, "batch_id": batch.id, **values})
            elif all(_close(getattr(old, c), v) for c, v in values.items()):
                res.unchanged += 1
            else:
                for c, v in values.items():
                    setattr(old, c, v)
                old.batch_id = batch.id
                res.updated += 1
        if new:
            repo.add_weather_hours(s, new)
        res.added = len(new)
        audit(s, ws.actor, "import", "pv_weather_hours", f"{d.id}/{first:%Y-%m-%d %H:%M}",
              {"first": str(first), "last": str(last), "added": res.added,
               "updated": res.updated, "batch": batch.id, "file": path.name},
              district=d.id)
        done = close_batch(s, ws, batch, res, details={"first": str(first), "last": str(last)})
    return replace(done, span=(str(first), str(last)))


def stored_weather(ws: Workspace, d: District, start: dt.datetime,
                   end: dt.datetime) -> pd.DataFrame:
    """Stored hours in [start, end) as the model takes them (tz-aware local index)."""
    with ws.registry.session() as s:
        rows = repo.weather_rows(s, d.id, start, end)
    frame = pd.DataFrame(rows, columns=["ts", "ghi", "dni", "dhi", "temp_air", "wind_speed"])
    frame.index = pd.DatetimeIndex(frame.pop("ts")).tz_localize(d.timezone or "Asia/Shanghai")
    return frame.astype("float64")


def load_roofs(ws: Workspace, d: District) -> pd.DataFrame:
    """The district's roofs with their street (``street``: its Chinese name, "" without)."""
    with ws.registry.session() as s:
        rows = repo.roof_rows(s, d.id)
    f = pd.DataFrame(rows, columns=["entity_id", "cohort", "is_new", "roof_area_m2",
                                    "usable_share", "not_feasible_reason", "street"])
    f["street"] = f["street"].fillna("")
    return f


def load_sites(ws: Workspace, d: District) -> pd.DataFrame:
    """The district's PV sites (the model's columns; NULL choices: the chain's defaults)."""
    with ws.registry.session() as s:
        rows = repo.site_rows(s, d.id)
    return pd.DataFrame(rows, columns=["site_id", "entity_id", "kwp_dc", "kw_ac", "tilt_deg",
                                       "azimuth_deg", "commissioned_on", "meter_id",
                                       "gamma_pdc", "losses_pct", "eta_inv_nom", "albedo",
                                       "temp_model"])
