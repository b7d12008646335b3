"""The person's neutral: a still, relaxed, closed-mouth frame with open eyes."""

from __future__ import annotations

import numpy as np

from ..portrait.facemesh import eye_distance, eyes_open, inner_lip_gap, mouth_width
from ..render import topology as topo

WIDTH_TOLERANCE = 0.04  # a relaxed mouth is within 4 % of the clip's typical width
# Lip movement per frame weighs three times an inner-lip gap: a speech closure on its way between
# sounds can be 0.01 eye distances tighter than rest, and it moves 0.01 a frame doing so.
STILLNESS = 3.0
LIPS = list(topo.LIPS_UPPER_OUTER + topo.LIPS_LOWER_OUTER + topo.LIPS_UPPER_INNER + topo.LIPS_LOWER_INNER)


def lip_speed(faces: list[np.ndarray | None], i: int) -> float:
    """Mean movement of the lip points per frame around frame ``i``, in eye distances (0 with no
    neighbour): speech closes the lips for a frame or two on the way to the next sound, a face at
    rest holds them still."""
    here = faces[i]
    steps = [
        np.linalg.norm(other[LIPS, :2] - here[LIPS, :2], axis=1).mean() / abs(j - i)
        for j in (i - 1, i + 1)
        if 0 <= j < len(faces) and (other := faces[j]) is not None
    ]
    return float(np.mean(steps)) / max(eye_distance(here), 1e-6) if steps else 0.0


def neutral_index(faces: list[np.ndarray | None]) -> int:
    """Index of the relaxed frame with the least inner-lip gap plus STILLNESS x lip movement. Relaxed: eyes
    open (at least 80 % of the clip's typical eye aspect ratio) and the mouth neither puckered nor
    smiling (its width within 4 % of the clip's median). Frames without a face are skipped."""
    found = [i for i, lm in enumerate(faces) if lm is not None]
    gaps = np.array([inner_lip_gap(faces[i]) for i in found])
    speeds = np.array([lip_speed(faces, i) for i in found])
    ears = np.array([eyes_open(faces[i]) for i in found])
    widths = np.array([mouth_width(faces[i]) for i in found])
    relaxed = (ears >= 0.8 * np.median(ears)) & (np.abs(widths / np.median(widths) - 1.0) <= WIDTH_TOLERANCE)
    if not relaxed.any():  # a clip that never relaxes: the least open mouth will do
        relaxed[:] = True
    return found[int(np.argmin(np.where(relaxed, gaps + STILLNESS * speeds, np.inf)))]
