"""espeak-ng's IPA phoneme names -> the 39 ARPAbet phones the lip-sync animates.

One table for every language, nearest by *visible* articulation (lips, jaw, tongue tip) where
a sound has no English twin: front rounded vowels (German ü, ö, French u, eu) become the
English rounded vowel with the same lip shape (UW, UH, AO), because the rounding is what a
camera sees and the tongue fronting is not; nasal vowels become their oral vowel (the velum is
invisible); taps and trills (Spanish, Italian, espeak's German r) become D, as the dictionary
does for the American flap; uvular and velar fricatives (French r, German ch in Bach) become
the velar stops G and K; the palatal fricatives (German ich, Spanish y) become Y.
Affricates and diphthongs with no single ARPAbet phone are split into two phones that share
the time equally (ts -> T S, pf -> P F). '' and '_' (espeak's pauses) are silence.
"""

from __future__ import annotations

import unicodedata

from ..lipsync.phones import SILENCE

# Keys are IPA after normalise(): no length marks, no espeak '-' (reduced) suffix, no
# combining diacritics (nasal tilde, syllabic mark), no doubled letters.
IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # plosives and affricates
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "ɡ": ("G",), "g": ("G",),
    "c": ("K",), "ɟ": ("G",), "ʔ": ("HH",),  # glottal stop: no mouth shape of its own
    "tʃ": ("CH",), "dʒ": ("JH",), "ts": ("T", "S"), "dz": ("D", "Z"), "pf": ("P", "F"),
    "ks": ("K", "S"), "tɕ": ("CH",), "dʑ": ("JH",),
    # nasals
    "m": ("M",), "ɱ": ("M",), "n": ("N",), "ŋ": ("NG",), "ɲ": ("N", "Y"), "ɴ": ("NG",),
    # fricatives
    "f": ("F",), "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",),
    "ʃ": ("SH",), "ʒ": ("ZH",), "ɕ": ("SH",), "ʑ": ("ZH",), "ʂ": ("SH",), "ʐ": ("ZH",),
    "ç": ("Y",), "ʝ": ("Y",), "x": ("K",), "ɣ": ("G",), "χ": ("K",), "ʁ": ("G",), "ʀ": ("G",),
    "h": ("HH",), "ɦ": ("HH",), "β": ("B",), "ɸ": ("P",),
    # approximants, taps, trills, laterals
    "ɹ": ("R",), "ɻ": ("R",), "r": ("D",), "ɾ": ("D",), "ɽ": ("D",), "l": ("L",), "ɫ": ("L",),
    "ʎ": ("L",), "ɬ": ("L",), "j": ("Y",), "w": ("W",), "ʋ": ("V",), "ɥ": ("W",),
    # front vowels
    "i": ("IY",), "ɪ": ("IH",), "e": ("EH",), "ɛ": ("EH",), "æ": ("AE",), "a": ("AA",),
    "y": ("UW",), "ʏ": ("UH",), "ø": ("UH",), "œ": ("AO",), "ɶ": ("AO",),
    # central vowels
    "ɨ": ("IH",), "ᵻ": ("IH",), "ʉ": ("UW",), "ə": ("AH",), "ɘ": ("AH",), "ɵ": ("UH",), "ɐ": ("AH",),
    "ɜ": ("ER",), "ɚ": ("ER",), "ɝ": ("ER",), "ɞ": ("AO",),
    # back vowels
    "u": ("UW",), "ʊ": ("UH",), "o": ("AO",), "ɔ": ("AO",), "ʌ": ("AH",), "ɑ": ("AA",),
    "ɒ": ("AA",), "ɯ": ("UH",), "ɤ": ("AH",),
    # diphthongs with an ARPAbet twin (others are split, e.g. Portuguese eʊ -> EH W)
    "aɪ": ("AY",), "ɑɪ": ("AY",), "aʊ": ("AW",), "ɑʊ": ("AW",), "ɐʊ": ("AW",), "ʌʊ": ("AW",),
    "ɔɪ": ("OY",), "oɪ": ("OY",), "ɔø": ("OY",), "ɔʏ": ("OY",), "œy": ("OY",),
    "eɪ": ("EY",), "ɛɪ": ("EY",), "oʊ": ("OW",), "əʊ": ("OW",),
}  # fmt: skip
# Where a language uses a symbol for a different sound than the table assumes.
LANGUAGE_OVERRIDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("de", "ɜ"): ("AH",),  # espeak's German vocalised r ('Vater'): an unrounded schwa, not ER
}
# Long vowels that are tense (closer) than their short twins in the languages we speak.
LONG_VOWELS: dict[str, tuple[str, ...]] = {"e": ("EY",), "o": ("OW",)}
PAUSES = frozenset({"", "_", "_:", "_!", "_|", "||", "|"})
_MARKS = ("ː", "ˑ", "-", "ˈ", "ˌ", "ʰ", "ʲ", "ʷ")  # length, espeak's 'reduced', stress, release
_CEDILLA = "\u0327"


def normalise(name: str) -> tuple[str, bool]:
    """(base symbol string, long?) of an espeak IPA phoneme name: 'øː' -> ('ø', True)."""
    long = "ː" in name
    for mark in _MARKS:
        name = name.replace(mark, "")
    # Decomposed, a nasal vowel is its oral vowel plus a tilde (dropped with the other combining
    # marks: syllabic, non-syllabic, tie bar); the cedilla of ç is part of the letter.
    kept = (c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c) or c == _CEDILLA)
    name = unicodedata.normalize("NFC", "".join(kept))
    return "".join(c for i, c in enumerate(name) if i == 0 or c != name[i - 1]), long  # 'ss' -> 's'


def to_arpabet(name: str, language: str = "") -> tuple[str, ...]:
    """ARPAbet phones for one espeak IPA phoneme ((SIL,) for a pause); KeyError if unknown.

    ``language`` ('de', 'fr', ...) selects LANGUAGE_OVERRIDES.

    Unknown sequences are split greedily into known symbols, longest first ('aɪɚ' -> AY ER).
    """
    if name in PAUSES or name.startswith("_"):
        return (SILENCE,)
    base, long = normalise(name)
    if (language, base) in LANGUAGE_OVERRIDES:
        return LANGUAGE_OVERRIDES[language, base]
    if long and base in LONG_VOWELS:
        return LONG_VOWELS[base]
    if base in IPA_TO_ARPABET:
        return IPA_TO_ARPABET[base]
    out: list[str] = []
    i = 0
    while i < len(base):
        for j in range(len(base), i, -1):
            if base[i:j] in IPA_TO_ARPABET:
                out.extend(IPA_TO_ARPABET[base[i:j]])
                i = j
                break
        else:
            raise KeyError(f"no ARPAbet phone for espeak phoneme {name!r}")
    return tuple(out)
