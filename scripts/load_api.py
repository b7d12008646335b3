"""A bounded load test of the service on loopback: latency, refusals and the server's memory.

Starts ``avatar serve`` on a free port and sends --requests POST /generate (the committed TTS
fixture, 3.5 s of speech, as JSON curves or as MP4) from --concurrency clients at once.
Prints p50/p95/p99 latency of the answered requests, the share refused with 503 (Retry-After),
other failures, throughput, and the server's RSS before, after the first --warmup requests and
at the end (growth is measured from after the warm-up: caches and allocator pools fill first).

    python scripts/load_api.py [--requests 200] [--concurrency 8] [--format json|mp4]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from avatar.server.local import local_server

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pauses.wav"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--format", choices=("json", "mp4"), default="json")
    parser.add_argument("--workers", type=int, default=2, help="the server's job workers")
    parser.add_argument("--queue", type=int, default=4, help="the server's waiting places")
    args = parser.parse_args()
    speech = FIXTURE.read_bytes()
    settings = {"server.workers": str(args.workers), "server.queue": str(args.queue)}

    def one(client: httpx.Client) -> tuple[int, float]:
        start = time.perf_counter()
        reply = client.post(
            "/generate", files={"audio": ("speech.wav", speech, "audio/wav")}, data={"format": args.format}
        )
        return reply.status_code, time.perf_counter() - start

    with local_server(settings) as server, httpx.Client(base_url=server.url, timeout=300) as client:
        rss = {"start": server.rss_mb()}
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda _: one(client), range(args.warmup)))
            rss["after warm-up"] = server.rss_mb()
            start = time.perf_counter()
            results = list(pool.map(lambda _: one(client), range(args.requests)))
            wall = time.perf_counter() - start
        rss["end"] = server.rss_mb()
    codes = Counter(code for code, _ in results)
    ok = np.array([seconds for code, seconds in results if code == 200]) * 1000
    print(
        f"{args.requests} requests ({args.format}), concurrency {args.concurrency}, server workers "
        f"{args.workers} + {args.queue} waiting places; {wall:.1f} s, {codes[200] / wall:.2f} answered/s"
    )
    print(f"status codes: {dict(sorted(codes.items()))}; refused (503): {codes[503] / len(results):.1%}")
    if len(ok):
        p50, p95, p99 = np.percentile(ok, [50, 95, 99])
        print(f"latency of answered requests: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")
    growth = (rss["end"] - rss["after warm-up"]) / rss["after warm-up"]
    print("server RSS: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()) + f"; growth {growth:+.1%}")


if __name__ == "__main__":
    main()
