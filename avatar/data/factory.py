"""``synth``: make (or extend, or resume) a synthetic lip-sync training set in a folder.

Utterances are numbered; utterance i is a pure function of (seed, i, config) (utterance.py).
The data set for H hours is the shortest run of utterances 0, 1, 2, ... whose kept audio adds
up to H hours, so the result does not depend on how many processes made it or in what order
they finished, and a larger H extends a smaller one. Finished utterances (kept or dropped) are
journalled as they arrive; a rerun with the same config skips them (an interrupted run
resumes), and at the end the folder holds exactly the data set for H hours.

DIR/manifest.jsonl   one record per kept utterance (utterance.py lists the fields)
DIR/dropped.jsonl    utterances whose speech could not be labelled, with the reason
DIR/audio/ID.flac    16 kHz mono 16-bit
DIR/labels/ID.npz    phones50 (int16, 50 Hz), targets30 (float16, 30 fps x 64), seg_phone,
                     seg_start, seg_end (phone segments in samples)
DIR/synth.json       the config, its hash, and this run's figures (counts, mix, timing, size)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

from ..config import Config, load_config
from ..errors import AvatarError, OutputError
from . import files
from .voices import LANGUAGES, check_tools
from .workers import worker_pool

DATA_VERSION = 3  # bump whenever a change alters what utterance i comes out as
JOURNAL = ".journal.jsonl"
MAX_HOURS = 10_000.0
_FIRST_GUESS_S = 8.0  # mean utterance length assumed before any has finished
MIN_TRIES, MAX_DROPPED_SHARE = 20, 0.8  # give up when over 80 % of 20+ utterances were dropped


def config_hash(config: dict) -> str:
    """12 hex digits identifying what the utterances depend on (not --hours, not --jobs)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def parse_languages(languages: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """'en,de' or ['en', 'de'] -> ('en', 'de') in LANGUAGES order; None -> all of them."""
    if languages is None:
        return LANGUAGES
    items = languages.split(",") if isinstance(languages, str) else list(languages)
    wanted = {item.strip().lower() for item in items if item.strip()}
    unknown = sorted(wanted - set(LANGUAGES))
    if unknown or not wanted:
        raise AvatarError(
            f"unknown language {', '.join(unknown) or '(none given)'}: choose from {', '.join(LANGUAGES)}"
        )
    return tuple(lang for lang in LANGUAGES if lang in wanted)


def synth(
    hours: float,
    out: str | os.PathLike,
    seed: int,
    jobs: int | None = None,
    languages: str | list[str] | tuple[str, ...] | None = None,
    progress: bool = True,
    cfg: Config | None = None,
) -> Path:
    """Make ``hours`` of labelled synthetic speech in folder ``out``; returns the manifest's path.

    ``jobs`` worker processes (default: the CPUs this process may use); ``languages`` a subset of
    LANGUAGES (default all); ``cfg`` supplies the phonetic animator settings of the targets
    (default: load_config()). Raises AvatarError for bad arguments, a missing TTS engine (naming
    its Debian package), or a folder that cannot be written or holds other data. Workers are
    spawned processes, so a script calling this with jobs > 1 needs ``if __name__ == "__main__":``.
    """
    if not isinstance(hours, int | float) or not math.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise AvatarError(f"--hours must be a number of hours above 0 and at most {MAX_HOURS:g}, got {hours}")
    if jobs is not None and jobs < 1:
        raise AvatarError(f"--jobs must be at least 1, got {jobs}")
    langs = parse_languages(languages)
    cfg = cfg or load_config()
    folder = _prepare_folder(Path(out))
    versions = check_tools(list(langs))
    config = {
        "version": DATA_VERSION,
        "seed": int(seed),
        "languages": list(langs),
        "phonetic": cfg.inference.phonetic.model_dump(),
        "tools": versions,
    }
    digest = config_hash(config)
    journal = _read_journal(folder, digest)
    from .utterance import Job  # loads scipy and the augmentation code, so only when needed

    jobs = jobs or _cpu_count()

    def job(i: int) -> Job:
        return Job(i, int(seed), langs, cfg.inference.phonetic, folder, digest)

    start = time.perf_counter()
    records, made = _run(job, journal, hours * 3600.0, jobs, folder, progress)
    wall = time.perf_counter() - start
    return _finish(folder, records, config, digest, hours, wall, made)


def _cpu_count() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _prepare_folder(folder: Path) -> Path:
    """Create ``folder`` (and audio/, labels/) or fail with one line; refuse a folder of other files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "audio").mkdir(exist_ok=True)
        (folder / "labels").mkdir(exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except FileExistsError:
        raise OutputError(f"cannot write the data set to {folder}: a file is in the way") from None
    except OSError as exc:
        raise OutputError(f"cannot write the data set to {folder}: {exc.strerror or exc}") from None
    ours = {"audio", "labels", "manifest.jsonl", "dropped.jsonl", "synth.json", JOURNAL}
    others = sorted(p.name for p in folder.iterdir() if p.name not in ours and not p.name.startswith("."))
    if others:
        raise OutputError(
            f"{folder} holds other files ({', '.join(others[:3])}); choose an empty or new folder"
        )
    return folder


def _read_journal(folder: Path, digest: str) -> dict[int, dict]:
    """Finished utterances of an earlier run with the same config, by index (files checked)."""
    lines = files.read_jsonl(folder / JOURNAL)
    other = next((r["config"] for r in lines if r.get("config") != digest), None)
    if other is not None:
        raise OutputError(
            f"{folder} holds data made with other settings (config {other}, now {digest}: the seed, "
            "languages, animator settings or TTS versions differ); choose another folder or delete it"
        )
    done = {}
    for r in lines:
        if "dropped" in r or ((folder / r["audio"]).is_file() and (folder / r["labels"]).is_file()):
            done[int(r["id"][1:])] = r
    return done


class _Tally:
    """Finished utterances by index, with running totals (each update is O(1), not O(n))."""

    def __init__(self, target_s: float) -> None:
        self.target_s = target_s
        self.records: dict[int, dict] = {}
        self.kept_s, self.kept, self.dropped = 0.0, 0, Counter()
        self.prefix, self.prefix_s = 0, 0.0  # the unbroken run 0..prefix-1 and its kept seconds

    def add(self, index: int, record: dict) -> None:
        self.records[index] = record
        if "dropped" in record:
            self.dropped[f"{record['dropped']}: {record['error']}"] += 1
        else:
            self.kept_s += record["duration"]
            self.kept += 1
        while self.prefix_s < self.target_s and self.prefix in self.records:
            self.prefix_s += self.records[self.prefix].get("duration", 0.0)
            self.prefix += 1

    @property
    def done(self) -> bool:
        return self.prefix_s >= self.target_s

    def expected_s(self, running: int) -> float:
        """Seconds kept so far plus what ``running`` more utterances should add."""
        mean = self.kept_s / self.kept if self.kept else _FIRST_GUESS_S
        return self.kept_s + running * mean * self.kept / max(len(self.records), 1)

    def check_failures(self) -> None:
        """Stop when most utterances are dropped: something is broken, more tries will not help."""
        dropped = sum(self.dropped.values())
        if len(self.records) >= MIN_TRIES and dropped > MAX_DROPPED_SHARE * len(self.records):
            reason, count = self.dropped.most_common(1)[0]
            raise AvatarError(
                f"{dropped} of {len(self.records)} utterances failed (most often, {count}x: {reason})"
            )


def _run(job, journal: dict[int, dict], target_s: float, jobs: int, folder: Path, progress: bool):
    """Make utterances 0, 1, ... until the kept ones in an unbroken run from 0 reach ``target_s``.

    Returns (records of that run, how many were made now rather than found in the journal).
    """
    from tqdm import tqdm

    from .utterance import make

    bar = tqdm(
        total=round(target_s), unit="s", desc="synth", file=sys.stderr, disable=not progress, leave=False
    )
    tally = _Tally(target_s)
    made = 0
    next_index = 0
    with worker_pool(jobs) as (pool, running), open(folder / JOURNAL, "a", encoding="utf-8") as log:

        def accept(index: int, record: dict, fresh: bool) -> None:
            nonlocal made
            tally.add(index, record)
            if fresh:
                made += 1
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()
            bar.update(min(int(tally.kept_s), bar.total) - bar.n)  # whole seconds: a readable bar

        try:
            while not tally.done:
                # Keep the workers busy, but stop queueing once what is done and running should do.
                while len(running) < 2 * jobs and tally.expected_s(len(running)) < target_s:
                    i, next_index = next_index, next_index + 1
                    if i in journal:
                        accept(i, journal[i], fresh=False)
                    elif pool is None:
                        accept(i, make(job(i)), fresh=True)
                    else:
                        running[pool.submit(make, job(i))] = i
                if running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        accept(running.pop(future), future.result(), fresh=True)
                tally.check_failures()
        finally:
            bar.close()
    return [tally.records[i] for i in range(tally.prefix)], made


def _finish(
    folder: Path, records: list[dict], config: dict, digest: str, hours: float, wall: float, made: int
) -> Path:
    """Write manifest, dropped list, summary; rewrite the journal and remove files beyond the run."""
    kept = [r for r in records if "dropped" not in r]
    dropped = [r for r in records if "dropped" in r]
    manifest = folder / "manifest.jsonl"
    files.save_jsonl(manifest, kept)
    files.save_jsonl(folder / "dropped.jsonl", dropped)
    files.save_jsonl(folder / JOURNAL, records)
    wanted = {r["id"] for r in kept}
    for sub, suffix in (("audio", ".flac"), ("labels", ".npz")):
        for path in (folder / sub).iterdir():
            if (path.suffix == suffix and path.stem not in wanted) or path.name.endswith(".tmp"):
                path.unlink()
    audio_s = sum(r["duration"] for r in kept)
    size = sum(p.stat().st_size for sub in ("audio", "labels") for p in (folder / sub).iterdir())
    summary = {
        "config_hash": digest,
        "config": config,
        "hours_requested": hours,
        "utterances": len(kept),
        "audio_hours": round(audio_s / 3600, 4),
        "speech_hours": round(sum(r["speech_s"] for r in kept) / 3600, 4),
        "dropped": dict(Counter(r["dropped"] for r in dropped)),
        "made_this_run": made,
        "wall_s_this_run": round(wall, 1),
        "bytes": size,
        "split_s": _seconds_by(kept, "split"),
        "language_s": _seconds_by(kept, "language"),
        "voice_s": _seconds_by(kept, "voice"),
        "label_method_s": _seconds_by(kept, "label_method"),
    }
    (folder / "synth.json").write_text(json.dumps(summary, indent=1) + "\n")
    return manifest


def _seconds_by(records: list[dict], key: str) -> dict[str, float]:
    totals: Counter = Counter()
    for r in records:
        totals[r[key]] += r["duration"]
    return {k: round(v, 1) for k, v in sorted(totals.items())}
