"""Plan supervision over HTTP: the role × endpoint matrix with guessed ids, and a round
answered and reviewed through the API."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carbonpeak.api import create_app
from carbonpeak.config import Settings
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.services.access.users import create_user, issue_token
from carbonpeak.services.supervision.catalogue import load_catalogue
from carbonpeak.services.supervision.rounds import open_round
from carbonpeak.storage.workspace import Workspace
from tests.conftest import BACKENDS, registry_url

USERS = {
    "admin": ("district_admin", None, None),
    "analyst": ("district_analyst", None, None),
    "fgw": ("department_officer", None, "fgw"),     # 区发展改革委
    "lhsr": ("department_officer", None, "lhsr"),   # 区绿化市容局
    "officer": ("street_officer", "waitan", None),
    "aggregator": ("aggregator", None, "agg-1"),
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    round_id: int
    ws: Workspace

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = {} if user == "anonymous" else {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.request(method, path.format(r=self.round_id), json=body,
                                   headers=headers)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One district per backend (PostgreSQL only for the contract tests: the role matrix)."""
    tmp = tmp_path_factory.mktemp("supervision_api")
    with registry_url(request.param, tmp) as url:
        yield from _world(tmp, url)


def _world(tmp: Path, url: str) -> Iterator[World]:
    ws: Workspace
    ws, _ = init_workspace(Settings(home=tmp / "home", database_url=url),
                           profiles=["huangpu"], actor="test")
    try:
        load_catalogue(ws)
        r = open_round(ws, period="2024-Q4", opened_on=dt.date(2024, 12, 1),
                       due_on=dt.date(2024, 12, 20), tasks=["HP-T04", "HP-T13"],
                       targets=["HP-33", "HP-27"])
        for name, (role, street, org) in USERS.items():
            create_user(ws, name, role, street=street, org=org)
        tokens = {n: issue_token(ws, n).token for n in USERS}
        yield World(TestClient(create_app(workspace=ws)), tokens, int(r["id"]), ws)
    finally:
        ws.close()


OK, DENIED, HIDDEN = 200, 403, 404
ROLES = [*USERS, "anonymous"]
#: id, method, path, body, expected per role (the others: 403; anonymous: 401)
MATRIX: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("tasks", "GET", "/api/v1/supervision/tasks", None,
     {"admin": OK, "analyst": OK, "fgw": OK, "lhsr": OK, "officer": OK}),
    ("own task", "GET", "/api/v1/supervision/tasks/HP-T04", None,
     {"admin": OK, "analyst": OK, "fgw": OK, "lhsr": HIDDEN, "officer": HIDDEN}),
    ("other's task", "GET", "/api/v1/supervision/tasks/HP-T13", None,
     {"admin": OK, "analyst": OK, "fgw": HIDDEN, "lhsr": OK, "officer": OK}),
    ("guessed task", "GET", "/api/v1/supervision/tasks/HP-T99", None,
     {"admin": HIDDEN, "analyst": HIDDEN, "fgw": HIDDEN, "lhsr": HIDDEN, "officer": HIDDEN}),
    ("organisations", "GET", "/api/v1/supervision/organisations", None,
     {"admin": OK, "analyst": OK, "fgw": OK, "lhsr": OK, "officer": OK}),
    ("rounds", "GET", "/api/v1/supervision/rounds", None,
     {"admin": OK, "analyst": OK, "fgw": OK, "lhsr": OK, "officer": OK}),
    ("items", "GET", "/api/v1/supervision/rounds/{r}/items", None,
     {"admin": OK, "analyst": OK, "fgw": OK, "lhsr": OK, "officer": OK}),
    ("guessed round", "GET", "/api/v1/supervision/rounds/999/items", None,
     {"admin": HIDDEN, "analyst": HIDDEN, "fgw": HIDDEN, "lhsr": HIDDEN, "officer": HIDDEN}),
    ("board", "GET", "/api/v1/supervision/rounds/{r}/board", None,
     {"admin": OK, "analyst": OK}),
    ("assessment", "GET", "/api/v1/supervision/assessment?year=2024", None,
     {"admin": OK, "analyst": OK}),
    ("assign", "POST", "/api/v1/supervision/tasks/HP-T28/assign", {"lead": "tdb"},
     {"admin": OK, "analyst": OK}),
    ("open", "POST", "/api/v1/supervision/rounds",
     {"period": "2025-Q1", "opened_on": "2025-03-01", "due_on": "2025-03-20"},
     {"admin": 201}),  # the admin's case runs in test_open_a_round (201, then 409)
    ("schedule (2024-Q4 exists: nothing opened)", "POST",
     "/api/v1/supervision/rounds/schedule", {"today": "2025-01-05"}, {"admin": OK}),
    ("eligible count", "POST", "/api/v1/supervision/eligible",
     {"target": "TH-47", "count": 12, "as_of": "2024-01-01", "source": "名录（测试）"},
     {"admin": OK}),
    ("issue the assessment", "POST", "/api/v1/supervision/assessment/issue",
     {"year": 2024, "on": "2025-01-10"}, {"admin": OK}),
    # lhsr's item: another unit (or the office naming a unit that does not owe it) finds none
    ("answer lhsr's item", "POST", "/api/v1/supervision/rounds/{r}/answers",
     {"unit": "lhsr", "item": "target:HP-27", "value": 1.0},
     {"admin": HIDDEN, "fgw": HIDDEN, "lhsr": OK, "officer": HIDDEN}),
    ("review a guessed answer", "POST", "/api/v1/supervision/answers/99999/review",
     {"accept": True}, {"admin": HIDDEN, "analyst": HIDDEN}),
    ("evidence of a guessed answer", "GET", "/api/v1/supervision/answers/99999/evidence/1",
     None, {"admin": HIDDEN, "analyst": HIDDEN, "fgw": HIDDEN, "lhsr": HIDDEN,
            "officer": HIDDEN}),
]


