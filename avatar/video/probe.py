"""What an MP4 holds: codecs, size, frame rate, frame count, durations, and whether it is faststart.

For tests and benchmarks: reads the container header and walks the packets only when the header
has no frame count; it decodes nothing.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import av


def probe(path: str | os.PathLike) -> dict[str, Any]:
    """Describe the first video and audio stream of ``path``.

    Keys (the audio ones are None without an audio stream, the video ones without video):
    ``format``, ``duration`` (s), ``size_bytes``, ``faststart`` (moov atom before mdat);
    ``video_codec``, ``profile``, ``pix_fmt``, ``width``, ``height``, ``fps`` (average),
    ``frames``, ``video_duration`` (s), ``colorspace``; ``audio_codec``, ``sample_rate``,
    ``channels``, ``audio_duration`` (s), ``audio_bitrate`` (bits/s).
    """
    path = Path(path)
    info: dict[str, Any] = {
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "faststart": faststart(path),
    }
    with av.open(str(path)) as container:
        info["format"] = container.format.name
        info["duration"] = None if container.duration is None else container.duration / av.time_base
        info.update(_video(container))
        info.update(_audio(container))
    return info


def faststart(path: str | os.PathLike) -> bool:
    """True if the MP4's top-level moov atom (the index) comes before its mdat (the media data)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        offset = 0
        while offset + 8 <= size:
            f.seek(offset)
            length, kind = struct.unpack(">I4s", f.read(8))
            if length == 1:  # 64-bit size follows the type
                (length,) = struct.unpack(">Q", f.read(8))
            elif length == 0:  # the atom runs to the end of the file
                length = size - offset
            if kind == b"moov":
                return True
            if kind == b"mdat" or length < 8:  # mdat first, or not an MP4
                return False
            offset += length
    return False


def _video(container: av.container.InputContainer) -> dict[str, Any]:
    if not container.streams.video:
        keys = ("video_codec", "profile", "pix_fmt", "width", "height", "fps", "frames")
        return dict.fromkeys((*keys, "video_duration", "colorspace"))
    stream = container.streams.video[0]
    ctx = stream.codec_context
    frames = stream.frames or _count_packets(container, stream)
    return {
        "video_codec": ctx.name,
        "profile": stream.profile,
        "pix_fmt": ctx.pix_fmt,
        "width": ctx.width,
        "height": ctx.height,
        "fps": None if stream.average_rate is None else float(stream.average_rate),
        "frames": frames,
        "video_duration": _seconds(stream),
        "colorspace": ctx.colorspace,
    }


def _audio(container: av.container.InputContainer) -> dict[str, Any]:
    if not container.streams.audio:
        return dict.fromkeys(("audio_codec", "sample_rate", "channels", "audio_duration", "audio_bitrate"))
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    return {
        "audio_codec": ctx.name,
        "sample_rate": ctx.sample_rate,
        "channels": ctx.channels,
        "audio_duration": _seconds(stream),
        "audio_bitrate": ctx.bit_rate,
    }


def _seconds(stream: av.stream.Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _count_packets(container: av.container.InputContainer, stream: av.stream.Stream) -> int:
    count = sum(1 for packet in container.demux(stream) if packet.size)  # the last is an empty flush
    container.seek(0)
    return count
