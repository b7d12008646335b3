"""A pre-norm transformer whose frames see the past and a bounded slice of the future.

Bounded look-ahead is what lets the same weights run offline and streaming. Masks compound
through a stack (layer 2 sees what layer 1 saw), so only the first layer may look ahead:
the stack's output then depends on at most ``lookahead`` future frames. Left context is
bounded too (``context`` per layer, ``layers * context`` for the stack), so long audio can be
processed in chunks with a fixed margin and the same result.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def attention_mask(n: int, lookahead: int, context: int, device: torch.device | None = None) -> torch.Tensor:
    """(n, n) bool, True where query i may attend key j: i - context <= j <= i + lookahead."""
    i = torch.arange(n, device=device)[:, None]
    j = torch.arange(n, device=device)[None, :]
    return (j <= i + lookahead) & (j >= i - context)


class Block(nn.Module):
    """Self-attention + MLP, pre-norm, as in GPT-2 / nanoGPT."""

    def __init__(self, dim: int, heads: int, ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Linear(ff, dim))
        self.dropout = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=2)
        q, k, v = (
            z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v)
        )  # (B, H, T, D/H)
        drop = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of blocks; the first may look ``lookahead`` frames ahead, the others none."""

    def __init__(
        self, dim: int, layers: int, heads: int, ff: int, lookahead: int, context: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim, heads, ff, dropout) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.lookahead, self.context = lookahead, context

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        peek = attention_mask(n, self.lookahead, self.context, x.device)
        causal = attention_mask(n, 0, self.context, x.device)
        for i, block in enumerate(self.blocks):
            x = block(x, peek if i == 0 else causal)
        return self.norm(x)
