"""One Redis client per app, bound in create_app (connections open lazily, on first use)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from redis import Redis

_KEY = "permitto.redis"


def init_redis(app: Flask, url: str) -> Redis:
    client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)
    app.extensions[_KEY] = client
    return client


def get_redis(app: Flask | None = None) -> Redis:
    return cast(Redis, (app or current_app).extensions[_KEY])
