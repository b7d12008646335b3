"""A throwaway redis-server (Debian's ``redis-server``) on a free loopback port, for the shared
avatar store's tests and ``scripts/load_api.py --store redis``: nothing is saved, so a restart is
an empty Redis, as in production without persistence."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .local import free_port

MISSING = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"


def available() -> bool:
    """Whether a ``redis-server`` is on the PATH."""
    return shutil.which("redis-server") is not None


class LocalRedis:
    """``start()`` and ``stop()`` as often as needed; the port (and so ``url``) stays the same."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen | None = None

    def start(self, ready_s: float = 10.0) -> None:
        """Start it and wait until it answers PING."""
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
        with open(self.folder / "redis.log", "ab") as log:  # the child keeps its own copy of the file
            self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_s
        while not self._pong():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "redis.log").read_text()[-500:]
                self.stop()
                raise RuntimeError(f"redis-server did not start: {tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (at once: nothing is saved); a no-op when it is not running."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextlib.contextmanager
def local_redis() -> Iterator[LocalRedis]:
    """A started LocalRedis in a temporary folder, stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="avatar-redis-") as folder:
        redis = LocalRedis(Path(folder))
        redis.start()
        try:
            yield redis
        finally:
            redis.stop()
