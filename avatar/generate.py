"""Audio -> talking-portrait MP4: lip-sync, render each frame, encode with the speech.

The expression source is swappable: anything with the lip-sync call signature (audio, text,
progress) -> LipSync can drive the renderer (phonetic or neural); head, gaze and blinks come
from the motion model (pipeline.animate).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from .animation import Animation
from .audio import load_audio
from .config import Config, load_config
from .device import resolve_device
from .lipsync import ExpressionSource, LipSync, ProgressFn
from .motion.sampler import MotionModel
from .pipeline import animate, prepare_audio
from .portrait import Avatar, default_avatar
from .render import Renderer
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
    """What ``generate`` made: the animation that drove the video, and how."""

    path: Path
    animation: Animation
    lipsync: LipSync
    size: int


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
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size}")
    cfg = cfg or load_config()
    device = resolve_device(cfg.inference.device)
    samples = prepare_audio(audio, cfg)
    anim, result = animate(samples, text, cfg, expression_source, motion, progress=on_lipsync)
    avatar = avatar or default_avatar()
    renderer = Renderer(avatar.image, avatar.landmarks, size).to(device)
    speech = load_audio(audio, MUX_RATE)
    batch = cfg.inference.batch_size
    # x264 runs in C without the GIL: one batch is encoded on a second thread while the next one
    # renders (in order; at most one batch waits), so the two stages share the cores.
    with (
        VideoWriter(output, size, fps=cfg.model.fps, audio=speech, audio_rate=MUX_RATE) as writer,
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
    return Generated(Path(output), anim, result, size)
