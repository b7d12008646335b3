"""Uploaded files: copied to a private temporary folder in chunks, checked before any decoding."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import av
from fastapi import UploadFile
from PIL import Image, UnidentifiedImageError

from ..audio import audio_duration
from ..config import ServerConfig
from ..errors import AvatarError
from ..portrait.store import sanitize_name
from .errors import TooLargeError

CHUNK = 1 << 20
SAFE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".mp4", ".webm", ".mkv",
                 ".mov", ".mpg", ".mpeg", ".ts", ".jpg", ".jpeg", ".png", ".webp", ".bmp"}  # fmt: skip


def workdir() -> Path:
    """A new private temporary folder (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix="avatar-req-"))


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def save(upload: UploadFile, folder: Path, stem: str) -> Path:
    """Copy ``upload`` into ``folder`` as ``stem`` + its (known) suffix; the name is never trusted."""
    suffix = Path(upload.filename or "").suffix.lower()
    path = folder / f"{stem}{suffix if suffix in SAFE_SUFFIXES else ''}"
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, CHUNK)
    if path.stat().st_size == 0:
        raise AvatarError(f"the uploaded {stem} file is empty")
    return path


def check_audio(path: Path, limits: ServerConfig) -> float:
    """The audio's duration in seconds; 422 if it cannot be decoded, 413 if too long. A file whose
    container records no duration is decoded only until it passes the limit (run this off the
    event loop: decoding up to ``max_audio_s`` takes a while)."""
    duration = audio_duration(path, limits.max_audio_s)
    if duration > limits.max_audio_s:
        raise TooLargeError(f"audio lasts at least {duration:.0f} s: the limit is {limits.max_audio_s:g} s")
    return duration


def check_image(path: Path, limits: ServerConfig) -> None:
    """422 if not an image, 413 if over the pixel limit (read from the header, not decoded)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Image.DecompressionBombError:  # a header declaring far more pixels than any photo
        raise TooLargeError(
            f"the image declares over {Image.MAX_IMAGE_PIXELS * 2 / 1e6:.0f} MP: "
            f"the limit is {limits.max_image_megapixels:g} MP"
        ) from None
    except (UnidentifiedImageError, OSError):
        raise AvatarError(
            "the uploaded image is not a picture this service reads (jpg, png, webp, bmp)"
        ) from None
    if width * height > limits.max_image_megapixels * 1e6:
        raise TooLargeError(
            f"the image is {width}x{height} ({width * height / 1e6:.1f} MP): "
            f"the limit is {limits.max_image_megapixels:g} MP"
        )


def check_video(path: Path, limits: ServerConfig) -> float:
    """A driving video's duration in seconds, from its header: 422 if it is not a video or has no
    video stream, 413 if it lasts longer than ``max_audio_s`` (the output is as long) or its frames
    are over ``max_image_megapixels``. Nothing is decoded; a file whose header records no duration
    is demuxed only until it passes the limit."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        raise AvatarError(
            "the uploaded driving file is not a video this service reads (mp4, mov, webm, avi, mkv)"
        ) from None
    with container:
        if not container.streams.video:
            raise AvatarError("the uploaded driving file has no video stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > limits.max_image_megapixels * 1e6:
            raise TooLargeError(
                f"the driving video is {width}x{height} ({width * height / 1e6:.1f} MP): "
                f"the limit is {limits.max_image_megapixels:g} MP"
            )
        duration = _video_seconds(container, stream, limits.max_audio_s)
    if duration > limits.max_audio_s:
        raise TooLargeError(
            f"the driving video lasts at least {duration:.0f} s: the limit is {limits.max_audio_s:g} s"
        )
    return duration


def _video_seconds(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, limit: float
) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    last = 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base is not None:
                last = max(last, float(packet.pts * packet.time_base))
                if last > limit:
                    break
    except av.error.FFmpegError:
        pass  # a damaged tail: capture keeps the frames that decode
    return last


def client_filename(filename: str | None) -> str:
    """An uploaded file's own name made safe to store and show: its stem reduced to a-z, 0-9,
    _ and - (possibly to nothing), and its extension if it is a known one."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    suffix = f".{ext.lower()}"
    return sanitize_name(stem) + (suffix if suffix in SAFE_SUFFIXES else "")


def is_multipart(content_type: str | None) -> bool:
    """Whether a Content-Type header says multipart/form-data (any case, parameters ignored)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "multipart/form-data"
