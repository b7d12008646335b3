"""Run the motion network on a clip and draw its random parts: head, gaze and blinks per frame.

The network gives head angles and two probabilities per frame (motion/model.py); here the
seeded draws turn those into events: whether the gaze is away (a two-state process whose
occupancy follows the predicted probability), where it lands, when blinks start and how long
they last. The draws and the noise come from two generators seeded with ``controls.seed``, in a
fixed order, so the same seed gives the same motion whatever the other controls say, offline or
streaming.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from .generator import Blinks, GazeShifts, noise_track
from .model import MotionNet, predict
from .prosody import prosody

AVERTED_DWELL_S = 1.0  # mean stay away from the camera where the network says p = 0.5
MAX_AVERTED = 0.95  # keeps the switching rates finite


@dataclass(frozen=True)
class Motion:
    """Per-frame motion for T frames."""

    head: np.ndarray  # (T, 3) pitch, yaw, roll degrees
    gaze: np.ndarray  # (T, 2) yaw, pitch degrees
    blink: np.ndarray  # (T,) eyelid closure in [0, 1]


class Aversion:
    """Whether the eyes are away, one frame at a time: a two-state process whose occupancy is the
    predicted probability p. It enters "away" at rate 2p / AVERTED_DWELL_S and leaves at rate
    2(1 - p) / AVERTED_DWELL_S: a 1 s stay where p = 0.5, shorter stays (quick looks back) where
    the network says the eyes belong on the listener."""

    def __init__(self, fps: int, rng: np.random.Generator) -> None:
        self.per_frame = 2.0 / (AVERTED_DWELL_S * fps)
        self.rng = rng
        self.averted = False

    def step(self, p_averted: float) -> bool:
        p = min(max(p_averted, 0.0), MAX_AVERTED)
        draw = self.rng.random()
        self.averted = draw >= self.per_frame * (1.0 - p) if self.averted else draw < self.per_frame * p
        return self.averted


def draws_rng(seed: int) -> np.random.Generator:
    """The generator of a run's draws (its noise has another: generator.noise_blocks)."""
    return np.random.default_rng([seed, 2])


class Draws:
    """The seeded draws of one stream or clip, in a fixed order per frame: aversion, gaze, blink."""

    def __init__(self, fps: int, rng: np.random.Generator) -> None:
        self.aversion, self.gaze, self.blinks = Aversion(fps, rng), GazeShifts(fps, rng), Blinks(fps, rng)

    def step(self, p_averted: float, p_blink: float) -> tuple[np.ndarray, float]:
        """(gaze (2,) degrees, eyelid closure) for one frame."""
        gaze = self.gaze.step(self.aversion.step(p_averted))
        return gaze, self.blinks.step(p_blink)[1]

    def run(self, p_averted: np.ndarray, p_blink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """((T, 2) gaze, (T,) closure) for whole tracks."""
        steps = [self.step(float(a), float(b)) for a, b in zip(p_averted, p_blink, strict=True)]
        gaze = np.array([g for g, _ in steps], np.float32).reshape(-1, 2)
        return gaze, np.array([c for _, c in steps], np.float32)


class MotionModel:
    """Audio (cleaned, 16 kHz) -> Motion, with the trained MotionNet and the run's controls."""

    def __init__(self, net: MotionNet, cfg: Config) -> None:
        self.net = net.eval()
        self.cfg = cfg

    def __call__(self, audio: np.ndarray, num_frames: int) -> Motion:
        fps = self.cfg.model.fps
        features = prosody(audio, self.cfg).features[:num_frames]  # (T, F)
        features = np.pad(features, ((0, num_frames - len(features)), (0, 0)))
        seed = self.cfg.inference.controls.seed
        z = noise_track(num_frames, fps, seed)  # (T, N)
        pred = predict(self.net, features, z)
        gaze, blink = Draws(fps, draws_rng(seed)).run(pred["averted"], pred["blink"])
        return Motion(pred["head"].astype(np.float32), gaze, blink)
