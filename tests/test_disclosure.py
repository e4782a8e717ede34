"""Small-cell suppression: a role that may not see an entity cannot derive its figures.

A small district (issue 22, finding 3): the street officer of 外滩 has three entities; 豫园 has
two, an enterprise burning gasoline and a building using LPG and heat, so the district's
gasoline is one foreign enterprise, its LPG one building, and its heat minus the officer's own
a second one; 老西门 has two hotels on electricity only, opened in 2024, so the district's 2024
total has four foreign contributors (shown) but its fuels only two (not shown), and its 2023
total only two (not shown). The test reads every GET endpoint of the API as the street officer
and as an entity manager (JSON, and csv/xlsx where offered) and checks, as a property over all the
numbers read, that none equals a foreign entity's figure (or the sum of fewer than N foreign
entities' figures), directly or once the viewer's own figures are subtracted: energy and CO2
by carrier, by month, by year, and floor areas and EUIs; and budgets' denominators solved from
the budgets read (the district has a 2024 budget to decompose from the 2023 account).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from carbonpeak.api.app import create_app
from carbonpeak.config import Settings
from carbonpeak.errors import NotFoundError
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.publish.dashboard import _run_tables, _runs
from carbonpeak.services.access.disclosure import Cell, percentile_disclosed, suppress_row
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.accounting.account import load_run_tables, run_account
from carbonpeak.services.plan.warnings import allocate_budgets, set_budget
from carbonpeak.storage.workspace import Workspace

N = 3  # the platform default (disclosure_min_entities)
YEAR = 2024

ENTITIES = """entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
E1,外滩集团,enterprise,外滩街道,,,31.238,121.487,,J66
B1,外滩一号楼,building,外滩街道,office,10234.5,31.238,121.487,E1,J66
B4,外滩二号楼,building,外滩街道,office,8123.4,31.239,121.488,,L72
E2,豫园运输,enterprise,豫园街道,,,31.228,121.488,,G54
B2,豫园商城,building,豫园街道,office,61234.7,31.228,121.489,,F52
B5,老西门酒店,building,老西门街道,hotel,20517.3,31.219,121.481,,H61
B6,老西门宾馆,building,老西门街道,hotel,15876.1,31.218,121.482,,H61
"""
# monthly ledger: gasoline only at E2, LPG only at B2, heat at B1 and B2
_MONTHLY = {"E1": [("diesel", 1.137, "t")], "B1": [("electricity", 15321.7, "kWh"),
                                                  ("heat", 41.93, "GJ")],
            "B4": [("electricity", 9877.3, "kWh")],
            "E2": [("gasoline", 2.371, "t")],
            "B2": [("lpg", 0.913, "t"), ("heat", 57.29, "GJ"),
                   ("electricity", 48721.9, "kWh")],
            "B5": [("electricity", 30114.2, "kWh")], "B6": [("electricity", 27338.8, "kWh")]}
# GDP only: the year's energy statistics are not out yet, so the district's energy and CO2 are
# the account's (the usual case for the running year)
STATISTICS = """year,gdp_10k_cny,population
2024,1000000,500000
"""
USERS = {"officer": ("street_officer", "waitan", None, {"E1", "B1", "B4"}),
         "manager": ("entity_manager", None, ["E1"], {"E1", "B1"}),
         "analyst": ("district_analyst", None, None, {"E1", "B1", "B4", "E2", "B2", "B5", "B6"})}
ALL = {"E1", "B1", "B4", "E2", "B2", "B5", "B6"}


def _ledger() -> str:
    rows = ["entity_id,period,carrier,quantity,unit"]
    for year in (YEAR - 1, YEAR):
        for eid, items in _MONTHLY.items():
            if year < YEAR and eid in ("B5", "B6"):
                continue  # the hotels opened in 2024: 2023 has two foreign contributors
            for m in range(1, 13):
                for carrier, q, unit in items:
                    # distinct values each month and year (no figure a round number)
                    v = q * (1 + m / 37) * (0.917 if year < YEAR else 1.0)
                    rows.append(f"{eid},{year}-{m:02d},{carrier},{v:.4f},{unit}")
    return "\n".join(rows) + "\n"


#: the district's 2024 energy budget (a plan value every role of the district reads)
DISTRICT_BUDGET = 1234.5678


def _allocate(ws: Workspace) -> str:
    """Decompose the 2024 budget to the streets from the 2023 account: ``stored``, or the code
    of the refusal (2023 has no energy statistics, and its account is withheld from 外滩's
    officer)."""
    set_budget(ws, year=YEAR, metric="energy_tce", budget=DISTRICT_BUDGET)
    try:
        allocate_budgets(ws, year=YEAR, level="streets", method="baseline_share")
    except NotFoundError as exc:
        return exc.reason.code if exc.reason is not None else str(exc)
    return "stored"


@dataclass
class World:
    ws: Workspace
    client: TestClient
    tokens: dict[str, str]
    allocation: str = ""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory.mktemp("disclosure"), STATISTICS)


def _world(tmp: Path, statistics: str) -> Iterator[World]:
    ws, _ = init_workspace(Settings(home=tmp / "home", database_url=f"sqlite:///{tmp}/r.db"),
                           profiles=["huangpu"], actor="test")
    try:
        for kind, text in (("entities", ENTITIES), ("ledger", _ledger()),
                           ("statistics", statistics)):
            (tmp / f"{kind}.csv").write_text(text, encoding="utf-8")
            import_file(ws, kind, tmp / f"{kind}.csv")
        run_account(ws, year=YEAR - 1)
        run_account(ws, year=YEAR)
        allocation = _allocate(ws)
        for name, (role, street, entities, _own) in USERS.items():
            create_user(ws, name, role, street=street, entities=entities)
        tokens = {name: issue_token(ws, name).token for name in USERS}
        yield World(ws, TestClient(create_app(workspace=ws)), tokens, allocation)
    finally:
        ws.close()


# -- what a viewer can read ------------------------------------------------------------------
def _numbers(obj: Any, out: list[tuple[float, str]], where: str) -> None:
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, int | float):
        out.append((float(obj), where))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _numbers(v, out, f"{where}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            _numbers(v, out, where)
    elif isinstance(obj, str):
        with contextlib.suppress(ValueError):
            out.append((float(obj.replace(",", "")), where))


def _path_values(world: World) -> dict[str, list[Any]]:
    """Values for every path parameter: every object of the district, foreign ones too."""
    with world.ws.registry.session() as s:
        from carbonpeak.storage.registry.models import Street
        streets = [st.id for st in s.query(Street)]
    return {"entity_id": sorted(ALL), "street_id": streets, "district_id": ["huangpu"],
            "batch_id": [1, 2, 3], "target_id": [1, 2], "warning_id": [1, 2, 3, 4, 5],
            "meter_id": ["none"], "set_id": ["shanghai_local"],
            "table_id": ["gb_t_51161_2016_office"], "code": ["none", "HP-T13"],
            "round_id": [1, 2], "event_id": ["none"], "answer_id": [1, 2], "n": [1],
            "city": ["shanghai", "none"], "district": ["huangpu"],
            "what": ["inventory", "key-units", "disclosure", "targets", "figures"]}


_QUERIES: dict[str, list[dict[str, Any]]] = {
    "/api/v1/map": [{"month": f"{YEAR}-{m:02d}"} for m in (1, 7)],
    "/api/v1/inventory": [{"level": lv, "period": p, "limit": 1000}
                          for lv in ("district", "street", "entity") for p in ("year", "month")],
    "/api/v1/lmdi": [{"base_year": YEAR - 1, "target_year": YEAR}],
    "/api/v1/peak": [{"runs": 100}],
    "/api/v1/readings": [],  # no meters here
    "/api/v1/quality": [{"month": f"{YEAR}-07"}],  # it needs a month or an entity
}


def readable_numbers(world: World, user: str) -> tuple[list[tuple[float, str]], set[str]]:
    """Every number ``user`` reads from every GET endpoint of the API (JSON, and csv/xlsx
    where the route offers them), with where it was read; and the paths answered 200."""
    c, h = world.client, {"Authorization": f"Bearer {world.tokens[user]}"}
    spec = c.app.openapi()  # type: ignore[attr-defined]
    fills = _path_values(world)
    got: list[tuple[float, str]] = []
    answered: set[str] = set()
    for path, ops in spec["paths"].items():
        if "get" not in ops or path.endswith((".pdf", ".png", ".html", "openapi.json")):
            continue
        params = {q["name"]: q for q in ops["get"].get("parameters", [])}
        names = [n for n, q in params.items() if q["in"] == "path"]
        base = {"year": YEAR} if "year" in params else {}
        variants = [base | q for q in _QUERIES.get(path.replace(".geojson", ""), [{}])]
        if path.startswith("/api/v1/map"):
            variants.append(base)
        if "format" in params:
            variants += [v | {"format": f} for v in variants for f in ("csv", "xlsx")]
        if "limit" in params and path != "/api/v1/inventory":
            variants = [v | {"limit": params["limit"]["schema"].get("maximum", 50)}
                        for v in variants]
        for combo in itertools.product(*[fills[n] for n in names]):
            url = path.format(**dict(zip(names, combo, strict=True)))
            for q in variants:
                r = c.get(url, params=q, headers=h)
                if r.status_code != 200:
                    continue
                answered.add(path)
                where = f"{url}?{'&'.join(f'{k}={v}' for k, v in q.items())}"
                ctype = r.headers.get("content-type", "")
                if "csv" in ctype:
                    _numbers(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))),
                             got, where)
                elif "spreadsheet" in ctype:
                    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
                    for sheet in wb.worksheets:
                        _numbers([list(row) for row in sheet.iter_rows(values_only=True)],
                                 got, f"{where}#{sheet.title}")
                elif "json" in ctype:
                    _numbers(json.loads(r.content), got, where)
    return got, answered


# -- what a viewer must not derive -----------------------------------------------------------
_METRICS = ("tce_equal", "tce_equivalent", "tco2", "quantity")
_CELLS = (["carrier", "month"], ["carrier", "year"], ["month"], ["year"])


def _entity_months(world: World) -> pd.DataFrame:
    """Purchased energy per entity, carrier and month of both accounted years."""
    frames = []
    for year in (YEAR - 1, YEAR):
        run = _runs(world.ws, "huangpu", year)[0]
        assert run is not None
        frames.append(_run_tables(world.ws, run)["inventory_entity_month"])
    em = pd.concat(frames, ignore_index=True)
    em = em[em["scope"].isin(("1", "2"))]
    return em.assign(year=em["month"].str[:4])


def _sums(em: pd.DataFrame, members: tuple[str, ...]) -> list[tuple[float, str]]:
    sub = em[em["entity_id"].isin(members)]
    out = []
    for metric, keys in itertools.product(_METRICS, _CELLS):
        if metric == "quantity" and "carrier" not in keys:
            continue  # quantities add up within a carrier only
        for key, v in sub.groupby(keys)[metric].sum().items():
            out.append((float(v), f"{metric} {key} of {'+'.join(members)}"))
    return out


def secrets_of(world: World, own: set[str]) -> list[tuple[float, str]]:
    """Figures of any set of fewer than N foreign entities: energy and CO2 by carrier, month
    and year, their floor areas and EUIs."""
    em = _entity_months(world)
    foreign = sorted(ALL - own)
    ents = pd.read_csv(io.StringIO(ENTITIES)).set_index("entity_id")
    out: list[tuple[float, str]] = []
    for k in range(1, N):
        for members in itertools.combinations(foreign, k):
            out += _sums(em, members)
            area = ents.loc[list(members), "floor_area_m2"].sum()
            if area > 0:
                out.append((float(area), f"floor area of {'+'.join(members)}"))
    for eid in foreign:
        area = ents.loc[eid, "floor_area_m2"]
        tce = em.loc[(em["entity_id"] == eid) & (em["year"] == str(YEAR)), "tce_equal"].sum()
        if area > 0:
            out.append((float(tce * 1000 / area), f"EUI kgce/m2 of {eid}"))
    return [(v, w) for v, w in out if abs(v) > 1e-6]


def own_parts(world: World, own: set[str]) -> np.ndarray:
    """Everything the viewer knows of its own entities (any subset's sum of any cell), and 0."""
    em = _entity_months(world)
    vals = {0.0}
    for k in range(1, len(own) + 1):
        for members in itertools.combinations(sorted(own), k):
            vals.update(v for v, _ in _sums(em, members))
    return np.array(sorted(vals))


def derivable(read: list[tuple[float, str]], own: np.ndarray,
              secrets: list[tuple[float, str]]) -> list[str]:
    """The secrets equal (to 1e-9, relative) to a number read, or to a number read minus a
    part the viewer knows of its own."""
    if not read or not secrets:
        return []
    values = np.array([v for v, _ in read])
    diffs = (values[:, None] - own[None, :]).ravel()
    order = np.argsort(diffs)
    sorted_diffs = diffs[order]
    found = []
    for s, what in secrets:
        tol = 1e-9 * max(1.0, abs(s))
        i = np.searchsorted(sorted_diffs, s - tol)
        if i < len(sorted_diffs) and sorted_diffs[i] <= s + tol:
            j = order[i] // len(own)
            o = own[order[i] % len(own)]
            found.append(f"{what} = {read[j][1]}" + (f" - own {o:g}" if o else ""))
    return found


def from_shares(read: list[tuple[float, str]], own: set[str]) -> list[tuple[float, str]]:
    """What a share read (a floor-area-weighted percentile) gives with the viewer's own areas:
    a share p = (X + K1) / (X + K2), with K1 and K2 sums of the viewer's own areas, gives the
    foreign area X = (p K2 - K1) / (1 - p)."""
    ents = pd.read_csv(io.StringIO(ENTITIES)).set_index("entity_id")
    areas = [float(a) for a in ents.loc[sorted(own), "floor_area_m2"].dropna()]
    sums = {sum(c) for k in range(len(areas) + 1) for c in itertools.combinations(areas, k)}
    out = []
    for p, where in read:
        if 0 < p < 1:
            out += [((p * k2 - k1) / (1 - p), f"{where} (share {p:g} with own areas)")
                    for k1 in sums for k2 in sums if k1 <= k2]
    return out


def from_budgets(world: World, user: str) -> list[tuple[float, str]]:
    """What a decomposed budget gives with the district budget: a unit's budget is its
    baseline × district budget ÷ the district's energy of the baseline year, so that
    denominator is baseline × district budget ÷ budget, with any district budget read."""
    r = world.client.get("/api/v1/budgets",
                         headers={"Authorization": f"Bearer {world.tokens[user]}"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    district = [float(b["budget"]) for b in items
                if b["scope_type"] == "district" and b["budget"]]
    out = []
    for b in items:
        baseline = (b.get("basis") or {}).get("baseline")
        if b["scope_type"] != "district" and b["budget"] and baseline:
            out += [(float(baseline) * d / float(b["budget"]),
                     f"budget {b['scope_id']}: baseline × district budget ÷ budget")
                    for d in district]
    return out


@pytest.mark.parametrize("user", ["officer", "manager"])
def test_no_foreign_entity_figure_is_derivable_from_any_endpoint(world: World,
                                                                 user: str) -> None:
    own = USERS[user][3]
    read, answered = readable_numbers(world, user)
    assert {"/api/v1/dashboard/overview", "/api/v1/benchmarking",
            "/api/v1/metrics", "/api/v1/budgets"} <= answered
    assert any(w.startswith("/api/v1/budgets") and v == DISTRICT_BUDGET for v, w in read) \
        == (user == "officer")  # the district's budget is read by the officer
    read += from_shares(read, own) + from_budgets(world, user)
    leaks = derivable(read, own_parts(world, own), secrets_of(world, own))
    assert not leaks, "\n".join(sorted(set(leaks))[:40])


def test_analysts_see_what_is_withheld_from_the_officer(world: World) -> None:
    """The same reads as the analyst (district-wide sight) are not suppressed: the test above
    is not passing because the endpoints show nothing."""
    def read(user: str, path: str, **q: Any) -> Any:
        r = world.client.get(path, params=q,
                             headers={"Authorization": f"Bearer {world.tokens[user]}"})
        assert r.status_code == 200, r.text
        return r.json()

    def percentiles(user: str) -> dict[str, Any]:
        rows = read(user, "/api/v1/benchmarking", year=YEAR)["items"]
        return {r["entity_id"]: (r["area_percentile_in_type"], r["suppressed"]) for r in rows}

    def medians(user: str) -> tuple[Any, Any]:
        eui = read(user, "/api/v1/dashboard/entities/B1", year=YEAR)["eui"]
        return eui["type_median_kgce_per_m2_equal"], eui["suppressed"]

    full, officer = percentiles("analyst"), percentiles("officer")
    # offices B1, B4 (外滩) and B2 (豫园): with B1's or B4's area, B2's would follow
    assert full["B4"][0] is not None
    assert full["B4"][1] is None
    assert officer["B4"] == (None, "disclosure.suppressed.small_cell")
    assert medians("analyst")[0] is not None
    assert medians("officer") == (
        None, ["area_weighted_percentile", "type_median_kgce_per_m2_equal"])
    # the district's 2024 fuels have two foreign users: the split behind the peak outlook is
    # withheld from the officer, shown to the analyst
    assert read("analyst", "/api/v1/peak", runs=100)["base"]["electricity_kwh"] > 0

    def energy_years(user: str) -> set[int]:
        dc = read(user, "/api/v1/dual-control", year=YEAR)["indicators"]
        return {r["year"] for r in next(i for i in dc if i["indicator"] == "energy_total")
                ["series"]}

    # 2023's district account has two contributors outside 外滩: not shown to its officer
    assert energy_years("analyst") == {YEAR - 1, YEAR}
    assert energy_years("officer") == {YEAR}


def test_small_cells_and_their_complement() -> None:
    """Primary suppression of a row's small cells, and the complement that keeps them from
    being the total minus the cells shown."""
    row = [Cell("gasoline", 5.0, 1), Cell("electricity", 50.0, 7), Cell("heat", 9.0, 4)]
    assert not suppress_row(row, 3)
    assert [c.suppressed for c in row] == [True, False, True]  # heat: the next smallest
    row = [Cell("gasoline", 5.0, 1), Cell("electricity", 50.0, 0)]
    assert suppress_row(row, 3)  # nothing foreign to hide with it: the total goes
    row = [Cell("gasoline", 5.0, 1), Cell("lpg", 2.0, 2), Cell("electricity", 50.0, 9)]
    assert not suppress_row(row, 3)
    assert [c.suppressed for c in row] == [True, True, False]  # two hidden: neither follows
    assert suppress_row([Cell("x", 1.0, 0)], 3) is False
    # percentiles: runs of foreign buildings between the viewer's own ones
    assert percentile_disclosed(["a", "F1", "F2", "F3", "b"], {"a", "b"}, 3)
    assert not percentile_disclosed(["a", "F1", "F2", "b", "F3", "F4", "F5"], {"a", "b"}, 3)
    assert not percentile_disclosed(["F1", "a"], {"a"}, 3)
    assert percentile_disclosed(["a"], {"a"}, 3)


def test_suppressed_cells_of_one_contributor_are_not_the_total_minus_the_rest() -> None:
    """Two small cells of the same single foreign enterprise X (gasoline and LPG): each was
    suppressed, but together they were the total minus the cells shown, 66 − 50 − 9 = 7, X's
    figure. Their contributors together are one (fewer than N = 3), so the next-smallest cell
    with foreign contributors goes with them."""
    x = frozenset({"X"})
    row = [Cell("gasoline", 5.0, 1, contributors=x), Cell("lpg", 2.0, 1, contributors=x),
           Cell("electricity", 50.0, 4, contributors=frozenset({"X", "Y", "Z", "W"})),
           Cell("heat", 9.0, 3, contributors=frozenset({"Y", "Z", "W"}))]
    assert not suppress_row(row, 3)
    assert [c.suppressed for c in row] == [True, True, False, True]  # heat: 1 + 3 = 4 together
    # two different enterprises in the two small cells and N = 2: together 2, enough
    row = [Cell("gasoline", 5.0, 1, contributors=frozenset({"X"})),
           Cell("lpg", 2.0, 1, contributors=frozenset({"Y"})),
           Cell("electricity", 50.0, 4, contributors=frozenset({"X", "Y", "Z", "W"}))]
    assert not suppress_row(row, 2)
    assert [c.suppressed for c in row] == [True, True, False]  # electricity stays shown
    # the same X in both, and nothing else foreign: the total goes
    row = [Cell("gasoline", 5.0, 1, contributors=x), Cell("lpg", 2.0, 1, contributors=x),
           Cell("electricity", 50.0, 0, contributors=frozenset())]
    assert suppress_row(row, 3)


def test_an_enterprise_with_buildings_in_another_street_is_one_contributor() -> None:
    """The street officer of street a (its entity A1) reads the district account. The foreign
    contributors are enterprise X and two of its buildings in another street: three entities,
    but one respondent, so the district total minus the officer's own is X's. Counted by
    entity the total was shown; counted by respondent (top-level parent) it is withheld."""
    from types import SimpleNamespace

    import pandas as pd

    from carbonpeak.services.access.disclosure import respondents
    from carbonpeak.services.access.scope import AccessScope
    from carbonpeak.services.plan.indicators import RunTables, _small_cells

    ey = pd.DataFrame({
        "entity_id": ["A1", "X", "X-B1", "X-B2"], "scope": ["2", "1", "2", "2"],
        "carrier": ["electricity", "diesel", "electricity", "electricity"],
        "quantity": [10.0, 5.0, 7.0, 8.0], "tce_equivalent": [1.0, 2.0, 3.0, 4.0]})
    runs = {2024: RunTables(None, {"inventory_entity_year": ey})}  # type: ignore[arg-type]
    d = SimpleNamespace(profile={})
    officer = AccessScope("d", everything=False, street_id=1, street_code="a",
                          entities=frozenset({"A1"}))
    group = respondents({"A1": None, "X": None, "X-B1": "X", "X-B2": "X"})
    assert group == {"A1": "A1", "X": "X", "X-B1": "X", "X-B2": "X"}
    assert _small_cells(d, runs, officer, group) == {2024: {"total"}}  # type: ignore[arg-type]
    # three separate foreign respondents: the total is shown; electricity (two of them) and
    # the fuels (one) are both small, and together three: the split alone is withheld
    alone = respondents({"A1": None, "X": None, "X-B1": None, "X-B2": None})
    assert _small_cells(d, runs, officer, alone) == {2024: {"split"}}  # type: ignore[arg-type]
    # a chain: a building of a branch of an enterprise answers for the enterprise
    assert respondents({"C": "B", "B": "E", "E": None})["C"] == "E"
    # percentiles: three foreign buildings between the viewer's own a and b are a run of
    # three, but when one enterprise X owns them all they are one respondent: the area of X's
    # buildings there would follow from the percentiles and a's and b's areas
    order = ["a", "X1", "X2", "X3", "b"]
    assert percentile_disclosed(order, {"a", "b"}, 3)
    assert not percentile_disclosed(order, {"a", "b"}, 3,
                                    {"X1": "X", "X2": "X", "X3": "X", "a": "a", "b": "b"})


def test_budgets_are_not_decomposed_on_a_withheld_account(world: World) -> None:
    """2023 has no energy statistics: decomposing the 2024 budget on the 2023 account (as
    before) gave 外滩's officer, in its budget's basis and from its budget, baseline and the
    district budget, that account's total, withheld from it (two foreign respondents). The
    decomposition now needs the statistics and is refused, naming them; the district budget
    alone is stored."""
    assert world.allocation == "plan.budget.needs_statistics"
    r = world.client.get("/api/v1/budgets", params={"year": YEAR},
                         headers={"Authorization": f"Bearer {world.tokens['officer']}"})
    assert [(b["scope_type"], b["budget"]) for b in r.json()["items"]] == [
        ("district", DISTRICT_BUDGET)]


#: 2023's energy statistics are out, its CO2 statistics not: the district's 2023 CO2 is the
#: statistics' energy × the 2023 account's tCO2 per tce (plan.source.statistics_scaled)
SCALED_STATISTICS = """year,gdp_10k_cny,population,energy_tce
2023,980000,500000,5000
2024,1000000,500000,
"""


def test_the_co2_per_tce_of_a_withheld_account_is_not_shown(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The 2023 account is withheld from 外滩's officer (two foreign respondents), but its CO2
    per tce reached the officer through the district's 2023 CO2 (5,000 tce of statistics ×
    the account's tCO2 ÷ tce) and the CO2 per GDP: with the officer's own figures, one
    equation in the foreign respondents' energy and CO2. Both are withheld from the officer
    now, as the dual control withholds them; the analyst sees them."""
    world = next(_world(tmp_path_factory.mktemp("scaled"), SCALED_STATISTICS))
    try:
        run = _runs(world.ws, "huangpu", YEAR - 1)[0]
        assert run is not None
        dy = load_run_tables(world.ws, run, ["inventory_district_year"])[
            "inventory_district_year"]
        p = dy[dy["scope"].isin(("1", "2"))]
        co2 = 5000 * float(p["tco2"].sum()) / float(p["tce_equal"].sum())

        def metrics(user: str) -> dict[str, Any]:
            r = world.client.get("/api/v1/metrics", params={"year": YEAR - 1},
                                 headers={"Authorization": f"Bearer {world.tokens[user]}"})
            assert r.status_code == 200, r.text
            return {f["code"]: f for f in r.json()["items"]
                    if f["code"] in ("co2.statistics", "intensity.co2_per_gdp",
                                     "energy.statistics")}

        full, officer = metrics("analyst"), metrics("officer")
        assert full["co2.statistics"]["value"] == pytest.approx(co2)
        assert full["intensity.co2_per_gdp"]["value"] == pytest.approx(co2 / 980000)
        for code in ("co2.statistics", "intensity.co2_per_gdp"):
            assert (officer[code]["value"], officer[code]["provenance"]) == (
                None, {"suppressed": "disclosure.suppressed.small_cell"})
        # the statistics' own figure stays public
        assert officer["energy.statistics"]["value"] == 5000
        # the dual control agrees: no 2023 CO2 for the officer, the analyst's is the same
        def co2_years(user: str) -> dict[int, float]:
            r = world.client.get("/api/v1/dual-control", params={"year": YEAR},
                                 headers={"Authorization": f"Bearer {world.tokens[user]}"})
            ind = next(i for i in r.json()["indicators"] if i["indicator"] == "co2_total")
            return {row["year"]: row["value"] for row in ind["series"]}
        assert co2_years("analyst")[YEAR - 1] == pytest.approx(co2)
        assert YEAR - 1 not in co2_years("officer")
    finally:
        world.ws.close()
