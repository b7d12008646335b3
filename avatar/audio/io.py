"""Decode any audio (or the audio track of a video) to mono float32 at 16 kHz with PyAV.

Every failure a user can cause (missing, empty, corrupt, not audio) becomes one AudioError line
that names the file; nothing from FFmpeg leaks out as a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from ..errors import AudioError
from .clock import SAMPLE_RATE

# Lower-case, with the dot. Files without an extension are probed by FFmpeg instead.
SUPPORTED_EXTENSIONS = (
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".m4b", ".aac",
    ".aif", ".aiff", ".aifc", ".au", ".caf", ".wma", ".webm", ".weba", ".mka",
    ".mp4", ".mkv", ".mov", ".avi", ".3gp", ".mpg", ".mpeg", ".ts",
)  # fmt: skip

# Resampling output is fitted to round(n_in * sr_out / sr_in); a larger disagreement than this
# means samples were lost, which is a bug rather than something to paper over.
_LENGTH_TOLERANCE = 64  # samples, 4 ms at 16 kHz


def load_audio(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode ``path`` to a 1-D float32 array in [-1, 1] at ``sample_rate`` Hz.

    Reads wav, flac, ogg/opus, mp3, m4a/aac and the audio track of mp4/webm/mkv/mov files, at
    any sample rate and channel count; channels are averaged into one. Raises AudioError naming
    the file if it is missing, empty, not audio, or cannot be decoded.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    path = _check_path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        audio = _decode(container, stream, sample_rate, path)
    if audio.size == 0:
        raise AudioError(f"no audio samples in {path}")
    # Float sources (float wav, mp3/aac decoder overshoot) can step outside [-1, 1] or, when
    # broken, hold NaN; the rest of the pipeline relies on the range.
    np.clip(audio, -1.0, 1.0, out=audio)
    if np.isnan(audio.sum()):  # a scalar check; np.nan_to_num would allocate 5x the array
        audio[np.isnan(audio)] = 0.0
    return audio


def audio_duration(path: str | os.PathLike, limit_s: float | None = None) -> float:
    """Duration of the audio track in seconds, from the container header when it has one.

    Exact for wav and flac, an estimate for some compressed formats (mp3 without a header).
    When the container records no duration the file is decoded frame by frame, keeping no
    samples (memory stays flat however long it is); with ``limit_s``, decoding stops as soon as
    the audio is known to last longer, and what was decoded so far (over ``limit_s``) is returned.
    """
    path = _check_path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        seconds = _header_seconds(container, stream)
        if seconds is None:
            seconds = _decoded_seconds(container, stream, path, limit_s)
    return seconds


def _decoded_seconds(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    path: Path,
    limit_s: float | None,
) -> float:
    """Seconds of audio in ``stream``, counted while decoding; stops once past ``limit_s``."""
    samples: dict[int, int] = {}  # per sample rate (it may change mid-file)
    frames = _Frames(container, stream)

    def seconds() -> float:
        return sum(n / rate for rate, n in samples.items())

    try:
        for frame in frames:
            samples[frame.sample_rate] = samples.get(frame.sample_rate, 0) + frame.samples
            if limit_s is not None and seconds() > limit_s:
                break
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise AudioError(f"cannot decode audio in {path}: {_reason(exc)}") from None
    if not any(samples.values()):
        if frames.first_error is not None:
            raise AudioError(f"cannot decode audio in {path}: {_reason(frames.first_error)}")
        raise AudioError(f"no audio samples in {path}")
    return seconds()


class _Frames:
    """The decoded frames of ``stream``. Like the ffmpeg CLI, a damaged packet is skipped instead
    of losing the whole file; the first such error is kept (``first_error``) for a file in which
    nothing decodes."""

    def __init__(self, container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> None:
        self.container, self.stream = container, stream
        self.first_error: Exception | None = None

    def __iter__(self) -> Iterator[av.AudioFrame]:
        for packet in self.container.demux(self.stream):
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError) as exc:
                self.first_error = self.first_error or exc
                continue
            yield from frames


def _check_path(path: str | os.PathLike) -> Path:
    """Reject what is plainly not an audio file before FFmpeg sees it."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"audio file not found: {path}")
    if path.is_dir():
        raise AudioError(f"expected an audio file, got a directory: {path}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise AudioError(f"audio file is empty (0 bytes): {path}")
    suffix = path.suffix.lower()
    if suffix and suffix not in SUPPORTED_EXTENSIONS:
        raise AudioError(
            f"unsupported audio format '{suffix}': {path} "
            "(use wav, flac, ogg, opus, mp3, m4a/aac, or a video file with sound)"
        )
    return path


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise AudioError(f"cannot decode audio in {path}: {_reason(exc)}") from None


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        raise AudioError(f"no audio stream in {path}")
    return container.streams.audio[0]


def _decode(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    sample_rate: int,
    path: Path,
) -> np.ndarray:
    """Decode, resample and downmix ``stream`` into one preallocated mono buffer."""
    out = _Samples(_estimated_samples(container, stream, sample_rate))
    expected = 0  # output samples the input implies, summed over segments
    decoded = _Frames(container, stream)

    resampler: av.AudioResampler | None = None
    setup: tuple | None = None  # (format, layout, rate) the current resampler was built for
    n_in = 0  # input samples fed to the current resampler
    rate_in = 0

    def drain(frames: list) -> None:
        for frame in frames:
            if frame is None:  # a pass-through resampler echoes the flush
                continue
            planes = frame.to_ndarray()  # fltp: (channels, samples)
            out.append(planes[0] if planes.shape[0] == 1 else planes.mean(axis=0, dtype=np.float32))

    def finish_segment() -> None:
        nonlocal expected
        if resampler is not None:
            drain(resampler.resample(None))  # flush: the filter holds back its tail
            # Integer round-half-up of n_in * sample_rate / rate_in.
            expected += (2 * n_in * sample_rate + rate_in) // (2 * rate_in)

    try:
        for frame in decoded:
            key = (frame.format.name, frame.layout.name, frame.sample_rate)
            if key != setup:  # stream parameters changed mid-file: start a new segment
                finish_segment()
                # Keep the input layout and average channels ourselves: FFmpeg's own
                # downmix weights channels by 1/sqrt(2) and drops LFE, not a plain mean.
                resampler = av.AudioResampler(format="fltp", rate=sample_rate)
                setup, n_in, rate_in = key, 0, frame.sample_rate
            n_in += frame.samples
            drain(resampler.resample(frame))
        finish_segment()
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise AudioError(f"cannot decode audio in {path}: {_reason(exc)}") from None

    if out.size == 0 and decoded.first_error is not None:
        raise AudioError(f"cannot decode audio in {path}: {_reason(decoded.first_error)}")
    if abs(out.size - expected) > _LENGTH_TOLERANCE:
        raise AudioError(
            f"cannot decode audio in {path}: resampler returned {out.size} samples, expected {expected}"
        )
    # The filter may round its length by a sample or two; fit it so durations are exact.
    return out.take(expected)


def _header_seconds(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream
) -> float | None:
    """Duration recorded in the file, if any (exact for wav/flac, estimated for some mp3)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _estimated_samples(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, sample_rate: int
) -> int:
    """Output length from the header, with a little slack; 10 s when the header does not say."""
    seconds = _header_seconds(container, stream)
    return int((10.0 if seconds is None else seconds) * sample_rate * 1.01) + 4096


class _Samples:
    """A growable float32 buffer filled in place, so decoding holds ~1x the output in memory
    (a list of chunks joined at the end would need 2x)."""

    def __init__(self, capacity: int) -> None:
        self.data = np.empty(max(capacity, 1), dtype=np.float32)
        self.size = 0

    def append(self, x: np.ndarray) -> None:
        end = self.size + x.shape[0]
        if end > self.data.shape[0]:  # the header underestimated: grow geometrically
            grown = np.empty(max(end, 2 * self.data.shape[0]), dtype=np.float32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = x
        self.size = end

    def take(self, n: int) -> np.ndarray:
        """The first ``n`` samples, zero-padded if fewer were written."""
        if n > self.size:
            self.data = np.resize(self.data, max(n, self.data.shape[0]))
            self.data[self.size : n] = 0.0
        if self.data.shape[0] > n + n // 8 + SAMPLE_RATE:  # much slack left: release it
            return self.data[:n].copy()
        return self.data[:n]


def _reason(exc: Exception) -> str:
    """FFmpeg's short message without the errno and file name it repeats."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return reason.splitlines()[0][:200]
