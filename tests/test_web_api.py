"""Sign-in, roles and the dashboard's API on the reference district (worked out by hand).

The district of ``tests/reference_district.py`` accounted for 2024 (see test_account.py for
the arithmetic), with the users of test_targets_api (two street officers, an entity manager of
E1 and its building B1, a data feeder of B2), each also given a password for the browser.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from carbonpeak.api.responses import table_response
from carbonpeak.config import Settings
from carbonpeak.domain.voronoi import voronoi_cells
from carbonpeak.errors import AuthenticationError, InputValidationError, RateLimited
from carbonpeak.i18n import render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.boundaries import approximate_boundaries, import_boundaries
from carbonpeak.services.access.auth import set_password, sign_in
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.storage.registry.models import AuditLog, LoginAttempt, Street, User, WebSession
from carbonpeak.storage.workspace import Workspace
from tests.conftest import BACKENDS, STARTUP_WAIT_S, openapi_schema, registry_url
from tests.test_targets_api import USERS, World, build

# the role x endpoint matrix and the scope SQL: on both databases
pytestmark = pytest.mark.contract

PASSWORD = "correct horse battery"  # noqa: S105  # test users only
BASE = "http://testserver"

# -- hand-worked figures (tests/test_account.py): electricity 0.3007 kgce/kWh equal value (2024:
#    the per-year series carries the 2022 coal rate 300.7 gce/kWh forward),
#    0.42 tCO2/MWh; diesel 0.84 t -> 1.223964 tce, 2.600556 tCO2; gas 100 m3 -> 0.133 tce,
#    0.216219 tCO2; heat 100 GJ -> 3.412 tce, 6.0 tCO2
# 外滩 (officer): B1 16,000 kWh + B4 20 kWh = 16,020 kWh -> 4.817214 tce, 6.7284 tCO2; E1 diesel
WAITAN_TCE = 16_020 * 0.3007 / 1000 + 1.223964  # 6.041178
WAITAN_TCO2 = 16_020 * 0.42 / 1000 + 2.600556  # 9.328956
# 豫园 (officer_yy): B2 300 + B3 110,000 = 110,300 kWh -> 33.16721 tce, 46.326 tCO2; gas; heat
YUYUAN_TCE = 110_300 * 0.3007 / 1000 + 0.133 + 3.412  # 36.71221
YUYUAN_TCO2 = 110_300 * 0.42 / 1000 + 0.216219 + 6.0  # 52.542219
DISTRICT_TCE = 42.753388  # = 6.041178 + 36.71221
DISTRICT_TCO2 = 61.871175  # = 9.328956 + 52.542219
# kgce per m2 of 外滩: 6,041.178 kgce over B1 10,000 m2 + B4 8,000 m2 (E1 has no area)
WAITAN_KGCE_M2 = WAITAN_TCE * 1000 / 18_000  # 0.335621
# B1 on the map: 2024 16,000 kWh -> 4.8112 tce / 10,000 m2 = 0.48112 kgce/m2; February
# 1.5万kWh -> 4.5105 tce -> 0.45105 kgce/m2
B1_YEAR_KGCE_M2 = 16_000 * 0.3007 / 10_000
B1_FEB_KGCE_M2 = 15_000 * 0.3007 / 10_000

SCOPE_ENTITIES = {
    "admin": {"E1", "B1", "B2", "B3", "B4"}, "analyst": {"E1", "B1", "B2", "B3", "B4"},
    "officer": {"E1", "B1", "B4"}, "officer_yy": {"B2", "B3"},
    "manager": {"E1", "B1"}, "feeder": {"B2"},
}


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The reference district with users, passwords and approximate street polygons."""
    tmp = tmp_path_factory.mktemp("web_api")
    with registry_url(request.param, tmp) as url:
        ws, _ = init_workspace(Settings(home=tmp / "home", database_url=url),
                               profiles=["huangpu"], actor="test")
        try:
            w = build(ws, tmp / "in")
            for name in USERS:
                set_password(ws, name, PASSWORD)
            with ws.registry.session() as s:
                streets = [{"code": x.code, "name_zh": x.name_zh, "name_en": x.name_en,
                            "lat": x.lat, "lon": x.lon} for x in s.scalars(select(Street))]
            import_boundaries(ws, approximate_boundaries(streets), district="huangpu",
                              approximate=True, note="test: approximate")
            # a second district on the same platform, with its own admin
            init_workspace(ws.settings, profiles=["tianhe"], actor="test")
            create_user(ws, "tianhe_admin", "district_admin", district="tianhe")
            w.tokens["tianhe_admin"] = issue_token(ws, "tianhe_admin").token
            yield w
        finally:
            ws.close()


def _ws(world: World) -> Workspace:
    ws: Workspace = world.client.app.state.workspace  # type: ignore[attr-defined]
    return ws


def _browser(world: World, user: str) -> tuple[TestClient, str]:
    """A fresh client signed in as ``user`` with the session cookie; and its CSRF token."""
    c = TestClient(world.client.app)
    r = c.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


# -- (1) sign-in, sessions, CSRF, rate limit -------------------------------------------------
def test_login_sets_a_strict_httponly_cookie_and_passwords_are_argon2id(world: World) -> None:
    c = TestClient(world.client.app)
    r = c.post("/api/v1/auth/login", json={"username": "officer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("cp_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    body = r.json()
    assert body["user"]["role"] == "street_officer"
    assert body["user"]["street_name_zh"] == "外滩街道"
    assert len(body["csrf_token"]) >= 24
    me = c.get("/api/v1/auth/me").json()
    assert (me["user"]["username"], me["csrf_token"]) == ("officer", body["csrf_token"])
    with _ws(world).registry.session() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "officer")).one()
        sessions = list(s.scalars(select(WebSession.session_hash)))
        audited = s.scalars(select(AuditLog).where(AuditLog.action == "sign_in",
                                                   AuditLog.object_id == "officer")).first()
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    token = c.cookies.get("cp_session")
    assert token not in sessions  # only its SHA-256 is kept
    assert audited is not None


