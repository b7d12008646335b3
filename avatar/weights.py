"""Weights that ship inside the package, each with the SHA-256 it must match at load.

lipsync.pt: `avatar data synth --hours 6 --out data/synth --seed 0` (7.5 min), then
`avatar train --config configs/train.yaml` (stage 1: 3000 steps with a 182 ms look-ahead, 67 min
on 2 cores) and `avatar train --config configs/train_finetune.yaml` (stage 2: 1000 steps more at
a 75 ms look-ahead, 24 min), stored as float16 (9.9 MB). One set of weights for offline use and
live streams. Held-out voices: jawOpen r 0.850 (stage 1: 0.866). See README for how it compares
with the phonetic path.

motion.pt: `avatar train-motion --config configs/train_motion.yaml` on the same data (2.5 min, 0.3 MB).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = {
    "lipsync": ("lipsync.pt", "5e2ce4a8e9b74284b521bccfe9ada054d84150ec3d746b79e78b8b4826a1c417"),
    "motion": ("motion.pt", "294f8d10c852e607e2e0c17235812d1a6fc21841822ef0f72f1043ee3503abbe"),
}


def shipped(kind: str) -> tuple[Path, str] | None:
    """(path, expected SHA-256) of the shipped ``kind`` weights (a key of SHIPPED), or None if
    they are not installed."""
    name, sha256 = SHIPPED[kind]
    path = Path(str(resources.files("avatar.assets"))) / name
    return (path, sha256) if path.is_file() else None
