"""A bounded, thread-safe least-recently-used cache of avatars by content id.

A content id names one immutable blob, so an entry never goes stale: only the name -> id lookup
in the store can change, and it is asked every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..portrait import Avatar


class AvatarCache:
    """At most ``capacity`` avatars (0: none kept); the least recently used goes first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Avatar] = OrderedDict()
        self._lock = threading.Lock()  # the job pool's threads share it

    def get(self, ident: str) -> Avatar | None:
        with self._lock:
            avatar = self._items.get(ident)
            if avatar is not None:
                self._items.move_to_end(ident)
            return avatar

    def put(self, ident: str, avatar: Avatar) -> None:
        if self.capacity == 0:
            return
        with self._lock:
            self._items[ident] = avatar
            self._items.move_to_end(ident)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
