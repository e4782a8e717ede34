"""Issue 14, "one message catalogue", at the edges: errors, workbooks and notes in one language.

A Chinese answer is all Chinese (no ASCII word outside a short allow-list of units, standard
codes and ids); an English one has no Chinese character. The errors that reach the API carry
their catalogue reason and are answered in the request's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from carbonpeak.api.app import create_app, request_lang
from carbonpeak.config import Settings
from carbonpeak.errors import (
    CarbonPeakError,
    ConflictError,
    FactorError,
    NotFoundError,
    RateLimited,
    UnitError,
)
from carbonpeak.i18n import msg, render
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.services.access.auth import set_password
from carbonpeak.services.access.users import create_user
from carbonpeak.storage.workspace import Workspace
from tests.one_language import CJK, english_words

PASSWORD = "a long enough test password"  # noqa: S105  # test users only

@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    tmp: Path = tmp_path_factory.mktemp("i18n_edges")
    ws, _ = init_workspace(Settings(home=tmp / "home", cookie_secure=False),
                           profiles=["huangpu"], actor="test", load_targets=False)
    create_user(ws, "admin", "district_admin")
    set_password(ws, "admin", PASSWORD)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture(scope="module")
def client(home: Workspace) -> TestClient:
    return TestClient(create_app(workspace=home), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def signed_in(home: Workspace) -> TestClient:
    c = TestClient(create_app(workspace=home), raise_server_exceptions=False)
    r = c.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _request(query: str = "", accept: str | None = None) -> Request:
    headers = [(b"accept-language", accept.encode())] if accept is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(),
                    "headers": headers})


def test_the_request_language_comes_from_lang_then_accept_language_by_q() -> None:
    assert request_lang(_request()) == "en"  # the API's default
    assert request_lang(_request(accept="zh-CN")) == "zh"
    assert request_lang(_request(accept="fr-FR, en;q=0.5, zh;q=0.8")) == "zh"
    assert request_lang(_request(accept="zh;q=0.2, en-US")) == "en"
    assert request_lang(_request(accept="zh;q=0, de")) == "en"  # q=0: not wanted
    assert request_lang(_request("lang=zh", accept="en")) == "zh"
    assert request_lang(_request("lang=fr", accept="zh")) == "zh"  # not a language we have


def test_an_error_raised_with_a_message_keeps_it_as_its_reason_and_english_text() -> None:
    e = NotFoundError(msg("error.retrofit.no_project", code="HP-R-9"))
    assert e.reason == msg("error.retrofit.no_project", code="HP-R-9")
    assert str(e) == "no project HP-R-9"
    assert NotFoundError("no such thing").reason is None
    limited = RateLimited(msg("error.auth.rate_limited", wait=30), 30)
    assert limited.retry_after == 30
    assert str(limited) == "too many failed sign-ins; try again in 30 s"
    assert ConflictError("x", reason=msg("error.generic.conflict")).reason is not None


def test_a_wrong_password_is_answered_in_the_requests_language(client: TestClient) -> None:
    body = {"username": "admin", "password": "not the password"}
    zh = client.post("/api/v1/auth/login", json=body, headers=ZH)
    en = client.post("/api/v1/auth/login", json=body, headers=EN)
    assert zh.status_code == en.status_code == 401
    assert zh.json()["detail"] == "用户名或密码错误"
    assert en.json()["detail"] == "wrong username or password"
    assert zh.json()["code"] == en.json()["code"] == "error.auth.wrong_credentials"
    assert zh.json()["detail_en"] == en.json()["detail"]
    assert en.json()["detail_zh"] == zh.json()["detail"]


def test_not_signed_in_is_one_language_per_answer(client: TestClient) -> None:
    zh = client.get("/api/v1/dashboard/overview", headers=ZH)
    en = client.get("/api/v1/dashboard/overview?lang=en")
    assert zh.status_code == en.status_code == 401
    assert not english_words(zh.json()["detail"]), zh.json()
    assert not CJK.search(en.json()["detail"]), en.json()


@pytest.mark.parametrize("path", ["/api/v1/retrofits/NOPE-1", "/api/v1/districts/nowhere9",
                                  "/api/v1/streets/999999", "/api/v1/targets/999999"])
def test_a_missing_object_is_all_chinese_or_all_english(signed_in: TestClient,
                                                        path: str) -> None:
    zh = signed_in.get(path, headers=ZH)
    en = signed_in.get(path, headers=EN)
    assert zh.status_code == en.status_code == 404, (zh.text, en.text)
    assert CJK.search(zh.json()["detail"]), zh.json()
    assert not english_words(zh.json()["detail"]), zh.json()
    assert not CJK.search(en.json()["detail"]), en.json()
    assert en.json()["detail"].startswith("no ")


def test_an_error_without_a_reason_answers_chinese_with_the_general_words() -> None:
    from carbonpeak.api.app import error_response
    r = error_response(_request(accept="zh"), NotFoundError("no widget 7"), 404)
    assert b'"detail":"' + render(msg("error.generic.not_found"), "zh").encode() in r.body
    assert b'"detail_en":"no widget 7"' in r.body


@pytest.mark.parametrize("exc", [NotFoundError("no widget 7"), FactorError("no factor for x"),
                                 UnitError("bad unit furlong"), CarbonPeakError("odd thing")])
def test_a_figure_not_computed_for_an_error_without_a_reason_reads_in_one_language(
        exc: CarbonPeakError) -> None:
    """The note "未能计算（…）" of an error raised with only an English text is stored as codes
    and names the error's kind in the reader's language: no English inside the Chinese."""
    from carbonpeak.i18n import Message
    from carbonpeak.services.figures.compute import why
    stored = Message.from_dict(why(exc)["note"])
    zh, en = render(stored, "zh"), render(stored, "en")
    assert zh.startswith("未能计算（")
    assert CJK.search(zh[5:])
    assert english_words(zh) == set(), zh
    assert not CJK.search(en), en
    assert str(exc) not in zh


def test_an_error_with_a_reason_keeps_it_in_the_note() -> None:
    from carbonpeak.services.figures.compute import why
    reason = msg("error.no.street", id="x1")
    assert why(NotFoundError(reason))["note"] == reason.to_dict()
