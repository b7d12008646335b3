"""Summarise folders made by `avatar data capture`: offsets, z-scores, flags, time per clip.

With --av-manifest (../shared/data/av/manifest.tsv), each clip's offset z-score is set beside the
`sync_z` that the data set's own search measured on the source files (a different estimator:
full-band log-RMS, ±3 frames, circular null), and their rank correlation is printed.

    python scripts/summarize_capture_labels.py /work/labels/grid_s1 /work/labels/diverse \
        --av-manifest ../shared/data/av/manifest.tsv
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np


def _ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def _pooled(folder: Path, rows: list[dict]) -> tuple[int, float] | None:
    """One offset for every clip of the folder (one speaker and studio): sync.pooled_offset."""
    from avatar.eval.sync import pooled_offset

    def labels():
        for r in rows:
            with np.load(folder / r["npz"]) as data:
                yield data["expression"], data["face_found"], data["audio"]

    return pooled_offset(labels())


def summarize(folder: Path, sync_z: dict[str, float]) -> None:
    rows = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    summary = json.loads((folder / "capture.json").read_text())
    ok = [r for r in rows if "error" not in r]
    print(f"== {folder}: {len(rows)} clips, {len(ok)} labelled, {summary['seconds'] / 60:.1f} min")
    if summary["labelled_this_run"]:
        n, wall = summary["labelled_this_run"], summary["wall_s_this_run"]
        cpu = summary.get("cpu_s_this_run", float("nan"))
        print(f"last run: {n} clips in {wall:.0f} s, {wall / n:.1f} s a clip ({cpu / n:.1f} s of CPU)")
    offsets = Counter(r["offset_frames"] for r in ok)
    print("offset frames (count):", ", ".join(f"{k:+d}: {offsets[k]}" for k in sorted(offsets)))
    z = np.array([r["offset_z"] if r["offset_z"] is not None else np.nan for r in ok])
    low, mid = np.nanpercentile(z, 10), np.nanmedian(z)
    print(f"offset z: median {mid:.1f}, 10th percentile {low:.1f}, min {np.nanmin(z):.1f}")
    confident = [r for r in ok if r["offset_z"] is not None and r["offset_z"] >= summary["min_z"]]
    if confident:
        within = sum(abs(r["offset_frames"]) <= 1 for r in confident)
        print(f"z >= {summary['min_z']:g}: {len(confident)} clips, {within} within ±1 frame of 0")
    print("flags:", summary["flags"] or "none", f"usable {summary['usable']}")
    for r in rows:
        if r["flags"]:
            why = r.get("error") or f"offset {r['offset_frames']:+d} z {r['offset_z']} face {r['face_share']}"
            print(f"  {r['name']}: {','.join(r['flags'])} ({why})")
    pooled = _pooled(folder, ok)
    if pooled is not None:
        print(f"pooled over its {len(ok)} clips: offset {pooled[0]:+d} frames (mean r {pooled[1]:.2f})")
    scored = [r for r in ok if r["name"] in sync_z and r["offset_z"] is not None]
    pairs = [(r["offset_z"], sync_z[r["name"]]) for r in scored]
    if len(pairs) >= 3:
        ours, theirs = np.array(pairs).T
        rho = np.corrcoef(_ranks(ours), _ranks(theirs))[0, 1]
        both = sum((a >= summary["min_z"]) == (b >= 2.0) for a, b in pairs)
        print(
            f"vs manifest sync_z on {len(pairs)} clips: Spearman {rho:.2f}; "
            f"agree on (z >= {summary['min_z']:g}) vs (sync_z >= 2) for {both}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--av-manifest", type=Path, help="../shared/data/av/manifest.tsv, for sync_z")
    args = parser.parse_args()
    sync_z = {}
    if args.av_manifest:
        with open(args.av_manifest, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["sync_z"]:
                    sync_z[Path(row["file"]).stem] = float(row["sync_z"])
    for folder in args.folders:
        summarize(folder, sync_z)


if __name__ == "__main__":
    main()
