"""Audio -> talking-portrait MP4: lip-sync, render each frame, encode with the speech.

The expression source is swappable: anything with the lip-sync call signature (audio, text,
progress) -> LipSync can drive the renderer (phonetic or neural); head, gaze and blinks come
from the motion model (pipeline.animate).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .animation import Animation
from .audio import load_audio
from .config import Config, load_config
from .device import resolve_device
from .lipsync import ExpressionSource, LipSync
from .motion.sampler import MotionModel
from .pipeline import ProgressFn, animate, prepare_audio
from .portrait import Avatar, default_avatar
from .render import Renderer
from .video import VideoWriter

MUX_RATE = 48000  # the speech track is muxed from the original file at this rate, not the 16 kHz copy
SIZES = (256, 512)


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
) -> Generated:
    """Make ``output`` (.mp4): ``avatar`` (default: the built-in astronaut) speaking ``audio``."""
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
