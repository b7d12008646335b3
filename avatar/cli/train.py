"""``avatar train``: train the neural lip-sync from a recipe."""

from __future__ import annotations

import argparse

from .common import add_recipe_parser, run_recipe


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``train`` to ``commands``."""
    return add_recipe_parser(
        commands,
        name,
        text,
        "Train the neural lip-sync from a recipe (configs/train.yaml; configs/train_tiny.yaml "
        "trains a toy network in seconds). Prints held-out figures as it goes and writes the checkpoint.",
        example="optim.steps=100",
    )


def run(args: argparse.Namespace) -> None:
    """Train and write the checkpoint the recipe names; progress lines on stderr."""
    from ..config import TrainConfig
    from ..neural.train import train

    run_recipe(args, TrainConfig, train)
