"""Idempotency-Key for mutating requests: a retried request (a phone on a bad network) gets the first
answer again instead of acting twice. Answers are kept in Redis for a day, per user and key.

While a request runs, its key holds a pending slot that lives only as long as a request may run
(the web server's time limit, plus a margin): if the process dies mid-request, the slot expires and
the client's retry runs, guarded by the permit's state, instead of meeting a 409 for a day."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Response, current_app, request
from redis import Redis
from redis.exceptions import RedisError

from .errors import APIError, error_response
from .redis_conn import get_redis
from .security import current_identity

log = logging.getLogger(__name__)
P = ParamSpec("P")
HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600


def pending_seconds() -> int:
    """How long a request may still be running: the service's request time limit (gunicorn's timeout,
    GUNICORN_TIMEOUT) and a margin. Every call a request makes has a shorter timeout of its own. Should
    a request still run after that, a retry is no danger: the permit's row lock and state let one
    approval through and answer the other with a 409."""
    return int(current_app.config.get("REQUEST_TIME_LIMIT_SECONDS", 30)) + 5


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()


def idempotent(view: Callable[P, Response]) -> Callable[P, Response]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200:
            raise APIError("The Idempotency-Key header is too long (200 characters at most).", status=422,
                           details=[{"field": HEADER, "message": "at most 200 characters"}])
        redis = get_redis()
        hashed_key = hashlib.sha256(key.encode()).hexdigest()
        slot = f"permitto:idem:{current_app.name}:{current_identity().user_id}:{hashed_key}"
        fingerprint = _fingerprint()
        try:
            claimed = redis.set(slot, json.dumps({"state": "pending", "fp": fingerprint}), nx=True,
                                ex=pending_seconds())
            stored = None if claimed else json.loads(redis.get(slot) or "{}")
        except RedisError as exc:
            # Without Redis the key cannot be remembered. The request still runs once: the permit actions
            # are guarded by their state (a retried approval is a 409, never a second approval).
            log.warning("idempotency keys unavailable; running the request unguarded", extra={"error": str(exc)})
            return view(*args, **kwargs)
        if stored is not None:
            if stored.get("fp") != fingerprint:
                raise APIError("This Idempotency-Key was used for a different request.", status=422,
                               details=[{"field": HEADER, "message": "already used for another request"}])
            if stored.get("state") != "done":
                raise APIError("A request with this Idempotency-Key is still being processed; retry shortly.",
                               status=409, headers={"Retry-After": "2"})
            replay = Response(stored["body"], status=stored["status"], mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(*args, **kwargs)
        except APIError as exc:
            response = error_response(exc.status, exc.message, code=exc.code, details=exc.details,
                                      headers=exc.headers)
        except Exception:
            _forget(redis, slot)  # nothing is known to have happened: let the retry run
            raise
        try:
            if response.status_code >= 500:
                redis.delete(slot)
            else:
                redis.set(slot, json.dumps({"state": "done", "fp": fingerprint, "status": response.status_code,
                                            "body": response.get_data(as_text=True)}), ex=TTL_SECONDS)
        except RedisError as exc:
            # The action happened: answer it. A retry meets the pending slot (409) until it expires.
            log.warning("could not store the idempotent answer", extra={"error": str(exc)})
        return response

    return wrapper


def _forget(redis: Redis, slot: str) -> None:
    with contextlib.suppress(RedisError):
        redis.delete(slot)
