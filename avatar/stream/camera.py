"""A live session driven by a camera: JPEG frames of a face in, the avatar making the same face out.

Each camera frame is decoded, tracked (MediaPipe face mesh, tracking mode) and fitted onto the
person's calibrated fields (``avatar.capture``: head angles, the 64 channels, gaze), then drawn by
the avatar's renderer and encoded as ``/stream`` encodes speech-driven frames. The person's neutral
is taken from their first NEUTRAL_S of frames with a face (the page asks them to hold still,
looking at the camera): the most relaxed closed-mouth frame of that second
(``capture.neutral.neutral_index``), calibrated off the event loop while the avatar rests; from
then on every frame is fitted. A calibration that fails starts a new second.

Nothing queues without bound, whatever the client sends: the newest camera frame waits to be
analysed and the newest fit waits to be drawn, one of each; a newer one replaces it (counted in
``dropped``). The two stages run on worker threads at the same time (analysis of frame k + 1 while
frame k is drawn), so a frame costs the slower stage, not their sum. Each frame sent answers one
camera frame and carries its number as its index, so a client knows which of its frames are done
(and that the ones before it are answered or dropped) and keeps a small window in flight.

Like ``pipeline.drive_animation`` the captured face goes through the user's controls: blink off
removes the blinks, head_motion scales the captured head, still drops it, gaze camera holds the
eyes on the viewer, expression_scale and the emotion act as for speech. No sound is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..capture.calibrate import calibrate
from ..capture.errors import CaptureError
from ..capture.neutral import neutral_index
from ..capture.solve import ChannelSolver, FrameFit
from ..capture.tracker import FaceTracker
from ..config import ControlsConfig
from ..expression.channels import EXPRESSION_DIM
from ..motion.controls import BLINKS, apply_controls
from ..motion.sampler import Motion
from .core import StreamFrame

MAX_FRAME_BYTES = 200 * 1024
MAX_SIDE, MAX_SHORT_SIDE = 1280, 720  # 1280x720, either way up
NEUTRAL_S = 1.0  # seconds of frames with a face that the neutral is chosen from
MIN_NEUTRAL_FACES = 5  # a second at under 5 fps waits for five faces
NO_AUDIO = np.zeros(0, np.float32)


class CameraFrameError(ValueError):
    """A camera frame the session cannot take: not a JPEG, too large."""


def check_camera_frame(data: bytes) -> tuple[int, int]:
    """(width, height) of a JPEG camera frame from its header, without decoding it;
    CameraFrameError (one line) if it is not a JPEG or over the size limits."""
    if len(data) > MAX_FRAME_BYTES:
        raise CameraFrameError(
            f"camera frame of {len(data) // 1024} KB: at most {MAX_FRAME_BYTES // 1024} KB per JPEG"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        fmt, width, height = None, 0, 0
    if fmt != "JPEG":
        raise CameraFrameError("camera frames must be JPEG images (one per binary message)")
    if max(width, height) > MAX_SIDE or min(width, height) > MAX_SHORT_SIDE:
        raise CameraFrameError(f"camera frame of {width}x{height}: at most {MAX_SIDE}x{MAX_SHORT_SIDE}")
    return width, height


def decode_camera_frame(data: bytes) -> np.ndarray:
    """A JPEG -> (H, W, 3) uint8 RGB; CameraFrameError if it does not decode."""
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise CameraFrameError("a camera frame is not a JPEG that decodes")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def drive_frame(fit: FrameFit | None, controls: ControlsConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One captured frame (None: the rest pose) -> the avatar's (expression (64,), head (3,),
    gaze (2,)) under ``controls``, as ``pipeline.drive_animation`` does for a whole video."""
    if fit is None:
        fit = FrameFit(np.zeros(EXPRESSION_DIM), np.zeros(3), np.zeros(2), 0.0)
    expression = fit.expression[None].astype(np.float32)  # (1, 64)
    if not controls.blink:
        expression[:, BLINKS] = 0.0
    motion = Motion(
        head=fit.head[None].astype(np.float32),
        gaze=fit.gaze[None].astype(np.float32),
        blink=np.zeros(1, np.float32),
    )
    anim = apply_controls(expression, motion, controls, 1)
    return anim.expression[0], anim.head[0], anim.gaze[0]


@dataclass
class _Camera:
    index: int  # the camera frame's number, from 0, in the order received
    pts: float  # seconds since the first camera frame arrived
    data: bytes  # the JPEG


_Pick = tuple[int, np.ndarray, bytes]  # a camera frame's number, landmarks and JPEG


@dataclass
class _Fit:
    index: int
    pts: float
    fit: FrameFit | None  # None: rest (no calibration yet)


