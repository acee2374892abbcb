"""Application factory of the auth service."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from permitto_common.app_factory import create_base_app
from permitto_common.openapi import openapi_blueprint
from permitto_common.security import set_session_fallback

from . import (
    models,  # noqa: F401  (registers the tables for migrations)
    passwords,
)
from .change_notices import init_change_notices
from .commands import register_commands
from .config import Settings
from .extensions import db, jwt, migrate
from .sessions import check_session
from .views import register_views

log = logging.getLogger(__name__)
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    passwords.use(settings.password_hashing)
    app = create_base_app(
        __name__,
        settings.common,
        db=db,
        migrate=migrate,
        migrations_dir=MIGRATIONS,
        jwt=jwt,
        jwt_private_key=settings.jwt_private_key,
        config=test_config,
    )
    if settings.password_hashing != passwords.STANDARD:
        log.warning("passwords are hashed with the %s profile: for the test suite's systems only",
                    settings.password_hashing)
    init_change_notices(app)
    register_commands(app)
    register_views(app)
    app.register_blueprint(openapi_blueprint("Permitto auth", "Accounts, sessions, users and projects."))
    set_session_fallback(app, check_session)  # Redis down or emptied: auth asks its own database
    return app
