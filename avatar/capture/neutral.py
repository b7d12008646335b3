"""The person's neutral: the most relaxed closed-mouth frame with open eyes."""

from __future__ import annotations

import numpy as np

from ..portrait.facemesh import eye_distance, eyes_open, inner_lip_gap

MOUTH_CORNERS = (61, 291)
WIDTH_TOLERANCE = 0.04  # a relaxed mouth is within 4 % of the clip's typical width


def mouth_width(lm: np.ndarray) -> float:
    """Distance between the mouth corners over the outer-eye distance."""
    a, b = MOUTH_CORNERS
    return float(np.linalg.norm(lm[a, :2] - lm[b, :2])) / max(eye_distance(lm), 1e-6)


def neutral_index(faces: list[np.ndarray | None]) -> int:
    """Index of the frame with the smallest inner-lip gap among the relaxed ones: eyes open (at
    least 80 % of the clip's typical eye aspect ratio) and the mouth neither puckered nor smiling
    (its width within 4 % of the clip's median). Frames without a face are skipped."""
    found = [i for i, lm in enumerate(faces) if lm is not None]
    gaps = np.array([inner_lip_gap(faces[i]) for i in found])
    ears = np.array([eyes_open(faces[i]) for i in found])
    widths = np.array([mouth_width(faces[i]) for i in found])
    relaxed = (ears >= 0.8 * np.median(ears)) & (np.abs(widths / np.median(widths) - 1.0) <= WIDTH_TOLERANCE)
    if not relaxed.any():  # a clip that never relaxes: the least open mouth will do
        relaxed[:] = True
    return found[int(np.argmin(np.where(relaxed, gaps, np.inf)))]
