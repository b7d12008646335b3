"""Speed of the neural lip-sync and the stages around it, on this machine.

For each length (repeating the shipped sample clip with 0.5 s pauses): the network alone (speech
encoder + expression model, chunked), the VAD speech gate, the motion model (prosody, network,
draws) and the offline filter; real-time factor = audio seconds per compute second. Peak RSS is
printed after each length, so flat memory on long audio shows.

    python scripts/bench_neural.py [--minutes 1 10] [--threads 2] [--model CHECKPOINT]
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from avatar.audio import SAMPLE_RATE
from avatar.config import load_config
from avatar.lipsync.gate import gate_expression
from avatar.models import lipsync_net, load_motion
from avatar.motion.controls import apply_controls
from avatar.motion.filters import smooth_offline
from avatar.neural.model import infer
from avatar.pipeline import sample_speech


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", help="checkpoint (default: the shipped weights)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config()
    net = lipsync_net(args.model)
    motion = load_motion(cfg)
    infer(net, sample_speech(5.0, cfg))  # warm-up
    print(f"threads {args.threads}; {sum(p.numel() for p in net.parameters()) / 1e6:.1f} M parameters")
    for minutes in args.minutes:
        audio = sample_speech(minutes * 60, cfg)
        seconds = len(audio) / SAMPLE_RATE
        expression, t_net = timed(infer, net, audio)
        gated, t_gate = timed(gate_expression, audio, expression, cfg)
        moving, t_motion = timed(motion, audio, len(gated))
        anim = apply_controls(gated, moving, cfg.inference.controls, cfg.model.fps)
        _, t_filter = timed(smooth_offline, anim, cfg.inference.filter)
        total = t_net + t_gate + t_motion + t_filter
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{seconds:6.0f} s audio: network {t_net:6.2f} s ({seconds / t_net:5.1f}x), "
            f"gate {t_gate:5.2f} s, "
            f"motion {t_motion:5.2f} s, filter {t_filter:5.2f} s; all {seconds / total:5.1f}x real time; "
            f"peak RSS {rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
