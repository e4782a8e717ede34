"""A city deployment: one registry, a city profile listing two districts, a city analyst who
reads both districts' roll-ups (read-only) and no district role that reads the other district.

The city ``testcity`` lists Huangpu (the reference district of ``tests/reference_district.py``,
accounted for 2024 by hand in test_account.py / test_web_api.py) and ``testwest`` (a copy of
Huangpu's profile with one metered building). A second city, ``othercity``, lists Tianhe.

Hand-worked (shanghai_local, 2024: electricity 0.3007 kgce/kWh equal value, 0.1229
equivalent, 0.42 tCO2/MWh):
* Huangpu: 42.753388 tce, 61.871175 tCO2 (tests/test_web_api.py: DISTRICT_TCE, _TCO2);
  statistics 2024 energy_tce = 100;
* testwest: W1's meter reads 600 + 400 = 1,000 kWh -> 1,000 x 0.3007 / 1000 = 0.3007 tce
  equal value, 1,000 x 0.1229 / 1000 = 0.1229 tce equivalent, 1,000 x 0.42 / 1000 = 0.42
  tCO2; statistics 2024 energy_tce = 50;
* city: metered 42.753388 + 0.3007 = 43.054088 tce, 61.871175 + 0.42 = 62.291175 tCO2;
  statistics 100 + 50 = 150 tce; CO2 statistics: the sum of the districts' own values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carbonpeak.api.app import create_app
from carbonpeak.api.schemas.city.rollups import (
    CityDistrictPublic,
    CityDistrictsPublic,
    CityTotalsPublic,
)
from carbonpeak.cli import app as cli_app
from carbonpeak.config import Settings
from carbonpeak.errors import InputValidationError, NotFoundError
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.reference import reference_dir
from carbonpeak.services.access.users import create_user, issue_token, principal_for
from carbonpeak.services.accounting.account import run_account
from carbonpeak.services.city import sum_like_with_like
from carbonpeak.storage.registry.models import City, District
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import BACKENDS, registry_url

pytestmark = pytest.mark.contract

HP_TCE, HP_TCO2 = 42.753388, 61.871175  # tests/test_web_api.py
WEST_TCE = 1_000 * 0.3007 / 1000  # 0.3007
WEST_TCE_EQUIVALENT = 1_000 * 0.1229 / 1000  # 0.1229
WEST_TCO2 = 1_000 * 0.42 / 1000  # 0.42
CITY_TCE = HP_TCE + WEST_TCE  # 43.054088
CITY_TCO2 = HP_TCO2 + WEST_TCO2  # 62.291175
CITY_STAT_TCE = 100 + 50

WEST_ENTITIES = ("entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,"
                 "sector_code\n"
                 "W1,西区一号楼,building,外滩街道,office,10000,31.238,121.487,,L72\n")
WEST_METERS = ("meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes,"
               "rollover_at\nMW1,W1,electricity,kWh,,interval,1,60,\n")
WEST_READINGS = """meter_id,ts,value
MW1,2024-03-01T00:00:00,600
MW1,2024-03-01T01:00:00,400
"""
WEST_STATISTICS = """year,gdp_10k_cny,population,energy_tce
2024,500000,200000,50
"""

#: user -> (role, district, city, street)
USERS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "city": ("city_analyst", None, "testcity", None),
    "city_other": ("city_analyst", None, "othercity", None),
    "hp_admin": ("district_admin", "huangpu", None, None),
    "hp_analyst": ("district_analyst", "huangpu", None, None),
    "hp_officer": ("street_officer", "huangpu", None, "waitan"),
    "west_admin": ("district_admin", "testwest", None, None),
    "west_analyst": ("district_analyst", "testwest", None, None),
}


@dataclass
class CityWorld:
    """The client and a token per user."""

    client: TestClient
    tokens: dict[str, str]
    ws: Workspace

    def get(self, user: str, path: str) -> object:
        """GET ``path`` as ``user``."""
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[user]}"})


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def write_city(folder: Path) -> Path:
    """The test city's profile and its second district's (a copy of Huangpu's)."""
    folder.mkdir(parents=True, exist_ok=True)
    hp = (reference_dir() / "profiles" / "huangpu.toml").read_text(encoding="utf-8")
    west = hp.replace('code = "huangpu"', 'code = "testwest"').replace(
        'name_zh = "黄浦区"', 'name_zh = "测试西区"').replace(
        'name_en = "Huangpu District"', 'name_en = "Test West District"')
    assert 'code = "testwest"' in west
    _write(folder, "testwest.toml", west)
    _write(folder, "othercity.toml", 'code = "othercity"\nname_zh = "他市"\n'
           'name_en = "Other City"\nprovince = "Guangdong"\ndistricts = ["tianhe"]\n')
    return _write(folder, "testcity.toml", 'code = "testcity"\nname_zh = "测试市"\n'
                  'name_en = "Test City"\nprovince = "Shanghai"\n'
                  'districts = ["huangpu", "testwest.toml"]\n')


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityWorld]:
    """Two cities in one registry; the test city's two districts accounted for 2024."""
    tmp = tmp_path_factory.mktemp("city")
    city_file = write_city(tmp / "profiles")
    with registry_url(request.param, tmp) as url:
        ws, _ = init_workspace(Settings(home=tmp / "home", database_url=url), actor="test",
                               cities=[city_file, tmp / "profiles" / "othercity.toml"])
        try:
            reference_district.load(ws, tmp / "hp", district="huangpu")
            west = tmp / "west"
            west.mkdir()
            for kind, text in (("entities", WEST_ENTITIES), ("meters", WEST_METERS),
                               ("readings", WEST_READINGS), ("statistics", WEST_STATISTICS)):
                import_file(ws, kind, _write(west, f"{kind}.csv", text), district="testwest")
            run_account(ws, year=2024, district="huangpu")
            run_account(ws, year=2024, district="testwest")
            for name, (role, district, city, street) in USERS.items():
                create_user(ws, name, role, district=district, city=city, street=street)
            tokens = {name: issue_token(ws, name).token for name in USERS}
            yield CityWorld(TestClient(create_app(workspace=ws)), tokens, ws)
        finally:
            ws.close()


