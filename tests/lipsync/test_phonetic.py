"""The phonetic lip-sync on real (TTS) speech: frame counts, silence, closures, lip shapes."""

import logging

import numpy as np
import pytest

from avatar.expression import CHANNEL_INDEX, mouth_openness
from avatar.lipsync import PhoneticLipSync
from avatar.lipsync.animator import frame_centers

FPS = 30


def _frames_of(result, phone_names, cfg):
    """Frame indices whose (lead-shifted) sample time falls inside one of these phones."""
    times = frame_centers(len(result.expression), FPS) + cfg.inference.phonetic.lead_ms / 1000
    out = []
    for p in result.phones:
        if p.name in phone_names:
            inside = np.flatnonzero((times >= p.start) & (times < p.end))
            out.append(inside if inside.size else np.array([np.argmin(np.abs(times - p.center))]))
    return out


@pytest.mark.parametrize("name", ["bilabial", "espeak", "pauses"])
@pytest.mark.parametrize("with_text", [True, False])
def test_frame_count_and_range(lipsync, clip, name, with_text):
    result = lipsync(name, with_text)
    audio, _ = clip(name)
    assert result.expression.shape == (round(len(audio) / 16000 * FPS), 64)
    assert result.expression.dtype == np.float32
    assert result.expression.min() >= 0.0 and result.expression.max() <= 1.0
    assert result.method == ("forced-alignment" if with_text else "phone-recognition")
    assert mouth_openness(result.expression).max() > 0.25  # the mouth does open for vowels


@pytest.mark.parametrize("with_text", [True, False])
def test_mouth_closed_in_silence(lipsync, with_text):
    expr = lipsync("pauses", with_text).expression  # speech from 1.0 s to ~2.45 s
    # The mouth may start to move ~250 ms before the sound (anticipation); before that, and
    # 0.8 s after the last word, it is shut and still.
    silent = np.r_[0 : int(0.7 * FPS), len(expr) - int(0.8 * FPS) : len(expr)]
    assert np.all(expr[silent, CHANNEL_INDEX["jawOpen"]] == 0.0)
    assert np.all(mouth_openness(expr[silent]) == 0.0)
    assert np.all(expr[silent, CHANNEL_INDEX["voicing"]] == 0.0)
    assert mouth_openness(expr[int(1.1 * FPS) : int(2.3 * FPS)]).max() > 0.25


@pytest.mark.parametrize("with_text", [True, False])
def test_every_bilabial_closes_the_lips(lipsync, cfg, with_text):
    result = lipsync("bilabial", with_text)
    groups = _frames_of(result, {"P", "B", "M"}, cfg)
    assert len(groups) >= (9 if with_text else 5)
    for frames in groups:
        assert np.all(mouth_openness(result.expression[frames]) == 0.0)
        assert np.all(result.expression[frames, CHANNEL_INDEX["lipSeal"]] == 1.0)
    # between closures the lips part again: "Bob" is closed-open-closed
    openness = mouth_openness(result.expression)
    assert np.sum(np.diff((openness > 0.05).astype(int)) == 1) >= 4


def test_labiodentals_tuck_and_rounded_vowels_pucker(lipsync, cfg):
    result = lipsync("espeak")  # "The five brave whales moved through the blue water."
    expr = result.expression
    fv = _frames_of(result, {"F", "V"}, cfg)
    assert len(fv) >= 3
    for frames in fv:
        assert expr[frames, CHANNEL_INDEX["lowerLipTuck"]].max() >= 0.8
    rounded = _frames_of(result, {"UW", "W", "OW"}, cfg)
    assert len(rounded) >= 4
    for frames in rounded:
        assert expr[frames, CHANNEL_INDEX["mouthPucker"]].max() >= 0.4
    spread = _frames_of(result, {"IY", "EY"}, cfg)
    assert max(expr[f, CHANNEL_INDEX["mouthPucker"]].max() for f in spread) < 0.4


def test_mismatched_transcript_falls_back_to_recognition(cfg, clip, caplog):
    audio, _ = clip("bilabial")
    with caplog.at_level(logging.WARNING):
        result = PhoneticLipSync(cfg)(audio, "?!")
    assert result.method == "phone-recognition"
    assert "recognising phones" in caplog.text


def test_silent_audio_stays_closed(cfg):
    result = PhoneticLipSync(cfg)(np.zeros(16000 * 2, np.float32), None)
    assert result.expression.shape == (60, 64)
    assert np.all(result.expression == 0.0)
