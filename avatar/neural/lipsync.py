"""The neural network as an expression source, interchangeable with PhoneticLipSync."""

from __future__ import annotations

import numpy as np

from ..lipsync import LipSync
from ..lipsync.phonetic import ProgressFn
from .model import LipSyncNet, infer


class NeuralLipSync:
    """Audio -> 64-d expression with a trained LipSyncNet (the transcript is not used)."""

    def __init__(self, model: LipSyncNet) -> None:
        self.model = model.eval()

    def __call__(
        self, audio: np.ndarray, text: str | None = None, progress: ProgressFn | None = None
    ) -> LipSync:
        duration = len(audio) / 16000
        if progress is not None:
            progress(0.0, duration)
        expression = infer(self.model, audio)
        if progress is not None:
            progress(duration, duration)
        return LipSync(expression, [], "neural")
