"""Commissioning candidates (调适候选) from the hourly interval data in the lake, with evidence.

中文：由数据湖中的逐时电耗数据筛查既有建筑调适候选——夜间基础负荷、非工作日用电、节假日浪费、
负荷率、同时供冷供热、冷站能效（COP），按可避免电量排序，并给出每栋建筑的证据数据与图表。

Steps (one pass over the district's buildings in the reader's scope):

1. **Meters.** Per entity, the electricity meters whose interval is an hour or a whole
   fraction of one (1, 5, 15, 30, 60 min …): main meters (no ``submeter``) give the building
   load; an entity without a main meter is the sum of its sub-meters (``hvac`` wins over its
   parts ``cooling_plant`` / ``heating_plant``, as the account would count them). Heating and
   cooling for the simultaneous-operation screen are the ``heating_plant`` and
   ``cooling_plant`` sub-meters; the cooling plant electricity of the COP is
   ``cooling_plant``. There is no carrier for chilled-water energy (冷量) in the registry yet,
   so the plant COP is reported as not measurable.
2. **Hours.** The live lake rows of the year are read with DuckDB in one statement: interval
   registers as they are, cumulative registers as the difference of consecutive reads one
   interval apart (a rollover as in the account, a reset leaves the interval out), × the
   meter's multiplier and unit factor. UTC instants become hours of the district's local
   year (hour-beginning labels; the zone may not have daylight saving time). An hour counts
   only when every interval of every meter summed into it is there; else it is missing
   (NaN), never a zero.
3. **Calendar.** Public holidays and the 调休 working weekend days from the ``holidays``
   package (China), the year's dates only.
4. **Screen.** :func:`carbonpeak.domain.commissioning.commissioning_candidates` over all
   buildings in one call, with the district profile's ``commissioning`` thresholds when it
   has them, else the engine's (unverified) defaults.
5. **Evidence** per building: the mean 24-hour profile of working and non-working days [kW],
   night base load against the occupied load by month (the engine on each month's hours),
   daily energy [kWh], and where measured the monthly simultaneous heating/cooling hours and
   plant COP.

The result is immutable and a function of the lake and registry only, so the API caches it
with :func:`carbonpeak.publish.dashboard.cached` under the scope and the year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from carbonpeak.domain.commissioning import (
    CommissioningOptions,
    CommissioningResult,
    commissioning_candidates,
    commissioning_indicators,
    hour_calendar,
    simultaneous_mask,
)
from carbonpeak.domain.units import unit_factor
from carbonpeak.errors import ConfigError, NotFoundError, UnitError
from carbonpeak.i18n import Lang, Message, Text, render
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.intake.formats.text import xlsx_value
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.quality import wrap_column
from carbonpeak.services.accounting.verifications import commissioning_source
from carbonpeak.storage.registry.models import District
from carbonpeak.storage.registry.repositories import buildings as repo
from carbonpeak.storage.workspace import Workspace
from carbonpeak.vocabulary import EnergyCarrier, EntityKind

__all__ = [
    "COMMISSIONING_COLUMNS",
    "Commissioning",
    "commissioning",
    "commissioning_workbook",
    "options_from_profile",
    "readings_years",
    "split_candidates",
]

FloatArray = npt.NDArray[np.float64]

MAIN = "main"
TOP_LEVEL_SUBMETERS = ("lighting_socket", "hvac", "power", "special")
HVAC_PARTS = ("cooling_plant", "heating_plant")
HEATING_SUBMETER = "heating_plant"
COOLING_SUBMETER = "cooling_plant"
PLANT_SUBMETER = "cooling_plant"

#: Columns of the CSV / xlsx export of the ranked list, in order.
COMMISSIONING_COLUMNS = [
    "rank", "entity_id", "name", "kind", "building_type", "street_code", "street_name_zh",
    "floor_area_m2", "load_source", "coverage", "base_load_kw", "occupied_load_kw",
    "base_load_ratio", "working_day_kwh", "nonworking_day_kwh", "weekend_ratio",
    "holiday_waste_kwh", "holiday_waste_fraction", "base_load_excess_kwh", "mean_kw",
    "peak_kw", "load_factor", "simultaneous_status", "simultaneous_hours", "simultaneous_kwh",
    "cop_status", "cop", "cooling_kwh_th", "plant_kwh", "total_kwh", "avoidable_kwh",
    "avoidable_kwh_per_m2", "score", "n_findings", "finding_codes", "findings_zh",
    "findings_en", "caveats_zh",
]

# building types whose screen figures need reading with care (the engine's windows are the
# same for every building: see docs/commissioning.md, "Not done")
CAVEATS: dict[str, Message] = {
    "data_centre": Message("label.commissioning_caveat.around_the_clock"),
    "hospital": Message("label.commissioning_caveat.around_the_clock"),
    "hotel": Message("label.commissioning_caveat.around_the_clock"),
    "mall": Message("label.commissioning_caveat.every_day"),
}

_NOT_MEASURED = {
    "simultaneous": (
        "不可计量：无分项供热（热站）与供冷（冷站）电表",
        "not measurable: no heating-plant and cooling-plant sub-meters"),
    "cop_chilled": (
        "不可计量：无冷冻水冷量表",
        "not measurable: no chilled-water meter"),
    "cop_plant": (
        "不可计量：无冷站用电分项电表",
        "not measurable: no cooling-plant electricity meter"),
}


# -- options and calendar --------------------------------------------------------------------
def options_from_profile(profile: Mapping[str, Any] | None) -> tuple[CommissioningOptions, str]:
    """The thresholds of the district profile's ``commissioning`` table, or the defaults.

    Returns the options and where they come from (``profile`` or ``unverified defaults``).

    Raises
    ------
    ConfigError
        An unknown key or a value :class:`CommissioningOptions` refuses.
    """
    table = (profile or {}).get("commissioning")
    if not table:
        return CommissioningOptions(), "unverified defaults"
    known = {f.name for f in dataclasses.fields(CommissioningOptions)}
    unknown = sorted(set(table) - known)
    if unknown:
        msg = (f"district profile [commissioning]: unknown key(s) {', '.join(unknown)}; "
               f"known: {', '.join(sorted(known))}")
        raise ConfigError(msg)
    # an entry is a value, or a table with the value and its source and status
    raw = {k: v.get("value") if isinstance(v, Mapping) else v for k, v in table.items()}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in raw.items()}
    try:
        return CommissioningOptions(**values), "profile"
    except (TypeError, ValueError) as exc:
        msg = f"district profile [commissioning]: {exc}"
        raise ConfigError(msg) from None


def _calendar_days(year: int) -> tuple[list[dt.date], list[dt.date]]:
    """Public holidays and 调休 working weekend days of ``year`` (``holidays``, China)."""
    cal = holiday_calendars.country_holidays("CN", years=year)
    off = sorted(d for d in cal if d.year == year)
    on = sorted(d for d in getattr(cal, "weekend_workdays", ()) if d.year == year)
    return off, on


def _utc_start(tz: str, year: int) -> dt.datetime:
    """Naive UTC of local midnight on 1 January; refuses zones with daylight saving time."""
    zone = ZoneInfo(tz)
    offsets = {dt.datetime(year, m, 1, tzinfo=zone).utcoffset() for m in (1, 4, 7, 10)}
    if len(offsets) > 1:
        msg = (f"time zone {tz} has daylight saving time; the hourly commissioning screen "
               "needs 24-hour local days")
        raise ConfigError(msg)
    return dt.datetime(year, 1, 1, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def readings_years(ws: Workspace, district_id: str) -> list[int]:
    """Years with live interval or register data in the lake (local months)."""
    with ws.registry.session() as s:
        months = repo.reading_months(s, district_id)
        return sorted({int(m[:4]) for m in months})


# -- the meters and their hours --------------------------------------------------------------
@dataclass(frozen=True)
class _MeterRow:
    meter_id: str
    entity_id: str
    submeter: str | None
    register: str
    factor: float  # multiplier × unit factor: raw value -> kWh
    per_hour: int  # intervals in one hour
    interval_minutes: int
    rollover_at: float | None


def _hourly_meters(meters: Sequence[Any]) -> tuple[list[_MeterRow], dict[str, str]]:
    """The electricity meters usable hour by hour, and a reason per entity for the others."""
    usable: list[_MeterRow] = []
    coarse: dict[str, str] = {}
    for m in meters:
        if m.carrier != EnergyCarrier.ELECTRICITY:
            continue
        iv = int(m.interval_minutes or 60)
        if iv > 60 or 60 % iv:
            coarse[m.entity_id] = f"{iv}"
            continue
        try:
            factor = float(m.multiplier or 1.0) * unit_factor(m.unit, m.carrier)
        except UnitError:
            continue  # refused at import; cannot be stored
        usable.append(_MeterRow(m.id, m.entity_id, m.submeter or None, m.register, factor,
                                60 // iv, iv, m.rollover_at))
    return usable, coarse


def _read_hours(ws: Workspace, district_id: str, rows: Sequence[_MeterRow], year: int,
                t0: dt.datetime, n_hours: int) -> FloatArray:
    """(n_meters, n_hours) kWh per local hour; NaN where an interval is missing."""
    out = np.full((len(rows), n_hours), np.nan)
    if not rows:
        return out
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    wanted: dict[str, Sequence[str] | None] = {
        "readings": months, "registers": [f"{year - 1}-12", *months, f"{year + 1}-01"]}
    files = {k: [str(p) for p in v] for k, v in ws.lake.live_file_sets(district_id,
                                                                       wanted).items()}
    t1 = t0 + dt.timedelta(hours=n_hours)
    meter_table = pa.table({
        "meter_id": pa.array([r.meter_id for r in rows], pa.string()),
        "k": pa.array(range(len(rows)), pa.int64()),
        "seconds": pa.array([60 * r.interval_minutes for r in rows], pa.float64()),
        "rollover_at": pa.array([r.rollover_at for r in rows], pa.float64()),
        "rollover_wrap": wrap_column([r.rollover_at for r in rows]),
    })
    parts, params = [], {"a": t0, "b": t1, "e0": (t0 - dt.datetime(1970, 1, 1)).total_seconds()}
    if files["readings"]:
        params["rf"] = files["readings"]
        parts.append("""
