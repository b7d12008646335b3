"""Reading a video: decoded frames with their own display times (variable frame rates stay exact)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np

from ..errors import VideoError


def read_frames(path: str | os.PathLike) -> Iterator[tuple[float, np.ndarray]]:
    """(display time in seconds, (H, W, 3) uint8 RGB) for every frame of the first video stream."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot read video {path}: {exc}") from None
    with container:
        if not container.streams.video:
            raise VideoError(f"no video stream in {path}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        rate = float(stream.average_rate or 30)
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else index / rate
                index += 1
                yield t, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            if index == 0:
                raise VideoError(f"cannot decode video {path}: {exc}") from None
            # a truncated file: keep the frames that did decode
