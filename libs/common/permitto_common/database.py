"""The SQLAlchemy extension every service creates: timestamps with time zone, named constraints."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

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


class AutocommitConnections:
    """The connections DriverRead reads on outside a transaction: made by the engine's pool (its connect
    arguments and events), taken out of its hands (detach) and kept in autocommit, lent and given back
    under one lock.

    Borrowed from the pool for each read, such a connection cost its checkout and checkin (their events,
    the reset's ROLLBACK call) and two switches of autocommit there and back: about 50 µs of CPU a read,
    and a permit's page makes two (docs/performance.md). What the pool did for
    them is done here: one idle longer than IDLE_BEFORE_PING_SECONDS is pinged before it is lent, one
    whose read failed is closed, a lost one closes every idle one (the database restarted: they are all
    dead, as SQLAlchemy renews its pool), the engine's dispose closes them, and in a forked child the
    parent's are left to the parent. At most as many are kept idle as the pool keeps."""

    _by_engine: ClassVar[weakref.WeakKeyDictionary[Engine, AutocommitConnections]] = weakref.WeakKeyDictionary()
    _making = threading.Lock()

    def __init__(self, engine: Engine, *, idle_seconds: float = IDLE_BEFORE_PING_SECONDS,
                 keep: int | None = None) -> None:
        self._engine = weakref.ref(engine)  # the engine keeps its lender (_by_engine's key), not the reverse
        self.idle_seconds = idle_seconds
        size = getattr(engine.pool, "size", None)
        self.keep = keep if keep is not None else size() if callable(size) else 5
        self._idle: list[tuple[Any, float]] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        event.listen(engine, "engine_disposed", lambda _engine: self.close_idle())

    @classmethod
    def of(cls, engine: Engine) -> AutocommitConnections:
        found = cls._by_engine.get(engine)
        if found is None:
            with cls._making:
                found = cls._by_engine.get(engine)
                if found is None:
                    found = cls._by_engine[engine] = cls(engine)
        return found

    def take(self, sql: str, values: dict[str, Any]) -> Any:
        """An idle connection (pinged if it sat long), or a new one; a database that cannot be reached
        raises SQLAlchemy's error for the statement, as the ORM's reads do."""
        with self._lock:
            self._forget_if_forked()
            found = self._idle.pop() if self._idle else None
        engine = self._engine()
        assert engine is not None, "a read on an engine that was collected"
        if found is not None:
            connection, since = found
            if time.monotonic() - since < self.idle_seconds:
                return connection
            try:
                engine.dialect.do_ping(connection)
                return connection
            except Exception:  # any failure to answer: a new one, as the pool's ping does
                self.lost(connection)
        try:
            lent = engine.raw_connection()
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(sql, values, error, psycopg.Error) from error
        lent.detach()  # the pool makes another when it needs one; this one is ours to close
        connection = lent.dbapi_connection
        assert connection is not None
        connection.autocommit = True
        return connection

    def give_back(self, connection: Any) -> None:
        with self._lock:
            self._forget_if_forked()
            if len(self._idle) < self.keep and not connection.closed:
                self._idle.append((connection, time.monotonic()))
                return
        connection.close()

    def lost(self, connection: Any) -> None:
        """A read failed on it: closed; if it was the connection that failed, so are the idle ones."""
        dead = connection.closed or connection.broken
        connection.close()
        if dead:
            self.close_idle()

    def close_idle(self) -> None:
        with self._lock:
            if self._forget_if_forked():
                return
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def _forget_if_forked(self) -> bool:
        """In a forked child, the parent's connections are the parent's: dropped, never closed here
        (psycopg closes a connection only in the process that opened it)."""
        if self._pid == os.getpid():
            return False
        self._idle, self._pid = [], os.getpid()
        return True


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
        self._make_row: Any = None  # the named tuple's maker, from the first answer: the columns never change

    def _row_maker(self, cursor: Any) -> Any:
        """psycopg's row factory: its named tuple for this statement's columns, made once (psycopg's own
        walks every column's name to find its cached class on every execution)."""
        made = self._make_row
        if made is None:
            made = self._make_row = namedtuple_row(cursor)
        return made

    def rows(self, session: Session | scoped_session[Any], params: dict[str, Any]) -> list[Any]:
        """The rows, read in the session's transaction when it has one (what it changed or locked is
        seen as it is), else on one of AutocommitConnections, with no transaction around them.

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
        lender = AutocommitConnections.of(bound if isinstance(bound, Engine) else bound.engine)
        connection = lender.take(self.sql, values)
        try:
            found = self._fetch(connection, values)
        except BaseException:
            lender.lost(connection)  # whatever state it is in now, the next read gets a fresh one instead
            raise
        lender.give_back(connection)
        return found

    def _fetch(self, connection: Any, values: dict[str, Any]) -> list[Any]:
        """Rows from the driver; its errors as SQLAlchemy's (the one handler maps a lost database to 503)."""
        try:
            with connection.cursor(row_factory=self._row_maker) as cursor:
                cursor.execute(self.sql, values)
                found: list[Any] = cursor.fetchall()
                return found
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(self.sql, values, error, psycopg.Error,
                                          connection_invalidated=connection.closed) from error
