"""The local store: the folder under ``$AVATAR_HOME/avatars`` that the CLI uses too."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ..portrait import Avatar, enroll, list_avatars, load_avatar, remove_avatar
from .base import AvatarStore


class LocalStore(AvatarStore):
    """portrait.store behind the AvatarStore contract: one machine's avatars, each written to a
    temporary folder and renamed into place (portrait/bundle.py)."""

    kind: ClassVar[str] = "local"

    def enroll(self, image_path: str | Path, name: str | None = None, source: str | None = None) -> Avatar:
        return enroll(image_path, name, source)

    def load(self, name: str) -> Avatar:
        return load_avatar(name)

    def list(self) -> list[dict[str, Any]]:
        return list_avatars()

    def remove(self, name: str) -> None:
        remove_avatar(name)
