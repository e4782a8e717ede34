"""Serving the app with uvicorn (``carbonpeak serve`` and ``carbonpeak demo``)."""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["NoDelayH11Protocol"]


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that turns Nagle's algorithm off on each accepted connection.

    With ``--workers`` > 1 uvicorn binds the listening socket itself with ``proto`` 0, and
    asyncio sets ``TCP_NODELAY`` only on sockets whose ``proto`` is ``IPPROTO_TCP``. Without it
    a response written in two pieces waits for the client's delayed ACK (~40 ms on Linux) on
    keep-alive connections (benchmarks/bench_api.py measured 48 ms against 3.6 ms per request).
    """

    def connection_made(self, transport: Any) -> None:  # noqa: D102
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
