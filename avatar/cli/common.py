"""What the commands share: the one-line-error parser, common flags, the config from the flags,
the control flags (from the schema in avatar/controls.py), transcript reading, logging, progress.

Only the standard library is imported here at module level, so that building the parser stays
fast (``avatar --help``); everything heavier is imported inside the function that needs it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, get_args, get_origin

from ..errors import AvatarError, ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..config import Config

log = logging.getLogger("avatar")

PROGRESS_MIN_S = 20.0  # show a progress bar for audio at least this long

EPILOG = """\
configuration:
  Defaults come from configs/model.yaml and configs/inference.yaml. Override any key with
  an environment variable (AVATAR_DEVICE=cuda, AVATAR_PHONETIC__LEAD_MS=40) or with
  --set KEY=VALUE (e.g. --set phonetic.strength=1.3); command-line flags win.
"""

RUNTIME_FLAGS = (  # flag, choices, help: each sets the config key of its name
    ("--device", ("cpu", "cuda", "auto"), "compute device (config: device)"),
    ("--backend", ("torch", "onnx"), "run the networks in torch or onnxruntime (config: backend)"),
    ("--precision", ("fp32", "fp16", "int8"), "fp16: torch on CUDA; int8: onnx (config: precision)"),
)

FRAME_SIZES = (256, 512)  # avatar.generate.SIZES (a test checks), not imported: --help stays light
SWITCHES = ("still",)  # boolean controls given as a bare flag (--still); the others take on/off
CONTROLS_PREFIX = "controls."  # the control flags' dest: the config key they set


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse's own prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("avatar").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"avatar: error: {where}{message} (see --help)\n")


def add_speech_parser(
    commands: argparse._SubParsersAction, name: str, text: str, description: str
) -> argparse.ArgumentParser:
    """A command that animates speech: its parser, with the configuration epilog and
    ``add_speech_args``; the caller adds its own flags, then the controls and the common ones."""
    parser = commands.add_parser(
        name,
        help=text,
        description=description,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_speech_args(parser)
    return parser


def add_recipe_parser(
    commands: argparse._SubParsersAction, name: str, text: str, description: str, example: str
) -> argparse.ArgumentParser:
    """A training command: --config (the recipe), --set (``example``), -q and --debug."""
    parser = commands.add_parser(name, help=text, description=description)
    parser.add_argument("--config", metavar="FILE", required=True, help="training recipe (YAML)")
    add_common(parser, device=False, example=example)
    return parser


def add_speech_args(parser: argparse.ArgumentParser) -> None:
    """--audio, --text / --text-file, --lipsync and --model: the speech a command animates."""
    parser.add_argument(
        "--audio",
        metavar="FILE",
        help="speech: wav, flac, ogg, mp3, m4a/aac or a video's audio track, any rate or channel count "
        "(default: the built-in sample clip, with its transcript)",
    )
    text = parser.add_mutually_exclusive_group()
    text.add_argument(
        "--text", metavar="TEXT", help="transcript of the audio (--lipsync phonetic: improves timing)"
    )
    text.add_argument("--text-file", metavar="FILE", help="read the transcript from a UTF-8 text file")
    add_lipsync_args(parser)


def add_lipsync_args(parser: argparse.ArgumentParser) -> None:
    """--lipsync and --model, shared by every command that animates speech."""
    parser.add_argument(
        "--lipsync",
        choices=("phonetic", "neural"),
        help="neural (the shipped network, or --model) or phonetic (pocketsphinx phones); "
        "default: config key lipsync",
    )
    parser.add_argument(
        "--model",
        metavar="CHECKPOINT",
        help="neural lip-sync checkpoint made by 'avatar train' (implies neural)",
    )


def add_common(
    parser: argparse.ArgumentParser, device: bool = True, example: str = "phonetic.lead_ms=40"
) -> None:
    """--device/--backend/--precision (unless ``device`` is False), --set, -q and --debug."""
    if device:
        for flag, choices, text in RUNTIME_FLAGS:
            parser.add_argument(flag, choices=choices, help=text)
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help=f"override a config key, e.g. --set {example} (repeatable)",
    )
    add_quiet_debug(parser)


QUIET_HELP = "no progress bar, log or summary"


def add_quiet_debug(parser: argparse.ArgumentParser, quiet_help: str = QUIET_HELP) -> None:
    """-q/--quiet and --debug, which ``avatar.cli.main`` reads for every command."""
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    """An argparse type: ``kind`` from ``low`` to ``high``, else a one-line error naming the range."""
    noun = "an integer" if kind is int else "a number"
    span = f"from {_number(low)} to {_number(high)}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun} {span}, got {text!r}") from None
        if not low <= value <= high:  # NaN fails this too
            raise argparse.ArgumentTypeError(f"must be {span}, got {_number(value)}")
        return value

    return parse


def _bounds(name: str, metadata: list) -> tuple[float, float] | None:
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    if any(hasattr(m, "gt") or hasattr(m, "lt") for m in metadata) or (low is None) != (high is None):
        raise TypeError(f"control {name}: a flag needs both bounds as ge and le")
    return None if low is None else (low, high)


def add_control_args(parser: argparse.ArgumentParser, schema: type[BaseModel] | None = None) -> None:
    """The control flags, one per field of ``schema`` (default: avatar.controls.Controls): --seed,
    --head-motion, --still, --blink, --gaze, --expression-scale, --emotion, --emotion-strength.
    Bounds become a checking type, Literal and enum fields choices, booleans on/off (or a bare
    flag, for SWITCHES); the defaults shown are the shipped configs/inference.yaml's."""
    import yaml

    from ..config import default_config_dir
    from ..controls import Controls

    shipped = yaml.safe_load((default_config_dir() / "inference.yaml").read_text())["controls"]
    group = parser.add_argument_group("motion and expression (config section: controls)")
    for name, info in (schema or Controls).model_fields.items():
        flag, dest, kind = "--" + name.replace("_", "-"), CONTROLS_PREFIX + name, info.annotation
        default, text = shipped[name], info.description
        choices = (info.json_schema_extra or {}).get("enum")
        if get_origin(kind) is Literal:
            choices = get_args(kind)
        if name in SWITCHES:
            group.add_argument(flag, dest=dest, action="store_true", default=None, help=text)
        elif kind is bool:
            on = "on" if default else "off"
            group.add_argument(
                flag, dest=dest, type=on_off, metavar="{on,off}", help=f"{text} (default {on})"
            )
        elif choices:
            group.add_argument(flag, dest=dest, choices=choices, help=f"{text} (default {default})")
        elif kind in (int, float) and (span := _bounds(name, info.metadata)):
            low, high = span
            group.add_argument(
                flag,
                dest=dest,
                type=bounded(kind, low, high),
                metavar="N" if kind is int else "X",
                help=f"{text}, {_number(low)}..{_number(high)} (default {_number(default)})",
            )
        else:
            raise TypeError(f"control {name}: no flag form for {kind}")


