"""The per-frame fit: gaze from the irises, lipSeal from lip contact, confidence from the misfit,
and the calibration's readings of the renderer through the face mesh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatar.capture.calibrate import GAIN_TURN, calibrate
from avatar.capture.core import frame_at, track
from avatar.capture.solve import EYEBALL, ChannelSolver, gaze_angles
from avatar.expression.channels import CHANNEL_INDEX
from avatar.render import topology as topo

CLIP = Path(__file__).resolve().parents[1] / "fixtures" / "capture" / "roundtrip.mp4"


@pytest.fixture(scope="module")
def neutral():
    _, faces = track(CLIP)
    return frame_at(CLIP, 0), faces[0]


@pytest.fixture(scope="module")
def calibration(neutral):
    return calibrate(*neutral)


def _irises_moved(dx: float, dy: float) -> np.ndarray:
    shift = np.zeros((478, 2))
    shift[[468, 473]] = dx, dy
    return shift


@pytest.mark.parametrize("angle", [0.0, 10.0, -25.0])
def test_gaze_is_the_iris_arc_on_the_eyeball(angle: float) -> None:
    move = EYEBALL * np.sin(np.radians(angle))
    assert gaze_angles(_irises_moved(move, 0.0)) == pytest.approx([angle, 0.0], abs=1e-9)
    # image y runs down: irises moving up the image look up
    assert gaze_angles(_irises_moved(0.0, -move)) == pytest.approx([0.0, angle], abs=1e-9)


def test_gaze_ignores_the_whole_eye_moving() -> None:
    shift = np.zeros((478, 2))
    shift[[468, 473, 33, 133, 263, 362]] = 0.05, -0.02  # lids and irises together: no glance
    assert gaze_angles(shift) == pytest.approx([0.0, 0.0], abs=1e-9)


def test_calibration_reads_the_rendered_face(calibration) -> None:
    lo, hi = GAIN_TURN
    assert np.all((calibration.reading >= lo) & (calibration.reading <= hi))
    # a rendered nod reads smaller than it is, a turn about its size (measured 0.65-0.69 and 0.92-1.08)
    assert calibration.reading[0].max() < 0.85 and calibration.reading[1].min() > 0.8
    assert calibration.fitted.size > 20 and CHANNEL_INDEX["jawOpen"] in calibration.fitted
    assert all(0.1 <= r <= 0.6 for r in calibration.ear_closed)


def test_the_neutral_fits_itself(calibration, neutral) -> None:
    fit = ChannelSolver(calibration)(neutral[1])
    assert np.abs(fit.head).max() < 1e-6 and np.abs(fit.gaze).max() < 1e-6
    assert fit.expression.max() < 1e-6 and fit.confidence > 0.99


def test_lips_held_shut_against_an_open_jaw_are_sealed(calibration, neutral) -> None:
    lm = neutral[1].astype(np.float64).copy()
    iod = np.linalg.norm(lm[263, :2] - lm[33, :2])
    chin = [i for i in range(468) if lm[i, 1] > lm[topo.LOWER_LIP_INNER_MID, 1] + 0.05 * iod]
    solver = ChannelSolver(calibration)
    lowered = lm.copy()
    lowered[chin, 1] += 0.12 * iod  # the jaw drops, the lips stay together
    sealed = solver(lowered)
    assert sealed.expression[CHANNEL_INDEX["lipSeal"]] > 0.5
    apart = lowered.copy()
    apart[list(topo.LIPS_LOWER_INNER[1:-1]), 1] += 0.12 * iod  # now the lips part with the jaw
    solver = ChannelSolver(calibration)
    opened = solver(apart)
    assert opened.expression[CHANNEL_INDEX["lipSeal"]] < 0.1
    assert opened.expression[CHANNEL_INDEX["jawOpen"]] > 0.2


def test_confidence_falls_for_landmarks_no_face_makes(calibration, neutral) -> None:
    rng = np.random.default_rng(0)
    lm = neutral[1].astype(np.float64).copy()
    iod = np.linalg.norm(lm[263, :2] - lm[33, :2])
    lm[:468, :2] += rng.normal(0, 0.08 * iod, (468, 2))  # a face no channel mix explains
    assert ChannelSolver(calibration)(lm).confidence < 0.2
