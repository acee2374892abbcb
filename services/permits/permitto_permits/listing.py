"""Reading permits: keyset pages of what an actor may see, what waits for them, and the timeline."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, false, func, or_, select
from sqlalchemy.orm import load_only

from permitto_common.errors import ValidationFailed, field_error

from .access import Actor, visibility_filter, visible_permit
from .directory import directory
from .extensions import db
from .models import AuditEntry, Permit
from .schemas import PermitQuery, TimelineEntry
from .states import COORDINATOR, ISSUER, ISSUER_APPROVED, RECEIVER, REJECTED_COORD, REJECTED_ISSUER, SUBMITTED

COUNT_CAP = 10_000

SORTS: dict[str, tuple[str, bool]] = {
    "-submittedAt": ("listed_at", True),
    "submittedAt": ("listed_at", False),
    "status": ("status", False),
    "projectCode": ("project_code", False),
}


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        values = None
    if isinstance(values, list) and 2 <= len(values) <= 3:
        return values
    raise ValidationFailed([field_error("cursor", "is not a cursor this API gave out")]) from None


# What a list row shows (schemas.permit_summary): the form data, often kilobytes of JSON, stays in the database.
SUMMARY_COLUMNS = (
    Permit.id, Permit.number, Permit.title, Permit.type, Permit.status, Permit.project_id, Permit.project_code,
    Permit.requester_id, Permit.valid_from, Permit.valid_to, Permit.work_start, Permit.work_end,
    Permit.extended_hours, Permit.version, Permit.created_at, Permit.submitted_at, Permit.approved_at,
    Permit.listed_at,
)
SUMMARY = load_only(*SUMMARY_COLUMNS, raiseload=True)


def list_permits(actor: Actor, query: PermitQuery) -> tuple[Sequence[Row[Any]], str | None, int, bool]:
    """A page of the permits the actor may see. Plain rows, not ORM objects: the hottest read of the
    API (a phone refreshing its list) skips the identity map and instance bookkeeping."""
    stmt = visibility_filter(actor, select(*SUMMARY_COLUMNS))
    statuses = query.status if isinstance(query.status, list) else ([query.status] if query.status else [])
    if statuses:
        stmt = stmt.where(Permit.status.in_(statuses))
    if query.type:
        stmt = stmt.where(Permit.type == query.type)
    if query.project_id:
        stmt = stmt.where(Permit.project_id == query.project_id)
    if query.from_:
        stmt = stmt.where(Permit.valid_to >= datetime.combine(query.from_, time.min, tzinfo=ZoneInfo("UTC")))
    if query.to:
        stmt = stmt.where(Permit.valid_from < datetime.combine(query.to + timedelta(days=1), time.min,
                                                               tzinfo=ZoneInfo("UTC")))
    if query.q:
        # What a person types in the search box: the start of a permit number, or words of its title.
        text = query.q.strip().replace("\\", "").replace("%", "").replace("_", "\\_")
        stmt = stmt.where(or_(Permit.number.like(text.upper() + "%"), Permit.title.ilike("%" + text + "%")))
    filtered = stmt
    column, descending = SORTS[query.sort]
    keys = [getattr(Permit, column)] + ([Permit.listed_at] if column != "listed_at" else []) + [Permit.id]
    if query.cursor:
        values = _decode_cursor(query.cursor)
        if len(values) != len(keys):
            raise ValidationFailed([field_error("cursor", "belongs to another sort order")])
        parsed = [datetime.fromisoformat(v) if k.key == "listed_at" else (uuid.UUID(v) if k.key == "id" else v)
                  for k, v in zip(keys, values, strict=True)]
        row = func.row(*keys)
        stmt = stmt.where(row < func.row(*parsed) if descending else row > func.row(*parsed))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = db.session.execute(stmt.order_by(*order).limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, k.key) for k in keys])
    if not query.cursor and next_cursor is None:
        return rows, None, len(rows), False  # the first page holds them all: that is the count
    # Counting a million rows costs more than the page: the total stops at COUNT_CAP.
    total = db.session.scalar(select(func.count()).select_from(filtered.limit(COUNT_CAP + 1).subquery())) or 0
    return rows, next_cursor, min(total, COUNT_CAP), total > COUNT_CAP


def pending_actions(actor: Actor) -> dict[str, Any]:
    stmt = visibility_filter(actor, select(Permit))
    if actor.role == ISSUER:
        stmt = stmt.where(Permit.status == SUBMITTED, Permit.requester_id != actor.id)
    elif actor.role == COORDINATOR:
        stmt = stmt.where(Permit.status == ISSUER_APPROVED, Permit.requester_id != actor.id)
    elif actor.role == RECEIVER:
        stmt = stmt.where(Permit.requester_id == actor.id,
                          Permit.status.in_([REJECTED_ISSUER, REJECTED_COORD]))
    else:
        stmt = stmt.where(false())
    rows = db.session.scalars(stmt.options(SUMMARY).order_by(Permit.listed_at, Permit.id).limit(100)).all()
    return {"count": len(rows), "permits": rows}


def timeline(actor: Actor, permit_id: uuid.UUID) -> list[TimelineEntry]:
    permit = visible_permit(actor, permit_id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.permit_id == permit.id).order_by(AuditEntry.seq)).all()
    names = directory().users({str(e.actor_id) for e in entries if e.actor_id})
    return [{
        "seq": e.seq, "at": e.created_at.isoformat(), "action": e.action,
        "actor": {"id": str(e.actor_id), "name": names.get(str(e.actor_id), {}).get("name"), "role": e.actor_role}
        if e.actor_id else None,
        "fromStatus": e.from_status, "toStatus": e.to_status, "comment": e.comment, "details": e.details,
        "hash": e.hash,
    } for e in entries]
