"""A frame's landmarks -> its head angles, the 64 channels and gaze, by bounded least squares onto
the fields measured for this person (calibrate.py); blinks from the eye aspect ratio (the
renderer's eyeBlink is an occlusion, with no displacement to fit) and lipSeal from lip contact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import lsq_linear

from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM
from ..portrait.facemesh import eye_aspect_ratio, eye_distance, inner_lip_gap
from .calibrate import SIDES, Calibration
from .pose import head_pose

RIDGE = 0.01  # light prior towards rest: splits the load between channels whose fields overlap
CONTACT = 0.02  # eye distances of inner-lip gap under which the lips touch
HOLDING = ("mouthClose", "mouthPressLeft", "mouthPressRight")  # what holds lips shut against the jaw
HELD = 0.15  # that much of them: the lips are sealed, not resting
EYEBALL = 0.125  # eyeball radius in outer-eye distances (12 mm of about 95)
EYES_AND_IRISES = ((468, (33, 133)), (473, (263, 362)))  # iris centre, eye corners
MISFIT = 0.03  # eye distances of RMS landmark misfit at which confidence falls to 1/e


@dataclass(frozen=True)
class FrameFit:
    """One frame's capture."""

    expression: np.ndarray  # (64,) in [0, 1]
    head: np.ndarray  # (3,) pitch, yaw, roll degrees relative to the neutral
    gaze: np.ndarray  # (2,) yaw, pitch degrees
    confidence: float  # in (0, 1]: how well the fitted face explains the tracked landmarks


def gaze_angles(shift: np.ndarray) -> np.ndarray:
    """(2,) gaze yaw (+ towards the subject's left, image right) and pitch (+ up) in degrees from
    (478, 2) pose-normalised displacements in eye distances: the iris centres' mean movement
    against their eye corners, as arcs on an eyeball of radius EYEBALL."""
    moves = np.mean([shift[iris] - shift[list(corners)].mean(0) for iris, corners in EYES_AND_IRISES], axis=0)
    return np.degrees(np.arcsin(np.clip(moves * (1.0, -1.0) / EYEBALL, -1.0, 1.0)))


class ChannelSolver:
    """Fits one person's frames, each on its own."""

    def __init__(self, calibration: Calibration) -> None:
        self.cal = calibration
        self.neutral = calibration.neutral
        self.iod = eye_distance(self.neutral)
        self.columns = calibration.basis.reshape(len(calibration.basis), -1).T  # (N*2, C)
        # |A x - d|^2 = |R x - Q^T d|^2 + const for A = QR: the bounded fit runs on the (C, C)
        # triangle instead of all 956 rows, 20x faster, with the same solution.
        q, self.r = np.linalg.qr(np.vstack([self.columns, RIDGE * np.eye(self.columns.shape[1])]))
        self.qt = q[: len(self.columns)].T  # (C, N*2): the ridge rows' targets are zero
        self.ear0 = {side: eye_aspect_ratio(self.neutral, side) for side in SIDES}
        self.gap0 = inner_lip_gap(self.neutral)

    def __call__(self, landmarks: np.ndarray) -> FrameFit:
        """(478, 3) face-mesh landmarks in video pixels -> the frame's fit."""
        raw, normalised = head_pose(self.neutral, self.cal.to_crop(landmarks))
        angles = self.cal.unturn(raw)
        d = (normalised - self.neutral[:, :2]) / self.iod - np.tensordot(angles, self.cal.leak, 1)  # (478, 2)
        x = lsq_linear(self.r, self.qt @ d.ravel(), bounds=(0.0, 1.0), method="bvls").x
        misfit = float(np.sqrt(np.mean((self.columns @ x - d.ravel()) ** 2)))
        out = np.zeros(EXPRESSION_DIM)
        out[self.cal.fitted] = x
        out[[CHANNEL_INDEX["eyeBlinkRight"], CHANNEL_INDEX["eyeBlinkLeft"]]] = self._blinks(normalised)
        out[CHANNEL_INDEX["lipSeal"]] = self._seal(normalised, out)
        gaze = gaze_angles(d)
        return FrameFit(out, angles, gaze, float(np.exp(-((misfit / MISFIT) ** 2))))

    def _blinks(self, normalised: np.ndarray) -> np.ndarray:
        """(2,) closure of the image-left eye (the subject's right) and the image-right eye."""
        out = np.zeros(2)
        for k, side in enumerate(SIDES):
            ratio = eye_aspect_ratio(normalised, side) / max(self.ear0[side], 1e-6)
            out[k] = np.clip((1.0 - ratio) / (1.0 - self.cal.ear_closed[k]), 0.0, 1.0)
        return out

    def _seal(self, normalised: np.ndarray, expression: np.ndarray) -> float:
        """lipSeal: the lips touch (inner gap within CONTACT of the neutral's) while the fit holds
        them shut (mouthClose, mouthPress); lips merely resting together are not sealed."""
        gap = inner_lip_gap(normalised) - self.gap0
        touching = np.clip(1.0 - gap / CONTACT, 0.0, 1.0)
        holding = np.clip(sum(expression[CHANNEL_INDEX[name]] for name in HOLDING) / HELD, 0.0, 1.0)
        return float(touching * holding)
