"""Coarticulated mouth animation from timed phones, sampled on the video frame clock.

Each phone pulls every channel towards its viseme's target with a dominance that is flat
over the phone and decays exponentially before it (anticipation) and after it (carry-over);
a frame's value is the dominance-weighted mean of the targets (Cohen & Massaro, 1993).
The whole track leads the audio by ``lead_ms`` because real mouths move before the sound.
Hard constraints then restore what blending must not blur: full lip closure on P/B/M, the
lower-lip tuck on F/V, and a closed mouth in pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import PhoneticConfig
from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM
from .phones import SILENCE, Phone
from .visemes import (
    BILABIAL,
    DIPHTHONG_TAIL,
    LABIODENTAL,
    PHONE_VISEME,
    SPEECH_CHANNELS,
    STOPS,
    TRANSPARENT,
    TRANSPARENT_DOMINANCE,
    VOICED,
    viseme_dominance,
    viseme_target,
)

_REACH = 5.0  # dominance is negligible (e^-5 < 1 %) beyond 5 time constants
_RELEASE_S = 0.03  # a plosive burst fades with this time constant (~60 ms visible)
_SEALED_JAW = 0.12  # the jaw may stay this open while the lips are sealed
_IDX = CHANNEL_INDEX
# What parts the lips besides the jaw: a bilabial's seal clears them (and a live filter snaps them).
LIP_PARTING = (
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "upperTeethShow",
    "lowerTeethShow",
    "mouthFunnel",
    "tongueOut",
    "tongueBetweenTeeth",
)


@dataclass(frozen=True)
class _Span:
    """A time span animated towards one viseme (a phone, or one half of a diphthong)."""

    phone: str
    viseme: str
    start: float
    end: float
    target: np.ndarray  # (64,)
    dominance: np.ndarray  # (64,)


def frame_centers(num_frames: int, fps: int) -> np.ndarray:
    """Times (s) at which frames are sampled: the middle of each frame's display interval."""
    return (np.arange(num_frames, dtype=np.float64) + 0.5) / fps


def _target(viseme: str, jaw: float, strength: float) -> np.ndarray:
    target = viseme_target(viseme, jaw)
    target[SPEECH_CHANNELS] = np.clip(target[SPEECH_CHANNELS] * strength, 0.0, 1.0)
    return target


def _spans(phones: list[Phone], cfg: PhoneticConfig) -> list[_Span]:
    lead = cfg.lead_ms / 1000.0
    spans: list[_Span] = []
    for i, p in enumerate(phones):
        start, end = p.start - lead, p.end - lead
        if p.name in TRANSPARENT:
            # Borrow the next sounding phone's shape: the 'h' of 'who' is already rounded.
            nxt = next((q.name for q in phones[i + 1 :] if q.name not in TRANSPARENT), p.name)
            viseme, jaw = PHONE_VISEME[p.name if nxt == SILENCE else nxt]
            dominance = np.full(EXPRESSION_DIM, TRANSPARENT_DOMINANCE, dtype=np.float32)
            spans.append(_Span(p.name, viseme, start, end, _target(viseme, jaw, cfg.strength), dominance))
            continue
        viseme, jaw = PHONE_VISEME[p.name]
        dominance = viseme_dominance(viseme)
        if p.name == SILENCE:
            # A real pause pulls the mouth shut; a short gap between words barely does.
            dominance = dominance * (2.0 if p.duration * 1000.0 >= cfg.pause_close_ms else 0.3)
        if p.name in DIPHTHONG_TAIL:
            mid = start + 0.55 * (end - start)
            spans.append(_Span(p.name, viseme, start, mid, _target(viseme, jaw, cfg.strength), dominance))
            viseme, jaw = DIPHTHONG_TAIL[p.name]
            start, dominance = mid, viseme_dominance(viseme)
        spans.append(_Span(p.name, viseme, start, end, _target(viseme, jaw, cfg.strength), dominance))
    return spans


