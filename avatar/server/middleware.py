"""Per-request plumbing as one ASGI middleware: request id, body-size limit, log line, metrics.

The body limit counts bytes as they arrive, so a chunked upload without Content-Length is cut
off at the limit too, before the multipart parser spools it to disk.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .state import ServiceState

log = logging.getLogger("avatar.server")
REQUEST_ID = "x-request-id"


class _BodyTooLargeError(BaseException):
    """Not an Exception: FastAPI turns any Exception raised while parsing a form into a 400."""


def _route(scope: Scope) -> str:
    """The route's template (/avatars/{avatar_id}), so metrics do not grow with every id."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestContext:
    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID.encode(), b"").decode("latin-1")
        rid = given if given and len(given) <= 128 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        limit = int(self.state.cfg.inference.server.max_upload_mb * 1024 * 1024)
        status = {"code": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID.encode(), rid.encode())]
            await send(message)

        try:
            length = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        try:
            if length > limit:
                raise _BodyTooLargeError
            await self.app(scope, _limited(receive, limit), send_with_id)
        except _BodyTooLargeError:
            if not status["started"]:
                await _too_large(send_with_id, self.state.cfg.inference.server.max_upload_mb, rid)
        finally:
            elapsed = time.perf_counter() - start
            route = _route(scope)
            self.state.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.state.metrics.latency.labels(route).observe(elapsed)
            log.info(
                json.dumps(
                    {
                        "request_id": rid,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status["code"],
                        "ms": round(elapsed * 1000, 1),
                    }
                )
            )


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLargeError
        return message

    return wrapped


async def _too_large(send: Send, limit_mb: float, rid: str) -> None:
    body = json.dumps({"detail": f"request body over the {limit_mb:g} MB limit", "request_id": rid}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
