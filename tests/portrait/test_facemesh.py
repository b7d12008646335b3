"""Face mesh landmarks and the measurements built on them."""

import numpy as np
import pytest

from avatar.portrait.facemesh import (
    NUM_LANDMARKS,
    detect_faces,
    eye_aspect_ratio,
    eye_distance,
    eyes_open,
    face_box,
    inner_lip_gap,
)


def test_detect_faces_on_astronaut(astronaut):
    faces = detect_faces(astronaut)
    assert len(faces) == 1
    lm = faces[0]
    assert lm.shape == (NUM_LANDMARKS, 3) and lm.dtype == np.float32
    x0, y0, x1, y1 = face_box(lm)
    assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    assert x0 > 150 and x1 < 300 and y0 > 50 and y1 < 200  # her face, upper middle of the photo
    assert 50 < eye_distance(lm) < 70  # px
    # Landmark 33 is the outer corner of the eye on the image's left.
    assert lm[33, 0] < lm[133, 0] < lm[362, 0] < lm[263, 0]
    # z is on the pixel scale: the face's depth range is comparable to its width, not ~0.1.
    assert 20 < np.ptp(lm[:, 2]) < 2 * (x1 - x0)


def test_measurements_on_real_faces(astronaut, grace_rgb):
    smiling = detect_faces(astronaut)[0]  # teeth showing: lips apart
    closed = detect_faces(grace_rgb)[0]  # lips together
    assert 0.05 < inner_lip_gap(smiling) < 0.25
    assert inner_lip_gap(closed) < 0.03
    for lm in (smiling, closed):
        for side in ("left", "right"):
            assert 0.18 < eye_aspect_ratio(lm, side) < 0.45
        both = eye_aspect_ratio(lm, "left") + eye_aspect_ratio(lm, "right")
        assert eyes_open(lm) == pytest.approx(both / 2)


def test_measurements_are_the_documented_formulas():
    lm = np.zeros((NUM_LANDMARKS, 3), np.float32)
    lm[33, :2], lm[263, :2] = (100, 100), (200, 100)  # eyes 100 px apart
    lm[13, :2], lm[14, :2] = (150, 200), (150, 212)  # lips 12 px apart
    assert inner_lip_gap(lm) == pytest.approx(0.12)
    # Left eye: corners 33 (100, 100) and 133 (130, 100); lids 6 px and 9 px apart -> (6 + 9) / 60.
    lm[133, :2] = (130, 100)
    lm[160, :2], lm[144, :2] = (110, 97), (110, 103)
    lm[158, :2], lm[153, :2] = (120, 95), (120, 104)
    assert eye_aspect_ratio(lm, "left") == pytest.approx(0.25)
    lm[:, 2] = 1000.0  # depth is ignored
    assert eye_aspect_ratio(lm, "left") == pytest.approx(0.25)


def test_blank_image_has_no_face():
    assert detect_faces(np.full((256, 256, 3), 128, np.uint8)) == []


def test_rejects_non_rgb_arrays():
    with pytest.raises(ValueError, match="uint8 RGB"):
        detect_faces(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="uint8 RGB"):
        detect_faces(np.zeros((64, 64, 3), np.float32))
