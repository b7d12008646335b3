"""Renderer checks measured the way a viewer would: MediaPipe's face mesh on rendered frames.

Used by the tests (on the built-in astronaut and matplotlib's Grace Hopper) and by
``scripts/eval_renderer.py`` (on any portraits), so both measure the same thing.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.stats import spearmanr

from ..expression.channels import CHANNEL_INDEX
from ..portrait import detect_faces, eye_aspect_ratio, inner_lip_gap
from ..render import Renderer
from .image import psnr


def face_mesh(frame: np.ndarray) -> np.ndarray:
    """(478, 3) landmarks of the largest face in a rendered frame; ValueError if none."""
    faces = detect_faces(np.ascontiguousarray(frame))
    if not faces:
        raise ValueError("no face found in the rendered frame")
    return faces[0]


def head_yaw(points_2d: np.ndarray, model_3d: np.ndarray, size: int) -> float:
    """Yaw in degrees (> 0: nose to image right) of 2-D landmarks against a 3-D model, by solvePnP."""
    focal = 8.0 * size  # a long lens, close to the renderer's orthographic projection
    camera = np.array([[focal, 0, size / 2], [0, focal, size / 2], [0, 0, 1]], np.float64)
    obj = (model_3d - model_3d.mean(0)).astype(np.float64)
    ok, rvec, _ = cv2.solvePnP(obj, points_2d.astype(np.float64), camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        raise ValueError("solvePnP failed")
    rot, _ = cv2.Rodrigues(rvec)
    # OpenCV's y axis points down, so its positive yaw turns the nose to image left.
    return float(-np.degrees(np.arcsin(-rot[2, 0])))


def neutral(renderer: Renderer, n: int = 1) -> np.ndarray:
    """(n, 64) copies of the expression that reproduces the avatar's photo."""
    return np.repeat(renderer.neutral.cpu().numpy()[None], n, axis=0)


def neutral_psnr(renderer: Renderer, image: np.ndarray) -> float:
    """PSNR of the neutral render against the photo resized to the render size."""
    size = renderer.size
    source = (
        cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) if image.shape[0] != size else image
    )
    return psnr(renderer.render(neutral(renderer))[0], source)


def jaw_sweep(renderer: Renderer, steps: int = 6) -> tuple[float, list[float]]:
    """(Spearman rho of jawOpen vs measured inner-lip gap / IOD, the gaps) over a 0..1 sweep."""
    levels = np.linspace(0.0, 1.0, steps)
    expr = neutral(renderer, steps)
    expr[:, CHANNEL_INDEX["jawOpen"]] = levels
    gaps = [inner_lip_gap(face_mesh(f)) for f in renderer.render(expr)]
    return float(spearmanr(levels, gaps).statistic), gaps


def measured_yaw(renderer: Renderer, yaw: float) -> float:
    """Yaw measured on a render commanded to ``yaw``, relative to the neutral render."""
    head = np.array([[0, 0, 0], [0, yaw, 0]], np.float32)
    frames = renderer.render(neutral(renderer, 2), head=head)
    model = face_mesh(frames[0])[:468]
    rotated = face_mesh(frames[1])[:468]
    return head_yaw(rotated[:, :2], model, renderer.size) - head_yaw(model[:, :2], model, renderer.size)


def blink_ear(renderer: Renderer) -> tuple[float, float]:
    """(eye aspect ratio with both eyes open as in the photo, with eyeBlink = 1), mean of both eyes."""
    expr = neutral(renderer, 2)
    expr[1, CHANNEL_INDEX["eyeBlinkLeft"]] = expr[1, CHANNEL_INDEX["eyeBlinkRight"]] = 1.0
    ears = []
    for frame in renderer.render(expr):
        lm = face_mesh(frame)
        ears.append(0.5 * (eye_aspect_ratio(lm, "left") + eye_aspect_ratio(lm, "right")))
    return ears[0], ears[1]
