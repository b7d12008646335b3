"""WebRTC (aiortc): a browser's microphone track in, the avatar's video and audio tracks out.

The incoming track is resampled to 16 kHz mono and fed to a LiveSession; its frames go to two
outgoing tracks: the picture (RGB frames drawn as the peer takes them, pts on a 90 kHz clock
from the frame index) and the
sound each frame shows (16 kHz, pts in samples from the same timeline), so the browser plays
them in sync. Both queues are bounded: a slow peer loses the oldest frames, never memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from ..audio.clock import SAMPLE_RATE
from .core import AvatarStream, StreamFrame
from .session import BacklogError, LiveSession

VIDEO_CLOCK = 90000
QUEUE = 60


def _offer(queue: asyncio.Queue, item: object) -> None:
    while True:
        try:
            queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            queue.get_nowait()


class _AvatarTrack(MediaStreamTrack):
    def __init__(self, stream: AvatarStream) -> None:
        super().__init__()
        self.stream = stream
        self.queue: asyncio.Queue[StreamFrame | None] = asyncio.Queue(QUEUE)

    async def _next(self) -> StreamFrame:
        frame = await self.queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame


class AvatarVideoTrack(_AvatarTrack):
    kind = "video"

    async def recv(self) -> av.VideoFrame:
        frame = await self._next()
        await asyncio.to_thread(self.stream.draw, [frame])  # only the frames the peer takes
        out = av.VideoFrame.from_ndarray(frame.image, format="rgb24")
        out.pts, out.time_base = round(frame.pts * VIDEO_CLOCK), Fraction(1, VIDEO_CLOCK)
        return out


class AvatarAudioTrack(_AvatarTrack):
    kind = "audio"

    async def recv(self) -> av.AudioFrame:
        frame = await self._next()
        pcm = (np.clip(frame.audio, -1, 1 - 1 / 32768) * 32768).astype(np.int16)[None]
        out = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        out.sample_rate = SAMPLE_RATE
        out.pts, out.time_base = self.stream.clock.frame_start(frame.index), Fraction(1, SAMPLE_RATE)
        return out


class WebRtcSession:
    """One peer: answer its offer, run until its microphone track ends."""

    def __init__(self, stream: AvatarStream) -> None:
        self.stream = stream
        self.live = LiveSession(stream, lambda frame, dropped: frame)  # frames go to the tracks as they are
        self.video, self.audio = AvatarVideoTrack(stream), AvatarAudioTrack(stream)
        self.peer = RTCPeerConnection()
        self.tasks: list[asyncio.Task] = []
        self.on_close: Callable[[], None] | None = None  # called once, when the session ends
        self.closed = False

    async def answer(self, sdp: str, kind: str) -> RTCSessionDescription:
        @self.peer.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self.tasks.append(asyncio.ensure_future(self._listen(track)))

        @self.peer.on("connectionstatechange")
        async def on_state() -> None:
            if self.peer.connectionState in ("failed", "closed"):
                await self.close()

        self.peer.addTrack(self.video)
        self.peer.addTrack(self.audio)
        await self.peer.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        await self.peer.setLocalDescription(await self.peer.createAnswer())
        self.tasks.append(asyncio.ensure_future(self.live.run()))
        self.tasks.append(asyncio.ensure_future(self._dispatch()))
        return self.peer.localDescription

    async def _listen(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            while True:
                for frame in resampler.resample(await track.recv()):
                    self.live.feed(frame.to_ndarray().tobytes())
        except MediaStreamError:
            self.live.finish()
        except BacklogError:  # a peer sending faster than real time (no microphone does)
            await self.close()

    async def _dispatch(self) -> None:
        while (frame := await self.live.outbox.get()) is not None:
            _offer(self.video.queue, frame)
            _offer(self.audio.queue, frame)
        _offer(self.video.queue, None)
        _offer(self.audio.queue, None)
        await self.close()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.on_close is not None:
            self.on_close()
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        with contextlib.suppress(Exception):
            await self.peer.close()
