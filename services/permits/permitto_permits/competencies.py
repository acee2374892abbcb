"""Competencies (docs/domain.md, "Competencies"): the kinds of competence a template may demand of each
party of a permit, each person's certificates of them (issuer, number, validity, evidence), and the one
check every rule asks: does this person (or this worker's reference) hold a valid one on this date."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error

from . import audit, clock
from .access import Actor, add_unique
from .daily import local_date
from .directory import directory
from .events import COMPETENCY_EXPIRING
from .extensions import db, files
from .models import Competency, CompetencyType, Permit
from .schemas import (
    CompetencyBody,
    CompetencyOut,
    CompetencyTypeBody,
    CompetencyTypeOut,
    EvidenceUploadBody,
    RevokeBody,
)
from .states import ADMIN, COORDINATOR
from .template_schema import required_competency

EXPIRY_NOTICE = timedelta(days=30)
PARTY_WORDS = {"issuer": "the issuer", "coordinator": "the coordinator", "receiver": "the receiver",
               "gasTester": "the gas tester", "fireWatch": "the fire watch", "entrant": "an entrant",
               "attendant": "an attendant"}
REGISTRARS = (ADMIN, COORDINATOR)  # who keeps the register of people's competencies


# -- the kinds -----------------------------------------------------------------------------------------
def list_types() -> Sequence[CompetencyType]:
    return db.session.scalars(select(CompetencyType).order_by(CompetencyType.name)).all()


def create_type(actor: Actor, body: CompetencyTypeBody) -> CompetencyType:
    if actor.role != ADMIN:
        raise Forbidden("Only an administrator defines competency types.")
    kind = CompetencyType(key=body.key, name=body.name, description=body.description or "", created_by=actor.id)
    add_unique(kind, field="key", words=f"A competency type with the key {body.key} exists already.",
               code="DUPLICATE_KEY")
    return kind


def _type_by_key(key: str) -> CompetencyType | None:
    return db.session.scalar(select(CompetencyType).where(CompetencyType.key == key))


# -- the register --------------------------------------------------------------------------------------
def record(actor: Actor, body: CompetencyBody) -> Competency:
    if actor.role not in REGISTRARS:
        raise Forbidden("Only a coordinator or an administrator records a person's competencies.")
    problems = []
    kind = _type_by_key(body.type_key)
    if kind is None:
        problems.append(field_error("typeKey", "no competency type has this key"))
    if str(body.user_id) not in directory().users({str(body.user_id)}):
        problems.append(field_error("userId", "no such user"))
    if body.valid_to < body.valid_from:
        problems.append(field_error("validTo", "must not be before validFrom"))
    if body.evidence_key is not None and not body.evidence_key.startswith(f"evidence/{body.user_id}/"):
        problems.append(field_error("evidenceKey", "is not an upload of evidence for this person"))
    if problems:
        raise ValidationFailed(problems)
    evidence_type = None
    if body.evidence_key is not None:
        checked = files.post(f"/internal/evidence/{body.user_id}/confirm", json_body={"key": body.evidence_key},
                             handles=(422,))
        if checked.status == 422:
            raise ValidationFailed([{"field": "evidenceKey", "message": d["message"]}
                                    for d in checked.body["error"].get("details", [])])
        evidence_type = checked.body["data"]["contentType"]
    assert kind is not None
    held = Competency(user_id=body.user_id, type_id=kind.id, issuer=body.issuer, number=body.number,
                      valid_from=body.valid_from, valid_to=body.valid_to, evidence_key=body.evidence_key,
                      evidence_type=evidence_type, recorded_by=actor.id, recorded_at=clock.now())
    db.session.add(held)
    db.session.commit()
    return held


def evidence_ticket(actor: Actor, body: EvidenceUploadBody) -> dict[str, Any]:
    """A presigned URL to upload a certificate's evidence (a scan or a photo) straight to storage."""
    if actor.role not in REGISTRARS:
        raise Forbidden("Only a coordinator or an administrator records a person's competencies.")
    data: dict[str, Any] = files.post(f"/internal/evidence/{body.user_id}/upload-url", json_body={
        "contentType": body.content_type, "size": body.size}).body["data"]
    return data


def revoke(actor: Actor, competency_id: uuid.UUID, body: RevokeBody) -> Competency:
    if actor.role not in REGISTRARS:
        raise Forbidden("Only a coordinator or an administrator revokes a competency.")
    held = db.session.get(Competency, competency_id, with_for_update=True)
    if held is None:
        raise NotFound("No such competency.")
    if held.revoked_at is not None:
        raise Conflict("The competency is revoked already.", code="INVALID_STATE")
    held.revoked_at, held.revoked_by, held.revoke_reason = clock.now(), actor.id, body.reason
    db.session.commit()
    return held


def of_user(actor: Actor, user_id: uuid.UUID) -> Sequence[Competency]:
    """A person's certificates: their own, or anyone's for the register's keepers (others see none of it)."""
    if user_id != actor.id and actor.role not in REGISTRARS:
        raise NotFound("No such user here.")
    return db.session.scalars(select(Competency).where(Competency.user_id == user_id)
                              .order_by(Competency.valid_to.desc())).all()


def expiring(actor: Actor, *, days: int) -> Sequence[Competency]:
    """Certificates still valid today that run out within `days`, soonest first (coordinators' list)."""
    if actor.role not in REGISTRARS:
        raise Forbidden("Only a coordinator or an administrator sees the register.")
    today = clock.now().date()
    return db.session.scalars(select(Competency).where(
        Competency.revoked_at.is_(None), Competency.valid_to >= today,
        Competency.valid_to <= today + timedelta(days=days)).order_by(Competency.valid_to)).all()


