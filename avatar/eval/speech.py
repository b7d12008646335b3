"""How well a transcript-free lip-sync matches the transcript-aligned one, on speech recordings.

The reference for each clip is the phonetic path given the transcript (forced alignment), the
best timing we have without motion capture. The path under test gets the audio only, as it
will in use. Per clip:

- ``viseme_agreement``: fraction of frames showing the same viseme in both. Visemes come from
  the phones when the path under test has them; a path without phones (a neural model) has both
  sides classified from their expressions (``visemes_from_expression``), a coarser comparison
  whose figures are comparable only with other expression-classified ones;
- ``jaw_r``: Pearson r of jawOpen between the two (undefined if either track is constant);
- ``silent_frames``: frames that do not overlap a VAD speech region;
- ``closed_in_silence``: fraction of those frames in which the path under test has jawOpen < 0.05.
  The mouth rightly starts to open ~200 ms before the sound, so on clips with short leading or
  trailing silences (audiobook cuts: 0.2-0.3 s) those ramp frames keep this well under 1;
- ``pause_frames`` / ``closed_in_pauses``: the same over silent frames more than PAUSE_MARGIN_S
  from any speech region, where no lip-sync has a reason to open the mouth.

Clips without a transcript (or whose transcript does not align) still get the silence figures.
Undefined figures are None in the result, so it can be written as strict JSON.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..animation import Animation
from ..audio import SAMPLE_RATE, FrameClock, speech_mask, speech_regions
from ..config import Config
from ..errors import AvatarError
from ..expression.channels import CHANNEL_INDEX
from ..lipsync import ExpressionSource, PhoneticLipSync
from ..lipsync.visemes import (
    DIPHTHONG_TAIL,
    PHONE_VISEME,
    SPEECH_CHANNELS,
    TRANSPARENT,
    VISEME_INDEX,
    viseme_target,
)
from ..pipeline import prepare_audio
from .metrics import pearson
from .motion import motion_stats
from .visemes import viseme_track

ProgressFn = Callable[[int, int], None]  # (clips done, clips in all), as evaluate_lipsync's

CLOSED_JAW = 0.05  # jawOpen below this counts as a closed mouth
PAUSE_MARGIN_S = 0.25  # > the animator's anticipation ramp (~200 ms) and the gate's ramps (150 ms)
_JAW_WEIGHT = 3.0  # of jawOpen in the viseme classifier's distance
TRANSCRIPT_SUFFIXES = (".txt", ".lab")
_JAW = CHANNEL_INDEX["jawOpen"]
_LIP_SEAL = CHANNEL_INDEX["lipSeal"]
# An Audacity label track ("0.23<TAB>0.23<TAB>speech"), which some corpora also name .lab.
_LABEL_LINE = re.compile(r"^\s*[-+\d.eE]+\t[-+\d.eE]+(\t.*)?$")


# --- transcripts -------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AvatarError(f"transcript file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AvatarError(f"cannot read transcript file {path}: {exc.__class__.__name__}") from None


def read_transcript_table(path: str | os.PathLike) -> dict[str, str]:
    """Transcripts by clip (file name or stem) from ``name<TAB>text`` or ``id|text|normalized`` lines.

    Blank lines and lines starting with '#' are skipped. In LJ Speech's pipe form the normalized
    text (numbers and abbreviations spelled out) is used when present, as the aligner needs words.
    Raises AvatarError if the file cannot be read or a line has neither form.
    """
    path = Path(path)
    table: dict[str, str] = {}
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\t" in line:
            name, text = line.split("\t", 1)
        elif "|" in line:
            fields = line.split("|")
            name = fields[0]
            text = fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]
        else:
            raise AvatarError(f"{path}:{number}: expected 'name<TAB>text' or 'id|text|normalized'")
        if name.strip() and text.strip():
            table[name.strip()] = text.strip()
    return table


def find_transcript(audio: Path, table: dict[str, str] | None) -> str | None:
    """The transcript of ``audio``: from ``table`` (by path, file name or stem), else a .txt or
    .lab file beside it, else None."""
    audio = Path(audio)
    if table:
        for key in (str(audio), audio.name, audio.stem):
            if table.get(key, "").strip():
                return table[key].strip()
    for suffix in TRANSCRIPT_SUFFIXES:
        path = audio.with_suffix(suffix)
        if not path.is_file():
            continue
        text = _read_text(path).strip()
        lines = text.splitlines()
        if text and not all(_LABEL_LINE.match(line) for line in lines):
            return " ".join(line.strip() for line in lines)
    return None


# --- per-frame figures ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _prototypes() -> tuple[np.ndarray, np.ndarray]:
    """(poses (P, 64), viseme index (P,)): each phone's target pose at its own jaw opening."""
    shapes = {v for k, v in PHONE_VISEME.items() if k not in TRANSPARENT} | set(DIPHTHONG_TAIL.values())
    poses, labels = [], []
    for viseme, jaw in sorted(shapes):
        pose = viseme_target(viseme, jaw)
        if viseme == "PP":
            pose[_LIP_SEAL] = 1.0  # the animator seals the lips on every bilabial
        poses.append(pose)
        labels.append(VISEME_INDEX[viseme])
    return np.stack(poses), np.array(labels, dtype=np.int64)


