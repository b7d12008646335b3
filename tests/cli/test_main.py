"""The ``avatar`` entry point: --version, --help, one module per command, light imports, the
other ways in (python -m avatar, main.py, api/server.py)."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import avatar.cli
from avatar import __version__
from avatar.cli import COMMANDS, build_parser, command_module, main

from .conftest import walk

ROOT = Path(__file__).parents[2]
HEAVY = (
    "torch",
    "fastapi",
    "uvicorn",
    "onnxruntime",
    "mediapipe",
    "cv2",
    "av",
    "avatar.server",
    "avatar.pipeline",
)


def _exit(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_version(capsys):
    code, out, _ = _exit(capsys, "--version")
    assert code == 0 and out == f"avatar {__version__}\n"


def test_help_lists_every_command(capsys):
    code, out, _ = _exit(capsys, "--help")
    assert code == 0 and out.startswith("usage: avatar")
    for name, text in COMMANDS.items():
        assert name in out and text.split()[0] in out


def test_unknown_command_and_no_command_are_one_line(capsys):
    for argv in (["frobnicate"], []):
        code, _, err = _exit(capsys, *argv)
        lines = err.splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("avatar: error: "), err


def test_one_module_per_command():
    modules = {m.name for m in pkgutil.iter_modules(avatar.cli.__path__)} - {"common"}
    assert modules == {name.replace("-", "_") for name in COMMANDS}
    for name in COMMANDS:
        module = command_module(name)
        assert callable(module.add_parser) and callable(module.run), name


def test_every_command_documents_every_flag():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == set(COMMANDS)
    for name, command in commands.items():
        actions = list(walk(command))  # asserts the sub-commands' help lines too
        for parser, action in actions:
            assert action.help, f"{parser.prog} {action.option_strings or action.dest} has no help"
            for flag in action.option_strings:
                assert flag in parser.format_help(), f"{parser.prog} {flag}"
        assert {"--quiet", "--debug"} <= {s for _, a in actions for s in a.option_strings}, name


def _imported_after(code: str) -> dict:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_building_the_parser_imports_nothing_heavy():
    """--version and --help import no command module; the full parser no network or server."""
    top = _imported_after("from avatar.cli import build_parser\nbuild_parser(only=())")
    assert not {"pydantic", "numpy", *HEAVY} & top
    assert not {m for m in top if m.startswith("avatar.cli.") and m != "avatar.cli.common"}
    full = _imported_after("from avatar.cli import build_parser\nbuild_parser()")
    assert not set(HEAVY) & full


def test_python_m_avatar_runs_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "avatar", "blendshapes", "--audio", str(tmp_path / "x.flac"), "-o", "o.csv"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("avatar: error: audio file not found")


@pytest.mark.parametrize(("script", "command"), [("main.py", "generate"), ("api/server.py", "serve")])
def test_scripts_are_the_commands(script, command):
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: avatar {command}")
