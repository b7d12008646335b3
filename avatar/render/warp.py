"""From sparse landmark motion to a dense backward warp of the whole frame.

The 478 landmarks plus two rings of anchor points around the head (hair, ears, neck) and a
fixed border are triangulated once per avatar; every output pixel stores its triangle's three
vertices and barycentric weights. A frame's dense displacement is then three gathers, and the
backward sampling grid comes from one fixed-point step (``p - d(p - d(p))``), so rendering is
a few array operations and one ``grid_sample``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay

from . import topology as topo

RING_SCALES = (1.3, 1.75)  # anchor rings around the face oval, as multiples of its radius
RING_HEAD_FOLLOW = (0.85, 0.3)  # how much of the head's motion each ring follows
NECK_FOLLOW = 0.5  # anchors below the chin follow the head this much less
BORDER_STEP = 32  # fixed anchor every this many pixels along the frame edge


@dataclass(frozen=True)
class WarpMesh:
    """Anchors and per-pixel interpolation for one avatar at one frame size."""

    points: np.ndarray  # (P, 2) neutral positions in pixels: landmarks, rings, border
    head_follow: np.ndarray  # (P,) 1 on the face, less on the rings, 0 on the border
    depth: np.ndarray  # (P,) z in pixels (landmark z; rings sit behind the face plane)
    vertices: np.ndarray  # (H*W, 3) int64 triangle corners of each pixel
    weights: np.ndarray  # (H*W, 3) float32 barycentric weights


def _rings(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    oval = lm[list(topo.FACE_OVAL), :2]
    center = oval.mean(axis=0)
    chin_y = lm[topo.CHIN, 1]
    points, follow, depth = [], [], []
    back = float(np.median(lm[:, 2]) + 0.6 * np.ptp(lm[:, 0]))  # behind the face, like ears and hair
    for scale, amount in zip(RING_SCALES, RING_HEAD_FOLLOW, strict=True):
        ring = center + scale * (oval - center)
        below_chin = ring[:, 1] > chin_y
        points.append(ring)
        follow.append(np.where(below_chin, amount * NECK_FOLLOW, amount))
        depth.append(np.full(len(ring), back))
    return np.concatenate(points), np.concatenate(follow), np.concatenate(depth)


def _border(size: int) -> np.ndarray:
    ticks = np.arange(0, size + 1, BORDER_STEP, dtype=np.float64)
    ticks[-1] = size
    lo, hi = -0.5, size - 0.5  # pixel-centre coordinates of the frame's edges
    edge = lo + ticks * (hi - lo) / size
    top = np.stack([edge, np.full_like(edge, lo)], 1)
    bottom = np.stack([edge, np.full_like(edge, hi)], 1)
    left = np.stack([np.full_like(edge, lo), edge], 1)
    right = np.stack([np.full_like(edge, hi), edge], 1)
    return np.unique(np.concatenate([top, bottom, left, right]), axis=0)


def build_warp_mesh(lm: np.ndarray, size: int, step: int = 1) -> WarpMesh:
    """Triangulate landmarks + anchors and precompute each pixel's triangle and weights.

    ``lm`` is (478, 3) in pixels of the ``size`` x ``size`` frame. With ``step`` > 1 the
    interpolation is kept for the pixels of a frame ``step`` times coarser (each at the centre of
    the ``step`` x ``step`` pixels it stands for): the displacement is smooth enough to be
    computed there and upsampled.
    """
    ring_pts, ring_follow, ring_depth = _rings(lm)
    border = _border(size)
    inside = (ring_pts > -0.5).all(1) & (ring_pts < size - 0.5).all(1)  # rings may leave the frame
    points = np.concatenate([lm[:, :2], ring_pts[inside], border])
    head_follow = np.concatenate([np.ones(len(lm)), ring_follow[inside], np.zeros(len(border))])
    depth = np.concatenate([lm[:, 2], ring_depth[inside], np.zeros(len(border))])
    # QJ joggles exactly coincident points (closed lips put 13 and 14 on one spot).
    tri = Delaunay(points, qhull_options="QJ Pp")
    ticks = np.arange(0, size, step) + (step - 1) / 2.0
    xs, ys = np.meshgrid(ticks, ticks)
    pixels = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)
    simplex = tri.find_simplex(pixels)
    simplex = np.where(simplex < 0, tri.find_simplex(np.clip(pixels, 0, size - 1)), simplex)
    transform = tri.transform[simplex]  # (HW, 3, 2)
    bary2 = np.einsum("nij,nj->ni", transform[:, :2], pixels - transform[:, 2])
    weights = np.concatenate([bary2, 1.0 - bary2.sum(1, keepdims=True)], axis=1)
    return WarpMesh(
        points=points.astype(np.float32),
        head_follow=head_follow.astype(np.float32),
        depth=depth.astype(np.float32),
        vertices=tri.simplices[simplex].astype(np.int64),
        weights=np.clip(weights, 0.0, 1.0).astype(np.float32),
    )
