"""Voice activity detection with silero-vad's bundled ONNX model, run by onnxruntime directly.

The silero_vad package is only used as a place to find the model file: importing it would pull
in torch, which costs seconds. The model is silero v5: it takes 512 new samples at 16 kHz plus
the last 64 samples of the previous window as context, carries an LSTM state from window to
window, and gives one speech probability per window. Checked once against silero_vad's own
OnnxWrapper on the test fixtures: identical probabilities.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .io import SAMPLE_RATE

WINDOW = 512  # samples per probability, 32 ms at 16 kHz
CONTEXT = 64  # samples of the previous window prepended to each input (silero v5)
STATE_SHAPE = (2, 1, 128)  # LSTM (h, c) x batch x hidden
NEG_THRESHOLD_OFFSET = 0.15  # speech ends below threshold - 0.15 (silero's default hysteresis)


class VadSettings(Protocol):
    """What speech_regions reads; avatar.config.VadConfig has these fields."""

    threshold: float
    min_speech_ms: int
    min_silence_ms: int
    pad_ms: int


def model_path() -> Path:
    """The silero_vad.onnx file shipped in the silero-vad wheel (found without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("silero-vad is not installed; it ships the VAD model: pip install silero-vad")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise RuntimeError("silero-vad is installed but its data/silero_vad.onnx is missing; reinstall it")


@lru_cache(maxsize=1)
def _session():  # -> onnxruntime.InferenceSession, imported lazily to keep `import avatar` fast
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # The model is tiny and strictly sequential; more threads only add synchronisation cost.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(model_path()), sess_options=opts, providers=["CPUExecutionProvider"])


_recent: OrderedDict[bytes, np.ndarray] = OrderedDict()  # digest of the audio -> probabilities
_recent_lock = threading.Lock()
RECENT = 4  # clips remembered: the lip-sync and the motion model ask about the same one in turn


def speech_probabilities(x: np.ndarray) -> np.ndarray:
    """Speech probability for each 512-sample (32 ms) window of 16 kHz mono audio.

    Returns float32 of length ceil(len(x) / 512); the last window is zero-padded, as silero
    does. Window i covers samples [512 i, 512 (i + 1)). The last few clips' answers are kept
    (keyed by a digest of the samples: 1 ms per 20 s against the VAD's 75 ms).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"speech_probabilities expects mono audio (1-D), got shape {x.shape}")
    x = np.ascontiguousarray(x)
    key = hashlib.blake2b(memoryview(x).cast("B"), digest_size=16).digest()
    with _recent_lock:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key].copy()
    probs = _probabilities(x)
    with _recent_lock:
        _recent[key] = probs
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
    return probs.copy()


def forget() -> None:
    """Drop the remembered answers (benchmarks time the VAD itself)."""
    with _recent_lock:
        _recent.clear()


def _probabilities(x: np.ndarray) -> np.ndarray:
    n = -(-x.size // WINDOW)
    probs = np.zeros(n, dtype=np.float32)
    if n == 0:
        return probs
    # Zeros before the first window stand for the empty context silero starts with; after
    # that, window i's input is simply padded[512 i : 512 i + 576].
    padded = np.zeros(CONTEXT + n * WINDOW, dtype=np.float32)
    padded[CONTEXT : CONTEXT + x.size] = x
    session = _session()
    state = np.zeros(STATE_SHAPE, dtype=np.float32)
    sr = np.array(SAMPLE_RATE, dtype=np.int64)
    for i in range(n):
        chunk = padded[None, i * WINDOW : i * WINDOW + CONTEXT + WINDOW]
        out, state = session.run(None, {"input": chunk, "state": state, "sr": sr})
        probs[i] = out[0, 0]
    return probs


class StreamingVad:
    """``speech_probabilities`` for audio that arrives in pieces: the same numbers, computed once
    per 512-sample window as the windows complete. Window indices count from the first sample."""

    def __init__(self) -> None:
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._probs = np.zeros(0, dtype=np.float32)
        self._base = 0  # window index of self._probs[0]

    @property
    def windows(self) -> int:
        """Windows computed so far."""
        return self._base + len(self._probs)

    def push(self, x: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, np.asarray(x, dtype=np.float32)])
        n = len(self._pending) // WINDOW
        if n == 0:
            return
        session, sr = _session(), np.array(SAMPLE_RATE, dtype=np.int64)
        probs = np.zeros(n, dtype=np.float32)
        for i in range(n):
            chunk = np.concatenate([self._context, self._pending[i * WINDOW : (i + 1) * WINDOW]])[None]
            out, self._state = session.run(None, {"input": chunk, "state": self._state, "sr": sr})
            probs[i] = out[0, 0]
            self._context = chunk[0, -CONTEXT:]
        self._pending = self._pending[n * WINDOW :]
        self._probs = np.concatenate([self._probs, probs])

    def probabilities(self, first: int, last: int) -> np.ndarray:
        """Probabilities of windows [first, last) (those not computed yet count as 0)."""
        out = np.zeros(max(0, last - first), dtype=np.float32)
        lo, hi = max(first, self._base), min(last, self.windows)
        if hi > lo:
            out[lo - first : hi - first] = self._probs[lo - self._base : hi - self._base]
        return out

    def forget(self, before: int) -> None:
        """Drop the probabilities of windows before ``before`` (bounded memory)."""
        if before > self._base:
            cut = min(before, self.windows) - self._base
            self._probs, self._base = self._probs[cut:], self._base + cut


def speech_regions(x: np.ndarray, vad_cfg: VadSettings) -> list[tuple[float, float]]:
    """Speech as (start, end) seconds in 16 kHz mono ``x``, sorted and non-overlapping."""
    return regions_from_probabilities(speech_probabilities(x), len(x), vad_cfg)


def regions_from_probabilities(
    probs: np.ndarray, num_samples: int, vad_cfg: VadSettings, open_end: bool = False
) -> list[tuple[float, float]]:
    """Turn per-window probabilities into padded speech regions (seconds).

    Hysteresis: speech starts at a window with p >= threshold and ends at the first window with
    p < threshold - 0.15. Gaps shorter than min_silence_ms are closed, then regions shorter than
    min_speech_ms dropped, then each side widened by pad_ms and clipped to the audio.
    ``open_end``: the audio goes on past its end (a live stream), so speech still running there
    is kept however short it is so far.
    (silero's get_speech_timestamps differs in details: it only ends speech once the silence
    has lasted min_silence_ms, and splits a shared pad between close neighbours.)
    """
    on = vad_cfg.threshold
    off = max(on - NEG_THRESHOLD_OFFSET, 0.01)
    duration = num_samples / SAMPLE_RATE

    regions: list[list[int]] = []  # [start_window, end_window)
    start = None
    for i, p in enumerate(np.asarray(probs, dtype=np.float32).tolist()):
        if start is None and p >= on:
            start = i
        elif start is not None and p < off:
            regions.append([start, i])
            start = None
    if start is not None:
        regions.append([start, len(probs)])

    window_s = WINDOW / SAMPLE_RATE
    merged: list[list[float]] = []
    for s, e in regions:
        s_t, e_t = s * window_s, e * window_s
        if merged and s_t - merged[-1][1] < vad_cfg.min_silence_ms / 1000:
            merged[-1][1] = e_t
        else:
            merged.append([s_t, e_t])

    pad = vad_cfg.pad_ms / 1000
    out: list[tuple[float, float]] = []
    for s_t, e_t in merged:
        running = open_end and e_t >= len(probs) * window_s
        if e_t - s_t < vad_cfg.min_speech_ms / 1000 and not running:
            continue
        s_t, e_t = max(s_t - pad, 0.0), min(e_t + pad, duration)
        if out and s_t <= out[-1][1]:  # padding made neighbours touch
            out[-1] = (out[-1][0], e_t)
        elif e_t > s_t:
            out.append((s_t, e_t))
    return out


def speech_mask(regions: list[tuple[float, float]], num_frames: int, fps: float) -> np.ndarray:
    """Boolean per video frame: frame i covers [i / fps, (i + 1) / fps) and is True if that
    interval overlaps any region."""
    mask = np.zeros(num_frames, dtype=bool)
    for start, end in regions:
        # i / fps < end and (i + 1) / fps > start  <=>  start * fps - 1 < i < end * fps
        first = max(int(np.floor(start * fps)), 0)
        last = min(int(np.ceil(end * fps)), num_frames)  # exclusive
        mask[first:last] = True
    return mask
