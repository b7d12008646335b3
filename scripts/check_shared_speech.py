"""Run `avatar blendshapes` on every clip under ../shared/data/speech and check frame counts.

Each audio file (any format) is animated through the real CLI (with its transcript when a
.txt or .lab sits beside it) and the CSV's row count must be round(duration * 30) +- 1.

    python scripts/check_shared_speech.py [--data ../shared/data/speech]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from avatar.audio import load_audio

AUDIO_EXT = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac"}


def find_transcript(audio: Path, tmp: Path) -> Path | None:
    """A .txt/.lab beside the clip, or its line in an LJ Speech style metadata.csv above it."""
    for candidate in (audio.with_suffix(".txt"), audio.with_suffix(".lab")):
        if candidate.exists():
            return candidate
    metadata = audio.parent.parent / "metadata.csv"
    if metadata.exists():
        for line in metadata.read_text().splitlines():
            clip_id, _, text = line.partition("|")
            if clip_id == audio.stem:
                out = tmp / f"{audio.stem}.txt"
                out.write_text(text.split("|")[-1])
                return out
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[1] / "../shared/data/speech")
    args = parser.parse_args()
    files = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in AUDIO_EXT)
    failures = 0
    total_audio = total_time = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            duration = len(load_audio(path)) / 16000
            expected = round(duration * 30)
            cmd = [
                sys.executable,
                "-m",
                "avatar",
                "blendshapes",
                "--audio",
                str(path),
                "-o",
                f"{tmp}/out.csv",
                "-q",
            ]
            transcript = find_transcript(path, Path(tmp))
            # The English aligner cannot take the Japanese clip's text: that one runs without.
            if transcript is not None and "_ja_" not in path.stem:
                cmd += ["--text-file", str(transcript)]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            rows = 0
            if proc.returncode == 0:
                with open(f"{tmp}/out.csv") as f:
                    rows = sum(1 for _ in csv.reader(f)) - 1
            ok = proc.returncode == 0 and abs(rows - expected) <= 1
            failures += not ok
            total_audio += duration
            total_time += elapsed
            used_text = "yes" if "--text-file" in cmd else "no"
            print(
                f"{'ok  ' if ok else 'FAIL'} {path.relative_to(args.data)}: {duration:.2f} s, {rows} frames "
                f"(expected {expected}), transcript={used_text}, {elapsed:.2f} s"
                + ("" if proc.returncode == 0 else f" -> {proc.stderr.strip()}")
            )
    print(
        f"{len(files) - failures}/{len(files)} clips ok; {total_audio:.1f} s of audio in {total_time:.1f} s"
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
