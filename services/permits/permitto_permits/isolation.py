"""Isolations (lockout / tagout, docs/domain.md "Isolations"): each project's library of isolation points,
the certificates that list the points a job needs and the permits they protect, and each point's record
(isolated, verified by another person, personal locks, removed). The lifecycle table's guards ask here
whether a permit may start work or be closed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error

from . import audit, clock
from .access import Actor, add_unique, visible_permit
from .directory import directory
from .extensions import db
from .models import (
    CertificatePermit,
    CertificatePoint,
    IsolationCertificate,
    IsolationPoint,
    Permit,
    PersonalLock,
)
from .schemas import CertificateBody, CertificatePointsBody, IsolateBody, LockBody, PointBody, PointPatch, VerifyBody
from .states import COORDINATOR, ISSUER, PENDING_CLOSEOUT, RECEIVER, TERMINAL
from .template_schema import isolation_required

# Work on a permit in these states is over (its crew signed off or it ended): its points may come off.
WORK_OVER = TERMINAL | {PENDING_CLOSEOUT}


# -- who may do what -----------------------------------------------------------------------------------
def _authority(actor: Actor, project_id: uuid.UUID, doing: str) -> None:
    """Isolation authorities: a coordinator (site-wide) or an issuer of the project."""
    if actor.role not in (COORDINATOR, ISSUER):
        raise Forbidden(f"Only an issuer or a coordinator may {doing}.")
    if actor.role == ISSUER and project_id not in actor.project_ids():
        raise NotFound("No such project here." if doing == "define isolation points" else "No such certificate.")


# -- the points library --------------------------------------------------------------------------------
def list_points(actor: Actor, project_id: uuid.UUID, *, include_inactive: bool) -> Sequence[IsolationPoint]:
    if not actor.sees_project(project_id):
        raise NotFound("No such project.")
    stmt = select(IsolationPoint).where(IsolationPoint.project_id == project_id).order_by(IsolationPoint.tag)
    if not include_inactive:
        stmt = stmt.where(IsolationPoint.is_active.is_(True))
    return db.session.scalars(stmt).all()


def create_point(actor: Actor, body: PointBody) -> IsolationPoint:
    _authority(actor, body.project_id, "define isolation points")
    if directory().project(body.project_id) is None:
        raise ValidationFailed([field_error("projectId", "no such project")])
    point = IsolationPoint(project_id=body.project_id, tag=body.tag, description=body.description,
                           equipment=body.equipment, energy_type=body.energy_type, method=body.method,
                           verification=body.verification, created_by=actor.id)
    add_unique(point, field="tag", words=f"The tag {body.tag} is already in this project's library.",
               code="DUPLICATE_TAG")
    return point


def update_point(actor: Actor, point_id: uuid.UUID, body: PointPatch) -> IsolationPoint:
    point = db.session.get(IsolationPoint, point_id, with_for_update=True)
    if point is None or not actor.sees_project(point.project_id):
        raise NotFound("No such isolation point.")
    _authority(actor, point.project_id, "define isolation points")
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(point, name, value)
    db.session.commit()
    return point


# A certificate as every answer shows it: its points with their library entries and locks, its permits.
_WHOLE = (selectinload(IsolationCertificate.points).selectinload(CertificatePoint.point),
          selectinload(IsolationCertificate.points).selectinload(CertificatePoint.locks),
          selectinload(IsolationCertificate.links))


# -- certificates --------------------------------------------------------------------------------------
def _certificate(actor: Actor, certificate_id: uuid.UUID, *, lock: bool = False) -> IsolationCertificate:
    stmt = select(IsolationCertificate).where(IsolationCertificate.id == certificate_id).options(*_WHOLE)
    if lock:
        stmt = stmt.with_for_update(of=IsolationCertificate)
    certificate = db.session.scalar(stmt)
    if certificate is None or not _may_see(actor, certificate):
        raise NotFound("No such certificate.")
    found: IsolationCertificate = certificate
    return found


def _may_see(actor: Actor, certificate: IsolationCertificate) -> bool:
    if actor.role == RECEIVER:  # a receiver sees the certificates of the permits they requested
        return any(db.session.get(Permit, link.permit_id).requester_id == actor.id  # type: ignore[union-attr]
                   for link in certificate.links)
    return actor.sees_project(certificate.project_id)


def get_certificate(actor: Actor, certificate_id: uuid.UUID) -> IsolationCertificate:
    return _certificate(actor, certificate_id)


def certificates_of(actor: Actor, permit_id: uuid.UUID) -> Sequence[IsolationCertificate]:
    permit = visible_permit(actor, permit_id)
    return linked(permit.id)


def linked(permit_id: uuid.UUID) -> Sequence[IsolationCertificate]:
    return db.session.scalars(
        select(IsolationCertificate).join(CertificatePermit).where(CertificatePermit.permit_id == permit_id)
        .options(*_WHOLE)
        .order_by(IsolationCertificate.prepared_at)).all()


def _library_points(project_id: uuid.UUID, point_ids: list[uuid.UUID]) -> list[IsolationPoint]:
    found = {p.id: p for p in db.session.scalars(select(IsolationPoint).where(IsolationPoint.id.in_(point_ids)))}
    problems = [field_error(f"pointIds[{i}]", "is not an active point of this project's library")
                for i, pid in enumerate(point_ids)
                if pid not in found or found[pid].project_id != project_id or not found[pid].is_active]
    if len(set(point_ids)) != len(point_ids):
        problems.append(field_error("pointIds", "lists a point twice"))
    if problems:
        raise ValidationFailed(problems)
    return [found[pid] for pid in point_ids]


def _open_permit(actor: Actor, permit_id: uuid.UUID, project_id: uuid.UUID, field: str) -> Permit:
    try:
        permit = visible_permit(actor, permit_id, lock=True)
    except NotFound:
        raise ValidationFailed([field_error(field, "no such permit")]) from None
    if permit.project_id != project_id:
        raise ValidationFailed([field_error(field, "is a permit of another project")])
    if permit.status in TERMINAL:
        raise ValidationFailed([field_error(field, f"the permit is {permit.status}")])
    return permit


def create_certificate(actor: Actor, body: CertificateBody) -> IsolationCertificate:
    _authority(actor, body.project_id, "prepare isolation certificates")
    points = _library_points(body.project_id, body.point_ids)
    permits = [_open_permit(actor, pid, body.project_id, f"permitIds[{i}]") for i, pid in enumerate(body.permit_ids)]
    certificate = IsolationCertificate(project_id=body.project_id, title=body.title, prepared_by=actor.id)
    db.session.add(certificate)
    db.session.flush()
    for position, point in enumerate(points):
        db.session.add(CertificatePoint(certificate_id=certificate.id, point_id=point.id, position=position))
    for permit in permits:
        _link(certificate, permit, actor)
    db.session.commit()
    return _certificate(actor, certificate.id)


def _link(certificate: IsolationCertificate, permit: Permit, actor: Actor) -> None:
    db.session.add(CertificatePermit(certificate_id=certificate.id, permit_id=permit.id, linked_by=actor.id))
    db.session.flush()
    _record(permit, actor, "isolation_certificate_linked", certificate)


def link_permit(actor: Actor, certificate_id: uuid.UUID, permit_id: uuid.UUID) -> IsolationCertificate:
    """The certificate protects another permit too: how points are handed from one permit to the next."""
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "link certificates to permits")
    if any(link.permit_id == permit_id for link in certificate.links):
        raise Conflict("The certificate already protects this permit.", code="ALREADY_LINKED")
    permit = _open_permit(actor, permit_id, certificate.project_id, "permitId")
    _link(certificate, permit, actor)
    db.session.commit()
    return _certificate(actor, certificate.id)


def change_points(actor: Actor, certificate_id: uuid.UUID, body: CertificatePointsBody) -> IsolationCertificate:
    """A new list of points. An approved certificate goes back for approval; a point still isolated stays."""
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "change isolation certificates")
    _check_version(certificate, body.version)
    points = _library_points(certificate.project_id, body.point_ids)
    wanted = {p.id for p in points}
    current = {cp.point_id: cp for cp in certificate.points}
    kept = [cp for cp in certificate.points if cp.isolated_at and not cp.removed_at and cp.point_id not in wanted]
    if kept:
        raise ValidationFailed([field_error("pointIds", f"{cp.point.tag} is isolated: remove its isolation before "
                                            "taking it off the certificate") for cp in kept])
    permits = _lock_permits(certificate)
    for cp in list(certificate.points):
        if cp.point_id not in wanted:
            for lock in cp.locks:
                db.session.delete(lock)
            db.session.delete(cp)
    db.session.flush()
    for position, point in enumerate(points):
        entry = current.get(point.id)
        if entry is None:
            db.session.add(CertificatePoint(certificate_id=certificate.id, point_id=point.id, position=position))
        else:
            entry.position = position
    was_approved = certificate.status == "APPROVED"
    certificate.status, certificate.approved_by, certificate.approved_at = "PENDING_APPROVAL", None, None
    certificate.prepared_by, certificate.prepared_at = actor.id, clock.now()
    certificate.version += 1
    for permit in permits:
        _record(permit, actor, "isolation_points_changed", certificate, points=[p.tag for p in points],
                backForApproval=was_approved)
    db.session.commit()
    return _certificate(actor, certificate.id)


def approve(actor: Actor, certificate_id: uuid.UUID) -> IsolationCertificate:
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "approve isolation certificates")
    if certificate.status == "APPROVED":
        raise Conflict("The certificate is approved already.", code="INVALID_STATE")
    if certificate.prepared_by == actor.id:
        raise Forbidden("Separation of duties: the person who prepared or last changed the certificate does not "
                        "approve it.")
    if not certificate.points:
        raise ValidationFailed([field_error("pointIds", "a certificate needs at least one point")])
    now = clock.now()
    certificate.status, certificate.approved_by, certificate.approved_at = "APPROVED", actor.id, now
    certificate.version += 1
    for permit in _lock_permits(certificate):
        _record(permit, actor, "isolation_certificate_approved", certificate)
    db.session.commit()
    return _certificate(actor, certificate.id)


def _entry(certificate: IsolationCertificate, point_id: uuid.UUID) -> CertificatePoint:
    for cp in certificate.points:
        if cp.point_id == point_id:
            return cp
    raise NotFound("This point is not on the certificate.")


def _check_version(certificate: IsolationCertificate, version: int | None) -> None:
    if version is not None and version != certificate.version:
        raise Conflict("The certificate changed since you read it; reload it and try again.", code="VERSION_CONFLICT",
                       details=[field_error("version", f"is {certificate.version} now")])


def isolate(actor: Actor, certificate_id: uuid.UUID, point_id: uuid.UUID, body: IsolateBody) -> IsolationCertificate:
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "isolate points")
    if certificate.status != "APPROVED":
        raise Conflict("The certificate is waiting for approval; isolate its points once it is approved.",
                       code="INVALID_STATE", details=[field_error("status", certificate.status)])
    cp = _entry(certificate, point_id)
    if cp.isolated_at and not cp.removed_at:
        raise Conflict(f"{cp.point.tag} is isolated already.", code="INVALID_STATE")
    now = clock.now()
    cp.isolated_by, cp.isolated_at, cp.lock_number, cp.tag_number = actor.id, now, body.lock_number, body.tag_number
    cp.verified_by = cp.verified_at = cp.verification_note = cp.removed_by = cp.removed_at = None
    return _finish(actor, certificate, "point_isolated", cp, lockNumber=body.lock_number, tagNumber=body.tag_number)


def verify(actor: Actor, certificate_id: uuid.UUID, point_id: uuid.UUID, body: VerifyBody) -> IsolationCertificate:
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "verify isolations")
    cp = _entry(certificate, point_id)
    if not cp.isolated_at or cp.removed_at:
        raise Conflict(f"{cp.point.tag} is not isolated; there is nothing to verify.", code="INVALID_STATE")
    if cp.verified_at:
        raise Conflict(f"{cp.point.tag} is verified already.", code="INVALID_STATE")
    if cp.isolated_by == actor.id:
        raise Forbidden("Separation of duties: the person who isolated a point does not verify it; another "
                        "person tries and tests it.")
    cp.verified_by, cp.verified_at, cp.verification_note = actor.id, clock.now(), body.method
    return _finish(actor, certificate, "point_verified", cp, method=body.method)


def apply_lock(actor: Actor, certificate_id: uuid.UUID, point_id: uuid.UUID, body: LockBody) -> IsolationCertificate:
    """Group lockout: a worker's personal lock on an isolated point (the crew's receiver, or an authority)."""
    certificate = _certificate(actor, certificate_id, lock=True)
    if actor.role not in (COORDINATOR, ISSUER, RECEIVER):
        raise Forbidden("Administrators do not apply locks.")
    if actor.role == ISSUER:
        _authority(actor, certificate.project_id, "apply personal locks")
    cp = _entry(certificate, point_id)
    if not cp.isolated_at or cp.removed_at:
        raise Conflict(f"{cp.point.tag} is not isolated; a personal lock goes on an isolated point.",
                       code="INVALID_STATE")
    if any(lock.lock_number == body.lock_number and lock.removed_at is None for lock in cp.locks):
        raise Conflict(f"Lock {body.lock_number} is on this point already.", code="DUPLICATE_LOCK",
                       details=[field_error("lockNumber", "is on this point already")])
    db.session.add(PersonalLock(certificate_point_id=cp.id, worker_name=body.worker_name,
                                lock_number=body.lock_number, applied_by=actor.id, applied_at=clock.now()))
    return _finish(actor, certificate, "personal_lock_applied", cp, worker=body.worker_name,
                   lockNumber=body.lock_number)


def remove_lock(actor: Actor, certificate_id: uuid.UUID, point_id: uuid.UUID,
                lock_id: uuid.UUID) -> IsolationCertificate:
    certificate = _certificate(actor, certificate_id, lock=True)
    cp = _entry(certificate, point_id)
    lock = next((lk for lk in cp.locks if lk.id == lock_id), None)
    if lock is None:
        raise NotFound("No such lock on this point.")
    if lock.removed_at:
        raise Conflict("This lock is off already.", code="INVALID_STATE")
    if lock.applied_by != actor.id and actor.role != COORDINATOR:
        raise Forbidden("A personal lock comes off by whoever put it on (or a coordinator, by procedure).")
    lock.removed_by, lock.removed_at = actor.id, clock.now()
    return _finish(actor, certificate, "personal_lock_removed", cp, worker=lock.worker_name,
                   lockNumber=lock.lock_number)


def deisolate(actor: Actor, certificate_id: uuid.UUID, point_id: uuid.UUID) -> IsolationCertificate:
    certificate = _certificate(actor, certificate_id, lock=True)
    _authority(actor, certificate.project_id, "remove isolations")
    cp = _entry(certificate, point_id)
    if not cp.isolated_at or cp.removed_at:
        raise Conflict(f"{cp.point.tag} is not isolated.", code="INVALID_STATE")
    permits = _lock_permits(certificate)
    live = [p for p in permits if p.status not in WORK_OVER]
    if live:
        raise Conflict(f"{cp.point.tag} protects work still open: "
                       + ", ".join(f"{p.number or p.title} ({p.status})" for p in live)
                       + ". Energy comes back only when that work is over.", code="POINT_IN_USE",
                       details=[field_error("permits", p.number or str(p.id)) for p in live])
    on = [lk for lk in cp.locks if lk.removed_at is None]
    if on:
        raise Conflict("Personal locks are still on: " + ", ".join(f"{lk.worker_name} ({lk.lock_number})" for lk in on),
                       code="LOCKS_ON", details=[field_error("locks", lk.lock_number) for lk in on])
    cp.removed_by, cp.removed_at = actor.id, clock.now()
    return _finish(actor, certificate, "point_deisolated", cp, already_locked=permits)


def _finish(actor: Actor, certificate: IsolationCertificate, action: str, cp: CertificatePoint, *,
            already_locked: list[Permit] | None = None, **details: Any) -> IsolationCertificate:
    certificate.version += 1
    for permit in already_locked if already_locked is not None else _lock_permits(certificate):
        _record(permit, actor, action, certificate, point=cp.point.tag, **details)
    db.session.commit()
    return _certificate(actor, certificate.id)


def _lock_permits(certificate: IsolationCertificate) -> list[Permit]:
    """The permits it protects, locked in a fixed order (their audit chains take the entries)."""
    ids = sorted(link.permit_id for link in certificate.links)
    if not ids:
        return []
    return list(db.session.scalars(select(Permit).where(Permit.id.in_(ids)).order_by(Permit.id).with_for_update()))


def _record(permit: Permit, actor: Actor, action: str, certificate: IsolationCertificate, **details: Any) -> None:
    permit.version += 1
    audit.record(permit, action, actor_id=actor.id, actor_role=actor.role,
                 details={"certificateId": str(certificate.id), "certificate": certificate.title, **details})


# -- the lifecycle's guards ----------------------------------------------------------------------------
def _point_state(cp: CertificatePoint) -> str:
    if cp.removed_at:
        return "REMOVED"
    if cp.verified_at:
        return "VERIFIED"
    return "ISOLATED" if cp.isolated_at else "PLANNED"


def start_problems(permit: Permit) -> list[dict[str, str]]:
    """Why work may not start on this permit for its isolations: every point of every certificate linked to
    it isolated and verified, on approved certificates; at least one when its template requires isolation."""
    certificates = linked(permit.id)
    if not certificates and isolation_required(permit.template_version.read_schema()):
        return [field_error("isolation", "this permit's work needs an approved isolation certificate")]
    problems = []
    for certificate in certificates:
        if certificate.status != "APPROVED":
            problems.append(field_error("isolation", f"the certificate '{certificate.title}' is waiting for approval"))
        if not certificate.points:
            problems.append(field_error("isolation", f"the certificate '{certificate.title}' lists no point"))
        for cp in certificate.points:
            state = _point_state(cp)
            if state != "VERIFIED":
                what = {"PLANNED": "not isolated", "ISOLATED": "isolated but not verified",
                        "REMOVED": "no longer isolated"}[state]
                problems.append(field_error("isolation", f"{cp.point.tag} is {what}"))
    return problems


def close_problems(permit: Permit) -> list[dict[str, str]]:
    """Points this permit still holds: isolated, not removed, and protecting no other open permit."""
    problems = []
    for certificate in linked(permit.id):
        others = [link.permit_id for link in certificate.links if link.permit_id != permit.id]
        handed = bool(others) and db.session.scalar(
            select(Permit.id).where(Permit.id.in_(others), Permit.status.not_in(TERMINAL)).limit(1)) is not None
        if handed:
            continue
        for cp in certificate.points:
            if cp.isolated_at and not cp.removed_at:
                problems.append(field_error("isolation", f"{cp.point.tag} is still isolated: remove it, or hand the "
                                            "certificate to another open permit"))
    return problems


def snapshot(permit: Permit) -> list[dict[str, Any]]:
    """The state of the permit's isolations as one shift hands it to the next."""
    return [{"certificate": c.title, "status": c.status,
             "points": [{"tag": cp.point.tag, "state": _point_state(cp), "lockNumber": cp.lock_number,
                         "personalLocks": sum(1 for lk in cp.locks if lk.removed_at is None)} for cp in c.points]}
            for c in linked(permit.id)]


