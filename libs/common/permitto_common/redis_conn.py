"""One Redis client per app, bound in create_app (connections open lazily, on first use)."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app
from redis import Redis

from .redis_wire import WirePool

_KEY = "permitto.redis"


def init_redis(app: Flask, url: str) -> Redis:
    client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)
    app.extensions[_KEY] = client
    return client


def get_redis(app: Flask | None = None) -> Redis:
    return cast(Redis, (app or current_app).extensions[_KEY])


def round_trip(client: Redis, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Several commands in one round trip, the replies in order, as redis-py reads them without response
    callbacks (bytes, ints, None, lists). The gateway does this once per request and every service once
    per signed-in request, so it speaks RESP on pooled sockets of its own (redis_wire) where the client
    is plain TCP. An error reply raises ResponseError, a failed connection ConnectionError or
    TimeoutError: each a RedisError."""
    wire = WirePool.for_client(client)
    if wire is not None:
        return wire.round_trip(commands)
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))  # type: ignore[no-untyped-call]
        return [conn.read_response() for _ in commands]
    except BaseException:
        conn.disconnect()  # type: ignore[no-untyped-call]
        raise
    finally:
        pool.release(conn)