def visemes_from_expression(expression: np.ndarray) -> np.ndarray:
    """(T,) viseme index per frame (``VISEMES`` order) of a (T, 64) expression.

    For a lip-sync path without phones (a neural model). Each frame is given the viseme of the
    nearest target pose (Euclidean distance over the mouth, jaw and tongue channels and lipSeal,
    jawOpen weighted 3x), one pose per phone at that phone's jaw opening. A rough classifier:
    a frame blended between two phones goes to whichever pose is closer, so on the phonetic
    path's own expression it agrees with the phone track on only 55-85 % of frames (69 % on
    average over 8 clips).
    """
    poses, labels = _prototypes()
    weights = SPEECH_CHANNELS.astype(np.float32)
    weights[_LIP_SEAL] = 1.0
    # The jaw is what shows most; at equal weight a face with only the jaw open would be nearer
    # the closed rest pose than any vowel. 3x also agrees best with the phones (measured).
    weights[_JAW] = _JAW_WEIGHT
    x = np.asarray(expression, dtype=np.float32) * weights
    d = ((x[:, None, :] - (poses * weights)[None]) ** 2).sum(axis=-1)  # (T, P)
    return labels[np.argmin(d, axis=1)] if len(x) else np.zeros(0, dtype=np.int64)


def _json_float(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


# --- evaluation ----------------------------------------------------------------------------------


def _evaluate_clip(
    path: Path, text: str | None, cfg: Config, reference: PhoneticLipSync, source: ExpressionSource
) -> dict[str, Any]:
    fps = cfg.model.fps
    audio = prepare_audio(path, cfg)
    num_frames = FrameClock(fps=fps, sample_rate=SAMPLE_RATE).num_frames(len(audio))
    tested = source(audio, None)
    n = min(num_frames, len(tested.expression))  # a model may be a frame short or long at the end
    jaw = tested.expression[:n, _JAW]

    regions = speech_regions(audio, cfg.inference.vad)
    silent = ~speech_mask(regions, n, fps)
    pause = ~speech_mask([(s - PAUSE_MARGIN_S, e + PAUSE_MARGIN_S) for s, e in regions], n, fps)
    closed = float(np.mean(jaw[silent] < CLOSED_JAW)) if silent.any() else math.nan
    closed_pause = float(np.mean(jaw[pause] < CLOSED_JAW)) if pause.any() else math.nan

    agreement, jaw_r, viseme_source, ref_method, note = math.nan, math.nan, None, None, None
    if text is None:
        note = "no transcript"
    else:
        ref = reference(audio, text)
        ref_method = ref.method
        if ref.method != "forced-alignment":
            # The reference fell back to phone recognition: comparing it with the audio-only
            # path would measure that path against itself.
            note = "transcript did not align"
        else:
            lead = cfg.inference.phonetic.lead_ms
            if tested.phones:
                # The animator leads the sound by lead_ms, so phone tracks are read at that lead.
                viseme_source = "phones"
                ref_visemes = viseme_track(ref.phones, n, fps, lead)
                tested_visemes = viseme_track(tested.phones, n, fps, lead)
            else:
                # Both sides through the same classifier, so that a copy of the reference
                # scores 1.0 and the classifier's own errors largely cancel.
                viseme_source = "expression"
                ref_visemes = visemes_from_expression(ref.expression[:n])
                tested_visemes = visemes_from_expression(tested.expression[:n])
            agreement = float(np.mean(ref_visemes == tested_visemes)) if n else math.nan
            jaw_r = pearson(ref.expression[:n, _JAW], jaw)

    return {
        "audio": str(path),
        "name": path.name,
        "duration_s": round(len(audio) / SAMPLE_RATE, 3),
        "num_frames": num_frames,
        "transcript": text is not None,
        "reference_method": ref_method,
        "method": tested.method,
        "viseme_source": viseme_source,
        "viseme_agreement": _json_float(agreement),
        "jaw_r": _json_float(jaw_r),
        "silent_frames": int(silent.sum()),
        "closed_in_silence": _json_float(closed),
        "pause_frames": int(pause.sum()),
        "closed_in_pauses": _json_float(closed_pause),
        "note": note,
        "motion": motion_stats(Animation(tested.expression, fps)),
    }


def _mean(clips: list[dict[str, Any]], key: str) -> float | None:
    values = [c[key] for c in clips if c[key] is not None]
    return round(float(np.mean(values)), 4) if values else None


def _summary(clips: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "clips": len(clips),
        "compared": sum(c["viseme_agreement"] is not None for c in clips),
        "duration_s": round(sum(c["duration_s"] for c in clips), 3),
        "num_frames": sum(c["num_frames"] for c in clips),
        "silent_frames": sum(c["silent_frames"] for c in clips),
        "viseme_agreement": _mean(clips, "viseme_agreement"),
        "jaw_r": _mean(clips, "jaw_r"),
        "closed_in_silence": _mean(clips, "closed_in_silence"),
        "pause_frames": sum(c["pause_frames"] for c in clips),
        "closed_in_pauses": _mean(clips, "closed_in_pauses"),
    }


def _label(source: ExpressionSource | None) -> str:
    if source is None:
        return "phonetic"
    return str(getattr(source, "name", None) or getattr(source, "__name__", None) or type(source).__name__)


def evaluate_speech(
    audio_paths: Iterable[str | os.PathLike],
    cfg: Config,
    transcripts: dict[str, str] | None = None,
    source: ExpressionSource | None = None,
    progress: ProgressFn | None = None,
    *,
    label: str | None = None,
) -> dict[str, Any]:
    """Compare an audio-only lip-sync with the transcript-aligned phonetic one on each clip.

    ``transcripts`` maps file names or stems to text (see ``find_transcript`` for the fallbacks);
    ``source`` is the path under test, called as ``source(audio, None)`` on cleaned 16 kHz audio
    (default: ``PhoneticLipSync(cfg)`` without a transcript); ``label`` names it in the result.
    ``progress(done, total)`` is called after each clip. Returns a JSON-ready dict:
    ``{"kind": "speech", "created", "lipsync", "clips": [...], "summary": {...}}``; undefined
    figures are None, and the summary's means skip them. Raises AvatarError for unusable audio.
    """
    paths = [Path(p) for p in audio_paths]
    reference = PhoneticLipSync(cfg)
    tested = source if source is not None else reference
    clips: list[dict[str, Any]] = []
    for i, path in enumerate(paths):
        clips.append(_evaluate_clip(path, find_transcript(path, transcripts), cfg, reference, tested))
        if progress is not None:
            progress(i + 1, len(paths))
    return {
        "kind": "speech",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "lipsync": label or _label(source),
        "clips": clips,
        "summary": _summary(clips),
    }


# --- console -------------------------------------------------------------------------------------


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    first, *rest = cells
    return "  ".join([first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))])


