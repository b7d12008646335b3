"""Running the service with uvicorn: ``serve(cfg, host, port, quiet)`` (what ``avatar serve`` calls).

uvicorn times out idle keep-alive connections but not a client that sends its request head
slowly (or never finishes it): each such connection would hold a socket and its buffers for
ever. HeaderDeadline closes a connection whose request line and headers are not all in within
``server.header_timeout_s`` of its first byte (or of its opening).

And once the service has closed a WebSocket (a refused stream), uvicorn waits up to 10 s for
the client's close frame, parsing whatever else the client sends meanwhile: a client that goes
on flooding small messages kept the event loop busy all that time. CloseAndDrop drops such a
connection once CLOSE_GRACE_BYTES more have come.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol  # wsproto: a dependency of ours

from ..config import Config
from .app import create_app

CLOSE_GRACE_BYTES = 1 << 20  # what a client may still send after the service closed its socket


class HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (``header_timeout_s``)."""

    header_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the deadline while a request head is awaited; disarm once it is in."""
        answered = self.cycle is None or self.cycle.response_complete  # not busy with a request
        waiting = self.conn.their_state is h11.IDLE and answered and not self.transport.is_closing()
        if waiting and self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout_s, self._expire)
        elif not waiting:
            self._cancel()

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request head took over %g s", self.header_timeout_s)
            self.transport.close()


class CloseAndDrop(WSProtocol):
    """uvicorn's wsproto WebSocket protocol that stops listening to a client that keeps
    sending after the service closed the socket (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._after_close = 0  # bytes received since the service's close frame

    def data_received(self, data: bytes) -> None:
        if self.close_sent:
            self._after_close += len(data)
            if self._after_close > CLOSE_GRACE_BYTES:
                self.transport.close()
                return
        super().data_received(data)


def uvicorn_config(
    cfg: Config, host: str | None = None, port: int | None = None, quiet: bool = False
) -> uvicorn.Config:
    """The uvicorn settings for the app of ``cfg`` (host and port default to its server section)."""
    limits = cfg.inference.server
    protocol = type("HeaderDeadline", (HeaderDeadline,), {"header_timeout_s": limits.header_timeout_s})
    return uvicorn.Config(
        create_app(cfg),
        host=host or limits.host,
        port=port or limits.port,
        http=protocol,
        ws=CloseAndDrop,
        log_level="warning" if quiet else "info",
        access_log=False,  # the app logs one JSON line per request, with its request id
    )


def serve(cfg: Config, host: str | None = None, port: int | None = None, quiet: bool = False) -> None:
    """Serve the app of ``cfg`` until interrupted."""
    logging.getLogger("avatar.server").setLevel(logging.WARNING if quiet else logging.INFO)
    uvicorn.Server(uvicorn_config(cfg, host, port, quiet)).run()
