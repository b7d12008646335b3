"""Image similarity of two frames over a region: PSNR and SSIM (Gaussian window, Wang et al. 2004).

SSIM is computed per RGB channel with an 11-tap Gaussian window of sigma 1.5 and the paper's
constants (K1 0.01, K2 0.03, L 255), as ``skimage.metrics.structural_similarity`` with
``gaussian_weights=True, use_sample_covariance=False`` (the same map to 1e-15). The map is then
averaged over a region's pixels, so a region is seen with its surroundings rather than cut out
first (skimage's mean leaves out a 5-pixel border instead).
"""

from __future__ import annotations

import cv2
import numpy as np

SIGMA = 1.5
WINDOW = 11  # taps: 2 * round(3.5 * sigma) + 1, as skimage
K1, K2, PEAK = 0.01, 0.03, 255.0


def _region(shape: tuple[int, ...], mask: np.ndarray | None) -> np.ndarray:
    """A boolean (H, W) mask; all pixels when ``mask`` is None. ValueError for an empty one."""
    region = np.ones(shape[:2], bool) if mask is None else np.asarray(mask, bool)
    if region.shape != shape[:2]:
        raise ValueError(f"mask {region.shape} does not match images {shape[:2]}")
    if not region.any():
        raise ValueError("the region holds no pixel")
    return region


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.shape != b.shape or a.ndim not in (2, 3):
        raise ValueError(f"expected two images of one shape, got {a.shape} and {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images (H, W[, 3]) over the ``mask`` pixels."""
    x, y = _pair(a, b)
    region = _region(x.shape, mask)
    mse = float(np.mean((x - y)[region] ** 2))
    return float(10 * np.log10(PEAK**2 / max(mse, 1e-12)))


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) structural similarity of two uint8 images (H, W[, 3]), the channels' mean."""
    x, y = _pair(a, b)

    def blur(img: np.ndarray) -> np.ndarray:
        # scipy's "reflect" (skimage's) repeats the edge pixel: OpenCV's BORDER_REFLECT
        return cv2.GaussianBlur(img, (WINDOW, WINDOW), SIGMA, borderType=cv2.BORDER_REFLECT)

    c1, c2 = (K1 * PEAK) ** 2, (K2 * PEAK) ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(axis=2) if s.ndim == 3 else s


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean SSIM of two uint8 images over the ``mask`` pixels (all pixels without one)."""
    full = ssim_map(a, b)
    return float(full[_region(full.shape, mask)].mean())
