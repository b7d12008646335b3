"""The viseme a frame shows, from its phones: the label that viseme agreement is counted on."""

from __future__ import annotations

import numpy as np

from ..lipsync.animator import frame_centers
from ..lipsync.phones import SILENCE, Phone
from ..lipsync.visemes import PHONE_VISEME, TRANSPARENT, VISEME_INDEX


def viseme_track(phones: list[Phone], num_frames: int, fps: int, lead_ms: float = 0.0) -> np.ndarray:
    """(num_frames,) viseme index per frame (``VISEMES`` order), the label a frame shows."""
    times = frame_centers(num_frames, fps) + lead_ms / 1000.0
    labels = np.zeros(num_frames, dtype=np.int64)
    for i, p in enumerate(phones):
        name = p.name
        if name in TRANSPARENT:  # a transparent phone (h) shows the next phone's viseme
            name = next((q.name for q in phones[i + 1 :] if q.name not in TRANSPARENT), SILENCE)
        labels[(times >= p.start) & (times < p.end)] = VISEME_INDEX[PHONE_VISEME[name][0]]
    return labels
