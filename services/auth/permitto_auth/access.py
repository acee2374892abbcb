"""Who may do what to whom: the permission matrix of docs/domain.md, "Roles" for accounts and projects."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from permitto_common.errors import Forbidden, NotFound
from permitto_common.security import ADMIN, COORDINATOR, ISSUER, RECEIVER

from .extensions import db
from .models import Project, ProjectAssignment, User

SEES_EVERYTHING = (ADMIN, COORDINATOR)

# Which roles each role may create (invite).
CAN_CREATE: dict[str, frozenset[str]] = {
    ADMIN: frozenset({ADMIN, COORDINATOR, ISSUER, RECEIVER}),
    COORDINATOR: frozenset({ISSUER, RECEIVER}),
    ISSUER: frozenset({RECEIVER}),
    RECEIVER: frozenset(),
}


def project_ids_of(user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = db.session.scalars(select(ProjectAssignment.project_id).where(ProjectAssignment.user_id == user_id))
    return set(rows)


def can_see_project(actor: User, project: Project) -> bool:
    return actor.role in SEES_EVERYTHING or project.id in project_ids_of(actor.id)


def visible_project(actor: User, project_id: uuid.UUID) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not can_see_project(actor, project):
        raise NotFound("No such project.")  # existence of others' projects does not leak
    return project


def can_see_user(actor: User, target: User) -> bool:
    if actor.role in SEES_EVERYTHING or actor.id == target.id:
        return True
    if actor.role == ISSUER:
        # An issuer finds receivers to assign, and sees the people on his projects.
        return target.role == RECEIVER or bool(project_ids_of(actor.id) & project_ids_of(target.id))
    return False


def visible_user(actor: User, user_id: uuid.UUID) -> User:
    target = db.session.get(User, user_id)
    if target is None or not can_see_user(actor, target):
        raise NotFound("No such user.")
    return target


def require_can_create(actor: User, role: str) -> None:
    if role not in CAN_CREATE[actor.role]:
        raise Forbidden(f"A {actor.role} cannot create a {role}.")


def require_can_manage(actor: User, target: User) -> None:
    """Deactivate or edit another account: admins anyone, coordinators issuers and receivers."""
    if actor.role == ADMIN:
        return
    if actor.role == COORDINATOR and target.role in (ISSUER, RECEIVER):
        return
    raise Forbidden("Your role does not allow changing this account.")


def require_can_assign(actor: User, project: Project, target: User) -> None:
    if actor.role in SEES_EVERYTHING:
        return
    if actor.role == ISSUER and target.role == RECEIVER and project.id in project_ids_of(actor.id):
        return
    if actor.role == ISSUER:
        raise Forbidden("An issuer assigns receivers only, and only to his own projects.")
    raise Forbidden("Your role does not allow assigning users to projects.")
