"""Small videos made at test time with PyAV: any codec and container, timestamps, rotation."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

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


PICTURE = picture()  # (48, 64, 3): landscape, so a missed transpose changes the shape


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text(path: Path) -> Path:
    path.write_text("not a video\n")
    return path


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(np.zeros(1600, "<i2").tobytes())
    return path


def _m4a(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 48000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _png(path: Path) -> Path:
    Image.fromarray(PICTURE).save(path, "PNG")
    return path


def _jpeg(path: Path) -> Path:
    Image.fromarray(PICTURE).save(path, "JPEG")
    return path


def _index_lost(path: Path) -> Path:
    """An MP4 with its index after the media, cut in half: the index is gone."""
    data = write_clip(path, [PICTURE] * 10).read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")
    path.write_bytes(data[: len(data) // 2])
    return path


def _frames_lost(path: Path) -> Path:
    """An MP4 with its index first, cut where the media starts: 10 frames listed, none there."""
    data = write_clip(path, [PICTURE] * 10, faststart=True).read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    path.write_bytes(data[: data.find(b"mdat") + 4])
    return path


BAD = {  # what a user may give for a video -> (how it is made, what the one-line error says)
    "missing": (lambda path: path, "no such video"),
    "a directory": (_directory, "expected a video file, got a directory|no such video"),
    "empty": (_empty, "video file is empty"),
    "text": (_text, "cannot read video .*: not a video"),
    "WAV audio": (_wav, "no video stream in .* \\(it holds only audio\\)"),
    "audio-only m4a": (_m4a, "no video stream in .* \\(it holds only audio\\)"),
    "PNG photo": (_png, "is a still image, not a video"),
    "JPEG photo": (_jpeg, "is a still image, not a video"),
    "truncated (index lost)": (_index_lost, "cannot read video .*: not a video, or damaged or incomplete"),
    "truncated (frames lost)": (_frames_lost, "no video frames decode in"),
}
