"""Renderer: avatar photo + (expression, head pose, gaze) -> RGB frames, by a dense backward warp."""

from .renderer import Renderer

__all__ = ["Renderer"]
