"""Audio effects for augmentation. All keep the length (and so the labels) except ``speed``.

Filters are zero-phase (applied as real gains on the spectrum) and the room response starts
with its direct sound at lag 0, so nothing moves in time: a phone boundary stays on its sample.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import fftconvolve, resample_poly

from ..audio import SAMPLE_RATE


def speed_ratio(factor: float) -> Fraction:
    """Output/input length ratio of ``speed(x, factor)``: 1/factor, factor in steps of 1 %."""
    return Fraction(100, round(factor * 100))


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (pitch follows, as with tape): len / factor samples.

    Label times scale by speed_ratio(factor).
    """
    ratio = speed_ratio(factor)
    if ratio == 1:
        return x.astype(np.float32)
    y = resample_poly(x, ratio.numerator, ratio.denominator)
    return y[: round(len(x) * ratio)].astype(np.float32)


def room_response(rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room impulse response: a unit direct impulse at lag 0, then Gaussian noise
    decaying by 60 dB in ``rt60`` seconds, whose energy is ``drr_db`` below the direct sound's."""
    n = max(int(rt60 * SAMPLE_RATE), 2)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-3.0 * np.log(10.0) * t / rt60)  # amplitude -60 dB at rt60
    tail[0] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def reverb(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``x`` convolved with ``rir``, cut to the input length, at the input's RMS."""
    y = fftconvolve(x, rir)[: len(x)]
    rms_in, rms_out = np.sqrt(np.mean(x.astype(np.float64) ** 2)), np.sqrt(np.mean(y**2))
    return (y * (rms_in / rms_out if rms_out > 0 else 1.0)).astype(np.float32)


def eq_gain_db(
    freqs: np.ndarray, tilt_db: float, low_db: float, low_hz: float, high_db: float, high_hz: float
):
    """EQ curve in dB: a tilt (dB per octave around 1 kHz) plus a low and a high shelf."""
    octaves = np.log2(np.clip(freqs, 50.0, 8000.0) / 1000.0)
    shelf_low = low_db / (1.0 + (np.maximum(freqs, 1.0) / low_hz) ** 2)
    shelf_high = high_db / (1.0 + (high_hz / np.maximum(freqs, 1.0)) ** 2)
    return tilt_db * octaves + shelf_low + shelf_high


def equalize(x: np.ndarray, **params: float) -> np.ndarray:
    """Zero-phase EQ with eq_gain_db(``params``); same length, no delay."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / SAMPLE_RATE)
    spectrum *= 10 ** (eq_gain_db(freqs, **params) / 20)
    return np.fft.irfft(spectrum, len(x)).astype(np.float32)


def speech_power(x: np.ndarray, speech: np.ndarray) -> float:
    """Mean power of ``x`` over the samples where ``speech`` (bool mask) is true."""
    return float(np.mean(np.square(x[speech], dtype=np.float64))) if speech.any() else 0.0


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float, speech: np.ndarray) -> np.ndarray:
    """``x`` plus ``noise`` scaled so that speech power / noise power = ``snr_db``.

    Speech power is measured on the ``speech`` samples only (pauses would dilute it); the noise
    power over its whole length. ``noise`` must be at least as long as ``x``.
    """
    noise = noise[: len(x)].astype(np.float64)
    p_noise = float(np.mean(noise**2))
    if p_noise == 0.0:
        return x.astype(np.float32)
    scale = np.sqrt(speech_power(x, speech) / (p_noise * 10 ** (snr_db / 10)))
    return (x + scale * noise).astype(np.float32)


def hard_clip(x: np.ndarray, below_peak_db: float) -> np.ndarray:
    """Clip everything above ``below_peak_db`` dB under the peak, as an overdriven input does."""
    level = float(np.max(np.abs(x))) * 10 ** (-below_peak_db / 20)
    return np.clip(x, -level, level).astype(np.float32)


def apply_gain(x: np.ndarray, gain_db: float, max_peak: float = 0.999) -> tuple[np.ndarray, float]:
    """(``x`` * gain, the gain in dB actually used): lowered where it would push the peak over
    ``max_peak``, so that clipping happens only where hard_clip put it."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > 0:
        gain_db = min(gain_db, 20 * np.log10(max_peak / peak))
    return (x * 10 ** (gain_db / 20)).astype(np.float32), float(gain_db)
