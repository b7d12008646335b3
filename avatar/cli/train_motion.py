"""``avatar train-motion``: train the motion model (head, gaze, blinks) from a recipe."""

from __future__ import annotations

import argparse

from .common import add_recipe_parser, run_recipe


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``train-motion`` to ``commands``."""
    return add_recipe_parser(
        commands,
        name,
        text,
        "Train the motion network from a recipe (configs/train_motion.yaml): prosody of the "
        "synthetic speech, strung into conversations, with targets from the documented generator.",
        example="steps=100",
    )


def run(args: argparse.Namespace) -> None:
    """Train and write the motion checkpoint the recipe names; progress lines on stderr."""
    from ..config import MotionTrainConfig
    from ..motion.train import train_motion

    run_recipe(args, MotionTrainConfig, train_motion)
