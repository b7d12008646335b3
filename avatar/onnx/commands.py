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
        help="every network and one avatar's renderer as ONNX (opset 17, dynamic time axes), + INT8",
        description="Write speech_encoder.onnx, expression.onnx, motion.onnx and renderer.onnx into "
        "OUT_DIR, each with a .json of its dims and SHA-256s, and INT8 variants of the two lip-sync "
        "graphs (speech_encoder.int8.onnx, expression.int8.onnx: dynamic quantization of MatMul/Gemm). "
        "The float graphs give the torch networks' numbers to 1e-4 and the renderer's frames to 1/255. "
        "The service does not need these files: 'backend: onnx' exports what it runs by itself.",
    )
    onnx.add_argument("out_dir", metavar="OUT_DIR", help="folder to write into (made if missing)")
    onnx.add_argument("--model", metavar="CHECKPOINT", help="lip-sync checkpoint (default: the shipped one)")
    onnx.add_argument(
        "--avatar",
        metavar="NAME",
        help="the avatar the renderer draws (an enrolled name); default: astronaut",
    )
    onnx.add_argument(
        "--size", type=int, choices=(256, 512), default=256, help="the renderer's frame size (default 256)"
    )
    add_common(onnx, device=False, example="device=cpu")
    return {"export": cmd_export}


def cmd_export(args: argparse.Namespace) -> None:
    from ..motion.model import load_motion
    from ..neural.model import load_model
    from ..pipeline import checkpoint_for
    from ..portrait import default_avatar, load_avatar
    from ..render import Renderer
    from .export import export_lipsync, export_motion, export_renderer, quantize_int8

    lipsync, motion = checkpoint_for("lipsync", args.model), checkpoint_for("motion", None)
    avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    paths = export_lipsync(args.out_dir, load_model(*lipsync)[0], lipsync[1])
    paths.append(export_motion(args.out_dir, load_motion(str(motion[0]), motion[1]), motion[1]))
    renderer = Renderer(avatar.image, avatar.landmarks, args.size)
    paths.append(export_renderer(f"{args.out_dir}/renderer.onnx", renderer, avatar.name))
    paths += quantize_int8(args.out_dir)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
