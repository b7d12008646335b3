"""``avatar train-motion``: train the motion model (head, gaze, blinks) from a recipe."""

from __future__ import annotations

import argparse

from .common import add_common, overrides, training_log


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``train-motion`` to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="Train the motion network from a recipe (configs/train_motion.yaml): prosody of the "
        "synthetic speech, strung into conversations, with targets from the documented generator.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="training recipe (YAML)")
    add_common(parser, device=False, example="steps=100")
    return parser


def run(args: argparse.Namespace) -> None:
    """Train and write the motion checkpoint the recipe names; progress lines on stderr."""
    from ..config import MotionTrainConfig, load_train_config
    from ..motion.train import train_motion

    cfg = load_train_config(args.config, overrides(args.set), schema=MotionTrainConfig)
    train_motion(cfg, log=training_log(args))
