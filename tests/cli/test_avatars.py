"""``avatar enroll`` and ``avatar avatars`` through their argparse glue."""

import argparse

import pytest

from avatar.errors import AvatarError, ImageError
from avatar.portrait.commands import add_parsers


@pytest.fixture
def cli(capsys):
    parser = argparse.ArgumentParser(prog="avatar")
    commands = parser.add_subparsers(dest="command", required=True)
    handlers = add_parsers(commands)

    def run(*argv):
        args = parser.parse_args([str(a) for a in argv])
        handlers[args.command](args)
        return capsys.readouterr().out

    run.parser = parser
    return run


def test_enroll_then_cache_hit(cli, grace):
    out = cli("enroll", grace)
    assert out.startswith("enrolled grace_hopper from grace_hopper.jpg") and out.count("\n") == 1
    out = cli("enroll", grace)
    assert out.startswith("enrolled grace_hopper (cache hit") and out.count("\n") == 1
    assert cli("enroll", grace, "--name", "Admiral", "-q") == ""
    assert "admiral" in cli("avatars")


def test_enroll_errors_are_avatar_errors(cli, tmp_path):
    with pytest.raises(ImageError, match="not found"):
        cli("enroll", tmp_path / "missing.png")


def test_avatars_table_and_rm(cli, grace):
    cli("enroll", grace)
    lines = cli("avatars").splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "ENROLLED", "MOUTH_OPEN"]
    assert lines[1].split()[:2] == ["astronaut", "skimage.data.astronaut()"]
    assert lines[2].split()[:2] == ["grace_hopper", "grace_hopper.jpg"]
    assert cli("avatars", "rm", "grace_hopper") == "removed grace_hopper\n"
    assert len(cli("avatars").splitlines()) == 2
    with pytest.raises(AvatarError, match="cannot be removed"):
        cli("avatars", "rm", "astronaut")
    with pytest.raises(AvatarError, match="unknown avatar"):
        cli("avatars", "rm", "nobody")


def test_every_option_has_help(cli):
    def walk(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, choice.dest
                for sub in action.choices.values():
                    yield from walk(sub)
            else:
                yield action

    actions = list(walk(cli.parser))
    assert {"--name", "--debug", "--quiet"} <= {s for a in actions for s in a.option_strings}
    for action in actions:
        assert action.help, action.dest
