"""On a real PostgreSQL: the pool's liveness check (idle connections are pinged, busy ones are not), and
reads on the driver (DriverRead), in the session's transaction or with none."""

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from permitto_common.database import ping_idle_connections


@pytest.fixture
def engine(test_engines):
    url = make_url(test_engines.admin_database_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def terminate(test_engines, pid: int) -> None:
    admin = create_engine(make_url(test_engines.admin_database_url).set(drivername="postgresql+psycopg"))
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_an_idle_connection_that_died_is_replaced_before_the_request_uses_it(engine, test_engines):
    ping_idle_connections(engine, idle_seconds=0)
    first = backend_pid(engine)
    terminate(test_engines, first)  # the database dropped it while it sat in the pool
    assert backend_pid(engine) != first  # the ping found it dead: a new connection answered, no error


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, test_engines):
    ping_idle_connections(engine, idle_seconds=60)
    first = backend_pid(engine)
    terminate(test_engines, first)
    # Not pinged (no round trip per request): the statement meets the dead connection and fails ...
    with pytest.raises(OperationalError) as failure:
        backend_pid(engine)
    assert failure.value.connection_invalidated
    assert backend_pid(engine) != first  # ... and the pool is renewed for the next request


def test_a_driver_read_answers_what_the_orm_would_from_one_compiled_statement(engine):
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, any_, bindparam, insert, select
    from sqlalchemy.dialects.postgresql import ARRAY, JSONB
    from sqlalchemy.orm import Session

    from permitto_common.database import DriverRead

    table = Table(f"driver_read_{uuid.uuid4().hex[:8]}", MetaData(), Column("id", Uuid, primary_key=True),
                  Column("name", String(20)), Column("at", DateTime(timezone=True)), Column("doc", JSONB),
                  Column("tags", ARRAY(String)))
    table.create(engine)
    try:
        ids = sorted(uuid.uuid4() for _ in range(3))
        with engine.begin() as conn:
            conn.execute(insert(table), [{"id": i, "name": f"n{n}", "at": datetime(2026, 1, n + 1, tzinfo=UTC),
                                          "doc": {"n": n}} for n, i in enumerate(ids)])
        stmt = (select(table.c.id, table.c.name, table.c.at, table.c.doc)
                .where(table.c.id == any_(bindparam("ids", required=True)), table.c.name != "nobody",
                       table.c.name == any_(bindparam("names", ["n0", "n1", "n2"])))
                .order_by(table.c.id).limit(bindparam("rows", required=True)))
        read = DriverRead(stmt, engine.dialect)
        assert read.required == {"ids", "rows"}
        with Session(engine) as session:
            rows = read.rows(session, {"ids": ids[:2], "rows": 5})
            assert [(r.id, r.name, r.at, r.doc) for r in rows] == [tuple(r) for r in session.execute(
                stmt.params(ids=ids[:2], rows=5)).all()]
            assert rows[0].at == datetime(2026, 1, 1, tzinfo=UTC)
            assert isinstance(rows[0].id, uuid.UUID)
            assert read.rows(session, {"ids": [], "rows": 5}) == []
            again = read.rows(session, {"ids": ids[2:], "rows": 5})  # the row class made once, reused
            assert [(r.id, r.name) for r in again] == [(ids[2], "n2")]
            assert type(again[0]) is type(rows[0])
            with pytest.raises(KeyError, match="rows"):
                read.rows(session, {"ids": ids})
        with pytest.raises(TypeError, match="ANY"):
            DriverRead(select(table.c.id).where(table.c.name.in_(["n0"])), engine.dialect)
        with pytest.raises(TypeError, match="tags"):  # an array needs SQLAlchemy's processing: not on the driver
            DriverRead(select(table.c.tags), engine.dialect)
    finally:
        table.drop(engine)


