"""Uploaded files: copied to a private temporary folder in chunks, checked before any decoding."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import UploadFile
from PIL import Image, UnidentifiedImageError

from ..audio import audio_duration
from ..config import ServerConfig
from ..errors import AvatarError
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
    """The audio's duration in seconds; 422 if it cannot be decoded, 413 if too long."""
    duration = audio_duration(path)
    if duration > limits.max_audio_s:
        raise TooLargeError(f"audio lasts {duration:.0f} s: the limit is {limits.max_audio_s:g} s")
    return duration


def check_image(path: Path, limits: ServerConfig) -> None:
    """422 if not an image, 413 if over the pixel limit (read from the header, not decoded)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        raise AvatarError(
            "the uploaded image is not a picture this service reads (jpg, png, webp, bmp)"
        ) from None
    if width * height > limits.max_image_megapixels * 1e6:
        raise TooLargeError(
            f"the image is {width}x{height} ({width * height / 1e6:.1f} MP): "
            f"the limit is {limits.max_image_megapixels:g} MP"
        )
