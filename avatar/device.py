"""Pick the compute device: ``cuda`` without a GPU falls back to the CPU with one warning."""

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
        return "cuda"
    if requested == "cuda":
        log.warning("device 'cuda' requested but no CUDA GPU is available; using the CPU")
    return "cpu"
