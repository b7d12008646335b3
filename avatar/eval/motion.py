"""Motion statistics of an animation: blinks, jitter and head motion.

Blinks are runs of frames where the mean of eyeBlinkLeft/Right exceeds BLINK_THRESHOLD; a blink
still in progress at either end of the clip counts, its duration is what is visible. Jitter
is the mean absolute second difference per frame (it grows with frame-to-frame noise and is
near zero for smooth motion); head amplitude is the standard deviation of each angle.
"""

from __future__ import annotations

import numpy as np

from ..animation import Animation
from ..expression.channels import CHANNEL_INDEX, NUM_ARKIT

BLINK_THRESHOLD = 0.5  # eyelids more than half closed


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame index pairs of the True runs in a boolean array (end exclusive)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def jitter(curves: np.ndarray) -> float:
    """Mean |second difference| over frames and channels of (T, C) curves; 0 for T < 3."""
    curves = np.asarray(curves, np.float64)
    return float(np.abs(np.diff(curves, n=2, axis=0)).mean()) if len(curves) >= 3 else 0.0


def motion_stats(anim: Animation) -> dict[str, float | list[float]]:
    """Blink rate and durations, jitter per channel family and head-motion amplitude."""
    blink = 0.5 * (
        anim.expression[:, CHANNEL_INDEX["eyeBlinkLeft"]] + anim.expression[:, CHANNEL_INDEX["eyeBlinkRight"]]
    )
    runs = _runs(blink > BLINK_THRESHOLD)
    minutes = anim.duration / 60.0
    return {
        "blinks": len(runs),
        "blinks_per_minute": len(runs) / minutes if minutes > 0 else 0.0,
        "blink_durations_ms": [round(1000.0 * (end - start) / anim.fps, 1) for start, end in runs],
        "jitter_blendshapes": jitter(anim.expression[:, :NUM_ARKIT]),
        "jitter_articulators": jitter(anim.expression[:, NUM_ARKIT:]),
        "jitter_head_deg": jitter(anim.head),
        "jitter_gaze_deg": jitter(anim.gaze),
        "head_std_deg": [round(float(v), 3) for v in anim.head.std(axis=0)],  # pitch, yaw, roll
    }
