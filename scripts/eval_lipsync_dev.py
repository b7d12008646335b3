"""Lip-sync figures on the development split of configs/train_real.yaml, GRID and non-GRID apart.

The three GRID speaker-1 clips of ../shared/data/video/grid and the clips the recipe holds out
(its `dev` lists: four more GRID clips, and five people of ../shared/data/av/diverse) are rendered end to
end from their audio by ``avatar eval lipsync``: the path under test (--lipsync, default neural,
or --model), the phonetic path from audio alone, the phonetic path with the transcript (GRID
only: the other clips have none) and the loudness envelope. Prints, per group, the mean r at lag
0 (and best within ±5 frames, with its mean lag) of the inner-lip aperture and of the mouth
width, and writes each group's results.json and report.html under --out.

    python scripts/eval_lipsync_dev.py [--model CHECKPOINT] [--out /tmp/lipsync-dev]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from avatar.cli import main as avatar
from avatar.config import load_train_config

ROOT = Path(__file__).parents[1]
SHARED = ROOT / "../shared/data"


def _clips(recipe: Path) -> dict[str, list[Path]]:
    """Group -> dev videos: the three of video/grid, the recipe's other GRID ones, its other people."""
    groups: dict[str, list[Path]] = {
        "grid": sorted((SHARED / "video" / "grid").glob("*.mpg")),
        "non-grid": [],
    }
    for source in load_train_config(recipe, {}).data.real:
        folder = Path(source.dir).name
        for name in source.dev:
            if folder != "grid_s1":
                groups["non-grid"].append(SHARED / "av" / folder / f"{name}.mp4")
            elif not (SHARED / "video" / "grid" / f"{name}.mpg").is_file():  # bbaf2n is in both
                groups["grid"].append(SHARED / "av" / "grid_s1" / f"{name}.mp4")
    return groups


def _transcripts(out: Path) -> Path:
    """One TSV of every GRID transcript (video/grid's and av/grid_s1's), keyed by file name."""
    table = {}
    for tsv in (SHARED / "av" / "grid_s1" / "transcripts.tsv", SHARED / "video" / "grid" / "transcripts.tsv"):
        rows = (r for r in csv.reader(tsv.open(), delimiter="\t") if len(r) == 2 and not r[0].startswith("#"))
        for name, text in rows:
            table[Path(name).stem] = text
    path = out / "transcripts.tsv"
    with path.open("w") as f:
        for stem, text in table.items():
            f.write(f"{stem}.mp4\t{text}\n{stem}.mpg\t{text}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=ROOT / "configs" / "train_real.yaml")
    parser.add_argument("--lipsync", default="neural", choices=("neural", "phonetic"))
    parser.add_argument("--model", help="a lip-sync checkpoint (default: the shipped weights)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/lipsync-dev"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = _transcripts(args.out)
    for group, videos in _clips(args.recipe).items():
        argv = ["eval", "lipsync", *map(str, videos), "--transcripts", str(table), "-q"]
        argv += ["--lipsync", args.lipsync, "--report", str(args.out / group)]
        argv += ["--model", args.model] if args.model else []
        if avatar(argv) != 0:
            raise SystemExit(f"eval lipsync failed on the {group} clips")
        results = json.loads((args.out / group / "results.json").read_text())
        print(f"== {group}: {len(videos)} clips")
        for key, label in (("summary", "aperture"), ("width_summary", "width")):
            for method, s in results[key].items():
                if s["mean_r0"] is not None:
                    lag = s["mean_best_lag"]
                    print(f"  {label:8s} {method:15s} r0 {s['mean_r0']:+.3f}  best {s['mean_r_best']:+.3f}"
                          f"  (mean best lag {lag:+.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
