"""The daily re-approval cycle (docs/domain.md, "Daily cycle"), in each project's time zone.

Confirmations come in order receiver → issuer → coordinator, one record per permit and local work day.
The sweep computes what is due from the data and the clock only, so it is idempotent and catches up:
run at 08:07 after a scheduler outage, it still suspends what should have been suspended at 08:00,
once. Every step takes `now`, so tests walk days (and DST changes) without sleeping."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from permitto_common.errors import APIError, Conflict, Forbidden, field_error

from . import audit, transitions  # a module import: transitions applies the table, whose effects call here
from .access import Actor
from .events import DAILY_REMINDER, PERMIT_EXPIRY_WARNING
from .extensions import db
from .models import DailyApproval, Permit
from .schemas import Confirmation, DayOut
from .states import (
    ACTIVE,
    APPROVED,
    COORDINATOR,
    ISSUER,
    PENDING_DAILY,
    RECEIVER,
    SUSPENDED,
    SYSTEM,
)

log = logging.getLogger(__name__)
REMINDER_LEAD = timedelta(hours=1)  # 07:00 for an 08:00 start
EXPIRY_WARNING_LEAD = timedelta(hours=24)
FIRST_DUE_MARGIN = timedelta(hours=1)  # the sweep reads permits this much before anything can be due
CYCLE_STATES = (APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED)
ORDER = (RECEIVER, ISSUER, COORDINATOR)
CONFIRMABLE = (PENDING_DAILY, SUSPENDED)  # a suspended permit's day is confirmed to resume it


def local_instant(day: date, at: time, tz: str) -> datetime:
    """A wall-clock time on a local date as an instant; zoneinfo resolves DST gaps and folds."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def current_day(permit: Permit) -> DailyApproval | None:
    return db.session.scalar(select(DailyApproval).where(DailyApproval.permit_id == permit.id)
                             .order_by(DailyApproval.work_date.desc()).limit(1))


def current_days(permits: Sequence[Permit]) -> dict[uuid.UUID, DailyApproval]:
    """current_day of each permit, in one statement (DISTINCT ON), for a list that asks it of each."""
    if not permits:
        return {}
    records = db.session.scalars(
        select(DailyApproval).where(DailyApproval.permit_id.in_([p.id for p in permits]))
        .distinct(DailyApproval.permit_id).order_by(DailyApproval.permit_id, DailyApproval.work_date.desc()))
    return {record.permit_id: record for record in records}


def open_day(permit: Permit, day: date, now: datetime) -> DailyApproval | None:
    """The record of a work day, made once; None when that day is past the permit's validity.

    A day's confirmations are due at its work start. The permit's first day is due no earlier than
    work can first start under it (the work start, or the approval or validity start if later) plus
    the project's grace, so that a permit approved at 09:30 is not suspended at 09:30."""
    work_start = local_instant(day, permit.work_start, permit.timezone)
    if work_start >= permit.valid_to:
        return None
    record = db.session.scalar(select(DailyApproval).where(DailyApproval.permit_id == permit.id,
                                                           DailyApproval.work_date == day))
    if record is None:
        deadline = work_start
        first = db.session.scalar(select(DailyApproval.id).where(DailyApproval.permit_id == permit.id).limit(1))
        if first is None:
            can_start = max(work_start, permit.valid_from, permit.approved_at or now)
            deadline = can_start + timedelta(minutes=permit.first_day_grace_minutes)
        record = DailyApproval(permit_id=permit.id, work_date=day, deadline_at=deadline)
        db.session.add(record)
        db.session.flush()
    return record


