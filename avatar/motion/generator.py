"""The motion model's teacher: a stochastic generator of head motion, gaze and blinks.

There is no motion capture here, so the targets the motion network learns from are made by
this documented generator, driven by prosody (motion/prosody.py) and by seeded noise. Each rule
and constant follows a published observation:

- Head nods on stressed syllables and larger movements at phrase starts: Hadar et al. 1983,
  "Head movement correlates of juncture and stress at sentence level" (Language and Speech 26);
  Graf et al. 2002, "Visual prosody: facial movements accompanying speech" (FG 2002) - nods of a
  few degrees aligned with pitch accents. Head pitch rises with F0: Yehia, Kuratate &
  Vatikiotis-Bateson 2002 (J. Phonetics 30) found F0 and head motion strongly coupled.
- Breathing moves the head a fraction of a degree at 12-20 breaths per minute at rest.
- Gaze: speakers look at the listener about 40 % of the time while speaking and 75 % while
  listening (Argyle & Cook 1976, "Gaze and Mutual Gaze"); they look away as an utterance starts
  and back as it ends (Kendon 1967, Acta Psychologica 26). Saccades take 2.2 ms per degree + 21 ms
  (the main sequence; Bahill, Clark & Stark 1975), i.e. one or two video frames.
- Blinks: 17 per minute at rest and 26 in conversation (Bentivoglio et al. 1997, Movement
  Disorders 12); 100-400 ms long (Caffier, Erdmann & Ullsperger 2003, Eur. J. Appl. Physiol. 89);
  speakers blink at pauses and phrase ends (Nakano & Kitazawa 2010, Exp. Brain Res. 205).

What the network learns from it and what stays random is in docs of avatar/motion/model.py.
Angles are degrees with the renderer's signs: pitch > 0 nods down, yaw > 0 turns to the
subject's left, roll > 0 tilts the top of the head to image left; gaze (yaw, pitch), pitch > 0 up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from .prosody import Prosody

# --- the noise the generator and the network share --------------------------------------------
NOISE = ("drift_pitch", "drift_yaw", "drift_roll", "turn", "breath", "beat")
NUM_NOISE = len(NOISE)  # 6
DRIFT_TAU_S = (2.5, 3.0, 4.0)  # Ornstein-Uhlenbeck time constants of the slow head drift
TURN_TAU_S = 0.7  # a faster process: the direction and size of the next phrase-start turn
BREATH_HZ = (0.2, 0.33)  # 12-20 breaths per minute
BEAT_HZ = 2.0  # smooth noise below this: the rhythm of beat gestures (syllables, stresses)

# --- head -------------------------------------------------------------------------------------
DRIFT_DEG = np.array([0.5, 1.2, 0.5])  # drift std of pitch, yaw, roll while listening
SPEAKING_DRIFT_GAIN = 1.6  # the head moves more while speaking
BREATH_DEG = 0.35  # breathing nod amplitude (pitch), in silence
NOD_DEG = 3.0  # pitch nod per unit syllable onset
NOD_ONSET_MIN = 0.12  # onsets below this (unstressed, noise) make no nod
NOD_FRAMES = (-2, 8)  # the nod starts 2 frames before the onset and is over 8 frames after it
BEAT_DEG = 5.5  # beat-gesture pitch per unit loudness: louder speech moves the head more (Munhall
# et al. 2004, "Visual prosody and speech intelligibility", Psychol. Sci. 15: head motion
# tracks F0 and amplitude)
F0_DEG_PER_OCTAVE = -0.75  # higher pitch lifts the head (pitch < 0 is up)
TURN_DEG = 3.0  # yaw turn at a phrase start per unit of the turn noise
TURN_FRAMES = (0, 36)  # the turn rises over 0.4 s and fades by 1.2 s after the phrase start
ROLL_PER_YAW = 0.3  # the head tilts a little into a turn

# --- gaze -------------------------------------------------------------------------------------
AVERT_RATE = {"speaking": 0.45, "listening": 0.12}  # per second: looking away from the camera
AVERT_DWELL_S = {"speaking": 1.2, "listening": 0.7}  # mean time spent looking away
AVERT_AT_PHRASE_START = 0.45  # chance of looking away as a phrase starts (Kendon)
BACK_AT_PHRASE_END = 0.6  # chance of looking back as it ends
AVERT_DEG = (6.0, 12.0)  # how far away
FIXATION_DEG = 0.6  # small fixation changes while looking at the camera
FIXATION_S = (0.3, 1.2)

# --- blinks -----------------------------------------------------------------------------------
BLINK_RATE = {"speaking": 22 / 60, "listening": 15 / 60}  # per second
PAUSE_BLINK_RATE = 1.6  # extra per second in the PAUSE_BLINK_S after a phrase ends
PAUSE_BLINK_S = 0.5
BLINK_REFRACTORY_S = 0.6
BLINK_MEDIAN_S, BLINK_SIGMA = 0.2, 0.3  # log-normal duration
BLINK_S = (0.1, 0.4)
BLINK_CLOSING = 0.4  # share of a blink spent closing (the lid falls faster than it rises)


@dataclass(frozen=True)
class MotionTargets:
    """What the generator makes for T frames."""

    head: np.ndarray  # (T, 3) pitch, yaw, roll degrees
    gaze: np.ndarray  # (T, 2) yaw, pitch degrees
    averted: np.ndarray  # (T,) 1 where the eyes are off the camera
    blink_onset: np.ndarray  # (T,) 1 on the first frame of each blink
    blink: np.ndarray  # (T,) eyelid closure in [0, 1]


def ou_process(n: int, fps: int, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) Ornstein-Uhlenbeck noise with time constant ``tau_s`` and unit stationary std."""
    a = float(np.exp(-1.0 / (tau_s * fps)))
    steps = rng.standard_normal(n) * np.sqrt(1.0 - a * a)
    x0 = float(rng.standard_normal())
    # The recursion x[i] = a * x[i-1] + steps[i] as a one-pole filter starting from x0 (a Python
    # loop took 16 ms per 10-minute block, on a live stream's first frame).
    out, _ = lfilter([1.0], [1.0, -a], steps, zi=[a * x0])
    return out.astype(np.float32)


