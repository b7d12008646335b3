"""Head pose: a rigid fit of the landmarks on points no expression moves, as the renderer turns.

The renderer (avatar/render/renderer.py) turns the face's 2-D points with their depth (landmark
z times DEPTH_SCALE) by R = Rz(roll) Ry(yaw) Rx(pitch) on (x right, y down, z into the screen)
and projects orthographically; pitch > 0 nods down, yaw > 0 turns towards the subject's left,
roll > 0 tilts the top of the head towards image left. A frame's pose is found by fitting that
projection of the neutral's stable points to the frame's (a 3-D Umeyama fit starts it), so
capture inverts the renderer's motion and uses MediaPipe's depth only on the neutral.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..render.renderer import DEPTH_SCALE

# Forehead, nose bridge, eye corners and the upper face outline: skull-fixed, away from the
# lips, jaw, lids and brows, which the expression channels move.
STABLE_POINTS = (
    10, 151, 9, 8, 168, 6, 197, 195, 5,  # midline: forehead to the nose's ridge
    33, 133, 263, 362,  # eye corners
    127, 356, 234, 454, 162, 389, 21, 251, 54, 284, 103, 332,  # upper face outline
    93, 323, 116, 345,  # cheekbones by the ears
)  # fmt: skip


def rigid_fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Similarity (R, s, t) minimising |s R src + t - dst|^2 over (N, 3) point sets (Umeyama 1991)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sigma, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u) * np.linalg.det(vt))  # a rotation, never a reflection
    rot = u @ np.diag(d) @ vt
    scale = float((sigma * d).sum() / max((a**2).sum() / len(src), 1e-12))
    return rot, scale, mu_d - scale * rot @ mu_s


def rotation(angles: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) degrees -> (3, 3) R = Rz Ry Rx, the renderer's convention."""
    p, y, r = np.radians(angles)
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def angles_of(rot: np.ndarray) -> np.ndarray:
    """(3, 3) rotation -> (pitch, yaw, roll) degrees, inverting ``rotation``."""
    yaw = np.arcsin(np.clip(rot[2, 0], -1.0, 1.0))
    pitch = np.arctan2(rot[2, 1], rot[2, 2])
    roll = np.arctan2(-rot[1, 0], rot[0, 0])
    return np.degrees([pitch, yaw, roll])


STEPS = (1e-4, 1e-4, 1e-4, 1e-6, 1e-4, 1e-4)  # finite-difference steps: degrees, scale, pixels
ITERATIONS = 4  # Gauss-Newton from the 3-D fit's start converges in two or three


def _projected(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(N, 3) points turned by angles x[:3], scaled by x[3], projected and shifted by x[4:6] -> (N, 2)."""
    return x[3] * (points @ rotation(x[:3]).T)[:, :2] + x[4:6]


def gauss_newton(residual: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Minimise |residual(x)|^2 by Gauss-Newton with a forward-difference Jacobian: the six pose
    parameters of ~30 points, where scipy's general solver spends 10 ms a frame in overhead."""
    steps = np.array(STEPS)
    for _ in range(ITERATIONS):
        r = residual(x).ravel()
        jac = np.stack([(residual(x + step).ravel() - r) / step.sum() for step in np.diag(steps)], 1)
        dx = np.linalg.lstsq(jac, -r, rcond=None)[0]
        x = x + dx
        if np.all(np.abs(dx) < steps):
            break
    return x


def _as_rendered(lm: np.ndarray) -> np.ndarray:
    out = lm.astype(np.float64).copy()
    out[:, 2] *= DEPTH_SCALE
    return out


def head_pose(neutral: np.ndarray, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pitch, yaw, roll) degrees of ``lm`` relative to ``neutral`` (both (478, 3)), and ``lm``'s
    2-D points carried back into the neutral's pose and scale (478, 2): what is left is expression."""
    idx = list(STABLE_POINTS)
    src = _as_rendered(neutral)
    rot, scale, t = rigid_fit(src[idx], lm[idx].astype(np.float64) * (1.0, 1.0, DEPTH_SCALE))
    center = src[idx].mean(0)
    target = lm[idx, :2].astype(np.float64)
    start = np.concatenate([angles_of(rot), [scale], (scale * rot @ center + t)[:2]])
    x = gauss_newton(lambda x: _projected(src[idx] - center, x) - target, start)
    rot = rotation(x[:3])
    # y = s (R (p - c))[:2] + t with p = (x, y, depth): solve the 2x2 system for each point's x, y
    rel = (lm[:, :2].astype(np.float64) - x[4:6]) / x[3] - np.outer(src[:, 2] - center[2], rot[:2, 2])
    back = np.linalg.solve(rot[:2, :2], rel.T).T + center[:2]
    return x[:3], back
