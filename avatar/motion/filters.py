"""Temporal filtering of an animation: a causal filter for streaming, a zero-phase one offline.

Streaming uses the one-euro filter (Casiez, Roussel & Vogel, "1€ Filter: A Simple Speed-based
Low-pass Filter for Noisy Input in Interactive Systems", CHI 2012): a first-order low-pass whose
cutoff grows with the signal's speed, so a still face loses its jitter while fast moves keep
little lag. Offline, where the whole clip is known, the Whittaker smoother (Eilers, "A Perfect
Smoother", Analytical Chemistry 2003: least squares with a penalty on second differences) runs over
past and future alike: zero phase, so no lag at any frequency, and able to hold chosen frames fixed
while smoothing the rest into them.

Channels are filtered per family, each with its own settings (``FilterConfig``): ``mouth``,
``lip_seal``, ``events`` (plosiveRelease and voicing are timed events and are never filtered),
``blink``, ``eyes``, ``brows_face``, plus the ``head`` and ``gaze`` angles.

Some moments must stay sharp, and a low-pass would smear them:

* lip closures (P/B/M, and any frame where the lips touch): offline, closure frames are smoothed
  only among themselves and then held while the open frames are smoothed into them, so the mouth
  eases into a closure instead of being smeared across it (on clean input a closure stays as shut
  as it was and starts on the same frame); when streaming, the lips snap shut on its first frame;
* blinks: eyelid frames at or above ``blink_threshold`` are kept as they are and only the frames
  around them are smoothed, so a blink keeps its peak and its duration;
* saccades: gaze (and the eyeLook channels) is filtered only within fixations, restarting
  wherever the gaze moves faster than ``saccade_deg_s``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from itertools import pairwise

import numpy as np
from scipy.linalg import solveh_banded

from ..animation import Animation
from ..config import FilterConfig
from ..expression.channels import CHANNEL_INDEX, EXPRESSION_DIM, mouth_openness
from ..lipsync.animator import LIP_PARTING
from ..lipsync.visemes import SPEECH_CHANNELS

_LIP_SEAL = CHANNEL_INDEX["lipSeal"]
_EVENTS = ("plosiveRelease", "voicing")
_BLINKS = ("eyeBlinkLeft", "eyeBlinkRight")
# What parts the lips: mouth_openness's inputs and what the animator clears on a bilabial. A live
# closure snaps these shut on its first frame; lipSeal is left to its filter, since with these shut
# the lips are closed whatever lipSeal says, and snapping it would keep its whole step as jitter.
_CONTACT = ("jawOpen", "mouthClose", *LIP_PARTING)


@cache
def channel_families() -> dict[str, np.ndarray]:
    """Family name -> (64,) bool mask of its expression channels; every channel is in exactly one."""
    idx = np.arange(EXPRESSION_DIM)
    events = np.isin(idx, [CHANNEL_INDEX[n] for n in _EVENTS])
    blink = np.isin(idx, [CHANNEL_INDEX[n] for n in _BLINKS])
    eyes = np.array([n.startswith("eye") for n in CHANNEL_INDEX]) & ~blink
    lip_seal = idx == _LIP_SEAL
    mouth = SPEECH_CHANNELS & ~events & ~lip_seal
    families = {
        "mouth": mouth,
        "lip_seal": lip_seal,
        "events": events,
        "blink": blink,
        "eyes": eyes,
        # whatever is left (brows, cheekSquint, noseSneer), so a new channel is never unfiltered
        "brows_face": ~(mouth | lip_seal | events | blink | eyes),
    }
    for mask in families.values():
        mask.setflags(write=False)  # cached and shared: nobody may edit it
    return families


def _alpha(cutoff_hz: np.ndarray, fps: float) -> np.ndarray:
    """Smoothing factor of a first-order low-pass at ``cutoff_hz`` sampled at ``fps``."""
    tau = 1.0 / (2.0 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


class OneEuroFilter:
    """Causal one-euro filter over ``channels`` curves sampled at ``fps``.

    ``min_cutoff_hz`` is the cutoff when still (lower: less jitter, more lag at slow speeds),
    ``beta`` how fast the cutoff rises with speed in units per second (higher: less lag in fast
    moves), ``d_cutoff_hz`` the cutoff of the speed estimate. Each may be a scalar or (channels,).
    """

    def __init__(
        self,
        min_cutoff_hz: float | np.ndarray,
        beta: float | np.ndarray,
        d_cutoff_hz: float | np.ndarray,
        fps: float,
        channels: int,
    ) -> None:
        if channels < 1 or fps <= 0:
            raise ValueError(f"need channels >= 1 and fps > 0, got {channels} and {fps}")
        shape = (channels,)
        self.min_cutoff_hz = np.broadcast_to(np.asarray(min_cutoff_hz, np.float64), shape).copy()
        self.beta = np.broadcast_to(np.asarray(beta, np.float64), shape).copy()
        self.d_cutoff_hz = np.broadcast_to(np.asarray(d_cutoff_hz, np.float64), shape).copy()
        if (self.min_cutoff_hz <= 0).any() or (self.d_cutoff_hz <= 0).any() or (self.beta < 0).any():
            raise ValueError("cutoffs must be > 0 and beta >= 0")
        self.fps = float(fps)
        self.channels = channels
        self._d_alpha = _alpha(self.d_cutoff_hz, self.fps)  # (C,) fixed: the rate never changes
        self._x = np.zeros(shape)  # last filtered value
        self._dx = np.zeros(shape)  # last filtered speed
        self._primed = np.zeros(shape, bool)  # False: the next sample passes through unchanged
        self.reset()

    def reset(self, channels: np.ndarray | None = None) -> None:
        """Forget the past of all channels, or of those selected by a (C,) bool mask or indices.

        The next sample of a reset channel passes through unchanged and filtering starts over
        from it, which is how a filter restarts at an edge that must stay sharp.
        """
        if channels is None:
            self._primed[:] = False
        else:
            self._primed[channels] = False

    def step(self, x: np.ndarray) -> np.ndarray:
        """Filter one sample (C,); returns the filtered (C,) as float32 and keeps the state."""
        x = np.asarray(x, np.float64)  # (C,)
        if x.shape != (self.channels,):
            raise ValueError(f"expected ({self.channels},), got {x.shape}")
        primed = self._primed
        # The paper takes the speed against the previous *filtered* value (its hat-x), which
        # counts the filter's own lag as speed and so opens the cutoff sooner.
        dx = np.where(primed, (x - self._x) * self.fps, 0.0)  # (C,)
        dx = np.where(primed, self._d_alpha * dx + (1.0 - self._d_alpha) * self._dx, dx)
        alpha = _alpha(self.min_cutoff_hz + self.beta * np.abs(dx), self.fps)  # (C,)
        out = np.where(primed, alpha * x + (1.0 - alpha) * self._x, x)  # (C,)
        self._x, self._dx = out, dx
        self._primed = np.ones_like(primed)
        return out.astype(np.float32)

    def run(self, x: np.ndarray) -> np.ndarray:
        """Filter a whole clip (T, C) from a fresh state; returns (T, C) float32."""
        x = np.asarray(x, np.float64)  # (T, C)
        if x.ndim != 2 or x.shape[1] != self.channels:
            raise ValueError(f"expected (T, {self.channels}), got {x.shape}")
        self.reset()
        out = np.empty(x.shape, np.float32)  # (T, C)
        for t in range(len(x)):
            out[t] = self.step(x[t])
        return out


def _penalty(cutoff_hz: float, fps: float) -> float:
    """Second-difference penalty putting the smoother's -3 dB point at ``cutoff_hz``.

    With uniform weights the smoother's gain at frequency f is 1 / (1 + lam * s^4), where
    s = 2 sin(pi f / fps) is the second difference's own gain at f; 1/sqrt(2) solves to this.
    """
    s = 2.0 * np.sin(np.pi * min(cutoff_hz, 0.5 * fps) / fps)
    return float((np.sqrt(2.0) - 1.0) / s**4)


def _whittaker(x: np.ndarray, lam: float, weight: np.ndarray | None = None) -> np.ndarray:
    """Minimise sum w (y - x)^2 + lam sum (second difference of y)^2 along axis 0 of (T, C) ``x``.

    A banded (pentadiagonal) solve, O(T) per channel. ``weight`` (T,) defaults to ones; a huge
    weight pins a frame to its value while its neighbours bend smoothly into it.
    """
    n = len(x)
    w = np.ones(n) if weight is None else weight  # (T,)
    # D'D for the (T-2, T) second-difference matrix D with rows [1, -2, 1], in the upper banded
    # form solveh_banded takes: row 2 the diagonal, row 1 the first and row 0 the second superdiagonal.
    ab = np.zeros((3, n))  # (3, T)
    for offset, c in enumerate((1.0, -2.0, 1.0)):
        ab[2, offset : n - 2 + offset] += c * c
    ab[1, 1 : n - 1] -= 2.0  # (t, t+1) pairs of each row: 1 * -2
    ab[1, 2:n] -= 2.0  # and -2 * 1
    ab[0, 2:n] += 1.0  # (t, t+2): 1 * 1
    ab *= lam
    ab[2] += w
    return solveh_banded(ab, w[:, None] * x)  # (T, C)


def zero_phase(x: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase low-pass of (T, C) curves along time, -3 dB at ``cutoff_hz``.

    The Whittaker smoother (penalised least squares on second differences): no lag at any
    frequency, no edge padding to choose, and anything linear in time (a constant included) passes
    exactly. Fewer than 3 frames have no second difference and come back unchanged. Returns a new
    array of the input's float dtype.
    """
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    if x.ndim != 2:
        raise ValueError(f"expected (T, C), got {x.shape}")
    if fps <= 0 or cutoff_hz <= 0:
        raise ValueError(f"need fps > 0 and cutoff_hz > 0, got {fps} and {cutoff_hz}")
    if len(x) < 3:
        return x.astype(dtype, copy=True)
    return _whittaker(x.astype(np.float64), _penalty(cutoff_hz, fps)).astype(dtype)