def noise(n: int, fps: int, rng: np.random.Generator) -> np.ndarray:
    """(n, NUM_NOISE) the seeded noise inputs, columns as NOISE."""
    out = np.zeros((n, NUM_NOISE), np.float32)
    for k, tau in enumerate(DRIFT_TAU_S):
        out[:, k] = ou_process(n, fps, tau, rng)
    out[:, 3] = ou_process(n, fps, TURN_TAU_S, rng)
    freq = rng.uniform(*BREATH_HZ)
    out[:, 4] = np.sin(2 * np.pi * freq * np.arange(n) / fps + rng.uniform(0, 2 * np.pi))
    out[:, 5] = smooth_noise(n, fps, BEAT_HZ, rng)
    return out


NOISE_BLOCK_S = 600  # the run-time noise is drawn 10 minutes at a time (streams extend it block by block)


def noise_blocks(seed: int, fps: int) -> Iterator[np.ndarray]:
    """The run-time noise for ``seed``: (NOISE_BLOCK_S * fps, NUM_NOISE) blocks, one after another,
    from its own generator, so a clip and a stream of the same seed get the same noise."""
    rng = np.random.default_rng([seed, 1])
    while True:
        yield noise(NOISE_BLOCK_S * fps, fps, rng)


def noise_track(n: int, fps: int, seed: int) -> np.ndarray:
    """(n, NUM_NOISE): the first n frames of ``noise_blocks(seed, fps)``."""
    blocks, total = [], 0
    for block in noise_blocks(seed, fps):
        if total >= n:
            break
        blocks.append(block)
        total += len(block)
    return np.concatenate(blocks)[:n] if blocks else np.zeros((0, NUM_NOISE), np.float32)


