"""``capture(path)``: frames -> face mesh -> neutral -> calibration -> per-frame fit -> 30 fps."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..animation import Animation
from ..audio.clock import FPS
from ..expression.channels import EXPRESSION_DIM
from ..video.reader import declared_duration, read_frames
from .calibrate import calibrate
from .errors import CaptureError
from .neutral import neutral_index
from .resample import nearest_flags, output_times, resample, smooth_runs
from .solve import ChannelSolver
from .tracker import FaceTracker

Progress = Callable[[float, float], None]  # (seconds of video tracked, seconds in all)


def track(
    path: str | os.PathLike, progress: Progress | None = None
) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """(T,) frame times from the first frame and each frame's (478, 3) landmarks (None: no face)."""
    times, faces = [], []
    total = declared_duration(path) if progress is not None else None
    with FaceTracker() as tracker:
        for t, rgb in read_frames(path):
            times.append(t)
            faces.append(tracker(rgb))
            if progress is not None:
                progress(t - times[0], max(total or 0.0, t - times[0]))
    if not times:
        raise CaptureError(f"no frames in {path}")
    if all(lm is None for lm in faces):
        raise CaptureError(f"no face found in any of the {len(times)} frames of {path}")
    t = np.asarray(times, np.float64)
    return t - t[0], faces


def frame_at(path: str | os.PathLike, index: int) -> np.ndarray:
    """Video frame ``index`` (from 0) as RGB, decoding up to it."""
    for i, (_, rgb) in enumerate(read_frames(path)):
        if i == index:
            return rgb
    raise CaptureError(f"{path} has no frame {index}")


def capture(
    path: str | os.PathLike,
    neutral_frame: int | None = None,
    fps: int = FPS,
    progress: Progress | None = None,
) -> Animation:
    """A video of a face -> its Animation at ``fps``: the 64 channels relative to the person's
    neutral (the most relaxed closed-mouth frame, or video frame ``neutral_frame``), head angles
    relative to the neutral's pose, gaze, and ``face_found`` and ``confidence`` per output frame.
    Frames without a face are bridged from their neighbours. CaptureError for no video, or no
    face at all. ``progress(done, total)`` is told the seconds of video tracked."""
    times, faces = track(path, progress)
    return solve_tracked(path, times, faces, neutral_frame, fps)


def solve_tracked(
    path: str | os.PathLike,
    times: np.ndarray,
    faces: list[np.ndarray | None],
    neutral_frame: int | None = None,
    fps: int = FPS,
) -> Animation:
    """``capture`` from a video already tracked by ``track`` (its frame times and landmarks), so
    a caller that needs the landmarks too tracks the video once."""
    if neutral_frame is None:
        neutral_frame = neutral_index(faces)
    elif not 0 <= neutral_frame < len(faces) or faces[neutral_frame] is None:
        raise CaptureError(
            f"neutral frame {neutral_frame}: no face there (the video has {len(faces)} frames)"
        )
    solver = ChannelSolver(calibrate(frame_at(path, neutral_frame), faces[neutral_frame]))
    found = np.array([lm is not None for lm in faces])
    values = np.zeros((len(faces), EXPRESSION_DIM + 6))  # channels, head, gaze, confidence
    for i, lm in enumerate(faces):
        if lm is not None:
            fit = solver(lm)
            values[i] = np.concatenate([fit.expression, fit.head, fit.gaze, [fit.confidence]])
    grid = output_times(times, fps)
    out = resample(times, smooth_runs(values, found), found, grid)
    face_found = nearest_flags(times, found, grid)
    e = EXPRESSION_DIM
    return Animation(
        expression=np.clip(out[:, :e], 0.0, 1.0),
        fps=fps,
        head=out[:, e : e + 3],
        gaze=out[:, e + 3 : e + 5],
        face_found=face_found,
        confidence=np.where(face_found, out[:, e + 5], 0.0),
    )
