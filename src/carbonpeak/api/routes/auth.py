"""Sign-in for the browser: session cookie + CSRF token; who am I; sign-out; own password.

中文：登录、当前用户、退出与修改口令。
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, StringConstraints

from carbonpeak.api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    CurrentWorkspace,
    _bearer,
    _cookie,
    acting_as,
    client_address,
    get_principal,
)
from carbonpeak.api.responses import JSONRoute
from carbonpeak.api.schemas.auth import (
    LoginPublic,
    MePublic,
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

__all__ = ["SIGN_IN_MAX_BYTES", "router", "secure_cookie", "user_info"]

#: the largest body of a sign-in route (a username and two passwords fit with room to spare)
SIGN_IN_MAX_BYTES = 4096

router = APIRouter(prefix="/api/v1/auth", tags=["sign-in"], route_class=JSONRoute)

Username = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256,
                                            pattern=r"^[^\x00]*$")]


class LoginIn(BaseModel):
    """Username and password."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class PasswordIn(BaseModel):
    """The current password and the new one (12-256 characters, not a common one)."""

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
    return client_address(request)


def secure_cookie(request: Request, ws: Workspace) -> bool:
    """Whether the session cookie is ``Secure``: ``CARBONPEAK_COOKIE_SECURE`` when set, else
    always except for a request to a loopback address (``localhost``, ``127.0.0.1``,
    ``::1``) over plain HTTP, where a browser would not send it back."""
    if ws.settings.cookie_secure is not None:
        return ws.settings.cookie_secure
    if request.url.scheme == "https":
        return True
    host = (request.url.hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


@router.post("/login", response_model=LoginPublic, responses={
    401: {"description": "wrong username or password"},
    429: {"description": "too many failed attempts; see Retry-After"}})
def login(request: Request, ws: CurrentWorkspace, response: Response,
          body: LoginIn) -> dict[str, Any]:
    """登录 — check the password, open a session: sets the ``cp_session`` cookie and answers
    the CSRF token the page must send back in ``X-CSRF-Token`` on every change."""
    signed = sign_in(ws, body.username, body.password, client=_client(request))
    max_age = int(ws.settings.session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, signed.session_token, max_age=max_age, path="/",
                        httponly=True, samesite="strict", secure=secure_cookie(request, ws))
    info = user_info(ws, signed.principal)
    return {"user": info, "csrf_token": signed.csrf_token,
            "expires_at": signed.expires_at.isoformat() + "Z"}


@router.get("/me", response_model=MePublic)
def me(request: Request, ws: CurrentWorkspace,
       creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
       session: Annotated[str | None, Depends(_cookie)]) -> dict[str, Any]:
    """当前用户 — the signed-in user and, for a browser session, its CSRF token;
    ``{"user": null, "csrf_token": null}`` when not signed in (so the sign-in page can ask
    without an error)."""
    try:
        principal = get_principal(request, creds, session)
    except HTTPException as exc:
        if exc.status_code == 401:
            return {"user": None, "csrf_token": None}
        raise
    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and "authorization" not in request.headers:
        try:
            csrf = session_principal(ws, cookie)[1]
        except AuthenticationError:
            csrf = None
    return {"user": user_info(ws, principal), "csrf_token": csrf}


@router.post("/logout", status_code=204, response_class=Response,
             responses={401: {"description": "not signed in"},
                        403: {"description": "CSRF check"}})
def logout(request: Request, ws: CurrentWorkspace, response: Response,
           principal: CurrentPrincipal) -> None:
    """退出 — end the browser session and clear its cookie."""
    del principal  # signed in, with the CSRF token
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_session(ws, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=secure_cookie(request, ws))


@router.post("/password", status_code=204, response_class=Response, responses={
    401: {"description": "not signed in, or the current password is wrong"},
    422: {"description": "the new password does not meet the policy"}})
def change_password(request: Request, ws: CurrentWorkspace, principal: CurrentPrincipal,
                    body: PasswordIn) -> None:
    """修改口令 — change one's own password (all of one's sessions end; sign in again)."""
    verify_password(ws, principal.username, body.current_password, client=_client(request))
    set_password(acting_as(ws, principal), principal.username, body.new_password)
