"""Neural lip-sync: wav2vec2-style speech encoder + expression transformer, from audio alone.

The network, chunked inference and training are here (the data it learns from is avatar/data;
avatar/models.py saves and loads its checkpoints and the shipped weights, avatar/assets/lipsync.pt).
The pipeline's default stays phonetic: against real speakers' mouths (GRID) the network does not
beat the phonetic path with a transcript (README).
"""

from .model import LipSyncDims, LipSyncNet, infer

__all__ = ["LipSyncDims", "LipSyncNet", "infer"]
