import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from avatar.audio import FrameClock, load_audio, speech_mask, speech_probabilities, speech_regions
from avatar.audio.vad import WINDOW, model_path, regions_from_probabilities
from avatar.config import load_config

from .helpers import FIXTURES, PAUSE_SAMPLES

SR = 16000


def cfg(threshold=0.5, min_speech_ms=120, min_silence_ms=200, pad_ms=0):
    return SimpleNamespace(
        threshold=threshold, min_speech_ms=min_speech_ms, min_silence_ms=min_silence_ms, pad_ms=pad_ms
    )


def test_model_file_is_found():
    assert model_path().name == "silero_vad.onnx" and model_path().is_file()


def test_importing_does_not_load_torch_or_the_model():
    heavy = "{'torch', 'silero_vad', 'onnxruntime'}"
    code = f"import sys, avatar.audio; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("n", [0, 1, 511, 512, 513, 5 * SR])
def test_one_probability_per_window(n):
    p = speech_probabilities(np.zeros(n, np.float32))
    assert p.shape == (-(-n // WINDOW),) and p.dtype == np.float32


def test_pauses_speech_is_found_where_it_is(pauses):
    speech_end = (len(pauses) - PAUSE_SAMPLES) / SR  # 1.0 + speech length
    p = speech_probabilities(pauses)
    assert np.all((p >= 0) & (p <= 1))
    assert p[: 900 // 32].max() < 0.1  # the leading silence (first 0.9 s)
    regions = speech_regions(pauses, cfg())
    assert len(regions) == 1
    start, end = regions[0]
    assert start == pytest.approx(1.0, abs=0.15)
    assert end == pytest.approx(speech_end, abs=0.15)


def test_project_config_pads_regions(pauses):
    vad_cfg = load_config().inference.vad
    bare = speech_regions(pauses, cfg())[0]
    padded = speech_regions(pauses, vad_cfg)[0]
    pad = vad_cfg.pad_ms / 1000
    assert padded == pytest.approx((bare[0] - pad, bare[1] + pad))


def test_every_fixture_has_speech():
    for name in ("bilabial.wav", "espeak.wav", "formats/clip.m4a"):
        regions = speech_regions(load_audio(FIXTURES / name), cfg())
        assert sum(e - s for s, e in regions) > 0.7


def test_silence_gives_no_speech():
    assert speech_regions(np.zeros(5 * SR, np.float32), cfg()) == []


@pytest.mark.parametrize("level_dbfs", [-40.0, -20.0, -6.0])
def test_white_noise_gives_no_speech(level_dbfs):
    # Measured: silero's probability stays below 0.1 on white noise at any level (it is trained
    # on noisy speech), so not a single window reaches the 0.5 threshold.
    noise = np.random.default_rng(1).normal(0, 10 ** (level_dbfs / 20), 5 * SR).astype(np.float32)
    noise = np.clip(noise, -1, 1)
    assert speech_probabilities(noise).max() < 0.2
    assert speech_regions(noise, cfg()) == []


def test_speech_in_noise_is_still_found(pauses):
    noise = np.random.default_rng(2).normal(0, 10 ** (-30 / 20), len(pauses)).astype(np.float32)
    regions = speech_regions(pauses + noise, cfg())
    assert len(regions) == 1 and regions[0][0] == pytest.approx(1.0, abs=0.15)


# regions_from_probabilities on made-up probabilities: one window = 32 ms.


def regions_of(probs, **kwargs):
    probs = np.asarray(probs, dtype=np.float32)
    return regions_from_probabilities(probs, len(probs) * WINDOW, cfg(**kwargs))


def test_hysteresis():
    w = WINDOW / SR
    # 0.4 is below the threshold but above threshold - 0.15: speech goes on through it.
    assert regions_of([0, 0.9, 0.4, 0.4, 0.9, 0, 0, 0], min_speech_ms=0) == [(1 * w, 5 * w)]
    # 0.3 ends it; a 0.45 alone never starts speech.
    assert regions_of([0, 0.9, 0.9, 0.3, 0.45, 0.45], min_speech_ms=0, min_silence_ms=0) == [(w, 3 * w)]


def test_short_bursts_are_dropped_and_short_gaps_merged():
    w = WINDOW / SR
    burst = [0] * 10 + [0.9] * 3 + [0] * 10  # 96 ms of speech
    assert regions_of(burst, min_speech_ms=120) == []
    assert regions_of(burst, min_speech_ms=90) == [(10 * w, 13 * w)]
    gap = [0.9] * 5 + [0] * 6 + [0.9] * 5 + [0] * 20  # a 192 ms gap
    assert regions_of(gap, min_silence_ms=200) == [(0.0, 16 * w)]
    assert regions_of(gap, min_silence_ms=150) == [(0.0, 5 * w), (11 * w, 16 * w)]


def test_padding_is_clipped_and_joins_neighbours():
    w = WINDOW / SR
    probs = [0.9] * 5 + [0] * 10 + [0.9] * 5  # 320 ms gap, speech to the very end
    duration = len(probs) * w
    assert regions_of(probs, pad_ms=60) == [(0.0, 5 * w + 0.06), (15 * w - 0.06, duration)]
    assert regions_of(probs, pad_ms=200) == [(0.0, duration)]


def test_speech_mask():
    mask = speech_mask([(1.0, 2.0)], 90, 30)
    assert mask.sum() == 30 and mask[30:60].all()
    # A frame counts if any part of it overlaps: [1.01, 1.02] is inside frame 30 only.
    assert np.flatnonzero(speech_mask([(1.01, 1.02)], 90, 30)).tolist() == [30]
    # Regions beyond the video and empty lists are fine.
    assert speech_mask([(2.9, 5.0)], 90, 30).sum() == 3
    assert not speech_mask([], 90, 30).any()


def test_speech_mask_on_pauses(pauses):
    clock = FrameClock()
    n = clock.num_frames(len(pauses))
    mask = speech_mask(speech_regions(pauses, cfg()), n, clock.fps)
    assert mask.shape == (n,)
    assert not mask[:27].any() and not mask[-27:].any()  # the first and last 0.9 s are silent
    assert mask[33 : n - 33].sum() > 0.9 * (n - 66)  # speech from ~1.1 s to ~end - 1.1 s


def test_repeated_clips_are_answered_from_memory_unchanged():
    from avatar.audio import vad

    x = (np.random.default_rng(7).standard_normal(16000) * 0.1).astype(np.float32)
    first = vad.speech_probabilities(x)
    first[:] = 9.0  # the caller's copy: the remembered answer must not change
    again = vad.speech_probabilities(x.copy())
    assert again.max() <= 1.0 and np.array_equal(again, vad._probabilities(x))
    other = x.copy()
    other[100] += 0.5  # one sample differs: a new clip
    assert len(vad._recent) <= vad.RECENT
    assert np.array_equal(vad.speech_probabilities(other), vad._probabilities(other))
