"""Weights that ship inside the package, each with the SHA-256 it must match at load.

lipsync.pt: `avatar data synth --hours 1.5 --out data/synth --seed 0` then
`avatar train --config configs/train_quick.yaml` (35 min on 2 cores), stored as float16.
Held-out voices: jawOpen r 0.83. See README for how it compares with the phonetic path.

motion.pt: `avatar train-motion --config configs/train_motion.yaml` on the same data (3 min).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = {
    "lipsync": ("lipsync.pt", "ea0d1b1a34e7c30771b6957bfaf2cdc021828ac7b9385114dc5c2bfa75b33e35"),
    "motion": ("motion.pt", "4b47cc8c6d55f4510fe1dedc28f50bbf76191cee322775cc9f4c3b16a8626acf"),
}


def shipped(kind: str) -> tuple[Path, str] | None:
    """(path, expected SHA-256) of the shipped ``kind`` ("lipsync" or "motion") weights, or None
    if they are not installed."""
    name, sha256 = SHIPPED[kind]
    path = Path(str(resources.files("avatar.assets"))) / name
    return (path, sha256) if path.is_file() else None
