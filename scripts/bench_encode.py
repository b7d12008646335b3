"""MP4 encoding speed of avatar.video.VideoWriter on this machine.

Encodes 300 frames (10 s at 30 fps) of portrait content, with the shipped sample speech
repeated to 10 s as the audio track, for each size x preset x thread count. "photo" (the
default) is the astronaut portrait that ships with scikit-image, swaying and tilting by
sub-pixel amounts with a moving, opening mouth; "synthetic" is smooth gradients with the same
mouth (cheaper: no texture). Noise would measure x264's worst case, not ours. Prints ms per
frame and frames per second (both include RGB -> yuv420p conversion, audio and muxing; the
fastest of --repeat runs) and the file size.

    python scripts/bench_encode.py [--sizes 256 512] [--presets veryfast ultrafast] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from avatar.audio import load_audio
from avatar.pipeline import sample_clip
from avatar.video import VideoWriter, probe

FPS = 30
SAMPLE_RATE = 16000


def synthetic_frames(size: int, n: int) -> np.ndarray:
    """(n, size, size, 3) uint8: a lit backdrop, an oval face and a mouth that moves and opens."""
    y, x = np.mgrid[0:size, 0:size] / size
    backdrop = np.stack([0.35 - 0.15 * y, 0.3 - 0.1 * y + 0.05 * x, 0.28 - 0.05 * x], axis=-1)
    face = np.exp(-(((x - 0.5) / 0.24) ** 2 + ((y - 0.5) / 0.32) ** 2))[..., None]
    still = backdrop * (1 - face) + face * np.array([0.88, 0.68, 0.56])
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        frames[i] = np.clip(255 * (still - _mouth(size, i) * np.array([0.45, 0.55, 0.5])), 0, 255)
    return frames


def photo_frames(size: int, n: int) -> np.ndarray:
    """(n, size, size, 3) uint8: the astronaut portrait (skin, hair, fabric texture) swaying by
    sub-pixel amounts and tilting slightly, with the same moving mouth: what the renderer makes."""
    import cv2
    from skimage.data import astronaut

    face = cv2.resize(astronaut()[0:300, 110:410], (size, size), interpolation=cv2.INTER_AREA)
    frames = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        sway = cv2.getRotationMatrix2D((size / 2, size / 2), 1.5 * np.sin(i / 11), 1.0)
        sway[:, 2] += (0.01 * size * np.sin(i / 9), 0.005 * size * np.sin(i / 7))
        moved = cv2.warpAffine(face, sway, (size, size), borderMode=cv2.BORDER_REFLECT)
        frames[i] = np.clip(moved * (1 - 0.7 * _mouth(size, i, 0.39, 0.5)), 0, 255)
    return frames


def _mouth(size: int, i: int, x0: float = 0.5, y0: float = 0.7) -> np.ndarray:
    """(size, size, 1) soft blob in [0, 1] at (x0, y0) of the frame, sliding and opening with i."""
    y, x = np.mgrid[0:size, 0:size] / size
    cx = x0 + 0.015 * np.sin(i / 9)  # a slight head sway
    open_ = 0.01 + 0.02 * abs(np.sin(i / 4))  # the jaw opening and closing
    return np.exp(-(((x - cx) / 0.05) ** 2 + ((y - y0) / open_) ** 2))[..., None]


def speech(seconds: float) -> np.ndarray:
    """The sample clip repeated to ``seconds`` (AAC's cost depends on the signal: use speech)."""
    clip = load_audio(sample_clip()[0], SAMPLE_RATE)
    n = round(seconds * SAMPLE_RATE)
    return np.tile(clip, -(-n // len(clip)))[:n]


def encode(
    path: Path, frames: np.ndarray, audio: np.ndarray | None, crf: int, preset: str, threads: int
) -> float:
    """Seconds to write ``frames`` (and ``audio``) to ``path``."""
    start = time.perf_counter()
    with VideoWriter(path, frames.shape[2], audio=audio, crf=crf, preset=preset, threads=threads) as w:
        for frame in frames:  # one at a time, as a renderer delivers them
            w.write(frame)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--presets", nargs="+", default=["veryfast", "ultrafast"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--crf", type=int, default=20)
    parser.add_argument("--content", choices=["photo", "synthetic"], default="photo")
    parser.add_argument("--no-audio", action="store_true", help="video only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; the fastest is shown")
    args = parser.parse_args()

    audio = None if args.no_audio else speech(args.frames / FPS)
    sound = "no audio" if audio is None else f"{args.frames / FPS:.0f} s audio"
    print(f"{args.frames} {args.content} frames + {sound}, crf {args.crf}")
    print(f"{'size':>5} {'preset':>10} {'threads':>7} {'ms/frame':>9} {'fps':>7} {'KiB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.mp4"
        for size in args.sizes:
            make = photo_frames if args.content == "photo" else synthetic_frames
            frames = make(size, args.frames)
            for preset in args.presets:
                for threads in args.threads:
                    # The fastest of a few runs: other processes only ever add time.
                    seconds = min(
                        encode(out, frames, audio, args.crf, preset, threads) for _ in range(args.repeat)
                    )
                    assert probe(out)["frames"] == args.frames
                    print(
                        f"{size:>5} {preset:>10} {threads:>7} {1000 * seconds / args.frames:>9.2f} "
                        f"{args.frames / seconds:>7.0f} {out.stat().st_size / 1024:>6.0f}"
                    )


if __name__ == "__main__":
    main()
