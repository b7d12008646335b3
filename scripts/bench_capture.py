"""Capture speed on 360p video: frames per second of `avatar.capture.capture` on this machine.

    python scripts/bench_capture.py [VIDEO]

Without VIDEO, a 640x360 clip is made by rendering the built-in avatar at 256 px (the round-trip
fixture's curves) and upscaling it onto a 360p frame; or give any video, e.g. a clip from
../shared/data/av. Prints the per-frame cost (decode + face mesh, fit) and fps, the per-video
calibration, and the whole capture's fps. Numbers mean something only on a quiet machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from avatar.capture import capture
from avatar.capture.calibrate import calibrate
from avatar.capture.core import frame_at, track
from avatar.capture.neutral import neutral_index
from avatar.capture.solve import ChannelSolver
from avatar.video import VideoWriter
from avatar.video.reader import read_frames

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
        capture(video)  # warm-up: MediaPipe's graph and the imports
        t0, c0 = time.perf_counter(), time.process_time()
        times, faces = track(video)
        t1 = time.perf_counter()
        index = neutral_index(faces)
        solver = ChannelSolver(calibrate(frame_at(video, index), faces[index]))
        t2 = time.perf_counter()
        for lm in faces:
            if lm is not None:
                solver(lm)
        t3, c3 = time.perf_counter(), time.process_time()
        start = time.perf_counter()
        anim = capture(video)
        whole = time.perf_counter() - start
    n = len(times)
    load = os.getloadavg()[0]
    print(f"{video.name}: {n} video frames -> {anim.num_frames} at {anim.fps} fps; load average {load:.1f}")
    print(f"decode + face mesh: {1000 * (t1 - t0) / n:.1f} ms per frame")
    print(f"fit:                {1000 * (t3 - t2) / n:.1f} ms per frame")
    print(f"per frame:          {n / (t1 - t0 + t3 - t2):.1f} fps")
    print(f"calibration:        {t2 - t1:.2f} s once per video (~50 probes rendered and tracked)")
    print(f"capture() in all:   {whole:.2f} s, {n / whole:.1f} fps; CPU {c3 - c0:.2f} s for the stages above")


if __name__ == "__main__":
    main()
