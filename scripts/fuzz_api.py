"""Schemathesis against the service's OpenAPI schema, on loopback: no input may cause a 5xx.

Starts ``avatar serve`` on a free port (its own AVATAR_HOME, small limits so generated uploads
stay cheap), runs every operation with generated inputs (bounded: --examples per operation),
and prints schemathesis's summary; the exit status is schemathesis's.

    python scripts/fuzz_api.py [--examples 40]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from avatar.server.local import local_server

LIMITS = {
    "server.max_audio_s": "30",
    "server.max_upload_mb": "5",
    "server.timeout_s": "60",
    "server.queue": "16",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="generated requests per operation")
    args = parser.parse_args()
    tool = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    with local_server(LIMITS) as server:
        command = [
            tool, "run", f"{server.url}/openapi.json",
            "--checks", "not_a_server_error",
            "--max-examples", str(args.examples),
            "--request-timeout", "120",
            "--generation-deterministic",
        ]  # fmt: skip
        print(" ".join(command[1:]), flush=True)
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
