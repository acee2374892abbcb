"""The in-app side of notifications: a person's own list, read marks, preferences and push
subscriptions. Every function works on the caller's own rows only: someone else's do not exist."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update

from permitto_common.database import utcnow
from permitto_common.errors import APIError, NotFound

from . import inbox
from .channels.push import push_settings
from .extensions import db
from .models import EmailDelivery, Notification, Preference, PushSubscription
from .schemas import ListQuery, PreferencesBody, PushSubscriptionBody

PUSH_OFF = "Push notifications are not configured on this server."


def page(user_id: uuid.UUID, query: ListQuery) -> tuple[Sequence[Notification], int, int]:
    """A page of the person's notifications, newest first; with the total and the unread count."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if query.unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    unread = db.session.scalar(select(func.count()).where(Notification.user_id == user_id,
                                                          Notification.read_at.is_(None))) or 0
    rows = db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(query.limit).offset(query.offset)).all()
    return rows, total, unread


def mark_read(user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    notification = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                                Notification.user_id == user_id))
    if notification is None:
        raise NotFound("No such notification.")  # someone else's does not exist for you
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def read_all(user_id: uuid.UUID) -> int:
    result = db.session.execute(update(Notification).where(Notification.user_id == user_id,
                                                           Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def missed_since(user_id: str, last_id: str | None) -> list[Notification]:
    """What a live stream that reconnects with Last-Event-ID has not seen yet (200 at most)."""
    if not last_id:
        return []
    try:
        anchor = db.session.get(Notification, uuid.UUID(last_id))
    except ValueError:
        return []
    if anchor is None or str(anchor.user_id) != user_id:
        return []
    return list(db.session.scalars(select(Notification).where(Notification.user_id == anchor.user_id,
                                                              Notification.created_at > anchor.created_at)
                                   .order_by(Notification.created_at).limit(200)))


def preferences(user_id: uuid.UUID) -> Preference | None:
    return db.session.get(Preference, user_id)


def set_preferences(user_id: uuid.UUID, body: PreferencesBody) -> Preference:
    preference = db.session.get(Preference, user_id) or Preference(user_id=user_id, per_event={})
    for field, column in (("emailEnabled", "email_enabled"), ("pushEnabled", "push_enabled"),
                          ("dailyDigest", "daily_digest")):
        value = getattr(body, field)
        if value is not None:
            setattr(preference, column, value)
    if body.perEvent is not None:
        preference.per_event = {event: choice.model_dump(exclude_none=True) for event, choice in body.perEvent.items()}
    db.session.add(preference)
    db.session.commit()
    return preference


def push_public_key() -> str:
    settings = push_settings()
    if settings is None:
        raise APIError(PUSH_OFF, status=503)
    return settings.public_key


def subscribe_push(user_id: uuid.UUID, body: PushSubscriptionBody) -> None:
    """Register this browser; turning push on in the preferences follows from subscribing."""
    if push_settings() is None:
        raise APIError(PUSH_OFF, status=503)
    existing = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == body.endpoint))
    if existing is not None and existing.user_id != user_id:
        db.session.delete(existing)  # a shared device changed hands
        db.session.flush()
        existing = None
    if existing is None:
        db.session.add(PushSubscription(user_id=user_id, endpoint=body.endpoint, p256dh=body.keys.p256dh,
                                        auth=body.keys.auth))
    preference = db.session.get(Preference, user_id) or Preference(user_id=user_id, per_event={})
    preference.push_enabled = True
    db.session.add(preference)
    db.session.commit()


# an administrator's view of emails that failed after every retry ------------------------------------
def failed_emails() -> Sequence[EmailDelivery]:
    return db.session.scalars(select(EmailDelivery).where(EmailDelivery.status == "FAILED")
                              .order_by(EmailDelivery.created_at.desc()).limit(200)).all()


def retry_email(delivery_id: uuid.UUID) -> EmailDelivery:
    delivery = db.session.get(EmailDelivery, delivery_id)
    if delivery is None or delivery.status != "FAILED":
        raise NotFound("No failed email with this id.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "PENDING", 0, None  # a full new round
    db.session.commit()
    inbox.send_after_commit([str(delivery.id)])
    return delivery
