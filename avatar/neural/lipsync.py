"""The neural network as an expression source, interchangeable with PhoneticLipSync.

The network runs at the frame rate it was trained at (``dims.expression.fps``, 30 for the
shipped weights), whatever ``model.fps`` says: its attention context and look-ahead are counted
in frames, so fed another frame clock it would see more or less time than it learned from. Its
curves are then resampled (``retime``) onto the configured clock, so that a clip gives the
phonetic path's frame count and the same curves at the same times.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Union

import numpy as np

from ..audio import SAMPLE_RATE, FrameClock
from ..config import Config
from ..lipsync import LipSync, ProgressFn
from ..lipsync.gate import gate_expression
from .model import LipSyncNet, infer

if TYPE_CHECKING:
    from ..onnx.runtime import OnnxLipSync

LipSyncNetwork = Union[LipSyncNet, "OnnxLipSync"]  # backend torch | onnx


def retime(curves: np.ndarray, fps: int, to_fps: int, num_frames: int) -> np.ndarray:
    """(T, C) curves at ``fps`` -> (num_frames, C) at ``to_fps``.

    Both clocks are sampled at frame centres, (i + 0.5) / fps, as the network and the phonetic
    animator sample them; values between two centres are interpolated linearly, and frames
    before the first or after the last centre hold its value. The curves come back unchanged on
    their own clock. Linear interpolation keeps every value within its neighbours' range (the
    [0, 1] contract holds); it does not low-pass first, so far below the network's rate a short
    closure may fall between two frames.
    """
    if fps == to_fps and len(curves) == num_frames:
        return curves
    pos = ((np.arange(num_frames) + 0.5) * fps / to_fps - 0.5).clip(0, len(curves) - 1)  # in source frames
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(curves) - 1)
    frac = (pos - lo).astype(curves.dtype)[:, None]
    return curves[lo] * (1 - frac) + curves[hi] * frac  # (num_frames, C)


class NeuralLipSync:
    """Audio -> 64-d expression with a trained LipSyncNet, in torch or onnxruntime (the transcript
    is not used), on the configured frame clock (module docstring).

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
        duration = len(audio) / SAMPLE_RATE
        if progress is not None:
            progress(0.0, duration)
        fps = self.cfg.model.fps
        num_frames = FrameClock(fps, SAMPLE_RATE).num_frames(len(audio))
        expression = retime(self._infer(audio), self.model.dims.expression.fps, fps, num_frames)
        if self.cfg.inference.gate.enabled:
            expression = gate_expression(audio, expression, self.cfg)
        if progress is not None:
            progress(duration, duration)
        return LipSync(expression, [], "neural")
