"""``avatar export onnx OUT_DIR``: the command-line side of the ONNX export."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], None]


def add_parsers(commands: argparse._SubParsersAction, add_common: Callable) -> dict[str, Handler]:
    """Add ``export`` (with ``onnx``); returns its handler."""
    export = commands.add_parser(
        "export", help="export the networks (ONNX)", description="Export the networks."
    )
    kinds = export.add_subparsers(dest="export_kind", metavar="FORMAT", required=True)
    onnx = kinds.add_parser(
        "onnx",
        help="the lip-sync and motion networks as ONNX (opset 17, dynamic time axes)",
        description="Write lipsync.onnx and motion.onnx, each with a .json of its dims and SHA-256s, "
        "into OUT_DIR. They give the same numbers as the torch networks (to 1e-4 and better).",
    )
    onnx.add_argument("out_dir", metavar="OUT_DIR", help="folder to write into (made if missing)")
    onnx.add_argument("--model", metavar="CHECKPOINT", help="lip-sync checkpoint (default: the shipped one)")
    add_common(onnx, device=False, example="device=cpu")
    return {"export": cmd_export}


def cmd_export(args: argparse.Namespace) -> None:
    from ..motion.model import load_motion
    from ..neural.model import load_model
    from ..weights import shipped
    from .export import export_onnx

    lipsync = (args.model, None) if args.model else shipped("lipsync")
    motion = shipped("motion")
    paths = export_onnx(
        args.out_dir,
        load_model(*lipsync)[0],
        load_motion(str(motion[0]), motion[1]),
        {"lipsync": lipsync[1], "motion": motion[1]},
    )
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
