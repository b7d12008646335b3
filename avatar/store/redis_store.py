"""The shared store: enrolled avatars in one Redis that every replica of the service uses.

Each bundle is one immutable blob under its content id (avatar/store/blob.py); a name points at
an id. Enrolling stores the blob and moves the name in one Lua script, deleting drops the name
(and any bundle left without one) in another (avatar/store/redis_scripts.py), so no process ever
sees half an avatar. Loading asks for the name's id every time, one small round trip, and reuses
the avatar from a bounded in-process cache when it holds that id: a bundle never changes. Every
call has a connect and read timeout; an outage raises StoreUnavailableError (503), never hangs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import AvatarError
from ..models import sha256_of
from ..portrait import Avatar, default_avatar
from ..portrait.build import build_avatar
from ..portrait.bundle import FORMAT_VERSION
from ..portrait.image import check_readable, read_image
from ..portrait.store import (
    BUILTIN,
    BuiltinAvatarError,
    UnknownAvatarError,
    builtin_row,
    check_name,
    enrollment_name,
    unknown_message,
)
from . import redis_scripts
from .base import AvatarStore, StoreUnavailableError
from .blob import content_id, pack, unpack
from .cache import AvatarCache

PREFIX = "avatar:"
NAMES = PREFIX + "names"  # hash: avatar name -> content id of its bundle
LISTED = ("source", "enrolled", "mouth_open", "sha256", "format")  # meta kept beside each bundle


def bundle_key(ident: str) -> str:
    return f"{PREFIX}bundle:{ident}"


def meta_key(ident: str) -> str:
    return f"{PREFIX}meta:{ident}"


def redacted(url: str) -> str:
    """``url`` without its password, to name the store in logs and answers."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:" if parts.username else ":"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}***@{host}"))


class RedisStore(AvatarStore):
    """Avatars in the Redis at ``url``; each call waits at most ``timeout_s`` to connect and as
    long for each reply (twice that in all with the one retry); ``cache_size`` avatars are kept
    in this process."""

    kind: ClassVar[str] = "redis"

    def __init__(self, url: str, timeout_s: float, cache_size: int) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.where = redacted(url)
        # One immediate retry: a pooled connection that a restarted Redis dropped fails once and
        # the retry reconnects; more retries (redis-py's default backs off for seconds) would only
        # make an outage slower to answer.
        pool = redis.ConnectionPool.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 1)
        )
        self._redis = redis.Redis(connection_pool=pool)
        self._unreachable = (redis.ConnectionError, redis.TimeoutError)
        self._refused = redis.RedisError
        self._put = self._redis.register_script(redis_scripts.PUT)
        self._drop = self._redis.register_script(redis_scripts.DROP)
        self._get = self._redis.register_script(redis_scripts.GET)
        self.cache = AvatarCache(cache_size)
        self._reachable: bool | None = None  # as of the last call; None before the first
        self._error: str | None = None

    def enroll(self, image_path: str | Path, name: str | None = None, source: str | None = None) -> Avatar:
        path = Path(image_path)
        check_readable(path)
        sha256 = sha256_of(path)
        source = path.name if source is None else source
        name = enrollment_name(source, sha256, name)
        if self._holds(name, sha256):
            with contextlib.suppress(AvatarError):  # deleted or replaced meanwhile: enroll it
                avatar = self.load(name)
                if avatar.meta.get("sha256") == sha256:
                    return avatar
        avatar = build_avatar(read_image(path), name, path.with_name(source or path.name), sha256)
        self.save(avatar)
        return avatar

    def save(self, avatar: Avatar) -> str:
        """Store ``avatar`` under its name, replacing any there in one step; returns its content id."""
        blob = pack(avatar)
        ident = content_id(blob)
        listed = json.dumps({key: avatar.meta.get(key) for key in LISTED})
        keys = [NAMES, bundle_key(ident), meta_key(ident)]
        with self._call("store the avatar"):
            self._put(keys=keys, args=[avatar.name, ident, blob, listed, PREFIX])
        self.cache.put(ident, avatar)
        return ident

    def load(self, name: str) -> Avatar:
        name = check_name(name)
        if name == BUILTIN:
            return default_avatar()
        with self._call("read the avatar"):
            ident = self._redis.hget(NAMES, name)
        if ident is None:
            raise UnknownAvatarError(self._unknown(name))
        cached = self.cache.get(ident.decode())
        if cached is not None:
            return cached
        with self._call("read the avatar"):
            found = self._get(keys=[NAMES], args=[name, PREFIX])  # the name may have moved: follow it
        if found is None:  # deleted since the lookup
            raise UnknownAvatarError(self._unknown(name))
        ident, blob = found[0].decode(), found[1]
        if blob is None:  # only a Redis that evicts keys (or a hand) takes a bundle from its name
            raise AvatarError(
                f"avatar '{name}' is damaged in the store (its bundle is gone: Redis must not evict "
                "keys, maxmemory-policy noeviction); enroll it again"
            )
        avatar = unpack(blob, name)
        self.cache.put(ident, avatar)
        return avatar

    def list(self) -> list[dict[str, Any]]:
        with self._call("list the avatars"):
            names = {k.decode(): v.decode() for k, v in self._redis.hgetall(NAMES).items()}
            metas = self._redis.mget([meta_key(i) for i in names.values()]) if names else []
        rows = [builtin_row()]
        for name, raw in sorted(zip(names, metas, strict=True)):
            meta = _json_dict(raw)  # {} if the name moved on between the two reads
            rows.append(
                {
                    "name": name,
                    "source": meta.get("source"),
                    "enrolled": meta.get("enrolled"),
                    "mouth_open": meta.get("mouth_open"),
                    "builtin": False,
                }
            )
        return rows

    def remove(self, name: str) -> None:
        name = check_name(name)
        if name == BUILTIN:
            raise BuiltinAvatarError(f"'{BUILTIN}' is the built-in avatar and cannot be removed")
        with self._call("delete the avatar"):
            gone = self._drop(keys=[NAMES], args=[name, PREFIX])
        if not gone:  # never there, or another delete took it first
            raise UnknownAvatarError(self._unknown(name))

    def status(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.where, "reachable": self._reachable, "error": self._error}

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()

    def _holds(self, name: str, sha256: str) -> bool:
        """Whether ``name`` is enrolled from the photo ``sha256`` in this format (no framing needed)."""
        with self._call("look the avatar up"):
            ident = self._redis.hget(NAMES, name)
            raw = self._redis.get(meta_key(ident.decode())) if ident is not None else None
        meta = _json_dict(raw)
        return meta.get("sha256") == sha256 and meta.get("format") == FORMAT_VERSION

    def _unknown(self, name: str) -> str:
        enrolled = []
        with contextlib.suppress(StoreUnavailableError), self._call("list the avatars"):
            enrolled = [k.decode() for k in self._redis.hkeys(NAMES)]
        return unknown_message(name, enrolled, hint=f"POST /avatars with the photo and name={name}")

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Redis errors as StoreUnavailableError with a one-line reason; the outcome kept for status()."""
        try:
            yield
        except self._unreachable as exc:
            self._failed(f"the avatar store (Redis at {self.where}) is unreachable, could not {what}", exc)
        except self._refused as exc:
            self._failed(f"the avatar store (Redis at {self.where}) refused to {what}", exc)
        else:
            self._reachable, self._error = True, None

    def _failed(self, reason: str, exc: Exception) -> None:
        detail = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]
        self._reachable, self._error = False, f"{reason}: {detail}"
        raise StoreUnavailableError(self._error) from None


def _json_dict(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw is not None else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
