"""CSV in the layout Epic's Live Link Face app records, so its importers read ours.

Columns: ``Timecode, BlendShapeCount``, the 52 ARKit blendshapes (capitalised, in ARKit order),
then ``HeadYaw, HeadPitch, HeadRoll`` and per eye ``Yaw, Pitch, Roll`` - 61 values a row, angles
in radians as the app writes them. Our 12 speech articulators have no column in that layout;
the JSON export carries them. A captured animation adds two trailing columns, ``FaceFound``
(0/1) and ``Confidence``, past the app's 61 values, where importers that read by name ignore them.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..animation import Animation
from ..audio import FPS
from ..expression.channels import ARKIT_BLENDSHAPES, NUM_ARKIT

POSE_COLUMNS = (
    "HeadYaw", "HeadPitch", "HeadRoll",
    "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
BLENDSHAPE_COUNT = NUM_ARKIT + len(POSE_COLUMNS)  # 61
HEADER = ("Timecode", "BlendShapeCount", *(n[0].upper() + n[1:] for n in ARKIT_BLENDSHAPES), *POSE_COLUMNS)
CAPTURE_COLUMNS = ("FaceFound", "Confidence")


def timecode(frame: int, fps: int) -> str:
    """SMPTE-style ``HH:MM:SS:FF.mmm`` (frame within the second, then sub-frame) as Live Link Face writes."""
    seconds, ff = divmod(frame, fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}.000"


def pose_columns(anim: Animation) -> np.ndarray:
    """(T, 9) head and eye angles in radians, in ``POSE_COLUMNS`` order."""
    rad = math.pi / 180.0
    pitch, yaw, roll = anim.head.T
    gaze_yaw, gaze_pitch = anim.gaze.T
    zero = np.zeros_like(yaw)
    eyes = (gaze_yaw, gaze_pitch, zero)
    return np.stack([yaw, pitch, roll, *eyes, *eyes], axis=1) * rad


def write_livelink_csv(anim: Animation, path: Path) -> None:
    """Write ``anim`` as a Live Link Face CSV."""
    shapes = anim.expression[:, :NUM_ARKIT]
    poses = pose_columns(anim)
    captured = anim.face_found is not None and anim.confidence is not None
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER + CAPTURE_COLUMNS if captured else HEADER)
        for i in range(anim.num_frames):
            values = [f"{v:.4f}" for v in shapes[i]] + [f"{v:.5f}" for v in poses[i]]
            if captured:
                values += [str(int(anim.face_found[i])), f"{anim.confidence[i]:.3f}"]
            writer.writerow([timecode(i, anim.fps), BLENDSHAPE_COUNT, *values])


def read_livelink_csv(path: Path, fps: int = FPS) -> Animation:
    """Read a Live Link Face CSV back (ARKit channels and head/eye angles; articulators zero)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0][: len(HEADER)]) != HEADER:
        raise ValueError(f"{path}: not a Live Link Face CSV (unexpected header)")
    data = np.array([[float(v) for v in row[2 : 2 + BLENDSHAPE_COUNT]] for row in rows[1:]], dtype=np.float32)
    data = data.reshape(-1, BLENDSHAPE_COUNT)
    expression = np.zeros((len(data), 64), np.float32)
    expression[:, :NUM_ARKIT] = data[:, :NUM_ARKIT]
    deg = 180.0 / math.pi
    yaw, pitch, roll, eye_yaw, eye_pitch = (data[:, NUM_ARKIT + k] * deg for k in range(5))
    found = confidence = None
    if tuple(rows[0][len(HEADER) :]) == CAPTURE_COLUMNS:
        extra = np.array([[float(v) for v in row[len(HEADER) :]] for row in rows[1:]]).reshape(-1, 2)
        found, confidence = extra[:, 0] > 0.5, extra[:, 1]
    head, gaze = np.stack([pitch, yaw, roll], 1), np.stack([eye_yaw, eye_pitch], 1)
    return Animation(expression, fps, head, gaze, face_found=found, confidence=confidence)
