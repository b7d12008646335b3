"""``avatar data synth``, ``data capture`` and ``data mouth``: training data for the neural lip-sync
and the learned mouth."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import AvatarError
from .common import add_common, add_quiet_debug, bounded, config_from_args


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``data`` (with ``synth``, ``capture`` and ``mouth``) to ``commands``."""
    parser = commands.add_parser(
        name, help=text, description="Training data for the neural lip-sync and the learned mouth."
    )
    kinds = parser.add_subparsers(dest="data_kind", metavar="KIND", required=True)
    syn = kinds.add_parser(
        "synth",
        help="synthetic speech (espeak-ng, flite, festival) with phone labels and mouth targets",
        description=(
            "Generate random sentences, speak them with many TTS voices and languages, label the "
            "phones (pocketsphinx forced alignment for English, espeak-ng's own phoneme timings "
            "otherwise), compute the phonetic animator's 64-d targets, and augment the audio "
            "(speed, pauses with breaths, noise or music, reverberation, EQ, noise, gain). Writes "
            "DIR/manifest.jsonl, DIR/audio/ID.flac and DIR/labels/ID.npz. Deterministic for a "
            "seed; a rerun into the same folder resumes, and a larger --hours extends the set."
        ),
    )
    syn.add_argument("--hours", type=float, required=True, help="hours of audio to make (e.g. 0.1)")
    syn.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder for the data set: new, empty, or made by this command",
    )
    syn.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    syn.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: the CPU count)")
    syn.add_argument(
        "--languages",
        metavar="LIST",
        help="comma-separated subset of en,de,fr,es,it,pt,nl (default: all)",
    )
    add_common(syn)
    _add_capture(kinds)
    _add_mouth(kinds)
    return parser


def _add_mouth(kinds: argparse._SubParsersAction) -> None:
    mouth = kinds.add_parser(
        "mouth",
        help="self-reenactment pairs of real faces for 'avatar train-mouth'",
        description=(
            "For each video of the folder: track the face, enrol its neutral (most relaxed "
            "closed-mouth) frame, and for every --stride-th frame where the rendered lips part, keep "
            "the renderer's warped mouth box (before the mouth layer) beside the real one, aligned "
            "by that frame's eye corners. Writes OUT/NAME.npz per clip; a rerun skips finished clips."
        ),
    )
    mouth.add_argument("folder", metavar="DIR", help="folder of talking-face videos")
    mouth.add_argument("--out", metavar="DIR", required=True, help="folder for the pairs")
    mouth.add_argument(
        "--skip", nargs="+", default=[], metavar="NAME", help="clips (file stems) to leave out: the dev split"
    )
    mouth.add_argument(
        "--every", type=bounded(int, 1, 1000), default=1, metavar="K",
        help="take every K-th clip (sorted by name) after --skip (default 1)",
    )  # fmt: skip
    mouth.add_argument(
        "--stride",
        type=bounded(int, 1, 100),
        default=1,
        metavar="N",
        help="every N-th video frame (default 1)",
    )
    mouth.add_argument(
        "-j", "--jobs", type=bounded(int, 1, 64), default=1, metavar="N", help="worker processes (default 1)"
    )
    add_quiet_debug(mouth)


# Defaults of avatar.data.capture, written out because importing it here would load PyAV for
# every `avatar` command (tests/cli/test_data_capture.py checks that they agree).
CAPTURE_VIDEOS = "mp4, mov, avi, mpg, mpeg, flv, webm, mkv, m4v"
CAPTURE_DEFAULTS = {"max_offset": 2, "max_face_lost": 0.1, "min_z": 3.0}


