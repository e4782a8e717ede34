"""What the dashboard and the carbon map show, from the official account, within a scope.

中文：驾驶舱与碳排放地图的数据——取自正式核算结果，并按角色范围限定。

Every figure comes from the stored tables of the official account run of the year (and of
the year before, for comparisons); nothing is recomputed differently from `carbonpeak
account`. Energy is the purchased energy (scope 1 and 2, on-site PV apart) in tce, equal value
(等价值) as the headline and equivalent value (当量值) beside it; CO2 in tCO2.

The run tables are read once per run and kept in memory (a run never changes; a restatement
is a new run). Whole answers are cached under a *data version*, one small query over the
registry's ids (account runs, batches, audit log, warning events), so any change to the
inputs is seen by the next request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from carbonpeak.domain.targets import path_value
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import stored_text
from carbonpeak.services.access.disclosure import (
    entity_respondents,
    min_entities,
    percentile_disclosed,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.figures import FigureSet, figures
from carbonpeak.storage.registry.models import AccountRun, District, Street
from carbonpeak.storage.registry.repositories import publish as repo
from carbonpeak.storage.workspace import Workspace

__all__ = [
    "KEY_UNIT_COLUMNS",
    "DataVersion",
    "account_years",
    "cached",
    "data_time",
    "data_version",
    "entity_page",
    "key_unit_labels",
    "key_units",
    "class_breaks",
    "map_layers",
    "overview",
    "street_comparison",
]

T = TypeVar("T")
PURCHASED = ("1", "2")
LEVEL_RANK = {"red": 0, "yellow": 1, "green": 2, "no_data": 3, "no_budget": 4}
_TABLES = ("meter_month", "inventory_entity_month", "inventory_entity_year",
           "eui_building_year", "key_units")


# -- caches ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataVersion:
    """Ids that change whenever data the dashboard shows may have changed."""

    runs: int
    batches: int
    audit: int
    warnings: int


def data_version(ws: Workspace) -> DataVersion:
    """The current data version (one query)."""
    with ws.registry.session() as s:
        row = repo.data_version_ids(s, _NOT_DATA)
    return DataVersion(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def data_time(ws: Workspace, v: DataVersion | None = None) -> dt.datetime:
    """The time of the data version ``v`` (the current one by default): the latest of the rows
    that make it (the newest account run, import batch, data audit-log entry and warning
    event); 1970-01-01 without any."""
    v = v or data_version(ws)
    with ws.registry.session() as s:
        times = repo.data_version_times(s, v.runs, v.batches, v.audit, v.warnings)
    known = [t for t in times if t is not None]
    return max(known) if known else dt.datetime(1970, 1, 1)


# audit entries about users and tokens (sign-ins among them) change nothing the dashboard shows
_NOT_DATA = ("user", "api_token")


class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_RUN_TABLES = _Lru(8)
_ANSWERS = _Lru(512)


def cached(ws: Workspace, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per ``key`` and data version (the key must include the scope)."""
    full = (str(ws.settings.url), data_version(ws), *key)
    hit = _ANSWERS.get(full)
    if hit is not None:
        return cast(T, hit)
    value = compute()
    _ANSWERS.put(full, value)
    return value


def _run_tables(ws: Workspace, run: AccountRun) -> dict[str, pd.DataFrame]:
    key = (str(ws.settings.url), run.id)
    hit: dict[str, pd.DataFrame] | None = _RUN_TABLES.get(key)
    if hit is None:
        rel = (run.summary or {}).get("tables_dir")
        folder = ws.lake.root / rel if rel else None
        have = {p.stem for p in folder.glob("*.parquet")} if folder and folder.is_dir() else set()
        hit = load_run_tables(ws, run, [t for t in _TABLES if t in have]) if have else \
            load_run_tables(ws, run, [])
        for t in _TABLES:  # runs made before a table was stored
            hit.setdefault(t, pd.DataFrame())
        _RUN_TABLES.put(key, hit)
    return hit


# -- inputs ----------------------------------------------------------------------------------
def entities_frame(ws: Workspace, district_id: str) -> pd.DataFrame:
    """The district's entities with their street (code and names), indexed by entity id."""
    with ws.registry.session() as s:
        rows = repo.entity_street_rows(s, district_id)
    cols = ["entity_id", "name", "kind", "street_id", "building_type", "floor_area_m2", "lat",
            "lon", "parent_id", "sector", "is_key_unit", "key_unit_rule", "street_code",
            "street_name_zh", "street_name_en"]
    df = pd.DataFrame([tuple(r) for r in rows], columns=cols)
    df["street_id"] = df["street_id"].astype("Int64")
    df["key_unit_rule"] = df["key_unit_rule"].map(stored_text).astype(object)
    return df.set_index("entity_id", drop=False).rename_axis(None)


def account_years(ws: Workspace, district_id: str) -> list[int]:
    """Years with an official account (the dashboard's year selector)."""
    with ws.registry.session() as s:
        return sorted({int(y) for y in repo.current_official_years(s, district_id)})


