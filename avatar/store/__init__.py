"""Where the service keeps enrolled avatars: one contract, two backends, picked by the config.

store = open_store(cfg.inference.server)   # server.avatar_store: local | redis
store.enroll(photo, "me"); store.load("me"); store.list(); store.remove("me")

``local`` is this machine's folder (avatar/portrait/store.py, what the CLI uses); ``redis`` is one
Redis shared by every replica of the service (avatar/store/redis_store.py). The built-in avatar is
in neither: every process has its own.
"""

from __future__ import annotations

from ..config import ServerConfig
from .base import AvatarStore, StoreUnavailableError
from .local import LocalStore

__all__ = ["AvatarStore", "LocalStore", "StoreUnavailableError", "open_store"]


def open_store(server: ServerConfig) -> AvatarStore:
    """The store ``server.avatar_store`` names. Nothing is connected yet: Redis is first reached
    by the first call, so a service starts (and serves the built-in avatar) without it."""
    if server.avatar_store == "redis":
        from .redis_store import RedisStore  # redis-py loads only when it is used

        return RedisStore(server.redis_url, server.redis_timeout_s, server.avatar_cache)
    return LocalStore()
