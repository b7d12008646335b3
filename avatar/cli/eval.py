"""``avatar eval lipsync``, ``eval speech`` and ``eval reenact``: the yardsticks of the lip-sync and
the renderer."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from ..errors import AvatarError
from .common import FRAME_SIZES, add_common, add_lipsync_args, config_from_args, overrides


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``eval`` (with ``lipsync``, ``speech`` and ``reenact``) to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="Evaluate the lip-sync ('lipsync': talking-face videos; 'speech': audio files) or "
        "the renderer ('reenact': videos of a real face).",
    )
    kinds = parser.add_subparsers(dest="eval_kind", metavar="KIND", required=True)
    lip = kinds.add_parser(
        "lipsync",
        help="avatar mouth vs the real speaker's mouth, on videos with sound",
        description=(
            "For each video: the speaker's mouth opening (MediaPipe, inner-lip gap / eye distance, "
            "frames without a face skipped), the avatar rendered from the same audio (no transcript) "
            "and measured the same way, and two baselines: the audio volume envelope and the phonetic "
            "path with the transcript. Prints Pearson r at lag 0 and the best r within ±5 frames."
        ),
    )
    lip.add_argument(
        "videos", nargs="+", metavar="VIDEO", help="talking-face videos with audio (any format PyAV reads)"
    )
    lip.add_argument(
        "--transcripts",
        metavar="FILE",
        help="TSV of 'file name<TAB>transcript' lines for the phonetic-with-transcript baseline "
        "(default: a .txt beside each video)",
    )
    add_lipsync_args(lip)
    lip.add_argument("--avatar", metavar="NAME", help="avatar to render (default: the built-in astronaut)")
    lip.add_argument(
        "--report", metavar="DIR", help="write results.json and a self-contained report.html here"
    )
    add_common(lip)
    sp = kinds.add_parser(
        "speech",
        help="transcript-free lip-sync vs the transcript-aligned one, on speech recordings",
        description=(
            "For each recording: viseme agreement per frame and jawOpen Pearson r of the audio-only "
            "lip-sync against the transcript-aligned phonetic path, and the share of silent frames "
            "(VAD) in which the mouth stays closed (jawOpen < 0.05)."
        ),
    )
    sp.add_argument("audio", nargs="+", metavar="AUDIO", help="speech recordings (any format)")
    sp.add_argument(
        "--transcripts",
        metavar="FILE",
        help="TSV 'name<TAB>text' or LJ Speech 'id|text|normalized' lines "
        "(default: .txt/.lab beside each file)",
    )
    add_lipsync_args(sp)
    sp.add_argument("--json", metavar="OUT", help="also write every figure to this JSON file")
    add_common(sp)
    reenact = kinds.add_parser(
        "reenact",
        help="self-reenactment: each clip's own face driven by its own capture, vs the real frames",
        description=(
            "For each clip: its neutral frame (the most relaxed closed-mouth one) is enrolled as the "
            "avatar, driven by the clip's own capture at 30 fps, and each rendered frame is compared "
            "with the real one in the same aligned crop: inner-lip aperture r (as 'eval lipsync'), "
            "lip-landmark error (40 points / eye distance), PSNR and SSIM of the mouth and the face. "
            "Clips that cannot be used are skipped with a warning."
        ),
    )
    reenact.add_argument(
        "clips", nargs="+", metavar="CLIP", help="videos of a real face (any format PyAV reads)"
    )
    reenact.add_argument(
        "--json", metavar="OUT", help="write every figure (per clip and their mean) to this file"
    )
    reenact.add_argument(
        "--report", metavar="DIR", help="write report.html and contact_sheet.png (widest openings) here"
    )
    reenact.add_argument(
        "--size",
        type=int,
        choices=FRAME_SIZES,
        default=FRAME_SIZES[0],
        help="render size in px (default 256)",
    )
    reenact.add_argument(
        "--align",
        choices=("frame", "clip"),
        default="frame",
        help="how a real frame is put in the rendered frame's crop: 'frame' registers each one on "
        "the eye corners and nose bridge (head translation and zoom drop out), 'clip' uses the "
        "neutral frame's alignment for all (default frame)",
    )
    add_common(reenact, device=False, example="device=cuda")
    return parser


def _inputs(paths: list[str]) -> list[Path]:
    out = [Path(p) for p in paths]
    for p in out:
        if not p.is_file():
            raise AvatarError(f"not a file: {p}")
    return out


def _fmt(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:+.3f}"


def run(args: argparse.Namespace) -> None:
    """The figures as a table on stdout (and the JSON or report files asked for)."""
    from ..eval.speech import read_transcript_table
    from ..pipeline import expression_source

    if args.eval_kind == "reenact":
        _eval_reenact(args)
        return
    cfg = config_from_args(args)
    table = read_transcript_table(args.transcripts) if args.transcripts else None
    source = expression_source(cfg.inference.lipsync, cfg, args.model)
    if args.eval_kind == "speech":
        _eval_speech(args, cfg, table, source)
    else:
        _eval_lipsync(args, cfg, table, source)


def _eval_speech(args: argparse.Namespace, cfg, table, source) -> None:
    from ..eval.speech import evaluate_speech, format_table

    results = evaluate_speech(
        _inputs(args.audio), cfg, transcripts=table, source=source, label=cfg.inference.lipsync
    )
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def _eval_lipsync(args: argparse.Namespace, cfg, table, source) -> None:
    from ..eval.lipsync import LABELS, evaluate_lipsync
    from ..eval.mouth import video_fps
    from ..eval.report import write_report
    from ..models import load_renderer
    from ..portrait import default_avatar, load_avatar

    videos = _inputs(args.videos)
    for video in videos:  # every file is checked before the slow part starts
        video_fps(video)
    if table is None:  # a transcript beside each video, if there is one
        table = {v.name: v.with_suffix(".txt").read_text() for v in videos if v.with_suffix(".txt").is_file()}
    avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    renderer = load_renderer(avatar, 256, cfg)

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"evaluated {done}/{total} videos", file=sys.stderr)

    results = evaluate_lipsync(
        videos, cfg, renderer, avatar.name, table, source, progress, label=cfg.inference.lipsync
    )
    print(f"{'clip':<24}" + "".join(f"{m + ' r0/best(lag)':>34}" for m in results["methods"]))
    for clip in results["clips"]:
        cells = []
        for m in results["methods"]:
            x = clip["metrics"].get(m)
            cells.append("–" if x is None else f"{_fmt(x['r0'])} / {_fmt(x['r_best'])} ({x['best_lag']})")
        print(f"{clip['name']:<24}" + "".join(f"{c:>34}" for c in cells))
    for m in results["methods"]:
        s = results["summary"].get(m, {})
        print(f"mean {LABELS[m]}: r0 {_fmt(s.get('mean_r0'))}, best r {_fmt(s.get('mean_r_best'))}")
    for m, s in results["width_summary"].items():
        if s.get("mean_r0") is not None:
            print(f"mouth width, {LABELS[m]}: r0 {_fmt(s['mean_r0'])}, best r {_fmt(s.get('mean_r_best'))}")
    if args.report:
        folder = Path(args.report)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(results))
        print(f"wrote {write_report(results, folder)}", file=sys.stderr)


def _eval_reenact(args: argparse.Namespace) -> None:
    from ..eval.reenact import METRICS, evaluate_reenact
    from ..eval.reenact_report import HEADINGS, write_reenact_report
    from ..export import check_output_path

    cfg = config_from_args(args)
    json_path = check_output_path(args.json, (".json",)) if args.json else None  # fail before the work
    if args.report:
        try:
            Path(args.report).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AvatarError(f"cannot create the report folder {args.report}: {exc.strerror}") from None

    def figures(clip: dict) -> str:
        return ", ".join(f"{HEADINGS[k][0]} {_plain(clip.get(k), HEADINGS[k][1])}" for k in METRICS)

    def progress(done: int, total: int, video: Path, result, error: str | None) -> None:
        if error is not None:
            print(f"avatar: warning: skipped {video}: {error}", file=sys.stderr)
        elif not args.quiet:
            clip = result.summary
            print(
                f"reenacted {done}/{total} {clip['name']}: {figures(clip)} ({clip['seconds']:.1f} s)",
                file=sys.stderr,
            )

    results, pairs = evaluate_reenact(
        args.clips, cfg, args.size, overrides(args.set), progress, align=args.align
    )
    if not results["clips"]:
        raise AvatarError(f"no clip could be evaluated ({len(results['skipped'])} skipped)")
    print(f"{'clip':<28}" + "".join(f"{HEADINGS[k][0]:>17}" for k in METRICS))
    for row in [*results["clips"], {"name": "mean", **results["mean"]}]:
        print(f"{row['name']:<28}" + "".join(f"{_plain(row.get(k), HEADINGS[k][1]):>17}" for k in METRICS))
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=1))
    if args.report:
        print(f"wrote {write_reenact_report(results, pairs, args.report)}", file=sys.stderr)
    if results["skipped"]:
        print(
            f"avatar: warning: {len(results['skipped'])} of {len(args.clips)} clips skipped", file=sys.stderr
        )


def _plain(value: float | None, spec: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, spec)
