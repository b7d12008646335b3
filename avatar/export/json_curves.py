"""JSON export: every channel (ARKit + articulators) as named values per frame.

Layout: ``{"fps", "num_frames", "duration", "names": [64 channel names], "frames": [[64 values]...],
"head": {"names": ["pitch","yaw","roll"], "units": "degrees", "frames": [...]},
"gaze": {"names": ["yaw","pitch"], "units": "degrees", "frames": [...]}, "articulators": {name: meaning}}``,
and from capture ``"face_found"`` (0/1) and ``"confidence"`` per frame.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..animation import Animation
from ..expression.channels import ARTICULATORS, CHANNELS


def _rounded(a: np.ndarray, digits: int) -> list[list[float]]:
    return np.round(a.astype(np.float64), digits).tolist()


def animation_to_dict(anim: Animation, **metadata: Any) -> dict[str, Any]:
    """A JSON-ready dict of ``anim``; ``metadata`` (e.g. source file, lipsync method) is added as is."""
    return {
        "fps": anim.fps,
        "num_frames": anim.num_frames,
        "duration": round(anim.duration, 6),
        "names": list(CHANNELS),
        "frames": _rounded(anim.expression, 4),
        "head": {"names": ["pitch", "yaw", "roll"], "units": "degrees", "frames": _rounded(anim.head, 3)},
        "gaze": {"names": ["yaw", "pitch"], "units": "degrees", "frames": _rounded(anim.gaze, 3)},
        "articulators": ARTICULATORS,
        **({} if anim.face_found is None else {"face_found": anim.face_found.astype(int).tolist()}),
        **({} if anim.confidence is None else {"confidence": np.round(anim.confidence, 3).tolist()}),
        **metadata,
    }


def write_json(anim: Animation, path: Path, **metadata: Any) -> None:
    """Write ``anim`` (and ``metadata``) as JSON."""
    with open(path, "w") as f:
        json.dump(animation_to_dict(anim, **metadata), f, separators=(",", ":"))


def read_json(path: Path) -> Animation:
    """Read a file written by ``write_json``."""
    with open(path) as f:
        data = json.load(f)
    if data.get("names") != list(CHANNELS):
        raise ValueError(f"{path}: channel names do not match this version's expression contract")
    return Animation(
        np.array(data["frames"], np.float32).reshape(-1, len(CHANNELS)),
        int(data["fps"]),
        np.array(data["head"]["frames"]).reshape(-1, 3),
        np.array(data["gaze"]["frames"]).reshape(-1, 2),
        None if data.get("face_found") is None else np.array(data["face_found"], bool),
        None if data.get("confidence") is None else np.array(data["confidence"], np.float32),
    )
