"""A bounded load test of the service on loopback: latency, refusals and the servers' memory.

Starts --processes ``avatar serve`` processes on free ports (with --store redis they share one
throwaway redis-server, as replicas behind a Kubernetes Service share theirs) and sends
--requests POST /generate (the committed TTS fixture, 3.5 s of speech, as JSON curves or as MP4)
from --concurrency clients at once, spread over the processes in turn. With --avatar the
requests draw an avatar enrolled (on the first process) before the run, so each one goes through
the avatar store. Prints p50/p95/p99 latency of the answered requests, the share refused with
503 (Retry-After), other failures, throughput, and the servers' RSS before, after the first
--warmup requests and at the end (growth is measured from after the warm-up: caches and
allocator pools fill first).

    python scripts/load_api.py [--requests 200] [--concurrency 8] [--format json|mp4]
    python scripts/load_api.py --processes 2 --store redis --format mp4 --avatar
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import io
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from avatar.server.local import local_server
from avatar.server.local_redis import MISSING, available, local_redis

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pauses.wav"
AVATAR = "shared"


def _photo() -> bytes:
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((400, 400)).save(buf, format="JPEG")
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--format", choices=("json", "mp4"), default="json")
    parser.add_argument("--workers", type=int, default=2, help="each server's job workers")
    parser.add_argument("--queue", type=int, default=4, help="each server's waiting places")
    parser.add_argument("--processes", type=int, default=1, help="service processes (replicas)")
    parser.add_argument("--store", choices=("local", "redis"), default="local", help="server.avatar_store")
    parser.add_argument("--avatar", action="store_true", help="draw an enrolled avatar (needs --format mp4)")
    args = parser.parse_args()
    if args.processes > 1 and args.store == "local":
        parser.error("processes share enrolled avatars only through Redis: add --store redis")
    if args.avatar and args.format != "mp4":
        parser.error("only an MP4 draws the avatar: add --format mp4")
    if args.store == "redis" and not available():
        parser.error(MISSING)
    speech = FIXTURE.read_bytes()
    settings = {"server.workers": str(args.workers), "server.queue": str(args.queue)}
    fields = {"format": args.format, **({"avatar": AVATAR} if args.avatar else {})}

    def one(client: httpx.Client) -> tuple[int, float]:
        start = time.perf_counter()
        reply = client.post("/generate", files={"audio": ("speech.wav", speech, "audio/wav")}, data=fields)
        return reply.status_code, time.perf_counter() - start

    with contextlib.ExitStack() as stack:
        env = {}
        if args.store == "redis":
            env["AVATAR_REDIS_URL"] = stack.enter_context(local_redis()).url
        servers = [stack.enter_context(local_server(settings, env=env)) for _ in range(args.processes)]
        clients = [stack.enter_context(httpx.Client(base_url=s.url, timeout=300)) for s in servers]
        if args.avatar:
            files = {"image": ("photo.jpg", _photo(), "image/jpeg")}
            clients[0].post("/avatars", files=files, data={"name": AVATAR}).raise_for_status()

        def rss() -> float:
            return sum(s.rss_mb() for s in servers)

        memory = {"start": rss()}
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda i: one(clients[i % len(clients)]), range(args.warmup)))
            memory["after warm-up"] = rss()
            start = time.perf_counter()
            results = list(pool.map(lambda i: one(clients[i % len(clients)]), range(args.requests)))
            wall = time.perf_counter() - start
        memory["end"] = rss()
    codes = Counter(code for code, _ in results)
    ok = np.array([seconds for code, seconds in results if code == 200]) * 1000
    drawn = f"avatar '{AVATAR}' from the {args.store} store" if args.avatar else "the built-in avatar"
    print(
        f"{args.requests} requests ({args.format}, {drawn}), concurrency {args.concurrency}, "
        f"{args.processes} server process(es) of {args.workers} workers + {args.queue} waiting places; "
        f"{wall:.1f} s, {codes[200] / wall:.2f} answered/s"
    )
    print(f"status codes: {dict(sorted(codes.items()))}; refused (503): {codes[503] / len(results):.1%}")
    if len(ok):
        p50, p95, p99 = np.percentile(ok, [50, 95, 99])
        print(f"latency of answered requests: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")
    growth = (memory["end"] - memory["after warm-up"]) / memory["after warm-up"]
    shown = ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items())
    print(f"servers' RSS (all processes): {shown}; growth {growth:+.1%}")


if __name__ == "__main__":
    main()