def _runs(ws: Workspace, district_id: str, year: int,
          ) -> tuple[AccountRun | None, AccountRun | None]:
    with ws.registry.session() as s:
        run, prev = official_run(s, district_id, year), official_run(s, district_id, year - 1)
        s.expunge_all()
    return run, prev


def _num(v: Any) -> float | None:
    """A finite float or None (JSON has no NaN)."""
    if v is None or v is pd.NA:
        return None
    f = float(v)
    return f if np.isfinite(f) else None


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        out.append({str(k): (_num(v) if isinstance(v, float | np.floating) else
                             (int(v) if isinstance(v, np.integer) else
                              (bool(v) if isinstance(v, np.bool_) else
                               (None if v is pd.NA or v is None else v))))
                    for k, v in rec.items()})
    return out


def _purchased(em: pd.DataFrame) -> pd.DataFrame:
    if em.empty:
        return em
    return em[em["scope"].isin(PURCHASED)]


def _scope_info(ws: Workspace, scope: AccessScope) -> dict[str, Any]:
    with ws.registry.session() as s:
        d = s.get(District, scope.district_id)
        if scope.everything:
            return {"type": "district", "id": scope.district_id,
                    "name_zh": d.name_zh if d else "", "name_en": d.name_en if d else ""}
        if scope.street_id is not None:
            st = s.get(Street, scope.street_id)
            return {"type": "street", "id": st.code if st else None,
                    "name_zh": st.name_zh if st else "", "name_en": st.name_en if st else ""}
    ids = sorted(scope.entities)
    return {"type": "entities", "id": ",".join(ids), "name_zh": "、".join(ids),
            "name_en": ", ".join(ids)}


# -- overview --------------------------------------------------------------------------------
def _warning_counts(ws: Workspace, scope: AccessScope, year: int) -> tuple[dict[str, int],
                                                                     list[dict[str, Any]]]:
    rank = {lv: i for i, lv in enumerate(LEVEL_RANK)}
    with ws.registry.session() as s:
        counts = {str(lv): int(n) for lv, n in repo.warning_level_counts(
            s, scope.warning_condition(), year)}
        rows = repo.red_yellow_warnings(s, scope.warning_condition(), year)
    rows.sort(key=lambda w: (rank.get(w.level, 9), -(w.ratio or 0.0), w.id))
    top = [{"id": w.id, "scope_type": w.scope_type, "scope_id": w.scope_id,
            "name": w.scope_name, "level": w.level, "ratio": _num(w.ratio),
            "projected": _num(w.projected), "budget": _num(w.budget),
            "reason_zh": w.reason_zh, "reason_en": w.reason_en} for w in rows[:10]]
    return counts, top


def _worst_levels(ws: Workspace, scope: AccessScope, year: int, scope_type: str) -> dict[str, str]:
    with ws.registry.session() as s:
        rows = repo.warning_levels(s, scope.warning_condition(), year, scope_type)
    out: dict[str, str] = {}
    for sid, lv in rows:
        if sid not in out or LEVEL_RANK.get(lv, 9) < LEVEL_RANK.get(out[sid], 9):
            out[str(sid)] = str(lv)
    return out


def _intensity(ws: Workspace, scope: AccessScope, year: int) -> dict[str, Any] | None:
    from carbonpeak.services.plan.dual_control import dual_control

    dc = dual_control(ws, district=scope.district_id, year=year, viewer=scope)
    ind = next((i for i in dc.indicators if i.indicator == "energy_per_gdp"), None)
    if ind is None or not ind.series:
        return None
    target = next((t for t in ind.targets if t.get("target_value")), None)
    series = []
    for row in ind.series:
        path = None
        if (target and ind.baseline_value and target["target_year"]
                and target["target_year"] > ind.baseline_year):
            path = path_value(ind.baseline_value, ind.baseline_year, target["target_value"],
                              target["target_year"], row["year"])
        series.append({"year": row["year"], "value": _num(row["value"]),
                       "path": _num(path), "source": row["source"]})
    latest = next((r for r in series if r["year"] == ind.latest_year), None)
    return {"unit": ind.unit, "name_zh": ind.name_zh, "name_en": ind.name_en,
            "baseline_year": ind.baseline_year, "baseline_value": _num(ind.baseline_value),
            "year": ind.latest_year, "value": _num(ind.latest_value),
            "path_value": latest["path"] if latest else None,
            "change_vs_baseline_pct": _num(ind.change_vs_baseline_pct),
            "status": ind.status,
            "target": {k: target[k] for k in ("code", "target_year", "target_value",
                                              "status", "reason_zh", "reason_en")}
            if target else None,
            "series": series}


def _month_sums(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=[*by, "tce_equal", "tce_equivalent", "tco2"])
    g = df.groupby(by, dropna=False)[["tce_equal", "tce_equivalent", "tco2"]].sum(min_count=1)
    return g.reset_index()


