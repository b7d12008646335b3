"""Capture's head pose turns the face exactly as the renderer does (its numpy twin of the
renderer's torch rotation, kept for the pose fit's many small calls)."""

from __future__ import annotations

import numpy as np
import torch

from avatar.capture.pose import angles_of, rotation
from avatar.render.renderer import _rotation


def test_rotation_is_the_renderers() -> None:
    angles = np.array([[8.0, -12.0, 5.0], [-20.0, 30.0, -7.5], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    theirs = _rotation(torch.tensor(angles, dtype=torch.float64)).numpy()
    for a, r in zip(angles, theirs, strict=True):
        assert np.allclose(rotation(a), r, atol=1e-12)


def test_angles_of_inverts_rotation() -> None:
    for a in ([8.0, -12.0, 5.0], [-20.0, 30.0, -7.5], [0.0, 0.0, 0.0]):
        assert np.allclose(angles_of(rotation(np.array(a))), a, atol=1e-9)
