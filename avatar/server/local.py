"""Start the service in a child process on a free loopback port (tests, load and fuzz scripts)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalServer:
    url: str
    pid: int

    def rss_mb(self) -> float:
        """The server process's resident memory (Linux /proc), in MB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(
    settings: dict[str, str] | None = None, ready_s: float = 180.0, env: dict[str, str] | None = None
) -> Iterator[LocalServer]:
    """``avatar serve`` with ``settings`` (``--set`` keys) and the environment variables ``env``,
    its own AVATAR_HOME, no API key; yields once /health answers 200, stops the process afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="avatar-home-") as home:
        env = {**os.environ, **(env or {}), "AVATAR_HOME": home, "AVATAR_API_KEY": ""}
        args = [sys.executable, "-m", "avatar", "serve", "--port", str(port), "-q"]
        for key, value in (settings or {}).items():
            args += ["--set", f"{key}={value}"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + ready_s
            while True:
                with contextlib.suppress(OSError):
                    if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                        break
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not become ready")
                time.sleep(0.3)
            yield LocalServer(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
