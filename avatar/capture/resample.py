"""Per-video-frame values on the video's own timestamps -> the project's 30 fps clock."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..audio.clock import FPS


def output_times(times: np.ndarray, fps: int = FPS) -> np.ndarray:
    """The 30 fps frame times covering the video: from its first frame to its last frame's end."""
    start = times[0]
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0 / fps
    duration = times[-1] - start + step
    return start + np.arange(max(round(duration * fps), 1)) / fps


STEADY = 0.7  # frames: the light temporal prior, a Gaussian that halves the face mesh jitter


def smooth_runs(values: np.ndarray, found: np.ndarray, sigma: float = STEADY) -> np.ndarray:
    """(T, C) per-frame values smoothed over time by a Gaussian of ``sigma`` frames, within each
    run of frames where a face was ``found`` (a face lost and found again starts afresh)."""
    out = values.copy()
    edges = np.flatnonzero(np.diff(np.r_[0, found.astype(np.int8), 0]))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        out[start:end] = gaussian_filter1d(values[start:end], sigma, axis=0, mode="nearest")
    return out


def resample(times: np.ndarray, values: np.ndarray, found: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(T, C) values at ``times`` -> (K, C) at ``grid``, interpolated from the frames where a
    face was ``found`` only: gaps are bridged linearly and held at either end."""
    t, v = times[found], values[found]
    return np.stack([np.interp(grid, t, v[:, c]) for c in range(values.shape[1])], axis=1)


def nearest_flags(times: np.ndarray, found: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(K,) bool: whether the video frame showing at each grid time held a face."""
    idx = np.clip(np.searchsorted(times, grid + 1e-6, side="right") - 1, 0, len(times) - 1)
    return found[idx]
