"""``avatar blendshapes``: speech -> ARKit blendshape curves (Live Link Face CSV or JSON)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .common import (
    PROGRESS_MIN_S,
    Progress,
    add_common,
    add_control_args,
    add_speech_parser,
    config_from_args,
    speech,
)


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``blendshapes`` to ``commands``."""
    parser = add_speech_parser(
        commands,
        name,
        text,
        "Animate speech as 52 ARKit blendshapes (+ 12 speech articulators in JSON) at the configured "
        "frame rate (30 fps). With a transcript the phones are force-aligned; without one they are "
        "recognised from the audio.",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="output file: .csv (Live Link Face layout, ARKit channels + head/eye angles) or "
        ".json (all 64 channels, head and gaze)",
    )
    add_control_args(parser)
    add_common(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    """Write the curves of the speech to ``args.output``; a summary line on stderr."""
    from ..audio import audio_duration
    from ..device import resolve_device
    from ..export import check_output_path, save_animation
    from ..pipeline import blendshapes, expression_source

    cfg = config_from_args(args)
    resolve_device(cfg.inference.device)
    output = check_output_path(args.output)  # fail before the work, not after
    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    audio, text = speech(args, cfg.inference.lipsync)

    duration = audio_duration(audio)
    progress = Progress(enabled=not args.quiet and duration >= PROGRESS_MIN_S)
    start = time.perf_counter()
    try:
        anim, result = blendshapes(audio, text, cfg, progress=progress, source=source)
    finally:
        progress.close()
    elapsed = time.perf_counter() - start
    save_animation(anim, output, source=Path(audio).name, lipsync=cfg.inference.lipsync, method=result.method)
    if not args.quiet:
        print(
            f"wrote {output}: {anim.num_frames} frames at {anim.fps} fps ({anim.duration:.2f} s, "
            f"{result.method}) in {elapsed:.2f} s ({anim.duration / max(elapsed, 1e-9):.0f}x real time)",
            file=sys.stderr,
        )
