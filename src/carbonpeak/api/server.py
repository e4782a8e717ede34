"""Serving the app with uvicorn (``carbonpeak serve`` and ``carbonpeak demo``).

uvicorn alone never times out a request that is being sent: a client that sends half a head,
or a body one byte a minute, holds its connection (and a file descriptor) for ever, and enough
of them stop every other client. :class:`GuardedH11Protocol` adds

* a **head deadline**: a request's head must be complete within
  ``CARBONPEAK_HTTP_HEADER_TIMEOUT_S`` of the connection (or of the first byte of the next
  request on a keep-alive connection);
* a **body pause limit**: while a body comes in, a pause longer than
  ``CARBONPEAK_HTTP_BODY_TIMEOUT_S`` closes the connection (not while the app itself has
  paused the reading);
* a **limit of open connections per client address** (``CARBONPEAK_HTTP_MAX_CONNECTIONS_PER
  _CLIENT``; the configured proxies are exempt, every connection of an office behind one comes
  from it): one more is closed at once. Each worker process counts its own connections, so
  with ``serve --workers N`` each worker takes ``ceil(limit ÷ N)`` of them and one client
  holds at most about ``limit`` connections over all workers (before, N × ``limit``).

Idle keep-alive connections are closed by uvicorn after ``CARBONPEAK_HTTP_KEEPALIVE_S``, and
more than ``CARBONPEAK_HTTP_MAX_CONNECTIONS`` connections and requests are answered 503
(:func:`uvicorn_options`). The server's log is bounded by :class:`BoundedLog`: a flood of
refused connections or requests (or of asyncio's failed ``accept()`` calls once the file
descriptors are used up) writes a burst, then a few lines a second and a count of the lines
left out.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from carbonpeak.config import Settings

__all__ = ["BoundedLog", "ConnectionLimits", "GuardedH11Protocol", "NoDelayH11Protocol",
           "uvicorn_options"]

logger = logging.getLogger("carbonpeak.server")


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


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits :class:`GuardedH11Protocol` enforces on each connection."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_per_client: int = 32
    is_exempt: Callable[[str], bool] = lambda _host: False

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        """The limits configured in ``settings`` (``CARBONPEAK_HTTP_…``) for one of
        ``http_workers`` worker processes: the per-client limit is shared out among them
        (each counts only its own connections)."""
        per_worker = -(-settings.http_max_connections_per_client // settings.http_workers)
        return cls(settings.http_header_timeout_s, settings.http_body_timeout_s,
                   per_worker, settings.is_trusted_proxy)


_settings_limits: ConnectionLimits | None = None
#: open connections per client address in this process
_open: dict[str, int] = {}


class GuardedH11Protocol(NoDelayH11Protocol):
    """The h11 protocol with a head deadline, a body pause limit and a per-client connection
    limit (see the module's docstring). ``limits`` None: from the environment
    (:class:`Settings`), read once per process, so that worker processes started by uvicorn
    configure themselves."""

    limits: ClassVar[ConnectionLimits | None] = None

    def _limits(self) -> ConnectionLimits:
        global _settings_limits  # noqa: PLW0603 - read once per process
        if self.limits is not None:
            return self.limits
        if _settings_limits is None:
            _settings_limits = ConnectionLimits.of(Settings())
        return _settings_limits

    def connection_made(self, transport: Any) -> None:  # noqa: D102
        self._deadline: asyncio.TimerHandle | None = None
        self._counted: str | None = None
        super().connection_made(transport)
        lim = self._limits()
        host = self.client[0] if self.client else ""
        if not lim.is_exempt(host):
            if _open.get(host, 0) >= lim.max_per_client:
                logger.warning("%s: more than %d open connections; closed", host,
                               lim.max_per_client)
                self.transport.close()
                return
            _open[host] = _open.get(host, 0) + 1
            self._counted = host
        self._arm(lim.header_timeout_s, "head")

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        self._disarm()
        if self._counted is not None:
            left = _open.get(self._counted, 1) - 1
            if left > 0:
                _open[self._counted] = left
            else:
                _open.pop(self._counted, None)
            self._counted = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:  # noqa: D102
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:  # a pause limit: every piece of the body restarts it
            self._arm(self._limits().body_timeout_s, "body")
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            if self._deadline is None:  # a head under way: its deadline runs from its start
                self._arm(self._limits().header_timeout_s, "head")
        else:
            self._disarm()

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._timed_out, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if what == "body" and self.flow.read_paused:  # the app is not reading: not the client
            self._arm(self._limits().body_timeout_s, what)
            return
        host = self.client[0] if self.client else ""
        logger.info("%s: request %s not received in time; closed", host, what)
        self.transport.close()


class BoundedLog(logging.Filter):
    """A log filter that lets a burst through, then ``per_second`` records a second; what it
    holds back is counted, and the next record let through says how many were left out.

    ``clock`` is for the tests (``time.monotonic`` by default)."""

    def __init__(self, per_second: float = 20.0, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.per_second = per_second
        self.burst = burst if burst is not None else 10 * per_second
        self.tokens = self.burst
        self.clock = clock
        self.last = clock()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.per_second)
        self.last = now
        if self.tokens < 1:
            self.dropped += 1
            return False
        self.tokens -= 1
        if self.dropped:
            record.msg = f"({self.dropped} log lines left out) {record.msg}"
            self.dropped = 0
        return True


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging configuration with each stream bounded by :class:`BoundedLog`."""
    cfg = copy.deepcopy(LOGGING_CONFIG)
    rate = settings.log_lines_per_second
    cfg["filters"] = {f"bounded_{h}": {"()": BoundedLog, "per_second": rate}
                      for h in cfg["handlers"]}
    for name, handler in cfg["handlers"].items():
        handler["filters"] = [f"bounded_{name}"]
    cfg["loggers"]["carbonpeak"] = {"handlers": ["default"], "level": "INFO",
                                    "propagate": False}
    # asyncio logs every failed accept() with its traceback: with the file descriptors used
    # up by slow clients that was 22,000 tracebacks (9 MB) in 15 s (docs/benchmarks.md)
    cfg["loggers"]["asyncio"] = {"handlers": ["default"], "level": "WARNING",
                                 "propagate": False}
    return cfg


def uvicorn_options(settings: Settings, *, host: str, port: int, workers: int = 1,
                    log_level: str = "info") -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` for the app of ``settings``.

    ``proxy_headers`` is off: uvicorn would otherwise take the client's address from
    ``X-Forwarded-For`` of any loopback peer; the app honours the header only from
    ``CARBONPEAK_TRUSTED_PROXIES`` (:func:`carbonpeak.api.deps.client_address`)."""
    return {"factory": True, "host": host, "port": port, "workers": workers,
            "log_level": log_level, "http": GuardedH11Protocol,
            "timeout_keep_alive": settings.http_keepalive_s,
            "limit_concurrency": settings.http_max_connections,
            "proxy_headers": False, "server_header": False,
            "log_config": log_config(settings)}
