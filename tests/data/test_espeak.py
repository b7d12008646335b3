"""espeak-ng through ctypes: reproducible audio, phoneme timings that follow the sound, the IPA table."""

import numpy as np
import pytest

from avatar.audio import clean_audio
from avatar.data import words
from avatar.data.espeak import EspeakRequest, synthesize
from avatar.data.ipa import IPA_TO_ARPABET, LANGUAGE_OVERRIDES, LONG_VOWELS, to_arpabet
from avatar.data.labels import fit_to_speech, phones_from_espeak
from avatar.data.voices import ESPEAK_VOICES, Prosody, Voice, speak
from avatar.lipsync.phones import ARPABET, SILENCE

GERMAN = "Der Vater bringt dem Kind ein Buch. Und fünf Blumen mit."  # a pause between the sentences


@pytest.mark.needs_tts("libespeak-ng")
def test_same_request_same_samples():
    req = EspeakRequest("Bonjour mon ami, le pain est bon.", "fr+m3", 160, 40)
    first, second = synthesize([req]), synthesize([req])
    assert np.array_equal(first[0].audio, second[0].audio) and first[0].events == second[0].events
    assert first[0].sample_rate == 22050 and first[0].audio.dtype == np.int16


@pytest.mark.needs_tts("libespeak-ng")
def test_phoneme_timings_are_monotonic_and_cover_the_speech():
    speech = speak(Voice("espeak-ng", "de+m2", "de"), GERMAN, Prosody(150, 50))
    spans = speech.phonemes
    starts = [start for _, start, _ in spans]
    assert starts == sorted(starts) and all(end >= start for _, start, end in spans)
    duration = len(speech.audio) / 16000
    assert spans[-1][2] == pytest.approx(duration, abs=1e-3)  # the last event is the end of the audio

    audio = clean_audio(speech.audio)
    phones = phones_from_espeak(spans, "de", duration)
    assert fit_to_speech(phones, audio) == phones  # labelled speech starts and ends with the audible speech
    # Almost every audible 10 ms block lies inside a sounding phone, almost no silent one does.
    blocks = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    level = 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-12)
    centres = (np.arange(len(blocks)) + 0.5) * 0.01
    sounding = np.zeros(len(blocks), dtype=bool)
    for p in phones:
        if p.name != SILENCE:
            sounding |= (centres >= p.start) & (centres < p.end)
    loud = level > level.max() - 30
    assert sounding[loud].mean() > 0.95
    quiet = level < level.max() - 40
    assert quiet.sum() > 20 and sounding[quiet].mean() < 0.1
    names = [p.name for p in phones if p.name != SILENCE]
    assert {"B", "M", "F", "UW"} <= set(names)  # 'bringt', 'dem', 'fünf' (ü -> UW), 'Buch'


def test_table_gives_arpabet():
    for phones in (*IPA_TO_ARPABET.values(), *LANGUAGE_OVERRIDES.values(), *LONG_VOWELS.values()):
        assert phones and all(p in ARPABET for p in phones)
    assert to_arpabet("") == (SILENCE,) and to_arpabet("_:") == (SILENCE,)
    assert to_arpabet("ts") == ("T", "S") and to_arpabet("ç") == ("Y",)
    assert to_arpabet("ɔ̃") == ("AO",) and to_arpabet("oː") == ("OW",) and to_arpabet("aɪɚ") == ("AY", "ER")
    assert to_arpabet("ɜ", "de") == ("AH",) and to_arpabet("ɜː", "en") == ("ER",)
    with pytest.raises(KeyError):
        to_arpabet("ǃ")  # a click: no language we speak has one


@pytest.mark.needs_tts("libespeak-ng")
def test_every_phoneme_of_our_words_is_mapped():
    """All the phonemes espeak-ng says for our word lists, in every voice we use, have a phone."""
    english = "the quick brown fox jumps over my lazy dog while five whales sing, joy, pleasure, church"
    requests = [
        EspeakRequest(
            " ".join(words.vocabulary(language) if language != "en" else english.split()), voice, 175, 50
        )
        for language, voices in ESPEAK_VOICES.items()
        for voice in voices
    ]
    languages = [language for language, voices in ESPEAK_VOICES.items() for _ in voices]
    seen = set()
    for language, result in zip(languages, synthesize(requests), strict=True):
        for name, _ in result.events:
            to_arpabet(name, language)  # raises KeyError if unmapped
            seen.add(name)
    assert len(seen) > 80
