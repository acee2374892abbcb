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
from permitto_common.redis_conn import get_redis
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


def init_cors_and_headers(app: Flask, origins: list[str], *, hsts: bool) -> None:
    allowed = set(origins)

    @app.before_request
    def _preflight() -> Response | None:
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response = Response(status=204)
            origin = request.headers.get("Origin", "")
            if origin in allowed:
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        origin = request.headers.get("Origin", "")
        if origin in allowed:
            # Credentials are allowed (cookie mode), so the origin is echoed, never "*".
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, ETag, Retry-After, Idempotent-Replayed"
            response.headers.add("Vary", "Origin")
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        response.headers.setdefault("Cache-Control", "no-store")
        return response


@dataclass(frozen=True)
class RateLimits:
    anonymous_per_ip: Limit
    per_user: Limit
    login_per_ip: Limit
    password_reset_per_ip: Limit
    verify_per_ip: Limit  # the public permit check: no account, so the address is all there is to count


def edge_checks(limits: RateLimits, *, path: str, method: str, claims: dict[str, Any] | None) -> None:
    """One Redis round trip a request: the rate-limit counters (fixed windows shared by every gateway
    replica) and, for a signed-in caller, the session deny list. If Redis is unreachable, limits let
    the request pass (refusing everything would be the outage they guard against) while sessions are
    checked with auth instead."""
    address = request.remote_addr or "unknown"
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
    try:
        pipe = get_redis().pipeline(transaction=False)
        if deny_keys:
            pipe.mget(deny_keys)
        for counted in hits:
            counted.queue(pipe)
        results = pipe.execute()
    except RedisError as exc:
        log.warning("rate limits unavailable", extra={"error": str(exc)})
        if claims and revocation_verdict(None, claims, exc):
            raise Unauthorized("The session of this token was ended.") from None
        return
    if claims and revocation_verdict(results.pop(0), claims):
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

    def success(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failure(self) -> None:
        with self.lock:
            self.failures += 1
            self.trial_running = False
            if self.failures >= self.threshold:
                self.opened_at = time.monotonic()
