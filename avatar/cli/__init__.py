"""The ``avatar`` command line. Every user error is one line on stderr and a non-zero exit.

One module per command (``avatar/cli/<command>.py``: ``add_parser(commands, name, help)`` and
``run(args)``), imported only when that command is given; the shared helpers are in
``common.py``. ``avatar --version`` and ``avatar --help`` import no command at all.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Collection, Sequence
from types import ModuleType

from .. import __version__
from ..errors import AvatarError
from .common import EPILOG, Parser, setup_logging

COMMANDS = {  # command -> its line in `avatar --help`, in that order
    "blendshapes": "speech -> ARKit blendshape curves (Live Link Face CSV or JSON)",
    "capture": "a video of a face -> ARKit curves and head pose (Live Link Face CSV or JSON)",
    "generate": "speech -> a talking-portrait MP4 (H.264 + AAC, 30 fps)",
    "train": "train the neural lip-sync on data made by 'avatar data synth'",
    "enroll": "turn a portrait photo into an avatar (aligned face crop + 478 landmarks)",
    "avatars": "list the enrolled avatars; 'avatars rm NAME' removes one",
    "eval": "measure lip-sync against real people (videos) or against the transcript (speech)",
    "data": "make training data for the neural lip-sync and the learned mouth",
    "train-motion": "train the motion model (head, gaze, blinks) on data made by 'avatar data synth'",
    "train-mouth": "train the learned mouth on real faces (pairs made by 'avatar data mouth')",
    "serve": "run the HTTP service (API, OpenAPI docs at /docs, web page at /ui/)",
    "export": "export the networks (ONNX)",
    "bench": "time every stage on this machine (ms per frame, fps, first-frame latency, RSS)",
}


def command_module(name: str) -> ModuleType:
    """``avatar.cli.<name>``, the module of command ``name`` (``train-motion``: ``train_motion``)."""
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``avatar`` parser. With ``only``, the other commands get just their help line, so that
    their modules (and what those import) are not loaded."""
    parser = Parser(
        prog="avatar",
        description="Real-time talking avatar: speech in, ARKit facial animation out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"avatar {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, text in COMMANDS.items():
        if only is None or name in only:
            command_module(name).add_parser(commands, name, text)
        else:
            commands.add_parser(name, help=text)
    return parser


def dispatch(args: argparse.Namespace) -> None:
    """Run the command ``args`` were parsed for; user errors raise AvatarError."""
    command_module(args.command).run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``avatar`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The top level takes only -h and --version, so the first other word names the command.
    given = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(only={given}).parse_args(argv)
    setup_logging(logging.WARNING if getattr(args, "quiet", False) else logging.INFO)
    try:
        dispatch(args)
    except AvatarError as exc:
        print(f"avatar: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("avatar: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"avatar: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)", file=sys.stderr
        )
        return 3
    return 0
