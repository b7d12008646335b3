"""``avatar serve``: run the HTTP service."""

from __future__ import annotations

import argparse

from .common import add_common, config_from_args


def add_parser(commands: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """Add ``serve`` to ``commands``."""
    parser = commands.add_parser(
        name,
        help=text,
        description="Run the FastAPI service with uvicorn. Settings: the 'server' section of "
        "configs/inference.yaml; set AVATAR_API_KEY to require 'Authorization: Bearer <key>'.",
    )
    parser.add_argument("--host", help="address to listen on (config: server.host)")
    parser.add_argument("--port", type=int, help="port (config: server.port)")
    add_common(parser, example="server.workers=4")
    return parser


def run(args: argparse.Namespace) -> None:
    """Serve until interrupted."""
    from ..server.run import serve

    serve(config_from_args(args), host=args.host, port=args.port, quiet=args.quiet)
