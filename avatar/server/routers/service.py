"""``GET /``, ``GET /health``, ``GET /metrics``: what the service is and how it is doing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ... import __version__
from ..deps import Authorized, State

router = APIRouter(tags=["service"])


class ServiceInfo(BaseModel):
    name: str
    version: str
    status: str  # loading | ready | error
    docs: str
    ui: str


class Health(BaseModel):
    status: str
    models_loaded: bool
    models: dict[str, bool]
    device: str | None
    pool: dict[str, int]
    streams: dict[str, int]
    # kind (local | redis); for redis its URL (no password) and whether the last call reached it
    avatar_store: dict[str, Any]
    uptime_s: float
    error: str | None = None


def _status(state) -> str:
    if state.load_error is not None:
        return "error"
    return "ready" if state.models is not None else "loading"


@router.get("/", summary="Service name, version and status")
def root(state: State) -> ServiceInfo:
    return ServiceInfo(name="avatar", version=__version__, status=_status(state), docs="/docs", ui="/ui/")


@router.get(
    "/health",
    summary="Readiness: models, device, job pool, uptime (503 until the models are loaded)",
    responses={503: {"model": Health, "description": "loading, or the models failed to load"}},
)
def health(state: State) -> JSONResponse:
    models = state.models
    pool = state.pool.state()
    state.metrics.jobs_running.set(pool["running"])
    state.metrics.jobs_waiting.set(pool["waiting"])
    body = Health(
        status=_status(state),
        models_loaded=models is not None,
        models={
            "lipsync_neural": bool(models and models.lipsync_net is not None),
            "lipsync_phonetic": models is not None,
            "motion": bool(models and models.motion_net is not None),
            "default_avatar": bool(models and models.default_avatar is not None),
        },
        device=models.device if models else None,
        pool=pool,
        streams={"open": state.streams, "limit": state.cfg.inference.server.max_streams},
        avatar_store=state.avatars.status() if state.avatars else {"kind": None},
        uptime_s=round(state.uptime_s, 1),
        error=state.load_error,
    )
    return JSONResponse(body.model_dump(), status_code=200 if models is not None else 503)


@router.get("/metrics", summary="Prometheus metrics", dependencies=[Authorized], response_class=Response)
def metrics(state: State) -> Response:
    pool = state.pool.state()
    state.metrics.jobs_running.set(pool["running"])
    state.metrics.jobs_waiting.set(pool["waiting"])
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
