"""Run the HTTP service: ``python api/server.py [--host H] [--port P]`` (same as ``avatar serve``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from avatar.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
