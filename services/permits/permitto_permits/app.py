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
from permitto_common.settings import CommonSettings, Env

from . import models  # noqa: F401  (registers the tables for migrations)
from .commands import register_commands
from .directory import init_directory
from .extensions import db, jwt, migrate
from .relay import init_relay
from .schedule import periodic_jobs
from .signatures import init_files_client
from .views import register_views

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    env = Env()
    settings = CommonSettings.from_env("permits", env)
    app = create_base_app(
        __name__, settings, db=db, migrate=migrate, migrations_dir=MIGRATIONS, jwt=jwt, config=test_config
    )
    auth_url = env.text("AUTH_URL")
    init_directory(app, auth_url, settings.redis_url)
    use_auth_for_session_checks(app, auth_url)
    init_files_client(app, env.text("FILES_URL"))
    init_relay(app, env.text("NOTIFICATIONS_URL"))
    register_views(app)
    app.register_blueprint(openapi_blueprint("Permitto permits", "Templates, permits, the daily cycle, PDFs."))
    register_commands(app)
    register_job_commands(app, queues=[QUEUE_PERMITS],
                          periodic=periodic_jobs(env.integer("SWEEP_INTERVAL_SECONDS", 60)))
    return app