def format_table(results: dict[str, Any]) -> str:
    """The clips and the summary of ``evaluate_speech`` as a plain-text table."""
    header = ["clip", "seconds", "frames", "visemes", "jaw r", "silent", "closed", "pauses", "closed", "note"]

    def cells(d: dict[str, Any]) -> list[str]:  # the figures a clip and the summary share
        return [
            f"{d['duration_s']:.2f}",
            str(d["num_frames"]),
            _cell(d["viseme_agreement"], percent=True),
            _cell(d["jaw_r"]),
            str(d["silent_frames"]),
            _cell(d["closed_in_silence"], percent=True),
            str(d["pause_frames"]),
            _cell(d["closed_in_pauses"], percent=True),
        ]

    s = results["summary"]
    rows = [[c["name"], *cells(c), c["note"] or ""] for c in results["clips"]]
    rows.append([f"all {s['clips']} ({s['compared']} compared)", *cells(s), ""])
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header) - 1)]
    lines = [f"lip-sync under test: {results['lipsync']} (audio only) vs phonetic with transcript"]
    for r in [header, *rows]:
        lines.append(f"{_row(r[:-1], widths)}  {r[-1]}".rstrip())
    lines.insert(2, "-" * len(lines[1]))
    lines.insert(len(lines) - 1, "-" * len(lines[1]))
    lines.append("all: seconds and frame counts summed; the other figures averaged over clips")
    lines.append(
        f"pauses: silent frames over {PAUSE_MARGIN_S * 1000:.0f} ms from speech (no anticipation there)"
    )
    return "\n".join(lines)
