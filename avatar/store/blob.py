"""An avatar bundle as one immutable blob, named by its SHA-256: what the shared store keeps.

Layout: MAGIC, the meta JSON's length (4 bytes, big-endian), the meta JSON (UTF-8, sorted keys),
the (512, 512, 3) uint8 image and the (478, 3) little-endian float32 landmarks, raw. Raw arrays
rather than PNG: packing and unpacking take a millisecond, and the bytes are the same for the
same avatar, so the name (content_id) is too.
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np

from ..errors import AvatarError
from ..portrait import Avatar
from ..portrait.align import CROP_SIZE
from ..portrait.bundle import check_format, checked_avatar
from ..portrait.facemesh import NUM_LANDMARKS

MAGIC = b"AVATAR-BUNDLE\n"
_LENGTH = struct.Struct(">I")
_IMAGE_BYTES = CROP_SIZE * CROP_SIZE * 3
_LANDMARK_BYTES = NUM_LANDMARKS * 3 * 4


def pack(avatar: Avatar) -> bytes:
    """``avatar`` as one blob (its arrays must be of the shapes a bundle holds)."""
    meta = json.dumps(avatar.meta, sort_keys=True, separators=(",", ":")).encode()
    image = np.ascontiguousarray(avatar.image, dtype=np.uint8)
    landmarks = np.ascontiguousarray(avatar.landmarks, dtype="<f4")
    if image.nbytes != _IMAGE_BYTES or landmarks.nbytes != _LANDMARK_BYTES:
        raise ValueError(f"not a bundle's arrays: image {image.shape}, landmarks {landmarks.shape}")
    return b"".join((MAGIC, _LENGTH.pack(len(meta)), meta, image.tobytes(), landmarks.tobytes()))


def content_id(blob: bytes) -> str:
    """The blob's name: the hex SHA-256 of its bytes."""
    return hashlib.sha256(blob).hexdigest()


def unpack(blob: bytes, name: str) -> Avatar:
    """The avatar in ``blob``; AvatarError (enroll it again) if it is damaged or of another format."""
    start = len(MAGIC) + _LENGTH.size
    if not blob.startswith(MAGIC) or len(blob) < start:
        raise AvatarError(f"avatar '{name}' is damaged in the store (not a bundle); enroll it again")
    (length,) = _LENGTH.unpack_from(blob, len(MAGIC))
    try:
        meta = json.loads(blob[start : start + length])
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise AvatarError(f"avatar '{name}' is damaged in the store (metadata); enroll it again") from None
    check_format(meta, name)
    arrays = start + length
    if len(blob) != arrays + _IMAGE_BYTES + _LANDMARK_BYTES:
        raise AvatarError(f"avatar '{name}' is damaged in the store (truncated); enroll it again")
    # Copies: writable arrays of their own, as read from a bundle folder.
    image = np.frombuffer(blob, np.uint8, _IMAGE_BYTES, arrays).reshape(CROP_SIZE, CROP_SIZE, 3).copy()
    landmarks = np.frombuffer(blob, "<f4", NUM_LANDMARKS * 3, arrays + _IMAGE_BYTES).reshape(-1, 3)
    return checked_avatar(name, image, landmarks.astype(np.float32), meta)
