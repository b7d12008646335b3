"""Audio/video offset of a talking-face clip, measured from the data itself.

The mouth opens for the loud parts of speech (vowels) and closes for the quiet ones (stops,
pauses), so the captured mouth opening and the audio's loudness envelope correlate best when
the two tracks are aligned. The lag of the peak is the offset; how far the peak stands above the
correlations of unrelated stretches of the same clip (a z-score) says whether there is a peak at
all: a still or silent face has none.

    est = estimate_offset(mouth_opening(anim.expression), loudness(audio, anim.num_frames))
    est.frames > 0: the sound comes est.frames video frames after the mouth (audio late)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..audio.clock import FPS, SAMPLE_RATE, FrameClock
from ..expression.channels import CHANNEL_INDEX
from .metrics import pearson

VERSION = 1  # bump whenever a change moves the estimates: labels made before are measured again
MAX_LAG = 15  # frames searched either way: ±500 ms at 30 fps, wider than any re-encode slip seen
BAND_HZ = (300.0, 3000.0)  # the level is measured in this band (see loudness)
WINDOW = 1024  # samples of audio per level: 64 ms, two frames
FLOOR_DB = 50.0  # loudness below the clip's peak by more than this is silence, all alike
MIN_LAG = 5  # a clip too short to search ±5 frames (under 30 frames, one second) gets no estimate
DETREND_FRAMES = 9  # moving mean removed before correlating: 300 ms, about two syllables
NULL_LAGS = 200  # circular shifts the z-score's null is made of, at most


@dataclass(frozen=True)
class SyncEstimate:
    """The best lag (frames and ms at ``fps``), its correlation ``r`` and the peak's z-score."""

    frames: int
    ms: float
    r: float
    z: float


def mouth_opening(expression: np.ndarray, found: np.ndarray | None = None) -> np.ndarray:
    """(T,) mouth opening from captured channels: jawOpen.

    The lip channels (mouthLowerDown, mouthUpperUp, mouthClose) were tried beside it: on GRID s1
    they put one or two more clips of 40 within a frame of 0, but on the avatar's own in-sync
    speech capture's reading of them moved the peak 10 frames, differently from one version of
    capture to the next; jawOpen held in every version (and capture is checked on it, r >= 0.95).
    Frames where ``found`` is False (no face, bridged by capture) are NaN, so they are left out
    of every correlation rather than counted as a still mouth.
    """
    opening = np.asarray(expression, np.float64)[:, CHANNEL_INDEX["jawOpen"]].copy()
    if found is not None:
        opening[~np.asarray(found, bool)] = np.nan
    return opening