class CameraSession:
    """``feed`` JPEG camera frames, ``finish``; ``run`` (a task) analyses them, ``next_message``
    draws and encodes the newest fit (or returns a status dict: "calibrated", "face")."""

    def __init__(
        self,
        renderer,
        encode: Callable[[StreamFrame, int], bytes],
        controls: ControlsConfig,
        tracker: Callable[[np.ndarray], np.ndarray | None] | None = None,
        neutral_s: float = NEUTRAL_S,
    ) -> None:
        self.renderer, self.encode, self.controls = renderer, encode, controls
        self.tracker = tracker if tracker is not None else FaceTracker()
        self.neutral_s = neutral_s
        self.received = 0  # camera frames fed
        self.dropped = 0  # camera frames replaced before they were analysed, or their fits before drawn
        self.sent_frames = 0
        self.neutral_frame: int | None = None  # the camera frame the person was calibrated on
        self.calibration_s: float | None = None
        self.solver: ChannelSolver | None = None
        self._started: float | None = None
        self._camera: _Camera | None = None
        self._fit: _Fit | None = None
        self._last: FrameFit | None = None  # held while the face is lost
        self._window: list[_Pick] = []  # (index, landmarks, jpeg) in the neutral second
        self._window_start: float | None = None
        self._calibrating: asyncio.Task | None = None
        self._notices: list[dict] = []
        self._face: bool | None = None
        self._finishing = False
        self._analysed_all = False
        self._tracking = threading.Lock()  # held while a worker thread uses the tracker
        self._camera_ready = asyncio.Event()
        self._fit_ready = asyncio.Event()

    def feed(self, data: bytes) -> None:
        """Take one JPEG camera frame (CameraFrameError if it is not one or is too large); it
        replaces a frame still waiting to be analysed."""
        check_camera_frame(data)
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if self._camera is not None:
            self.dropped += 1
        self._camera = _Camera(self.received, now - self._started, bytes(data))
        self.received += 1
        self._camera_ready.set()

    def finish(self) -> None:
        """No more camera frames: the waiting ones are answered, then the session ends."""
        self._finishing = True
        self._camera_ready.set()

    async def run(self) -> None:
        """Analyse the newest camera frame, again and again, until finished."""
        try:
            while True:
                if self._camera is None:
                    if self._finishing:
                        return
                    self._camera_ready.clear()
                    await self._camera_ready.wait()
                    continue
                camera, self._camera = self._camera, None
                fit, pick = await asyncio.to_thread(self._analyse, camera)
                if pick is not None:
                    self._calibrating = asyncio.create_task(self._calibrate(pick))
                if self._fit is not None:
                    self.dropped += 1
                self._fit = fit
                self._fit_ready.set()
        finally:
            self._analysed_all = True
            self._fit_ready.set()
            if self._calibrating is not None and not self._calibrating.done():
                self._calibrating.cancel()
                with contextlib.suppress(asyncio.CancelledError, CaptureError):
                    await self._calibrating

    def _analyse(self, camera: _Camera) -> tuple[_Fit, _Pick | None]:
        """On a worker thread: decode, track, fit; before the calibration, gather the neutral
        second and return its pick once it is complete."""
        rgb = decode_camera_frame(camera.data)
        with self._tracking:
            landmarks = self.tracker(rgb)
        found = landmarks is not None
        if found != self._face:
            self._face = found
            self._notices.append({"type": "face", "found": found, "frame": camera.index})
        if landmarks is None:
            return _Fit(camera.index, camera.pts, self._last), None
        if self.solver is None:
            return _Fit(camera.index, camera.pts, None), self._gather(camera, landmarks)
        self._last = self.solver(landmarks)
        return _Fit(camera.index, camera.pts, self._last), None

    def _gather(self, camera: _Camera, landmarks: np.ndarray) -> _Pick | None:
        """Add a face to the neutral second; its neutral frame once the second is complete."""
        if self._calibrating is not None:
            return None
        if self._window_start is None:
            self._window_start = camera.pts
        self._window.append((camera.index, landmarks, camera.data))
        if camera.pts - self._window_start < self.neutral_s or len(self._window) < MIN_NEUTRAL_FACES:
            return None
        window, self._window, self._window_start = self._window, [], None
        return window[neutral_index([lm for _, lm, _ in window])]

    async def _calibrate(self, pick: _Pick) -> None:
        """Calibrate on the neutral off the event loop; the avatar rests meanwhile."""
        index, landmarks, data = pick
        started = time.monotonic()
        try:
            cal = await asyncio.to_thread(calibrate, decode_camera_frame(data), landmarks)
        except CaptureError as exc:  # the rendered face was not found: try another second
            self._notices.append({"type": "hold", "detail": f"{exc}: hold still, looking at the camera"})
            self._calibrating = None
            self._fit_ready.set()
            return
        self.solver = ChannelSolver(cal)
        self.neutral_frame, self.calibration_s = index, time.monotonic() - started
        self._notices.append({"type": "calibrated", "frame": index, "seconds": round(self.calibration_s, 2)})
        self._fit_ready.set()

    async def next_message(self) -> bytes | dict | None:
        """A status dict, or the newest fit drawn and encoded now, or None at the end."""
        while True:
            if self._notices:
                return self._notices.pop(0)
            if self._fit is not None:
                fit, self._fit = self._fit, None
                self.sent_frames += 1
                return await asyncio.to_thread(self._draw_and_encode, fit, self.dropped)
            if self._analysed_all:
                return None
            self._fit_ready.clear()
            await self._fit_ready.wait()

    def _draw_and_encode(self, fit: _Fit, dropped: int) -> bytes:
        expression, head, gaze = drive_frame(fit.fit, self.controls)
        image = None
        if self.renderer is not None:
            image = self.renderer.render(expression[None], head[None], gaze[None])[0]
        frame = StreamFrame(fit.index, fit.pts, expression, head, gaze, NO_AUDIO, image)
        return self.encode(frame, dropped)

    def close(self) -> None:
        """Release the face tracker, once a frame still being tracked (a cancelled session's
        worker thread runs on) is done; blocks that long at most."""
        close = getattr(self.tracker, "close", None)
        if close is not None:
            with self._tracking:
                close()
