"""Pick the compute device: ``cuda`` without a GPU falls back to the CPU with one warning; on
CUDA, fp32 means fp32 (no TF32), so a GPU gives the CPU's results."""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def resolve_device(requested: str) -> str:
    """'cpu' | 'cuda' | 'auto' -> the device to use ('cpu' or 'cuda'). Warns once per fallback."""
    if requested == "cpu":
        return "cpu"  # no torch import: the phonetic path never needs it
    import torch

    if torch.cuda.is_available():
        # cuDNN's convolutions default to TF32 (10-bit mantissa): the speech encoder's conv stack
        # then drifts ~5e-3 from the CPU. Full fp32 keeps CUDA = CPU; the networks are too small
        # for the speed to matter (precision: fp16 is the fast path).
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        return "cuda"
    if requested == "cuda":
        log.warning("device 'cuda' requested but no CUDA GPU is available; using the CPU")
    return "cpu"
