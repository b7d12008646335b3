"""The user's controls: lip-sync + motion -> the animation (head motion, blinks, gaze, emotion).

Expression scale multiplies the lip-sync's mouth shapes but never lipSeal or the timed
articulators, so closures stay closures; an emotion adds its offsets (expression/emotions.py),
which leave the jaw and the lip closures alone; blinks go into the ARKit eyeBlink channels.
"""

from __future__ import annotations

import numpy as np

from ..animation import Animation
from ..config import ControlsConfig
from ..expression.channels import CHANNEL_INDEX
from ..expression.emotions import emotion_offsets
from ..lipsync.visemes import ANIMATED_CHANNELS
from .sampler import Motion

_KEEP = [CHANNEL_INDEX[n] for n in ("lipSeal", "plosiveRelease", "voicing")]
SCALED = ANIMATED_CHANNELS.copy()
SCALED[_KEEP] = False  # (64,) the shapes expression_scale multiplies
BLINKS = [CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"]]


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
