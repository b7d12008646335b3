"""Expression model: 50 Hz speech features -> 64-d expression at the video frame rate.

Features are resampled to the centres of the video frames (linear interpolation on the exact
frame clock), then a transformer with bounded look-ahead predicts every channel; a sigmoid
keeps them in [0, 1] as the expression contract requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..expression.channels import EXPRESSION_DIM
from .speech_encoder import FRAME_RATE, CausalConvPosition
from .transformer import Transformer


@dataclass(frozen=True)
class ExpressionDims:
    in_dim: int = 256
    dim: int = 192
    layers: int = 3
    heads: int = 4
    ff: int = 768
    pos_kernel: int = 16
    pos_groups: int = 16
    lookahead: int = 2  # frames (67 ms at 30 fps); 182 ms in all with the encoder (model.py)
    context: int = 30  # frames (1 s) each layer sees behind
    fps: int = 30
    dropout: float = 0.1


def resample_frames(features: torch.Tensor, num_frames: int, fps: int) -> torch.Tensor:
    """(B, T50, D) features at 50 Hz -> (B, num_frames, D) at the centres of ``fps`` video frames."""
    t50 = features.shape[1]
    centers = (torch.arange(num_frames, device=features.device) + 0.5) / fps  # seconds
    pos = (centers * FRAME_RATE - 0.5).clamp(0, t50 - 1)  # in feature frames (centre of frame j: j + 0.5)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=t50 - 1)
    frac = (pos - lo).to(features.dtype)[None, :, None]  # float16 stays float16 (precision: fp16)
    return features[:, lo] * (1 - frac) + features[:, hi] * frac


class ExpressionModel(nn.Module):
    def __init__(self, dims: ExpressionDims) -> None:
        super().__init__()
        self.dims = dims
        self.project = nn.Linear(dims.in_dim, dims.dim)
        self.position = CausalConvPosition(dims.dim, dims.pos_kernel, dims.pos_groups)
        self.transformer = Transformer(
            dims.dim, dims.layers, dims.heads, dims.ff, dims.lookahead, dims.context, dims.dropout
        )
        self.head = nn.Linear(dims.dim, EXPRESSION_DIM)

    def forward(self, features: torch.Tensor, num_frames: int) -> torch.Tensor:
        """(B, T50, in_dim) -> logits (B, num_frames, 64); ``torch.sigmoid`` gives the expression."""
        x = resample_frames(features, num_frames, self.dims.fps)
        x = self.transformer(self.position(self.project(x)))
        return self.head(x)
