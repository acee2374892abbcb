"""Fixed-window rate limits in Redis, shared by every process of a service (and by the gateway)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis

from .errors import APIError


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window_seconds: int


class RateLimited(APIError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


def hit(redis: Redis, limit: Limit, key: str, *, now: float | None = None) -> tuple[bool, int]:
    """Count one hit; return (allowed, seconds until the window resets)."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    redis_key = f"permitto:rl:{limit.name}:{key}:{window}"
    pipe = redis.pipeline()
    pipe.incr(redis_key)
    pipe.expire(redis_key, limit.window_seconds + 1)
    count, _ = pipe.execute()
    retry_after = int((window + 1) * limit.window_seconds - now) + 1
    return int(count) <= limit.limit, retry_after


def enforce(redis: Redis, limit: Limit, key: str, message: str = "Too many requests; try again later.") -> None:
    allowed, retry_after = hit(redis, limit, key)
    if not allowed:
        raise RateLimited(message, retry_after)
