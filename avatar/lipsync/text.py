"""Transcript normalisation for forced alignment: raw text -> lowercase dictionary words.

pocketsphinx aligns against its CMU dictionary, so digits, symbols and punctuation have to
become spoken words first, and words it does not know get a letter-to-sound guess.
"""

from __future__ import annotations

import re

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals "}
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)*")


def number_to_words(n: int) -> str:
    """Cardinal number in words: 1205 -> 'one thousand two hundred five'."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for scale, name in _SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            return number_to_words(head) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError("unreachable")


def _year_to_words(n: int) -> str:
    """Years are read in pairs: 1999 -> 'nineteen ninety nine', 1905 -> 'nineteen oh five'."""
    head, tail = divmod(n, 100)
    if tail == 0:
        return number_to_words(head) + " hundred"
    return number_to_words(head) + " " + ("oh " + _ONES[tail] if tail < 10 else number_to_words(tail))


def _ordinal(words: str) -> str:
    *rest, last = words.split()
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*rest, last])


def _spell_number(token: str) -> str:
    suffix = token[-2:] if token[-2:] in ("st", "nd", "rd", "th") else ""
    digits = token[: len(token) - len(suffix)]
    if "." in digits:
        whole, frac = digits.split(".")
        return number_to_words(int(whole)) + " point " + " ".join(_ONES[int(d)] for d in frac)
    n = int(digits)
    if suffix:
        return _ordinal(number_to_words(n))
    if 1100 <= n <= 1999 or 2010 <= n <= 2099:
        return _year_to_words(n)
    return number_to_words(n)


def normalize_transcript(text: str) -> list[str]:
    """Lowercase spoken words of a transcript, in order: 'Dr. Who, 2nd act!' -> [..., 'second', 'act']."""
    text = text.lower().replace("’", "'")
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 10,000 -> 10000
    text = re.sub(r"\$(\d+(?:\.\d+)?)", r"\1 dollars", text)  # $5 is said 'five dollars'
    words: list[str] = []
    for token in _TOKEN.findall(text):
        words.extend(_spell_number(token).split() if token[0].isdigit() else [token])
    return words


# Letter-to-sound fallback for words missing from the dictionary: longest match first.
# Crude by design: it only has to give the aligner a plausible phone count and mouth shapes.
_LTS_RULES: tuple[tuple[str, str], ...] = (
    ("tion", "SH AH N"), ("sion", "ZH AH N"), ("ough", "AO"), ("augh", "AO"), ("eigh", "EY"),
    ("igh", "AY"), ("tch", "CH"), ("dge", "JH"), ("sch", "S K"),
    ("th", "TH"), ("sh", "SH"), ("ch", "CH"), ("ph", "F"), ("wh", "W"), ("ng", "NG"), ("ck", "K"),
    ("qu", "K W"), ("kn", "N"), ("wr", "R"), ("gh", "G"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ai", "EY"), ("ay", "EY"), ("oa", "OW"),
    ("ou", "AW"), ("ow", "OW"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"), ("aw", "AO"),
    ("ie", "IY"), ("ei", "EY"), ("ey", "IY"), ("ew", "UW"), ("ue", "UW"), ("er", "ER"), ("ir", "ER"),
    ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"), ("h", "HH"),
    ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"), ("o", "AA"), ("p", "P"),
    ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"), ("v", "V"), ("w", "W"), ("x", "K S"),
    ("y", "Y"), ("z", "Z"),
)  # fmt: skip


def guess_pronunciation(word: str) -> str:
    """ARPAbet guess for an out-of-dictionary word ('yknow' -> 'Y K N OW')."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in "aeiouy":
        letters = letters[:-1]  # silent final e: 'gnome' -> 'gnom'
    phones: list[str] = []
    i = 0
    while i < len(letters):
        for graph, arpabet in _LTS_RULES:
            if letters.startswith(graph, i):
                phones.extend(arpabet.split())
                i += len(graph)
                break
    deduped = [p for j, p in enumerate(phones) if j == 0 or p != phones[j - 1]]
    return " ".join(deduped) or "AH"
