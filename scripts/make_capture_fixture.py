"""Generate tests/fixtures/capture/roundtrip.mp4 and its known curves (roundtrip.npz).

The built-in avatar rendered at 256 px with the pipeline's own animation of the shipped sample
clip (its 52 ARKit channels, blinks, gaze), glances, and a known head motion (nods, turns and
tilts of up to 8 degrees from a frontal rest), so that `avatar.capture` can be checked as the
renderer's inverse. Run once and commit the output:

    python scripts/make_capture_fixture.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avatar.audio.clock import FPS
from avatar.expression.channels import CHANNEL_INDEX, NUM_ARKIT
from avatar.pipeline import blendshapes, sample_clip
from avatar.portrait import default_avatar
from avatar.render import Renderer
from avatar.video import VideoWriter

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "capture"
SIZE = 256
REST, RAMP = 0.3, 0.3  # seconds: the face at rest, then the speech's curves fade in
BLINKS = (1.0, 2.6, 4.3)  # seconds: blinks on top of the motion model's, so the clip surely has some
SMILES = (1.8, 3.6)  # seconds: smiles of 0.7, as speech alone barely smiles (0.2, about a pixel)
GLANCES = ((1.3, 1.9, (14.0, 0.0)), (2.9, 3.4, (-12.0, 6.0)), (4.5, 5.0, (0.0, -10.0)))  # s, s, (yaw, pitch)


def known_curves() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expression (T, 64), head (T, 3) degrees, gaze (T, 2)) for the sample clip."""
    wav, text = sample_clip()
    anim, _ = blendshapes(wav, text)
    t = np.arange(anim.num_frames) / FPS
    moving = np.maximum(t - REST, 0.0)  # the head is still and frontal at rest too
    head = np.stack(
        [
            6.0 * np.sin(2 * np.pi * 0.35 * moving),
            8.0 * np.sin(2 * np.pi * 0.23 * moving),
            5.0 * np.sin(2 * np.pi * 0.3 * moving),
        ],
        axis=1,
    )
    gaze = anim.gaze.copy()
    for start, end, target in GLANCES:  # glances well beyond the motion model's drift of a degree or two
        weight = np.clip(np.minimum(t - start, end - t) / 0.07, 0.0, 1.0)[:, None]
        gaze = gaze + weight * (np.array(target) - gaze)
    expression = anim.expression.copy()
    # capture recovers the 52 ARKit channels; the speech articulators' fields are scaled copies of
    # ARKit ones (lipProtrusion is a small pucker), which no landmark fit can tell apart
    expression[:, NUM_ARKIT:] = 0.0
    # the clip opens at rest (a person before speaking): the neutral capture measures from
    expression *= np.clip((t - REST) / RAMP, 0.0, 1.0)[:, None]
    for at in BLINKS:  # a 200 ms blink: lid down and up
        shape = np.clip(1.0 - np.abs(t - at) / 0.1, 0.0, 1.0)
        for side in ("Left", "Right"):
            i = CHANNEL_INDEX["eyeBlink" + side]
            expression[:, i] = np.maximum(expression[:, i], shape)
    for at in SMILES:  # a 0.8 s smile, smooth in and out
        shape = (
            0.7
            * np.clip(1.0 - np.abs(t - at) / 0.4, 0.0, 1.0) ** 2
            * (3 - 2 * np.clip(1.0 - np.abs(t - at) / 0.4, 0.0, 1.0))
        )
        for side in ("Left", "Right"):
            i = CHANNEL_INDEX["mouthSmile" + side]
            expression[:, i] = np.maximum(expression[:, i], shape)
    return expression, head.astype(np.float32), gaze.astype(np.float32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    avatar = default_avatar()
    renderer = Renderer(avatar.image, avatar.landmarks, size=SIZE)
    expression, head, gaze = known_curves()
    frames = renderer.render(expression, head, gaze)
    with VideoWriter(OUT / "roundtrip.mp4", SIZE, crf=20) as writer:
        for frame in frames:
            writer.write(frame)
    np.savez_compressed(OUT / "roundtrip.npz", expression=expression, head=head, gaze=gaze)
    print(
        f"wrote {OUT / 'roundtrip.mp4'}: {len(frames)} frames, {(OUT / 'roundtrip.mp4').stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
