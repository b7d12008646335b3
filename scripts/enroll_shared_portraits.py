"""Enroll every portrait under ../shared/data/portraits into a throw-away AVATAR_HOME and report.

Per portrait: faces found, outer-eye distance in source pixels, mouth_open, eyes_open, padding,
and the time to enroll it cold and again from the cache. The face mesh's own time per image is
measured separately (after a warm-up, so mediapipe's ~1 s import and graph set-up are excluded).

    python scripts/enroll_shared_portraits.py [--data ../shared/data/portraits]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".webp"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/portraits"), help="photo folder")
    args = parser.parse_args()
    photos = sorted(p for p in args.data.iterdir() if p.suffix.lower() in IMAGE_EXT)
    if not photos:
        raise SystemExit(f"no portraits in {args.data}")

    with tempfile.TemporaryDirectory() as home:
        os.environ["AVATAR_HOME"] = home  # before anything reads it
        from avatar.portrait import enroll_or_load
        from avatar.portrait.facemesh import detect_faces
        from avatar.portrait.image import read_image

        header = f"{'portrait':40} {'faces':>5} {'IOD px':>7} {'mouth_open':>10} {'eyes_open':>9}"
        header += f" {'padding':>7} {'enroll s':>8} {'cached s':>8} {'mesh ms':>7}"
        print(header)
        for i, photo in enumerate(photos):
            start = time.perf_counter()
            avatar, _ = enroll_or_load(photo)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            _, hit = enroll_or_load(photo)
            cached = time.perf_counter() - start
            assert hit
            rgb = read_image(photo)
            start = time.perf_counter()
            for _ in range(5):
                detect_faces(rgb)
            mesh_ms = (time.perf_counter() - start) / 5 * 1000
            meta = avatar.meta
            note = " (incl. mediapipe import)" if i == 0 else ""
            print(
                f"{photo.name:40} {meta['faces_found']:5d} {meta['eye_distance_source']:7.1f} "
                f"{meta['mouth_open']:10.3f} {meta['eyes_open']:9.3f} {meta['padding']:7.1%} "
                f"{cold:8.2f} {cached:8.3f} {mesh_ms:7.1f}{note}"
            )


if __name__ == "__main__":
    main()