def _blend(spans: list[_Span], times: np.ndarray, cfg: PhoneticConfig) -> np.ndarray:
    tau_before = cfg.anticipation_ms / 1000.0
    tau_after = cfg.carryover_ms / 1000.0
    num = np.zeros((len(times), EXPRESSION_DIM), dtype=np.float64)
    den = np.full((len(times), EXPRESSION_DIM), 1e-6, dtype=np.float64)  # rest pose, barely
    for s in spans:
        lo = np.searchsorted(times, s.start - _REACH * tau_before)
        hi = np.searchsorted(times, s.end + _REACH * tau_after)
        t = times[lo:hi]
        # distance outside the span, scaled by the time constant on that side; 0 inside
        d = np.maximum((s.start - t) / tau_before, 0.0) + np.maximum((t - s.end) / tau_after, 0.0)
        w = np.exp(-d)[:, None] * s.dominance[None, :]  # (F, 64)
        num[lo:hi] += w * s.target[None, :]
        den[lo:hi] += w
    return num / den


def _frames_in(start: float, end: float, times: np.ndarray) -> np.ndarray:
    """Frames sampled inside [start, end); a span shorter than a frame gets its nearest frame."""
    idx = np.flatnonzero((times >= start) & (times < end))
    if idx.size == 0 and len(times):
        idx = np.array([int(np.argmin(np.abs(times - 0.5 * (start + end))))])
    return idx


def _constrain(out: np.ndarray, spans: list[_Span], times: np.ndarray, cfg: PhoneticConfig) -> None:
    for s in spans:
        idx = _frames_in(s.start, s.end, times)
        if s.phone in BILABIAL:
            jaw = np.minimum(out[idx, _IDX["jawOpen"]], _SEALED_JAW)
            out[idx, _IDX["jawOpen"]] = jaw
            out[idx, _IDX["mouthClose"]] = jaw
            out[idx, _IDX["lipSeal"]] = 1.0
            for name in LIP_PARTING:
                out[idx, _IDX[name]] = 0.0
        elif s.phone in LABIODENTAL:
            out[idx, _IDX["lowerLipTuck"]] = np.maximum(
                out[idx, _IDX["lowerLipTuck"]], 0.8 * min(cfg.strength, 1.0)
            )
            out[idx, _IDX["jawOpen"]] = np.minimum(out[idx, _IDX["jawOpen"]], 0.15)
        elif s.phone == SILENCE and (s.end - s.start) * 1000.0 >= cfg.pause_close_ms:
            # Closed and still, except where the previous phone's carry-over ramps in and the
            # next phone's anticipation ramps out (no ramp at the ends of the clip).
            # Beyond 3 time constants (e^-3 = 5 % weight) the blend is already near rest, so
            # zeroing there removes residue without a visible step.
            start = s.start + (3.0 * cfg.carryover_ms / 1000.0 if s is not spans[0] else -1.0)
            end = s.end - (3.0 * cfg.anticipation_ms / 1000.0 if s is not spans[-1] else -1.0)
            inner = np.flatnonzero((times >= start) & (times < end))
            out[np.ix_(inner, np.flatnonzero(SPEECH_CHANNELS))] = 0.0


def _events(spans: list[_Span], times: np.ndarray, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """plosiveRelease and voicing tracks, which are timed events rather than blended shapes."""
    release = np.zeros(len(times))
    voicing = np.zeros(len(times))
    for s in spans:
        if s.phone in STOPS:
            dt = times - s.end
            mask = (dt >= -0.5 / fps) & (dt < _REACH * _RELEASE_S)  # the frame holding the release on
            release[mask] = np.maximum(release[mask], np.exp(-np.maximum(dt[mask], 0.0) / _RELEASE_S))
        if s.phone in VOICED:
            voicing[(times >= s.start) & (times < s.end)] = 1.0
    return release, voicing


def animate_phones(phones: list[Phone], num_frames: int, fps: int, cfg: PhoneticConfig) -> np.ndarray:
    """(num_frames, 64) float32 expression in [0, 1] for timed ``phones`` at ``fps``."""
    times = frame_centers(num_frames, fps)
    spans = _spans(phones, cfg)
    out = _blend(spans, times, cfg)
    _constrain(out, spans, times, cfg)
    release, voicing = _events(spans, times, fps)
    out[:, _IDX["plosiveRelease"]] = release
    out[:, _IDX["voicing"]] = voicing
    return np.clip(out, 0.0, 1.0).astype(np.float32)
