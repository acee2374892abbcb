"""Crew sign-on and sign-off (docs/domain.md, "People on the permit"): each worker under a permit
acknowledges its hazards and precautions with a signature, on a user's device as on site, and is counted
out at the end; for confined space, the entrants' entries and exits with an attendant outside."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error

from . import audit, clock, competencies
from .access import Actor, visible_permit
from .events import CREW_STILL_SIGNED_ON
from .extensions import db
from .models import CrewEntry, CrewMember, Permit
from .schemas import CrewBody
from .signatures import take
from .states import ACTIVE, APPROVED, COORDINATOR, ISSUER, PENDING_DAILY, RECEIVER

SIGN_ON_STATES = (APPROVED, PENDING_DAILY, ACTIVE)
PARTY = {"ENTRANT": "entrant", "ATTENDANT": "attendant"}  # the roster's roles and the competency each needs


def on_site(actor: Actor, permit: Permit, doing: str) -> None:
    """People are recorded on the permit's holder's device, an issuer's of its project or a coordinator's."""
    if actor.role == RECEIVER and permit.requester_id == actor.id:
        return
    if actor.role == COORDINATOR or (actor.role == ISSUER and permit.project_id in actor.project_ids()):
        return
    raise Forbidden(f"Only the permit's holder, an issuer of its project or a coordinator may {doing}.")


def briefing_digest(permit: Permit) -> str:
    """What a worker acknowledges: the permit's hazards and precautions as they stand (its form, pinned)."""
    body = json.dumps({"permit": str(permit.id), "number": permit.number, "template": str(permit.template_version_id),
                       "form": permit.form_data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def confined_space(permit: Permit) -> bool:
    return permit.type == "CSE"


def sign_on(actor: Actor, permit_id: uuid.UUID, body: CrewBody) -> CrewMember:
    permit = visible_permit(actor, permit_id, lock=True)
    on_site(actor, permit, "sign workers on")
    if permit.status not in SIGN_ON_STATES:
        raise Conflict(f"The permit is {permit.status}; workers sign on while it is approved or in its daily cycle.",
                       code="INVALID_STATE", details=[field_error("status", permit.status)])
    now = clock.now()
    problems = []
    if not body.acknowledged:
        problems.append(field_error("acknowledged", "the worker must confirm they read the permit's hazards and "
                                                    "precautions"))
    if body.role in PARTY and not confined_space(permit):
        problems.append(field_error("role", "entrants and attendants are roles of a confined-space permit"))
    party = PARTY.get(body.role)
    if party:
        problems += competencies.person_problems(permit, party, user_id=body.user_id, reference=body.competency_ref,
                                                 valid_to=body.competency_valid_to, now=now, prefix="crew")
    if problems:
        raise ValidationFailed(problems, "The worker cannot sign on yet; fix every problem listed.")
    already = db.session.scalar(select(CrewMember).where(
        CrewMember.permit_id == permit.id, CrewMember.signed_off_at.is_(None),
        func.lower(CrewMember.name) == body.name.lower(), func.lower(CrewMember.company) == body.company.lower()))
    if already is not None:
        raise Conflict(f"{body.name} ({body.company}) is signed on to this permit already.", code="ALREADY_SIGNED_ON",
                       details=[field_error("name", "is signed on already")])
    signed = take(permit.id, "CREW", body.signature, actor.id)
    member = CrewMember(permit_id=permit.id, name=body.name, company=body.company, role=body.role,
                        user_id=body.user_id, competency_ref=body.competency_ref,
                        competency_valid_to=body.competency_valid_to, briefing_sha256=briefing_digest(permit),
                        signature_key=signed["key"], signature_sha256=signed["sha256"], signed_on_at=now,
                        signed_on_by=actor.id)
    db.session.add(member)
    permit.version += 1
    audit.record(permit, "crew_sign_on", actor_id=actor.id, actor_role=actor.role,
                 details={"name": body.name, "company": body.company, "role": body.role,
                          "competencyRef": body.competency_ref, "signatureSha256": signed["sha256"]})
    db.session.commit()
    return member


def _member(actor: Actor, permit_id: uuid.UUID, member_id: uuid.UUID, doing: str) -> tuple[Permit, CrewMember]:
    permit = visible_permit(actor, permit_id, lock=True)
    on_site(actor, permit, doing)
    member = db.session.scalar(select(CrewMember).where(CrewMember.id == member_id, CrewMember.permit_id == permit.id)
                               .options(selectinload(CrewMember.entries)))
    if member is None:
        raise NotFound("No such worker on this permit.")
    return permit, member


def _inside(member: CrewMember) -> CrewEntry | None:
    return next((e for e in member.entries if e.exited_at is None), None)


def sign_off(actor: Actor, permit_id: uuid.UUID, member_id: uuid.UUID) -> CrewMember:
    permit, member = _member(actor, permit_id, member_id, "sign workers off")
    if member.signed_off_at is not None:
        raise Conflict(f"{member.name} is signed off already.", code="ALREADY_SIGNED_OFF")
    if _inside(member) is not None:
        raise Conflict(f"{member.name} is inside the confined space; record the exit first.", code="STILL_INSIDE")
    member.signed_off_at, member.signed_off_by = clock.now(), actor.id
    permit.version += 1
    audit.record(permit, "crew_sign_off", actor_id=actor.id, actor_role=actor.role,
                 details={"name": member.name, "company": member.company})
    db.session.commit()
    return member


def enter(actor: Actor, permit_id: uuid.UUID, member_id: uuid.UUID) -> CrewMember:
    """An entrant goes into the space: only while work is on, and with an attendant signed on outside."""
    permit, member = _member(actor, permit_id, member_id, "record entries")
    if member.role != "ENTRANT":
        raise Conflict("Only an entrant signed on to the permit enters the space.", code="NOT_AN_ENTRANT")
    if member.signed_off_at is not None:
        raise Conflict(f"{member.name} is signed off; sign on again first.", code="ALREADY_SIGNED_OFF")
    if permit.status != ACTIVE:
        raise Conflict(f"The permit is {permit.status}; nobody enters until it is ACTIVE.", code="INVALID_STATE",
                       details=[field_error("status", permit.status)])
    if _inside(member) is not None:
        raise Conflict(f"{member.name} is inside already.", code="STILL_INSIDE")
    attendants = db.session.scalar(select(func.count()).select_from(CrewMember).where(
        CrewMember.permit_id == permit.id, CrewMember.role == "ATTENDANT", CrewMember.signed_off_at.is_(None)))
    if not attendants:
        raise Conflict("No attendant is signed on: an attendant stays outside while anyone is in the space.",
                       code="NO_ATTENDANT", details=[field_error("role", "an ATTENDANT must be signed on")])
    now = clock.now()
    member.entries.append(CrewEntry(crew_member_id=member.id, entered_at=now, entered_by=actor.id))
    permit.version += 1
    audit.record(permit, "crew_entry", actor_id=actor.id, actor_role=actor.role, details={"name": member.name})
    db.session.commit()
    return member


def exit_space(actor: Actor, permit_id: uuid.UUID, member_id: uuid.UUID) -> CrewMember:
    permit, member = _member(actor, permit_id, member_id, "record exits")
    entry = _inside(member)
    if entry is None:
        raise Conflict(f"{member.name} is not inside the space.", code="NOT_INSIDE")
    entry.exited_at, entry.exited_by = clock.now(), actor.id
    permit.version += 1
    audit.record(permit, "crew_exit", actor_id=actor.id, actor_role=actor.role, details={"name": member.name})
    db.session.commit()
    return member


def crew_of(permit: Permit) -> Sequence[CrewMember]:
    return db.session.scalars(select(CrewMember).where(CrewMember.permit_id == permit.id)
                              .options(selectinload(CrewMember.entries)).order_by(CrewMember.signed_on_at)).all()


def still_on(permit: Permit) -> list[str]:
    return list(db.session.scalars(select(CrewMember.name).where(
        CrewMember.permit_id == permit.id, CrewMember.signed_off_at.is_(None)).order_by(CrewMember.signed_on_at)))


def close_problems(permit: Permit) -> list[dict[str, str]]:
    return [field_error("crew", f"{name} is still signed on") for name in still_on(permit)]


def warn_if_on(permit: Permit, now: datetime) -> None:
    """The work day ends whoever is still signed on, but never silently: the holder and issuers are told."""
    names = still_on(permit)
    if names:
        audit.emit(permit, CREW_STILL_SIGNED_ON, actor_id=None, names=names,
                   reason="still signed on at the end of the work day: " + ", ".join(names))
