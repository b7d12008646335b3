"""The mouth opening: where the lips part, and what shows between them.

Inside the (deformed) inner-lip contour the renderer shows the photo's own mouth interior when
the photo had one there (an open-mouth portrait's real teeth), and otherwise a synthesised
cavity: dark throat, upper and lower teeth, and a tongue that follow the jaw and lips.
"""

from __future__ import annotations

import torch

from ..expression.channels import CHANNEL_INDEX
from . import topology as topo
from .contours import Opening, opening

EDGE_PX = 0.6  # softness of the lip edge
TEETH_RGB = (0.86, 0.84, 0.78)
_C = CHANNEL_INDEX


def mouth_opening(pixels: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, Opening, torch.Tensor]:
    """(opening mask (B, M) at ``pixels`` (M, 2), the lips' contour frame, position -1..1 along the mouth).

    ``points`` are the deformed landmarks (B, P, 2). The mask is 0 where the lips touch.
    """
    upper = points[:, list(topo.LIPS_UPPER_INNER)]  # (B, 11, 2)
    lower = points[:, list(topo.LIPS_LOWER_INNER)]
    o = opening(pixels, upper, lower)
    width = o.knots_t[:, -1:] - o.knots_t[:, :1]
    along = ((o.t - o.knots_t[:, :1]) / width.clamp_min(1e-3)) * 2.0 - 1.0  # corner to corner
    gap = (o.n_low - o.n_up).clamp(0.0, 1.0)  # lips closer than a pixel show nothing between them
    mask = torch.sigmoid((o.n - o.n_up) / EDGE_PX) * torch.sigmoid((o.n_low - o.n) / EDGE_PX) * gap
    return mask * (along.abs() < 1.0).float(), o, along


def mouth_interior(
    o: Opening, along: torch.Tensor, weights: torch.Tensor, lip_rgb: torch.Tensor, iod: float
) -> torch.Tensor:
    """(B, M, 3) synthesised cavity, teeth and tongue for the pixels of ``mouth_opening``."""
    n, n_up, n_low = o.n, o.n_up, o.n_low
    w = weights[:, None, :]  # (B, 1, 64)
    side = along.abs()
    cavity = lip_rgb * 0.28 * (0.6 + 0.4 * side[..., None] ** 2)  # darker at the back, (B, M, 3)
    below_upper = n - n_up
    above_lower = n_low - n
    tongue_lift = iod * (0.03 + 0.07 * w[..., _C["tongueTipRaise"]] + 0.04 * w[..., _C["tongueCurl"]])
    tongue_y = n_low - tongue_lift
    tongue_r = iod * (0.05 + 0.03 * w[..., _C["tongueOut"]] + 0.02 * w[..., _C["tongueBetweenTeeth"]])
    tongue = torch.sigmoid((1.0 - (side / 0.6) ** 2 - ((n - tongue_y) / tongue_r) ** 2) * 6.0)
    tongue_rgb = lip_rgb * 0.85 + lip_rgb.new_tensor([0.12, 0.0, 0.0])
    rgb = cavity + tongue[..., None] * (tongue_rgb - cavity)
    teeth_rgb = lip_rgb.new_tensor(TEETH_RGB) * (0.8 + 0.2 * (1.0 - side[..., None]))
    up_h = iod * (0.045 + 0.03 * w[..., _C["upperTeethShow"]])
    low_h = iod * (0.015 + 0.035 * w[..., _C["lowerTeethShow"]] + 0.02 * w[..., _C["jawOpen"]])
    upper_teeth = torch.sigmoid((up_h - below_upper) / EDGE_PX) * (side < 0.8).float()
    lower_teeth = torch.sigmoid((low_h - above_lower) / EDGE_PX) * (side < 0.7).float()
    rgb = rgb + lower_teeth[..., None] * (teeth_rgb * 0.9 - rgb)
    rgb = rgb + upper_teeth[..., None] * (teeth_rgb - rgb)
    between = w[..., _C["tongueBetweenTeeth"]] * tongue  # TH: the tip in front of the teeth
    rgb = rgb + between[..., None] * (tongue_rgb - rgb)
    return rgb.clamp(0.0, 1.0)
