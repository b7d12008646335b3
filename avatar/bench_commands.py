"""``avatar bench``: the command-line side of avatar/bench.py."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

HELP = "time every stage on this machine (ms per frame, fps, first-frame latency, RSS)"
DESCRIPTION = (
    "Time every stage on the shipped sample clip repeated to --seconds: speech encoder, expression "
    "model, VAD gate, motion, filter, render and encode at 256 and 512, end to end, and a stream's "
    "first frame; torch, onnx (onnxruntime fp32) and int8 (onnxruntime, quantized MatMuls) side by side."
)


def add_parsers(
    commands: argparse._SubParsersAction, add_common: Callable
) -> dict[str, Callable[[argparse.Namespace], None]]:
    """Add ``bench``; returns its handler."""
    bench = commands.add_parser("bench", help=HELP, description=DESCRIPTION)
    bench.add_argument("--seconds", type=float, default=20.0, help="audio to time on (default 20)")
    bench.add_argument(
        "--threads", type=int, default=0, help="torch and onnxruntime threads (default: torch's)"
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_common(bench, device=False, example="inference.batch_size=16")
    return {"bench": cmd_bench}


def cmd_bench(args: argparse.Namespace) -> None:
    from .bench import run_bench
    from .cli import _overrides
    from .errors import AvatarError

    if not 1.0 <= args.seconds <= 600.0:
        raise AvatarError(f"--seconds must be from 1 to 600, got {args.seconds:g}")
    result = run_bench(args.seconds, args.threads, _overrides(args.set))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            for stage, ms in value.items():
                print(f"{key:6s} {stage:20s} {ms:8.3f}")
        else:
            print(f"{key:27s} {value}")
