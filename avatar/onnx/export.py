"""``avatar export onnx OUT_DIR``: every network, and one avatar's renderer, as ONNX (opset 17).

- speech_encoder.onnx: ``audio`` (1, N) float32 16 kHz -> ``features`` (1, N // 320, 256).
- expression.onnx: ``features`` (1, T, 256) and ``frames`` (F,) int64 (0 .. F-1: only its length
  is read) -> ``expression`` (1, F, 64) in [0, 1] at 30 fps; the channels the motion model owns
  are 0, as in ``infer``.
- motion.onnx: ``features`` (1, T, 7) and ``noise`` (1, T, 6) -> ``outputs`` (1, T, 5) (angles / 5,
  two logits; see avatar/motion/model.py).
- renderer.onnx: ``expression`` (B, 64), ``head`` (B, 3), ``gaze`` (B, 2) -> ``rgb`` (B, 3, S, S)
  in [0, 1] for one avatar at one size (its photo and mesh are constants of the graph).

Time and batch axes are dynamic. Each file gets a sibling ``.json`` with its dims, the source's
SHA-256 and its own. ``quantize_int8`` writes the INT8 variants of the two lip-sync graphs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..audio import SAMPLE_RATE
from ..errors import AvatarError
from ..lipsync.visemes import ANIMATED_CHANNELS
from ..models import sha256_of
from ..motion.model import MotionNet
from ..neural.model import LipSyncNet
from ..render import Renderer

OPSET = 17
EXPORT_VERSION = 2  # part of the runtime cache's key: bump when the graphs change
QUANTIZED = ("speech_encoder", "expression")  # transformers: their MatMuls are most of the weights
# Only MatMul/Gemm: int8 convolutions measured slower than fp32 here (and 3x less accurate).
QUANTIZED_OPS = ["MatMul", "Gemm"]


class _EncoderGraph(nn.Module):
    def __init__(self, net: LipSyncNet) -> None:
        super().__init__()
        self.encoder = net.encoder

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.encoder(audio)[0]  # (1, T, 256); the phone head is for training only


class _ExpressionGraph(nn.Module):
    """What inference computes from features: sigmoid of the expression, unowned channels 0."""

    def __init__(self, net: LipSyncNet) -> None:
        super().__init__()
        self.expression = net.expression
        self.register_buffer("keep", torch.from_numpy(ANIMATED_CHANNELS.astype("float32")))

    def forward(self, features: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        # The frame count is an input, not derived from T: a clip's last frame may be one its
        # whole 20 ms hops do not reach (infer passes the count the same way).
        return torch.sigmoid(self.expression(features, frames.shape[0])) * self.keep  # (1, F, 64)


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], output: str, axes: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about Python control flow on shapes
        torch.onnx.export(
            module.eval(), args, str(path), input_names=inputs, output_names=[output],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )  # fmt: skip


def _describe(path: Path, **meta: Any) -> None:
    meta = {"opset": OPSET, **meta, "sha256": sha256_of(path)}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1, default=lambda o: o.__dict__) + "\n")


def _folder(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AvatarError(f"cannot create {out}: {exc.strerror}") from None
    return out


def export_lipsync(out_dir: str | Path, lipsync: LipSyncNet, source_sha256: str | None) -> list[Path]:
    """Write speech_encoder.onnx and expression.onnx (+ .json) into ``out_dir``."""
    out = _folder(out_dir)
    paths = [out / "speech_encoder.onnx", out / "expression.onnx"]
    audio = torch.zeros(1, SAMPLE_RATE * 2)
    _export(_EncoderGraph(lipsync), (audio,), paths[0], ["audio"], "features",
            {"audio": {1: "samples"}, "features": {1: "steps"}})  # fmt: skip
    features, frames = torch.zeros(1, 100, lipsync.dims.encoder.dim), torch.arange(60)
    _export(_ExpressionGraph(lipsync), (features, frames), paths[1], ["features", "frames"], "expression",
            {"features": {1: "steps"}, "frames": {0: "frames"}, "expression": {1: "frames"}})  # fmt: skip
    for path in paths:
        _describe(path, source_sha256=source_sha256, dims=lipsync.dims)
    return paths


def export_motion(out_dir: str | Path, motion: MotionNet, source_sha256: str | None) -> Path:
    """Write motion.onnx (+ .json) into ``out_dir``."""
    path = _folder(out_dir) / "motion.onnx"
    frames = 60
    inputs = (torch.zeros(1, frames, motion.dims.features), torch.zeros(1, frames, motion.dims.noise))
    _export(motion, inputs, path, ["features", "noise"], "outputs",
            {"features": {1: "frames"}, "noise": {1: "frames"}, "outputs": {1: "frames"}})  # fmt: skip
    _describe(path, source_sha256=source_sha256, dims=motion.dims)
    return path


def export_renderer(path: str | Path, renderer: Renderer, avatar: str) -> Path:
    """Write one avatar's renderer as ONNX (+ .json). It gives the torch renderer's frames to
    within 1/255; it uses gathers (ONNX has no sparse tensors) and runs every layer every batch."""
    path = Path(path)
    _folder(path.parent)
    sparse, skip = renderer.sparse, renderer.skip_idle_layers
    renderer.sparse = renderer.skip_idle_layers = False  # one graph for every input
    try:
        b = 2
        args = (torch.zeros(b, 64), torch.zeros(b, 3), torch.zeros(b, 2))
        axes = {name: {0: "batch"} for name in ("expression", "head", "gaze", "rgb")}
        _export(renderer, args, path, ["expression", "head", "gaze"], "rgb", axes)
    finally:
        renderer.sparse, renderer.skip_idle_layers = sparse, skip
    _describe(path, avatar=avatar, size=renderer.size)
    return path


def quantize_int8(folder: str | Path) -> list[Path]:
    """INT8 variants (``NAME.int8.onnx``) of the lip-sync graphs in ``folder``: onnxruntime's
    dynamic quantization of their MatMul/Gemm weights (activations stay float)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    paths = []
    for name in QUANTIZED:
        src, dst = folder / f"{name}.onnx", folder / f"{name}.int8.onnx"
        logging.disable(logging.WARNING)  # its advice to pre-process (shape inference) first
        try:
            quantize_dynamic(src, dst, op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)
        finally:
            logging.disable(logging.NOTSET)
        _describe(dst, source_sha256=sha256_of(src), quantized=QUANTIZED_OPS)
        paths.append(dst)
    return paths