def on_off(text: str) -> bool:
    """An argparse type: "on" or "off" as a bool."""
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return text == "on"


def control_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config overrides (controls.*) of the control flags that were given."""
    return {k: v for k, v in vars(args).items() if k.startswith(CONTROLS_PREFIX) and v is not None}


def overrides(items: list[str]) -> dict[str, str]:
    """--set KEY=VALUE items -> {key: value}."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def config_from_args(args: argparse.Namespace) -> Config:
    """The config: files, environment, --set, then the flags (controls, --lipsync, --device...)."""
    from ..config import load_config

    settings: dict[str, Any] = {**overrides(args.set), **control_overrides(args)}
    if getattr(args, "model", None):
        if getattr(args, "lipsync", None) == "phonetic":
            raise AvatarError("--model is a neural checkpoint: it cannot go with --lipsync phonetic")
        settings["lipsync"] = "neural"
    if getattr(args, "lipsync", None):
        settings["lipsync"] = args.lipsync
    for key in (flag.removeprefix("--") for flag, _, _ in RUNTIME_FLAGS):
        if getattr(args, key, None):
            settings[key] = getattr(args, key)
    return load_config(settings)


def read_text(args: argparse.Namespace) -> str | None:
    """The transcript of --text or --text-file (None without either); AvatarError if unusable."""
    if args.text_file is None:
        if args.text is not None and not args.text.strip():
            raise AvatarError("--text is empty: give the transcript or leave the flag out")
        return args.text
    path = Path(args.text_file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AvatarError(f"transcript file not found: {path}") from None
    except IsADirectoryError:
        raise AvatarError(f"transcript path is a directory: {path}") from None
    except UnicodeDecodeError:
        raise AvatarError(f"transcript file is not UTF-8 text: {path}") from None
    except OSError as exc:
        raise AvatarError(f"cannot read transcript file {path}: {exc.strerror}") from None
    if not text.strip():
        raise AvatarError(f"transcript file is empty: {path}")
    return text


def speech(args: argparse.Namespace, lipsync: str = "phonetic") -> tuple[Path, str | None]:
    """The audio file and transcript to use (the built-in sample when --audio is left out); a note
    when a transcript was given to a ``lipsync`` that hears the audio only."""
    from ..pipeline import sample_clip

    text = read_text(args)
    if text is not None and lipsync == "neural":
        log.info("the neural lip-sync hears the audio only: --text is for --lipsync phonetic")
    if args.audio is not None:
        return Path(args.audio), text
    audio, sample_text = sample_clip()
    log.info("no --audio given: using the built-in sample clip %s", audio.name)
    return audio, text if text is not None else sample_text


class StderrHandler(logging.Handler):
    """One line per message on the *current* sys.stderr: 'avatar: note' / 'avatar: warning: ...'."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        print(f"avatar: {level}{record.getMessage()}", file=sys.stderr)


def setup_logging(level: int) -> None:
    """The "avatar" logger to stderr, one line a message, at ``level``."""
    log.handlers = [h for h in log.handlers if not isinstance(h, StderrHandler)]
    log.addHandler(StderrHandler())
    log.setLevel(level)
    log.propagate = False


class Progress:
    """A tqdm bar (over seconds of audio, or frames), opened on the first report; only on a
    terminal, as a bar redrawn into a log file or a pipe is noise around the one-line messages."""

    def __init__(self, enabled: bool, desc: str = "lip-sync", unit: str = "s") -> None:
        self.enabled, self.desc, self.unit = enabled and sys.stderr.isatty(), desc, unit
        self.bar = None

    def __call__(self, done: float, total: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=round(total, 1), unit=self.unit, desc=self.desc, file=sys.stderr, leave=False
            )
        self.bar.update(round(min(done, total), 1) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_recipe(args: argparse.Namespace, schema: type, train: Callable[..., object]) -> None:
    """A training command's work: ``args.config`` with its ``--set`` overrides, validated as
    ``schema``, handed to ``train(recipe, log=...)``."""
    from ..config import load_train_config

    train(load_train_config(args.config, overrides(args.set), schema=schema), log=training_log(args))


def training_log(args: argparse.Namespace) -> Callable[[str], None]:
    """Where a training command's progress lines go: stderr, or nowhere with -q."""
    return (lambda _: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