def _apply_once(permit: Permit, now: datetime) -> str | None:
    """Take the first step that is due; None when nothing is."""
    tz = permit.timezone
    if permit.status not in CYCLE_STATES:
        return None
    if now >= permit.valid_to:
        transitions.system_step(permit, "expire", now)
        return "expire"
    if permit.expiry_warned_at is None and now >= permit.valid_to - EXPIRY_WARNING_LEAD:
        permit.expiry_warned_at = now
        permit.version += 1
        audit.emit(permit, PERMIT_EXPIRY_WARNING, actor_id=None, validTo=permit.valid_to.isoformat())
        audit.record(permit, "expiry_warning", actor_id=None, actor_role=SYSTEM, details={"at": now.isoformat()})
        return "expiry_warning"
    if permit.status == APPROVED:
        if now < permit.valid_from:
            return None
        day = max(local_date(now, tz), local_date(permit.valid_from, tz))
        record = open_day(permit, day, now)
        if record is None:  # the whole remaining validity is past its last work start
            record = open_day(permit, day - timedelta(days=1), now)
        transitions.system_step(permit, "start_day", now, workDate=(record.work_date if record else day).isoformat())
        return "start_day"
    record = current_day(permit)
    if record is None:
        return None
    day_end = local_instant(record.work_date, permit.work_end, tz)
    from . import gas  # here: gas testing takes steps of the table too

    if gas.sweep_step(permit, now, before=day_end):
        return "retest_suspend"
    if permit.status in (ACTIVE, SUSPENDED) and now >= day_end:
        following = open_day(permit, record.work_date + timedelta(days=1), now)
        if following is None:
            return None  # no work day left; expiry closes it
        if permit.status == ACTIVE:
            transitions.system_step(permit, "end_day", now, workDate=following.work_date.isoformat())
        else:
            audit.record(permit, "day_rolled_over", actor_id=None, actor_role=SYSTEM,
                         details={"workDate": following.work_date.isoformat(), "stillSuspended": True})
        return "end_day"
    if permit.status == PENDING_DAILY and not record.complete:
        if now >= record.deadline_at:
            transitions.system_step(permit, "deadline_suspend", now, workDate=record.work_date.isoformat(),
                        missing=[role for role in ORDER if _slot(record, role)[0] is None])
            return "deadline_suspend"
        if record.reminded_at is None and now >= record.deadline_at - REMINDER_LEAD:
            record.reminded_at = now
            audit.emit(permit, DAILY_REMINDER, actor_id=None, workDate=record.work_date.isoformat(),
                       missing=[role for role in ORDER if _slot(record, role)[0] is None])
            return "reminder"
    return None


def apply_due(permit: Permit, now: datetime) -> list[str]:
    """Every step due for one permit, in order (several when catching up after downtime)."""
    done = []
    for _ in range(40):  # bounded: a week of days with every step is well under this
        step = _apply_once(permit, now)
        if step is None:
            break
        done.append(step)
    return done


def sweep(now: datetime, *, limit: int = 500) -> dict[str, int]:
    """One pass over every permit in the cycle that may have a step due; each in its own short transaction.
    Nothing is ever due before the earlier of the reminder of its first day (an hour before its validity
    starts, at the earliest) and its expiry warning (a day before its validity ends), so permits further
    off than that (with an hour's margin) are not even read."""
    counts: dict[str, int] = {}
    quiet = FIRST_DUE_MARGIN
    ids = db.session.scalars(select(Permit.id).where(
        Permit.status.in_(CYCLE_STATES),
        or_(Permit.valid_from <= now + REMINDER_LEAD + quiet, Permit.valid_to <= now + EXPIRY_WARNING_LEAD + quiet))
        .order_by(Permit.valid_from)).all()
    db.session.rollback()
    for permit_id in ids[:limit] if limit else ids:
        permit = db.session.scalar(select(Permit).where(Permit.id == permit_id, Permit.status.in_(CYCLE_STATES))
                                   .with_for_update(skip_locked=True))
        if permit is None:
            db.session.rollback()
            continue
        for step in apply_due(permit, now):
            counts[step] = counts.get(step, 0) + 1
        db.session.commit()
    return counts


def _slot(record: DailyApproval, role: str) -> tuple[datetime | None, uuid.UUID | None]:
    key = role.lower()
    return getattr(record, f"{key}_at"), getattr(record, f"{key}_by")


def confirm_refusal(permit: Permit, who: Actor, now: datetime,
                    day_of: Callable[[Permit], DailyApproval | None] = current_day) -> APIError | None:
    """Why this person cannot confirm the permit's day now, or None when the next tap is theirs. day_of:
    how its current day is found (current_days' answer, for a list of permits)."""
    found = _record_to_confirm(permit, who, now, day_of)
    return found if isinstance(found, APIError) else None


