"""Application factory of the permits service."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from permitto_common.app_factory import create_base_app
from permitto_common.internal_http import use_auth_for_session_checks
from permitto_common.jobs import QUEUE_PERMITS, register_job_commands
from permitto_common.openapi import openapi_blueprint

from . import models  # noqa: F401  (registers the tables for migrations)
from .commands import register_commands
from .config import Settings
from .directory import init_directory
from .extensions import auth, db, files, jwt, migrate, notifications
from .schedule import periodic_jobs
from .views import register_views

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = create_base_app(
        __name__, settings.common, db=db, migrate=migrate, migrations_dir=MIGRATIONS, jwt=jwt,
        config={"ALLOW_TEST_CLOCK": settings.allow_test_clock, "VERIFY_LINK_SECRET": settings.verify_link_secret,
                **(test_config or {})},
    )
    auth.init_app(app, settings.auth_url)
    files.init_app(app, settings.files_url)
    notifications.init_app(app, settings.notifications_url)
    init_directory(app, settings.common.redis_url)
    use_auth_for_session_checks(app, settings.auth_url)
    register_views(app)
    app.register_blueprint(openapi_blueprint("Permitto permits", "Templates, permits, the daily cycle, PDFs."))
    register_commands(app)
    register_job_commands(app, queues=[QUEUE_PERMITS],
                          periodic=periodic_jobs(settings.sweep_interval_seconds))
    return app
