"""``avatar bench``: milliseconds per frame for every stage, end-to-end fps, first-frame latency, RSS.

Speech is the shipped sample clip repeated (with 0.5 s pauses) to ``seconds``. Stages, each
timed on the whole clip and divided by its frames: speech encoder (conv + transformer),
expression model, VAD gate, motion (prosody, network, draws), filter, render at 256² and 512²,
H.264 encode. End to end: ``generate`` with the neural lip-sync at both sizes. First frame: a
stream fed 20 ms chunks as fast as it takes them, from the first chunk to the first frame (the
182 ms look-ahead is audio it must wait for, so it is added: that is the latency at real-time
pace). Only the torch backend exists yet; the ``onnx`` and ``int8`` sections are null.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import load_config
from .generate import generate
from .lipsync.gate import gate_expression
from .motion.controls import apply_controls
from .motion.filters import smooth_offline
from .neural.model import load_model
from .pipeline import expression_source, motion_model, prepare_audio, sample_clip
from .portrait import default_avatar
from .render import Renderer
from .stream.core import AvatarStream
from .video import VideoWriter
from .weights import shipped


def _ms(fn: Callable[[], Any], frames: int) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - start) * 1000 / frames


def _clip(seconds: float) -> np.ndarray:
    cfg = load_config()
    unit = np.concatenate([prepare_audio(sample_clip()[0], cfg), np.zeros(8000, np.float32)])
    n = int(seconds * 16000)
    return np.tile(unit, n // len(unit) + 1)[:n]


def _stages(audio: np.ndarray) -> dict[str, float]:
    cfg = load_config(overrides={"lipsync": "neural"})
    net, _ = load_model(*shipped("lipsync"))
    frames = round(len(audio) / 16000 * cfg.model.fps)
    wave = torch.from_numpy(audio)[None]
    with torch.no_grad():
        features, encoder = _ms(lambda: net.encoder.contextualize(net.encoder.conv_features(wave))[0], frames)
        logits, expression_ms = _ms(lambda: net.expression(features, frames), frames)
    expression = torch.sigmoid(logits[0]).numpy()
    gated, gate = _ms(lambda: gate_expression(audio, expression, cfg), frames)
    moving, motion = _ms(lambda: motion_model(cfg)(audio, frames), frames)
    anim = apply_controls(gated, moving, cfg.inference.controls, cfg.model.fps)
    _, filtering = _ms(lambda: smooth_offline(anim, cfg.inference.filter), frames)
    avatar = default_avatar()
    out = {
        "speech_encoder_ms": encoder,
        "expression_ms": expression_ms,
        "gate_ms": gate,
        "motion_ms": motion,
        "filter_ms": filtering,
    }
    for size in (256, 512):
        renderer = Renderer(avatar.image, avatar.landmarks, size)
        batch = cfg.inference.batch_size
        n = min(frames, 240)

        def render(renderer: Renderer = renderer, n: int = n, batch: int = batch) -> np.ndarray:
            e, h, g = anim.expression, anim.head, anim.gaze
            return np.concatenate(
                [
                    renderer.render(e[i : i + batch], h[i : i + batch], g[i : i + batch])
                    for i in range(0, n, batch)
                ]
            )

        images, out[f"render_{size}_ms"] = _ms(render, n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.mp4"

            def encode(images: np.ndarray = images, path: Path = path, size: int = size) -> None:
                with VideoWriter(path, size, fps=cfg.model.fps) as writer:
                    writer.write(images)

            _, out[f"encode_{size}_ms"] = _ms(encode, len(images))
    return {k: round(v, 3) for k, v in out.items()}


def _end_to_end(audio: np.ndarray, size: int) -> float:
    cfg = load_config(overrides={"lipsync": "neural"})
    source = expression_source("neural", cfg)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        import soundfile as sf

        sf.write(wav, audio, 16000)
        start = time.perf_counter()
        made = generate(wav, Path(tmp) / "out.mp4", default_avatar(), None, size, cfg, source)
        return round(made.animation.num_frames / (time.perf_counter() - start), 1)


def _first_frame_ms() -> float:
    cfg = load_config(overrides={"lipsync": "neural"})
    lipsync, motion = load_model(*shipped("lipsync"))[0], motion_model(cfg).net
    avatar = default_avatar()
    stream = AvatarStream(cfg, lipsync, motion, Renderer(avatar.image, avatar.landmarks, 256))
    audio = _clip(2.0)
    start = time.perf_counter()
    for i in range(0, len(audio), 320):
        stream.push(audio[i : i + 320])
        if stream.pull():
            break
    compute = time.perf_counter() - start
    wait = stream.clock.frame_start(stream.block) + stream.lookahead  # audio the first block needs
    return round(compute * 1000 + wait / 16, 1)


def run_bench(seconds: float = 20.0, threads: int = 0) -> dict[str, Any]:
    """Every figure; ``threads`` torch threads (0: torch's default)."""
    if threads:
        torch.set_num_threads(threads)
    audio = _clip(seconds)
    result: dict[str, Any] = {
        "threads": torch.get_num_threads(),
        "audio_s": seconds,
        "e2e_fps_256": _end_to_end(audio, 256),
        "e2e_fps_512": _end_to_end(audio, 512),
        "first_frame_ms": _first_frame_ms(),
    }
    result["torch"] = _stages(audio)
    result["onnx"] = None  # not yet: issue 9
    result["int8"] = None
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result