def evidence_link(actor: Actor, competency_id: uuid.UUID) -> dict[str, Any]:
    held = db.session.get(Competency, competency_id)
    if held is None or (held.user_id != actor.id and actor.role not in REGISTRARS):
        raise NotFound("No such competency.")
    if held.evidence_key is None:
        raise NotFound("This competency has no evidence on file.")
    data: dict[str, Any] = files.get("/internal/evidence/link", params={"key": held.evidence_key}).body["data"]
    return data


# -- the checks the rules ask --------------------------------------------------------------------------
def holds(user_id: uuid.UUID, key: str, on: date) -> Competency | None:
    """A valid (not revoked, in date) certificate of this kind held by this person on this date."""
    return db.session.scalar(select(Competency).join(CompetencyType).where(
        Competency.user_id == user_id, CompetencyType.key == key, Competency.revoked_at.is_(None),
        Competency.valid_from <= on, Competency.valid_to >= on).order_by(Competency.valid_to.desc()).limit(1))


def _name(key: str) -> str:
    kind = _type_by_key(key)
    return kind.name if kind else key


def user_problem(permit: Permit, party: str, user_id: uuid.UUID, now: datetime,
                 *, field: str = "competency") -> dict[str, str] | None:
    """Why this user may not act as this party of the permit for want of a competency, or None."""
    key = required_competency(permit.template_version.read_schema(), party)
    if key is None:
        return None
    today = local_date(now, permit.timezone)
    if holds(user_id, key, today) is None:
        return field_error(field, f"{PARTY_WORDS[party]} needs a valid '{_name(key)}' competency ({key}) on "
                                  f"{today.isoformat()}; none is on record")
    return None


def require(permit: Permit, party: str, user_id: uuid.UUID, now: datetime) -> None:
    problem = user_problem(permit, party, user_id, now)
    if problem:
        raise Conflict(f"Not competent: {problem['message']}.", code="NOT_COMPETENT", details=[problem])


def person_problems(permit: Permit, party: str, *, user_id: uuid.UUID | None, reference: str | None,
                    valid_to: date | None, now: datetime, prefix: str) -> list[dict[str, str]]:
    """The check for a person the permit names who need not be a user (a worker, the fire watch): a user's
    certificates are looked up; anyone else gives the certificate's reference and its expiry date."""
    key = required_competency(permit.template_version.read_schema(), party)
    if key is None:
        return []
    if user_id is not None:
        problem = user_problem(permit, party, user_id, now, field=f"{prefix}.userId")
        return [problem] if problem else []
    today = local_date(now, permit.timezone)
    problems = []
    if not reference:
        problems.append(field_error(f"{prefix}.competencyRef", f"{PARTY_WORDS[party]} needs a '{_name(key)}' "
                                                               "competency; give its certificate number"))
    if valid_to is None:
        problems.append(field_error(f"{prefix}.competencyValidTo", "give the date the certificate runs out"))
    elif valid_to < today:
        problems.append(field_error(f"{prefix}.competencyValidTo",
                                    f"the certificate ran out on {valid_to.isoformat()}; it is not valid"))
    return problems


# -- the 30-day notice ---------------------------------------------------------------------------------
def notify_expiring(now: datetime) -> int:
    """Tell each person once, 30 days ahead, that a certificate of theirs runs out (the sweep runs this)."""
    due = db.session.scalars(select(Competency).where(
        Competency.revoked_at.is_(None), Competency.expiry_notified_at.is_(None), Competency.valid_to >= now.date(),
        Competency.valid_to <= now.date() + EXPIRY_NOTICE).with_for_update(skip_locked=True)).all()
    for held in due:
        held.expiry_notified_at = now
        audit.emit_personal(COMPETENCY_EXPIRING, user_id=held.user_id,
                            subject=f"Your '{held.type.name}' competency runs out on {held.valid_to.isoformat()}",
                            path="/competencies", competency=held.type.key, validTo=held.valid_to.isoformat())
    db.session.commit()
    return len(due)


# -- answers -------------------------------------------------------------------------------------------
def type_out(kind: CompetencyType) -> CompetencyTypeOut:
    return {"id": str(kind.id), "key": kind.key, "name": kind.name, "description": kind.description}


def competency_out(held: Competency, names: dict[str, dict[str, Any]], today: date) -> CompetencyOut:
    state: Literal["VALID", "EXPIRED", "NOT_YET_VALID", "REVOKED"] = (
        "REVOKED" if held.revoked_at else "NOT_YET_VALID" if held.valid_from > today
        else "EXPIRED" if held.valid_to < today else "VALID")
    return {"id": str(held.id), "userId": str(held.user_id), "name": names.get(str(held.user_id), {}).get("name"),
            "type": type_out(held.type), "issuer": held.issuer, "number": held.number,
            "validFrom": held.valid_from.isoformat(), "validTo": held.valid_to.isoformat(), "state": state,
            "daysLeft": (held.valid_to - today).days, "hasEvidence": held.evidence_key is not None,
            "revokedAt": held.revoked_at.isoformat() if held.revoked_at else None,
            "revokeReason": held.revoke_reason}


def many_out(rows: Sequence[Competency]) -> list[CompetencyOut]:
    names = directory().users({str(r.user_id) for r in rows})
    today = clock.now().date()
    return [competency_out(r, names, today) for r in rows]
