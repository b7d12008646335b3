"""Text to speak: random sentences we generate, deterministic for a random generator's state.

English draws content words from pocketsphinx's bundled CMU dictionary (so the aligner knows
every word), weighted so that rare phones turn up often and the phones the mouth shows most
clearly (lip closures, lip-teeth contact, rounded vowels) more often still, glued together with
function words and a few hand-written templates (wordlists/, read by words.py). Other languages
string together the hand-written everyday words of wordlists/. None of it is copied text.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache

import numpy as np

from ..lipsync.phones import ARPABET
from .words import function_words, templates, vocabulary

# Phones a viewer reads off the lips get this many times the share of the others.
VISIBLE = frozenset({"P", "B", "M", "F", "V", "UW", "UH", "OW", "AO", "OY", "W"})
VISIBLE_BOOST = 2.0
MAX_GAIN = 12.0  # a phone's gain is capped, or the few ZH words would be said over and over
SHARPEN = 2.0  # weights are raised to this power: with 1 ZH stays at 0.2 % of phones, with 2 at 0.5 %
MIN_LETTERS, MAX_LETTERS = 2, 11  # dictionary words outside this are mostly initialisms or jargon
FUNCTION_SHARE = 0.35  # share of English words that are glue words (the, of, will, ...)
TEMPLATE_SHARE = 0.2  # share of English sentences made from a template
SENTENCE_WORDS = (4, 11)  # words per generated sentence, inclusive
SENTENCES = (1, 2)  # sentences per utterance, inclusive: two sentences put a pause inside
COMMA_SHARE = 0.3  # sentences with a comma (a short pause) after a random word
QUESTION_SHARE = 0.15
_PLAIN = re.compile(r"^[a-z]+$")
_VOWEL_LETTER = re.compile(r"[aeiouy]")
_TRIPLE = re.compile(r"(.)\1\1")  # 'aaa', 'zzz': spelled out or hummed by the voices


@cache
def english_lexicon() -> tuple[tuple[str, ...], np.ndarray]:
    """(words, cumulative sampling weights) of the usable CMU dictionary words.

    A word's weight is the mean, over its phones, of (wanted share / share in the dictionary),
    the wanted share being equal for every phone and VISIBLE_BOOST times that for VISIBLE,
    raised to SHARPEN. In sampled words every phone then has 0.5-6 % of the phones and VISIBLE
    26 % (12 % in the dictionary as a whole).
    """
    from pocketsphinx import get_model_path  # imported here: it is not needed for other languages

    path = os.path.join(get_model_path(), "en-us", "cmudict-en-us.dict")
    words: list[str] = []
    prons: list[list[str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, *phones = line.split()
            if not (_PLAIN.match(word) and MIN_LETTERS <= len(word) <= MAX_LETTERS):
                continue  # also skips alternative pronunciations, 'word(2)'
            if _VOWEL_LETTER.search(word) is None or _TRIPLE.search(word):
                continue
            words.append(word)
            prons.append([p.rstrip("012") for p in phones])
    counts = Counter(p for pron in prons for p in pron)
    total = sum(counts.values())
    wanted = {p: VISIBLE_BOOST if p in VISIBLE else 1.0 for p in ARPABET}
    norm = sum(wanted.values())
    gain = {p: min((wanted[p] / norm) / (counts[p] / total), MAX_GAIN) for p in ARPABET}
    weights = np.array([np.mean([gain[p] for p in pron]) for pron in prons]) ** SHARPEN
    return tuple(words), np.cumsum(weights) / weights.sum()


def _content_word(rng: np.random.Generator) -> str:
    words, cumulative = english_lexicon()
    return words[min(int(np.searchsorted(cumulative, rng.random())), len(words) - 1)]


def _finish(words: list[str], rng: np.random.Generator) -> str:
    """Capitalise, maybe add a comma, end with '.' or '?'."""
    if len(words) > 3 and rng.random() < COMMA_SHARE:
        k = int(rng.integers(1, len(words) - 1))
        words[k] += ","
    end = "?" if rng.random() < QUESTION_SHARE else "."
    text = " ".join(words) + end
    return text[0].upper() + text[1:]


def english_sentence(rng: np.random.Generator) -> str:
    """One English sentence: a filled template or dictionary words with glue words between."""
    if rng.random() < TEMPLATE_SHARE:
        options = templates()
        template = options[int(rng.integers(len(options)))]
        slots = template.count("{w}") + template.count("{W}")
        fill = [_content_word(rng) for _ in range(slots)]
        # Fill the slots in order; {W} is capitalised.
        parts = re.split(r"(\{[wW]\})", template)
        out, k = [], 0
        for part in parts:
            if part in ("{w}", "{W}"):
                out.append(fill[k].capitalize() if part == "{W}" else fill[k])
                k += 1
            else:
                out.append(part)
        return "".join(out)
    n = int(rng.integers(SENTENCE_WORDS[0], SENTENCE_WORDS[1] + 1))
    glue = function_words()
    words = [
        glue[int(rng.integers(len(glue)))] if rng.random() < FUNCTION_SHARE else _content_word(rng)
        for _ in range(n)
    ]
    return _finish(words, rng)


def sentence(language: str, rng: np.random.Generator) -> str:
    """One sentence of pseudo-text in ``language`` ('en', 'de', 'fr', ...)."""
    if language == "en":
        return english_sentence(rng)
    everyday = vocabulary(language)
    n = int(rng.integers(SENTENCE_WORDS[0], SENTENCE_WORDS[1] + 1))
    return _finish([everyday[int(rng.integers(len(everyday)))] for _ in range(n)], rng)


def utterance_text(language: str, rng: np.random.Generator) -> str:
    """What one utterance says: one or two sentences."""
    count = int(rng.integers(SENTENCES[0], SENTENCES[1] + 1))
    return " ".join(sentence(language, rng) for _ in range(count))
