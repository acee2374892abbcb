"""The lifecycle table applied: one function takes a step of it for a person (the API verbs) or for
the system (the daily cycle), with its checks, signature, effects, audit entry and event, atomically."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import current_app

from permitto_common.errors import Conflict, Forbidden, ValidationFailed, field_error
from permitto_common.jobs import QUEUE_PERMITS, enqueue

from . import audit, clock, daily, effects, relay
from . import state_machine as table
from .access import Actor, refusal, visible_permit
from .extensions import db
from .models import Permit, Signature
from .signatures import signature_by_id, store_signature
from .states import SYSTEM

log = logging.getLogger(__name__)
DAILY_VERB = "daily-approve"


def apply(step: table.Transition, act: effects.Act, *, details: dict[str, Any] | None = None,
          guarded: bool = False) -> None:
    """One step of the table on a permit whose row the caller holds locked: guards (unless the caller ran
    them already), effect, state, audit, event, then."""
    permit = act.permit
    assert permit.status in step.sources, (step.action, permit.status)
    if not guarded:
        for guard in step.guards:
            guard(act)
    if step.effect is not None:
        step.effect(act)
    previous = permit.status
    permit.status = step.target
    permit.version += 1
    if act.actor is None:  # the system records when the step was due and why; a person, their words
        actor_id, role, comment = None, SYSTEM, None
        entry, payload = {"at": act.now.isoformat(), **act.details}, act.details
    else:
        actor_id, role, comment = act.actor.id, act.actor.role, act.reason or act.comment
        entry, payload = details or {}, {"reason": act.reason}
    audit.record(permit, step.action, actor_id=actor_id, actor_role=role, from_status=previous,
                 to_status=step.target, comment=comment, details=entry)
    if step.event:
        audit.emit(permit, step.event, actor_id=actor_id, fromStatus=previous, **payload)
    if step.then is not None:
        step.then(act)


def system_step(permit: Permit, action: str, now: Any, **details: Any) -> None:
    """A SYSTEM step of the table (the daily cycle's), recorded with when it was due and why."""
    apply(table.BY_ACTION[action], effects.Act(permit, now, details=details))


def allowed_actions(actor: Actor, permit: Permit) -> list[str]:
    """The verbs this actor may use on this permit now: the same checks the verbs themselves make
    (role, state, ownership, membership, separation of duties), the daily confirmation included."""
    verbs = {verb for verb in table.VERBS for step in table.candidates(verb, permit.status)
             if refusal(actor, permit, step) is None}
    if permit.status in daily.CONFIRMABLE and daily.confirm_refusal(permit, actor, clock.now()) is None:
        verbs.add(DAILY_VERB)
    return sorted(verbs)


def transition(actor: Actor, permit_id: uuid.UUID, verb: str, *, reason: str | None = None,
               signature_b64: str | None = None, signature_id: uuid.UUID | None = None,
               comment: str | None = None, acknowledgement: str | None = None, fire_watch: Any = None) -> Permit:
    """Apply one verb of the API through the lifecycle table, atomically."""
    permit = visible_permit(actor, permit_id, lock=True)  # the row lock serialises racing approvers
    allowed_roles = {role for action in table.VERBS[verb] for role in table.BY_ACTION[action].roles}
    if actor.role not in allowed_roles:
        raise Forbidden(f"A {actor.role} cannot {verb} a permit.")
    options = [t for t in table.candidates(verb, permit.status) if actor.role in t.roles]
    if not options:
        allowed = table.verbs_from(permit.status, actor.role)
        raise Conflict(
            f"The permit is {permit.status}; '{verb}' is not possible now."
            + (f" You may: {', '.join(allowed)}." if allowed else ""),
            code="INVALID_STATE",
            details=[field_error("status", permit.status)] + [field_error("allowedActions", a) for a in allowed],
        )
    step = options[0]
    refused = refusal(actor, permit, step)
    if refused:
        raise Forbidden(refused)
    if step.reason and not reason:
        raise ValidationFailed([field_error("reason", "a reason is required")])
    now = clock.now()
    act = effects.Act(permit, now, actor, reason=reason, comment=comment, acknowledgement=acknowledgement,
                      fire_watch=fire_watch)
    for guard in step.guards:  # before the signature is stored: a refused step leaves nothing behind
        guard(act)
    signature_meta: dict[str, Any] = {}
    if step.signature:
        signature_meta = _sign(permit, step, actor, now, signature_b64, signature_id)
    apply(step, act, details=signature_meta, guarded=True)
    db.session.commit()
    # After the commit, nothing may fail the action: the event is in the outbox, the PDF is made on demand.
    if step.event:
        relay.kick()
    if step.makes_pdf:
        try:
            enqueue(current_app, QUEUE_PERMITS, "permitto_permits.jobs.generate_pdf",
                    kwargs={"permit_id": str(permit.id)}, job_id=f"pdf-{permit.id}-{permit.version}")
        except Exception as exc:
            log.warning("could not queue the permit PDF; it is made on first download", extra={"error": str(exc)})
    return visible_permit(actor, permit.id)


def _sign(permit: Permit, step: table.Transition, actor: Actor, now: Any, image_b64: str | None,
          signature_id: uuid.UUID | None) -> dict[str, Any]:
    if signature_id is not None:
        stored = signature_by_id(signature_id, permit_id=permit.id, user_id=actor.id)
    elif image_b64:
        stored = store_signature(permit.id, actor.role, image_b64, actor.id)
    else:
        raise ValidationFailed([field_error("signature", "a signature is required")])
    db.session.add(Signature(permit_id=permit.id, action=step.action, user_id=actor.id, role=actor.role,
                             storage_key=stored["key"], sha256=stored["sha256"], signed_at=now))
    return {"signature": stored["key"], "signatureSha256": stored["sha256"]}
