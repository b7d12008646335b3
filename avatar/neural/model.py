"""The neural lip-sync network (speech encoder + expression model) and its chunked inference.

Its checkpoints are saved and loaded by avatar/models.py (``save_checkpoint``, ``lipsync_net``):
``{"dims": {"encoder": ..., "expression": ...}, "state_dict": ..., "train": {...}, "metrics":
{...}}``, rebuilt from the dims they carry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..audio import SAMPLE_RATE, FrameClock
from ..lipsync.visemes import ANIMATED_CHANNELS
from .expression_model import ExpressionDims, ExpressionModel
from .speech_encoder import SpeechEncoder, SpeechEncoderDims


@dataclass(frozen=True)
class LipSyncDims:
    encoder: SpeechEncoderDims = field(default_factory=SpeechEncoderDims)
    expression: ExpressionDims = field(default_factory=ExpressionDims)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LipSyncDims:
        enc = {k: tuple(v) if isinstance(v, list) else v for k, v in d["encoder"].items()}
        return cls(SpeechEncoderDims(**enc), ExpressionDims(**d["expression"]))

    @property
    def lookahead_s(self) -> float:
        """Audio the network hears past a video frame's centre: what a stream must wait for.

        The expression model looks ``expression.lookahead`` frames ahead; each of those reads
        encoder frames up to half an encoder frame past its centre; the encoder looks
        ``encoder.lookahead`` frames ahead; and an encoder frame's convolutions reach
        ``receptive_field`` samples from its start (182 ms with the defaults).
        """
        enc, exp = self.encoder, self.expression
        enc_frame = enc.hop / SAMPLE_RATE
        return exp.lookahead / exp.fps + (enc.lookahead + 0.5) * enc_frame + enc.receptive_field / SAMPLE_RATE


class LipSyncNet(nn.Module):
    def __init__(self, dims: LipSyncDims) -> None:
        super().__init__()
        self.dims = dims
        self.encoder = SpeechEncoder(dims.encoder)
        self.expression = ExpressionModel(dims.expression)
        self.clock = FrameClock(dims.expression.fps, SAMPLE_RATE)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, N) 16 kHz audio -> (expression logits (B, frames, 64), phone logits (B, T50, phones))."""
        features, phones = self.encoder(audio)
        return self.expression(features, self.clock.num_frames(audio.shape[-1])), phones


@dataclass(frozen=True)
class Chunk:
    """One piece of chunked inference: frames [first, last) are kept from frames [start, end),
    which are computed from encoder frames [a, b)."""

    first: int
    last: int
    start: int
    end: int
    a: int
    b: int

    def audio(self, hop: int, receptive_field: int) -> slice:
        """The samples encoder frames [a, b) read (the last reaches past its hop)."""
        return slice(self.a * hop, self.b * hop + receptive_field - hop)


def chunk_plan(dims: LipSyncDims, num_samples: int, chunk_s: float = 10.0) -> list[Chunk]:
    """How ``infer`` (and the ONNX runtime) cut audio of ``num_samples`` into chunks.

    Chunks start where a video frame and an encoder frame begin on the same sample (every 3
    frames at 30 fps: 1600 samples = 5 hops), so the two clocks stay aligned; each has enough
    frames before and after it that every kept frame sees exactly what it would see in one
    pass: the layers' left context and the look-ahead.
    """
    enc, exp = dims.encoder, dims.expression
    n50 = num_samples // enc.hop
    total = FrameClock(exp.fps, SAMPLE_RATE).num_frames(num_samples)
    period = exp.fps * enc.hop // math.gcd(SAMPLE_RATE, exp.fps * enc.hop)
    per_chunk = max(period, int(chunk_s * exp.fps) // period * period)
    left = (enc.layers * enc.context + enc.pos_kernel) * enc.hop / SAMPLE_RATE
    left += (exp.layers * exp.context + exp.pos_kernel + 1) / exp.fps
    right = dims.lookahead_s + 2.0 / exp.fps  # + interpolation and rounding
    chunks = []
    for first in range(0, total, per_chunk):
        last = min(first + per_chunk, total)
        start = max(0, first - int(np.ceil(left * exp.fps)))
        start -= start % period
        end = min(total, last + int(np.ceil(right * exp.fps)))
        a = start * SAMPLE_RATE // exp.fps // enc.hop  # encoder frames: exact at period boundaries
        b = min(n50, math.ceil(end * SAMPLE_RATE / exp.fps / enc.hop) + 1)
        chunks.append(Chunk(first, last, start, end, a, b))
    return chunks


@torch.no_grad()
def infer(model: LipSyncNet, audio: np.ndarray, chunk_s: float = 10.0) -> np.ndarray:
    """(frames, 64) expression for 16 kHz mono ``audio`` of any length, in bounded memory.

    The convolutions only see 25 ms, so they run block by block with no overlap beyond that;
    the transformers run on the chunks of ``chunk_plan``.
    """
    enc = model.dims.encoder
    param = next(model.parameters())  # float16 on CUDA with precision: fp16
    wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(param.device, param.dtype)
    # Convolutions: blocks of whole hops plus the receptive field's overhang (exact per frame).
    n50 = len(audio) // enc.hop
    block = 3000  # encoder frames per block: 60 s
    conv = torch.cat(
        [
            model.encoder.conv_features(
                wave[i * enc.hop : (i + block) * enc.hop + enc.receptive_field - enc.hop][None]
            )[:, : min(block, n50 - i)]
            for i in range(0, max(n50, 1), block)
        ],
        dim=1,
    )[:, :n50]
    out = np.zeros((model.clock.num_frames(len(audio)), 64), np.float32)
    for c in chunk_plan(model.dims, len(audio), chunk_s):
        kept = expression_from_conv(model, conv[:, c.a : c.b], c.end - c.start)
        out[c.first : c.last] = kept[c.first - c.start : c.last - c.start]
    return out


@torch.no_grad()
def expression_from_conv(model: LipSyncNet, conv: torch.Tensor, num_frames: int) -> np.ndarray:
    """(num_frames, 64) expression from (1, T50, C) conv features (the transformers' half of a
    forward pass; ``infer`` and the streaming core feed it windows of conv features)."""
    features, _ = model.encoder.contextualize(conv)
    out = torch.sigmoid(model.expression(features, num_frames)[0]).float().cpu().numpy()
    out[:, ~ANIMATED_CHANNELS] = 0.0  # never trained (eyes, brows: the motion model's): neutral
    return out
