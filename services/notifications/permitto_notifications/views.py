"""HTTP views of the notifications service: the in-app API with its live stream, preferences, the
administrator's view of failed emails, and the internal door where events come in."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select, update
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.database import utcnow
from permitto_common.errors import APIError, NotFound, success
from permitto_common.openapi import documented
from permitto_common.pagination import PageQuery, page_meta
from permitto_common.redis_conn import get_redis
from permitto_common.security import current_identity, require_auth, require_internal
from permitto_common.validation import parse_body, parse_query

from . import inbox
from .channels.push import push_settings
from .extensions import db
from .models import EmailDelivery, Notification, Preference, PushSubscription

public = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications")
internal = Blueprint("internal", __name__, url_prefix="/internal")
HEARTBEAT_SECONDS = 10


class ListQuery(PageQuery):
    unread: bool | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: uuid.UUID
    type: str = Field(min_length=3, max_length=40)
    occurredAt: str
    permitId: uuid.UUID | None = None


class EventsBody(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=500)


class ChannelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: bool | None = None
    push: bool | None = None


class PreferencesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emailEnabled: bool | None = None
    pushEnabled: bool | None = None
    dailyDigest: bool | None = None
    perEvent: dict[str, ChannelChoice] | None = Field(
        None, description="per event type (" + ", ".join(inbox.WHAT) + "), email and/or push on or off; "
                          "replaces the saved overrides")

    @field_validator("perEvent")
    @classmethod
    def _known_events(cls, value: dict[str, ChannelChoice] | None) -> dict[str, ChannelChoice] | None:
        unknown = sorted(set(value or {}) - set(inbox.WHAT))
        if unknown:
            raise ValueError(f"unknown event type(s): {', '.join(unknown)[:200]}")
        return value


def _me() -> uuid.UUID:
    return uuid.UUID(current_identity().user_id)


# Answers: typed dicts the views build, checked by mypy and published in the OpenAPI document.
class NotificationOut(TypedDict):
    id: str
    type: str
    title: str
    body: str
    link: str | None
    permitId: str | None
    createdAt: str
    readAt: str | None


class PreferencesOut(TypedDict):
    emailEnabled: bool
    pushEnabled: bool
    dailyDigest: bool
    perEvent: dict[str, dict[str, bool]]


class FailedEmail(TypedDict):
    id: str
    to: str
    subject: str
    attempts: int
    lastError: str | None
    createdAt: str


class Marked(TypedDict):
    marked: int


class RetryQueued(TypedDict):
    id: str
    status: str


class PublicKey(TypedDict):
    publicKey: str


class Subscribed(TypedDict):
    subscribed: bool


def notification_out(n: Notification) -> NotificationOut:
    return {"id": str(n.id), "type": n.type, "title": n.title, "body": n.body, "link": n.link,
            "permitId": str(n.permit_id) if n.permit_id else None, "createdAt": n.created_at.isoformat(),
            "readAt": n.read_at.isoformat() if n.read_at else None}


@public.get("")
@documented("My notifications, newest first (meta.unread counts the unread)",
            query=ListQuery, response=list[NotificationOut], paginated=True)
@require_auth()
def list_notifications() -> Response:
    query = parse_query(ListQuery)
    stmt = select(Notification).where(Notification.user_id == _me())
    if query.unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    unread = db.session.scalar(select(func.count()).where(Notification.user_id == _me(),
                                                          Notification.read_at.is_(None))) or 0
    rows = db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(query.limit).offset(query.offset)).all()
    return success([notification_out(n) for n in rows], meta={**page_meta(query, total), "unread": unread})


@public.patch("/<uuid:notification_id>/read")
@documented("Mark one of my notifications read", response=NotificationOut)
@require_auth()
def mark_read(notification_id: uuid.UUID) -> Response:
    notification = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                                Notification.user_id == _me()))
    if notification is None:
        raise NotFound("No such notification.")  # someone else's does not exist for you
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return success(notification_out(notification))


@public.post("/read-all")
@documented("Mark all my notifications read", response=Marked)
@require_auth()
def read_all() -> Response:
    result = db.session.execute(update(Notification).where(Notification.user_id == _me(),
                                                           Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    marked: Marked = {"marked": result.rowcount}  # type: ignore[attr-defined]
    return success(marked)


@public.get("/stream")
@documented("Live notifications as server-sent events (send Last-Event-ID to resume)", media_type="text/event-stream")
@require_auth()
def stream() -> Response:
    """Server-sent events: each new notification within a second; Last-Event-ID replays what was missed.
    Runs on gevent workers, so thousands of idle streams cost no thread each."""
    user_id = current_identity().user_id
    last_id = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
    missed: list[NotificationOut] = []
    if last_id:
        try:
            anchor = db.session.get(Notification, uuid.UUID(last_id))
        except ValueError:
            anchor = None
        if anchor is not None and str(anchor.user_id) == user_id:
            missed = [notification_out(n) for n in db.session.scalars(
                select(Notification).where(Notification.user_id == anchor.user_id,
                                           Notification.created_at > anchor.created_at)
                .order_by(Notification.created_at).limit(200))]
    db.session.remove()  # a stream must not hold a database connection while it idles
    redis = get_redis(current_app)

    def events() -> Iterator[str]:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        pubsub.subscribe(inbox.channel(user_id))
        try:
            yield "retry: 3000\n: connected\n\n"
            for item in missed:
                yield f"id: {item['id']}\nevent: notification\ndata: {json.dumps(item)}\n\n"
            last_beat = time.monotonic()
            while True:
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
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
    return success(_preferences_out(db.session.get(Preference, _me())))


@public.patch("/preferences")
@documented("Change my notification preferences", body=PreferencesBody, response=PreferencesOut)
@require_auth()
def set_preferences() -> Response:
    body = parse_body(PreferencesBody)
    preference = db.session.get(Preference, _me()) or Preference(user_id=_me(), per_event={})
    for field, column in (("emailEnabled", "email_enabled"), ("pushEnabled", "push_enabled"),
                          ("dailyDigest", "daily_digest")):
        value = getattr(body, field)
        if value is not None:
            setattr(preference, column, value)
    if body.perEvent is not None:
        preference.per_event = {event: choice.model_dump(exclude_none=True) for event, choice in body.perEvent.items()}
    db.session.add(preference)
    db.session.commit()
    return success(_preferences_out(preference))


def _preferences_out(preference: Preference | None) -> PreferencesOut:
    if preference is None:
        return {"emailEnabled": True, "pushEnabled": False, "dailyDigest": False, "perEvent": {}}
    return {"emailEnabled": preference.email_enabled, "pushEnabled": preference.push_enabled,
            "dailyDigest": preference.daily_digest, "perEvent": preference.per_event or {}}


@public.get("/admin/failed-emails")
@documented("Emails that failed after every retry", response=list[FailedEmail])
@require_auth("SUPER_ADMIN")
def failed_emails() -> Response:
    rows = db.session.scalars(select(EmailDelivery).where(EmailDelivery.status == "FAILED")
                              .order_by(EmailDelivery.created_at.desc()).limit(200)).all()
    failed: list[FailedEmail] = [{"id": str(d.id), "to": d.to, "subject": d.subject, "attempts": d.attempts,
                                  "lastError": d.last_error, "createdAt": d.created_at.isoformat()} for d in rows]
    return success(failed)


@public.post("/admin/failed-emails/<uuid:delivery_id>/retry")
@documented("Send a failed email again", response=RetryQueued, status=202)
@require_auth("SUPER_ADMIN")
def retry_email(delivery_id: uuid.UUID) -> Response:
    delivery = db.session.get(EmailDelivery, delivery_id)
    if delivery is None or delivery.status != "FAILED":
        raise NotFound("No failed email with this id.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "PENDING", 0, None  # a full new round
    db.session.commit()
    inbox.send_after_commit([str(delivery.id)])
    queued: RetryQueued = {"id": str(delivery.id), "status": "PENDING"}
    return success(queued, status=202)


class PushKeys(BaseModel):
    # base64url, as browsers give them (PushSubscription.toJSON)
    p256dh: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_\-]+=*$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-]+=*$")


class PushSubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime and more
    endpoint: str = Field(pattern=r"^https?://", max_length=1000)
    keys: PushKeys


@public.get("/push/public-key")
@documented("The VAPID public key for Web Push subscriptions", response=PublicKey)
@require_auth()
def push_public_key() -> Response:
    settings = push_settings()
    if settings is None:
        raise APIError("Push notifications are not configured on this server.", status=503)
    key: PublicKey = {"publicKey": settings.public_key}
    return success(key)


@public.post("/push-subscriptions")
@documented("Register this browser for Web Push", body=PushSubscriptionBody, response=Subscribed, status=201)
@require_auth()
def subscribe_push() -> Response:
    """Register this browser; turning push on in the preferences follows from subscribing."""
    body = parse_body(PushSubscriptionBody)
    if push_settings() is None:
        raise APIError("Push notifications are not configured on this server.", status=503)
    existing = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == body.endpoint))
    if existing is not None and existing.user_id != _me():
        db.session.delete(existing)  # a shared device changed hands
        db.session.flush()
        existing = None
    if existing is None:
        db.session.add(PushSubscription(user_id=_me(), endpoint=body.endpoint, p256dh=body.keys.p256dh,
                                        auth=body.keys.auth))
    preference = db.session.get(Preference, _me()) or Preference(user_id=_me(), per_event={})
    preference.push_enabled = True
    db.session.add(preference)
    db.session.commit()
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
