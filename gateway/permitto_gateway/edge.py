"""What the gateway does to every request and response at the edge: CORS, security headers, rate limits,
and a circuit breaker per service so a failing service is answered at once instead of piling up."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from redis.exceptions import RedisError

from permitto_common.errors import APIError, Unauthorized
from permitto_common.ratelimit import Hit, Limit, RateLimited
from permitto_common.redis_conn import get_redis, round_trip
from permitto_common.security import revocation_keys, revocation_verdict

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-site",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-ID, X-CSRF-Token, X-CSRF-TOKEN, " \
               "X-Auth-Mode, Last-Event-ID"


class EdgeHeaders:
    """The headers the edge puts on every answer: CORS for the allowed origins, and security headers the
    answer did not set itself. Used by the Flask part of the gateway and by its hot path alike."""

    def __init__(self, origins: list[str], *, hsts: bool) -> None:
        self.allowed = frozenset(origins)
        defaults = dict(SECURITY_HEADERS)
        if hsts:
            defaults["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        defaults["Cache-Control"] = "no-store"
        self.defaults = tuple(defaults.items())

    def cors(self, origin: str) -> list[tuple[str, str]]:
        """For an allowed origin: credentials are allowed (cookie mode), so it is echoed, never "*"."""
        if origin not in self.allowed:
            return []
        return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", "X-Request-ID, ETag, Retry-After, Idempotent-Replayed")]

    def preflight(self, origin: str) -> list[tuple[str, str]]:
        if origin not in self.allowed:
            return []
        return [("Access-Control-Allow-Methods", CORS_METHODS), ("Access-Control-Allow-Headers", CORS_HEADERS),
                ("Access-Control-Max-Age", "600")]

    def finish(self, headers: list[tuple[str, str]], origin: str) -> list[tuple[str, str]]:
        """A forwarded answer's header list with the edge's headers set (CORS) or added when absent."""
        cors = self.cors(origin)
        if cors:
            own = {name.lower() for name, _ in cors}
            headers = [(name, value) for name, value in headers if name.lower() not in own]
            headers.extend(cors)
            headers.append(("Vary", "Origin"))
        present = {name.lower() for name, _ in headers}
        headers.extend((name, value) for name, value in self.defaults if name.lower() not in present)
        return headers


def init_cors_and_headers(app: Flask, edge: EdgeHeaders) -> None:
    @app.before_request
    def _preflight() -> Response | None:
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response = Response(status=204)
            for key, value in edge.preflight(request.headers.get("Origin", "")):
                response.headers[key] = value
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        cors = edge.cors(request.headers.get("Origin", ""))
        for key, value in cors:
            response.headers[key] = value
        if cors:
            response.headers.add("Vary", "Origin")
        for key, value in edge.defaults:
            response.headers.setdefault(key, value)
        return response


@dataclass(frozen=True)
class RateLimits:
    anonymous_per_ip: Limit
    per_user: Limit
    login_per_ip: Limit
    password_reset_per_ip: Limit
    verify_per_ip: Limit  # the public permit check: no account, so the address is all there is to count


def edge_checks(app: Flask, limits: RateLimits, *, address: str, path: str, method: str,
                claims: dict[str, Any] | None) -> None:
    """One Redis round trip a request: the rate-limit counters (fixed windows shared by every gateway
    replica) and, for a signed-in caller, the session deny list. If Redis is unreachable, limits let
    the request pass (refusing everything would be the outage they guard against) while sessions are
    checked with auth instead."""
    now = time.time()
    hits: list[Hit] = []
    if method == "POST" and path == "/auth/login":
        hits.append(Hit(limits.login_per_ip, address, now))
    elif method == "POST" and path in ("/auth/forgot-password", "/auth/reset-password"):
        hits.append(Hit(limits.password_reset_per_ip, address, now))
    elif path.startswith("/verify/"):
        hits.append(Hit(limits.verify_per_ip, address, now))
    user_id = str(claims["sub"]) if claims else None
    hits.append(Hit(limits.per_user, user_id, now) if user_id else Hit(limits.anonymous_per_ip, address, now))
    deny_keys = revocation_keys(claims) if claims else []
    commands: list[tuple[Any, ...]] = [("MGET", *deny_keys)] if deny_keys else []
    for counted in hits:
        commands.extend(counted.commands())
    try:
        results = round_trip(get_redis(app), commands)
    except RedisError as exc:
        log.warning("rate limits unavailable", extra={"error": str(exc)})
        if claims and revocation_verdict(None, claims, exc, app=app):
            raise Unauthorized("The session of this token was ended.") from None
        return
    if claims and revocation_verdict(results.pop(0), claims, app=app):
        raise Unauthorized("The session of this token was ended.")
    for index, counted in enumerate(hits):
        allowed, retry_after = counted.judge(results[Hit.COMMANDS * index])
        if not allowed:
            raise RateLimited("Too many requests; slow down and try again shortly.", retry_after)


@dataclass
class Breaker:
    """Per service: after `threshold` consecutive failures, open for `cooldown` seconds and answer 503 at
    once; then let one trial request through (half-open) and close again if it succeeds."""

    threshold: int = 5
    cooldown: float = 5.0
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, service: str) -> None:
        with self.lock:
            if self.opened_at is None:
                return
            waited = time.monotonic() - self.opened_at
            if waited < self.cooldown or self.trial_running:
                retry = max(1, int(self.cooldown - waited) + 1)
                raise APIError(f"The {service} service is failing; requests are paused for a few seconds.",
                               status=503, headers={"Retry-After": str(retry)})
            self.trial_running = True  # half-open: this request is the trial

    def answered(self, code: int) -> None:
        """A service answering 502-504 itself is failing too; its own 4xx/500 answers are answers."""
        if code in (502, 503, 504):
            self.failure()
        else:
            self.success()

    def success(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failure(self) -> None:
        with self.lock:
            self.failures += 1
            self.trial_running = False
            if self.failures >= self.threshold:
                self.opened_at = time.monotonic()
