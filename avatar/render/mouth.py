"""The mouth opening: where the lips part, and what shows between them.

Inside the (deformed) inner-lip contour the renderer shows the photo's own mouth interior when
the photo had one there (an open-mouth portrait's real teeth), and otherwise a synthesised
cavity: dark throat, upper and lower teeth, and a tongue that follow the jaw and lips.
"""

from __future__ import annotations

import torch

from ..expression.channels import CHANNEL_INDEX
from . import topology as topo

EDGE_PX = 0.6  # softness of the lip edge
TEETH_RGB = (0.86, 0.84, 0.78)
_C = CHANNEL_INDEX


CURVE_SAMPLES = 24  # a lip contour is resampled at this many even steps along the mouth


def _curve(t: torch.Tensor, knots_t: torch.Tensor, knots_n: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear n(t) through (B, K) knots, evaluated at (B, M) positions t.

    The contour is first resampled on an even grid (cheap: K and the grid are small), so each
    pixel needs one gather and one lerp instead of a pass per segment.
    """
    knots_t = torch.cummax(knots_t, dim=1).values  # a folded contour must not run backwards
    start, span = knots_t[:, :1], (knots_t[:, -1:] - knots_t[:, :1]).clamp_min(1e-3)
    steps = torch.linspace(0.0, 1.0, CURVE_SAMPLES, device=t.device)
    grid_t = start + span * steps  # (B, G)
    # segment of each grid sample: how many inner knots lie at or before it
    seg = (grid_t[:, :, None] >= knots_t[:, None, 1:-1]).sum(-1)  # (B, G) in 0 .. K-2
    t0, t1 = torch.gather(knots_t, 1, seg), torch.gather(knots_t, 1, seg + 1)
    n0, n1 = torch.gather(knots_n, 1, seg), torch.gather(knots_n, 1, seg + 1)
    grid_n = n0 + ((grid_t - t0) / (t1 - t0).clamp_min(1e-3)).clamp(0.0, 1.0) * (n1 - n0)
    pos = ((t - start) / span * (CURVE_SAMPLES - 1)).clamp(0.0, CURVE_SAMPLES - 1.001)
    i = pos.floor().long()
    frac = pos - i
    lo, hi = torch.gather(grid_n, 1, i), torch.gather(grid_n, 1, i + 1)
    return lo + frac * (hi - lo)


def mouth_layer(
    pixels: torch.Tensor,
    points: torch.Tensor,
    weights: torch.Tensor,
    lip_rgb: torch.Tensor,
    iod: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Opening mask (B, M) and synthesised interior colour (B, M, 3) at ``pixels`` (M, 2).

    ``points`` are the deformed landmarks (B, P, 2); ``weights`` the expression (B, 64).
    """
    upper = points[:, list(topo.LIPS_UPPER_INNER)]  # (B, 11, 2)
    lower = points[:, list(topo.LIPS_LOWER_INNER)]
    c0, c1 = upper[:, :1], upper[:, -1:]  # inner corners (B, 1, 2)
    axis = (c1 - c0) / (c1 - c0).norm(dim=-1, keepdim=True).clamp_min(1e-3)
    normal = torch.stack([-axis[..., 1], axis[..., 0]], dim=-1)  # points down the face

    def project(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rel = p - c0
        return (rel * axis).sum(-1), (rel * normal).sum(-1)

    t, n = project(pixels[None])  # (B, M)
    tu, nu = project(upper)
    tl, nl = project(lower)
    n_up, n_low = _curve(t, tu, nu), _curve(t, tl, nl)
    width = tu[:, -1:] - tu[:, :1]
    along = ((t - tu[:, :1]) / width.clamp_min(1e-3)) * 2.0 - 1.0  # -1 .. 1 corner to corner
    gap = (n_low - n_up).clamp(0.0, 1.0)  # lips closer than a pixel show nothing between them
    mask = torch.sigmoid((n - n_up) / EDGE_PX) * torch.sigmoid((n_low - n) / EDGE_PX) * gap
    mask = mask * (along.abs() < 1.0).float()

    w = weights[:, None, :]  # (B, 1, 64)
    side = along.abs()
    cavity = lip_rgb * 0.28 * (0.6 + 0.4 * side[..., None] ** 2)  # darker at the back, (B, M, 3)
    below_upper = n - n_up
    above_lower = n_low - n
    tongue_lift = iod * (0.03 + 0.07 * w[..., _C["tongueTipRaise"]] + 0.04 * w[..., _C["tongueCurl"]])
    tongue_y = n_low - tongue_lift
    tongue_r = iod * (0.05 + 0.03 * w[..., _C["tongueOut"]] + 0.02 * w[..., _C["tongueBetweenTeeth"]])
    tongue = torch.sigmoid((1.0 - (side / 0.6) ** 2 - ((n - tongue_y) / tongue_r) ** 2) * 6.0)
    tongue_rgb = lip_rgb * 0.85 + torch.tensor([0.12, 0.0, 0.0])
    rgb = cavity + tongue[..., None] * (tongue_rgb - cavity)
    teeth_rgb = torch.tensor(TEETH_RGB) * (0.8 + 0.2 * (1.0 - side[..., None]))
    up_h = iod * (0.045 + 0.03 * w[..., _C["upperTeethShow"]])
    low_h = iod * (0.015 + 0.035 * w[..., _C["lowerTeethShow"]] + 0.02 * w[..., _C["jawOpen"]])
    upper_teeth = torch.sigmoid((up_h - below_upper) / EDGE_PX) * (side < 0.8).float()
    lower_teeth = torch.sigmoid((low_h - above_lower) / EDGE_PX) * (side < 0.7).float()
    rgb = rgb + lower_teeth[..., None] * (teeth_rgb * 0.9 - rgb)
    rgb = rgb + upper_teeth[..., None] * (teeth_rgb - rgb)
    between = w[..., _C["tongueBetweenTeeth"]] * tongue  # TH: the tip in front of the teeth
    rgb = rgb + between[..., None] * (tongue_rgb - rgb)
    return mask, rgb.clamp(0.0, 1.0)
