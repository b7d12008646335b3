"""Hand-written word lists: everyday words per language, written for this project (no corpus).

About a hundred words each, mixing function words, nouns, verbs, adjectives and numbers, and
leaning on words with lip closures (p b m), lip-teeth contact (f v) and rounded vowels (o u ü ö),
the sounds a lip-sync model must get right. The pseudo-text made from them (text.py) is not
grammatical, but each word is pronounced the way a native voice says it, which is what the
labels need. English also draws words from pocketsphinx's dictionary; these are its glue.

The lists are package data, one entry per line in ``wordlists/*.txt`` (UTF-8), read on first use.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

FOLDER = "wordlists"
ENGLISH = ("en-function", "en-templates")  # English's glue words and sentence templates


@cache
def _read(name: str) -> tuple[str, ...]:
    text = files(__package__).joinpath(FOLDER, f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)


def function_words() -> tuple[str, ...]:
    """English glue words (the, of, will, ...) put between dictionary words."""
    return _read("en-function")


def templates() -> tuple[str, ...]:
    """English sentences with slots: ``{w}`` is a dictionary word, ``{W}`` the same capitalised."""
    return _read("en-templates")


@cache
def languages() -> tuple[str, ...]:
    """The languages other than English that have a word list ('de', 'fr', ...), sorted."""
    names = (p.name.removesuffix(".txt") for p in files(__package__).joinpath(FOLDER).iterdir())
    return tuple(sorted(n for n in names if n not in ENGLISH and not n.startswith(".")))


def vocabulary(language: str) -> tuple[str, ...]:
    """The ~100 everyday words of ``language`` (not English); KeyError for a language without a list."""
    if language not in languages():
        raise KeyError(language)
    return _read(language)
