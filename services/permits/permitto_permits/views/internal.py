"""/internal: what other services ask about permits. Never routed by the gateway."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from permitto_common.errors import NotFound, ValidationFailed, field_error, success
from permitto_common.security import require_internal

from ..access import Actor, visibility_filter
from ..extensions import db
from ..models import Permit

bp = Blueprint("internal", __name__, url_prefix="/internal")


@bp.post("/sweeps")
@require_internal
def run_sweeps() -> Response:
    """Run the scheduler's sweeps now (operators, and tests that move the clock)."""
    from .. import jobs

    return success(jobs.run_sweeps())


@bp.get("/permits/<uuid:permit_id>/access")
@require_internal
def access(permit_id: uuid.UUID) -> Response:
    """Whether a user (id and role from a token the caller verified) may see the permit, and its state."""
    try:
        actor = Actor(uuid.UUID(request.args.get("userId", "")), request.args.get("role", ""))
    except ValueError:
        raise ValidationFailed([field_error("userId", "a user id")]) from None
    permit = db.session.get(Permit, permit_id)
    if permit is None:
        raise NotFound("No such permit.")
    visible = db.session.scalar(visibility_filter(actor, db.select(Permit.id).where(Permit.id == permit_id)))
    return success({"visible": visible is not None, "status": permit.status, "number": permit.number,
                    "requesterId": str(permit.requester_id), "projectId": str(permit.project_id)})
