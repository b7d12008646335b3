"""``avatar train-mouth``: train the learned mouth on self-reenactment pairs from a recipe."""

from __future__ import annotations

import argparse

from .common import add_recipe_parser, run_recipe


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``train-mouth`` to ``commands``."""
    return add_recipe_parser(
        commands,
        name,
        text,
        "Train the learned mouth from a recipe (configs/train_mouth.yaml) on the pairs that "
        "'avatar data mouth' made from real talking faces.",
        example="steps=100",
    )


def run(args: argparse.Namespace) -> None:
    """Train and write the mouth checkpoint the recipe names; progress lines on stderr."""
    from ..config import MouthTrainConfig
    from ..render.train_mouth import train_mouth

    run_recipe(args, MouthTrainConfig, train_mouth)
