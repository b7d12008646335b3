import difflib
import itertools

import numpy as np
import pytest

from avatar.errors import AlignmentError
from avatar.lipsync.aligner import align, merge_regions
from avatar.lipsync.phones import FRAME_BOUNDARY_S, SILENCE, Phone, fill_silence, frame_time, normalize_label

SPEECH_START_S = 1.0  # pauses.wav: 1.0 s of digital silence, speech, 1.0 s of silence


def _spoken(phones):
    return [p for p in phones if p.name != SILENCE]


def test_alignment_finds_the_dictionary_phones(clip):
    audio, text = clip("bilabial")
    phones = align(audio, text)
    # "Bob bought a map, maybe pop": B AA B | B AO T | AH | M AE P | M EY B IY | P AA P
    assert [p.name for p in _spoken(phones) if p.name in {"P", "B", "M"}] == list("BBBMPMBPP")
    assert phones[0].start == 0.0 and phones[-1].end == pytest.approx(len(audio) / 16000, abs=0.011)
    for a, b in itertools.pairwise(phones):
        assert a.end == pytest.approx(b.start) and a.duration > 0


def test_alignment_timing_matches_known_silence(clip):
    audio, text = clip("pauses")
    spoken = _spoken(align(audio, text))
    duration = len(audio) / 16000
    assert spoken[0].start == pytest.approx(SPEECH_START_S, abs=0.08)
    assert spoken[-1].end == pytest.approx(duration - 1.0, abs=0.12)
    assert [p.name for p in spoken[:4]] in (["HH", "AH", "L", "OW"], ["HH", "EH", "L", "OW"])


def test_alignment_of_unknown_words_and_numbers(clip):
    audio, _ = clip("bilabial")
    phones = align(audio, "Bobb bawt a mapp, 2 pop")  # misspelt words get a letter-to-sound guess
    assert len(_spoken(phones)) >= 10


def test_text_without_words_is_an_alignment_error(clip):
    audio, _ = clip("bilabial")
    with pytest.raises(AlignmentError, match="no words"):
        align(audio, "?!...")


def test_fill_silence_and_labels():
    phones = fill_silence([Phone("AA", 0.5, 0.7), Phone("SIL", 0.7, 0.8), Phone("M", 0.9, 1.0)], 1.5)
    assert [(p.name, p.start, p.end) for p in phones] == [
        ("SIL", 0.0, 0.5), ("AA", 0.5, 0.7), ("SIL", 0.7, 0.9), ("M", 0.9, 1.0), ("SIL", 1.0, 1.5),
    ]  # fmt: skip
    assert normalize_label("AH0") == "AH" and normalize_label("+NSN+") == SILENCE


def test_merge_regions_caps_segment_length():
    regions = [(0.0, 4.0), (5.0, 9.0), (10.0, 14.0), (40.0, 41.0)]
    assert merge_regions(regions, 10.0) == [(0.0, 9.0), (10.0, 14.0), (40.0, 41.0)]
    assert np.isclose(sum(e - s for s, e in merge_regions(regions, 100.0)), 41.0)


def test_long_audio_is_aligned_in_windows_with_the_same_result(clip, monkeypatch):
    """Windowed alignment (used past LONG_AUDIO_S to bound memory) matches piecewise alignment."""
    import avatar.lipsync.aligner as aligner

    audio, text = clip("bilabial")
    unit = np.concatenate([audio, np.zeros(8000, np.float32)])  # 0.5 s pause after each take
    reference = _spoken(align(unit, text))
    reps = 4
    monkeypatch.setattr(aligner, "LONG_AUDIO_S", 4.0)
    monkeypatch.setattr(aligner, "WINDOW_S", 5.0)
    monkeypatch.setattr(aligner, "COMMIT_S", 3.5)
    spoken = _spoken(align(np.tile(unit, reps), " ".join([text] * reps)))
    assert [p.name for p in spoken] == [p.name for p in reference] * reps
    period = len(unit) / 16000
    expected = np.array([p.start + r * period for r in range(reps) for p in reference])
    assert np.median(np.abs(np.array([p.start for p in spoken]) - expected)) <= 0.011


ESPEAK_SENTENCES = (
    "She sells fresh fish to the old man by the quiet river.",
    "Move the blue table closer to the window before lunch.",
    "A bright yellow kite floated above the sandy beach.",
    "Please read the numbers slowly and check every line twice.",
)


@pytest.mark.needs_tts("libespeak-ng")
def test_boundaries_match_the_synthesizers_own_timings():
    """espeak-ng knows where each phone it speaks begins; forced alignment must agree on average
    (reading pocketsphinx's frame index as the boundary put starts a median 12 ms early)."""
    from avatar.data.espeak import EspeakRequest, synthesize
    from avatar.data.labels import phones_from_espeak
    from avatar.data.voices import from_espeak

    offsets = []
    for text in ESPEAK_SENTENCES:
        speech = from_espeak(synthesize([EspeakRequest(text, "en-us", 160, 50)])[0])
        truth = _spoken(phones_from_espeak(speech.phonemes, "en", len(speech.audio) / 16000))
        found = _spoken(align(speech.audio, text))
        names = [p.name for p in found], [p.name for p in truth]
        matcher = difflib.SequenceMatcher(a=names[0], b=names[1], autojunk=False)
        for block in matcher.get_matching_blocks():
            offsets += [found[block.a + k].start - truth[block.b + k].start for k in range(block.size)]
    assert len(offsets) > 80
    assert abs(np.median(offsets)) < 0.008


def test_frame_boundaries_lie_between_window_centres():
    assert frame_time(0.5, 0, 2.0) == pytest.approx(0.5 + FRAME_BOUNDARY_S, abs=1e-4)
    assert frame_time(0.0, 10, 2.0) == pytest.approx(0.1 + FRAME_BOUNDARY_S, abs=1e-4)
    assert round(FRAME_BOUNDARY_S, 4) == 0.0078
    assert frame_time(1.0, 100, 1.995) == 1.995  # never past the audio's end
