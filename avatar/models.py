"""Loading the networks: the one owner of checkpoints, the shipped weights and the backend.

Every caller (the command line, the pipeline, the service, the stream, the scripts) gets its
networks here, as whisper's ``load_model``: ``load_lipsync`` and ``load_motion`` on the
configured backend, precision and device; ``lipsync_net`` and ``motion_net`` as plain torch
modules. A checkpoint describes itself, ``{"dims": asdict(dims), "state_dict": ..., **meta}``;
loading rebuilds the network from its dims and, for the shipped weights, first checks the
file's SHA-256. ``save_checkpoint`` writes one atomically. Importing this module is cheap:
torch and the networks load on the first call.

Model card: the shipped weights (``avatar/assets``).

- lipsync.pt: ``avatar data synth --hours 6 --out data/synth --seed 0`` (7.5 min), then
  ``avatar train --config configs/train.yaml`` (stage 1: 3000 steps with a 182 ms look-ahead,
  67 min on 2 cores), ``avatar train --config configs/train_finetune.yaml`` (stage 2: 1000 steps
  more at a 75 ms look-ahead, 24 min), ``avatar data capture`` on ../shared/data/av/grid_s1 and
  diverse (about 37 min), and ``avatar train --config configs/train_real.yaml`` (stage 3: 1500
  steps with real faces, 28 min); stored as float16 (9.9 MB). One set of weights for offline use
  and live streams; it runs at 30 fps (``dims.expression.fps``). Data, licences, the
  development split and figures: the README's model card.
- motion.pt: ``avatar train-motion --config configs/train_motion.yaml`` on the same data
  (2.5 min, 0.3 MB).
- mouth.pt: the learned mouth (``render.mouth: learned``): ``avatar data mouth`` on
  ../shared/data/av (self-reenactment pairs), then ``avatar train-mouth --config
  configs/train_mouth.yaml``. Data, figures: the README's model card.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AvatarError

if TYPE_CHECKING:
    from torch import nn

    from .config import Config
    from .motion.model import MotionNet
    from .motion.sampler import MotionModel
    from .neural.lipsync import LipSyncNetwork
    from .neural.model import LipSyncNet
    from .portrait import Avatar
    from .portrait.align import AlignedFace
    from .render import Renderer
    from .render.mouth_net import MouthNet

Checkpoint = str | os.PathLike | None  # a checkpoint file; None: the shipped weights

# kind -> (file in avatar/assets, the SHA-256 it must match)
SHIPPED = {
    "lipsync": ("lipsync.pt", "0dfdc056b765fc4ebfa50511c1bfdd6c54f968b1c700933f8d7cfc8c44a63537"),
    "motion": ("motion.pt", "294f8d10c852e607e2e0c17235812d1a6fc21841822ef0f72f1043ee3503abbe"),
    "mouth": ("mouth.pt", "2a295707c744d63a94c0defc8f3ec0e4035e836103067a08d1127cdb6e2c482e"),
}


def sha256_of(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def shipped(kind: str) -> tuple[Path, str] | None:
    """(path, expected SHA-256) of the shipped ``kind`` weights (a key of SHIPPED), or None if
    they are not installed."""
    name, sha256 = SHIPPED[kind]
    path = Path(str(resources.files("avatar.assets"))) / name
    return (path, sha256) if path.is_file() else None


def checkpoint_path(kind: str, checkpoint: Checkpoint = None) -> tuple[Path, str | None]:
    """``checkpoint`` (SHA-256 None: nothing to check it against), else the shipped weights of
    ``kind`` ("lipsync", "motion") with the SHA-256 they must match; AvatarError if missing."""
    if checkpoint is not None:
        if not Path(checkpoint).is_file():
            raise AvatarError(f"{kind} checkpoint not found: {checkpoint}")
        return Path(checkpoint), None
    found = shipped(kind)
    if found is None:
        name = SHIPPED[kind][0]
        raise AvatarError(f"the shipped {kind} weights are not installed (no {name}): pass a checkpoint")
    return found


def save_checkpoint(model: nn.Module, path: str | os.PathLike, half: bool = False, **meta: Any) -> str:
    """Write ``model`` (a network with frozen-dataclass ``dims``) as a self-describing
    checkpoint, ``meta`` beside its dims and weights; returns the file's SHA-256.

    ``half`` stores the weights as float16 (half the size, for shipping); they load back into
    the float32 network unchanged in every other respect. The file is written beside ``path``
    and renamed into place, so a reader never sees half a checkpoint.
    """
    import torch

    state = model.state_dict()
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save({"dims": asdict(model.dims), "state_dict": state, **meta}, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AvatarError(f"cannot write the checkpoint {path}: {exc.strerror}") from None
    return sha256_of(path)


def read_checkpoint(kind: str, checkpoint: Checkpoint = None, device: str = "cpu") -> dict[str, Any]:
    """The payload of a ``kind`` checkpoint (dims, state_dict, meta), its tensors on ``device``;
    the shipped weights' SHA-256 is checked first (AvatarError if they were changed)."""
    import torch

    path, sha256 = checkpoint_path(kind, checkpoint)
    if sha256 is not None and sha256_of(path) != sha256:
        raise AvatarError(f"{kind} checkpoint {path} does not match its SHA-256: corrupt or replaced")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several kinds for a file that is not a checkpoint
        raise AvatarError(f"{kind} checkpoint {path} cannot be read: {exc.__class__.__name__}") from None
    if not isinstance(payload, dict) or not {"dims", "state_dict"} <= payload.keys():
        raise AvatarError(f"{kind} checkpoint {path} is not self-describing: no dims and state_dict")
    return payload


