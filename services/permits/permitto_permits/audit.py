"""The permit audit trail: append-only entries, each hash-chained to the previous one of its permit,
written in the same transaction as the change they record; and the check of a chain."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import select

from permitto_common.database import utcnow
from permitto_common.observability import current_request_id

from .events import EVENTS
from .extensions import db
from .models import AuditEntry, OutboxEvent, Permit
from .schemas import ChainCheck

GENESIS = "0" * 64


def entry_digest(entry: AuditEntry) -> str:
    content = {
        "permit": str(entry.permit_id),
        "seq": entry.seq,
        "at": entry.created_at.isoformat(),
        "actor": str(entry.actor_id) if entry.actor_id else None,
        "role": entry.actor_role,
        "action": entry.action,
        "from": entry.from_status,
        "to": entry.to_status,
        "comment": entry.comment,
        "details": entry.details,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((entry.prev_hash + canonical).encode()).hexdigest()


def record(
    permit: Permit,
    action: str,
    *,
    actor_id: uuid.UUID | None,
    actor_role: str | None,
    from_status: str | None = None,
    to_status: str | None = None,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry. The caller holds the permit row lock, so entries of one permit never race."""
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.permit_id == permit.id)
        .order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        permit_id=permit.id,
        seq=(last.seq + 1) if last else 1,
        created_at=utcnow(),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        details=details or {},
        request_id=current_request_id(),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_digest(entry)
    db.session.add(entry)
    return entry


def emit(permit: Permit, event_type: str, *, actor_id: uuid.UUID | None, **payload: Any) -> OutboxEvent:
    """A domain event in the outbox, committed with the change that caused it."""
    if event_type not in EVENTS:
        raise ValueError(f"{event_type} is not a declared event (events.py): notifications would not know it")
    event = OutboxEvent(
        event_type=event_type,
        permit_id=permit.id,
        permit_number=permit.number,
        project_id=permit.project_id,
        actor_id=actor_id,
        payload={"status": permit.status, "type": permit.type, "title": permit.title,
                 "requesterId": str(permit.requester_id), **payload},
    )
    db.session.add(event)
    return event


def emit_personal(event_type: str, *, user_id: uuid.UUID, subject: str, path: str, **payload: Any) -> OutboxEvent:
    """A domain event about a person, not a permit (a competency running out): told to that person only,
    under `subject`, with a link to the app's `path`."""
    if event_type not in EVENTS:
        raise ValueError(f"{event_type} is not a declared event (events.py): notifications would not know it")
    event = OutboxEvent(event_type=event_type, permit_id=None, permit_number=None, project_id=None, actor_id=None,
                        payload={"userIds": [str(user_id)], "subject": subject, "path": path, **payload})
    db.session.add(event)
    return event


def verify_chain(permit_id: uuid.UUID) -> ChainCheck:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.permit_id == permit_id).order_by(AuditEntry.seq)
    ).all()
    previous = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq or entry.prev_hash != previous or entry_digest(entry) != entry.hash:
            return {"valid": False, "entries": len(entries), "brokenAt": entry.seq}
        previous = entry.hash
    return {"valid": True, "entries": len(entries), "brokenAt": None, "head": previous}

