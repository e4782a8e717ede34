"""Sign-in for the browser: session cookie + CSRF token; who am I; sign-out; own password.

中文：登录、当前用户、退出与修改口令。
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, StringConstraints

from carbonpeak.api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    _bearer,
    _cookie,
    get_principal,
    get_workspace,
)
from carbonpeak.errors import AuthenticationError
from carbonpeak.services.access.auth import (
    end_session,
    session_principal,
    set_password,
    sign_in,
    verify_password,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import District, Street, User
from carbonpeak.storage.workspace import Workspace

__all__ = ["router", "user_info"]

router = APIRouter(prefix="/api/v1/auth", tags=["sign-in"])

Username = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256,
                                            pattern=r"^[^\x00]*$")]


class LoginIn(BaseModel):
    """Username and password."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class PasswordIn(BaseModel):
    """The current password and the new one (10-256 characters)."""

    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


def user_info(ws: Workspace, p: Principal) -> dict[str, Any]:
    """The signed-in user as the page shows it: role, district, street, entities."""
    with ws.registry.session() as s:
        d = s.get(District, p.district_id)
        st = s.get(Street, p.street_id) if p.street_id is not None else None
        u = s.get(User, p.user_id)
        return {
            "username": p.username, "display_name": u.display_name if u else "",
            "role": p.role, "district": p.district_id,
            "district_name_zh": d.name_zh if d else "", "district_name_en": d.name_en if d else "",
            "street_id": p.street_id, "street_code": st.code if st else None,
            "street_name_zh": st.name_zh if st else None,
            "street_name_en": st.name_en if st else None,
            "entities": sorted(p.entity_ids),
        }


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/login", responses={
    401: {"description": "wrong username or password"},
    429: {"description": "too many failed attempts; see Retry-After"}})
async def login(request: Request, response: Response, body: LoginIn) -> dict[str, Any]:
    """登录 — check the password, open a session: sets the ``cp_session`` cookie and answers
    the CSRF token the page must send back in ``X-CSRF-Token`` on every change."""
    ws = get_workspace(request)
    signed = await run_in_threadpool(sign_in, ws, body.username, body.password,
                                     client=_client(request))
    max_age = int(ws.settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, signed.session_token, max_age=max_age, path="/",
                        httponly=True, samesite="strict", secure=ws.settings.cookie_secure)
    info = await run_in_threadpool(user_info, ws, signed.principal)
    return {"user": info, "csrf_token": signed.csrf_token,
            "expires_at": signed.expires_at.isoformat() + "Z"}


@router.get("/me")
async def me(request: Request) -> dict[str, Any]:
    """当前用户 — the signed-in user and, for a browser session, its CSRF token;
    ``{"user": null, "csrf_token": null}`` when not signed in (so the sign-in page can ask
    without an error)."""
    ws = get_workspace(request)
    try:
        principal = await get_principal(request, await _bearer(request), await _cookie(request))
    except HTTPException as exc:
        if exc.status_code == 401:
            return {"user": None, "csrf_token": None}
        raise
    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and "authorization" not in request.headers:
        try:
            csrf = (await run_in_threadpool(session_principal, ws, cookie))[1]
        except AuthenticationError:
            csrf = None
    return {"user": await run_in_threadpool(user_info, ws, principal), "csrf_token": csrf}


@router.post("/logout", status_code=204, responses={401: {"description": "not signed in"},
                                                    403: {"description": "CSRF check"}})
async def logout(request: Request, response: Response, principal: CurrentPrincipal) -> None:
    """退出 — end the browser session and clear its cookie."""
    del principal  # signed in, with the CSRF token
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(end_session, get_workspace(request), cookie)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=get_workspace(request).settings.cookie_secure)


@router.post("/password", status_code=204, responses={
    401: {"description": "not signed in, or the current password is wrong"},
    422: {"description": "the new password does not meet the policy"}})
async def change_password(request: Request, principal: CurrentPrincipal,
                          body: PasswordIn) -> None:
    """修改口令 — change one's own password (all of one's sessions end; sign in again)."""
    ws = get_workspace(request)

    def change() -> None:
        verify_password(ws, principal.username, body.current_password,
                        client=_client(request))
        set_password(dataclasses.replace(ws, actor=principal.actor), principal.username,
                     body.new_password)

    await run_in_threadpool(change)
