"""A patch critic for training the learned mouth: real mouth boxes against composited ones.

Only training uses it (``adversarial_weight`` in configs/train_mouth.yaml); it never ships. L1,
SSIM and gradient terms score each pixel against one real frame, so where the lips leave the
teeth's place uncertain they settle on the average of the frames: a soft band. A critic that
judges 18-pixel patches for looking like real mouths pulls the colours back to something a real
mouth shows. Its scores are weighted by the ring the network may touch, like the other terms, so
neither side learns from pixels the layer cannot change.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class MouthCritic(nn.Module):
    """(B, 3, h, w) mouth boxes in [0, 1] -> (B, 1, h/4, w/4) realness scores (18-px patches)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        # spectral norm keeps the critic Lipschitz, so the hinge game stays stable without tuning
        self.layers = nn.Sequential(
            spectral_norm(nn.Conv2d(3, width, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * width, 1, 3, padding=1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, h, w) -> (B, 1, h // 4, w // 4)."""
        return self.layers(x * 2.0 - 1.0)


def _pooled(weight: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(weight.detach(), score.shape[-2:])  # (B, 1, h/4, w/4)


def _mean(value: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (value * weight).sum() / weight.sum().clamp_min(1e-6)


def critic_loss(
    critic: MouthCritic, real: torch.Tensor, fake: torch.Tensor, ring: torch.Tensor
) -> torch.Tensor:
    """Hinge loss of the critic on real and (detached) composited boxes, weighted by ``ring``."""
    s_real, s_fake = critic(real), critic(fake.detach())
    w = _pooled(ring, s_real)
    return _mean(F.relu(1.0 - s_real), w) + _mean(F.relu(1.0 + s_fake), w)


def generator_loss(critic: MouthCritic, fake: torch.Tensor, ring: torch.Tensor) -> torch.Tensor:
    """The network's adversarial term: composited boxes scored as real, weighted by ``ring``."""
    score = critic(fake)
    return -_mean(score, _pooled(ring, score))
