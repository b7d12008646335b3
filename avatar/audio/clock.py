"""The one frame clock: which 16 kHz samples belong to which 30 fps video frame.

At 16000 / 30 = 533.33 samples per frame a fixed hop drifts: a 533-sample hop is 0.33 samples
short per frame, 6000 samples (0.375 s) behind after 10 minutes. So every boundary is computed
from the frame index with integer arithmetic, frame i starting at floor(i * sample_rate / fps):
frames are 533 or 534 samples long and frame 18000 starts at exactly 9,600,000 (10 min).
Times are on the sample grid, so audio and video never disagree by even one sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The project's two rates, defined here and nowhere else: every model hears 16 kHz mono, and the
# video (and every expression curve) runs at FPS unless the config's model.fps says otherwise.
SAMPLE_RATE = 16000
FPS = 30


@dataclass(frozen=True)
class FrameClock:
    """Maps video frame indices to audio sample indices and seconds, without drift."""

    fps: int = FPS
    sample_rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        for name in ("fps", "sample_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"FrameClock.{name} must be a positive integer, got {value!r}")

    def num_frames(self, num_samples: int) -> int:
        """Frames covering ``num_samples`` samples: round(num_samples * fps / sample_rate), half up."""
        return (2 * num_samples * self.fps + self.sample_rate) // (2 * self.sample_rate)

    def frame_start(self, i: int) -> int:
        """Index of the first sample of frame ``i`` (frame ``n`` starts where n frames end)."""
        return i * self.sample_rate // self.fps

    def frame_samples(self, i: int) -> slice:
        """The samples of frame ``i``: 533 or 534 of them at 30 fps, 16 kHz."""
        return slice(self.frame_start(i), self.frame_start(i + 1))

    def frame_time(self, i: int) -> float:
        """Start of frame ``i`` in seconds (the time of its first sample)."""
        return self.frame_start(i) / self.sample_rate

    def frame_center(self, i: int) -> float:
        """Middle of frame ``i`` in seconds (halfway between its first sample and the next frame's)."""
        return (self.frame_start(i) + self.frame_start(i + 1)) / (2 * self.sample_rate)

    def frame_of_time(self, t: float) -> int:
        """The frame holding the sample nearest to ``t`` seconds; inverse of frame_time."""
        return self.frame_of_sample(round(t * self.sample_rate))

    def frame_of_sample(self, s: int) -> int:
        """The frame holding sample ``s``: the largest i with frame_start(i) <= s."""
        # floor(i * sr / fps) <= s  <=>  i * sr < (s + 1) * fps
        return ((s + 1) * self.fps - 1) // self.sample_rate

    # Vectorised forms, int64 so 10 hours at 48 kHz (1.7e9 samples, x fps) stays exact.

    def frame_starts(self, n: int) -> np.ndarray:
        """First sample of frames 0..n (n + 1 boundaries; frame i is starts[i]:starts[i + 1])."""
        return np.arange(n + 1, dtype=np.int64) * self.sample_rate // self.fps

    def frame_times(self, n: int) -> np.ndarray:
        """Start times in seconds of frames 0..n-1."""
        return self.frame_starts(n)[:-1] / self.sample_rate

    def frame_centers(self, n: int) -> np.ndarray:
        """Centre times in seconds of frames 0..n-1."""
        starts = self.frame_starts(n)
        return (starts[:-1] + starts[1:]) / (2 * self.sample_rate)

    def frames_of_times(self, t: np.ndarray) -> np.ndarray:
        """frame_of_time for an array of times (seconds); int64."""
        s = np.rint(np.asarray(t, dtype=np.float64) * self.sample_rate).astype(np.int64)
        return ((s + 1) * self.fps - 1) // self.sample_rate
