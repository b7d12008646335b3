"""Request dependencies: the service state, the API key, loaded models, the avatar store."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from ..store import AvatarStore
from .state import Models, ServiceState


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


State = Annotated[ServiceState, Depends(get_state)]


KEY_REFUSED = "missing or wrong API key: send 'Authorization: Bearer <key>'"


def key_accepted(api_key: str | None, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``api_key`` (always, when no key is set)."""
    if api_key is None:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), api_key.encode())


def require_key(state: State, authorization: Annotated[str | None, Header()] = None) -> None:
    """With AVATAR_API_KEY set, every protected route needs ``Authorization: Bearer <key>``.

    The request middleware checks it before the body is read (a route is protected when it
    depends on this); the check here documents the route in the OpenAPI schema."""
    if not key_accepted(state.api_key, authorization):
        raise HTTPException(401, KEY_REFUSED, {"WWW-Authenticate": "Bearer"})


Authorized = Depends(require_key)


def ready_models(state: State) -> Models:
    """The loaded models; 503 with Retry-After while they load (or if loading failed)."""
    if state.load_error is not None:
        raise HTTPException(503, f"the models failed to load: {state.load_error}")
    if state.models is None:
        retry = str(state.cfg.inference.server.retry_after_s)
        raise HTTPException(503, "the models are still loading", {"Retry-After": retry})
    return state.models


Ready = Annotated[Models, Depends(ready_models)]


def avatar_store(state: State) -> AvatarStore:
    """The store of enrolled avatars (avatar/store), opened when the app starts."""
    if state.avatars is None:  # only before the lifespan has run
        retry = str(state.cfg.inference.server.retry_after_s)
        raise HTTPException(503, "the service is starting", {"Retry-After": retry})
    return state.avatars


Avatars = Annotated[AvatarStore, Depends(avatar_store)]
