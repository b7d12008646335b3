"""``backend: onnx``: the lip-sync and motion networks in onnxruntime.

The graphs are exported from the checkpoints on first use into ``$AVATAR_HOME/onnx/<sha>/``
(a few seconds, once per checkpoint) and quantized there for ``precision: int8``. The CPU
provider always; CUDA's first where ``device`` resolves to cuda and onnxruntime has it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..audio import SAMPLE_RATE, FrameClock
from ..errors import AvatarError
from ..motion.model import MotionNet
from ..neural.model import LipSyncDims, LipSyncNet, chunk_plan
from ..portrait.store import avatar_home
from .export import EXPORT_VERSION, export_lipsync, export_motion, quantize_int8


def providers(device: str) -> list[str]:
    """onnxruntime providers for ``device`` ("cpu" or "cuda"), best first."""
    import onnxruntime as ort

    if device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def open_session(path: Path, device: str = "cpu", threads: int = 0):  # -> ort.InferenceSession
    """An inference session on ``path``; ``threads`` 0 follows torch's thread count."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: it warns about every CPU fallback on CUDA
    return ort.InferenceSession(str(path), options, providers=providers(device))


def cached_export(sha256: str, write: Callable[[Path], object]) -> Path:
    """``$AVATAR_HOME/onnx/<sha256[:16]>-v<EXPORT_VERSION>``, made by ``write(folder)`` if missing.

    Written into a temporary folder and renamed, so a run cut short never leaves half a model.
    """
    folder = avatar_home() / "onnx" / f"{sha256[:16]}-v{EXPORT_VERSION}"
    if folder.is_dir():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".export-"))
    except OSError as exc:
        raise AvatarError(f"cannot write the ONNX cache in {folder.parent}: {exc.strerror}") from None
    try:
        write(tmp)
        os.replace(tmp, folder)
    except OSError as exc:
        if not folder.is_dir():  # else a concurrent export won the race: use its folder
            raise AvatarError(f"cannot write the ONNX cache in {folder.parent}: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


class OnnxLipSync:
    """Audio -> (frames, 64) expression, as ``neural.model.infer`` but in onnxruntime: the same
    chunks (``chunk_plan``), so the same numbers to float rounding."""

    def __init__(self, folder: Path, dims: LipSyncDims, int8: bool = False, device: str = "cpu") -> None:
        suffix = ".int8.onnx" if int8 else ".onnx"
        self.dims = dims
        self.paths = [folder / f"speech_encoder{suffix}", folder / f"expression{suffix}"]
        self.encoder, self.expression = (open_session(path, device) for path in self.paths)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """(N,) audio -> (1, N // hop, dim) speech-encoder features."""
        return self.encoder.run(None, {"audio": audio[None]})[0]

    def expression_of(self, features: np.ndarray, num_frames: int) -> np.ndarray:
        """(1, T, dim) features -> (num_frames, 64) expression."""
        feeds = {"features": features, "frames": np.arange(num_frames, dtype=np.int64)}
        return self.expression.run(None, feeds)[0][0]

    def infer(self, audio: np.ndarray, chunk_s: float = 10.0) -> np.ndarray:
        """(frames, 64) expression for 16 kHz mono ``audio`` of any length, in bounded memory."""
        enc = self.dims.encoder
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        out = np.zeros(
            (FrameClock(self.dims.expression.fps, SAMPLE_RATE).num_frames(len(audio)), 64), np.float32
        )
        for c in chunk_plan(self.dims, len(audio), chunk_s):
            features = self.features(audio[c.audio(enc.hop, enc.receptive_field)])
            expression = self.expression_of(features, c.end - c.start)
            out[c.first : c.last] = expression[c.first - c.start : c.last - c.start]
        return out


class OnnxMotion:
    """The motion network in onnxruntime; called like ``MotionNet`` (torch tensors in and out)."""

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        self.session = open_session(folder / "motion.onnx", device)

    def __call__(self, features: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        feeds = {"features": features.float().numpy(), "noise": noise.float().numpy()}
        return torch.from_numpy(self.session.run(None, feeds)[0])

    def eval(self) -> OnnxMotion:
        return self


def onnx_lipsync(net: LipSyncNet, sha256: str, int8: bool = False, device: str = "cpu") -> OnnxLipSync:
    """``net`` in onnxruntime (exported and quantized once, then cached under its checkpoint's
    ``sha256``; avatar.models.load_lipsync checks the file and passes both)."""

    def write(folder: Path) -> None:
        export_lipsync(folder, net, sha256)
        quantize_int8(folder)

    return OnnxLipSync(cached_export(sha256, write), net.dims, int8, device)


def onnx_motion(net: MotionNet, sha256: str, device: str = "cpu") -> OnnxMotion:
    """``net`` in onnxruntime (exported once, then cached under its checkpoint's ``sha256``)."""
    return OnnxMotion(cached_export(sha256, lambda folder: export_motion(folder, net, sha256)), device)
