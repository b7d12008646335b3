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
from avatar.generate import generate
from avatar.pipeline import sample_clip
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.render.checks import neutral


def renderer_ms(renderer: Renderer, batch: int = 8, repeats: int = 12) -> float:
    """Median ms per frame over random talking expressions and small head motion."""
    rng = np.random.default_rng(0)
    expr = np.clip(neutral(renderer, batch) + 0.4 * rng.random((batch, 64), dtype=np.float32), 0, 1)
    head = rng.normal(0, 3, (batch, 3)).astype(np.float32)
    e, h, g = torch.from_numpy(expr), torch.from_numpy(head), torch.zeros(batch, 2)
    times = []
    with torch.no_grad():
        for i in range(repeats + 2):
            start = time.perf_counter()
            renderer(e, h, g)
            if i >= 2:
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

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    for size in args.sizes:
        start = time.perf_counter()
        renderer = Renderer(avatar.image, avatar.landmarks, size)
        prep = time.perf_counter() - start
        print(
            f"renderer {size}x{size}: {renderer_ms(renderer):.2f} ms/frame on 1 thread "
            f"(preparation {prep:.2f} s)"
        )
    torch.set_num_threads(threads)

    path, text = sample_clip()
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
