"""Renderer figures on real portraits, measured with MediaPipe on the rendered frames.

For the built-in astronaut and every portrait in ../shared/data/portraits (or --data DIR):
neutral PSNR against the aligned photo, Spearman rho of jawOpen vs the measured lip gap, yaw
measured back for commands of -15 and +15 degrees, and the eye aspect ratio with eyeBlink = 1.
Issue targets: rho >= 0.95, |yaw error| <= 3, blink EAR < 0.1, PSNR >= 40 dB.

    python scripts/eval_renderer.py [--data ../shared/data/portraits] [--size 256]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from avatar.eval.render import blink_ear, jaw_sweep, measured_yaw, neutral_psnr
from avatar.portrait import default_avatar, enroll
from avatar.render import Renderer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[1] / "../shared/data/portraits")
    parser.add_argument("--size", type=int, default=256, choices=(256, 512))
    args = parser.parse_args()
    os.environ["AVATAR_HOME"] = tempfile.mkdtemp(prefix="avatar-eval-")
    avatars = [default_avatar()]
    avatars += [
        enroll(p)
        for p in sorted(args.data.glob("*"))
        if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    ]
    print(
        f"{'avatar':<40} {'PSNR':>6} {'jaw rho':>7} {'yaw -15':>8} {'yaw +15':>8} "
        f"{'EAR open':>8} {'EAR blink':>9}"
    )
    for avatar in avatars:
        r = Renderer(avatar.image, avatar.landmarks, args.size)
        rho, _ = jaw_sweep(r)
        yaws = [measured_yaw(r, y) for y in (-15.0, 15.0)]
        open_ear, closed_ear = blink_ear(r)
        print(
            f"{avatar.name:<40} {neutral_psnr(r, avatar.image):6.1f} {rho:7.3f} "
            f"{yaws[0]:8.1f} {yaws[1]:8.1f} "
            f"{open_ear:8.3f} {closed_ear:9.3f}"
        )


if __name__ == "__main__":
    main()
