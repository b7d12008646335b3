"""The avatar store: enrolled portraits cached under ``avatar_home() / "avatars" / NAME``.

Enrolling the same photo under the same name again is a cache hit (keyed on the SHA-256 of the
file) and runs no face detection. The built-in avatar, the public-domain NASA portrait of Eileen
Collins that ships with scikit-image, is enrolled on first use under the reserved name
"astronaut".
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any

from ..errors import AvatarError
from ..models import sha256_of
from .build import build_avatar
from .bundle import FORMAT_VERSION, META_FILE, Avatar, delete_bundle, read_bundle, read_meta, write_bundle
from .image import check_readable, read_image

log = logging.getLogger("avatar")

BUILTIN = "astronaut"
BUILTIN_SOURCE = "skimage.data.astronaut()"
MAX_NAME_LEN = 64
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
PHOTO_NAME = "photo"  # what a request's one-off photo is called in logs and errors
PHOTO_CACHE = 32  # one-off photos kept framed on disk (about 0.8 MB each)
STALE_TEMP_S = 3600.0  # leftovers of a crashed write older than this are swept away


def avatar_home() -> Path:
    """Where avatar keeps its caches: ``$AVATAR_HOME``, else ``~/.cache/avatar``."""
    env = os.environ.get("AVATAR_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "avatar"


def _avatars_dir() -> Path:
    return avatar_home() / "avatars"


def sanitize_name(text: str) -> str:
    """A file stem made into an avatar name: accents dropped, lower case, other runs -> ``_``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # é -> e
    name = re.sub(r"[^a-z0-9_-]+", "_", ascii_text.lower()).strip("_-")
    return name[:MAX_NAME_LEN].rstrip("_-")


class UnknownAvatarError(AvatarError):
    """No enrolled avatar of that name: never enrolled, or deleted (perhaps while being read)."""


class BuiltinAvatarError(AvatarError):
    """The built-in avatar cannot be removed or replaced."""


def check_name(name: str) -> str:
    """``name`` normalised (stripped, lower case); AvatarError if it is not a valid avatar name."""
    normal = name.strip().lower()
    if len(normal) > MAX_NAME_LEN or not _NAME.fullmatch(normal):
        hint = sanitize_name(name) or "my_avatar"
        raise AvatarError(
            f"invalid avatar name {name!r}: use a-z, 0-9, _ and - (up to {MAX_NAME_LEN}), e.g. {hint!r}"
        )
    return normal


def enroll(image_path: str | Path, name: str | None = None, source: str | None = None) -> Avatar:
    """Enroll a portrait photo as an avatar (or return the cached one) and return it.

    ``name`` defaults to the file name without extension, made safe (``My Photo.JPG`` ->
    ``my_photo``), or to ``avatar_`` and the start of the photo's SHA-256 if nothing of the name
    survives (``.jpg``, ``名前.jpg``). ``source`` is the file name to record and derive the name
    from, when the photo's own (``image_path``) is not the one to go by (an upload's temporary
    copy). The same photo under the same name is a cache hit; a different photo under an
    existing name replaces it. Raises ImageError for unusable photos, AvatarError for bad names.
    """
    return enroll_or_load(image_path, name, source)[0]


def enroll_or_load(
    image_path: str | Path, name: str | None = None, source: str | None = None
) -> tuple[Avatar, bool]:
    """Like :func:`enroll`, also saying whether the avatar came from the cache."""
    path = Path(image_path)
    check_readable(path)
    sha256 = sha256_of(path)  # the cache key of an enrolled photo
    source = path.name if source is None else source
    name = enrollment_name(source, sha256, name)

    folder = _avatars_dir() / name
    cached = _cached(folder, name, sha256)
    if cached is not None:
        return cached, True
    meta = read_meta(folder)
    if meta is not None:
        log.info("replacing avatar '%s' (was %s, now %s)", name, meta.get("source"), source)
    avatar = build_avatar(read_image(path), name, path.with_name(source or path.name), sha256)
    _sweep_stale()
    write_bundle(avatar, folder)
    return avatar, False


def framed_photo(image_path: str | Path, source: str = "photo") -> Avatar:
    """A photo for one request (the service's ``image``), framed as enroll frames it but under no
    avatar's name: never listed, and an avatar someone enrolled as "photo" stays theirs. Cached by
    its SHA-256 under ``avatar_home() / "photos"`` (the last PHOTO_CACHE photos), so sending the
    same photo again runs no face detection."""
    path = Path(image_path)
    check_readable(path)
    sha256 = sha256_of(path)
    folder = avatar_home() / "photos" / sha256[:32]
    cached = _cached(folder, PHOTO_NAME, sha256)
    if cached is not None:
        with contextlib.suppress(OSError):
            os.utime(folder)  # recently used: the last to be swept
        return cached
    avatar = build_avatar(read_image(path), PHOTO_NAME, path.with_name(source), sha256)
    write_bundle(avatar, folder)
    _keep_newest(folder.parent, PHOTO_CACHE)
    return avatar


def _cached(folder: Path, name: str, sha256: str) -> Avatar | None:
    """The bundle in ``folder`` if it was made from the photo ``sha256`` in this format, else None."""
    meta = read_meta(folder)
    if meta is None or meta.get("sha256") != sha256 or meta.get("format") != FORMAT_VERSION:
        return None
    try:
        return read_bundle(folder, name)
    except AvatarError as exc:
        log.info("%s; framing it again", exc)
        return None


