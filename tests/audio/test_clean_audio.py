import numpy as np
import pytest

from avatar.audio import clean_audio
from avatar.audio.clean import _soft_limit

from .helpers import rms_dbfs

SR = 16000


def active_rms_dbfs(y: np.ndarray, floor_dbfs: float = -45.0) -> float:
    """RMS over the 20 ms blocks above an absolute floor: the level of the speech only.

    Deliberately simpler than clean_audio's own gating, so the test does not repeat it."""
    blocks = y[: len(y) // 320 * 320].astype(np.float64).reshape(-1, 320)
    power = np.mean(blocks**2, axis=1)
    return float(10 * np.log10(power[power > 10 ** (floor_dbfs / 10)].mean()))


def surround(x: np.ndarray, seconds: float) -> np.ndarray:
    pad = np.zeros(round(seconds * SR), dtype=np.float32)
    return np.concatenate([pad, x, pad])


def test_dc_offset_is_removed(speech):
    y = clean_audio(0.3 * speech + 0.25)
    assert abs(float(np.mean(y))) < 1e-3
    # No step at the ends either: the filter's start-up sees the offset as steady state.
    assert abs(float(np.mean(y[:1600]))) < 5e-3 and abs(float(np.mean(y[-1600:]))) < 5e-3


@pytest.mark.parametrize("target", [-20.0, -26.0])
def test_target_rms_on_speech_with_long_silence(speech, target):
    y = clean_audio(surround(speech, 10.0), target_rms_dbfs=target)
    assert active_rms_dbfs(y) == pytest.approx(target, abs=1.0)


def test_silence_around_speech_does_not_change_gain(speech):
    alone = clean_audio(speech)
    for seconds in (1.0, 30.0):
        y = clean_audio(surround(speech, seconds))
        part = y[round(seconds * SR) : round(seconds * SR) + len(speech)]
        assert rms_dbfs(part) == pytest.approx(rms_dbfs(alone), abs=0.1)


def test_noise_floor_does_not_count_as_speech(speech):
    noisy = surround(speech, 5.0)
    noisy = noisy + np.random.default_rng(0).normal(0, 10 ** (-50 / 20), noisy.size).astype(np.float32)
    y = clean_audio(noisy)
    assert active_rms_dbfs(y[5 * SR : 5 * SR + len(speech)]) == pytest.approx(-20.0, abs=1.0)


def test_quiet_speech_is_raised(speech):
    y = clean_audio(0.01 * speech)  # about -61 dBFS active: needs +40 dB, capped at +30
    gain_db = rms_dbfs(y) - rms_dbfs(0.01 * speech)
    assert gain_db == pytest.approx(30.0, abs=0.1)
    y = clean_audio(0.05 * speech)  # needs ~ +27 dB: reached
    assert active_rms_dbfs(y) == pytest.approx(-20.0, abs=1.0)


@pytest.mark.parametrize("peak_limit", [0.98, 0.5])
def test_no_sample_above_peak_limit(speech, peak_limit):
    clipped = np.clip(20 * speech, -1.0, 1.0)  # hard-clipped, loud
    clicky = 0.05 * speech.copy()
    clicky[5000] = 1.0  # one click far above quiet speech: the gain pushes it to ~10
    for x in (clipped, clicky):
        y = clean_audio(x, peak_limit=peak_limit)
        assert np.abs(y).max() <= peak_limit


def test_soft_limit_is_smooth_and_monotonic():
    x = np.linspace(-5, 5, 100_001)
    y = _soft_limit(x.copy(), 0.98)
    assert np.all(np.diff(y) >= 0)
    # No flat top like hard clipping: louder stays louder (until tanh saturates in float64
    # some 20 x (limit - knee) above the knee).
    moderate = np.abs(x) < 2.0
    assert np.all(np.diff(y[moderate]) > 0)
    assert np.abs(y).max() <= 0.98
    knee = np.abs(x) <= 0.78
    np.testing.assert_array_equal(y[knee], x[knee])  # untouched below the knee
    slope = np.diff(y) / np.diff(x)
    assert np.abs(np.diff(slope)).max() < 1e-3  # continuous slope, no corner at the knee


def test_digital_silence_stays_silent():
    y = clean_audio(np.zeros(SR, np.float32))
    assert y.dtype == np.float32 and not y.any()


def test_near_silence_is_not_blown_up():
    hiss = np.random.default_rng(0).normal(0, 1e-4, SR).astype(np.float32)  # -80 dBFS
    y = clean_audio(hiss)
    assert np.abs(y).max() <= 1.1 * np.abs(hiss).max()


@pytest.mark.parametrize("n", [0, 1, 5, 100, 641, SR + 3])
def test_length_and_dtype_unchanged(n):
    x = np.random.default_rng(n).uniform(-0.5, 0.5, n).astype(np.float32)
    y = clean_audio(x)
    assert y.shape == (n,) and y.dtype == np.float32 and np.all(np.isfinite(y))


def test_zero_phase_keeps_timing(speech):
    y = clean_audio(speech)
    lag = np.argmax(np.correlate(y, speech, "full")) - (len(speech) - 1)
    assert lag == 0


def test_input_is_not_modified(speech):
    x = speech.copy()
    clean_audio(x)
    np.testing.assert_array_equal(x, speech)
