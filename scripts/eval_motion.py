"""Issue 6's figures on 60 s of speech: blinks, head motion vs loudness, gaze, filtering, controls.

Usage: python scripts/eval_motion.py [--audio FILE] [--seconds 60] [--lipsync neural|phonetic]
Default audio: every clip under ../shared/data/speech strung together, first 60 s.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import numpy as np
from scipy.ndimage import uniform_filter1d

from avatar.audio import SAMPLE_RATE
from avatar.config import load_config
from avatar.eval.motion import jitter, motion_stats
from avatar.expression.channels import CHANNELS, mouth_openness
from avatar.lipsync import LipSync
from avatar.models import load_motion
from avatar.motion.filters import channel_families
from avatar.motion.generator import noise
from avatar.motion.model import predict
from avatar.motion.prosody import prosody
from avatar.pipeline import animate, expression_source, prepare_audio

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
ENVELOPE_FRAMES = 5  # 167 ms moving average for "speed" and "loudness envelope"
CLOSED = 0.05


class _Fixed:
    """An expression source that returns one precomputed lip-sync (so runs differ only in motion)."""

    def __init__(self, result: LipSync) -> None:
        self.result = result

    def __call__(self, audio: np.ndarray, text: str | None = None, progress=None) -> LipSync:
        return self.result


def _closure_onsets(expression: np.ndarray) -> np.ndarray:
    shut = mouth_openness(expression) < CLOSED
    return np.flatnonzero(shut[2:] & ~shut[1:-1] & ~shut[:-2]) + 2  # after two open frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", help="speech file (default: ../shared/data/speech, strung together)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--lipsync", choices=("neural", "phonetic"), default="neural")
    args = parser.parse_args()
    cfg = load_config()
    if args.audio:
        audio = prepare_audio(args.audio, cfg)
    else:
        files = sorted(glob.glob(str(SHARED / "*" / "*.wav")) + glob.glob(str(SHARED / "*" / "*.flac")))
        audio = np.concatenate([prepare_audio(f, cfg) for f in files])
    audio = audio[: int(args.seconds * SAMPLE_RATE)]
    print(f"{len(audio) / SAMPLE_RATE:.1f} s of speech, {args.lipsync} lip-sync")
    source = _Fixed(expression_source(args.lipsync, cfg)(audio, None))

    anim, _ = animate(audio, None, cfg, source)
    raw, _ = animate(audio, None, load_config(overrides={"filter.enabled": False}), source)
    stats = motion_stats(anim)
    durations = stats["blink_durations_ms"]
    shortest, longest, median = min(durations, default=0), max(durations, default=0), np.median(durations)
    print(
        f"blinks: {stats['blinks_per_minute']:.1f} per minute, {stats['blinks']} blinks, "
        f"duration {shortest:.0f}-{longest:.0f} ms (median {median:.0f})"
    )
    p = prosody(audio, cfg)
    speech = p.column("speech")[: anim.num_frames] > 0.5
    speed = uniform_filter1d(np.abs(np.gradient(anim.head[:, 0])), ENVELOPE_FRAMES)
    loud = uniform_filter1d(p.column("loudness")[: anim.num_frames], ENVELOPE_FRAMES)
    r = np.corrcoef(speed, loud)[0, 1]
    print(f"head: pitch speed vs loudness envelope r = {r:.3f}; std (deg) {stats['head_std_deg']}")
    away = np.linalg.norm(anim.gaze, axis=1) > 4.0
    print(f"gaze away from the camera: {away[speech].mean():.0%} of speaking frames, ", end="")
    print(f"{away[~speech].mean():.0%} of silent ones")
    net = load_motion(cfg).net
    z = noise(anim.num_frames, cfg.model.fps, np.random.default_rng(0))
    p_away = predict(net, p.features[: anim.num_frames], z)["averted"]
    print(f"  the network's probability of looking away: {p_away[speech].mean():.2f} speaking, ", end="")
    print(f"{p_away[~speech].mean():.2f} silent")

    print("filtering, jitter after / before per channel (channels that move):")
    families = channel_families()
    for family, mask in families.items():
        ratios = [
            jitter(anim.expression[:, [i]]) / jitter(raw.expression[:, [i]])
            for i in np.flatnonzero(mask)
            if jitter(raw.expression[:, [i]]) > 1e-4
        ]
        if ratios:
            worst = max(ratios)
            print(
                f"  {family:11s} {len(ratios):2d} channels, worst {worst:.2f}, median {np.median(ratios):.2f}"
            )
    for name, a, b in (("head", anim.head, raw.head), ("gaze", anim.gaze, raw.gaze)):
        print(
            f"  {name:11s} "
            + ", ".join(f"{jitter(a[:, [k]]) / max(jitter(b[:, [k]]), 1e-9):.2f}" for k in range(a.shape[1]))
        )
    before, after = _closure_onsets(raw.expression), mouth_openness(anim.expression) < CLOSED
    delays = []
    for t in before:
        later = np.flatnonzero(after[max(0, t - 3) : t + 4])
        delays.append(int(later[0]) + max(0, t - 3) - t if len(later) else None)
    kept = [d for d in delays if d is not None]
    hist = {d: kept.count(d) for d in sorted(set(kept))}
    print(f"closures: {len(before)} onsets; delay after filtering (frames) {hist}; lost {delays.count(None)}")

    still, _ = animate(
        audio, None, load_config(overrides={"controls.still": True, "controls.blink": False}), source
    )
    again, _ = animate(audio, None, cfg, source)
    other, _ = animate(audio, None, load_config(overrides={"controls.seed": 1}), source)
    same = np.array_equal(again.head, anim.head) and np.array_equal(again.expression, anim.expression)
    differs = not np.array_equal(other.expression, anim.expression)
    print(f"--still: max |head| {np.abs(still.head).max():.3f} deg; ", end="")
    print(f"--blink off: {motion_stats(still)['blinks']} blinks")
    print(f"same seed identical: {same}; seed 1 differs: {differs}")
    unused = [CHANNELS[i] for i in range(64) if jitter(raw.expression[:, [i]]) <= 1e-4]
    print(f"channels that do not move on this clip: {len(unused)}")


if __name__ == "__main__":
    main()
