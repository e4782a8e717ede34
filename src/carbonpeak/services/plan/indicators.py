"""The district's yearly figures behind dual control, targets and the trajectory.

中文：双控指标的年度数据（统计与核算）及可由核算得出的目标指标。

Sources, per year (each row says which it used):

* **GDP**: district statistics at comparable prices (10^4 CNY) of the district's price base
  year (profile ``gdp_price_base_year``, default 2020): chained from the current-price GDP of
  the base year and the real growth rates (as a 统计公报 gives them), or given directly at
  comparable prices. Current-price GDP is never used for an intensity.
* **Energy** (tce, equal value 等价值, the convention of 单位GDP能耗 in Chinese statistics): the
  statistics' district total when given, because the assessment (考核) uses it; otherwise the
  official account of the year, which covers the metered entities only.
* **CO2** (t): the statistics' district figure when given; else the statistics' energy times
  the account's CO2 per tce (equal value) of the same year; else the account's own total. A
  viewer from whom a year's account is withheld (small cells) gets neither for that year: the
  scaled figure would show it the account's CO2 per tce.
* **Intensities** (energy and CO2 per GDP) are statistics over statistics only (like with
  like, 统计口径): a year whose energy (or CO2) is the metered account's has none.
* Account figures (electricity, fuel, PV, grid factor) always come from the year's current
  official account run, whose id is kept for traceability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbonpeak.domain.lmdi import UNCLASSIFIED
from carbonpeak.domain.statistics import chain_comparable_gdp
from carbonpeak.errors import NotFoundError
from carbonpeak.i18n import LANGS, Message, Text, msg, stored_text
from carbonpeak.services.access.disclosure import (
    Cell,
    contributors_by,
    counts_by,
    entity_respondents,
    min_entities,
    small,
    suppress_row,
)
from carbonpeak.services.access.scope import AccessScope
from carbonpeak.services.accounting.account import load_run_tables, official_run
from carbonpeak.services.buildings.retrofits import metric_series
from carbonpeak.storage.registry.models import (
    AccountRun,
    AuditLog,
    District,
    DistrictStatistics,
)
from carbonpeak.storage.registry.repositories import plan as repo
from carbonpeak.storage.workspace import Workspace

__all__ = ["ASSESSMENT_ISSUED", "STATISTICS_METRICS", "RunTables", "assessments_issued",
           "comparable_gdp", "computed_metric",
           "district_series", "finite", "official_runs",
           "price_base_year", "purchased", "sector_frame", "suppressed_years",
           "withheld_totals"]

#: 1 kWh = 0.1229 kgce (equivalent value, GB/T 2589-2020)
TCE_PER_KWH_EQUIVALENT = 0.0001229
#: The GDP price base year when the district's profile does not state one (the plans' baseline)
DEFAULT_PRICE_BASE_YEAR = 2020
#: ``energy_basis`` / ``co2_basis`` of the series: the district statistics (统计口径) or the
#: metered account (核算口径, the metered units only)
STATISTICS, ACCOUNT = "statistics", "account"
#: The target metrics judged on statistics only (like with like)
STATISTICS_METRICS = ("energy_per_gdp", "co2_per_gdp", "energy_total", "co2_total")
#: the virtual power plant's computed metrics (services/energy/vpp/capability.py)
_VPP_METRICS = ("dr_buildings", "dr_contracted_mw", "dr_verified_mw", "adr_verified_mw",
                "frequency_regulation_mw", "dr_peak_share_pct")


@dataclass
class RunTables:
    """The stored tables of a year's official account run."""

    run: AccountRun
    tables: dict[str, pd.DataFrame]


def official_runs(ws: Workspace, d: District, names: list[str]) -> dict[int, RunTables]:
    """Year -> tables of the current official run, for every year accounted (with tables)."""
    with ws.registry.session() as s:
        years = sorted(set(repo.official_years(s, d.id)))
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


