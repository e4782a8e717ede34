"""Request dependencies: the workspace and the authenticated principal.

A request is authenticated by a bearer token (machine clients) or by the browser's session
cookie. Requests that change something and come with the cookie must also carry the
session's CSRF token in ``X-CSRF-Token``; a bearer token needs none (a browser never sends
one on its own).
"""

from __future__ import annotations

import dataclasses
import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from carbonpeak.api.responses import Refusal
from carbonpeak.errors import AccessDenied, AuthenticationError
from carbonpeak.i18n import Lang, Message, msg
from carbonpeak.services.access.auth import session_principal
from carbonpeak.services.access.users import authenticate_token
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "CurrentPrincipal", "CurrentWorkspace", "RequestLang",
           "acting_as", "client_address", "get_principal", "get_workspace", "request_lang",
           "requires"]

SESSION_COOKIE = "cp_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="A token from `carbonpeak users token`")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                       description="The browser session from POST /api/v1/auth/login; "
                       "changes also need the X-CSRF-Token header")


def get_workspace(request: Request) -> Workspace:
    """The workspace the app was created with."""
    ws: Workspace = request.app.state.workspace
    return ws


def client_address(request: Request) -> str:
    """The client's address: the peer's, or, when the peer is one of the configured proxies
    (``CARBONPEAK_TRUSTED_PROXIES``; none by default), the last address of
    ``X-Forwarded-For`` that is not a proxy's. Any other peer's ``X-Forwarded-For`` is
    ignored, loopback's too: a client cannot choose the address its sign-ins count under."""
    peer = request.client.host if request.client else ""
    settings = get_workspace(request).settings
    if not settings.is_trusted_proxy(peer):
        return peer
    hops = [h.strip() for value in request.headers.getlist("x-forwarded-for")
            for h in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not settings.is_trusted_proxy(hop):
            return hop[:64]
    return peer


def _unauthorized(reason: Message) -> HTTPException:
    return Refusal(401, reason, headers={"WWW-Authenticate": "Bearer"})


def get_principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """The user behind the bearer token or the session cookie; 401 without a valid one,
    403 for a cookie-authenticated change without the right CSRF token.

    A plain function: it reads the registry, so FastAPI runs it in its threadpool."""
    ws = get_workspace(request)
    if creds is not None:
        if creds.scheme.lower() != "bearer":
            raise _unauthorized(msg("error.auth.bearer_required"))
        try:
            principal = authenticate_token(ws, creds.credentials)
        except AccessDenied as exc:
            raise _unauthorized(exc.reason or msg("error.auth.invalid_token")) from None
        request.state.principal = principal  # for the audit of a refusal (403)
        return principal
    if session:
        try:
            principal, csrf = session_principal(ws, session)
        except AuthenticationError as exc:
            raise _unauthorized(exc.reason or msg("error.auth.not_signed_in")) from None
        request.state.principal = principal  # for the audit of a refusal (403)
        if request.method not in SAFE_METHODS and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, "").encode(), csrf.encode()):
            raise Refusal(403, msg("error.auth.csrf", header=CSRF_HEADER))
        return principal
    raise _unauthorized(msg("error.auth.sign_in"))


def request_lang(request: Request | None) -> Lang:
    """The language a request asks its answers in: ``?lang=zh|en``, else the first of ``zh``
    and ``en`` in ``Accept-Language`` (by its q-values), else English (the API's default;
    the dashboard sends its own language)."""
    if request is None:
        return "en"
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return "zh" if asked == "zh" else "en"
    ranked: list[tuple[float, int, Lang]] = []
    for i, part in enumerate(request.headers.get("accept-language", "")[:200].split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, "zh" if primary == "zh" else "en"))
    return min(ranked)[2] if ranked else "en"


def _request_lang(request: Request) -> Lang:
    return request_lang(request)


#: the language a request asks its answers in (:func:`request_lang`)
RequestLang = Annotated[Lang, Depends(_request_lang)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


CurrentWorkspace = Annotated[Workspace, Depends(get_workspace)]


def requires(*roles: str, what: str) -> Any:
    """The one role check: a dependency giving the principal when its role is one of
    ``roles``, refusing (403) otherwise. Use it as
    ``principal: Annotated[Principal, requires("district_admin", what="set budgets")]``."""
    if not roles:
        msg = "requires() needs at least one role"
        raise ValueError(msg)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            msg = f"role {principal.role} may not {what} (needs {' or '.join(roles)})"
            raise AccessDenied(msg)
        return principal

    check.__name__ = f"requires_{'_or_'.join(roles)}"
    return Depends(check)


def acting_as(ws: Workspace, p: Principal) -> Workspace:
    """The workspace acting as the principal (its name goes to the audit log)."""
    return dataclasses.replace(ws, actor=p.actor)
