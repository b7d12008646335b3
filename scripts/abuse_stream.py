"""The live stream under abuse: does every other route keep answering, and does memory stay put?

Starts ``avatar serve`` (a child process, its own AVATAR_HOME) and, while a thread asks for
``/health`` every 50 ms, runs each abuse in turn against ``WS /stream`` over a real socket:

- flood: 512² JPEG, two 1 MB audio messages at once (66 s of speech), the client never reads;
- past the backlog: a third 1 MB message (must be refused: error, close 1008);
- drizzle: 20 ms messages as fast as the socket takes them, for 10 s;
- flood and vanish: 1 MB, then the client's socket closes without a close frame.

Prints, per abuse, /health's latency (p50, p95, max; the target is max < 100 ms), the server's
RSS before and after, and how the stream ended.

    python scripts/abuse_stream.py
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlparse

import numpy as np
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Request, TextMessage

from avatar.server.local import LocalServer, local_server

MEGABYTE = np.zeros(1 << 19, "<i2").tobytes()  # 1 MB: 33 s of audio
DRIZZLE = np.zeros(320, "<i2").tobytes()  # 20 ms


class Client:
    """A bare WebSocket client (wsproto over a socket): enough to send what an abuser sends."""

    def __init__(self, url: str) -> None:
        parts = urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target="/stream")))
        self.texts: list[dict] = []
        self.closed: int | None = None
        self.frames = 0
        while not any(isinstance(e, AcceptConnection) for e in self._read()):
            pass

    def _read(self, timeout: float | None = None) -> list:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except TimeoutError:
            return []
        self.ws.receive_data(data or None)
        events = list(self.ws.events())
        for event in events:
            if isinstance(event, TextMessage):
                self.texts.append(json.loads(event.data))
            elif isinstance(event, BytesMessage):
                self.frames += event.message_finished
            elif isinstance(event, CloseConnection):
                self.closed = event.code
        if not data and self.closed is None:
            self.closed = 1006
        return events

    def send(self, data: bytes | str) -> None:
        """Send a message; ConnectionError once the server has closed the stream."""
        if self.ws.state is not ConnectionState.OPEN:
            raise ConnectionError(f"the server closed the stream ({self.closed})")
        self.sock.sendall(self.ws.send(TextMessage(data) if isinstance(data, str) else BytesMessage(data)))

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.closed is None and time.monotonic() < end:
            self._read(0.1)

    def start(self, fmt: str = "jpeg", size: int = 512) -> None:
        self.send(json.dumps({"type": "start", "format": fmt, "size": size}))
        while not self.texts:
            self._read()


class HealthProbe(threading.Thread):
    """GET /health every 50 ms on a kept-alive connection; latencies in ms."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        parts = urlparse(url)
        self.address = (parts.hostname, parts.port)
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        sock = socket.create_connection(self.address)
        while not self.stop.is_set():
            start = time.perf_counter()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += sock.recv(65536)
            head, body = reply.split(b"\r\n\r\n", 1)
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))[15:])
            while len(body) < length:
                body += sock.recv(65536)
            self.latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)
        sock.close()


def abuse(server: LocalServer, name: str, act) -> None:
    probe = HealthProbe(server.url)
    rss = server.rss_mb()
    probe.start()
    client = Client(server.url)
    client.start()
    outcome = act(client)
    client.sock.close()
    probe.stop.set()
    probe.join()
    lat = np.array(probe.latencies)
    p50, p95 = np.percentile(lat, [50, 95])
    print(
        f"{name:<22} /health p50 {p50:5.1f} ms  p95 {p95:5.1f} ms  max {lat.max():6.1f} ms "
        f"({len(lat)} probes)  RSS {rss:.0f} -> {server.rss_mb():.0f} MB  {outcome}"
    )


def flood(client: Client) -> str:
    client.send(MEGABYTE)
    client.send(MEGABYTE)
    time.sleep(6.0)  # not reading: the server must not care
    client.drain(2.0)
    return f"{client.frames} frames read"


def past_backlog(client: Client) -> str:
    for _ in range(3):
        client.send(MEGABYTE)
    client.drain(10.0)
    errors = [t["detail"] for t in client.texts if t.get("type") == "error"]
    return f"closed {client.closed}: {errors[0][:60] if errors else 'no error'}"


def drizzle(client: Client) -> str:
    end, sent = time.monotonic() + 10.0, 0
    try:
        while time.monotonic() < end and client.closed is None:
            client.send(DRIZZLE)
            sent += 1
    except OSError:
        pass
    client.drain(1.0)
    return f"{sent} messages sent ({sent * 0.02:.0f} s of audio in 10 s), closed {client.closed}"


def vanish(client: Client) -> str:
    client.send(MEGABYTE)
    time.sleep(0.5)
    client.sock.close()  # no close frame
    time.sleep(3.0)
    return "gone without a close frame"


def main() -> None:
    with local_server() as server:
        for name, act in (
            ("flood (2 x 1 MB)", flood),
            ("past the backlog", past_backlog),
            ("drizzle (20 ms msgs)", drizzle),
            ("flood and vanish", vanish),
        ):
            abuse(server, name, act)
        time.sleep(1.0)
        print(f"after all: RSS {server.rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
