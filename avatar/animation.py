"""The animation a pipeline run produces: expression curves plus head and eye angles per frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .expression.channels import EXPRESSION_DIM


@dataclass
class Animation:
    """Per-frame face animation at ``fps``.

    ``expression``: (T, 64) in [0, 1], channels as in ``avatar.expression.CHANNELS``.
    ``head``: (T, 3) head pitch, yaw, roll in degrees (zeros until the motion model drives it).
    ``gaze``: (T, 2) eye yaw (x, + = subject's left) and pitch (y, + = up) in degrees.
    ``face_found``: (T,) bool, set by capture: whether the video showed a face at that frame
    (None for animations made from speech).
    ``confidence``: (T,) in [0, 1], set by capture: how well the fitted face explains the tracked
    one (0 where no face was found; None for animations made from speech).
    """

    expression: np.ndarray
    fps: int
    head: np.ndarray = field(default=None)  # type: ignore[assignment]
    gaze: np.ndarray = field(default=None)  # type: ignore[assignment]
    face_found: np.ndarray | None = None
    confidence: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.expression = np.asarray(self.expression, dtype=np.float32)
        if self.expression.ndim != 2 or self.expression.shape[1] != EXPRESSION_DIM:
            raise ValueError(f"expression must be (T, {EXPRESSION_DIM}), got {self.expression.shape}")
        n = len(self.expression)
        self.head = np.zeros((n, 3), np.float32) if self.head is None else np.asarray(self.head, np.float32)
        self.gaze = np.zeros((n, 2), np.float32) if self.gaze is None else np.asarray(self.gaze, np.float32)
        if self.head.shape != (n, 3) or self.gaze.shape != (n, 2):
            raise ValueError(f"head must be ({n}, 3) and gaze ({n}, 2)")
        if self.face_found is not None:
            self.face_found = np.asarray(self.face_found, bool)
            if self.face_found.shape != (n,):
                raise ValueError(f"face_found must be ({n},)")
        if self.confidence is not None:
            self.confidence = np.asarray(self.confidence, np.float32)
            if self.confidence.shape != (n,):
                raise ValueError(f"confidence must be ({n},)")

    @property
    def num_frames(self) -> int:
        return len(self.expression)

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps
