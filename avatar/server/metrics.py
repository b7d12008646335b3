"""Prometheus metrics of one app instance (its own registry, so several apps can coexist)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """Requests by route and status, request latency, and the job pool's state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "avatar_http_requests",
            "HTTP requests answered",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "avatar_http_request_seconds",
            "Time to answer an HTTP request",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.jobs_running = Gauge("avatar_jobs_running", "Generation jobs running", registry=self.registry)
        self.jobs_waiting = Gauge(
            "avatar_jobs_waiting", "Generation jobs waiting for a worker", registry=self.registry
        )
        self.jobs_rejected = Counter(
            "avatar_jobs_rejected", "Jobs refused because the pool was full", registry=self.registry
        )
        self.ready = Gauge("avatar_ready", "1 once the models are loaded", registry=self.registry)
