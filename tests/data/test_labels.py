"""Labels: the 50 Hz phone track, espeak spans -> phones, and the check against the audible speech."""

import numpy as np
import pytest

from avatar.data.labels import (
    PHONE_INDEX,
    PHONE_LABELS,
    fit_to_speech,
    num_phone_frames,
    phone_track,
    phones_from_espeak,
)
from avatar.errors import AlignmentError
from avatar.lipsync.phones import ARPABET, SILENCE, Phone

SR = 16000


def test_phone_track():
    assert PHONE_LABELS[:39] == ARPABET and PHONE_LABELS[39] == SILENCE
    assert [num_phone_frames(n) for n in (0, 159, 160, 320, SR)] == [0, 0, 1, 1, 50]
    phones = [Phone("SIL", 0.0, 0.1), Phone("M", 0.1, 0.17), Phone("AA", 0.17, 0.5)]
    track = phone_track(phones, SR // 2)
    assert track.dtype == np.int16 and len(track) == 25
    assert list(track[:10]) == [PHONE_INDEX[p] for p in ["SIL"] * 5 + ["M"] * 3 + ["AA"] * 2]


def test_espeak_spans_to_phones():
    spans = (("", 0.0, 0.05), ("ts", 0.05, 0.15), ("l", 0.15, 0.15), ("aɪ", 0.15, 0.3), ("_:", 0.3, 0.4))
    phones = phones_from_espeak(spans, "de", 0.5)
    assert [(p.name, round(p.start, 3), round(p.end, 3)) for p in phones] == [
        ("SIL", 0.0, 0.05), ("T", 0.05, 0.1), ("S", 0.1, 0.15), ("AY", 0.15, 0.3), ("SIL", 0.3, 0.5),
    ]  # fmt: skip
    with pytest.raises(AlignmentError, match="backwards"):
        phones_from_espeak((("a", 0.2, 0.3), ("b", 0.1, 0.2)), "de", 0.5)


def _tone(start: float, end: float, total: float) -> np.ndarray:
    t = np.arange(int(total * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 200 * t) * ((t >= start) & (t < end))).astype(np.float32)


def test_fit_to_speech_trims_closures_and_rejects_slips():
    audio = _tone(0.5, 1.0, 2.0)
    good = [Phone("SIL", 0.0, 0.45), Phone("P", 0.45, 0.55), Phone("AA", 0.55, 1.0), Phone("SIL", 1.0, 2.0)]
    assert fit_to_speech(good, audio) == good
    # an initial stop whose closure the aligner ran back to 0 s is cut to 100 ms before the sound
    long_closure = [Phone("P", 0.0, 0.55), Phone("AA", 0.55, 1.0), Phone("SIL", 1.0, 2.0)]
    fitted = fit_to_speech(long_closure, audio)
    assert fitted[0] == Phone("SIL", 0.0, pytest.approx(0.4)) and fitted[1].name == "P"
    assert fitted[1].start == pytest.approx(0.4) and fitted[-1] == Phone("SIL", 1.0, 2.0)
    with pytest.raises(AlignmentError, match="unlabelled"):  # the first half second of sound unlabelled
        fit_to_speech([Phone("SIL", 0.0, 0.75), Phone("AA", 0.75, 1.0), Phone("SIL", 1.0, 2.0)], audio)
    with pytest.raises(AlignmentError, match="lasts"):  # a vowel of 0.8 s: the alignment slipped
        slipped = [
            Phone("SIL", 0.0, 0.5),
            Phone("AA", 0.5, 1.3),
            Phone("M", 1.3, 1.5),
            Phone("SIL", 1.5, 2.0),
        ]
        fit_to_speech(slipped, _tone(0.5, 1.5, 2.0))
    with pytest.raises(AlignmentError, match="no phones"):
        fit_to_speech([Phone("SIL", 0.0, 2.0)], audio)
