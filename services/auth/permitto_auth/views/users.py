"""/api/v1/users: invite, list, get, update, deactivate, and a user's projects."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common import security as roles
from permitto_common.errors import Forbidden, success
from permitto_common.openapi import documented
from permitto_common.pagination import page_meta
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import access, directory
from ..schemas import CreateUserBody, ProjectOut, UpdateUserBody, UserOut, UserQuery, project_out, user_out
from . import actor

bp = Blueprint("users", __name__, url_prefix="/api/v1/users")


@bp.get("")
@documented("List users I may see", query=UserQuery, response=list[UserOut], paginated=True)
@require_auth(roles.ADMIN, roles.COORDINATOR, roles.ISSUER)
def list_users() -> Response:
    query = parse_query(UserQuery)
    rows, total = directory.list_users(actor(), query)
    return success([user_out(user) for user in rows], meta=page_meta(query, total))


@bp.post("")
@documented("Invite a user (an email with a link to set a password)", body=CreateUserBody, response=UserOut, status=201)
@require_auth(roles.ADMIN, roles.COORDINATOR, roles.ISSUER)
def create_user() -> Response:
    user = directory.create_user(actor(), parse_body(CreateUserBody))
    return success(user_out(user), status=201)


@bp.get("/<uuid:user_id>")
@documented("A user", response=UserOut)
@require_auth()
def get_user(user_id: uuid.UUID) -> Response:
    return success(user_out(access.visible_user(actor(), user_id)))


@bp.patch("/<uuid:user_id>")
@documented("Change a user (name, email, role, active)", body=UpdateUserBody, response=UserOut)
@require_auth()
def update_user(user_id: uuid.UUID) -> Response:
    me = actor()
    body = parse_body(UpdateUserBody)
    target = access.visible_user(me, user_id)
    return success(user_out(directory.update_user(me, target, body)))


@bp.delete("/<uuid:user_id>")
@documented("Deactivate a user: every session ends at once", response=UserOut)
@require_auth(roles.ADMIN, roles.COORDINATOR)
def deactivate_user(user_id: uuid.UUID) -> Response:
    me = actor()
    return success(user_out(directory.deactivate_user(me, access.visible_user(me, user_id))))


@bp.get("/<uuid:user_id>/projects")
@documented("The projects of a user", response=list[ProjectOut])
@require_auth()
def user_projects(user_id: uuid.UUID) -> Response:
    me = actor()
    target = access.visible_user(me, user_id)
    projects = [p for p in directory.projects_of(target) if access.can_see_project(me, p)]
    if me.role == roles.RECEIVER and target.id != me.id:
        raise Forbidden("You can only list your own projects.")
    return success([project_out(p) for p in projects])