def overview(ws: Workspace, scope: AccessScope, year: int | None) -> dict[str, Any]:
    """The overview of the caller's scope for ``year`` (default: the latest accounted)."""
    years = account_years(ws, scope.district_id)
    if year is None:
        year = years[-1] if years else None
    if year is None:
        return {"scope": _scope_info(ws, scope), "year": None, "years": years,
                "account_run_id": None, "notes": ["no official account yet"]}
    return cached(ws, ("overview", scope.key(), year),
                  lambda: _overview(ws, scope, year, years))


def _overview(ws: Workspace, scope: AccessScope, year: int, years: list[int]) -> dict[str, Any]:
    run, prev = _runs(ws, scope.district_id, year)
    ents = scope.rows(entities_frame(ws, scope.district_id))
    ids = set(ents.index)
    out: dict[str, Any] = {"scope": _scope_info(ws, scope), "year": year, "years": years,
                           "account_run_id": run.id if run else None,
                           "previous_run_id": prev.id if prev else None, "notes": []}
    if run is None:
        out["notes"].append(f"no official account for {year}")
        return out
    t = _run_tables(ws, run)
    em = t["inventory_entity_month"]
    em = em[em["entity_id"].isin(ids)]
    pem = _purchased(em)
    months = sorted(pem.loc[pem["quantity"].notna(), "month"].unique().tolist())
    last_em = pd.DataFrame()
    if prev is not None:
        last_em = _run_tables(ws, prev)["inventory_entity_month"]
        last_em = _purchased(last_em[last_em["entity_id"].isin(ids)])
    same = {f"{year - 1}-{m[5:]}" for m in months}
    last_same = last_em[last_em["month"].isin(same)] if not last_em.empty else last_em

    def total(df: pd.DataFrame, col: str) -> float | None:
        return _num(df[col].sum()) if not df.empty else None

    def change(now: float | None, before: float | None) -> float | None:
        return (now / before - 1.0) if now is not None and before else None

    e_now, c_now = total(pem, "tce_equal"), total(pem, "tco2")
    e_last, c_last = total(last_same, "tce_equal"), total(last_same, "tco2")
    out["months"] = months
    out["energy"] = {"tce_equal": e_now, "tce_equivalent": total(pem, "tce_equivalent"),
                     "tce_equal_last": e_last,
                     "tce_equal_last_full_year": total(last_em, "tce_equal"),
                     "change": _num(change(e_now, e_last))}
    out["co2"] = {"tco2": c_now, "tco2_last": c_last,
                  "tco2_last_full_year": total(last_em, "tco2"),
                  "change": _num(change(c_now, c_last))}
    gen = em[em["scope"] == "generation"] if not em.empty else em
    out["pv_generation_kwh"] = total(gen, "quantity") or 0.0
    out["comparison"] = {"year": year - 1 if prev is not None else None,
                         "months": len(months),
                         "zh": f"{year - 1}年同期（{len(months)}个月）" if prev is not None
                         else "无上年核算",
                         "en": f"same {len(months)} months of {year - 1}" if prev is not None
                         else "no account of the year before"}
    # the district's intensity against its path: dual control is visible to street officers
    out["intensity"] = _intensity(ws, scope, year) if (
        scope.everything or scope.street_id is not None) else None
    by_carrier = _month_sums(pem, ["month", "carrier"])
    out["monthly_by_carrier"] = _records(by_carrier)
    with_sector = pem.assign(sector=pem["entity_id"].map(ents["sector"]).fillna("(none)"))
    out["monthly_by_sector"] = _records(_month_sums(with_sector, ["month", "sector"]))
    # key units: the account's consolidated figures (an enterprise with its buildings)
    ku = t["key_units"]
    ku = ku[ku["entity_id"].isin(ids) & ku["is_key_unit"].astype(bool)] if not ku.empty else ku
    levels = _worst_levels(ws, scope, year, "entity")
    top = ku.sort_values("energy_tce_equal", ascending=False).head(10) if not ku.empty else ku
    out["key_units"] = {"count": len(ku), "top": [
        {"entity_id": r["entity_id"], "name": str(ents["name"].get(r["entity_id"], "")),
         "tce_equal": _num(r["energy_tce_equal"]), "tco2": _num(r["tco2"]),
         "rule": stored_text(r["key_unit_rule"]), "warning_level": levels.get(r["entity_id"])}
        for r in top.to_dict("records")]}
    counts, top_w = _warning_counts(ws, scope, year)
    out["warnings"] = {"counts": counts, "top": top_w}
    exp = float(em["intervals_expected"].sum()) if not em.empty else 0.0
    rec = float(em["intervals_received"].sum()) if not em.empty else 0.0
    with_data = int(pem.loc[pem["quantity"].notna(), "entity_id"].nunique())
    out["coverage"] = {
        "coverage": _num(em["coverage"].mean()) if not em.empty else None,
        "entities": len(ids), "entities_with_data": with_data,
        "missing_entity_months": int((em["flags"] == "missing").sum()) if not em.empty else 0,
        "intervals_expected": exp, "intervals_received": rec,
        "interval_completeness": rec / exp if exp else None,
    }
    _from_catalogue(out, figures(ws, year=year, district=scope.district_id, scope=scope),
                    scope)
    return out


