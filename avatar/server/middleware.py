"""Per-request plumbing as one ASGI middleware: request id, API key, body-size limit, log line,
metrics.

Both refusals come before the body is read: a protected route (one that depends on
``deps.require_key``) without the key is answered 401 at once, and the body limit counts bytes
as they arrive, so a chunked upload without Content-Length is cut off at the limit too, before
the multipart parser spools it to disk.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import KEY_REFUSED, key_accepted, require_key
from .state import ServiceState

log = logging.getLogger("avatar.server")
REQUEST_ID = "x-request-id"


class _BodyTooLargeError(BaseException):
    """Not an Exception: FastAPI turns any Exception raised while parsing a form into a 400."""


class _KeyRefusedError(BaseException):
    """A protected route's body asked for without the key (a BaseException, as above)."""


def _route(scope: Scope) -> str:
    """The route's template (/avatars/{avatar_id}), so metrics do not grow with every id."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _needs_key(scope: Scope) -> bool:
    """Whether the route the request was routed to depends on ``deps.require_key``."""
    pending = [getattr(scope.get("route"), "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is not None:
            if dependant.call is require_key:
                return True
            pending += dependant.dependencies
    return False


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
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        keyless = not key_accepted(self.state.api_key, authorization)
        try:
            if length > limit:
                raise _BodyTooLargeError
            await self.app(scope, _guarded(scope, receive, limit, keyless), send_with_id)
        except _KeyRefusedError:
            if not status["started"]:
                await _answer(send_with_id, 401, KEY_REFUSED, rid, [(b"www-authenticate", b"Bearer")])
        except _BodyTooLargeError:
            if not status["started"]:
                limit_mb = self.state.cfg.inference.server.max_upload_mb
                await _answer(send_with_id, 413, f"request body over the {limit_mb:g} MB limit", rid)
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


def _guarded(scope: Scope, receive: Receive, limit: int, keyless: bool) -> Receive:
    """``receive`` that refuses to read a protected route's body without the key (the route's
    own dependency on the key runs only after FastAPI has parsed the form), and stops at
    ``limit`` bytes."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        if keyless and _needs_key(scope):  # routed by now: scope["route"] is the route
            raise _KeyRefusedError
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLargeError
        return message

    return wrapped


async def _answer(
    send: Send, status: int, detail: str, rid: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A JSON answer as errors.install gives one, sent from here before the app runs."""
    body = json.dumps({"detail": detail, "request_id": rid}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
