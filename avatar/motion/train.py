"""Training the motion network on generated targets (``avatar train-motion --config ...``).

The audio is the data factory's speech (``avatar data synth``), strung into "conversations":
several utterances with pauses between them, so that phrases start and end as in real talk.
For each, the prosody, the seeded noise and the generator's targets; the network learns the
head angles (L1), the gaze state and the blink onsets (cross-entropy). Reproducible for a seed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from ..audio import FPS, SAMPLE_RATE, clean_audio
from ..config import Config, MotionTrainConfig, load_config
from ..errors import AvatarError
from ..models import save_checkpoint
from .generator import generate, noise
from .model import HEAD_SCALE_DEG, MotionDims, MotionNet
from .prosody import prosody

GAP_S = (0.2, 2.0)  # pauses between the utterances of a conversation
UTTERANCES_PER_CONVERSATION = 6


def _conversations(folder: Path, hours: float, rng: np.random.Generator) -> list[np.ndarray]:
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise AvatarError(f"no training data in {folder}: run 'avatar data synth --out {folder}' first")
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    entries = [e for e in entries if e.get("speech_s", 0) > 0]
    order = rng.permutation(len(entries))
    out, total = [], 0.0
    for first in range(0, len(order), UTTERANCES_PER_CONVERSATION):
        pieces = []
        for i in order[first : first + UTTERANCES_PER_CONVERSATION]:
            audio, _ = sf.read(folder / entries[i]["audio"], dtype="float32")
            pieces += [audio, np.zeros(int(rng.uniform(*GAP_S) * SAMPLE_RATE), np.float32)]
        out.append(np.concatenate(pieces))
        total += len(out[-1]) / SAMPLE_RATE / 3600
        if total >= hours:
            break
    return out


def make_examples(
    folder: str | Path, hours: float, seed: int, cfg: Config | None = None
) -> list[tuple[np.ndarray, ...]]:
    """[(features (T, F), noise (T, N), head (T, 3), averted (T,), blink onsets (T,))] per conversation."""
    cfg = cfg or load_config()
    rng = np.random.default_rng(seed)
    examples = []
    for audio in _conversations(Path(folder), hours, rng):
        clean = clean_audio(
            audio, SAMPLE_RATE, cfg.inference.audio.target_rms_dbfs, cfg.inference.audio.peak_limit
        )
        p = prosody(clean, cfg)
        z = noise(len(p.features), p.fps, rng)
        t = generate(p, z, rng)
        examples.append((p.features, z, t.head, t.averted, t.blink_onset))
    return examples


def _batch(examples: list, frames: int, size: int, rng: np.random.Generator) -> list[torch.Tensor]:
    cols: list[list[np.ndarray]] = [[] for _ in range(5)]
    for _ in range(size):
        ex = examples[int(rng.integers(len(examples)))]
        start = int(rng.integers(0, max(1, len(ex[0]) - frames)))
        for k in range(5):
            piece = ex[k][start : start + frames]
            pad = [(0, frames - len(piece))] + [(0, 0)] * (piece.ndim - 1)
            cols[k].append(np.pad(piece, pad))
    return [torch.from_numpy(np.stack(c)).float() for c in cols]


def loss_fn(model: MotionNet, batch: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    features, z, head, averted, blink = batch
    out = model(features, z)  # (B, T, 5)
    head_l1 = (out[..., :3] - head / HEAD_SCALE_DEG).abs().mean()
    gaze_ce = F.binary_cross_entropy_with_logits(out[..., 3], averted)
    blink_ce = F.binary_cross_entropy_with_logits(out[..., 4], blink)
    total = head_l1 + 0.5 * gaze_ce + 2.0 * blink_ce
    return total, {
        "head_l1_deg": head_l1.item() * HEAD_SCALE_DEG,
        "gaze_ce": gaze_ce.item(),
        "blink_ce": blink_ce.item(),
    }


def train_motion(cfg: MotionTrainConfig, log: Callable[[str], None] = print) -> Path:
    """Train from the recipe ``cfg``; writes the checkpoint to ``cfg.out`` and returns its path."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    start = time.perf_counter()
    examples = make_examples(cfg.data_dir, cfg.hours, cfg.seed)
    held_out, examples = examples[:2], examples[2:] or examples[:2]
    log(f"{len(examples)} conversations for training, 2 held out [{time.perf_counter() - start:.0f} s]")
    model = MotionNet(MotionDims(hidden=cfg.hidden))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    frames = int(cfg.window_s * FPS)
    val = _batch(held_out, frames, 16, np.random.default_rng(cfg.seed + 1))
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 * (1 + np.cos(np.pi * step / cfg.steps))
        loss, _ = loss_fn(model, _batch(examples, frames, cfg.batch_size, rng))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % max(1, cfg.steps // 5) == 0 or step + 1 == cfg.steps:
            with torch.no_grad():
                _, parts = loss_fn(model.eval(), val)
            model.train()
            figures = ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
            log(f"step {step + 1}/{cfg.steps}: held out {figures} [{time.perf_counter() - start:.0f} s]")
    model.eval()
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    digest = save_checkpoint(model, out, train=cfg.model_dump(), metrics=parts)
    log(f"wrote {out} (sha256 {digest})")
    return out
