"""``avatar generate``: speech -> a talking-portrait MP4 (H.264 + AAC, 30 fps); with --driving, a
video of a face -> the portrait driven by it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AvatarError, VideoError
from .common import (
    FRAME_SIZES,
    Progress,
    add_common,
    add_control_args,
    add_speech_parser,
    config_from_args,
    speech,
)

if TYPE_CHECKING:
    from ..animation import Animation
    from ..config import Config
    from ..portrait import Avatar

SPEECH_ONLY = ("text", "text_file", "lipsync", "model")  # flags that mean nothing with --driving


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``generate`` to ``commands``."""
    parser = add_speech_parser(
        commands,
        name,
        text,
        "Make a portrait photo (or the built-in astronaut avatar) speak the audio: an MP4 (H.264 "
        "yuv420p + AAC, faststart) at the configured frame rate with one frame per 1/30 s of audio, "
        "lip-synced with the phonetic path.\n\n"
        "With --driving, the face follows a video instead: the photo takes the video's captured\n"
        "expression, head motion and gaze (see 'avatar capture'), one frame per 1/30 s of the video,\n"
        "with the video's sound, or --audio's cut or padded with silence to the video's length. A\n"
        "driving video without sound and no --audio gives an MP4 with no audio track. The controls\n"
        "apply to the captured motion: --expression-scale and --emotion to the mouth, --head-motion\n"
        "and --still to the head; --gaze camera and --blink off drop the video's gaze and blinks\n"
        "(--seed draws nothing). --text, --lipsync and --model are for speech only.",
    )
    parser.add_argument(
        "--driving",
        metavar="VIDEO",
        help="a video of a face (mp4, mov, avi, webm, ...) to drive the portrait with, instead of "
        "lip-syncing speech",
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
        "--blendshapes",
        metavar="OUT",
        help="also write the curves (with --driving, the captured ones): .csv (Live Link Face) or .json",
    )
    add_control_args(parser)
    add_common(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    """Write the talking-portrait video to ``args.output`` (and the curves with --blendshapes)."""
    from ..export import check_output_path
    from ..video.writer import check_destination

    cfg = config_from_args(args)
    output = check_destination(args.output)  # fail before the work, not after
    curves = check_output_path(args.blendshapes) if args.blendshapes else None
    if args.driving is not None:
        _drive(args, cfg, output, curves)
    else:
        _speak(args, cfg, output, curves)


def _portrait(args: argparse.Namespace) -> Avatar:
    from ..portrait import default_avatar, enroll_or_load, load_avatar

    if args.image:
        return enroll_or_load(args.image)[0]
    return load_avatar(args.avatar) if args.avatar else default_avatar()


def _speak(args: argparse.Namespace, cfg: Config, output: Path, curves: Path | None) -> None:
    from ..audio import audio_duration
    from ..export import save_animation
    from ..generate import generate
    from ..pipeline import expression_source

    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    audio, text = speech(args, cfg.inference.lipsync)
    audio_duration(audio)  # a missing or unreadable file fails here, before any avatar work
    avatar = _portrait(args)
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
        _summary(output, made.animation, args.size, avatar.name, elapsed)


def _drive(args: argparse.Namespace, cfg: Config, output: Path, curves: Path | None) -> None:
    from ..audio import audio_duration
    from ..export import save_animation
    from ..generate import drive

    given = [f"--{name.replace('_', '-')}" for name in SPEECH_ONLY if getattr(args, name) is not None]
    if given:
        raise AvatarError(
            f"{' and '.join(given)} cannot go with --driving: the video gives the mouth its motion"
        )
    video = Path(args.driving)
    if not video.is_file():
        raise VideoError(f"no such video: {video}")
    audio = Path(args.audio) if args.audio is not None else None
    if audio is not None:
        audio_duration(audio)  # a missing or unreadable file fails here, before the capture
    avatar = _portrait(args)
    show = not args.quiet
    capture_bar, frames_bar = Progress(show, "capture"), Progress(show, "render", "frame")
    start = time.perf_counter()
    try:
        made = drive(
            video, output, avatar, audio, args.size, cfg, on_frames=frames_bar, on_capture=capture_bar
        )
    finally:
        capture_bar.close()
        frames_bar.close()
    elapsed = time.perf_counter() - start
    if curves is not None:
        save_animation(made.animation, curves, source=video.name, method="capture")
    if show:
        found = made.animation.face_found
        note = f", face in {100 * found.mean():.0f} % of frames" if found is not None else ""
        _summary(output, made.animation, args.size, f"{avatar.name}{note}", elapsed)


def _summary(output: Path, anim: Animation, size: int, about: str, elapsed: float) -> None:
    print(
        f"wrote {output}: {anim.num_frames} frames {size}x{size} at {anim.fps} fps "
        f"({anim.duration:.2f} s, avatar {about}) in {elapsed:.1f} s "
        f"({anim.num_frames / elapsed:.0f} fps)",
        file=sys.stderr,
    )
