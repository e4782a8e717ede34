"""The district's yearly figures behind dual control, targets and the trajectory.

中文：双控指标的年度数据（统计与核算）及可由核算得出的目标指标。

Sources, per year (each row says which it used):

* **GDP**: district statistics (comparable prices, 10^4 CNY).
* **Energy** (tce, equal value 等价值, the convention of 单位GDP能耗 in Chinese statistics): the
  statistics' district total when given, because the assessment (考核) uses it; otherwise the
  official account of the year, which covers the metered entities only.
* **CO2** (t): the statistics' district figure when given; else the statistics' energy times
  the account's CO2 per tce (equal value) of the same year; else the account's own total.
* Account figures (electricity, fuel, PV, grid factor) always come from the year's current
  official account run, whose id is kept for traceability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import msg
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.retrofits import metric_series
from carbonpeak.storage.registry.models import (
    AccountRun,
    District,
    DistrictStatistics,
    Entity,
    SectorStatistics,
)
from carbonpeak.storage.workspace import Workspace

__all__ = ["RunTables", "computed_metric", "district_series", "finite", "official_runs",
           "purchased", "sector_frame"]

#: 1 kWh = 0.1229 kgce (equivalent value, GB/T 2589-2020)
TCE_PER_KWH_EQUIVALENT = 0.0001229


@dataclass
class RunTables:
    """The stored tables of a year's official account run."""

    run: AccountRun
    tables: dict[str, pd.DataFrame]


def official_runs(ws: Workspace, d: District, names: list[str]) -> dict[int, RunTables]:
    """Year -> tables of the current official run, for every year accounted (with tables)."""
    with ws.registry.session() as s:
        years = sorted(set(s.scalars(select(AccountRun.year).where(
            AccountRun.district_id == d.id, AccountRun.official.is_(True)))))
        runs = [r for y in years if (r := official_run(s, d.id, y)) is not None]
        s.expunge_all()
    out: dict[int, RunTables] = {}
    for run in runs:
        try:
            out[run.year] = RunTables(run, load_run_tables(ws, run, names))
        except (NotFoundError, FileNotFoundError):
            continue  # a run from before tables were stored: the year has statistics only
    return out


