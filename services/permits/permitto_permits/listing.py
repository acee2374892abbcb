"""Reading permits: keyset pages of what an actor may see, what waits for them, and the timeline."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import any_, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, load_only

from permitto_common.database import DriverRead, bind
from permitto_common.errors import ValidationFailed, field_error

from .access import Actor, viewer_params, visibility_filter, visibility_terms, visible_permit
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


@dataclass(frozen=True)
class _PageShape:
    """What a list page's statement depends on (its values aside): one compiled statement each."""

    role: str
    statuses: bool
    type: bool
    project: bool
    from_: bool
    to: bool
    words: bool
    sort: str
    after: bool


def _sort_keys(sort: str) -> list[InstrumentedAttribute[Any]]:
    column, _ = SORTS[sort]
    return [getattr(Permit, column)] + ([Permit.listed_at] if column != "listed_at" else []) + [Permit.id]


@lru_cache(maxsize=512)
def _page_reads(shape: _PageShape) -> tuple[DriverRead, DriverRead]:
    """The page's statement and its capped count, for every actor and every value of the filters that
    make this shape; the values are bind parameters (visibility_terms' viewer among them). Each row of
    the page carries the count too (`matching`: PostgreSQL runs it once for the statement), so a page
    and its total are one round trip; the count alone answers when a later page comes back empty."""
    stmt = select(*SUMMARY_COLUMNS).where(*visibility_terms(shape.role))
    if shape.statuses:
        stmt = stmt.where(Permit.status == any_(bind("statuses")))
    if shape.type:
        stmt = stmt.where(Permit.type == bind("type"))
    if shape.project:
        stmt = stmt.where(Permit.project_id == bind("project_id"))
    if shape.from_:
        stmt = stmt.where(Permit.valid_to >= bind("from"))
    if shape.to:
        stmt = stmt.where(Permit.valid_from < bind("to"))
    if shape.words:
        # What a person types in the search box: the start of a permit number, or words of its title.
        stmt = stmt.where(or_(Permit.number.like(bind("number_prefix")), Permit.title.ilike(bind("title_words"))))
    # Counting a million rows costs more than the page: the total stops at COUNT_CAP.
    count = select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())
    keys = _sort_keys(shape.sort)
    if shape.after:
        row, after = func.row(*keys), func.row(*(bind(f"after_{n}") for n in range(len(keys))))
        stmt = stmt.where(row < after if SORTS[shape.sort][1] else row > after)
    order = [k.desc() if SORTS[shape.sort][1] else k.asc() for k in keys]
    dialect = db.engine.dialect
    page = stmt.add_columns(count.scalar_subquery().label("matching")).order_by(*order).limit(bind("page_rows"))
    return DriverRead(page, dialect), DriverRead(count, dialect)


def list_permits(actor: Actor, query: PermitQuery) -> tuple[list[Any], str | None, int, bool]:
    """A page of the permits the actor may see, as named tuples of SUMMARY_COLUMNS. The hottest read of
    the API (a phone refreshing its list): a statement compiled once per shape of the query, run on the
    driver (DriverRead), with no ORM objects."""
    statuses = query.status if isinstance(query.status, list) else ([query.status] if query.status else [])
    params: dict[str, Any] = {**viewer_params(actor), "page_rows": query.limit + 1, "statuses": statuses,
                              "type": query.type, "project_id": query.project_id}
    if query.from_:
        params["from"] = datetime.combine(query.from_, time.min, tzinfo=UTC)
    if query.to:
        params["to"] = datetime.combine(query.to + timedelta(days=1), time.min, tzinfo=UTC)
    if query.q:
        text = query.q.strip().replace("\\", "").replace("%", "").replace("_", "\\_")
        params.update(number_prefix=text.upper() + "%", title_words="%" + text + "%")
    keys = _sort_keys(query.sort)
    if query.cursor:
        values = _decode_cursor(query.cursor)
        if len(values) != len(keys):
            raise ValidationFailed([field_error("cursor", "belongs to another sort order")])
        for n, (k, v) in enumerate(zip(keys, values, strict=True)):
            params[f"after_{n}"] = datetime.fromisoformat(v) if k.key == "listed_at" else (
                uuid.UUID(v) if k.key == "id" else v)
    page, count = _page_reads(_PageShape(
        actor.role, bool(statuses), bool(query.type), bool(query.project_id), bool(query.from_), bool(query.to),
        bool(query.q), query.sort, bool(query.cursor)))
    rows = page.rows(db.session, params)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, k.key) for k in keys])
    if not query.cursor and next_cursor is None:
        return rows, None, len(rows), False  # the first page holds them all: that is the count
    total = rows[0].matching if rows else count.rows(db.session, params)[0][0]
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
