"""``avatar serve``: the command-line side of the HTTP service."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], None]


def add_parsers(commands: argparse._SubParsersAction, add_common: Callable) -> dict[str, Handler]:
    """Add ``serve``; returns its handler."""
    serve = commands.add_parser(
        "serve",
        help="run the HTTP service (API, OpenAPI docs at /docs, web page at /ui/)",
        description="Run the FastAPI service with uvicorn. Settings: the 'server' section of "
        "configs/inference.yaml; set AVATAR_API_KEY to require 'Authorization: Bearer <key>'.",
    )
    serve.add_argument("--host", help="address to listen on (config: server.host)")
    serve.add_argument("--port", type=int, help="port (config: server.port)")
    add_common(serve, example="server.workers=4")
    return {"serve": cmd_serve}


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from ..cli import _config
    from .app import create_app

    cfg = _config(args)
    limits = cfg.inference.server
    logging.getLogger("avatar.server").setLevel(logging.WARNING if args.quiet else logging.INFO)
    uvicorn.run(
        create_app(cfg),
        host=args.host or limits.host,
        port=args.port or limits.port,
        log_level="warning" if args.quiet else "info",
        access_log=False,  # the app logs one JSON line per request, with its request id
    )
