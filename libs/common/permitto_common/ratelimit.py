"""Fixed-window rate limits in Redis, shared by every process of a service (and by the gateway)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from redis import Redis

from .errors import APIError
from .redis_conn import round_trip


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


@dataclass(frozen=True)
class Hit:
    """One counted request in a limit's current window, counted by the commands() it sends."""

    limit: Limit
    key: str
    now: float
    COMMANDS: ClassVar[int] = 2  # what commands() gives: INCR, EXPIRE

    @property
    def window(self) -> int:
        return int(self.now // self.limit.window_seconds)

    def commands(self) -> list[tuple[str | int, ...]]:
        """INCR the window's counter, and let it expire just after the window ends."""
        redis_key = f"permitto:rl:{self.limit.name}:{self.key}:{self.window}"
        return [("INCR", redis_key), ("EXPIRE", redis_key, self.limit.window_seconds + 1)]

    def judge(self, count: int) -> tuple[bool, int]:
        """(allowed, seconds until the window resets) from the count INCR answered."""
        retry_after = int((self.window + 1) * self.limit.window_seconds - self.now) + 1
        return int(count) <= self.limit.limit, retry_after


def hit(redis: Redis, limit: Limit, key: str, *, now: float | None = None) -> tuple[bool, int]:
    """Count one hit; return (allowed, seconds until the window resets)."""
    counted = Hit(limit, key, time.time() if now is None else now)
    count, _ = round_trip(redis, counted.commands())
    return counted.judge(count)


def enforce(redis: Redis, limit: Limit, key: str, message: str = "Too many requests; try again later.") -> None:
    allowed, retry_after = hit(redis, limit, key)
    if not allowed:
        raise RateLimited(message, retry_after)
