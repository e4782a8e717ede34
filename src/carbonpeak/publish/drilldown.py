"""The dashboard's drill-down below the street comparison: a street's every entity, and one
meter's readings as a series with its data-quality flags.

中文：驾驶舱逐级下钻——街道的全部用能主体（不限重点单位），以及单块计量表的读数曲线（按小时或按日，
地区当地时间）及其数据质量标记（缺测、突变、待核实数值）。

The street's figures are the official account's (the same per-entity sums as the street
comparison, :mod:`carbonpeak.publish.dashboard`); a meter's series are its stored readings
aggregated in the district's local time (interval meters summed per hour or day, cumulative
registers their last reading of the hour or day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from carbonpeak.errors import NotFoundError
from carbonpeak.publish.dashboard import (
    _entity_sums,
    _num,
    _runs,
    account_years,
    cached,
    entities_frame,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.held import list_held
from carbonpeak.services.accounting.quality import FLAGS, quality_report
from carbonpeak.storage.registry.models import District, Meter
from carbonpeak.storage.registry.repositories import publish as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["STREET_ENTITY_COLUMNS", "meter_series", "street_page"]

STREET_ENTITY_COLUMNS = ["entity_id", "name", "kind", "building_type", "sector",
                         "floor_area_m2", "is_key_unit", "parent_id", "n_meters", "tce_equal",
                         "tce_equivalent", "tco2", "kgce_per_m2"]


# -- a street's entities ---------------------------------------------------------------------
def street_page(ws: Workspace, scope: AccessScope, street_id: int,
                year: int | None) -> dict[str, Any]:
    """A street in scope with every entity of it the caller may see (not only key units):
    kind, building type, floor area, meters, and purchased energy (tce, equal and
    equivalent value) and CO2 of the year's official account.

    Raises
    ------
    NotFoundError
        No such street, or outside the scope (the two answer alike).
    """
    with ws.registry.session() as s:
        st = repo.street_in(s, scope.street_condition(), street_id)
        if st is None:
            msg = f"no street {street_id}"
            raise NotFoundError(msg)
        street = {"street_id": st.id, "code": st.code, "name_zh": st.name_zh,
                  "name_en": st.name_en}
    years = account_years(ws, scope.district_id)
    year = year if year is not None else (years[-1] if years else None)
    return cached(ws, ("street_page", scope.key(), street_id, year),
                  lambda: _street_page(ws, scope, street, year, years))


def _street_page(ws: Workspace, scope: AccessScope, street: dict[str, Any], year: int | None,
                 years: list[int]) -> dict[str, Any]:
    ents = scope.rows(entities_frame(ws, scope.district_id))
    ents = ents[ents["street_id"] == street["street_id"]]
    ids = set(ents.index)
    with ws.registry.session() as s:
        n_meters = {str(eid): int(n) for eid, n in repo.meter_counts_of_street(
            s, scope.entity_condition(), street["street_id"])}
    run = _runs(ws, scope.district_id, year)[0] if year is not None else None
    sums = _entity_sums(ws, run, ids)
    items: list[dict[str, Any]] = []
    for eid, e in ents.iterrows():
        got = sums.loc[eid] if eid in sums.index else None
        tce = _num(got["tce_equal"]) if got is not None else None
        area = _num(e["floor_area_m2"])
        items.append({
            "entity_id": str(eid), "name": e["name"], "kind": e["kind"],
            "building_type": e["building_type"], "sector": e["sector"],
            "floor_area_m2": area, "is_key_unit": bool(e["is_key_unit"]),
            "parent_id": e["parent_id"], "n_meters": int(n_meters.get(str(eid), 0)),
            "tce_equal": tce,
            "tce_equivalent": _num(got["tce_equivalent"]) if got is not None else None,
            "tco2": _num(got["tco2"]) if got is not None else None,
            "kgce_per_m2": tce * 1000.0 / area if tce is not None and area else None})
    items.sort(key=lambda r: (-(r["tce_equal"] or 0.0), r["entity_id"]))
    return {"street": street, "year": year, "years": years,
            "account_run_id": run.id if run else None,
            "n_key_units": sum(1 for r in items if r["is_key_unit"]),
            "items": items, "total": len(items), "limit": len(items), "offset": 0}


# -- a meter's series ------------------------------------------------------------------------
MAX_SERIES_WINDOW = {"hour": dt.timedelta(days=31), "day": dt.timedelta(days=366)}


def _stored(ws: Workspace, district_id: str, m: Meter, start: dt.datetime, end: dt.datetime,
            tz: ZoneInfo) -> pd.DataFrame:
    dataset = "readings" if m.register == "interval" else "registers"
    first = start.replace(tzinfo=dt.UTC).astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).replace(tzinfo=dt.UTC).astimezone(tz).date()
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()
    files = ws.lake.live_files(district_id, dataset, months)
    if not files:
        return pd.DataFrame({"ts": pd.Series(dtype="datetime64[us]"),
                             "value": pd.Series(dtype=float)})
    con = ws.lake.connect()
    try:
        df: pd.DataFrame = con.execute(
            "SELECT ts, value FROM read_parquet(?, union_by_name=true) "
            "WHERE meter_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
            [[str(f) for f in files], m.id, start, end]).df()
    finally:
        con.close()
    return df


def meter_series(ws: Workspace, scope: AccessScope, meter_id: str, start: dt.datetime,
                 end: dt.datetime, resolution: str) -> dict[str, Any]:
    """One meter's stored readings from ``start`` to ``end`` (naive UTC, end exclusive) per
    local hour or day (every one of the window; one without readings has ``value`` None and
    ``n`` 0): the sum of an interval meter's readings (``aggregate="sum"``) or a
    cumulative register's last reading (``"last"``), with the count of readings; and the
    meter's data-quality flags per local day and its held values in the window.

    Raises
    ------
    NotFoundError
        No such meter, or its entity outside the scope (the two answer alike).
    """
    with ws.registry.session() as s:
        m = repo.meter_in(s, scope.entity_condition(), meter_id)
        if m is None:
            msg = f"no meter {meter_id}"
            raise NotFoundError(msg)
        s.expunge(m)
        d = s.get(District, scope.district_id)
        tz_name = d.timezone if d is not None else "Asia/Shanghai"
    tz = ZoneInfo(tz_name)
    df = _stored(ws, scope.district_id, m, start, end, tz)
    aggregate = "sum" if m.register == "interval" else "last"
    # every local hour or day of the window, an empty one with no value (a gap shows)
    freq = "h" if resolution == "hour" else "D"
    lo = pd.Timestamp(start.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None))
    hi = pd.Timestamp(end.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None))
    buckets = pd.date_range(lo.floor(freq), hi - pd.Timedelta(microseconds=1), freq=freq)
    values = pd.Series(index=buckets, dtype=float)
    counts = pd.Series(0, index=buckets, dtype=int)
    if not df.empty:
        local = pd.to_datetime(df["ts"]).dt.tz_localize("UTC").dt.tz_convert(tz_name)
        local = local.dt.tz_localize(None)
        bucket = local.dt.floor("h") if resolution == "hour" else local.dt.normalize()
        g = df.assign(bucket=bucket).groupby("bucket", sort=True)["value"]
        got = g.sum(min_count=1) if aggregate == "sum" else g.last()
        values = got.reindex(buckets)
        counts = g.count().reindex(values.index, fill_value=0)
    fmt = "%Y-%m-%dT%H:%M" if resolution == "hour" else "%Y-%m-%d"
    items = [{"t": pd.Timestamp(b).strftime(fmt), "value": _num(v), "n": int(n)}
             for b, v, n in zip(values.index, values.to_numpy(), counts.to_numpy(),
                                strict=True)]
    return {"meter_id": m.id, "entity_id": m.entity_id, "carrier": m.carrier, "unit": m.unit,
            "submeter": m.submeter, "register": m.register,
            "interval_minutes": m.interval_minutes, "resolution": resolution,
            "aggregate": aggregate, "timezone": tz_name,
            "start": start.isoformat() + "Z", "end": end.isoformat() + "Z",
            "items": items, "total": len(items), "limit": len(items), "offset": 0,
            "quality": _quality_days(ws, scope.district_id, m, start, end, tz),
            "held": _held(ws, scope.district_id, m.id, start, end, tz),
            "flag_labels": {k: {"zh": v[1], "en": v[2]} for k, v in FLAGS.items()}}


def _quality_days(ws: Workspace, district_id: str, m: Meter, start: dt.datetime,
                  end: dt.datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The meter's local days in the window that carry a data-quality flag."""
    first = start.replace(tzinfo=dt.UTC).astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).replace(tzinfo=dt.UTC).astimezone(tz).date()
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()
    out: list[dict[str, Any]] = []
    for month in months:
        report = quality_report(ws, district_id, entity_id=m.entity_id, month=month,
                                include_rows=True)
        for r in report.rows:
            day = str(r.get("day") or "")[:10]
            if r.get("meter_id") != m.id or not r.get("flags") or not (
                    first.isoformat() <= day <= last.isoformat()):
                continue
            out.append({"day": day, "flags": [f for f in str(r["flags"]).split(";") if f],
                        "expected": _int(r.get("expected")),
                        "received": _int(r.get("received")),
                        "completeness": _num(r.get("completeness")),
                        "n_missing": _int(r.get("n_missing")),
                        "n_spikes": _int(r.get("n_spikes")),
                        "longest_gap_minutes": _num(r.get("longest_gap_minutes"))})
    return sorted(out, key=lambda r: str(r["day"]))


def _int(v: Any) -> int | None:
    f = _num(v)
    return int(f) if f is not None else None


def _held(ws: Workspace, district_id: str, meter_id: str, start: dt.datetime,
          end: dt.datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The meter's held values (any decision) in the window, with their local hour ``t``
    (where the chart marks them)."""
    keep = ("id", "ts", "value", "status", "reason_code", "reason_zh", "reason_en")
    out = []
    for h in list_held(ws, district_id, status=None):
        ts = dt.datetime.fromisoformat(str(h["ts"]).removesuffix("Z"))
        if h["meter_id"] == meter_id and start <= ts < end:
            local = ts.replace(tzinfo=dt.UTC).astimezone(tz)
            out.append({**{k: h[k] for k in keep}, "t": local.strftime("%Y-%m-%dT%H:00"),
                        "day": local.strftime("%Y-%m-%d")})
    return out
