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
Server -> client:
  ``{"type": "ready", "fps": 30, "sample_rate": 16000, "latency_ms": ..., "format": ...}``, then one
  binary message per frame: FRAME_HEADER (magic b"AVF1", frame index uint32, pts float64 seconds,
  dropped-so-far uint32), 69 float32 (64 expression channels, head pitch/yaw/roll, gaze yaw/pitch,
  degrees), then the picture: a JPEG (format "jpeg"), one H.264 access unit (format "h264":
  Annex-B, baseline, a key frame with SPS/PPS first and every 2 s; feed them to a decoder in
  order), or nothing ("params"); finally ``{"type": "done",
  "frames": n, "dropped": d}``. Errors: ``{"type": "error", "detail": "..."}``, then the socket
  closes (1008 bad request or key, 1013 too many streams: try again later).
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
