"""Capture speed on 360p video: frames per second of `avatar.capture.capture` on this machine.

    python scripts/bench_capture.py [VIDEO]

Without VIDEO, a 640x360 clip is made by rendering the built-in avatar at 256 px (the round-trip
fixture's curves) and upscaling it onto a 360p frame; or give any video, e.g. a clip from
../shared/data/av. Prints the decode + face-mesh + fit time per frame and the fps.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from avatar.capture import capture
from avatar.capture.frames import read_frames
from avatar.video import VideoWriter

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "capture" / "roundtrip.mp4"


def make_360p(path: Path) -> None:
    """The round-trip clip upscaled to 360 px high, centred on a 640x360 grey frame."""
    with VideoWriter(path, (640, 360)) as writer:
        for _, rgb in read_frames(FIXTURE):
            frame = np.full((360, 640, 3), 96, np.uint8)
            frame[:, 140:500] = cv2.resize(rgb, (360, 360), interpolation=cv2.INTER_CUBIC)
            writer.write(frame)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "clip360.mp4"
        if len(sys.argv) == 1:
            make_360p(video)
        frames = sum(1 for _ in read_frames(video))
        capture(video)  # warm-up: MediaPipe's graph and the imports
        start = time.perf_counter()
        anim = capture(video)
        elapsed = time.perf_counter() - start
    print(f"{video.name}: {frames} video frames -> {anim.num_frames} at {anim.fps} fps")
    print(f"capture: {1000 * elapsed / frames:.1f} ms per frame, {frames / elapsed:.1f} fps")


if __name__ == "__main__":
    main()
