import numpy as np
import pytest

from avatar.animation import Animation
from avatar.eval.motion import jitter, motion_stats
from avatar.expression import CHANNEL_INDEX


def blinking(n=1800, fps=30, starts=(100, 700, 1790), length=6):
    expr = np.zeros((n, 64), np.float32)
    for s in starts:
        for name in ("eyeBlinkLeft", "eyeBlinkRight"):
            expr[s : s + length, CHANNEL_INDEX[name]] = 1.0
    return Animation(expr, fps)


def test_blinks_are_counted_with_durations():
    stats = motion_stats(blinking())  # 60 s, 3 blinks (the last cut by the end)
    assert stats["blinks"] == 3 and stats["blinks_per_minute"] == pytest.approx(3.0)
    assert stats["blink_durations_ms"] == [200.0, 200.0, 200.0]


def test_one_eye_is_not_a_blink():
    anim = blinking()
    anim.expression[:, CHANNEL_INDEX["eyeBlinkRight"]] = 0.0  # a wink averages to 0.5
    assert motion_stats(anim)["blinks"] == 0


def test_jitter_separates_smooth_from_noisy_and_head_amplitude():
    t = np.linspace(0, 2 * np.pi, 300)
    smooth = np.stack([np.sin(t)] * 3, 1) * 10
    noisy = smooth + np.random.default_rng(0).normal(0, 1, smooth.shape)
    assert jitter(noisy) > 20 * jitter(smooth)
    stats = motion_stats(Animation(np.zeros((300, 64)), 30, head=smooth))
    assert stats["head_std_deg"] == pytest.approx([7.07, 7.07, 7.07], abs=0.05)
    assert stats["jitter_blendshapes"] == 0.0
