"""Fixtures for the command-line tests: ``cli`` to run a command, and a portrait to enroll."""

import argparse
from pathlib import Path

import matplotlib
import pytest

from avatar.cli import build_parser, dispatch

GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"  # US Navy, public domain


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """``cli(*argv)``: parse and run one command in an empty AVATAR_HOME, return its stdout; user
    errors raise as they are."""
    monkeypatch.setenv("AVATAR_HOME", str(tmp_path / "home"))
    parser = build_parser()

    def run(*argv) -> str:
        args = parser.parse_args([str(a) for a in argv])
        dispatch(args)
        return capsys.readouterr().out

    return run


@pytest.fixture
def grace(tmp_path) -> Path:
    """A copy of grace_hopper.jpg, so the file name (and the avatar name) is ours."""
    path = tmp_path / "grace_hopper.jpg"
    path.write_bytes(GRACE_HOPPER.read_bytes())
    return path


def walk(parser: argparse.ArgumentParser):
    """(parser, action) for every action of ``parser`` and of its sub-commands, with a check that
    each sub-command has a help line."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, choice.dest
            for sub in action.choices.values():
                yield from walk(sub)
        else:
            yield parser, action
