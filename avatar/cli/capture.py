"""``avatar capture``: a video of a face -> ARKit curves and head pose (Live Link Face CSV or JSON)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .common import add_quiet_debug


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``capture`` to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="Capture a face from a video: per-frame MediaPipe face mesh -> head pitch/yaw/roll "
        "and the 52 ARKit channels, fitted onto the renderer's own expression basis for that face, "
        "relative to the person's neutral (the most relaxed closed-mouth frame), at 30 fps.",
    )
    parser.add_argument("video", metavar="VIDEO", help="a video with a face (mp4, mov, avi, mpg, webm, ...)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="output file: .csv (Live Link Face layout) or .json (all channels, head, face found)",
    )
    parser.add_argument(
        "--neutral-frame",
        type=int,
        metavar="N",
        default=None,
        help="video frame (from 0) showing the relaxed face; found automatically if not given",
    )
    add_quiet_debug(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    """Write the captured curves of ``args.video`` to ``args.output``; a summary line on stderr."""
    from ..capture import CaptureError, capture
    from ..export import check_output_path, save_animation
    from .common import Progress

    output = check_output_path(args.output)  # fail before the work, not after
    if not Path(args.video).is_file():
        raise CaptureError(f"no such video: {args.video}")
    start = time.perf_counter()
    bar = Progress(not args.quiet, desc="capture")
    try:
        anim = capture(args.video, neutral_frame=args.neutral_frame, progress=bar)
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    save_animation(anim, output, source=Path(args.video).name, method="capture")
    if not args.quiet:
        found = float(anim.face_found.mean()) if anim.face_found is not None else 1.0
        print(
            f"wrote {output}: {anim.num_frames} frames at {anim.fps} fps ({anim.duration:.2f} s, "
            f"face in {100 * found:.0f} %) in {elapsed:.2f} s",
            file=sys.stderr,
        )
