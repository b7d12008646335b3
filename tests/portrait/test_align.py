"""The similarity transform, the warp's pixel conventions and the padding measure."""

import math

import numpy as np
import pytest

from avatar.portrait.align import (
    CROP_SIZE,
    EYE_CENTER,
    EYE_DISTANCE,
    alignment_matrix,
    padding_fraction,
    transform_landmarks,
    warp,
)
from avatar.portrait.facemesh import NUM_LANDMARKS


def eyes(left, right) -> np.ndarray:
    lm = np.zeros((NUM_LANDMARKS, 3), np.float32)
    lm[33, :2], lm[263, :2] = left, right
    lm[:, 2] = 10.0
    return lm


def test_matrix_puts_tilted_eyes_in_the_canonical_place():
    lm = eyes((300, 400), (300 + 80 * math.cos(0.3), 400 + 80 * math.sin(0.3)))  # 17° tilt, 80 px
    matrix = alignment_matrix(lm)
    out = transform_landmarks(lm, matrix)
    target_y = EYE_CENTER[1] * CROP_SIZE
    half = EYE_DISTANCE * CROP_SIZE / 2
    np.testing.assert_allclose(out[33, :2], [CROP_SIZE / 2 - half, target_y], atol=1e-3)
    np.testing.assert_allclose(out[263, :2], [CROP_SIZE / 2 + half, target_y], atol=1e-3)
    assert out[0, 2] == pytest.approx(10.0 * EYE_DISTANCE * CROP_SIZE / 80)  # z scales with x, y


@pytest.mark.parametrize("distance", [400.0, 133.12, 40.0])  # downscale (area-averaged), ~1:1, upscale
def test_warp_and_landmarks_agree(distance):
    """A bright dot lands in the crop exactly where transform_landmarks says."""
    lm = eyes((500, 600), (500 + distance * math.cos(-0.2), 600 + distance * math.sin(-0.2)))
    # A dot where a nostril would be: inside the crop whatever the scale, at a pixel centre.
    dot = np.floor([500 + 0.4 * distance, 600 + 0.6 * distance]) + 0.5
    radius = max(2, round(distance / 40))
    source = np.zeros((1200, 1000, 3), np.uint8)
    ys, xs = np.mgrid[:1200, :1000]
    source[(xs + 0.5 - dot[0]) ** 2 + (ys + 0.5 - dot[1]) ** 2 <= radius**2] = 255
    matrix = alignment_matrix(lm)
    crop = warp(source, matrix).astype(np.float64)[:, :, 0]  # (512, 512)
    cy, cx = np.mgrid[:CROP_SIZE, :CROP_SIZE] + 0.5
    found = np.array([(crop * cx).sum(), (crop * cy).sum()]) / crop.sum()
    expected = transform_landmarks(np.array([[*dot, 0.0]], np.float32), matrix)[0, :2]
    np.testing.assert_allclose(found, expected, atol=0.3)


def test_padding_fraction():
    # Half the crop's width lies left of the source.
    matrix = np.array([[1.0, 0.0, CROP_SIZE / 2], [0.0, 1.0, 0.0]])
    assert padding_fraction(matrix, (2000, 2000)) == pytest.approx(0.5)
    assert padding_fraction(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2000, 2000)) == 0.0


def test_warp_replicates_edges():
    source = np.zeros((100, 100, 3), np.uint8)
    source[:, -1] = 200  # rightmost column
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    crop = warp(source, matrix, size=200)
    assert (crop[:100, 150] == 200).all()  # beyond the right edge: the edge column repeated
