"""``avatar generate``: speech -> a talking-portrait MP4 (H.264 + AAC, 30 fps)."""

from __future__ import annotations

import argparse
import sys
import time

from .common import (
    FRAME_SIZES,
    Progress,
    add_common,
    add_control_args,
    add_speech_parser,
    config_from_args,
    speech,
)


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``generate`` to ``commands``."""
    parser = add_speech_parser(
        commands,
        name,
        text,
        "Make a portrait photo (or the built-in astronaut avatar) speak the audio: an MP4 (H.264 "
        "yuv420p + AAC, faststart) at the configured frame rate with one frame per 1/30 s of audio, "
        "lip-synced with the phonetic path.",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--image", metavar="PHOTO", help="portrait photo to animate (enrolled and cached on first use)"
    )
    who.add_argument(
        "--avatar", metavar="NAME", help="an enrolled avatar (see 'avatar avatars'); default: astronaut"
    )
    parser.add_argument(
        "-o", "--output", metavar="OUT.mp4", default="output.mp4", help="video file (default: output.mp4)"
    )
    parser.add_argument(
        "--size", type=int, choices=FRAME_SIZES, default=256, help="frame size in pixels (default 256)"
    )
    parser.add_argument(
        "--blendshapes", metavar="OUT", help="also write the curves: .csv (Live Link Face) or .json"
    )
    add_control_args(parser)
    add_common(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    """Write the talking-portrait video to ``args.output`` (and the curves with --blendshapes)."""
    from ..audio import audio_duration
    from ..export import check_output_path, save_animation
    from ..generate import generate
    from ..pipeline import expression_source
    from ..portrait import default_avatar, enroll_or_load, load_avatar
    from ..video.writer import check_destination

    cfg = config_from_args(args)
    output = check_destination(args.output)  # fail before the work, not after
    curves = check_output_path(args.blendshapes) if args.blendshapes else None
    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    audio, text = speech(args)
    audio_duration(audio)  # a missing or unreadable file fails here, before any avatar work
    if args.image:
        avatar, _ = enroll_or_load(args.image)
    else:
        avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    show = not args.quiet
    lipsync_bar, frames_bar = Progress(show, "lip-sync", "s"), Progress(show, "render", "frame")
    start = time.perf_counter()
    try:
        made = generate(
            audio, output, avatar, text, args.size, cfg, source, on_lipsync=lipsync_bar, on_frames=frames_bar
        )
    finally:
        lipsync_bar.close()
        frames_bar.close()
    elapsed = time.perf_counter() - start
    if curves is not None:
        save_animation(
            made.animation,
            curves,
            source=audio.name,
            lipsync=cfg.inference.lipsync,
            method=made.lipsync.method,
        )
    if show:
        anim = made.animation
        print(
            f"wrote {output}: {anim.num_frames} frames {args.size}x{args.size} at {anim.fps} fps "
            f"({anim.duration:.2f} s, avatar {avatar.name}) in {elapsed:.1f} s "
            f"({anim.num_frames / elapsed:.0f} fps)",
            file=sys.stderr,
        )
