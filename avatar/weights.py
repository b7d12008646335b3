"""Weights that ship inside the package, each with the SHA-256 it must match at load.

lipsync.pt: `avatar data synth --hours 6 --out data/synth --seed 0` (7.5 min) then
`avatar train --config configs/train.yaml` (67 min on 2 cores), stored as float16 (9.9 MB).
Held-out voices: jawOpen r 0.866, viseme frames 47 %. See README for how it compares with the
phonetic path.

motion.pt: `avatar train-motion --config configs/train_motion.yaml` on the same data (2.5 min, 0.3 MB).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = {
    "lipsync": ("lipsync.pt", "b13b3132c472bb2b0f93b4020234fcfffe6861c493ffa20778c03a8c8f0a4c2f"),
    "motion": ("motion.pt", "294f8d10c852e607e2e0c17235812d1a6fc21841822ef0f72f1043ee3503abbe"),
}


def shipped(kind: str) -> tuple[Path, str] | None:
    """(path, expected SHA-256) of the shipped ``kind`` weights (a key of SHIPPED), or None if
    they are not installed."""
    if kind not in SHIPPED:
        return None
    name, sha256 = SHIPPED[kind]
    path = Path(str(resources.files("avatar.assets"))) / name
    return (path, sha256) if path.is_file() else None
