"""Jobs of the notifications service, enqueued by name by other services (the kwargs are the contract)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta

from flask import current_app, render_template
from rq import get_current_job
from sqlalchemy import and_, or_, select

from permitto_common.database import utcnow

from . import inbox
from .channels.email import DeliveryError, Email, email_backend
from .extensions import db
from .inbox import EMAIL_RETRY, MAX_ATTEMPTS
from .models import EmailDelivery, Event

log = logging.getLogger(__name__)

ACCOUNT_EMAILS = {
    "invitation": "You are invited to Permitto",
    "password_reset": "Reset your Permitto password",
}


def send_account_email(*, kind: str, to: str, name: str, link: str, expires_at: str) -> str | None:
    """Invitation and password-reset emails for the auth service, through the same delivery path."""
    if kind not in ACCOUNT_EMAILS:
        raise ValueError(f"unknown account email kind {kind!r}")
    expires = datetime.fromisoformat(expires_at).strftime("%Y-%m-%d %H:%M UTC")
    context = {"name": name, "link": link, "expires": expires}
    ids = inbox.queue_email(
        dedupe_key=f"account:{kind}:{hashlib.sha256(link.encode()).hexdigest()}", user_id=None, to=to,
        subject=ACCOUNT_EMAILS[kind], text=render_template(f"email/{kind}.txt", **context),
        html=render_template(f"email/{kind}.html", **context))
    db.session.commit()
    return deliver_email(delivery_id=ids[0]) if ids else None


def process_event(*, event_id: str) -> dict[str, int]:
    return inbox.process(uuid.UUID(event_id))


def send_push(*, user_id: str, message: dict[str, object]) -> dict[str, int]:
    from .channels import push

    return push.send(uuid.UUID(user_id), message)


def deliver_email(*, delivery_id: str) -> str | None:
    """Send one email. Any failure, expected or not, counts as an attempt: RQ retries with backoff, and
    after the last retry (or MAX_ATTEMPTS in all, retries lost with Redis included) it is parked."""
    delivery = db.session.get(EmailDelivery, uuid.UUID(delivery_id), with_for_update=True)
    if delivery is None or delivery.status != "PENDING":
        return None
    delivery.attempts += 1
    try:
        provider_id = email_backend().send(Email(delivery.to, delivery.subject, delivery.text_body,
                                                 delivery.html_body))
    except Exception as exc:
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        job = get_current_job()
        retries_left = job.retries_left if job is not None and job.retries_left is not None else 0
        if retries_left <= 0 or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = "FAILED", None  # parked: an administrator may retry it
            db.session.commit()
            log.error("email parked as failed", extra={"delivery_id": delivery_id, "error": delivery.last_error})
            return None
        delay = EMAIL_RETRY.intervals[min(delivery.attempts - 1, len(EMAIL_RETRY.intervals) - 1)]
        delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
        db.session.commit()
        if not isinstance(exc, DeliveryError):
            log.exception("email delivery failed unexpectedly; it is retried", extra={"delivery_id": delivery_id})
        raise
    delivery.status, delivery.sent_at, delivery.provider_id = "SENT", utcnow(), provider_id
    delivery.next_attempt_at = None
    db.session.commit()
    return provider_id


STRAGGLER_AGE = timedelta(seconds=30)  # older than this and still not handled: its job was lost
RETRY_GRACE = timedelta(seconds=60)  # a retry this overdue was lost with Redis


def process_stragglers() -> dict[str, int]:
    """Safety net, from the scheduler every few seconds: events accepted but never processed, emails
    never handed to a job, and retries that Redis lost (it went down, or came back empty)."""
    now = utcnow()
    cutoff = now - STRAGGLER_AGE
    events = db.session.scalars(select(Event.id).where(Event.processed_at.is_(None), Event.received_at < cutoff)
                                .limit(500)).all()
    for event_id in events:
        inbox.process(event_id)
    pending = db.session.scalars(select(EmailDelivery.id).where(
        EmailDelivery.status == "PENDING",
        or_(and_(EmailDelivery.attempts == 0, EmailDelivery.created_at < cutoff),
            EmailDelivery.next_attempt_at < now - RETRY_GRACE))
        .limit(500)).all()
    db.session.rollback()
    inbox.send_after_commit([str(i) for i in pending])
    return {"events": len(events), "emails": len(pending)}


def send_daily_digests() -> dict[str, int]:
    """One email per user who chose the digest, listing their daily reminders not yet sent in one (from the
    scheduler, every minute). A user's digest waits until their newest reminder is DIGEST_QUIET_SECONDS old,
    so the reminders of one sweep arrive as one email; each reminder is marked as sent in the transaction
    that records the email, so a reminder is in exactly one digest, and a later one goes in the next."""
    from sqlalchemy import func

    from .models import Notification, Preference
    from .recipients import user_by_id

    now = utcnow()
    quiet = timedelta(seconds=current_app.config.get("DIGEST_QUIET_SECONDS", 120))
    waiting = (Notification.type == "DAILY_REMINDER", Notification.digested_at.is_(None),
               Notification.created_at >= now - timedelta(days=1))  # older ones are past their day
    ready = db.session.execute(
        select(Notification.user_id)
        .join(Preference, Preference.user_id == Notification.user_id)
        .where(Preference.daily_digest.is_(True), *waiting)
        .group_by(Notification.user_id)
        .having(func.max(Notification.created_at) <= now - quiet)).scalars().all()
    db.session.rollback()
    sent = 0
    for user_id in ready:
        user = user_by_id(str(user_id))
        if user is None or not user["isActive"]:
            continue
        # locked, so two runs at once cannot put one reminder in two emails
        items = db.session.scalars(select(Notification).where(Notification.user_id == user_id, *waiting)
                                   .order_by(Notification.created_at)
                                   .with_for_update(skip_locked=True)).all()
        if not items:
            db.session.rollback()
            continue
        context = {"name": user["name"], "items": [{"title": n.title, "link": n.link} for n in items]}
        batch = hashlib.sha256(",".join(sorted(str(n.id) for n in items)).encode()).hexdigest()[:24]
        new = inbox.queue_email(dedupe_key=f"digest:{user_id}:{batch}", user_id=str(user_id), to=user["email"],
                                subject=f"{len(items)} permit(s) wait for your daily confirmation",
                                text=render_template("email/digest.txt", **context),
                                html=render_template("email/digest.html", **context))
        for item in items:
            item.digested_at = now
        db.session.commit()
        inbox.send_after_commit(new)
        sent += len(new)
    return {"digests": sent}