def loudness(
    audio: np.ndarray, num_frames: int, fps: int = FPS, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """(num_frames,) level in dB of the BAND_HZ band around each video frame's centre.

    The band holds the vowels' first two formants, which grow as the mouth opens, and leaves out
    the low hum and the hiss of fricatives (loud with a narrow mouth): with the whole band the
    avatar's own in-sync speech peaked 10 frames off. Floored FLOOR_DB below the clip's peak, so
    background noise in pauses is one level however quiet; NaN where the audio has run out, and
    everywhere for digital silence.
    """
    clock = FrameClock(fps, sample_rate)
    starts = clock.frame_starts(num_frames)
    centers = (starts[:-1] + starts[1:]) // 2
    padded = np.pad(np.asarray(audio, np.float32), WINDOW // 2)
    index = centers[:, None] + np.arange(WINDOW)[None, :]  # window i is centred on centers[i]
    inside = centers < len(audio)
    segments = padded[np.minimum(index[inside], len(padded) - 1)] * np.hanning(WINDOW).astype(np.float32)
    freqs = np.fft.rfftfreq(WINDOW, 1.0 / sample_rate)
    band = (freqs >= BAND_HZ[0]) & (freqs < BAND_HZ[1])
    power = (np.abs(np.fft.rfft(segments, axis=1)[:, band]) ** 2).sum(axis=1)
    db = np.full(num_frames, np.nan)
    if inside.any() and power.max() > 0:
        peak = 10.0 * np.log10(power.max())
        db[inside] = np.maximum(10.0 * np.log10(np.maximum(power, 1e-30)), peak - FLOOR_DB)
    return db


def detrended(curve: np.ndarray, width: int = DETREND_FRAMES) -> np.ndarray:
    """``curve`` less its moving mean over ``width`` frames (NaN-aware; NaN stays NaN).

    What is left is the syllable-rate motion (opening and closing, 3-8 Hz). Without this the
    slow shape dominates, above all the silence at both ends of a short clip, and the correlation
    changes so little from lag to lag that its peak lands anywhere within a few syllables.
    """
    curve = np.asarray(curve, np.float64)
    ok = np.isfinite(curve)
    kernel = np.ones(width)
    pad = width // 2
    total = np.convolve(np.pad(np.where(ok, curve, 0.0), pad, mode="edge"), kernel, "valid")
    count = np.convolve(np.pad(ok.astype(np.float64), pad, mode="edge"), kernel, "valid")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, curve - total / count, np.nan)


def estimate_offset(
    mouth: np.ndarray, level: np.ndarray, fps: int = FPS, max_lag: int = MAX_LAG
) -> SyncEstimate:
    """The lag in [-max_lag, max_lag] at which ``level`` best follows ``mouth`` (both (T,)).

    frames > 0: the audio is late (level[t + frames] matches mouth[t]); shift it earlier by that
    much to align (``aligned_audio``). Both curves are detrended, and every lag is scored on the
    same frames (all but max_lag at each end), so short lags are not favoured by a longer overlap.
    ``z`` is the peak r against a null of the same correlation at lags far outside the search
    (the level track shifted circularly by more than 2 * max_lag): how far it stands above what
    unrelated stretches of the same speech give. A clip under 4 * max_lag + 10 frames is searched
    over a quarter of its length less 10 frames; r and z are NaN (and frames 0) when that is under
    MIN_LAG, or a curve is flat.
    """
    a, b = detrended(mouth), detrended(level)
    n = len(a)
    max_lag = min(max_lag, (n - 10) // 4)  # a short clip is searched less widely, not skipped
    if max_lag < MIN_LAG or len(b) != n:
        return SyncEstimate(0, 0.0, float("nan"), float("nan"))
    lags, rs = _lag_curve(a, b, max_lag)
    if not np.isfinite(rs).any():
        return SyncEstimate(0, 0.0, float("nan"), float("nan"))
    best = best_lag(lags, rs)
    far = np.arange(2 * max_lag + 1, n - 2 * max_lag)
    far = far[np.linspace(0, len(far) - 1, min(len(far), NULL_LAGS)).astype(int)] if len(far) else far
    null = np.array([pearson(a, np.roll(b, -k)) for k in far])
    null = null[np.isfinite(null)]
    z = (rs[best] - null.mean()) / null.std() if len(null) >= 2 and null.std() > 0 else float("nan")
    lag = int(lags[best])
    return SyncEstimate(lag, round(1000.0 * lag / fps, 1), float(rs[best]), float(z))


def lag_curve(mouth: np.ndarray, level: np.ndarray, max_lag: int = MAX_LAG) -> tuple[np.ndarray, np.ndarray]:
    """(lags -max_lag..max_lag, r at each) as estimate_offset scores them (NaN where a clip is too
    short). Curves of clips recorded alike (one speaker, one studio) can be averaged and their
    best_lag taken: a short clip of regular speech can peak one syllable off, many together do not.
    """
    a, b = detrended(mouth), detrended(level)
    lags = np.arange(-max_lag, max_lag + 1)
    searched = min(max_lag, (len(a) - 10) // 4)
    rs = np.full(len(lags), np.nan)
    if searched >= MIN_LAG and len(b) == len(a):
        rs[max_lag - searched : max_lag + searched + 1] = _lag_curve(a, b, searched)[1]
    return lags, rs


def pooled_offset(clips: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[int, float] | None:
    """One offset for clips recorded alike, from their (expression, face_found, audio) labels: the
    lag of best mean correlation over all of them, and that mean r; None without clips."""
    curves = []
    for expression, found, audio in clips:
        mouth = mouth_opening(expression, found)
        lags, rs = lag_curve(mouth, loudness(audio, len(mouth)))
        curves.append(rs)
    if not curves:
        return None
    mean = np.nanmean(curves, axis=0)
    best = best_lag(lags, mean)
    return int(lags[best]), float(mean[best])


def best_lag(lags: np.ndarray, rs: np.ndarray) -> int:
    """Index of the highest finite r; ties go to the lag nearest 0."""
    return int(np.argmax(np.where(np.isfinite(rs), rs, -np.inf) - 1e-9 * np.abs(lags)))


def _lag_curve(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """r of detrended curves at each lag, every lag scored on the same frames."""
    n = len(a)
    window = slice(max_lag, n - max_lag)
    lags = np.arange(-max_lag, max_lag + 1)
    return lags, np.array([pearson(a[window], b[max_lag + k : n - max_lag + k]) for k in lags])


def aligned_audio(
    audio: np.ndarray, frames: int, fps: int = FPS, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """``audio`` moved ``frames`` video frames earlier (later if negative), length kept.

    Undoes an offset from ``estimate_offset``: late audio loses its head and gains silence at the
    end, early audio the reverse.
    """
    audio = np.asarray(audio)
    shift = min(round(abs(frames) * sample_rate / fps), len(audio))
    if shift == 0:
        return audio.copy()
    pad = np.zeros(shift, audio.dtype)
    if frames > 0:
        return np.concatenate([audio[shift:], pad])
    return np.concatenate([pad, audio[: len(audio) - shift]])
