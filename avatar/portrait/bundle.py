"""The avatar bundle: an aligned portrait, its landmarks and metadata, as one folder on disk.

A bundle folder holds ``image.png`` (512 x 512 RGB), ``landmarks.npy`` ((478, 3) float32, crop
pixels) and ``meta.json``. Bundles are written to a temporary sibling folder and renamed into
place, so a crash never leaves half a bundle under the real name.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import AvatarError
from .align import CROP_SIZE
from .facemesh import NUM_LANDMARKS

FORMAT_VERSION = 1  # bump when the framing, crop size or files change: old bundles re-enroll
IMAGE_FILE = "image.png"
LANDMARKS_FILE = "landmarks.npy"
META_FILE = "meta.json"


@dataclass(frozen=True, eq=False)  # eq=False: arrays make == ambiguous
class Avatar:
    """An enrolled portrait, ready for the renderer."""

    name: str
    image: np.ndarray  # (512, 512, 3) uint8 RGB, eyes level, eye midpoint at (256, 204.8)
    landmarks: np.ndarray  # (478, 3) float32 crop pixels (x right, y down, z on the x scale)
    meta: dict[str, Any]  # source, sha256, face box, faces found, padding, mouth_open, eyes_open, ...


def write_bundle(avatar: Avatar, folder: Path) -> None:
    """Write ``avatar`` to ``folder`` atomically, replacing any bundle already there."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{folder.name}-", dir=folder.parent))
    try:
        Image.fromarray(avatar.image).save(tmp / IMAGE_FILE)
        np.save(tmp / LANDMARKS_FILE, avatar.landmarks.astype(np.float32))
        (tmp / META_FILE).write_text(json.dumps(avatar.meta, indent=2) + "\n")
        _swap_into_place(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # only left over if something failed


def _swap_into_place(tmp: Path, folder: Path) -> None:
    # rename() cannot replace a non-empty folder: move the old bundle aside first, then drop it.
    # Between the two renames the name is briefly absent, never half-written. If another process
    # installs its bundle in that instant, go round again: the last writer wins.
    for attempt in range(3):
        old = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex[:8]}")
        try:
            folder.rename(old)
        except FileNotFoundError:
            old = None
        try:
            tmp.rename(folder)
            return
        except OSError:
            if attempt == 2:
                raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)


def delete_bundle(folder: Path) -> None:
    """Remove a bundle folder: renamed away first, so it vanishes in one step."""
    trash = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex[:8]}")
    folder.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


def read_bundle(folder: Path, name: str) -> Avatar:
    """Read the bundle in ``folder``; AvatarError if it is damaged or from another format version."""
    try:
        meta = json.loads((folder / META_FILE).read_text())
        with Image.open(folder / IMAGE_FILE) as img:
            image = np.asarray(img.convert("RGB"), dtype=np.uint8)
        landmarks = np.load(folder / LANDMARKS_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise AvatarError(f"avatar '{name}' is damaged ({exc.__class__.__name__}); enroll it again") from None
    check_format(meta, name)
    return checked_avatar(name, image, landmarks, meta)


def check_format(meta: dict[str, Any], name: str) -> None:
    """AvatarError unless ``meta`` is of a bundle of this :data:`FORMAT_VERSION`."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise AvatarError(
            f"avatar '{name}' was enrolled by another version (format {found}, "
            f"need {FORMAT_VERSION}); enroll it again"
        )


def checked_avatar(name: str, image: np.ndarray, landmarks: np.ndarray, meta: dict[str, Any]) -> Avatar:
    """The Avatar of a bundle read back from storage; AvatarError if its arrays are not the shapes
    the renderer takes."""
    if image.shape != (CROP_SIZE, CROP_SIZE, 3) or landmarks.shape != (NUM_LANDMARKS, 3):
        raise AvatarError(f"avatar '{name}' is damaged (unexpected array shapes); enroll it again")
    return Avatar(name, image, landmarks.astype(np.float32), meta)


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The bundle's meta.json, or None if it is missing or unreadable."""
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None