SELECT m.k, r.ts AS t0, r.value AS v
FROM read_parquet($rf, hive_partitioning=false) r JOIN m ON m.meter_id = r.meter_id
WHERE r.ts >= $a AND r.ts < $b""")
    if files["registers"]:
        params["gf"] = files["registers"]
        parts.append("""
SELECT k, t_start AS t0,
       CASE WHEN value >= prev THEN value - prev
            WHEN rollover_at IS NOT NULL AND prev >= 0.9 * rollover_at
                 AND prev <= rollover_at AND value < 0.1 * rollover_at
                 THEN value + rollover_wrap - prev
            ELSE NULL END AS v
FROM (SELECT m.k, m.seconds, m.rollover_at, m.rollover_wrap, g.ts AS t_end, g.value,
             LAG(g.ts) OVER w AS t_start, LAG(g.value) OVER w AS prev
      FROM read_parquet($gf, hive_partitioning=false) g JOIN m ON m.meter_id = g.meter_id
      WINDOW w AS (PARTITION BY g.meter_id ORDER BY g.ts))
WHERE t_start >= $a AND t_start < $b AND epoch(t_end) - epoch(t_start) = seconds""")
    if not parts:
        return out
    sql = ("SELECT k, CAST(floor((epoch(t0) - $e0) / 3600) AS BIGINT) AS h, "
           "SUM(v) AS v, COUNT(v) AS n FROM (" + " UNION ALL ".join(parts) + ") GROUP BY k, h")
    con = ws.lake.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("m", meter_table)
        got = con.execute(sql, params).fetchnumpy()
    finally:
        con.close()
    k = np.asarray(got["k"], dtype=np.int64)
    h = np.asarray(got["h"], dtype=np.int64)
    v = np.ma.filled(np.ma.asarray(got["v"], dtype=np.float64), np.nan)
    n = np.asarray(got["n"], dtype=np.int64)
    per_hour = np.array([r.per_hour for r in rows], dtype=np.int64)
    factor = np.array([r.factor for r in rows])
    complete = (n == per_hour[k]) & (h >= 0) & (h < n_hours)
    out[k[complete], h[complete]] = v[complete] * factor[k[complete]]
    return out


def _drop_negative(hours: FloatArray, rows: Sequence[_MeterRow]) -> dict[str, int]:
    """Negative hourly kWh (a stored negative interval) become missing; count per entity."""
    bad = hours < 0  # NaN compares False
    out: dict[str, int] = {}
    for k in np.flatnonzero(bad.any(axis=1)):
        eid = rows[int(k)].entity_id
        out[eid] = out.get(eid, 0) + int(bad[k].sum())
    hours[bad] = np.nan
    return out


def _sum_rows(x: FloatArray, idx: Sequence[int], n_hours: int) -> FloatArray:
    """The sum of some rows, NaN where any of them is NaN; all NaN for no rows."""
    if not idx:
        return np.full(n_hours, np.nan)
    out: FloatArray = x[list(idx)].sum(axis=0)
    return out


# -- the result ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Commissioning:
    """The screen of one district (within a scope) and year.

    ``items`` are the ranked buildings (plain, JSON-safe dicts, best candidate first),
    ``without_data`` the buildings in scope that could not be screened, with the reason;
    :meth:`evidence` gives one building's evidence series.
    """

    district_id: str
    district_name: str
    year: int
    timezone: str
    options: CommissioningOptions
    thresholds_source: str
    holidays: tuple[str, ...]
    workdays: tuple[str, ...]
    items: list[dict[str, Any]]
    without_data: list[dict[str, Any]]
    notes: list[Message]
    result: CommissioningResult | None = None
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False)

    def header(self) -> dict[str, Any]:
        """What the list is: district, year, calendar, thresholds, notes (JSON-safe)."""
        return {
            "district_id": self.district_id, "district_name": self.district_name,
            "year": self.year, "timezone": self.timezone,
            "options": {k: list(v) if isinstance(v, tuple) else v
                        for k, v in dataclasses.asdict(self.options).items()},
            "thresholds_source": self.thresholds_source,
            "calendar": {"holidays": list(self.holidays), "workdays": list(self.workdays),
                         "source": f"holidays {version('holidays')} (CN)"},
            "without_data": self.without_data,
            "notes": [render(n, "en") for n in self.notes],
            "notes_en": [render(n, "en") for n in self.notes],
            "notes_zh": [render(n, "zh") for n in self.notes],
        }

    def rows(self) -> list[dict[str, Any]]:
        """The ranked list flattened for CSV / xlsx (:data:`COMMISSIONING_COLUMNS`)."""
        out = []
        for it in self.items:
            r = {c: it.get(c) for c in COMMISSIONING_COLUMNS}
            r["finding_codes"] = ", ".join(f["code"] for f in it["findings"])
            r["findings_zh"] = "；".join(f["message_zh"] for f in it["findings"])
            r["findings_en"] = "; ".join(f["message_en"] for f in it["findings"])
            r["caveats_zh"] = "；".join(c["zh"] for c in it["caveats"])
            r["simultaneous_status"] = it["simultaneous"]["status"]
            r["cop_status"] = it["cop_status"]["status"]
            out.append(r)
        return out

    def item(self, entity_id: str) -> dict[str, Any]:
        """One ranked building.

        Raises
        ------
        NotFoundError
            Not in the list (outside the scope, or without hourly data).
        """
        for it in self.items:
            if it["entity_id"] == entity_id:
                return it
        why = next((w for w in self.without_data if w["entity_id"] == entity_id), None)
        raise NotFoundError(i18n_msg("cm.not_screened", entity=entity_id,
                                     why=Text(why["reason_zh"], why["reason_en"]))
                            if why else i18n_msg("error.no.entity", id=entity_id))

    def evidence(self, entity_id: str) -> dict[str, Any]:
        """The evidence of one building: figures and chart series (ECharts-ready, JSON-safe).

        Raises
        ------
        NotFoundError
            Not in the list (outside the scope, or without hourly data).
        """
        it = self.item(entity_id)
        a = self._arrays
        i = a["index"][entity_id]
        months = a["months"]
        hours = [f"{h:02d}:00" for h in range(24)]
        charts: list[dict[str, Any]] = [
            {"id": "profile", "type": "line", "title_zh": "典型日逐时负荷：工作日与非工作日",
             "title_en": "Mean 24-hour profile: working and non-working days",
             "x_name_zh": "时刻 (时)", "x_name_en": "hour", "y_name_zh": "负荷 (kW)",
             "y_name_en": "load (kW)", "unit": "kW", "x": hours,
             "series": [
                 _series("工作日", "working days", a["profile_work"][i]),
                 _series("非工作日", "non-working days", a["profile_off"][i])],
             "lines": [
                 {"name_zh": "夜间基础负荷", "name_en": "night base load",
                  "value": it["base_load_kw"]},
                 {"name_zh": "工作时段负荷", "name_en": "occupied load",
                  "value": it["occupied_load_kw"]}],
             "bands": [{"name_zh": "夜间时段", "name_en": "night window",
                        "hours": list(self.options.night_hours)},
                       {"name_zh": "工作时段", "name_en": "occupied window",
                        "hours": list(self.options.occupied_hours)}]},
            {"id": "monthly", "type": "bar", "title_zh": "逐月夜间基础负荷与工作时段负荷",
             "title_en": "Night base load and occupied load by month",
             "x_name_zh": "月份", "x_name_en": "month", "y_name_zh": "负荷 (kW)",
             "y_name_en": "load (kW)", "unit": "kW", "x": list(months),
             "series": [
                 _series("夜间基础负荷", "night base load", a["month_base"][i]),
                 _series("工作时段负荷", "occupied load", a["month_occupied"][i]),
                 _series("基础负荷比", "base load ratio", a["month_ratio"][i], kind="line",
                         axis=1, unit="")],
             "y2_name_zh": "基础负荷比", "y2_name_en": "base load ratio"},
            {"id": "daily", "type": "bar", "title_zh": "逐日用电量",
             "title_en": "Daily electricity",
             "x_name_zh": "日期", "x_name_en": "date", "y_name_zh": "日用电量 (kWh)",
             "y_name_en": "daily energy (kWh)", "unit": "kWh", "x": a["dates"],
             "series": [
                 _series("工作日", "working days",
                         np.where(a["working_day"], a["daily"][i], np.nan), unit="kWh"),
                 _series("非工作日（周末与节假日）", "non-working days (weekends, holidays)",
                         np.where(a["working_day"], np.nan, a["daily"][i]), unit="kWh")]},
        ]
        if it["simultaneous"]["status"] == "measured":
            charts.append(
                {"id": "simultaneous", "type": "bar", "title_zh": "逐月同时供热供冷小时数",
                 "title_en": "Hours of simultaneous heating and cooling by month",
                 "x_name_zh": "月份", "x_name_en": "month", "y_name_zh": "小时数 (h)",
                 "y_name_en": "hours (h)", "unit": "h", "x": list(months),
                 "series": [_series("同时供热供冷", "simultaneous heating and cooling",
                                    a["month_simul_h"][i], unit="h"),
                            _series("重叠电量", "overlapping energy", a["month_simul_kwh"][i],
                                    kind="line", axis=1, unit="kWh")],
                 "y2_name_zh": "电量 (kWh)", "y2_name_en": "energy (kWh)"})
        if it["cop_status"]["status"] == "measured":
            charts.append(
                {"id": "cop", "type": "line", "title_zh": "逐月冷站系统能效比 COP",
                 "title_en": "Cooling plant COP by month",
                 "x_name_zh": "月份", "x_name_en": "month", "y_name_zh": "COP (-)",
                 "y_name_en": "COP (-)", "unit": "", "x": list(months),
                 "series": [_series("COP", "COP", a["cop_by_month"][i], unit="")],
                 "lines": [{"name_zh": "阈值", "name_en": "threshold",
                            "value": self.options.min_cop}]})
        return {"entity_id": entity_id, "year": self.year, "district_id": self.district_id,
                "item": it, "options": self.header()["options"],
                "thresholds_source": self.thresholds_source, "charts": charts}


def _num(x: Any) -> float | None:
    f = float(x)
    return f if np.isfinite(f) else None


def _series(name_zh: str, name_en: str, values: npt.ArrayLike, *, kind: str | None = None,
            axis: int = 0, unit: str = "kW") -> dict[str, Any]:
    data = [_num(v) for v in np.asarray(values, dtype=np.float64)]
    out: dict[str, Any] = {"name_zh": name_zh, "name_en": name_en, "unit": unit, "data": data,
                           "y_axis": axis}
    if kind is not None:
        out["type"] = kind
    return out


# -- the pipeline ----------------------------------------------------------------------------
def commissioning(ws: Workspace, district: str | None, year: int, *,
                  scope: AccessScope | None = None,
                  options: CommissioningOptions | None = None) -> Commissioning:
    """Screen the buildings of ``district`` (within ``scope``) for commissioning in ``year``.

    Parameters
    ----------
    ws
        The workspace.
    district
        District code (``None``: the only one).
    year
        Calendar year of the hourly data (local time of the district).
    scope
        The reader's scope; default the whole district. The ranks are within the scope.
    options
        Thresholds; default the district profile's ``commissioning`` table, else the engine's
        unverified defaults.

    Returns
    -------
    Commissioning

    Raises
    ------
    NotFoundError
        No such district, or a scope of another district.
    ConfigError
        A bad ``commissioning`` table in the profile, or a time zone with daylight saving.
    """
    d = ws.district(district)
    if scope is not None and scope.district_id != d.id:
        msg = f"scope of district {scope.district_id}, not {d.id}"
        raise NotFoundError(msg)
    sc = scope if scope is not None else AccessScope(d.id, everything=True)
    source = "given"
    if options is None:
        options, source = options_from_profile(d.profile)
        source = commissioning_source(ws, d.id, source)
    return _screen(ws, d, year, sc, options, source)


def _entities(ws: Workspace, scope: AccessScope) -> tuple[list[Any], list[Any]]:
    with ws.registry.session() as s:
        ents = repo.entities_with_streets_where(s, scope.entity_condition())
        meters = repo.meters_of_entities_where(s, scope.entity_condition())

    return list(ents), list(meters)


def _reason(code: str, year: int, detail: str = "") -> dict[str, str]:
    texts = {
        "no_meter": ("没有电表（仅台账或无数据）", "no electricity meter (ledger only or none)"),
        "coarse": (f"电表采集间隔超过1小时（{detail} 分钟）",
                   f"electricity meters read less often than hourly ({detail} min)"),
        "no_hours": (f"{year}年无完整的逐时读数", f"no complete hourly readings in {year}"),
    }
    zh, en = texts[code]
    return {"reason": code, "reason_zh": zh, "reason_en": en}


def _screen(ws: Workspace, d: District, year: int, scope: AccessScope,
            options: CommissioningOptions, source: str) -> Commissioning:
    ents, meter_rows = _entities(ws, scope)
    is_building = {e.id: (e.kind == EntityKind.BUILDING or bool(e.building_type)) for e in ents}
    buildings = [e for e in ents if is_building[e.id]]
    usable, coarse = _hourly_meters([m for m in meter_rows if is_building.get(m.entity_id)])
    holidays, workdays = _calendar_days(year)
    t0 = _utc_start(d.timezone, year)
    n_days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    n_hours = 24 * n_days
    hours = _read_hours(ws, d.id, usable, year, t0, n_hours)
    negative = _drop_negative(hours, usable)

    by_entity: dict[str, list[int]] = {}
    for k, r in enumerate(usable):
        by_entity.setdefault(r.entity_id, []).append(k)
    notes: list[Message] = []
    screened, without = [], []
    loads, heat, cool, plant, sources = [], [], [], [], []
    for e in buildings:
        ks = by_entity.get(e.id, [])
        main = [k for k in ks if usable[k].submeter is None]
        subs = {s: [k for k in ks if usable[k].submeter == s]
                for s in (*TOP_LEVEL_SUBMETERS, *HVAC_PARTS)}
        if main:
            load_idx, load_source = main, "main"
        else:
            parts = [] if subs["hvac"] else [k for s in HVAC_PARTS for k in subs[s]]
            load_idx = [k for s in TOP_LEVEL_SUBMETERS for k in subs[s]] + parts
            load_source = "submeters"
        info = {"entity_id": e.id, "name": e.name, "kind": e.kind,
                "building_type": e.building_type, "street_code": e.code,
                "street_name_zh": e.name_zh, "floor_area_m2": e.floor_area_m2}
        load = _sum_rows(hours, load_idx, n_hours)
        if not load_idx or np.isnan(load).all():
            code = ("no_hours" if load_idx else "coarse" if e.id in coarse else "no_meter")
            without.append(info | _reason(code, year, coarse.get(e.id, "")))
            continue
        screened.append(info | {"load_source": load_source,
                                "n_load_meters": len(load_idx)})
        loads.append(load)
        heat.append(_sum_rows(hours, subs[HEATING_SUBMETER], n_hours))
        cool.append(_sum_rows(hours, subs[COOLING_SUBMETER], n_hours))
        plant.append(_sum_rows(hours, subs[PLANT_SUBMETER], n_hours))
        sources.append(bool(subs[HEATING_SUBMETER]) and bool(subs[COOLING_SUBMETER]))
    for eid, n_bad in sorted(negative.items()):
        notes.append(i18n_msg("cm.note.negative", entity=eid, n=n_bad))
    n_not = len(ents) - len(buildings)
    if n_not:
        notes.append(i18n_msg("cm.note.not_buildings", n=n_not))
    if without:
        notes.append(i18n_msg("cm.note.without_data", n=len(without), year=year))
    base = Commissioning(
        district_id=d.id, district_name=d.name_zh, year=year, timezone=d.timezone,
        options=options, thresholds_source=source,
        holidays=tuple(x.isoformat() for x in holidays),
        workdays=tuple(x.isoformat() for x in workdays), items=[], without_data=without,
        notes=notes)
    if not screened:
        return base
    load_a = np.vstack(loads)
    # no carrier for chilled-water energy yet: the COP cannot be measured (see module doc)
    chilled = np.full_like(load_a, np.nan)
    arrays = {"load": load_a, "heating": np.vstack(heat), "cooling": np.vstack(cool),
              "plant": np.vstack(plant), "chilled": chilled}
    start = np.datetime64(f"{year}-01-01")
    ids = [b["entity_id"] for b in screened]
    result = commissioning_candidates(
        load_a, start, holidays=holidays, workdays_override=workdays,
        heating_kwh=arrays["heating"], cooling_kwh=arrays["cooling"],
        chilled_water_kwh_th=chilled, plant_kwh=arrays["plant"], building_ids=ids,
        options=options)
    items = _items(result, screened, sources, arrays, n_hours)
    evidence = _evidence_arrays(result, arrays, start, holidays, workdays, options)
    evidence["index"] = {b: i for i, b in enumerate(ids)}
    return dataclasses.replace(base, items=items, result=result, _arrays=evidence)


def _items(result: CommissioningResult, screened: list[dict[str, Any]], measured: list[bool],
           arrays: dict[str, FloatArray], n_hours: int) -> list[dict[str, Any]]:
    records = result.to_records()
    has_plant = np.asarray(~np.isnan(arrays["plant"]).all(axis=1), dtype=np.bool_)
    has_chilled = np.asarray(~np.isnan(arrays["chilled"]).all(axis=1), dtype=np.bool_)
    items = []
    for i, (rec, info) in enumerate(zip(records, screened, strict=True)):
        rec = dict(rec)
        rec.pop("building_id")
        rec.pop("cop_by_month")
        area = info["floor_area_m2"]
        avoid = rec["avoidable_kwh"]
        if measured[i]:
            simul = {"status": "measured", "reason_zh": "", "reason_en": ""}
        else:
            zh, en = _NOT_MEASURED["simultaneous"]
            simul = {"status": "not_measurable", "reason_zh": zh, "reason_en": en}
        if rec["cop"] is not None:
            cop = {"status": "measured", "reason_zh": "", "reason_en": ""}
        else:
            key = ("cop_chilled" if not has_chilled[i] else
                   "cop_plant" if not has_plant[i] else None)
            zh, en = _NOT_MEASURED[key] if key else (
                "不可计量：冷量与冷站电量无同时有效小时", "not measurable: no hour with both "
                "chilled-water energy and plant electricity")
            cop = {"status": "not_measurable", "reason_zh": zh, "reason_en": en}
        caveat = CAVEATS.get(str(info["building_type"]))
        items.append(info | rec | {
            "coverage": rec["n_hours"] / n_hours,
            "caveats": [{"zh": render(caveat, "zh"), "en": render(caveat, "en")}]
            if caveat else [],
            "avoidable_kwh_per_m2": (avoid / area) if avoid is not None and area else None,
            "simultaneous": simul, "cop_status": cop})
    items.sort(key=lambda r: r["rank"])
    return items


def _evidence_arrays(result: CommissioningResult, arrays: dict[str, FloatArray],
                     start: np.datetime64, holidays: list[dt.date], workdays: list[dt.date],
                     options: CommissioningOptions) -> dict[str, Any]:
    """Profiles, monthly and daily series of every building, as arrays over buildings."""
    load = arrays["load"]
    b, n_hours = load.shape
    cal = hour_calendar(start, n_hours, holidays=holidays, workdays_override=workdays)
    days = load.reshape(b, cal.n_days, 24)
    out: dict[str, Any] = {}
    for name, mask in (("profile_work", cal.working_day), ("profile_off", ~cal.working_day)):
        x = days[:, mask, :]
        n = np.count_nonzero(~np.isnan(x), axis=1)
        total = np.where(np.isnan(x), 0.0, x).sum(axis=1)
        out[name] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    out["daily"] = days.sum(axis=2)  # NaN for a day with a missing hour
    out["dates"] = [str(x) for x in cal.dates]
    out["working_day"] = cal.working_day
    months, first = cal.months()
    edges = [*first.tolist(), n_hours]
    base, occ, ratio = (np.full((b, len(months)), np.nan) for _ in range(3))
    for j in range(len(months)):
        a, z = edges[j], edges[j + 1]
        ind = commissioning_indicators(load[:, a:z], start + np.timedelta64(a // 24, "D"),
                                       holidays=holidays, workdays_override=workdays,
                                       options=options)
        base[:, j], occ[:, j], ratio[:, j] = (ind.base_load_kw, ind.occupied_load_kw,
                                              ind.base_load_ratio)
    out |= {"months": months, "month_base": base, "month_occupied": occ, "month_ratio": ratio}
    on = simultaneous_mask(arrays["heating"], arrays["cooling"], options=options)
    overlap = np.where(on, np.minimum(arrays["heating"], arrays["cooling"]), 0.0)
    out["month_simul_h"] = np.add.reduceat(on.astype(np.float64), first, axis=1)
    out["month_simul_kwh"] = np.add.reduceat(overlap, first, axis=1)
    out["cop_by_month"] = result.indicators.cop_by_month
    return out


# -- exports ---------------------------------------------------------------------------------
def commissioning_workbook(c: Commissioning, path: Path | None = None, *,
                           lang: Lang = "zh") -> bytes:
    """The ranked list, the buildings without data and the settings as an xlsx workbook;
    sheet names, the settings sheet's labels and the reasons in ``lang`` (the column names
    of the data sheets are the field codes of the CSV and API)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = render(i18n_msg("cm.book.ranked"), lang)
    sheet.append(COMMISSIONING_COLUMNS)
    for r in c.rows():
        sheet.append([_cell(r[k]) for k in COMMISSIONING_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    nodata = wb.create_sheet(render(i18n_msg("cm.book.without_data"), lang))
    cols = ["entity_id", "name", "kind", "building_type", "street_code", "reason",
            f"reason_{lang}"]
    nodata.append(cols)
    for w in c.without_data:
        nodata.append([_cell(w.get(k)) for k in cols])
    def t(code: str) -> str:
        return render(i18n_msg(code), lang)

    about = wb.create_sheet(t("cm.book.about"))
    head = c.header()
    about.append([t("cm.book.district"), c.district_id, c.district_name])
    about.append([t("cm.book.year"), c.year])
    about.append([t("cm.book.thresholds"), c.thresholds_source,
                  t("cm.book.thresholds_unverified")
                  if c.thresholds_source == "unverified defaults" else ""])
    for k, v in head["options"].items():
        about.append([k, str(v)])
    about.append([t("cm.book.holidays"), ", ".join(c.holidays)])
    about.append([t("cm.book.workdays"), ", ".join(c.workdays)])
    for n in c.notes:
        about.append([t("cm.book.note"), render(n, lang)])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data


def _cell(v: Any) -> Any:
    if isinstance(v, float) and not np.isfinite(v):
        return None
    v = xlsx_value(v)  # control characters older data may hold
    if isinstance(v, str) and v.startswith(("=", "+", "-", "@")):
        return "'" + v
    return v


def split_candidates(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                           list[dict[str, Any]]]:
    """The screened buildings as (candidates, normal for their type), both in rank order.

    A building whose type carries a caveat (data centres, hospitals and hotels run around the
    clock, malls open every day: :data:`CAVEATS`)
    shows a
    high night or non-working-day load by design, which the screen's windows read as waste:
    it is not a candidate and its "avoidable" energy is not counted.
    """
    candidates = [i for i in items if not i.get("caveats")]
    normal = [i for i in items if i.get("caveats")]
    return candidates, normal
