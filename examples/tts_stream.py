"""Feed a TTS voice into the live avatar as it speaks: espeak-ng -> chunks -> AvatarStream -> MP4.

    python examples/tts_stream.py "Hello! I am the avatar, speaking as the words arrive." -o tts.mp4

espeak-ng writes its WAV to a pipe; every 20 ms of it is resampled to 16 kHz (PyAV's streaming
resampler) and pushed into an AvatarStream, whose frames are collected as they come out (a
real application would show or send them) and written to an MP4 at the end, with the timing of
the first frame after the first audio. The same loop drives a live TTS engine of an LLM agent.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from avatar.config import load_config
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.stream.core import AvatarStream, live_networks
from avatar.video import VideoWriter

WAV_HEADER = 44  # espeak-ng's canonical RIFF header on stdout
CHUNK_MS = 20


def speak(text: str, voice: str):
    """Yield 16 kHz int16 chunks of espeak-ng speaking ``text`` as it produces them."""
    proc = subprocess.Popen(["espeak-ng", "-v", voice, "--stdout", text], stdout=subprocess.PIPE)
    header = proc.stdout.read(WAV_HEADER)
    rate = int.from_bytes(header[24:28], "little")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
    step = rate * CHUNK_MS // 1000 * 2  # bytes of 16-bit mono
    while chunk := proc.stdout.read(step):
        samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], "<i2")[None]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        for out in resampler.resample(frame):
            yield out.to_ndarray()[0].astype("<i2")
    for out in resampler.resample(None):
        yield out.to_ndarray()[0].astype("<i2")
    proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text")
    parser.add_argument("-o", "--output", default="tts_stream.mp4")
    parser.add_argument("--voice", default="en-us")
    args = parser.parse_args()
    cfg = load_config()
    avatar = default_avatar()
    stream = AvatarStream(cfg, *live_networks(), Renderer(avatar.image, avatar.landmarks, 256))
    frames, start, first = [], time.perf_counter(), None
    for chunk in speak(args.text, args.voice):
        stream.push(chunk)
        frames += stream.pull()
        if frames and first is None:
            first = time.perf_counter() - start
    stream.end()
    frames += stream.pull()
    with VideoWriter(args.output, 256, audio=np.concatenate([f.audio for f in frames])) as writer:
        writer.write(np.stack([f.image for f in frames]))
    ms = first * 1000
    print(f"wrote {args.output}: {len(frames)} frames; first frame {ms:.0f} ms after espeak-ng started")


if __name__ == "__main__":
    main()
