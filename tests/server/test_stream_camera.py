"""WS /stream with "drive": "camera": webcam JPEGs in, the avatar making the same face out;
bad frames refused with a reason and 1008; a flood answered without queueing."""

import json

import av
import cv2
import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect
from stream.camera_clips import camera_clip  # tests/stream (tests/ is on the path)

from avatar.expression.channels import CHANNEL_INDEX
from avatar.stream.protocol import unpack_frame

JAW = CHANNEL_INDEX["jawOpen"]
START = {"type": "start", "drive": "camera", "format": "jpeg"}


@pytest.fixture(scope="module")
def clip():
    return camera_clip()


def _receive(ws, got: dict, notes: list) -> int | None:
    """One message: a frame's camera index, or None for a status message."""
    message = ws.receive()
    if message.get("bytes") is not None:
        frame = unpack_frame(message["bytes"])
        got[frame[0]] = frame
        return frame[0]
    notes.append(json.loads(message["text"]))
    return None


@pytest.mark.slow
def test_camera_frames_drive_the_avatar(client, clip):
    frames, jaw = clip
    got, notes, positions = {}, [], []
    acked, last_pass = -1, None
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps(START))
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["drive"] == "camera", ready
        # a client with two frames in flight: the clip again and again until calibrated, then once more
        while last_pass is None or len(positions) < last_pass + len(frames):
            assert len(positions) < 8 * len(frames), notes
            if len(positions) - 1 - acked < 2:
                ws.send_bytes(frames[len(positions) % len(frames)])
                positions.append(len(positions) % len(frames))
                continue
            index = _receive(ws, got, notes)
            acked = max(acked, -1 if index is None else index)
            if last_pass is None and any(n["type"] == "calibrated" for n in notes):
                last_pass = (len(positions) // len(frames) + 1) * len(frames)
        ws.send_text(json.dumps({"type": "end"}))
        while not notes or notes[-1]["type"] != "done":
            _receive(ws, got, notes)
    done = notes[-1]
    assert done["frames"] == len(got) and done["dropped"] == len(positions) - len(got)
    calibrated = next(n for n in notes if n["type"] == "calibrated")
    assert positions[calibrated["frame"]] < 40  # the neutral comes from the first second
    shown = sorted(k for k in got if k >= last_pass)
    assert len(shown) >= 0.8 * len(frames)
    captured = np.array([got[k][3][JAW] for k in shown])
    assert np.corrcoef(captured, jaw[[positions[k] for k in shown]])[0, 1] > 0.6  # measured 0.72
    image = cv2.imdecode(np.frombuffer(got[shown[0]][4], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (256, 256, 3)


def _refused(client, data: bytes) -> tuple[str, int]:
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps({**START, "format": "params"}))
        assert ws.receive_json()["type"] == "ready"
        ws.send_bytes(data)
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert error["type"] == "error"
    return error["detail"], closed.value.code


def test_bad_camera_frames_are_refused(client):
    detail, code = _refused(client, b"RIFF" + b"\x00" * 1000)
    assert code == 1008 and "must be JPEG" in detail
    big = cv2.imencode(".jpg", np.zeros((1080, 1920, 3), np.uint8))[1].tobytes()
    detail, code = _refused(client, big)
    assert code == 1008 and "1920x1080: at most 1280x720" in detail
    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), np.uint8)
    heavy = cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    detail, code = _refused(client, heavy)
    assert code == 1008 and "at most 200 KB" in detail


def test_a_camera_flood_is_answered_without_a_queue(client, clip):
    frames, _ = clip
    got, notes = {}, []
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps({**START, "format": "params"}))
        assert ws.receive_json()["type"] == "ready"
        for data in frames[:120]:  # 4 s of camera at once, no window
            ws.send_bytes(data)
        ws.send_text(json.dumps({"type": "end"}))
        while not notes or notes[-1]["type"] != "done":
            _receive(ws, got, notes)
    done = notes[-1]
    assert done["frames"] == len(got) and done["frames"] + done["dropped"] == 120
    assert 119 in got  # the newest frame is always answered
    assert done["dropped"] > 0  # the server was behind, and dropped rather than queued


def test_camera_frames_come_back_as_h264(client, clip):
    frames, _ = clip
    got, notes = {}, []
    with client.websocket_connect("/stream") as ws:
        ws.send_text(json.dumps({**START, "format": "h264"}))
        assert ws.receive_json()["format"] == "h264"
        for data in frames[:6]:  # one at a time: each answered before the next is sent
            ws.send_bytes(data)
            while _receive(ws, got, notes) is None:
                pass
        ws.send_text(json.dumps({"type": "end"}))
        while not notes or notes[-1]["type"] != "done":
            _receive(ws, got, notes)
    assert sorted(got) == list(range(6)) and notes[-1] == {"type": "done", "frames": 6, "dropped": 0}
    decoder = av.CodecContext.create("h264", "r")
    pictures = [p for k in sorted(got) for p in decoder.decode(av.Packet(got[k][4]))]
    assert len(pictures) == 6 and pictures[0].width == 256
    assert {"type": "face", "found": True, "frame": 0} in notes
