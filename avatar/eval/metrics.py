"""Curve comparison for lip-sync evaluation: NaN-aware Pearson r, lags, resampling."""

from __future__ import annotations

import numpy as np

MAX_LAG = 5  # frames searched either way for the best alignment (±200 ms at 25 fps)
MIN_POINTS = 5  # fewer valid frames than this give no correlation


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r over the frames where both curves are finite; NaN if undefined."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_POINTS:
        return float("nan")
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom > 0 else float("nan")


def shifted(curve: np.ndarray, lag: int) -> np.ndarray:
    """``curve`` moved ``lag`` frames earlier (out[t] = curve[t + lag]), NaN where it runs out."""
    out = np.full(len(curve), np.nan)
    if lag >= 0:
        out[: len(curve) - lag] = curve[lag:]
    else:
        out[-lag:] = curve[: len(curve) + lag]
    return out


def lag_correlations(real: np.ndarray, method: np.ndarray, max_lag: int = MAX_LAG) -> dict[int, float]:
    """r between ``real`` and ``method`` shifted by each lag; lag > 0 means the method lags behind."""
    method = np.asarray(method, np.float64)
    return {lag: pearson(real, shifted(method, lag)) for lag in range(-max_lag, max_lag + 1)}


def compare(real: np.ndarray, method: np.ndarray, max_lag: int = MAX_LAG) -> dict[str, float]:
    """{"r0": r at lag 0, "best_lag": lag with the highest r, "r_best": that r}."""
    rs = lag_correlations(real, method, max_lag)
    finite = {lag: r for lag, r in rs.items() if np.isfinite(r)}
    if not finite:
        return {"r0": float("nan"), "best_lag": float("nan"), "r_best": float("nan")}
    best = max(finite, key=lambda lag: (finite[lag], -abs(lag)))
    return {"r0": rs[0], "best_lag": best, "r_best": finite[best]}


def resample(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation of a curve onto other times; NaN outside its span or across gaps."""
    times, values, at = (np.asarray(v, np.float64) for v in (times, values, at))
    ok = np.isfinite(values)
    out = np.interp(at, times[ok], values[ok]) if ok.sum() >= 2 else np.full(len(at), np.nan)
    out[(at < times[0]) | (at > times[-1])] = np.nan
    # a point whose neighbours on the source grid are missing stays missing
    idx = np.clip(np.searchsorted(times, at), 1, len(times) - 1)
    out[~(ok[idx - 1] & ok[idx])] = np.nan
    return out


def envelope(audio: np.ndarray, sample_rate: int, centers: np.ndarray, window: float) -> np.ndarray:
    """RMS loudness of ``audio`` in windows of ``window`` seconds around ``centers``."""
    half = round(window * sample_rate / 2)
    idx = np.round(np.asarray(centers) * sample_rate).astype(np.int64)
    power = np.concatenate([[0.0], np.cumsum(np.asarray(audio, np.float64) ** 2)])
    lo, hi = np.clip(idx - half, 0, len(audio)), np.clip(idx + half, 0, len(audio))
    return np.sqrt((power[hi] - power[lo]) / np.maximum(hi - lo, 1))
