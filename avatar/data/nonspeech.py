"""Sounds that are not speech, for the stretches where the mouth must stay shut.

A lip-sync model that has only heard speech opens the mouth for anything loud. These give it
breaths, steady noise and music-like tones to ignore. All are float32 at 16 kHz with unit RMS
(the caller sets the level), drawn from a random generator so they are reproducible.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from ..audio import SAMPLE_RATE

NOISE_COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # power falls as 1/f**exponent
_LOWEST_HZ = 20.0  # pink and brown noise are flat below this (no DC, no endless rumble)


def unit_rms(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to RMS 1 (zeros stay zeros)."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
    return (x / rms).astype(np.float32) if rms > 0 else x.astype(np.float32)


def coloured_noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of white, pink or brown noise (spectrally shaped Gaussian noise), RMS 1."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE), _LOWEST_HZ)
    spectrum *= freqs ** (-NOISE_COLOURS[colour] / 2.0)  # amplitude ~ power ** 0.5
    spectrum[0] = 0.0
    return unit_rms(np.fft.irfft(spectrum, n))


def _fades(n: int, fade: int) -> np.ndarray:
    """1 in the middle with raised-cosine fades of ``fade`` samples at both ends."""
    env = np.ones(n, dtype=np.float32)
    fade = min(fade, n // 2)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade, dtype=np.float32))
        env[:fade], env[n - fade :] = ramp, ramp[::-1]
    return env


def breath(n: int, rng: np.random.Generator) -> np.ndarray:
    """An in-breath: band-passed noise (a few hundred Hz to a few kHz) that swells and fades."""
    low = float(rng.uniform(200.0, 700.0))
    high = float(rng.uniform(1800.0, 5000.0))
    sos = butter(2, (low, high), btype="bandpass", fs=SAMPLE_RATE, output="sos")
    x = sosfilt(sos, rng.standard_normal(n))
    peak = float(rng.uniform(0.3, 0.7))  # where the breath is loudest, as a fraction of its length
    t = np.linspace(0.0, 1.0, n)
    env = np.where(t < peak, np.sin(0.5 * np.pi * t / peak), np.cos(0.5 * np.pi * (t - peak) / (1.0 - peak)))
    return unit_rms(x * env**2)


def noise_burst(n: int, rng: np.random.Generator) -> np.ndarray:
    """A stretch of steady coloured noise (a fan, traffic, a hiss) with 20 ms fades."""
    colour = tuple(NOISE_COLOURS)[int(rng.integers(len(NOISE_COLOURS)))]
    return unit_rms(coloured_noise(n, colour, rng) * _fades(n, SAMPLE_RATE // 50))


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """Music-like sound: notes of harmonic tones (1-3 at a time) with plucked envelopes."""
    out = np.zeros(n, dtype=np.float64)
    voices = int(rng.integers(1, 4))
    root = float(rng.uniform(45, 60))  # MIDI note of the key, A2..C4
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])  # a major scale over ~1.5 octaves
    for v in range(voices):
        start = 0
        while start < n:
            length = int(rng.uniform(0.12, 0.6) * SAMPLE_RATE)
            end = min(start + length, n)
            note = root + 12 * v + scale[int(rng.integers(len(scale)))]
            f0 = 440.0 * 2 ** ((note - 69) / 12)
            t = np.arange(end - start) / SAMPLE_RATE
            harmonics = int(rng.integers(2, 9))
            rolloff = float(rng.uniform(0.8, 2.0))
            tone = sum(
                np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k**rolloff
                for k in range(1, harmonics + 1)
                if k * f0 < 0.45 * SAMPLE_RATE
            )
            attack = min(max(int(rng.uniform(0.003, 0.04) * SAMPLE_RATE), 1), end - start)
            env = np.exp(-t / rng.uniform(0.08, 0.5))  # decay of a plucked or struck note
            env[:attack] *= np.linspace(0.0, 1.0, attack)
            out[start:end] += tone * env
            start = end
    return unit_rms(out * _fades(n, SAMPLE_RATE // 100))


GENERATORS = {"breath": breath, "noise": noise_burst, "music": music}
CLIP_KINDS = ("silence", *GENERATORS)
CLIP_SEGMENT_S = (0.3, 3.0)
CLIP_LEVEL_DB = (-50.0, -6.0)  # segment RMS re full scale: a quiet room to loud music
CLIP_FLOOR_DB = (-70.0, -35.0)  # a steady noise floor under the whole clip


def clip(n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """``n`` samples of sound with no speech in it: silence, breaths, noise and music in turns.

    Each segment has its own level; a faint coloured noise floor runs under all of them (real
    recordings are never digitally silent). Returns the audio (float32, absolute level, peaks
    within +-1) and the segments as JSON-ready dicts (kind, start, end in samples, level_db).
    """
    out = np.zeros(n, dtype=np.float32)
    segments, start = [], 0
    while start < n:
        end = min(n, start + int(rng.uniform(*CLIP_SEGMENT_S) * SAMPLE_RATE))
        kind = CLIP_KINDS[int(rng.integers(len(CLIP_KINDS)))]
        level = round(float(rng.uniform(*CLIP_LEVEL_DB)), 1)
        if kind != "silence":
            out[start:end] = GENERATORS[kind](end - start, rng) * np.float32(10 ** (level / 20))
        segments.append(
            {"kind": kind, "start": start, "end": end, "level_db": None if kind == "silence" else level}
        )
        start = end
    colour = tuple(NOISE_COLOURS)[int(rng.integers(len(NOISE_COLOURS)))]
    out += coloured_noise(n, colour, rng) * np.float32(10 ** (rng.uniform(*CLIP_FLOOR_DB) / 20))
    peak = float(np.abs(out).max()) if n else 0.0
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32), segments