# -- answers -------------------------------------------------------------------------------------------
def _point_fields(point: IsolationPoint) -> dict[str, Any]:
    return {"tag": point.tag, "description": point.description, "equipment": point.equipment,
            "energyType": point.energy_type, "method": point.method, "verification": point.verification}


def point_out(point: IsolationPoint) -> dict[str, Any]:
    return {"id": str(point.id), "projectId": str(point.project_id), **_point_fields(point),
            "isActive": point.is_active}


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def certificate_out(certificate: IsolationCertificate) -> dict[str, Any]:
    people = {str(u) for cp in certificate.points
              for u in (cp.isolated_by, cp.verified_by, cp.removed_by) if u} | {str(certificate.prepared_by)}
    if certificate.approved_by:
        people.add(str(certificate.approved_by))
    names = directory().users(people)

    def who(user_id: uuid.UUID | None) -> dict[str, Any] | None:
        return {"id": str(user_id), "name": names.get(str(user_id), {}).get("name")} if user_id else None

    permits = {p.id: p for p in db.session.scalars(
        select(Permit).where(Permit.id.in_([link.permit_id for link in certificate.links])))}
    return {
        "id": str(certificate.id), "projectId": str(certificate.project_id), "title": certificate.title,
        "status": certificate.status, "version": certificate.version,
        "preparedBy": who(certificate.prepared_by), "preparedAt": _at(certificate.prepared_at),
        "approvedBy": who(certificate.approved_by), "approvedAt": _at(certificate.approved_at),
        "permits": [{"id": str(link.permit_id), "number": permits[link.permit_id].number,
                     "title": permits[link.permit_id].title, "status": permits[link.permit_id].status}
                    for link in certificate.links],
        "points": [{
            "pointId": str(cp.point_id), **_point_fields(cp.point), "state": _point_state(cp),
            "isolatedBy": who(cp.isolated_by), "isolatedAt": _at(cp.isolated_at), "lockNumber": cp.lock_number,
            "tagNumber": cp.tag_number, "verifiedBy": who(cp.verified_by), "verifiedAt": _at(cp.verified_at),
            "verificationNote": cp.verification_note, "removedBy": who(cp.removed_by), "removedAt": _at(cp.removed_at),
            "locks": [{"id": str(lk.id), "workerName": lk.worker_name, "lockNumber": lk.lock_number,
                       "appliedAt": _at(lk.applied_at), "removedAt": _at(lk.removed_at)} for lk in cp.locks],
        } for cp in certificate.points],
    }