def _small_cells(d: District, runs: dict[int, RunTables], viewer: AccessScope,
                 respondent: Mapping[str, str] | None = None) -> dict[int, set[str]]:
    """Per year, the cells of the district account ``viewer`` may not see: ``total`` (the
    year's account), or ``split`` (its electricity / other-carrier split: one of the two has
    1..N-1 foreign contributors, and the other goes with it so that the total minus the one
    shown does not give it). Contributors are respondents (``respondent``: entity -> its
    top-level parent; an enterprise's buildings are one contributor)."""
    n = min_entities(d)
    out: dict[int, set[str]] = {}
    for y, acc in runs.items():
        ey = purchased(acc.tables["inventory_entity_year"])
        ey = ey[ey["quantity"].fillna(0) != 0]
        ids = ey["entity_id"].astype(str)
        if small(counts_by(((0, e) for e in ids), viewer, respondent).get(0, 0), n):
            out[y] = {"total"}
            continue
        part = ey["carrier"].eq("electricity").map({True: "electricity", False: "fuel"})
        who = contributors_by(zip(part, ids, strict=True), viewer, respondent)
        row = [Cell(k, float(ey.loc[part == k, "tce_equivalent"].sum()),
                    len(who.get(k, frozenset())), contributors=who.get(k, frozenset()))
               for k in ("electricity", "fuel")]
        if suppress_row(row, n):
            out[y] = {"total"}
        elif any(c.suppressed for c in row):
            out[y] = {"split"}
    return out


def withheld_totals(ws: Workspace, d: District, viewer: AccessScope | None) -> set[int]:
    """The years whose district account ``viewer`` may not see at all (its total has 1..N-1
    contributing respondents outside the viewer's scope): :func:`district_series` shows none
    of their account figures, nor the statistics' energy scaled by the account's CO2 per tce
    (none for a viewer with district-wide sight)."""
    if viewer is None or viewer.everything:
        return set()
    cells = _small_cells(d, official_runs(ws, d, ["inventory_entity_year"]), viewer,
                         entity_respondents(ws, d.id))
    return {y for y, c in cells.items() if "total" in c}


def suppressed_years(ws: Workspace, d: District, viewer: AccessScope | None) -> set[int]:
    """The years whose district account ``viewer`` may not see in full: its total, or its
    split by carrier, has a cell of 1..N-1 contributing entities outside the viewer's scope
    (none for a viewer with district-wide sight)."""
    if viewer is None or viewer.everything:
        return set()
    return set(_small_cells(d, official_runs(ws, d, ["inventory_entity_year"]), viewer,
                            entity_respondents(ws, d.id)))



