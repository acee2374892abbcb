"""The outbox relay: domain events committed with permit changes are handed to the notifications
service over internal HTTP until it accepts them. It may send an event twice (a crash between
acceptance and marking); notifications accepts each event id once, so nothing is ever doubled."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from permitto_common.database import utcnow
from permitto_common.errors import APIError
from permitto_common.jobs import QUEUE_PERMITS, enqueue

from .extensions import db, notifications
from .models import OutboxEvent

log = logging.getLogger(__name__)
BATCH = 200


def event_out(event: OutboxEvent) -> dict[str, Any]:
    return {"id": str(event.id), "type": event.event_type,
            "permitId": str(event.permit_id) if event.permit_id else None,
            "permitNumber": event.permit_number, "projectId": str(event.project_id) if event.project_id else None,
            "actorId": str(event.actor_id) if event.actor_id else None, "occurredAt": event.occurred_at.isoformat(),
            "payload": event.payload}


def relay_once() -> dict[str, int]:
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))
                                .order_by(OutboxEvent.created_at).limit(BATCH).with_for_update(skip_locked=True)).all()
    if not events:
        db.session.rollback()
        return {"sent": 0}
    try:
        notifications.post("/internal/events", json_body={"events": [event_out(e) for e in events]})
    except APIError as exc:  # this job is its own caller: it counts the attempt, the next run retries
        for event in events:
            event.attempts += 1
        db.session.commit()
        log.warning("outbox relay failed; the next run retries", extra={"pending": len(events), "error": str(exc)})
        return {"sent": 0, "failed": len(events)}
    now = utcnow()
    for event in events:
        event.delivered_at = now
    db.session.commit()
    return {"sent": len(events)}


def kick() -> None:
    """Relay soon after a change. If Redis is down this is skipped: the scheduled relay catches up,
    and the change itself is already committed with its event."""
    try:
        enqueue(current_app, QUEUE_PERMITS, "permitto_permits.jobs.relay_outbox", retry=None)
    except Exception as exc:  # never fail a committed permit action over a notification nudge
        log.warning("could not queue the outbox relay", extra={"error": str(exc)})
