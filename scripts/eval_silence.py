"""Does the lip-sync keep the mouth shut when nobody speaks? Closure on sound without speech.

For each kind of non-speech sound (digital silence, white/pink/brown noise, breaths, music-like
tones, and mixed clips from the data factory) at several levels, 10 s each, seeded: the share
of frames with jawOpen < 0.05, for the neural lip-sync with and without the VAD speech gate and
for the phonetic path. Usage: python scripts/eval_silence.py [--model CHECKPOINT] [--seed N]
"""

from __future__ import annotations

import argparse

import numpy as np

from avatar.config import load_config
from avatar.data import nonspeech
from avatar.eval.speech import CLOSED_JAW
from avatar.expression.channels import CHANNEL_INDEX
from avatar.pipeline import expression_source

SECONDS = 10
LEVELS_DBFS = (-50.0, -30.0, -10.0)  # RMS re full scale


def sounds(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = SECONDS * nonspeech.SAMPLE_RATE
    out = {"digital silence": np.zeros(n, np.float32)}
    for db in LEVELS_DBFS:
        gain = np.float32(10 ** (db / 20))
        for colour in nonspeech.NOISE_COLOURS:
            out[f"{colour} noise {db:+.0f} dBFS"] = nonspeech.coloured_noise(n, colour, rng) * gain
        out[f"breaths {db:+.0f} dBFS"] = (
            np.concatenate(
                [
                    nonspeech.breath(n // 20, rng) if i % 2 else np.zeros(n // 20, np.float32)
                    for i in range(20)
                ]
            )
            * gain
        )
        out[f"music {db:+.0f} dBFS"] = nonspeech.music(n, rng) * gain
    for i in range(3):
        out[f"mixed clip {i + 1}"] = nonspeech.clip(n, rng)[0]
    return {k: np.clip(v, -1, 1).astype(np.float32) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="neural checkpoint (default: the shipped weights)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    jaw = CHANNEL_INDEX["jawOpen"]
    sources = {
        "neural+gate": expression_source("neural", load_config(), args.model),
        "neural": expression_source("neural", load_config(overrides={"gate.enabled": False}), args.model),
        "phonetic": expression_source("phonetic", load_config()),
    }
    print(f"{'sound':26s}" + "".join(f"{name:>13s}" for name in sources))
    totals: dict[str, list[float]] = {name: [] for name in sources}
    for name, audio in sounds(np.random.default_rng(args.seed)).items():
        row = f"{name:26s}"
        for method, source in sources.items():
            closed = float((source(audio, None).expression[:, jaw] < CLOSED_JAW).mean())
            totals[method].append(closed)
            row += f"{closed:13.1%}"
        print(row)
    print(f"{'mean':26s}" + "".join(f"{np.mean(v):13.1%}" for v in totals.values()))


if __name__ == "__main__":
    main()
