"""Events in, notifications out: each event accepted once, turned into in-app notifications, emails and
live updates for the right people. Every step is idempotent, so retries never notify twice."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from rq import Retry
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from permitto_common.database import utcnow
from permitto_common.jobs import QUEUE_NOTIFICATIONS, enqueue
from permitto_common.redis_conn import get_redis

from . import recipients
from .channels.email import one_line
from .channels.push import PUSHED_EVENTS
from .extensions import db
from .models import EmailDelivery, Event, Notification, Preference

log = logging.getLogger(__name__)
EMAIL_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])  # then the delivery is parked as FAILED
MAX_ATTEMPTS = 1 + 5  # the cap in the database, whatever Redis remembers of the retries

WHAT = {
    "PERMIT_SUBMITTED": "submitted for approval",
    "PERMIT_ISSUER_APPROVED": "approved by the issuer; waiting for final approval",
    "PERMIT_REJECTED": "rejected",
    "PERMIT_APPROVED": "given final approval",
    "DAILY_REMINDER": "waiting for today's confirmation",
    "PERMIT_EXPIRY_WARNING": "expiring within 24 hours",
    "PERMIT_SUSPENDED": "suspended: work must stop",
    "PERMIT_CLOSED": "closed",
    "PERMIT_CANCELLED": "cancelled",
    "PERMIT_REINSTATED": "reinstated",
    "PERMIT_EXPIRED": "expired; waiting for close-out",
    "PERMIT_CLOSEOUT_REQUESTED": "ready for close-out",
    "PERMIT_ACTIVATED": "active for today",
    "SIMOPS_ACKNOWLEDGED": "has other work approved beside it (SIMOPS)",
    "CREW_STILL_SIGNED_ON": "ended its work day with workers still signed on",
    "HANDOVER_REQUESTED": "is being handed over: the incoming holder accepts, an issuer acknowledges",
    "PERMIT_HANDED_OVER": "handed over to a new holder",
    "EXTENSION_REQUESTED": "asks for an extension",
    "EXTENSION_APPROVED": "extended",
    "EXTENSION_REFUSED": "extension refused",
    "FIRE_WATCH_STARTED": "fire watch started",
    "COMPETENCY_EXPIRING": "runs out within 30 days",
}


BOARD_CHANNEL = "permitto:board"  # every permit's changes, for the coordinators' live board


def channel(user_id: str) -> str:
    return f"permitto:notify:{user_id}"


def accept(events: list[dict[str, Any]]) -> dict[str, int]:
    """Store what is new; (re)queue processing of every event not processed yet, new or not."""
    new = 0
    for raw in events:
        result = db.session.execute(insert(Event).values(
            id=uuid.UUID(raw["id"]), type=raw["type"], permit_id=uuid.UUID(raw["permitId"]) if raw.get("permitId")
            else None, payload=raw, occurred_at=datetime.fromisoformat(raw["occurredAt"]),
        ).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id))
        new += 1 if result.scalar() is not None else 0
    db.session.commit()
    ids = [uuid.UUID(raw["id"]) for raw in events]
    pending = db.session.scalars(select(Event.id).where(Event.id.in_(ids), Event.processed_at.is_(None))).all()
    for event_id in pending:
        enqueue(current_app, QUEUE_NOTIFICATIONS, "permitto_notifications.jobs.process_event",
                kwargs={"event_id": str(event_id)}, job_id=f"event-{event_id}")
    return {"received": len(events), "new": new, "queued": len(pending)}


def _wants(preference: Preference | None, event_type: str, channel_name: str) -> bool:
    if preference is None:
        return channel_name == "email"
    override = (preference.per_event or {}).get(event_type, {}).get(channel_name)
    if override is not None:
        return bool(override)
    if channel_name == "email":
        if event_type == "DAILY_REMINDER" and preference.daily_digest:
            return False  # reminders go out as one digest instead
        return preference.email_enabled
    return preference.push_enabled


def process(event_id: uuid.UUID) -> dict[str, int]:
    event = db.session.get(Event, event_id, with_for_update=True)
    if event is None or event.processed_at is not None:
        return {"notified": 0}
    data = event.payload
    people = recipients.resolve(event.type, data)
    actor = recipients.user_name(data.get("actorId")) or "Permitto"
    payload = data.get("payload", {})
    number = data.get("permitNumber") or "a permit"
    app_url = current_app.config["APP_URL"].rstrip("/")
    link = f"{app_url}/permits/{data.get('permitId')}"
    title = f"{number} {WHAT.get(event.type, event.type.lower())}"
    subject = f"[{number}] {payload.get('title', '')} — {WHAT.get(event.type, event.type)}"
    if not data.get("permitId"):  # about a person, not a permit: its own subject and page
        number, title, link = "Permitto", payload["subject"], f"{app_url}{payload.get('path', '/')}"
        subject = f"[Permitto] {title}"
    reason = payload.get("reason")
    if payload.get("withNumber"):  # the other permit an event speaks of (SIMOPS): named in every channel
        reason = f"{payload['withNumber']} {payload.get('withTitle', '')}: {reason}"
    about = payload.get("title", payload.get("subject", ""))
    body = f"{about} — {WHAT.get(event.type, '')}" + (f". Reason: {reason}" if reason else "") + (
        f". By {actor}." if data.get("actorId") else ".")
    created = []
    for person in people:
        result = db.session.execute(insert(Notification).values(
            id=uuid.uuid4(), user_id=uuid.UUID(person["id"]), event_id=event.id, type=event.type, title=title,
            body=body, permit_id=event.permit_id, link=link, created_at=utcnow(),
        ).on_conflict_do_nothing(constraint="uq_notifications_user_event").returning(Notification.id))
        notification_id = result.scalar()
        if notification_id is not None:
            created.append((person, notification_id))
    db.session.commit()
    # Live updates first: the in-app entries are committed; emails and pushes may take longer.
    redis = get_redis()
    messages = {person["id"]: {"id": str(notification_id), "type": event.type, "title": title, "body": body,
                               "link": link, "permitId": str(event.permit_id) if event.permit_id else None}
                for person, notification_id in created}
    for user_id, message in messages.items():
        redis.publish(channel(user_id), json.dumps(message))
    if event.permit_id:  # the board hears of every change, whoever was told
        redis.publish(BOARD_CHANNEL, json.dumps({"permitId": str(event.permit_id), "type": event.type,
                                                 "status": payload.get("status"), "projectId": data.get("projectId")}))
    preferences = {str(p.user_id): p for p in db.session.scalars(select(Preference).where(
        Preference.user_id.in_([uuid.UUID(person["id"]) for person in people])))}
    emails: list[str] = []
    for person in people:
        preference = preferences.get(person["id"])
        if event.type not in recipients.IN_APP_ONLY and _wants(preference, event.type, "email"):
            context = {"name": person["name"], "number": number, "title": payload.get("title", ""),
                       "what": WHAT.get(event.type, event.type), "actor": actor, "reason": reason, "link": link,
                       "permit_type": payload.get("type"),
                       "personal": not data.get("permitId")}
            emails += queue_email(dedupe_key=f"{event.id}:{person['id']}", user_id=person["id"], to=person["email"],
                                  subject=subject,
                                  text=render_template("email/event.txt", **context),
                                  html=render_template("email/event.html", **context))
    event.processed_at = utcnow()
    db.session.commit()
    send_after_commit(emails)
    for user_id, message in messages.items():
        if event.type in PUSHED_EVENTS and _wants(preferences.get(user_id), event.type, "push"):
            enqueue(current_app, QUEUE_NOTIFICATIONS, "permitto_notifications.jobs.send_push",
                    kwargs={"user_id": user_id, "message": message}, job_id=f"push-{message['id']}")
    return {"notified": len(created)}


def queue_email(*, dedupe_key: str, user_id: str | None, to: str, subject: str, text: str,
                html: str) -> list[str]:
    """Record the email once per dedupe key, in the caller's transaction; returns the new delivery's id,
    to hand to send_after_commit (a job must never run before the row it reads is committed)."""
    result = db.session.execute(insert(EmailDelivery).values(
        id=uuid.uuid4(), dedupe_key=dedupe_key, user_id=uuid.UUID(user_id) if user_id else None, to=to,
        subject=one_line(subject), text_body=text, html_body=html, status="PENDING", attempts=0, created_at=utcnow(),
    ).on_conflict_do_nothing(constraint="uq_email_deliveries_dedupe_key").returning(EmailDelivery.id))
    delivery_id = result.scalar()
    return [str(delivery_id)] if delivery_id is not None else []


def send_after_commit(delivery_ids: list[str]) -> None:
    for delivery_id in delivery_ids:
        enqueue(current_app, QUEUE_NOTIFICATIONS, "permitto_notifications.jobs.deliver_email",
                kwargs={"delivery_id": delivery_id}, job_id=f"email-{delivery_id}", retry=EMAIL_RETRY)
