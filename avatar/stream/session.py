"""A live session: an AvatarStream paced against the wall clock, for any transport.

Frames are made as soon as their audio (and look-ahead) has arrived. The output clock starts
with the first audio: frame k is due ``latency_s`` + k / fps after it; when a frame is due and
its audio has not come, the stream is starved (silence fills in: the avatar idles), so frames
keep coming at a steady rate and never drift from the clock. The frames wait in a bounded
queue for the sender, which encodes each as it takes it (``next_message``); when the client
reads too slowly the oldest are dropped (and counted), so a slow client never makes the
server's memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from .core import SAMPLE_RATE, AvatarStream, StreamFrame

QUEUE_FRAMES = 60  # 2 s of frames waiting for a slow client at most
COMPUTE_MARGIN_S = 0.1  # time allowed to make a block once its audio is in


class LiveSession:
    """``feed`` audio, ``finish``; ``run`` (a task) puts frames on ``outbox``, ``next_message``
    takes them off encoded."""

    def __init__(self, stream: AvatarStream, encode: Callable[[StreamFrame, int], bytes]) -> None:
        self.stream, self.encode = stream, encode
        self.latency_s = stream.lookahead / SAMPLE_RATE + stream.block / stream.fps + COMPUTE_MARGIN_S
        self.outbox: asyncio.Queue[StreamFrame | None] = asyncio.Queue(QUEUE_FRAMES)
        self.dropped = 0
        self.sent_frames = 0  # taken by next_message
        self.started: float | None = None  # monotonic time of the first audio
        self.first_frame_s: float | None = None  # first audio -> first frame ready
        self._lock = threading.Lock()  # push (event loop) and pull (worker thread) share the buffer
        self._wake = asyncio.Event()

    def feed(self, pcm: bytes) -> None:
        with self._lock:
            self.stream.push(pcm)
        if self.started is None:
            self.started = time.monotonic()
        self._wake.set()

    def finish(self) -> None:
        with self._lock:
            self.stream.end()
        self._wake.set()

    def _pull(self, starve: bool) -> list[StreamFrame]:
        with self._lock:
            return self.stream.pull(starve)

    def _offer(self, frame: StreamFrame | None) -> None:
        while True:
            try:
                self.outbox.put_nowait(frame)
                return
            except asyncio.QueueFull:
                self.outbox.get_nowait()  # the oldest frame goes: the client is too slow
                self.dropped += 1

    async def next_message(self) -> bytes | None:
        """The next frame, encoded now (a frame dropped before it is sent is never encoded, so
        an encoder with state, H.264, only ever sees what the client gets); None at the end."""
        frame = await self.outbox.get()
        if frame is None:
            return None
        self.sent_frames += 1
        return await asyncio.to_thread(self.encode, frame, self.dropped)

    async def run(self) -> None:
        """Make frames until the stream has ended and been flushed; ``None`` on the outbox ends it."""
        fps = self.stream.fps
        while True:
            ended = self.stream.ended
            if self.started is None and not ended:
                self._wake.clear()
                await self._wake.wait()
                continue
            due = (self.started or time.monotonic()) + self.latency_s + self.stream.done / fps
            overdue = time.monotonic() >= due
            if ended or overdue or self.stream.ready():
                frames = await asyncio.to_thread(self._pull, overdue and not ended)
                if frames and self.first_frame_s is None and self.started is not None:
                    self.first_frame_s = time.monotonic() - self.started
                for frame in frames:
                    self._offer(frame)
                if ended:
                    self._offer(None)
                    return
                if frames:
                    continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # woken by audio, or the next frame is due
                await asyncio.wait_for(self._wake.wait(), max(0.001, due - time.monotonic()))