def test_wrong_password_and_unknown_user_read_the_same(world: World) -> None:
    c = TestClient(world.client.app)
    wrong = c.post("/api/v1/auth/login", json={"username": "analyst", "password": "nope-nope"})
    unknown = c.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "set-cookie" not in wrong.headers
    assert c.get("/api/v1/auth/me").json() == {"user": None, "csrf_token": None}
    assert c.get("/api/v1/dashboard/overview").status_code == 401


def test_rate_limit_refuses_even_the_right_password_until_the_window_passes(
        world: World) -> None:
    ws = _ws(world)
    c = TestClient(world.client.app)
    for _ in range(5):  # CARBONPEAK_LOGIN_MAX_FAILURES default 5 per username
        assert c.post("/api/v1/auth/login", json={"username": "feeder",
                                                  "password": "wrong-guess"}).status_code == 401
    r = c.post("/api/v1/auth/login", json={"username": "feeder", "password": PASSWORD},
               headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert r.status_code == 429, r.text
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    assert "登录失败次数过多" in r.json()["detail"]
    # another user from the same client is not locked by feeder's failures
    assert c.post("/api/v1/auth/login", json={"username": "manager",
                                              "password": PASSWORD}).status_code == 200
    with ws.registry.session() as s:  # 16 minutes later the failures are out of the window
        for a in s.scalars(select(LoginAttempt).where(LoginAttempt.username == "feeder")):
            a.at -= dt.timedelta(minutes=16)
    assert c.post("/api/v1/auth/login", json={"username": "feeder",
                                              "password": PASSWORD}).status_code == 200


def test_changes_with_the_cookie_need_the_csrf_token(world: World) -> None:
    c, csrf = _browser(world, "admin")
    body = {"year": 2024}
    assert c.post("/api/v1/warnings/evaluate", json=body).status_code == 403
    bad = c.post("/api/v1/warnings/evaluate", json=body, headers={"X-CSRF-Token": "x" * 32})
    assert bad.status_code == 403
    assert "CSRF" in bad.json()["detail"]
    ok = c.post("/api/v1/warnings/evaluate", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    assert c.get("/api/v1/dashboard/overview").status_code == 200  # reads need no token
    # a bearer token needs none: the browser never sends one by itself
    r = world.call("admin", "POST", "/api/v1/warnings/evaluate", body)
    assert r.status_code == 200, r.text


def test_logout_ends_the_session(world: World) -> None:
    c, csrf = _browser(world, "analyst")
    old = c.cookies.get("cp_session")
    assert c.post("/api/v1/auth/logout").status_code == 403  # CSRF
    assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = TestClient(world.client.app, cookies={"cp_session": str(old)})
    assert replay.get("/api/v1/dashboard/overview").status_code == 401


def test_idle_and_expired_sessions_are_refused(world: World) -> None:
    c, _ = _browser(world, "officer_yy")
    assert c.get("/api/v1/streets").status_code == 200
    ws = _ws(world)
    with ws.registry.session() as s:  # 2 hours idle (CARBONPEAK_SESSION_IDLE_MINUTES=120)
        for w in s.scalars(select(WebSession)):
            w.last_seen_at -= dt.timedelta(minutes=121)
    assert c.get("/api/v1/streets").status_code == 401


def test_deactivating_a_user_ends_their_sessions_and_tokens(world: World) -> None:
    c, _ = _browser(world, "manager")
    admin, csrf = _browser(world, "admin")
    r = admin.patch("/api/v1/users/manager", json={"active": False},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert c.get("/api/v1/entities").status_code == 401
    assert world.call("manager", "GET", "/api/v1/entities").status_code == 401  # token too
    assert TestClient(world.client.app).post("/api/v1/auth/login", json={
        "username": "manager", "password": PASSWORD}).status_code == 401
    back = admin.patch("/api/v1/users/manager", json={"active": True},
                       headers={"X-CSRF-Token": csrf})
    assert back.json()["active"] is True
    assert world.call("manager", "GET", "/api/v1/entities").status_code == 200
    self_off = admin.patch("/api/v1/users/admin", json={"active": False},
                           headers={"X-CSRF-Token": csrf})
    assert self_off.status_code == 403


def test_password_change_policy_and_audit(world: World) -> None:
    c, csrf = _browser(world, "officer")
    h = {"X-CSRF-Token": csrf}
    short = c.post("/api/v1/auth/password", headers=h,
                   json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    wrong = c.post("/api/v1/auth/password", headers=h,
                   json={"current_password": "not-it-at-all", "new_password": "x" * 12})
    assert wrong.status_code == 401
    new = "a much longer pass"  # noqa: S105
    ok = c.post("/api/v1/auth/password", headers=h,
                json={"current_password": PASSWORD, "new_password": new})
    assert ok.status_code == 204, ok.text
    assert c.get("/api/v1/streets").status_code == 401  # every session of the user ended
    with _ws(world).registry.session() as s:  # the wrong current password counted as a failure
        failed = s.scalars(select(LoginAttempt).where(LoginAttempt.username == "officer",
                                                      LoginAttempt.success.is_(False))).all()
    assert len(failed) >= 1
    set_password(_ws(world), "officer", PASSWORD)
    with _ws(world).registry.session() as s:
        acts = [a.actor for a in s.scalars(select(AuditLog).where(
            AuditLog.action == "set_password", AuditLog.object_id == "officer"))]
    assert "user:officer" in acts


def test_admin_creates_users_through_the_api(world: World) -> None:
    admin, csrf = _browser(world, "admin")
    h = {"X-CSRF-Token": csrf}
    r = admin.post("/api/v1/users", headers=h, json={
        "username": "new_officer", "role": "street_officer", "street": "豫园街道",
        "password": "a fine long password"})
    assert r.status_code == 201, r.text
    assert (r.json()["role"], r.json()["has_password"]) == ("street_officer", True)
    assert admin.post("/api/v1/users", headers=h, json={
        "username": "new_officer", "role": "street_officer", "street": "豫园街道"},
    ).status_code == 409
    assert admin.post("/api/v1/users", headers=h, json={
        "username": "x!", "role": "district_admin"}).status_code == 422
    assert admin.post("/api/v1/users", headers=h, json={
        "username": "nostreet", "role": "street_officer"}).status_code == 422
    listed = {u["username"] for u in admin.get("/api/v1/users?limit=500").json()["items"]}
    batches = world.call("admin", "GET", "/api/v1/batches?limit=2").json()
    assert (len(batches["items"]), batches["has_more"]) == (2, batches["total"] > 2)
    assert {"new_officer", *USERS} <= listed
    login = TestClient(world.client.app).post("/api/v1/auth/login", json={
        "username": "new_officer", "password": "a fine long password"})
    assert login.json()["user"]["street_code"] == "yuyuan"


# -- (2) who may read what: every endpoint, every role, guessed ids ----------------------------
OK, DENIED, HIDDEN = "ok", 403, 404
ADMINS: dict[str, str | int] = {"admin": OK, "analyst": OK}
B1_ROLES: dict[str, str | int] = {**ADMINS, "officer": OK, "manager": OK}
B2_ROLES: dict[str, str | int] = {**ADMINS, "officer_yy": OK, "feeder": OK}
ENDPOINTS: list[tuple[str, str, dict[str, str | int], str | int]] = [
    ("districts", "/api/v1/districts", {}, OK),
    ("own-district", "/api/v1/districts/huangpu", {}, OK),
    ("other-district", "/api/v1/districts/tianhe", {}, HIDDEN),
    ("streets", "/api/v1/streets", {}, OK),
    ("street-waitan", "/api/v1/streets/{s_waitan}", {**ADMINS, "officer": OK,
                                                     "manager": OK}, HIDDEN),
    ("street-yuyuan", "/api/v1/streets/{s_yuyuan}", {**ADMINS, "officer_yy": OK,
                                                     "feeder": OK}, HIDDEN),
    ("street-guessed", "/api/v1/streets/999999", {}, HIDDEN),
    ("entities", "/api/v1/entities", {}, OK),
    ("entity-B1", "/api/v1/entities/B1", B1_ROLES, HIDDEN),
    ("entity-B2", "/api/v1/entities/B2", B2_ROLES, HIDDEN),
    ("entity-guessed", "/api/v1/entities/B99", {}, HIDDEN),
    ("meters", "/api/v1/meters", {}, OK),
    ("meter-M1", "/api/v1/meters/M1", B1_ROLES, HIDDEN),
    ("meter-M2", "/api/v1/meters/M2", B2_ROLES, HIDDEN),
    ("readings-M1", "/api/v1/readings?meter_id=M1&start=2023-12-31T00:00:00", B1_ROLES,
     HIDDEN),
    ("readings-M2", "/api/v1/readings?meter_id=M2&start=2023-12-31T00:00:00", B2_ROLES,
     HIDDEN),
    ("inventory-entity", "/api/v1/inventory?year=2024&level=entity", {}, OK),
    ("inventory-street", "/api/v1/inventory?year=2024&level=street",
     {**ADMINS, "officer": OK, "officer_yy": OK}, DENIED),
    ("inventory-district", "/api/v1/inventory?year=2024&level=district",
     {**ADMINS, "officer": OK, "officer_yy": OK}, DENIED),
    ("inventory-sector", "/api/v1/inventory?year=2024&level=sector", ADMINS, DENIED),
    ("factor-sets", "/api/v1/factor-sets", {}, OK),
    ("factor-set", "/api/v1/factor-sets/shanghai_local", {}, OK),
    ("factor-set-guessed", "/api/v1/factor-sets/nope", {}, HIDDEN),
    ("audit-log", "/api/v1/audit-log", ADMINS, DENIED),
    ("users", "/api/v1/users", {"admin": OK}, DENIED),
    ("overview", "/api/v1/dashboard/overview", {}, OK),
    ("street-comparison", "/api/v1/dashboard/streets", {}, OK),
    ("entity-page-B1", "/api/v1/dashboard/entities/B1", B1_ROLES, HIDDEN),
    ("entity-page-B2", "/api/v1/dashboard/entities/B2", B2_ROLES, HIDDEN),
    ("entity-page-guessed", "/api/v1/dashboard/entities/B99", {}, HIDDEN),
    ("street-page-waitan", "/api/v1/dashboard/streets/{s_waitan}",
     {**ADMINS, "officer": OK, "manager": OK}, HIDDEN),
    ("street-page-yuyuan", "/api/v1/dashboard/streets/{s_yuyuan}",
     {**ADMINS, "officer_yy": OK, "feeder": OK}, HIDDEN),
    ("street-page-guessed", "/api/v1/dashboard/streets/999999", {}, HIDDEN),
    ("series-M1", "/api/v1/meters/M1/series?start=2024-01-01", B1_ROLES, HIDDEN),
    ("series-M2", "/api/v1/meters/M2/series?start=2024-01-01", B2_ROLES, HIDDEN),
    ("series-guessed", "/api/v1/meters/M99/series?start=2024-01-01", {}, HIDDEN),
    ("key-units", "/api/v1/key-units", {}, OK),
    ("map", "/api/v1/map", {}, OK),
    ("map-month", "/api/v1/map?month=2024-02", {}, OK),
    ("map-streets", "/api/v1/map/streets.geojson", {}, OK),
    ("map-entities", "/api/v1/map/entities.geojson", {}, OK),
    ("me", "/api/v1/auth/me", {}, OK),
    ("metrics", "/api/v1/metrics?year=2024", {}, OK),
    ("metrics-waitan", "/api/v1/metrics?year=2024&subject=waitan", {**ADMINS, "officer": OK},
     HIDDEN),
    ("metrics-yuyuan", "/api/v1/metrics?year=2024&subject=yuyuan",
     {**ADMINS, "officer_yy": OK}, HIDDEN),
    ("metrics-guessed", "/api/v1/metrics?year=2024&subject=nowhere", {}, HIDDEN),
]
ROLES = [*USERS, "anonymous"]
MATRIX = [pytest.param(role, path, (OK if path.endswith("/me") else 401) if role == "anonymous"
                       else per_role.get(role, default), id=f"{role}-{name}")
          for name, path, per_role, default in ENDPOINTS for role in ROLES]


def _ids(world: World) -> dict[str, int]:
    with _ws(world).registry.session() as s:
        return {f"s_{x.code}": x.id for x in s.scalars(select(Street).where(
            Street.district_id == "huangpu"))}


@pytest.mark.parametrize(("role", "path", "expected"), MATRIX)
def test_access_matrix(world: World, role: str, path: str, expected: str | int) -> None:
    r = world.client.get(path.format(**_ids(world)), headers=world.auth(role))
    if expected == OK:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == expected, r.text
        assert r.json()["detail"]
    if expected == HIDDEN:  # "not yours" reads exactly like "not there"
        assert r.json()["detail"].startswith("no ")


@pytest.mark.parametrize("user", list(SCOPE_ENTITIES))
def test_lists_and_map_are_scoped(world: World, user: str) -> None:
    want = SCOPE_ENTITIES[user]
    ents = world.call(user, "GET", "/api/v1/entities?limit=500").json()
    assert {e["entity_id"] for e in ents["items"]} == want
    assert ents["total"] == len(want)
    inv = world.call(user, "GET", "/api/v1/inventory?year=2024&level=entity&limit=500").json()
    assert {r["entity_id"] for r in inv["items"]} == want  # all five have 2024 data
    m = world.call(user, "GET", "/api/v1/map").json()
    assert {f["properties"]["entity_id"] for f in m["entities"]["features"]} == want
    meters = world.call(user, "GET", "/api/v1/meters?limit=500").json()
    assert {x["entity_id"] for x in meters["items"]} == want & {"B1", "B2", "B4"}  # metered
    streets = {f["properties"]["code"] for f in m["streets"]["features"]}
    expected_streets = {"officer": {"waitan"}, "officer_yy": {"yuyuan"},
                        "manager": {"waitan"}, "feeder": {"yuyuan"}}.get(user)
    if expected_streets is not None:
        assert streets == expected_streets
    else:
        assert len(streets) == 10  # every street of Huangpu has a polygon


@pytest.mark.parametrize("user", list(SCOPE_ENTITIES))
def test_metrics_are_scoped_and_equal_the_hand_worked_figures(world: World, user: str) -> None:
    """The figure catalogue: each role reads its own figures only (a street officer its street
    and the district's statistics and plan values, an entity role its entities'), and the
    values are the hand-worked ones, with their basis and provenance."""
    m = world.call(user, "GET", "/api/v1/metrics?year=2024").json()
    assert (m["year"], m["as_of"]) == (2024, "2024-12-31")
    items = m["items"]
    streets = {f["subject_id"] for f in items if f["subject_type"] == "street"}
    entities = {f["subject_id"] for f in items if f["subject_type"] == "entity"}
    district = {f["code"]: f for f in items if f["subject_type"] == "district"}
    assert entities <= SCOPE_ENTITIES[user]
    for f in items:  # every figure says its basis, period, as-of and provenance
        assert f["basis"] in ("metered_account", "statistics", "observation", "plan_value")
        assert f["period"]
        assert f["as_of"] == "2024-12-31"
        assert isinstance(f["provenance"], dict)
    if user in ("admin", "analyst"):
        energy = district["energy.metered"]
        assert energy["value"] == pytest.approx(DISTRICT_TCE)
        assert (energy["basis"], energy["unit"], energy["text"]) == (
            "metered_account", "tce", f"{DISTRICT_TCE:,.0f}")
        assert isinstance(energy["provenance"]["account_run"], int)
        assert energy["provenance"]["input_batches"]
        assert energy["label_zh"].startswith("核算口径 · 截至2024-12-31")
        # the intensity is the statistics' (100 tce over 10^6 万元), never the account's
        it = district["intensity.energy_per_gdp"]
        assert (it["basis"], it["value"]) == ("statistics", pytest.approx(100 / 1_000_000))
        assert it["provenance"]["statistics_row"]["year"] == 2024
        waitan = next(f for f in items if f["code"] == "street.energy.metered"
                      and f["subject_id"] == "waitan")
        assert waitan["value"] == pytest.approx(WAITAN_TCE)
        assert len(streets) == 10
    elif user.startswith("officer"):
        assert streets == {"officer": {"waitan"}, "officer_yy": {"yuyuan"}}[user]
        assert district  # the district's statistics and plan values, not its account
        assert {f["basis"] for f in district.values()} <= {"statistics", "plan_value"}
        own = next(f for f in items if f["code"] == "street.energy.metered")
        assert own["value"] == pytest.approx(WAITAN_TCE if user == "officer" else YUYUAN_TCE)
    else:
        assert not district
        assert not streets


# -- (3) the numbers, by hand ----------------------------------------------------------------
@pytest.mark.parametrize(("user", "scope", "tce", "tco2"), [
    ("admin", "district", DISTRICT_TCE, DISTRICT_TCO2),
    ("officer", "street", WAITAN_TCE, WAITAN_TCO2),
    ("officer_yy", "street", YUYUAN_TCE, YUYUAN_TCO2),
    ("manager", "entities", 16_000 * 0.3007 / 1000 + 1.223964,  # B1 and E1: 6.035164
     16_000 * 0.42 / 1000 + 2.600556),                          # 9.320556
])
def test_overview_figures_by_hand(world: World, user: str, scope: str, tce: float,
                                  tco2: float) -> None:
    o = world.call(user, "GET", "/api/v1/dashboard/overview").json()
    assert (o["scope"]["type"], o["year"], o["years"]) == (scope, 2024, [2024])
    assert o["energy"]["tce_equal"] == pytest.approx(tce)
    assert o["co2"]["tco2"] == pytest.approx(tco2)
    assert o["energy"]["tce_equal_last"] is None  # no 2023 account
    by_carrier = sum(r["tce_equal"] or 0.0 for r in o["monthly_by_carrier"])
    by_sector = sum(r["tco2"] or 0.0 for r in o["monthly_by_sector"])
    assert by_carrier == pytest.approx(tce)
    assert by_sector == pytest.approx(tco2)
    if user == "admin":
        assert o["pv_generation_kwh"] == pytest.approx(40.0)  # B2's PV, reported apart
        assert o["intensity"]["value"] == pytest.approx(100 / 1_000_000)  # statistics
        assert o["intensity"]["series"][0]["year"] == 2020
    if user == "manager":
        assert o["intensity"] is None  # district figures are not an entity manager's


def test_street_comparison_by_hand(world: World) -> None:
    rows = {r["code"]: r for r in world.call("analyst", "GET",
                                             "/api/v1/dashboard/streets").json()["items"]}
    assert rows["waitan"]["tce_equal"] == pytest.approx(WAITAN_TCE)
    assert rows["waitan"]["floor_area_m2"] == pytest.approx(18_000)
    assert rows["waitan"]["kgce_per_m2"] == pytest.approx(WAITAN_KGCE_M2)
    assert rows["yuyuan"]["tco2"] == pytest.approx(YUYUAN_TCO2)
    assert rows["waitan"]["n_entities"] == 3
    assert rows["nanjingdonglu"]["tce_equal"] is None  # no entity there: no data, not zero
    mine = world.call("officer", "GET", "/api/v1/dashboard/streets").json()["items"]
    assert [r["code"] for r in mine] == ["waitan"]


def test_map_year_and_month_by_hand(world: World) -> None:
    year = world.call("admin", "GET", "/api/v1/map").json()
    b1 = next(f for f in year["entities"]["features"] if f["properties"]["entity_id"] == "B1")
    assert b1["geometry"]["coordinates"] == [121.487, 31.238]
    assert b1["properties"]["kgce_per_m2"] == pytest.approx(B1_YEAR_KGCE_M2)
    assert year["approximate_boundaries"] is True
    assert year["months"][0] == "2024-01"
    feb = world.call("admin", "GET", "/api/v1/map?month=2024-02").json()
    b1 = next(f for f in feb["entities"]["features"] if f["properties"]["entity_id"] == "B1")
    assert b1["properties"]["kgce_per_m2"] == pytest.approx(B1_FEB_KGCE_M2)
    waitan = next(f for f in year["streets"]["features"] if f["properties"]["code"] == "waitan")
    assert waitan["properties"]["tco2"] == pytest.approx(WAITAN_TCO2)
    assert waitan["geometry"]["type"] == "Polygon"
    assert world.call("admin", "GET", "/api/v1/map?year=2024&month=2023-02").status_code == 404
    zipped = world.client.get("/api/v1/map", headers=world.auth("admin"))
    assert zipped.headers["content-encoding"] == "gzip"  # ~2 MB at district scale
    plain = world.client.get("/api/v1/map", headers={**world.auth("admin"),
                                                     "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == zipped.json() == year
    dl = world.call("admin", "GET", "/api/v1/map/streets.geojson")
    assert dl.headers["content-type"] == "application/geo+json"
    assert json.loads(dl.content) == year["streets"]


def test_entity_page_by_hand(world: World) -> None:
    e = world.call("manager", "GET", "/api/v1/dashboard/entities/B1").json()
    assert e["entity"]["name"] == "外滩一号楼"
    assert e["totals"]["tce_equal"] == pytest.approx(4.8112)  # 16,000 kWh × 0.3007
    feb = [r for r in e["monthly_by_carrier"] if r["month"] == "2024-02"]
    assert feb[0]["quantity"] == pytest.approx(15_000)
    subs = {r["meter_id"]: r for r in e["monthly_by_submeter"] if r["month"] == "2024-01"}
    # M1 (100 + 50) × 2 = 300 kWh, the hvac sub-meter M1a 80 kWh (the ledger wins for B1)
    assert subs["M1"]["quantity"] == pytest.approx(300)
    assert (subs["M1a"]["quantity"], subs["M1a"]["submeter"]) == (pytest.approx(80), "hvac")
    assert e["eui"]["eui_kgce_per_m2_equal"] == pytest.approx(0.48112)
    assert {m["meter_id"] for m in e["meters"]} == {"M1", "M1a"}


def test_readings_window(world: World) -> None:
    # M1's readings 2024-01-01T00:00 and 01:00 Shanghai time = 2023-12-31T16:00/17:00 UTC
    r = world.call("manager", "GET",
                   "/api/v1/readings?meter_id=M1&start=2023-12-31T00:00:00&end=2024-01-02")
    body = r.json()
    assert [(x["ts"], x["value"]) for x in body["items"]] == [
        ("2023-12-31T16:00:00Z", 100.0), ("2023-12-31T17:00:00Z", 50.0)]
    too_long = world.call("manager", "GET",
                          "/api/v1/readings?meter_id=M1&start=2024-01-01&end=2024-03-01")
    assert too_long.status_code == 422
    backwards = world.call("manager", "GET",
                           "/api/v1/readings?meter_id=M1&start=2024-02-01&end=2024-01-01")
    assert backwards.status_code == 422


def test_street_page_and_meter_series_by_hand(world: World) -> None:
    ids = _ids(world)
    page = world.call("officer", "GET", f"/api/v1/dashboard/streets/{ids['s_waitan']}").json()
    rows = {r["entity_id"]: r for r in page["items"]}
    assert set(rows) == {"E1", "B1", "B4"}  # every entity of the street, key unit or not
    assert rows["B1"]["tce_equal"] == pytest.approx(16_000 * 0.3007 / 1000)
    assert rows["B1"]["n_meters"] == 2  # M1 and its sub-meter M1a
    assert sum(r["tce_equal"] or 0.0 for r in rows.values()) == pytest.approx(WAITAN_TCE)
    assert sum(r["tco2"] or 0.0 for r in rows.values()) == pytest.approx(WAITAN_TCO2)
    assert rows["B1"]["kgce_per_m2"] == pytest.approx(B1_YEAR_KGCE_M2)
    mine = world.call("manager", "GET", f"/api/v1/dashboard/streets/{ids['s_waitan']}").json()
    assert {r["entity_id"] for r in mine["items"]} == SCOPE_ENTITIES["manager"]
    # M1's readings 100 and 50 kWh at 00:00 and 01:00 Shanghai time on 1 January (raw, as
    # /readings answers them), per local hour and per local day; an empty hour has no value
    hours = world.call("manager", "GET", "/api/v1/meters/M1/series?start=2024-01-01T00:00:00"
                       "&end=2024-01-01T03:00:00&resolution=hour").json()
    assert [(p["t"], p["value"], p["n"]) for p in hours["items"]] == [
        ("2024-01-01T00:00", 100.0, 1), ("2024-01-01T01:00", 50.0, 1),
        ("2024-01-01T02:00", None, 0)]
    assert (hours["aggregate"], hours["timezone"]) == ("sum", "Asia/Shanghai")
    days = world.call("manager", "GET", "/api/v1/meters/M1/series?start=2024-01-01"
                      "&end=2024-01-02&resolution=day").json()
    assert [(p["t"], p["value"], p["n"]) for p in days["items"]] == [("2024-01-01", 150.0, 2)]
    too_long = world.call("manager", "GET", "/api/v1/meters/M1/series?start=2024-01-01"
                          "&end=2024-03-01&resolution=hour")
    assert too_long.status_code == 422


# -- (4) exports equal the JSON ----------------------------------------------------------------
def _csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("path", [
    "/api/v1/entities", "/api/v1/key-units", "/api/v1/inventory?year=2024&level=entity",
    "/api/v1/targets", "/api/v1/audit-log",
])
def test_csv_and_xlsx_exports_match_the_json(world: World, path: str) -> None:
    sep = "&" if "?" in path else "?"
    data = world.call("admin", "GET", f"{path}{sep}limit=500").json()["items"]
    rows = _csv(world.call("admin", "GET", f"{path}{sep}format=csv").content)
    assert len(rows) == len(data) > 0
    key = next(k for k in ("entity_id", "code", "id") if k in data[0])
    assert [r[key] for r in rows] == [str(d[key]) for d in data]
    for r, d in zip(rows, data, strict=True):
        for k in ("tco2", "tce_equal"):
            if k in d and d[k] is not None:
                assert float(r[k]) == pytest.approx(d[k])
    # the xlsx is the report (carbonpeak.publish.tables): the same rows under labelled
    # headers, and a totals row where the table has additive columns
    wb = openpyxl.load_workbook(io.BytesIO(world.call(
        "admin", "GET", f"{path}{sep}format=xlsx").content), read_only=True)
    sheet = list(wb.worksheets[0].values)
    assert [r[0] for r in sheet[len(data) + 1:]] in ([], ["合计"])
    col = list(sheet[0]).index(render(f"export.col.{key}"))
    assert [str(r[col]) for r in sheet[1:len(data) + 1]] == [str(d[key]) for d in data]


def test_empty_export_keeps_its_header(world: World) -> None:
    r = world.call("admin", "GET", "/api/v1/key-units?q=nothing-matches&format=csv")
    assert r.status_code == 200
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("entity_id,name,")


def test_exported_text_never_becomes_a_formula() -> None:
    rows = [{"name": "=HYPERLINK(\"http://x\")", "other": "+1", "n": -3.5, "ok": "外滩"}]
    text = table_response(rows, "csv", "t").body.decode("utf-8-sig")
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")",\'+1,-3.5,外滩'
    wb = openpyxl.load_workbook(io.BytesIO(table_response(rows, "xlsx", "t").body))
    cells = list(wb.worksheets[0].iter_rows(min_row=2))[0]
    assert [c.data_type for c in cells] == ["s", "s", "n", "s"]
    assert cells[0].value == "'=HYPERLINK(\"http://x\")"
    assert cells[2].value == -3.5  # numbers stay numbers


def test_another_district_sees_nothing_of_this_one(world: World) -> None:
    who = "tianhe_admin"
    log = world.call(who, "GET", "/api/v1/audit-log?limit=500").json()["items"]
    assert log  # its own district's creation at least
    assert {a["district"] for a in log} <= {"tianhe", None}
    assert {a["object_type"] for a in log if a["district"] is None} <= {"factor_set"}
    _browser(world, "admin")  # a sign-in of this district, whichever tests ran before
    huangpu = world.call("admin", "GET", "/api/v1/audit-log?limit=500").json()["items"]
    assert {a["district"] for a in huangpu} <= {"huangpu", None}
    assert any(a["action"] == "sign_in" for a in huangpu)
    assert world.call(who, "GET", "/api/v1/entities").json()["total"] == 0
    assert world.call(who, "GET", "/api/v1/entities/B1").status_code == 404
    assert world.call(who, "GET", "/api/v1/dashboard/entities/B1").status_code == 404
    assert world.call(who, "GET", "/api/v1/meters/M1").status_code == 404
    assert world.call(who, "GET", "/api/v1/districts/huangpu").status_code == 404
    assert world.call(who, "GET", "/api/v1/dashboard/overview").json()["years"] == []
    users = {u["username"] for u in world.call(who, "GET", "/api/v1/users").json()["items"]}
    assert users == {"tianhe_admin"}
    assert world.call(who, "PATCH", "/api/v1/users/analyst",
                      {"active": False}).status_code == 404


def test_parallel_guesses_cannot_pass_the_limit(world: World) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ws = _ws(world)

    def guess(i: int, client: str) -> str:
        try:
            sign_in(ws, "analyst", f"wrong-{i}", client=client)
        except RateLimited:
            return "limited"
        except AuthenticationError:
            return "checked"
        return "in"

    with ThreadPoolExecutor(8) as pool:  # one client guessing in parallel
        results = list(pool.map(guess, range(16), ["10.0.0.1"] * 16))
    assert results.count("in") == 0
    assert results.count("checked") <= 5  # CARBONPEAK_LOGIN_MAX_FAILURES
    assert results.count("limited") >= 11
    # sixteen more addresses get one guess each on the account (it is a soft limit: the
    # user is not locked out), and none a second
    with ThreadPoolExecutor(8) as pool:
        spread = list(pool.map(guess, range(16), [f"10.0.1.{i}" for i in range(16)]))
        again = list(pool.map(guess, range(16), [f"10.0.1.{i}" for i in range(16)]))
    assert spread.count("in") == again.count("in") == 0
    assert spread.count("checked") == 16
    assert again.count("limited") == 16
    with ws.registry.session() as s:  # let the analyst back in for the other tests
        for a in s.scalars(select(LoginAttempt).where(LoginAttempt.username == "analyst")):
            a.at -= dt.timedelta(minutes=16)


@pytest.mark.parametrize("query", [
    "/api/v1/readings?meter_id=M1&start=9999-12-31T00:00:00",
    "/api/v1/readings?meter_id=M1&start=0001-01-01T00:00:00%2B01:00",
    "/api/v1/audit-log?since=0001-01-01T00:00:00%2B01:00",
    "/api/v1/audit-log?until=9999-12-31T23:59:59-01:00",
])
def test_extreme_dates_are_422_not_500(world: World, query: str) -> None:
    r = world.call("admin", "GET", query)
    assert r.status_code == 422, r.text
    assert "1900..2200" in r.text


def test_an_admin_changes_their_own_password_only_with_the_current_one(world: World) -> None:
    r = world.call("admin", "PATCH", "/api/v1/users/admin", {"password": "x" * 20})
    assert r.status_code == 403
    assert "/auth/password" in r.json()["detail"]


# -- (5) boundaries ---------------------------------------------------------------------------
def test_voronoi_cells_by_hand() -> None:
    # two sites 2 apart: the bisector x = 1 splits the box [-1, 3] × [-1, 1]
    a, b = voronoi_cells([(0.0, 0.0), (2.0, 0.0)], (-1.0, -1.0, 3.0, 1.0))
    assert max(x for x, _ in a) == pytest.approx(1.0)
    assert min(x for x, _ in b) == pytest.approx(1.0)
    assert a[0] == a[-1]
    # three sites: (1, 0.75) is equidistant from (0,0) and (1,2): 1 + 0.5625 = 0 + 1.5625
    cells = voronoi_cells([(0.0, 0.0), (2.0, 0.0), (1.0, 2.0)], (-1.0, -1.0, 3.0, 3.0))
    assert (1.0, 0.75) in cells[0]


def test_bad_boundaries_are_refused_with_the_feature_named(world: World,
                                                           tmp_path: Path) -> None:
    ws = _ws(world)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "waitan"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.5, 31.2],
                                                          [121.5, 31.3]]]}},
        {"type": "Feature", "properties": {"code": "atlantis"},
         "geometry": {"type": "Point", "coordinates": [121.4, 31.2]}},
        {"type": "Feature", "properties": {"name_zh": "豫园街道"},
         "geometry": {"type": "Polygon", "coordinates": [[[200, 31], [121, 31], [121, 32],
                                                          [200, 31]]]}},
    ]}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputValidationError) as exc:
        import_boundaries(ws, path, district="huangpu")
    cols = [e.column for e in exc.value.errors]
    assert cols == ["features[0].geometry", "features[1].properties.code",
                    "features[2].geometry"]
    assert "closed" in exc.value.errors[0].message or "4 positions" in exc.value.errors[0].message
    (tmp_path / "latin1.geojson").write_bytes('{"name": "街"}'.encode("gb18030"))
    with pytest.raises(InputValidationError, match="not UTF-8 GeoJSON"):
        import_boundaries(ws, tmp_path / "latin1.geojson", district="huangpu")
    with ws.registry.session() as s:  # nothing changed
        st_ = s.scalars(select(Street).where(Street.code == "waitan")).one()
        assert st_.boundary_approximate is True


