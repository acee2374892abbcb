"""Shift handover (docs/domain.md, "People on the permit"): the holder hands an ACTIVE or PENDING_DAILY
permit to another receiver of its project. The outgoing holder signs with a note and the state of the
isolations and gas tests as handed; the incoming holder signs to accept; an issuer of the project
acknowledges, and from then on the incoming receiver is the holder for every rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error

from . import audit, clock, competencies, gas, isolation, relay
from .access import Actor, visible_permit
from .directory import directory
from .events import HANDOVER_REQUESTED, PERMIT_HANDED_OVER
from .extensions import db
from .models import Handover, Permit
from .schemas import HandoverBody, SignedBody
from .signatures import take
from .states import ACTIVE, ISSUER, PENDING_DAILY, RECEIVER

HANDABLE = (ACTIVE, PENDING_DAILY)
OPEN = ("REQUESTED", "ACCEPTED")


def _handable(permit: Permit) -> None:
    if permit.status not in HANDABLE:
        raise Conflict(f"The permit is {permit.status}; a permit is handed over while ACTIVE or PENDING_DAILY.",
                       code="INVALID_STATE", details=[field_error("status", permit.status)])


def request(actor: Actor, permit_id: uuid.UUID, body: HandoverBody) -> Handover:
    permit = visible_permit(actor, permit_id, lock=True)
    if actor.role != RECEIVER or permit.requester_id != actor.id:
        raise Forbidden("Only the permit's holder hands it over.")
    _handable(permit)
    incoming = directory().users({str(body.to_user_id)}).get(str(body.to_user_id))
    if body.to_user_id == actor.id:
        raise ValidationFailed([field_error("toUserId", "is you; hand the permit to another receiver")])
    if (incoming is None or incoming["role"] != RECEIVER or not incoming["isActive"]
            or str(permit.project_id) not in directory().project_ids_of(body.to_user_id)):
        raise ValidationFailed([field_error("toUserId", "is not an active receiver of this permit's project")])
    now = clock.now()
    problem = competencies.user_problem(permit, "receiver", body.to_user_id, now, field="toUserId")
    if problem:
        raise ValidationFailed([problem])
    if db.session.scalar(select(Handover.id).where(Handover.permit_id == permit.id, Handover.status.in_(OPEN))):
        raise Conflict("A handover of this permit is open already; finish or cancel it first.",
                       code="HANDOVER_OPEN")
    signed = take(permit.id, RECEIVER, body.signature, actor.id)
    handover = Handover(permit_id=permit.id, from_user_id=actor.id, to_user_id=body.to_user_id, note=body.note,
                        snapshot={"isolations": isolation.snapshot(permit), "gasTest": gas.snapshot(permit)},
                        requested_at=now, from_signature_key=signed["key"], from_signature_sha256=signed["sha256"])
    db.session.add(handover)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A handover of this permit is open already; finish or cancel it first.",
                       code="HANDOVER_OPEN") from None
    permit.version += 1
    audit.record(permit, "handover_requested", actor_id=actor.id, actor_role=actor.role,
                 details={"to": str(body.to_user_id), "signatureSha256": signed["sha256"]})
    audit.emit(permit, HANDOVER_REQUESTED, actor_id=actor.id, userIds=[str(body.to_user_id)], reason=body.note)
    db.session.commit()
    relay.kick()
    return handover


def _open(actor: Actor, permit_id: uuid.UUID, handover_id: uuid.UUID) -> tuple[Permit, Handover]:
    permit = visible_permit(actor, permit_id, lock=True)
    handover = db.session.scalar(select(Handover).where(Handover.id == handover_id, Handover.permit_id == permit.id)
                                 .with_for_update())
    if handover is None:
        raise NotFound("No such handover of this permit.")
    return permit, handover


def accept(actor: Actor, permit_id: uuid.UUID, handover_id: uuid.UUID, body: SignedBody) -> Handover:
    permit, handover = _open(actor, permit_id, handover_id)
    if handover.to_user_id != actor.id:
        raise Forbidden("Only the incoming holder accepts a handover.")
    if handover.status != "REQUESTED":
        raise Conflict(f"The handover is {handover.status}; there is nothing to accept.", code="INVALID_STATE")
    _handable(permit)
    now = clock.now()
    competencies.require(permit, "receiver", actor.id, now)
    signed = take(permit.id, RECEIVER, body.signature, actor.id)
    handover.status, handover.accepted_at = "ACCEPTED", now
    handover.to_signature_key, handover.to_signature_sha256 = signed["key"], signed["sha256"]
    permit.version += 1
    audit.record(permit, "handover_accepted", actor_id=actor.id, actor_role=actor.role,
                 details={"signatureSha256": signed["sha256"]})
    db.session.commit()
    return handover


def acknowledge(actor: Actor, permit_id: uuid.UUID, handover_id: uuid.UUID) -> Handover:
    permit, handover = _open(actor, permit_id, handover_id)
    if actor.role != ISSUER or permit.project_id not in actor.project_ids():
        raise Forbidden("An issuer of the permit's project acknowledges a handover.")
    if handover.status != "ACCEPTED":
        raise Conflict(f"The handover is {handover.status}; the incoming holder accepts it first.",
                       code="INVALID_STATE", details=[field_error("status", handover.status)])
    _handable(permit)
    if permit.requester_id != handover.from_user_id:
        raise Conflict("The permit's holder changed since the handover was asked for.", code="INVALID_STATE")
    handover.status, handover.acknowledged_at, handover.acknowledged_by = "DONE", clock.now(), actor.id
    permit.requester_id = handover.to_user_id  # the holder, for every rule from now on
    permit.version += 1
    audit.record(permit, "handed_over", actor_id=actor.id, actor_role=actor.role,
                 details={"from": str(handover.from_user_id), "to": str(handover.to_user_id)})
    audit.emit(permit, PERMIT_HANDED_OVER, actor_id=actor.id, userIds=[str(handover.from_user_id)],
               reason=handover.note)
    db.session.commit()
    relay.kick()
    return handover


def cancel(actor: Actor, permit_id: uuid.UUID, handover_id: uuid.UUID) -> Handover:
    """The outgoing holder withdraws an open handover, or the incoming one declines it."""
    permit, handover = _open(actor, permit_id, handover_id)
    if actor.id not in (handover.from_user_id, handover.to_user_id):
        raise Forbidden("Only the outgoing or the incoming holder cancels a handover.")
    if handover.status not in OPEN:
        raise Conflict(f"The handover is {handover.status} already.", code="INVALID_STATE")
    handover.status, handover.cancelled_at, handover.cancelled_by = "CANCELLED", clock.now(), actor.id
    permit.version += 1
    audit.record(permit, "handover_cancelled", actor_id=actor.id, actor_role=actor.role)
    db.session.commit()
    return handover


def of_permit(permit: Permit) -> Sequence[Handover]:
    return db.session.scalars(select(Handover).where(Handover.permit_id == permit.id)
                              .order_by(Handover.requested_at)).all()