def _from_catalogue(out: dict[str, Any], fs: FigureSet, scope: AccessScope) -> None:
    """The overview's published figures from the catalogue's stored values (one figure, one
    definition), with their basis and as-of labels under ``figures``."""
    if scope.everything:
        shown = {c: c for c in ("energy.metered", "energy.metered.equivalent", "co2.metered",
                                "coverage.intervals", "key_units.count")}
    elif scope.street_id is not None and scope.street_code is not None:
        shown = {"energy.metered": "street.energy.metered",
                 "coverage.intervals": "street.coverage.intervals"}
    else:
        shown = {}
    shown |= {c: c for c in ("intensity.energy_per_gdp", "intensity.energy_per_gdp.change",
                             "energy.statistics", "budget.district")}
    subject = fs.district_id if scope.everything else scope.street_code
    found: dict[str, Any] = {}
    for key, code in shown.items():
        f = fs.get(code, subject if code.startswith("street.") or scope.everything else None)
        if f is not None:
            found[key] = f.to_dict()
    out["figures"] = found

    def value(key: str) -> float | None:
        return found[key]["value"] if key in found else None

    if "energy.metered" in found:
        out["energy"]["tce_equal"] = value("energy.metered")
    if "energy.metered.equivalent" in found:
        out["energy"]["tce_equivalent"] = value("energy.metered.equivalent")
    if "co2.metered" in found:
        out["co2"]["tco2"] = value("co2.metered")
    if "coverage.intervals" in found:
        v = value("coverage.intervals")
        out["coverage"]["interval_completeness"] = v / 100.0 if v is not None else None
    if "key_units.count" in found and value("key_units.count") is not None:
        out["key_units"]["count"] = int(value("key_units.count") or 0)
    it = out.get("intensity")
    if it is not None and "intensity.energy_per_gdp" in found:
        it["value"] = value("intensity.energy_per_gdp")
        it["change_vs_baseline_pct"] = value("intensity.energy_per_gdp.change")


# -- streets ---------------------------------------------------------------------------------
def street_comparison(ws: Workspace, scope: AccessScope, year: int | None) -> dict[str, Any]:
    """One row per street in scope: energy, CO2, floor area, intensity, change, warnings."""
    years = account_years(ws, scope.district_id)
    year = year if year is not None else (years[-1] if years else None)
    if year is None:
        return {"year": None, "years": years, "items": []}
    return cached(ws, ("streets", scope.key(), year),
                  lambda: _street_comparison(ws, scope, year, years))


def _account_months(ws: Workspace, run: AccountRun | None) -> list[str]:
    """The months of a run with purchased-energy data (a running year has fewer than 12)."""
    if run is None:
        return []
    em = _purchased(_run_tables(ws, run)["inventory_entity_month"])
    return sorted(em.loc[em["quantity"].notna(), "month"].unique().tolist())


def _same_months(months: list[str], year: int) -> set[str]:
    """The months of ``year`` with the same numbers as ``months`` (a year-on-year period)."""
    return {f"{year}-{m[5:]}" for m in months}


def _entity_sums(ws: Workspace, run: AccountRun | None, ids: set[str],
                 months: set[str] | None = None) -> pd.DataFrame:
    """Purchased energy and CO2 per entity of a run (only ``months``, when given)."""
    if run is None:
        return pd.DataFrame(columns=["tce_equal", "tce_equivalent", "tco2"])
    em = _purchased(_run_tables(ws, run)["inventory_entity_month"])
    em = em[em["entity_id"].isin(ids)]
    if months is not None:
        em = em[em["month"].isin(months)]
    return em.groupby("entity_id")[["tce_equal", "tce_equivalent", "tco2"]].sum(min_count=1)


def _street_comparison(ws: Workspace, scope: AccessScope, year: int,
                       years: list[int]) -> dict[str, Any]:
    run, prev = _runs(ws, scope.district_id, year)
    ents = entities_frame(ws, scope.district_id)
    ents = scope.rows(ents)
    ids = set(ents.index)
    months = _account_months(ws, run)
    now = _entity_sums(ws, run, ids)
    # last year over the same months: a running year is compared with the same period
    last = _entity_sums(ws, prev, ids, _same_months(months, year - 1))
    df = ents.join(now, how="left").join(last[["tce_equal"]].rename(
        columns={"tce_equal": "tce_equal_last"}), how="left")
    levels = _worst_levels(ws, scope, year, "street")
    with ws.registry.session() as s:
        streets = repo.streets_in(s, scope.street_condition())
    items: list[dict[str, Any]] = []
    for st in streets:
        g = df[df["street_id"] == st.id]
        area = g.loc[g["tce_equal"].notna(), "floor_area_m2"].sum(min_count=1)
        e = _num(g["tce_equal"].sum(min_count=1))
        el = _num(g["tce_equal_last"].sum(min_count=1))
        items.append({
            "street_id": st.id, "code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
            "n_entities": len(g), "n_key_units": int(g["is_key_unit"].astype(bool).sum()),
            "floor_area_m2": _num(area), "tce_equal": e,
            "tce_equivalent": _num(g["tce_equivalent"].sum(min_count=1)),
            "tco2": _num(g["tco2"].sum(min_count=1)), "tce_equal_last": el,
            "change": (e / el - 1.0) if e is not None and el else None,
            "kgce_per_m2": (e * 1000.0 / float(area)) if e is not None and _num(area) else None,
            "warning_level": levels.get(st.code)})
    items.sort(key=lambda r: -(r["tco2"] or 0.0))
    return {"year": year, "years": years, "account_run_id": run.id if run else None,
            "months": months, "items": items, "total": len(items), "limit": len(items),
            "offset": 0}


