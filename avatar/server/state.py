"""What the service holds while it runs: configuration, models, the job pool, metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..store import AvatarStore
from .metrics import Metrics
from .pool import JobPool


@dataclass
class Models:
    """Loaded once, shared by every request (read-only after loading)."""

    lipsync_net: Any  # LipSyncNet or OnnxLipSync (backend), or None if its weights are not installed
    motion_net: Any  # MotionNet or OnnxMotion
    stream_lipsync: Any  # LipSyncNet (torch) for live streams, or None
    stream_motion: Any  # MotionNet (torch) for live streams
    default_avatar: Any  # portrait.Avatar
    device: str


@dataclass
class ServiceState:
    cfg: Config
    pool: JobPool
    metrics: Metrics
    api_key: str | None
    started: float = field(default_factory=time.monotonic)
    models: Models | None = None
    avatars: AvatarStore | None = None  # opened by the app's lifespan (avatar/store)
    load_error: str | None = None
    streams: int = 0  # live streams open (changed on the event loop only)
    loaded: threading.Event = field(default_factory=threading.Event)

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started
