"""What a model learns from: phone classes at 50 Hz and the phonetic animator's 64-d targets at 30 fps.

Both come from the same timed phones, so they agree by construction. The phone track samples
the phone under the middle of each 20 ms frame; the targets are avatar.lipsync's coarticulated
animation on the video frame clock (FrameClock), exactly what the phonetic path would render.
"""

from __future__ import annotations

import numpy as np

from ..audio import FPS, SAMPLE_RATE, FrameClock
from ..config import PhoneticConfig
from ..errors import AlignmentError
from ..lipsync.animator import animate_phones
from ..lipsync.phones import ARPABET, SILENCE, Phone, fill_silence
from .ipa import to_arpabet

PHONE_RATE = 50  # Hz: 20 ms frames, 320 samples, the hop of wav2vec2-style encoders
PHONE_LABELS: tuple[str, ...] = (*ARPABET, SILENCE)  # phones50 holds indices into this; SIL = 39
PHONE_INDEX = {name: i for i, name in enumerate(PHONE_LABELS)}
MAX_PHONE_S = 0.7  # a sounding phone longer than this means the alignment slipped
EDGE_TOLERANCE_S = 0.2  # labelled speech may start or end this far inside the audible speech
EDGE_CLOSURE_S = 0.1  # and reach this far out into the silence around it (a stop's closure)
_ACTIVE_DB = -35.0  # 10 ms blocks within this much of the loudest block count as audible


def num_phone_frames(num_samples: int) -> int:
    """round(num_samples * 50 / 16000), half up, in integers like FrameClock.num_frames."""
    return (2 * num_samples * PHONE_RATE + SAMPLE_RATE) // (2 * SAMPLE_RATE)


def phone_track(phones: list[Phone], num_samples: int) -> np.ndarray:
    """(round(duration * 50),) int16 index into PHONE_LABELS of the phone at each frame's middle."""
    n = num_phone_frames(num_samples)
    centers = (np.arange(n) + 0.5) / PHONE_RATE
    track = np.full(n, PHONE_INDEX[SILENCE], dtype=np.int16)
    for p in phones:
        track[(centers >= p.start) & (centers < p.end)] = PHONE_INDEX[p.name]
    return track


def targets(phones: list[Phone], num_samples: int, cfg: PhoneticConfig) -> np.ndarray:
    """(FrameClock frames, 64) float16 expression targets from the phonetic animator."""
    frames = FrameClock(FPS, SAMPLE_RATE).num_frames(num_samples)
    return animate_phones(phones, frames, FPS, cfg).astype(np.float16)


def phones_from_espeak(
    spans: tuple[tuple[str, float, float], ...], language: str, duration: float
) -> list[Phone]:
    """espeak's (IPA, start, end) spans -> ARPAbet phones covering ``duration`` (ipa.py's table).

    A phoneme mapped to two phones (ts -> T S) splits its time equally. espeak reports some
    phonemes with no time of their own (the l of 'whales' is folded into the vowel): dropped.
    Raises AlignmentError if the timestamps go backwards, KeyError for an unmapped phoneme.
    """
    phones: list[Phone] = []
    last = 0.0
    for name, start, end in spans:
        if start < last or end < start:
            raise AlignmentError(f"espeak phoneme events go backwards at {start:.3f} s")
        last = start
        start, end = min(start, duration), min(end, duration)  # resampling rounds the length
        if end == start:
            continue
        mapped = to_arpabet(name, language)
        step = (end - start) / len(mapped)
        phones += [Phone(p, start + k * step, start + (k + 1) * step) for k, p in enumerate(mapped)]
    return fill_silence(phones, duration)


def fit_to_speech(phones: list[Phone], audio: np.ndarray) -> list[Phone]:
    """Check timed ``phones`` against the audible speech of clean ``audio``; returns them fitted.

    Raises AlignmentError when the labelled speech starts or ends more than EDGE_TOLERANCE_S
    inside the audible speech (some of it unlabelled) or a sounding phone lasts over MAX_PHONE_S.
    Where a first or last phone reaches further out into the silence (the aligner lets the
    silent closure of an initial P run back to 0 s), it is cut to EDGE_CLOSURE_S from the sound.
    """
    block = SAMPLE_RATE // 100
    n = len(audio) // block
    if n == 0:
        raise AlignmentError("the audio is empty")
    power = np.mean(np.square(audio[: n * block].reshape(n, block), dtype=np.float64), axis=1)
    db = 10 * np.log10(power + 1e-12)
    active = np.flatnonzero(db > db.max() + _ACTIVE_DB)
    onset, offset = active[0] * block / SAMPLE_RATE, (active[-1] + 1) * block / SAMPLE_RATE
    sounding = [i for i, p in enumerate(phones) if p.name != SILENCE]
    if not sounding:
        raise AlignmentError("no phones were labelled")
    first, last = phones[sounding[0]], phones[sounding[-1]]
    if first.start > onset + EDGE_TOLERANCE_S or last.end < offset - EDGE_TOLERANCE_S:
        raise AlignmentError(
            f"labelled speech {first.start:.2f}-{last.end:.2f} s leaves audible speech "
            f"{onset:.2f}-{offset:.2f} s unlabelled"
        )
    out = list(phones)
    if first.start < onset - EDGE_CLOSURE_S and first.end > onset - EDGE_CLOSURE_S:
        out[sounding[0]] = Phone(first.name, onset - EDGE_CLOSURE_S, first.end)
    if last.end > offset + EDGE_CLOSURE_S and last.start < offset + EDGE_CLOSURE_S:
        out[sounding[-1]] = Phone(last.name, out[sounding[-1]].start, offset + EDGE_CLOSURE_S)
    out = fill_silence([p for p in out if p.name != SILENCE], len(audio) / SAMPLE_RATE)
    longest = max((p for p in out if p.name != SILENCE), key=lambda p: p.duration)
    if longest.duration > MAX_PHONE_S:
        raise AlignmentError(f"phone {longest.name} lasts {longest.duration:.2f} s")
    return out