# -- key units -------------------------------------------------------------------------------
def key_units(ws: Workspace, scope: AccessScope, year: int | None) -> list[dict[str, Any]]:
    """Key energy-using units in scope with consolidated energy, CO2, budget and warning."""
    years = account_years(ws, scope.district_id)
    year = year if year is not None else (years[-1] if years else None)
    if year is None:
        return []
    result: list[dict[str, Any]] = cached(ws, ("key_units", scope.key(), year),
                                          lambda: _key_units(ws, scope, year))
    return result


def _key_units(ws: Workspace, scope: AccessScope, year: int) -> list[dict[str, Any]]:
    run, _prev = _runs(ws, scope.district_id, year)
    if run is None:
        return []
    ents = scope.rows(entities_frame(ws, scope.district_id))
    ku = _run_tables(ws, run)["key_units"]
    if ku.empty:
        return []
    ku = ku[ku["entity_id"].isin(set(ents.index)) & ku["is_key_unit"].astype(bool)]
    with ws.registry.session() as s:
        budgets = {b.scope_id: b.budget
                   for b in repo.entity_energy_budgets(s, scope.district_id, year)}
        warns = {w.scope_id: w
                 for w in repo.entity_energy_warnings(s, scope.warning_condition(), year)}
        s.expunge_all()
    fs = figures(ws, year=year, district=scope.district_id, scope=scope)
    own, cons = fs.by_subject("key_unit.energy.own"), fs.by_subject(
        "key_unit.energy.consolidated")
    allocated, elastic = fs.by_subject("key_unit.budget"), fs.by_subject(
        "key_unit.budget.elastic")

    def fig(found: dict[str, Any], eid: str) -> float | None:
        f = found.get(eid)
        return f.value if f is not None else None

    rows: list[dict[str, Any]] = []
    for r in ku.sort_values("energy_tce_equal", ascending=False).to_dict("records"):
        e = ents.loc[r["entity_id"]]
        w = warns.get(r["entity_id"])
        eid = str(r["entity_id"])
        rows.append({
            "entity_id": r["entity_id"], "name": e["name"], "kind": e["kind"],
            "street_id": None if pd.isna(e["street_id"]) else int(e["street_id"]),
            "street_code": e["street_code"], "street_name_zh": e["street_name_zh"],
            "street_name_en": e["street_name_en"], "sector": e["sector"],
            "building_type": e["building_type"], "floor_area_m2": _num(e["floor_area_m2"]),
            "key_unit_rule": stored_text(r["key_unit_rule"]),
            "key_unit_rule_en": stored_text(r["key_unit_rule"], "en"),
            "n_children": int(r.get("n_children") or 0),
            "tce_equal": fig(cons, eid) if eid in cons else _num(r["energy_tce_equal"]),
            "tce_own": fig(own, eid),
            "tce_equivalent": _num(r["energy_tce_equivalent"]), "tco2": _num(r["tco2"]),
            "budget_tce": fig(allocated, eid) if eid in allocated
            else _num(budgets.get(r["entity_id"])),
            "budget_elastic_tce": fig(elastic, eid),
            "warning_level": w.level if w else None, "warning_ratio": _num(w.ratio) if w else None,
            "warning_reason_zh": w.reason_zh if w else None,
            "warning_reason_en": w.reason_en if w else None})
    return rows


def key_unit_labels(ws: Workspace, scope: AccessScope, year: int | None) -> dict[str, str]:
    """The basis and as-of lines of the key-unit table's energy and budget columns (from the
    figure catalogue): ``energy_label_zh``/``_en`` and ``budget_label_zh``/``_en``."""
    out = {"energy_label_zh": "", "energy_label_en": "", "budget_label_zh": "",
           "budget_label_en": ""}
    if year is None:
        return out
    fs = figures(ws, year=year, district=scope.district_id, scope=scope)
    energy = next((f for f in fs.items if f.code == "key_unit.energy.consolidated"), None)
    budget = next((f for f in fs.items if f.code == "key_unit.budget"), None)
    for key, f in (("energy", energy), ("budget", budget)):
        if f is not None:
            out[f"{key}_label_zh"], out[f"{key}_label_en"] = f.label("zh"), f.label("en")
    return out


