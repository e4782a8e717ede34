"""Request bodies bounded before they are read: an ASGI middleware (``BodyLimit``).

A body whose ``Content-Length`` is over its route's limit is refused (413) before any of it is
read and before the app runs; a streamed body (no length, or a client sending more than it
announced) is refused as soon as the bytes counted pass the limit. The 413 closes the
connection, so the server does not go on reading (and discarding) the rest.

The limit of a request is the one of the longest matching path prefix, else the default:
sign-in takes at most a few KiB, the feeds a configured upload limit, every other route the
configured default (``create_app`` sets them from :class:`carbonpeak.config.Settings`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbonpeak.api.responses import json_bytes
from carbonpeak.i18n import msg, render

__all__ = ["LIMIT_SCOPE_KEY", "BodyLimit", "BodyTooLarge", "too_large_body"]

#: where the request's limit is kept in the ASGI scope (for the 413 answer's message)
LIMIT_SCOPE_KEY = "carbonpeak.body_limit"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes its limit: an ``HTTPException``,
    so FastAPI's body reading lets it through to the app's 413 handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def too_large_body(limit: int) -> dict[str, object]:
    """The 413 answer's JSON: the message in English and Chinese, and its code."""
    m = msg("api.body.too_large", limit=limit)
    return {"detail": render(m, "en"), "detail_zh": render(m, "zh"), "code": m.code}


class BodyLimit:
    """Bound every request body (see the module's docstring).

    ``limits`` are ``(path prefix, bytes)``; ``default`` applies elsewhere."""

    def __init__(self, app: ASGIApp, *, default: int,
                 limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.limits = sorted(limits, key=lambda p: len(p[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        """The body limit of a request for ``path``."""
        for prefix, limit in self.limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        scope[LIMIT_SCOPE_KEY] = limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if received > limit:  # the app's 413: the rest of the body is not read
                    message = {**message, "headers": [
                        *message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json_bytes(too_large_body(limit))
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
