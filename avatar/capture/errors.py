"""The one error capture raises for a video it cannot use (no video, no face)."""

from __future__ import annotations

from ..errors import AvatarError


class CaptureError(AvatarError):
    """A video that cannot be captured; the message is one line for the user."""
