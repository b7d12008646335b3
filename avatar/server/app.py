"""The FastAPI application: ``create_app()``; run it with ``avatar serve`` or ``python api/server.py``.

The models load on a background thread once the app starts, so ``/health`` answers 503
("loading") at once and 200 when they are ready; the work runs on a bounded job pool.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..config import Config, load_config
from ..store import open_store
from . import errors
from .metrics import Metrics
from .middleware import RequestContext
from .pool import JobPool
from .routers import avatars, generate, service, stream, webrtc
from .state import Models, ServiceState

log = logging.getLogger("avatar.server")
API_KEY_ENV = "AVATAR_API_KEY"


def load_models(cfg: Config) -> Models:
    """Everything a request needs, loaded once: the networks (offline ones on the configured
    backend and precision; live streams always torch fp32), the default avatar."""
    import torch

    from ..device import resolve_device
    from ..models import load_lipsync, load_motion, load_mouth, shipped
    from ..portrait import default_avatar
    from ..stream.core import live_networks

    if cfg.inference.server.threads:
        torch.set_num_threads(cfg.inference.server.threads)
    device = resolve_device(cfg.inference.device)
    lipsync = load_lipsync(cfg) if shipped("lipsync") else None
    motion = load_motion(cfg).net
    for where in {device, "cpu"}:  # render.mouth: learned loads (and checks) its network now, for
        load_mouth(cfg, where)  # offline requests and for live streams (CPU); renderers share it
    live, live_motion = None, None
    if lipsync is not None:
        plain = cfg.inference.backend == "torch" and cfg.inference.precision == "fp32"
        live, live_motion = (lipsync, motion) if plain else live_networks(device)  # shared when they can be
    return Models(
        lipsync_net=lipsync,
        motion_net=motion,
        stream_lipsync=live,
        stream_motion=live_motion,
        default_avatar=default_avatar(),
        device=device,
    )


def _load(state: ServiceState) -> None:
    try:
        state.models = load_models(state.cfg)
        state.metrics.ready.set(1)
        log.info('{"event": "models loaded"}')
    except Exception as exc:  # reported by /health; the service stays up to say so
        state.load_error = f"{exc.__class__.__name__}: {exc}"
        log.exception("loading the models failed")
    finally:
        state.loaded.set()


def web_folder() -> Path:
    return Path(str(resources.files("avatar.server"))) / "web"


def create_app(cfg: Config | None = None, api_key: str | None = None) -> FastAPI:
    """The app for ``cfg`` (default: the YAML files); ``api_key`` (default: $AVATAR_API_KEY; ""
    for none) makes the protected routes require ``Authorization: Bearer <key>``."""
    cfg = cfg or load_config()
    limits = cfg.inference.server
    state = ServiceState(
        cfg=cfg,
        pool=JobPool(limits.workers, limits.queue, limits.timeout_s),
        metrics=Metrics(),
        api_key=(api_key if api_key is not None else os.environ.get(API_KEY_ENV)) or None,  # "" = no key
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.avatars = open_store(limits)  # connects on first use: the service starts without Redis
        threading.Thread(target=_load, args=(state,), name="avatar-load", daemon=True).start()
        yield
        state.pool.shutdown()
        state.avatars.close()

    app = FastAPI(
        title="avatar",
        version=__version__,
        summary="Real-time talking avatar: speech in, a talking portrait video or ARKit curves out.",
        lifespan=lifespan,
    )
    app.state.service = state
    errors.install(app)
    app.add_middleware(RequestContext, state=state)
    if limits.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=limits.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    for module in (service, avatars, generate, stream, webrtc):
        app.include_router(module.router)
    app.mount("/ui", StaticFiles(directory=web_folder(), html=True), name="ui")
    return app