def test_the_city_profile_makes_one_registry_of_its_districts(world: CityWorld) -> None:
    with world.ws.registry.session() as s:
        cities = {c.id: c.profile["districts"] for c in s.query(City)}
        members = {d.id: d.city_id for d in s.query(District)}
    assert cities == {"testcity": ["huangpu", "testwest"], "othercity": ["tianhe"]}
    assert members == {"huangpu": "testcity", "testwest": "testcity", "tianhe": "othercity"}
    # the city analyst names its city; its user row's district grants it nothing
    p = principal_for(world.ws, "city")
    assert (p.role, p.city_id) == ("city_analyst", "testcity")


# -- who may read what: every city endpoint and some district ones, every role, guessed ids ---
OK, DENIED, HIDDEN = "ok", 403, 404
CITY_ONLY: dict[str, str | int] = {"city": OK, "city_other": HIDDEN}
Y = "year=2024"
ENDPOINTS: list[tuple[str, str, dict[str, str | int], str | int]] = [
    ("city-districts", f"/api/v1/cities/testcity/districts?{Y}", CITY_ONLY, DENIED),
    ("city-totals", f"/api/v1/cities/testcity/totals?{Y}", CITY_ONLY, DENIED),
    ("city-district-hp", f"/api/v1/cities/testcity/districts/huangpu?{Y}", CITY_ONLY, DENIED),
    ("city-district-west", f"/api/v1/cities/testcity/districts/testwest?{Y}", CITY_ONLY,
     DENIED),
    # a district of another city, and one that does not exist: alike
    ("city-district-tianhe", f"/api/v1/cities/testcity/districts/tianhe?{Y}",
     {"city": HIDDEN, "city_other": HIDDEN}, DENIED),
    ("city-district-guessed", f"/api/v1/cities/testcity/districts/nowhere?{Y}",
     {"city": HIDDEN, "city_other": HIDDEN}, DENIED),
    ("other-city-totals", f"/api/v1/cities/othercity/totals?{Y}",
     {"city": HIDDEN, "city_other": OK}, DENIED),
    ("guessed-city", f"/api/v1/cities/shanghai/totals?{Y}",
     {"city": HIDDEN, "city_other": HIDDEN}, DENIED),
    # the districts stay apart: an entity of each district
    ("entity-B1", "/api/v1/entities/B1", {"hp_admin": OK, "hp_analyst": OK, "hp_officer": OK},
     HIDDEN),
    ("entity-W1", "/api/v1/entities/W1", {"west_admin": OK, "west_analyst": OK}, HIDDEN),
    ("meter-MW1", "/api/v1/meters/MW1", {"west_admin": OK, "west_analyst": OK}, HIDDEN),
    ("page-W1", "/api/v1/dashboard/entities/W1", {"west_admin": OK, "west_analyst": OK},
     HIDDEN),
]
MATRIX = [pytest.param(user, path, per_user.get(user, default), id=f"{user}-{name}")
          for name, path, per_user, default in ENDPOINTS for user in USERS]


