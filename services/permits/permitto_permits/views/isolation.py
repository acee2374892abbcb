"""/api/v1/isolation-points, /api/v1/isolation-certificates and a permit's isolations and gas readings
(docs/domain.md, "Isolations" and "Gas testing")."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common.errors import success
from permitto_common.idempotency import idempotent
from permitto_common.openapi import documented
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import gas, isolation
from ..access import Actor
from ..directory import directory
from ..schemas import (
    CertificateBody,
    CertificateOut,
    CertificatePointsBody,
    IsolateBody,
    LinkBody,
    LockBody,
    PointBody,
    PointOut,
    PointPatch,
    PointQuery,
    ReadingBody,
    ReadingOut,
    VerifyBody,
)

bp = Blueprint("isolation", __name__, url_prefix="/api/v1")
CERT = "/isolation-certificates/<uuid:certificate_id>"
POINT = CERT + "/points/<uuid:point_id>"


def _certificate(certificate: object, status: int = 200) -> Response:
    return success(isolation.certificate_out(certificate), status=status)  # type: ignore[arg-type]


@bp.get("/isolation-points")
@documented("A project's library of isolation points", query=PointQuery, response=list[PointOut])
@require_auth()
def list_points() -> Response:
    query = parse_query(PointQuery)
    points = isolation.list_points(Actor.current(), query.project_id, include_inactive=query.include_inactive)
    return success([isolation.point_out(p) for p in points])


@bp.post("/isolation-points")
@documented("Add a point to a project's library (issuer of the project, coordinator)", body=PointBody,
            response=PointOut, status=201)
@require_auth()
@idempotent
def create_point() -> Response:
    return success(isolation.point_out(isolation.create_point(Actor.current(), parse_body(PointBody))), status=201)


@bp.patch("/isolation-points/<uuid:point_id>")
@documented("Change or retire a library point", body=PointPatch, response=PointOut)
@require_auth()
def update_point(point_id: uuid.UUID) -> Response:
    return success(isolation.point_out(isolation.update_point(Actor.current(), point_id, parse_body(PointPatch))))


@bp.post("/isolation-certificates")
@documented("Prepare an isolation certificate: the points a job needs, and the permits it protects",
            body=CertificateBody, response=CertificateOut, status=201)
@require_auth()
@idempotent
def create_certificate() -> Response:
    return _certificate(isolation.create_certificate(Actor.current(), parse_body(CertificateBody)), 201)


@bp.get(CERT)
@documented("An isolation certificate with the record of each point", response=CertificateOut)
@require_auth()
def get_certificate(certificate_id: uuid.UUID) -> Response:
    return _certificate(isolation.get_certificate(Actor.current(), certificate_id))


@bp.put(CERT + "/points")
@documented("Change the points (an approved certificate goes back for approval)", body=CertificatePointsBody,
            response=CertificateOut)
@require_auth()
@idempotent
def change_points(certificate_id: uuid.UUID) -> Response:
    return _certificate(isolation.change_points(Actor.current(), certificate_id, parse_body(CertificatePointsBody)))


@bp.post(CERT + "/approve")
@documented("Approve a certificate (not by who prepared it)", response=CertificateOut)
@require_auth()
@idempotent
def approve(certificate_id: uuid.UUID) -> Response:
    return _certificate(isolation.approve(Actor.current(), certificate_id))


@bp.post(CERT + "/permits")
@documented("Let the certificate protect another permit (how points are handed over)", body=LinkBody,
            response=CertificateOut)
@require_auth()
@idempotent
def link_permit(certificate_id: uuid.UUID) -> Response:
    return _certificate(isolation.link_permit(Actor.current(), certificate_id, parse_body(LinkBody).permit_id))


@bp.post(POINT + "/isolate")
@documented("Record a point isolated, with its lock and tag numbers", body=IsolateBody, response=CertificateOut)
@require_auth()
@idempotent
def isolate(certificate_id: uuid.UUID, point_id: uuid.UUID) -> Response:
    return _certificate(isolation.isolate(Actor.current(), certificate_id, point_id, parse_body(IsolateBody)))


@bp.post(POINT + "/verify")
@documented("Verify an isolation by try / test (not by who isolated it)", body=VerifyBody, response=CertificateOut)
@require_auth()
@idempotent
def verify(certificate_id: uuid.UUID, point_id: uuid.UUID) -> Response:
    return _certificate(isolation.verify(Actor.current(), certificate_id, point_id, parse_body(VerifyBody)))


@bp.post(POINT + "/locks")
@documented("Put a worker's personal lock on an isolated point (group lockout)", body=LockBody,
            response=CertificateOut)
@require_auth()
@idempotent
def apply_lock(certificate_id: uuid.UUID, point_id: uuid.UUID) -> Response:
    return _certificate(isolation.apply_lock(Actor.current(), certificate_id, point_id, parse_body(LockBody)))


@bp.post(POINT + "/locks/<uuid:lock_id>/remove")
@documented("Take a personal lock off", response=CertificateOut)
@require_auth()
@idempotent
def remove_lock(certificate_id: uuid.UUID, point_id: uuid.UUID, lock_id: uuid.UUID) -> Response:
    return _certificate(isolation.remove_lock(Actor.current(), certificate_id, point_id, lock_id))


@bp.post(POINT + "/deisolate")
@documented("Remove an isolation (only when the work it protects is over)", response=CertificateOut)
@require_auth()
@idempotent
def deisolate(certificate_id: uuid.UUID, point_id: uuid.UUID) -> Response:
    return _certificate(isolation.deisolate(Actor.current(), certificate_id, point_id))


@bp.get("/permits/<uuid:permit_id>/isolations")
@documented("The isolation certificates protecting a permit", response=list[CertificateOut])
@require_auth()
def permit_isolations(permit_id: uuid.UUID) -> Response:
    return success([isolation.certificate_out(c) for c in isolation.certificates_of(Actor.current(), permit_id)])


@bp.get("/permits/<uuid:permit_id>/gas-readings")
@documented("A permit's gas tests, oldest first", response=list[ReadingOut])
@require_auth()
def list_readings(permit_id: uuid.UUID) -> Response:
    rows = gas.readings(Actor.current(), permit_id)
    names = directory().users({str(r.tester_id) for r in rows})
    return success([gas.reading_out(r, names) for r in rows])


@bp.post("/permits/<uuid:permit_id>/gas-readings")
@documented("Record a gas test (a failing one suspends an active permit at once)", body=ReadingBody,
            response=ReadingOut, status=201)
@require_auth()
@idempotent
def record_reading(permit_id: uuid.UUID) -> Response:
    reading = gas.record(Actor.current(), permit_id, parse_body(ReadingBody))
    return success(gas.reading_out(reading, directory().users({str(reading.tester_id)})), status=201)
