"""Live streaming in real time: first-frame latency, audio-to-frame latency, steady rate, drift, CPU.

Speech (default: the clips under ../shared/data/speech strung together, looped) is fed in 20 ms
chunks at real-time pace, with a 2 s gap of no audio at all every 20 s (the avatar must idle
and the clock go on), into a LiveSession with the renderer at 256² and JPEG encoding, exactly as
the WebSocket endpoint runs it. Reports: the first frame's delay after the first chunk; the
latency from the moment a frame's last audio sample was fed to the moment the frame was ready
(p50/p95/max); the output rate and its drift from the 30 fps clock (how far frames run behind
"first frame + k / 30", first minute against last); CPU seconds per wall second of this
process. Then jawOpen r between streamed and offline curves on the same audio, and both against
the real GRID speakers' mouths (with the filters, and without: the streaming core alone).

    python scripts/bench_stream.py [--minutes 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import time
from pathlib import Path

import numpy as np
import torch

from avatar.config import load_config
from avatar.expression.channels import CHANNEL_INDEX
from avatar.pipeline import animate, prepare_audio
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.stream.core import AvatarStream, live_networks
from avatar.stream.encoders import jpeg
from avatar.stream.protocol import unpack_frame
from avatar.stream.session import LiveSession

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
CHUNK = 320  # 20 ms
GAP_EVERY_S, GAP_S = 20.0, 2.0


async def run(audio: np.ndarray, seconds: float, session: LiveSession) -> dict:
    fed_at: dict[int, float] = {}  # sample index fed -> time
    ready_at: list[tuple[int, float]] = []

    async def feed() -> None:
        start = time.monotonic()
        sent, t = 0, 0.0
        while t < seconds:
            if t % GAP_EVERY_S >= GAP_EVERY_S - GAP_S:  # a gap: nothing arrives
                t += CHUNK / 16000
                await asyncio.sleep(max(0.0, start + t - time.monotonic()))
                continue
            i = sent % (len(audio) - CHUNK)
            session.feed((np.clip(audio[i : i + CHUNK], -1, 0.99997) * 32768).astype("<i2").tobytes())
            sent += CHUNK
            t += CHUNK / 16000
            fed_at[session.samples_fed] = time.monotonic()
            await asyncio.sleep(max(0.0, start + t - time.monotonic()))
        session.finish()

    async def drain() -> None:
        while (message := await session.next_message()) is not None:
            index, *_ = unpack_frame(message)
            ready_at.append((index, time.monotonic()))

    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.gather(feed(), drain(), session.run())
    return {
        "cpu": (time.process_time() - cpu0) / (time.monotonic() - wall0),
        "ready": ready_at,
        "fed": fed_at,
        "t0": wall0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(overrides={"lipsync": "neural"})
    files = sorted(glob.glob(str(SHARED / "*" / "*.wav")) + glob.glob(str(SHARED / "*" / "*.flac")))
    audio = np.concatenate([prepare_audio(f, cfg) for f in files])
    lipsync, motion = live_networks()
    avatar = default_avatar()
    stream = AvatarStream(cfg, lipsync, motion, Renderer(avatar.image, avatar.landmarks, 256))
    session = LiveSession(stream, jpeg)
    seconds = args.minutes * 60
    result = asyncio.run(run(audio, seconds, session))

    ready = result["ready"]
    indices = np.array([i for i, _ in ready])
    times = np.array([t for _, t in ready])
    fed_samples = np.array(sorted(result["fed"]))
    fed_times = np.array([result["fed"][s] for s in fed_samples])
    latencies = []
    for k, t in ready:  # from the moment the frame's last sample arrived (frames of real audio only)
        end = stream.clock.frame_start(k + 1)
        j = np.searchsorted(fed_samples, end)
        if j < len(fed_samples) and fed_samples[j] - end < 400:
            latencies.append(t - fed_times[j])
    lat = np.array(latencies) * 1000
    span = times[-1] - times[0]
    expected = times[0] + (indices - indices[0]) / 30
    print(f"{seconds / 60:.1f} min live ({len(ready)} frames, 256² JPEG, {args.threads} thread(s))")
    print(f"first frame {session.first_frame_s * 1000:.0f} ms after the first chunk")
    p50, p95 = np.percentile(lat, [50, 95])
    print(f"audio -> frame latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {lat.max():.0f} ms", end="")
    print(f" ({len(lat)} frames)")
    late = (times - expected) * 30  # frames behind "first frame + k / 30"
    minute = times - times[0] < 60
    last = times - times[0] > span - 60
    print(f"rate {(len(ready) - 1) / span:.3f} fps; frames behind the 30 fps clock: median over the first "
          f"minute {np.median(late[minute]):.2f}, over the last {np.median(late[last]):.2f} (drift "
          f"{np.median(late[last]) - np.median(late[minute]):+.2f}), max {late.max():.2f}; "
          f"dropped {session.dropped}")  # fmt: skip
    print(f"CPU: {result['cpu']:.2f} cores")

    streamed, offline = both_ways(audio[: 16000 * 60], cfg, lipsync, motion)
    jaw = CHANNEL_INDEX["jawOpen"]
    r = np.corrcoef(streamed[:, jaw], offline[: len(streamed), jaw])[0, 1]
    print(f"60 s, streamed vs offline jawOpen r = {r:.4f} (causal vs zero-phase filter included)")
    grid_quality(cfg, lipsync, motion)
    print("the same without the filters (the streaming core alone):")
    grid_quality(load_config(overrides={"lipsync": "neural", "filter.enabled": False}), lipsync, motion)


def both_ways(clip: np.ndarray, cfg, lipsync, motion) -> tuple[np.ndarray, np.ndarray]:
    """(streamed, offline) (T, 64) expressions of ``clip``."""
    live = AvatarStream(cfg, lipsync, motion)
    frames = []
    for i in range(0, len(clip), CHUNK):
        live.push(clip[i : i + CHUNK])
        frames += live.pull()
    live.end()
    frames += live.pull()
    return np.stack([f.expression for f in frames]), animate(clip, None, cfg)[0].expression


def grid_quality(cfg, lipsync, motion) -> None:
    """Mouth opening vs the real GRID speakers (r at lag 0), streamed and offline."""
    from avatar.eval.metrics import pearson, resample
    from avatar.eval.mouth import mouth_opening, video_fps
    from avatar.expression.channels import mouth_openness
    from avatar.video.reader import read_frames

    rows = []
    for video in sorted((SHARED.parent / "video" / "grid").glob("*.mpg")):
        times, images = zip(*read_frames(video), strict=True)
        real, fps = mouth_opening(images), video_fps(video)
        centers = np.asarray(times) + 0.5 / fps
        streamed, offline = both_ways(prepare_audio(video, cfg), cfg, lipsync, motion)
        own = (np.arange(len(offline)) + 0.5) / 30
        r_live = pearson(real, resample(own[: len(streamed)], mouth_openness(streamed), centers))
        r_off = pearson(real, resample(own, mouth_openness(offline), centers))
        rows.append((r_live, r_off))
        print(f"  {video.stem}: r0 streamed {r_live:+.3f}, offline {r_off:+.3f}")
    live, off = np.mean(rows, axis=0)
    print(f"GRID mean r0: streamed {live:+.3f}, offline {off:+.3f} (difference {live - off:+.3f})")


if __name__ == "__main__":
    main()
