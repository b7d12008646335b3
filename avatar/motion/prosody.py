"""Prosody per video frame: what the motion model hears (loudness, pitch, voicing, speaking).

Everything is computed from the cleaned 16 kHz audio (loudness-normalised by prepare_audio, so
levels in dBFS mean the same across recordings) on the video frame clock, causally except for a
half-window of 25 ms, so the same features serve offline and streaming use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio import SAMPLE_RATE, FrameClock, speech_mask, speech_regions
from ..config import Config

WINDOW = 800  # samples: 50 ms analysis window centred on each frame
FLOOR_DBFS, SPAN_DB = -60.0, 40.0  # loudness -60 dBFS -> 0, -20 dBFS (the speech target) -> 1
F0_MIN_HZ, F0_MAX_HZ = 60.0, 400.0
F0_REF_HZ = 140.0  # pitch is in octaves re this (a mid voice), so typical speech sits in [-1, 1]
VOICED_MIN = 0.45  # normalised autocorrelation peak above which a window counts as voiced
ONSET_SMOOTH = 3  # frames: onsets are rises of a 100 ms moving average of loudness
FEATURES = ("loudness", "onset", "pitch", "voiced", "speech", "speech_onset", "speech_offset")
NUM_FEATURES = len(FEATURES)  # 7
BLOCK_FRAMES = 1024  # frames analysed at once (about 34 s)


@dataclass(frozen=True)
class Prosody:
    """(T, NUM_FEATURES) float32 features, columns as FEATURES, at ``fps``."""

    features: np.ndarray
    fps: int

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


def _frames(audio: np.ndarray, first: int, last: int, fps: int) -> np.ndarray:
    """(last - first, WINDOW) windows centred on frames [first, last) (zero-padded at the ends)."""
    centres = ((np.arange(first, last) + 0.5) * SAMPLE_RATE / fps).astype(np.int64)  # (T,)
    lo = max(0, int(centres[0]) - WINDOW // 2) if len(centres) else 0
    hi = min(len(audio), int(centres[-1]) + WINDOW // 2 + 1) if len(centres) else 0
    piece = np.zeros(hi - lo + WINDOW, np.float32)  # audio[lo:hi] with WINDOW // 2 of zeros each side
    piece[WINDOW // 2 : WINDOW // 2 + hi - lo] = audio[lo:hi]
    idx = (centres - lo)[:, None] + np.arange(WINDOW)[None, :]  # (T, WINDOW) into piece
    return piece[np.minimum(idx, len(piece) - 1)]


def _pitch(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(octaves re F0_REF_HZ, voicing strength in [0, 1]) per window, by normalised autocorrelation."""
    x = windows - windows.mean(axis=1, keepdims=True)  # (T, W)
    x *= np.hanning(x.shape[1]).astype(np.float32)
    spec = np.fft.rfft(x, n=2 * x.shape[1], axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : x.shape[1]]  # (T, W)
    energy = ac[:, :1]
    lo, hi = int(SAMPLE_RATE / F0_MAX_HZ), int(SAMPLE_RATE / F0_MIN_HZ)
    seg = ac[:, lo:hi] / np.maximum(energy, 1e-9)  # (T, hi - lo)
    lag = seg.argmax(axis=1) + lo
    strength = np.clip(seg.max(axis=1), 0.0, 1.0)
    octaves = np.log2(SAMPLE_RATE / lag / F0_REF_HZ)
    return octaves.astype(np.float32), strength.astype(np.float32)


def prosody(audio: np.ndarray, cfg: Config, regions: list[tuple[float, float]] | None = None) -> Prosody:
    """Features of 16 kHz mono ``audio`` per video frame; ``regions`` are VAD speech regions
    (seconds; found with silero when not given)."""
    fps = cfg.model.fps
    n = FrameClock(fps=fps, sample_rate=SAMPLE_RATE).num_frames(len(audio))
    out = np.zeros((n, NUM_FEATURES), np.float32)
    if n == 0:
        return Prosody(out, fps)
    rms, pitch, strength = np.zeros(n), np.zeros(n, np.float32), np.zeros(n, np.float32)
    for first in range(0, n, BLOCK_FRAMES):  # in blocks: memory stays flat on long audio
        last = min(n, first + BLOCK_FRAMES)
        windows = _frames(audio, first, last, fps)  # (T', WINDOW)
        rms[first:last] = np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=1))
        pitch[first:last], strength[first:last] = _pitch(windows)
    loudness = np.clip((20 * np.log10(rms + 1e-9) - FLOOR_DBFS) / SPAN_DB, 0.0, 1.2)
    smooth = np.convolve(
        np.pad(loudness, (ONSET_SMOOTH - 1, 0), mode="edge"), np.ones(ONSET_SMOOTH) / 3, "valid"
    )
    onset = np.clip(np.diff(smooth, prepend=smooth[0]) * 5.0, 0.0, 1.0)  # rises only: stressed syllables
    voiced = (strength > VOICED_MIN) & (loudness > 0.3)
    if regions is None:
        regions = speech_regions(audio, cfg.inference.vad)
    speech = speech_mask(regions, n, fps).astype(np.float32)
    edges = np.diff(np.concatenate([[0.0], speech, [0.0]]))
    out[:, 0] = loudness
    out[:, 1] = onset
    out[:, 2] = np.where(voiced, np.clip(pitch, -1.5, 1.5), 0.0)
    out[:, 3] = voiced
    out[:, 4] = speech
    out[:, 5] = edges[:-1] > 0  # the first frame of each speech region
    out[:, 6] = edges[1:] < 0  # the last frame of each speech region
    return Prosody(out, fps)
