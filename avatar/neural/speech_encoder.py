"""wav2vec2-style speech encoder: raw 16 kHz waveform -> 256-d features at 50 Hz.

A stack of strided 1-D convolutions turns samples into 20 ms frames (total stride 320); a
causal convolutional positional embedding and a transformer with bounded look-ahead give
each frame context; an auxiliary head predicts the phone of every frame (trained with the
aligner's labels, it makes the features phonetic).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..audio import SAMPLE_RATE
from .transformer import Transformer

FRAME_RATE = SAMPLE_RATE // 320  # Hz: 50


@dataclass(frozen=True)
class SpeechEncoderDims:
    conv_channels: int = 96
    conv_kernels: tuple[int, ...] = (10, 3, 3, 3, 3, 2, 2)
    conv_strides: tuple[int, ...] = (5, 2, 2, 2, 2, 2, 2)  # 5 * 2**6 = 320 samples = 20 ms
    dim: int = 256
    layers: int = 4
    heads: int = 4
    ff: int = 1024
    pos_kernel: int = 32  # causal conv positional embedding, in frames
    pos_groups: int = 16
    lookahead: int = 4  # frames (80 ms) the first transformer layer may see ahead
    context: int = 50  # frames (1 s) each layer sees behind
    num_phones: int = 40  # 39 ARPAbet phones + silence, for the auxiliary head
    dropout: float = 0.1

    @property
    def hop(self) -> int:
        """Samples per output frame."""
        hop = 1
        for s in self.conv_strides:
            hop *= s
        return hop

    @property
    def receptive_field(self) -> int:
        """Samples one output frame of the conv stack sees (400 for the default stack)."""
        field, jump = 1, 1
        for k, s in zip(self.conv_kernels, self.conv_strides, strict=True):
            field += (k - 1) * jump
            jump *= s
        return field


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of a (B, C, T) tensor, frame by frame."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class CausalConvPosition(nn.Module):
    """wav2vec2's convolutional positional embedding, padded so it only looks back."""

    def __init__(self, dim: int, kernel: int, groups: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, kernel, groups=groups)
        self.pad = kernel - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(F.pad(x.transpose(1, 2), (self.pad, 0)))  # (B, D, T)
        return x + F.gelu(y).transpose(1, 2)


class SpeechEncoder(nn.Module):
    def __init__(self, dims: SpeechEncoderDims) -> None:
        super().__init__()
        self.dims = dims
        c = dims.conv_channels
        convs: list[nn.Module] = []
        for i, (k, s) in enumerate(zip(dims.conv_kernels, dims.conv_strides, strict=True)):
            convs.append(nn.Conv1d(1 if i == 0 else c, c, k, stride=s, bias=False))
            if i == 0:
                # Normalise each frame over channels (wav2vec2's "layer norm" variant); its
                # GroupNorm variant pools over time, which would let the future leak back.
                convs.append(ChannelNorm(c))
            convs.append(nn.GELU())
        self.features = nn.Sequential(*convs)
        self.project = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, dims.dim), nn.Dropout(dims.dropout))
        self.position = CausalConvPosition(dims.dim, dims.pos_kernel, dims.pos_groups)
        self.transformer = Transformer(
            dims.dim, dims.layers, dims.heads, dims.ff, dims.lookahead, dims.context, dims.dropout
        )
        self.phone_head = nn.Linear(dims.dim, dims.num_phones)

    def num_frames(self, num_samples: int) -> int:
        """Output frames for ``num_samples`` of audio: one per full hop."""
        return num_samples // self.dims.hop

    def conv_features(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, N) waveform -> (B, N // hop, C): frame i sees samples [i*hop, i*hop + receptive_field)."""
        n = self.num_frames(audio.shape[-1])
        pad = (n - 1) * self.dims.hop + self.dims.receptive_field - audio.shape[-1]  # 5 ms past the end
        x = F.pad(audio[:, None], (0, max(pad, 0)))  # (B, 1, N')
        return self.features(x)[:, :, :n].transpose(1, 2)

    def contextualize(self, conv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, C) conv features -> (features (B, T, dim), phone logits (B, T, num_phones))."""
        x = self.transformer(self.position(self.project(conv)))
        return x, self.phone_head(x)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, N) waveform -> (features (B, T, dim), phone logits (B, T, num_phones)), T = N // hop."""
        return self.contextualize(self.conv_features(audio))
