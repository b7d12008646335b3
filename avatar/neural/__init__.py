"""Neural lip-sync: wav2vec2-style speech encoder + expression transformer (issue 5, in progress).

The network, its checkpoints and chunked inference are here; the data factory, the training
recipe and shipped weights are still to come, so the pipeline's default stays phonetic.
"""

from .model import LipSyncDims, LipSyncNet, infer, load_model, save_checkpoint

__all__ = ["LipSyncDims", "LipSyncNet", "infer", "load_model", "save_checkpoint"]
