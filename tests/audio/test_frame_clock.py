import dataclasses

import numpy as np
import pytest

from avatar.audio import FrameClock

CLOCK = FrameClock()  # 30 fps, 16 kHz


def test_ten_minutes_is_exactly_18000_frames():
    assert CLOCK.num_frames(10 * 60 * 16000) == 18000
    assert CLOCK.frame_start(18000) == 9_600_000


def test_frames_are_533_or_534_samples_and_tile_exactly():
    n = 18000
    lengths = [CLOCK.frame_samples(i).stop - CLOCK.frame_samples(i).start for i in range(n)]
    assert set(lengths) == {533, 534}
    assert sum(lengths) == 9_600_000
    starts = CLOCK.frame_starts(n)
    np.testing.assert_array_equal(np.diff(starts), lengths)
    assert starts[-1] == 9_600_000
    # A fixed 533-sample hop would be 6000 samples (0.375 s) short by now.
    assert starts[-1] - 533 * n == 6000


def test_num_frames_rounds_half_up():
    assert CLOCK.num_frames(0) == 0
    assert CLOCK.num_frames(266) == 0  # 0.49875 frames
    assert CLOCK.num_frames(267) == 1  # 0.50063
    assert CLOCK.num_frames(800) == 2  # exactly 1.5 frames: half rounds up
    assert CLOCK.num_frames(1866) == 3  # 3.49875
    assert CLOCK.num_frames(1867) == 4  # 3.50063
    assert FrameClock(fps=25).num_frames(16000) == 25


def test_frame_of_time_inverts_frame_time():
    for i in [0, 1, 2, 3, 29, 30, 31, 12345, 18000, 10**6]:
        assert CLOCK.frame_of_time(CLOCK.frame_time(i)) == i
        assert CLOCK.frame_of_time(CLOCK.frame_center(i)) == i
        assert CLOCK.frame_of_sample(CLOCK.frame_start(i + 1) - 1) == i
    idx = np.arange(0, 50_000)
    np.testing.assert_array_equal(CLOCK.frames_of_times(CLOCK.frame_times(50_000)), idx)
    np.testing.assert_array_equal(CLOCK.frames_of_times(CLOCK.frame_centers(50_000)), idx)


def test_times():
    assert CLOCK.frame_time(30) == 1.0
    assert CLOCK.frame_time(1) == 533 / 16000  # on the sample grid, not 1 / 30
    assert CLOCK.frame_center(0) == pytest.approx(533 / 32000)
    t = CLOCK.frame_times(18001)
    assert t[-1] == 600.0 and np.all(np.diff(t) > 0)
    assert CLOCK.frame_of_time(599.99999) == 18000  # the nearest sample, 9_600_000, starts it


def test_other_rates_and_validation():
    clock = FrameClock(fps=25, sample_rate=44100)
    assert clock.frame_start(25) == 44100 and clock.frame_samples(0) == slice(0, 1764)
    with pytest.raises(ValueError):
        FrameClock(fps=0)
    with pytest.raises(ValueError):
        FrameClock(fps=29.97)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLOCK.fps = 60
