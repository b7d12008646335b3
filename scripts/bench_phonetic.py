"""Real-time factor of the phonetic path, stage by stage, on this machine.

Builds test audio by repeating the shipped sample clip (with 0.5 s pauses) to each requested
length, then times: clean -> VAD -> phones (forced alignment with the repeated transcript,
and phone recognition without) -> animation -> CSV export. Prints one line per stage and the
real-time factor (audio seconds per compute second) of each whole path.

    python scripts/bench_phonetic.py [--minutes 1 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from avatar.animation import Animation
from avatar.audio import SAMPLE_RATE, FrameClock, clean_audio, load_audio, speech_regions
from avatar.config import load_config
from avatar.export import save_animation
from avatar.lipsync import animate_phones
from avatar.lipsync.aligner import align, merge_regions, recognize
from avatar.pipeline import sample_clip


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime/numpy threads are capped at this")
    args = parser.parse_args()
    cfg = load_config()
    path, text = sample_clip()
    unit = np.concatenate([load_audio(path), np.zeros(8000, np.float32)])
    clock = FrameClock(cfg.model.fps, SAMPLE_RATE)
    for minutes in args.minutes:
        reps = max(1, round(minutes * 60 * 16000 / len(unit)))
        audio = np.tile(unit, reps)
        dur = len(audio) / 16000
        print(f"--- {dur:.1f} s of audio ({reps} x sample clip)")
        clean, t_clean = timed(clean_audio, audio)
        regions, t_vad = timed(speech_regions, clean, cfg.inference.vad)
        phones_a, t_align = timed(align, clean, " ".join([text] * reps))
        segments = merge_regions(regions, cfg.inference.phonetic.max_segment_s)
        phones_r, t_rec = timed(recognize, clean, segments, cfg.inference.phonetic.max_segment_s)
        n = clock.num_frames(len(clean))
        expr, t_anim = timed(animate_phones, phones_a, n, cfg.model.fps, cfg.inference.phonetic)
        with tempfile.TemporaryDirectory() as tmp:
            _, t_csv = timed(save_animation, Animation(expr, cfg.model.fps), Path(tmp) / "o.csv")
        for name, t in [
            ("clean", t_clean), ("vad", t_vad), ("forced alignment", t_align), ("phone recognition", t_rec),
            ("animation", t_anim), ("csv export", t_csv),
        ]:  # fmt: skip
            print(f"{name:>18}: {t:7.2f} s  ({dur / t:7.0f}x real time, {1000 * t / n:6.3f} ms/frame)")
        with_text = t_clean + t_align + t_anim + t_csv
        without = t_clean + t_vad + t_rec + t_anim + t_csv
        print(f"{'RTF with text':>18}: {dur / with_text:.1f}x real time ({len(phones_a)} phones)")
        print(f"{'RTF without text':>18}: {dur / without:.1f}x real time ({len(phones_r)} phones)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