def _segmented(x: np.ndarray, fps: float, cutoff_hz: float, breaks: np.ndarray) -> np.ndarray:
    """``zero_phase`` run separately on each piece of (T, C) ``x`` between the (T-1,) ``breaks``.

    ``breaks[t]`` set means frames t and t+1 belong to different pieces: nothing is averaged
    across that edge, so a jump there stays a jump.
    """
    out = np.array(x, np.float64)  # (T, C)
    edges = np.concatenate([[0], np.flatnonzero(breaks) + 1, [len(x)]])
    for start, end in pairwise(edges):
        out[start:end] = zero_phase(out[start:end], fps, cutoff_hz)
    return out


def _pinned(
    x: np.ndarray, fps: float, cutoff_hz: float, pinned: np.ndarray, *, smooth_pinned: bool = True
) -> np.ndarray:
    """Zero-phase smoothing of (T, C) ``x`` that holds the (T,) ``pinned`` frames in place.

    With ``smooth_pinned`` each run of pinned frames is first smoothed on its own (its noise goes,
    nothing from outside leaks in); otherwise it is kept as it is. Then it is held while the free
    frames are smoothed into it, so the approach to a closure or a blink is eased on the free side
    and the pinned moment itself is not smeared.
    """
    if len(x) < 3 or not pinned.any():
        return zero_phase(x, fps, cutoff_hz).astype(np.float64)
    target = np.array(x, np.float64)  # (T, C)
    if smooth_pinned:
        target[pinned] = _segmented(x, fps, cutoff_hz, _edges(pinned))[pinned]
    # 1e8 against 1: a pinned frame moves by ~1e-8, below float32 resolution of a blendshape.
    return _whittaker(target, _penalty(cutoff_hz, fps), np.where(pinned, 1e8, 1.0))


