"""Photo pixels -> Avatar: pick the face, check it is usable, align it, measure it."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..errors import ImageError
from . import facemesh
from .align import CROP_SIZE, align_face
from .bundle import FORMAT_VERSION, Avatar
from .facemesh import (
    LEFT_EYE_OUTER,
    RIGHT_EYE_OUTER,
    eye_distance,
    eyes_open,
    face_box,
    inner_lip_gap,
)

log = logging.getLogger("avatar")

MIN_EYE_DISTANCE = 30.0  # px between the outer eye corners in the source: a ~25 px wide mouth


def build_avatar(rgb: np.ndarray, name: str, source: str | Path, sha256: str) -> Avatar:
    """Detect the largest face in ``rgb`` (H, W, 3) uint8, crop and align it, and measure it.

    ``source`` names the photo in errors (its file name goes into the metadata); ``sha256`` is the
    cache key stored with it. Raises ImageError if there is no face or it is too small.
    """
    faces = facemesh.detect_faces(rgb)  # via the module, so tests can stub it in one place
    if not faces:
        raise ImageError(f"no face found in {source} (use a photo of a face looking at the camera)")
    if len(faces) > 1:
        log.warning("%d faces found in %s; using the largest", len(faces), source)
    lm = faces[0]  # (478, 3) source pixels
    distance = eye_distance(lm)
    if distance < MIN_EYE_DISTANCE:
        raise ImageError(
            f"face too small in {source}: the eyes are {distance:.0f} px apart, need at least "
            f"{MIN_EYE_DISTANCE:.0f} (use a larger photo or crop closer to the face)"
        )

    aligned = align_face(rgb, lm)
    dx, dy = lm[RIGHT_EYE_OUTER, :2] - lm[LEFT_EYE_OUTER, :2]
    height, width = rgb.shape[:2]
    meta = {
        "format": FORMAT_VERSION,
        "name": name,
        "source": Path(source).name,
        "sha256": sha256,
        "source_size": [width, height],
        "face_box": list(face_box(lm)),  # x0, y0, x1, y1 in source pixels
        "faces_found": len(faces),
        "eye_distance_source": round(distance, 2),  # px
        "roll_deg": round(math.degrees(math.atan2(dy, dx)), 2),  # head tilt in the source
        "crop_size": CROP_SIZE,
        "matrix": np.round(aligned.matrix, 6).tolist(),  # (2, 3) source px -> crop px
        "padding": round(aligned.padding, 4),  # fraction of the crop outside the source
        "landmarks_from": "crop" if aligned.redetected else "source",
        "mouth_open": round(inner_lip_gap(aligned.landmarks), 4),
        "eyes_open": round(eyes_open(aligned.landmarks), 4),
        "enrolled": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if not aligned.redetected:
        log.warning("the face was not found again in the aligned crop of %s; using its landmarks", source)
    return Avatar(name, aligned.image, aligned.landmarks, meta)
