"""The hot-work fire watch (docs/domain.md, "Fire watch"): when hot work stops (close-out asked for, or the
permit expired), a named fire watch keeps the area for the template's minutes (60 by default, never under
30); the permit closes only after the watch has run its time and the fire watch signed the area clear."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from permitto_common.errors import Conflict, NotFound, ValidationFailed, field_error

from . import audit, clock, competencies, relay
from .access import Actor, visible_permit
from .crew import on_site
from .events import FIRE_WATCH_STARTED
from .extensions import db
from .models import FireWatch, Permit
from .schemas import FireWatchClearBody, PersonIn
from .signatures import take
from .states import PENDING_CLOSEOUT
from .template_schema import hot_work


def of_permit(permit: Permit) -> FireWatch | None:
    return db.session.scalar(select(FireWatch).where(FireWatch.permit_id == permit.id))


def begin(permit: Permit, now: datetime, watcher: PersonIn | None, actor_id: uuid.UUID | None) -> None:
    """Hot work has stopped: the hold is set up; it runs from the moment a fire watch is named. Asking for
    close-out names one (required); an expiry leaves it to be named on the permit."""
    rule = hot_work(permit.template_version.read_schema())
    if rule is None or of_permit(permit) is not None:
        return
    watch = FireWatch(permit_id=permit.id, minutes=rule.fireWatchMinutes)
    db.session.add(watch)
    if watcher is not None:
        _name(permit, watch, watcher, now, actor_id)


def watcher_problems(permit: Permit, watcher: PersonIn | None, now: datetime) -> list[dict[str, str]]:
    """What asking for close-out of a hot-work permit lacks about its fire watch."""
    if hot_work(permit.template_version.read_schema()) is None:
        return []
    if watcher is None:
        return [field_error("fireWatch", "hot work: name the fire watch who keeps the area after the work stops")]
    return competencies.person_problems(permit, "fireWatch", user_id=watcher.user_id, reference=watcher.competency_ref,
                                        valid_to=watcher.competency_valid_to, now=now, prefix="fireWatch")


def _name(permit: Permit, watch: FireWatch, watcher: PersonIn, now: datetime, actor_id: uuid.UUID | None) -> None:
    watch.watcher_name, watch.watcher_user_id = f"{watcher.name} ({watcher.company})", watcher.user_id
    watch.competency_ref, watch.competency_valid_to = watcher.competency_ref, watcher.competency_valid_to
    watch.named_by, watch.started_at = actor_id, now
    watch.ends_at = now + timedelta(minutes=watch.minutes)
    audit.emit(permit, FIRE_WATCH_STARTED, actor_id=actor_id, reason=f"{watch.watcher_name} keeps the fire watch "
               f"until {watch.ends_at.isoformat(timespec='minutes')} ({watch.minutes} minutes)")


def name(actor: Actor, permit_id: uuid.UUID, watcher: PersonIn) -> FireWatch:
    """Name the fire watch of a permit whose hot work stopped by expiry: the hold starts now."""
    permit = visible_permit(actor, permit_id, lock=True)
    on_site(actor, permit, "name the fire watch")
    watch = of_permit(permit)
    if watch is None:
        raise NotFound("This permit has no fire watch: it is not hot work, or its work has not stopped.")
    if watch.started_at is not None:
        raise Conflict(f"The fire watch is {watch.watcher_name} already.", code="ALREADY_NAMED")
    now = clock.now()
    problems = watcher_problems(permit, watcher, now)
    if problems:
        raise ValidationFailed(problems)
    _name(permit, watch, watcher, now, actor.id)
    permit.version += 1
    audit.record(permit, "fire_watch_named", actor_id=actor.id, actor_role=actor.role,
                 details={"watcher": watch.watcher_name, "minutes": watch.minutes})
    db.session.commit()
    relay.kick()
    return watch


def clear(actor: Actor, permit_id: uuid.UUID, body: FireWatchClearBody) -> FireWatch:
    """The fire watch signs that the area is clear, on the device of someone on site, once the time is up."""
    permit = visible_permit(actor, permit_id, lock=True)
    on_site(actor, permit, "record the fire watch")
    watch = of_permit(permit)
    if watch is None or permit.status != PENDING_CLOSEOUT:
        raise NotFound("This permit has no fire watch running.")
    if watch.started_at is None or watch.ends_at is None:
        raise Conflict("Name the fire watch first.", code="NOT_NAMED")
    if watch.cleared_at is not None:
        raise Conflict("The fire watch signed the area clear already.", code="ALREADY_CLEARED")
    now = clock.now()
    if now < watch.ends_at:
        left = int((watch.ends_at - now).total_seconds() // 60) + 1
        raise Conflict(f"The fire watch runs until {watch.ends_at.isoformat(timespec='minutes')}; {left} minute(s) "
                       "left.", code="FIRE_WATCH_RUNNING", details=[field_error("endsAt", watch.ends_at.isoformat())])
    signed = take(permit.id, "FIRE_WATCH", body.signature, actor.id)
    watch.cleared_at, watch.cleared_by, watch.clear_note = now, actor.id, body.note
    watch.signature_key, watch.signature_sha256 = signed["key"], signed["sha256"]
    permit.version += 1
    audit.record(permit, "fire_watch_cleared", actor_id=actor.id, actor_role=actor.role, comment=body.note,
                 details={"watcher": watch.watcher_name, "signatureSha256": signed["sha256"]})
    db.session.commit()
    return watch


def close_problems(permit: Permit, now: datetime) -> list[dict[str, str]]:
    if hot_work(permit.template_version.read_schema()) is None:
        return []
    watch = of_permit(permit)
    if watch is None or watch.started_at is None or watch.ends_at is None:
        return [field_error("fireWatch", "no fire watch is named yet")]
    if now < watch.ends_at:
        return [field_error("fireWatch", f"the fire watch runs until {watch.ends_at.isoformat(timespec='minutes')}")]
    if watch.cleared_at is None:
        return [field_error("fireWatch", "the fire watch has not signed the area clear")]
    return []
