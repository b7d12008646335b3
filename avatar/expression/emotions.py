"""Emotion presets: ARKit offsets added on top of the lip-sync.

Each preset raises brows, cheeks, eyes and mouth corners only (FACS-style prototypes after
Ekman & Friesen's Facial Action Coding System: happy = AU6+12, sad = AU1+4+15, angry = AU4+5+7+
23, surprised = AU1+2+5). None touches jawOpen, mouthClose, lipSeal or the timed articulators,
so lip closures and the jaw's timing stay exactly as the lip-sync made them.
"""

from __future__ import annotations

import numpy as np

from .channels import channel_vector

_PRESETS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {
        "mouthSmileLeft": 0.5, "mouthSmileRight": 0.5, "cheekSquintLeft": 0.35, "cheekSquintRight": 0.35,
        "eyeSquintLeft": 0.2, "eyeSquintRight": 0.2,
    },
    "sad": {
        "browInnerUp": 0.55, "browDownLeft": 0.15, "browDownRight": 0.15,
        "mouthFrownLeft": 0.4, "mouthFrownRight": 0.4, "mouthShrugLower": 0.2,
    },
    "angry": {
        "browDownLeft": 0.65, "browDownRight": 0.65, "eyeSquintLeft": 0.3, "eyeSquintRight": 0.3,
        "noseSneerLeft": 0.3, "noseSneerRight": 0.3, "mouthPressLeft": 0.25, "mouthPressRight": 0.25,
    },
    "surprised": {
        "browInnerUp": 0.6, "browOuterUpLeft": 0.6, "browOuterUpRight": 0.6,
        "eyeWideLeft": 0.5, "eyeWideRight": 0.5,
    },
}  # fmt: skip
EMOTIONS: tuple[str, ...] = tuple(_PRESETS)


def emotion_offsets(name: str) -> np.ndarray:
    """(64,) offsets of emotion ``name`` (one of EMOTIONS) at full strength."""
    return channel_vector(_PRESETS[name])


def check_emotion(name: str) -> str:
    """``name`` if it is one of EMOTIONS; ValueError naming the choices otherwise (for validators)."""
    if name not in EMOTIONS:
        raise ValueError(f"unknown emotion {name!r}: choose from {', '.join(EMOTIONS)}")
    return name
