"""The typed API: every route declares what it answers, and the answers match.

* every route of the API has a response model, or declares the file it answers
  (``response_class`` and its media type in ``responses``), and the OpenAPI document has a
  schema for each;
* every JSON GET endpoint, called on the demo district (``carbonpeak demo --no-serve``: it has
  every kind of data: account, targets, warnings, quota tables, retrofits, audits,
  commissioning, the white paper) as an admin, a street officer and an entity manager, answers
  a body that validates against the route's model (``TypeAdapter(model).validate_python``).
  The hot endpoints answer with ``fast_json`` (not validated by FastAPI), so this is what keeps
  their models honest; a new route needs a request here, or this test fails;
* a NaN or an infinity becomes null in every JSON path (``responses.json_safe``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from carbonpeak.api.app import create_app
from carbonpeak.api.responses import JSONBody, JSONRoute, fast_json, json_bytes, json_safe
from carbonpeak.api.schemas.common import Public
from carbonpeak.config import Settings
from carbonpeak.storage.workspace import Workspace
from tests.conftest import demo_copy

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "carbonpeak-demo"  # the demo users' password  # noqa: S105
JSON_TYPES = (JSONBody,)


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app`` (included routers walked), in the OpenAPI document."""
    out: list[APIRoute] = []

    def walk(routes: list[Any]) -> None:
        for r in routes:
            if isinstance(r, APIRoute):
                if r.include_in_schema:
                    out.append(r)
            elif hasattr(r, "original_router"):  # FastAPI's included router
                walk(r.original_router.routes)

    walk(list(app.routes))
    return out


def _label(r: APIRoute) -> str:
    return f"{','.join(sorted(r.methods))} {r.path}"


# the routes, known when the tests are collected: an app over no workspace at all
_APP = create_app(workspace=SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]
ROUTES = api_routes(_APP)
JSON_GETS = [r for r in ROUTES if "GET" in r.methods and r.response_model is not None]


def test_every_route_declares_its_answer() -> None:
    assert len(ROUTES) >= 73  # 72 API routes and the health check
    untyped = []
    for r in ROUTES:
        if r.response_model is not None:
            continue
        file_class = not isinstance(r.response_class, type) or not issubclass(
            r.response_class, JSON_TYPES)
        media = r.responses.get(200, {}).get("content", {})
        if r.status_code == 204 and file_class:
            continue  # no content
        if not (file_class and media):
            untyped.append(_label(r))
    assert untyped == [], f"routes without a response model or a declared file: {untyped}"


