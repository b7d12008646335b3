"""Phone timings from pocketsphinx, whose English acoustic model ships inside its wheel.

With a transcript: forced alignment (two passes: word alignment, then phone alignment).
Without one: phone recognition with the bundled phonetic language model, run per speech
region so silence never turns into phantom phones.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

import numpy as np

from ..audio import SAMPLE_RATE
from ..errors import AlignmentError
from .phones import PHONE_FRAME_S, SILENCE, Phone, fill_silence, frame_time, normalize_label
from .text import guess_pronunciation, normalize_transcript

log = logging.getLogger(__name__)

Progress = Callable[[float], None]  # called with seconds of audio just processed


def _decoder(**kwargs: object):
    # Imported here: pocketsphinx loads its model on Decoder(), and the import is not free either.
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **kwargs)


def _pcm16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def _decode(decoder, pcm: np.ndarray) -> None:
    # One whole-utterance call: cepstral mean normalisation then uses the whole clip (batch),
    # which places boundaries ~50 ms better than the live estimate of chunked feeding.
    decoder.start_utt()
    decoder.process_raw(pcm.tobytes(), False, True)
    decoder.end_utt()


# pocketsphinx's phone-level alignment keeps a frames x states table: 10 minutes in one piece
# peaked at 7.7 GB and ran at 11x real time. Longer audio is aligned window by window instead.
LONG_AUDIO_S = 60.0
WINDOW_S = 40.0  # audio decoded with a "prefix of the remaining words" grammar
COMMIT_S = 30.0  # words ending within this much of the window are kept; the rest go to the next
MAX_WINDOW_WORDS = 320  # 8 words/s, faster than anyone reads aloud
MIN_PAUSE_FRAMES = 5  # a silence of 50 ms or more is a good place to cut


def align(audio: np.ndarray, text: str, progress: Progress | None = None) -> list[Phone]:
    """Force-align ``text`` to 16 kHz mono ``audio``; returns phones covering the whole clip.

    Raises AlignmentError when the transcript has no words or does not fit the audio.
    ``progress`` receives seconds of audio processed, two per second of audio in total.
    """
    words = normalize_transcript(text)
    if not words:
        raise AlignmentError("the transcript has no words to align")
    # Wider beams than the defaults: synthetic voices far from the acoustic model (espeak-ng)
    # otherwise fail to align a third of the time; natural speech aligns identically.
    decoder = _decoder(bestpath=False, lm=None, beam=1e-80, wbeam=1e-60, pbeam=1e-80)
    for word in set(words):
        if decoder.lookup_word(word) is None:
            decoder.add_word(word, guess_pronunciation(word), False)
    pcm = _pcm16(audio)
    phones: list[Phone] = []
    start, done = 0, 0  # first sample and first word not yet aligned
    while done < len(words):
        offset = start / SAMPLE_RATE
        if len(pcm) - start <= LONG_AUDIO_S * SAMPLE_RATE:
            phones += _align_exact(decoder, pcm[start:], words[done:], offset)
            _report(progress, 2.0 * (len(pcm) - start))
            break
        cut, count = _next_cut(decoder, pcm[start : start + round(WINDOW_S * SAMPLE_RATE)], words[done:])
        if count:
            phones += _align_exact(decoder, pcm[start : start + cut], words[done : done + count], offset)
        start, done = start + cut, done + count
        _report(progress, 2.0 * cut)
    if not any(p.name != SILENCE for p in phones):
        raise AlignmentError("the transcript does not fit the audio (only silence aligned)")
    return fill_silence(phones, len(audio) / SAMPLE_RATE)


def _report(progress: Progress | None, samples: float) -> None:
    if progress is not None:
        progress(samples / SAMPLE_RATE)


def _align_exact(decoder, pcm: np.ndarray, words: list[str], offset: float) -> list[Phone]:
    """Two passes over one piece: word alignment, then phone alignment within the words."""
    try:
        decoder.set_align_text(" ".join(words))
        _decode(decoder, pcm)
        decoder.set_alignment()
        _decode(decoder, pcm)
        alignment = decoder.get_alignment()
    except RuntimeError as exc:
        raise AlignmentError(f"the transcript could not be aligned to the audio ({exc})") from None
    if alignment is None:
        raise AlignmentError("the transcript does not fit the audio (no alignment found)")
    end = offset + len(pcm) / SAMPLE_RATE
    return [
        Phone(
            normalize_label(p.name),
            frame_time(offset, p.start, end),
            frame_time(offset, p.start + p.duration, end),
        )
        for word in alignment
        for p in word
    ]


def _next_cut(decoder, pcm: np.ndarray, words: list[str]) -> tuple[int, int]:
    """Where to cut a long recording: (samples into ``pcm``, words spoken before that point).

    Decodes the window with a grammar that accepts any prefix of ``words`` and cuts in the
    last pause (else after the last word) that ends within COMMIT_S.
    """
    words = words[:MAX_WINDOW_WORDS]
    final = len(words) + 1
    transitions = [(i, i + 1, 1.0, w) for i, w in enumerate(words)]
    transitions += [(i, final, 1.0) for i in range(1, len(words) + 1)]  # may stop after any word
    decoder.add_fsg("prefix", decoder.create_fsg("prefix", 0, final, transitions))
    decoder.activate_search("prefix")
    _decode(decoder, pcm)
    limit = round(COMMIT_S / PHONE_FRAME_S)
    spoken = 0
    after_word = (0, 0)  # (words, frame): cut right after the last word ending within the limit
    in_pause = (0, 0)  # the same, but in the middle of the last long pause
    for seg in decoder.seg():
        if not _is_word(seg.word):
            mid = (seg.start_frame + seg.end_frame) // 2
            if seg.word == "<sil>" and seg.end_frame - seg.start_frame + 1 >= MIN_PAUSE_FRAMES and spoken:
                in_pause = (spoken, mid) if mid <= limit else in_pause
            continue
        if seg.end_frame + 1 > limit:
            break
        spoken += 1
        after_word = (spoken, seg.end_frame + 1)
    count, cut = in_pause if in_pause[0] else after_word
    if count == 0:
        cut = limit  # nothing said in the first COMMIT_S: skip ahead, it stays silence
    return round(cut * PHONE_FRAME_S * SAMPLE_RATE), count


def _is_word(label: str) -> bool:
    """False for silence, fillers (+NOISE+, [NOISE]) and null transitions (NULL)."""
    return not label.startswith(("<", "+", "[", "("))


def recognize(
    audio: np.ndarray,
    regions: Sequence[tuple[float, float]],
    max_segment_s: float = 30.0,
    progress: Progress | None = None,
) -> list[Phone]:
    """Recognise phones (no transcript) inside the speech ``regions`` (seconds) of ``audio``.

    Regions are merged into segments of at most ``max_segment_s`` so the phone language model
    sees context; everything outside them is silence.
    """
    from pocketsphinx import get_model_path

    lm = os.path.join(get_model_path(), "en-us", "en-us-phone.lm.bin")
    # Settings from the CMU Sphinx phoneme-recognition guide: wide beams, low LM weight.
    decoder = _decoder(allphone=lm, lw=2.0, beam=1e-20, pbeam=1e-20, bestpath=False, lm=None)
    pcm = _pcm16(audio)
    phones: list[Phone] = []
    for start, end in merge_regions(regions, max_segment_s):
        a, b = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        _decode(decoder, pcm[a:b])
        _report(progress, b - a)
        for seg in decoder.seg():
            name = normalize_label(seg.word)
            if name != SILENCE:
                first = frame_time(start, seg.start_frame, end)
                phones.append(Phone(name, first, frame_time(start, seg.end_frame + 1, end)))
    return fill_silence(phones, len(audio) / SAMPLE_RATE)


def merge_regions(regions: Sequence[tuple[float, float]], max_len: float) -> list[tuple[float, float]]:
    """Join neighbouring regions (keeping the pauses between them) while a segment stays <= max_len."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(regions):
        if merged and end - merged[-1][0] <= max_len:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
