"""The WebSocket protocol of ``/stream`` (also summarised in the README's "Live streaming").

Client -> server:
  1. a text message, JSON: ``{"type": "start", "avatar": "astronaut", "size": 256,
     "format": "jpeg" | "h264" | "params", "options": {controls: seed, head_motion, still, blink, gaze,
     expression_scale, emotion, emotion_strength}}`` (every field optional);
  2. binary messages: 16 kHz mono 16-bit little-endian PCM, any length (an even byte count, at
     most 1 MB); audio may come faster than real time (a TTS utterance at once), but no more
     than session.MAX_BACKLOG_S (70 s) ahead of the frames shown: past that, the stream is
     refused with an error and closed 1008 (frames are made at 30 fps of wall time, whatever
     the pace of the audio);
  3. ``{"type": "end"}`` when the speech is over (the remaining frames follow, then "done").
With ``"drive": "camera"`` in the start message the binary messages are camera frames instead of
audio: one JPEG each (at most 200 KB and 1280x720, either way up; anything else is refused 1008),
any rate (the server keeps only the newest frame waiting and drops the others, so a client should
keep a small window in flight: send a frame when fewer than 2 are unanswered). The first second
of frames with a face gives the person's neutral (they hold still, looking at the camera); then
each frame sent back is the avatar making the camera's face (stream/camera.py). No audio.
Server -> client:
  ``{"type": "ready", "fps": 30, "sample_rate": 16000, "latency_ms": ..., "format": ...}``, then one
  binary message per frame: FRAME_HEADER (magic b"AVF1", frame index uint32, pts float64 seconds,
  dropped-so-far uint32), 69 float32 (64 expression channels, head pitch/yaw/roll, gaze yaw/pitch,
  degrees), then the picture: a JPEG (format "jpeg"), one H.264 access unit (format "h264":
  Annex-B, baseline, a key frame with SPS/PPS first and every 2 s; feed them to a decoder in
  order), or nothing ("params"); finally ``{"type": "done",
  "frames": n, "dropped": d}``. With "drive": "camera" the ready message says so, a frame's index is
  the number (from 0, in the order sent) of the camera frame it answers, pts the seconds since
  the first camera frame arrived and dropped the camera frames skipped so far (an answer to frame
  k also answers every frame before it); text messages tell ``{"type": "face", "found": bool,
  "frame": k}`` when the face appears or is lost (the avatar holds its last pose meanwhile),
  ``{"type": "calibrated", "frame": k, "seconds": s}`` once the neutral (camera frame k) is
  calibrated (the avatar rests until then) and ``{"type": "hold", "detail": ...}`` when a
  calibration failed and the next second is tried. Errors: ``{"type": "error", "detail": "..."}``,
  then the socket closes (1008 bad request or key, 1013 too many streams: try again later).
"""

from __future__ import annotations

import struct
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..controls import ControlOptions

MAGIC = b"AVF1"
FRAME_HEADER = struct.Struct("<4sIdI")  # magic, index, pts, frames dropped so far: 20 bytes
PARAMS = 64 + 3 + 2  # expression, head, gaze: float32 each


class StreamOptions(ControlOptions):
    """The controls a stream may set (as the CLI's and /generate's); unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    avatar: str | None = Field(None, max_length=64)
    size: Literal[256, 512] = 256
    format: Literal["jpeg", "h264", "params"] = "jpeg"
    drive: Literal["speech", "camera"] = "speech"
    options: StreamOptions = StreamOptions()


def pack_frame(index: int, pts: float, dropped: int, params: np.ndarray, picture: bytes = b"") -> bytes:
    """One frame message: header, the 69 parameters as float32, the picture (if any)."""
    return FRAME_HEADER.pack(MAGIC, index, pts, dropped) + params.astype("<f4").tobytes() + picture


def unpack_frame(message: bytes) -> tuple[int, float, int, np.ndarray, bytes]:
    """(index, pts, dropped, params (69,), picture bytes) from a frame message."""
    magic, index, pts, dropped = FRAME_HEADER.unpack_from(message)
    if magic != MAGIC:
        raise ValueError("not an avatar frame message")
    start = FRAME_HEADER.size
    params = np.frombuffer(message, "<f4", PARAMS, start)
    return index, pts, dropped, params, message[start + PARAMS * 4 :]
