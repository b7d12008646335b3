"""The HTTP service: ``create_app()`` (FastAPI), a router per resource, a bounded job pool."""

from .app import create_app

__all__ = ["create_app"]
