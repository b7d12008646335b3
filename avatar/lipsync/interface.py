"""The lip-sync contract: what every path (phonetic, neural) is called with and returns.

A path is any callable ``(audio, text=None, progress=None) -> LipSync``: 16 kHz mono float32
audio, its transcript if known, and an optional progress callback; the result holds one row of
the 64-d expression per video frame (the config's ``model.fps``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .phones import Phone

ProgressFn = Callable[[float, float], None]  # (seconds of audio processed so far, total)


@dataclass
class LipSync:
    """What a lip-sync path returns: (T, 64) expression and how it was obtained."""

    expression: np.ndarray
    phones: list[Phone]
    method: str  # "forced-alignment" | "phone-recognition" | "neural"


class ExpressionSource(Protocol):
    """Anything that turns 16 kHz audio (+ optional transcript) into a LipSync, like PhoneticLipSync."""

    def __call__(
        self, audio: np.ndarray, text: str | None = None, progress: ProgressFn | None = None
    ) -> LipSync: ...
