"""Jobs of the permits service that other services enqueue by name (the kwargs are the contract)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from . import audit
from .extensions import db
from .models import AuditEntry, Permit


def record_audit(*, permit_id: str, action: str, actor_id: str | None, actor_role: str | None,
                 details: dict[str, Any], event_id: str) -> int | None:
    """An audit entry for an action another service performed on a permit (a file upload, say).
    Idempotent by event_id: a retried job never writes the entry twice."""
    permit = db.session.get(Permit, uuid.UUID(permit_id), with_for_update=True)  # the chain needs the row lock
    if permit is None:
        return None
    existing = db.session.scalar(select(AuditEntry.seq).where(
        AuditEntry.permit_id == permit.id, AuditEntry.details["eventId"].astext == event_id))
    if existing is not None:
        return existing
    entry = audit.record(permit, action, actor_id=uuid.UUID(actor_id) if actor_id else None, actor_role=actor_role,
                         details={**details, "eventId": event_id})
    db.session.commit()
    return entry.seq


def generate_pdf(*, permit_id: str) -> str | None:
    """After final approval and at close-out; skipped when the stored PDF already shows this version."""
    from . import documents

    permit = db.session.get(Permit, uuid.UUID(permit_id), with_for_update=True)
    if permit is None or permit.number is None:
        return None
    if permit.pdf_key is not None and permit.pdf_version == permit.version:
        return permit.pdf_key
    key = documents.generate(permit)
    db.session.commit()
    return key


def run_sweeps() -> dict[str, int]:
    """The daily-cycle sweep and the competency notices, every minute from the scheduler; safe to run twice
    or late (each notice goes once)."""
    from . import clock, competencies, daily

    now = clock.now()
    counts = daily.sweep(now)
    told = competencies.notify_expiring(now)
    if told:
        counts["competency_expiring"] = told
    return counts


def relay_outbox() -> dict[str, int]:
    """Hand undelivered domain events to the notifications service (scheduled, and after each change)."""
    from . import relay

    return relay.relay_once()
