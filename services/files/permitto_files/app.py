"""Application factory of the files service."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from permitto_common.app_factory import create_base_app
from permitto_common.health import add_readiness_check
from permitto_common.internal_http import use_auth_for_session_checks
from permitto_common.jobs import QUEUE_FILES, register_job_commands
from permitto_common.openapi import openapi_blueprint

from . import models  # noqa: F401  (registers the tables for migrations)
from .config import Settings
from .extensions import db, jwt, migrate, permits
from .storage import check_bucket, init_storage
from .views import register_views

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = create_base_app(
        __name__, settings.common, db=db, migrate=migrate, migrations_dir=MIGRATIONS, jwt=jwt,
        # an uploaded file never passes through here (presigned URLs), but a system PDF does
        config={"MAX_CONTENT_LENGTH": 20 * 1024 * 1024, **(test_config or {})},
    )
    init_storage(app, settings.storage)
    add_readiness_check(app, "storage", lambda: check_bucket(app))
    permits.init_app(app, settings.permits_url)
    use_auth_for_session_checks(app, settings.auth_url)
    register_views(app)
    app.register_blueprint(openapi_blueprint("Permitto files", "Uploads through presigned URLs, signatures, links."))
    register_job_commands(app, queues=[QUEUE_FILES])
    return app
