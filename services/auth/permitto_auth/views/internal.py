"""/internal: what other services ask about users and projects. Never routed by the gateway."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request
from sqlalchemy import select

from permitto_common.errors import NotFound, ValidationFailed, field_error, success
from permitto_common.security import require_internal
from permitto_common.validation import parse_body

from ..directory import project_members
from ..extensions import db
from ..models import Project, ProjectAssignment, User
from ..schemas import SessionCheckBody, project_out
from ..sessions import check_session as session_check

bp = Blueprint("internal", __name__, url_prefix="/internal")


def _user(user: User) -> dict[str, object]:
    return {"id": str(user.id), "name": user.name, "email": user.email, "role": user.role, "isActive": user.is_active}


@bp.get("/users/<uuid:user_id>")
@require_internal
def user_by_id(user_id: uuid.UUID) -> Response:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return success(_user(user))


@bp.get("/users")
@require_internal
def users_by_ids() -> Response:
    """Users by ids (ids=a,b,c), or every active user of a role (role=COORDINATOR)."""
    role = request.args.get("role")
    if role:
        users = db.session.scalars(select(User).where(User.role == role, User.is_active.is_(True))
                                   .order_by(User.name)).all()
        return success([_user(user) for user in users])
    try:
        ids = [uuid.UUID(raw) for raw in request.args.get("ids", "").split(",") if raw]
    except ValueError:
        raise ValidationFailed([field_error("ids", "comma-separated user ids")]) from None
    if len(ids) > 200:
        raise ValidationFailed([field_error("ids", "at most 200 ids")])
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    return success([_user(user) for user in users])


@bp.get("/users/<uuid:user_id>/project-ids")
@require_internal
def user_project_ids(user_id: uuid.UUID) -> Response:
    ids = db.session.scalars(select(ProjectAssignment.project_id).where(ProjectAssignment.user_id == user_id))
    return success([str(project_id) for project_id in ids])


@bp.get("/projects/<uuid:project_id>")
@require_internal
def project_by_id(project_id: uuid.UUID) -> Response:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("No such project.")
    return success(project_out(project))


@bp.get("/projects/<uuid:project_id>/users")
@require_internal
def project_users(project_id: uuid.UUID) -> Response:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("No such project.")
    role = request.args.get("role")
    return success([_user(user) for user, _ in project_members(project, role) if user.is_active])


@bp.post("/sessions/check")
@require_internal
def check_session() -> Response:
    """Other services ask this while Redis (the deny list's copy) is unreachable or emptied."""
    body = parse_body(SessionCheckBody)
    return success({"active": session_check(body.user_id, body.session_id)})
