"""Command-line side of the motion model: the user's controls and ``avatar train-motion``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..expression.emotions import EMOTIONS

Handler = Callable[[argparse.Namespace], None]


def _fraction(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number from {low:g} to {high:g}, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, got {value:g}")
        return value

    return parse


def add_control_args(parser: argparse.ArgumentParser) -> None:
    """--seed, --head-motion, --still, --blink, --gaze, --expression-scale, --emotion(-strength)."""
    group = parser.add_argument_group("motion and expression (config section: controls)")
    group.add_argument("--seed", type=int, metavar="N", help="seed of the motion's random draws (default 0)")
    group.add_argument(
        "--head-motion",
        type=_fraction(0, 2),
        metavar="X",
        help="scale of the head's motion, 0..2 (default 1)",
    )
    group.add_argument("--still", action="store_true", default=None, help="no head motion at all")
    group.add_argument("--blink", choices=("on", "off"), help="blinks (default on)")
    group.add_argument(
        "--gaze",
        choices=("natural", "camera"),
        help="natural: looks away and back; camera: fixed on the viewer",
    )
    group.add_argument(
        "--expression-scale",
        type=_fraction(0, 2),
        metavar="X",
        help="scale of the lip-sync's mouth shapes, 0..2 (closures are kept; default 1)",
    )
    group.add_argument("--emotion", choices=EMOTIONS, help="emotion preset (default neutral)")
    group.add_argument(
        "--emotion-strength",
        type=_fraction(0, 1),
        metavar="X",
        help="strength of --emotion, 0..1 (default 1)",
    )


def control_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config overrides (controls.*) of the control flags that were given."""
    keys = ("seed", "head_motion", "still", "gaze", "expression_scale", "emotion", "emotion_strength")
    out = {f"controls.{k}": getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    if getattr(args, "blink", None) is not None:
        out["controls.blink"] = args.blink == "on"
    return out


def add_parsers(commands: argparse._SubParsersAction, add_common: Callable) -> dict[str, Handler]:
    """Add ``train-motion``; returns its handler."""
    tm = commands.add_parser(
        "train-motion",
        help="train the motion model (head, gaze, blinks) on data made by 'avatar data synth'",
        description="Train the motion network from a recipe (configs/train_motion.yaml): prosody of the "
        "synthetic speech, strung into conversations, with targets from the documented generator.",
    )
    tm.add_argument("--config", metavar="FILE", required=True, help="training recipe (YAML)")
    add_common(tm, device=False, example="steps=100")
    return {"train-motion": cmd_train_motion}


def cmd_train_motion(args: argparse.Namespace) -> None:
    from ..cli import _overrides, training_log
    from ..config import MotionTrainConfig, load_train_config
    from .train import train_motion

    cfg = load_train_config(args.config, _overrides(args.set), schema=MotionTrainConfig)
    train_motion(cfg, log=training_log(args))