def _keep_newest(root: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used bundles under ``root``."""
    with contextlib.suppress(OSError):  # another process may be sweeping too
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
        )
        for old in folders[: max(len(folders) - keep, 0)]:
            shutil.rmtree(old, ignore_errors=True)


def enrollment_name(source: str, sha256: str, name: str | None = None) -> str:
    """The name a photo is enrolled under: ``name``, else the file name ``source`` made safe, else
    ``avatar_`` and the start of the photo's ``sha256``. AvatarError if it is invalid or the
    built-in avatar's."""
    if name is None:  # from the file name, or the content if nothing of the name survives
        stem = source.rsplit(".", 1)[0] if "." in source else source
        name = sanitize_name(stem) or f"avatar_{sha256[:8]}"
    name = check_name(name)
    if name == BUILTIN:
        raise AvatarError(f"'{BUILTIN}' is the built-in avatar's name; choose another with --name")
    return name


def default_avatar() -> Avatar:
    """The built-in avatar (the astronaut portrait), enrolled on first use."""
    folder = _avatars_dir() / BUILTIN
    meta = read_meta(folder)
    if meta is not None and meta.get("source") == BUILTIN_SOURCE and meta.get("format") == FORMAT_VERSION:
        try:
            return read_bundle(folder, BUILTIN)
        except AvatarError as exc:
            log.info("%s; enrolling again", exc)
    from skimage import data  # only needed on first use

    rgb = data.astronaut()  # (512, 512, 3) uint8
    sha256 = hashlib.sha256(rgb.tobytes()).hexdigest()  # of the pixels: there is no file of ours
    avatar = build_avatar(rgb, BUILTIN, BUILTIN_SOURCE, sha256)
    write_bundle(avatar, folder)
    log.info("enrolled the built-in avatar '%s'", BUILTIN)
    return avatar


def load_avatar(name: str) -> Avatar:
    """Load an enrolled avatar by name ("astronaut" is always available)."""
    name = check_name(name)
    if name == BUILTIN:
        return default_avatar()
    folder = _avatars_dir() / name
    if not (folder / META_FILE).exists():
        raise UnknownAvatarError(_unknown(name))
    try:
        return read_bundle(folder, name)
    except AvatarError:
        if not (folder / META_FILE).exists():  # deleted while it was being read
            raise UnknownAvatarError(_unknown(name)) from None
        raise


def list_avatars() -> list[dict[str, Any]]:
    """Every avatar: the built-in first, then the enrolled ones by name.

    Each is a dict with ``name``, ``source`` (file name), ``enrolled`` (ISO date, None for the
    built-in before its first use), ``mouth_open`` and ``builtin``.
    """
    rows = []
    for folder in _bundle_folders():
        meta = read_meta(folder) or {}
        rows.append(
            {
                "name": folder.name,
                "source": meta.get("source"),
                "enrolled": meta.get("enrolled"),
                "mouth_open": meta.get("mouth_open"),
                "builtin": folder.name == BUILTIN,
            }
        )
    if not any(row["builtin"] for row in rows):
        rows.append(builtin_row())
    rows.sort(key=lambda row: (not row["builtin"], row["name"]))
    return rows


def builtin_row() -> dict[str, Any]:
    """The built-in avatar's row of :func:`list_avatars` before its first use."""
    return {"name": BUILTIN, "source": BUILTIN_SOURCE, "enrolled": None, "mouth_open": None, "builtin": True}


def remove_avatar(name: str) -> None:
    """Delete an enrolled avatar; the built-in one cannot be removed (BuiltinAvatarError)."""
    name = check_name(name)
    if name == BUILTIN:
        raise BuiltinAvatarError(f"'{BUILTIN}' is the built-in avatar and cannot be removed")
    folder = _avatars_dir() / name
    try:
        delete_bundle(folder)
    except FileNotFoundError:  # never there, or another delete took it first
        raise UnknownAvatarError(_unknown(name)) from None


def _bundle_folders() -> list[Path]:
    root = _avatars_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _unknown(name: str) -> str:
    return unknown_message(name, [p.name for p in _bundle_folders()])


def unknown_message(name: str, enrolled: list[str], hint: str | None = None, shown: int = 20) -> str:
    """The reason an avatar ``name`` is not found: the known ones (the first ``shown``), and how to
    add it (``hint``, default the CLI's ``avatar enroll``)."""
    known = sorted({BUILTIN, *enrolled})
    more = f" and {len(known) - shown} more" if len(known) > shown else ""
    hint = hint or f"avatar enroll PHOTO --name {name}"
    return f"unknown avatar '{name}' (known: {', '.join(known[:shown])}{more}); add it with: {hint}"


def _sweep_stale() -> None:
    # Temporary folders of writes that crashed (hidden, so never listed); sweep the old ones.
    root = _avatars_dir()
    if not root.is_dir():
        return
    now = time.time()
    for p in root.iterdir():
        with contextlib.suppress(OSError):  # another process may be sweeping too
            if p.name.startswith((".tmp-", ".old-")) and now - p.stat().st_mtime > STALE_TEMP_S:
                shutil.rmtree(p, ignore_errors=True)
