"""The body of every service's migrations/env.py: one place, each service naming its version table."""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

log = logging.getLogger("alembic.env")


def run_migrations(version_table: str) -> None:
    config = context.config
    db = current_app.extensions["migrate"].db
    config.set_main_option("sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    target_metadata = db.metadata
    options = {
        "target_metadata": target_metadata,
        "version_table": version_table,
        "compare_type": True,
        "compare_server_default": True,
    }

    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def skip_empty(ctx, revision, directives):  # type: ignore[no-untyped-def]
        # An autogenerate with no changes writes no empty migration file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        context.configure(connection=connection, process_revision_directives=skip_empty, **options)
        with context.begin_transaction():
            context.run_migrations()
