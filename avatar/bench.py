"""``avatar bench``: milliseconds per frame for every stage, end-to-end fps, first-frame latency, RSS.

Speech is the shipped sample clip repeated (with 0.5 s pauses) to ``seconds``. Three backends
side by side: ``torch``, ``onnx`` (onnxruntime, fp32) and ``int8`` (onnxruntime, MatMul/Gemm
weights quantized). Each backend's section holds its network stages (speech encoder, expression
model, motion: prosody + network + draws), each timed on the whole clip and divided by its
frames, and ``generate`` end to end with the neural lip-sync at 256² and 512² (encoding
included) as fps and real-time factor. The stages no backend changes (VAD gate, filter, torch
render, H.264 encode) are timed once, in ``torch``; ``onnx`` adds the renderer's own ONNX graph
for comparison (the runtime renders with torch whatever the backend: its sparse product is
faster). The top level holds the best backend's end-to-end figures, a live stream's first-frame
latency (fed 20 ms chunks as fast as it takes them, plus the audio it must wait for at real-time
pace: its first frame and the 75 ms look-ahead; median and maximum of 5 new streams) and the
process's peak RSS.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from .audio import SAMPLE_RATE, vad
from .config import Config, load_config
from .generate import generate
from .lipsync.gate import gate_expression
from .models import load_lipsync, load_motion, load_renderer
from .motion.controls import apply_controls
from .motion.filters import smooth_offline
from .pipeline import expression_source, sample_speech
from .portrait import default_avatar
from .render import Renderer
from .stream.core import AvatarStream, live_networks
from .video import VideoWriter

BACKENDS = {  # section -> config overrides
    "torch": {"backend": "torch", "precision": "fp32"},
    "onnx": {"backend": "onnx", "precision": "fp32"},
    "int8": {"backend": "onnx", "precision": "int8"},
}


def _ms(fn: Callable[[], Any], frames: int) -> tuple[Any, float]:
    vad.forget()  # each stage pays for the VAD it uses, as if it ran alone
    start = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - start) * 1000 / frames


def _cfg(backend: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """The user's config (``overrides``: --set) with the neural lip-sync and ``backend``'s keys."""
    return load_config(overrides={**(overrides or {}), "lipsync": "neural", **BACKENDS.get(backend, {})})


def _networks(audio: np.ndarray, cfg: Config, frames: int) -> tuple[np.ndarray, dict[str, float]]:
    """The expression and the network stages' ms per frame on ``cfg``'s backend."""
    net = load_lipsync(cfg)
    out: dict[str, float] = {}
    if isinstance(net, torch.nn.Module):
        wave = torch.from_numpy(audio)[None]
        with torch.no_grad():
            features, out["speech_encoder_ms"] = _ms(
                lambda: net.encoder.contextualize(net.encoder.conv_features(wave))[0], frames
            )
            logits, out["expression_ms"] = _ms(lambda: net.expression(features, frames), frames)
        expression = torch.sigmoid(logits[0]).numpy()
    else:
        features, out["speech_encoder_ms"] = _ms(lambda: net.features(audio), frames)
        expression, out["expression_ms"] = _ms(lambda: net.expression_of(features, frames), frames)
        out["lipsync_mb"] = sum(os.path.getsize(path) for path in net.paths) / 1e6
    _, out["motion_ms"] = _ms(lambda: load_motion(cfg)(audio, frames), frames)
    return expression, out


def _batches(anim, n: int, batch: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(expression, head, gaze) of the first ``n`` frames, ``batch`` frames at a time."""
    for i in range(0, n, batch):
        yield anim.expression[i : i + batch], anim.head[i : i + batch], anim.gaze[i : i + batch]


