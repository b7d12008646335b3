"""Run the motion network on a clip and draw its random parts: head, gaze and blinks per frame.

The network gives head angles and two probabilities per frame (motion/model.py); here the
seeded draws turn those into events: whether the gaze is away (a two-state process whose
occupancy follows the predicted probability), where it lands, when blinks start and how long
they last. Every draw comes from one generator seeded with ``controls.seed``, in a fixed order,
so the same seed gives the same motion whatever the other controls say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from .generator import blink_curve, blink_onsets, gaze_angles, noise
from .model import MotionNet, predict
from .prosody import prosody

AVERTED_DWELL_S = 1.0  # mean time the gaze stays away; the return rate follows from it
MAX_AVERTED = 0.95  # keeps the switching rates finite


@dataclass(frozen=True)
class Motion:
    """Per-frame motion for T frames."""

    head: np.ndarray  # (T, 3) pitch, yaw, roll degrees
    gaze: np.ndarray  # (T, 2) yaw, pitch degrees
    blink: np.ndarray  # (T,) eyelid closure in [0, 1]


def gaze_states(p_averted: np.ndarray, fps: int, rng: np.random.Generator) -> np.ndarray:
    """(T,) 1 where the eyes are away: leave at rate 1/dwell, enter so that occupancy ~ p."""
    leave = 1.0 / (AVERTED_DWELL_S * fps)
    p = np.clip(p_averted, 0.0, MAX_AVERTED)
    enter = leave * p / (1.0 - p)
    draws = rng.random(len(p))
    out = np.zeros(len(p), np.float32)
    averted = False
    for t in range(len(p)):
        averted = draws[t] >= leave if averted else draws[t] < enter[t]
        out[t] = averted
    return out


class MotionModel:
    """Audio (cleaned, 16 kHz) -> Motion, with the trained MotionNet and the run's controls."""

    def __init__(self, net: MotionNet, cfg: Config) -> None:
        self.net = net.eval()
        self.cfg = cfg

    def __call__(self, audio: np.ndarray, num_frames: int) -> Motion:
        fps = self.cfg.model.fps
        features = prosody(audio, self.cfg).features[:num_frames]  # (T, F)
        features = np.pad(features, ((0, num_frames - len(features)), (0, 0)))
        rng = np.random.default_rng(self.cfg.inference.controls.seed)
        z = noise(num_frames, fps, rng)  # (T, N)
        pred = predict(self.net, features, z)
        averted = gaze_states(pred["averted"], fps, rng)
        gaze = gaze_angles(averted, fps, rng)
        blink = blink_curve(blink_onsets(pred["blink"], fps, rng), fps, rng)
        return Motion(pred["head"].astype(np.float32), gaze, blink)
