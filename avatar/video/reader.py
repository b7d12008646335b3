"""Reading a video: decoded frames as they are displayed, with their own display times.

Times are the frames' presentation timestamps, so variable frame rates stay exact. Frames come
upright: phones store landscape pictures and a rotation (the display matrix, or an old-style
``rotate`` tag) that players apply, and so does this reader. A damaged packet is skipped, like
the ffmpeg CLI does, rather than losing the whole video; a video that ends early (truncated)
keeps the frames that did decode, with a warning.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from ..audio.clock import FPS
from ..errors import VideoError

log = logging.getLogger(__name__)

# (transpose, flip rows, flip columns) that turn a stored picture into the displayed one
Orientation = tuple[bool, bool, bool]
UPRIGHT: Orientation = (False, False, False)
_TURNS = {
    (True, False, True): cv2.ROTATE_90_CLOCKWISE,
    (True, True, False): cv2.ROTATE_90_COUNTERCLOCKWISE,
    (False, True, True): cv2.ROTATE_180,
}


def read_frames(path: str | os.PathLike) -> Iterator[tuple[float, np.ndarray]]:
    """(display time in seconds, (H, W, 3) uint8 RGB as displayed) for every frame of the first
    video stream. Times strictly increase: a frame without a timestamp of its own, or with one
    that does not come after the previous frame's, is placed one frame period after it.

    Raises VideoError (one line, naming the file) if ``path`` is missing, empty, not a video, a
    still image, has no video stream, or holds no frame that decodes.
    """
    path = _check_path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(
            f"cannot read video {path}: not a video, or damaged or incomplete ({_reason(exc)})"
        ) from None
    with container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        period = 1.0 / float(stream.average_rate or stream.guessed_rate or FPS)
        tagged = _tag_orientation(stream.metadata)
        decoded = _Frames(container, stream)
        last, count, retimed = -np.inf, 0, 0
        for frame in decoded:
            t = frame.time
            if t is None or t <= last:
                retimed += t is not None  # a missing timestamp is normal (AVI); a repeated one is not
                t = last + period if count else 0.0
            last = t
            count += 1
            yield t, _upright(frame.to_ndarray(format="rgb24"), _frame_orientation(frame, tagged))
        end = _declared_end(container, stream)
    if count == 0:
        why = f": {_reason(decoded.error)}" if decoded.error is not None else ""
        raise VideoError(f"no video frames decode in {path}{why}")
    if retimed:
        log.warning("%s: %d of %d frames had a timestamp not after the previous one's", path, retimed, count)
    if decoded.skipped:
        log.warning("%s: skipped %d damaged packets (%s)", path, decoded.skipped, _reason(decoded.error))
    if end is not None and last + period < end - max(0.5, 3 * period):
        log.warning(
            "%s: the video ends at %.2f s, its header says %.2f s: truncated?", path, last + period, end
        )


def declared_duration(path: str | os.PathLike) -> float | None:
    """Seconds of video the header of ``path`` declares (None if it says nothing or is unreadable),
    for progress bars: the frames themselves are what counts."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            end = _declared_end(container, stream)
            start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    return None if end is None else max(end - start, 0.0)


def _check_path(path: str | os.PathLike) -> Path:
    """Reject what is plainly not a video before FFmpeg sees it."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"no such video: {path}")
    if path.is_dir():
        raise VideoError(f"expected a video file, got a directory: {path}")
    if path.stat().st_size == 0:
        raise VideoError(f"video file is empty (0 bytes): {path}")
    return path


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    # FFmpeg reads a photo as a one-frame video (image2, png_pipe, ...); capture needs motion
    name = container.format.name
    if name.startswith("image2") or name.endswith("_pipe"):
        raise VideoError(f"{path} is a still image, not a video")
    if not container.streams.video:
        held = " (it holds only audio)" if container.streams.audio else ""
        raise VideoError(f"no video stream in {path}{held}")
    return container.streams.video[0]


class _Frames:
    """The decoded frames of ``stream``. A packet that fails to decode is skipped (counted in
    ``skipped``, the first failure kept in ``error``); data the demuxer cannot read ends the
    video after the frames the decoder still holds."""

    def __init__(self, container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> None:
        self.container, self.stream = container, stream
        self.error: Exception | None = None
        self.skipped = 0

    def __iter__(self) -> Iterator[av.VideoFrame]:
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                self.error = self.error or exc
                yield from self._decode(None)  # flush: frames held back for reordering
                return
            yield from self._decode(packet)

    def _decode(self, packet: av.Packet | None) -> list[av.VideoFrame]:
        try:
            return self.stream.decode(packet)
        except (av.error.FFmpegError, ValueError) as exc:
            self.error = self.error or exc
            self.skipped += 1
            return []


def _declared_end(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """Seconds at which the header says the video ends, on the frames' clock (None: not said)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    if container.duration is not None:
        return ((container.start_time or 0) + container.duration) / av.time_base
    return None


def _frame_orientation(frame: av.VideoFrame, tagged: Orientation) -> Orientation:
    """From the frame's display matrix; without one, from the stream's ``rotate`` tag."""
    matrix = frame.side_data.get(av.sidedata.sidedata.Type.DISPLAYMATRIX)
    if matrix is None:
        return tagged
    return _matrix_orientation(bytes(matrix))


def _matrix_orientation(data: bytes) -> Orientation:
    """FFmpeg's display matrix (9 native int32, a b u / c d v / x y w) maps a stored pixel (p, q) to
    the displayed (a p + c q, b p + d q), y pointing down. Snapped to the nearest right angle."""
    a, b, _, c, d, *_ = struct.unpack("=9i", data[:36])  # native byte order, as FFmpeg keeps it
    if abs(a) + abs(d) >= abs(b) + abs(c):
        return False, d < 0, a < 0
    return True, b < 0, c < 0  # after the transpose, rows follow p and columns q


def _tag_orientation(metadata: dict[str, str]) -> Orientation:
    """An old-style ``rotate`` tag: degrees clockwise, as FFmpeg before 4.4 wrote them."""
    value = next((v for k, v in metadata.items() if k.lower() == "rotate"), None)
    try:
        turns = round(float(value) / 90) % 4 if value is not None else 0
    except ValueError:
        return UPRIGHT
    return [UPRIGHT, (True, False, True), (False, True, True), (True, True, False)][turns]


def _upright(rgb: np.ndarray, orientation: Orientation) -> np.ndarray:
    # OpenCV's SIMD turns and flips: numpy's strided copy of a turned 3-channel frame took 4
    # to 5 times as long here (9 ms against 2 ms a frame at 640 x 360)
    if orientation == UPRIGHT:
        return rgb
    if orientation in _TURNS:  # a phone's quarter and half turns, in one pass
        return cv2.rotate(rgb, _TURNS[orientation])
    transpose, flip_rows, flip_cols = orientation
    if transpose:
        rgb = cv2.transpose(rgb)
    if flip_rows or flip_cols:
        rgb = cv2.flip(rgb, -1 if flip_rows and flip_cols else 0 if flip_rows else 1)
    return rgb


def _reason(exc: Exception) -> str:
    """FFmpeg's short message without the errno and file name it repeats."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return reason.splitlines()[0][:200]