def test_a_driver_read_with_no_transaction_runs_without_one_and_in_a_transaction_sees_its_changes(test_engines):
    import uuid

    from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, insert, select
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm import Session

    from permitto_common.database import DriverRead, bind

    url = make_url(test_engines.admin_database_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=2, max_overflow=0, pool_timeout=2)
    table = Table(f"driver_tx_{uuid.uuid4().hex[:8]}", MetaData(), Column("n", Integer, primary_key=True),
                  Column("name", String(20)))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [{"n": 1, "name": "committed"}])
        read = DriverRead(select(table.c.name).where(func.sqrt(bind("x", type_=Float)) >= 0).order_by(table.c.n),
                          engine.dialect)
        with Session(engine) as session, Session(engine) as other:
            assert [r.name for r in read.rows(session, {"x": 1.0})] == ["committed"]
            assert not session.in_transaction()  # read alone: no BEGIN, no ROLLBACK, no connection held
            assert engine.pool.checkedout() == 0
            lent = engine.raw_connection()
            assert lent.dbapi_connection.autocommit is False  # given back to the pool as the pool lends them
            lent.close()

            session.execute(insert(table), [{"n": 2, "name": "mine, not committed"}])
            assert [r.name for r in read.rows(session, {"x": 1.0})] == ["committed", "mine, not committed"]
            assert [r.name for r in read.rows(other, {"x": 1.0})] == ["committed"]  # another's read does not see it
            session.rollback()

            with pytest.raises(DBAPIError, match="square root"):  # the driver's error as SQLAlchemy's
                read.rows(session, {"x": -1.0})  # a read that fails leaves no broken connection in the pool
            assert engine.pool.checkedout() == 0
            assert [r.name for r in read.rows(session, {"x": 4.0})] == ["committed"]
    finally:
        table.drop(engine)
        engine.dispose()


def lender_pid(lender) -> int:
    connection = lender.take("SELECT pg_backend_pid()", {})
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), now() = statement_timestamp()")
            pid, alone = cursor.fetchone()
        assert alone  # autocommit: the statement was a transaction of its own, no BEGIN before it
    except BaseException:
        lender.lost(connection)
        raise
    lender.give_back(connection)
    return pid


def test_reads_outside_a_transaction_reuse_an_autocommit_connection_the_pool_no_longer_counts(engine):
    from permitto_common.database import AutocommitConnections

    lender = AutocommitConnections(engine)
    first = lender_pid(lender)
    assert lender_pid(lender) == first  # given back and lent again: no connection made per read
    assert engine.pool.checkedout() == 0
    assert backend_pid(engine) != first  # the pool (pool_size=1) made another: that one is not the pool's
    held = lender.take("", {})
    assert lender_pid(lender) != first  # taken by another read at the same time: a second connection
    lender.give_back(held)
    engine.dispose()  # the engine's dispose closes the idle ones, as it closes the pool's
    assert held.closed


def test_an_idle_autocommit_connection_that_died_is_pinged_and_replaced(engine, test_engines):
    from permitto_common.database import AutocommitConnections

    lender = AutocommitConnections(engine, idle_seconds=0)
    first = lender_pid(lender)
    terminate(test_engines, first)
    assert lender_pid(lender) != first  # the ping found it dead: a new one answered, no error


def test_a_read_that_meets_a_dead_connection_fails_and_the_idle_ones_are_closed(engine, test_engines):
    from sqlalchemy import select

    from permitto_common.database import AutocommitConnections, DriverRead

    lender = AutocommitConnections(engine, idle_seconds=60, keep=2)
    one, two = lender.take("", {}), lender.take("", {})
    lender.give_back(two)
    lender.give_back(one)
    with one.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        terminate(test_engines, cursor.fetchone()[0])
    connection = lender.take("", {})
    assert connection is one  # used a moment ago: not pinged
    read = DriverRead(select(text("1")), engine.dialect)
    with pytest.raises(OperationalError) as failure:  # SQLAlchemy's error, as the one handler maps it to 503
        read._fetch(connection, {})
    assert failure.value.connection_invalidated
    lender.lost(connection)
    assert one.closed
    assert two.closed  # the database may have restarted: the idle one is not trusted either
    assert lender_pid(lender)  # the next read makes a new one


def test_a_forked_child_makes_its_own_and_leaves_the_parents_open(engine):
    import os

    from permitto_common.database import AutocommitConnections

    lender = AutocommitConnections(engine)
    first = lender_pid(lender)
    child = os.fork()
    if child == 0:  # the child: a connection of its own, and the parent's untouched (not closed from here)
        try:
            code = 0 if lender_pid(lender) != first else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert lender_pid(lender) == first  # the parent's still answers
