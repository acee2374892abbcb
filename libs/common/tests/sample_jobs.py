"""Jobs the shared-library tests enqueue by name."""

from flask import current_app

from permitto_common.observability import current_request_id
from permitto_common.redis_conn import get_redis


def record(key: str, value: str) -> str:
    """Proves the job ran inside the app context and kept the request id."""
    get_redis().rpush(key, f"{current_app.name}|{value}|{current_request_id()}")
    return value
