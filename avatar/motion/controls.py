"""The user's controls: lip-sync + motion -> the animation (head motion, blinks, gaze, emotion).

Expression scale multiplies the lip-sync's mouth shapes but never lipSeal or the timed
articulators, so closures stay closures; an emotion adds its offsets (expression/emotions.py),
which leave the jaw and the lip closures alone; blinks go into the ARKit eyeBlink channels.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator

from ..animation import Animation
from ..config import ControlsConfig
from ..expression.channels import CHANNEL_INDEX
from ..expression.emotions import EMOTIONS, check_emotion, emotion_offsets
from ..lipsync.visemes import ANIMATED_CHANNELS
from .sampler import Motion

_KEEP = [CHANNEL_INDEX[n] for n in ("lipSeal", "plosiveRelease", "voicing")]
SCALED = ANIMATED_CHANNELS.copy()
SCALED[_KEEP] = False  # (64,) the shapes expression_scale multiplies
BLINKS = [CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"]]


class ControlOptions(BaseModel):
    """The controls a request may set (HTTP form fields, a stream's start message); each left out
    keeps the server's configuration. ``overrides()`` gives them as config keys."""

    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    head_motion: float | None = Field(None, ge=0.0, le=2.0)
    still: bool | None = None
    blink: bool | None = None
    gaze: Literal["natural", "camera"] | None = None
    expression_scale: float | None = Field(None, ge=0.0, le=2.0)
    emotion: str | None = Field(None, description=f"one of {', '.join(EMOTIONS)}")
    emotion_strength: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("emotion")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return None if value is None else check_emotion(value)

    def overrides(self) -> dict[str, Any]:
        return {
            f"controls.{k}": getattr(self, k)
            for k in ControlOptions.model_fields
            if getattr(self, k) is not None
        }


def apply_controls(
    expression: np.ndarray, motion: Motion | None, controls: ControlsConfig, fps: int
) -> Animation:
    """The animation for lip-sync ``expression`` (T, 64) and ``motion`` (None: a still head)."""
    out = np.array(expression, dtype=np.float32)  # (T, 64), a copy
    out[:, SCALED] *= controls.expression_scale
    out += controls.emotion_strength * emotion_offsets(controls.emotion)
    np.clip(out, 0.0, 1.0, out=out)
    n = len(out)
    head = np.zeros((n, 3), np.float32)
    gaze = np.zeros((n, 2), np.float32)
    if motion is not None:
        if controls.blink:
            out[:, BLINKS] = np.maximum(out[:, BLINKS], motion.blink[:n, None])
        if not controls.still:
            head = motion.head[:n] * np.float32(controls.head_motion)
        if controls.gaze == "natural":
            gaze = motion.gaze[:n]
    return Animation(out, fps, head=head, gaze=gaze)