def _square(lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                 [lon, lat + d], [lon, lat]]]}


def test_boundary_dry_run_checks_polygons_and_stores_nothing(world: World,
                                                              tmp_path: Path) -> None:
    ws = _ws(world)
    # waitan is recorded at 121.4875 E, 31.2385 N; a 0.01° square around it. By hand on WGS84
    # at 31.2385°: a degree of longitude is 111.3195 km × cos φ / √(1 − e² sin² φ) = 95.26 km,
    # a degree of latitude about 110.86 km: 0.9526 km × 1.1086 km = 1.056 km²
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name_zh": "外滩街道"},
         "geometry": _square(121.4825, 31.2335)}]}
    res = import_boundaries(ws, good, district="huangpu", dry_run=True)
    assert (res["updated"], res["unchanged"]) == (1, 0)
    (f,) = res["features"]
    assert (f["feature"], f["street"], f["name_en"], f["matched_by"], f["changed"]) == (
        0, "waitan", "The Bund", "name_zh", True)
    assert f["area_km2"] == pytest.approx(0.9526 * 1.1086, rel=3e-3)
    with ws.registry.session() as s:  # a dry run stores nothing
        assert s.scalars(select(Street).where(Street.code == "waitan")).one(
        ).boundary_approximate is True
    bowtie = {"type": "Polygon", "coordinates": [[[121.48, 31.22], [121.49, 31.23],
                                                  [121.49, 31.22], [121.48, 31.23],
                                                  [121.48, 31.22]]]}
    bad = {"type": "FeatureCollection", "features": [
        {"properties": {"name_zh": "外滩街"}, "geometry": _square(121.4825, 31.2335)},
        {"properties": {"code": "yuyuan"}, "geometry": bowtie},
        {"properties": {"code": "laoximen"}, "geometry": _square(21.47, 31.21)},  # not China
        {"properties": {"code": "nanjingdonglu"}, "geometry": _square(121.0, 31.0, 1.5)},
        {"properties": {"code": "xiaodongmen"}, "geometry": _square(121.0, 31.0)},  # ~48 km
    ]}
    with pytest.raises(InputValidationError) as exc:
        import_boundaries(ws, bad, district="huangpu", dry_run=True)
    errs = exc.value.errors
    assert [(e.column, e.code) for e in errs] == [
        ("features[0].properties.name_zh", "intake.geo.no_street_suggest"),
        ("features[1].geometry", "intake.geo.invalid"),
        ("features[2].geometry", "intake.geo.outside_china"),
        ("features[3].geometry", "intake.geo.area"),
        ("features[4].geometry", "intake.geo.far")]
    assert errs[0].msg.params["suggestion"] == "外滩街道"
    assert "您是否要找：外滩街道" in errs[0].text("zh")
    assert "Self-intersection" in errs[1].message
    # 1.5° square near 31.75°: about 1.5 × 94.8 km × 1.5 × 110.9 km ≈ 23,700 km² > 1,000
    assert errs[3].msg.params["area"] > 20_000
    assert errs[4].msg.params["km"] > 40


