"""``WS /stream``: live speech in, avatar frames out (protocol: avatar/stream/protocol.py)."""

from __future__ import annotations

import asyncio
import json
import secrets

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from ...audio import SAMPLE_RATE
from ...errors import AvatarError
from ...portrait import load_avatar
from ...render import Renderer
from ...stream.core import AvatarStream
from ...stream.encoders import frame_encoder
from ...stream.protocol import StartMessage
from ...stream.session import LiveSession
from ..jobs import request_config

router = APIRouter(tags=["stream"])
START_TIMEOUT_S = 10.0
MAX_MESSAGE_BYTES = 1 << 20  # 32 s of PCM in one message is plenty


class _RefusedError(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def _authorised(websocket: WebSocket, key: str | None) -> bool:
    if key is None:
        return True
    given = websocket.query_params.get("token") or ""
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        given = token.strip()
    return secrets.compare_digest(given.encode(), key.encode())


async def _start(websocket: WebSocket, state) -> LiveSession:
    models = state.models
    if models is None or models.stream_lipsync is None:
        raise _RefusedError(1013, "the models are still loading (or the neural lip-sync is not installed)")
    try:
        first = await asyncio.wait_for(websocket.receive(), START_TIMEOUT_S)
        if first["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(first.get("code", 1000))
        if first.get("text") is None:
            raise _RefusedError(1008, 'the first message must be the JSON {"type": "start", ...}')
        start = StartMessage(**json.loads(first["text"]))
    except TimeoutError:
        raise _RefusedError(1008, f"no start message within {START_TIMEOUT_S:g} s") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "message"
        raise _RefusedError(1008, f"bad start message: {where}: {err['msg']}") from None
    except (json.JSONDecodeError, TypeError) as exc:
        raise _RefusedError(1008, f"bad start message: not JSON ({exc.__class__.__name__})") from None
    try:
        cfg = request_config(state.cfg, start.options.overrides())
        avatar = load_avatar(start.avatar) if start.avatar else models.default_avatar
        renderer = None
        if start.format != "params":
            renderer = await asyncio.to_thread(Renderer, avatar.image, avatar.landmarks, start.size)
    except AvatarError as exc:
        raise _RefusedError(1008, str(exc)) from None
    stream = AvatarStream(cfg, models.stream_lipsync, models.stream_motion, renderer)
    session = LiveSession(stream, frame_encoder(start.format, start.size, stream.fps))
    await websocket.send_json(
        {
            "type": "ready",
            "fps": stream.fps,
            "sample_rate": SAMPLE_RATE,
            "latency_ms": round(session.latency_s * 1000),
            "format": start.format,
            "size": start.size,
        }
    )
    return session


async def _send(websocket: WebSocket, session: LiveSession) -> None:
    while (message := await session.next_message()) is not None:
        await websocket.send_bytes(message)
    await websocket.send_json({"type": "done", "frames": session.sent_frames, "dropped": session.dropped})


async def _receive(websocket: WebSocket, session: LiveSession) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            session.finish()
            return
        if message.get("bytes") is not None:
            data = message["bytes"]
            if len(data) > MAX_MESSAGE_BYTES or len(data) % 2:
                raise _RefusedError(1008, "audio messages are 16-bit PCM: an even byte count, at most 1 MB")
            session.feed(data)
        elif message.get("text") is not None:
            try:
                kind = json.loads(message["text"]).get("type")
            except (json.JSONDecodeError, AttributeError):
                kind = None
            if kind != "end":
                raise _RefusedError(1008, 'text messages after "start" must be {"type": "end"}')
            session.finish()
            return


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    state = websocket.app.state.service
    limit = state.cfg.inference.server.max_streams
    await websocket.accept()
    if not _authorised(websocket, state.api_key):
        await _refuse(
            websocket, 1008, "missing or wrong API key: ?token=<key> or Authorization: Bearer <key>"
        )
        return
    if state.streams >= limit:
        await _refuse(websocket, 1013, f"all {limit} live streams are in use: try again later")
        return
    state.streams += 1
    try:
        session = await _start(websocket, state)
        producer = asyncio.create_task(session.run())
        sender = asyncio.create_task(_send(websocket, session))
        try:
            await _receive(websocket, session)
            await producer
            await sender
        finally:
            producer.cancel()
            sender.cancel()
        await websocket.close()
    except _RefusedError as exc:
        await _refuse(websocket, exc.code, exc.detail)
    except WebSocketDisconnect:
        pass
    finally:
        state.streams -= 1


async def _refuse(websocket: WebSocket, code: int, detail: str) -> None:
    try:
        await websocket.send_json({"type": "error", "detail": detail})
        await websocket.close(code=code)
    except (WebSocketDisconnect, RuntimeError):
        pass