def district_series(ws: Workspace, d: District,
                    viewer: AccessScope | None = None) -> pd.DataFrame:
    """One row per year: GDP, energy, CO2, their intensities and sources, account details.

    For a ``viewer`` without district-wide sight, a year whose account has fewer than N
    contributing entities outside the viewer's scope shows none of the account's figures
    (small-cell suppression, :mod:`carbonpeak.services.access.disclosure`): the district
    total minus the viewer's own would be those few entities'; the year's ``suppressed`` is
    True and its statistics stay. When only electricity or the other carriers has so few, the
    year's split between them is withheld (both: one would be the total minus the other).

    Columns: ``gdp_10k_cny`` (comparable prices of ``gdp_price_base_year``), ``gdp_basis``
    (``chained`` or ``given``), ``gdp_current_10k_cny, energy_tce, energy_source, energy_basis
    (statistics|account), co2_t, co2_source, co2_basis, energy_per_gdp, co2_per_gdp``
    (statistics only), ``account_run_id, account_tce_equal, account_tce_equivalent,
    account_tco2, electricity_kwh, fuel_tce_equivalent, fuel_tco2, electricity_tco2, pv_kwh,
    population``; the frame's ``attrs["gdp_price_base_year"]`` names the price base.
    The sources are messages (``plan.source.*``; None without a figure).
    """
    restricted = viewer is not None and not viewer.everything
    runs = official_runs(ws, d, ["inventory_district_year", "inventory_entity_year"]
                         if restricted else ["inventory_district_year"])
    cells = (_small_cells(d, runs, viewer, entity_respondents(ws, d.id))
             if viewer is not None and restricted else {})
    hidden = {y for y, c in cells.items() if "total" in c}
    runs = {y: acc for y, acc in runs.items() if y not in hidden}
    with ws.registry.session() as s:
        stats = {r.year: r for r in repo.district_statistics(s, d.id)}
    base_year = price_base_year(d)
    gdp = comparable_gdp(stats, base_year)
    rows: list[dict[str, Any]] = []
    for year in sorted(set(stats) | set(runs) | hidden):
        st = stats.get(year)
        row: dict[str, Any] = {
            "year": year, "gdp_10k_cny": gdp[year][0] if year in gdp else None,
            "gdp_basis": gdp[year][1] if year in gdp else "",
            "gdp_current_10k_cny": st.gdp_current_10k_cny if st else None,
            "population": st.population if st else None, "suppressed": year in hidden}
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
            if "split" in cells.get(year, set()):  # small cells: the split is withheld
                row.update(electricity_kwh=None, electricity_tco2=None,
                           fuel_tce_equivalent=None, fuel_tco2=None, suppressed=True)
        row.update(_energy_and_co2(st, row))
        rows.append(row)
    cols = ["gdp_10k_cny", "gdp_basis", "gdp_current_10k_cny", "population", "energy_tce",
            "energy_source", "energy_basis", "co2_t", "co2_source", "co2_basis",
            "account_run_id", "account_tce_equal", "account_tce_equivalent", "account_tco2",
            "electricity_kwh", "electricity_tco2", "fuel_tce_equivalent", "fuel_tco2", "pv_kwh"]
    text = ("gdp_basis", "energy_source", "energy_basis", "co2_source", "co2_basis")
    frame = pd.DataFrame(rows, columns=["year", *cols, "suppressed"]).set_index("year")
    for c in cols:
        if c not in text:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    # like with like: statistics over statistics, GDP at comparable prices
    frame["energy_per_gdp"] = (frame["energy_tce"] / frame["gdp_10k_cny"]).where(
        frame["energy_basis"] == STATISTICS)
    frame["co2_per_gdp"] = (frame["co2_t"] / frame["gdp_10k_cny"]).where(
        frame["co2_basis"] == STATISTICS)
    frame.attrs["gdp_price_base_year"] = base_year
    return frame


def price_base_year(d: District) -> int:
    """The district's GDP price base year (profile ``gdp_price_base_year``; default 2020, the
    plans' baseline year)."""
    return int((d.profile or {}).get("gdp_price_base_year", DEFAULT_PRICE_BASE_YEAR))


def comparable_gdp(stats: dict[int, DistrictStatistics],
                   base_year: int) -> dict[int, tuple[float, str]]:
    """Year -> (GDP at ``base_year`` comparable prices, ``chained`` or ``given``).

    Chained from the base year's current-price GDP and the real growth rates where the
    statistics give them (:func:`~carbonpeak.domain.statistics.chain_comparable_gdp`); else the
    ``gdp_10k_cny`` the statistics give at comparable prices. Never the current-price GDP.
    """
    current = {y: r.gdp_current_10k_cny for y, r in stats.items()
               if r.gdp_current_10k_cny is not None}
    growth = {y: r.gdp_real_growth_pct for y, r in stats.items()
              if r.gdp_real_growth_pct is not None}
    chained = chain_comparable_gdp(current, growth, base_year)
    out: dict[int, tuple[float, str]] = {}
    for y, r in sorted(stats.items()):
        if y in chained:
            out[y] = (chained[y], "chained")
        elif r.gdp_10k_cny is not None:
            out[y] = (float(r.gdp_10k_cny), "given")
    return out


def _energy_and_co2(st: DistrictStatistics | None, row: dict[str, Any]) -> dict[str, Any]:
    acc_e, acc_c = row.get("account_tce_equal"), row.get("account_tco2")
    out: dict[str, Any] = {"energy_tce": None, "energy_source": None, "energy_basis": "",
                           "co2_t": None, "co2_source": None, "co2_basis": ""}
    if st is not None and st.energy_tce:
        out.update(energy_tce=st.energy_tce, energy_source=msg("plan.source.statistics"),
                   energy_basis=STATISTICS)
    elif acc_e:
        out.update(energy_tce=acc_e,
                   energy_source=msg("plan.source.account", run=int(row["account_run_id"])),
                   energy_basis=ACCOUNT)
    if st is not None and st.co2_t:
        out.update(co2_t=st.co2_t, co2_source=msg("plan.source.statistics"),
                   co2_basis=STATISTICS)
    elif st is not None and st.energy_tce and acc_e and acc_c:
        # the statistics' energy at the account's CO2 per tce: a statistics-wide figure
        out.update(co2_t=st.energy_tce * acc_c / acc_e,
                   co2_source=msg("plan.source.statistics_scaled",
                                  run=int(row["account_run_id"])), co2_basis=STATISTICS)
    elif acc_c:
        out.update(co2_t=acc_c, co2_source=msg("plan.source.account",
                                               run=int(row["account_run_id"])),
                   co2_basis=ACCOUNT)
    return out


