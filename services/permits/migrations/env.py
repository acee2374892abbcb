"""Migrations of the permits service; the shared body names its own version table."""

from permitto_common.migrations_env import run_migrations

run_migrations(version_table="alembic_version_permits")
