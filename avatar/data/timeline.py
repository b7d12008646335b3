"""Splicing non-speech into an utterance: the audio grows and every later phone moves with it.

An inserted stretch is labelled silence (it lands inside a pause, or before or after the
speech), so the animator keeps the mouth shut there whatever the stretch sounds like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..audio import SAMPLE_RATE
from ..lipsync.phones import SILENCE, Phone, fill_silence


@dataclass(frozen=True)
class Insert:
    """A non-speech stretch in the final audio: samples [start, end), RMS relative to the speech."""

    kind: str  # 'silence', 'breath', 'noise' or 'music'
    start: int
    end: int
    level_db: float | None  # None for silence

    def as_dict(self) -> dict:
        return asdict(self)


def splice(
    audio: np.ndarray, phones: list[Phone], at: int, segment: np.ndarray
) -> tuple[np.ndarray, list[Phone]]:
    """Insert ``segment`` before sample ``at``; phones from ``at`` on move later by its length.

    A phone spanning ``at`` is stretched over the segment, so ``at`` should be in a pause.
    """
    t, shift = at / SAMPLE_RATE, len(segment) / SAMPLE_RATE
    moved = [
        Phone(p.name, p.start + shift if p.start >= t else p.start, p.end + shift if p.end > t else p.end)
        for p in phones
    ]
    out = np.concatenate([audio[:at], segment.astype(np.float32), audio[at:]])
    return out, fill_silence(moved, len(out) / SAMPLE_RATE)


def pauses(phones: list[Phone], min_s: float) -> list[Phone]:
    """Silences of at least ``min_s`` between the first and the last sounding phone."""
    sounding = [i for i, p in enumerate(phones) if p.name != SILENCE]
    if not sounding:
        return []
    inner = phones[sounding[0] + 1 : sounding[-1]]
    return [p for p in inner if p.name == SILENCE and p.duration >= min_s]


def speech_mask(phones: list[Phone], num_samples: int) -> np.ndarray:
    """True on the samples of sounding (non-silence) phones."""
    mask = np.zeros(num_samples, dtype=bool)
    for p in phones:
        if p.name != SILENCE:
            mask[round(p.start * SAMPLE_RATE) : round(p.end * SAMPLE_RATE)] = True
    return mask
