"""Training the learned mouth (``avatar train-mouth``) on self-reenactment pairs of real faces.

Each pair folder (``avatar data mouth``) holds, per clip, the enrolled neutral and, per frame,
the warped mouth box before the mouth layer and the real mouth box. A step draws
``clips_per_step`` clips and ``frames_per_clip`` frames of each, composites the network's mouth
into the warped box exactly as the renderer does (learned_mouth.LearnedMouth) and scores it
against the real box inside the ring the network may touch (the lips as the real frame's face
mesh found them, ``geometry: real``, so that teeth are learnt where the real lips show them;
or as rendered from the capture, ``rendered``; or a coin per clip and step, ``mixed``): L1,
plus 1 - SSIM (Gaussian window, sigma 1.5) and an L1 on horizontal and vertical differences,
which keep teeth edges sharp where L1 alone would blur them, and with ``adversarial_weight`` a
patch critic's hinge term (mouth_critic.py). Colours are jittered per clip (photo and frame
alike) so that the network reads colours from the photo, not from the few people it saw.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..config import MouthTrainConfig
from ..errors import AvatarError
from .learned_mouth import NUM_FEATURES, LearnedMouth
from .mouth import mouth_opening
from .mouth_critic import MouthCritic, critic_loss, generator_loss
from .mouth_net import MouthDims, MouthNet
from .renderer import Renderer

Log = Callable[[str], None]


@dataclass
class PairClip:
    """One clip's pairs, ready for the network: uint8 boxes as (N, 3, h, w) tensors."""

    name: str
    layer: LearnedMouth
    region: torch.Tensor
    real: torch.Tensor
    pts: torch.Tensor  # (N, 478, 2) the rendered lips (deformed landmarks)
    real_pts: torch.Tensor  # (N, 478, 2) the real frame's, aligned alike
    expression: torch.Tensor  # (N, 64)
    pixels: torch.Tensor  # (h * w, 2) the box's pixel positions, as the renderer's mouth_pixels


