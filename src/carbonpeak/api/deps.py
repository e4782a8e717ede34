"""Request dependencies: the workspace and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from carbonpeak.errors import AccessDenied
from carbonpeak.pipelines.users import Principal, authenticate_token
from carbonpeak.pipelines.workspace import Workspace

__all__ = ["CurrentPrincipal", "get_principal", "get_workspace"]

_bearer = HTTPBearer(auto_error=False, description="A token from `carbonpeak users token`")


def get_workspace(request: Request) -> Workspace:
    """The workspace the app was created with."""
    ws: Workspace = request.app.state.workspace
    return ws


async def get_principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The user behind the bearer token; 401 without a valid one."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer cpk_…)",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        return await run_in_threadpool(authenticate_token, get_workspace(request),
                                       creds.credentials)
    except AccessDenied as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
