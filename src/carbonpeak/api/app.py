"""The FastAPI application: ``create_app(settings)``; run with ``carbonpeak serve``.

Errors are JSON with a ``detail`` message (and ``errors``, one per bad row or cell, for refused
input); a request never gets a 500 for anything it sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError

from carbonpeak import __version__
from carbonpeak.api.responses import JSONBody
from carbonpeak.api.routes.audits import router as audits_router
from carbonpeak.api.routes.auth import router as auth_router
from carbonpeak.api.routes.buildings import router as buildings_router
from carbonpeak.api.routes.commissioning import router as commissioning_router
from carbonpeak.api.routes.dashboard import router as dashboard_router
from carbonpeak.api.routes.data import router as data_router
from carbonpeak.api.routes.ingest import router as ingest_router
from carbonpeak.api.routes.metrics import router as metrics_router
from carbonpeak.api.routes.quality import router as quality_router
from carbonpeak.api.routes.reports import router as reports_router
from carbonpeak.api.routes.retrofits import router as retrofits_router
from carbonpeak.api.routes.targets import router as targets_router
from carbonpeak.api.schemas.auth import HealthPublic
from carbonpeak.config import Settings
from carbonpeak.errors import (
    AccessDenied,
    AuthenticationError,
    CarbonPeakError,
    ConflictError,
    InputValidationError,
    NotFoundError,
    RateLimited,
)
from carbonpeak.storage.workspace import Workspace
from carbonpeak.web import mount_dashboard

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def _errors(exc: InputValidationError) -> list[dict[str, Any]]:
    return [{"sheet": getattr(e, "sheet", None), "row": e.row, "column": e.column,
             "value": e.value, "message": e.message, "code": e.code,
             "message_zh": e.text("zh")} for e in exc.errors[:1000]]


def create_app(settings: Settings | None = None, *, workspace: Workspace | None = None) -> FastAPI:
    """The API over one carbonpeak home (``settings``, or an open ``workspace``)."""
    ws = workspace or Workspace.open(settings or Settings(), actor="api")
    app = FastAPI(
        title="carbonpeak API",
        version=__version__,
        summary="District carbon-peak platform (碳达峰平台): data in, accounts, targets.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        default_response_class=JSONBody,
    )
    app.state.workspace = ws

    @app.exception_handler(RequestValidationError)
    async def _refused(_: Request, exc: RequestValidationError) -> JSONBody:
        # the default answer echoes the refused input; a NaN or Infinity in a JSON body
        # (Python's parser accepts them) is echoed as null (JSONBody: json_safe)
        return JSONBody({"detail": jsonable_encoder(exc.errors())}, 422)

    @app.exception_handler(InputValidationError)
    async def _invalid(_: Request, exc: InputValidationError) -> JSONBody:
        return JSONBody({"detail": str(exc).splitlines()[0], "errors": _errors(exc)}, 422)

    @app.exception_handler(AccessDenied)
    async def _denied(_: Request, exc: AccessDenied) -> JSONBody:
        return JSONBody({"detail": str(exc)}, 403)

    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(_: Request, exc: AuthenticationError) -> JSONBody:
        return JSONBody({"detail": str(exc)}, 401)

    @app.exception_handler(RateLimited)
    async def _limited(_: Request, exc: RateLimited) -> JSONBody:
        return JSONBody({"detail": str(exc)}, 429,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError) -> JSONBody:
        return JSONBody({"detail": str(exc.args[0]) if exc.args else "not found"}, 404)

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONBody:
        return JSONBody({"detail": str(exc)}, 409)

    @app.exception_handler(CarbonPeakError)
    async def _other(_: Request, exc: CarbonPeakError) -> JSONBody:
        logger.warning("request refused: %s", exc)
        return JSONBody({"detail": str(exc)}, 400)

    @app.get("/api/v1/health", tags=["meta"], response_model=HealthPublic,
             response_class=JSONBody)
    def health() -> dict[str, str]:
        """Liveness: the registry answers."""
        ws.registry.check_current()
        return {"status": "ok", "version": __version__}

    app.include_router(auth_router)
    app.include_router(ingest_router)
    app.include_router(quality_router)
    app.include_router(targets_router)
    app.include_router(data_router)
    app.include_router(dashboard_router)
    app.include_router(metrics_router)
    app.include_router(buildings_router)
    app.include_router(retrofits_router)
    app.include_router(audits_router)
    app.include_router(commissioning_router)
    app.include_router(reports_router)
    mount_dashboard(app, ws.settings)
    return app
