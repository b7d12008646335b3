"""``avatar enroll`` and ``avatar avatars``: the command-line side of the avatar store.

``add_parsers`` adds the sub-commands to the main parser and returns their handlers; handlers
raise AvatarError subclasses for user errors, which ``avatar.cli.main`` prints as one line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from ..errors import AvatarError

Handler = Callable[[argparse.Namespace], None]


def add_parsers(commands: argparse._SubParsersAction) -> dict[str, Handler]:
    """Add ``enroll`` and ``avatars`` to ``commands``; returns {command name: handler}."""
    enroll = commands.add_parser(
        "enroll",
        help="turn a portrait photo into an avatar (aligned face crop + 478 landmarks)",
        description=(
            "Find the face in a portrait photo, crop and align the head into a 512x512 frame and "
            "store it with its face-mesh landmarks under $AVATAR_HOME/avatars/NAME "
            "(default ~/.cache/avatar). Enrolling the same photo again is instant."
        ),
    )
    enroll.add_argument(
        "photo",
        metavar="PHOTO",
        help="portrait photo: jpg, png, webp or anything Pillow reads; one face looking at the "
        "camera, eyes at least 30 px apart, at most 40 megapixels (with several faces the "
        "largest is used)",
    )
    enroll.add_argument(
        "--name",
        metavar="NAME",
        help="avatar name: a-z, 0-9, _ and - (default: the photo's file name without extension)",
    )
    _add_common(enroll, quiet_help="print nothing on success")

    avatars = commands.add_parser(
        "avatars",
        help="list the enrolled avatars; 'avatars rm NAME' removes one",
        description="List the avatars (the built-in 'astronaut' and every enrolled photo), or "
        "remove one with 'avatar avatars rm NAME'.",
    )
    _add_common(avatars, quiet_help="with rm: print nothing on success")
    actions = avatars.add_subparsers(
        dest="action", metavar="ACTION", help="what to do instead of listing (optional)"
    )
    rm = actions.add_parser("rm", help="remove an enrolled avatar", description="Remove an enrolled avatar.")
    rm.add_argument(
        "name", metavar="NAME", help="the avatar to remove (the built-in 'astronaut' cannot be removed)"
    )
    return {"enroll": cmd_enroll, "avatars": cmd_avatars}


def _add_common(parser: argparse.ArgumentParser, quiet_help: str) -> None:
    # avatar.cli.main reads args.quiet and args.debug for every command.
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")


def cmd_enroll(args: argparse.Namespace) -> None:
    """``avatar enroll PHOTO [--name NAME]``: one line saying what was enrolled."""
    from .store import enroll_or_load

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


def cmd_avatars(args: argparse.Namespace) -> None:
    """``avatar avatars`` lists the avatars as a table; ``avatar avatars rm NAME`` removes one."""
    from .store import list_avatars, remove_avatar

    if args.action == "rm":
        remove_avatar(args.name)
        if not args.quiet:
            print(f"removed {args.name}")
        return
    if args.action is not None:  # argparse only lets known actions through
        raise AvatarError(f"unknown action: {args.action}")
    rows = [
        (
            row["name"],
            row["source"] or "?",
            row["enrolled"][:10] if row["enrolled"] else "on first use",  # the date of an ISO time
            "-" if row["mouth_open"] is None else f"{row['mouth_open']:.2f}",
        )
        for row in list_avatars()
    ]
    header = ("NAME", "SOURCE", "ENROLLED", "MOUTH_OPEN")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
