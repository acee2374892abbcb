"""Extensions (docs/domain.md, "People on the permit"): the holder asks for more time with a reason; an
issuer of the project and then a coordinator approve, or either refuses. The permit type's cap on its whole
validity (seven days for a standard permit) is never passed; the daily cycle and the expiry warning
follow the new end, as both read it from the permit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error

from . import audit, clock, competencies, relay
from .access import Actor, visible_permit
from .drafts import cap_words, localize
from .events import EXTENSION_APPROVED, EXTENSION_REFUSED, EXTENSION_REQUESTED
from .extensions import db
from .models import Extension, Permit
from .schemas import ExtensionBody, ReasonBody
from .states import ACTIVE, APPROVED, COORDINATOR, ISSUER, PENDING_DAILY, RECEIVER, SUSPENDED
from .template_schema import max_validity_hours

EXTENDABLE = (APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED)
OPEN = ("REQUESTED", "ISSUER_APPROVED")


def cap(permit: Permit) -> timedelta:
    return timedelta(hours=max_validity_hours(permit.template_version.read_schema()))


def _extendable(permit: Permit, new_valid_to: datetime) -> None:
    if permit.status not in EXTENDABLE:
        raise Conflict(f"The permit is {permit.status}; only a permit in its daily cycle is extended.",
                       code="INVALID_STATE", details=[field_error("status", permit.status)])
    if new_valid_to - permit.valid_from > cap(permit):
        words = cap_words(permit.template_version.read_schema())
        raise ValidationFailed([field_error("validTo", words + "; the latest "
                                            f"end is {(permit.valid_from + cap(permit)).isoformat()}")])


def request(actor: Actor, permit_id: uuid.UUID, body: ExtensionBody) -> Extension:
    permit = visible_permit(actor, permit_id, lock=True)
    if actor.role != RECEIVER or permit.requester_id != actor.id:
        raise Forbidden("Only the permit's holder asks for an extension.")
    new_valid_to = localize(body.valid_to, permit.timezone)
    now = clock.now()
    if new_valid_to <= permit.valid_to:
        raise ValidationFailed([field_error("validTo",
                                            f"must be after the current end, {permit.valid_to.isoformat()}")])
    if new_valid_to <= now:
        raise ValidationFailed([field_error("validTo", "is in the past")])
    _extendable(permit, new_valid_to)
    if db.session.scalar(select(Extension.id).where(Extension.permit_id == permit.id, Extension.status.in_(OPEN))):
        raise Conflict("An extension of this permit is waiting for a decision already.", code="EXTENSION_OPEN")
    extension = Extension(permit_id=permit.id, requested_by=actor.id, requested_at=now,
                          from_valid_to=permit.valid_to, new_valid_to=new_valid_to, reason=body.reason)
    db.session.add(extension)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("An extension of this permit is waiting for a decision already.",
                       code="EXTENSION_OPEN") from None
    permit.version += 1
    audit.record(permit, "extension_requested", actor_id=actor.id, actor_role=actor.role, comment=body.reason,
                 details={"validTo": new_valid_to.isoformat()})
    audit.emit(permit, EXTENSION_REQUESTED, actor_id=actor.id, reason=body.reason, validTo=new_valid_to.isoformat())
    db.session.commit()
    relay.kick()
    return extension


def _open(actor: Actor, permit_id: uuid.UUID, extension_id: uuid.UUID) -> tuple[Permit, Extension]:
    permit = visible_permit(actor, permit_id, lock=True)
    extension = db.session.scalar(select(Extension).where(Extension.id == extension_id,
                                                          Extension.permit_id == permit.id).with_for_update())
    if extension is None:
        raise NotFound("No such extension of this permit.")
    return permit, extension


def _decider(actor: Actor, permit: Permit, extension: Extension) -> str:
    """The approver whose turn it is (issuer of the project, then coordinator), or why this actor is not."""
    if actor.role not in (ISSUER, COORDINATOR):
        raise Forbidden("An issuer and then a coordinator decide an extension.")
    if actor.role == ISSUER and permit.project_id not in actor.project_ids():
        raise Forbidden("You are not assigned to this permit's project.")
    if extension.requested_by == actor.id:
        raise Forbidden("Separation of duties: nobody decides their own extension.")
    if extension.status not in OPEN:
        raise Conflict(f"The extension is {extension.status}; it is decided already.", code="INVALID_STATE",
                       details=[field_error("status", extension.status)])
    return actor.role


def approve(actor: Actor, permit_id: uuid.UUID, extension_id: uuid.UUID) -> Extension:
    permit, extension = _open(actor, permit_id, extension_id)
    role = _decider(actor, permit, extension)
    expected = "REQUESTED" if role == ISSUER else "ISSUER_APPROVED"
    if extension.status != expected:
        waiting = "the coordinator" if extension.status == "ISSUER_APPROVED" else "an issuer first"
        raise Conflict(f"The extension is {extension.status}; it waits for {waiting}.", code="OUT_OF_ORDER",
                       details=[field_error("status", extension.status)])
    _extendable(permit, extension.new_valid_to)
    now = clock.now()
    competencies.require(permit, role.lower(), actor.id, now)
    if role == ISSUER:
        extension.status, extension.issuer_by, extension.issuer_at = "ISSUER_APPROVED", actor.id, now
        audit.record(permit, "extension_issuer_approved", actor_id=actor.id, actor_role=actor.role)
    else:
        extension.status, extension.coordinator_by, extension.coordinator_at = "APPROVED", actor.id, now
        previous, permit.valid_to = permit.valid_to, extension.new_valid_to
        permit.expiry_warned_at = None  # the expiry warning follows the new end
        audit.record(permit, "extended", actor_id=actor.id, actor_role=actor.role,
                     details={"from": previous.isoformat(), "to": permit.valid_to.isoformat()})
        audit.emit(permit, EXTENSION_APPROVED, actor_id=actor.id, reason=extension.reason,
                   validTo=permit.valid_to.isoformat())
    permit.version += 1
    db.session.commit()
    relay.kick()
    return extension


def refuse(actor: Actor, permit_id: uuid.UUID, extension_id: uuid.UUID, body: ReasonBody) -> Extension:
    permit, extension = _open(actor, permit_id, extension_id)
    _decider(actor, permit, extension)
    now = clock.now()
    extension.status, extension.refused_by, extension.refused_at = "REFUSED", actor.id, now
    extension.refusal_reason = body.reason
    permit.version += 1
    audit.record(permit, "extension_refused", actor_id=actor.id, actor_role=actor.role, comment=body.reason)
    audit.emit(permit, EXTENSION_REFUSED, actor_id=actor.id, reason=body.reason)
    db.session.commit()
    relay.kick()
    return extension


def withdraw(actor: Actor, permit_id: uuid.UUID, extension_id: uuid.UUID) -> Extension:
    permit, extension = _open(actor, permit_id, extension_id)
    if extension.requested_by != actor.id:
        raise Forbidden("Only who asked for an extension withdraws it.")
    if extension.status not in OPEN:
        raise Conflict(f"The extension is {extension.status}; it is decided already.", code="INVALID_STATE")
    extension.status = "WITHDRAWN"
    permit.version += 1
    audit.record(permit, "extension_withdrawn", actor_id=actor.id, actor_role=actor.role)
    db.session.commit()
    return extension


def of_permit(permit: Permit) -> Sequence[Extension]:
    return db.session.scalars(select(Extension).where(Extension.permit_id == permit.id)
                              .order_by(Extension.requested_at)).all()