def _edges(mask: np.ndarray) -> np.ndarray:
    """(T-1,) True where a (T,) bool mask changes between consecutive frames."""
    return mask[1:] != mask[:-1]


def _closed(expression: np.ndarray, settings: FilterConfig) -> np.ndarray:
    """(...,) frames whose lips touch: sealed, or (near) zero aperture."""
    return (expression[..., _LIP_SEAL] >= settings.seal_threshold) | (
        mouth_openness(expression) <= settings.closed_openness
    )


def _saccade_edges(gaze: np.ndarray, fps: float, settings: FilterConfig) -> np.ndarray:
    """(T-1,) True between frames the gaze crosses faster than ``saccade_deg_s``."""
    speed = np.linalg.norm(np.diff(gaze.astype(np.float64), axis=0), axis=1) * fps  # (T-1,) deg/s
    return speed > settings.saccade_deg_s


def smooth_offline(anim: Animation, settings: FilterConfig) -> Animation:
    """Zero-phase filtering of a whole animation, per channel family; returns a new Animation.

    Lip closures, blinks and saccades stay sharp (see the module docstring); plosiveRelease and
    voicing are copied unchanged. With ``settings.enabled`` false the result is a plain copy.
    """
    expr = np.array(anim.expression, np.float64)  # (T, 64)
    head = np.array(anim.head, np.float64)  # (T, 3)
    gaze = np.array(anim.gaze, np.float64)  # (T, 2)
    if settings.enabled and len(expr) >= 3:
        fam = channel_families()
        fps = anim.fps
        raw = anim.expression  # (T, 64)
        closed = _closed(raw, settings)  # (T,)
        for name, band in (("mouth", settings.mouth), ("lip_seal", settings.lip_seal)):
            expr[:, fam[name]] = _pinned(raw[:, fam[name]], fps, band.cutoff_hz, closed)
        for ch in np.flatnonzero(fam["blink"]):
            # per eyelid, and unsmoothed: a blink is 3-5 frames and any smoothing would cut its peak
            blinking = raw[:, ch] >= settings.blink_threshold  # (T,)
            col = _pinned(raw[:, ch : ch + 1], fps, settings.blink.cutoff_hz, blinking, smooth_pinned=False)
            expr[:, ch] = col[:, 0]
        saccades = _saccade_edges(anim.gaze, fps, settings)
        expr[:, fam["eyes"]] = _segmented(raw[:, fam["eyes"]], fps, settings.eyes.cutoff_hz, saccades)
        expr[:, fam["brows_face"]] = zero_phase(raw[:, fam["brows_face"]], fps, settings.brows_face.cutoff_hz)
        head = zero_phase(anim.head, fps, settings.head.cutoff_hz)
        gaze = _segmented(anim.gaze, fps, settings.gaze.cutoff_hz, saccades)
    return replace(
        anim,
        expression=np.clip(expr, 0.0, 1.0).astype(np.float32),
        head=head.astype(np.float32),
        gaze=gaze.astype(np.float32),
    )


