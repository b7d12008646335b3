"""``avatar eval lipsync``: does the avatar's mouth move like a real person's?

For each real talking-face video: the speaker's mouth opening per frame (MediaPipe, on the
video), and from the same audio (no transcript) the avatar rendered end to end and measured
the same way, resampled to the video's frame times. Baselines in the same run: the audio
volume envelope, the phonetic path from audio alone (unless it is the path under test) and the
phonetic path with the transcript, rendered and measured the same way (so the renderer's own
losses count against every path alike).
Per clip: Pearson r at lag 0, and the best r within ±5 frames with its lag, of the mouth opening
and, for the rendered paths, of the mouth width (corner distance).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE
from ..config import Config
from ..lipsync import ExpressionSource, PhoneticLipSync
from ..pipeline import prepare_audio
from ..render import Renderer
from ..video.reader import read_frames
from .metrics import compare, envelope, resample
from .mouth import mouth_shape, video_fps
from .report import summarize

METHODS = ("avatar", "phonetic_audio", "phonetic_text", "envelope")
LABELS = {
    "avatar": "avatar, rendered end to end (audio only)",
    "phonetic_audio": "phonetic path from audio only, rendered",
    "phonetic_text": "phonetic path with transcript, rendered",
    "envelope": "audio volume envelope",
}
RENDERED = ("avatar", "phonetic_audio", "phonetic_text")  # their mouth width is measured too


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 5) for v in values]


def evaluate_clip(
    video: str | os.PathLike,
    transcript: str | None,
    cfg: Config,
    renderer: Renderer,
    source: ExpressionSource,
    audio_baseline: bool = True,
) -> dict:
    """Every curve and figure for one video (see the module docstring); ``audio_baseline`` adds the
    phonetic path from audio alone (pointless when that is the path under test)."""
    times, frames = zip(*read_frames(video), strict=True)
    real, real_width = mouth_shape(frames).T
    fps = video_fps(video)
    centers = np.asarray(times) + 0.5 / fps  # compare frames at the middle of their display time
    audio = prepare_audio(video, cfg)
    rate = SAMPLE_RATE

    def measured(expression: np.ndarray) -> np.ndarray:
        """(2, frames) the rendered avatar's mouth opening and width at the video's frame centres."""
        batch = cfg.inference.batch_size
        own_times = (np.arange(len(expression)) + 0.5) / cfg.model.fps
        chunks = [renderer.render(expression[i : i + batch]) for i in range(0, len(expression), batch)]
        shape = mouth_shape(np.concatenate(chunks))
        return np.stack([resample(own_times, shape[:, k], centers) for k in range(2)])

    shapes = {"avatar": measured(source(audio, None).expression)}  # the path under test hears audio only
    phonetic = PhoneticLipSync(cfg)
    if audio_baseline:
        shapes["phonetic_audio"] = measured(phonetic(audio, None).expression)
    if transcript:
        shapes["phonetic_text"] = measured(phonetic(audio, transcript).expression)
    curves = {k: v[0] for k, v in shapes.items()}
    curves["envelope"] = envelope(audio, rate, centers, 1.0 / fps)
    widths = {k: v[1] for k, v in shapes.items()}
    return {
        "name": Path(video).stem,
        "video": str(video),
        "transcript": transcript,
        "fps": fps,
        "times": [round(t, 5) for t in times],
        "real": _listed(real),
        "curves": {k: _listed(v) for k, v in curves.items()},
        "metrics": {k: compare(real, v) for k, v in curves.items()},
        "real_width": _listed(real_width),
        "width_curves": {k: _listed(v) for k, v in widths.items()},
        "width_metrics": {k: compare(real_width, v) for k, v in widths.items()},
        "frames_without_face": int(np.isnan(real).sum()),
    }


def evaluate_lipsync(
    videos: list[Path],
    cfg: Config,
    renderer: Renderer,
    avatar_name: str,
    transcripts: dict[str, str] | None = None,
    source: ExpressionSource | None = None,
    progress: Callable[[int, int], None] | None = None,
    label: str = "phonetic",
) -> dict:
    """Evaluate every video; returns the JSON-ready results (schema in avatar/eval/report.py)."""
    source = source or PhoneticLipSync(cfg)
    clips = []
    for i, video in enumerate(videos):
        text = None if transcripts is None else transcripts.get(video.name, transcripts.get(video.stem))
        clips.append(evaluate_clip(video, text, cfg, renderer, source, audio_baseline=label != "phonetic"))
        if progress is not None:
            progress(i + 1, len(videos))
    return {
        "kind": "lipsync",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "lipsync": label,
        "avatar": avatar_name,
        "methods": list(METHODS),
        "labels": LABELS,
        "clips": clips,
        "summary": summarize(clips, list(METHODS)),
        "width_summary": summarize(clips, list(RENDERED), key="width_metrics"),
    }
