"""A speech gate: the mouth may move only in and next to speech found by the VAD.

A network that has heard little music opens the mouth for a tune; silero's VAD, trained on far
more sound than we can make, does not (on our synthetic music it flags under 1 % of windows).
The gate is 1 inside each speech region, rises along a raised-cosine ramp before it (real
mouths open before the sound) and falls along another after it, and is 0 elsewhere.
"""

from __future__ import annotations

import numpy as np

from ..audio import speech_regions
from ..config import Config


def speech_gate(
    regions: list[tuple[float, float]], num_frames: int, fps: float, open_s: float, close_s: float
) -> np.ndarray:
    """(num_frames,) float32 in [0, 1] for speech ``regions`` in seconds (frame centres sampled)."""
    t = (np.arange(num_frames) + 0.5) / fps  # (T,)
    gate = np.zeros(num_frames, dtype=np.float32)
    for start, end in regions:
        g = np.where((t >= start) & (t <= end), 1.0, 0.0)
        if open_s > 0:
            before = (t < start) & (t > start - open_s)
            g[before] = 0.5 - 0.5 * np.cos(np.pi * (t[before] - (start - open_s)) / open_s)
        if close_s > 0:
            after = (t > end) & (t < end + close_s)
            g[after] = 0.5 + 0.5 * np.cos(np.pi * (t[after] - end) / close_s)
        np.maximum(gate, g, out=gate)
    return gate


def gate_expression(
    audio: np.ndarray, expression: np.ndarray, cfg: Config, regions: list[tuple[float, float]] | None = None
) -> np.ndarray:
    """``expression`` (T, 64) eased to neutral outside the speech in 16 kHz ``audio`` (its VAD
    ``regions`` in seconds, found here when not given)."""
    g = cfg.inference.gate
    regions = speech_regions(audio, cfg.inference.vad) if regions is None else regions
    gate = speech_gate(regions, len(expression), cfg.model.fps, g.open_ms / 1000, g.close_ms / 1000)
    return expression * gate[:, None]  # (T, 64): every shape at 0 is the neutral face
