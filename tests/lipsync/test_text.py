from avatar.lipsync.text import guess_pronunciation, normalize_transcript, number_to_words


def test_numbers_symbols_and_punctuation():
    words = normalize_transcript("In 1999, Bob paid $10,000 & got 3.5% back — it's the 21st!")
    assert words == [
        "in", "nineteen", "ninety", "nine", "bob", "paid", "ten", "thousand", "dollars", "and", "got",
        "three", "point", "five", "percent", "back", "it's", "the", "twenty", "first",
    ]  # fmt: skip
    assert normalize_transcript("...!?") == []


def test_number_to_words():
    assert number_to_words(0) == "zero"
    assert number_to_words(115) == "one hundred fifteen"
    assert number_to_words(2_000_001) == "two million one"


def test_guess_pronunciation_uses_arpabet():
    assert guess_pronunciation("yknow") == "Y N OW"
    assert guess_pronunciation("shmoo").split() == ["SH", "M", "UW"]
