"""MediaPipe face mesh: 478 3D landmarks per face, and the face measurements built on them.

Landmark indices are MediaPipe's canonical face-mesh topology (468 mesh points + 10 iris points
with ``refine_landmarks=True``). "Left" and "right" below mean as seen in the image: landmark 33
is the outer corner of the eye on the image's left (the subject's right eye).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

NUM_LANDMARKS = 478  # 468 mesh + 2 x 5 iris points
MAX_FACES = 5

# Outer eye corners: the alignment reference and the scale of every ratio below.
LEFT_EYE_OUTER = 33
RIGHT_EYE_OUTER = 263
# Inner lip midpoints (upper, lower): their gap is the mouth opening.
UPPER_LIP_INNER = 13
LOWER_LIP_INNER = 14
MOUTH_CORNERS = (61, 291)
# The 6-point eye contours of the eye aspect ratio (Soukupová & Čech 2016), in EAR order
# p1 (outer/inner corner), p2, p3 (upper lid), p4 (other corner), p5, p6 (lower lid).
EYE_POINTS = {
    "left": (33, 160, 158, 133, 153, 144),
    "right": (362, 385, 387, 263, 373, 380),
}

_lock = threading.Lock()
_mesh: Any = None  # mediapipe FaceMesh, created on first use (importing mediapipe takes ~1 s)
_chatty = True  # until the graph has measured a face it prints one-time C++ warnings to stderr


def _face_mesh() -> Any:
    global _mesh
    if _mesh is None:
        import mediapipe as mp

        _mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True,  # every call is a fresh photo: detect, don't track
            max_num_faces=MAX_FACES,
            refine_landmarks=True,  # adds the 10 iris points and sharper lips/eyes
        )
    return _mesh


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null: TFLite and absl log from C++, past Python's sys.stderr."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable stderr (closed, or none at all)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def detect_faces(rgb: np.ndarray) -> list[np.ndarray]:
    """Face-mesh landmarks of every face in an RGB image, largest face first.

    ``rgb`` is (H, W, 3) uint8. Each face is (478, 3) float32 in pixels: x right, y down, and
    z (depth, negative towards the camera) on the same scale as x (MediaPipe's z times the image
    width). "Largest" is the area of the landmarks' bounding box. Empty list when no face is found.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    height, width = rgb.shape[:2]
    global _chatty
    with _lock:  # the graph behind FaceMesh is not safe to run from two threads at once
        # The graph prints 4 lines of C++ warnings ("Created TensorFlow Lite XNNPACK delegate",
        # "Feedback manager requires...", the last only once a face is found) from its worker
        # threads, starting while it is created; hide them until it has measured a face.
        with quiet_stderr() if _chatty else contextlib.nullcontext():
            result = _face_mesh().process(np.ascontiguousarray(rgb))
        _chatty = _chatty and not result.multi_face_landmarks
    faces = [landmark_pixels(face, width, height) for face in result.multi_face_landmarks or []]
    faces.sort(key=_box_area, reverse=True)
    return faces


def landmark_pixels(face: Any, width: int, height: int) -> np.ndarray:
    """One MediaPipe face's landmarks (normalised to the image) -> (478, 3) float32 pixels, z on
    x's scale, as ``detect_faces`` describes."""
    lm = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float32)  # (478, 3)
    return lm * np.array([width, height, width], dtype=np.float32)


def _box_area(lm: np.ndarray) -> float:
    size = lm[:, :2].max(axis=0) - lm[:, :2].min(axis=0)
    return float(size[0] * size[1])


def face_box(lm: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box of the landmarks as (x0, y0, x1, y1) in whole pixels."""
    x0, y0 = np.floor(lm[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(lm[:, :2].max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _dist(lm: np.ndarray, a: int, b: int) -> float:
    # Image-plane (x, y) distance: MediaPipe's z is a coarse estimate and would add noise.
    return float(np.linalg.norm(lm[a, :2] - lm[b, :2]))


def eye_distance(lm: np.ndarray) -> float:
    """Distance between the outer eye corners (33, 263) in the landmarks' units (pixels)."""
    return _dist(lm, LEFT_EYE_OUTER, RIGHT_EYE_OUTER)


def inner_lip_gap(lm: np.ndarray) -> float:
    """Mouth opening: inner-lip gap (13 to 14) over the outer-eye distance (33 to 263).

    Scale-free, so it compares across crops and resolutions: ~0.0 closed, ~0.1 a relaxed open
    mouth, 0.3+ wide open.
    """
    return _dist(lm, UPPER_LIP_INNER, LOWER_LIP_INNER) / max(eye_distance(lm), 1e-6)


def mouth_width(lm: np.ndarray) -> float:
    """Mouth width: corner to corner (61 to 291) over the outer-eye distance; spreads and rounds."""
    return _dist(lm, *MOUTH_CORNERS) / max(eye_distance(lm), 1e-6)


def eye_aspect_ratio(lm: np.ndarray, side: Literal["left", "right"]) -> float:
    """Eye aspect ratio (|p2-p6| + |p3-p5|) / (2 |p1-p4|) of the eye on the image's ``side``.

    ~0.25-0.35 for an open eye, below ~0.15 for a closed one.
    """
    p1, p2, p3, p4, p5, p6 = EYE_POINTS[side]
    return (_dist(lm, p2, p6) + _dist(lm, p3, p5)) / max(2.0 * _dist(lm, p1, p4), 1e-6)


def eyes_open(lm: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes."""
    return 0.5 * (eye_aspect_ratio(lm, "left") + eye_aspect_ratio(lm, "right"))
