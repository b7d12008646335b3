"""Contact sheets of the mouth: procedural vs learned, on two portraits that ship in packages.

The built-in astronaut (an open-mouth photo: her own teeth are reused) and matplotlib's Grace
Hopper (mouth closed: everything inside the lips is drawn), each at a wide vowel, a spread vowel
with teeth showing, two rounded vowels, F/V and a closure. One sheet per size, rows by shape,
columns: astronaut procedural | learned, Hopper procedural | learned, each cut to the mouth box
with a margin (at 256^2 each pixel is shown twice as large, so both sheets show the same area).

    python scripts/mouth_contact_sheet.py [--out docs] [--set render.mouth_model=PATH]
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image

from avatar.config import load_config
from avatar.lipsync.visemes import viseme_target
from avatar.models import load_mouth
from avatar.portrait import default_avatar
from avatar.portrait.build import build_avatar
from avatar.portrait.image import read_image
from avatar.render import Renderer

SHAPES = (  # label, viseme, jawOpen
    ("wide vowel AA", "aa", 0.62),
    ("spread vowel EE, teeth", "I", 0.3),
    ("rounded OH", "O", 0.45),
    ("rounded OO", "U", 0.3),
    ("F / V", "FF", 0.08),
    ("closure M", "PP", 0.05),
)
HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    band = np.full((18, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(band, text, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (20, 20, 20), 1, cv2.LINE_AA)
    return np.concatenate([band, tile])


def sheet(avatars: list, size: int, mouth) -> np.ndarray:
    """(H, W, 3) uint8: a row per shape, a procedural | learned pair per avatar."""
    rows = []
    for label, viseme, jaw in SHAPES:
        tiles = []
        for avatar in avatars:
            for net in (None, mouth):
                r = Renderer(avatar.image, avatar.landmarks, size, mouth=net)
                frame = r.render(viseme_target(viseme, jaw)[None])[0]
                y0, y1, x0, x1 = r.mouth_box  # the region the mouth layer may touch, and a margin
                pad = (y1 - y0) // 6
                crop = frame[max(y0 - pad, 0) : y1 + pad, max(x0 - pad, 0) : x1 + pad]
                crop = np.repeat(np.repeat(crop, 512 // size, 0), 512 // size, 1)  # 256: pixels doubled
                name = f"{avatar.name} {'learned' if net is not None else 'procedural'}"
                tiles.append(_label(np.ascontiguousarray(crop), name))
        height = max(t.shape[0] for t in tiles)
        tiles = [np.pad(t, ((0, height - t.shape[0]), (0, 4), (0, 0)), constant_values=255) for t in tiles]
        rows.append(_label(np.concatenate(tiles, 1), f"{label} (jawOpen {jaw})"))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    cfg = load_config({"render.mouth": "learned", **dict(s.split("=", 1) for s in args.set)})
    rgb = read_image(HOPPER)
    hopper = build_avatar(rgb, "hopper", HOPPER, hashlib.sha256(HOPPER.read_bytes()).hexdigest())
    avatars = [default_avatar(), hopper]
    args.out.mkdir(parents=True, exist_ok=True)
    for size in (256, 512):
        path = args.out / f"mouth_contact_sheet_{size}.png"
        Image.fromarray(sheet(avatars, size, load_mouth(cfg))).save(path, optimize=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
