"""Forced-alignment accuracy on real speech: our phone boundaries vs the shipped reference.

Reads ../shared/data/speech/librivox/*.wav with their .txt transcripts and *.phone.json
(pocketsphinx alignments, 10 ms frames), runs our audio front end + aligner, and prints the
median |boundary difference| over phones matched by sequence alignment. The reference reads
frame i as i * 10 ms; ours puts that boundary FRAME_BOUNDARY_S (7.8 ms) later, between the
frames' window centres, so the reference is moved by the same amount first: the figure is
about where the two alignments cut, not about the convention. Then it compares the
no-transcript path (phone recognition) with the transcript path on the same clips: viseme
agreement per frame and the Pearson r of jawOpen.

    python scripts/eval_alignment.py [--data ../shared/data/speech/librivox]
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

import numpy as np

from avatar.config import load_config
from avatar.eval.visemes import viseme_track
from avatar.expression import CHANNEL_INDEX
from avatar.lipsync import PhoneticLipSync
from avatar.lipsync.aligner import align
from avatar.lipsync.phones import FRAME_BOUNDARY_S, normalize_label
from avatar.pipeline import prepare_audio


def reference_phones(path: Path) -> list[tuple[str, float, float]]:
    data = json.loads(path.read_text())
    shift = FRAME_BOUNDARY_S
    phones = [p for w in data["w"] for p in w["w"]]
    return [(normalize_label(p["t"]), p["b"] + shift, p["b"] + p["d"] + shift) for p in phones]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).parents[1] / "../shared/data/speech/librivox"
    )
    args = parser.parse_args()
    cfg = load_config()
    lipsync = PhoneticLipSync(cfg)
    agreement: list[float] = []
    jaw_r: list[float] = []
    all_diffs: list[float] = []
    for ref_path in sorted(args.data.glob("*.phone.json")):
        stem = ref_path.name.removesuffix(".phone.json")
        wav, txt = args.data / f"{stem}.wav", args.data / f"{stem}.txt"
        if not (wav.exists() and txt.exists()):
            continue
        audio = prepare_audio(wav, cfg)
        ours = align(audio, txt.read_text())
        with_text, without = lipsync(audio, txt.read_text()), lipsync(audio)
        n = len(with_text.expression)
        agreement.append(
            float(np.mean(viseme_track(with_text.phones, n, 30) == viseme_track(without.phones, n, 30)))
        )
        jaw = CHANNEL_INDEX["jawOpen"]
        jaw_r.append(float(np.corrcoef(with_text.expression[:, jaw], without.expression[:, jaw])[0, 1]))
        ref = reference_phones(ref_path)
        matcher = difflib.SequenceMatcher(a=[p[0] for p in ref], b=[p.name for p in ours], autojunk=False)
        diffs = []
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                r, o = ref[block.a + k], ours[block.b + k]
                diffs += [abs(r[1] - o.start), abs(r[2] - o.end)]
        matched = sum(b.size for b in matcher.get_matching_blocks())
        all_diffs += diffs
        print(
            f"{stem}: {matched}/{len(ref)} phones matched, boundary |diff| median "
            f"{1000 * np.median(diffs):.1f} ms, p90 {1000 * np.percentile(diffs, 90):.1f} ms; "
            f"without transcript: viseme agreement {100 * agreement[-1]:.0f} %, jawOpen r {jaw_r[-1]:.2f}"
        )
    if not all_diffs:
        raise SystemExit(f"no clips with .wav, .txt and .phone.json found in {args.data}")
    d = np.array(all_diffs)
    print(
        f"ALL: {len(d)} boundaries, median {1000 * np.median(d):.1f} ms, mean {1000 * d.mean():.1f} ms, "
        f"within 20 ms: {100 * np.mean(d <= 0.02 + 1e-9):.1f} %"
    )
    print(
        f"WITHOUT TRANSCRIPT vs with: viseme agreement {100 * np.mean(agreement):.1f} % of frames, "
        f"jawOpen Pearson r {np.mean(jaw_r):.3f} (mean over {len(jaw_r)} clips)"
    )


if __name__ == "__main__":
    main()
