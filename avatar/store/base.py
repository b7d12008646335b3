"""The avatar store's contract: enroll, load, list, remove; the one error an outage raises."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from ..portrait import Avatar


class StoreUnavailableError(Exception):
    """The store cannot be reached or refused the call (503 with Retry-After): nothing was changed
    that a reader could see half of, and the same call may succeed later."""


class AvatarStore(ABC):
    """Enrolled avatars by name. Every method may raise StoreUnavailableError; names are checked
    (AvatarError), unknown ones raise UnknownAvatarError, and the built-in avatar
    (portrait.store.BUILTIN) is answered without the store and cannot be removed
    (BuiltinAvatarError). Safe to call from several threads at once."""

    kind: ClassVar[str]  # what /health reports: "local" or "redis"

    @abstractmethod
    def enroll(self, image_path: str | Path, name: str | None = None, source: str | None = None) -> Avatar:
        """Frame the photo and store it as ``name`` (as portrait.enroll names it), replacing any
        avatar of that name in one step; the same photo under the same name is not framed again."""

    @abstractmethod
    def load(self, name: str) -> Avatar:
        """The avatar enrolled as ``name`` (the built-in one for its name)."""

    @abstractmethod
    def list(self) -> list[dict[str, Any]]:
        """Every avatar, the built-in first, as rows of portrait.list_avatars (name, source,
        enrolled, mouth_open, builtin)."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Delete the avatar ``name`` in one step."""

    def status(self) -> dict[str, Any]:
        """What /health shows of the store (without calling it: a probe must never wait on it)."""
        return {"kind": self.kind}

    def close(self) -> None:
        """Let go of connections (the service is stopping)."""
        return  # a folder holds none
