"""Small videos made at test time with PyAV: any codec and container, timestamps, rotation."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS = 30


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    times: Sequence[float] | None = None,
    rotation: dict | None = None,
    tags: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    faststart: bool = False,
) -> Path:
    """Encode (H, W, 3) uint8 RGB ``frames`` to ``path`` (the container from its suffix).

    ``times``: each frame's display time in seconds (a variable frame rate, on a 1/1000 s
    clock); ``rotation``: ``VideoStream.set_display_rotation`` arguments (the display matrix a
    phone writes); ``tags``: stream metadata (an old-style ``rotate`` tag); ``options``: the
    encoder's; ``faststart``: an MP4's index before its media. Returns ``path``.
    """
    height, width = frames[0].shape[:2]
    flags = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=flags) as container:
        stream = container.add_stream(codec, rate=FPS, options=options or {})
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        clock = Fraction(1, 1000)
        if times is not None:
            stream.codec_context.time_base = clock
        if rotation is not None:
            stream.set_display_rotation(**rotation)
        stream.metadata.update(tags or {})
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), clock
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def picture(height: int = 48, width: int = 64, shift: int = 0) -> np.ndarray:
    """(height, width, 3) uint8 with no symmetry: red grows to the right, green downwards, and a
    white block near the top-left corner (moved ``shift`` pixels right)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = x * 255 // width
    rgb[..., 1] = y * 255 // height
    rgb[4:12, 4 + shift : 20 + shift] = 255
    return rgb


def retime_matroska(path: Path, new_ms: dict[int, int]) -> None:
    """Rewrite the timestamps of packets ``{index: ms}`` of a Matroska file in place, which no
    muxer would write: repeated or backward times, as broken recorders leave them. Only for
    packets of the first cluster (their times are relative to its start, 0)."""
    data = bytearray(path.read_bytes())
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    for index, ms in new_ms.items():
        pos = packets[index].pos  # a SimpleBlock's payload: track number (1 byte), int16 time, flags
        data[pos + 1 : pos + 3] = ms.to_bytes(2, "big", signed=True)
    path.write_bytes(bytes(data))
