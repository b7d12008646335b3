"""One schema for the user's controls: the config section, the request options and the CLI flags
all take their bounds, choices and fields from avatar.controls.Controls."""

import argparse

import pytest
from pydantic import Field, ValidationError

from avatar.cli.common import Parser, add_control_args, control_overrides
from avatar.config import ControlsConfig, load_config
from avatar.controls import ControlOptions, Controls, options_model
from avatar.errors import ConfigError
from avatar.server.routers.generate import GenerateOptions
from avatar.stream.protocol import StreamOptions


def _bound(info, kind: str):
    return next((getattr(m, kind) for m in info.metadata if hasattr(m, kind)), None)


BOUNDED = {  # name -> (low, high), as the schema says
    name: (_bound(info, "ge"), _bound(info, "le"))
    for name, info in Controls.model_fields.items()
    if _bound(info, "ge") is not None
}


def _parser(schema=None) -> argparse.ArgumentParser:
    parser = Parser(prog="avatar test")
    add_control_args(parser, schema)
    return parser


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _cli_accepts(name: str, value, schema=None) -> bool:
    try:
        _parser(schema).parse_args([_flag(name), str(value)])
    except SystemExit:
        return False
    return True


def _accepts(model, name: str, value) -> bool:
    try:
        model(**{name: value})
    except ValidationError:
        return False
    return True


def _config_accepts(name: str, value) -> bool:
    try:
        load_config({f"controls.{name}": value}, env={})
    except ConfigError:
        return False
    return True


def test_every_control_is_in_all_three():
    fields = set(Controls.model_fields)
    assert set(ControlsConfig.model_fields) == fields and issubclass(ControlsConfig, Controls)
    for name, info in Controls.model_fields.items():
        assert ControlsConfig.model_fields[name].metadata == info.metadata, name
    assert set(ControlOptions.model_fields) == fields
    assert set(control_overrides(_parser().parse_args([]))) == set()  # nothing given, nothing set
    dests = {a.dest for a in _parser()._actions if a.dest.startswith("controls.")}
    assert dests == {f"controls.{name}" for name in fields}
    assert {"seed", "head_motion", "expression_scale", "emotion_strength"} <= set(BOUNDED)


@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_bounds_agree_everywhere(name):
    low, high = BOUNDED[name]
    step = 1 if isinstance(high, int) else 0.01
    for model in (ControlOptions, GenerateOptions, StreamOptions):
        assert _accepts(model, name, low) and _accepts(model, name, high), model
        assert not _accepts(model, name, high + step) and not _accepts(model, name, low - step), model
    assert _config_accepts(name, high) and not _config_accepts(name, high + step)
    assert _config_accepts(name, low) and not _config_accepts(name, low - step)
    assert _cli_accepts(name, high) and not _cli_accepts(name, high + step)
    assert _cli_accepts(name, low) and not _cli_accepts(name, low - step)


def test_seed_is_bounded_by_2_31_everywhere():
    assert BOUNDED["seed"] == (0, 2**31 - 1)  # the config had no upper bound, the CLI none at all
    assert not _config_accepts("seed", 2**31) and not _cli_accepts("seed", 2**31)
    assert not _cli_accepts("seed", -1)


def test_choices_agree_everywhere():
    parser = _parser()
    choices = {a.dest: a.choices for a in parser._actions if a.choices}
    assert list(choices["controls.gaze"]) == ["natural", "camera"]
    for emotion in choices["controls.emotion"]:
        assert _config_accepts("emotion", emotion) and _accepts(ControlOptions, "emotion", emotion)
    for bad in ("joy", "Happy"):
        assert not _config_accepts("emotion", bad) and not _accepts(ControlOptions, "emotion", bad)
        assert not _cli_accepts("emotion", bad)
    assert not _accepts(ControlOptions, "gaze", "sideways") and not _cli_accepts("gaze", "sideways")


def test_flags_set_the_config_keys():
    args = _parser().parse_args(["--seed", "7", "--still", "--blink", "off", "--emotion", "sad"])
    assert control_overrides(args) == {
        "controls.seed": 7,
        "controls.still": True,
        "controls.blink": False,
        "controls.emotion": "sad",
    }
    assert ControlOptions(seed=7, still=True, blink=False, emotion="sad").overrides() == control_overrides(
        args
    )
    controls = load_config(control_overrides(args), env={}).inference.controls
    assert (controls.seed, controls.still, controls.blink, controls.emotion) == (7, True, False, "sad")


def test_a_bound_changed_in_the_schema_shows_in_the_options_and_the_flags():
    class Narrow(Controls):
        head_motion: float = Field(ge=0.0, le=0.5, description="scale of the head's motion")

    assert _accepts(ControlOptions, "head_motion", 1.5) and _cli_accepts("head_motion", 1.5)
    narrow = options_model(Narrow)
    assert not _accepts(narrow, "head_motion", 0.6) and _accepts(narrow, "head_motion", 0.5)
    assert not _cli_accepts("head_motion", 0.6, Narrow) and _cli_accepts("head_motion", 0.5, Narrow)
    help_text = _parser(Narrow).format_help()
    assert "0..0.5" in help_text
    with pytest.raises(ValidationError):
        Narrow(**{**load_config(env={}).inference.controls.model_dump(), "head_motion": 0.6})