def test_reimporting_the_same_boundaries_changes_nothing(world: World) -> None:
    ws = _ws(world)
    with ws.registry.session() as s:
        streets = [{"code": x.code, "lat": x.lat, "lon": x.lon} for x in s.scalars(
            select(Street).where(Street.district_id == "huangpu"))]
    res = import_boundaries(ws, approximate_boundaries(streets), district="huangpu",
                            approximate=True, note="test: approximate")
    assert res == {"updated": 0, "unchanged": 10}


# -- (6) generated requests: no 500 -----------------------------------------------------------
NEW_OPERATIONS = {
    "GET /api/v1/districts", "GET /api/v1/districts/{district_id}", "GET /api/v1/streets",
    "GET /api/v1/streets/{street_id}", "GET /api/v1/entities", "GET /api/v1/entities/{entity_id}",
    "GET /api/v1/meters", "GET /api/v1/meters/{meter_id}", "GET /api/v1/readings",
    "GET /api/v1/inventory", "GET /api/v1/factor-sets", "GET /api/v1/factor-sets/{set_id}",
    "GET /api/v1/audit-log", "GET /api/v1/users", "POST /api/v1/users",
    "PATCH /api/v1/users/{username}", "GET /api/v1/dashboard/overview",
    "GET /api/v1/dashboard/streets", "GET /api/v1/dashboard/entities/{entity_id}",
    "GET /api/v1/key-units", "GET /api/v1/map", "GET /api/v1/map/streets.geojson",
    "GET /api/v1/map/entities.geojson", "POST /api/v1/auth/login", "GET /api/v1/auth/me",
    "POST /api/v1/auth/logout", "POST /api/v1/auth/password",
}


