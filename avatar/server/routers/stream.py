"""``WS /stream``: live speech or camera frames in, avatar frames out (avatar/stream/protocol.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from ...audio import SAMPLE_RATE
from ...config import with_overrides
from ...errors import AvatarError
from ...models import load_renderer
from ...store import StoreUnavailableError
from ...stream.camera import CameraFrameError, CameraSession
from ...stream.core import AvatarStream
from ...stream.encoders import frame_encoder
from ...stream.protocol import StartMessage
from ...stream.session import BacklogError, LiveSession
from ..jobs import named_avatar

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


async def _start(websocket: WebSocket, state) -> LiveSession | CameraSession:
    models = state.models
    if models is None:
        raise _RefusedError(1013, "the models are still loading")
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
    if start.drive == "speech" and models.stream_lipsync is None:
        raise _RefusedError(1013, "the neural lip-sync is not installed: only camera streams are served")
    try:
        cfg = with_overrides(state.cfg, start.options.overrides())
        avatar = models.default_avatar
        if start.avatar:
            avatar = await asyncio.to_thread(named_avatar, models, state.avatars, start.avatar)
        renderer = None
        if start.format != "params":
            renderer = await asyncio.to_thread(load_renderer, avatar, start.size, cfg, "cpu")
    except AvatarError as exc:
        raise _RefusedError(1008, str(exc)) from None
    except StoreUnavailableError as exc:  # 1013: try again later
        raise _RefusedError(1013, str(exc)) from None
    encoder = await asyncio.to_thread(frame_encoder, start.format, start.size, cfg.model.fps)
    if start.drive == "camera":
        session = await asyncio.to_thread(CameraSession, renderer, encoder, cfg.inference.controls)
        latency_s = 0.0  # each frame is answered as soon as it is made
    else:
        # Off the event loop: the stream warms its networks up.
        stream = await asyncio.to_thread(
            AvatarStream, cfg, models.stream_lipsync, models.stream_motion, renderer
        )
        session = LiveSession(stream, encoder)
        latency_s = session.latency_s
    await websocket.send_json(
        {
            "type": "ready",
            "fps": cfg.model.fps,
            "sample_rate": SAMPLE_RATE,
            "latency_ms": round(latency_s * 1000),
            "format": start.format,
            "size": start.size,
            "drive": start.drive,
        }
    )
    return session


async def _send(websocket: WebSocket, message: bytes | dict) -> None:
    """Send, or WebSocketDisconnect if the socket has been closed meanwhile: by the client, or by
    the server itself (uvicorn closes on its own when a keep-alive ping goes unanswered, and then
    any send raises RuntimeError)."""
    try:
        if isinstance(message, bytes):
            await websocket.send_bytes(message)
        else:
            await websocket.send_json(message)
    except RuntimeError as exc:
        if "close" not in str(exc):
            raise
        raise WebSocketDisconnect(1006) from None


async def _sender(websocket: WebSocket, session: LiveSession | CameraSession) -> None:
    while (message := await session.next_message()) is not None:
        await _send(websocket, message)
    await _send(websocket, {"type": "done", "frames": session.sent_frames, "dropped": session.dropped})


async def _receiver(websocket: WebSocket, session: LiveSession | CameraSession) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":  # gone: nothing more is made nor sent
            raise WebSocketDisconnect(message.get("code", 1000))
        if message.get("bytes") is not None and isinstance(session, CameraSession):
            try:
                session.feed(message["bytes"])
            except CameraFrameError as exc:
                raise _RefusedError(1008, str(exc)) from None
            await asyncio.sleep(0)
        elif message.get("bytes") is not None:
            data = message["bytes"]
            if len(data) > MAX_MESSAGE_BYTES or len(data) % 2:
                raise _RefusedError(1008, "audio messages are 16-bit PCM: an even byte count, at most 1 MB")
            try:
                session.feed(data)
            except BacklogError as exc:
                raise _RefusedError(1008, str(exc)) from None
            await asyncio.sleep(0)  # queued messages come without a pause: let other work in
        elif message.get("text") is not None:
            try:
                kind = json.loads(message["text"]).get("type")
            except (json.JSONDecodeError, AttributeError):
                kind = None
            if kind != "end":
                raise _RefusedError(1008, 'text messages after "start" must be {"type": "end"}')
            session.finish()
            return


async def _serve(websocket: WebSocket, session: LiveSession | CameraSession) -> None:
    """Receive, make and send until the stream is done; the first failure (a refusal, the client
    gone) stops all three, and none of them is still running when this returns, so nothing is
    sent after the socket is closed."""
    tasks = [
        asyncio.create_task(_receiver(websocket, session)),
        asyncio.create_task(session.run()),
        asyncio.create_task(_sender(websocket, session)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:  # a refusal or disconnect, in the order the tasks were listed
        if task in done and task.exception() is not None:
            raise task.exception()


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
    session = None
    try:
        session = await _start(websocket, state)
        await _serve(websocket, session)
        with contextlib.suppress(RuntimeError):  # closed by the server meanwhile (see _send)
            await websocket.close()
    except _RefusedError as exc:
        await _refuse(websocket, exc.code, exc.detail)
    except WebSocketDisconnect:
        pass
    finally:
        state.streams -= 1
        if isinstance(session, CameraSession):
            await asyncio.to_thread(session.close)  # the face tracker, once a frame in it is done


async def _refuse(websocket: WebSocket, code: int, detail: str) -> None:
    try:
        await websocket.send_json({"type": "error", "detail": detail})
        await websocket.close(code=code)
    except (WebSocketDisconnect, RuntimeError):
        pass
