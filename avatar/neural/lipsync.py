"""The neural network as an expression source, interchangeable with PhoneticLipSync."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Union

import numpy as np

from ..config import Config
from ..lipsync import LipSync, ProgressFn
from ..lipsync.gate import gate_expression
from .model import LipSyncNet, infer

if TYPE_CHECKING:
    from ..onnx.runtime import OnnxLipSync

LipSyncNetwork = Union[LipSyncNet, "OnnxLipSync"]  # backend torch | onnx


class NeuralLipSync:
    """Audio -> 64-d expression with a trained LipSyncNet, in torch or onnxruntime (the transcript
    is not used).

    With ``cfg.inference.gate.enabled`` the result passes the VAD speech gate (lipsync/gate.py).
    """

    def __init__(self, model: LipSyncNetwork, cfg: Config) -> None:
        self.model = model
        # torch goes through infer (chunked, no autograd); the onnxruntime twin has its own
        self._infer = partial(infer, model.eval()) if isinstance(model, LipSyncNet) else model.infer
        self.cfg = cfg

    def __call__(
        self, audio: np.ndarray, text: str | None = None, progress: ProgressFn | None = None
    ) -> LipSync:
        duration = len(audio) / self.cfg.model.sample_rate
        if progress is not None:
            progress(0.0, duration)
        expression = self._infer(audio)
        if self.cfg.inference.gate.enabled:
            expression = gate_expression(audio, expression, self.cfg)
        if progress is not None:
            progress(duration, duration)
        return LipSync(expression, [], "neural")
