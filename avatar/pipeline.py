"""The offline pipeline: audio file -> clean 16 kHz mono -> lip-sync -> motion -> controls ->
filter -> Animation; or a video of a face -> capture -> controls -> Animation (``drive_animation``).
Rendering and video are in generate.py; each stage is its own module.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .animation import Animation
from .audio import SAMPLE_RATE, clean_audio, load_audio
from .config import Config, load_config
from .errors import AudioError, AvatarError
from .lipsync import ExpressionSource, LipSync, PhoneticLipSync, ProgressFn

if TYPE_CHECKING:
    from .motion.sampler import MotionModel


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
        audio = load_audio(source, SAMPLE_RATE)
        name = str(source)
    limits = cfg.inference.audio
    duration = len(audio) / SAMPLE_RATE
    if duration < limits.min_duration_s:
        raise AudioError(
            f"audio is too short: {name} lasts {duration:.3f} s (minimum {limits.min_duration_s} s)"
        )
    if duration > limits.max_duration_s:
        raise AudioError(
            f"audio is too long: {name} lasts {duration:.0f} s (maximum {limits.max_duration_s:.0f} s)"
        )
    return clean_audio(audio, SAMPLE_RATE, limits.target_rms_dbfs, limits.peak_limit)


def sample_speech(seconds: float, cfg: Config) -> np.ndarray:
    """The sample clip, cleaned, repeated with 0.5 s pauses and cut to ``seconds``: 16 kHz speech
    of any length for benchmarks and device checks."""
    unit = np.concatenate([prepare_audio(sample_clip()[0], cfg), np.zeros(SAMPLE_RATE // 2, np.float32)])
    n = int(seconds * SAMPLE_RATE)
    return np.tile(unit, n // len(unit) + 1)[:n]


def expression_source(kind: str, cfg: Config, model: str | os.PathLike | None = None) -> ExpressionSource:
    """The lip-sync to use: "phonetic", or "neural" (``models.load_lipsync``: the configured
    backend, ``model`` a checkpoint, default the shipped weights)."""
    if kind == "phonetic":
        return PhoneticLipSync(cfg)
    if kind != "neural":
        raise AvatarError(f"unknown lip-sync '{kind}': use phonetic or neural")
    from .models import load_lipsync
    from .neural.lipsync import NeuralLipSync

    return NeuralLipSync(load_lipsync(cfg, model), cfg)


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
    from .models import load_motion
    from .motion.controls import apply_controls
    from .motion.filters import smooth_offline

    result = (source or expression_source(cfg.inference.lipsync, cfg))(samples, text, progress=progress)
    controls = cfg.inference.controls
    moving = None
    if not controls.still or controls.blink or controls.gaze == "natural":
        moving = (motion or load_motion(cfg))(samples, len(result.expression))
    anim = apply_controls(result.expression, moving, controls, cfg.model.fps)
    if cfg.inference.filter.enabled:
        anim = smooth_offline(anim, cfg.inference.filter)
    return anim, result


def drive_animation(video: str | os.PathLike, cfg: Config, progress: ProgressFn | None = None) -> Animation:
    """A video of a face -> the animation that drives the avatar with it: its capture
    (``avatar.capture.capture`` at the model's fps) under the user's controls, as for speech
    (``apply_controls``): expression_scale scales the captured mouth shapes (closures kept),
    the emotion adds its offsets, head_motion scales the captured head angles and still drops
    them, gaze camera holds the eyes on the viewer (natural: the captured gaze), and blink off
    removes the video's blinks. The seed draws nothing here, and the offline filter is not run:
    capture has its own temporal prior, and smoothing would blunt the video's timing.
    CaptureError or VideoError for a video that cannot be used."""
    from .capture import capture
    from .motion.controls import BLINKS, apply_controls
    from .motion.sampler import Motion

    captured = capture(video, fps=cfg.model.fps, progress=progress)
    controls = cfg.inference.controls
    expression = captured.expression.copy()
    if not controls.blink:
        expression[:, BLINKS] = 0.0
    # the capture stands in for the motion model; its blinks are already in the expression
    motion = Motion(head=captured.head, gaze=captured.gaze, blink=np.zeros(captured.num_frames, np.float32))
    anim = apply_controls(expression, motion, controls, captured.fps)
    anim.face_found = captured.face_found
    return anim


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
