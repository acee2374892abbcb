"""HTTP views of the notifications service: the in-app API with its live stream, preferences, the
administrator's view of failed emails, and the internal door where events come in."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context

from permitto_common.errors import success
from permitto_common.openapi import documented
from permitto_common.pagination import page_meta
from permitto_common.redis_conn import get_redis
from permitto_common.security import ADMIN, COORDINATOR, current_identity, require_auth, require_internal
from permitto_common.validation import parse_body, parse_query

from . import in_app, inbox
from .extensions import db
from .schemas import (
    EventsBody,
    FailedEmail,
    ListQuery,
    Marked,
    NotificationOut,
    PreferencesBody,
    PreferencesOut,
    PublicKey,
    PushSubscriptionBody,
    RetryQueued,
    Subscribed,
    notification_out,
    preferences_out,
)

public = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications")
internal = Blueprint("internal", __name__, url_prefix="/internal")
HEARTBEAT_SECONDS = 10


def _me() -> uuid.UUID:
    return uuid.UUID(current_identity().user_id)


@public.get("")
@documented("My notifications, newest first (meta.unread counts the unread)",
            query=ListQuery, response=list[NotificationOut], paginated=True)
@require_auth()
def list_notifications() -> Response:
    query = parse_query(ListQuery)
    rows, total, unread = in_app.page(_me(), query)
    return success([notification_out(n) for n in rows], meta={**page_meta(query, total), "unread": unread})


@public.patch("/<uuid:notification_id>/read")
@documented("Mark one of my notifications read", response=NotificationOut)
@require_auth()
def mark_read(notification_id: uuid.UUID) -> Response:
    return success(notification_out(in_app.mark_read(_me(), notification_id)))


@public.post("/read-all")
@documented("Mark all my notifications read", response=Marked)
@require_auth()
def read_all() -> Response:
    marked: Marked = {"marked": in_app.read_all(_me())}
    return success(marked)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode()


@public.get("/stream")
@documented("Live notifications as server-sent events (send Last-Event-ID to resume)", media_type="text/event-stream")
@require_auth()
def stream() -> Response:
    """Server-sent events: each new notification within a second; Last-Event-ID replays what was missed.
    Runs on gevent workers, so thousands of idle streams cost no thread each."""
    identity = current_identity()
    user_id = identity.user_id
    board = identity.role in (ADMIN, COORDINATOR)  # site-wide roles: their stream also feeds the live board
    last_id = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
    missed = [notification_out(n) for n in in_app.missed_since(user_id, last_id)]
    db.session.remove()  # a stream must not hold a database connection while it idles
    redis = get_redis(current_app)

    def events() -> Iterator[str]:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        pubsub.subscribe(inbox.channel(user_id), *([inbox.BOARD_CHANNEL] if board else []))
        try:
            yield "retry: 3000\n: connected\n\n"
            for item in missed:
                yield f"id: {item['id']}\nevent: notification\ndata: {json.dumps(item)}\n\n"
            last_beat = time.monotonic()
            while True:
                message = pubsub.get_message(timeout=1.0)
                if message is not None and _text(message["channel"]) == inbox.BOARD_CHANNEL:
                    yield f"event: board\ndata: {_text(message['data'])}\n\n"  # no id: replay stays per user
                elif message is not None:
                    data = json.loads(message["data"])
                    yield f"id: {data['id']}\nevent: notification\ndata: {json.dumps(data)}\n\n"
                elif time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = time.monotonic()
                    yield ": keep-alive\n\n"
        finally:
            pubsub.close()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@public.get("/preferences")
@documented("My notification preferences", response=PreferencesOut)
@require_auth()
def get_preferences() -> Response:
    return success(preferences_out(in_app.preferences(_me())))


@public.patch("/preferences")
@documented("Change my notification preferences", body=PreferencesBody, response=PreferencesOut)
@require_auth()
def set_preferences() -> Response:
    return success(preferences_out(in_app.set_preferences(_me(), parse_body(PreferencesBody))))


@public.get("/admin/failed-emails")
@documented("Emails that failed after every retry", response=list[FailedEmail])
@require_auth(ADMIN)
def failed_emails() -> Response:
    failed: list[FailedEmail] = [{"id": str(d.id), "to": d.to, "subject": d.subject, "attempts": d.attempts,
                                  "lastError": d.last_error, "createdAt": d.created_at.isoformat()}
                                 for d in in_app.failed_emails()]
    return success(failed)


@public.post("/admin/failed-emails/<uuid:delivery_id>/retry")
@documented("Send a failed email again", response=RetryQueued, status=202)
@require_auth(ADMIN)
def retry_email(delivery_id: uuid.UUID) -> Response:
    delivery = in_app.retry_email(delivery_id)
    queued: RetryQueued = {"id": str(delivery.id), "status": delivery.status}
    return success(queued, status=202)


@public.get("/push/public-key")
@documented("The VAPID public key for Web Push subscriptions", response=PublicKey)
@require_auth()
def push_public_key() -> Response:
    key: PublicKey = {"publicKey": in_app.push_public_key()}
    return success(key)


@public.post("/push-subscriptions")
@documented("Register this browser for Web Push", body=PushSubscriptionBody, response=Subscribed, status=201)
@require_auth()
def subscribe_push() -> Response:
    in_app.subscribe_push(_me(), parse_body(PushSubscriptionBody))
    subscribed: Subscribed = {"subscribed": True}
    return success(subscribed, status=201)


@internal.post("/events")
@require_internal
def receive_events() -> Response:
    body = parse_body(EventsBody)
    return success(inbox.accept([event.model_dump(mode="json") for event in body.events]), status=202)


def register_views(app: Flask) -> None:
    app.register_blueprint(public)
    app.register_blueprint(internal)
