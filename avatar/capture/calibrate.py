"""The tracker's view of the renderer, measured for one person, so that capture inverts what the
face mesh reads of a rendered face rather than the renderer's own geometry.

The person's neutral frame is enrolled as an avatar and rendered with each expression channel,
and each head turn in turn, and the face mesh measures every probe as it
measures the video (tracking mode). It reads less than the renderer moves: a rendered jaw drop
at about 0.6 of its field, a nod at 0.4-0.7 of its angle, differently up and down. Capture keeps
the renderer's field of each channel at the size the face mesh reads it (one gain per channel:
a probe's own shape is mostly jitter), the reading of each turn per axis and sign, what a turn
leaves in the expression points, and how far a rendered eye closes in
eye aspect ratio. Calibrating takes about 50 renders and face-mesh runs (~1-2 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..expression.channels import CHANNEL_INDEX, CHANNELS, NUM_ARKIT
from ..portrait.align import align_face, transform_landmarks
from ..portrait.facemesh import eye_aspect_ratio, eye_distance
from ..render.deformers import expression_basis
from ..render.renderer import Renderer
from .errors import CaptureError
from .pose import head_pose
from .tracker import FaceTracker

SIZE = 256  # px: the renderer's working size, where probes are rendered and measured
AMPLITUDE = 0.6  # channel value of each expression probe: well inside [0, 1], well above jitter
TURN = 8.0  # degrees of each head probe, either way
WEAK = 1e-3  # a channel whose field moves no landmark by this share of the eye distance is not fitted
# Measured elsewhere: blinks from the eye aspect ratio (the rendered lid is an occlusion), gaze
# from the irises by the eyeball's geometry (solve.py: the face mesh reads a rendered glance at
# about a sixth of its size, too little to calibrate on).
NOT_FITTED = tuple(i for i, name in enumerate(CHANNELS) if name.startswith(("eyeBlink", "eyeLook")))
SIDES = ("left", "right")  # image-left eye (the subject's right), image-right eye
EAR_CLOSED = (0.1, 0.6)  # bounds on a closed eye's share of its open aspect ratio
GAIN = (0.5, 1.2)  # bounds on how much of a channel's field the face mesh reads
GAIN_TURN = (0.3, 1.2)  # and of a head turn: a rendered nod reads at 0.4-0.7 of its size


@dataclass(frozen=True, eq=False)
class Calibration:
    """One person's measured fields, in the aligned crop's pixels at ``SIZE``."""

    matrix: np.ndarray  # (2, 3) video pixels -> crop pixels
    neutral: np.ndarray  # (478, 3) the video's neutral landmarks, in crop pixels
    fitted: np.ndarray  # (C,) channel indices the basis columns stand for
    basis: np.ndarray  # (C, 478, 2) displacement per unit of each fitted channel, in eye distances
    reading: np.ndarray  # (3, 2) degrees read per degree turned, per axis: negative turns, positive turns
    leak: np.ndarray  # (3, 478, 2) displacement a degree of each rendered turn leaves behind
    ear_closed: tuple[float, float]  # image-left and image-right eye: closed over open aspect ratio

    def unturn(self, raw: np.ndarray) -> np.ndarray:
        """(3,) head angles the rigid fit read -> the renderer's angles that read so."""
        return raw / self.reading[np.arange(3), (raw > 0).astype(int)]

    def to_crop(self, lm: np.ndarray) -> np.ndarray:
        """(478, 3) video pixels -> crop pixels."""
        return transform_landmarks(lm, self.matrix).astype(np.float64)