@pytest.mark.contract
@pytest.mark.parametrize("user", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "expect"), MATRIX,
                         ids=[m[0] for m in MATRIX])
def test_role_matrix(world: World, user: str, name: str, method: str, path: str, body: Any,
                     expect: dict[str, int]):
    if name == "open" and user == "admin":
        pytest.skip("opened in test_open_a_round")
    if name == "answer lhsr's item" and user == "admin":
        body = {"unit": "fgw", "item": "target:HP-27", "value": 1.0}
    got = world.call(user, method, path, body).status_code
    want = 401 if user == "anonymous" else expect.get(user, DENIED)
    assert got == want, (name, user, got)


def test_a_department_sees_only_its_own(world: World):
    tasks = world.call("fgw", "GET", "/api/v1/supervision/tasks").json()["tasks"]
    assert "HP-T13" not in {t["code"] for t in tasks}
    assert all(t["lead_org"] == "fgw" or "fgw" in t["supporting_orgs"] for t in tasks)
    items = world.call("fgw", "GET", "/api/v1/supervision/rounds/{r}/items").json()["items"]
    assert {i["unit"] for i in items} == {"fgw"}
    assert {i["item"] for i in items} == {"task:HP-T04", "target:HP-33"}
    street = world.call("officer", "GET", "/api/v1/supervision/rounds/{r}/items").json()
    assert {i["unit"] for i in street["items"]} == {"street:waitan"}
    agg = world.call("aggregator", "GET", "/api/v1/supervision/rounds/{r}/items")
    assert agg.status_code == 403
    assert "HP-T" not in agg.text


def test_answer_and_review_through_the_api(world: World):
    path = "/api/v1/supervision/rounds/{r}/answers"
    bad = world.call("fgw", "POST", path, {"item": "target:HP-33", "value": 4.2, "evidence": [
        {"name": "x.pdf", "content_base64": base64.b64encode(b"not a pdf").decode()}]})
    assert bad.status_code == 422
    assert "x.pdf" in bad.text
    got = world.call("fgw", "POST", path, {
        "item": "target:HP-33", "value": 4.2, "observed_on": "2024-11-30",
        "evidence": [{"name": "光伏台账.pdf", "content_base64": base64.b64encode(PDF).decode()}]})
    assert got.status_code == 200, got.text
    answer = got.json()
    assert answer["status"] == "submitted"
    assert answer["evidence"][0]["kind"] == "pdf"
    again = world.call("fgw", "POST", path, {"item": "target:HP-33", "value": 5.0})
    assert again.status_code == 409
    review = f"/api/v1/supervision/answers/{answer['id']}/review"
    assert world.call("fgw", "POST", review, {"accept": True}).status_code == 403
    # the analyst reviews: a return needs a comment, the unit answers again, then accepted
    no_comment = world.call("analyst", "POST", review, {"accept": False, "comment": " "})
    assert no_comment.status_code == 422
    assert "comment" in no_comment.text
    back = world.call("analyst", "POST", review, {"accept": False, "comment": "请附台账"})
    assert (back.status_code, back.json()["status"]) == (200, "returned")
    assert back.json()["review_comment"] == "请附台账"
    mine = world.call("fgw", "GET", "/api/v1/supervision/rounds/{r}/items").json()["items"]
    assert next(i for i in mine if i["item"] == "target:HP-33")["review_comment"] == "请附台账"
    again = world.call("fgw", "POST", path, {"item": "target:HP-33", "value": 4.2,
                                             "observed_on": "2024-11-30"})
    assert again.status_code == 200, again.text
    done = world.call("analyst", "POST", review, {"accept": True})
    assert done.status_code == 200
    assert done.json()["status"] == "accepted"
    assert [h["action"] for h in done.json()["history"]] == ["submit", "return", "submit",
                                                             "accept"]
    targets = world.call("admin", "GET", "/api/v1/targets?format=json").json()
    rows = targets["items"] if isinstance(targets, dict) and "items" in targets else targets
    hp33 = next(t for t in rows if t["code"] == "HP-33")
    assert hp33["value"] == 4.2
    assert "区发展改革委" in hp33["value_source_zh"]