def test_generated_requests_never_answer_500(world: World) -> None:
    """Every new operation with generated parameters and an admin token (schemathesis's
    strategies driven by Hypothesis, as in test_targets_api)."""
    schema = openapi_schema(world.client.app)
    operations = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [o for o in operations if o.label in NEW_OPERATIONS]
    assert {o.label for o in operations} == NEW_OPERATIONS
    headers = world.auth("admin")
    known = {"entity_id": ["B1", "B2", "E1"], "meter_id": ["M1", "M2", "M5"],
             "set_id": ["shanghai_local"], "district_id": ["huangpu"],
             "username": ["analyst", "feeder"]}
    seen: dict[str, set[int]] = {}
    for op in operations:
        @given(case=op.as_strategy(), data=st.data())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any, data: st.DataObject) -> None:
            for where in (case.path_parameters, case.query):
                for name, values in known.items():
                    if where and name in where and data.draw(st.booleans()):
                        where[name] = data.draw(st.sampled_from(values))
            if case.query and "year" in case.query and data.draw(st.booleans()):
                case.query["year"] = 2024
            if isinstance(case.body, dict) and case.body.get("active") is False:
                case.body["active"] = True  # keep the users usable for the next examples
            response = case.call(timeout=STARTUP_WAIT_S, headers=headers)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.path_parameters,
                                                case.query, case.body, response.text)

        check()
    codes = {c for s in seen.values() for c in s}
    assert any(c < 300 for c in codes)
    assert any(c >= 400 for c in codes)
    assert world.call("admin", "GET", "/api/v1/dashboard/overview").status_code == 200


