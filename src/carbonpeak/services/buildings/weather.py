"""Daily weather of a district into the registry, and out again for the M&V baselines.

中文：区日平均气温入库（批次、审计日志；同一文件重复导入不改变任何数据）与查询。

One temperature per district and day (:class:`~carbonpeak.storage.registry.models.WeatherDay`). An
import is one :class:`~carbonpeak.storage.registry.models.IngestBatch` of kind ``weather``; the same
file again (same SHA-256) is recognised and changes nothing; a day whose value is unchanged is
counted ``unchanged``; a changed value is written with its batch and audit-logged with the old
and new value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.batches import (
    BatchResult,
    Tally,
    close_batch,
    file_sha256,
    find_duplicate,
    open_batch,
)
from carbonpeak.intake.weather_files import nul_error, read_weather_file
from carbonpeak.storage.registry.models import WeatherDay
from carbonpeak.storage.registry.repositories import buildings as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["import_weather", "temperature_series", "weather_days",
           "weather_summary"]

_SAME = 1e-9  # °C: a stored value this close to the file's is unchanged


def import_weather(ws: Workspace, path: Path, *, district: str | None = None,
                   station: str | None = None, dry_run: bool = False,
                   rename: Mapping[str, str] | None = None,
                   writable: AbstractSet[str] | None = None,
                   unit_side: bool = False) -> BatchResult:
    """Import a daily weather file into the district (one batch, audit-logged).

    ``station`` names the station of rows whose file gives none. ``dry_run`` checks the file
    and stores nothing (status ``validated``); ``rename`` maps its headers to the columns (a
    browser upload); ``writable`` and ``unit_side`` do not apply to weather (district data;
    arguments so that every uploader is called alike).

    Raises
    ------
    InputValidationError
        The file was refused (every bad cell named); nothing was stored.
    """
    d = ws.district(district)
    if not path.is_file():
        raise InputValidationError([RowError(path.name, None, None, None,
                                             i18n_msg("intake.file.not_found"))])
    if station is not None and len(station) > 128:
        raise InputValidationError([RowError("--station", None, "station", station[:40],
                                             i18n_msg("intake.weather.station_too_long"))])
    if station is not None and "\x00" in station:
        raise InputValidationError([nul_error("--station", None, "station", station)])
    digest = file_sha256(path)
    duplicate = find_duplicate(ws, d.id, "weather", digest, path.name)
    if duplicate is not None:
        return duplicate
    del writable, unit_side
    wf = read_weather_file(path, rename=rename)
    long_station = [i for i, st in enumerate(wf.stations) if len(st) > 128]
    if long_station:
        raise InputValidationError([RowError(wf.name, wf.lines[i], "station", wf.stations[i][:40],
                                             i18n_msg("intake.weather.station_too_long"))
                                    for i in long_station])
    if dry_run:
        return BatchResult("weather", wf.name, None, "validated", rows_in=len(wf.days),
                           added=len(wf.days), messages=list(wf.notes))
    res = Tally(notes=list(wf.notes))
    with open_batch(ws, d.id, "weather", wf.name, digest, rows_in=len(wf.days)) as (s, batch):
        existing = {w.day: w for w in repo.weather_days_between(s, d.id, wf.first, wf.last)}
        new: list[WeatherDay] = []
        changed: list[dict[str, Any]] = []
        for day, temp, st, line in zip(wf.days, wf.temps_c, wf.stations, wf.lines, strict=True):
            old = existing.get(day)
            src = f"{wf.name} line {line} (batch {batch.id})"
            if old is None:
                new.append(WeatherDay(district_id=d.id, day=day, t_mean_c=temp,
                                      station=st or station or "", source=src,
                                      batch_id=batch.id, actor=ws.actor))
                continue
            name = st or station or old.station
            if abs(old.t_mean_c - temp) <= _SAME and name == old.station:
                res.unchanged += 1
                continue
            changed.append({"day": str(day), "t_mean_c": [old.t_mean_c, temp],
                            "station": [old.station, name], "previous_batch": old.batch_id})
            old.t_mean_c, old.station, old.source = temp, name, src
            old.batch_id, old.actor = batch.id, ws.actor
        s.add_all(new)
        res.added, res.updated = len(new), len(changed)
        for c in changed:
            audit(s, ws.actor, "update", "weather_day", f"{d.id}/{c['day']}",
                  {**c, "batch": batch.id, "file": wf.name}, district=d.id)
        span = i18n_msg("intake.batch.summary_span", summary=res.summary(),
                        first=str(wf.first), last=str(wf.last))
        done = close_batch(s, ws, batch, res,
                           message=span,
                           details={"first": str(wf.first), "last": str(wf.last),
                                    "converted_from_f": wf.converted_rows})
    return replace(done, span=(str(wf.first), str(wf.last)), messages=[span, *wf.notes])


def weather_days(ws: Workspace, district_id: str, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[dict[str, Any]]:
    """Stored days of the district from ``start`` to ``end`` (inclusive), oldest first."""
    with ws.registry.session() as s:
        return [{"day": w.day.isoformat(), "t_mean_c": w.t_mean_c, "station": w.station,
                 "batch_id": w.batch_id, "source": w.source}
                for w in repo.weather_days_of(s, district_id, start=start, end=end)]


def weather_summary(days: list[dict[str, Any]], start: dt.date | None,
                    end: dt.date | None) -> dict[str, Any]:
    """Coverage and monthly means of ``days`` (from :func:`weather_days`) over the window.

    ``missing_days`` counts calendar days of the window (default: first to last stored day)
    without a value; ``months`` gives each month's mean [°C] and number of days.
    """
    if not days:
        return {"first": None, "last": None, "n_days": 0, "missing_days": None, "months": []}
    first = start or dt.date.fromisoformat(days[0]["day"])
    last = end or dt.date.fromisoformat(days[-1]["day"])
    months: dict[str, list[float]] = {}
    for r in days:
        months.setdefault(r["day"][:7], []).append(float(r["t_mean_c"]))
    return {"first": first.isoformat(), "last": last.isoformat(), "n_days": len(days),
            "missing_days": max((last - first).days + 1 - len(days), 0),
            "months": [{"month": m, "t_mean_c": round(sum(v) / len(v), 2), "n_days": len(v)}
                       for m, v in sorted(months.items())]}


def temperature_series(ws: Workspace, district_id: str, first: dt.date,
                       last: dt.date) -> tuple[npt.NDArray[np.float64], list[int]]:
    """Daily mean temperature [°C] of each day ``first..last`` (NaN where none is stored) and
    the batches the values came from."""
    n = (last - first).days + 1
    out = np.full(max(n, 0), np.nan)
    batches: set[int] = set()
    with ws.registry.session() as s:
        for day, temp, batch in repo.weather_values_between(s, district_id, first, last):

            out[(day - first).days] = temp
            if batch is not None:
                batches.add(int(batch))
    return out, sorted(batches)
