"""PSNR and SSIM on images whose answer is known."""

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from avatar.eval.image import K1, PEAK, psnr, ssim, ssim_map


def _noisy(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_of_a_known_error() -> None:
    a = np.full((20, 30, 3), 100, np.uint8)
    b = a + np.uint8(10)  # every pixel off by 10: MSE 100
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 100))
    assert psnr(a, a) > 100  # identical: no error to speak of


def test_psnr_counts_only_the_masked_pixels() -> None:
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    b[:, 5:] = 50  # the right half differs
    left = np.zeros((10, 10), bool)
    left[:, :5] = True
    assert psnr(a, b, left) > 100
    assert psnr(a, b, ~left) == pytest.approx(10 * np.log10(255**2 / 2500))
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 1250))


def test_ssim_of_identical_and_of_flat_images() -> None:
    a, _ = _noisy()
    assert ssim(a, a) == pytest.approx(1.0)
    # two flat images: no variance, so SSIM is the luminance term alone
    x, y = np.full((32, 32), 80, np.uint8), np.full((32, 32), 160, np.uint8)
    c1 = (K1 * PEAK) ** 2
    assert ssim(x, y) == pytest.approx((2 * 80 * 160 + c1) / (80**2 + 160**2 + c1))


def test_ssim_map_is_skimages_gaussian_ssim() -> None:
    a, b = _noisy()
    _, full = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
        channel_axis=-1, full=True,
    )  # fmt: skip
    np.testing.assert_allclose(ssim_map(a, b), full.mean(axis=2), atol=1e-9)
    assert ssim(a, b) == pytest.approx(float(full.mean()))
    assert 0.2 < ssim(a, b) < 0.95  # noise of 25 grey levels is neither nothing nor everything


def test_ssim_falls_as_the_noise_grows() -> None:
    a, _ = _noisy()
    rng = np.random.default_rng(1)
    scores = [ssim(a, np.clip(a + rng.normal(0, sd, a.shape), 0, 255).astype(np.uint8)) for sd in (5, 20, 60)]
    assert scores[0] > scores[1] > scores[2]


def test_bad_regions_and_shapes_are_errors() -> None:
    a, b = _noisy()
    with pytest.raises(ValueError, match="no pixel"):
        psnr(a, b, np.zeros(a.shape[:2], bool))
    with pytest.raises(ValueError, match="does not match"):
        ssim(a, b, np.ones((4, 4), bool))
    with pytest.raises(ValueError, match="one shape"):
        psnr(a, b[:10])