@pytest.mark.parametrize(("user", "path", "expected"), MATRIX)
def test_access_matrix(world: CityWorld, user: str, path: str, expected: str | int) -> None:
    r = world.get(user, path)
    if expected == OK:
        assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    else:
        assert r.status_code == expected, r.text  # type: ignore[attr-defined]
        detail = r.json()["detail"]  # type: ignore[attr-defined]
        assert detail
        if expected == HIDDEN:  # "not yours" reads exactly like "not there"
            assert detail.startswith("no ")


@pytest.mark.parametrize("user", list(USERS))
def test_each_district_role_lists_only_its_own_district(world: CityWorld, user: str) -> None:
    ents = world.get(user, "/api/v1/entities?limit=500").json()  # type: ignore[attr-defined]
    want = {"hp_admin": {"E1", "B1", "B2", "B3", "B4"},
            "hp_analyst": {"E1", "B1", "B2", "B3", "B4"}, "hp_officer": {"E1", "B1", "B4"},
            "west_admin": {"W1"}, "west_analyst": {"W1"}}.get(user, set())
    assert {e["entity_id"] for e in ents["items"]} == want
    # a city analyst reads no district's own catalogue either: only the city roll-ups
    m = world.get(user, "/api/v1/metrics?year=2024").json()  # type: ignore[attr-defined]
    if user.startswith("city"):
        assert m["items"] == []
    else:
        assert m["items"]


def test_the_district_comparison_lists_each_district_on_its_own_basis(
        world: CityWorld) -> None:
    r = world.get("city", f"/api/v1/cities/testcity/districts?{Y}")
    body = CityDistrictsPublic.model_validate(r.json())  # type: ignore[attr-defined]
    assert [d.district for d in body.items] == ["huangpu", "testwest"]
    got = {(d.district, f.code): f for d in body.items for f in d.figures}
    assert got["huangpu", "energy.metered"].value == pytest.approx(HP_TCE)
    assert got["huangpu", "co2.metered"].value == pytest.approx(HP_TCO2)
    assert got["testwest", "energy.metered"].value == pytest.approx(WEST_TCE)
    assert got["testwest", "energy.metered.equivalent"].value == pytest.approx(
        WEST_TCE_EQUIVALENT)
    assert got["testwest", "co2.metered"].value == pytest.approx(WEST_TCO2)
    assert got["huangpu", "energy.statistics"].value == pytest.approx(100)
    assert got["testwest", "energy.statistics"].value == pytest.approx(50)
    # every figure with its basis and as-of; the metered ones name their account run
    for (_district, code), f in got.items():
        assert f.as_of == "2024-12-31"
        if code.endswith((".metered", ".metered.equivalent")):
            assert (f.basis, f.label_zh.split(" · ")[0]) == ("metered_account", "核算口径")
            assert f.provenance["account_run"]
        else:
            assert (f.basis, f.label_zh.split(" · ")[0]) == ("statistics", "统计口径")
    one = world.get("city", f"/api/v1/cities/testcity/districts/testwest?{Y}")
    assert CityDistrictPublic.model_validate(
        one.json()).figures == body.items[1].figures  # type: ignore[attr-defined]


