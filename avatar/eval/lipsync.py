"""``avatar eval lipsync``: does the avatar's mouth move like a real person's?

For each real talking-face video: the speaker's mouth opening per frame (MediaPipe, on the
video), and from the same audio (no transcript) the avatar rendered end to end and measured
the same way, resampled to the video's frame times. Baselines in the same run: the audio
volume envelope, and the phonetic path with the transcript, rendered and measured the same way
(so the renderer's own losses count against both paths alike).
Per clip: Pearson r at lag 0, and the best r within ±5 frames with its lag.
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
from .mouth import mouth_opening, video_fps
from .report import summarize

METHODS = ("avatar", "phonetic_text", "envelope")
LABELS = {
    "avatar": "avatar, rendered end to end (audio only)",
    "phonetic_text": "phonetic path with transcript, rendered",
    "envelope": "audio volume envelope",
}


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 5) for v in values]


def evaluate_clip(
    video: str | os.PathLike,
    transcript: str | None,
    cfg: Config,
    renderer: Renderer,
    source: ExpressionSource,
) -> dict:
    """Every curve and figure for one video (see the module docstring)."""
    times, frames = zip(*read_frames(video), strict=True)
    real = mouth_opening(frames)
    fps = video_fps(video)
    centers = np.asarray(times) + 0.5 / fps  # compare frames at the middle of their display time
    audio = prepare_audio(video, cfg)
    rate = SAMPLE_RATE

    def measured(expression: np.ndarray) -> np.ndarray:
        """The rendered avatar's mouth opening at the video's frame centres."""
        batch = cfg.inference.batch_size
        own_times = (np.arange(len(expression)) + 0.5) / cfg.model.fps
        chunks = [renderer.render(expression[i : i + batch]) for i in range(0, len(expression), batch)]
        return resample(own_times, mouth_opening(np.concatenate(chunks)), centers)

    curves = {"avatar": measured(source(audio, None).expression)}  # the path under test hears audio only
    if transcript:
        curves["phonetic_text"] = measured(PhoneticLipSync(cfg)(audio, transcript).expression)
    curves["envelope"] = envelope(audio, rate, centers, 1.0 / fps)
    return {
        "name": Path(video).stem,
        "video": str(video),
        "transcript": transcript,
        "fps": fps,
        "times": [round(t, 5) for t in times],
        "real": _listed(real),
        "curves": {k: _listed(v) for k, v in curves.items()},
        "metrics": {k: compare(real, v) for k, v in curves.items()},
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
        clips.append(evaluate_clip(video, text, cfg, renderer, source))
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
    }
