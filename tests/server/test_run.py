"""The service as uvicorn runs it: a connection that is slow to send its request head is closed."""

import socket
import threading
import time

import pytest
import uvicorn

from avatar.config import load_config
from avatar.server.local import free_port
from avatar.server.run import uvicorn_config

from .conftest import LIMITS

DEADLINE_S = 1.0


@pytest.fixture(scope="module")
def address(avatar_home):
    port = free_port()
    cfg = load_config(env={}, overrides={**LIMITS, "server.header_timeout_s": DEADLINE_S})
    server = uvicorn.Server(uvicorn_config(cfg, "127.0.0.1", port, quiet=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


def _closed_after(sock: socket.socket, trickle: bytes = b"") -> float:
    """Seconds until the server closes ``sock``, sending ``trickle`` a byte every 0.2 s."""
    start = time.monotonic()
    sock.settimeout(0.2)
    for byte in [trickle[i : i + 1] for i in range(len(trickle))] + [b""] * 100:
        try:
            if byte:
                sock.sendall(byte)
            if sock.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return float("inf")


@pytest.mark.parametrize(
    "head",
    [
        b"",  # connects and says nothing
        b"GET /health HTTP/1.1\r\nHost: x\r\n",  # a head never finished
        b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 50,  # a header trickled a byte at a time
    ],
)
def test_a_slow_request_head_is_closed_at_the_deadline(address, head):
    with socket.create_connection(address) as sock:
        sock.sendall(head[:20])
        waited = _closed_after(sock, head[20:])
    assert DEADLINE_S * 0.8 < waited < DEADLINE_S + 3.0


def test_a_request_in_time_is_answered_and_kept_alive(address):
    with socket.create_connection(address) as sock:
        for _ in range(2):  # the deadline is per head: a second request on the connection works
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while b'"name":"avatar"' not in reply and (more := sock.recv(65536)):
                reply += more
            assert reply.startswith(b"HTTP/1.1 200") and b'"name":"avatar"' in reply
            time.sleep(DEADLINE_S * 0.6)