def _record_to_confirm(permit: Permit, who: Actor, now: datetime,
                       day_of: Callable[[Permit], DailyApproval | None] = current_day) -> DailyApproval | APIError:
    """Today's record that this person's tap goes into, or why there is none for them now."""
    if who.role not in ORDER:
        return Forbidden("Only the receiver, an issuer and a coordinator confirm a permit's day.")
    if who.role == RECEIVER and permit.requester_id != who.id:
        return Forbidden("Only the receiver who requested this permit confirms for the crew.")
    if who.role != RECEIVER and permit.requester_id == who.id:
        return Forbidden("Separation of duties: nobody confirms their own permit as approver.")
    if permit.status not in CONFIRMABLE:
        return Conflict(f"The permit is {permit.status}; there is no daily confirmation to give.",
                        code="INVALID_STATE", details=[field_error("status", permit.status)])
    today = local_date(now, permit.timezone)
    record = day_of(permit)
    if record is None or record.work_date != today:
        return Conflict(f"No daily approval is open for today ({today.isoformat()}) on this permit.",
                        code="INVALID_STATE", details=[field_error("workDate", today.isoformat())])
    if _slot(record, who.role)[0] is not None:
        return Conflict(f"The {who.role.lower()} confirmation for {today.isoformat()} is given already.",
                        code="ALREADY_CONFIRMED")
    for earlier in ORDER[:ORDER.index(who.role)]:
        if _slot(record, earlier)[0] is None:
            return Conflict(f"Waiting for the {earlier.lower()}'s confirmation first (order: receiver, issuer, "
                            "coordinator).", code="OUT_OF_ORDER", details=[field_error("waitingFor", earlier)])
    # Last, as it asks auth: issuers confirm on their own projects only.
    if who.role == ISSUER and permit.project_id not in who.project_ids():
        return Forbidden("You are not assigned to this permit's project.")
    from . import competencies  # here: competencies reads the local date from this module

    problem = competencies.user_problem(permit, who.role.lower(), who.id, now)
    if problem:
        return Conflict(f"Not competent: {problem['message']}.", code="NOT_COMPETENT", details=[problem])
    return record


def confirm(permit: Permit, who: Actor, now: datetime) -> DailyApproval:
    """One tap: the caller's confirmation of today's record. The caller holds the permit row lock."""
    record = _record_to_confirm(permit, who, now)
    if isinstance(record, APIError):
        raise record
    today = record.work_date
    key = who.role.lower()
    setattr(record, f"{key}_at", now)
    setattr(record, f"{key}_by", who.id)
    permit.version += 1
    audit.record(permit, "daily_confirm", actor_id=who.id, actor_role=who.role,
                 details={"workDate": today.isoformat(), "confirmation": key})
    if who.role == COORDINATOR:
        record.completed_at = now
        # A missed deadline is lifted by the day's confirmations; a manual suspension needs a reinstatement.
        if permit.status == PENDING_DAILY or permit.suspension_kind == "DEADLINE":
            transitions.system_step(permit, "activate", now, workDate=today.isoformat())
    return record


def resume(permit: Permit, now: datetime) -> None:
    """After a reinstatement: today's record is opened if needed; if it is complete, work resumes."""
    record = open_day(permit, local_date(now, permit.timezone), now)
    if record is not None and record.complete:
        transitions.system_step(permit, "activate", now, workDate=record.work_date.isoformat())


def day_out(record: DailyApproval, names: dict[str, dict[str, Any]]) -> DayOut:
    def confirmation(role: str) -> Confirmation:
        at, by = _slot(record, role)
        return {"at": at.isoformat() if at else None, "userId": str(by) if by else None,
                "name": names.get(str(by), {}).get("name") if by else None}

    return {"workDate": record.work_date.isoformat(), "deadlineAt": record.deadline_at.isoformat(),
            "complete": record.complete, "receiver": confirmation(RECEIVER), "issuer": confirmation(ISSUER),
            "coordinator": confirmation(COORDINATOR)}

