"""HTTP views of the auth service: thin, each parses input, calls one service function, shapes output."""

from __future__ import annotations

from flask import Flask

from permitto_common.security import current_identity

from ..accounts import user_or_401
from ..models import User


def actor() -> User:
    """The active user behind the verified access token."""
    return user_or_401(current_identity().user_id)


def register_views(app: Flask) -> None:
    from .auth import bp as auth_bp
    from .internal import bp as internal_bp
    from .projects import bp as projects_bp
    from .users import bp as users_bp

    for bp in (auth_bp, users_bp, projects_bp, internal_bp):
        app.register_blueprint(bp)
