"""Running the service with uvicorn: ``serve(cfg, host, port, quiet)`` (what ``avatar serve`` calls).

uvicorn times out idle keep-alive connections but not a client that sends its request head
slowly (or never finishes it): each such connection would hold a socket and its buffers for
ever. HeaderDeadline closes a connection whose request line and headers are not all in within
``server.header_timeout_s`` of its first byte (or of its opening).
"""

from __future__ import annotations

import asyncio
import logging

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Config
from .app import create_app


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
        log_level="warning" if quiet else "info",
        access_log=False,  # the app logs one JSON line per request, with its request id
    )


def serve(cfg: Config, host: str | None = None, port: int | None = None, quiet: bool = False) -> None:
    """Serve the app of ``cfg`` until interrupted."""
    logging.getLogger("avatar.server").setLevel(logging.WARNING if quiet else logging.INFO)
    uvicorn.Server(uvicorn_config(cfg, host, port, quiet)).run()
