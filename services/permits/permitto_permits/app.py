"""Application factory of the permits service."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from permitto_common.app_factory import create_base_app
from permitto_common.jobs import QUEUE_PERMITS, register_job_commands
from permitto_common.settings import CommonSettings

from .extensions import db, jwt, migrate
from .schedule import PERIODIC_JOBS

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = CommonSettings.from_env("permits")
    app = create_base_app(
        __name__, settings, db=db, migrate=migrate, migrations_dir=MIGRATIONS, jwt=jwt, config=test_config
    )
    register_job_commands(app, queues=[QUEUE_PERMITS], periodic=PERIODIC_JOBS)
    return app
