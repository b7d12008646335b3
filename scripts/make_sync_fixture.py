"""Generate tests/fixtures/sync/: the built-in avatar speaking in sync, and a copy with late audio.

insync.mp4   `avatar generate` on tests/fixtures/pauses.wav (audio only) at 256 px (H.264 + AAC,
             3.5 s): the renderer's mouth follows the speech, so the audio/video offset is 0.
late4.mp4    the same video stream (packets copied) with the sound 4 frames (133 ms) late:
             silence before it, and the end cut so both tracks keep their length.

They check `avatar data capture`'s offset estimate. The pauses matter: in 2.7 s of the sample
clip's unbroken speech the avatar's syllables come so regularly (every 10 frames) that the
correlation peaks as high one syllable off as at 0; real speech is less regular. Without the
transcript: with it the animator moves the lips (not the jaw) about 4 frames ahead of the sound,
which the mouth measure, a mix of jaw and lips, follows. Run once and commit the output:

    python scripts/make_sync_fixture.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np

from avatar.audio.clock import FPS

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
OUT = FIXTURES / "sync"
SPEECH = FIXTURES / "pauses.wav"
SHIFT_FRAMES = 4


def generate(wav: Path, out: Path) -> None:
    """The avatar speaking ``wav``, rendered by the command a user runs."""
    cmd = [sys.executable, "-m", "avatar", "generate", "--audio", str(wav), "-o", str(out)]
    subprocess.run([*cmd, "--size", "256", "--seed", "0", "-q"], check=True)


def delay_audio(src: Path, dst: Path, frames: int) -> None:
    """Copy ``src``'s video packets and re-encode its sound ``frames`` video frames later."""
    with av.open(str(src)) as inp:
        audio_in = inp.streams.audio[0]
        rate = audio_in.rate
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in inp.decode(audio_in)])
    shift = round(frames * rate / FPS)
    pcm = np.concatenate([np.zeros(shift, np.float32), pcm[: len(pcm) - shift]]).astype(np.float32)
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        video_in = inp.streams.video[0]
        video_out = out.add_stream_from_template(video_in)
        audio_out = out.add_stream("aac", rate=rate, layout="mono")
        for packet in inp.demux(video_in):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = video_out
            out.mux(packet)
        step = 1024
        for start in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + step], format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            out.mux(audio_out.encode(frame))
        out.mux(audio_out.encode(None))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    generate(SPEECH, OUT / "insync.mp4")
    delay_audio(OUT / "insync.mp4", OUT / f"late{SHIFT_FRAMES}.mp4", SHIFT_FRAMES)
    for path in sorted(OUT.glob("*.mp4")):
        print(f"wrote {path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