def calibrate(rgb: np.ndarray, landmarks: np.ndarray) -> Calibration:
    """Measure the probes on the video's neutral frame ``rgb`` (H, W, 3) whose face mesh is
    ``landmarks`` (478, 3). CaptureError if the face mesh cannot find the rendered face."""
    aligned = align_face(rgb, landmarks)
    scale = SIZE / aligned.image.shape[0]
    renderer = Renderer(aligned.image, aligned.landmarks, size=SIZE)
    crop_lm = aligned.landmarks.astype(np.float64) * scale
    analytic = expression_basis(crop_lm)  # (64, 478, 2)
    strength = np.abs(analytic).max(axis=(1, 2)) / eye_distance(crop_lm)
    fitted = np.array([c for c in range(NUM_ARKIT) if strength[c] > WEAK and c not in NOT_FITTED], np.int64)

    # probes, in order: rest, each fitted channel, each axis turned +TURN then -TURN, a blink
    n = len(fitted)
    expression = np.tile(renderer.neutral.numpy().astype(np.float64), (n + 8, 1))
    expression[1 + np.arange(n), fitted] += AMPLITUDE
    expression[-1, [CHANNEL_INDEX["eyeBlinkLeft"], CHANNEL_INDEX["eyeBlinkRight"]]] = 1.0
    turns = np.repeat(np.eye(3), 2, axis=0) * np.tile([TURN, -TURN], 3)[:, None]  # (6, 3)
    head = np.zeros((n + 8, 3))
    head[1 + n : 7 + n] = turns
    with torch.no_grad():  # in small batches: one blink or open mouth would wake a layer for all
        frames = np.concatenate(
            [renderer.render(expression[i : i + 8], head[i : i + 8]) for i in range(0, n + 7, 8)]
        )
        seen = _track(np.concatenate([frames, renderer.render(expression[-1:], head[-1:])]))
    if seen[0] is None:
        raise CaptureError("the face mesh does not find the face enrolled from the neutral frame")
    base, iod = seen[0], eye_distance(seen[0])

    def shift(k: int) -> tuple[np.ndarray, np.ndarray] | None:  # probe k's (angles, displacement)
        if seen[k] is None:
            return None
        angles, back = head_pose(base, seen[k])
        return angles, (back - base[:, :2]) / iod

    columns = []
    for k, c in enumerate(fitted):
        field, measured = analytic[c] / iod, shift(1 + k)
        # The renderer's field at the size the face mesh reads it: one number per channel, as a
        # probe's own shape is mostly the face mesh's jitter (0.01 eye distances) on subtle channels.
        gain = 1.0 if measured is None else (measured[1] * field).sum() / max((field**2).sum(), 1e-12)
        columns.append(np.clip(gain / AMPLITUDE, *GAIN) * field)
    reading, leak = np.ones((3, 2)), np.zeros((3, *analytic.shape[1:]))
    for k, turn in enumerate(turns):
        axis, angle = k // 2, turn[k // 2]
        if (measured := shift(1 + n + k)) is not None:
            reading[axis, int(angle > 0)] = np.clip(measured[0][axis] / angle, *GAIN_TURN)
            leak[axis] += measured[1] / (2 * angle)
    closed = (0.25, 0.25)
    if seen[-1] is not None:
        ratios = [eye_aspect_ratio(seen[-1], s) / max(eye_aspect_ratio(base, s), 1e-6) for s in SIDES]
        closed = tuple(float(np.clip(r, *EAR_CLOSED)) for r in ratios)
    return Calibration(
        matrix=aligned.matrix * scale,
        neutral=transform_landmarks(landmarks, aligned.matrix * scale).astype(np.float64),
        fitted=fitted,
        basis=np.stack(columns),
        reading=reading,
        leak=leak,
        ear_closed=closed,  # type: ignore[arg-type]
    )


def _track(frames: np.ndarray) -> list[np.ndarray | None]:
    """Each probe's landmarks, by the tracker the video is read with: each probe is placed by the
    previous one's landmarks, then measured again from its own."""
    seen = []
    with FaceTracker() as tracker:
        for frame in frames:
            tracker(frame)
            seen.append(None if (lm := tracker(frame)) is None else lm.astype(np.float64))
    return seen
