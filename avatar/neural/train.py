"""Training the neural lip-sync on the data factory's output (``avatar train --config ...``).

Synthetic targets are the phonetic animator's 64-d curves at 30 fps and phone labels at 50 Hz,
both made by ``avatar data synth``; real targets are real faces captured by ``avatar data
capture`` (``data.real``, real_clips.py), mixed into every batch at ``data.real_share``. Loss:
L1 on the speech channels of the expression (on real clips only the channels capture measures,
weighted by its confidence), L1 on their frame-to-frame change, L1 on the mouth's aperture and
width that the channels add up to (``shape_loss_weight``), 1 - the Pearson r of that aperture
per crop (``aperture_r_loss_weight``), and cross-entropy on the phones (synthetic, and real
clips whose phones pocketsphinx labelled). Reproducible for a seed on the CPU.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from ..audio import SAMPLE_RATE, clean_audio
from ..config import TrainConfig, TrainOptimConfig
from ..data.augment import recording_chain
from ..errors import AvatarError
from ..eval.metrics import pearson
from ..expression.channels import CHANNEL_INDEX
from ..lipsync.visemes import ANIMATED_CHANNELS
from ..models import lipsync_net, save_checkpoint
from .expression_model import ExpressionDims
from .model import LipSyncDims, LipSyncNet, infer
from .real_clips import RealClip, load_real, mouth_shape_weights
from .speech_encoder import FRAME_RATE, SpeechEncoderDims

PERIOD = 3  # video frames per 1600 samples = 5 encoder frames: crops start on these boundaries
PERIOD_SAMPLES = 1600
IGNORE = -100  # phone label of padding
APERTURE_VAR_MIN = 1e-4  # (eye distances)^2: a crop whose target aperture varies less is a still mouth


@dataclass
class Utterance:
    """One utterance in memory: audio (N,), phones at 50 Hz (T50,), targets and their loss
    weights at 30 fps (T30, 64)."""

    id: str
    split: str
    audio: np.ndarray
    phones: np.ndarray
    targets: np.ndarray
    weights: np.ndarray


def load_utterance(folder: Path, entry: dict) -> Utterance:
    """One utterance of a data-factory folder (its manifest entry ``entry``)."""
    uid = entry["id"]
    audio, rate = sf.read(folder / "audio" / f"{uid}.flac", dtype="float32")
    if rate != SAMPLE_RATE or audio.ndim != 1:
        raise AvatarError(f"{uid}: expected 16 kHz mono audio in the data folder")
    labels = np.load(folder / "labels" / f"{uid}.npz")
    targets = labels["targets30"].astype(np.float32)
    weights = np.broadcast_to(ANIMATED_CHANNELS.astype(np.float32), targets.shape)  # eyes, brows: not audio's
    return Utterance(
        uid, entry.get("split", "train"), audio, labels["phones50"].astype(np.int64), targets, weights
    )


def _real(clip: RealClip) -> Utterance:
    phones = np.full(len(clip.audio) * FRAME_RATE // SAMPLE_RATE, IGNORE, np.int64)  # unlabelled: no loss
    if clip.phones is not None:
        n = min(len(phones), len(clip.phones))
        phones[:n] = clip.phones[:n]
    return Utterance(clip.name, clip.split, clip.audio, phones, clip.targets, clip.weights)


def load_dataset(folder: str | Path) -> list[Utterance]:
    """Every utterance listed in ``folder/manifest.jsonl``."""
    folder = Path(folder)
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise AvatarError(f"no training data in {folder}: run 'avatar data synth --out {folder}' first")
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    return [load_utterance(folder, e) for e in entries]


Crop = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # audio, phones, targets, weights


def _crop(u: Utterance, crop_s: float, rng: np.random.Generator) -> Crop:
    """A random window aligned to the 1600-sample period, with its labels."""
    periods = len(u.audio) // PERIOD_SAMPLES
    want = max(1, int(crop_s * SAMPLE_RATE) // PERIOD_SAMPLES)
    start = int(rng.integers(0, max(periods - want, 0) + 1))
    n = min(want, periods - start)
    audio = u.audio[start * PERIOD_SAMPLES : (start + n) * PERIOD_SAMPLES]
    phones = u.phones[start * 5 : (start + n) * 5]
    frames = slice(start * PERIOD, (start + n) * PERIOD)
    return audio, phones, u.targets[frames], u.weights[frames]


def _recorded(crop: Crop, rng: np.random.Generator) -> Crop:
    """A real crop as another room and microphone would have heard it, cleaned again as the
    pipeline cleans what it hears; timing and labels unchanged."""
    audio, *labels = crop
    speech = np.ones(len(audio), bool)  # real clips carry no speech mask; their pauses are short
    return (clean_audio(recording_chain(audio, speech, rng, {})), *labels)


def _batch(items: list[Crop]) -> tuple[torch.Tensor, ...]:
    """Pad to the longest crop: audio with zeros, phones with IGNORE, targets with weight 0."""
    periods = max(len(a) // PERIOD_SAMPLES for a, *_ in items)
    audio = np.zeros((len(items), periods * PERIOD_SAMPLES), np.float32)
    phones = np.full((len(items), periods * 5), IGNORE, np.int64)
    targets = np.zeros((len(items), periods * PERIOD, 64), np.float32)
    weights = np.zeros((len(items), periods * PERIOD, 64), np.float32)
    for i, (a, p, t, w) in enumerate(items):
        audio[i, : len(a)] = a
        phones[i, : len(p)] = p[: periods * 5]
        targets[i, : len(t)] = t
        weights[i, : len(w)] = w
    return tuple(torch.from_numpy(x) for x in (audio, phones, targets, weights))


def loss_fn(
    model: LipSyncNet,
    batch: tuple[torch.Tensor, ...],
    o: TrainOptimConfig,
    shape: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The training loss of ``batch`` under the weights of ``o``, and its parts (floats, for logs).
    ``shape`` (64, 2) sums the channels into the inner-lip aperture and mouth width (real_clips)."""
    audio, phones, targets, weights = batch
    logits, phone_logits = model(audio)
    n = min(logits.shape[1], targets.shape[1])
    pred, targets, weights = torch.sigmoid(logits[:, :n]), targets[:, :n], weights[:, :n]
    events = torch.zeros(weights.shape[-1])
    for name in o.event_channels:
        events[CHANNEL_INDEX[name]] = 1.0
    weight = weights * (1.0 - events)
    l1 = ((pred - targets).abs() * weight).sum() / weight.sum().clamp_min(1.0)
    vel_w = weight[:, 1:] * weight[:, :-1]
    velocity = ((pred.diff(dim=1) - targets.diff(dim=1)).abs() * vel_w).sum() / vel_w.sum().clamp_min(1.0)
    m = min(phone_logits.shape[1], phones.shape[1])
    labelled = phones[:, :m] != IGNORE
    ce = (
        F.cross_entropy(phone_logits[:, :m].transpose(1, 2), phones[:, :m], ignore_index=IGNORE)
        if labelled.any()
        else phone_logits.sum() * 0.0  # a batch of real clips only: no phone labels at all
    )
    total = l1 + o.velocity_loss_weight * velocity + o.phone_loss_weight * ce
    parts = {"l1": l1.item(), "velocity": velocity.item(), "phone_ce": ce.item()}
    if shape is not None and o.shape_loss_weight > 0:  # aperture and width: sums of channels (real_clips)
        seen = weight[..., CHANNEL_INDEX["jawOpen"], None]  # (B, T, 1) frames the mouth is known on
        error = ((pred - targets) @ shape).abs()  # (B, T, 2) in eye distances
        shape_l1 = (error * seen).sum() / (2 * seen.sum()).clamp_min(1.0)
        total = total + o.shape_loss_weight * shape_l1
        parts["shape"] = shape_l1.item()
    if shape is not None and o.aperture_r_loss_weight > 0:
        seen = weight[..., CHANNEL_INDEX["jawOpen"]]  # (B, T)
        r = _weighted_pearson(pred @ shape[:, 0], targets @ shape[:, 0], seen)
        if r is not None:
            total = total + o.aperture_r_loss_weight * (1.0 - r)
            parts["aperture_r"] = r.item()
    if o.event_channels:  # the mean, not the median: lipSeal comes out as P(lips sealed)
        ev = weights * events
        bce = F.binary_cross_entropy_with_logits(logits[:, :n], targets, reduction="none")
        event_bce = (bce * ev).sum() / ev.sum().clamp_min(1.0)
        total = total + event_bce
        parts["event_bce"] = event_bce.item()
    return total, parts


