"""Generated text: reproducible, every phone covered, the visible ones often; voices and splits."""

import os
import re
from collections import Counter

import numpy as np
import pytest

from avatar.data.text import VISIBLE, english_lexicon, utterance_text
from avatar.data.voices import LANGUAGES, VALIDATION, pick_voice, voices
from avatar.data.words import function_words, languages, templates, vocabulary
from avatar.lipsync.phones import ARPABET


def test_same_generator_same_text():
    for language in LANGUAGES:
        a = [utterance_text(language, np.random.default_rng([7, i])) for i in range(5)]
        b = [utterance_text(language, np.random.default_rng([7, i])) for i in range(5)]
        assert a == b and len(set(a)) == 5


def test_word_lists():
    assert set(languages()) == set(LANGUAGES) - {"en"}  # a list for every language but English
    for language in languages():
        words = vocabulary(language)
        assert 95 <= len(words) <= 130 and len(set(words)) == len(words), language
        assert all(w == w.strip() and " " not in w for w in words), language
    glue = function_words()
    assert 90 <= len(glue) <= 130 and len(set(glue)) == len(glue) and "the" in glue
    assert len(templates()) > 10 and all("{w}" in t or "{W}" in t for t in templates())
    with pytest.raises(KeyError):
        vocabulary("en")  # English draws on the CMU dictionary instead


def test_english_covers_every_phone_and_favours_the_visible():
    from pocketsphinx import get_model_path

    lexicon = {}
    with open(os.path.join(get_model_path(), "en-us", "cmudict-en-us.dict")) as f:
        for line in f:
            word, *phones = line.split()
            lexicon.setdefault(word, [p.rstrip("012") for p in phones])
    words, _ = english_lexicon()
    assert len(words) > 100_000
    counts: Counter = Counter()
    for i in range(300):
        text = utterance_text("en", np.random.default_rng([0, i]))
        for word in re.findall(r"[a-z']+", text.lower()):
            counts.update(lexicon[word])  # every word is in the aligner's dictionary
    total = sum(counts.values())
    assert set(counts) == set(ARPABET)
    assert sum(counts[p] for p in VISIBLE) / total > 0.2  # about 12 % of the dictionary's phones


def test_voices_and_held_out_split():
    for language in LANGUAGES:
        vs = voices(language)
        assert len({v.id for v in vs}) == len(vs)
        val = [v for v in vs if v.split == "val"]
        assert val and len(val) < len(vs) / 3, language
    english_val = {v.id for v in voices("en") if v.split == "val"}
    assert english_val >= VALIDATION and "espeak-ng:en-us+f3" in english_val
    picked = Counter(pick_voice("en", np.random.default_rng([3, i]))[0].engine for i in range(400))
    assert set(picked) == {"espeak-ng", "flite", "festival"}
    for i in range(50):
        voice, prosody = pick_voice("de", np.random.default_rng([4, i]))
        assert voice.engine == "espeak-ng" and 120 <= prosody.rate <= 210 and 25 <= prosody.pitch <= 75
