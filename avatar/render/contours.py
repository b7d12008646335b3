"""The opening between two facial contours (lips, eyelids), in a frame that follows them.

Pixels are expressed as t (along the line from the first to the last contour point) and n
(across it, positive towards the second contour); each contour becomes a curve n(t), so "inside
the opening" is n_up(t) < n < n_low(t). Shared by the mouth and eyelid layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

CURVE_SAMPLES = 24  # a lip contour is resampled at this many even steps along the mouth


def curve(t: torch.Tensor, knots_t: torch.Tensor, knots_n: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear n(t) through (B, K) knots, evaluated at (B, M) positions t.

    The contour is first resampled on an even grid (cheap: K and the grid are small), so each
    pixel needs one gather and one lerp instead of a pass per segment.
    """
    # A folded contour must not run backwards: running maximum (cummax, written as a masked max
    # over the K knots because ONNX has no cummax).
    k = knots_t.shape[1]
    upto = torch.ones(k, k, dtype=torch.bool, device=t.device).tril()  # (K, K): i <= j
    knots_t = knots_t[:, None, :].masked_fill(~upto, float("-inf")).amax(-1)  # (B, K)
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


@dataclass
class Opening:
    """Pixels in contour coordinates: (B, M) t and n, the two curves at t, and the knots' t."""

    t: torch.Tensor
    n: torch.Tensor
    n_up: torch.Tensor
    n_low: torch.Tensor
    knots_t: torch.Tensor  # (B, K) t of the first contour's points; [:, 0] and [:, -1] are its ends
    normal: torch.Tensor  # (B, 1, 2) the direction of increasing n, in pixels


def opening(pixels: torch.Tensor, upper: torch.Tensor, lower: torch.Tensor) -> Opening:
    """Describe (M, 2) ``pixels`` against (B, K, 2) ``upper`` and ``lower`` contours (same ends)."""
    c0, c1 = upper[:, :1], upper[:, -1:]  # (B, 1, 2)
    axis = (c1 - c0) / (c1 - c0).norm(dim=-1, keepdim=True).clamp_min(1e-3)
    normal = torch.stack([-axis[..., 1], axis[..., 0]], dim=-1)
    # Point n down the image (towards the lower contour): right for any head roll under 90
    # degrees, and unlike "towards the other contour" it holds when the two coincide (closed).
    normal = normal * torch.where(normal[..., 1:] < 0, -1.0, 1.0)

    def project(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rel = p - c0
        return (rel * axis).sum(-1), (rel * normal).sum(-1)

    t, n = project(pixels[None])  # (B, M)
    tu, nu = project(upper)
    tl, nl = project(lower)
    return Opening(t, n, curve(t, tu, nu), curve(t, tl, nl), tu, normal)