KEY_UNIT_COLUMNS = [
    "entity_id", "name", "kind", "street_id", "street_code", "street_name_zh", "street_name_en",
    "sector", "building_type", "floor_area_m2", "key_unit_rule", "n_children", "tce_equal",
    "tce_own", "tce_equivalent", "tco2", "budget_tce", "budget_elastic_tce", "warning_level",
    "warning_ratio",
    "warning_reason_zh", "warning_reason_en"]


# -- entity page -----------------------------------------------------------------------------
def entity_page(ws: Workspace, scope: AccessScope, entity_id: str, year: int | None,
                ) -> dict[str, Any]:
    """One entity: monthly energy by carrier and sub-meter, EUI and its rank in its type,
    data quality, warnings and meters.

    Raises
    ------
    NotFoundError
        No such entity, or outside the scope.
    """
    if not scope.sees_entity(entity_id):
        msg = f"no entity {entity_id}"
        raise NotFoundError(msg)
    with ws.registry.session() as s:  # one indexed lookup; the frame only when computing
        found = repo.entity_id_in_district(s, scope.district_id, entity_id)
    if found is None:
        msg = f"no entity {entity_id}"
        raise NotFoundError(msg)
    years = account_years(ws, scope.district_id)
    year = year if year is not None else (years[-1] if years else None)
    return cached(ws, ("entity", scope.key(), entity_id, year),
                  lambda: _entity_page(ws, scope, entities_frame(ws, scope.district_id),
                                       entity_id, year, years))


def _entity_page(ws: Workspace, scope: AccessScope, ents: pd.DataFrame, entity_id: str,
                 year: int | None, years: list[int]) -> dict[str, Any]:
    e = ents.loc[entity_id]
    info = _records(ents.loc[[entity_id]])[0]
    children = ents[ents["parent_id"] == entity_id]
    info["children"] = [{"entity_id": c, "name": n}
                        for c, n in zip(children.index, children["name"], strict=True)
                        if scope.sees_entity(str(c))]
    with ws.registry.session() as s:
        meters = [{"meter_id": m.id, "carrier": m.carrier, "unit": m.unit,
                   "submeter": m.submeter, "register": m.register,
                   "interval_minutes": m.interval_minutes}
                  for m in repo.meters_of_entity(s, entity_id)]
        warns = [{"id": w.id, "year": w.year, "metric": w.metric, "level": w.level,
                  "ratio": _num(w.ratio), "projected": _num(w.projected),
                  "budget": _num(w.budget), "reason_zh": w.reason_zh,
                  "reason_en": w.reason_en}
                 for w in repo.warnings_of_entity(s, scope.district_id, entity_id)]
    out: dict[str, Any] = {"entity": info, "year": year, "years": years, "meters": meters,
                           "warnings": warns}
    if year is None:
        return out
    run, prev = _runs(ws, scope.district_id, year)
    if run is None:
        return out
    t = _run_tables(ws, run)
    em = t["inventory_entity_month"]
    em = em[em["entity_id"] == entity_id]
    cols = ["month", "carrier", "quantity", "unit", "tce_equal", "tce_equivalent", "tco2",
            "scope", "coverage", "flags", "estimated_share"]
    out["monthly_by_carrier"] = _with_remarks(
        ws, scope.district_id, entity_id, _records(em[[c for c in cols if c in em.columns]]))
    mm = t["meter_month"]
    if not mm.empty:
        mm = mm[mm["entity_id"] == entity_id]
        out["monthly_by_submeter"] = _records(mm[["month", "meter_id", "carrier", "submeter",
                                                  "quantity", "unit", "coverage"]])
    else:
        out["monthly_by_submeter"] = []
    pem = _purchased(em)
    totals = {"tce_equal": _num(pem["tce_equal"].sum(min_count=1)),
              "tce_equivalent": _num(pem["tce_equivalent"].sum(min_count=1)),
              "tco2": _num(pem["tco2"].sum(min_count=1)), "tce_equal_last": None}
    if prev is not None:  # the same months of last year
        same = _same_months(_account_months(ws, run), year - 1)
        last = _entity_sums(ws, prev, {entity_id}, same)
        totals["tce_equal_last"] = _num(last["tce_equal"].sum(min_count=1))
    out["totals"] = totals
    ey = t["inventory_entity_year"]
    ey = ey[ey["entity_id"] == entity_id]
    out["quality"] = {
        "coverage": _num(em["coverage"].mean()) if not em.empty else None,
        "missing_months": int((em["flags"] == "missing").sum()) if not em.empty else 0,
        "source": sorted(set(ey["source"].dropna())) if "source" in ey else [],
        "flags": sorted({f for v in ey.get("flags", pd.Series(dtype=str)).dropna()
                         for f in str(v).split(",") if f}),
    }
    out["eui"] = _eui_rank(t["eui_building_year"], entity_id, e["building_type"],
                           None if scope.everything else _disclosure_n(ws, scope, ents))
    fs = figures(ws, year=year, district=scope.district_id, scope=scope)
    out["figures"] = {f.code: f.to_dict() for f in fs.items
                      if f.subject_type == "entity" and f.subject_id == entity_id}
    return out