class StreamingFilter:
    """Causal per-frame filtering for live streaming: one-euro filters per channel family.

    The sharp moments ``smooth_offline`` keeps are kept here without looking ahead: on a
    closure's first frame the channels that part the lips snap to the input (a lagging filter
    would open them), blink frames pass unfiltered, and a saccade restarts the eye filters. Each
    restarted filter goes on from the value it passed, so nothing jumps on the following frame.
    """

    def __init__(self, settings: FilterConfig, fps: float) -> None:
        self.settings = settings
        self.fps = float(fps)
        fam = channel_families()
        s = settings
        min_cutoff = np.ones(EXPRESSION_DIM)  # (64,) the events' entries are never used
        beta = np.zeros(EXPRESSION_DIM)  # (64,)
        for name, band in (
            ("mouth", s.mouth),
            ("lip_seal", s.lip_seal),
            ("blink", s.blink),
            ("eyes", s.eyes),
            ("brows_face", s.brows_face),
        ):
            min_cutoff[fam[name]] = band.min_cutoff_hz
            beta[fam[name]] = band.beta
        self.expression = OneEuroFilter(min_cutoff, beta, s.d_cutoff_hz, fps, EXPRESSION_DIM)
        self.head = OneEuroFilter(s.head.min_cutoff_hz, s.head.beta, s.d_cutoff_hz, fps, 3)
        self.gaze = OneEuroFilter(s.gaze.min_cutoff_hz, s.gaze.beta, s.d_cutoff_hz, fps, 2)
        self._contact = np.isin(np.arange(EXPRESSION_DIM), [CHANNEL_INDEX[n] for n in _CONTACT])  # (64,)
        self._events = fam["events"]
        self._blink = fam["blink"]
        self._eyes = fam["eyes"]
        self._was_closed = False
        self._last_gaze: np.ndarray | None = None  # (2,) degrees

    def reset(self) -> None:
        """Start over, as at the beginning of a new stream."""
        for f in (self.expression, self.head, self.gaze):
            f.reset()
        self._was_closed = False
        self._last_gaze = None

    def step(
        self, expression: np.ndarray, head: np.ndarray, gaze: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Filter one frame: expression (64,), head (3,) and gaze (2,) degrees -> new float32 arrays."""
        expression = np.asarray(expression, np.float32)  # (64,)
        head = np.asarray(head, np.float32)  # (3,)
        gaze = np.array(gaze, np.float64)  # (2,) a copy: it is kept as the last gaze
        s = self.settings
        if not s.enabled:
            return expression.copy(), head.copy(), gaze.astype(np.float32)
        closed = bool(_closed(expression, s))
        if closed and not self._was_closed:
            # Only the onset: inside the closure the filter starts from the shut pose and stays
            # there, and at the release it eases the lips open instead of snapping.
            self.expression.reset(self._contact)
        self._was_closed = closed
        self.expression.reset(self._blink & (expression >= s.blink_threshold))
        if (
            self._last_gaze is not None
            and np.linalg.norm(gaze - self._last_gaze) * self.fps > s.saccade_deg_s
        ):
            self.expression.reset(self._eyes)
            self.gaze.reset()
        self._last_gaze = gaze
        out = self.expression.step(expression)  # (64,)
        out[self._events] = expression[self._events]  # timed events: never filtered
        return np.clip(out, 0.0, 1.0), self.head.step(head), self.gaze.step(gaze)
