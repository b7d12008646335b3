"""``POST /webrtc/offer``: a WebRTC peer for the browser (microphone in, avatar video and audio out)."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ...config import with_overrides
from ...models import load_renderer
from ...stream.core import AvatarStream
from ...stream.protocol import StreamOptions
from ..deps import Authorized, Avatars, Ready, State
from ..jobs import named_avatar

router = APIRouter(prefix="/webrtc", tags=["stream"], dependencies=[Authorized])


class Offer(BaseModel):
    sdp: str = Field(max_length=100_000)
    type: Literal["offer"]
    avatar: str | None = Field(None, max_length=64)
    size: Literal[256, 512] = 256
    options: StreamOptions = StreamOptions()


class Answer(BaseModel):
    sdp: str
    type: str


@router.post("/offer", summary="Answer a browser's WebRTC offer: microphone in, avatar video + audio out")
async def offer(body: Offer, state: State, models: Ready, store: Avatars) -> Answer:
    from ...stream.webrtc import WebRtcSession  # aiortc loads only when WebRTC is used

    limit = state.cfg.inference.server.max_streams
    if state.streams >= limit:
        raise HTTPException(503, f"all {limit} live streams are in use", {"Retry-After": "10"})
    if models.stream_lipsync is None:
        raise HTTPException(503, "the neural lip-sync is not installed on this server")
    cfg = with_overrides(state.cfg, body.options.overrides())
    avatar = await asyncio.to_thread(named_avatar, models, store, body.avatar)
    renderer = await asyncio.to_thread(load_renderer, avatar, body.size, cfg, "cpu")
    # Off the event loop, as everything slow here: the stream warms its networks up.
    stream = await asyncio.to_thread(AvatarStream, cfg, models.stream_lipsync, models.stream_motion, renderer)
    session = WebRtcSession(stream)
    state.streams += 1
    session.on_close = lambda: setattr(state, "streams", state.streams - 1)
    try:
        answer = await session.answer(body.sdp, body.type)
    except ValueError as exc:  # aiortc's complaint about the SDP
        await session.close()
        raise HTTPException(422, f"bad offer: {exc}") from None
    return Answer(sdp=answer.sdp, type=answer.type)
