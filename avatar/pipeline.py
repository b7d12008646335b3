"""The offline pipeline: audio file -> clean 16 kHz mono -> lip-sync -> motion -> controls ->
filter -> Animation. Rendering and video are in generate.py; each stage is its own module.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .animation import Animation
from .audio import clean_audio, load_audio
from .config import Config, load_config
from .errors import AudioError, AvatarError
from .lipsync import ExpressionSource, LipSync, PhoneticLipSync, ProgressFn

if TYPE_CHECKING:
    from .motion.sampler import MotionModel
    from .neural.lipsync import LipSyncNetwork


def sample_clip() -> tuple[Path, str]:
    """The built-in sample clip and its transcript (ships in the package)."""
    folder = Path(str(resources.files("avatar.assets")))
    return folder / "sample.wav", (folder / "sample.txt").read_text().strip()


def prepare_audio(source: str | os.PathLike | np.ndarray, cfg: Config) -> np.ndarray:
    """Load (if a path), check the length of, and clean audio -> 16 kHz mono float32.

    An array must already be 16 kHz mono. Raises AudioError if it is too short or too long.
    """
    if isinstance(source, np.ndarray):
        audio = np.asarray(source, dtype=np.float32)
        if audio.ndim != 1:
            raise AudioError(f"audio array must be 1-D mono at 16 kHz, got shape {audio.shape}")
        name = "audio"
    else:
        audio = load_audio(source, cfg.model.sample_rate)
        name = str(source)
    limits = cfg.inference.audio
    duration = len(audio) / cfg.model.sample_rate
    if duration < limits.min_duration_s:
        raise AudioError(
            f"audio is too short: {name} lasts {duration:.3f} s (minimum {limits.min_duration_s} s)"
        )
    if duration > limits.max_duration_s:
        raise AudioError(
            f"audio is too long: {name} lasts {duration:.0f} s (maximum {limits.max_duration_s:.0f} s)"
        )
    return clean_audio(audio, cfg.model.sample_rate, limits.target_rms_dbfs, limits.peak_limit)


def sample_speech(seconds: float, cfg: Config) -> np.ndarray:
    """The sample clip, cleaned, repeated with 0.5 s pauses and cut to ``seconds``: 16 kHz speech
    of any length for benchmarks and device checks."""
    unit = np.concatenate([prepare_audio(sample_clip()[0], cfg), np.zeros(8000, np.float32)])
    n = int(seconds * 16000)
    return np.tile(unit, n // len(unit) + 1)[:n]


def checkpoint_for(kind: str, model: str | os.PathLike | None) -> tuple[Path, str | None]:
    """``model`` (SHA-256 None: nothing to check it against), else the shipped weights of ``kind``
    ("lipsync", "motion") with the SHA-256 they must match; AvatarError if either is missing."""
    if model is not None:
        if not Path(model).is_file():
            raise AvatarError(f"{kind} checkpoint not found: {model}")
        return Path(model), None
    from .weights import shipped

    found = shipped(kind)
    if found is None:
        raise AvatarError(f"the {kind} weights are not installed: pass a checkpoint")
    return found


def lipsync_network(cfg: Config, model: str | os.PathLike | None = None) -> LipSyncNetwork:
    """The neural lip-sync network as configured (``backend``, ``precision``, ``device``): a torch
    LipSyncNet or its onnxruntime twin; ``model`` a checkpoint, default the shipped weights."""
    from .device import resolve_device
    from .neural.model import load_model

    path, sha256 = checkpoint_for("lipsync", model)
    inference = cfg.inference
    device = resolve_device(inference.device)
    if inference.backend == "onnx":
        from .onnx.runtime import load_onnx_lipsync

        return load_onnx_lipsync(path, sha256, int8=inference.precision == "int8", device=device)
    network, _ = load_model(path, sha256=sha256, device=device)
    if inference.precision == "fp16":
        if device != "cuda":
            raise AvatarError("precision: fp16 needs a CUDA GPU and none is available (use fp32)")
        network = network.half()
    return network


def expression_source(kind: str, cfg: Config, model: str | os.PathLike | None = None) -> ExpressionSource:
    """The lip-sync to use: "phonetic", or "neural" (``lipsync_network``)."""
    if kind == "phonetic":
        return PhoneticLipSync(cfg)
    if kind != "neural":
        raise AvatarError(f"unknown lip-sync '{kind}': use phonetic or neural")
    from .neural.lipsync import NeuralLipSync

    return NeuralLipSync(lipsync_network(cfg, model), cfg)


def motion_model(cfg: Config, model: str | os.PathLike | None = None) -> MotionModel:
    """The motion model: the shipped weights (SHA-256 checked), or a ``train-motion`` checkpoint;
    in onnxruntime with ``backend: onnx``."""
    from .motion.model import load_motion
    from .motion.sampler import MotionModel

    path, sha256 = checkpoint_for("motion", model)
    if cfg.inference.backend == "onnx":
        from .device import resolve_device
        from .onnx.runtime import load_onnx_motion

        return MotionModel(load_onnx_motion(path, sha256, resolve_device(cfg.inference.device)), cfg)
    return MotionModel(load_motion(str(path), sha256), cfg)


def animate(
    samples: np.ndarray,
    text: str | None,
    cfg: Config,
    source: ExpressionSource | None = None,
    motion: MotionModel | None = None,
    progress: ProgressFn | None = None,
) -> tuple[Animation, LipSync]:
    """Cleaned 16 kHz audio -> the animation: lip-sync (``source``, else config key lipsync), head, gaze
    and blinks (the shipped motion model unless ``motion``), the user's controls, then the
    zero-phase filter. The motion model is skipped when the controls leave it nothing to do."""
    from .motion.controls import apply_controls
    from .motion.filters import smooth_offline

    result = (source or expression_source(cfg.inference.lipsync, cfg))(samples, text, progress=progress)
    controls = cfg.inference.controls
    moving = None
    if not controls.still or controls.blink or controls.gaze == "natural":
        moving = (motion or motion_model(cfg))(samples, len(result.expression))
    anim = apply_controls(result.expression, moving, controls, cfg.model.fps)
    if cfg.inference.filter.enabled:
        anim = smooth_offline(anim, cfg.inference.filter)
    return anim, result


def blendshapes(
    audio: str | os.PathLike | np.ndarray,
    text: str | None = None,
    cfg: Config | None = None,
    progress: ProgressFn | None = None,
    source: ExpressionSource | None = None,
    motion: MotionModel | None = None,
) -> tuple[Animation, LipSync]:
    """Speech -> per-frame ARKit blendshapes (+ articulators), head and eye angles (``animate``).

    ``audio`` is a file path (any format) or a 16 kHz mono float array; ``text`` its transcript.
    Returns the Animation and the lip-sync details (phones, method).
    """
    cfg = cfg or load_config()
    return animate(prepare_audio(audio, cfg), text, cfg, source, motion, progress)
