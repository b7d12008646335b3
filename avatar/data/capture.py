"""``label``: turn a folder of real talking-face clips into lip-sync training labels.

Every video under the folder (recursively) is captured (avatar.capture: the 64 channels, head
pose and gaze at 30 fps) and its sound decoded to 16 kHz mono; the clip's audio/video offset is
measured from the data (avatar.eval.sync). One file per clip, written atomically, so a rerun
skips what is done and an interrupted run resumes where it stopped:

OUT/NAME.npz        audio (float32, 16 kHz), expression (T, 64), head (T, 3), gaze (T, 2),
                    face_found (T,), confidence (T,), fps, offset_frames, offset_ms, offset_z,
                    offset_r, source (path relative to DIR), meta (the row below, as JSON)
OUT/manifest.jsonl  one row per clip, labelled or not: name, source, seconds, frames,
                    face_share, offset_frames, offset_ms, offset_z, offset_r, flags, error
OUT/capture.json    the thresholds and this run's counts
OUT/.failed.jsonl   clips that could not be labelled (reason, and the file's size and time, so
                    a changed file is tried again)

NAME is the clip's path under DIR without its extension. offset_frames > 0 means the sound is
late: audio sample s belongs with video frame FrameClock().frame_of_sample(s - offset samples);
avatar.eval.sync.aligned_audio(audio, offset_frames) moves it back. Clips labelled before a
change of the estimator (sync.VERSION) are measured again from their stored curves and sound on
the next run, without capture. Flags (recomputed from the stored figures on every run, so new
thresholds need no recapture): "offset" (|offset| over
max_offset frames), "face" (no face in more than max_face_lost of the frames), "weak_sync" (the
offset's z-score under min_z: no clear peak, so the offset itself is unknown), "failed".
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import zipfile
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE, load_audio
from ..errors import AvatarError, OutputError
from ..eval import sync
from . import files
from .workers import worker_pool

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mpg", ".mpeg", ".flv", ".webm", ".mkv", ".m4v")
MAX_OFFSET_FRAMES = 2  # beyond this the clip would teach the network late or early mouths
MAX_FACE_LOST = 0.10  # share of frames without a face beyond which the targets are mostly bridged
MIN_Z = 3.0  # a peak under this is not told apart from unrelated lags (40 GRID s1 clips: 2.4 to 18, median 7)
MANIFEST = "manifest.jsonl"
SUMMARY = "capture.json"
FAILED = ".failed.jsonl"
KEYS = ("audio", "expression", "head", "gaze", "face_found", "confidence", "fps", "meta")


@dataclass(frozen=True)
class Clip:
    """One video to label: where it is, what it is called, and where its labels go."""

    path: Path
    source: str  # relative to the labelled folder, POSIX
    name: str
    out: Path

    def stamp(self) -> list[int] | None:
        """Size and modification time (a file that changes is labelled again); None if it is gone."""
        try:
            st = self.path.stat()
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]


def find_clips(folder: Path, out: Path) -> list[Clip]:
    """Every video under ``folder`` (not under ``out``), sorted; names made unique."""
    out = out.resolve()
    paths = sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file() and out not in p.resolve().parents
    )
    clips, taken = [], set()
    for path in paths:
        rel = path.relative_to(folder)
        name = rel.with_suffix("").as_posix()
        if name in taken:  # clip.mp4 and clip.mov side by side
            name = f"{name}_{rel.suffix.lower().lstrip('.')}"
        taken.add(name)
        clips.append(Clip(path, rel.as_posix(), name, out / f"{name}.npz"))
    return clips


def label_clip(clip: Clip) -> dict:
    """Capture one clip and write its labels (atomically); the manifest row, or raises."""
    from ..capture import capture  # MediaPipe and torch: only once there is a clip to capture

    audio = load_audio(clip.path)  # first: a file without sound is refused before the slow part
    anim = capture(clip.path)
    found = anim.face_found if anim.face_found is not None else np.ones(anim.num_frames, bool)
    confidence = getattr(anim, "confidence", None)
    confidence = found.astype(np.float32) if confidence is None else np.asarray(confidence, np.float32)
    row = {
        "name": clip.name,
        "source": clip.source,
        "npz": f"{clip.name}.npz",
        "seconds": round(len(audio) / SAMPLE_RATE, 3),
        "frames": anim.num_frames,
        "face_share": round(float(found.mean()), 4),
        "stamp": clip.stamp(),
    }
    arrays = {
        "audio": audio.astype(np.float32),
        "expression": anim.expression,
        "head": anim.head,
        "gaze": anim.gaze,
        "face_found": found,
        "confidence": confidence,
        "fps": np.int16(anim.fps),
        "source": np.str_(clip.source),
    }
    clip.out.parent.mkdir(parents=True, exist_ok=True)
    return _save_with_offset(clip, arrays, row)


def resync_clip(clip: Clip, row: dict) -> dict:
    """Measure a labelled clip's offset again from its stored curves and sound (no capture)."""
    with np.load(clip.out, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return _save_with_offset(clip, arrays, row)


def _save_with_offset(clip: Clip, arrays: dict[str, np.ndarray], row: dict) -> dict:
    """Estimate the offset, add it to ``arrays`` and ``row``, write the clip's file; the row."""
    mouth = sync.mouth_opening(arrays["expression"], arrays["face_found"])
    est = sync.estimate_offset(mouth, sync.loudness(arrays["audio"], len(mouth)))
    row = row | {
        "offset_frames": est.frames,
        "offset_ms": est.ms,
        "offset_z": _rounded(est.z, 2),
        "offset_r": _rounded(est.r, 3),
        "sync_version": sync.VERSION,
    }
    arrays = arrays | {
        "offset_frames": np.int16(est.frames),
        "offset_ms": np.float32(est.ms),
        "offset_z": np.float32(est.z),
        "offset_r": np.float32(est.r),
        "meta": np.str_(json.dumps(row)),
    }
    files.save_npz(clip.out, arrays)
    return row


def _rounded(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


def _attempt(clip: Clip) -> dict:
    """label_clip, with any failure turned into a row: one bad clip never stops a batch."""
    try:
        return label_clip(clip)
    except AvatarError as exc:
        reason = str(exc)
    except Exception as exc:  # a decoder or tracker crash on one file is that file's fault
        reason = f"{type(exc).__name__}: {exc}"
    error = reason.splitlines()[0] if reason.strip() else "unknown error"
    return {"name": clip.name, "source": clip.source, "error": error, "stamp": clip.stamp()}


def done_row(clip: Clip) -> dict | None:
    """The row of a clip already labelled from this very file, or None (missing, torn, stale)."""
    try:
        with np.load(clip.out, allow_pickle=False) as data:
            if not all(key in data for key in KEYS):
                return None
            row = json.loads(str(data["meta"]))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        return None  # a half-written or damaged file: label the clip again
    return row if row.get("stamp") == clip.stamp() else None


def flags(row: dict, max_offset: int, max_face_lost: float, min_z: float) -> list[str]:
    """Why a row should not be trained on as it is (empty: use it)."""
    if "error" in row:
        return ["failed"]
    out = []
    z = row["offset_z"]
    if z is None or z < min_z:
        out.append("weak_sync")
    elif abs(row["offset_frames"]) > max_offset:
        out.append("offset")
    if 1.0 - row["face_share"] > max_face_lost:
        out.append("face")
    return out


def label(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    jobs: int = 1,
    progress: bool = True,
    max_offset: int = MAX_OFFSET_FRAMES,
    max_face_lost: float = MAX_FACE_LOST,
    min_z: float = MIN_Z,
) -> Path:
    """Label every video under ``folder`` into ``out``; returns the manifest's path.

    ``jobs`` worker processes (spawned: a script calling this with jobs > 1 needs
    ``if __name__ == "__main__":``). Raises AvatarError for a missing folder, no videos, bad
    thresholds or an output folder that cannot be written or holds other files; a clip that
    cannot be labelled is a manifest row with its reason, never an exception.
    """
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise AvatarError(f"{folder} is not a folder")
    if jobs < 1:
        raise AvatarError(f"--jobs must be at least 1, got {jobs}")
    if max_offset < 0 or not 0.0 <= max_face_lost <= 1.0:
        raise AvatarError("--max-offset must be 0 or more and --max-face-lost between 0 and 1")
    _prepare(out)
    clips = find_clips(folder, out)
    if not clips:
        raise AvatarError(f"no videos ({', '.join(e[1:] for e in VIDEO_EXTENSIONS)}) under {folder}")
    failed = {r["source"]: r for r in files.read_jsonl(out / FAILED)}
    rows: dict[str, dict] = {}
    todo = []
    for clip in clips:
        row = done_row(clip)
        if row is not None and row.get("sync_version") != sync.VERSION:
            row = resync_clip(clip, row)  # labelled before the estimator changed
        old = failed.get(clip.source)
        if row is None and old is not None and old.get("stamp") == clip.stamp():
            row = old
        if row is None:
            todo.append(clip)
        else:
            rows[clip.name] = row
    start, cpu = time.perf_counter(), _cpu_seconds()
    _run(todo, rows, jobs, out, progress, len(clips))
    took = (time.perf_counter() - start, _cpu_seconds() - cpu)
    return _finish(out, clips, rows, took, len(todo), (max_offset, max_face_lost, min_z))


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: on a busy machine, what a clip costs."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _prepare(out: Path) -> None:
    """Create ``out`` or fail with one line; refuse a non-empty folder this command did not make."""
    try:
        fresh = not out.exists() or not any(out.iterdir())
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"cannot write labels to {out}: a file is in the way") from None
    except OSError as exc:
        raise OutputError(f"cannot write labels to {out}: {exc.strerror or exc}") from None
    if not fresh and not (out / SUMMARY).is_file() and not (out / FAILED).is_file():
        raise OutputError(f"{out} holds other files; choose an empty or new folder, or one this command made")


def _run(todo: list[Clip], rows: dict[str, dict], jobs: int, out: Path, progress: bool, total: int) -> None:
    """Label ``todo`` (into ``rows``), journalling failures as they come, with a progress bar."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        initial=total - len(todo),
        unit="clip",
        desc="capture",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    pending = list(reversed(todo))
    bad = sum("error" in r for r in rows.values())
    with (
        worker_pool(jobs if len(todo) > 1 else 1) as (pool, running),
        open(out / FAILED, "a", encoding="utf-8") as log,
    ):

        def accept(row: dict) -> None:
            nonlocal bad
            rows[row["name"]] = row
            if "error" in row:
                bad += 1
                log.write(json.dumps(row, ensure_ascii=False) + "\n")
                log.flush()
            bar.update(1)
            if bad:
                bar.set_postfix_str(f"{bad} failed", refresh=False)

        try:
            while pending or running:
                if pool is None:
                    accept(_attempt(pending.pop()))
                    continue
                while pending and len(running) < 2 * jobs:
                    clip = pending.pop()
                    running[pool.submit(_attempt, clip)] = clip
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    accept(future.result())
        finally:
            bar.close()


def _finish(
    out: Path,
    clips: list[Clip],
    rows: dict[str, dict],
    took: tuple[float, float],
    made: int,
    limits: tuple[int, float, float],
) -> Path:
    """Write the manifest (clips in path order, flags from ``limits``) and the summary."""
    max_offset, max_face_lost, min_z = limits
    records = []
    for clip in clips:
        row = {k: v for k, v in rows[clip.name].items() if k != "stamp"}
        row["flags"] = flags(row, max_offset, max_face_lost, min_z)
        records.append(row)
    manifest = out / MANIFEST
    files.save_jsonl(manifest, records)
    # drop failures of clips that are gone or now labelled, so the journal stays the current state
    files.save_jsonl(out / FAILED, [rows[c.name] for c in clips if "error" in rows[c.name]])
    labelled = [r for r in records if "error" not in r]
    counts: dict[str, int] = {}
    for r in records:
        for flag in r["flags"]:
            counts[flag] = counts.get(flag, 0) + 1
    summary = {
        "max_offset_frames": max_offset,
        "max_face_lost": max_face_lost,
        "min_z": min_z,
        "clips": len(records),
        "labelled": len(labelled),
        "usable": sum(not r["flags"] for r in records),
        "flags": dict(sorted(counts.items())),
        "seconds": round(sum(r["seconds"] for r in labelled), 1),
        "labelled_this_run": made,
        "wall_s_this_run": round(took[0], 1),
        "cpu_s_this_run": round(took[1], 1),
    }
    (out / SUMMARY).write_text(json.dumps(summary, indent=1) + "\n")
    return manifest
