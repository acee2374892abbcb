"""/api/v1/competencies, /api/v1/competency-types and a permit's people: crew sign-on, the confined-space
roster, shift handovers, extensions and the fire watch (docs/domain.md, "Competencies" and "People on the
permit"). Every change answers with the permit's people as they now are."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common.errors import success
from permitto_common.idempotency import idempotent
from permitto_common.openapi import documented
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import competencies, crew, extending, fire_watch, handovers, people
from ..access import Actor
from ..schemas import (
    CompetencyBody,
    CompetencyOut,
    CompetencyQuery,
    CompetencyTypeBody,
    CompetencyTypeOut,
    CrewBody,
    EvidenceLink,
    EvidenceUploadBody,
    ExpiringQuery,
    ExtensionBody,
    FireWatchClearBody,
    HandoverBody,
    PeopleOut,
    PersonIn,
    PlanTicket,
    ReasonBody,
    RevokeBody,
    SignedBody,
)

bp = Blueprint("people", __name__, url_prefix="/api/v1")
PERMIT = "/permits/<uuid:permit_id>"
MEMBER = PERMIT + "/crew/<uuid:member_id>"
HANDOVER = PERMIT + "/handovers/<uuid:handover_id>"
EXTENSION = PERMIT + "/extensions/<uuid:extension_id>"


def _people(permit_id: uuid.UUID, status: int = 200) -> Response:
    return success(people.of(Actor.current(), permit_id), status=status)


# -- competencies --------------------------------------------------------------------------------------
@bp.get("/competency-types")
@documented("The kinds of competency templates may demand", response=list[CompetencyTypeOut])
@require_auth()
def list_types() -> Response:
    return success([competencies.type_out(t) for t in competencies.list_types()])


@bp.post("/competency-types")
@documented("Define a kind of competency (administrator)", body=CompetencyTypeBody, response=CompetencyTypeOut,
            status=201)
@require_auth()
@idempotent
def create_type() -> Response:
    return success(competencies.type_out(competencies.create_type(Actor.current(), parse_body(CompetencyTypeBody))),
                   status=201)


@bp.get("/competencies")
@documented("A person's competencies (your own; anyone's for coordinators and administrators)",
            query=CompetencyQuery, response=list[CompetencyOut])
@require_auth()
def list_competencies() -> Response:
    actor = Actor.current()
    query = parse_query(CompetencyQuery)
    return success(competencies.many_out(competencies.of_user(actor, query.user_id or actor.id)))


@bp.get("/competencies/expiring")
@documented("Competencies running out soon, soonest first (coordinators and administrators)", query=ExpiringQuery,
            response=list[CompetencyOut])
@require_auth()
def expiring() -> Response:
    return success(competencies.many_out(competencies.expiring(Actor.current(), days=parse_query(ExpiringQuery).days)))


@bp.post("/competencies")
@documented("Record a person's competency (coordinator, administrator)", body=CompetencyBody, response=CompetencyOut,
            status=201)
@require_auth()
@idempotent
def record() -> Response:
    held = competencies.record(Actor.current(), parse_body(CompetencyBody))
    return success(competencies.many_out([held])[0], status=201)


@bp.post("/competencies/evidence-upload")
@documented("A presigned URL to upload a competency's evidence (PDF, PNG or JPEG)", body=EvidenceUploadBody,
            response=PlanTicket, status=201)
@require_auth()
def evidence_upload() -> Response:
    return success(competencies.evidence_ticket(Actor.current(), parse_body(EvidenceUploadBody)), status=201)


@bp.get("/competencies/<uuid:competency_id>/evidence")
@documented("A short-lived link to a competency's evidence", response=EvidenceLink)
@require_auth()
def evidence(competency_id: uuid.UUID) -> Response:
    return success(competencies.evidence_link(Actor.current(), competency_id))


@bp.post("/competencies/<uuid:competency_id>/revoke")
@documented("Revoke a competency with a reason", body=RevokeBody, response=CompetencyOut)
@require_auth()
@idempotent
def revoke(competency_id: uuid.UUID) -> Response:
    held = competencies.revoke(Actor.current(), competency_id, parse_body(RevokeBody))
    return success(competencies.many_out([held])[0])


# -- a permit's people ---------------------------------------------------------------------------------
@bp.get(PERMIT + "/people")
@documented("Who is on the permit now: crew and roster, handovers, extensions, fire watch", response=PeopleOut)
@require_auth()
def permit_people(permit_id: uuid.UUID) -> Response:
    return _people(permit_id)


@bp.post(PERMIT + "/crew")
@documented("Sign a worker on: the permit's hazards acknowledged with a signature", body=CrewBody,
            response=PeopleOut, status=201)
@require_auth()
@idempotent
def sign_on(permit_id: uuid.UUID) -> Response:
    crew.sign_on(Actor.current(), permit_id, parse_body(CrewBody))
    return _people(permit_id, 201)


@bp.post(MEMBER + "/sign-off")
@documented("Sign a worker off", response=PeopleOut)
@require_auth()
@idempotent
def sign_off(permit_id: uuid.UUID, member_id: uuid.UUID) -> Response:
    crew.sign_off(Actor.current(), permit_id, member_id)
    return _people(permit_id)


@bp.post(MEMBER + "/enter")
@documented("Confined space: an entrant goes in (an attendant must be signed on)", response=PeopleOut)
@require_auth()
@idempotent
def enter(permit_id: uuid.UUID, member_id: uuid.UUID) -> Response:
    crew.enter(Actor.current(), permit_id, member_id)
    return _people(permit_id)


@bp.post(MEMBER + "/exit")
@documented("Confined space: an entrant comes out", response=PeopleOut)
@require_auth()
@idempotent
def exit_space(permit_id: uuid.UUID, member_id: uuid.UUID) -> Response:
    crew.exit_space(Actor.current(), permit_id, member_id)
    return _people(permit_id)


@bp.post(PERMIT + "/handovers")
@documented("Hand the permit to another receiver of the project (the holder signs)", body=HandoverBody,
            response=PeopleOut, status=201)
@require_auth()
@idempotent
def request_handover(permit_id: uuid.UUID) -> Response:
    handovers.request(Actor.current(), permit_id, parse_body(HandoverBody))
    return _people(permit_id, 201)


@bp.post(HANDOVER + "/accept")
@documented("Accept a handover (the incoming holder signs)", body=SignedBody, response=PeopleOut)
@require_auth()
@idempotent
def accept_handover(permit_id: uuid.UUID, handover_id: uuid.UUID) -> Response:
    handovers.accept(Actor.current(), permit_id, handover_id, parse_body(SignedBody))
    return _people(permit_id)


@bp.post(HANDOVER + "/acknowledge")
@documented("Acknowledge a handover (an issuer of the project): the incoming receiver holds the permit",
            response=PeopleOut)
@require_auth()
@idempotent
def acknowledge_handover(permit_id: uuid.UUID, handover_id: uuid.UUID) -> Response:
    handovers.acknowledge(Actor.current(), permit_id, handover_id)
    return _people(permit_id)


@bp.post(HANDOVER + "/cancel")
@documented("Withdraw (outgoing holder) or decline (incoming holder) an open handover", response=PeopleOut)
@require_auth()
@idempotent
def cancel_handover(permit_id: uuid.UUID, handover_id: uuid.UUID) -> Response:
    handovers.cancel(Actor.current(), permit_id, handover_id)
    return _people(permit_id)


@bp.post(PERMIT + "/extensions")
@documented("Ask for more time (the holder)", body=ExtensionBody, response=PeopleOut, status=201)
@require_auth()
@idempotent
def request_extension(permit_id: uuid.UUID) -> Response:
    extending.request(Actor.current(), permit_id, parse_body(ExtensionBody))
    return _people(permit_id, 201)


@bp.post(EXTENSION + "/approve")
@documented("Approve an extension (an issuer, then a coordinator)", response=PeopleOut)
@require_auth()
@idempotent
def approve_extension(permit_id: uuid.UUID, extension_id: uuid.UUID) -> Response:
    extending.approve(Actor.current(), permit_id, extension_id)
    return _people(permit_id)


@bp.post(EXTENSION + "/refuse")
@documented("Refuse an extension with a reason", body=ReasonBody, response=PeopleOut)
@require_auth()
@idempotent
def refuse_extension(permit_id: uuid.UUID, extension_id: uuid.UUID) -> Response:
    extending.refuse(Actor.current(), permit_id, extension_id, parse_body(ReasonBody))
    return _people(permit_id)


@bp.post(EXTENSION + "/withdraw")
@documented("Withdraw your extension request", response=PeopleOut)
@require_auth()
@idempotent
def withdraw_extension(permit_id: uuid.UUID, extension_id: uuid.UUID) -> Response:
    extending.withdraw(Actor.current(), permit_id, extension_id)
    return _people(permit_id)


@bp.post(PERMIT + "/fire-watch")
@documented("Name the fire watch of expired hot work (the hold starts now)", body=PersonIn, response=PeopleOut)
@require_auth()
@idempotent
def name_fire_watch(permit_id: uuid.UUID) -> Response:
    fire_watch.name(Actor.current(), permit_id, parse_body(PersonIn))
    return _people(permit_id)


@bp.post(PERMIT + "/fire-watch/clear")
@documented("The fire watch signs the area clear, once the watch has run its time", body=FireWatchClearBody,
            response=PeopleOut)
@require_auth()
@idempotent
def clear_fire_watch(permit_id: uuid.UUID) -> Response:
    fire_watch.clear(Actor.current(), permit_id, parse_body(FireWatchClearBody))
    return _people(permit_id)
