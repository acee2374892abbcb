"""A process-local cache that one Redis channel empties: the owner of the data publishes after each
change it commits, every process holding a copy drops it at once.

A copy is trusted only while the process is subscribed: before the subscription is confirmed, and
from the moment it is lost until it is back, every read goes to the source. So a change can never be
missed by a process that was cut off from Redis while it happened."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
DIRECTORY_CHANNEL = "permitto:directory:changed"  # auth publishes: users, roles, projects, assignments


class ChannelCache:
    def __init__(self, redis_url: str, channel: str, *, ttl: float) -> None:
        self.redis_url = redis_url
        self.channel = channel
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every drop: a read that started before it stores nothing
        self._subscribed = threading.Event()
        self._owner_pid: int | None = None

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        self._ensure_listener()
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit and hit[0] > now and self._subscribed.is_set():
                return hit[1]
            generation = self._generation
        value = load()
        with self._lock:
            if self._subscribed.is_set() and generation == self._generation:
                self._entries[key] = (now + self.ttl, value)
        return value

    def drop_all(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def _ensure_listener(self) -> None:
        # Threads do not survive a fork (gunicorn forks its workers): each process subscribes itself.
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._owner_pid == os.getpid():
                return
            self._owner_pid = os.getpid()
            self._subscribed.clear()
            self._entries.clear()
            threading.Thread(target=self._listen, name=f"cache:{self.channel}", daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                client = Redis.from_url(self.redis_url, socket_connect_timeout=3, socket_keepalive=True,
                                        health_check_interval=30)
                pubsub = client.pubsub()  # type: ignore[no-untyped-call]
                pubsub.subscribe(self.channel)
                while True:
                    message = pubsub.get_message(timeout=15)
                    if message is None:
                        pubsub.ping()  # a half-open connection shows here, not in a silent wait
                        continue
                    if message["type"] == "subscribe":
                        self.drop_all()
                        self._subscribed.set()
                    elif message["type"] == "message":
                        self.drop_all()
            except (RedisError, OSError) as exc:
                log.warning("cache invalidation channel lost; reading through until it is back",
                            extra={"channel": self.channel, "error": str(exc)})
            self._subscribed.clear()
            self.drop_all()
            time.sleep(1)


def publish_change(redis: Redis, channel: str) -> None:
    """Tell every process holding a copy to drop it; called after the change is committed."""
    try:
        redis.publish(channel, "1")
    except RedisError as exc:
        # The change is committed. A process that kept its subscription drops its copy within its TTL.
        log.warning("could not publish a cache invalidation", extra={"channel": channel, "error": str(exc)})