def purchased(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of purchased energy (scope 1 and 2): on-site PV generation left out."""
    return df[df["scope"].isin(["1", "2"])]


def district_series(ws: Workspace, d: District) -> pd.DataFrame:
    """One row per year: GDP, energy, CO2, their intensities and sources, account details.

    Columns: ``gdp_10k_cny, energy_tce, energy_source, co2_t, co2_source, energy_per_gdp,
    co2_per_gdp, account_run_id, account_tce_equal, account_tce_equivalent, account_tco2,
    electricity_kwh, fuel_tce_equivalent, fuel_tco2, electricity_tco2, pv_kwh, population``.
    The sources are messages (``plan.source.*``; None without a figure).
    """
    runs = official_runs(ws, d, ["inventory_district_year"])
    with ws.registry.session() as s:
        stats = {r.year: r for r in s.scalars(select(DistrictStatistics).where(
            DistrictStatistics.district_id == d.id))}
    rows: list[dict[str, Any]] = []
    for year in sorted(set(stats) | set(runs)):
        st = stats.get(year)
        row: dict[str, Any] = {"year": year, "gdp_10k_cny": st.gdp_10k_cny if st else None,
                               "population": st.population if st else None}
        acc = runs.get(year)
        if acc is not None:
            dy = acc.tables["inventory_district_year"]
            p = purchased(dy)
            elec = p[p["carrier"] == "electricity"]
            fuel = p[p["carrier"] != "electricity"]
            pv = dy[dy["scope"] == "generation"]
            row.update(account_run_id=acc.run.id,
                       account_tce_equal=float(p["tce_equal"].sum()),
                       account_tce_equivalent=float(p["tce_equivalent"].sum()),
                       account_tco2=float(p["tco2"].sum()),
                       electricity_kwh=float(elec["quantity"].sum()),
                       electricity_tco2=float(elec["tco2"].sum()),
                       fuel_tce_equivalent=float(fuel["tce_equivalent"].sum()),
                       fuel_tco2=float(fuel["tco2"].sum()),
                       pv_kwh=float(pv["quantity"].sum()))
        row.update(_energy_and_co2(st, row))
        rows.append(row)
    cols = ["gdp_10k_cny", "population", "energy_tce", "energy_source", "co2_t", "co2_source",
            "account_run_id", "account_tce_equal", "account_tce_equivalent", "account_tco2",
            "electricity_kwh", "electricity_tco2", "fuel_tce_equivalent", "fuel_tco2", "pv_kwh"]
    frame = pd.DataFrame(rows, columns=["year", *cols]).set_index("year")
    for c in cols:
        if c not in ("energy_source", "co2_source"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    frame["energy_per_gdp"] = frame["energy_tce"] / frame["gdp_10k_cny"]
    frame["co2_per_gdp"] = frame["co2_t"] / frame["gdp_10k_cny"]
    return frame


def _energy_and_co2(st: DistrictStatistics | None, row: dict[str, Any]) -> dict[str, Any]:
    acc_e, acc_c = row.get("account_tce_equal"), row.get("account_tco2")
    out: dict[str, Any] = {"energy_tce": None, "energy_source": None,
                           "co2_t": None, "co2_source": None}
    if st is not None and st.energy_tce:
        out.update(energy_tce=st.energy_tce, energy_source=msg("plan.source.statistics"))
    elif acc_e:
        out.update(energy_tce=acc_e,
                   energy_source=msg("plan.source.account", run=int(row["account_run_id"])))
    if st is not None and st.co2_t:
        out.update(co2_t=st.co2_t, co2_source=msg("plan.source.statistics"))
    elif st is not None and st.energy_tce and acc_e and acc_c:
        out.update(co2_t=st.energy_tce * acc_c / acc_e,
                   co2_source=msg("plan.source.statistics_scaled",
                                  run=int(row["account_run_id"])))
    elif acc_c:
        out.update(co2_t=acc_c, co2_source=msg("plan.source.account",
                                               run=int(row["account_run_id"])))
    return out


def sector_frame(ws: Workspace, d: District, year: int) -> pd.DataFrame | None:
    """Value added, energy and CO2 by GB/T 4754 section for a year (None without an account).

    Energy and CO2 are the official account's (own consumption of entities with that
    section); value added comes from the sector statistics (0 when not given: the LMDI then
    refuses a sector with energy but no value added, naming it).
    """
    runs = official_runs(ws, d, ["inventory_sector_year"])
    if year not in runs:
        return None
    sy = purchased(runs[year].tables["inventory_sector_year"]).copy()
    sy["section"] = sy["sector"].astype(str).str[:1]
    agg = sy.groupby("section").agg(energy_tce=("tce_equal", "sum"), tco2=("tco2", "sum"))
    with ws.registry.session() as s:
        va = {r.sector: r.value_added_10k_cny for r in s.scalars(select(SectorStatistics).where(
            SectorStatistics.district_id == d.id, SectorStatistics.year == year))}
    frame = agg.reindex(sorted(set(agg.index) | set(va))).fillna(0.0)
    frame["value_added_10k_cny"] = [va.get(str(k), 0.0) for k in frame.index]
    frame.index.name = "sector"
    return frame[["value_added_10k_cny", "energy_tce", "tco2"]]


def computed_metric(ws: Workspace, d: District, metric: str,
                    series: pd.DataFrame) -> tuple[list[tuple[int, float]], str]:
    """Yearly values of a metric the account can compute, and where they come from.

    Returns ``([(year, value), ...], source)``; an empty list when nothing can be computed.
    """
    if metric in ("energy_per_gdp", "co2_per_gdp"):
        col = metric
        vals = series[col].dropna()
        src = "energy" if metric == "energy_per_gdp" else "co2"
        sources = {str(series.loc[y, f"{src}_source"]) for y in vals.index}
        return ([(int(str(y)), float(v)) for y, v in vals.items()],
                "district statistics and official accounts: " + "; ".join(sorted(sources)))
    if metric in ("energy_total", "co2_total"):
        col = "energy_tce" if metric == "energy_total" else "co2_t"
        vals = series[col].dropna()
        return [(int(str(y)), float(v)) for y, v in vals.items()], "district series"
    if metric == "pv_generation_mwh":
        vals = series["pv_kwh"].dropna() / 1000.0
        return ([(int(str(y)), float(v)) for y, v in vals.items()],
                "official accounts: on-site PV generation (pv_generation meters and ledgers)")
    if metric.startswith("gdp_share:"):
        return _gdp_share(ws, d, metric.split(":", 1)[1], series)
    if metric in ("key_unit_monitoring_coverage", "public_institution_energy_per_m2",
                  "building_electricity_share"):
        return _from_accounts(ws, d, metric)
    if metric in ("retrofit_area_m2", "retrofit_area_saving15_m2", "commissioning_projects"):
        years = [int(str(y)) for y in series.index]
        return metric_series(ws, d, metric, max(years) if years else None)
    if metric == "public_building_audits_min":
        # 次 per audit interval (HP-12: ≥ 1 次/5年 for each covered building): the least count
        # over the covered buildings, so that ≥ 1 holds only when every one of them complies
        from carbonpeak.services.buildings.audits import audit_min_counts

        return audit_min_counts(ws, d)
    return [], ""


def _gdp_share(ws: Workspace, d: District, letter: str,
               series: pd.DataFrame) -> tuple[list[tuple[int, float]], str]:
    with ws.registry.session() as s:
        va = {r.year: r.value_added_10k_cny for r in s.scalars(select(SectorStatistics).where(
            SectorStatistics.district_id == d.id, SectorStatistics.sector == letter))}
    out = []
    for y, v in sorted(va.items()):
        gdp = series["gdp_10k_cny"].get(y)
        if gdp is not None and not math.isnan(gdp) and gdp > 0:
            out.append((y, 100.0 * v / gdp))
    return out, f"sector statistics (section {letter}) ÷ district GDP"


def _from_accounts(ws: Workspace, d: District,
                   metric: str) -> tuple[list[tuple[int, float]], str]:
    names = {"key_unit_monitoring_coverage": ["key_units", "inventory_entity_year"],
             "public_institution_energy_per_m2": ["eui_building_year"],
             "building_electricity_share": ["inventory_entity_year"]}[metric]
    runs = official_runs(ws, d, names)
    with ws.registry.session() as s:
        kinds = dict(s.execute(select(Entity.id, Entity.kind).where(
            Entity.district_id == d.id)).tuples().all())
    out: list[tuple[int, float]] = []
    for year, rt in sorted(runs.items()):
        v = _metric_value(metric, rt.tables, kinds)
        if v is not None:
            out.append((year, v))
    return out, "official account runs " + ", ".join(
        str(rt.run.id) for _, rt in sorted(runs.items()))


def _metric_value(metric: str, t: dict[str, pd.DataFrame], kinds: dict[str, str]) -> float | None:
    if metric == "key_unit_monitoring_coverage":
        ku = t["key_units"]
        keys = set(ku.loc[ku["is_key_unit"].astype(bool), "entity_id"])
        if not keys:
            return None
        ey = t["inventory_entity_year"]
        online = ey[(ey["intervals_received"] > 0) & ey["entity_id"].isin(keys)]["entity_id"]
        return 100.0 * online.nunique() / len(keys)
    if metric == "public_institution_energy_per_m2":
        eui = t["eui_building_year"]
        pub = eui[eui["kind"] == "public_institution"]
        area = float(pub["floor_area_m2"].sum())
        return 1000.0 * float(pub["tce_equivalent"].sum()) / area if area > 0 else None
    ey = purchased(t["inventory_entity_year"])
    bld = ey[ey["entity_id"].map(kinds).isin(["building", "public_institution"])]
    total = float(bld["tce_equivalent"].sum())
    elec = float(bld.loc[bld["carrier"] == "electricity", "tce_equivalent"].sum())
    return 100.0 * elec / total if total > 0 else None


def finite(x: object) -> float | None:
    """``x`` as a float, or ``None`` when missing or not finite."""
    if x is None:
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
