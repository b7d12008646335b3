"""Crop and align a head into a square frame with a similarity transform on the outer eye corners.

Every avatar has the same framing: eyes level, outer-eye distance 0.26 of the frame (133 px at
512), eye midpoint at (0.50, 0.40) of the frame. Coordinates here use the landmarks' convention:
continuous pixels, pixel (i, j) covering [i, i+1) x [j, j+1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from . import facemesh
from .facemesh import LEFT_EYE_OUTER, RIGHT_EYE_OUTER

CROP_SIZE = 512  # px; the renderer works at 256 and downsizes
EYE_DISTANCE = 0.26  # outer-eye distance / crop side: 133.1 px at 512
EYE_CENTER = (0.50, 0.40)  # eye midpoint / crop side: (256, 204.8) px at 512
# A face re-detected in the crop must have its eye corners this close to where the transform put
# them (0.05 x 512 = 26 px, a fifth of the eye distance), else it is some other face.
MATCH_RADIUS = 0.05


@dataclass(frozen=True, eq=False)
class AlignedFace:
    """A face cropped to ``size`` x ``size`` with eyes level, and its landmarks in crop pixels."""

    image: np.ndarray  # (size, size, 3) uint8 RGB
    landmarks: np.ndarray  # (478, 3) float32, crop pixels; z on the same scale
    matrix: np.ndarray  # (2, 3) float64 source pixels -> crop pixels
    padding: float  # fraction of the crop that lies outside the source (edge-replicated)
    redetected: bool  # landmarks from the face mesh run on the crop (else transformed from the source)


def alignment_matrix(lm: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """(2, 3) similarity transform taking the face of ``lm`` (478, 3) to the canonical framing."""
    left = lm[LEFT_EYE_OUTER, :2].astype(np.float64)
    right = lm[RIGHT_EYE_OUTER, :2].astype(np.float64)
    dx, dy = right - left
    angle = math.atan2(dy, dx)
    scale = EYE_DISTANCE * size / max(math.hypot(dx, dy), 1e-6)
    cos, sin = scale * math.cos(angle), scale * math.sin(angle)
    rot = np.array([[cos, sin], [-sin, cos]])  # rotates by -angle: the eye line becomes horizontal
    target = np.array(EYE_CENTER) * size
    shift = target - rot @ ((left + right) / 2)
    return np.hstack([rot, shift[:, None]])


def transform_landmarks(lm: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) similarity to landmarks (N, 3); z is scaled like x and y."""
    scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))
    out = np.empty_like(lm, dtype=np.float32)
    out[:, :2] = lm[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    out[:, 2] = lm[:, 2] * scale
    return out


def warp(rgb: np.ndarray, matrix: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Resample ``rgb`` (H, W, 3) into a (size, size, 3) crop; outside pixels replicate the edge."""
    matrix = matrix.astype(np.float64)
    scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))
    height, width = rgb.shape[:2]
    if scale < 1.0:
        # Warping straight down to a much smaller size samples a few pixels and aliases; shrink
        # with area averaging first so the warp itself is ~1:1.
        small_w, small_h = max(1, round(width * scale)), max(1, round(height * scale))
        rgb = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA)
        matrix = matrix @ np.diag([width / small_w, height / small_h, 1.0])  # small -> source -> crop
    # OpenCV puts pixel centres at integers; ours are at +0.5.
    cv_matrix = matrix.copy()
    cv_matrix[:, 2] += matrix[:, :2] @ [0.5, 0.5] - 0.5
    return cv2.warpAffine(
        rgb, cv_matrix, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def padding_fraction(matrix: np.ndarray, source_size: tuple[int, int], size: int = CROP_SIZE) -> float:
    """Fraction of the crop's pixels whose centre maps outside the source (width, height)."""
    inverse = cv2.invertAffineTransform(matrix)
    centres = np.arange(size) + 0.5
    xs, ys = np.meshgrid(centres, centres)  # (size, size) each
    src_x = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    src_y = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    width, height = source_size
    outside = (src_x < 0) | (src_x > width) | (src_y < 0) | (src_y > height)
    return float(outside.mean())


def align_face(rgb: np.ndarray, lm: np.ndarray, size: int = CROP_SIZE) -> AlignedFace:
    """Crop the face with landmarks ``lm`` (478, 3, source pixels) out of ``rgb`` and align it.

    The face mesh is then run again on the crop: an upright, well-framed face gives better
    landmarks than transforming the source's. Its eye corners land within ~2 px and ~0.5° of the
    canonical framing; re-aligning on them does not do better (the face mesh jitters by about a
    pixel between runs), so the crop is made once.
    """
    matrix = alignment_matrix(lm, size)
    crop, crop_lm = _crop_and_detect(rgb, lm, matrix, size)
    redetected = crop_lm is not None
    if crop_lm is None:
        crop_lm = transform_landmarks(lm, matrix)
    padding = padding_fraction(matrix, (rgb.shape[1], rgb.shape[0]), size)
    return AlignedFace(crop, crop_lm, matrix, padding, redetected)


def _crop_and_detect(
    rgb: np.ndarray, lm: np.ndarray, matrix: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The crop and the face mesh's landmarks on it (None if the same face is not found)."""
    crop = warp(rgb, matrix, size)
    expected = transform_landmarks(lm, matrix)[[LEFT_EYE_OUTER, RIGHT_EYE_OUTER], :2]  # (2, 2)
    best, best_error = None, MATCH_RADIUS * size
    for face in facemesh.detect_faces(crop):  # other faces may reach into the crop; take the one we aligned
        error = float(np.linalg.norm(face[[LEFT_EYE_OUTER, RIGHT_EYE_OUTER], :2] - expected, axis=1).max())
        if error < best_error:
            best, best_error = face, error
    return crop, best
