"""Application factory of the notifications service."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from permitto_common.app_factory import create_base_app
from permitto_common.internal_http import use_auth_for_session_checks
from permitto_common.jobs import QUEUE_NOTIFICATIONS, register_job_commands
from permitto_common.openapi import openapi_blueprint

from . import models  # noqa: F401  (registers the tables for migrations)
from .channels.email import init_email
from .channels.push import init_push
from .config import Settings
from .extensions import auth, db, jwt, migrate
from .views import register_views

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = create_base_app(
        __name__, settings.common, db=db, migrate=migrate, migrations_dir=MIGRATIONS, jwt=jwt, config=test_config
    )
    app.config["DIGEST_QUIET_SECONDS"] = settings.digest_quiet_seconds
    init_email(app, settings.email)
    auth.init_app(app, settings.auth_url)
    use_auth_for_session_checks(app, settings.auth_url)
    init_push(app, settings.vapid)
    register_views(app)
    app.register_blueprint(openapi_blueprint("Permitto notifications", "In-app notifications, live stream, push."))
    register_job_commands(app, queues=[QUEUE_NOTIFICATIONS])
    return app
