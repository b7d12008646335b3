"""Worker processes for the data commands (``data synth``, ``data capture``)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any


@contextmanager
def worker_pool(jobs: int) -> Iterator[tuple[ProcessPoolExecutor | None, dict[Future, Any]]]:
    """``jobs`` spawned worker processes (None for one: the caller works in-process) and the dict
    in which the caller keeps what it submitted. On the way out, an interrupt or error included,
    whatever has not started is cancelled and the pool is shut down."""
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) if jobs > 1 else None
    running: dict[Future, Any] = {}
    try:
        yield pool, running
    finally:
        for future in running:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
