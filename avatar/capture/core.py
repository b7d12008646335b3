"""``capture(path)``: frames -> face mesh -> neutral -> head pose -> channels -> 30 fps."""

from __future__ import annotations

import os

import numpy as np

from ..animation import Animation
from ..audio.clock import FPS
from ..expression.channels import EXPRESSION_DIM
from ..video.reader import read_frames
from .errors import CaptureError
from .neutral import neutral_index
from .pose import head_pose
from .resample import nearest_flags, output_times, resample
from .solve import ChannelSolver
from .tracker import FaceTracker


def track(path: str | os.PathLike) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """(T,) frame times from the first frame and each frame's (478, 3) landmarks (None: no face)."""
    times, faces = [], []
    with FaceTracker() as tracker:
        for t, rgb in read_frames(path):
            times.append(t)
            faces.append(tracker(rgb))
    if not times:
        raise CaptureError(f"no frames in {path}")
    if all(lm is None for lm in faces):
        raise CaptureError(f"no face found in any of the {len(times)} frames of {path}")
    t = np.asarray(times, np.float64)
    return t - t[0], faces


def capture(path: str | os.PathLike, neutral_frame: int | None = None, fps: int = FPS) -> Animation:
    """A video of a face -> its Animation at ``fps``: the 64 channels relative to the person's
    neutral (the most relaxed closed-mouth frame, or video frame ``neutral_frame``), head angles
    relative to the neutral's pose, and ``face_found`` per output frame. Frames without a face
    are bridged from their neighbours. CaptureError for no video, or no face at all."""
    times, faces = track(path)
    if neutral_frame is None:
        neutral_frame = neutral_index(faces)
    elif not 0 <= neutral_frame < len(faces) or faces[neutral_frame] is None:
        raise CaptureError(
            f"neutral frame {neutral_frame}: no face there (the video has {len(faces)} frames)"
        )
    neutral = faces[neutral_frame].astype(np.float64)
    solver = ChannelSolver(neutral)
    found = np.array([lm is not None for lm in faces])
    values = np.zeros((len(faces), EXPRESSION_DIM + 3))
    for i, lm in enumerate(faces):
        if lm is None:
            continue
        angles, normalised = head_pose(neutral, lm)
        values[i, :EXPRESSION_DIM] = solver(normalised)
        values[i, EXPRESSION_DIM:] = angles
    grid = output_times(times, fps)
    out = resample(times, values, found, grid)
    return Animation(
        expression=np.clip(out[:, :EXPRESSION_DIM], 0.0, 1.0),
        fps=fps,
        head=out[:, EXPRESSION_DIM:],
        face_found=nearest_flags(times, found, grid),
    )
