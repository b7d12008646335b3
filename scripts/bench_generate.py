"""Speed of the video path on this machine: renderer alone, then `generate` end to end.

Renderer: ms per frame at 256^2 and 512^2 on one thread (batches of 8, the config's default).
End to end: the shipped sample clip repeated to --seconds of audio, through the real
`generate` (clean audio, phonetic lip-sync with the transcript, render, H.264 + AAC encode),
timed after start-up (imports and the avatar's one-off preparation are reported apart).

    python scripts/bench_generate.py [--seconds 60] [--sizes 256 512]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from avatar.audio import load_audio
from avatar.config import load_config
from avatar.eval.render import neutral
from avatar.generate import generate
from avatar.lipsync import PhoneticLipSync
from avatar.pipeline import prepare_audio, sample_clip
from avatar.portrait import default_avatar
from avatar.render import Renderer


def renderer_ms(renderer: Renderer, expression: np.ndarray, batch: int = 8, repeats: int = 3) -> float:
    """Median ms per frame rendering ``expression`` (T, 64) in batches, with small head motion."""
    rng = np.random.default_rng(0)
    head = torch.from_numpy(rng.normal(0, 3, (len(expression), 3)).astype(np.float32))
    e, g = torch.from_numpy(expression), torch.zeros(len(expression), 2)
    times = []
    with torch.no_grad():
        renderer(e[:batch], head[:batch], g[:batch])  # warm-up
        for _ in range(repeats):
            for i in range(0, len(e) - batch + 1, batch):
                start = time.perf_counter()
                renderer(e[i : i + batch], head[i : i + batch], g[i : i + batch])
                times.append((time.perf_counter() - start) / batch * 1000)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    args = parser.parse_args()
    os.environ.setdefault("AVATAR_HOME", tempfile.mkdtemp(prefix="avatar-bench-"))
    start = time.perf_counter()
    avatar = default_avatar()
    print(f"built-in avatar ready in {time.perf_counter() - start:.2f} s")

    path, text = sample_clip()
    speech = PhoneticLipSync(load_config())(prepare_audio(path, load_config()), text).expression
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    for size in args.sizes:
        start = time.perf_counter()
        renderer = Renderer(avatar.image, avatar.landmarks, size)
        prep = time.perf_counter() - start
        rng = np.random.default_rng(0)
        busy = np.clip(neutral(renderer, 64) + 0.4 * rng.random((64, 64), dtype=np.float32), 0, 1)
        print(
            f"renderer {size}x{size} on 1 thread: {renderer_ms(renderer, speech):.2f} ms/frame on the "
            f"sample clip's lip-sync, {renderer_ms(renderer, busy):.2f} ms/frame with every layer busy "
            f"(random channels, blinking); preparation {prep:.2f} s"
        )
    torch.set_num_threads(threads)

    unit = load_audio(path, 48000)
    reps = max(1, round(args.seconds / (len(unit) / 48000)))
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "speech.wav"
        sf.write(audio, np.tile(unit, reps), 48000)
        duration = len(unit) * reps / 48000
        for size in args.sizes:
            start = time.perf_counter()
            made = generate(audio, Path(tmp) / f"out{size}.mp4", avatar, " ".join([text] * reps), size)
            elapsed = time.perf_counter() - start
            n = made.animation.num_frames
            print(
                f"generate {size}x{size}: {n} frames ({duration:.0f} s of audio) in {elapsed:.1f} s = "
                f"{n / elapsed:.0f} fps end to end, {duration / elapsed:.1f}x real time ({threads} threads)"
            )


if __name__ == "__main__":
    main()
