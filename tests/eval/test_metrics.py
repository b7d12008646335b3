"""The lip-sync metrics can both succeed and fail: identity, shifts, noise, gaps."""

import numpy as np
import pytest

from avatar.eval.metrics import compare, envelope, lag_correlations, pearson, resample, shifted

RNG = np.random.default_rng(0)
T = 200


def speechlike(n=T):
    """A smooth random curve, like a mouth opening over time."""
    x = np.convolve(RNG.standard_normal(n + 20), np.hanning(9), mode="same")[10 : 10 + n]
    return x - x.min()


def test_curve_against_itself_is_one():
    x = speechlike()
    assert pearson(x, x) == pytest.approx(1.0)
    assert compare(x, x) == {"r0": pytest.approx(1.0), "best_lag": 0, "r_best": pytest.approx(1.0)}


@pytest.mark.parametrize("lag", [-4, -2, 1, 3])
def test_shifted_copy_gives_the_right_lag(lag):
    x = speechlike()
    late = shifted(x, -lag)  # the method shows each value `lag` frames late
    result = compare(x, late)
    assert result["best_lag"] == lag
    assert result["r_best"] > 0.99 and result["r0"] < result["r_best"]


def test_noise_gives_r_near_zero():
    rs = [pearson(speechlike(), RNG.standard_normal(T)) for _ in range(50)]
    assert abs(np.mean(rs)) < 0.05 and max(abs(r) for r in rs) < 0.35


def test_gaps_are_skipped_and_constants_are_undefined():
    x = speechlike()
    y = x.copy()
    y[::7] = np.nan
    assert pearson(x, y) == pytest.approx(1.0)
    assert np.isnan(pearson(x, np.ones(T)))
    assert np.isnan(pearson(x[:3], x[:3]))
    assert all(np.isnan(r) for r in lag_correlations(x, np.full(T, np.nan)).values())


def test_resample_and_envelope():
    t30 = (np.arange(90) + 0.5) / 30
    t25 = (np.arange(75) + 0.5) / 25
    out = resample(t30, np.sin(t30), t25)
    assert np.nanmax(np.abs(out - np.sin(t25))) < 1e-3
    gap = np.sin(t30)
    gap[40:45] = np.nan
    assert np.isnan(resample(t30, gap, t25)).sum() >= 3
    audio = np.zeros(16000 * 3, np.float32)
    audio[16000:32000] = 0.5 * np.sin(np.arange(16000) * 0.3)
    env = envelope(audio, 16000, t25, 1 / 25)
    assert env[:20].max() == 0.0 and env[30:45].min() > 0.3
