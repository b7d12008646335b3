"""Babble noise: several synthetic talkers at once, none of them the one whose mouth we animate."""

from __future__ import annotations

import numpy as np

from . import espeak
from .nonspeech import unit_rms
from .text import sentence
from .voices import ESPEAK_PITCH, ESPEAK_RATE, ESPEAK_VARIANTS, ESPEAK_VOICES, from_espeak

TALKERS = (3, 7)  # talkers in the crowd, low inclusive, high exclusive


def babble(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples (16 kHz) of 3-6 espeak-ng talkers in random languages and voices, RMS 1.

    Each talker says two sentences, looped from a random offset to fill ``n``; one engine
    process speaks them all (espeak.synthesize), so the babble is reproducible.
    """
    requests = []
    for _ in range(int(rng.integers(*TALKERS))):
        language = tuple(ESPEAK_VOICES)[int(rng.integers(len(ESPEAK_VOICES)))]
        bases = ESPEAK_VOICES[language]
        variant = ESPEAK_VARIANTS[int(rng.integers(len(ESPEAK_VARIANTS)))]
        voice = bases[int(rng.integers(len(bases)))] + (f"+{variant}" if variant else "")
        text = sentence(language, rng) + " " + sentence(language, rng)
        rate = int(rng.integers(ESPEAK_RATE[0], ESPEAK_RATE[1] + 1))
        pitch = int(rng.integers(ESPEAK_PITCH[0], ESPEAK_PITCH[1] + 1))
        requests.append(espeak.EspeakRequest(text, voice, rate, pitch))
    out = np.zeros(n, dtype=np.float64)
    for synthesis in espeak.synthesize(requests):
        talker = unit_rms(from_espeak(synthesis).audio)
        if len(talker) == 0:
            continue
        offset = int(rng.integers(len(talker)))
        out += np.resize(np.roll(talker, -offset), n)  # np.resize repeats the array to length n
    return unit_rms(out)