def sector_frame(ws: Workspace, d: District, year: int) -> pd.DataFrame | None:
    """Value added, energy and CO2 by GB/T 4754 section for a year (None without an account).

    Energy and CO2 are the official account's (own consumption of entities with that
    section); value added comes from the sector statistics (0 when not given: the LMDI then
    refuses a sector with energy but no value added, naming it). Energy of entities without a
    sector code is the sector :data:`~carbonpeak.domain.lmdi.UNCLASSIFIED` (no value added).
    """
    runs = official_runs(ws, d, ["inventory_sector_year"])
    if year not in runs:
        return None
    sy = purchased(runs[year].tables["inventory_sector_year"]).copy()
    # a GB/T 4754 section is a letter A-T; energy without one is the explicit unclassified
    # sector (the LMDI decomposes it against total value added and says so in a note)
    letter = sy["sector"].fillna("").astype(str).str[:1]
    sy["section"] = letter.where(letter.str.fullmatch(r"[A-T]"), UNCLASSIFIED)
    agg = sy.groupby("section").agg(energy_tce=("tce_equal", "sum"), tco2=("tco2", "sum"))
    with ws.registry.session() as s:
        va = {r.sector: r.value_added_10k_cny
              for r in repo.sector_value_added_of_year(s, d.id, year)}
    frame = agg.reindex(sorted(set(agg.index) | set(va))).fillna(0.0)
    frame["value_added_10k_cny"] = [va.get(str(k), 0.0) for k in frame.index]
    frame.index.name = "sector"
    return frame[["value_added_10k_cny", "energy_tce", "tco2"]]


def computed_metric(ws: Workspace, d: District, metric: str, series: pd.DataFrame,
                    memo: dict[str, Any] | None = None,
                    ) -> tuple[list[tuple[int, float]], Message | None]:
    """Yearly values of a metric the account can compute, and where they come from.

    Returns ``([(year, value), ...], source)``, the source a message; an empty list (and no
    source) when nothing can be computed. ``memo``: shared by the calls of one evaluation,
    so that the VPP's capability (every event's results) is computed once for its metrics.
    """
    if metric in ("energy_per_gdp", "co2_per_gdp"):
        col = metric
        vals = series[col].dropna()  # statistics years only (like with like)
        src = "energy" if metric == "energy_per_gdp" else "co2"
        sources = {lang: ("；" if lang == "zh" else "; ").join(sorted(
            {str(stored_text(series.loc[y, f"{src}_source"], lang)) for y in vals.index}))
            for lang in LANGS}
        base = series.attrs.get("gdp_price_base_year", DEFAULT_PRICE_BASE_YEAR)
        return ([(int(str(y)), float(v)) for y, v in vals.items()],
                msg("plan.value_source.statistics_per_gdp", sources=Text(**sources), base=base))
    if metric in ("energy_total", "co2_total"):
        col = "energy_tce" if metric == "energy_total" else "co2_t"
        basis = "energy_basis" if metric == "energy_total" else "co2_basis"
        vals = series.loc[series[basis] == STATISTICS, col].dropna()
        return ([(int(str(y)), float(v)) for y, v in vals.items()],
                msg("plan.value_source.statistics"))
    if metric == "pv_generation_mwh":
        vals = series["pv_kwh"].dropna() / 1000.0
        return ([(int(str(y)), float(v)) for y, v in vals.items()],
                msg("plan.value_source.pv"))
    if metric.startswith("gdp_share:"):
        return _gdp_share(ws, d, metric.split(":", 1)[1], series)
    if metric in ("key_unit_monitoring_coverage", "public_institution_energy_per_m2",
                  "building_electricity_share"):
        return _from_accounts(ws, d, metric)
    if metric in ("retrofit_area_m2", "retrofit_area_saving15_m2", "commissioning_projects"):
        years = [int(str(y)) for y in series.index]
        return metric_series(ws, d, metric, max(years) if years else None)
    if metric.startswith("pv_") and metric != "pv_generation_mwh":
        from carbonpeak.services.energy.pv.fleet import metric_series as pv_metric

        return pv_metric(ws, d, metric)
    if metric in _VPP_METRICS:  # the virtual power plant's capability (HP-41..45, TH-12)
        from carbonpeak.services.energy.vpp.capability import capability
        from carbonpeak.services.energy.vpp.capability import metric_series as vpp_series

        if memo is None:
            return vpp_series(ws, d, metric)
        if "vpp_capability" not in memo:
            memo["vpp_capability"] = capability(ws, d.id)
        return vpp_series(ws, d, metric, memo["vpp_capability"])
    if metric == "public_building_audits_min":
        # 次 per audit interval (HP-12: ≥ 1 次/5年 for each covered building): the least count
        # over the covered buildings, so that ≥ 1 holds only when every one of them complies
        from carbonpeak.services.buildings.audits import audit_min_counts

        return audit_min_counts(ws, d)
    if metric == "supervision_assessment":
        return assessments_issued(ws, d)
    return [], None


