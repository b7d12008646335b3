"""Camera-driven live speed: decode JPEG + track + fit + render + encode per camera frame, and the
frames per second a live camera session answers on this machine.

    python scripts/bench_live_capture.py [VIDEO] [--size 320x240] [--threads 1] [--render 256]

Without VIDEO, the round-trip fixture (tests/fixtures/capture/roundtrip.mp4) is put on a 320x240
picture, as the web page sends it (JPEG quality 70); or give any video of a face, e.g. a clip from
../shared/data/av. Prints each stage's mean and 95th-percentile ms when run one after another,
then the fps of a CameraSession (the two stages on two threads at once) fed by a client that keeps
two frames in flight, as the page does; and the load average, as other jobs share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from avatar.capture.calibrate import calibrate
from avatar.capture.neutral import neutral_index
from avatar.capture.solve import ChannelSolver
from avatar.capture.tracker import FaceTracker
from avatar.config import load_config
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.stream.camera import CameraSession, decode_camera_frame, drive_frame
from avatar.stream.encoders import jpeg
from avatar.stream.protocol import unpack_frame
from avatar.video.reader import read_frames

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "capture" / "roundtrip.mp4"
QUALITY = 70  # the page's toBlob quality 0.7


def camera_jpegs(video: Path, width: int, height: int) -> list[bytes]:
    """Each frame centre-cropped to width:height, scaled to width x height, as a JPEG."""
    out = []
    for _, rgb in read_frames(video):
        h, w = rgb.shape[:2]
        cw = min(w, h * width // height)
        ch = cw * height // width
        y, x = (h - ch) // 2, (w - cw) // 2
        frame = cv2.resize(rgb[y : y + ch, x : x + cw], (width, height), interpolation=cv2.INTER_AREA)
        out.append(cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])[1].tobytes())
    return out


def stages(frames: list[bytes], renderer: Renderer) -> dict[str, list[float]]:
    """Milliseconds of each stage per frame, one after another, after calibrating on frame 0..29."""
    controls = load_config(env={}).inference.controls
    times: dict[str, list[float]] = {k: [] for k in ("decode", "track", "solve", "render", "encode")}
    with FaceTracker() as tracker:
        window = [(decode_camera_frame(f), tracker(decode_camera_frame(f))) for f in frames[:30]]
        faces = [lm for _, lm in window]
        pick = neutral_index(faces)
        solver = ChannelSolver(calibrate(*window[pick]))
        for data in frames:
            t0 = time.perf_counter()
            rgb = decode_camera_frame(data)
            t1 = time.perf_counter()
            landmarks = tracker(rgb)
            t2 = time.perf_counter()
            fit = solver(landmarks) if landmarks is not None else None
            t3 = time.perf_counter()
            e, h, g = drive_frame(fit, controls)
            image = renderer.render(e[None], h[None], g[None])[0]
            t4 = time.perf_counter()
            cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
            t5 = time.perf_counter()
            for key, a, b in zip(times, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
                times[key].append(1000 * (b - a))
    return times


async def session_fps(frames: list[bytes], renderer: Renderer, seconds: float) -> tuple[float, int, int]:
    """(answered frames per second after calibration, frames answered, frames dropped) of a
    CameraSession fed the clip over and over by a client keeping two frames in flight."""
    session = CameraSession(renderer, jpeg, load_config(env={}).inference.controls)
    producer = asyncio.create_task(session.run())
    acked, answered, started, dropped0 = -1, 0, None, 0
    while started is None or time.perf_counter() - started < seconds:
        if session.received - 1 - acked < 2:
            session.feed(frames[session.received % len(frames)])
            await asyncio.sleep(0)
            continue
        message = await session.next_message()
        if isinstance(message, bytes):
            acked = max(acked, unpack_frame(message)[0])
            if started is not None:
                answered += 1
        elif message is not None and message["type"] == "calibrated":
            started, dropped0 = time.perf_counter(), session.dropped
    elapsed = time.perf_counter() - started
    session.finish()
    while await session.next_message() is not None:
        pass
    await producer
    session.close()
    return answered / elapsed, answered, session.dropped - dropped0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=FIXTURE)
    parser.add_argument("--size", default="320x240", help="camera frames sent, WxH (default 320x240)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--render", type=int, default=256, choices=(256, 512), help="avatar size")
    parser.add_argument("--seconds", type=float, default=10.0, help="session run after calibration")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    frames = camera_jpegs(args.video, width, height)
    avatar = default_avatar()
    renderer = Renderer(avatar.image, avatar.landmarks, args.render)
    times = stages(frames, renderer)
    total = np.sum([times[k] for k in times], axis=0)
    kb = np.mean([len(f) for f in frames]) / 1024
    print(f"{args.video.name}: {len(frames)} frames at {width}x{height} (JPEG {QUALITY}, {kb:.1f} KB), "
          f"avatar {args.render} px, torch threads {args.threads}")  # fmt: skip
    for key, ms in times.items():
        print(f"  {key:7s} {np.mean(ms):6.1f} ms  (p95 {np.percentile(ms, 95):6.1f})")
    print(f"  one after another: {np.mean(total):.1f} ms per frame, {1000 / np.mean(total):.1f} fps")
    fps, answered, dropped = asyncio.run(session_fps(frames, renderer, args.seconds))
    print(f"  live session (analysis and drawing on two threads): {fps:.1f} fps "
          f"({answered} frames answered in {args.seconds:g} s, {dropped} dropped)")  # fmt: skip
    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip


if __name__ == "__main__":
    main()
