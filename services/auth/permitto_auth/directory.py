"""Users and projects: creation within the matrix, listing what the caller may see, assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from permitto_common import security as roles
from permitto_common.errors import Conflict, Forbidden, ValidationFailed, field_error
from permitto_common.pagination import PageQuery

from . import access, audit
from .accounts import find_by_email, issue_password_token
from .extensions import db
from .models import Project, ProjectAssignment, User
from .schemas import CreateProjectBody, CreateUserBody, UpdateProjectBody, UpdateUserBody, UserQuery
from .sessions import revoke_all_sessions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_users(actor: User, query: UserQuery) -> tuple[Sequence[User], int]:
    stmt = select(User)
    if actor.role == roles.ISSUER:
        mine = select(ProjectAssignment.project_id).where(ProjectAssignment.user_id == actor.id)
        shares = exists().where(ProjectAssignment.user_id == User.id, ProjectAssignment.project_id.in_(mine))
        stmt = stmt.where(or_(User.id == actor.id, User.role == roles.RECEIVER, shares))
    elif actor.role == roles.RECEIVER:
        stmt = stmt.where(User.id == actor.id)
    if query.role:
        stmt = stmt.where(User.role == query.role)
    if query.active is not None:
        stmt = stmt.where(User.is_active.is_(query.active))
    if query.project_id:
        stmt = stmt.where(exists().where(ProjectAssignment.user_id == User.id,
                                         ProjectAssignment.project_id == query.project_id))
    if query.q:
        pattern = f"%{_escape_like(query.q.lower())}%"
        stmt = stmt.where(or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(User.name, User.id).limit(query.limit).offset(query.offset)).all()
    return rows, total


def create_user(actor: User, body: CreateUserBody) -> User:
    access.require_can_create(actor, body.role)
    if find_by_email(body.email) is not None:
        raise Conflict("A user with this email exists already.", details=[field_error("email", "already in use")])
    projects = [access.visible_project(actor, project_id) for project_id in dict.fromkeys(body.project_ids)]
    user = User(email=body.email, name=body.name, role=body.role, created_by=actor.id)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A user with this email exists already.",
                       details=[field_error("email", "already in use")]) from None
    for project in projects:
        access.require_can_assign(actor, project, user)
        db.session.add(ProjectAssignment(project_id=project.id, user_id=user.id, assigned_by=actor.id))
        audit.record("PROJECT_ASSIGNED", actor_id=actor.id, target_user_id=user.id, target_project_id=project.id)
    issue_password_token(user, "INVITE")
    audit.record("USER_CREATED", actor_id=actor.id, target_user_id=user.id, role=user.role, email=user.email)
    db.session.commit()
    return user


def update_user(actor: User, target: User, body: UpdateUserBody) -> User:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise ValidationFailed([field_error("body", "Nothing to change.")])
    self_edit = actor.id == target.id
    if set(changes) - {"name"} or not self_edit:
        access.require_can_manage(actor, target)
    if "role" in changes and actor.role != roles.ADMIN:
        raise Forbidden("Only an administrator changes a role.")
    if self_edit and ("role" in changes or changes.get("is_active") is False):
        raise Forbidden("You cannot change your own role or deactivate yourself.")
    new_email = changes.get("email")
    if new_email and new_email.lower() != target.email.lower() and find_by_email(new_email) is not None:
        raise Conflict("A user with this email exists already.", details=[field_error("email", "already in use")])
    before = {key: getattr(target, key) for key in changes}
    for key, value in changes.items():
        setattr(target, key, value)
    role_changed = "role" in changes and changes["role"] != before["role"]
    deactivated = changes.get("is_active") is False and before["is_active"] is True
    if role_changed or deactivated:
        revoke_all_sessions(target.id, reason="role_changed" if role_changed else "deactivated")
    audit.record("USER_UPDATED", actor_id=actor.id, target_user_id=target.id,
                 changes={key: {"from": str(before[key]), "to": str(value)} for key, value in changes.items()})
    db.session.commit()
    return target


def deactivate_user(actor: User, target: User) -> User:
    access.require_can_manage(actor, target)
    if actor.id == target.id:
        raise Forbidden("You cannot deactivate yourself.")
    if target.is_active:
        target.is_active = False
        revoke_all_sessions(target.id, reason="deactivated")
        audit.record("USER_DEACTIVATED", actor_id=actor.id, target_user_id=target.id)
        db.session.commit()
    return target


def list_projects(actor: User, query: PageQuery, active: bool | None) -> tuple[Sequence[Project], int]:
    stmt = select(Project)
    if actor.role not in access.SEES_EVERYTHING:
        stmt = stmt.where(Project.id.in_(
            select(ProjectAssignment.project_id).where(ProjectAssignment.user_id == actor.id)))
    if active is not None:
        stmt = stmt.where(Project.is_active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Project.code).limit(query.limit).offset(query.offset)).all()
    return rows, total


def create_project(actor: User, body: CreateProjectBody) -> Project:
    if actor.role != roles.ADMIN:
        raise Forbidden("Only an administrator creates projects.")
    if db.session.scalar(select(Project).where(Project.code == body.code)) is not None:
        raise Conflict("A project with this code exists already.", details=[field_error("code", "already in use")])
    project = Project(code=body.code, name=body.name, timezone=body.timezone, is_active=body.is_active,
                      first_day_grace_minutes=body.first_day_grace_minutes)
    db.session.add(project)
    db.session.flush()
    audit.record("PROJECT_CREATED", actor_id=actor.id, target_project_id=project.id, code=project.code)
    db.session.commit()
    return project


def update_project(actor: User, project: Project, body: UpdateProjectBody) -> Project:
    if actor.role != roles.ADMIN:
        raise Forbidden("Only an administrator changes projects.")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise ValidationFailed([field_error("body", "Nothing to change.")])
    before = {key: getattr(project, key) for key in changes}
    for key, value in changes.items():
        setattr(project, key, value)
    audit.record("PROJECT_UPDATED", actor_id=actor.id, target_project_id=project.id,
                 changes={key: {"from": str(before[key]), "to": str(value)} for key, value in changes.items()})
    db.session.commit()
    return project


def assign(actor: User, project: Project, user_id: uuid.UUID) -> ProjectAssignment:
    target = access.visible_user(actor, user_id)
    access.require_can_assign(actor, project, target)
    if not target.is_active:
        raise Conflict("A deactivated user cannot be assigned.")
    existing = db.session.get(ProjectAssignment, (project.id, target.id))
    if existing is not None:
        return existing
    assignment = ProjectAssignment(project_id=project.id, user_id=target.id, assigned_by=actor.id)
    db.session.add(assignment)
    audit.record("PROJECT_ASSIGNED", actor_id=actor.id, target_user_id=target.id, target_project_id=project.id)
    db.session.commit()
    return assignment


def unassign(actor: User, project: Project, user_id: uuid.UUID) -> None:
    target = access.visible_user(actor, user_id)
    access.require_can_assign(actor, project, target)
    existing = db.session.get(ProjectAssignment, (project.id, target.id))
    if existing is None:
        return
    db.session.delete(existing)
    audit.record("PROJECT_UNASSIGNED", actor_id=actor.id, target_user_id=target.id, target_project_id=project.id)
    db.session.commit()


def project_members(project: Project, role: str | None = None) -> Sequence[tuple[User, ProjectAssignment]]:
    stmt = (select(User, ProjectAssignment).join(ProjectAssignment, ProjectAssignment.user_id == User.id)
            .where(ProjectAssignment.project_id == project.id).order_by(User.name))
    if role:
        stmt = stmt.where(User.role == role)
    return [(user, assignment) for user, assignment in db.session.execute(stmt).all()]


def projects_of(user: User) -> Sequence[Project]:
    return db.session.scalars(
        select(Project).join(ProjectAssignment, ProjectAssignment.project_id == Project.id)
        .where(ProjectAssignment.user_id == user.id).order_by(Project.code)
    ).all()
