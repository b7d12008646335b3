"""How failures become HTTP answers: a status, a one-line reason, never a traceback."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import AvatarError
from ..portrait.store import BuiltinAvatarError, UnknownAvatarError
from ..store import StoreUnavailableError
from .pool import JobTimeoutError, PoolFullError

log = logging.getLogger("avatar.server")


# The reasons name the request's files by their private temporary path: keep only the file name.
_PRIVATE_PATH = re.compile(r"\S*avatar-req-[^/\s]+/")


class TooLargeError(Exception):
    """An upload, an audio clip or a photo over the service's limits (413)."""


def _answer(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    return JSONResponse({"detail": detail, "request_id": rid}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AvatarError)
    async def bad_input(request: Request, exc: AvatarError) -> JSONResponse:
        return _answer(request, 422, _PRIVATE_PATH.sub("", str(exc)))

    @app.exception_handler(TooLargeError)
    async def too_large(request: Request, exc: TooLargeError) -> JSONResponse:
        return _answer(request, 413, str(exc))

    @app.exception_handler(UnknownAvatarError)  # never enrolled, or deleted meanwhile
    async def not_found(request: Request, exc: UnknownAvatarError) -> JSONResponse:
        return _answer(request, 404, str(exc))

    @app.exception_handler(BuiltinAvatarError)
    async def builtin(request: Request, exc: BuiltinAvatarError) -> JSONResponse:
        return _answer(request, 409, str(exc))

    @app.exception_handler(PoolFullError)
    async def busy(request: Request, exc: PoolFullError) -> JSONResponse:
        state = request.app.state.service
        state.metrics.jobs_rejected.inc()
        retry = str(state.cfg.inference.server.retry_after_s)
        return _answer(request, 503, "busy: every worker and waiting place is taken", {"Retry-After": retry})

    @app.exception_handler(StoreUnavailableError)  # Redis down or refusing: the reason, and when to retry
    async def store_down(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        retry = str(request.app.state.service.cfg.inference.server.retry_after_s)
        return _answer(request, 503, str(exc), {"Retry-After": retry})

    @app.exception_handler(JobTimeoutError)
    async def timeout(request: Request, exc: JobTimeoutError) -> JSONResponse:
        limit = request.app.state.service.cfg.inference.server.timeout_s
        return _answer(request, 504, f"the job took longer than {limit:g} s")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error", extra={"request_id": getattr(request.state, "request_id", None)})
        return _answer(request, 500, f"internal error ({exc.__class__.__name__}); see the server log")
