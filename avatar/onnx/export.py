"""``avatar export onnx OUT_DIR``: the lip-sync and motion networks as ONNX files (opset 17).

lipsync.onnx: ``audio`` (1, N) float32 16 kHz -> ``expression`` (1, T, 64) in [0, 1], T frames at
30 fps, N and T dynamic; the same numbers as one torch pass (``LipSyncNet`` + sigmoid, channels
the motion model owns zeroed). motion.onnx: ``features`` (1, T, 7) and ``noise`` (1, T, 6) ->
``outputs`` (1, T, 5) (angles / 5, two logits; see avatar/motion/model.py). Each file gets a
sibling ``.json`` with the dims, the source checkpoint's SHA-256 and the export's own.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import AvatarError
from ..lipsync.visemes import ANIMATED_CHANNELS
from ..motion.model import MotionNet
from ..neural.model import LipSyncNet, file_sha256

OPSET = 17


class _LipSyncGraph(nn.Module):
    """What inference computes, as one graph: sigmoid of the expression, unowned channels 0."""

    def __init__(self, net: LipSyncNet) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("keep", torch.from_numpy(ANIMATED_CHANNELS.astype("float32")))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        logits, _ = self.net(audio)  # (1, T, 64)
        return torch.sigmoid(logits) * self.keep


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], output: str, axes: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about Python control flow on shapes
        torch.onnx.export(
            module.eval(), args, str(path), input_names=inputs, output_names=[output],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )  # fmt: skip


def export_onnx(
    out_dir: str | Path, lipsync: LipSyncNet, motion: MotionNet, sources: dict[str, str]
) -> list[Path]:
    """Write lipsync.onnx and motion.onnx (+ .json) into ``out_dir``; returns the ONNX paths."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AvatarError(f"cannot create {out}: {exc.strerror}") from None
    paths = [out / "lipsync.onnx", out / "motion.onnx"]
    audio = torch.zeros(1, 16000 * 2)
    _export(_LipSyncGraph(lipsync), (audio,), paths[0], ["audio"], "expression",
            {"audio": {1: "samples"}, "expression": {1: "frames"}})  # fmt: skip
    frames = 60
    features = torch.zeros(1, frames, motion.dims.features)
    noise = torch.zeros(1, frames, motion.dims.noise)
    _export(motion, (features, noise), paths[1], ["features", "noise"], "outputs",
            {"features": {1: "frames"}, "noise": {1: "frames"}, "outputs": {1: "frames"}})  # fmt: skip
    for path, name, dims in zip(paths, ("lipsync", "motion"), (lipsync.dims, motion.dims), strict=True):
        meta = {"opset": OPSET, "source_sha256": sources.get(name), "sha256": file_sha256(path)}
        meta["dims"] = json.loads(json.dumps(dims, default=lambda o: o.__dict__))
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return paths