def smooth_noise(n: int, fps: int, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) Gaussian noise low-passed (causal 2nd-order Butterworth) below ``cutoff_hz``, unit std."""
    settle = 3 * fps  # the filter's start-up transient is dropped
    sos = butter(2, cutoff_hz, fs=fps, output="sos")
    x = sosfilt(sos, rng.standard_normal(n + settle))[settle:]
    return (x / np.sqrt(_sos_power(sos))).astype(np.float32)


def _sos_power(sos: np.ndarray) -> float:
    """Output variance of ``sos`` for unit white noise (sum of the squared impulse response)."""
    impulse = np.zeros(4096)
    impulse[0] = 1.0
    return float(np.sum(sosfilt(sos, impulse) ** 2))


def _kernel_response(events: np.ndarray, kernel: np.ndarray, first: int) -> np.ndarray:
    """sum_k events[t - k] * kernel[k - first]: each event plays ``kernel`` from offset ``first``."""
    full = np.convolve(events, kernel)  # index t + (k - first) ... shift so kernel[0] is offset `first`
    out = np.zeros(len(events), np.float64)
    shift = first
    lo, hi = max(0, shift), min(len(events), len(full) + shift)
    out[lo:hi] = full[lo - shift : hi - shift]
    return out


def _nod_kernel() -> np.ndarray:
    first, last = NOD_FRAMES
    t = np.arange(first, last + 1) - first
    return np.sin(np.pi * t / (last - first)) ** 2  # down and back up, smoothly


def _turn_kernel() -> np.ndarray:
    first, last = TURN_FRAMES
    t = np.arange(first, last + 1).astype(np.float64)
    rise = last / 3
    return np.where(
        t < rise, np.sin(0.5 * np.pi * t / rise), np.cos(0.5 * np.pi * (t - rise) / (last - rise))
    )


def intonation(p: Prosody) -> np.ndarray:
    """(T,) the pitch contour in octaves, averaged over voiced frames within +-4 frames (0 without)."""
    w = np.hanning(11)[1:-1]  # 9 frames
    voiced = p.column("voiced").astype(np.float64)
    num = np.convolve(p.column("pitch") * voiced, w, mode="same")
    den = np.convolve(voiced, w, mode="same")
    return np.where(den > 0, num / np.maximum(den, 1e-6), 0.0) * np.minimum(1.0, den / w.sum() * 2)


def head_motion(p: Prosody, z: np.ndarray) -> np.ndarray:
    """(T, 3) head pitch, yaw, roll from prosody and the noise ``z`` (deterministic: no rng)."""
    speech = p.column("speech").astype(np.float64)
    smooth_speech = np.convolve(speech, np.ones(15) / 15, mode="same")  # the drift grows gradually
    gain = 1.0 + (SPEAKING_DRIFT_GAIN - 1.0) * smooth_speech
    head = z[:, :3].astype(np.float64) * DRIFT_DEG * gain[:, None]
    head[:, 0] += BREATH_DEG * z[:, 4] * (1.0 - smooth_speech)
    onsets = np.where(p.column("onset") >= NOD_ONSET_MIN, p.column("onset"), 0.0) * speech
    head[:, 0] += NOD_DEG * _kernel_response(onsets, _nod_kernel(), NOD_FRAMES[0])
    head[:, 0] += F0_DEG_PER_OCTAVE * intonation(p)
    loud = np.convolve(p.column("loudness"), np.ones(5) / 5, mode="same") * speech
    head[:, 0] += BEAT_DEG * loud * z[:, 5]
    turns = _kernel_response(p.column("speech_onset") * z[:, 3], _turn_kernel(), TURN_FRAMES[0]) * TURN_DEG
    head[:, 1] += turns
    head[:, 2] += ROLL_PER_YAW * turns
    return head.astype(np.float32)


def _state(speech: float) -> str:
    return "speaking" if speech > 0.5 else "listening"


def gaze_states(p: Prosody, rng: np.random.Generator) -> np.ndarray:
    """(T,) 1 where the eyes look away: a two-state process whose rates depend on speaking."""
    fps, speech = p.fps, p.column("speech")
    onset, offset = p.column("speech_onset"), p.column("speech_offset")
    out = np.zeros(len(speech), np.float32)
    averted = False
    for t in range(len(speech)):
        state = _state(speech[t])
        if onset[t] and rng.random() < AVERT_AT_PHRASE_START:
            averted = True
        elif offset[t] and averted and rng.random() < BACK_AT_PHRASE_END:
            averted = False
        elif averted:
            averted = rng.random() >= 1.0 / (AVERT_DWELL_S[state] * fps)
        else:
            averted = rng.random() < AVERT_RATE[state] / fps
        out[t] = averted
    return out


class GazeShifts:
    """Gaze angles one frame at a time: fixations near the camera, jumps away and back (a saccade
    takes one frame at 30 fps). ``step(averted)`` -> (yaw, pitch) degrees."""

    def __init__(self, fps: int, rng: np.random.Generator) -> None:
        self.fps, self.rng = fps, rng
        self.target = np.zeros(2)
        self.t, self.next_fixation = 0, 0
        self.was_averted: bool | None = None

    def step(self, averted: bool) -> np.ndarray:
        if averted and self.was_averted is not True:
            angle = self.rng.uniform(0, 2 * np.pi)
            radius = self.rng.uniform(*AVERT_DEG)
            self.target = np.array([np.cos(angle) * radius, np.sin(angle) * radius * 0.6])  # less up/down
        elif not averted and (self.was_averted is not False or self.t >= self.next_fixation):
            self.target = self.rng.normal(0.0, FIXATION_DEG, 2)
            self.next_fixation = self.t + int(self.rng.uniform(*FIXATION_S) * self.fps)
        self.was_averted = averted
        self.t += 1
        return self.target.astype(np.float32)


def gaze_angles(averted: np.ndarray, fps: int, rng: np.random.Generator) -> np.ndarray:
    """(T, 2) gaze yaw, pitch for a (T,) aversion track (GazeShifts over a whole clip)."""
    shifts = GazeShifts(fps, rng)
    return np.array([shifts.step(bool(a)) for a in averted], np.float32).reshape(-1, 2)


class Blinks:
    """Blinks one frame at a time: ``step(p)`` starts one with probability ``p`` (none within the
    refractory period of the last) and returns (started, eyelid closure in [0, 1]).

    A blink's duration is log-normal in BLINK_S: the time the lid is more than half shut (as
    eval/motion.py measures it), between an easing-in frame (the onset) and an easing-out one;
    the lid falls to fully shut within the first BLINK_CLOSING of it and lifts more slowly.
    """

    def __init__(self, fps: int, rng: np.random.Generator) -> None:
        self.fps, self.rng = fps, rng
        self.t, self.ready = 0, 0
        self.tail = np.zeros(0, np.float32)  # the closure still to come

    def _shape(self) -> np.ndarray:
        duration = float(np.clip(BLINK_MEDIAN_S * np.exp(BLINK_SIGMA * self.rng.standard_normal()), *BLINK_S))
        frames = max(3, round(duration * self.fps))
        closing = max(1, round(frames * BLINK_CLOSING))
        inside = np.concatenate(
            [np.linspace(0.7, 1.0, closing, endpoint=False), np.linspace(1.0, 0.55, frames - closing)]
        )
        return np.concatenate([[0.35], inside, [0.25]]).astype(np.float32)  # (frames + 2,)

    def step(self, p_onset: float) -> tuple[bool, float]:
        started = self.t >= self.ready and self.rng.random() < p_onset
        if started:
            shape = self._shape()
            tail = np.zeros(max(len(shape), len(self.tail)), np.float32)
            tail[: len(self.tail)] = self.tail
            self.tail = np.maximum(tail, np.pad(shape, (0, len(tail) - len(shape))))
            self.ready = self.t + int(BLINK_REFRACTORY_S * self.fps)
        closure = float(self.tail[0]) if len(self.tail) else 0.0
        self.tail = self.tail[1:]
        self.t += 1
        return started, closure


def blinks(p_onset: np.ndarray, fps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """((T,) 1 where a blink starts, (T,) eyelid closure) for per-frame onset probabilities."""
    process = Blinks(fps, rng)
    steps = [process.step(float(p)) for p in p_onset]
    onsets = np.array([s for s, _ in steps], np.float32)
    return onsets, np.array([c for _, c in steps], np.float32)


def blink_hazard(p: Prosody) -> np.ndarray:
    """(T,) probability per frame that a blink starts, from speaking and phrase ends."""
    speech = p.column("speech")
    rate = np.where(speech > 0.5, BLINK_RATE["speaking"], BLINK_RATE["listening"])
    ends = np.flatnonzero(p.column("speech_offset"))
    for e in ends:
        rate[e + 1 : e + 1 + int(PAUSE_BLINK_S * p.fps)] += PAUSE_BLINK_RATE
    return (rate / p.fps).astype(np.float32)


def generate(p: Prosody, z: np.ndarray, rng: np.random.Generator) -> MotionTargets:
    """Targets for one clip: ``p`` its prosody, ``z`` the noise (from ``noise``), ``rng`` the rest."""
    averted = gaze_states(p, rng)
    onsets, closure = blinks(blink_hazard(p), p.fps, rng)
    return MotionTargets(
        head=head_motion(p, z),
        gaze=gaze_angles(averted, p.fps, rng),
        averted=averted,
        blink_onset=onsets,
        blink=closure,
    )
