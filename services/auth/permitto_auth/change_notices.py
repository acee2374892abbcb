"""Every committed change to what other services copy from auth (a user's role, state or name, a
project, an assignment) is announced on the directory channel, so that their copies go at once.

Hooked on the session, not written at each call site: a new way of changing a membership cannot
forget to announce it."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from permitto_common.cache import DIRECTORY_CHANNEL, publish_change
from permitto_common.redis_conn import get_redis

from .extensions import db
from .models import Project, ProjectAssignment, User

COPIED_USER_FIELDS = ("role", "is_active", "name", "email")
_FLAG = "permitto.directory_changed"


def _copied_change(obj: Any) -> bool:
    if isinstance(obj, Project | ProjectAssignment):
        return True
    if isinstance(obj, User):
        state: Any = inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in COPIED_USER_FIELDS)
    return False


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    if any(_copied_change(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_FLAG] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        publish_change(get_redis(), DIRECTORY_CHANNEL)  # commits run inside the app's context


def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


def init_change_notices(app: Flask) -> None:
    factory = db.session.session_factory  # the sessionmaker behind the scoped session, one per process
    for name, listener in (("before_flush", _before_flush), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not event.contains(factory, name, listener):
            event.listen(factory, name, listener)