def _with_remarks(ws: Workspace, district_id: str, entity_id: str,
                  rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each month's row with its ledger remark (备注): the newest one a ledger batch brought for
    the entity, month and carrier (``None`` when there is none)."""
    months = {str(r["month"]) for r in rows}
    current: dict[tuple[str, str], str] = {}
    if months:
        with ws.registry.session() as s:
            for period, carrier, note in repo.ledger_remarks(s, district_id, entity_id, months):
                current[(period, carrier)] = note  # the newest wins
    return [r | {"remark": current.get((str(r["month"]), str(r["carrier"])))} for r in rows]


def _disclosure_n(ws: Workspace, scope: AccessScope, ents: pd.DataFrame
                  ) -> tuple[set[str], int, dict[str, str]]:
    """The viewer's own entities, N and the entities' respondents (small-cell
    suppression)."""
    own = {str(i) for i in ents.index if scope.sees_entity(str(i))}
    return (own, min_entities(ws.district(scope.district_id)),
            entity_respondents(ws, scope.district_id))


def _eui_rank(eui: pd.DataFrame, entity_id: str, building_type: Any,
              restricted: tuple[set[str], int, dict[str, str]] | None = None
              ) -> dict[str, Any] | None:
    """The entity's EUI and where it stands in its type; for a viewer without district-wide
    sight (``restricted``: its own entities and N), no median (one peer's figure, or the mean
    of two) and the percentile only when it cannot give a peer's area
    (:func:`~carbonpeak.services.access.disclosure.percentile_disclosed`)."""
    if eui.empty or entity_id not in set(eui["entity_id"]):
        return None
    row = eui[eui["entity_id"] == entity_id].iloc[0]
    peers = eui[(eui["building_type"] == building_type)
                & eui["eui_kgce_per_m2_equal"].notna()]
    v = _num(row["eui_kgce_per_m2_equal"])
    pct = None
    if v is not None and len(peers):
        # floor-area-weighted share of the type's area using less per m2 (0 = best)
        w = peers["floor_area_m2"].astype(float)
        below = w[peers["eui_kgce_per_m2_equal"] < v].sum()
        pct = float(below / w.sum()) if w.sum() else None
    median = _num(peers["eui_kgce_per_m2_equal"].median()) if len(peers) else None
    suppressed: list[str] = []
    if restricted is not None:
        own, n, respondent = restricted
        order = peers.sort_values("eui_kgce_per_m2_equal", kind="stable")["entity_id"]
        if pct is not None and not percentile_disclosed([str(x) for x in order], own, n,
                                                        respondent):
            pct = None
            suppressed.append("area_weighted_percentile")
        if median is not None and any(str(x) not in own for x in order):
            median = None
            suppressed.append("type_median_kgce_per_m2_equal")
    return {"eui_kwh_per_m2": _num(row["eui_kwh_per_m2"]),
            "eui_kgce_per_m2_equal": v,
            "eui_kgce_per_m2_equivalent": _num(row["eui_kgce_per_m2_equivalent"]),
            "tco2_per_m2": _num(row["tco2_per_m2"]),
            "type_median_kgce_per_m2_equal": median,
            "type_count": len(peers), "area_weighted_percentile": pct,
            "suppressed": suppressed}


# -- map -------------------------------------------------------------------------------------
def map_layers(ws: Workspace, scope: AccessScope, year: int | None, month: str | None,
               tile_url: str | None) -> dict[str, Any]:
    """Street polygons and building points with tCO2 and intensity, for a year or a month.

    Raises
    ------
    NotFoundError
        ``month`` not in ``year``.
    """
    years = account_years(ws, scope.district_id)
    year = year if year is not None else (years[-1] if years else None)
    if month is not None and (year is None or not month.startswith(f"{year}-")):
        msg = f"month {month} is not in year {year}"
        raise NotFoundError(msg)
    result: dict[str, Any] = cached(ws, ("map", scope.key(), year, month),
                                    lambda: _map(ws, scope, year, month, years))
    scales: dict[str, Any] = cached(ws, ("map-scales", scope.district_id, year, month),
                                    lambda: _map_scales(ws, scope.district_id, year, month,
                                                        years))
    return result | {"tile_url": tile_url, "scales": scales}


#: classes of the map's colour scales, and the fewest entities (or streets) in each class
MAP_CLASSES = 5
MIN_PER_CLASS = 3


def _round_break(v: float) -> float:
    """Two significant figures: a class break never repeats one entity's exact value."""
    if v == 0 or not np.isfinite(v):
        return 0.0
    digits = 1 - int(np.floor(np.log10(abs(v))))
    return float(round(v, digits))


def class_breaks(values: list[float], classes: int = MAP_CLASSES,
                 min_per_class: int = MIN_PER_CLASS) -> list[float]:
    """Inner class breaks at the quantiles of ``values`` (the whole district's), with at
    least ``min_per_class`` values per class, rounded to two significant figures, equal
    breaks merged. ``k`` breaks make ``k + 1`` classes: ``< b1``, ``b1-b2``, ..., ``>= bk``.
    The lowest and highest values are never sent (they would be one entity's figure)."""
    vals = sorted(v for v in values if v is not None and np.isfinite(v))
    k = min(classes, len(vals) // min_per_class)
    if k < 2:
        return []
    qs = [_round_break(float(np.quantile(vals, i / k))) for i in range(1, k)]
    out: list[float] = []
    for b in qs:  # equal breaks merged; a break leaving an end class empty dropped
        if (not out or b > out[-1]) and vals[0] < b <= vals[-1]:
            out.append(b)
    return out


def _map_scales(ws: Workspace, district_id: str, year: int | None, month: str | None,
                years: list[int]) -> dict[str, Any]:
    """Fixed colour scales per metric, from every entity and street of the district, so every
    role sees the same colours for the same figure (the district's map, cached as the
    admins' own)."""
    district = AccessScope(district_id, everything=True)
    full: dict[str, Any] = cached(ws, ("map", district.key(), year, month),
                                  lambda: _map(ws, district, year, month, years))

    def vals(layer: str, prop: str) -> list[float]:
        return [float(v) for f in full[layer]["features"]
                if isinstance(v := f["properties"].get(prop), (int, float))]

    return {
        "entities_kgce_per_m2": {"unit": "kgce/m²",
                                 "breaks": class_breaks(vals("entities", "kgce_per_m2"))},
        "entities_tco2": {"unit": "tCO2", "breaks": class_breaks(vals("entities", "tco2"))},
        "streets_tco2": {"unit": "tCO2", "breaks": class_breaks(vals("streets", "tco2"))},
        "streets_kgce_per_m2": {"unit": "kgce/m²",
                                "breaks": class_breaks(vals("streets", "kgce_per_m2"))},
    }


def _map(ws: Workspace, scope: AccessScope, year: int | None, month: str | None,
         years: list[int]) -> dict[str, Any]:
    ents = scope.rows(entities_frame(ws, scope.district_id))
    run = _runs(ws, scope.district_id, year)[0] if year is not None else None
    sums = pd.DataFrame(columns=["tce_equal", "tco2"])
    months: list[str] = []
    if run is not None:
        em = _purchased(_run_tables(ws, run)["inventory_entity_month"])
        em = em[em["entity_id"].isin(set(ents.index))]
        months = sorted(em.loc[em["quantity"].notna(), "month"].unique().tolist())
        if month is not None:
            em = em[em["month"] == month]
        sums = em.groupby("entity_id")[["tce_equal", "tco2"]].sum(min_count=1)
    df = ents.join(sums, how="left")
    # per m2 over the period shown (a month's figure is that month's)
    area = df["floor_area_m2"].where(df["floor_area_m2"] > 0)
    df["kgce_per_m2"] = df["tce_equal"] * 1000.0 / area
    df["tco2_per_m2"] = df["tco2"] / area
    points = df[df["lat"].notna() & df["lon"].notna()]
    features = [{"type": "Feature", "id": i,
                 "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]},
                 "properties": {
                     "entity_id": r["entity_id"], "name": r["name"], "kind": r["kind"],
                     "building_type": r["building_type"],
                     "street_id": None if pd.isna(r["street_id"]) else int(r["street_id"]),
                     "is_key_unit": bool(r["is_key_unit"]),
                     "floor_area_m2": _num(r["floor_area_m2"]),
                     "tce_equal": _num(r["tce_equal"]), "tco2": _num(r["tco2"]),
                     "kgce_per_m2": _num(r["kgce_per_m2"])}}
                for i, r in enumerate(points.to_dict("records"))]
    with ws.registry.session() as s:
        streets = repo.streets_in(s, scope.street_condition())
        s.expunge_all()
    sfeat = []
    approximate = False
    for st in streets:
        g = df[df["street_id"] == st.id]
        e = _num(g["tce_equal"].sum(min_count=1))
        area_st = _num(g.loc[g["tce_equal"].notna(), "floor_area_m2"].sum(min_count=1))
        approximate |= bool(st.boundary_approximate)
        if st.boundary is None:
            continue
        sfeat.append({"type": "Feature", "id": st.id, "geometry": st.boundary, "properties": {
            "street_id": st.id, "code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
            "tce_equal": e, "tco2": _num(g["tco2"].sum(min_count=1)),
            "kgce_per_m2": (e * 1000.0 / area_st) if e is not None and area_st else None,
            "n_entities": len(g), "approximate": bool(st.boundary_approximate),
            "boundary_source": st.boundary_source}})
    return {"year": year, "month": month, "years": years, "months": months,
            "account_run_id": run.id if run else None,
            "approximate_boundaries": approximate,
            "streets_without_boundary": [st.code for st in streets if st.boundary is None],
            "streets": {"type": "FeatureCollection", "features": sfeat},
            "entities": {"type": "FeatureCollection", "features": features}}