def lipsync_net(checkpoint: Checkpoint = None, device: str = "cpu") -> LipSyncNet:
    """The lip-sync network in torch, fp32, eval mode, rebuilt from ``checkpoint`` (default: the
    shipped weights, SHA-256 checked); float16 weights load as float32."""
    from .neural.model import LipSyncDims, LipSyncNet

    return _rebuild("lipsync", checkpoint, device, lambda dims: LipSyncNet(LipSyncDims.from_dict(dims)))


def motion_net(checkpoint: Checkpoint = None) -> MotionNet:
    """The motion network in torch, eval mode, on the CPU (it is tiny), rebuilt from
    ``checkpoint`` (default: the shipped weights, SHA-256 checked)."""
    from .motion.model import MotionDims, MotionNet

    return _rebuild("motion", checkpoint, "cpu", lambda dims: MotionNet(MotionDims.from_dict(dims)))


def mouth_net(checkpoint: Checkpoint = None) -> MouthNet:
    """The learned mouth's network in torch, fp32, eval mode, on the CPU, rebuilt from
    ``checkpoint`` (default: the shipped weights, SHA-256 checked)."""
    from .render.mouth_net import MouthDims, MouthNet

    return _rebuild("mouth", checkpoint, "cpu", lambda dims: MouthNet(MouthDims.from_dict(dims)))


_MOUTHS: dict[tuple[str, str], MouthNet] = {}


def load_mouth(cfg: Config, device: str | None = None) -> MouthNet | None:
    """The mouth network ``render.mouth`` asks for: the learned one (``render.mouth_model``, else
    the shipped weights) on ``device`` (default ``inference.device``), loaded once per process and
    device and shared by every renderer there; None for the procedural mouth."""
    from .device import resolve_device

    if cfg.inference.render.mouth == "procedural":
        return None
    checkpoint = cfg.inference.render.mouth_model
    key = (str(checkpoint), device or resolve_device(cfg.inference.device))
    if key not in _MOUTHS:
        _MOUTHS[key] = mouth_net(checkpoint).to(key[1])
    return _MOUTHS[key]


def load_renderer(
    avatar: Avatar | AlignedFace, size: int, cfg: Config, device: str | None = None
) -> Renderer:
    """The renderer of ``avatar`` (an enrolled avatar, or any aligned face) at ``size`` as
    configured: its mouth (``render.mouth``), on ``device`` (default ``inference.device``)."""
    from .device import resolve_device
    from .render import Renderer

    device = device or resolve_device(cfg.inference.device)
    renderer = Renderer(avatar.image, avatar.landmarks, size, mouth=load_mouth(cfg, device))
    return renderer.to(device)


def _rebuild(kind: str, checkpoint: Checkpoint, device: str, build: Callable[[dict], nn.Module]) -> Any:
    payload = read_checkpoint(kind, checkpoint, device)
    try:
        model = build(payload["dims"])
        model.load_state_dict(payload["state_dict"])
    except (AttributeError, KeyError, TypeError, RuntimeError) as exc:  # another network's dims or weights
        path = checkpoint_path(kind, checkpoint)[0]
        raise AvatarError(f"{path} is not a {kind} checkpoint ({exc.__class__.__name__})") from None
    return model.to(device).eval()


def _sha256(kind: str, checkpoint: Checkpoint) -> str:
    """The SHA-256 of a ``kind`` checkpoint (the shipped one's from SHIPPED: no second read)."""
    path, sha256 = checkpoint_path(kind, checkpoint)
    return sha256 or sha256_of(path)


def load_lipsync(cfg: Config, checkpoint: Checkpoint = None) -> LipSyncNetwork:
    """The lip-sync network as configured (``inference.backend``, ``precision``, ``device``): a
    torch LipSyncNet or its onnxruntime twin; ``checkpoint`` default the shipped weights."""
    from .device import resolve_device

    inference = cfg.inference
    device = resolve_device(inference.device)
    if inference.backend == "onnx":
        from .onnx.runtime import onnx_lipsync

        net = lipsync_net(checkpoint)  # the shipped file is checked before anything is derived from it
        return onnx_lipsync(net, _sha256("lipsync", checkpoint), inference.precision == "int8", device)
    if inference.precision == "fp16" and device != "cuda":
        raise AvatarError("precision: fp16 needs a CUDA GPU and none is available (use fp32)")
    network = lipsync_net(checkpoint, device)
    return network.half() if inference.precision == "fp16" else network


def load_motion(cfg: Config, checkpoint: Checkpoint = None) -> MotionModel:
    """The motion model (network + the run's seeded draws) as configured: torch, or onnxruntime
    with ``backend: onnx``; ``checkpoint`` default the shipped weights."""
    from .motion.sampler import MotionModel

    if cfg.inference.backend == "onnx":
        from .device import resolve_device
        from .onnx.runtime import onnx_motion

        net = motion_net(checkpoint)
        device = resolve_device(cfg.inference.device)
        return MotionModel(onnx_motion(net, _sha256("motion", checkpoint), device), cfg)
    return MotionModel(motion_net(checkpoint), cfg)
