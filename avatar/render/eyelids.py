"""Blinks: the upper eyelid slides down over the eye, as an occlusion, not a stretch.

A warp cannot make skin cover something (it can only squeeze the eye into a line), so the
blink is drawn in output space: between the upper lid and the lid's new edge each pixel shows
the rendered frame a lid-travel higher, i.e. the lid skin with its lashes moved down, and the
skin above the lid folds in over a band slightly taller than the travel. Below the new edge
the eye stays as it was.
"""

from __future__ import annotations

import torch

from ..expression.channels import CHANNEL_INDEX
from . import topology as topo
from .contours import opening

FOLD = 1.3  # the skin band above the lid that moves, as a multiple of the lid travel's maximum
OVERSHOOT = 1.1  # a closed lid's edge tucks just past the lower lid's (as lashes meet and overlap)
EYES = (
    ("Left", topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER),
    ("Right", topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
)


def blink_amount(expression: torch.Tensor, neutral: torch.Tensor, side: str) -> torch.Tensor:
    """(B,) how far the lid closes from where the photo has it: 0 as photographed, 1 shut."""
    i = CHANNEL_INDEX["eyeBlink" + side]
    return ((expression[:, i] - neutral[i]) / (1.0 - neutral[i]).clamp_min(1e-3)).clamp(0.0, 1.0)


def eyelid_sources(
    pixels: list[torch.Tensor], points: torch.Tensor, expression: torch.Tensor, neutral: torch.Tensor
) -> torch.Tensor:
    """(B, M, 2) where each eye-box pixel samples the frame; ``pixels`` holds (M_eye, 2) per eye."""
    out = []
    for (side, upper_idx, lower_idx), pix in zip(EYES, pixels, strict=True):
        upper, lower = points[:, list(upper_idx)], points[:, list(lower_idx)]  # (B, 9, 2)
        o = opening(pix, upper, lower)
        t, n, n_up, n_low, tu = o.t, o.n, o.n_up, o.n_low, o.knots_t
        travel = OVERSHOOT * blink_amount(expression, neutral, side)[:, None] * (n_low - n_up).clamp_min(0.0)
        edge = n_up + travel
        fold = FOLD * travel.amax(dim=1, keepdim=True).clamp_min(1e-3)
        inside = ((t >= tu[:, :1]) & (t <= tu[:, -1:])).float()
        # shift: the full travel between the upper lid and the new edge, fading to 0 a fold above
        ramp = ((n - (n_up - fold)) / fold).clamp(0.0, 1.0)
        shift = travel * ramp * torch.sigmoid((edge - n) / 0.35) * inside
        out.append(pix[None] - shift[..., None] * o.normal)
    return torch.cat(out, dim=1)
