"""The learned mouth's network: a small U-Net from per-cell mouth features to colour and coverage.

It runs on a fixed grid of cells laid over the mouth in eye-distance units (see
learned_mouth.py), so one set of weights serves 256^2 and 512^2 renders alike. Three levels
(full, 1/2, 1/4 of the grid) give the cells a receptive field of about half the mouth's width,
enough to place teeth under the upper lip and shade the cavity, for about 30 MMAC a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class MouthDims:
    """Architecture of a MouthNet; stored in its checkpoint."""

    in_channels: int = 26  # learned_mouth.NUM_FEATURES
    grid_h: int = 40  # cells across the mouth box (learned_mouth.NET_BOX), rows
    grid_w: int = 64  # and columns: 1.3 px a cell at 256^2
    width: tuple[int, int, int] = (12, 24, 32)  # channels at 1, 1/2 and 1/4 of the grid
    ring: float = 0.05  # IOD past the lips' inner edge the network may repaint (then as much feathered)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MouthDims:
        return cls(**{**d, "width": tuple(d["width"])})


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class MouthNet(nn.Module):
    """(B, in_channels, H, W) features -> (B, 4, H, W): RGB in [0, 1] and coverage logits."""

    def __init__(self, dims: MouthDims) -> None:
        super().__init__()
        if dims.grid_h % 4 or dims.grid_w % 4:
            raise ValueError(f"the grid must be a multiple of 4 cells, got {dims.grid_h}x{dims.grid_w}")
        self.dims = dims
        c1, c2, c3 = dims.width
        self.stem = nn.Conv2d(dims.in_channels, c1, 1)
        self.enc1 = _conv(c1, c1)
        self.down2, self.enc2 = _conv(c1, c2, 2), _conv(c2, c2)
        self.down3, self.enc3 = _conv(c2, c3, 2), _conv(c3, c3)
        self.dec2 = _conv(c3 + c2, c2)
        self.dec1 = _conv(c2 + c1, c1)
        self.head = nn.Conv2d(c1, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, F, H, W) -> (B, 4, H, W)."""
        e1 = F.relu(self.enc1(F.relu(self.stem(x))))  # (B, c1, H, W)
        e2 = F.relu(self.enc2(F.relu(self.down2(e1))))  # (B, c2, H/2, W/2)
        e3 = F.relu(self.enc3(F.relu(self.down3(e2))))  # (B, c3, H/4, W/4)
        d2 = F.relu(self.dec2(torch.cat([F.interpolate(e3, scale_factor=2.0), e2], 1)))
        d1 = F.relu(self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0), e1], 1)))
        out = self.head(d1)  # (B, 4, H, W)
        return torch.cat([torch.sigmoid(out[:, :3]), out[:, 3:]], 1)