def test_city_totals_add_like_with_like(world: CityWorld) -> None:
    r = world.get("city", f"/api/v1/cities/testcity/totals?{Y}")
    body = CityTotalsPublic.model_validate(r.json())  # type: ignore[attr-defined]
    totals = {t.code: t for t in body.items}
    assert totals["energy.metered"].value == pytest.approx(CITY_TCE)
    assert totals["energy.metered"].text == "43"
    assert totals["co2.metered"].value == pytest.approx(CITY_TCO2)
    assert totals["energy.statistics"].value == pytest.approx(CITY_STAT_TCE)
    # the districts' CO2 statistics (derived from their energy statistics, 统计口径), summed
    co2_parts = totals["co2.statistics"].parts
    assert totals["co2.statistics"].value == pytest.approx(
        co2_parts["huangpu"]["value"] + co2_parts["testwest"]["value"])
    for t in body.items:
        assert t.as_of == "2024-12-31"
        assert set(t.parts) == {"huangpu", "testwest"}
        if t.basis == "metered_account":  # each part is a district's account run …
            assert t.label_en.startswith("metered account")
            assert all(p["provenance"]["account_run"] for p in t.parts.values())
        else:  # … or its statistics row, never a mix
            assert t.basis == "statistics"
            assert all("statistics_row" in p["provenance"] for p in t.parts.values()
                       if p["value"] is not None)
    # the intensity is compared, never summed
    assert "intensity.energy_per_gdp" not in totals
    # 2023: no district has an account run: no city figure, and it names the districts
    r = world.get("city", "/api/v1/cities/testcity/totals?year=2023")
    totals = {t.code: t for t in CityTotalsPublic.model_validate(
        r.json()).items}  # type: ignore[attr-defined]
    assert (totals["energy.metered"].value, totals["energy.metered"].missing) == (
        None, ["huangpu", "testwest"])


def test_sum_like_with_like_has_no_partial_totals() -> None:
    assert sum_like_with_like({"a": 1.5, "b": 2.25}) == (3.75, [])  # 1.5 + 2.25
    assert sum_like_with_like({"a": 1.5, "b": None}) == (None, ["b"])
    assert sum_like_with_like({"a": float("nan"), "b": 2.0}) == (None, ["a"])
    assert sum_like_with_like({}) == (None, [])


def test_a_city_analyst_names_an_existing_city(world: CityWorld) -> None:
    with pytest.raises(InputValidationError) as err:
        create_user(world.ws, "no_city", "city_analyst")
    assert err.value.errors[0].column == "city"
    with pytest.raises(NotFoundError):
        create_user(world.ws, "bad_city", "city_analyst", city="atlantis")


def test_the_cli_prints_the_city_totals(world: CityWorld,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    s = world.ws.settings
    monkeypatch.setenv("CARBONPEAK_HOME", str(s.home))
    monkeypatch.setenv("CARBONPEAK_DATABASE_URL", s.url)
    r = CliRunner().invoke(cli_app, ["city", "totals", "--city", "testcity", "--year", "2024",
                                     "--json"])
    assert r.exit_code == 0, r.output
    got = {t["code"]: t for t in json.loads(r.output)["items"]}
    assert got["energy.metered"]["value"] == pytest.approx(CITY_TCE)
    assert got["energy.statistics"]["basis"] == "statistics"
    r = CliRunner().invoke(cli_app, ["city", "districts", "--city", "testcity", "--year",
                                     "2024"])
    assert r.exit_code == 0, r.output
    assert "测试西区" in r.output