def _render_and_encode(anim, cfg: Config, frames: int) -> dict[str, float]:
    """Torch render and H.264 encode at 256² and 512² (up to 240 frames each)."""
    avatar, out = default_avatar(), {}
    for size in (256, 512):
        renderer = load_renderer(avatar, size, cfg, "cpu")
        batch, n = cfg.inference.batch_size, min(frames, 240)

        def render(renderer: Renderer = renderer, n: int = n, batch: int = batch) -> np.ndarray:
            return np.concatenate([renderer.render(*part) for part in _batches(anim, n, batch)])

        images, out[f"render_{size}_ms"] = _ms(render, n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.mp4"

            def encode(images: np.ndarray = images, path: Path = path, size: int = size) -> None:
                with VideoWriter(path, size, fps=cfg.model.fps) as writer:
                    writer.write(images)

            _, out[f"encode_{size}_ms"] = _ms(encode, len(images))
    return out


def _onnx_renderer_ms(anim, cfg: Config, frames: int) -> dict[str, float]:
    """The renderer's ONNX graph in onnxruntime, for comparison (60 frames at each size)."""
    from .onnx.export import export_renderer
    from .onnx.runtime import open_session

    avatar, out = default_avatar(), {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (256, 512):
            path = export_renderer(
                Path(tmp) / f"renderer_{size}.onnx",
                load_renderer(avatar, size, cfg, "cpu"),
                avatar.name,
            )
            session, batch, n = open_session(path), cfg.inference.batch_size, min(frames, 60)

            def render(session=session, n: int = n, batch: int = batch) -> None:
                for e, h, g in _batches(anim, n, batch):
                    session.run(None, {"expression": e, "head": h, "gaze": g})

            _, out[f"render_{size}_ms"] = _ms(render, n)
    return out


def _end_to_end(audio: np.ndarray, size: int, cfg: Config) -> float:
    """``generate`` at ``size``² from a WAV file to an MP4, in frames per second."""
    source = expression_source("neural", cfg)
    motion = load_motion(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        sf.write(wav, audio, SAMPLE_RATE)
        vad.forget()
        start = time.perf_counter()
        made = generate(wav, Path(tmp) / "out.mp4", default_avatar(), None, size, cfg, source, motion=motion)
        return made.animation.num_frames / (time.perf_counter() - start)


def _first_frame_ms(cfg: Config, trials: int = 5) -> list[float]:
    """A new stream's first frame, ``trials`` times: the audio it must wait for (which arrives
    in real time when live) plus the time its pushes and pulls take."""
    lipsync, motion = live_networks()
    avatar, audio, out = default_avatar(), sample_speech(2.0, cfg), []
    for _ in range(trials):
        stream = AvatarStream(cfg, lipsync, motion, load_renderer(avatar, 256, cfg, "cpu"))
        wait = stream.samples_needed() * 1000 / SAMPLE_RATE  # ms
        start = time.perf_counter()
        for i in range(0, len(audio), 320):
            stream.push(audio[i : i + 320])
            if stream.pull():
                break
        out.append((time.perf_counter() - start) * 1000 + wait)
    return out


def _section(audio: np.ndarray, backend: str, overrides: dict[str, Any]) -> dict[str, float]:
    cfg = _cfg(backend, overrides)
    frames = round(len(audio) / SAMPLE_RATE * cfg.model.fps)
    expression, out = _networks(audio, cfg, frames)
    if backend == "torch":
        gated, out["gate_ms"] = _ms(lambda: gate_expression(audio, expression, cfg), frames)
        moving = load_motion(cfg)(audio, frames)
        anim = apply_controls(gated, moving, cfg.inference.controls, cfg.model.fps)
        anim, out["filter_ms"] = _ms(lambda: smooth_offline(anim, cfg.inference.filter), frames)
        out.update(_render_and_encode(anim, cfg, frames))
    elif backend == "onnx":
        anim = apply_controls(
            expression, load_motion(cfg)(audio, frames), cfg.inference.controls, cfg.model.fps
        )
        out.update(_onnx_renderer_ms(anim, cfg, frames))
    for size in (256, 512):
        fps = _end_to_end(audio, size, cfg)
        out[f"e2e_fps_{size}"], out[f"e2e_rtf_{size}"] = fps, fps / cfg.model.fps
    return {k: round(v, 3) for k, v in out.items()}


def run_bench(
    seconds: float = 20.0, threads: int = 0, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every figure; ``threads`` torch and onnxruntime threads (0: torch's default); ``overrides``
    config keys (as --set) applied under each backend's."""
    if threads:
        torch.set_num_threads(threads)
    overrides = overrides or {}
    audio = sample_speech(seconds, _cfg(None, overrides))
    sections = {backend: _section(audio, backend, overrides) for backend in BACKENDS}
    first = _first_frame_ms(_cfg("torch", overrides))
    best = max(sections, key=lambda b: sections[b]["e2e_fps_256"])
    return {
        "threads": torch.get_num_threads(),
        "audio_s": seconds,
        "best_backend": best,
        "e2e_fps_256": sections[best]["e2e_fps_256"],
        "e2e_fps_512": sections[best]["e2e_fps_512"],
        "first_frame_ms": round(float(np.median(first)), 1),  # of 5 new streams
        "first_frame_max_ms": round(max(first), 1),
        **sections,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
