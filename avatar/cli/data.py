"""``avatar data synth``: make training data for the neural lip-sync."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import AvatarError
from .common import add_common, config_from_args


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``data`` (with ``synth``) to ``commands``."""
    parser = commands.add_parser(name, help=text, description="Training data for the neural lip-sync.")
    kinds = parser.add_subparsers(dest="data_kind", metavar="KIND", required=True)
    syn = kinds.add_parser(
        "synth",
        help="synthetic speech (espeak-ng, flite, festival) with phone labels and mouth targets",
        description=(
            "Generate random sentences, speak them with many TTS voices and languages, label the "
            "phones (pocketsphinx forced alignment for English, espeak-ng's own phoneme timings "
            "otherwise), compute the phonetic animator's 64-d targets, and augment the audio "
            "(speed, pauses with breaths, noise or music, reverberation, EQ, noise, gain). Writes "
            "DIR/manifest.jsonl, DIR/audio/ID.flac and DIR/labels/ID.npz. Deterministic for a "
            "seed; a rerun into the same folder resumes, and a larger --hours extends the set."
        ),
    )
    syn.add_argument("--hours", type=float, required=True, help="hours of audio to make (e.g. 0.1)")
    syn.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder for the data set: new, empty, or made by this command",
    )
    syn.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    syn.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: the CPU count)")
    syn.add_argument(
        "--languages",
        metavar="LIST",
        help="comma-separated subset of en,de,fr,es,it,pt,nl (default: all)",
    )
    add_common(syn)
    return parser


def run(args: argparse.Namespace) -> None:
    """Make (or extend) the data set; a summary line on stderr."""
    from ..data.factory import synth

    if args.data_kind != "synth":  # argparse only lets 'synth' through; a guard for new kinds
        raise AvatarError(f"unknown data command: {args.data_kind}")
    manifest = synth(
        args.hours,
        args.out,
        args.seed,
        jobs=args.jobs,
        languages=args.languages,
        progress=not args.quiet,
        cfg=config_from_args(args),
    )
    if not args.quiet:
        summary = json.loads((manifest.parent / "synth.json").read_text())
        dropped = sum(summary["dropped"].values())
        print(
            f"wrote {manifest}: {summary['utterances']} utterances, {summary['audio_hours']:.3f} h of audio "
            f"({dropped} dropped, {summary['made_this_run']} made now in {summary['wall_s_this_run']:.0f} s)",
            file=sys.stderr,
        )
