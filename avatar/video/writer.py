"""Write RGB frames and a speech track to an MP4 that plays in any browser.

H.264 (libx264) in yuv420p at a constant frame rate, AAC at 48 kHz mono, moov atom at the front
(faststart) so playback starts before the download ends. Frame i has pts i in a 1/fps time base;
audio and video both start at 0 and end together (see soundtrack.py for the length rule).

The file appears only when it is complete: it is written to a hidden temporary file next to
the destination and renamed on close(), and the temporary file is removed if anything fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import weakref
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from ..audio import FPS, SAMPLE_RATE
from ..errors import OutputError
from .soundtrack import Soundtrack

SUFFIXES = (".mp4", ".m4v")
PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
)  # fmt: skip

# RGB -> Y'CbCr with the BT.709 matrix in limited (16-235) range, and the stream tagged so:
# untagged streams are decoded with BT.601 by some players and BT.709 by others (skin tones
# shift visibly between them). 1 is BT.709 in FFmpeg's AVColorSpace/Primaries/Trc enums.
_BT709 = 1


class VideoWriter:
    """Encode frames to ``path`` as H.264 + AAC in MP4 (faststart), for use as a context manager.

    ``size`` is the frame size in pixels: an int for a square video or ``(width, height)``; both
    must be even (yuv420p stores colour at half resolution). ``audio`` is an optional mono
    float track at ``audio_rate`` Hz; it is resampled to 48 kHz and cut or padded with silence
    to the length of the video, ``num_frames / fps`` seconds. ``crf`` (0-51, lower is better)
    and ``preset`` are x264's quality and speed settings; ``threads=0`` lets x264 choose.

        with VideoWriter("out.mp4", 256, audio=speech) as writer:
            for frame in frames:  # (256, 256, 3) uint8 RGB
                writer.write(frame)

    Raises OutputError at construction, before anything is encoded, if ``path`` cannot be
    written. Leaving the ``with`` block by an exception (or calling abort()) deletes the partial
    file; the destination is only created or replaced by a successful close().
    """

    def __init__(
        self,
        path: str | os.PathLike,
        size: int | tuple[int, int],
        fps: int = FPS,
        audio: np.ndarray | None = None,
        audio_rate: int = SAMPLE_RATE,
        crf: int = 20,
        preset: str = "veryfast",
        threads: int = 0,
    ) -> None:
        self.width, self.height = _check_size(size)
        _check_settings(fps, audio_rate, crf, preset, threads)
        audio = None if audio is None else _check_audio(audio)
        self.path = check_destination(path)
        self.fps = fps
        self.frames_written = 0
        self._tmp = _create_temp(self.path)
        # If the writer is dropped without close() or abort(), still remove the partial file.
        self._remove_tmp = weakref.finalize(self, _remove, self._tmp)
        try:
            self._container = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
            self._video = self._container.add_stream("libx264", rate=fps)
            _configure_video(self._video, self.width, self.height, fps, crf, preset, threads)
            self._audio = None if audio is None else Soundtrack(self._container, audio, audio_rate, fps)
        except Exception:
            self._remove_tmp()
            raise
        self._reformatter = VideoReformatter()
        self._closed = False

    def write(self, frames: Any) -> None:
        """Encode one (H, W, 3) frame or a (B, H, W, 3) batch: uint8 RGB, numpy or CPU torch."""
        if self._closed:
            raise ValueError("write() on a closed VideoWriter")
        for rgb in _as_batch(frames, self.height, self.width):
            frame = yuv420_frame(rgb, self._reformatter)
            frame.pts = self.frames_written
            for packet in self._video.encode(frame):
                self._container.mux(packet)
            self.frames_written += 1
        if self._audio is not None:
            self._audio.advance(self.frames_written)

    def close(self) -> None:
        """Flush the encoders, finish the audio track and move the file into place.

        Raises ValueError if no frame was written (the partial file is removed either way).
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self.frames_written == 0:
                raise ValueError(f"no frames were written to {self.path}")
            for packet in self._video.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.finish(self.frames_written)
            self._container.close()  # writes the index, then moves it to the front (faststart)
            try:
                os.replace(self._tmp, self.path)
            except OSError as exc:
                raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        except BaseException:
            self._discard()
            raise
        self._remove_tmp.detach()

    def abort(self) -> None:
        """Stop without writing anything: delete the partial file. Safe to call more than once."""
        self._closed = True
        self._discard()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _discard(self) -> None:
        # The file is being thrown away: an error closing it would only hide the first one.
        with contextlib.suppress(Exception):
            self._container.close()
        self._remove_tmp()


