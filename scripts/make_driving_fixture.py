"""Generate tests/fixtures/driving/speech25.mp4: a driving video with sound, not at the project's rate.

The built-in avatar speaking the first 2.6 s of the shipped sample clip (the pipeline's own
animation: lip-sync, head motion, blinks), rendered at 256 px and written at 25 fps on a 320x256
frame (the face off centre, grey beside it), with the speech as AAC. `avatar generate --driving`
must turn it into 30 fps frames lasting the video's 2.6 s, with this sound, and open the
portrait's mouth where this face opens its own. Run once and commit the output:

    python scripts/make_driving_fixture.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avatar.audio import FPS, SAMPLE_RATE, load_audio
from avatar.pipeline import blendshapes, sample_clip
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.video import VideoWriter

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "driving" / "speech25.mp4"
SECONDS = 2.6
VIDEO_FPS = 25
SIZE = 256
WIDTH = 320  # the face at x 40..296 on a 320x256 frame
MUX_RATE = 48000


def main() -> None:
    wav, text = sample_clip()
    speech = load_audio(wav, SAMPLE_RATE)[: round(SECONDS * SAMPLE_RATE)]
    anim, _ = blendshapes(speech, None)
    # the 30 fps animation shown at 25 fps: each 25 fps frame takes the 30 fps frame showing then
    picks = np.minimum(
        np.round(np.arange(round(SECONDS * VIDEO_FPS)) * FPS / VIDEO_FPS).astype(int), anim.num_frames - 1
    )
    avatar = default_avatar()
    renderer = Renderer(avatar.image, avatar.landmarks, size=SIZE)
    faces = np.asarray(
        renderer.render(anim.expression[picks], anim.head[picks], anim.gaze[picks])
    )  # (T, H, W, 3)
    frames = np.full((len(faces), SIZE, WIDTH, 3), 128, np.uint8)
    frames[:, :, 40 : 40 + SIZE] = faces
    sound = load_audio(wav, MUX_RATE)[: round(SECONDS * MUX_RATE)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with VideoWriter(OUT, (WIDTH, SIZE), fps=VIDEO_FPS, audio=sound, audio_rate=MUX_RATE, crf=23) as writer:
        writer.write(frames)
    print(
        f"wrote {OUT}: {len(frames)} frames at {VIDEO_FPS} fps, {OUT.stat().st_size} bytes "
        f"({text!r} cut at {SECONDS} s)"
    )


if __name__ == "__main__":
    main()