def mouth_dims(overrides: dict) -> MouthDims:
    """The recipe's MouthDims: the defaults with ``overrides``; AvatarError for unknown keys."""
    known = {f.name for f in fields(MouthDims)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise AvatarError(f"model: unknown MouthDims keys {unknown} (known: {sorted(known)})")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return MouthDims(**{**asdict(MouthDims()), "in_channels": NUM_FEATURES, **values})


def load_pairs(folder: Path, net: MouthNet) -> list[PairClip]:
    """Every clip file of a pair folder, each with its avatar's mouth layer around ``net``."""
    paths = sorted(folder.glob("*.npz"))
    if not paths:
        raise AvatarError(f"{folder}: no pair files (make them with `avatar data mouth`)")
    clips = []
    for path in paths:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        renderer = Renderer(arrays["image"], arrays["landmarks"], int(arrays["size"]), mouth=net)
        boxes = {
            k: torch.from_numpy(np.ascontiguousarray(arrays[k].transpose(0, 3, 1, 2)))
            for k in ("region", "real")
        }
        pts, expression = torch.from_numpy(arrays["pts"]), torch.from_numpy(arrays["expression"])
        real_pts = torch.from_numpy(arrays["real_pts"])
        clips.append(
            PairClip(
                path.stem,
                renderer.learned,
                boxes["region"],
                boxes["real"],
                pts,
                real_pts,
                expression,
                renderer.mouth_pixels,
            )
        )
    return clips


def _gaussian(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) SSIM per pixel and channel of images in [0, 1] (Gaussian window, sigma 1.5)."""
    c = a.shape[1]
    g = _gaussian().to(a)
    kx, ky = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1), g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(F.pad(x, (5, 5, 0, 0), mode="reflect"), kx, groups=c)
        return F.conv2d(F.pad(x, (0, 0, 5, 5), mode="reflect"), ky, groups=c)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def _weighted(err: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (err * weight).sum() / (weight.sum().clamp_min(1.0) * err.shape[1])


def mouth_loss(
    out: torch.Tensor, real: torch.Tensor, ring: torch.Tensor, cfg: MouthTrainConfig
) -> torch.Tensor:
    """The ring-weighted L1 + SSIM + gradient loss of composited boxes (B, 3, h, w)."""
    weight = ring.detach()  # (B, 1, h, w)
    loss = _weighted(torch.abs(out - real), weight)
    if cfg.ssim_weight:
        loss = loss + cfg.ssim_weight * _weighted(1.0 - ssim_map(out, real), weight)
    if cfg.gradient_weight:
        for dim in (2, 3):
            d_out, d_real = torch.diff(out, dim=dim), torch.diff(real, dim=dim)
            both = torch.minimum(
                weight.narrow(dim, 0, weight.shape[dim] - 1), weight.narrow(dim, 1, weight.shape[dim] - 1)
            )
            loss = loss + cfg.gradient_weight * _weighted(torch.abs(d_out - d_real), both)
    return loss


def _batch(clip: PairClip, idx: torch.Tensor, gain: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
    region = clip.region[idx].float() / 255.0
    real = clip.real[idx].float() / 255.0
    if gain is not None:
        region, real = (region * gain).clamp(0, 1), (real * gain).clamp(0, 1)
    return region, real, clip.expression[idx]


def composite(
    clip: PairClip,
    idx: torch.Tensor,
    cfg: MouthTrainConfig,
    gain: torch.Tensor | None = None,
    real_lips: bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frames ``idx`` of one clip as the renderer composites them, colours scaled by ``gain``
    (1, 3, 1, 1) if given, drawn against the real lips or the rendered ones (``real_lips``; None:
    as cfg.geometry says, the real ones for "mixed"). Returns the composited boxes, the real
    ones (B, 3, h, w) and the ring the network may touch (B, 1, h, w)."""
    region, real, expression = _batch(clip, idx, gain)
    if real_lips is None:
        real_lips = cfg.geometry != "rendered"
    pts = (clip.real_pts if real_lips else clip.pts)[idx]
    layer = clip.layer
    photo = layer.photo
    if gain is not None:
        layer.photo = ((photo + 0.5) * gain.view(1, 3, 1, 1).repeat(1, 2, 1, 1) - 0.5).clamp(-0.5, 0.5)
    try:
        h, w = region.shape[-2:]
        mask = mouth_opening(clip.pixels, pts)[0].view(-1, 1, h, w)
        own = torch.zeros_like(mask)
        out, ring = layer(region, pts, expression, mask, own)
    finally:
        layer.photo = photo
    return out, real, ring


def clip_loss(clip: PairClip, idx: torch.Tensor, cfg: MouthTrainConfig) -> torch.Tensor:
    """The loss on frames ``idx`` of one clip, as cfg.geometry says (no jitter, no critic)."""
    return mouth_loss(*composite(clip, idx, cfg), cfg)


def draw_weights(folders: list[list[PairClip]], share: list[float] | None) -> np.ndarray:
    """Each training clip's chance of a draw, clips in folder order: by the square root of its
    frames (long clips count, but do not swamp), scaled so that each folder gets its ``share`` of
    the draws if given."""
    parts = []
    for k, pairs in enumerate(folders):
        w = np.sqrt([c.region.shape[0] for c in pairs], dtype=np.float64)
        if share is not None and len(w):
            w *= share[k] / w.sum()
        parts.append(w)
    weights = np.concatenate(parts)
    return weights / weights.sum()


@torch.no_grad()
def evaluate(clips: list[PairClip], cfg: MouthTrainConfig, frames: int = 64) -> float:
    """Mean loss over up to ``frames`` evenly spaced frames of each clip."""
    losses = []
    for clip in clips:
        n = clip.region.shape[0]
        idx = torch.linspace(0, n - 1, min(n, frames)).round().long()
        losses.append(float(clip_loss(clip, idx, cfg)))
    return float(np.mean(losses)) if losses else math.nan


def train_mouth(cfg: MouthTrainConfig, log: Log = print) -> str:
    """Train from the recipe and write its checkpoint; returns the SHA-256 of the file."""
    from ..models import save_checkpoint

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    dims = mouth_dims(cfg.model)
    net = MouthNet(dims)
    held_out = set(cfg.val)
    folders = [load_pairs(Path(folder), net) for folder in cfg.data]
    val = [c for pairs in folders for c in pairs if c.name in held_out]
    missing = sorted(held_out - {c.name for c in val})
    if missing:
        raise AvatarError(f"val: no pair file for {missing}")
    folders = [[c for c in pairs if c.name not in held_out] for pairs in folders]
    train = [c for pairs in folders for c in pairs]
    weights = draw_weights(folders, cfg.data_share)
    frames = sum(c.region.shape[0] for c in train)
    log(f"{len(train)} training clips ({frames} frames), {len(val)} held out; "
        f"{sum(p.numel() for p in net.parameters())} parameters")  # fmt: skip
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.steps, pct_start=0.05)
    critic = MouthCritic() if cfg.adversarial_weight else None
    # the usual GAN betas: the critic's target moves, so Adam's momentum must be short
    critic_opt = torch.optim.Adam(critic.parameters(), lr=cfg.lr / 3, betas=(0.5, 0.9)) if critic else None
    start = time.perf_counter()
    history = []
    for step in range(1, cfg.steps + 1):
        net.train()
        loss = torch.zeros(())
        drawn = []
        for k in rng.choice(len(train), cfg.clips_per_step, p=weights):
            clip = train[k]
            idx = torch.from_numpy(rng.integers(0, clip.region.shape[0], cfg.frames_per_clip))
            gain = torch.from_numpy(1.0 + rng.uniform(-cfg.colour_jitter, cfg.colour_jitter, 3)).float()
            real_lips = bool(rng.random() < 0.5) if cfg.geometry == "mixed" else None
            out, real, ring = composite(clip, idx, cfg, gain.view(1, 3, 1, 1), real_lips)
            term = mouth_loss(out, real, ring, cfg)
            if critic is not None:
                term = term + cfg.adversarial_weight * generator_loss(critic, out, ring)
                drawn.append((real, out, ring))
            loss = loss + term / cfg.clips_per_step
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if critic is not None:
            critic_opt.zero_grad(set_to_none=True)  # drops what the network's loss left on it
            sum(critic_loss(critic, *d) for d in drawn).backward()
            critic_opt.step()
        if step % cfg.eval_every == 0 or step == cfg.steps:
            net.eval()
            score = evaluate(val, cfg)
            history.append(
                {"step": step, "train_loss": round(float(loss.detach()), 5), "val_loss": round(score, 5)}
            )
            log(f"step {step}/{cfg.steps}  loss {float(loss.detach()):.4f}  val {score:.4f}  "
                f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    net.eval()
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sha = save_checkpoint(net, out, half=cfg.half, recipe=cfg.model_dump(), history=history)
    log(f"wrote {out} (SHA-256 {sha})")
    return sha
