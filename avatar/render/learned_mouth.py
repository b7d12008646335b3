"""The learned mouth layer: the opening between the lips drawn by a network trained on real faces.

The procedural layer (mouth.py) paints a cavity, teeth and tongue from rules; this one asks a
MouthNet (mouth_net.py) for the colour of every cell of a grid laid over the mouth, in the
avatar's eye-distance units so that 256^2 and 512^2 share the weights. Each cell is told where it
lies against the deformed lips (across and along the opening, how wide it is), where it lies on
the face (the upper teeth are fixed to the skull), the mouth channels that shaped the lips, the
photo's colour there after the warp, and the photo's lip and skin colours: the person's own
colours and light. The network's colour is upsampled to the render's pixels and composited
inside the opening, and, where the network asks for it, in a feathered ring just past the lips'
inner edge, so no seam shows. Nothing changes while the lips touch, so neutral parameters still
reproduce the photo and closures stay closed. A photo's own open mouth is kept where it lands.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..expression.channels import CHANNEL_INDEX
from . import topology as topo
from .mouth import mouth_opening
from .mouth_net import MouthNet

NET_BOX = (0.6, 0.2, 0.6)  # cells cover half-width, up, down (IOD) around the neutral mouth centre
# Mouth channels the cells are told, as the offset from the photo's own (pairs: mean of the sides).
# Capture measures these on real faces; the teeth and tongue articulators it cannot see, so the
# network never learned them: they shape the opening through the lips only.
CONDITION = (
    ("jawOpen",), ("mouthClose",), ("mouthFunnel",), ("mouthPucker",),
    ("mouthSmileLeft", "mouthSmileRight"), ("mouthStretchLeft", "mouthStretchRight"),
    ("mouthUpperUpLeft", "mouthUpperUpRight"), ("mouthLowerDownLeft", "mouthLowerDownRight"),
    ("mouthRollLower",), ("mouthRollUpper",),
)  # fmt: skip
# warped RGB, opening, below upper / above lower lip, gap, along, cell position, channels, photo
NUM_FEATURES = 3 + 1 + 2 + 1 + 1 + 2 + len(CONDITION) + 6
GEOMETRY_SCALE = 4.0  # eye distances -> feature units: an open mouth spans about 1


def skin_rgb(image: np.ndarray, lm: np.ndarray, box: tuple[int, ...]) -> np.ndarray:
    """(3,) median colour in [0, 1] of the skin around the mouth: ``box`` (y0, y1, x0, x1) of
    ``image`` (S, S, 3) uint8 without the lips (outer contour of ``lm``, render pixels)."""
    y0, y1, x0, x1 = box
    lips = np.zeros(image.shape[:2], np.uint8)
    outer = np.concatenate([lm[list(topo.LIPS_UPPER_OUTER), :2], lm[list(topo.LIPS_LOWER_OUTER[::-1]), :2]])
    cv2.fillPoly(lips, [np.round(outer).astype(np.int32)], 1)
    lips = cv2.dilate(lips, np.ones((5, 5), np.uint8))
    keep = lips[y0:y1, x0:x1] == 0
    pixels = image[y0:y1, x0:x1][keep]
    return np.median(pixels, axis=0) / 255.0 if len(pixels) else np.full(3, 0.5)


def _cell_centres(center: np.ndarray, iod: float, grid_h: int, grid_w: int) -> np.ndarray:
    """(grid_h * grid_w, 2) x, y of the cells' centres, row by row, in the renderer's pixels."""
    half, up, down = NET_BOX
    xs = center[0] + (-half + (np.arange(grid_w) + 0.5) * (2 * half / grid_w)) * iod
    ys = center[1] + (-up + (np.arange(grid_h) + 0.5) * ((up + down) / grid_h)) * iod
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], -1)


def _normalised(values: np.ndarray, first: float, count: int) -> np.ndarray:
    """Positions -> grid_sample units (align_corners=True) on ``count`` samples from ``first``."""
    return 2.0 * (values - first) / max(count - 1, 1) - 1.0


class LearnedMouth(nn.Module):
    """One avatar's learned mouth layer at one render size, around a shared MouthNet.

    ``lm`` (478, 3) are the photo's landmarks in render pixels, ``box`` the renderer's mouth box
    (y0, y1, x0, x1), ``center`` the neutral mouth centre, ``lip_rgb`` and ``skin`` (3,) the
    photo's colours in [0, 1], ``neutral`` (64,) the expression the photo shows and
    ``own_mouth`` (S, S) the photo's own open mouth (render pixels): the ring stays off its lips.
    """

    def __init__(
        self,
        net: MouthNet,
        box: tuple[int, ...],
        center: np.ndarray,
        iod: float,
        lip_rgb: torch.Tensor,
        skin: np.ndarray,
        neutral: torch.Tensor,
        own_mouth: np.ndarray,
    ) -> None:
        super().__init__()
        self.net = net
        gh, gw = net.dims.grid_h, net.dims.grid_w
        y0, y1, x0, x1 = box
        self.iod, self.grid_hw, self.box_origin = float(iod), (gh, gw), (y0, x0)
        cells = _cell_centres(center, iod, gh, gw)
        self.register_buffer("cells", torch.from_numpy(cells).float())  # (G, 2)
        sample = np.stack([_normalised(cells[:, 0], x0, x1 - x0), _normalised(cells[:, 1], y0, y1 - y0)], -1)
        self.register_buffer("sample_grid", torch.from_numpy(sample).float().view(1, gh, gw, 2))
        # every box pixel's position on the cell grid, for upsampling the network's colours
        step_x, step_y = (cells[1, 0] - cells[0, 0]), (cells[gw, 1] - cells[0, 1])
        bx = (np.arange(x0, x1) - cells[0, 0]) / step_x
        by = (np.arange(y0, y1) - cells[0, 1]) / step_y
        ux, uy = np.meshgrid(_normalised(bx, 0, gw), _normalised(by, 0, gh))
        self.register_buffer("up_grid", torch.from_numpy(np.stack([ux, uy], -1)).float()[None])
        pos = (cells - center) / iod * 2.0  # (G, 2)
        self.register_buffer("position", torch.from_numpy(pos.T.copy()).float().view(1, 2, gh, gw))
        photo = torch.cat([lip_rgb.float(), torch.as_tensor(skin, dtype=torch.float32)]) - 0.5
        self.register_buffer("photo", photo.view(1, 6, 1, 1))
        self.register_buffer("neutral", neutral.clone())
        self.ring_iod = net.dims.ring
        grow = 2 * round(2 * self.ring_iod * iod) + 1
        own = cv2.dilate(own_mouth.astype(np.float32), np.ones((grow, grow), np.uint8))[y0:y1, x0:x1]
        self.register_buffer("own_grown", torch.from_numpy(own)[None, None])  # (1, 1, h, w)
        self.condition = [[CHANNEL_INDEX[name] for name in names] for names in CONDITION]

    def features(
        self, region: torch.Tensor, pts: torch.Tensor, expression: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, h, w) warped mouth box, (B, P, 2) deformed landmarks, (B, 64) -> the cells'
        features (B, F, gh, gw) and the ring (B, 1, gh, gw): the opening grown by the net's ring and
        feathered over as much again, zero where the lips touch."""
        b = region.shape[0]
        gh, gw = self.grid_hw
        rgb = F.grid_sample(region, self.sample_grid.expand(b, -1, -1, -1), align_corners=True) - 0.5
        mask, o, along = mouth_opening(self.cells, pts)  # (B, G) each
        s = GEOMETRY_SCALE / self.iod
        geometry = torch.stack(
            [
                mask,
                ((o.n - o.n_up) * s).clamp(-2.0, 2.0),
                ((o.n_low - o.n) * s).clamp(-2.0, 2.0),
                ((o.n_low - o.n_up) * s).clamp(0.0, 2.0),
                along.clamp(-1.5, 1.5),
            ],
            1,
        ).view(b, 5, gh, gw)
        r = self.ring_iod * self.iod
        grown = torch.sigmoid((o.n - o.n_up + r) * (4.0 / r)) * torch.sigmoid((o.n_low - o.n + r) * (4.0 / r))
        ring = (
            grown
            * (o.n_low - o.n_up).clamp(0.0, 1.0)
            * torch.sigmoid((1.0 + self.ring_iod - along.abs()) * 40.0)
        )
        w = expression - self.neutral  # (B, 64): what moved the lips from the photo
        channels = torch.stack([w[:, idx].mean(-1) for idx in self.condition], 1)  # (B, C)
        feats = torch.cat(
            [
                rgb,
                geometry,
                self.position.expand(b, -1, -1, -1),
                channels[:, :, None, None].expand(-1, -1, gh, gw),
                self.photo.expand(b, -1, gh, gw),
            ],
            1,
        )
        return feats, ring.view(b, 1, gh, gw)

    def forward(
        self,
        region: torch.Tensor,
        pts: torch.Tensor,
        expression: torch.Tensor,
        mask: torch.Tensor,
        own: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Composite the mouth into ``region`` (B, 3, h, w), the warped box; ``mask`` (B, 1, h, w) is
        the opening, ``own`` (B, 1, h, w) where the photo's own open mouth lands. Returns the
        composited box and the ring (B, 1, h, w) the network may touch (the training loss's weight)."""
        feats, ring = self.features(region, pts, expression)
        # channels-last runs the convolutions a quarter faster on CPUs (same numbers)
        out = self.net(feats.contiguous(memory_format=torch.channels_last))  # (B, 4, gh, gw)
        grid = self.up_grid.expand(out.shape[0], -1, -1, -1)
        # Colours reach past the cells' edge (an opening wider than the grid keeps the edge's
        # colour); the ring and coverage end there, so nothing outside the opening is repainted.
        rgb = F.grid_sample(out[:, :3], grid, align_corners=True, padding_mode="border")  # (B, 3, h, w)
        reach = torch.cat([torch.sigmoid(out[:, 3:]), ring], 1)
        reach = F.grid_sample(reach, grid, align_corners=True, padding_mode="zeros")  # (B, 2, h, w)
        ring = reach[:, 1:]
        interior = own * region + (1.0 - own) * rgb
        support = torch.maximum(mask, reach[:, :1] * ring * (1.0 - self.own_grown))
        return region + support * (interior - region), ring
