"""Make any recording look alike to the models: no DC, speech at one loudness, no clipping."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .io import SAMPLE_RATE

HIGHPASS_HZ = 35.0  # below the lowest voice fundamental (~70 Hz), above DC, rumble and handling
BLOCK_S = 0.04  # gating block, 640 samples at 16 kHz: about one phone
ABSOLUTE_GATE_DBFS = -60.0  # blocks quieter than this are silence whatever the recording
# Relative to the mean power of the blocks that pass the absolute gate. EBU R128 uses -10 LU on
# 400 ms blocks; 40 ms blocks vary more inside speech (closures, weak fricatives), so the gate
# sits lower to keep them while still dropping a noise floor 20+ dB under the speech.
RELATIVE_GATE_DB = -20.0
MAX_GAIN_DB = 30.0  # a whisper at -50 dBFS may be lifted to -20, but hiss is not blown up further
KNEE = 0.8  # the limiter is the identity up to KNEE * peak_limit and bends smoothly above it


def clean_audio(
    x: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    target_rms_dbfs: float = -20.0,
    peak_limit: float = 0.98,
) -> np.ndarray:
    """High-pass, loudness-normalise and soft-limit mono audio; returns float32, same length.

    The gain brings the RMS of the active (gated) blocks to ``target_rms_dbfs``, so silence
    around the speech does not change it; it is capped at +30 dB, and audio with no block
    above -60 dBFS gets no gain at all. Peaks above 0.8 * ``peak_limit`` are bent smoothly so
    that no sample exceeds ``peak_limit``. The filter runs forwards and backwards (zero phase),
    so nothing moves in time.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"clean_audio expects mono audio (1-D), got shape {x.shape}")
    if not 0.0 < peak_limit <= 1.0:
        raise ValueError(f"peak_limit must be in (0, 1], got {peak_limit}")
    y = _highpass(x.astype(np.float64), sample_rate)
    rms = _gated_rms(y, round(BLOCK_S * sample_rate))
    if rms > 0.0:
        gain = min(10 ** (target_rms_dbfs / 20) / rms, 10 ** (MAX_GAIN_DB / 20))
        y *= gain
    return _soft_limit(y, peak_limit).astype(np.float32)


@lru_cache(maxsize=8)
def _highpass_sos(sample_rate: int) -> np.ndarray:
    from scipy.signal import butter  # scipy.signal takes ~0.5 s to import; only pay when used

    # 2nd order, applied twice by sosfiltfilt: 24 dB/octave below the corner, -6 dB at it.
    return butter(2, HIGHPASS_HZ, btype="highpass", fs=sample_rate, output="sos")


def _highpass(x: np.ndarray, sample_rate: int) -> np.ndarray:
    sos = _highpass_sos(sample_rate)
    # sosfiltfilt needs a few samples of padding; a clip that short can only lose its mean.
    if x.size <= 3 * (2 * len(sos) + 1):
        return x - x.mean() if x.size else x.copy()
    from scipy.signal import sosfiltfilt

    # Odd extension continues the DC level at both ends, so there is no step to ring on.
    return sosfiltfilt(sos, x)


def _gated_rms(x: np.ndarray, block: int) -> float:
    """RMS over the blocks that pass both gates (EBU R128-style); 0.0 when none does."""
    n = x.size // block
    if n == 0:  # shorter than one block: judge it as one
        power = np.array([np.mean(x**2)]) if x.size else np.zeros(0)
    else:
        power = np.mean(x[: n * block].reshape(n, block) ** 2, axis=1)
    active = power[power > 10 ** (ABSOLUTE_GATE_DBFS / 10)]
    if active.size == 0:
        return 0.0
    active = active[active > active.mean() * 10 ** (RELATIVE_GATE_DB / 10)]
    return float(np.sqrt(active.mean()))


def _soft_limit(y: np.ndarray, peak_limit: float) -> np.ndarray:
    """Identity below the knee, then knee + room * tanh(excess / room): C1, tends to the limit."""
    # A hair under the limit so that rounding to float32 can never land above it.
    ceiling = peak_limit * (1.0 - 1e-6)
    knee = KNEE * ceiling
    room = ceiling - knee
    over = np.abs(y) > knee
    if over.any():
        excess = np.abs(y[over]) - knee
        y[over] = np.sign(y[over]) * (knee + room * np.tanh(excess / room))
    return y
