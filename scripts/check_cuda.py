"""CPU and CUDA give the same results, and how fast the GPU is: run on a machine with a GPU.

Prints, for the shipped networks and the renderer on the built-in avatar:
  - the lip-sync network on 60 s of speech (the sample clip repeated): CPU vs CUDA fp32 max abs
    difference, CUDA fp16 vs fp32 (max difference, jawOpen r), and CUDA's real-time factors;
  - the renderer, CPU vs CUDA pixels (max difference), and CUDA frames per second at 256² and 512²;
  - ``generate`` end to end on CUDA (neural lip-sync, 256² and 512²): frames per second, and the
    animation that drove the video against the same call on the CPU (the motion model, a small
    MLP, always runs on the CPU).

    python scripts/check_cuda.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from avatar.audio import SAMPLE_RATE
from avatar.config import load_config
from avatar.device import resolve_device
from avatar.expression.channels import CHANNEL_INDEX
from avatar.generate import generate
from avatar.models import lipsync_net
from avatar.neural.model import infer
from avatar.pipeline import sample_clip, sample_speech
from avatar.portrait import default_avatar
from avatar.render import Renderer

JAW = CHANNEL_INDEX["jawOpen"]


def timed_cuda(fn, repeat: int = 3):
    """(result, best wall seconds of ``repeat`` runs after one warm-up), synchronised."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return out, best


def check_network(audio: np.ndarray) -> None:
    cpu, gpu = lipsync_net(device="cpu"), lipsync_net(device="cuda")
    seconds = len(audio) / SAMPLE_RATE
    ref = infer(cpu, audio)
    out, t32 = timed_cuda(lambda: infer(gpu, audio))
    half, t16 = timed_cuda(lambda: infer(gpu.half(), audio))
    r16 = np.corrcoef(half[:, JAW], out[:, JAW])[0, 1]
    print(f"lip-sync network, {seconds:.0f} s: CUDA fp32 vs CPU max |diff| {np.abs(out - ref).max():.2e}")
    print(f"  CUDA fp16 vs fp32: max |diff| {np.abs(half - out).max():.2e}, jawOpen r {r16:.5f}")
    print(f"  CUDA speed: fp32 {seconds / t32:.0f}x real time, fp16 {seconds / t16:.0f}x")


def check_renderer() -> None:
    avatar = default_avatar()
    rng = np.random.default_rng(0)
    for size in (256, 512):
        cpu = Renderer(avatar.image, avatar.landmarks, size)
        gpu = Renderer(avatar.image, avatar.landmarks, size).to("cuda")
        expr = np.clip(0.5 * rng.random((8, 64), dtype=np.float32), 0, 1)
        head = rng.normal(0, 5, (8, 3)).astype(np.float32)
        diff = np.abs(cpu.render(expr, head).astype(int) - gpu.render(expr, head).astype(int)).max()
        for batch in (8, 32):
            e = np.resize(expr, (batch, 64))
            h = np.resize(head, (batch, 3))
            _, t = timed_cuda(lambda e=e, h=h, r=gpu: r.render(e, h))
            print(f"renderer {size}²: CUDA vs CPU max pixel diff {diff}; batch {batch}: {batch / t:.0f} fps")


def check_generate(audio_path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for size in (256, 512):
            runs = {}
            for device in ("cpu", "cuda"):
                cfg = load_config({"device": device, "lipsync": "neural"})
                start = time.perf_counter()
                made = generate(audio_path, Path(tmp) / f"{device}.mp4", size=size, cfg=cfg)
                runs[device] = (made, time.perf_counter() - start)
            frames = len(runs["cuda"][0].animation.expression)
            diff = np.abs(runs["cuda"][0].animation.expression - runs["cpu"][0].animation.expression).max()
            print(
                f"generate {size}², {frames} frames: CUDA {frames / runs['cuda'][1]:.0f} fps, "
                f"CPU {frames / runs['cpu'][1]:.0f} fps; expression CUDA vs CPU max |diff| {diff:.2e}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("check_cuda.py: no CUDA GPU here")
    resolve_device("cuda")  # as the pipeline does: full fp32 on the GPU
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
    audio = sample_speech(args.seconds, load_config())
    check_network(audio)
    check_renderer()
    check_generate(sample_clip()[0])


if __name__ == "__main__":
    main()
