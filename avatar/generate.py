"""Audio -> talking-portrait MP4: lip-sync, render each frame, encode with the speech; or a video
of a face -> the same portrait driven by it (``drive``).

The expression source is swappable: anything with the lip-sync call signature (audio, text,
progress) -> LipSync can drive the renderer (phonetic or neural); head, gaze and blinks come
from the motion model (pipeline.animate). ``drive`` takes all of them from a video's capture
(pipeline.drive_animation); both render and encode with ``render_video``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import torch

from .animation import Animation
from .audio import load_audio
from .config import Config, load_config
from .device import resolve_device
from .errors import VideoError
from .lipsync import ExpressionSource, LipSync, ProgressFn
from .models import load_renderer
from .motion.sampler import MotionModel
from .pipeline import animate, drive_animation, prepare_audio
from .portrait import Avatar, default_avatar
from .video import VideoWriter

MUX_RATE = 48000  # the speech track is muxed from the original file at this rate, not the 16 kHz copy
SIZES = (256, 512)


def render_threads(size: int, device: str) -> int:
    """Torch threads for rendering while x264 encodes beside it (CPU only).

    Measured on 2 cores (README): at 256² x264 takes 1.6 ms a frame to the renderer's 2.2, and
    the renderer barely gains from a second thread (2.4 ms on one), so it leaves x264 a core:
    ~280 fps end to end instead of ~230. At 512² rendering dominates (9 ms on 2 threads, 13 on
    one, x264 4 ms) and keeps every thread: 77 fps instead of 67.
    """
    threads = torch.get_num_threads()
    return max(1, threads - 1) if device == "cpu" and size <= 256 else threads


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class Generated:
    """What ``generate`` or ``drive`` made: the animation that drove the video, and how."""

    path: Path
    animation: Animation
    lipsync: LipSync | None  # None for a video driven by another video (``drive``)
    size: int


def _check_size(size: int) -> None:
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size}")


def generate(
    audio: str | os.PathLike,
    output: str | os.PathLike,
    avatar: Avatar | None = None,
    text: str | None = None,
    size: int = 256,
    cfg: Config | None = None,
    expression_source: ExpressionSource | None = None,
    motion: MotionModel | None = None,
    on_lipsync: ProgressFn | None = None,
    on_frames: Callable[[int, int], None] | None = None,
    split_cores: bool = True,
) -> Generated:
    """Make ``output`` (.mp4): ``avatar`` (default: the built-in astronaut) speaking ``audio``.

    ``split_cores``: render with ``render_threads`` while x264 encodes beside it. Torch's thread
    count is process-wide, so a caller running several jobs at once (the service) passes False:
    its jobs already share the cores.
    """
    _check_size(size)
    cfg = cfg or load_config()
    samples = prepare_audio(audio, cfg)
    anim, result = animate(samples, text, cfg, expression_source, motion, progress=on_lipsync)
    speech = load_audio(audio, MUX_RATE)
    render_video(anim, output, avatar, size, cfg, speech, on_frames, split_cores)
    return Generated(Path(output), anim, result, size)


def drive(
    video: str | os.PathLike,
    output: str | os.PathLike,
    avatar: Avatar | None = None,
    audio: str | os.PathLike | None = None,
    size: int = 256,
    cfg: Config | None = None,
    on_frames: Callable[[int, int], None] | None = None,
    split_cores: bool = True,
    on_capture: Callable[[float, float], None] | None = None,
) -> Generated:
    """Make ``output`` (.mp4): ``avatar`` (default: the built-in astronaut) with the face of
    ``video``: its captured expression, head motion and gaze (``pipeline.drive_animation``, with
    the configured controls), one frame per 1/fps s of the video.

    The sound is ``audio`` if given, else the video's own; either is cut or padded with silence
    to the video's length (``VideoWriter``). A video without an audio track and no ``audio``
    gives a video-only MP4 (no audio stream). CaptureError / VideoError for an unusable video.
    ``on_capture(done, total)`` follows the capture in seconds of video, ``on_frames`` the render.
    """
    _check_size(size)
    cfg = cfg or load_config()
    anim = drive_animation(video, cfg, on_capture)
    sound = load_audio(audio, MUX_RATE) if audio is not None else _own_sound(video)
    render_video(anim, output, avatar, size, cfg, sound, on_frames, split_cores)
    return Generated(Path(output), anim, None, size)


def _own_sound(video: str | os.PathLike) -> np.ndarray | None:
    """The video's audio track at MUX_RATE, or None if it has none (AudioError if it has one
    that cannot be decoded: the user can give other audio instead)."""
    try:
        with av.open(str(video)) as container:
            has_sound = bool(container.streams.audio)
    except (av.error.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot read video {video}: {exc}") from None
    return load_audio(video, MUX_RATE) if has_sound else None


def render_video(
    anim: Animation,
    output: str | os.PathLike,
    avatar: Avatar | None,
    size: int,
    cfg: Config,
    sound: np.ndarray | None,
    on_frames: Callable[[int, int], None] | None = None,
    split_cores: bool = True,
) -> None:
    """Render ``anim`` with ``avatar`` (default: the built-in one) at ``size`` and encode it to
    ``output`` with ``sound`` (mono at MUX_RATE, cut or padded to the video; None: no audio
    track). ``on_frames(done, total)`` after each batch; ``split_cores`` as for ``generate``."""
    device = resolve_device(cfg.inference.device)
    avatar = avatar or default_avatar()
    renderer = load_renderer(avatar, size, cfg, device)
    batch = cfg.inference.batch_size
    # x264 runs in C without the GIL: one batch is encoded on a second thread while the next one
    # renders (in order; at most one batch waits), so the two stages share the cores.
    with (
        VideoWriter(output, size, fps=cfg.model.fps, audio=sound, audio_rate=MUX_RATE) as writer,
        ThreadPoolExecutor(1, thread_name_prefix="encode") as encoder,
        torch_threads(render_threads(size, device) if split_cores else torch.get_num_threads()),
    ):
        pending: Future | None = None
        for start in range(0, anim.num_frames, batch):
            end = min(start + batch, anim.num_frames)
            frames = renderer.render(anim.expression[start:end], anim.head[start:end], anim.gaze[start:end])
            if pending is not None:
                pending.result()  # re-raises an encoder error here
            pending = encoder.submit(writer.write, frames)
            if on_frames is not None:
                on_frames(end, anim.num_frames)
        if pending is not None:
            pending.result()
