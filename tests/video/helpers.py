"""Synthetic frames and audio for the MP4 writer tests, and decoding helpers."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

SR = 16000  # Hz, the pipeline's audio rate
FPS = 30


def moving_pattern(n: int, size: int = 64) -> np.ndarray:
    """(n, size, size, 3) uint8: gradients and a square that moves one step per frame."""
    y, x = np.mgrid[0:size, 0:size]
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        frames[i, ..., 0] = (x * 255) // size
        frames[i, ..., 1] = (y * 255) // size
        frames[i, ..., 2] = 80
        left = (2 * i) % (size - 8)
        frames[i, 8:16, left : left + 8] = 255
    return frames


def tone(seconds: float, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def decode_video(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Frame start times in seconds and the frames as (n, H, W, 3) uint8 RGB."""
    with av.open(str(path)) as container:
        decoded = [
            (float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)
        ]
    return np.array([t for t, _ in decoded]), np.stack([f for _, f in decoded])


def decode_audio(path: Path) -> tuple[float, np.ndarray, int]:
    """Start time of the first sample in seconds, the mono samples, and the sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = list(container.decode(stream))
        rate = stream.sample_rate
    start = float(frames[0].pts * frames[0].time_base)
    return start, np.concatenate([f.to_ndarray()[0] for f in frames]), rate
