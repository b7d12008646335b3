"""``avatar enroll PHOTO [--name NAME]``: turn a portrait photo into an avatar."""

from __future__ import annotations

import argparse
import time

from .common import add_quiet_debug


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``enroll`` to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description=(
            "Find the face in a portrait photo, crop and align the head into a 512x512 frame and "
            "store it with its face-mesh landmarks under $AVATAR_HOME/avatars/NAME "
            "(default ~/.cache/avatar). Enrolling the same photo again is instant."
        ),
    )
    parser.add_argument(
        "photo",
        metavar="PHOTO",
        help="portrait photo: jpg, png, webp or anything Pillow reads; one face looking at the "
        "camera, eyes at least 30 px apart, at most 40 megapixels (with several faces the "
        "largest is used)",
    )
    parser.add_argument(
        "--name",
        metavar="NAME",
        help="avatar name: a-z, 0-9, _ and - (default: the photo's file name without extension)",
    )
    add_quiet_debug(parser, quiet_help="print nothing on success")
    return parser


def run(args: argparse.Namespace) -> None:
    """Enroll the photo; one line on stdout saying what was enrolled."""
    from ..portrait.store import enroll_or_load

    start = time.perf_counter()
    avatar, cached = enroll_or_load(args.photo, args.name)
    elapsed = time.perf_counter() - start
    if args.quiet:
        return
    if cached:
        print(f"enrolled {avatar.name} (cache hit, {elapsed:.2f} s)")
        return
    meta = avatar.meta
    faces = meta["faces_found"]
    print(
        f"enrolled {avatar.name} from {meta['source']} in {elapsed:.2f} s "
        f"({faces} face{'s' if faces > 1 else ''}, mouth_open {meta['mouth_open']:.2f}, "
        f"eyes_open {meta['eyes_open']:.2f}, padding {meta['padding']:.0%})"
    )