#: the audit-log entry of an issued yearly assessment (services/supervision/assessment.py
#: ``issue_assessment``): object type ``assessment``, action ``issue``, id the year assessed
ASSESSMENT_ISSUED = ("assessment", "issue")


def assessments_issued(ws: Workspace, d: District) -> tuple[list[tuple[int, float]],
                                                            Message | None]:
    """次/年 of the yearly assessment (考核, HP-56/57, TH-50): 1 for each year the office
    issued its assessment (several issues of one year count once: a re-issue corrects it),
    with the latest issue as the source (its date, the units graded and the 通报 lists).
    Read from the audit log (storage): the assessment itself is supervision's, above plan."""
    with ws.registry.session() as s:
        rows = repo.audit_entries(s, d.id, ASSESSMENT_ISSUED[0], ASSESSMENT_ISSUED[1])
        s.expunge_all()
    latest: dict[int, AuditLog] = {}
    for r in rows:
        latest[int(r.object_id)] = r
    if not latest:
        return [], None
    year = max(latest)
    det = latest[year].details or {}
    return ([(y, 1.0) for y in sorted(latest)],
            msg("sup.value_source.assessment", year=year, on=str(det.get("issued_on", "")),
                units=int(det.get("units", 0)), vetoed=int(det.get("vetoed", 0)),
                commended=int(det.get("commended", 0)),
                criticised=int(det.get("criticised", 0))))


def _gdp_share(ws: Workspace, d: District, letter: str,
               series: pd.DataFrame) -> tuple[list[tuple[int, float]], Message]:
    with ws.registry.session() as s:
        va = {r.year: r.value_added_10k_cny
              for r in repo.sector_value_added_series(s, d.id, letter)}
    out = []
    for y, v in sorted(va.items()):
        gdp = series["gdp_10k_cny"].get(y)
        if gdp is not None and not math.isnan(gdp) and gdp > 0:
            out.append((y, 100.0 * v / gdp))
    return out, msg("plan.value_source.gdp_share", letter=letter)


def _from_accounts(ws: Workspace, d: District,
                   metric: str) -> tuple[list[tuple[int, float]], Message]:
    names = {"key_unit_monitoring_coverage": ["key_units", "inventory_entity_year"],
             "public_institution_energy_per_m2": ["eui_building_year"],
             "building_electricity_share": ["inventory_entity_year"]}[metric]
    runs = official_runs(ws, d, names)
    with ws.registry.session() as s:
        kinds = {str(i): str(k) for i, k in repo.entity_kinds(s, d.id)}
    out: list[tuple[int, float]] = []
    for year, rt in sorted(runs.items()):
        v = _metric_value(metric, rt.tables, kinds)
        if v is not None:
            out.append((year, v))
    return out, msg("plan.value_source.accounts", runs=", ".join(
        str(rt.run.id) for _, rt in sorted(runs.items())))


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
