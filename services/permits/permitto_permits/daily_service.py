"""Daily confirmations as the API offers them: one permit, or many at once with a result for each."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from permitto_common.errors import APIError

from . import clock, daily, relay
from .access import Actor, visibility_filter, visible_permit
from .directory import directory
from .extensions import db
from .models import DailyApproval, Permit
from .schemas import DailyResult, DayOut
from .states import RECEIVER


def confirm_one(actor: Actor, permit_id: uuid.UUID) -> tuple[Permit, DailyApproval]:
    permit = visible_permit(actor, permit_id, lock=True)
    record = daily.confirm(permit, actor, clock.now())
    db.session.commit()
    relay.kick()
    return visible_permit(actor, permit_id), record


def confirm_many(actor: Actor, permit_ids: list[uuid.UUID]) -> list[DailyResult]:
    """Each permit in its own transaction: one refusal never undoes the others."""
    results: list[DailyResult] = []
    for permit_id in dict.fromkeys(permit_ids):
        try:
            permit, record = confirm_one(actor, permit_id)
            results.append({"permitId": str(permit_id), "ok": True, "status": permit.status,
                            "workDate": record.work_date.isoformat()})
        except APIError as exc:
            db.session.rollback()
            results.append({"permitId": str(permit_id), "ok": False,
                            "error": {"code": exc.code, "message": exc.message, "status": exc.status}})
    return results


def days(actor: Actor, permit_id: uuid.UUID) -> list[DayOut]:
    permit = visible_permit(actor, permit_id)
    records = db.session.scalars(select(DailyApproval).where(DailyApproval.permit_id == permit.id)
                                 .order_by(DailyApproval.work_date)).all()
    ids = {str(getattr(r, f"{role}_by")) for r in records for role in ("receiver", "issuer", "coordinator")
           if getattr(r, f"{role}_by")}
    names = directory().users(ids)
    return [daily.day_out(record, names) for record in records]


def awaiting_me(actor: Actor) -> list[Permit]:
    """Permits whose current day waits for the caller's confirmation (for 'my pending actions'): the
    rule is daily.confirm_refusal's, asked of each. The statement leaves out only what it refuses
    first (a role that does not confirm; a receiver's permit not theirs, an approver's own), and the
    current days are read in one statement, where asking each permit for its own was one a permit:
    up to 200 on a coordinator's home screen on a busy site."""
    if actor.role not in daily.ORDER:
        return []
    mine = Permit.requester_id == actor.id
    stmt = (visibility_filter(actor, select(Permit))
            .where(Permit.status.in_(daily.CONFIRMABLE), mine if actor.role == RECEIVER else ~mine))
    now = clock.now()
    permits = db.session.scalars(stmt.order_by(Permit.valid_to).limit(200)).all()
    days = daily.current_days(permits)
    return [permit for permit in permits if daily.confirm_refusal(permit, actor, now, lambda p: days.get(p.id)) is None]
