"""``avatar export onnx OUT_DIR``: the networks and one avatar's renderer as ONNX."""

from __future__ import annotations

import argparse
import sys

from .common import FRAME_SIZES, add_common, config_from_args


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``export`` (with ``onnx``) to ``commands``."""
    parser = commands.add_parser(name, help=text, description="Export the networks.")
    kinds = parser.add_subparsers(dest="export_kind", metavar="FORMAT", required=True)
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
        "--size", type=int, choices=FRAME_SIZES, default=256, help="the renderer's frame size (default 256)"
    )
    add_common(onnx, device=False, example="device=cpu")
    return parser


def run(args: argparse.Namespace) -> None:
    """Write the ONNX files into ``args.out_dir``; their names on stderr."""
    from ..models import checkpoint_path, lipsync_net, load_renderer, motion_net
    from ..onnx.export import export_lipsync, export_motion, export_renderer, quantize_int8
    from ..portrait import default_avatar, load_avatar

    lipsync_sha, motion_sha = checkpoint_path("lipsync", args.model)[1], checkpoint_path("motion")[1]
    avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    paths = export_lipsync(args.out_dir, lipsync_net(args.model), lipsync_sha)
    paths.append(export_motion(args.out_dir, motion_net(), motion_sha))
    renderer = load_renderer(avatar, args.size, config_from_args(args), "cpu")  # render.mouth as configured
    paths.append(export_renderer(f"{args.out_dir}/renderer.onnx", renderer, avatar.name))
    paths += quantize_int8(args.out_dir)
    if not args.quiet:
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
