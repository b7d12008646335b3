"""The motion network: an MLP over a window of prosody and noise -> head pose, gaze, blink timing.

For each frame t it sees frames t - past ... t + future (future = 4: 133 ms, inside the lip-sync's
look-ahead, so it streams) of the prosody features and the seeded noise, and predicts:

- head pitch, yaw, roll in degrees (regression on the generator's head motion);
- the log-odds that the eyes are off the camera (the generator's gaze state);
- the log-odds that a blink starts on this frame (the generator's blink onsets).

What is learned and what is drawn: the network learns how prosody shapes motion - nods on
stressed syllables, turns at phrase starts, the head following pitch, more gaze aversion while
speaking, blinks at phrase ends. The randomness is drawn, seeded, at run time (``sample``): the
noise processes it is fed, whether a blink starts given its probability, each blink's
duration, when the gaze moves given the predicted aversion and where it lands. The generator
that taught it (motion/generator.py) documents the published statistics behind every rule.
Its checkpoints are saved and loaded by avatar/models.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .generator import NUM_NOISE
from .prosody import NUM_FEATURES

OUTPUTS = ("pitch", "yaw", "roll", "averted", "blink")  # per frame
HEAD_SCALE_DEG = 5.0  # the network predicts angles / 5 (unit-scale targets train better)


@dataclass(frozen=True)
class MotionDims:
    features: int = NUM_FEATURES
    noise: int = NUM_NOISE
    past: int = 36  # frames of context before t (1.2 s: a whole phrase-start turn)
    future: int = 4  # frames after t: the look-ahead (133 ms at 30 fps)
    hidden: int = 128
    dropout: float = 0.1  # the gaze and blink targets are random draws: without it the net memorises them

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MotionDims:
        return cls(**d)


class MotionNet(nn.Module):
    """Per-frame MLP on a (past + 1 + future)-frame window, written as convolutions."""

    def __init__(self, dims: MotionDims) -> None:
        super().__init__()
        self.dims = dims
        width = dims.past + 1 + dims.future
        self.net = nn.Sequential(
            nn.Conv1d(dims.features + dims.noise, dims.hidden, width),  # layer 1 sees the window
            nn.GELU(),
            nn.Dropout(dims.dropout),
            nn.Conv1d(dims.hidden, dims.hidden, 1),
            nn.GELU(),
            nn.Dropout(dims.dropout),
            nn.Conv1d(dims.hidden, len(OUTPUTS), 1),
        )

    def forward(self, features: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """(B, T, F) prosody and (B, T, N) noise -> (B, T, 5) raw outputs (angles / HEAD_SCALE_DEG,
        then two logits)."""
        x = torch.cat([features, noise], dim=-1).transpose(1, 2)  # (B, F + N, T)
        # Before the clip: silence and zero noise; after it: the same (the stream's end is quiet).
        x = nn.functional.pad(x, (self.dims.past, self.dims.future))  # (B, F + N, past + T + future)
        return self.net(x).transpose(1, 2)  # (B, T, 5)


@torch.no_grad()
def predict(model: MotionNet, features: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
    """Head angles (T, 3) in degrees and the per-frame aversion and blink-onset probabilities."""
    out = model(torch.from_numpy(features)[None].float(), torch.from_numpy(noise)[None].float())[0]
    return {
        "head": (out[:, :3] * HEAD_SCALE_DEG).numpy(),
        "averted": torch.sigmoid(out[:, 3]).numpy(),
        "blink": torch.sigmoid(out[:, 4]).numpy(),
    }
