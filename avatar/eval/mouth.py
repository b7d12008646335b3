"""Mouth opening measured on video frames: MediaPipe inner-lip gap (13-14) / eye distance (33-263),
and mouth width: corner distance (61-291) / eye distance.

The same measurement is applied to a real speaker's video and to the rendered avatar, so the
two curves are comparable. Frames without a face are NaN (skipped), never zero.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import av
import numpy as np

from ..errors import AvatarError
from ..portrait import detect_faces, inner_lip_gap, mouth_width


def video_fps(path: str | os.PathLike) -> float:
    """Average frame rate of the first video stream; AvatarError if the file has no video and sound."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise AvatarError(f"cannot read video {path}: {exc}") from None
    with container:
        if not container.streams.video or not container.streams.audio:
            raise AvatarError(f"{path} needs both a video and an audio stream")
        rate = container.streams.video[0].average_rate
        if not rate:
            raise AvatarError(f"{path}: the video stream has no frame rate")
        return float(rate)


def mouth_opening(frames: Iterable[np.ndarray]) -> np.ndarray:
    """(T,) inner-lip gap / inter-ocular distance per frame; NaN where no face is found."""
    return mouth_shape(frames)[:, 0]


def mouth_shape(frames: Iterable[np.ndarray]) -> np.ndarray:
    """(T, 2) inner-lip gap and corner distance, each over the inter-ocular distance; NaN without a face."""
    out = []
    for frame in frames:
        faces = detect_faces(np.ascontiguousarray(frame))
        out.append((inner_lip_gap(faces[0]), mouth_width(faces[0])) if faces else (np.nan, np.nan))
    return np.asarray(out, np.float64).reshape(-1, 2)
