"""The SQLAlchemy extension every service creates: timestamps with time zone, named constraints."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

# Named constraints make migrations reviewable and reversible (no anonymous "users_email_key").
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The default of every timestamp column: an aware instant in UTC."""
    return datetime.now(UTC)


def make_db() -> SQLAlchemy:
    """A fresh extension object per service (each service has its own metadata and database)."""

    class ServiceBase(DeclarativeBase):
        registry = registry(
            metadata=MetaData(naming_convention=NAMING_CONVENTION),
            # Every timestamp is an instant (timestamptz): sites live in different time zones.
            type_annotation_map={datetime: DateTime(timezone=True)},
        )

    return SQLAlchemy(model_class=ServiceBase)