def yuv420_frame(rgb: np.ndarray, reformatter: VideoReformatter) -> av.VideoFrame:
    """(H, W, 3) uint8 RGB -> the yuv420p frame x264 takes: BT.709, limited range."""
    return reformatter.reformat(
        av.VideoFrame.from_ndarray(rgb, format="rgb24"),
        format="yuv420p",
        src_colorspace=Colorspace.ITU709,
        dst_colorspace=Colorspace.ITU709,
        src_color_range=ColorRange.JPEG,  # RGB is always full range
        dst_color_range=ColorRange.MPEG,
    )


def _check_size(size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, int | np.integer):
        size = (size, size)
    if len(size) != 2 or not all(isinstance(v, int | np.integer) and v > 0 for v in size):
        raise ValueError(f"video size must be a positive int or (width, height), got {size!r}")
    width, height = int(size[0]), int(size[1])
    if width % 2 or height % 2:
        raise ValueError(f"video width and height must be even for yuv420p, got {width}x{height}")
    return width, height


def _check_settings(fps: int, audio_rate: int, crf: int, preset: str, threads: int) -> None:
    if not isinstance(fps, int | np.integer) or fps <= 0:
        raise ValueError(f"fps must be a positive integer, got {fps!r}")
    if not isinstance(audio_rate, int | np.integer) or audio_rate <= 0:
        raise ValueError(f"audio_rate must be a positive integer, got {audio_rate!r}")
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be in 0..51 (lower is better quality), got {crf}")
    if preset not in PRESETS:
        raise ValueError(f"unknown x264 preset {preset!r}; use one of {', '.join(PRESETS)}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = automatic), got {threads}")


def _check_audio(audio: Any) -> np.ndarray:
    if not isinstance(audio, np.ndarray) and hasattr(audio, "numpy"):  # a torch tensor
        audio = audio.detach().cpu().numpy()
    audio = np.asarray(audio)
    if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(
            f"audio must be a 1-D float array (mono, in [-1, 1]), got shape {audio.shape} {audio.dtype}"
        )
    return audio.astype(np.float32, copy=False)


def check_destination(path: str | os.PathLike) -> Path:
    """Fail with one line now, not after minutes of rendering, if ``path`` cannot be written."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise OutputError(f"video output must end in .mp4, got {path}")
    if path.is_dir():
        raise OutputError(f"video output is a directory: {path}")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"folder does not exist: {folder} (for {path})")
    return path


def _create_temp(path: Path) -> Path:
    """Create a hidden file next to ``path`` (same file system, so the final rename is atomic)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            # O_EXCL: never reuse someone else's file. Mode 0o666 (less the umask) rather than
            # mkstemp's 0o600, so the finished video has the permissions of any new file.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    raise OutputError(f"cannot create a temporary file next to {path}")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _configure_video(
    stream: av.video.stream.VideoStream,
    width: int,
    height: int,
    fps: int,
    crf: int,
    preset: str,
    threads: int,
) -> None:
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, fps)
    ctx = stream.codec_context
    ctx.time_base = Fraction(1, fps)
    ctx.framerate = Fraction(fps, 1)
    ctx.thread_count = threads
    # PyAV defaults to slice threads (low latency); frame threads encode 512² ~15% faster at
    # 2 threads and spend no bits on slice boundaries (8% smaller files at the same crf).
    ctx.thread_type = "FRAME"
    ctx.options = {"crf": str(crf), "preset": preset}
    ctx.colorspace = ctx.color_primaries = ctx.color_trc = _BT709
    ctx.color_range = int(ColorRange.MPEG)


def _as_batch(frames: Any, height: int, width: int) -> np.ndarray:
    """(B, H, W, 3) C-contiguous uint8 view of ``frames``, or a ValueError saying what is wrong."""
    if not isinstance(frames, np.ndarray) and hasattr(frames, "numpy"):  # a torch tensor
        frames = frames.detach().cpu().numpy()
    if not isinstance(frames, np.ndarray):
        raise ValueError(f"frames must be a numpy array or torch tensor, got {type(frames).__name__}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 RGB (0-255), got dtype {frames.dtype}")
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[1:] != (height, width, 3):
        raise ValueError(
            f"frames must have shape ({height}, {width}, 3) or (B, {height}, {width}, 3), got {frames.shape}"
        )
    return np.ascontiguousarray(frames)
