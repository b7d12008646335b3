"""A bounded job pool: a fixed number of worker threads and a fixed number of waiting places.

A job that finds every place taken is refused at once (the caller answers 503 with Retry-After)
rather than queued without limit. A job that outlives the timeout is answered 504, but it keeps
its place until its thread really finishes: a thread cannot be killed, and counting it free
early would let the work pile up behind the bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class PoolFullError(Exception):
    """Every worker is busy and every waiting place taken."""


class JobTimeoutError(Exception):
    """The job ran past the pool's timeout (it may still be running)."""


class JobPool:
    """``workers`` threads, ``queue`` waiting places; ``run`` awaits a job's result."""

    def __init__(self, workers: int, queue: int, timeout_s: float) -> None:
        self.workers, self.queue, self.timeout_s = workers, queue, timeout_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="avatar-job")
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting
        self._running = 0
        self.completed = 0
        self.rejected = 0

    @property
    def capacity(self) -> int:
        return self.workers + self.queue

    def state(self) -> dict[str, int]:
        with self._lock:
            running = self._running
            return {
                "workers": self.workers,
                "queue_places": self.queue,
                "running": running,
                "waiting": self._admitted - running,
                "completed": self.completed,
                "rejected": self.rejected,
            }

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a worker; raises PoolFullError, JobTimeoutError or what ``fn`` raises."""
        with self._lock:
            if self._admitted >= self.capacity:
                self.rejected += 1
                raise PoolFullError
            self._admitted += 1
        future = self._executor.submit(self._call, fn, *args)
        try:
            # shield: a timeout must not cancel a running job behind the pool's back (see above)
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.timeout_s)
        except TimeoutError:
            if future.cancel():  # still waiting for a worker: it never runs, its place is free now
                with self._lock:
                    self._admitted -= 1
            raise JobTimeoutError from None

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._running += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._running -= 1
                self._admitted -= 1
                self.completed += 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
