"""A live session: an AvatarStream paced against the wall clock, for any transport.

Frames are made as soon as their audio (and look-ahead) has arrived. The output clock starts
with the first audio: frame k is due ``latency_s`` + k / fps after it; when a frame is due and
its audio has not come, the stream is starved (silence fills in: the avatar idles), so frames
keep coming at a steady rate and never drift from the clock. The frames wait in a bounded
queue for the sender, which draws and encodes each as it takes it (``next_message``); when the
client reads too slowly the oldest are dropped (and counted), so a slow client never makes the
server's memory grow, and a dropped frame never costs a picture.

Whatever the client does, the work stays bounded and the event loop free:
- ``feed`` only queues the bytes (no lock is held across any computation; the audio is decoded
  and pushed into the stream on the worker thread that makes the frames);
- each trip to the worker thread makes one block at most (BLOCK frames), so the loop gets a
  turn every few tens of milliseconds;
- frames made ahead of their time (audio that came faster than real time) wait for the queue
  to have room instead of pushing frames out of it;
- audio that arrives faster than real time piles up to MAX_BACKLOG_S of not yet shown audio at
  most: past that, ``feed`` raises BacklogError (the WebSocket answers an error and closes 1008).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable

from ..audio.clock import SAMPLE_RATE
from .core import AvatarStream, StreamFrame

QUEUE_FRAMES = 60  # 2 s of frames waiting for a slow client at most
COMPUTE_MARGIN_S = 0.1  # time allowed to make a block once its audio is in
MAX_BACKLOG_S = 70.0  # audio received, not yet shown: two full 1 MB messages (33 s each) fit
PUSH_S = 1.0  # audio moved from the queue into the stream per trip to the worker thread, at most


class BacklogError(ValueError):
    """Audio arrives so much faster than real time that the backlog passed MAX_BACKLOG_S."""


class LiveSession:
    """``feed`` audio, ``finish``; ``run`` (a task) puts frames on ``outbox``, ``next_message``
    takes them off drawn and encoded."""

    def __init__(self, stream: AvatarStream, encode: Callable[[StreamFrame, int], bytes]) -> None:
        self.stream, self.encode = stream, encode
        stream.draw_in_pull = False  # pictures are drawn for the frames sent, not the ones dropped
        self.latency_s = stream.lookahead / SAMPLE_RATE + stream.block / stream.fps + COMPUTE_MARGIN_S
        self.outbox: asyncio.Queue[StreamFrame | None] = asyncio.Queue(QUEUE_FRAMES)
        self.dropped = 0
        self.sent_frames = 0  # taken by next_message
        self.started: float | None = None  # monotonic time of the first audio
        self.first_frame_s: float | None = None  # first audio -> first frame ready
        self.samples_fed = 0  # audio samples given to feed
        self._pending: deque[bytes] = deque()  # fed, not yet pushed into the stream
        self._pending_samples = 0
        self._finishing = False
        self._backlog = 0  # timeline samples in the stream not yet made into frames
        self._lock = threading.Lock()  # guards the pending list only: held for microseconds
        self._wake = asyncio.Event()

    @property
    def backlog_s(self) -> float:
        """Seconds of audio received and not yet made into frames."""
        return (self._backlog + self._pending_samples) / SAMPLE_RATE

    def feed(self, pcm: bytes) -> None:
        """Queue 16-bit PCM (an even byte count); BacklogError when too far ahead of real time."""
        if len(pcm) % 2:
            raise ValueError("16-bit PCM needs an even number of bytes")
        if self.backlog_s + len(pcm) / 2 / SAMPLE_RATE > MAX_BACKLOG_S:
            raise BacklogError(
                f"audio is arriving faster than real time: over {MAX_BACKLOG_S:g} s of it is "
                "waiting to be shown; send it at most as fast as it plays"
            )
        with self._lock:
            self._pending.append(bytes(pcm))
            self._pending_samples += len(pcm) // 2
        self.samples_fed += len(pcm) // 2
        if self.started is None:
            self.started = time.monotonic()
        self._wake.set()

    def finish(self) -> None:
        self._finishing = True
        self._wake.set()

    def _pull(self, starve: bool) -> list[StreamFrame]:
        """On the worker thread: push what was fed, end if asked, make one block at most."""
        room, chunks = int(PUSH_S * SAMPLE_RATE) * 2, []  # bytes
        with self._lock:
            while self._pending and room > 0:
                chunk = self._pending.popleft()
                if len(chunk) > room:  # the rest waits for the next trip
                    chunk, rest = chunk[:room], chunk[room:]
                    self._pending.appendleft(rest)
                chunks.append(chunk)
                room -= len(chunk)
            finishing = self._finishing and not self._pending
        if chunks:
            data = b"".join(chunks)
            self.stream.push(data)  # the stream's input is chunk-size invariant
            with self._lock:
                self._pending_samples -= len(data) // 2
        if finishing and not self.stream.ended:
            self.stream.end()
        frames = self.stream.pull(starve and not self.stream.ended, max_blocks=1)
        self._backlog = max(0, self.stream.samples - self.stream.clock.frame_start(self.stream.done))
        return frames

    def _offer(self, frame: StreamFrame | None) -> None:
        while True:
            try:
                self.outbox.put_nowait(frame)
                return
            except asyncio.QueueFull:
                self.outbox.get_nowait()  # the oldest frame goes: the client is too slow
                self.dropped += 1

    async def next_message(self) -> bytes | None:
        """The next frame, drawn and encoded now (a frame dropped before it is sent is never
        drawn nor encoded, so an encoder with state, H.264, only ever sees what the client
        gets); None at the end."""
        frame = await self.outbox.get()
        self._wake.set()  # room in the outbox: the producer may go on
        if frame is None:
            return None
        self.sent_frames += 1
        return await asyncio.to_thread(self._draw_and_encode, frame, self.dropped)

    def _draw_and_encode(self, frame: StreamFrame, dropped: int) -> bytes:
        self.stream.draw([frame])
        return self.encode(frame, dropped)

    async def run(self) -> None:
        """Make frames until the stream has ended and been flushed; ``None`` on the outbox ends it."""
        fps = self.stream.fps
        while True:
            if self.started is None and not self._finishing:
                self._wake.clear()
                await self._wake.wait()
                continue
            due = (self.started or time.monotonic()) + self.latency_s + self.stream.done / fps
            overdue = time.monotonic() >= due
            # A full outbox and a frame not yet due: the audio came early; wait for room or time.
            early = self.outbox.full() and not overdue
            if not early and (self._finishing or overdue or self._pending or self.stream.ready()):
                frames = await asyncio.to_thread(self._pull, overdue and not self._finishing)
                if frames and self.first_frame_s is None and self.started is not None:
                    self.first_frame_s = time.monotonic() - self.started
                for frame in frames:
                    self._offer(frame)
                if self.stream.finished:
                    self._offer(None)
                    return
                if frames or self._pending:
                    continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # woken by audio, room, or the next frame is due
                await asyncio.wait_for(self._wake.wait(), max(0.001, due - time.monotonic()))
