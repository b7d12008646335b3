"""avatar.eval.sync: the audio/video offset from mouth opening against the sound's level."""

import numpy as np
import pytest

from avatar.audio.clock import FPS, SAMPLE_RATE
from avatar.eval.sync import (
    MAX_LAG,
    aligned_audio,
    best_lag,
    estimate_offset,
    lag_curve,
    loudness,
    mouth_opening,
)
from avatar.expression.channels import CHANNEL_INDEX, EXPRESSION_DIM


def syllables(n: int, seed: int = 0) -> np.ndarray:
    """A mouth opening like speech: irregular bumps 4-12 frames apart, with pauses."""
    rng = np.random.default_rng(seed)
    curve = np.zeros(n)
    t = 5
    while t < n - 5:
        width = rng.integers(2, 6)
        curve[t : t + width] += rng.uniform(0.3, 1.0) * np.hanning(width + 2)[1:-1]
        t += width + rng.integers(2, 8) + (15 if rng.random() < 0.1 else 0)
    return curve


@pytest.mark.parametrize("shift", [-7, -2, 0, 3, 12])
def test_the_offset_is_the_shift_between_mouth_and_level(shift):
    rng = np.random.default_rng(1)
    mouth = syllables(300)
    level = np.roll(mouth, shift) + 0.2 * rng.standard_normal(300)  # level[t + shift] = mouth[t]
    est = estimate_offset(mouth, level)
    assert est.frames == shift
    assert est.ms == pytest.approx(1000 * shift / FPS, abs=0.1)
    assert est.z > 5 and 0.5 < est.r <= 1


def test_unrelated_curves_have_no_clear_peak():
    est = estimate_offset(syllables(300, seed=1), syllables(300, seed=2))
    assert est.z < 3


def test_flat_or_tiny_input_gives_no_estimate():
    assert np.isnan(estimate_offset(np.zeros(200), syllables(200)).z)
    short = estimate_offset(syllables(25), syllables(25))  # under a second: too short to search ±5
    assert np.isnan(short.z) and short.frames == 0


def test_a_short_clip_is_searched_less_widely():
    mouth = syllables(60)
    est = estimate_offset(mouth, np.roll(mouth, 4))
    assert est.frames == 4 and np.isfinite(est.z)
    far = estimate_offset(mouth, np.roll(mouth, 14))  # 60 frames are searched ±12, not ±MAX_LAG
    assert abs(far.frames) <= 12 < 14 <= MAX_LAG


def test_frames_without_a_face_are_left_out():
    expression = np.zeros((120, EXPRESSION_DIM), np.float32)
    expression[:, CHANNEL_INDEX["jawOpen"]] = syllables(120)
    found = np.ones(120, bool)
    found[40:50] = False
    opening = mouth_opening(expression, found)
    assert np.isnan(opening[40:50]).all() and np.isfinite(opening[found]).all()
    np.testing.assert_array_equal(opening[found], expression[found, CHANNEL_INDEX["jawOpen"]])


def test_loudness_follows_the_sound_frame_by_frame():
    frames = 60
    audio = np.zeros(frames * SAMPLE_RATE // FPS, np.float32)
    t = np.arange(len(audio)) / SAMPLE_RATE
    loud = (t >= 1.0) & (t < 1.5)  # frames 30 to 44
    audio[loud] = 0.5 * np.sin(2 * np.pi * 700 * t[loud])
    level = loudness(audio, frames + 5)
    assert np.isnan(level[frames:]).all()  # past the end of the audio
    assert level[33:42].min() > level[:25].max() + 40
    assert np.isclose(level[:25], level[:25].min()).all()  # silence floored to one level
    assert np.isnan(loudness(np.zeros(16000, np.float32), 30)).all()


def test_loudness_ignores_sound_outside_the_speech_band():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    hum = loudness(0.5 * np.sin(2 * np.pi * 60 * t), 30)
    vowel = loudness(0.5 * np.sin(2 * np.pi * 700 * t), 30)
    assert np.nanmedian(vowel) > np.nanmedian(hum) + 30


@pytest.mark.parametrize("frames", [3, -3, 0])
def test_aligned_audio_undoes_the_offset(frames):
    audio = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32)
    shift = round(abs(frames) * SAMPLE_RATE / FPS)
    late = np.concatenate([np.zeros(shift, np.float32), audio])[: len(audio)]
    early = np.concatenate([audio[shift:], np.zeros(shift, np.float32)])
    moved = aligned_audio(late if frames >= 0 else early, frames)
    assert len(moved) == len(audio) and moved.dtype == np.float32
    keep = slice(shift, len(audio) - shift)
    np.testing.assert_array_equal(moved[keep], audio[keep])
    assert len(aligned_audio(audio[:100], 30)) == 100  # a shift longer than the audio: silence


def test_curves_of_many_short_clips_pool_to_their_shared_offset():
    rng = np.random.default_rng(3)
    curves, alone = [], []
    for seed in range(12):
        mouth = syllables(90, seed=seed)
        level = np.roll(mouth, 3) + 0.6 * rng.standard_normal(90)
        lags, rs = lag_curve(mouth, level)
        curves.append(rs)
        alone.append(estimate_offset(mouth, level).frames)
    assert len(lags) == 2 * MAX_LAG + 1 and lags[MAX_LAG] == 0
    assert lags[best_lag(lags, np.nanmean(curves, axis=0))] == 3
    assert alone.count(3) < len(alone)  # some clips alone are fooled; together they are not


def test_a_short_clips_curve_is_nan_beyond_its_search():
    mouth = syllables(60)
    lags, rs = lag_curve(mouth, np.roll(mouth, 2))
    assert np.isnan(rs[np.abs(lags) > 12]).all() and np.isfinite(rs[np.abs(lags) <= 12]).all()
    assert lags[best_lag(lags, rs)] == 2