def test_the_openapi_document_has_a_schema_for_every_route() -> None:
    doc = _APP.openapi()
    schemas = doc["components"]["schemas"]
    for r in ROUTES:
        for method in r.methods:
            op = doc["paths"][r.path][method.lower()]
            status = str(r.status_code or 200)
            content = op["responses"][status].get("content", {})
            if r.response_model is not None:
                ref = content["application/json"]["schema"]
                name = ref.get("$ref", "").rsplit("/", 1)[-1]
                assert name in schemas, (_label(r), ref)
            elif r.status_code != 204:
                assert content, _label(r)
                assert "application/json" not in content, (_label(r), content)
    # the file routes say what they give; the exports add CSV and xlsx to their JSON
    ops = doc["paths"]
    pdf = ops["/api/v1/reports/whitepaper.pdf"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in pdf
    assert "image/png" in ops["/api/v1/commissioning/{entity_id}/chart.png"]["get"][
        "responses"]["200"]["content"]
    assert "application/geo+json" in ops["/api/v1/map/streets.geojson"]["get"]["responses"][
        "200"]["content"]
    entities = ops["/api/v1/entities"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(entities)
    assert "$ref" in entities["application/json"]["schema"]


def test_models_name_every_field() -> None:
    """An unknown key is an error, not silently dropped (the base model forbids extras)."""
    for r in ROUTES:
        model = r.response_model
        if isinstance(model, type) and issubclass(model, Public):
            assert model.model_config.get("extra") == "forbid", _label(r)


# -- real answers against the models -----------------------------------------------------------
@dataclass
class Demo:
    home: Path
    clients: dict[str, TestClient] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``carbonpeak demo --no-serve --buildings 20`` into a temporary home (SQLite), the
    app over it, and clients signed in as an admin, a street officer and an entity manager."""
    home = demo_copy(tmp_path_factory, "schemas-home").home
    ws = Workspace.open(Settings(home=home), actor="test")
    try:
        app = create_app(workspace=ws)
        d = Demo(home=home)
        for who in ("admin", "street_waitan", "manager"):
            c = TestClient(app)
            r = c.post("/api/v1/auth/login", json={"username": who, "password": PASSWORD})
            assert r.status_code == 200, r.text
            d.clients[who] = c
        admin = d.clients["admin"]

        def first(path: str, key: str, **params: Any) -> str:
            items = admin.get(path, params=params).json()["items"]
            assert items, path
            return str(items[0][key])

        d.ids = {
            "entity_id": first("/api/v1/entities", "entity_id"),
            "meter_id": first("/api/v1/meters", "meter_id"),
            "street_id": first("/api/v1/streets", "id"),
            "target_id": first("/api/v1/targets", "id"),
            "warning_id": first("/api/v1/warnings", "id"),
            "batch_id": first("/api/v1/batches", "batch_id"),
            "table_id": first("/api/v1/quota-tables", "table_id"),
            "code": first("/api/v1/retrofits", "code"),
            "commissioning_id": first("/api/v1/commissioning", "entity_id"),
            "set_id": first("/api/v1/factor-sets", "set_id"),
            "event_id": first("/api/v1/vpp/events", "event_id"),
            "project_code": first("/api/v1/projects", "project_code"),
            "district_id": "huangpu",
        }
        yield d
    finally:
        ws.close()


#: how to call each JSON GET endpoint: its URL (ids filled in) and parameters; several
#: requests where the answer's shape depends on a parameter
REQUESTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "/api/v1/health": [("/api/v1/health", {})],
    "/api/v1/auth/me": [("/api/v1/auth/me", {})],
    "/api/v1/districts": [("/api/v1/districts", {})],
    "/api/v1/districts/{district_id}": [("/api/v1/districts/{district_id}", {})],
    "/api/v1/streets": [("/api/v1/streets", {})],
    "/api/v1/streets/{street_id}": [("/api/v1/streets/{street_id}", {})],
    "/api/v1/entities": [("/api/v1/entities", {"limit": 500})],
    "/api/v1/entities/{entity_id}": [("/api/v1/entities/{entity_id}", {})],
    "/api/v1/meters": [("/api/v1/meters", {"limit": 500})],
    "/api/v1/meters/{meter_id}": [("/api/v1/meters/{meter_id}", {})],
    "/api/v1/readings": [("/api/v1/readings",
                          {"meter_id": "{meter_id}", "start": "2024-03-01T00:00:00"})],
    "/api/v1/inventory": [("/api/v1/inventory", {"year": 2024, "level": level,
                                                 "period": period, "limit": 500})
                          for level in ("entity", "street", "district", "sector",
                                        "building_type") for period in ("month", "year")]
    + [("/api/v1/inventory", {"year": 1999})],
    "/api/v1/factor-sets": [("/api/v1/factor-sets", {})],
    "/api/v1/factor-sets/{set_id}": [("/api/v1/factor-sets/{set_id}", {})],
    "/api/v1/audit-log": [("/api/v1/audit-log", {"limit": 500})],
    "/api/v1/users": [("/api/v1/users", {})],
    "/api/v1/dashboard/overview": [("/api/v1/dashboard/overview", {}),
                                   ("/api/v1/dashboard/overview", {"year": 2023}),
                                   ("/api/v1/dashboard/overview", {"year": 1999})],
    "/api/v1/dashboard/streets": [("/api/v1/dashboard/streets", {}),
                                  ("/api/v1/dashboard/streets", {"year": 1999})],
    "/api/v1/dashboard/streets/{street_id}": [
        ("/api/v1/dashboard/streets/{street_id}", {}),
        ("/api/v1/dashboard/streets/{street_id}", {"year": 1999})],
    "/api/v1/meters/{meter_id}/series": [
        ("/api/v1/meters/{meter_id}/series", {"start": "2024-03-01", "resolution": "hour"}),
        ("/api/v1/meters/{meter_id}/series", {"start": "2023-07-01", "end": "2023-08-01",
                                              "resolution": "day"})],
    "/api/v1/dashboard/entities/{entity_id}": [
        ("/api/v1/dashboard/entities/{entity_id}", {}),
        ("/api/v1/dashboard/entities/{entity_id}", {"year": 1999})],
    "/api/v1/key-units": [("/api/v1/key-units", {"limit": 500})],
    "/api/v1/metrics": [("/api/v1/metrics", {"year": 2024}),
                        ("/api/v1/metrics", {"year": 2024, "as_of": "2024-06-30"}),
                        ("/api/v1/metrics", {"year": 1999})],
    "/api/v1/map": [("/api/v1/map", {}), ("/api/v1/map", {"month": "2024-03"})],
    "/api/v1/batches": [("/api/v1/batches", {"limit": 500})],
    "/api/v1/batches/{batch_id}": [("/api/v1/batches/{batch_id}", {})],
    "/api/v1/quality": [("/api/v1/quality", {"month": "2024-03", "rows": "true"}),
                        ("/api/v1/quality", {"year": 2024, "entity": "B1"})],
    "/api/v1/held": [("/api/v1/held", {"status": "all"}), ("/api/v1/held", {"year": 2024})],
    "/api/v1/targets": [("/api/v1/targets", {}), ("/api/v1/targets", {"year": 2023})],
    "/api/v1/targets/{target_id}": [("/api/v1/targets/{target_id}", {})],
    "/api/v1/dual-control": [("/api/v1/dual-control", {}),
                             ("/api/v1/dual-control", {"year": 2021})],
    "/api/v1/budgets": [("/api/v1/budgets", {})],
    "/api/v1/warnings": [("/api/v1/warnings", {"limit": 500})],
    "/api/v1/warnings/{warning_id}": [("/api/v1/warnings/{warning_id}", {})],
    "/api/v1/lmdi": [("/api/v1/lmdi", {"base_year": 2020, "target_year": 2024}),
                     ("/api/v1/lmdi", {"base_year": 2023, "target_year": 2024})],
    "/api/v1/peak": [("/api/v1/peak", {"runs": 100})],
    "/api/v1/quota-tables": [("/api/v1/quota-tables", {})],
    "/api/v1/reference-verifications": [("/api/v1/reference-verifications",
                                         {"include_withdrawn": "true"})],
    "/api/v1/quota-tables/{table_id}": [("/api/v1/quota-tables/{table_id}", {})],
    "/api/v1/benchmarking": [("/api/v1/benchmarking", {"limit": 500})],
    "/api/v1/quota-cases": [("/api/v1/quota-cases", {})],
    "/api/v1/pv/sites": [("/api/v1/pv/sites", {"year": 2024})],
    "/api/v1/pv/monitoring": [("/api/v1/pv/monitoring", {"year": 2024})],
    "/api/v1/pv/potential": [("/api/v1/pv/potential", {}),
                             ("/api/v1/pv/potential", {"year": 2024})],
    "/api/v1/pv/progress": [("/api/v1/pv/progress", {"year": 2024})],
    "/api/v1/pv/forecast": [("/api/v1/pv/forecast", {"date": "2024-07-16"})],
    "/api/v1/pv/forecasts": [("/api/v1/pv/forecasts", {"year": 2024})],
    "/api/v1/pv/map": [("/api/v1/pv/map", {"year": 2024})],
    "/api/v1/retrofits": [("/api/v1/retrofits", {})],
    "/api/v1/vpp/resources": [("/api/v1/vpp/resources", {})],
    "/api/v1/vpp/events": [("/api/v1/vpp/events", {})],
    "/api/v1/vpp/events/{event_id}/baseline": [
        ("/api/v1/vpp/events/{event_id}/baseline", {"resource": "DR0007"})],
    "/api/v1/vpp/events/{event_id}/results": [("/api/v1/vpp/events/{event_id}/results", {})],
    "/api/v1/vpp/capability": [("/api/v1/vpp/capability", {}),
                               ("/api/v1/vpp/capability", {"year": 2024})],
    "/api/v1/retrofits/progress": [("/api/v1/retrofits/progress", {"year": 2024})],
    "/api/v1/retrofits/{code}": [("/api/v1/retrofits/{code}", {})],
    "/api/v1/weather": [("/api/v1/weather", {})],
    "/api/v1/audits": [("/api/v1/audits", {"limit": 500})],
    "/api/v1/audits/schedule": [("/api/v1/audits/schedule", {"limit": 500})],
    "/api/v1/obligations": [("/api/v1/obligations", {"year": 2024, "limit": 500}),
                            ("/api/v1/obligations", {"year": 2023})],
    "/api/v1/commissioning": [("/api/v1/commissioning", {"limit": 500})],
    "/api/v1/commissioning/{entity_id}": [("/api/v1/commissioning/{commissioning_id}", {})],
    "/api/v1/uploads/kinds": [("/api/v1/uploads/kinds", {})],
    "/api/v1/supervision/tasks": [("/api/v1/supervision/tasks", {})],
    "/api/v1/supervision/tasks/{code}": [("/api/v1/supervision/tasks/HP-T02", {})],
    "/api/v1/supervision/organisations": [("/api/v1/supervision/organisations", {})],
    "/api/v1/supervision/rounds": [("/api/v1/supervision/rounds", {})],
    "/api/v1/supervision/rounds/{round_id}/items": [
        ("/api/v1/supervision/rounds/1/items", {})],
    "/api/v1/supervision/rounds/{round_id}/board": [
        ("/api/v1/supervision/rounds/1/board", {})],
    "/api/v1/supervision/assessment": [("/api/v1/supervision/assessment", {"year": 2024})],
    "/api/v1/uploads/ledger-form": [("/api/v1/uploads/ledger-form",
                                     {"entity_id": "{entity_id}", "month": "2024-03"})],
    "/api/v1/projects": [("/api/v1/projects", {})],
    "/api/v1/projects/pipeline": [("/api/v1/projects/pipeline", {})],
    "/api/v1/projects/operation": [("/api/v1/projects/operation", {})],
    "/api/v1/projects/{code}": [("/api/v1/projects/{project_code}", {})],
    "/api/v1/certificates": [("/api/v1/certificates", {})],
    "/api/v1/certificates/scope2": [("/api/v1/certificates/scope2", {"year": 2024}),
                                    ("/api/v1/certificates/scope2", {"year": 2023})],
    "/api/v1/reports/whitepaper": [("/api/v1/reports/whitepaper", {}),
                                   ("/api/v1/reports/whitepaper", {"year": 2023})],
}


def _fill(text: str, ids: dict[str, str]) -> str:
    return text.format(**ids)


#: routes only a role the demo has no user of may read: their real answers are validated
#: against the same models by the module named
CHECKED_ELSEWHERE = {
    "/api/v1/cities/{city}/districts": "tests/test_city.py (a city analyst)",
    "/api/v1/cities/{city}/districts/{district}": "tests/test_city.py (a city analyst)",
    "/api/v1/cities/{city}/totals": "tests/test_city.py (a city analyst)",
}


@pytest.mark.parametrize("route", [r for r in JSON_GETS if r.path not in CHECKED_ELSEWHERE],
                         ids=_label)
def test_real_answers_match_the_response_model(demo: Demo, route: APIRoute) -> None:
    assert route.path in REQUESTS, f"add a request for {route.path} to REQUESTS"
    adapter: TypeAdapter[Any] = TypeAdapter(route.response_model)
    checked = 0
    for who, client in demo.clients.items():
        for url, params in REQUESTS[route.path]:
            filled = {k: _fill(v, demo.ids) if isinstance(v, str) else v
                      for k, v in params.items()}
            r = client.get(_fill(url, demo.ids), params=filled)
            if r.status_code in (403, 404):  # outside the caller's scope or role
                continue
            assert r.status_code == 200, (who, url, params, r.text[:500])
            assert r.headers["content-type"].startswith("application/json")
            adapter.validate_python(r.json())
            checked += 1
    assert checked, f"no answer of {route.path} was checked"


# -- NaN becomes null ---------------------------------------------------------------------------
def test_json_safe_turns_every_non_finite_number_into_null() -> None:
    data = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": np.float64("nan"),
            "d": np.array([1.0, np.nan]), "e": {"f": (np.int64(3), np.bool_(True))}, 7: None}
    assert json_safe(data) == {"a": None, "b": [None, None, 1.5], "c": None,
                               "d": [1.0, None], "e": {"f": [3, True]}, "7": None}
    assert orjson.loads(json_bytes(data))["c"] is None
    assert orjson.loads(fast_json({"x": math.nan}).body) == {"x": None}


def test_model_answers_go_through_the_same_function() -> None:
    class Answer(Public):
        value: float | None
        values: list[float | None]

    router = APIRouter(route_class=JSONRoute)

    @router.get("/nan", response_model=Answer)
    def nan() -> dict[str, Any]:
        return {"value": math.nan, "values": [math.inf, 2.0]}

    app = FastAPI()
    app.include_router(router)
    r = TestClient(app).get("/nan")
    assert r.status_code == 200
    assert r.json() == {"value": None, "values": [None, 2.0]}


def _model_of(method: str, path: str) -> Any:
    found = [r for r in ROUTES if method in r.methods and r.path == path]
    assert len(found) == 1, (method, path)
    return found[0].response_model


def test_answers_of_changes_match_their_models(demo: Demo) -> None:
    """The POST answers FastAPI does not validate itself (``fast_json``, ``JSONBody`` with
    their own status): a project saved and measured, an audit, a filing, an observation,
    and a refused feed batch (422, with ``detail``)."""
    admin = demo.clients["admin"]
    checks: list[tuple[str, str, Any, set[int]]] = []
    row = next(r for r in admin.get("/api/v1/retrofits").json()["items"]
               if r["status"] == "completed")
    project = {k: row[k] for k in (
        "code", "entity_id", "kind", "name", "measures", "start_date", "end_date",
        "floor_area_m2", "investment_10k_cny", "claimed_savings_kwh",
        "claimed_savings_fraction", "status")}
    checks.append(("POST", "/api/v1/retrofits", project, {200, 201}))
    checks.append(("POST", "/api/v1/mv/run", {"codes": [row["code"]]}, {200}))
    entity = demo.ids["entity_id"]
    checks.append(("POST", "/api/v1/audits", {"entity_id": entity, "kind": "audit",
                                              "audit_date": "2024-05-06",
                                              "auditor": "上海某节能服务公司"}, {200, 201}))
    units = admin.get("/api/v1/obligations", params={"year": 2024}).json()["items"]
    checks.append(("POST", "/api/v1/obligation-filings", {
        "entity_id": units[0]["entity_id"], "obligation": "saving_plan", "year": 2024,
        "filed_on": "2024-03-01"}, {200, 201}))
    checks.append(("POST", "/api/v1/targets/{target_id}/observations", {
        "observed_on": "2024-06-30", "value": 12.5, "source": "test"}, {200, 201}))
    for method, path, body, statuses in checks:
        r = admin.request(method, _fill(path, demo.ids), json=body,
                          headers={"X-CSRF-Token": admin.get("/api/v1/auth/me").json()[
                              "csrf_token"]})
        assert r.status_code in statuses, (path, r.text[:500])
        TypeAdapter(_model_of(method, path)).validate_python(r.json())
    bad = admin.post("/api/v1/readings", json=[{"meter_id": "nope", "ts": "x", "value": 1}],
                     headers={"X-CSRF-Token": admin.get("/api/v1/auth/me").json()[
                         "csrf_token"]})
    assert bad.status_code in (403, 422), bad.text[:500]
    if bad.status_code == 422:
        TypeAdapter(_model_of("POST", "/api/v1/readings")).validate_python(bad.json())
