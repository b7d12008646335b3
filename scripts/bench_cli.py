"""Start-up time of the command line: the median wall time of ``avatar --version`` and
``avatar --help`` over a few runs of the installed console script (each a fresh process).

    python scripts/bench_cli.py [--runs 7] [--avatar PATH]

Targets (issue 15): --version under 0.5 s, --help under 1 s. ``avatar generate --help`` is
shown too: it builds the control flags from the schema (pydantic, the shipped config).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = (["--version"], ["--help"], ["generate", "--help"])


def wall_time(command: list[str]) -> float:
    """Seconds for one run of ``command`` (which must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument(
        "--avatar", help="the console script (default: the one beside this Python, else on PATH)"
    )
    args = parser.parse_args()
    beside = Path(sys.executable).with_name("avatar")
    script = args.avatar or (str(beside) if beside.exists() else shutil.which("avatar"))
    if script is None:
        sys.exit("bench_cli: no avatar console script found (pip install the package, or --avatar PATH)")
    wall_time([script, "--version"])  # the first run fills the page cache; it is not counted
    for case in CASES:
        times = [wall_time([script, *case]) for _ in range(args.runs)]
        print(
            f"avatar {' '.join(case):16s} median {statistics.median(times):.3f} s  (min {min(times):.3f}, "
            f"{args.runs} runs)"
        )


if __name__ == "__main__":
    main()
