"""The streaming core: push 16 kHz speech in chunks of any size, pull frames at the configured fps.

The audio that arrives is appended to one timeline; frame k shows timeline samples
FrameClock.frame_samples(k), so picture and sound never drift apart. Frames are made BLOCK at a
time (the stream's first frame alone, so that it leaves early), as soon as the timeline reaches
the look-ahead the networks need past the block's end (the shipped lip-sync's 75 ms). Each block
runs the lip-sync (over conv features kept from block to block), the VAD gate (a streaming VAD),
prosody and the motion network on a window reaching CONTEXT_S back: bounded work and memory per
block, whatever the stream's length. Unfiltered, jawOpen matches one offline pass to r = 0.9986
(0.999998 without the gate: the gate's 150 ms opening ramp reaches further ahead than a stream
hears, so a stream keeps speech still running at the window's end as speech however short). The
seeded draws (gaze, blinks) step frame by frame, the filter is the causal one-euro one, and a
renderer, if given, draws each block (or, with ``draw_in_pull`` off, each frame its caller keeps:
``draw``; a LiveSession draws only the frames it sends). The lip-sync network runs on its own
trained clock and its curves are retimed onto the stream's (``neural.lipsync.retime``), as offline.

When the output clock is due and no audio has come (a pause, a slow client), ``pull(starve=True)``
fills the missing stretch with silence: the avatar idles (breathes, blinks, mouth closed) and
audio that arrives later simply follows on the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..audio import FrameClock
from ..audio.clock import SAMPLE_RATE
from ..audio.vad import WINDOW, StreamingVad, regions_from_probabilities
from ..config import Config
from ..lipsync.gate import gate_expression
from ..motion.controls import apply_controls
from ..motion.filters import StreamingFilter
from ..motion.generator import NOISE_BLOCK_S, NUM_NOISE, noise_blocks
from ..motion.model import MotionNet, predict
from ..motion.prosody import FEATURES, prosody
from ..motion.sampler import Draws, Motion, draws_rng
from ..neural.lipsync import retime
from ..neural.model import LipSyncNet, expression_from_conv

BLOCK = 3  # frames made together: at 30 fps, 100 ms = 1600 samples, the period both networks align on
CONTEXT_S = 2.0  # audio before a block that the networks see again (1 s: r 0.9965; 2 s: 0.9998)


@dataclass
class StreamFrame:
    """One output frame: its index and time on the output clock, parameters, audio, image."""

    index: int
    pts: float  # seconds: index / fps
    expression: np.ndarray  # (64,)
    head: np.ndarray  # (3,) pitch, yaw, roll degrees
    gaze: np.ndarray  # (2,) yaw, pitch degrees
    audio: np.ndarray  # (533 or 534,) float32: the 16 kHz samples heard during this frame
    image: np.ndarray | None = None  # (size, size, 3) uint8 when the stream has a renderer


def live_networks(device: str = "cpu") -> tuple[LipSyncNet, MotionNet]:
    """The shipped lip-sync and motion networks in torch (SHA-256 checked), as a stream runs them."""
    from ..models import lipsync_net, motion_net

    return lipsync_net(device=device), motion_net()


class AvatarStream:
    """Speech in (``push``), frames out (``pull``); see the module docstring."""

    def __init__(
        self,
        cfg: Config,
        lipsync: LipSyncNet,
        motion: MotionNet,
        renderer=None,
        block: int = BLOCK,
        context_s: float = CONTEXT_S,
    ) -> None:
        self.cfg, self.lipsync, self.motion, self.renderer = cfg, lipsync.eval(), motion.eval(), renderer
        self.draw_in_pull = True  # False: frames come without pictures; ``draw`` the ones kept
        self.fps = cfg.model.fps
        self.clock = FrameClock(fps=self.fps, sample_rate=SAMPLE_RATE)
        # Frames per period: the fewest frames that span whole encoder hops (320 samples, 50 Hz),
        # where the two grids meet again: 3 at 30 fps (1600 samples), 1 at 25 or 50, 6 at 60.
        hop = lipsync.dims.encoder.hop
        period = self.fps * hop // math.gcd(SAMPLE_RATE, self.fps * hop)
        self.block = max(period, block // period * period)
        self.period = period
        self.context_frames = math.ceil(context_s * self.fps / period) * period
        # The network's own look-ahead; offline chunking adds two frames of margin, which changes
        # jawOpen by under 0.04 here (r 0.998 with one offline pass) and would cost 67 ms.
        self.lookahead = math.ceil(lipsync.dims.lookahead_s * SAMPLE_RATE)
        seed = cfg.inference.controls.seed
        self.draws = Draws(self.fps, draws_rng(seed))
        self._noise_blocks = noise_blocks(seed, self.fps)
        self.filter = (
            StreamingFilter(cfg.inference.filter, self.fps) if cfg.inference.filter.enabled else None
        )
        self._noise, self._noise_base = np.zeros((0, NUM_NOISE), np.float32), 0
        self._buf = np.zeros(0, np.float32)  # timeline samples from self._base on
        self._base = 0
        self.vad = StreamingVad()  # fed the timeline as it grows
        enc = lipsync.dims.encoder
        self._hop, self._field = enc.hop, enc.receptive_field
        self._conv = torch.zeros(0, enc.conv_channels)  # conv features of whole receptive fields
        self._conv_base = 0  # encoder frame of self._conv[0]
        self.done = 0  # frames emitted
        self.ended, self._end = False, 0
        self._warm_up()

    def _warm_up(self) -> None:
        """Run each network once on silence, so the first real block is not the slow first call."""
        silence = torch.zeros(1, 1, SAMPLE_RATE // 2)
        conv = self.lipsync.encoder.features(silence).transpose(1, 2)  # (1, T50, C)
        expression_from_conv(self.lipsync, conv, self.fps // 2)
        frames = np.zeros((self.fps // 2, len(FEATURES)), np.float32)
        predict(self.motion, frames, np.zeros((self.fps // 2, NUM_NOISE), np.float32))
        StreamingVad().push(np.zeros(2 * WINDOW, np.float32))  # loads the VAD's session
        self._noise_for(0, 1)  # draws the first block of the run's noise

    # --- input ----------------------------------------------------------------------------------

    @property
    def samples(self) -> int:
        """Samples on the timeline so far (arrived audio plus silence put in for starved frames)."""
        return self._base + len(self._buf)

    def push(self, pcm: np.ndarray | bytes) -> None:
        """Append speech: float32 in [-1, 1], or int16 (an array, or little-endian bytes)."""
        if self.ended:
            raise ValueError("the stream has ended")
        if isinstance(pcm, bytes | bytearray | memoryview):
            if len(pcm) % 2:
                raise ValueError("16-bit PCM needs an even number of bytes")
            pcm = np.frombuffer(pcm, dtype="<i2")
        pcm = np.asarray(pcm)
        if pcm.ndim != 1:
            raise ValueError(f"push mono samples (1-D), got shape {pcm.shape}")
        samples = pcm.astype(np.float32) / 32768.0 if pcm.dtype == np.int16 else pcm.astype(np.float32)
        self._append(np.clip(samples, -1.0, 1.0))

    def _append(self, samples: np.ndarray) -> None:
        self._buf = np.concatenate([self._buf, samples])
        self.vad.push(samples)

    def end(self) -> None:
        """No more audio: ``pull`` finishes the frames of what was pushed (with silence after it)."""
        self.ended, self._end = True, self.samples

    # --- output ---------------------------------------------------------------------------------

    def _block_len(self) -> int:
        """Frames in the next block: the stream's first frame alone (it leaves as soon as its own
        audio and the look-ahead are in), then up to the next period boundary, then ``block``."""
        if self.done == 0:
            return 1
        rest = self.done % self.period
        return self.period - rest if rest else self.block

    def samples_needed(self) -> int:
        """Timeline samples needed before the next block can be made."""
        return self.clock.frame_start(self.done + self._block_len()) + self.lookahead

    def ready(self) -> bool:
        return self.samples >= self.samples_needed()

    @property
    def finished(self) -> bool:
        """Ended, and every frame of the audio pushed has been made."""
        return self.ended and self.done >= self.clock.num_frames(self._end)

    def pull(self, starve: bool = False, max_blocks: int | None = None) -> list[StreamFrame]:
        """Every frame that can be made now (``max_blocks``: at most that many blocks of them).
        ``starve``: the output clock is due, so one block is made even without its audio
        (silence fills in). After ``end``, the rest is flushed."""
        out: list[StreamFrame] = []
        blocks = max_blocks if max_blocks is not None else math.inf
        if self.ended:
            last = self.clock.num_frames(self._end)  # the frames of the audio that was pushed
            while self.done < last and blocks > 0:
                self._pad_to(self.samples_needed())
                out += self._make_block()
                blocks -= 1
            return [f for f in out if f.index < last]
        if starve and not self.ready():
            self._pad_to(self.samples_needed())
        while self.ready() and blocks > 0:
            out += self._make_block()
            blocks -= 1
        return out

    def draw(self, frames: list[StreamFrame]) -> None:
        """Give ``frames`` their pictures (one renderer call); nothing without a renderer."""
        todo = [f for f in frames if f.image is None]
        if self.renderer is None or not todo:
            return
        images = self.renderer.render(
            np.stack([f.expression for f in todo]),
            np.stack([f.head for f in todo]),
            np.stack([f.gaze for f in todo]),
        )
        for frame, image in zip(todo, images, strict=True):
            frame.image = image

    def _pad_to(self, samples: int) -> None:
        if samples > self.samples:
            self._append(np.zeros(samples - self.samples, np.float32))

    @torch.no_grad()
    def _conv_features(self, a: int, b: int) -> torch.Tensor:
        """(1, (b - a) // hop, C) conv features of timeline samples [a, b), a on a hop boundary:
        whole receptive fields computed once and kept, the last few (running past the timeline's
        end) padded with zeros exactly as ``infer`` pads a clip's end."""
        hop, field = self._hop, self._field
        complete = max(0, (self.samples - field) // hop + 1)  # frames whose samples have all arrived
        done = self._conv_base + len(self._conv)
        if complete > done:
            segment = self._buf[done * hop - self._base : (complete - 1) * hop + field - self._base]
            new = self.lipsync.encoder.features(torch.from_numpy(segment)[None, None])[0].T  # (n, C)
            self._conv = torch.cat([self._conv, new])
        first, count = a // hop, (b - a) // hop
        kept = max(0, min(first + count, self._conv_base + len(self._conv)) - first)
        parts = [self._conv[first - self._conv_base : first - self._conv_base + kept]]
        if kept < count:  # the tail: receptive fields reaching past b, zero-padded
            tail = self._buf[(first + kept) * hop - self._base : b - self._base]
            padded = np.zeros((count - kept - 1) * hop + field, np.float32)
            padded[: len(tail)] = tail
            parts.append(self.lipsync.encoder.features(torch.from_numpy(padded)[None, None])[0].T)
        return torch.cat(parts)[None]

    def _regions(self, a: int, b: int) -> list[tuple[float, float]]:
        """VAD speech regions of timeline samples [a, b), in seconds from a."""
        first, last = a // WINDOW, b // WINDOW
        probs = self.vad.probabilities(first, last)
        shift = (first * WINDOW - a) / SAMPLE_RATE
        found = regions_from_probabilities(
            probs, (last - first) * WINDOW, self.cfg.inference.vad, open_end=True
        )
        return [(max(0.0, s + shift), e + shift) for s, e in found if e + shift > 0]

    def _noise_for(self, start: int, end: int) -> np.ndarray:
        """Frames [start, end) of the run's noise (older blocks are dropped)."""
        while self._noise_base + len(self._noise) < end:
            if len(self._noise) >= 2 * NOISE_BLOCK_S * self.fps:  # keep two blocks at most
                drop = NOISE_BLOCK_S * self.fps
                self._noise, self._noise_base = self._noise[drop:], self._noise_base + drop
            self._noise = np.concatenate([self._noise, next(self._noise_blocks)])
        return self._noise[start - self._noise_base : end - self._noise_base]

    def _make_block(self) -> list[StreamFrame]:
        first, size = self.done, self._block_len()
        start = max(0, first - self.context_frames) // self.period * self.period  # window's first frame
        a, b = self.clock.frame_start(start), self.samples_needed()
        window = self._buf[a - self._base : b - self._base]  # (N,)
        net_fps = self.lipsync.dims.expression.fps
        curves = expression_from_conv(
            self.lipsync, self._conv_features(a, b), FrameClock(net_fps).num_frames(b - a)
        )  # (T_net, 64) on the network's clock, from the window's first sample
        expression = retime(curves, net_fps, self.fps, self.clock.num_frames(b - a))  # (T, 64)
        rows = slice(first - start, first - start + size)
        regions = self._regions(a, b)
        if self.cfg.inference.gate.enabled:
            expression = gate_expression(window, expression, self.cfg, regions)
        features = prosody(window, self.cfg, regions).features[: len(expression)]
        z = self._noise_for(start, start + len(features))
        pred = predict(self.motion, features, z)
        draws = [
            self.draws.step(float(p), float(q))
            for p, q in zip(pred["averted"][rows], pred["blink"][rows], strict=True)
        ]
        moving = Motion(
            pred["head"][rows].astype(np.float32),
            np.array([g for g, _ in draws], np.float32),
            np.array([c for _, c in draws], np.float32),
        )
        anim = apply_controls(expression[rows], moving, self.cfg.inference.controls, self.fps)
        head, gaze, expr = anim.head, anim.gaze, anim.expression
        if self.filter is not None:
            steps = [self.filter.step(expr[i], head[i], gaze[i]) for i in range(size)]
            expr = np.stack([s[0] for s in steps])
            head = np.stack([s[1] for s in steps])
            gaze = np.stack([s[2] for s in steps])
        frames = []
        for i in range(size):
            k = first + i
            span = self.clock.frame_samples(k)
            frames.append(
                StreamFrame(
                    k,
                    k / self.fps,
                    expr[i],
                    head[i],
                    gaze[i],
                    self._buf[span.start - self._base : span.stop - self._base].copy(),
                )
            )
        if self.draw_in_pull:
            self.draw(frames)
        self.done += size
        self._trim()
        return frames

    def _trim(self) -> None:
        """Drop audio no later block can need (bounded memory on endless streams)."""
        keep_from = self.clock.frame_start(max(0, self.done - self.context_frames - self.period))
        if keep_from > self._base:
            self._buf = self._buf[keep_from - self._base :]
            self._base = keep_from
        conv_from = keep_from // self._hop
        if conv_from > self._conv_base:
            self._conv = self._conv[conv_from - self._conv_base :]
            self._conv_base = conv_from
        self.vad.forget(keep_from // WINDOW)
