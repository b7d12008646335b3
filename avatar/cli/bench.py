"""``avatar bench``: time every stage on this machine (avatar/bench.py)."""

from __future__ import annotations

import argparse
import json

from ..errors import AvatarError
from .common import add_common, overrides

DESCRIPTION = (
    "Time every stage on the shipped sample clip repeated to --seconds: speech encoder, expression "
    "model, VAD gate, motion, filter, render and encode at 256 and 512, end to end, and a stream's "
    "first frame; torch, onnx (onnxruntime fp32) and int8 (onnxruntime, quantized MatMuls) side by side."
)


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``bench`` to ``commands``."""
    parser = commands.add_parser(name, help=text, description=DESCRIPTION)
    parser.add_argument("--seconds", type=float, default=20.0, help="audio to time on (default 20)")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch and onnxruntime threads (default: torch's)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_common(parser, device=False, example="inference.batch_size=16")
    return parser


def run(args: argparse.Namespace) -> None:
    """The timings as a table (or one JSON object) on stdout."""
    from ..bench import run_bench

    if not 1.0 <= args.seconds <= 600.0:
        raise AvatarError(f"--seconds must be from 1 to 600, got {args.seconds:g}")
    result = run_bench(args.seconds, args.threads, overrides(args.set))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            for stage, ms in value.items():
                print(f"{key:6s} {stage:20s} {ms:8.3f}")
        else:
            print(f"{key:27s} {value}")
