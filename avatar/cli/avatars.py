"""``avatar avatars`` lists the avatars as a table; ``avatar avatars rm NAME`` removes one."""

from __future__ import annotations

import argparse

from ..errors import AvatarError
from .common import add_quiet_debug


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``avatars`` (with its optional ``rm``) to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="List the avatars (the built-in 'astronaut' and every enrolled photo), or "
        "remove one with 'avatar avatars rm NAME'.",
    )
    add_quiet_debug(parser, quiet_help="with rm: print nothing on success")
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", help="what to do instead of listing (optional)"
    )
    rm = actions.add_parser("rm", help="remove an enrolled avatar", description="Remove an enrolled avatar.")
    rm.add_argument(
        "name", metavar="NAME", help="the avatar to remove (the built-in 'astronaut' cannot be removed)"
    )
    return parser


def run(args: argparse.Namespace) -> None:
    """The table of avatars on stdout, or remove ``args.name``."""
    from ..portrait.store import list_avatars, remove_avatar

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
