"""The ``avatar`` command line. Every user error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .bench_commands import add_parsers as add_bench_parsers
from .config import Config, load_config
from .data.commands import add_parsers as add_data_parsers
from .errors import AvatarError, ConfigError
from .eval.commands import add_parsers as add_eval_parsers
from .motion.commands import add_control_args, control_overrides
from .motion.commands import add_parsers as add_motion_parsers
from .onnx.commands import add_parsers as add_onnx_parsers
from .portrait.commands import add_parsers as add_portrait_parsers
from .server.commands import add_parsers as add_server_parsers

log = logging.getLogger("avatar")

PROGRESS_MIN_S = 20.0  # show a progress bar for audio at least this long

EPILOG = """\
configuration:
  Defaults come from configs/model.yaml and configs/inference.yaml. Override any key with
  an environment variable (AVATAR_DEVICE=cuda, AVATAR_PHONETIC__LEAD_MS=40) or with
  --set KEY=VALUE (e.g. --set phonetic.strength=1.3); command-line flags win.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse's own prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("avatar").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"avatar: error: {where}{message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="avatar",
        description="Real-time talking avatar: speech in, ARKit facial animation out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"avatar {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    bs = commands.add_parser(
        "blendshapes",
        help="speech -> ARKit blendshape curves (Live Link Face CSV or JSON)",
        description=(
            "Animate speech as 52 ARKit blendshapes (+ 12 speech articulators in JSON) at the "
            "configured frame rate (30 fps). With a transcript the phones are force-aligned; "
            "without one they are recognised from the audio."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_speech_args(bs)
    bs.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="output file: .csv (Live Link Face layout, ARKit channels + head/eye angles) or "
        ".json (all 64 channels, head and gaze)",
    )
    add_control_args(bs)
    _add_common(bs)

    gen = commands.add_parser(
        "generate",
        help="speech -> a talking-portrait MP4 (H.264 + AAC, 30 fps)",
        description=(
            "Make a portrait photo (or the built-in astronaut avatar) speak the audio: an MP4 "
            "(H.264 yuv420p + AAC, faststart) at the configured frame rate with one frame per "
            "1/30 s of audio, lip-synced with the phonetic path."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_speech_args(gen)
    who = gen.add_mutually_exclusive_group()
    who.add_argument(
        "--image", metavar="PHOTO", help="portrait photo to animate (enrolled and cached on first use)"
    )
    who.add_argument(
        "--avatar", metavar="NAME", help="an enrolled avatar (see 'avatar avatars'); default: astronaut"
    )
    gen.add_argument(
        "-o", "--output", metavar="OUT.mp4", default="output.mp4", help="video file (default: output.mp4)"
    )
    gen.add_argument(
        "--size", type=int, choices=(256, 512), default=256, help="frame size in pixels (default 256)"
    )
    gen.add_argument(
        "--blendshapes", metavar="OUT", help="also write the curves: .csv (Live Link Face) or .json"
    )
    add_control_args(gen)
    _add_common(gen)

    tr = commands.add_parser(
        "train",
        help="train the neural lip-sync on data made by 'avatar data synth'",
        description="Train the neural lip-sync from a recipe (configs/train.yaml; configs/train_tiny.yaml "
        "trains a toy network in seconds). Prints held-out figures as it goes and writes the checkpoint.",
    )
    tr.add_argument("--config", metavar="FILE", required=True, help="training recipe (YAML)")
    _add_common(tr, device=False, example="optim.steps=100")
    return parser


def _add_speech_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audio",
        metavar="FILE",
        help="speech: wav, flac, ogg, mp3, m4a/aac or a video's audio track, any rate or channel count "
        "(default: the built-in sample clip, with its transcript)",
    )
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="transcript of the audio (improves timing)")
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


RUNTIME_FLAGS = (  # flag, choices, help: each sets the config key of its name
    ("--device", ("cpu", "cuda", "auto"), "compute device (config: device)"),
    ("--backend", ("torch", "onnx"), "run the networks in torch or onnxruntime (config: backend)"),
    ("--precision", ("fp32", "fp16", "int8"), "fp16: torch on CUDA; int8: onnx (config: precision)"),
)


def _add_common(
    parser: argparse.ArgumentParser, device: bool = True, example: str = "phonetic.lead_ms=40"
) -> None:
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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar, log or summary")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")


def _overrides(items: list[str]) -> dict[str, str]:
    """--set KEY=VALUE items -> {key: value}."""
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = value
    return overrides


def _config(args: argparse.Namespace) -> Config:
    overrides: dict = {**_overrides(args.set), **control_overrides(args)}
    if getattr(args, "model", None):
        if getattr(args, "lipsync", None) == "phonetic":
            raise AvatarError("--model is a neural checkpoint: it cannot go with --lipsync phonetic")
        overrides["lipsync"] = "neural"
    if getattr(args, "lipsync", None):
        overrides["lipsync"] = args.lipsync
    for key in (flag.removeprefix("--") for flag, _, _ in RUNTIME_FLAGS):
        if getattr(args, key, None):
            overrides[key] = getattr(args, key)
    return load_config(overrides)


def _read_text(args: argparse.Namespace) -> str | None:
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


class _StderrHandler(logging.Handler):
    """One line per message on the *current* sys.stderr: 'avatar: note' / 'avatar: warning: ...'."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        print(f"avatar: {level}{record.getMessage()}", file=sys.stderr)


def _setup_logging(level: int) -> None:
    log.handlers = [h for h in log.handlers if not isinstance(h, _StderrHandler)]
    log.addHandler(_StderrHandler())
    log.setLevel(level)
    log.propagate = False


class _Progress:
    """A tqdm bar (over seconds of audio, or frames), opened on the first report."""

    def __init__(self, enabled: bool, desc: str = "lip-sync", unit: str = "s") -> None:
        self.enabled, self.desc, self.unit = enabled, desc, unit
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


def cmd_blendshapes(args: argparse.Namespace) -> None:
    from .audio import audio_duration
    from .device import resolve_device
    from .export import check_output_path, save_animation
    from .pipeline import blendshapes, expression_source

    cfg = _config(args)
    resolve_device(cfg.inference.device)
    output = check_output_path(args.output)  # fail before the work, not after
    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    audio, text = _speech(args)

    duration = audio_duration(audio)
    progress = _Progress(enabled=not args.quiet and duration >= PROGRESS_MIN_S)
    start = time.perf_counter()
    try:
        anim, result = blendshapes(audio, text, cfg, progress=progress, source=source)
    finally:
        progress.close()
    elapsed = time.perf_counter() - start
    save_animation(anim, output, source=Path(audio).name, lipsync=cfg.inference.lipsync, method=result.method)
    if not args.quiet:
        print(
            f"wrote {output}: {anim.num_frames} frames at {anim.fps} fps ({anim.duration:.2f} s, "
            f"{result.method}) in {elapsed:.2f} s ({anim.duration / max(elapsed, 1e-9):.0f}x real time)",
            file=sys.stderr,
        )


def _speech(args: argparse.Namespace) -> tuple[Path, str | None]:
    """The audio file and transcript to use (the built-in sample when --audio is left out)."""
    from .pipeline import sample_clip

    text = _read_text(args)
    if args.audio is not None:
        return Path(args.audio), text
    audio, sample_text = sample_clip()
    log.info("no --audio given: using the built-in sample clip %s", audio.name)
    return audio, text if text is not None else sample_text


def cmd_generate(args: argparse.Namespace) -> None:
    from .audio import audio_duration
    from .export import check_output_path, save_animation
    from .generate import generate
    from .pipeline import expression_source
    from .portrait import default_avatar, enroll_or_load, load_avatar
    from .video.writer import check_destination

    cfg = _config(args)
    output = check_destination(args.output)  # fail before the work, not after
    curves = check_output_path(args.blendshapes) if args.blendshapes else None
    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    audio, text = _speech(args)
    audio_duration(audio)  # a missing or unreadable file fails here, before any avatar work
    if args.image:
        avatar, _ = enroll_or_load(args.image)
    else:
        avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    show = not args.quiet
    lipsync_bar, frames_bar = _Progress(show, "lip-sync", "s"), _Progress(show, "render", "frame")
    start = time.perf_counter()
    try:
        made = generate(
            audio, output, avatar, text, args.size, cfg, source, on_lipsync=lipsync_bar, on_frames=frames_bar
        )
    finally:
        lipsync_bar.close()
        frames_bar.close()
    elapsed = time.perf_counter() - start
    if curves is not None:
        save_animation(
            made.animation,
            curves,
            source=audio.name,
            lipsync=cfg.inference.lipsync,
            method=made.lipsync.method,
        )
    if show:
        anim = made.animation
        print(
            f"wrote {output}: {anim.num_frames} frames {args.size}x{args.size} at {anim.fps} fps "
            f"({anim.duration:.2f} s, avatar {avatar.name}) in {elapsed:.1f} s "
            f"({anim.num_frames / elapsed:.0f} fps)",
            file=sys.stderr,
        )


def cmd_train(args: argparse.Namespace) -> None:
    from .config import load_train_config
    from .neural.train import train

    cfg = load_train_config(args.config, _overrides(args.set))
    train(cfg, log=training_log(args))


def training_log(args: argparse.Namespace) -> Callable[[str], None]:
    """Where a training command's progress lines go: stderr, or nowhere with -q."""
    return (lambda _: None) if args.quiet else (lambda line: print(line, file=sys.stderr))


COMMANDS = {"blendshapes": cmd_blendshapes, "generate": cmd_generate, "train": cmd_train}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``avatar`` console script; returns the exit code."""
    parser = _parser()
    commands = parser._subparsers._group_actions[0]
    handlers = {
        **COMMANDS,
        **add_portrait_parsers(commands),
        **add_eval_parsers(commands, _add_common),
        **add_data_parsers(commands, _add_common),
        **add_motion_parsers(commands, _add_common),
        **add_server_parsers(commands, _add_common),
        **add_onnx_parsers(commands, _add_common),
        **add_bench_parsers(commands, _add_common),
    }
    args = parser.parse_args(argv)
    _setup_logging(logging.WARNING if getattr(args, "quiet", False) else logging.INFO)
    try:
        handlers[args.command](args)
    except AvatarError as exc:
        print(f"avatar: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("avatar: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"avatar: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)", file=sys.stderr
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
