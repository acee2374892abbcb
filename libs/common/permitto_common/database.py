"""The SQLAlchemy extension every service creates: timestamps with time zone, named constraints."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
from flask_sqlalchemy import SQLAlchemy
from psycopg.rows import namedtuple_row
from sqlalchemy import BindParameter, DateTime, Dialect, Engine, MetaData, Select, bindparam, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, registry, scoped_session

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


IDLE_BEFORE_PING_SECONDS = 10.0


def ping_idle_connections(engine: Engine, *, idle_seconds: float = IDLE_BEFORE_PING_SECONDS) -> None:
    """Check a pooled connection with one round trip only when it sat unused for idle_seconds.

    pool_pre_ping checks every checkout, a round trip on every request of a busy service, where a
    connection used a moment ago is known to be alive. A connection idle longer (the database restarted,
    or a proxy dropped a quiet connection) is pinged as pre-ping would; a dead one is refused with
    DisconnectionError, so the pool replaces it before the request sees it. A connection that dies while
    in use fails its request, and SQLAlchemy then invalidates the whole pool, as it does with pre-ping."""

    def stamp(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure to answer: the pool connects anew
            raise exc.DisconnectionError(f"an idle connection did not answer: {error}") from error

    event.listen(engine, "connect", stamp)
    event.listen(engine, "checkin", stamp)
    event.listen(engine, "checkout", check)


def bind(name: str, values: Mapping[str, Any] | None = None, **kwargs: Any) -> BindParameter[Any]:
    """A bind parameter whose value is values[name], or, with no values, left open (required): the form
    of a statement written once and given its values at each run (a DriverRead, or a statement object
    that is kept and reused)."""
    return bindparam(name, None if values is None else values[name], required=values is None, **kwargs)


class DriverRead:
    """A SELECT written in SQLAlchemy, compiled once, and run straight on the DBAPI (psycopg) connection
    of the session's own transaction, answering named tuples.

    For the hottest reads only (a phone's permit list): running even a cached statement through
    SQLAlchemy (the cache key walk, the execution context, the result objects) cost more CPU than
    PostgreSQL's answer. The statement is still SQLAlchemy's, built from the same expressions as the
    ORM's reads (who may see which permit is written once); what changes from one run to the next is
    bind parameters left open (`bind(name)`), given to `rows`.

    The values go to psycopg and come back as psycopg makes them, with no SQLAlchemy type processing,
    so the statement may select only columns whose type has none (uuids, text, numbers, booleans,
    times, instants, JSON); that is checked here. Parameters must be values psycopg adapts as they are
    (uuids, text, numbers, instants, lists for `= ANY(...)`, as IN lists are refused)."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        for column in statement.selected_columns:
            if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
                raise TypeError(f"{column} needs SQLAlchemy's processing of its {column.type} values")
        compiled = statement.compile(dialect=dialect)
        expanding = sorted(name for name, bind in compiled.binds.items() if bind.expanding)
        if expanding:  # SQLAlchemy rewrites IN (...) at each run, which the driver cannot
            raise TypeError(f"{expanding}: an IN list runs on the driver as `= ANY(list)`")
        self.sql = str(compiled)
        self.required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
        self.bound = {name: value for name, value in compiled.params.items() if name not in self.required}

    def rows(self, session: Session | scoped_session[Any], params: dict[str, Any]) -> list[Any]:
        """The rows, read in the session's transaction when it has one (what it changed or locked is
        seen as it is), else on a pooled connection of their own with no transaction around them.

        At READ COMMITTED, PostgreSQL's level here, every statement takes its own snapshot whether or
        not it is in a transaction, so a read with nothing of the request's to see gains nothing from
        BEGIN and ROLLBACK, and they were two of a list page's four round trips."""
        missing = self.required - params.keys()
        if missing:
            raise KeyError(f"no value for {sorted(missing)}")
        if session.autoflush:
            session.flush()  # as the ORM's reads do: what this transaction changed is seen
        values = {**self.bound, **params}
        if (session() if isinstance(session, scoped_session) else session).in_transaction():
            connection = session.connection().connection.dbapi_connection
            assert connection is not None
            return self._fetch(connection, values)
        bound = session.get_bind()
        engine = bound if isinstance(bound, Engine) else bound.engine
        try:
            pooled = engine.raw_connection()
        except psycopg.Error as error:  # the database cannot be reached: the same error as SQLAlchemy's
            raise exc.DBAPIError.instance(self.sql, values, error, psycopg.Error) from error
        try:
            connection = pooled.dbapi_connection
            assert connection is not None
            connection.autocommit = True
            try:
                found = self._fetch(connection, values)
            except BaseException:
                pooled.invalidate()  # whatever state it is in now, the pool gets a fresh one instead
                raise
            connection.autocommit = False  # as the pool lends them
            return found
        finally:
            pooled.close()

    def _fetch(self, connection: Any, values: dict[str, Any]) -> list[Any]:
        """Rows from the driver; its errors as SQLAlchemy's (the one handler maps a lost database to 503)."""
        try:
            with connection.cursor(row_factory=namedtuple_row) as cursor:
                cursor.execute(self.sql, values)
                found: list[Any] = cursor.fetchall()
                return found
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(self.sql, values, error, psycopg.Error,
                                          connection_invalidated=connection.closed) from error
