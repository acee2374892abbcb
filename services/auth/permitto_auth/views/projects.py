"""/api/v1/projects: create, list, get, update, members, assignments."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common import security as roles
from permitto_common.errors import success
from permitto_common.openapi import documented
from permitto_common.pagination import page_meta
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import access, directory
from ..schemas import (
    AssignBody,
    AssignmentOut,
    CreateProjectBody,
    MemberOut,
    ProjectOut,
    ProjectQuery,
    UpdateProjectBody,
    project_out,
    user_out,
)
from . import actor

bp = Blueprint("projects", __name__, url_prefix="/api/v1/projects")


@bp.get("")
@documented("List projects I may see", query=ProjectQuery, response=list[ProjectOut], paginated=True)
@require_auth()
def list_projects() -> Response:
    query = parse_query(ProjectQuery)
    rows, total = directory.list_projects(actor(), query, query.active)
    return success([project_out(p) for p in rows], meta=page_meta(query, total))


@bp.post("")
@documented("Create a project", body=CreateProjectBody, response=ProjectOut, status=201)
@require_auth(roles.ADMIN)
def create_project() -> Response:
    return success(project_out(directory.create_project(actor(), parse_body(CreateProjectBody))), status=201)


@bp.get("/<uuid:project_id>")
@documented("A project", response=ProjectOut)
@require_auth()
def get_project(project_id: uuid.UUID) -> Response:
    return success(project_out(access.visible_project(actor(), project_id)))


@bp.patch("/<uuid:project_id>")
@documented("Change a project", body=UpdateProjectBody, response=ProjectOut)
@require_auth(roles.ADMIN)
def update_project(project_id: uuid.UUID) -> Response:
    me = actor()
    body = parse_body(UpdateProjectBody)
    return success(project_out(directory.update_project(me, access.visible_project(me, project_id), body)))


@bp.get("/<uuid:project_id>/users")
@documented("The members of a project", response=list[MemberOut])
@require_auth()
def project_users(project_id: uuid.UUID) -> Response:
    project = access.visible_project(actor(), project_id)
    members: list[MemberOut] = [
        {**user_out(user), "assignedAt": a.assigned_at.isoformat(),
         "assignedBy": str(a.assigned_by) if a.assigned_by else None}
        for user, a in directory.project_members(project)
    ]
    return success(members)


@bp.post("/<uuid:project_id>/users")
@documented("Assign a user to a project", body=AssignBody, response=AssignmentOut, status=201)
@require_auth(roles.ADMIN, roles.COORDINATOR, roles.ISSUER)
def assign_user(project_id: uuid.UUID) -> Response:
    me = actor()
    body = parse_body(AssignBody)
    assignment = directory.assign(me, access.visible_project(me, project_id), body.user_id)
    answer: AssignmentOut = {"projectId": str(assignment.project_id), "userId": str(assignment.user_id),
                             "assignedBy": str(assignment.assigned_by) if assignment.assigned_by else None,
                             "assignedAt": assignment.assigned_at.isoformat()}
    return success(answer, status=201)


@bp.delete("/<uuid:project_id>/users/<uuid:user_id>")
@documented("Remove a user from a project", response=AssignmentOut)
@require_auth(roles.ADMIN, roles.COORDINATOR, roles.ISSUER)
def unassign_user(project_id: uuid.UUID, user_id: uuid.UUID) -> Response:
    me = actor()
    directory.unassign(me, access.visible_project(me, project_id), user_id)
    answer: AssignmentOut = {"projectId": str(project_id), "userId": str(user_id), "assigned": False}
    return success(answer)
