"""Prometheus metrics of every service: requests, latency histograms, and (gateway) upstream errors.
Gunicorn runs several processes: they write to PROMETHEUS_MULTIPROC_DIR, which the entrypoint sets."""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, current_app, g, request

from .errors import Forbidden
from .security import INTERNAL_TOKEN_HEADER

_KEY = "permitto.metrics"


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.requests = Counter("permitto_http_requests_total", "HTTP requests handled",
                                ["service", "method", "endpoint", "status"])
        self.latency = Histogram("permitto_http_request_duration_seconds", "Time to answer a request",
                                 ["service", "method", "endpoint"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.upstream_errors = Counter("permitto_upstream_errors_total", "Failed calls to a service (gateway)",
                                       ["service", "upstream", "kind"])


_metrics: Metrics | None = None


def metrics() -> Metrics:
    global _metrics
    if _metrics is None:  # one set of metric objects per process (prometheus refuses duplicates)
        _metrics = Metrics()
    return _metrics


def init_metrics(app: Flask) -> None:
    collected = metrics()
    app.extensions[_KEY] = collected

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.path not in ("/healthz", "/readyz", "/metrics"):
            endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
            collected.requests.labels(app.name, request.method, endpoint, str(response.status_code)).inc()
            collected.latency.labels(app.name, request.method, endpoint).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        """For the scraper only: it sends the internal token (never exposed through the gateway's API)."""
        given = request.headers.get(INTERNAL_TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), current_app.config["INTERNAL_API_TOKEN"].encode()):
            raise Forbidden("Metrics are for the monitoring system.")
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            body = generate_latest(registry)
        else:
            body = generate_latest()
        return Response(body, mimetype=CONTENT_TYPE_LATEST)


def upstream_error(app: Flask, upstream: str, kind: str) -> None:
    collected: Metrics | None = app.extensions.get(_KEY)
    if collected is not None:
        collected.upstream_errors.labels(app.name, upstream, kind).inc()
