"""The FastAPI application: ``create_app(settings)``; run with ``carbonpeak serve``.

Errors are JSON with a ``detail`` message (and ``errors``, one per bad row or cell, for refused
input); a request never gets a 500 for anything it sent.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from carbonpeak import __version__
from carbonpeak.api.deps import client_address, request_lang
from carbonpeak.api.limits import LIMIT_SCOPE_KEY, BodyLimit, too_large_body
from carbonpeak.api.responses import JSONBody, Refusal
from carbonpeak.api.routes.audits import router as audits_router
from carbonpeak.api.routes.auth import SIGN_IN_MAX_BYTES
from carbonpeak.api.routes.auth import router as auth_router
from carbonpeak.api.routes.buildings import router as buildings_router
from carbonpeak.api.routes.city.rollups import router as city_router
from carbonpeak.api.routes.commissioning import router as commissioning_router
from carbonpeak.api.routes.dashboard import router as dashboard_router
from carbonpeak.api.routes.data import router as data_router
from carbonpeak.api.routes.energy.pv import router as pv_router
from carbonpeak.api.routes.energy.vpp import router as vpp_router
from carbonpeak.api.routes.ingest import router as ingest_router
from carbonpeak.api.routes.metrics import router as metrics_router
from carbonpeak.api.routes.projects import router as projects_router
from carbonpeak.api.routes.quality import router as quality_router
from carbonpeak.api.routes.reference import MAX_BODY_BYTES as VERIFY_MAX_BYTES
from carbonpeak.api.routes.reference import router as reference_router
from carbonpeak.api.routes.reports import router as reports_router
from carbonpeak.api.routes.retrofits import router as retrofits_router
from carbonpeak.api.routes.supervision import router as supervision_router
from carbonpeak.api.routes.targets import router as targets_router
from carbonpeak.api.routes.uploads import router as uploads_router
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
    reason_of,
)
from carbonpeak.i18n import Message, msg, render
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.web import mount_dashboard

__all__ = ["REFUSALS_SHOWN", "RefusalAudit", "create_app", "error_response", "message_response",
           "request_lang"]

logger = logging.getLogger(__name__)

#: a 422 lists at most this many problems of a refused request, and never its input
REFUSALS_SHOWN = 20
_TEXT_MAX = 200
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def _short(v: Any) -> Any:
    """A value from a refused request as an answer may show it: short, and encodable (a lone
    surrogate becomes U+FFFD, a nested structure its type's name)."""
    if v is None or isinstance(v, bool | int | float):
        return v
    text = v if isinstance(v, str) else type(v).__name__
    if len(text) > _TEXT_MAX:
        text = text[:_TEXT_MAX] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def _errors(exc: InputValidationError) -> list[dict[str, Any]]:
    return [{"sheet": getattr(e, "sheet", None), "row": e.row, "column": e.column,
             "value": _short(e.value), "message": e.message, "code": e.code,
             "message_zh": e.text("zh")} for e in exc.errors[:1000]]


def _refusal(error: Any) -> dict[str, Any]:
    """One problem of a 422 without the refused input (it may be megabytes, nested past what
    JSON can be written with, or not encodable)."""
    e = error if isinstance(error, dict) else {"msg": str(error)}
    ctx = e.get("ctx")
    out: dict[str, Any] = {"type": _short(e.get("type", "")),
                           "loc": [_short(x) for x in list(e.get("loc", ()))[:8]],
                           "msg": _short(e.get("msg", ""))}
    if isinstance(ctx, dict):
        out["ctx"] = {str(k)[:40]: _short(v) for k, v in list(ctx.items())[:8]}
    return out


def message_response(message: Message, status: int,
                     headers: dict[str, str] | None = None, *,
                     request: Request | None = None) -> JSONBody:
    """An error answer from a catalogue message: ``detail`` in the request's language
    (:func:`request_lang`), ``detail_zh`` and ``detail_en`` in both, and its ``code``."""
    zh, en = render(message, "zh"), render(message, "en")
    return JSONBody({"detail": zh if request_lang(request) == "zh" else en, "detail_zh": zh,
                     "detail_en": en, "code": message.code}, status, headers=headers)


def error_response(request: Request, exc: CarbonPeakError, status: int,
                   headers: dict[str, str] | None = None) -> JSONBody:
    """The answer to a refused request: the error's catalogue ``reason`` in the request's
    language (:func:`message_response`). An error raised with only an English text keeps
    it in ``detail_en`` (and ``detail`` for English); the Chinese answer is then the general
    words for its kind, never a translation of the English."""
    if exc.reason is not None:
        return message_response(exc.reason, status, headers, request=request)
    en = str(exc.args[0]) if exc.args else str(exc)
    zh = render(reason_of(exc), "zh")
    return JSONBody({"detail": zh if request_lang(request) == "zh" else en, "detail_zh": zh,
                     "detail_en": en, "code": None}, status, headers=headers)


class RefusalAudit:
    """Audit-logs refused (403) requests, rate-limited: at most one entry per actor and route
    every ``per_key_s`` seconds and ``per_minute`` in all (a scan of forbidden URLs must not
    become a flood of audit rows). ``clock`` is for the tests."""

    def __init__(self, per_key_s: float = 60.0, per_minute: int = 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_key_s = per_key_s
        self.per_minute = per_minute
        self.clock = clock
        self.last: dict[tuple[str, str], float] = {}
        self.minute = clock()
        self.count = 0
        self.lock = threading.Lock()

    def admit(self, actor: str, route: str) -> bool:
        """Whether a refusal of ``actor`` on ``route`` is audit-logged now."""
        with self.lock:
            now = self.clock()
            if now - self.minute >= 60.0:
                self.minute, self.count = now, 0
                self.last = {k: t for k, t in self.last.items() if now - t < self.per_key_s}
            last = self.last.get((actor, route))
            if self.count >= self.per_minute or (last is not None
                                                 and now - last < self.per_key_s):
                return False
            self.last[(actor, route)] = now
            self.count += 1
            return True

    def record(self, ws: Workspace, request: Request, reason: str, *, status: int = 403,
               action: str = "request_refused") -> None:
        """Audit-log the refusal of ``request`` (``status``: 403, or 429 for a rate-limited
        sign-in, ``action`` ``sign_in_rate_limited``) if :meth:`admit` lets it (a registry
        write: call it in the threadpool)."""
        principal: Principal | None = getattr(request.state, "principal", None)
        actor = principal.actor if principal is not None else \
            f"client:{client_address(request) or 'unknown'}"
        route = getattr(request.scope.get("route"), "path", None) or request.url.path[:200]
        if not self.admit(actor, f"{request.method} {route}"):
            return
        with ws.registry.session() as s:
            audit(s, actor, action, "request", f"{request.method} {route}",
                  {"status": status, "reason": reason[:300], "path": request.url.path[:300]},
                  district=principal.district_id if principal is not None else None)


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` or what caused it is a full disk (or quota)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _DISK_FULL:
            return True
        if isinstance(e, sqlite3.OperationalError) and "disk is full" in str(e):
            return True
        e = e.__cause__ or e.__context__
    return False


def create_app(settings: Settings | None = None, *, workspace: Workspace | None = None) -> FastAPI:
    """The API over one carbonpeak home (``settings``, or an open ``workspace``)."""
    ws = workspace or Workspace.open(settings or Settings(), actor="api")
    st = ws.settings
    app = FastAPI(
        title="carbonpeak API",
        version=__version__,
        summary="District carbon-peak platform (碳达峰平台): data in, accounts, targets.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by the web layer from npm's Swagger UI (no CDN), same CSP
        redoc_url=None,
        default_response_class=JSONBody,
    )
    app.state.workspace = ws
    # every body is bounded before it is read (Content-Length) or as it streams in (413):
    # sign-in at a few KiB, the feeds at the upload limit, the rest at the default
    upload = st.max_upload_mb * 1024 * 1024
    app.add_middleware(BodyLimit, default=st.max_body_kb * 1024, limits=[
        ("/api/v1/auth", SIGN_IN_MAX_BYTES), ("/api/v1/readings", upload),
        ("/api/v1/ledger", upload), ("/api/v1/uploads", upload),
        ("/api/v1/supervision/rounds", upload),
        ("/api/v1/reference-verifications", VERIFY_MAX_BYTES)])

    @app.exception_handler(RequestValidationError)
    async def _refused(_: Request, exc: RequestValidationError) -> JSONBody:
        # FastAPI's own answer echoes the refused input: megabytes for a large body, and a
        # 500 when it cannot be written (nesting deeper than orjson writes, a lone surrogate)
        problems = exc.errors()
        shown = [_refusal(e) for e in problems[:REFUSALS_SHOWN]]
        text = msg("api.body.refused", count=len(problems), shown=len(shown))
        return JSONBody({"detail": shown, "summary": render(text, "en"),
                         "summary_zh": render(text, "zh"), "count": len(problems)}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 403:  # the CSRF check
            await run_in_threadpool(refusals.record, ws, request, str(exc.detail))
        if isinstance(exc, Refusal):
            return message_response(exc.message, exc.status_code, dict(exc.headers or {}),
                                    request=request)
        if exc.status_code == 413:
            limit = int(request.scope.get(LIMIT_SCOPE_KEY, st.max_body_kb * 1024))
            return JSONBody(too_large_body(limit), 413)
        return await http_exception_handler(request, exc)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONBody:
        if _disk_full(exc):
            logger.error("disk full: %s", exc)
            return message_response(msg("api.disk.full"), 507, request=request)
        raise exc

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> JSONBody:
        # the last resort (Starlette logs the exception after this answer): a full disk
        # behind a database or Parquet error is still a 507
        if _disk_full(exc):
            return message_response(msg("api.disk.full"), 507, request=request)
        return message_response(msg("error.generic.internal"), 500, request=request)

    @app.exception_handler(InputValidationError)
    async def _invalid(request: Request, exc: InputValidationError) -> JSONBody:
        zh = render(msg("error.generic.invalid_input", count=len(exc.errors)), "zh")
        en = str(exc).splitlines()[0]
        return JSONBody({"detail": zh if request_lang(request) == "zh" else en,
                         "detail_zh": zh, "detail_en": en, "errors": _errors(exc)}, 422)

    refusals = RefusalAudit()
    app.state.refusal_audit = refusals

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> JSONBody:
        await run_in_threadpool(refusals.record, ws, request, str(exc))
        return error_response(request, exc, 403)

    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(request: Request, exc: AuthenticationError) -> JSONBody:
        return error_response(request, exc, 401)

    @app.exception_handler(RateLimited)
    async def _limited(request: Request, exc: RateLimited) -> JSONBody:
        # like the other refusals: audit-logged, at most one entry per client and route a
        # minute (a guessing run leaves a trace, not a flood)
        await run_in_threadpool(refusals.record, ws, request, str(exc), status=429,
                                action="sign_in_rate_limited")
        return error_response(request, exc, 429, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> JSONBody:
        return error_response(request, exc, 404)

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONBody:
        return error_response(request, exc, 409)

    @app.exception_handler(CarbonPeakError)
    async def _other(request: Request, exc: CarbonPeakError) -> JSONBody:
        logger.warning("request refused: %s", exc)
        return error_response(request, exc, 400)

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
    app.include_router(city_router)
    app.include_router(buildings_router)
    app.include_router(retrofits_router)
    app.include_router(pv_router)
    app.include_router(audits_router)
    app.include_router(commissioning_router)
    app.include_router(reports_router)
    app.include_router(uploads_router)
    app.include_router(reference_router)
    app.include_router(supervision_router)
    app.include_router(vpp_router)
    app.include_router(projects_router)
    mount_dashboard(app, ws.settings)
    return app