def _add_capture(kinds: argparse._SubParsersAction) -> None:
    cap = kinds.add_parser(
        "capture",
        help="label a folder of real talking-face videos: 16 kHz audio, captured curves, A/V offset",
        description=(
            f"Capture every video under DIR (recursively; {CAPTURE_VIDEOS}): its 64 expression channels, "
            "head pose, gaze and per-frame confidence at 30 fps, its sound at 16 kHz mono, and its "
            "audio/video offset measured by cross-correlating the captured mouth opening with the "
            "sound's level. Writes OUT/NAME.npz per clip and OUT/manifest.jsonl (one row per clip, "
            "with flags: offset, face, weak_sync, failed). A rerun skips labelled clips, so an "
            "interrupted run resumes; clips that cannot be labelled are listed with the reason."
        ),
    )
    cap.add_argument("folder", metavar="DIR", help="folder of videos")
    cap.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="folder for the labels: new, empty, or one this command made",
    )
    cap.add_argument(
        "-j", "--jobs", type=bounded(int, 1, 64), default=1, metavar="N", help="worker processes (default 1)"
    )
    cap.add_argument(
        "--max-offset",
        type=bounded(int, 0, 15),
        default=CAPTURE_DEFAULTS["max_offset"],
        metavar="FRAMES",
        help="flag clips whose audio is off by more than this (default %(default)s)",
    )
    cap.add_argument(
        "--max-face-lost",
        type=bounded(float, 0.0, 1.0),
        default=CAPTURE_DEFAULTS["max_face_lost"],
        metavar="SHARE",
        help="flag clips with no face in over this share of frames (default %(default)s)",
    )
    cap.add_argument(
        "--min-z",
        type=bounded(float, 0.0, 100.0),
        default=CAPTURE_DEFAULTS["min_z"],
        metavar="Z",
        help="flag clips whose offset peak's z-score is under this (default %(default)s)",
    )
    add_quiet_debug(cap)


def run(args: argparse.Namespace) -> None:
    """Make (or extend) the data set; a summary line on stderr."""
    if args.data_kind == "capture":
        _run_capture(args)
        return
    if args.data_kind == "mouth":
        _run_mouth(args)
        return
    from ..data.factory import synth

    if args.data_kind != "synth":  # argparse only lets the kinds above through; a guard for new ones
        raise AvatarError(f"unknown data command: {args.data_kind}")
    manifest = synth(
        args.hours,
        args.out,
        args.seed,
        jobs=args.jobs,
        languages=args.languages,
        progress=not args.quiet,
        cfg=config_from_args(args),
    )
    if not args.quiet:
        summary = json.loads((manifest.parent / "synth.json").read_text())
        dropped = sum(summary["dropped"].values())
        print(
            f"wrote {manifest}: {summary['utterances']} utterances, {summary['audio_hours']:.3f} h of audio "
            f"({dropped} dropped, {summary['made_this_run']} made now in {summary['wall_s_this_run']:.0f} s)",
            file=sys.stderr,
        )


def _run_capture(args: argparse.Namespace) -> None:
    from ..data.capture import SUMMARY, label

    manifest = label(
        args.folder,
        args.out,
        jobs=args.jobs,
        progress=not args.quiet,
        max_offset=args.max_offset,
        max_face_lost=args.max_face_lost,
        min_z=args.min_z,
    )
    if not args.quiet:
        summary = json.loads((manifest.parent / SUMMARY).read_text())
        flagged = ", ".join(f"{n} {flag}" for flag, n in summary["flags"].items()) or "none flagged"
        print(
            f"wrote {manifest}: {summary['clips']} clips, {summary['labelled']} labelled "
            f"({summary['seconds'] / 60:.1f} min), {summary['usable']} usable; {flagged} "
            f"({summary['labelled_this_run']} labelled now in {summary['wall_s_this_run']:.0f} s)",
            file=sys.stderr,
        )


def _run_mouth(args: argparse.Namespace) -> None:
    from pathlib import Path

    from ..data.capture import find_clips
    from ..data.mouth_pairs import build_pairs

    folder = Path(args.folder)
    if not folder.is_dir():
        raise AvatarError(f"not a folder: {folder}")
    skip = set(args.skip)
    videos = [c for c in find_clips(folder, Path(args.out)) if c.name not in skip][:: args.every]
    if not videos:
        raise AvatarError(f"{folder}: no videos (after --skip)")

    def progress(done: int, total: int, video: str, frames: int, error: str | None) -> None:
        if not args.quiet:
            what = f"skipped: {error}" if error else f"{frames} frames"
            print(f"[{done}/{total}] {Path(video).name}: {what}", file=sys.stderr)

    summary = build_pairs(videos, Path(args.out), args.stride, args.jobs, progress)
    if not args.quiet:
        print(
            f"wrote {args.out}: {summary['clips']} clips ({len(summary['failed'])} unusable), "
            f"{summary['new_frames']} new frames in {summary['seconds']:.0f} s",
            file=sys.stderr,
        )
