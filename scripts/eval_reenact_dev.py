"""Self-reenactment figures on the development split, per source: re-measure them after a change.

Five GRID speaker-1 clips (the first five by name) and five "diverse" clips of five other
speakers (none of the three Ocasio-Cortez clips, one clip per person), from ../shared/data/av
(or --data DIR). Runs ``avatar eval reenact`` once per source, writing SOURCE.json and a report
folder per source under --out, and prints each source's means and seconds per clip.

    python scripts/eval_reenact_dev.py [--data ../shared/data/av] [--out /tmp/reenact-dev]
        [--set K=V] [--align frame|clip]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from avatar.cli import main as avatar
from avatar.eval.reenact import METRICS

SOURCES = {
    "grid_s1": ["grid_s1/bbaf2n.mp4", "grid_s1/bbaf3s.mp4", "grid_s1/bbaf4p.mp4", "grid_s1/bbaf5a.mp4",
                "grid_s1/bbal6n.mp4"],
    "diverse": ["diverse/hdtf_WDA_BobMenendez_000.mp4", "diverse/pcavs_Audio_Source_00086.mp4",
                "diverse/retalking_face_5.mp4", "diverse/astorfi_sample_video.mp4",
                "diverse/w2lhd_kennedy_low.mp4"],
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[1] / "../shared/data/av")
    parser.add_argument("--out", type=Path, default=Path("/tmp/reenact-dev"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="renderer variant")
    parser.add_argument("--align", choices=("frame", "clip"), default="frame", help="as eval reenact's")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for source, clips in SOURCES.items():
        figures = args.out / f"{source}.json"
        argv = ["eval", "reenact", *(str(args.data / c) for c in clips), "--json", str(figures)]
        argv += ["--report", str(args.out / source), *(f"--set={s}" for s in args.set)]
        argv += ["--align", args.align]
        if avatar(argv) != 0:
            raise SystemExit(f"avatar eval reenact failed on {source}")
        data = json.loads(figures.read_text())
        seconds = [c["seconds"] for c in data["clips"]]
        rows.append((source, len(data["clips"]), data["mean"], sum(seconds) / len(seconds)))
    print(f"\n{'source':<10}{'clips':>6}" + "".join(f"{k:>12}" for k in METRICS) + f"{'s/clip':>9}")
    for source, n, mean, seconds in rows:
        cells = "".join("           –" if mean[k] is None else f"{mean[k]:>12.4f}" for k in METRICS)
        print(f"{source:<10}{n:>6}{cells}{seconds:>9.1f}")


if __name__ == "__main__":
    main()
