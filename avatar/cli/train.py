"""``avatar train``: train the neural lip-sync from a recipe."""

from __future__ import annotations

import argparse

from .common import add_common, overrides, training_log


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``train`` to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="Train the neural lip-sync from a recipe (configs/train.yaml; configs/train_tiny.yaml "
        "trains a toy network in seconds). Prints held-out figures as it goes and writes the checkpoint.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="training recipe (YAML)")
    add_common(parser, device=False, example="optim.steps=100")
    return parser


def run(args: argparse.Namespace) -> None:
    """Train and write the checkpoint the recipe names; progress lines on stderr."""
    from ..config import load_train_config
    from ..neural.train import train

    cfg = load_train_config(args.config, overrides(args.set))
    train(cfg, log=training_log(args))