def test_organisation_roles_name_their_organisation_and_see_no_entity(world: World) -> None:
    """A department officer (like an aggregator or a project developer) is registered for an
    organisation, which its principal carries; without one it is refused by field, and with
    one it sees none of the district's entities by itself."""
    from carbonpeak.services.access.scope import scope_of
    from carbonpeak.services.access.users import principal_for

    ws = _ws(world)
    with pytest.raises(InputValidationError) as refused:
        create_user(ws, "dept_no_org", "department_officer", district="huangpu")
    assert [(e.column, e.code) for e in refused.value.errors] == [
        ("org", "access.user.org_required")]
    assert refused.value.errors[0].text("zh") == "部门专员须指定所属单位"
    create_user(ws, "dept_fgw", "department_officer", district="huangpu", org="区发展改革委")
    p = principal_for(ws, "dept_fgw")
    assert (p.role, p.org_code, p.entity_ids) == ("department_officer", "区发展改革委",
                                                  frozenset())
    scope = scope_of(ws, p)
    assert (scope.everything, scope.entities) == (False, frozenset())
    listed = next(u for u in world.call("admin", "GET", "/api/v1/users?limit=500").json()["items"]
                  if u["username"] == "dept_fgw")
    assert listed["org"] == "区发展改革委"


def test_the_one_frame_filter_of_the_access_scope() -> None:
    """``AccessScope.rows``: analysts read every row; a street officer its street's rows (by the
    frame's street_id); entity roles their entities, by the index or a named column."""
    import pandas as pd

    from carbonpeak.services.access.scope import AccessScope

    ents = pd.DataFrame({"entity_id": ["B1", "B2", "B3"], "street_id": [1, 2, 1]},
                        index=["B1", "B2", "B3"])
    district = AccessScope("huangpu", everything=True)
    street = AccessScope("huangpu", everything=False, street_id=1,
                         entities=frozenset({"B1", "B3"}))
    manager = AccessScope("huangpu", everything=False, entities=frozenset({"B2"}))
    nobody = AccessScope("huangpu", everything=False)
    assert list(district.rows(ents).index) == ["B1", "B2", "B3"]
    assert list(street.rows(ents).index) == ["B1", "B3"]
    assert list(manager.rows(ents).index) == ["B2"]
    assert nobody.rows(ents).empty
    readings = pd.DataFrame({"entity_id": ["B2", "B1", "B2"], "kwh": [1.0, 2.0, 3.0]})
    assert manager.rows(readings, "entity_id")["kwh"].tolist() == [1.0, 3.0]
    assert street.rows(readings, "entity_id")["kwh"].tolist() == [2.0]  # no street_id column