def _weighted_pearson(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor | None:
    """The mean over the crops (B, T) of the ``w``-weighted Pearson r of x and y, over the crops
    whose y moves at all (a silent crop has no shape to follow); None if none does."""
    total = w.sum(dim=1).clamp_min(1e-6)  # (B,)
    mx, my = (x * w).sum(dim=1) / total, (y * w).sum(dim=1) / total
    dx, dy = x - mx[:, None], y - my[:, None]
    vx, vy = (w * dx * dx).sum(dim=1) / total, (w * dy * dy).sum(dim=1) / total
    moving = (w.sum(dim=1) >= 10) & (vy > APERTURE_VAR_MIN)
    if not moving.any():
        return None
    r = (w * dx * dy).sum(dim=1) / total / (vx * vy + 1e-12).sqrt()
    return r[moving].mean()


def evaluate(model: LipSyncNet, utterances: list[Utterance], prefix: str = "") -> dict[str, float]:
    """Held-out figures: mean jawOpen Pearson r and speech-channel L1 against the targets, on the
    frames and channels that carry a loss weight (real clips: the captured ones, face found)."""
    model.eval()
    jaw = CHANNEL_INDEX["jawOpen"]
    rs, l1s = [], []
    for u in utterances:
        pred = infer(model, u.audio)
        n = min(len(pred), len(u.targets))
        pred, targets, weights = pred[:n], u.targets[:n], u.weights[:n]
        seen = weights[:, jaw] > 0
        rs.append(pearson(pred[seen, jaw], targets[seen, jaw]) if seen.sum() > 2 else float("nan"))
        l1s.append(float((np.abs(pred - targets) * (weights > 0)).sum() / max((weights > 0).sum(), 1)))
    model.train()
    finite = [r for r in rs if math.isfinite(r)]
    return {
        f"{prefix}jaw_r": float(np.mean(finite)) if finite else float("nan"),
        f"{prefix}l1": float(np.mean(l1s)) if l1s else float("nan"),
    }


def build_model(cfg: TrainConfig) -> LipSyncNet:
    dims = LipSyncDims(
        SpeechEncoderDims(**{**asdict(SpeechEncoderDims()), **cfg.model.get("encoder", {})}),
        ExpressionDims(**{**asdict(ExpressionDims()), **cfg.model.get("expression", {})}),
    )
    return LipSyncNet(dims)


def _person_balanced(clips: list[RealClip], exponent: float) -> np.ndarray:
    """(clips,) sampling probabilities: each person's share goes as their seconds ** exponent,
    shared among their clips by length."""
    seconds = np.array([len(c.audio) for c in clips], np.float64)
    people = [c.speaker for c in clips]
    own = {p: sum(s for s, q in zip(seconds, people, strict=True) if q == p) for p in set(people)}
    total = sum(v**exponent for v in own.values())
    return np.array([own[p] ** exponent / total * s / own[p] for s, p in zip(seconds, people, strict=True)])


def _real_sets(
    cfg: TrainConfig, log: Callable[[str], None]
) -> tuple[list[Utterance], list[Utterance], np.ndarray, dict]:
    """Real training and dev utterances, the sampling probability of each training one (each
    source's ``weight`` shared by its people as ``person_balance`` says, and by each person's
    clips in proportion to their length), and the per-person
    scales applied to their targets."""
    if not cfg.data.real:
        return [], [], np.zeros(0), {}
    clips, scales = load_real(cfg.data.real)
    train_set, dev_set, p = [], [], []
    for source in cfg.data.real:
        own = [c for c in clips if Path(c.source) == Path(source.dir)]
        kept = [c for c in own if c.split == "train"]
        dev_set += [_real(c) for c in own if c.split == "dev"]
        seconds = np.array([len(c.audio) for c in kept], np.float64)
        train_set += [_real(c) for c in kept]
        p += list(source.weight * _person_balanced(kept, source.person_balance)) if kept else []
        offsets = sorted({c.offset_frames for c in own})
        log(
            f"{source.dir}: {len(kept)} clips to train on ({seconds.sum() / SAMPLE_RATE / 60:.1f} min), "
            f"{len(own) - len(kept)} held out, {len({c.speaker for c in kept})} people; "
            + (f"pooled offset {offsets[0]:+d} frames" if source.pooled_offset else f"offsets {offsets}")
        )
    if cfg.data.real_share > 0 and not train_set:
        raise AvatarError("data.real: every usable real clip is in the dev split")
    p = np.asarray(p, np.float64)
    return train_set, dev_set, p / p.sum() if len(p) else p, scales


def train(cfg: TrainConfig, log: Callable[[str], None] = print) -> Path:
    """Train from ``cfg``; writes the checkpoint to ``cfg.out`` and returns its path."""
    o = cfg.optim
    torch.manual_seed(o.seed)
    rng = np.random.default_rng(o.seed)
    if o.threads:
        torch.set_num_threads(o.threads)
    data = load_dataset(cfg.data.dir)
    train_set = [u for u in data if u.split == "train"]
    val_set = [u for u in data if u.split != "train"] or train_set[:2]
    if o.eval_clips and len(val_set) > o.eval_clips:  # an evaluation costs minutes on 587 clips
        val_set = [val_set[i] for i in np.linspace(0, len(val_set) - 1, o.eval_clips).round().astype(int)]
    if not train_set:
        raise AvatarError(f"{cfg.data.dir} has no utterances in the 'train' split")
    real_train, real_dev, real_p, scales = _real_sets(cfg, log)
    shaped = o.shape_loss_weight > 0 or o.aperture_r_loss_weight > 0
    shape = torch.from_numpy(mouth_shape_weights()) if shaped else None
    n_real = round(o.batch_size * cfg.data.real_share) if real_train else 0
    model = build_model(cfg)
    if cfg.init:
        # The look-ahead and context live in attention masks, not weights: a checkpoint
        # trained with one look-ahead can be fine-tuned to another.
        try:
            model.load_state_dict(lipsync_net(cfg.init).state_dict())
        except RuntimeError as exc:  # layer sizes differ
            raise AvatarError(f"init: {cfg.init} does not fit the recipe's network: {exc}") from None
        log(f"starting from {cfg.init}")
    for name in o.frozen:
        getattr(model, name).requires_grad_(False)
    trained = [p for p in model.parameters() if p.requires_grad]
    if not trained:
        raise AvatarError("optim.frozen: nothing of the network is left to train")
    opt = torch.optim.AdamW(trained, lr=o.lr, weight_decay=o.weight_decay)

    def lr_at(step: int) -> float:  # linear warm-up, then cosine to 10 %
        if step < o.warmup_steps:
            return o.lr * (step + 1) / o.warmup_steps
        progress = (step - o.warmup_steps) / max(1, o.steps - o.warmup_steps)
        return o.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    resume = out.with_name(f"{out.name}.resume")
    first = _resume(resume, cfg, model, opt, rng, log)
    model.train()
    start, digest = time.perf_counter(), ""
    for step in range(first, o.steps):
        picks = [train_set[i] for i in rng.integers(0, len(train_set), o.batch_size - n_real)]
        picks += [real_train[i] for i in rng.choice(len(real_train), n_real, p=real_p)] if n_real else []
        crops = [_crop(u, cfg.data.crop_s, rng) for u in picks]
        if cfg.data.real_augment > 0:  # drawn only when asked, so older recipes stay reproducible
            for i in range(len(crops) - n_real, len(crops)):
                if rng.random() < cfg.data.real_augment:
                    crops[i] = _recorded(crops[i], rng)
        batch = _batch(crops)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss, parts = loss_fn(model, batch, o, shape)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % o.eval_every == 0 or step + 1 == o.steps:
            metrics = evaluate(model, val_set)
            if real_dev:
                metrics |= evaluate(model, real_dev, prefix="real_")
            # Written at every evaluation, so a run cut short still leaves its latest weights.
            digest = save_checkpoint(
                model,
                out,
                half=cfg.half,
                train=cfg.model_dump() | ({"real_scales": scales} if scales else {}),
                metrics=metrics,
                steps_done=step + 1,
                train_seconds=round(time.perf_counter() - start, 1),
            )
            _save_resume(resume, cfg, step + 1, model, opt, rng)
            model.train()
            log(
                f"step {step + 1}/{o.steps}: loss {loss.item():.4f} (l1 {parts['l1']:.4f}, "
                f"phone {parts['phone_ce']:.3f}); held-out jawOpen r {metrics['jaw_r']:.3f}, "
                f"l1 {metrics['l1']:.4f}"
                + (f"; real held-out jawOpen r {metrics['real_jaw_r']:.3f}" if real_dev else "")
                + f" [{time.perf_counter() - start:.0f} s]"
            )
    model.eval()
    resume.unlink(missing_ok=True)
    log(f"wrote {out} (sha256 {digest})")
    return out


def _save_resume(
    path: Path, cfg: TrainConfig, steps_done: int, model: LipSyncNet, opt: torch.optim.Optimizer, rng
) -> None:
    """What an interrupted run needs to go on exactly as if it had not stopped (written atomically)."""
    state = {
        "recipe": cfg.model_dump(),
        "steps_done": steps_done,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _resume(path: Path, cfg: TrainConfig, model: LipSyncNet, opt: torch.optim.Optimizer, rng, log) -> int:
    """The step to start from: where a run of this very recipe left ``path``, else 0."""
    if not path.is_file():
        return 0
    state = torch.load(path, weights_only=False)
    if state.get("recipe") != cfg.model_dump():
        log(f"{path} is from another recipe: starting afresh")
        return 0
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    rng.bit_generator.state = state["rng"]
    torch.set_rng_state(state["torch_rng"])
    log(f"resuming from step {state['steps_done']} ({path})")
    return int(state["steps_done"])