def test_evidence_downloads_in_scope_only(world: World):
    """The unit that sent a file and the office download it (its name, its type, as an
    attachment); another unit, a street and a guessed file number find nothing (404)."""
    items = world.call("admin", "GET", "/api/v1/supervision/rounds/{r}/items").json()["items"]
    hp33 = next(i for i in items if i["unit"] == "fgw" and i["item"] == "target:HP-33")
    if not hp33["evidence"]:
        test_answer_and_review_through_the_api(world)
    url = f"/api/v1/supervision/answers/{hp33['id']}/evidence/1"
    for who in ("fgw", "admin", "analyst"):
        got = world.call(who, "GET", url)
        assert got.status_code == 200, (who, got.text)
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        # the uploaded name 光伏台账.pdf, percent-encoded in UTF-8 (RFC 5987)
        assert "filename*=utf-8''%E5%85%89%E4%BC%8F%E5%8F%B0%E8%B4%A6.pdf" in disposition
    for who in ("lhsr", "officer"):
        assert world.call(who, "GET", url).status_code == 404, who
    assert world.call("aggregator", "GET", url).status_code == 403
    assert world.call("fgw", "GET", url[:-1] + "2").status_code == 404
    from sqlalchemy import select

    from carbonpeak.storage.registry.models import AuditLog
    with world.ws.registry.session() as s:
        reads = list(s.scalars(select(AuditLog).where(AuditLog.object_type == "round_evidence")))
    assert {r.actor for r in reads} >= {"user:fgw", "user:admin", "user:analyst"}


def test_open_a_round(world: World):
    body = {"period": "2025-Q1", "opened_on": "2025-03-01", "due_on": "2025-03-20",
            "tasks": ["HP-T04"], "targets": []}
    got = world.call("admin", "POST", "/api/v1/supervision/rounds", body)
    assert got.status_code == 201
    assert got.json()["items"] == 1
    assert world.call("admin", "POST", "/api/v1/supervision/rounds", body).status_code == 409
    body["period"], body["tasks"] = "2025-Q2", ["HP-T99"]
    bad = world.call("admin", "POST", "/api/v1/supervision/rounds", body)
    assert bad.status_code == 422
    assert "HP-T99" in bad.text


def test_the_white_paper_shows_accepted_values_with_their_source(world: World):
    """The targets chapter (content and document; the rest of the white paper needs an
    account this world does not have)."""
    from carbonpeak.publish.whitepaper import content, document

    if world.call("admin", "GET", "/api/v1/supervision/rounds/{r}/items").json()[
            "items"][0]["status"] == "pending":
        test_answer_and_review_through_the_api(world)
    d = world.ws.district("huangpu")
    section = {"available": True, **content._targets(world.ws, d, 2024)}
    row = next(r for r in section["rows"] if r["code"] == "HP-33")
    assert "区发展改革委" in row["value_source_zh"]
    c = {"targets": section, "year": 2024, "dual_control": {"available": False}}
    chapter = document._targets(c, document._Words("zh"))
    text = repr(chapter)
    assert "数据来源" in text
    assert "调度 2024-Q4：区发展改革委 报送" in text
    # the source is kept as a message (code and parameters) and rendered in each edition's
    # language, the unit's name from the organisation list
    assert "调度 2024-Q4：区发展改革委 报送（第" in row["value_source_zh"]
    assert row["value_source"].startswith(
        "dispatch 2024-Q4: submitted by District Development and Reform Commission (no. ")
    assert row["value_source"].endswith(", accepted) (2024-11-30)")
    en = repr(document._targets(c, document._Words("en")))
    assert "dispatch 2024-Q4: submitted by District Development and Reform Commission" in en
    assert "调度" not in en
