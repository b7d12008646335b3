"""Byte-reproducible, atomic file writing: the same data always gives the same bytes.

np.savez stamps each member with the current time, so two identical runs differ; here the
zip members carry a fixed date. Every file is written beside its target and renamed into
place, so an interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed .npz that np.load reads, with reproducible bytes."""
    tmp = _tmp(path)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)
    os.replace(tmp, path)


def save_flac(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit mono FLAC of float ``audio`` in [-1, 1] (clipped)."""
    tmp = _tmp(path)
    pcm = np.clip(np.round(np.asarray(audio, dtype=np.float64) * 32767.0), -32768, 32767).astype(np.int16)
    sf.write(tmp, pcm, sample_rate, format="FLAC", subtype="PCM_16")
    os.replace(tmp, path)


def save_jsonl(path: Path, records: list[dict]) -> None:
    """One compact JSON object per line, keys in the order given."""
    tmp = _tmp(path)
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSON-lines file; a torn last line (an interrupted append) is skipped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
