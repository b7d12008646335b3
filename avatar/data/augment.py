"""Augmentation of a labelled utterance: draw the settings from the utterance's generator, apply.

Order: speed (the only step that changes timing; label times scale with it), then the timeline
(leading and trailing silence, a breath before speaking, silence / breath / noise / music
spliced into pauses, all labelled silence), then what the room and the recording chain do to
the sound alone: reverberation, EQ, background noise at a signal-to-noise ratio, gain and
clipping. Every setting used lands in ``params``, JSON-ready, for the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..audio import SAMPLE_RATE
from ..lipsync.phones import Phone, fill_silence
from . import effects, nonspeech
from .timeline import Insert, pauses, speech_mask, splice

SPEED_SHARE, SPEED = 0.5, (0.9, 1.1)
LEAD_S, TRAIL_S = (0.05, 1.0), (0.05, 1.0)
BREATH_FIRST_SHARE = 0.25  # utterances that start with an audible in-breath
INSERTS = (0, 3)  # non-speech stretches spliced into pauses, low inclusive, high exclusive
MIN_PAUSE_S = 0.03  # a pause this long is a place to splice
INSERT_S = {"silence": (0.2, 1.0), "breath": (0.25, 0.7), "noise": (0.3, 1.5), "music": (0.5, 3.0)}
INSERT_DB = {"breath": (-35.0, -15.0), "noise": (-30.0, -8.0), "music": (-25.0, 3.0)}  # vs speech RMS
REVERB_SHARE, RT60_S, DRR_DB = 0.5, (0.1, 0.8), (-3.0, 12.0)
EQ_SHARE = 0.6
EQ_TILT_DB, EQ_LOW_DB, EQ_LOW_HZ = (-3.0, 3.0), (-9.0, 9.0), (80.0, 400.0)  # tilt in dB per octave
EQ_HIGH_DB, EQ_HIGH_HZ = (-12.0, 9.0), (2000.0, 6000.0)
NOISE_SHARE, SNR_DB = 0.8, (5.0, 30.0)
NOISE_KINDS = ("white", "pink", "brown", "babble")
GAIN_DB = (-20.0, 6.0)
CLIP_SHARE, CLIP_DB = 0.15, (1.0, 12.0)  # share clipped, and how far under the peak

Babble = Callable[[int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Augmented:
    """The augmented audio (16 kHz float32), its phones, the non-speech stretches, the settings."""

    audio: np.ndarray
    phones: list[Phone]
    inserts: list[Insert]
    params: dict


def _u(rng: np.random.Generator, bounds: tuple[float, float], digits: int = 3) -> float:
    return round(float(rng.uniform(*bounds)), digits)


def augment(audio: np.ndarray, phones: list[Phone], rng: np.random.Generator, babble: Babble) -> Augmented:
    """Apply a random augmentation to clean speech ``audio`` with its ``phones`` (SIL-filled).

    ``babble(n, rng)`` makes n samples of crowd noise (babble.babble, or a stand-in in tests).
    """
    params: dict = {}

    factor = _u(rng, SPEED, 2) if rng.random() < SPEED_SHARE else 1.0
    ratio = float(effects.speed_ratio(factor))
    audio = effects.speed(audio, factor)
    end = len(audio) / SAMPLE_RATE  # the resampled length is rounded: the last phone ends with it
    phones = [Phone(p.name, min(p.start * ratio, end), min(p.end * ratio, end)) for p in phones]
    phones = fill_silence([p for p in phones if p.end > p.start], end)
    params["speed"] = factor

    speech = speech_mask(phones, len(audio))
    speech_rms = np.sqrt(effects.speech_power(audio, speech))
    audio, phones, inserts = _timeline(audio, phones, rng, speech_rms, params)
    speech = speech_mask(phones, len(audio))

    audio = recording_chain(audio, speech, rng, params, babble)
    return Augmented(audio, phones, inserts, params)


def recording_chain(
    audio: np.ndarray,
    speech: np.ndarray,
    rng: np.random.Generator,
    params: dict,
    babble: Babble | None = None,
) -> np.ndarray:
    """What a room and a recording chain do to ``audio``: reverberation, EQ, background noise
    (at an SNR over the ``speech`` samples; babble only where ``babble`` is given), clipping and
    gain, each drawn from ``rng``; the settings land in ``params``. Timing is unchanged, so the
    labels still fit (also used on real clips in training: neural/train.py).
    """
    kinds = NOISE_KINDS if babble is not None else tuple(k for k in NOISE_KINDS if k != "babble")
    params["reverb"] = None
    if rng.random() < REVERB_SHARE:
        rt60, drr = _u(rng, RT60_S), _u(rng, DRR_DB, 1)
        audio = effects.reverb(audio, effects.room_response(rt60, drr, rng))
        params["reverb"] = {"rt60_s": rt60, "drr_db": drr}

    params["eq"] = None
    if rng.random() < EQ_SHARE:
        eq = {
            "tilt_db": _u(rng, EQ_TILT_DB, 2),
            "low_db": _u(rng, EQ_LOW_DB, 1),
            "low_hz": _u(rng, EQ_LOW_HZ, 0),
            "high_db": _u(rng, EQ_HIGH_DB, 1),
            "high_hz": _u(rng, EQ_HIGH_HZ, 0),
        }
        audio = effects.equalize(audio, **eq)
        params["eq"] = eq

    params["noise"] = None
    if rng.random() < NOISE_SHARE:
        kind = kinds[int(rng.integers(len(kinds)))]
        snr = _u(rng, SNR_DB, 1)
        noise = (
            babble(len(audio), rng)
            if babble is not None and kind == "babble"
            else nonspeech.coloured_noise(len(audio), kind, rng)
        )
        audio = effects.add_noise(audio, noise, snr, speech)
        params["noise"] = {"kind": kind, "snr_db": snr}

    params["clip_db"] = None
    if rng.random() < CLIP_SHARE:
        params["clip_db"] = _u(rng, CLIP_DB, 1)
        audio = effects.hard_clip(audio, params["clip_db"])
    audio, gain = effects.apply_gain(audio, _u(rng, GAIN_DB, 1))
    params["gain_db"] = round(gain, 2)
    return audio


def _timeline(
    audio: np.ndarray, phones: list[Phone], rng: np.random.Generator, speech_rms: float, params: dict
) -> tuple[np.ndarray, list[Phone], list[Insert]]:
    """Splice non-speech into pauses, then pad both ends; returns the inserts in final samples."""
    spliced: list[tuple[str, int, int, float | None]] = []  # (kind, at in the input, length, level)
    candidates = pauses(phones, MIN_PAUSE_S)
    count = min(int(rng.integers(*INSERTS)), len(candidates))
    chosen = sorted(rng.choice(len(candidates), size=count, replace=False).tolist()) if count else []
    kinds = tuple(INSERT_S)
    for i in chosen:
        kind = kinds[int(rng.integers(len(kinds)))]
        length = int(_u(rng, INSERT_S[kind]) * SAMPLE_RATE)
        level = _u(rng, INSERT_DB[kind], 1) if kind in INSERT_DB else None
        spliced.append((kind, round(candidates[i].center * SAMPLE_RATE), length, level))

    # Splice from the last to the first so earlier positions stay valid.
    for kind, at, length, level in reversed(spliced):
        audio, phones = splice(audio, phones, at, _sound(kind, length, level, speech_rms, rng))
    inserts, shift = [], 0
    for kind, at, length, level in spliced:
        inserts.append(Insert(kind, at + shift, at + shift + length, level))
        shift += length

    lead, trail = int(_u(rng, LEAD_S) * SAMPLE_RATE), int(_u(rng, TRAIL_S) * SAMPLE_RATE)
    head = np.zeros(lead, dtype=np.float32)
    breath_first = None
    if rng.random() < BREATH_FIRST_SHARE:
        length = int(_u(rng, INSERT_S["breath"]) * SAMPLE_RATE)
        level = _u(rng, INSERT_DB["breath"], 1)
        gap = int(_u(rng, (0.05, 0.2)) * SAMPLE_RATE)  # the breath ends a little before the first word
        head = np.zeros(max(lead, length + gap), dtype=np.float32)
        start = len(head) - gap - length
        head[start : start + length] = _sound("breath", length, level, speech_rms, rng)
        breath_first = Insert("breath", start, start + length, level)
    audio, phones = splice(audio, phones, 0, head)
    audio, phones = splice(audio, phones, len(audio), np.zeros(trail, dtype=np.float32))
    moved = [Insert(i.kind, i.start + len(head), i.end + len(head), i.level_db) for i in inserts]
    inserts = ([breath_first] if breath_first else []) + moved
    params["lead_s"] = round(len(head) / SAMPLE_RATE, 4)
    params["trail_s"] = round(trail / SAMPLE_RATE, 4)
    params["inserts"] = [i.as_dict() for i in inserts]
    return audio, phones, inserts


def _sound(kind: str, length: int, level_db: float | None, speech_rms: float, rng: np.random.Generator):
    if kind == "silence" or level_db is None:
        return np.zeros(length, dtype=np.float32)
    return nonspeech.GENERATORS[kind](length, rng) * np.float32(speech_rms * 10 ** (level_db / 20))
