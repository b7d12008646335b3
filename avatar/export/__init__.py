"""Export animation curves to files other tools read: Live Link Face CSV and JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..animation import Animation
from ..errors import OutputError
from .json_curves import animation_to_dict, read_json, write_json
from .livelink_csv import read_livelink_csv, write_livelink_csv

FORMATS = (".csv", ".json")


def check_output_path(path: str | os.PathLike, formats: tuple[str, ...] = FORMATS) -> Path:
    """Validate an output path before any work is done: known extension, writable folder."""
    out = Path(path)
    if out.suffix.lower() not in formats:
        raise OutputError(f"unsupported output format '{out.suffix or out.name}': use {' or '.join(formats)}")
    if out.is_dir():
        raise OutputError(f"output path is a directory: {out}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"output folder does not exist: {folder}")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise OutputError(f"cannot write to {out}: permission denied")
    return out


def save_animation(anim: Animation, path: str | os.PathLike, **metadata: Any) -> Path:
    """Write ``anim`` as CSV (Live Link Face layout) or JSON, chosen by the file extension.

    The file is written to a temporary name and renamed, so a failure never leaves half a file.
    """
    out = check_output_path(path)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        if out.suffix.lower() == ".csv":
            write_livelink_csv(anim, tmp)
        else:
            write_json(anim, tmp, **metadata)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


__all__ = [
    "FORMATS",
    "animation_to_dict",
    "check_output_path",
    "read_json",
    "read_livelink_csv",
    "save_animation",
    "write_json",
    "write_livelink_csv",
]
