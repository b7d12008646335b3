"""WS /stream: the protocol end to end, the mouth moving with the speech, refusals."""

import asyncio
import json
import threading

import av
import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from avatar.config import load_config
from avatar.expression.channels import CHANNEL_INDEX
from avatar.pipeline import prepare_audio
from avatar.server import create_app
from avatar.stream.protocol import unpack_frame

from .conftest import FIXTURES, LIMITS, wait_ready

JAW = CHANNEL_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def pcm():
    audio = prepare_audio(FIXTURES / "pauses.wav", load_config(env={}))
    return (np.clip(audio, -1, 1 - 1 / 32768) * 32768).astype("<i2").tobytes(), len(audio)


def _session(client, pcm_bytes, start, chunk=640, path="/stream"):
    frames, done = [], None
    with client.websocket_connect(path) as ws:
        ws.send_text(json.dumps(start))
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["fps"] == 30, ready
        for i in range(0, len(pcm_bytes), chunk):
            ws.send_bytes(pcm_bytes[i : i + chunk])
        ws.send_text(json.dumps({"type": "end"}))
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                frames.append(unpack_frame(message["bytes"]))
            else:
                done = json.loads(message["text"])
                break
    return ready, frames, done


@pytest.mark.slow
def test_stream_jpeg_frames_follow_the_speech(client, pcm):
    data, samples = pcm
    ready, frames, done = _session(client, data, {"type": "start", "format": "jpeg", "options": {"seed": 2}})
    assert done == {"type": "done", "frames": len(frames), "dropped": 0}
    assert [f[0] for f in frames] == list(range(round(samples / 16000 * 30)))
    assert all(abs(f[1] - f[0] / 30) < 1e-9 for f in frames)
    image = cv2.imdecode(np.frombuffer(frames[40][4], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (256, 256, 3)
    jaw = np.array([f[3][JAW] for f in frames])
    assert jaw[:15].max() < 0.05 and jaw.max() > 0.2  # shut before the first word, open in speech
    assert 250 <= ready["latency_ms"] <= 600


@pytest.mark.slow
def test_stream_h264_frames_decode_in_order(client, pcm):
    data, samples = pcm
    start = {"type": "start", "format": "h264", "options": {"seed": 2}}
    ready, frames, done = _session(client, data, start)
    assert ready["format"] == "h264" and done["frames"] == len(frames) == round(samples / 16000 * 30)
    assert frames[0][4][:5] == b"\x00\x00\x00\x01\x67"  # Annex-B, starting with the SPS
    decoder = av.CodecContext.create("h264", "r")
    pictures = [p.to_ndarray(format="rgb24") for f in frames for p in decoder.decode(av.Packet(f[4]))]
    assert len(pictures) == len(frames)  # one access unit per frame, nothing held back
    _, jpegs, _ = _session(client, data, {**start, "format": "jpeg"})
    same = cv2.imdecode(np.frombuffer(jpegs[40][4], np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    mse = np.mean((pictures[40].astype(float) - same.astype(float)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 28  # the same picture (two lossy codecs apart)


def test_stream_params_only(client, pcm):
    data, _ = pcm
    _, frames, _ = _session(client, data[: 32000 * 2], {"type": "start", "format": "params"})
    assert len(frames) == 60 and all(f[4] == b"" for f in frames)
    assert np.stack([f[3] for f in frames]).shape == (60, 69)


@pytest.mark.parametrize(
    ("start", "needle"),
    [
        ({"type": "begin"}, "start message"),
        ({"type": "start", "size": 300}, "start message"),
        ({"type": "start", "options": {"emotion": "joy"}}, "unknown emotion"),
        ({"type": "start", "avatar": "nobody"}, "nobody"),
    ],
)
def test_bad_start_is_refused_with_a_reason(client, start, needle):
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps(start))
        error = ws.receive_json()
        assert error["type"] == "error" and needle in error["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008


def test_audio_before_start_is_refused(client):
    with client.websocket_connect("/stream") as ws:
        ws.send_bytes(b"\x00\x00" * 100)
        error = ws.receive_json()
        assert error["type"] == "error" and "first message" in error["detail"]


def test_odd_audio_bytes_are_refused(client):
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps({"type": "start", "format": "params"}))
        ws.receive_json()
        ws.send_bytes(b"\x00\x01\x02")
        error = ws.receive_json()
        assert error["type"] == "error" and "even byte count" in error["detail"]


def test_stream_limit_and_key(avatar_home, pcm):
    cfg = load_config(env={}, overrides={**LIMITS, "server.max_streams": 0})
    with TestClient(create_app(cfg, api_key="k")) as c:
        wait_ready(c)
        with c.websocket_connect("/stream") as ws:
            assert "API key" in ws.receive_json()["detail"]
        with c.websocket_connect("/stream?token=k") as ws:
            error = ws.receive_json()
            assert "try again later" in error["detail"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1013


def _health(client, answered: list[int]) -> None:
    answered.append(client.get("/health").status_code)


def test_a_flood_is_refused_and_health_answers_meanwhile(client):
    megabyte = np.zeros(1 << 19, "<i2").tobytes()  # 1 MB: 33 s of audio in one message
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps({"type": "start", "format": "jpeg", "size": 512}))
        assert ws.receive_json()["type"] == "ready"
        ws.send_bytes(megabyte)
        ws.send_bytes(megabyte)  # 66 s ahead of real time: still taken, and worked off at 30 fps
        assert unpack_frame(ws.receive_bytes())[0] == 0  # the stream is running
        for _ in range(5):
            answered: list[int] = []
            probe = threading.Thread(target=_health, args=(client, answered))
            probe.start()
            probe.join(1.0)  # generous: scripts/abuse_stream.py measures it (< 100 ms)
            assert answered == [200]
        ws.send_bytes(megabyte)  # past the backlog limit
        while (message := ws.receive()).get("text") is None:
            assert unpack_frame(message["bytes"])[4][:2] == b"\xff\xd8"  # JPEG frames meanwhile
        error = json.loads(message["text"])
        assert error["type"] == "error" and "faster than real time" in error["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008


def test_nothing_is_sent_after_the_socket_closed(client):
    """A flooding client that goes away while the server, as uvicorn does when its keep-alive
    ping goes unanswered, has already closed the socket: sends then raise RuntimeError."""
    start = json.dumps({"type": "start", "format": "params"})
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": start}]
    incoming += [{"type": "websocket.receive", "bytes": b"\0" * (1 << 20)}] * 2
    sent, closed = [], asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(0.3)  # frames are being made and sent meanwhile
        closed.set()
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message):
        if closed.is_set():
            kind = message["type"]
            raise RuntimeError(f"Unexpected ASGI message '{kind}', after sending 'websocket.close'.")
        sent.append(message)

    scope = {
        "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/stream",
        "raw_path": b"/stream", "query_string": b"", "root_path": "", "headers": [],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "subprotocols": [],
    }  # fmt: skip
    asyncio.run(asyncio.wait_for(client.app(scope, receive, send), 60))  # returns, raises nothing
    frames = [m for m in sent if m.get("bytes")]
    assert sent[0]["type"] == "websocket.accept" and frames  # it was streaming when the client left
    assert client.get("/health").json()["streams"]["open"] == 0
