"""Operations that several services' migrations share."""

from __future__ import annotations

from alembic import op


def make_append_only(table: str) -> None:
    """The database itself refuses UPDATE, DELETE and TRUNCATE on an audit table."""
    op.execute(f"""
        CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only (% refused)', TG_OP;
        END $$;
    """)
    op.execute(f"""
        CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only();
    """)


def drop_append_only(table: str) -> None:
    op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
    op.execute(f"DROP FUNCTION {table}_append_only()")
