"""The neural lip-sync on the data factory's held-out voices: viseme accuracy, jawOpen r, silence.

Reads the 'val' split of a data set made by `avatar data synth` (voices never trained on, and
held-out non-speech clips) and compares the network's output with the phonetic targets:
viseme frame accuracy (both classified by avatar.eval.speech.visemes_from_expression), jawOpen
Pearson r, and on the non-speech clips the share of frames with jawOpen < 0.05 (with and
without the VAD gate).

    python scripts/eval_neural_heldout.py DATA_DIR [--model CHECKPOINT]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from avatar.config import load_config
from avatar.eval.metrics import pearson
from avatar.eval.speech import CLOSED_JAW, visemes_from_expression
from avatar.expression.channels import CHANNEL_INDEX
from avatar.lipsync.gate import gate_expression
from avatar.models import lipsync_net
from avatar.neural.model import infer
from avatar.neural.train import load_utterance

JAW = CHANNEL_INDEX["jawOpen"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="folder made by 'avatar data synth'")
    parser.add_argument("--model", help="checkpoint (default: the shipped weights)")
    args = parser.parse_args()
    cfg = load_config()
    net = lipsync_net(args.model)
    folder = Path(args.data)
    entries = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line]
    by_voice: dict[str, list[tuple[float, float]]] = defaultdict(list)
    closed, closed_gated = [], []
    for entry in (e for e in entries if e["split"] == "val"):
        u = load_utterance(folder, entry)
        pred = infer(net, u.audio)
        n = min(len(pred), len(u.targets))
        pred, target = pred[:n], u.targets[:n]
        if entry["speech_s"] == 0:
            closed.append(float(np.mean(pred[:, JAW] < CLOSED_JAW)))
            gated = gate_expression(u.audio, pred, cfg)
            closed_gated.append(float(np.mean(gated[:, JAW] < CLOSED_JAW)))
            continue
        accuracy = float(np.mean(visemes_from_expression(pred) == visemes_from_expression(target)))
        by_voice[entry["voice"].split("+")[0]].append((accuracy, pearson(pred[:, JAW], target[:, JAW])))
    print(f"{'held-out voice':32s} {'clips':>5s} {'visemes':>8s} {'jaw r':>6s}")
    everything = []
    for voice, rows in sorted(by_voice.items()):
        acc, r = np.array(rows).T
        everything += rows
        print(f"{voice:32s} {len(rows):5d} {np.mean(acc):8.1%} {np.nanmean(r):6.3f}")
    acc, r = np.array(everything).T
    print(f"{'all':32s} {len(everything):5d} {np.mean(acc):8.1%} {np.nanmean(r):6.3f}")
    if closed:
        print(
            f"held-out non-speech clips: {len(closed)}, mouth closed in {np.mean(closed):.1%} of frames "
            f"({np.mean(closed_gated):.1%} with the speech gate)"
        )


if __name__ == "__main__":
    main()
