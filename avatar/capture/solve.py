"""Pose-normalised landmark displacements -> the 64 channels, by bounded least squares onto the
renderer's per-channel basis for this face (avatar/render/deformers.py), and blinks from the eye
aspect ratio (the renderer's eyeBlink is an occlusion with no displacement to fit)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import lsq_linear

from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM, NUM_ARKIT
from ..portrait.facemesh import eye_aspect_ratio, eye_distance
from ..render.deformers import expression_basis

MESH_POINTS = 468  # the irises are read as gaze, not fitted
EAR_CLOSED = 0.25  # a shut eye keeps this share of its open aspect ratio (lashes, mesh bias)
WEAK = 1e-3  # a channel whose basis moves no landmark by this share of the eye distance is not fitted
RIDGE = 0.01  # light prior towards rest: splits the load between channels whose fields overlap


class ChannelSolver:
    """Fits expression channels to landmark sets of one person, given that person's neutral."""

    def __init__(self, neutral: np.ndarray) -> None:
        self.neutral = neutral.astype(np.float64)
        basis = expression_basis(self.neutral)[:, :MESH_POINTS].astype(np.float64)  # (64, N, 2)
        iod = eye_distance(self.neutral)
        strength = np.abs(basis).max(axis=(1, 2)) / iod
        # The speech articulators (channels 52-63) are not captured: their fields are scaled
        # copies of ARKit ones (lipProtrusion is a small pucker), so landmarks cannot tell them apart.
        self.fitted = np.flatnonzero(strength[:NUM_ARKIT] > WEAK)
        matrix = basis[self.fitted].reshape(len(self.fitted), -1).T / iod  # (N*2, C), in IOD
        self.iod = iod
        self.matrix = np.vstack([matrix, RIDGE * np.eye(len(self.fitted))])
        self.ear0 = {side: eye_aspect_ratio(self.neutral, side) for side in ("left", "right")}

    def __call__(self, normalised: np.ndarray) -> np.ndarray:
        """(478, 2) landmarks in the neutral's pose -> (64,) channel values in [0, 1]."""
        d = (normalised[:MESH_POINTS, :2] - self.neutral[:MESH_POINTS, :2]).ravel() / self.iod  # (N*2,)
        d = np.concatenate([d, np.zeros(len(self.fitted))])
        out = np.zeros(EXPRESSION_DIM)
        out[self.fitted] = lsq_linear(self.matrix, d, bounds=(0.0, 1.0), method="bvls").x
        # image-left eye is the subject's right
        for side, name in (("left", "eyeBlinkRight"), ("right", "eyeBlinkLeft")):
            ear0 = self.ear0[side]
            ratio = eye_aspect_ratio(normalised, side) / max(ear0, 1e-6)
            out[CHANNEL_INDEX[name]] = np.clip((1.0 - ratio) / (1.0 - EAR_CLOSED), 0.0, 1.0)
        return out
