"""/api/v1/permits: drafts, the lifecycle verbs, listing, pending actions, timeline and chain check."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from permitto_common.errors import success
from permitto_common.idempotency import idempotent
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import audit, lifecycle
from ..lifecycle import Actor
from ..models import Permit
from ..schemas import (
    ApproveBody,
    CancelBody,
    CreatePermitBody,
    PermitQuery,
    ReasonBody,
    UpdatePermitBody,
    ValidateBody,
    permit_out,
)
from ..state_machine import verbs_from

bp = Blueprint("permits", __name__, url_prefix="/api/v1/permits")


def _one(permit: Permit, actor: Actor, status: int = 200) -> Response:
    data = permit_out(permit)
    data["allowedActions"] = verbs_from(permit.status, actor.role)
    response = success(data, status=status)
    response.headers["ETag"] = f'"{permit.version}"'
    return response


@bp.get("")
@require_auth()
def list_permits() -> Response:
    query = parse_query(PermitQuery)
    rows, cursor, total, capped = lifecycle.list_permits(Actor.current(), query)
    return success([permit_out(p, full=False) for p in rows],
                   meta={"limit": query.limit, "nextCursor": cursor, "total": total, "totalIsCapped": capped})


@bp.post("")
@require_auth()
@idempotent
def create_permit() -> Response:
    actor = Actor.current()
    return _one(lifecycle.create_permit(actor, parse_body(CreatePermitBody)), actor, status=201)


@bp.get("/pending-actions")
@require_auth()
def pending_actions() -> Response:
    result = lifecycle.pending_actions(Actor.current())
    return success({"count": result["count"], "permits": [permit_out(p, full=False) for p in result["permits"]]})


@bp.get("/<uuid:permit_id>")
@require_auth()
def get_permit(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    return _one(lifecycle.visible_permit(actor, permit_id), actor)


@bp.patch("/<uuid:permit_id>")
@require_auth()
@idempotent
def update_permit(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    body = parse_body(UpdatePermitBody)
    return _one(lifecycle.update_draft(actor, permit_id, body, request.headers.get("If-Match")), actor)


@bp.post("/<uuid:permit_id>/validate")
@require_auth()
def validate(permit_id: uuid.UUID) -> Response:
    body = parse_body(ValidateBody)
    return success(lifecycle.check_sections(Actor.current(), permit_id, body.sections))


@bp.post("/<uuid:permit_id>/submit")
@require_auth()
@idempotent
def submit(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    return _one(lifecycle.transition(actor, permit_id, "submit"), actor)


@bp.post("/<uuid:permit_id>/approve")
@require_auth()
@idempotent
def approve(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    body = parse_body(ApproveBody)
    return _one(lifecycle.transition(actor, permit_id, "approve", signature_b64=body.signature.image_base64,
                                     signature_id=body.signature.signature_id, comment=body.comment), actor)


@bp.post("/<uuid:permit_id>/reject")
@require_auth()
@idempotent
def reject(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    body = parse_body(ReasonBody)
    return _one(lifecycle.transition(actor, permit_id, "reject", reason=body.reason), actor)


@bp.post("/<uuid:permit_id>/revise")
@require_auth()
@idempotent
def revise(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    return _one(lifecycle.transition(actor, permit_id, "revise"), actor)


@bp.post("/<uuid:permit_id>/cancel")
@require_auth()
@idempotent
def cancel(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    body = parse_body(CancelBody)
    return _one(lifecycle.transition(actor, permit_id, "cancel", reason=body.reason), actor)


@bp.get("/<uuid:permit_id>/timeline")
@require_auth()
def timeline(permit_id: uuid.UUID) -> Response:
    return success(lifecycle.timeline(Actor.current(), permit_id))


@bp.get("/<uuid:permit_id>/audit/verify")
@require_auth()
def verify_audit(permit_id: uuid.UUID) -> Response:
    permit = lifecycle.visible_permit(Actor.current(), permit_id)
    return success(audit.verify_chain(permit.id))
