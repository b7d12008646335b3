"""A throwaway redis-server (Debian's) on a free loopback port: no persistence, its own folder."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from avatar.server.local import free_port

MISSING = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"


def available() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    """``start()`` and ``stop()`` as often as a test likes; the port stays the same, the data
    does not (nothing is saved), as after a Redis restart without persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen | None = None

    def start(self, ready_s: float = 10.0) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 (the process holds it)
        self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + ready_s
        while not self._pong():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log_tail = (self.folder / "redis.log").read_text()[-500:]
                raise RuntimeError(f"redis-server did not start: {log_tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
