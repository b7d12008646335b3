"""espeak-ng speech with its own phoneme timings, from libespeak-ng in a fresh process per batch.

See espeak_ctypes.py for the binding and why each batch gets a new engine. A batch of requests
runs in one process, in order, so a batch is as reproducible as a single request.
"""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import AvatarError

_SCRIPT = Path(__file__).with_name("espeak_ctypes.py")
_TIMEOUT_S = 120.0  # a batch is a few sentences; this only catches a hung engine


@dataclass(frozen=True)
class EspeakRequest:
    """What to say and how: ``voice`` like 'de+m3', ``rate`` in words/min, ``pitch`` 0..99."""

    text: str
    voice: str
    rate: int
    pitch: int


@dataclass(frozen=True)
class Synthesis:
    """int16 samples at ``sample_rate`` and the phonemes as (IPA name, first sample); '' = pause."""

    audio: np.ndarray
    sample_rate: int
    events: tuple[tuple[str, int], ...]


@cache
def library_path() -> str:
    """Where libespeak-ng is; raises AvatarError naming the Debian package when it is not."""
    path = ctypes.util.find_library("espeak-ng")
    if path is None:
        raise AvatarError("libespeak-ng is not installed (apt-get install libespeak-ng1)")
    return path


def synthesize(requests: list[EspeakRequest]) -> list[Synthesis]:
    """Speak each request with a freshly initialised engine; the same batch gives the same samples."""
    header, body = _run([r.__dict__ for r in requests])
    pcm = np.frombuffer(body, dtype="<i2")
    out, start = [], 0
    for result in header["results"]:
        end = start + result["samples"]
        events = tuple((name, sample) for name, sample in result["events"])
        out.append(Synthesis(pcm[start:end].copy(), header["sample_rate"], events))
        start = end
    return out


@cache
def version() -> str:
    """The library's version string, e.g. '1.51'; raises AvatarError if it cannot start."""
    return _run([])[0]["version"]


def _run(requests: list[dict]) -> tuple[dict, bytes]:
    """(header, samples) from one run of espeak_ctypes.py; its errors become AvatarError."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(_SCRIPT), library_path()],
            input=json.dumps(requests).encode(),
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AvatarError(f"espeak-ng did not finish within {_TIMEOUT_S:.0f} s") from None
    head, _, body = done.stdout.partition(b"\n")
    try:
        header = json.loads(head)
    except json.JSONDecodeError:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise AvatarError(f"espeak-ng failed: {reason[0]}") from None
    if "error" in header:
        raise AvatarError(header["error"])
    return header, body
